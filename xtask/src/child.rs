//! Running a Python twin as a child process that can be stopped: in a process group of its own
//! (so that whatever it starts goes with it), its output drained while it runs, and its group
//! killed and the child waited for when it ends, when the user presses Ctrl-C, when it runs past
//! a time limit, or on any error or panic on the way (a guard does it on drop).

use std::io::Read;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
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

/// The process group of the twin running now (0: none), for the second Ctrl-C, which quits at
/// once ([`kill_running`]).
static RUNNING: AtomicU32 = AtomicU32::new(0);

/// A started child: on drop its whole process group is killed and the child waited for.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        kill_group(self.0.id());
        #[cfg(not(unix))]
        let _ = self.0.kill();
        // Reaps the child; an error means it was reaped already.
        let _ = self.0.wait();
        RUNNING.store(0, Ordering::SeqCst);
    }
}

/// Runs `cmd` to its end, or kills it after `limit` or at Ctrl-C; never leaves it, or anything it
/// started in its process group, running.
pub fn run(mut cmd: Command, limit: Duration) -> std::io::Result<Ended> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        // A group of its own: the terminal's Ctrl-C reaches xtask alone, which stops the twin.
        cmd.process_group(0);
    }
    let mut guard = Guard(cmd.spawn()?);
    RUNNING.store(guard.0.id(), Ordering::SeqCst);
    // Drained on threads so that a chatty child cannot fill a pipe and stall.
    let stdout = drain(guard.0.stdout.take());
    let stderr = drain(guard.0.stderr.take());
    let started = Instant::now();
    loop {
        if let Some(status) = guard.0.try_wait()? {
            // The group is killed before the pipes are read to their end, so that nothing it
            // started can hold them open.
            drop(guard);
            let text = |h: thread::JoinHandle<String>| h.join().unwrap_or_default();
            return Ok(Ended::Exited {
                status,
                stdout: text(stdout),
                stderr: text(stderr),
            });
        }
        if interrupted() {
            return Ok(Ended::Interrupted);
        }
        if started.elapsed() > limit {
            return Ok(Ended::TimedOut);
        }
        thread::sleep(POLL);
    }
}

/// Kills the twin running now, if any (the second Ctrl-C, before the process exits).
pub fn kill_running() {
    let group = RUNNING.swap(0, Ordering::SeqCst);
    if group != 0 {
        kill_group(group);
    }
}

/// Sends SIGKILL to process group `group` (the twin's pid, which leads its group); elsewhere than
/// unix, nothing (the guard's `wait` then waits for the child to end).
fn kill_group(group: u32) {
    #[cfg(unix)]
    {
        // `kill -KILL -- -PGID`: the whole group. It fails harmlessly once the group is gone.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{group}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    #[cfg(not(unix))]
    let _ = group;
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
