//! Advisory per-workflow locks, so read-modify-write cycles of two processes
//! never interleave.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::time::{Duration, Instant};

use super::error::{Result, StoreError};

/// Held while a workflow is being changed; released on drop.
#[derive(Debug)]
pub struct WorkflowLock {
    file: File,
}

impl Drop for WorkflowLock {
    fn drop(&mut self) {
        let _ = self.file.unlock();
    }
}

/// How long to wait quietly before telling the user we are waiting.
const QUIET_WAIT: Duration = Duration::from_millis(500);

impl WorkflowLock {
    /// Takes the lock at `path`, waiting for another process if needed.
    /// `on_wait` is called once if the wait becomes noticeable.
    pub fn acquire(path: &Path, on_wait: &dyn Fn()) -> Result<Self> {
        if let Some(directory) = path.parent() {
            std::fs::create_dir_all(directory)
                .map_err(|error| StoreError::io("create", directory, error))?;
        }
        let mut options = OpenOptions::new();
        options.create(true).truncate(false).read(true).write(true);
        #[cfg(unix)]
        {
            // A link could lead the lock file anywhere; a FIFO would block.
            use std::os::unix::fs::OpenOptionsExt;
            options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
        }
        let file = options.open(path).map_err(|error| {
            StoreError::io(
                "open the lock file",
                path,
                super::own_files::explain_link(error),
            )
        })?;
        let is_file = file
            .metadata()
            .map_err(|error| StoreError::io("open the lock file", path, error))?
            .is_file();
        if !is_file {
            return Err(StoreError::io(
                "use the lock file",
                path,
                std::io::Error::other("it is not a regular file"),
            ));
        }
        let started = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(WorkflowLock { file }),
                Err(TryLockError::WouldBlock) => {
                    if !told && started.elapsed() >= QUIET_WAIT {
                        on_wait();
                        told = true;
                    }
                    // Block from here on; the OS wakes us when it is free.
                    if told {
                        file.lock()
                            .map_err(|error| StoreError::io("lock", path, error))?;
                        return Ok(WorkflowLock { file });
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(TryLockError::Error(error)) => return Err(StoreError::io("lock", path, error)),
            }
        }
    }
}
