//! Starting a command so that nothing it starts can outlive it: every
//! command runs under a *guardian*, a forked copy of qwf that is a child
//! subreaper (`PR_SET_CHILD_SUBREAPER`). Whatever the command starts stays
//! in the guardian's tree, even a process that calls `setsid` and whose
//! parent exits: it is re-parented to the guardian, not to init. When the
//! command exits, or qwf asks (timeout, Ctrl-C), or qwf itself dies (the
//! guardian's parent-death signal), the guardian stops the whole tree:
//! SIGTERM, a grace period, then SIGKILL until no descendant is left. Only
//! then does it report how the command ended, so the command's pipes close
//! and a timeout holds whatever the descendants did with them.
//!
//! A guardian per command, rather than qwf itself as the subreaper, keeps
//! the processes of parallel steps apart: each tree is stopped on its own.
//!
//! Used by the runner (`run::process`) and the MCP probe. Linux only; on
//! other systems [`spawn`] starts the command in its own process group
//! (see [`Guarded::terminate`]) without the subreaper guarantee.
//!
//! The guardian is never exec'd: between `fork` and `_exit` it makes only
//! async-signal-safe system calls on memory prepared before the fork.

use std::io;
use std::os::fd::{FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

/// What to start.
pub struct CommandSpec<'a> {
    pub argv: &'a [String],
    /// The working directory; qwf's own when `None`.
    pub cwd: Option<&'a Path>,
    /// Variables set on top of qwf's environment (or, with `clear_env`,
    /// the whole environment).
    pub env: &'a [(String, String)],
    /// Variables removed from qwf's environment.
    pub env_remove: &'a [String],
    /// Start from an empty environment: nothing of qwf's own (which holds
    /// the provider keys) reaches the command.
    pub clear_env: bool,
    /// Between SIGTERM and SIGKILL when the tree is stopped on request.
    pub grace: Duration,
}

/// A started command: its pipes and the guardian that watches it.
#[derive(Debug)]
pub struct Guarded {
    /// The guardian's pid.
    pub pid: i32,
    pub stdin: Option<OwnedFd>,
    pub stdout: Option<OwnedFd>,
    pub stderr: Option<OwnedFd>,
    /// Readable when the guardian reports; see [`Report::parse`].
    pub reports: OwnedFd,
}

/// What the guardian says on its report pipe, once.
#[derive(Debug)]
pub enum Report {
    /// The command could not be started (exec failed, or fork did).
    SpawnFailed(io::Error),
    /// The command ended and every process it started is gone.
    Exited(ExitStatus),
}

const REPORT_LEN: usize = 5;
const TAG_SPAWN_FAILED: u8 = b'E';
const TAG_EXITED: u8 = b'X';

