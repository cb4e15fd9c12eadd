//! Reading a file without being led astray by it. Only a regular file is
//! read (a FIFO would block forever, `/dev/zero` never ends): its type is
//! checked before it is opened, it is opened without blocking, checked
//! again once open, and never read past a bound.
//!
//! A file someone else may have put there (skills, agents, MCP configs,
//! `config.toml`) is read with the functions here, which follow a symbolic
//! link to the regular file it points at. qwf's own files are read through
//! [`super::own_files`], on the same core ([`open_checked`],
//! [`read_limited`]) with links refused.

use std::fs::{File, FileType, OpenOptions};
use std::io::{self, Read};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// What a file may be at most when nothing smaller is said: skill files,
/// agents, MCP configs and `config.toml` are a few kilobytes.
pub const SMALL_FILE: u64 = 1024 * 1024;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("does not exist")]
    NotFound,
    #[error("is a link to {}, which does not exist", .0.display())]
    DanglingLink(PathBuf),
    #[error("is a directory, not a file")]
    Directory,
    #[error("is a {0}, not a regular file; qwf reads only regular files")]
    Special(&'static str),
    #[error("is larger than {limit} bytes (qwf reads at most that much of it)")]
    TooLarge { limit: u64 },
    #[error("is not UTF-8 text (byte {0})")]
    NotUtf8(usize),
    #[error("cannot be read: {0}")]
    Io(io::Error),
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::NotFound)
    }

    fn from_io(error: io::Error) -> Self {
        match error.kind() {
            io::ErrorKind::NotFound => ReadError::NotFound,
            io::ErrorKind::IsADirectory => ReadError::Directory,
            _ => ReadError::Io(error),
        }
    }
}

/// The refusal of what is not a regular file, with its kind in words.
fn not_regular(file_type: FileType) -> ReadError {
    if file_type.is_dir() {
        return ReadError::Directory;
    }
    ReadError::Special(if file_type.is_fifo() {
        "named pipe (FIFO)"
    } else if file_type.is_char_device() {
        "character device"
    } else if file_type.is_block_device() {
        "block device"
    } else if file_type.is_socket() {
        "socket"
    } else {
        "special file"
    })
}

/// Whether a symbolic link at the path itself may be followed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Links {
    /// A file someone else put there: the link is followed, and what it
    /// points at must be a regular file.
    Follow,
    /// A file qwf keeps itself: a link could lead outside `QWF_HOME`.
    Refuse,
}

/// Why a file was not opened, before it is put in words (each reader has
/// its own words for it).
#[derive(Debug)]
pub(super) enum Unopened {
    /// A symbolic link, with [`Links::Refuse`].
    Link,
    /// A link to nothing, with [`Links::Follow`]: where it points.
    DanglingLink(PathBuf),
    /// Something other than a regular file.
    NotRegular(FileType),
    Io(io::Error),
}

/// Opens `path` for reading if it is a regular file.
pub(super) fn open_checked(path: &Path, links: Links) -> Result<File, Unopened> {
    // The type first, so a FIFO or a device is never opened at all...
    let metadata = match links {
        Links::Follow => std::fs::metadata(path),
        Links::Refuse => std::fs::symlink_metadata(path),
    };
    let metadata = metadata.map_err(|error| match (error.kind(), std::fs::read_link(path)) {
        (io::ErrorKind::NotFound, Ok(target)) => Unopened::DanglingLink(target),
        _ => Unopened::Io(error),
    })?;
    if metadata.file_type().is_symlink() {
        return Err(Unopened::Link);
    }
    if !metadata.is_file() {
        return Err(Unopened::NotRegular(metadata.file_type()));
    }
    // ...and again on what was opened, in case it was swapped meanwhile;
    // O_NONBLOCK keeps even that open from waiting for a writer, and
    // O_NOFOLLOW from following a link put there meanwhile.
    let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY | libc::O_CLOEXEC;
    if links == Links::Refuse {
        flags |= libc::O_NOFOLLOW;
    }
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) if links == Links::Refuse => Unopened::Link,
            _ => Unopened::Io(error),
        })?;
    let opened = file.metadata().map_err(Unopened::Io)?;
    if !opened.is_file() {
        return Err(Unopened::NotRegular(opened.file_type()));
    }
    Ok(file)
}

