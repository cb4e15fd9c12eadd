//! Running one command for a step: its own process group, input on stdin,
//! output collected from stdout and stderr, stopped whole on timeout or
//! cancel.
//!
//! One thread per step does everything with `poll(2)` on the two pipes and
//! (on Linux) a pidfd that becomes readable when the process exits, so a
//! step costs one fork/exec and no helper threads. When the command exits,
//! whatever it left running in its group is killed too: a step's
//! background processes would otherwise hold its pipes open and outlive the
//! run.

use std::io::{Read, Write};
use std::os::fd::{AsRawFd, RawFd};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// How often a running step checks for cancellation.
const CANCEL_TICK: Duration = Duration::from_millis(25);
/// How long a process group gets between SIGTERM and SIGKILL.
const TERMINATE_GRACE: Duration = Duration::from_millis(300);
/// Stdout beyond this is an error (a step's outputs are JSON, not bulk data).
const STDOUT_LIMIT: usize = 16 * 1024 * 1024;
/// How much of stderr is kept (its end, where errors are).
const STDERR_KEEP: usize = 64 * 1024;
/// Input up to this size is written before waiting (it fits a pipe buffer).
const STDIN_INLINE: usize = 16 * 1024;

pub struct ProcessSpec<'a> {
    pub argv: &'a [String],
    pub cwd: &'a Path,
    /// The process's whole environment.
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

/// Sends `signal` to every process of the group `pgid`.
fn signal_group(pgid: i32, signal: i32) {
    // SAFETY: kill(2) with a negative pid addresses a process group; it has
    // no memory effects. A group that is already gone gives ESRCH.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

#[cfg(target_os = "linux")]
fn open_pidfd(pid: i32) -> Option<RawFd> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    (fd >= 0).then_some(fd as RawFd)
}

#[cfg(not(target_os = "linux"))]
fn open_pidfd(_pid: i32) -> Option<RawFd> {
    None
}

fn close_fd(fd: RawFd) {
    // SAFETY: closes an fd this module opened and owns.
    unsafe {
        libc::close(fd);
    }
}

/// Stops the whole group: SIGTERM, a short grace for the leader to exit,
/// then SIGKILL for everything left.
fn stop_group(child: &mut Child, pgid: i32) {
    signal_group(pgid, libc::SIGTERM);
    let until = Instant::now() + TERMINATE_GRACE;
    while Instant::now() < until {
        if let Ok(Some(_)) = child.try_wait() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    signal_group(pgid, libc::SIGKILL);
    let _ = child.wait();
}

pub fn run(spec: &ProcessSpec<'_>, is_cancelled: &dyn Fn() -> bool) -> ProcessEnd {
    let Some((program, arguments)) = spec.argv.split_first() else {
        return ProcessEnd::SpawnFailed(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the command is empty",
        ));
    };
    let mut command = Command::new(program);
    command
        .args(arguments)
        .current_dir(spec.cwd)
        // `spec.env` is the whole environment (run::environment builds it):
        // nothing of qwf's own, which holds the provider keys, leaks in.
        .env_clear()
        .envs(spec.env.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(error) => return ProcessEnd::SpawnFailed(error),
    };
    let pgid = child.id() as i32;
    let mut writer = None;
    if let Some(mut stdin) = child.stdin.take() {
        if spec.stdin.len() <= STDIN_INLINE {
            // A command that never reads its input is fine (EPIPE ignored).
            let _ = stdin.write_all(spec.stdin);
        } else {
            let input = spec.stdin.to_vec();
            writer = Some(std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            }));
        }
    }
    let end = collect(&mut child, pgid, spec.deadline, is_cancelled);
    if let Some(writer) = writer {
        let _ = writer.join();
    }
    end
}

fn collect(
    child: &mut Child,
    pgid: i32,
    deadline: Option<Instant>,
    is_cancelled: &dyn Fn() -> bool,
) -> ProcessEnd {
    let mut stdout_pipe = child.stdout.take();
    let mut stderr_pipe = child.stderr.take();
    let pidfd = open_pidfd(pgid);
    let mut stdout = Vec::new();
    let mut stderr = Vec::new();
    let mut stdout_overflow = false;
    let mut status: Option<ExitStatus> = None;
    let mut buffer = vec![0u8; 64 * 1024];
    let end = loop {
        if status.is_some() && stdout_pipe.is_none() && stderr_pipe.is_none() {
            break None;
        }
        let mut wait = CANCEL_TICK;
        if let Some(deadline) = deadline {
            wait = wait.min(deadline.saturating_duration_since(Instant::now()));
        }
        if status.is_none() && pidfd.is_none() {
            // Without a pidfd the exit is noticed by polling.
            wait = wait.min(Duration::from_millis(5));
        }
        let mut fds = Vec::with_capacity(3);
        for pipe in [
            stdout_pipe.as_ref().map(AsRawFd::as_raw_fd),
            stderr_pipe.as_ref().map(AsRawFd::as_raw_fd),
            pidfd.filter(|_| status.is_none()),
        ]
        .into_iter()
        .flatten()
        {
            fds.push(libc::pollfd {
                fd: pipe,
                events: libc::POLLIN,
                revents: 0,
            });
        }
        // SAFETY: `fds` is a valid array of pollfd for the duration of the call.
        let ready = unsafe {
            libc::poll(
                fds.as_mut_ptr(),
                fds.len() as libc::nfds_t,
                wait.as_millis().max(if wait.is_zero() { 0 } else { 1 }) as i32,
            )
        };
        if is_cancelled() {
            stop_group(child, pgid);
            break Some(ProcessEnd::Cancelled);
        }
        if deadline.is_some_and(|deadline| Instant::now() >= deadline) && status.is_none() {
            stop_group(child, pgid);
            break Some(ProcessEnd::TimedOut {
                stderr: std::mem::take(&mut stderr),
            });
        }
        if ready > 0 {
            let readable = |fd: RawFd| fds.iter().any(|entry| entry.fd == fd && entry.revents != 0);
            if let Some(pipe) = &mut stdout_pipe
                && readable(pipe.as_raw_fd())
            {
                match pipe.read(&mut buffer) {
                    Ok(0) | Err(_) => stdout_pipe = None,
                    Ok(count) => {
                        if stdout.len() + count > STDOUT_LIMIT {
                            stdout_overflow = true;
                        } else {
                            stdout.extend_from_slice(&buffer[..count]);
                        }
                    }
                }
            }
            if let Some(pipe) = &mut stderr_pipe
                && readable(pipe.as_raw_fd())
            {
                match pipe.read(&mut buffer) {
                    Ok(0) | Err(_) => stderr_pipe = None,
                    Ok(count) => {
                        stderr.extend_from_slice(&buffer[..count]);
                        if stderr.len() > 2 * STDERR_KEEP {
                            stderr.drain(..stderr.len() - STDERR_KEEP);
                        }
                    }
                }
            }
        }
        if status.is_none()
            && let Ok(Some(exited)) = child.try_wait()
        {
            status = Some(exited);
            // Whatever the command left behind would hold the pipes open.
            signal_group(pgid, libc::SIGKILL);
        }
    };
    if let Some(fd) = pidfd {
        close_fd(fd);
    }
    match end {
        Some(end) => end,
        None => ProcessEnd::Exited {
            status: status.unwrap_or_else(|| ExitStatus::from_raw(0)),
            stdout,
            stderr,
            stdout_overflow,
        },
    }
}