impl Report {
    /// Parses a complete report; `None` while fewer than five bytes came.
    pub fn parse(bytes: &[u8]) -> Option<Report> {
        if bytes.len() < REPORT_LEN {
            return None;
        }
        let value = i32::from_le_bytes([bytes[1], bytes[2], bytes[3], bytes[4]]);
        Some(match bytes[0] {
            TAG_SPAWN_FAILED => Report::SpawnFailed(io::Error::from_raw_os_error(value)),
            _ => Report::Exited(ExitStatus::from_raw(value)),
        })
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use std::ffi::{CString, OsStr, OsString};
    use std::os::fd::AsRawFd;
    use std::os::unix::ffi::OsStrExt;
    use std::path::PathBuf;

    fn cstring(bytes: &[u8]) -> io::Result<CString> {
        CString::new(bytes).map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                "an argument or environment value holds a NUL character",
            )
        })
    }

    /// The environment the command gets: qwf's, minus `remove`, plus `set`.
    fn environment(spec: &CommandSpec<'_>) -> Vec<(OsString, OsString)> {
        let inherited: Vec<(OsString, OsString)> = if spec.clear_env {
            Vec::new()
        } else {
            std::env::vars_os().collect()
        };
        let mut vars: Vec<(OsString, OsString)> = inherited
            .into_iter()
            .filter(|(name, _)| {
                !spec
                    .env_remove
                    .iter()
                    .any(|removed| OsStr::new(removed) == name)
                    && !spec.env.iter().any(|(set, _)| OsStr::new(set) == name)
            })
            .collect();
        vars.extend(
            spec.env
                .iter()
                .map(|(name, value)| (OsString::from(name), OsString::from(value))),
        );
        vars
    }

    /// The program to exec: a name with a `/` as it is (relative to the working
    /// directory), anything else looked up on the command's `PATH`.
    fn resolve_program(program: &str, path: Option<&OsStr>) -> io::Result<PathBuf> {
        if program.contains('/') {
            return Ok(PathBuf::from(program));
        }
        if program.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the command is empty",
            ));
        }
        let search = path.map_or_else(
            || OsString::from("/usr/local/bin:/usr/bin:/bin"),
            OsStr::to_os_string,
        );
        let mut denied = false;
        for directory in std::env::split_paths(&search) {
            let candidate = directory.join(program);
            let Ok(metadata) = std::fs::metadata(&candidate) else {
                continue;
            };
            if !metadata.is_file() {
                continue;
            }
            let Ok(text) = cstring(candidate.as_os_str().as_bytes()) else {
                continue;
            };
            // SAFETY: access(2) reads a NUL-terminated path.
            if unsafe { libc::access(text.as_ptr(), libc::X_OK) } == 0 {
                return Ok(candidate);
            }
            denied = true;
        }
        Err(if denied {
            io::Error::from(io::ErrorKind::PermissionDenied)
        } else {
            io::Error::from(io::ErrorKind::NotFound)
        })
    }

    fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
        let mut fds = [0 as RawFd; 2];
        // SAFETY: pipe2 fills two fds on success.
        if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both fds were just created and are owned here.
        Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
    }

    /// Starts `spec.argv` under a guardian (Linux) with three pipes.
    pub fn spawn(spec: &CommandSpec<'_>) -> io::Result<Guarded> {
        let Some(program) = spec.argv.first() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the command is empty",
            ));
        };
        let vars = environment(spec);
        let path_var = vars
            .iter()
            .find(|(name, _)| name == "PATH")
            .map(|(_, value)| value.as_os_str());
        let resolved = resolve_program(program, path_var)?;
        let program = cstring(resolved.as_os_str().as_bytes())?;
        let argv: Vec<CString> = spec
            .argv
            .iter()
            .map(|argument| cstring(argument.as_bytes()))
            .collect::<io::Result<_>>()?;
        let envp: Vec<CString> = vars
            .iter()
            .filter_map(|(name, value)| {
                let mut entry = name.as_bytes().to_vec();
                entry.push(b'=');
                entry.extend_from_slice(value.as_bytes());
                // A value holding a NUL cannot be passed; it is left out.
                CString::new(entry).ok()
            })
            .collect();
        let cwd = spec
            .cwd
            .map(|cwd| cstring(cwd.as_os_str().as_bytes()))
            .transpose()?;
        let mut argv_pointers: Vec<*const libc::c_char> =
            argv.iter().map(|argument| argument.as_ptr()).collect();
        argv_pointers.push(std::ptr::null());
        let mut envp_pointers: Vec<*const libc::c_char> =
            envp.iter().map(|entry| entry.as_ptr()).collect();
        envp_pointers.push(std::ptr::null());
        let (stdin_read, stdin_write) = pipe()?;
        let (stdout_read, stdout_write) = pipe()?;
        let (stderr_read, stderr_write) = pipe()?;
        let (reports_read, reports_write) = pipe()?;
        let prepared = Prepared {
            program: program.as_ptr(),
            argv: argv_pointers.as_ptr(),
            envp: envp_pointers.as_ptr(),
            cwd: cwd.as_ref().map_or(std::ptr::null(), |cwd| cwd.as_ptr()),
            stdin: stdin_read.as_raw_fd(),
            stdout: stdout_write.as_raw_fd(),
            stderr: stderr_write.as_raw_fd(),
            reports: reports_write.as_raw_fd(),
            grace_ns: i64::try_from(spec.grace.as_nanos()).unwrap_or(i64::MAX),
            // SAFETY: getpid has no preconditions.
            parent: unsafe { libc::getpid() },
        };
        // SAFETY: fork(2). The child runs only `guardian`, which makes
        // async-signal-safe calls on `prepared` (memory that stays valid in the
        // child's copy of the address space) and never returns.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(io::Error::last_os_error());
        }
        if pid == 0 {
            // SAFETY: see above; in the child, right after fork.
            unsafe { guardian(&prepared) }
        }
        drop((stdin_read, stdout_write, stderr_write, reports_write));
        Ok(Guarded {
            pid,
            stdin: Some(stdin_write),
            stdout: Some(stdout_read),
            stderr: Some(stderr_read),
            reports: reports_read,
        })
    }

    impl Guarded {
        /// Asks the guardian to stop the whole tree: SIGTERM to every process,
        /// then SIGKILL after the grace period. It reports when all are gone.
        pub fn terminate(&self) {
            // SAFETY: kill(2) on the guardian's pid, which is not reaped yet.
            unsafe {
                libc::kill(self.pid, libc::SIGTERM);
            }
        }

        /// The last resort when the guardian itself does not answer: SIGKILL
        /// to it (its tree then belongs to init).
        pub fn kill(&self) {
            // SAFETY: kill(2) on our own unreaped child.
            unsafe {
                libc::kill(self.pid, libc::SIGKILL);
            }
        }

        /// Reaps the guardian (it exits right after reporting).
        pub fn reap(&self) {
            let mut status = 0;
            // SAFETY: waitpid(2) on our own child.
            unsafe {
                libc::waitpid(self.pid, &mut status, 0);
            }
        }

        /// Reaps the guardian if it has exited; true when it was reaped.
        pub fn try_reap(&self) -> bool {
            let mut status = 0;
            // SAFETY: waitpid(2) on our own child, without blocking.
            unsafe { libc::waitpid(self.pid, &mut status, libc::WNOHANG) == self.pid }
        }
    }

    /// Makes this process receive SIGTERM when its parent dies (a `qwf step`
    /// whose orchestrator is killed stops its attempt).
    pub fn stop_with_parent() {
        // SAFETY: prctl(2) with an integer argument; getppid has no
        // preconditions.
        unsafe {
            let parent = libc::getppid();
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
            // The parent may have died before the call.
            if libc::getppid() != parent {
                libc::raise(libc::SIGTERM);
            }
        }
    }

    /// Everything the guardian needs, prepared before the fork.
    struct Prepared {
        program: *const libc::c_char,
        argv: *const *const libc::c_char,
        envp: *const *const libc::c_char,
        cwd: *const libc::c_char,
        stdin: RawFd,
        stdout: RawFd,
        stderr: RawFd,
        reports: RawFd,
        grace_ns: i64,
        parent: libc::pid_t,
    }

    /// The fd the guardian keeps its report pipe on.
    const REPORTS_FD: RawFd = 3;

    /// The guardian: start the command, reap everything, stop the tree when
    /// asked or when the command exits, report, exit.
    ///
    /// # Safety
    /// Only in the child right after `fork`, with `prepared` valid.
    unsafe fn guardian(prepared: &Prepared) -> ! {
        unsafe {
            // The command's stdio become the guardian's 0/1/2 (so the command
            // inherits them), the report pipe fd 3, and every other fd qwf had
            // open (other steps' pipes among them) is closed, so this process
            // holds nothing that another step waits on.
            let moves = [
                (prepared.stdin, 0),
                (prepared.stdout, 1),
                (prepared.stderr, 2),
                (prepared.reports, REPORTS_FD),
            ];
            // Move sources out of the way of the targets first.
            let mut sources = [0 as RawFd; 4];
            for (index, (source, _)) in moves.iter().enumerate() {
                sources[index] = libc::fcntl(*source, libc::F_DUPFD_CLOEXEC, 10);
                if sources[index] < 0 {
                    libc::_exit(120);
                }
            }
            for (index, (_, target)) in moves.iter().enumerate() {
                if libc::dup2(sources[index], *target) < 0 {
                    libc::_exit(120);
                }
            }
            close_from(REPORTS_FD + 1);
            // A group of its own, so qwf's terminal Ctrl-C reaches qwf alone
            // (qwf decides what a Ctrl-C stops).
            libc::setpgid(0, 0);
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
            // qwf dying (even by SIGKILL) stops the tree too.
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
            let mut signals: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut signals);
            for signal in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGCHLD] {
                libc::sigaddset(&mut signals, signal);
            }
            let mut previous: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, &signals, &mut previous);
            let signal_fd = libc::signalfd(-1, &signals, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK);
            if signal_fd < 0 {
                libc::_exit(121);
            }
            let mut terminating = libc::getppid() != prepared.parent;
            let (exec_read, exec_write) = {
                let mut fds = [0 as RawFd; 2];
                if libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) != 0 {
                    report(TAG_SPAWN_FAILED, errno());
                    libc::_exit(0);
                }
                (fds[0], fds[1])
            };
            let command = libc::fork();
            if command < 0 {
                report(TAG_SPAWN_FAILED, errno());
                libc::_exit(0);
            }
            if command == 0 {
                // The command: default signals, then exec.
                let mut empty: libc::sigset_t = std::mem::zeroed();
                libc::sigemptyset(&mut empty);
                libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
                libc::signal(libc::SIGPIPE, libc::SIG_DFL);
                // Its own group, which the guardian signals as a whole.
                libc::setpgid(0, 0);
                libc::close(REPORTS_FD);
                if !prepared.cwd.is_null() && libc::chdir(prepared.cwd) != 0 {
                    exec_failed(exec_write);
                }
                libc::execve(prepared.program, prepared.argv, prepared.envp);
                exec_failed(exec_write);
            }
            libc::close(exec_write);
            // The guardian holds none of the command's stdio.
            for fd in 0..3 {
                libc::close(fd);
            }
            let mut code = [0u8; 4];
            let read = read_full(exec_read, &mut code);
            libc::close(exec_read);
            let mut spawn_error = (read == 4).then(|| i32::from_le_bytes(code));

            let mut command_status: Option<i32> = None;
            let mut kill_at: Option<i64> = None;
            let mut killing = false;
            if terminating {
                stop_tree(libc::SIGTERM, command);
                kill_at = Some(now_ns().saturating_add(prepared.grace_ns));
            }
            loop {
                // Reap whatever exited.
                loop {
                    let mut status = 0;
                    let reaped = libc::waitpid(-1, &mut status, libc::WNOHANG);
                    if reaped <= 0 {
                        break;
                    }
                    if reaped == command {
                        command_status = Some(status);
                        // Whatever it left behind would hold its pipes open.
                        killing = true;
                    }
                }
                if kill_at.is_some_and(|at| now_ns() >= at) {
                    killing = true;
                }
                if killing {
                    stop_tree(libc::SIGKILL, command);
                }
                if command_status.is_some() && !has_children() {
                    break;
                }
                let mut poll = libc::pollfd {
                    fd: signal_fd,
                    events: libc::POLLIN,
                    revents: 0,
                };
                let timeout_ms = if killing {
                    // Re-parented grandchildren send no SIGCHLD: look again soon.
                    5
                } else if let Some(at) = kill_at {
                    ((at - now_ns()).max(0) / 1_000_000 + 1).min(i64::from(i32::MAX)) as i32
                } else {
                    -1
                };
                libc::poll(&mut poll, 1, timeout_ms);
                let mut info: libc::signalfd_siginfo = std::mem::zeroed();
                let size = std::mem::size_of::<libc::signalfd_siginfo>();
                while libc::read(signal_fd, (&raw mut info).cast(), size) == size as isize {
                    if info.ssi_signo != libc::SIGCHLD as u32 && !terminating {
                        terminating = true;
                        stop_tree(libc::SIGTERM, command);
                        kill_at = Some(now_ns().saturating_add(prepared.grace_ns));
                    }
                }
            }
            match spawn_error.take() {
                Some(code) => report(TAG_SPAWN_FAILED, code),
                None => report(TAG_EXITED, command_status.unwrap_or(0)),
            }
            libc::_exit(0)
        }
    }

    fn errno() -> i32 {
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO)
    }

    /// In the command's child: tell the guardian why exec failed, and exit.
    unsafe fn exec_failed(exec_write: RawFd) -> ! {
        let code = errno().to_le_bytes();
        unsafe {
            libc::write(exec_write, code.as_ptr().cast(), code.len());
            libc::_exit(127)
        }
    }

    fn report(tag: u8, value: i32) {
        let mut message = [0u8; REPORT_LEN];
        message[0] = tag;
        message[1..].copy_from_slice(&value.to_le_bytes());
        // SAFETY: write(2) of a stack buffer to the report pipe.
        unsafe {
            libc::write(REPORTS_FD, message.as_ptr().cast(), message.len());
        }
    }

    fn read_full(fd: RawFd, buffer: &mut [u8]) -> usize {
        let mut filled = 0;
        while filled < buffer.len() {
            // SAFETY: read(2) into the unfilled part of `buffer`.
            let read = unsafe {
                libc::read(
                    fd,
                    buffer[filled..].as_mut_ptr().cast(),
                    buffer.len() - filled,
                )
            };
            if read > 0 {
                filled += read as usize;
            } else if read == 0 || errno() != libc::EINTR {
                break;
            }
        }
        filled
    }

    fn now_ns() -> i64 {
        let mut now = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime fills `now`.
        unsafe {
            libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now);
        }
        now.tv_sec
            .saturating_mul(1_000_000_000)
            .saturating_add(now.tv_nsec)
    }

    /// Whether the guardian has any child left, exited or not.
    fn has_children() -> bool {
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: waitid(2) without reaping (WNOWAIT) or blocking (WNOHANG);
        // ECHILD means there are none.
        let result = unsafe {
            libc::waitid(
                libc::P_ALL,
                0,
                &mut info,
                libc::WEXITED | libc::WNOHANG | libc::WNOWAIT,
            )
        };
        !(result < 0 && errno() == libc::ECHILD)
    }

    /// Closes every fd from `first` up.
    fn close_from(first: RawFd) {
        // SAFETY: close_range(2) (Linux 5.9+); older kernels get a loop.
        unsafe {
            if libc::syscall(
                libc::SYS_close_range,
                first as libc::c_uint,
                libc::c_uint::MAX,
                0,
            ) != 0
            {
                let mut limit: libc::rlimit = std::mem::zeroed();
                let top = if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 {
                    limit.rlim_cur.min(65_536) as RawFd
                } else {
                    1024
                };
                for fd in first..top {
                    libc::close(fd);
                }
            }
        }
    }

    /// Signals every process of the guardian's tree it can find: the
    /// command's group, and each child of the guardian with the group that
    /// child leads. Children that die leave their own children to the guardian
    /// (it is their subreaper), so repeated SIGKILL rounds reach the whole tree.
    fn stop_tree(signal: i32, command: libc::pid_t) {
        // SAFETY: getpid and kill(2); only signals, never to the guardian's own
        // group.
        unsafe {
            let me = libc::getpid();
            libc::kill(-command, signal);
            for_each_child(me, |child| {
                libc::kill(-child, signal);
                libc::kill(child, signal);
            });
        }
    }

    /// Calls `each` with the pid of every process whose parent is `parent`,
    /// found by reading `/proc/*/stat` (no allocation: this runs in the
    /// guardian).
    pub(super) fn for_each_child(parent: libc::pid_t, mut each: impl FnMut(libc::pid_t)) {
        // SAFETY: open/getdents64/read/close on stack buffers.
        unsafe {
            let proc_dir = libc::open(
                c"/proc".as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_CLOEXEC,
            );
            if proc_dir < 0 {
                return;
            }
            let mut entries = [0u8; 8192];
            loop {
                let count = libc::syscall(
                    libc::SYS_getdents64,
                    proc_dir,
                    entries.as_mut_ptr(),
                    entries.len(),
                );
                if count <= 0 {
                    break;
                }
                let mut offset = 0usize;
                while offset < count as usize {
                    // struct linux_dirent64: u64 ino, i64 off, u16 reclen, u8 type, name.
                    let record_length =
                        u16::from_ne_bytes([entries[offset + 16], entries[offset + 17]]) as usize;
                    let name = &entries[offset + 19..offset + record_length];
                    let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
                    offset += record_length.max(1);
                    let Some(pid) = parse_number(name) else {
                        continue;
                    };
                    if parent_of(pid) == Some(parent) {
                        each(pid);
                    }
                }
            }
            libc::close(proc_dir);
        }
    }

    fn parse_number(text: &[u8]) -> Option<libc::pid_t> {
        if text.is_empty() || text.len() > 9 {
            return None;
        }
        let mut value: libc::pid_t = 0;
        for &byte in text {
            if !byte.is_ascii_digit() {
                return None;
            }
            value = value * 10 + libc::pid_t::from(byte - b'0');
        }
        Some(value)
    }

    /// The parent pid in `/proc/PID/stat` (the field after the state, which
    /// follows the last `)`: the command name may hold any character).
    pub(super) fn parent_of(pid: libc::pid_t) -> Option<libc::pid_t> {
        let mut path = [0u8; 32];
        let prefix = b"/proc/";
        path[..prefix.len()].copy_from_slice(prefix);
        let mut length = prefix.len();
        let mut digits = [0u8; 10];
        let mut count = 0;
        let mut rest = pid;
        loop {
            digits[count] = b'0' + (rest % 10) as u8;
            count += 1;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        for index in (0..count).rev() {
            path[length] = digits[index];
            length += 1;
        }
        path[length..length + 5].copy_from_slice(b"/stat");
        // path[length + 5] stays 0: the terminator.
        let mut buffer = [0u8; 1024];
        // SAFETY: open/read/close on stack buffers.
        let read = unsafe {
            let fd = libc::open(path.as_ptr().cast(), libc::O_RDONLY | libc::O_CLOEXEC);
            if fd < 0 {
                return None;
            }
            let read = libc::read(fd, buffer.as_mut_ptr().cast(), buffer.len());
            libc::close(fd);
            read
        };
        if read <= 0 {
            return None;
        }
        let text = &buffer[..read as usize];
        let close = text.iter().rposition(|&b| b == b')')?;
        // ") S 1234 ..."
        let fields = &text[close + 1..];
        let mut parts = fields.split(|&b| b == b' ').filter(|part| !part.is_empty());
        let _state = parts.next()?;
        parse_number(parts.next()?)
    }
}

