//! Running a Python twin as a child process that can be stopped: its output drained while it
//! runs, killed and waited for when the user presses Ctrl-C or when it runs past a time limit.

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::progress::interrupted;

/// How a child ended.
pub enum Ended {
    /// It exited by itself (with any status).
    Exited {
        /// Its exit status.
        status: ExitStatus,
        /// Everything it wrote to stdout.
        stdout: String,
        /// Everything it wrote to stderr.
        stderr: String,
    },
    /// The user pressed Ctrl-C: it was killed and waited for.
    Interrupted,
    /// It ran past `limit`: it was killed and waited for.
    TimedOut,
}

/// How often the child is checked on.
const POLL: Duration = Duration::from_millis(50);

/// Runs `cmd` to its end, or kills it after `limit` or at Ctrl-C; never leaves it running.
pub fn run(mut cmd: Command, limit: Duration) -> std::io::Result<Ended> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Drained on threads so that a chatty child cannot fill a pipe and stall.
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());
    let started = Instant::now();
    let stop = loop {
        if let Some(status) = child.try_wait()? {
            let text = |h: thread::JoinHandle<String>| h.join().unwrap_or_default();
            return Ok(Ended::Exited {
                status,
                stdout: text(stdout),
                stderr: text(stderr),
            });
        }
        if interrupted() {
            break Ended::Interrupted;
        }
        if started.elapsed() > limit {
            break Ended::TimedOut;
        }
        thread::sleep(POLL);
    };
    kill_and_wait(&mut child);
    Ok(stop)
}

fn kill_and_wait(child: &mut Child) {
    // It may have exited between the last check and now: both calls then fail harmlessly.
    let _ = child.kill();
    let _ = child.wait();
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut pipe) = pipe {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            text = String::from_utf8_lossy(&bytes).into_owned();
        }
        text
    })
}
