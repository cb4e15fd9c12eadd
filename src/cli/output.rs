//! Where output goes. Colour only on a terminal and never with `NO_COLOR`
//! (anstream strips styles otherwise); `--json` documents go to stdout.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use super::error::CliError;

pub const ERROR: Style = AnsiColor::Red.on_default().bold();
pub const WARNING: Style = AnsiColor::Yellow.on_default().bold();
pub const HINT: Style = AnsiColor::Cyan.on_default();
pub const GOOD: Style = AnsiColor::Green.on_default().bold();
pub const DIM: Style = Style::new().dimmed();
pub const BOLD: Style = Style::new().bold();

pub struct Printer {
    pub json: bool,
    /// A `--json` document was printed already; stdout holds only one.
    documented: bool,
    out: anstream::AutoStream<std::io::Stdout>,
    err: anstream::AutoStream<std::io::Stderr>,
}

impl Printer {
    pub fn new(json: bool) -> Self {
        Printer {
            json,
            documented: false,
            out: anstream::AutoStream::auto(std::io::stdout()),
            err: anstream::AutoStream::auto(std::io::stderr()),
        }
    }

    /// A line of human output on stdout.
    pub fn line(&mut self, text: impl AsRef<str>) {
        let text = text.as_ref();
        // A closed pipe (`qwf ... | head`) is not worth a panic.
        if self.out.current_choice() == anstream::ColorChoice::Never {
            // Styles removed here and the text written in large blocks: a
            // long listing is a few system calls, not one per styled piece.
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
            for piece in anstream::adapter::strip_str(text) {
                let _ = out.write_all(piece.as_bytes());
            }
            let _ = out.write_all(b"\n");
            let _ = out.flush();
        } else {
            let _ = writeln!(self.out, "{text}");
        }
    }

    /// The one JSON document of a `--json` run.
    pub fn document(&mut self, value: &impl Serialize) {
        match serde_json::to_string_pretty(value) {
            Ok(text) => {
                self.documented = true;
                self.line(text)
            }
            Err(error) => self.error(&CliError::new(format!(
                "cannot encode the result as JSON: {error}"
            ))),
        }
    }

    /// Something the user should know that is not the command's result
    /// (a hand edit that could not be recorded): on stderr, so stdout stays
    /// the result.
    pub fn note(&mut self, text: impl AsRef<str>) {
        let _ = writeln!(self.err, "{WARNING}Note:{WARNING:#} {}", text.as_ref());
    }

    pub fn error(&mut self, error: &CliError) {
        // After a document (a refusal that reports what it would have
        // done), the error goes to stderr so stdout stays one document.
        if self.json && !self.documented {
            let mut document = serde_json::json!({ "error": { "message": error.message } });
            if let Some(hint) = &error.hint {
                document["error"]["hint"] = hint.clone().into();
            }
            self.document(&document);
            return;
        }
        let _ = writeln!(self.err, "{ERROR}Error:{ERROR:#} {}", error.message);
        if let Some(hint) = &error.hint {
            let _ = writeln!(self.err, "{HINT}Hint:{HINT:#} {hint}");
        }
    }
}

/// Wraps text in a style (removed later when colour is off).
pub fn paint(style: Style, text: impl std::fmt::Display) -> String {
    format!("{style}{text}{style:#}")
}
