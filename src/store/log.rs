//! The version log: one JSON record per line, one line per version, appended
//! under the workflow's lock. It is the commit point of a version: a version
//! exists once its line is complete.

use std::fs::{self, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::error::{Result, StoreError};
use crate::core::Modification;
use crate::core::merge::Resolved;

/// Where a version came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Origin {
    /// A request in plain language, through the agent.
    Request { text: String },
    /// A qwf command (`qwf rollback data-pipeline --to 2`).
    Command { command: String },
    /// The file was changed by hand; qwf noticed and recorded it.
    EditedOutside,
    /// A plan applied through `qwf mcp`: the MCP client that asked (its
    /// name from the initialize handshake) and the request or summary.
    Mcp { client: String, text: String },
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Request { text } => write!(f, "request: {text:?}"),
            Origin::Command { command } => write!(f, "command: {command}"),
            Origin::EditedOutside => f.write_str("edited outside qwf"),
            Origin::Mcp { client, text } => write!(f, "mcp ({client}): {text:?}"),
        }
    }
}

/// A version of another workflow (a branch's base, a merged branch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRef {
    pub workflow: String,
    pub version: u64,
}

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub version: u64,
    #[serde(default)]
    pub parents: Vec<u64>,
    /// RFC 3339, UTC.
    pub timestamp: String,
    pub description: String,
    pub origin: Origin,
    /// The modifications that made this version from its parent, when known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modifications: Vec<Modification>,
    /// The model's tool calls that produced it (agent versions).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub branched_from: Option<VersionRef>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub merged_from: Option<VersionRef>,
    /// The conflicts of a merge and the side that settled each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub resolved_conflicts: Vec<Resolved>,
}

/// The largest log qwf reads whole (about a hundred thousand versions with
/// their tool calls).
const LOG_LIMIT: u64 = 1024 * 1024 * 1024;

/// Reads every record. A final line cut short by a crash is ignored (its
/// version never committed); damage anywhere else is an error.
pub fn read_all(path: &Path) -> Result<Vec<VersionRecord>> {
    read_numbered(path, |record: &VersionRecord| record.version)
}

/// A record without its details (the modifications and tool calls): what
/// listing a long history needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BriefRecord {
    pub version: u64,
    #[serde(default)]
    pub parents: Vec<u64>,
    pub timestamp: String,
    pub description: String,
    pub origin: Origin,
}

/// Reads every record without its details; about twice as fast as
/// [`read_all`] on a long history.
pub fn read_brief(path: &Path) -> Result<Vec<BriefRecord>> {
    read_numbered(path, |record: &BriefRecord| record.version)
}

/// Checks the whole log without building its records: every complete line
/// is a JSON object numbered one after the one before. Returns the number of
/// versions. Much cheaper than [`read_all`]; every write runs it, so nothing
/// is ever added to a damaged log, while reads need only the last record.
pub fn check(path: &Path) -> Result<u64> {
    #[derive(Deserialize)]
    struct Numbered {
        version: u64,
    }
    Ok(read_numbered(path, |numbered: &Numbered| numbered.version)?.len() as u64)
}

/// Parses each complete line as a `T` numbered 1, 2, 3, …
fn read_numbered<T: serde::de::DeserializeOwned>(
    path: &Path,
    version_of: impl Fn(&T) -> u64,
) -> Result<Vec<T>> {
    let text =
        match super::own_files::read_text_bounded(path, LOG_LIMIT, super::own_files::Links::Refuse)
        {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(error) => return Err(StoreError::io("read", path, error)),
        };
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    let mut records = Vec::new();
    for (number, line) in complete.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let corrupt = |message: String| StoreError::CorruptLog {
            path: path.to_path_buf(),
            line: number + 1,
            message,
        };
        // The line number is ours; serde's "at line 1 column C" is noise.
        let record: T = serde_json::from_str(line)
            .map_err(|error| corrupt(super::plan::strip_position(&error)))?;
        let expected = records.len() as u64 + 1;
        let found = version_of(&record);
        if found != expected {
            return Err(corrupt(format!(
                "expected version {expected}, found version {found}"
            )));
        }
        records.push(record);
    }
    Ok(records)
}

