//! Where MNIST comes from: a directory of IDX files, the bundled copy, the user cache, or a mirror.
//!
//! The search order is `--data-dir`, `MNIST_DIR`, the copy bundled with this crate, the per-user
//! cache, then a download from public mirrors into the cache. Explicit choices (`--data-dir`,
//! `MNIST_DIR`) never fall through: if the user named a folder, a problem with it is an error.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::{IdxFile, IdxKind, parse_idx, read_idx};

/// One of the four MNIST files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// 60,000 training images.
    TrainImages,
    /// 60,000 training labels.
    TrainLabels,
    /// 10,000 test images.
    TestImages,
    /// 10,000 test labels.
    TestLabels,
}

impl Part {
    /// The four parts, in a fixed order used to index per-part arrays.
    pub const ALL: [Part; 4] = [
        Part::TrainImages,
        Part::TrainLabels,
        Part::TestImages,
        Part::TestLabels,
    ];

    /// The canonical file name, without `.gz`.
    pub fn canonical_name(self) -> &'static str {
        match self {
            Self::TrainImages => "train-images-idx3-ubyte",
            Self::TrainLabels => "train-labels-idx1-ubyte",
            Self::TestImages => "t10k-images-idx3-ubyte",
            Self::TestLabels => "t10k-labels-idx1-ubyte",
        }
    }

    /// The other common spelling (a dot before `idx`).
    pub fn alternate_name(self) -> &'static str {
        match self {
            Self::TrainImages => "train-images.idx3-ubyte",
            Self::TrainLabels => "train-labels.idx1-ubyte",
            Self::TestImages => "t10k-images.idx3-ubyte",
            Self::TestLabels => "t10k-labels.idx1-ubyte",
        }
    }

    /// Images or labels.
    pub fn kind(self) -> IdxKind {
        match self {
            Self::TrainImages | Self::TestImages => IdxKind::Images,
            Self::TrainLabels | Self::TestLabels => IdxKind::Labels,
        }
    }

    /// SHA-256 of the decoded canonical MNIST file.
    pub fn mnist_sha256(self) -> &'static str {
        match self {
            Self::TrainImages => "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
            Self::TrainLabels => "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
            Self::TestImages => "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
            Self::TestLabels => "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
        }
    }

    fn candidates(self) -> [String; 4] {
        let (c, a) = (self.canonical_name(), self.alternate_name());
        [
            format!("{c}.gz"),
            c.to_string(),
            format!("{a}.gz"),
            a.to_string(),
        ]
    }
}

/// The expected SHA-256 of each part's decoded bytes, in [`Part::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksums(pub [String; 4]);

impl Checksums {
    /// The published MNIST checksums.
    pub fn mnist() -> Self {
        Self(Part::ALL.map(|p| p.mnist_sha256().to_string()))
    }

    fn of(&self, part: Part) -> &str {
        &self.0[part as usize]
    }
}

/// Canonical public mirrors of the MNIST `.gz` files, tried in turn.
pub const DEFAULT_MIRRORS: [&str; 3] = [
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "https://yann.lecun.com/exdb/mnist/",
];

/// Where the data was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A directory named with `--data-dir`.
    DataDir(PathBuf),
    /// A directory named by the `MNIST_DIR` environment variable.
    EnvDir(PathBuf),
    /// The copy shipped in this crate's `data/` folder.
    Bundled(PathBuf),
    /// The per-user cache.
    Cache(PathBuf),
    /// Downloaded into the per-user cache just now.
    Downloaded {
        /// The cache directory written.
        dir: PathBuf,
        /// The mirror each file came from.
        urls: Vec<String>,
    },
}

impl Origin {
    /// The directory the files are in.
    pub fn dir(&self) -> &Path {
        match self {
            Self::DataDir(d) | Self::EnvDir(d) | Self::Bundled(d) | Self::Cache(d) => d,
            Self::Downloaded { dir, .. } => dir,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DataDir(d) => write!(f, "--data-dir {}", d.display()),
            Self::EnvDir(d) => write!(f, "MNIST_DIR {}", d.display()),
            Self::Bundled(d) => write!(f, "bundled copy {}", d.display()),
            Self::Cache(d) => write!(f, "user cache {}", d.display()),
            Self::Downloaded { dir, .. } => write!(f, "downloaded into {}", dir.display()),
        }
    }
}

/// One loaded file and its verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// Which part.
    pub part: Part,
    /// The file read.
    pub path: PathBuf,
    /// SHA-256 of its decoded bytes.
    pub sha256: String,
    /// Whether the checksum was compared with the expected value (false with `--skip-checksum`).
    pub verified: bool,
}

/// The MNIST training and test files, loaded and validated.
#[derive(Debug, Clone)]
pub struct Mnist {
    /// The 60k training file pair.
    pub train: Dataset,
    /// The 10k test file pair.
    pub test: Dataset,
    /// Where the files were found.
    pub origin: Origin,
    /// The four files, in [`Part::ALL`] order.
    pub files: Vec<FileInfo>,
}