/// All of `file`, or `None` when it holds more than `limit` bytes.
pub(super) fn read_limited(file: File, limit: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= limit).then_some(bytes))
}

/// Opens `path` for reading if it is a regular file (following links).
pub fn open_regular(path: &Path) -> Result<File, ReadError> {
    open_checked(path, Links::Follow).map_err(|unopened| match unopened {
        Unopened::DanglingLink(target) => ReadError::DanglingLink(target),
        Unopened::NotRegular(file_type) => not_regular(file_type),
        Unopened::Io(error) => ReadError::from_io(error),
        // Links are followed here.
        Unopened::Link => ReadError::Special("symbolic link"),
    })
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    bounded(open_regular(path)?, limit)
}

/// The text of the regular file at `path` (at most `limit` bytes), without
/// a leading UTF-8 byte order mark.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    text(read_bytes(path, limit)?)
}

/// The text of a file the user named on the command line: a pipe works
/// (`qwf validate <(…)`), since the user chose it, but nothing is read past
/// `limit` bytes (`/dev/zero` ends in an error, not out of memory).
pub fn read_named_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let file = File::open(path).map_err(ReadError::from_io)?;
    if file.metadata().map_err(ReadError::from_io)?.is_dir() {
        return Err(ReadError::Directory);
    }
    text(bounded(file, limit)?)
}

fn bounded(file: File, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_limited(file, limit)
        .map_err(ReadError::from_io)?
        .ok_or(ReadError::TooLarge { limit })
}

fn text(bytes: Vec<u8>) -> Result<String, ReadError> {
    let text = String::from_utf8(bytes)
        .map_err(|error| ReadError::NotUtf8(error.utf8_error().valid_up_to()))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regular_files_are_read_and_bounded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.json");
        std::fs::write(&path, "\u{feff}{}").expect("write");
        assert_eq!(read_text(&path, 100).expect("read"), "{}");
        assert!(matches!(
            read_text(&path, 2),
            Err(ReadError::TooLarge { limit: 2 })
        ));
        assert!(
            read_text(&dir.path().join("missing"), 10)
                .expect_err("missing")
                .is_not_found()
        );
        assert!(matches!(
            read_text(dir.path(), 10),
            Err(ReadError::Directory)
        ));
        std::fs::write(&path, [0xff, 0xfe]).expect("write");
        assert!(matches!(read_text(&path, 10), Err(ReadError::NotUtf8(0))));
    }

    #[test]
    fn devices_fifos_and_links_to_them_are_refused_without_blocking() {
        let dir = tempfile::tempdir().expect("tempdir");
        let fifo = dir.path().join("fifo.json");
        let name = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).expect("path");
        // SAFETY: mkfifo with a valid NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0);
        let error = read_text(&fifo, 10).expect_err("a FIFO is refused");
        assert_eq!(
            error.to_string(),
            "is a named pipe (FIFO), not a regular file; qwf reads only regular files"
        );
        let zero = dir.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &zero).expect("symlink");
        assert!(matches!(
            read_text(&zero, 10),
            Err(ReadError::Special("character device"))
        ));
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("/nonexistent/skill.json", &dangling).expect("symlink");
        assert_eq!(
            read_text(&dangling, 10).expect_err("dangling").to_string(),
            "is a link to /nonexistent/skill.json, which does not exist"
        );
        // Named on the command line: read, but only up to the bound.
        assert!(matches!(
            read_named_text(&zero, 1024),
            Err(ReadError::TooLarge { limit: 1024 })
        ));
    }
}