/// Reads only the last record, from the end of the file, so listing many
/// workflows with long histories stays fast.
pub fn read_last(path: &Path) -> Result<Option<VersionRecord>> {
    let failed = |error| StoreError::io("read", path, error);
    let mut file = match super::own_files::open_regular(path, super::own_files::Links::Refuse) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(failed(error)),
    };
    let length = file.seek(SeekFrom::End(0)).map_err(failed)?;
    let mut window = 16 * 1024;
    loop {
        let start = length.saturating_sub(window);
        file.seek(SeekFrom::Start(start)).map_err(failed)?;
        // Bytes, not text: the window may begin inside a character.
        let mut tail = Vec::with_capacity((length - start) as usize);
        (&mut file)
            .take(length - start)
            .read_to_end(&mut tail)
            .map_err(failed)?;
        // Up to the last newline (after it, a line a crash cut short), and
        // without blank lines at the end.
        let complete = match tail.iter().rposition(|byte| *byte == b'\n') {
            Some(end) => tail[..end].trim_ascii_end(),
            None => &[][..],
        };
        // The last complete line, if the window holds all of it.
        let line = match complete.iter().rposition(|byte| *byte == b'\n') {
            Some(position) => &complete[position + 1..],
            None if start == 0 => complete,
            None => {
                window *= 4;
                continue;
            }
        };
        if line.is_empty() {
            return Ok(None);
        }
        return serde_json::from_slice(line).map(Some).map_err(|error| {
            // Rare: read the whole log to say which line is damaged.
            let damaged = check(path).err();
            damaged.unwrap_or_else(|| StoreError::CorruptLog {
                path: path.to_path_buf(),
                line: 0,
                message: format!("last record: {}", super::plan::strip_position(&error)),
            })
        });
    }
}