/// Finds the four files in `dir` under their canonical or alternate names, raw or gzipped.
pub fn find_files(dir: &Path) -> Result<[PathBuf; 4], DataError> {
    let mut found = Vec::with_capacity(4);
    for part in Part::ALL {
        let candidates = part.candidates();
        match candidates.iter().map(|n| dir.join(n)).find(|p| p.is_file()) {
            Some(path) => found.push(path),
            None => {
                return Err(DataError::MissingFile {
                    dir: dir.to_path_buf(),
                    name: candidates[0].clone(),
                    tried: candidates[1..].to_vec(),
                });
            }
        }
    }
    found
        .try_into()
        .map_err(|_| DataError::Invalid("four files expected".into()))
}

/// Loads the four files in `dir`; `checksums` of `None` skips verification.
pub fn load_dir(
    dir: &Path,
    checksums: Option<&Checksums>,
    origin: Origin,
) -> Result<Mnist, DataError> {
    let paths = find_files(dir)?;
    // Decoding is the slow part (47 MB of training images); do the four files in parallel.
    let decoded: Vec<Result<IdxFile, DataError>> = std::thread::scope(|s| {
        let handles: Vec<_> = Part::ALL
            .iter()
            .zip(&paths)
            .map(|(&part, path)| s.spawn(move || read_idx(path, part.kind())))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(DataError::Invalid("decoder thread panicked".into())))
            })
            .collect()
    });
    let decoded = decoded
        .into_iter()
        .collect::<Result<Vec<IdxFile>, DataError>>()?;
    // Structure before checksums: a count mismatch says more than "the checksum differs".
    pair(&decoded[0], &decoded[1], &paths[0], &paths[1])?;
    pair(&decoded[2], &decoded[3], &paths[2], &paths[3])?;
    let mut files = Vec::with_capacity(4);
    for ((part, path), file) in Part::ALL.into_iter().zip(&paths).zip(&decoded) {
        if let Some(sums) = checksums
            && file.sha256 != sums.of(part)
        {
            return Err(DataError::Checksum {
                path: path.clone(),
                expected: sums.of(part).to_string(),
                found: file.sha256.clone(),
            });
        }
        files.push(FileInfo {
            part,
            path: path.clone(),
            sha256: file.sha256.clone(),
            verified: checksums.is_some(),
        });
    }
    let mut decoded = decoded.into_iter();
    let mut next = || decoded.next().map(|f| f.data).unwrap_or_default();
    let (train_pixels, train_labels, test_pixels, test_labels) = (next(), next(), next(), next());
    let train = Dataset::new(train_pixels, train_labels)?;
    let test = Dataset::new(test_pixels, test_labels)?;
    Ok(Mnist {
        train,
        test,
        origin,
        files,
    })
}

/// Checks that an images file and a labels file hold the same number of items.
fn pair(
    images: &IdxFile,
    labels: &IdxFile,
    images_path: &Path,
    labels_path: &Path,
) -> Result<(), DataError> {
    if images.count != labels.count {
        return Err(DataError::CountMismatch {
            images_path: images_path.to_path_buf(),
            labels_path: labels_path.to_path_buf(),
            images: images.count,
            labels: labels.count,
        });
    }
    Ok(())
}

/// Where to look for MNIST, in order.
#[derive(Debug, Clone)]
pub struct Sources {
    /// `--data-dir`: explicit, never falls through.
    pub data_dir: Option<PathBuf>,
    /// `MNIST_DIR`: explicit, never falls through.
    pub env_dir: Option<PathBuf>,
    /// The copy bundled with this crate.
    pub bundled: Option<PathBuf>,
    /// The per-user cache, also where downloads go.
    pub cache: Option<PathBuf>,
    /// Mirror base URLs, tried in turn for each file.
    pub mirrors: Vec<String>,
    /// Expected checksums; `None` skips verification of local files (downloads are always verified).
    pub checksums: Option<Checksums>,
    /// Checksums that downloads must match.
    pub download_checksums: Checksums,
}

