//! Running one command for a step: under a guardian (see [`crate::guard`])
//! that keeps every process it starts in one tree, input on stdin, output
//! collected from stdout and stderr, the whole tree stopped on timeout or
//! cancel.
//!
//! The calling thread does everything with `poll(2)` on the pipes and the
//! guardian's report pipe: a step costs two forks, one exec and no helper
//! threads. The deadline holds whatever the command's descendants do with
//! its pipes: at the deadline the tree is stopped and the attempt ends.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::Path;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use crate::guard::{self, CommandSpec, Guarded, Report};

/// How often a running step checks for cancellation.
const CANCEL_TICK: Duration = Duration::from_millis(25);
/// How long a process tree gets between SIGTERM and SIGKILL.
pub const TERMINATE_GRACE: Duration = Duration::from_millis(300);
/// How long to wait for the guardian's report after asking it to stop,
/// beyond the grace period, before killing it outright.
const REPORT_WAIT: Duration = Duration::from_secs(3);
/// Stdout beyond this is an error (a step's outputs are JSON, not bulk data).
const STDOUT_LIMIT: usize = 16 * 1024 * 1024;
/// How much of stderr is kept (its end, where errors are).
const STDERR_KEEP: usize = 64 * 1024;

pub struct ProcessSpec<'a> {
    pub argv: &'a [String],
    pub cwd: &'a Path,
    /// The process's whole environment (see `run::environment`): nothing
    /// of qwf's own, which holds the provider keys, leaks in.
    pub env: &'a [(String, String)],
    pub stdin: &'a [u8],
    pub deadline: Option<Instant>,
}

#[derive(Debug)]
pub enum ProcessEnd {
    Exited {
        status: ExitStatus,
        stdout: Vec<u8>,
        stderr: Vec<u8>,
        stdout_overflow: bool,
    },
    TimedOut {
        stderr: Vec<u8>,
    },
    Cancelled,
    SpawnFailed(std::io::Error),
}

pub fn run(spec: &ProcessSpec<'_>, is_cancelled: &dyn Fn() -> bool) -> ProcessEnd {
    let command = CommandSpec {
        argv: spec.argv,
        cwd: Some(spec.cwd),
        env: spec.env,
        env_remove: &[],
        clear_env: true,
        grace: TERMINATE_GRACE,
    };
    let mut guarded = match guard::spawn(&command) {
        Ok(guarded) => guarded,
        Err(error) => return ProcessEnd::SpawnFailed(error),
    };
    let end = collect(&mut guarded, spec.stdin, spec.deadline, is_cancelled);
    guarded.reap();
    end
}

fn set_nonblocking(fd: RawFd) {
    // SAFETY: fcntl(2) flag changes on an fd we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

/// A pipe end being read to its end.
struct Reader {
    file: Option<std::fs::File>,
}

impl Reader {
    fn new(fd: Option<OwnedFd>) -> Reader {
        if let Some(fd) = &fd {
            set_nonblocking(fd.as_raw_fd());
        }
        Reader {
            file: fd.map(std::fs::File::from),
        }
    }

    fn fd(&self) -> Option<RawFd> {
        self.file.as_ref().map(AsRawFd::as_raw_fd)
    }

    /// Reads what is there; `None` at the end (or on an error).
    fn read(&mut self, buffer: &mut [u8]) -> Option<usize> {
        let file = self.file.as_mut()?;
        match file.read(buffer) {
            Ok(0) => {
                self.file = None;
                None
            }
            Ok(count) => Some(count),
            Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => Some(0),
            Err(error) if error.kind() == std::io::ErrorKind::Interrupted => Some(0),
            Err(_) => {
                self.file = None;
                None
            }
        }
    }
}

fn poll(fds: &mut [libc::pollfd], wait: Duration) -> i32 {
    let millis = if wait.is_zero() {
        0
    } else {
        wait.as_millis().clamp(1, i32::MAX as u128) as i32
    };
    // SAFETY: `fds` is a valid array of pollfd for the duration of the call.
    unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, millis) }
}

