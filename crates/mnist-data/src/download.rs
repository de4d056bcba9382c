//! Downloading a dataset's four files from its mirrors into the cache: each file from the first
//! mirror that serves it whole and verified, every failure one line naming the mirror and what to
//! do, nothing partial ever left in the cache.

use std::io::Read as _;
use std::path::Path;
use std::time::Duration;

use crate::error::DataError;
use crate::idx::parse_idx;
use crate::source::{Part, Sources};

/// Why a download did not happen.
#[derive(Debug)]
pub(crate) enum Failed {
    /// No mirror served a file: one line per mirror tried.
    Mirrors(Vec<String>),
    /// A file came, but the cache could not hold it.
    Cache(DataError),
}

impl Failed {
    fn cache(path: &Path, error: std::io::Error) -> Self {
        Self::Cache(DataError::Cache {
            path: path.to_path_buf(),
            error,
        })
    }
}

/// Downloads the four files into `cache`, verifying each before an atomic rename into place,
/// each from the first mirror that serves it whole. Returns the URL each file came from.
pub(crate) fn download(
    sources: &Sources,
    cache: &Path,
    note: &mut dyn FnMut(&str),
) -> Result<Vec<String>, Failed> {
    if sources.mirrors.is_empty() {
        return Err(Failed::Mirrors(vec![
            "download: no mirrors configured (set MNIST_MIRRORS)".into(),
        ]));
    }
    std::fs::create_dir_all(cache).map_err(|e| Failed::cache(cache, e))?;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(15)))
        // A stall, not a slow link, is what gives a mirror up: the limit is per read, with an
        // overall bound for a mirror that trickles.
        .timeout_per_read(Some(sources.stall_timeout))
        .timeout_global(Some(WHOLE_FILE))
        .build()
        .into();
    let mut urls = Vec::new();
    for part in Part::ALL {
        let name = format!("{}.gz", sources.dataset.file(part));
        let target = cache.join(&name);
        let mut failures = Vec::new();
        let mut fetched = None;
        for mirror in &sources.mirrors {
            let url = format!("{}/{name}", mirror.trim_end_matches('/'));
            note(&format!("downloading {url}"));
            let fetched_part = fetch_verified(
                &agent,
                &url,
                part,
                sources.dataset.sha256[part as usize],
                sources.stall_timeout,
            );
            match fetched_part {
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
            return Err(Failed::Mirrors(failures));
        };
        safe_write::write_file(&target, &bytes).map_err(|e| Failed::cache(&target, e.into_io()))?;
        urls.push(url);
    }
    Ok(urls)
}

/// The longest one file may take, however steadily it trickles in (the largest, Fashion-MNIST's
/// training images, is 26 MB: 15 KB/s).
const WHOLE_FILE: Duration = Duration::from_secs(30 * 60);

/// No dataset file is near this size; a mirror sending more is not sending one.
const MAX_DOWNLOAD_BYTES: u64 = 64 << 20;

const ANOTHER_MIRROR: &str = "name another mirror in MNIST_MIRRORS";

/// Fetches `url` whole, checks it is the IDX file `part` with checksum `sha256`, and returns its
/// bytes; a mirror silent for `stall` is given up.
fn fetch_verified(
    agent: &ureq::Agent,
    url: &str,
    part: Part,
    sha256: &str,
    stall: Duration,
) -> Result<Vec<u8>, DataError> {
    let fail = |reason: String| DataError::Download {
        url: url.to_string(),
        reason,
    };
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| fail(transport(e, stall)))?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let kind = header("content-type").unwrap_or_default();
    if kind.starts_with("text/html") {
        return Err(fail(web_page("text/html")));
    }
    let length: Option<u64> = header("content-length").and_then(|v| v.trim().parse().ok());
    let mut reader = response
        .body_mut()
        .with_config()
        .limit(MAX_DOWNLOAD_BYTES)
        .reader();
    let mut bytes = Vec::new();
    let mut buffer = vec![0u8; 1 << 16];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => bytes.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                let e = ureq::Error::from(e);
                let over = bytes.len() as u64 + buffer.len() as u64 > MAX_DOWNLOAD_BYTES;
                return Err(fail(match (&e, length) {
                    (ureq::Error::Timeout(_), _) => transport(e, stall),
                    _ if over => format!(
                        "sent more than {} MiB, more than any dataset file: {ANOTHER_MIRROR}",
                        MAX_DOWNLOAD_BYTES >> 20
                    ),
                    (ureq::Error::Io(_), Some(len)) => closed(bytes.len(), len),
                    _ => transport(e, stall),
                }));
            }
        }
    }
    if let Some(len) = length.filter(|&len| (bytes.len() as u64) < len) {
        return Err(fail(closed(bytes.len(), len)));
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'<') {
        return Err(fail(web_page("HTML")));
    }
    let file = parse_idx(&bytes, part.kind())
        .map_err(|p| fail(format!("{p}: not the dataset's file; {ANOTHER_MIRROR}")))?;
    if file.sha256 != sha256 {
        return Err(fail(format!(
            "SHA-256 of the decoded bytes is {}, expected {sha256} (corrupt download); try \
             again, or {ANOTHER_MIRROR}",
            file.sha256
        )));
    }
    Ok(bytes)
}

/// What went wrong talking to a mirror, and what to do.
fn transport(e: ureq::Error, stall: Duration) -> String {
    match e {
        ureq::Error::Timeout(ureq::Timeout::Global) => format!(
            "still unfinished after {} min, so it was given up (a mirror this slow is unusable); \
             {ANOTHER_MIRROR}",
            WHOLE_FILE.as_secs() / 60
        ),
        ureq::Error::Timeout(_) => format!(
            "sent nothing for {} s, so it was given up (a stalled mirror); set \
             MNIST_DOWNLOAD_TIMEOUT=SECONDS to wait longer on a slow link",
            seconds(stall)
        ),
        ureq::Error::StatusCode(code) => format!("HTTP status {code}; {ANOTHER_MIRROR}"),
        other => format!("{other}; try again, or {ANOTHER_MIRROR}"),
    }
}

fn closed(got: usize, len: u64) -> String {
    format!("the connection closed after {got} of {len} bytes; try again, or {ANOTHER_MIRROR}")
}

fn web_page(kind: &str) -> String {
    format!(
        "served a web page ({kind}), not the file: the mirror has moved it or is down; \
         {ANOTHER_MIRROR}"
    )
}

/// `1` for one second, `0.5` for half of one.
fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0}")
    } else {
        format!("{s}")
    }
}