impl Sources {
    /// The standard search: `data_dir` from the command line, then `MNIST_DIR`, the bundled copy,
    /// the cache (`MNIST_CACHE_DIR` or the platform cache folder) and the mirrors (`MNIST_MIRRORS`,
    /// comma-separated, or [`DEFAULT_MIRRORS`]).
    pub fn standard(data_dir: Option<PathBuf>, verify: bool) -> Self {
        let env_path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let mirrors = std::env::var("MNIST_MIRRORS")
            .ok()
            .filter(|m| !m.trim().is_empty())
            .map(|m| m.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_else(|| DEFAULT_MIRRORS.map(String::from).to_vec());
        Self {
            data_dir,
            env_dir: env_path("MNIST_DIR"),
            bundled: Some(bundled_dir()),
            cache: env_path("MNIST_CACHE_DIR")
                .or_else(|| dirs::cache_dir().map(|d| d.join("mnist-compare").join("mnist"))),
            mirrors,
            checksums: verify.then(Checksums::mnist),
            download_checksums: Checksums::mnist(),
        }
    }

    /// Finds and loads MNIST; `note` hears about places that were skipped and downloads.
    pub fn load(&self, note: &mut dyn FnMut(&str)) -> Result<Mnist, DataError> {
        let sums = self.checksums.as_ref();
        for (dir, origin, flag) in [
            (
                &self.data_dir,
                Origin::DataDir as fn(PathBuf) -> Origin,
                "--data-dir",
            ),
            (&self.env_dir, Origin::EnvDir, "MNIST_DIR"),
        ] {
            if let Some(dir) = dir {
                if !dir.is_dir() {
                    return Err(DataError::MissingDir {
                        origin: flag.to_string(),
                        path: dir.clone(),
                    });
                }
                return load_dir(dir, sums, origin(dir.clone()));
            }
        }

        let mut tried = Vec::new();
        for (dir, origin, what) in [
            (
                &self.bundled,
                Origin::Bundled as fn(PathBuf) -> Origin,
                "bundled copy",
            ),
            (&self.cache, Origin::Cache, "user cache"),
        ] {
            let Some(dir) = dir else { continue };
            match load_dir(dir, sums, origin(dir.clone())) {
                Ok(mnist) => return Ok(mnist),
                Err(e) => {
                    if dir.is_dir() && !matches!(e, DataError::MissingFile { .. }) {
                        note(&format!("skipping the {what}: {e}"));
                    }
                    tried.push(format!("{what} {}: {e}", dir.display()));
                }
            }
        }

        let Some(cache) = &self.cache else {
            tried.push(
                "download: no user cache directory to download into (set MNIST_CACHE_DIR)".into(),
            );
            return Err(DataError::NotFound { tried });
        };
        match self.download(cache, note) {
            Ok(urls) => load_dir(
                cache,
                sums,
                Origin::Downloaded {
                    dir: cache.clone(),
                    urls,
                },
            ),
            Err(mut failures) => {
                tried.append(&mut failures);
                Err(DataError::NotFound { tried })
            }
        }
    }

    /// Downloads the four files into `cache`, verifying each before an atomic rename into place.
    /// Returns the URL each file came from, or every failure.
    fn download(
        &self,
        cache: &Path,
        note: &mut dyn FnMut(&str),
    ) -> Result<Vec<String>, Vec<String>> {
        if self.mirrors.is_empty() {
            return Err(vec![
                "download: no mirrors configured (MNIST_MIRRORS is empty)".into(),
            ]);
        }
        std::fs::create_dir_all(cache)
            .map_err(|e| vec![format!("download: cannot create {}: {e}", cache.display())])?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(Duration::from_secs(15)))
            .timeout_global(Some(Duration::from_secs(300)))
            .build()
            .into();
        let mut urls = Vec::new();
        for part in Part::ALL {
            let name = format!("{}.gz", part.canonical_name());
            let target = cache.join(&name);
            let mut failures = Vec::new();
            let mut fetched = None;
            for mirror in &self.mirrors {
                let url = format!("{}/{name}", mirror.trim_end_matches('/'));
                note(&format!("downloading {url}"));
                match fetch_verified(&agent, &url, part, self.download_checksums.of(part)) {
                    Ok(bytes) => {
                        fetched = Some((url, bytes));
                        break;
                    }
                    Err(e) => {
                        note(&format!("{e}"));
                        failures.push(format!("download {e}"));
                    }
                }
            }
            let Some((url, bytes)) = fetched else {
                return Err(failures);
            };
            write_atomically(&target, &bytes)
                .map_err(|e| vec![format!("download: {}: {e}", target.display())])?;
            urls.push(url);
        }
        Ok(urls)
    }
}

/// The `data/` folder shipped with this crate.
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

const MAX_DOWNLOAD_BYTES: u64 = 64 << 20;

fn fetch_verified(
    agent: &ureq::Agent,
    url: &str,
    part: Part,
    sha256: &str,
) -> Result<Vec<u8>, DataError> {
    let fail = |reason: String| DataError::Download {
        url: url.to_string(),
        reason,
    };
    let mut response = agent.get(url).call().map_err(|e| fail(e.to_string()))?;
    let bytes = response
        .body_mut()
        .with_config()
        .limit(MAX_DOWNLOAD_BYTES)
        .read_to_vec()
        .map_err(|e| fail(e.to_string()))?;
    let file = parse_idx(&bytes, part.kind()).map_err(|p| fail(p.to_string()))?;
    if file.sha256 != sha256 {
        return Err(fail(format!(
            "SHA-256 of the decoded bytes is {}, expected {sha256} (corrupt download)",
            file.sha256
        )));
    }
    Ok(bytes)
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so that
/// readers never see a partial file.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.partial", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
