//! Where a dataset comes from: a directory of IDX files, the bundled copy, the user cache, or a
//! mirror.
//!
//! The search order is `--data-dir`, the dataset's environment variable (`MNIST_DIR`,
//! `FASHION_MNIST_DIR`), the copy bundled with this crate (MNIST only), the per-user cache (one
//! folder per dataset), then a download from the dataset's mirrors into the cache. Explicit
//! choices (`--data-dir`, the variable) never fall through: if the user named a folder, a problem
//! with it is an error. Files are recognised by checksum: a folder holding another known
//! dataset says which one it is.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::dataset::Dataset;
use crate::error::DataError;
use crate::idx::{IdxFile, IdxKind, read_idx};
use crate::spec::{DatasetSpec, IDX_FILE_NAMES, KNOWN, identify};

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

    /// The canonical file name, without `.gz` (the same for every known dataset).
    pub fn canonical_name(self) -> &'static str {
        IDX_FILE_NAMES[self as usize]
    }

    /// The other common spelling (a dot before `idx`).
    pub fn alternate_name(self) -> String {
        self.canonical_name().replacen("-idx", ".idx", 1)
    }

    /// Images or labels.
    pub fn kind(self) -> IdxKind {
        match self {
            Self::TrainImages | Self::TestImages => IdxKind::Images,
            Self::TrainLabels | Self::TestLabels => IdxKind::Labels,
        }
    }
}

/// The expected SHA-256 of each part's decoded bytes, in [`Part::ALL`] order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checksums(pub [String; 4]);

/// Where the data was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A directory named with `--data-dir`.
    DataDir(PathBuf),
    /// A directory named by the dataset's environment variable (e.g. `MNIST_DIR`).
    EnvDir {
        /// The variable.
        var: String,
        /// The directory it names.
        dir: PathBuf,
    },
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
            Self::DataDir(d) | Self::Bundled(d) | Self::Cache(d) => d,
            Self::EnvDir { dir, .. } | Self::Downloaded { dir, .. } => dir,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DataDir(d) => write!(f, "--data-dir {}", d.display()),
            Self::EnvDir { var, dir } => write!(f, "{var} {}", dir.display()),
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
    /// Whether the checksum equals the one published for the dataset asked for.
    pub verified: bool,
}

/// A dataset's training and test files, loaded and validated.
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
    /// The known dataset all four files' checksums match, if any (with `--skip-checksum`, the
    /// files may be another dataset's, or none).
    pub identified: Option<&'static DatasetSpec>,
}

impl Mnist {
    /// Whether every file matched the published checksum of the dataset asked for.
    pub fn verified(&self) -> bool {
        self.files.iter().all(|f| f.verified)
    }
}

