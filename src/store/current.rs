//! The current file (`workflows/NAME.json`) and its marker
//! (`workflows/.versions/NAME.current`): the marker records which version
//! the current file holds and a digest of its exact bytes, as qwf last wrote
//! or recorded them. It is what tells apart a writer that stopped before
//! replacing the current file (the bytes are still those the marker names,
//! for an older version) from a hand edit (any other bytes, even a copy of
//! an older version).
//!
//! The current file is only replaced while it still holds the bytes qwf saw
//! under the lock: a hand save that lands while qwf writes is put back and
//! kept, never overwritten.

use std::fs;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::atomic::{directory_of, sync_directory, temporary_file, write_atomic_unsynced};
use super::error::{Result, StoreError};
use super::own_files::{Links, read_bounded};

/// The largest workflow file qwf reads (current or version file).
pub const WORKFLOW_LIMIT: u64 = 16 * 1024 * 1024;

/// What the current file was written (or recorded) as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Marker {
    pub version: u64,
    /// SHA-256 of the current file's bytes, in hex.
    pub sha256: String,
}

/// The SHA-256 of `bytes`, in hex.
pub fn digest(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// The marker at `path`; `None` when there is none (a home written before
/// markers existed) or it cannot be understood.
pub fn read_marker(path: &Path) -> Option<Marker> {
    let bytes = read_bounded(path, 4096, Links::Refuse).ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Writes the marker. Not flushed to disk: a marker lost in a power cut
/// only means the next command compares the current file with the latest
/// version instead (the current file itself is flushed before).
pub fn write_marker(path: &Path, marker: &Marker) -> Result<()> {
    let text = serde_json::to_string(marker).expect("a marker is always representable as JSON");
    write_atomic_unsynced(path, text.as_bytes())
}

/// The current file's bytes, `None` when there is none. Refuses anything
/// that is not a regular file (a link, a FIFO, a device), named.
pub fn read_current(path: &Path) -> Result<Option<Vec<u8>>> {
    match read_bounded(path, WORKFLOW_LIMIT, Links::Refuse) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(StoreError::io("read", path, error)),
    }
}

/// What a guarded replacement did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    Done,
    /// The file no longer held what was expected (it was edited by hand
    /// meanwhile); it was left as the user saved it.
    KeptHandEdit,
}

/// Replaces the file at `path` with `content` if it still holds the bytes
/// whose digest is `expected` (`None`: no file). On Linux the check and the
/// replacement are one atomic exchange, undone if the file that came out
/// was not the expected one; elsewhere the check comes just before the
/// rename.
pub fn replace_guarded(path: &Path, content: &[u8], expected: Option<&str>) -> Result<Replaced> {
    let directory = directory_of(path);
    fs::create_dir_all(directory).map_err(|error| StoreError::io("create", directory, error))?;
    let temporary = temporary_file(directory, content, true)?.into_temp_path();
    #[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
    if let Some(replaced) = linux::replace(&temporary, path, content, expected)? {
        sync_directory(directory)?;
        return Ok(replaced);
    }
    // No atomic exchange here: check, then rename.
    let now = read_current(path)?;
    if now.as_deref().map(digest).as_deref() != expected {
        return Ok(Replaced::KeptHandEdit);
    }
    temporary
        .persist(path)
        .map_err(|error| StoreError::io("replace", path, error.error))?;
    sync_directory(directory)?;
    Ok(Replaced::Done)
}

#[cfg(all(target_os = "linux", any(target_env = "gnu", target_env = "musl")))]
mod linux {
    use std::ffi::CString;
    use std::io;
    use std::path::Path;

    use super::{Replaced, digest};
    use crate::store::error::{Result, StoreError};
    use crate::store::own_files::{Links, read_bounded};

    fn c_path(path: &Path) -> io::Result<CString> {
        CString::new(path.as_os_str().as_encoded_bytes())
            .map_err(|_| io::Error::other("the path holds a NUL byte"))
    }

