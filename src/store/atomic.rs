//! Atomic file writes: a reader sees the old content or the new, never a
//! torn mix, even if the process is killed mid-write.

use std::fs::{self, File};
use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

use super::error::{Result, StoreError};

/// Writes `content` to `path` through a temporary file in the same
/// directory: write, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, content: &[u8]) -> Result<()> {
    let directory = directory_of(path);
    fs::create_dir_all(directory).map_err(|error| StoreError::io("create", directory, error))?;
    temporary_file(directory, content, true)?
        .persist(path)
        .map_err(|error| StoreError::io("replace", path, error.error))?;
    sync_directory(directory)
}

/// Like [`write_atomic`], without waiting for the disk: for files whose
/// loss after a power cut costs nothing (the next command rebuilds them),
/// so that every write does not pay two more flushes.
pub fn write_atomic_unsynced(path: &Path, content: &[u8]) -> Result<()> {
    temporary_file(directory_of(path), content, false)?
        .persist(path)
        .map_err(|error| StoreError::io("replace", path, error.error))?;
    Ok(())
}

/// Creates `path` with `content` atomically, refusing to replace a file
/// that appeared there meanwhile.
pub fn write_new(path: &Path, content: &[u8]) -> Result<()> {
    let directory = directory_of(path);
    fs::create_dir_all(directory).map_err(|error| StoreError::io("create", directory, error))?;
    temporary_file(directory, content, true)?
        .persist_noclobber(path)
        .map_err(|error| StoreError::io("create", path, error.error))?;
    Ok(())
}

/// The directory a file at `path` is written in; a bare file name has an
/// empty parent: the current directory.
pub(super) fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

/// A temporary file in `directory` (named so that
/// [`remove_stale_temporaries`] finds it if the writer is killed) holding
/// `content`, flushed to disk when `sync`; the caller renames it into place.
pub(super) fn temporary_file(
    directory: &Path,
    content: &[u8],
    sync: bool,
) -> Result<NamedTempFile> {
    let mut temporary = tempfile::Builder::new()
        .prefix(".qwf-")
        .suffix(".tmp")
        .tempfile_in(directory)
        .map_err(|error| StoreError::io("create a temporary file in", directory, error))?;
    temporary
        .write_all(content)
        .map_err(|error| StoreError::io("write", temporary.path(), error))?;
    if sync {
        temporary
            .as_file()
            .sync_all()
            .map_err(|error| StoreError::io("flush", temporary.path(), error))?;
    }
    Ok(temporary)
}

/// Temporary files older than this were left by a writer that was killed;
/// a live write takes milliseconds.
const STALE_AFTER: std::time::Duration = std::time::Duration::from_secs(600);

/// Removes temporary files a killed writer left in `directory`. Best
/// effort: a file that cannot be removed is left for next time.
pub fn remove_stale_temporaries(directory: &Path) {
    let Ok(entries) = fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if !(name.starts_with(".qwf-") && name.ends_with(".tmp")) {
            continue;
        }
        let stale = entry
            .metadata()
            .and_then(|metadata| metadata.modified())
            .ok()
            .and_then(|modified| modified.elapsed().ok())
            .is_some_and(|age| age > STALE_AFTER);
        if stale {
            let _ = fs::remove_file(entry.path());
        }
    }
}

/// Makes a rename in `directory` durable.
pub fn sync_directory(directory: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        File::open(directory)
            .and_then(|handle| handle.sync_all())
            .map_err(|error| StoreError::io("flush", directory, error))?;
    }
    #[cfg(not(unix))]
    let _ = directory;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stale_temporaries_are_removed_and_fresh_ones_kept() {
        let dir = tempfile::tempdir().expect("tempdir");
        let stale = dir.path().join(".qwf-killed.tmp");
        let fresh = dir.path().join(".qwf-writing.tmp");
        let other = dir.path().join("data-pipeline.json");
        for path in [&stale, &fresh, &other] {
            fs::write(path, "x").expect("write");
        }
        let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
        File::options()
            .write(true)
            .open(&stale)
            .and_then(|file| file.set_modified(old))
            .expect("age the file");
        File::options()
            .write(true)
            .open(&other)
            .and_then(|file| file.set_modified(old))
            .expect("age the file");
        remove_stale_temporaries(dir.path());
        assert!(!stale.exists());
        assert!(fresh.exists() && other.exists());
    }

    #[test]
    fn replaces_content_and_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("sub").join("file.json");
        write_atomic(&path, b"one").expect("first write");
        write_atomic(&path, b"two").expect("second write");
        assert_eq!(fs::read_to_string(&path).expect("readable"), "two");
        let names: Vec<_> = fs::read_dir(dir.path().join("sub"))
            .expect("list")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(names, ["file.json"]);
    }
}
