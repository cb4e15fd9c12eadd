//! Reading a file someone else may have put there. Only a regular file is
//! read (a FIFO would block forever, `/dev/zero` never ends), it is opened
//! without blocking, checked again once open, and never read past a bound.
//! A symbolic link is followed; what it points at must be a regular file.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;

/// What a file may be at most when nothing smaller is said: skill files,
/// agents, MCP configs and `config.toml` are a few kilobytes.
pub const SMALL_FILE: u64 = 1024 * 1024;

/// Why a file was not read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("does not exist")]
    NotFound,
    #[error("is a link to {}, which does not exist", .0.display())]
    DanglingLink(std::path::PathBuf),
    #[error("is a directory, not a file")]
    Directory,
    #[error("is a {0}, not a regular file; qwf reads only regular files")]
    Special(&'static str),
    #[error("is larger than {limit} bytes (qwf reads at most that much of it)")]
    TooLarge { limit: u64 },
    #[error("is not UTF-8 text (byte {0})")]
    NotUtf8(usize),
    #[error("cannot be read: {0}")]
    Io(std::io::Error),
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::NotFound)
    }

    fn from_io(error: std::io::Error) -> Self {
        match error.kind() {
            std::io::ErrorKind::NotFound => ReadError::NotFound,
            std::io::ErrorKind::IsADirectory => ReadError::Directory,
            _ => ReadError::Io(error),
        }
    }
}

/// The kind of a file that is not regular, in words.
fn special_kind(file_type: std::fs::FileType) -> Option<&'static str> {
    if file_type.is_dir() {
        Some("directory")
    } else if file_type.is_fifo() {
        Some("named pipe (FIFO)")
    } else if file_type.is_char_device() {
        Some("character device")
    } else if file_type.is_block_device() {
        Some("block device")
    } else if file_type.is_socket() {
        Some("socket")
    } else if file_type.is_file() {
        None
    } else {
        Some("special file")
    }
}

fn check_type(file_type: std::fs::FileType) -> Result<(), ReadError> {
    match special_kind(file_type) {
        None => Ok(()),
        Some("directory") => Err(ReadError::Directory),
        Some(kind) => Err(ReadError::Special(kind)),
    }
}

/// Opens `path` for reading if it is a regular file (following links).
pub fn open_regular(path: &Path) -> Result<File, ReadError> {
    // The type first, so a FIFO is never opened at all...
    let metadata = std::fs::metadata(path).map_err(|error| {
        match (error.kind(), std::fs::read_link(path)) {
            (std::io::ErrorKind::NotFound, Ok(target)) => ReadError::DanglingLink(target),
            _ => ReadError::from_io(error),
        }
    })?;
    check_type(metadata.file_type())?;
    // ...and again on what was opened, in case it was swapped meanwhile;
    // O_NONBLOCK keeps even that open from waiting for a writer.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(ReadError::from_io)?;
    let opened = file.metadata().map_err(ReadError::from_io)?;
    check_type(opened.file_type())?;
    Ok(file)
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_bytes(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::from_io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
    Ok(bytes)
}

/// The text of the regular file at `path` (at most `limit` bytes), without
/// a leading UTF-8 byte order mark.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bytes(path, limit)?;
    let text = String::from_utf8(bytes)
        .map_err(|error| ReadError::NotUtf8(error.utf8_error().valid_up_to()))?;
    Ok(match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_string(),
        None => text,
    })
}

/// The text of a file the user named on the command line: a pipe works
/// (`qwf validate <(…)`), since the user chose it, but nothing is read past
/// `limit` bytes (`/dev/zero` ends in an error, not out of memory).
pub fn read_named_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let file = File::open(path).map_err(ReadError::from_io)?;
    if file.metadata().map_err(ReadError::from_io)?.is_dir() {
        return Err(ReadError::Directory);
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::from_io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { limit });
    }
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