fn collect(
    guarded: &mut Guarded,
    input: &[u8],
    deadline: Option<Instant>,
    is_cancelled: &dyn Fn() -> bool,
) -> ProcessEnd {
    let mut stdout_pipe = Reader::new(guarded.stdout.take());
    let mut stderr_pipe = Reader::new(guarded.stderr.take());
    let mut stdin_pipe = guarded.stdin.take().map(std::fs::File::from);
    if let Some(pipe) = &stdin_pipe {
        // Written as the command reads it, between reads of its output.
        set_nonblocking(pipe.as_raw_fd());
    }
    let mut written = 0usize;
    if input.is_empty() {
        stdin_pipe = None;
    }
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut stdout_overflow = false;
    let mut report_bytes = Vec::new();
    let reports_fd = guarded.reports.as_raw_fd();
    set_nonblocking(reports_fd);
    let mut buffer = vec![0u8; 64 * 1024];
    let status = loop {
        if let Some(report) = Report::parse(&report_bytes) {
            match report {
                Report::SpawnFailed(error) => return ProcessEnd::SpawnFailed(error),
                // The tree is gone; what it wrote is in the pipes.
                Report::Exited(status) => break status,
            }
        }
        let mut wait = CANCEL_TICK;
        if let Some(deadline) = deadline {
            wait = wait.min(deadline.saturating_duration_since(Instant::now()));
        }
        let mut fds = Vec::with_capacity(4);
        fds.push(libc::pollfd {
            fd: reports_fd,
            events: libc::POLLIN,
            revents: 0,
        });
        for fd in [stdout_pipe.fd(), stderr_pipe.fd()].into_iter().flatten() {
            fds.push(libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        if let Some(pipe) = &stdin_pipe {
            fds.push(libc::pollfd {
                fd: pipe.as_raw_fd(),
                events: libc::POLLOUT,
                revents: 0,
            });
        }
        let ready = poll(&mut fds, wait);
        if is_cancelled() {
            stop(guarded, reports_fd, &mut report_bytes);
            return ProcessEnd::Cancelled;
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) {
            stop(guarded, reports_fd, &mut report_bytes);
            return ProcessEnd::TimedOut { stderr };
        }
        if ready <= 0 {
            continue;
        }
        let readable = |fd: Option<RawFd>| {
            fd.is_some_and(|fd| fds.iter().any(|entry| entry.fd == fd && entry.revents != 0))
        };
        if readable(stdout_pipe.fd())
            && let Some(count) = stdout_pipe.read(&mut buffer)
        {
            if stdout.len() + count > STDOUT_LIMIT {
                stdout_overflow = true;
            } else {
                stdout.extend_from_slice(&buffer[..count]);
            }
        }
        if readable(stderr_pipe.fd())
            && let Some(count) = stderr_pipe.read(&mut buffer)
        {
            keep_stderr(&mut stderr, &buffer[..count]);
        }
        if readable(stdin_pipe.as_ref().map(AsRawFd::as_raw_fd))
            && let Some(pipe) = &mut stdin_pipe
        {
            match pipe.write(&input[written..]) {
                Ok(count) => written += count,
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => {}
                // A command that stops reading its input is fine (EPIPE).
                Err(_) => written = input.len(),
            }
            if written >= input.len() {
                stdin_pipe = None;
            }
        }
        if readable(Some(reports_fd)) {
            read_report(reports_fd, &mut report_bytes);
        }
    };
    drop(stdin_pipe);
    // Every writer is gone: read to the end (bounded, in case a pipe was
    // handed to a process outside the tree).
    let until = Instant::now() + Duration::from_secs(1);
    while (stdout_pipe.fd().is_some() || stderr_pipe.fd().is_some()) && Instant::now() < until {
        let mut fds: Vec<libc::pollfd> = [stdout_pipe.fd(), stderr_pipe.fd()]
            .into_iter()
            .flatten()
            .map(|fd| libc::pollfd {
                fd,
                events: libc::POLLIN,
                revents: 0,
            })
            .collect();
        if poll(&mut fds, Duration::from_millis(50)) <= 0 {
            continue;
        }
        if let Some(count) = stdout_pipe.read(&mut buffer) {
            if stdout.len() + count > STDOUT_LIMIT {
                stdout_overflow = true;
            } else {
                stdout.extend_from_slice(&buffer[..count]);
            }
        }
        if let Some(count) = stderr_pipe.read(&mut buffer) {
            keep_stderr(&mut stderr, &buffer[..count]);
        }
    }
    ProcessEnd::Exited {
        status,
        stdout,
        stderr,
        stdout_overflow,
    }
}

fn keep_stderr(stderr: &mut Vec<u8>, chunk: &[u8]) {
    stderr.extend_from_slice(chunk);
    if stderr.len() > 2 * STDERR_KEEP {
        stderr.drain(..stderr.len() - STDERR_KEEP);
    }
}

fn read_report(fd: RawFd, into: &mut Vec<u8>) {
    let mut chunk = [0u8; 16];
    // SAFETY: read(2) into a stack buffer from the (non-blocking) report pipe.
    let read = unsafe { libc::read(fd, chunk.as_mut_ptr().cast(), chunk.len()) };
    if read > 0 {
        into.extend_from_slice(&chunk[..read as usize]);
    }
}

/// Asks the guardian to stop the tree and waits (bounded) until it says
/// everything is gone; kills the guardian if it does not answer.
fn stop(guarded: &Guarded, reports_fd: RawFd, report_bytes: &mut Vec<u8>) {
    guarded.terminate();
    let until = Instant::now() + TERMINATE_GRACE + REPORT_WAIT;
    while Report::parse(report_bytes).is_none() {
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            guarded.kill();
            return;
        }
        let mut fds = [libc::pollfd {
            fd: reports_fd,
            events: libc::POLLIN,
            revents: 0,
        }];
        if poll(&mut fds, left.min(Duration::from_millis(100))) > 0 {
            let before = report_bytes.len();
            read_report(reports_fd, report_bytes);
            if report_bytes.len() == before && fds[0].revents & libc::POLLHUP != 0 {
                // The guardian is gone without a word.
                return;
            }
        }
    }
}
