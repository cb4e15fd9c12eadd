//! Everything a command needs from flags and the environment, resolved in
//! one place: the home directory, the clock, whether we may ask questions.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::SystemTime;

use super::error::CliError;
use crate::store::discovery::Roots;
use crate::store::{Context, Store};

#[derive(Debug, Clone)]
pub struct Settings {
    pub home: PathBuf,
    /// RFC 3339 "now" for new records (`QWF_TIMESTAMP` pins it).
    pub now: String,
    /// The time `now` stands for, for ages such as "2 minutes ago".
    pub now_time: SystemTime,
    /// Questions may be asked: stdin is a terminal and `--json` is off.
    pub interactive: bool,
    /// Where discovery looks for Amazon Q CLI and Kiro files (`HOME`) and
    /// workspace skills (the current directory).
    pub roots: Roots,
}

impl Settings {
    pub fn resolve(home: Option<PathBuf>, json: bool) -> Result<Self, CliError> {
        let home = match home {
            Some(home) => home,
            None => directories::ProjectDirs::from("", "", "qwf")
                .map(|dirs| dirs.data_dir().to_path_buf())
                .ok_or_else(|| {
                    CliError::new("cannot find a home directory for qwf's data")
                        .with_hint("set one with --home DIR or the QWF_HOME environment variable")
                })?,
        };
        let (now, now_time) = match std::env::var("QWF_TIMESTAMP") {
            Ok(pinned) => {
                let time = humantime::parse_rfc3339_weak(&pinned).map_err(|error| {
                    CliError::new(format!(
                        "QWF_TIMESTAMP '{pinned}' is not an RFC 3339 time: {error}"
                    ))
                    .with_hint("use a form like 2026-11-27T10:00:00Z, or unset it")
                })?;
                (humantime::format_rfc3339_seconds(time).to_string(), time)
            }
            Err(_) => {
                let time = SystemTime::now();
                (humantime::format_rfc3339_seconds(time).to_string(), time)
            }
        };
        // QWF_INTERACTIVE=1 asks questions on stdin even when it is a pipe
        // (for driving qwf from expect-like tools and tests).
        let forced = std::env::var("QWF_INTERACTIVE").is_ok_and(|value| value == "1");
        let interactive = !json && (forced || std::io::stdin().is_terminal());
        let roots = Roots {
            user_home: std::env::var_os("HOME")
                .filter(|home| !home.is_empty())
                .map(PathBuf::from),
            workspace: std::env::current_dir().ok(),
        };
        Ok(Settings {
            home,
            now,
            now_time,
            interactive,
            roots,
        })
    }

    pub fn store(&self) -> Store {
        Store::new(&self.home).with_roots(self.roots.clone())
    }

    /// The store context: the clock, and a note on stderr when another
    /// process holds the workflow's lock for a noticeable time.
    pub fn context(&self) -> Context<'static> {
        Context {
            now: self.now.clone(),
            on_wait: &|| {
                eprintln!("Waiting for another qwf process to finish with this workflow...")
            },
        }
    }

    /// "2 minutes ago" for an RFC 3339 timestamp.
    pub fn age(&self, timestamp: &str) -> String {
        let Ok(then) = humantime::parse_rfc3339_weak(timestamp) else {
            return timestamp.to_string();
        };
        let seconds = self
            .now_time
            .duration_since(then)
            .map_or(0, |elapsed| elapsed.as_secs());
        let (amount, unit) = match seconds {
            0..=59 => return "just now".to_string(),
            60..=3_599 => (seconds / 60, "minute"),
            3_600..=86_399 => (seconds / 3_600, "hour"),
            86_400..=2_591_999 => (seconds / 86_400, "day"),
            2_592_000..=31_535_999 => (seconds / 2_592_000, "month"),
            _ => (seconds / 31_536_000, "year"),
        };
        format!("{amount} {unit}{} ago", if amount == 1 { "" } else { "s" })
    }
}

/// Parses a version written `3` or `v3`.
pub fn parse_version(text: &str) -> Result<u64, String> {
    let digits = text
        .strip_prefix('v')
        .or_else(|| text.strip_prefix('V'))
        .unwrap_or(text);
    match digits.parse::<u64>() {
        Ok(0) => Err("versions start at 1".into()),
        Ok(version) => Ok(version),
        Err(_) => Err(format!("'{text}' is not a version; write it as 3 or v3")),
    }
}
