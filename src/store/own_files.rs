//! Reading the files qwf keeps itself (workflow files, versions, the log,
//! the lock, markers): only regular files, never through a symbolic link
//! (it could lead outside `QWF_HOME`), a FIFO is not waited on, `/dev/zero`
//! is not read until memory runs out. The reading itself is
//! [`super::read`]'s (which serves files someone else put there, such as
//! skills and configs, following links); this module refuses links and
//! says why in its own words.
//!
//! Every refusal is an `std::io::Error` whose text names what was found
//! ("is a FIFO (named pipe), not a file"), so callers keep their usual
//! "cannot read PATH: …" errors.

use std::fs::File;
use std::io;
use std::path::Path;

pub use super::read::Links;
use super::read::{self, Unopened};

const LINK_REFUSED: &str = "is a symbolic link; qwf does not follow links in its own files";

/// Opens `path` for reading without blocking on a FIFO and, with
/// [`Links::Refuse`], without following a link; what was opened is a
/// regular file (checked on the open file, so nothing can be swapped in
/// between).
pub fn open_regular(path: &Path, links: Links) -> io::Result<File> {
    read::open_checked(path, links).map_err(|unopened| match unopened {
        Unopened::Link => io::Error::other(LINK_REFUSED),
        Unopened::DanglingLink(target) => io::Error::new(
            io::ErrorKind::NotFound,
            format!("is a link to {}, which does not exist", target.display()),
        ),
        Unopened::NotRegular(file_type) => not_a_file(&file_type),
        Unopened::Io(error) => error,
    })
}

/// The bytes of the regular file at `path`, at most `limit` of them.
pub fn read_bounded(path: &Path, limit: u64, links: Links) -> io::Result<Vec<u8>> {
    read::read_limited(open_regular(path, links)?, limit)?.ok_or_else(|| {
        io::Error::other(format!(
            "is larger than {}; qwf reads no more than that",
            size(limit)
        ))
    })
}

/// The text of the regular file at `path`, at most `limit` bytes of UTF-8.
pub fn read_text_bounded(path: &Path, limit: u64, links: Links) -> io::Result<String> {
    let bytes = read_bounded(path, limit, links)?;
    String::from_utf8(bytes).map_err(|error| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "is not UTF-8 text (byte {})",
                error.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Checks, without following it, that `path` is a directory (not a link to
/// one elsewhere). A missing directory is fine: it is created when needed.
pub fn check_real_directory(path: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(metadata) if metadata.is_dir() => Ok(()),
        Ok(metadata) if metadata.file_type().is_symlink() => Err(io::Error::other(
            "is a symbolic link; qwf keeps its history only inside its home",
        )),
        Ok(metadata) => Err(not_a_directory(&metadata.file_type())),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(error),
    }
}

/// The error of an open with `O_NOFOLLOW` of a link, in words (the
/// system's "too many levels of symbolic links" says nothing useful).
pub fn explain_link(error: io::Error) -> io::Error {
    #[cfg(unix)]
    if error.raw_os_error() == Some(libc::ELOOP) {
        return io::Error::other(LINK_REFUSED);
    }
    error
}

/// What a file type is, in words.
fn kind(file_type: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a file"
    } else {
        "a special file"
    }
}

fn not_a_file(file_type: &std::fs::FileType) -> io::Error {
    io::Error::other(format!("is {}, not a file", kind(file_type)))
}

fn not_a_directory(file_type: &std::fs::FileType) -> io::Error {
    io::Error::other(format!("is {}, not a directory", kind(file_type)))
}

fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn fifo(path: &Path) {
        let name = std::ffi::CString::new(path.as_os_str().as_encoded_bytes()).expect("a C path");
        // SAFETY: a valid NUL-terminated path; mkfifo only creates a node.
        let made = unsafe { libc::mkfifo(name.as_ptr(), 0o644) };
        assert_eq!(made, 0, "mkfifo failed: {}", io::Error::last_os_error());
    }

    #[test]
    fn a_regular_file_is_read() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.json");
        std::fs::write(&path, "{}").expect("write");
        assert_eq!(
            read_text_bounded(&path, 10, Links::Refuse).expect("read"),
            "{}"
        );
    }

    #[test]
    fn a_fifo_is_refused_at_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("a.json");
        fifo(&path);
        let error = read_bounded(&path, 10, Links::Follow).expect_err("refused");
        assert_eq!(error.to_string(), "is a FIFO (named pipe), not a file");
    }

    #[test]
    fn a_device_is_refused_and_never_read() {
        let error = read_bounded(Path::new("/dev/zero"), 10, Links::Follow).expect_err("refused");
        assert_eq!(error.to_string(), "is a character device, not a file");
    }

    #[test]
    fn a_link_is_refused_only_where_links_are() {
        let dir = tempfile::tempdir().expect("tempdir");
        let target = dir.path().join("target.json");
        std::fs::write(&target, "{}").expect("write");
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink(&target, &link).expect("symlink");
        let error = read_bounded(&link, 10, Links::Refuse).expect_err("refused");
        assert!(error.to_string().contains("symbolic link"), "{error}");
        assert_eq!(
            read_bounded(&link, 10, Links::Follow).expect("followed"),
            b"{}"
        );
        let to_device = dir.path().join("zero.json");
        std::os::unix::fs::symlink("/dev/zero", &to_device).expect("symlink");
        let error = read_bounded(&to_device, 10, Links::Follow).expect_err("refused");
        assert_eq!(error.to_string(), "is a character device, not a file");
    }

    #[test]
    fn more_than_the_limit_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.json");
        std::fs::write(&path, vec![b' '; 2 * 1024 * 1024 + 1]).expect("write");
        let error = read_bounded(&path, 2 * 1024 * 1024, Links::Refuse).expect_err("refused");
        assert_eq!(
            error.to_string(),
            "is larger than 2 MiB; qwf reads no more than that"
        );
    }

    #[test]
    fn a_linked_directory_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let elsewhere = dir.path().join("elsewhere");
        std::fs::create_dir(&elsewhere).expect("dir");
        let link = dir.path().join(".versions");
        std::os::unix::fs::symlink(&elsewhere, &link).expect("symlink");
        assert!(check_real_directory(&link).is_err());
        assert!(check_real_directory(&elsewhere).is_ok());
        assert!(check_real_directory(&dir.path().join("missing")).is_ok());
    }
}