    fn rename(from: &Path, to: &Path, flags: libc::c_uint) -> io::Result<()> {
        let (from, to) = (c_path(from)?, c_path(to)?);
        // SAFETY: two valid NUL-terminated paths; renameat2 only renames.
        let result = unsafe {
            libc::renameat2(
                libc::AT_FDCWD,
                from.as_ptr(),
                libc::AT_FDCWD,
                to.as_ptr(),
                flags,
            )
        };
        if result == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// The filesystem cannot exchange or refuse to replace atomically.
    fn unsupported(error: &io::Error) -> bool {
        matches!(
            error.raw_os_error(),
            Some(libc::EINVAL | libc::ENOSYS | libc::EOPNOTSUPP)
        )
    }

    /// `None` when the filesystem does not support it (the caller falls
    /// back to check-then-rename).
    pub fn replace(
        temporary: &Path,
        path: &Path,
        content: &[u8],
        expected: Option<&str>,
    ) -> Result<Option<Replaced>> {
        let Some(expected) = expected else {
            return match rename(temporary, path, libc::RENAME_NOREPLACE) {
                Ok(()) => Ok(Some(Replaced::Done)),
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                    Ok(Some(Replaced::KeptHandEdit))
                }
                Err(error) if unsupported(&error) => Ok(None),
                Err(error) => Err(StoreError::io("replace", path, error)),
            };
        };
        match rename(temporary, path, libc::RENAME_EXCHANGE) {
            Ok(()) => {}
            // Removed by hand meanwhile: leave it removed.
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Ok(Some(Replaced::KeptHandEdit));
            }
            Err(error) if unsupported(&error) => return Ok(None),
            Err(error) => return Err(StoreError::io("replace", path, error)),
        }
        // `temporary` now names what was in place.
        let displaced = read_bounded(temporary, super::WORKFLOW_LIMIT, Links::Refuse);
        if displaced
            .as_deref()
            .is_ok_and(|bytes| digest(bytes) == expected)
        {
            return Ok(Some(Replaced::Done));
        }
        // A hand save landed since the lock holder looked: put it back.
        rename(temporary, path, libc::RENAME_EXCHANGE)
            .map_err(|error| StoreError::io("put back the hand edit of", path, error))?;
        // Normally our content came out; if an even newer save did, that
        // one is the user's latest word.
        let out = read_bounded(temporary, super::WORKFLOW_LIMIT, Links::Refuse);
        if out.as_deref().is_ok_and(|bytes| bytes != content) {
            rename(temporary, path, 0)
                .map_err(|error| StoreError::io("put back the hand edit of", path, error))?;
        }
        Ok(Some(Replaced::KeptHandEdit))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_what_was_expected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.json");
        assert_eq!(
            replace_guarded(&path, b"one", None).expect("create"),
            Replaced::Done
        );
        assert_eq!(
            replace_guarded(&path, b"two", None).expect("exists"),
            Replaced::KeptHandEdit
        );
        assert_eq!(fs::read(&path).expect("read"), b"one");
        assert_eq!(
            replace_guarded(&path, b"two", Some(&digest(b"one"))).expect("replace"),
            Replaced::Done
        );
        assert_eq!(fs::read(&path).expect("read"), b"two");
        fs::write(&path, b"by hand").expect("hand edit");
        assert_eq!(
            replace_guarded(&path, b"three", Some(&digest(b"two"))).expect("kept"),
            Replaced::KeptHandEdit
        );
        assert_eq!(fs::read(&path).expect("read"), b"by hand");
        let names: Vec<_> = fs::read_dir(dir.path())
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["w.json"], "no temporary file is left");
    }

    #[test]
    fn markers_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.current");
        assert_eq!(read_marker(&path), None);
        let marker = Marker {
            version: 3,
            sha256: digest(b"x"),
        };
        write_marker(&path, &marker).expect("write");
        assert_eq!(read_marker(&path), Some(marker));
    }
}
