//! Questions on the terminal. Only asked when [`Settings::interactive`]
//! says so; end of input counts as "no".

use std::io::{BufRead, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set while `qwf chat` runs: Ctrl-C at a question then answers "no" and
/// returns to the chat prompt instead of ending qwf.
static IN_CHAT: AtomicBool = AtomicBool::new(false);

pub fn set_in_chat(in_chat: bool) {
    IN_CHAT.store(in_chat, Ordering::SeqCst);
}

/// One line from stdin. On a terminal it is read with rustyline, which sees
/// Ctrl-C as a key: in chat that is end of input (no), elsewhere qwf ends
/// with 130 as it would on the signal.
fn read_answer(prompt: &str) -> Option<String> {
    // The terminal itself, so a prompt never lands in redirected stdout.
    let config = rustyline::Config::builder()
        .behavior(rustyline::Behavior::PreferTerm)
        .auto_add_history(false)
        .build();
    if std::io::stdin().is_terminal()
        && let Ok(mut editor) = rustyline::DefaultEditor::with_config(config)
    {
        return match editor.readline(prompt) {
            Ok(line) => Some(line),
            Err(rustyline::error::ReadlineError::Interrupted) if IN_CHAT.load(Ordering::SeqCst) => {
                None
            }
            Err(rustyline::error::ReadlineError::Interrupted) => std::process::exit(130),
            Err(_) => None,
        };
    }
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    let mut line = String::new();
    match std::io::stdin().lock().read_line(&mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(line.trim_end_matches(['\n', '\r']).to_string()),
    }
}

/// Asks `question` with the given answers (the first letter of each also
/// works) until one is given. `None` on end of input.
pub fn choose(question: &str, answers: &[&str]) -> Option<String> {
    let mut stderr = std::io::stderr();
    loop {
        let lead = if question.is_empty() {
            String::new()
        } else {
            format!("{question} ")
        };
        let Some(line) = read_answer(&format!("{lead}[{}]: ", answers.join("/"))) else {
            let _ = writeln!(stderr);
            return None;
        };
        let given = line.trim().to_lowercase();
        if let Some(answer) = answers.iter().find(|answer| **answer == given) {
            return Some(answer.to_string());
        }
        let by_initial: Vec<&&str> = answers
            .iter()
            .filter(|answer| answer.starts_with(given.as_str()) && !given.is_empty())
            .collect();
        if let [only] = by_initial.as_slice() {
            return Some(only.to_string());
        }
        let _ = writeln!(stderr, "Please answer {}.", answers.join(", "));
    }
}

/// A yes/no question; `None` (end of input) is no.
pub fn confirm(question: &str) -> bool {
    matches!(choose(question, &["y", "n"]).as_deref(), Some("y"))
}

/// Reads one line of free text after `label`; `None` on end of input.
pub fn line(label: &str) -> Option<String> {
    read_answer(label)
}