/// Finds `dataset`'s four files in `dir` under their canonical or alternate names, raw or gzipped.
pub fn find_files(dir: &Path, dataset: &DatasetSpec) -> Result<[PathBuf; 4], DataError> {
    let mut found = Vec::with_capacity(4);
    for part in Part::ALL {
        let candidates = dataset.candidates(part);
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

/// Loads `dataset`'s four files from `dir`. With `verify`, every file must match the dataset's
/// published checksum; files that are all another dataset of `known` fail with an error naming
/// it. Without, any valid 28x28 IDX files load, and [`Mnist::identified`] says what they are.
pub fn load_dir(
    dir: &Path,
    dataset: &DatasetSpec,
    verify: bool,
    known: &[&'static DatasetSpec],
    origin: Origin,
) -> Result<Mnist, DataError> {
    let paths = find_files(dir, dataset)?;
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
    let sums: [&str; 4] = std::array::from_fn(|i| decoded[i].sha256.as_str());
    let identified = identify(&sums, known);
    let files: Vec<FileInfo> = Part::ALL
        .into_iter()
        .zip(&paths)
        .zip(&decoded)
        .map(|((part, path), file)| FileInfo {
            part,
            path: path.clone(),
            sha256: file.sha256.clone(),
            verified: file.sha256 == dataset.sha256[part as usize],
        })
        .collect();
    if verify && let Some(wrong) = files.iter().find(|f| !f.verified) {
        return Err(match identified {
            Some(other) if other.name != dataset.name => DataError::OtherDataset {
                dir: dir.to_path_buf(),
                found: other.title.to_string(),
                found_name: other.name.to_string(),
                expected: dataset.title.to_string(),
            },
            _ => DataError::Checksum {
                path: wrong.path.clone(),
                dataset: dataset.title.to_string(),
                expected: dataset.sha256[wrong.part as usize].to_string(),
                found: wrong.sha256.clone(),
            },
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
        identified,
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

/// Where to look for a dataset, in order.
#[derive(Debug, Clone)]
pub struct Sources {
    /// The dataset asked for.
    pub dataset: &'static DatasetSpec,
    /// The datasets files are recognised as (to say "these are Fashion-MNIST's files").
    pub known: Vec<&'static DatasetSpec>,
    /// `--data-dir`: explicit, never falls through.
    pub data_dir: Option<PathBuf>,
    /// The dataset's environment variable (e.g. `MNIST_DIR`): explicit, never falls through.
    pub env_dir: Option<PathBuf>,
    /// The copy bundled with this crate.
    pub bundled: Option<PathBuf>,
    /// The dataset's folder in the per-user cache, also where downloads go.
    pub cache: Option<PathBuf>,
    /// Mirror base URLs, tried in turn for each file.
    pub mirrors: Vec<String>,
    /// Whether local files must match the published checksums (downloads always must).
    pub verify: bool,
    /// How long a mirror may send nothing before it is given up for the next
    /// (`MNIST_DOWNLOAD_TIMEOUT`, in seconds; default [`DEFAULT_STALL_TIMEOUT`]).
    pub stall_timeout: Duration,
}

/// How long a mirror may send nothing, unless `MNIST_DOWNLOAD_TIMEOUT` says otherwise.
pub const DEFAULT_STALL_TIMEOUT: Duration = Duration::from_secs(30);

impl Sources {
    /// The standard search for `dataset`: `data_dir` from the command line, then the dataset's
    /// environment variable, the bundled copy (if the dataset has one), the cache
    /// (`$MNIST_CACHE_DIR/<dataset>` or the platform cache folder's `mnist-compare/<dataset>`)
    /// and the mirrors (`MNIST_MIRRORS`, comma-separated, or the dataset's own), each given up
    /// after `MNIST_DOWNLOAD_TIMEOUT` seconds without data (an error if it is not a number).
    pub fn standard(
        dataset: &'static DatasetSpec,
        data_dir: Option<PathBuf>,
        verify: bool,
    ) -> Result<Self, DataError> {
        let env_path = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        };
        let mirrors = std::env::var("MNIST_MIRRORS")
            .ok()
            .filter(|m| !m.trim().is_empty())
            .map(|m| m.split(',').map(|s| s.trim().to_string()).collect())
            .unwrap_or_else(|| dataset.mirrors.iter().map(|m| m.to_string()).collect());
        let stall_timeout = match std::env::var_os("MNIST_DOWNLOAD_TIMEOUT") {
            Some(v) if !v.is_empty() => v
                .to_str()
                .unwrap_or_default()
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| {
                    DataError::Invalid(format!(
                        "MNIST_DOWNLOAD_TIMEOUT={v:?}: expected the seconds a mirror may send \
                         nothing before the next is tried, e.g. 60"
                    ))
                })?,
            _ => DEFAULT_STALL_TIMEOUT,
        };
        Ok(Self {
            dataset,
            known: KNOWN.to_vec(),
            data_dir,
            env_dir: env_path(dataset.dir_env),
            bundled: dataset.bundled.then(bundled_dir),
            cache: env_path("MNIST_CACHE_DIR")
                .or_else(|| dirs::cache_dir().map(|d| d.join("mnist-compare")))
                .map(|root| root.join(dataset.name)),
            mirrors,
            verify,
            stall_timeout,
        })
    }

    /// Finds and loads the dataset; `note` hears about places that were skipped and downloads.
    pub fn load(&self, note: &mut dyn FnMut(&str)) -> Result<Mnist, DataError> {
        let load = |dir: &Path, origin: Origin| {
            load_dir(dir, self.dataset, self.verify, &self.known, origin)
        };
        let var = self.dataset.dir_env;
        for (dir, flag) in [(&self.data_dir, "--data-dir"), (&self.env_dir, var)] {
            if let Some(dir) = dir {
                if !dir.is_dir() {
                    return Err(DataError::MissingDir {
                        origin: flag.to_string(),
                        path: dir.clone(),
                        dataset: self.dataset.title.to_string(),
                    });
                }
                let origin = if flag == var {
                    Origin::EnvDir {
                        var: var.to_string(),
                        dir: dir.clone(),
                    }
                } else {
                    Origin::DataDir(dir.clone())
                };
                return load(dir, origin);
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
            match load(dir, origin(dir.clone())) {
                Ok(mnist) => return Ok(mnist),
                Err(e) => {
                    if dir.is_dir() && !matches!(e, DataError::MissingFile { .. }) {
                        note(&format!("skipping the {what}: {e}"));
                    }
                    tried.push(format!("{what} {}: {e}", dir.display()));
                }
            }
        }
        let not_found = |tried| DataError::NotFound {
            dataset: self.dataset.title.to_string(),
            env: self.dataset.dir_env.to_string(),
            tried,
        };

        let Some(cache) = &self.cache else {
            tried.push(
                "download: no user cache directory to download into (set MNIST_CACHE_DIR)".into(),
            );
            return Err(not_found(tried));
        };
        match crate::download::download(self, cache, note) {
            Ok(urls) => load(
                cache,
                Origin::Downloaded {
                    dir: cache.clone(),
                    urls,
                },
            ),
            Err(crate::download::Failed::Mirrors(mut failures)) => {
                tried.append(&mut failures);
                Err(not_found(tried))
            }
            Err(crate::download::Failed::Cache(e)) => Err(e),
        }
    }
}

/// The `data/` folder shipped with this crate.
pub fn bundled_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}