/// Appends one record and flushes it to disk. A torn line left by a crashed
/// writer is cut off first.
pub fn append(path: &Path, record: &VersionRecord) -> Result<()> {
    let mut line =
        serde_json::to_string(record).expect("a version record is always representable as JSON");
    line.push('\n');
    let mut options = OpenOptions::new();
    options.create(true).read(true).append(true);
    #[cfg(unix)]
    {
        // Never led elsewhere by a link, never blocked by a FIFO.
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let mut file = options
        .open(path)
        .map_err(|error| StoreError::io("open", path, super::own_files::explain_link(error)))?;
    let metadata = file
        .metadata()
        .map_err(|error| StoreError::io("read", path, error))?;
    if !metadata.is_file() {
        return Err(StoreError::io(
            "append to",
            path,
            std::io::Error::other("it is not a regular file"),
        ));
    }
    let length = metadata.len();
    if length > 0 {
        let mut last = [0u8; 1];
        file.seek(SeekFrom::Start(length - 1))
            .map_err(|error| StoreError::io("read", path, error))?;
        file.read_exact(&mut last)
            .map_err(|error| StoreError::io("read", path, error))?;
        if last[0] != b'\n' {
            let content = fs::read(path).map_err(|error| StoreError::io("read", path, error))?;
            let keep = content
                .iter()
                .rposition(|byte| *byte == b'\n')
                .map_or(0, |position| position + 1);
            file.set_len(keep as u64)
                .map_err(|error| StoreError::io("repair", path, error))?;
        }
    }
    file.write_all(line.as_bytes())
        .map_err(|error| StoreError::io("append to", path, error))?;
    file.sync_all()
        .map_err(|error| StoreError::io("flush", path, error))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(version: u64) -> VersionRecord {
        VersionRecord {
            version,
            parents: version
                .checked_sub(1)
                .filter(|parent| *parent > 0)
                .into_iter()
                .collect(),
            timestamp: "2026-11-27T10:00:00Z".into(),
            description: format!("version {version}"),
            origin: Origin::Command {
                command: "test".into(),
            },
            modifications: Vec::new(),
            tool_calls: Vec::new(),
            branched_from: None,
            merged_from: None,
            resolved_conflicts: Vec::new(),
        }
    }

    #[test]
    fn appends_and_reads_back_in_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.log.jsonl");
        assert_eq!(read_all(&path).expect("missing is empty"), vec![]);
        assert_eq!(read_last(&path).expect("missing is empty"), None);
        for version in 1..=3 {
            append(&path, &record(version)).expect("append");
        }
        let records = read_all(&path).expect("readable");
        assert_eq!(
            records.iter().map(|r| r.version).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(read_last(&path).expect("readable"), Some(record(3)));
    }

    #[test]
    fn a_torn_last_line_is_ignored_then_cut_off() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.log.jsonl");
        append(&path, &record(1)).expect("append");
        let mut file = OpenOptions::new().append(true).open(&path).expect("open");
        file.write_all(b"{\"version\": 2, \"timest").expect("write");
        assert_eq!(read_all(&path).expect("torn tail tolerated").len(), 1);
        assert_eq!(
            read_last(&path).expect("torn tail tolerated"),
            Some(record(1))
        );
        append(&path, &record(2)).expect("append repairs");
        assert_eq!(read_all(&path).expect("readable").len(), 2);
    }

    #[test]
    fn damage_in_the_middle_is_reported_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.log.jsonl");
        append(&path, &record(1)).expect("append");
        fs::write(
            &path,
            format!("{}garbage\n", fs::read_to_string(&path).expect("read")),
        )
        .expect("write");
        append(&path, &record(2)).expect("append");
        match read_all(&path) {
            Err(StoreError::CorruptLog { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected a corrupt log error, got {other:?}"),
        }
    }

    #[test]
    fn the_last_record_is_found_whatever_character_the_window_starts_in() {
        // Multi-byte characters everywhere, so that the 16 KiB window from
        // the end starts inside one for some log length.
        for padding in 0..3 {
            let dir = tempfile::tempdir().expect("tempdir");
            let path = dir.path().join("w.log.jsonl");
            let mut first = record(1);
            first.description = format!("{}{}", "x".repeat(padding), "→".repeat(8_000));
            append(&path, &first).expect("append");
            let mut second = record(2);
            second.description = "a → b".into();
            append(&path, &second).expect("append");
            assert_eq!(read_last(&path).expect("readable"), Some(second));
        }
    }

    #[test]
    fn blank_lines_at_the_end_are_not_the_last_record() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.log.jsonl");
        append(&path, &record(1)).expect("append");
        let mut file = OpenOptions::new().append(true).open(&path).expect("open");
        file.write_all(b"\n  \n").expect("write");
        assert_eq!(read_last(&path).expect("readable"), Some(record(1)));
        assert_eq!(read_all(&path).expect("readable").len(), 1);
    }

    #[test]
    fn a_damaged_last_record_is_reported_with_its_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.log.jsonl");
        append(&path, &record(1)).expect("append");
        let mut file = OpenOptions::new().append(true).open(&path).expect("open");
        file.write_all(b"{\"version\": 2, oops}\n").expect("write");
        match read_last(&path) {
            Err(StoreError::CorruptLog { line, .. }) => assert_eq!(line, 2),
            other => panic!("expected a corrupt log error, got {other:?}"),
        }
    }

    #[test]
    fn long_records_are_read_from_the_end() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.log.jsonl");
        append(&path, &record(1)).expect("append");
        let mut long = record(2);
        long.description = "x".repeat(100_000);
        append(&path, &long).expect("append");
        assert_eq!(read_last(&path).expect("readable"), Some(long));
    }
}
