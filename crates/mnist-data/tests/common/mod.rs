//! A minimal HTTP/1.1 server on loopback for the download tests: each path answers as a mirror
//! might, well or badly.

// Each test file uses some of these helpers.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mnist_data::{Checksums, Part, Sources, synth};

/// How the server answers one path.
#[derive(Debug, Clone)]
pub enum Reply {
    /// 200 with the bytes.
    File(Vec<u8>),
    /// 200 with an HTML error page, as a captive portal or a moved site serves.
    Html,
    /// 200 with an HTML page declared as a binary file.
    HtmlAsBinary,
    /// 200 announcing the bytes' full length, then the first `cut` of them and a closed
    /// connection.
    Cut(Vec<u8>, usize),
    /// Accepts the request and sends nothing, holding the connection open.
    Silent,
    /// 200 and the first half of the bytes, then nothing, the connection held open.
    StallMidway(Vec<u8>),
}

/// The server: its base URL and every path requested.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// Paths requested, in order.
    pub requests: Arc<Mutex<Vec<String>>>,
}

/// Serves each of `files` whole (anything else: 404).
pub fn serve_files(files: HashMap<String, Vec<u8>>) -> Server {
    serve(
        files
            .into_iter()
            .map(|(path, bytes)| (path, Reply::File(bytes)))
            .collect(),
    )
}

/// How long a stalling reply holds its connection: longer than any test waits.
const HOLD: Duration = Duration::from_secs(120);

/// Serves `replies` by path (anything else: 404), each connection on its own thread.
pub fn serve(replies: HashMap<String, Reply>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&requests);
    let replies = Arc::new(replies);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let seen = Arc::clone(&seen);
            let replies = Arc::clone(&replies);
            std::thread::spawn(move || answer(stream, &replies, &seen));
        }
    });
    Server { base, requests }
}

fn answer(mut stream: TcpStream, replies: &HashMap<String, Reply>, seen: &Mutex<Vec<String>>) {
    let mut line = String::new();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    if reader.read_line(&mut line).is_err() {
        return;
    }
    // Drain the request headers.
    let mut header = String::new();
    while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
        header.clear();
    }
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    seen.lock().unwrap().push(path.clone());
    let head = |len: usize, kind: &str| {
        format!(
            "HTTP/1.1 200 OK\r\nContent-Type: {kind}\r\nContent-Length: {len}\r\nConnection: \
             close\r\n\r\n"
        )
        .into_bytes()
    };
    let binary = "application/octet-stream";
    let mut send = |bytes: &[u8]| {
        let _ = stream.write_all(bytes);
        let _ = stream.flush();
    };
    match replies.get(&path) {
        Some(Reply::File(body)) => {
            send(&head(body.len(), binary));
            send(body);
        }
        Some(Reply::Html) => {
            let page = b"<!DOCTYPE html>\n<html><body><h1>Site moved</h1></body></html>\n";
            send(&head(page.len(), "text/html; charset=utf-8"));
            send(page);
        }
        Some(Reply::HtmlAsBinary) => {
            let page = b"\n  <html><body>503 Service Unavailable</body></html>\n";
            send(&head(page.len(), binary));
            send(page);
        }
        Some(Reply::Cut(body, cut)) => {
            send(&head(body.len(), binary));
            send(&body[..*cut]);
        }
        Some(Reply::Silent) => std::thread::sleep(HOLD),
        Some(Reply::StallMidway(body)) => {
            send(&head(body.len(), binary));
            send(&body[..body.len() / 2]);
            std::thread::sleep(HOLD);
        }
        None => send(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"),
    }
}

/// A dataset's four files, synthetic, written into `dir`; returns their checksums.
pub fn fixture(dir: &Path, gzipped: bool) -> Checksums {
    mnist_data::write::write_dir(
        dir,
        &synth::separable(30, 1),
        &synth::separable(10, 2),
        gzipped,
    )
    .unwrap()
}

/// The four `.gz` files of `dir`, keyed by the path a mirror at `prefix` serves them under.
pub fn gz_files(dir: &Path, prefix: &str) -> HashMap<String, Vec<u8>> {
    Part::ALL
        .iter()
        .map(|p| {
            let name = format!("{}.gz", p.canonical_name());
            (
                format!("{prefix}/{name}"),
                std::fs::read(dir.join(&name)).unwrap(),
            )
        })
        .collect()
}

/// Sources of a synthetic dataset whose files have `checksums`, searching nowhere yet.
pub fn sources(checksums: &Checksums) -> Sources {
    let dataset = synth::spec("synthetic", checksums);
    Sources {
        dataset,
        known: vec![dataset],
        data_dir: None,
        env_dir: None,
        bundled: None,
        cache: None,
        mirrors: Vec::new(),
        verify: true,
        stall_timeout: Duration::from_secs(1),
    }
}