#[cfg(target_os = "linux")]
pub use linux::{spawn, stop_with_parent};

/// Elsewhere (no subreaper): the command in its own process group, a
/// thread that waits for it and reports like a guardian, and the group
/// signalled on request.
#[cfg(not(target_os = "linux"))]
mod other {
    use super::*;
    use std::process::{Command, Stdio};

    pub fn spawn(spec: &CommandSpec<'_>) -> io::Result<Guarded> {
        use std::os::unix::process::CommandExt;
        let Some((program, arguments)) = spec.argv.split_first() else {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "the command is empty",
            ));
        };
        let mut command = Command::new(program);
        command
            .args(arguments)
            .envs(spec.env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if spec.clear_env {
            command.env_clear();
        }
        for name in spec.env_remove {
            command.env_remove(name);
        }
        if let Some(cwd) = spec.cwd {
            command.current_dir(cwd);
        }
        let mut fds = [0 as RawFd; 2];
        // SAFETY: pipe(2) fills two fds on success.
        if unsafe { libc::pipe(fds.as_mut_ptr()) } != 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: both fds were just created and are owned here.
        let (reports_read, reports_write) =
            unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
        let mut child = command.spawn()?;
        let pid = child.id() as i32;
        let stdin = child.stdin.take().map(OwnedFd::from);
        let stdout = child.stdout.take().map(OwnedFd::from);
        let stderr = child.stderr.take().map(OwnedFd::from);
        std::thread::Builder::new()
            .name("qwf-waiter".into())
            .spawn(move || {
                let status = child.wait();
                // Whatever it left in its group would hold its pipes open.
                // SAFETY: kill(2) on the group this module created.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
                let mut message = [0u8; REPORT_LEN];
                message[0] = TAG_EXITED;
                let raw = status.map_or(0, |status| status.into_raw());
                message[1..].copy_from_slice(&raw.to_le_bytes());
                let mut file = std::fs::File::from(reports_write);
                let _ = std::io::Write::write_all(&mut file, &message);
            })?;
        Ok(Guarded {
            pid,
            stdin,
            stdout,
            stderr,
            reports: reports_read,
        })
    }

    pub fn stop_with_parent() {}

    impl Guarded {
        /// SIGTERM to the command's group, SIGKILL after a grace period.
        pub fn terminate(&self) {
            let pid = self.pid;
            // SAFETY: kill(2) on the group this module created.
            unsafe {
                libc::kill(-pid, libc::SIGTERM);
            }
            let _ = std::thread::Builder::new().spawn(move || {
                std::thread::sleep(Duration::from_millis(300));
                // SAFETY: as above.
                unsafe {
                    libc::kill(-pid, libc::SIGKILL);
                }
            });
        }

        pub fn kill(&self) {
            // SAFETY: kill(2) on the group this module created.
            unsafe {
                libc::kill(-self.pid, libc::SIGKILL);
            }
        }

        /// The waiter thread reaps the command.
        pub fn reap(&self) {}

        pub fn try_reap(&self) -> bool {
            true
        }
    }
}

#[cfg(not(target_os = "linux"))]
pub use other::{spawn, stop_with_parent};

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::linux::{for_each_child, parent_of};
    use super::*;

    #[test]
    fn the_parent_of_this_process_is_read_from_proc() {
        // SAFETY: getpid/getppid have no preconditions.
        let (me, parent) = unsafe { (libc::getpid(), libc::getppid()) };
        assert_eq!(parent_of(me), Some(parent));
        let mut found = Vec::new();
        for_each_child(parent, |pid| found.push(pid));
        assert!(found.contains(&me), "{found:?}");
    }

    #[test]
    fn reports_round_trip() {
        let mut message = [0u8; REPORT_LEN];
        message[0] = TAG_EXITED;
        message[1..].copy_from_slice(&(3i32 << 8).to_le_bytes());
        match Report::parse(&message) {
            Some(Report::Exited(status)) => assert_eq!(status.code(), Some(3)),
            other => panic!("{other:?}"),
        }
        assert!(Report::parse(&message[..3]).is_none());
    }
}
