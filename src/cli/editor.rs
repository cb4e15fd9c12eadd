//! Opening text in the user's editor (`$VISUAL`, `$EDITOR`, else `vi`)
//! and reading it back.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::output::{ERROR, Printer, paint};
use super::prompt;

/// Opens `text` in the editor as a file ending in `suffix`; the edited
/// text, or `None` (said on the printer) when no editor could run.
pub fn edit_text(printer: &mut Printer, text: &str, suffix: &str) -> Option<String> {
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".to_string());
    let file = match tempfile::Builder::new()
        .prefix("qwf-edit-")
        .suffix(suffix)
        .tempfile()
    {
        Ok(file) => file,
        Err(error) => {
            printer.line(format!(
                "{} cannot create a file to edit: {error}",
                paint(ERROR, "✗")
            ));
            return None;
        }
    };
    if let Err(error) = std::fs::write(file.path(), text) {
        printer.line(format!(
            "{} cannot write {}: {error}",
            paint(ERROR, "✗"),
            file.path().display()
        ));
        return None;
    }
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(words)
        .arg(file.path())
        .status();
    if let Err(error) = status {
        printer.line(format!(
            "{} cannot run the editor '{editor}': {error}",
            paint(ERROR, "✗")
        ));
        printer.line("  set $EDITOR to your editor (for example `export EDITOR=nano`)");
        return None;
    }
    Some(std::fs::read_to_string(file.path()).unwrap_or_default())
}

/// Opens `value` as JSON in the editor and reads it back; `what` names the
/// expected shape in the message when the edit does not parse, and the
/// user may edit again.
pub fn edit_json<T: Serialize + DeserializeOwned>(
    printer: &mut Printer,
    value: &T,
    what: &str,
) -> Option<T> {
    let mut text = format!(
        "{}\n",
        serde_json::to_string_pretty(value).unwrap_or_default()
    );
    loop {
        text = edit_text(printer, &text, ".json")?;
        match serde_json::from_str::<T>(&text) {
            Ok(value) => return Some(value),
            Err(error) => {
                printer.line(format!(
                    "{} the edited proposal is not a valid {what}: {error}",
                    paint(ERROR, "✗")
                ));
                if !prompt::confirm("Edit again?") {
                    return None;
                }
            }
        }
    }
}
