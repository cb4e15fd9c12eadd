//! Questions on the terminal. Only asked when [`Settings::interactive`]
//! says so; end of input counts as "no".

use std::io::{BufRead, Write};

/// Asks `question` with the given answers (the first letter of each also
/// works) until one is given. `None` on end of input.
pub fn choose(question: &str, answers: &[&str]) -> Option<String> {
    let stdin = std::io::stdin();
    let mut stderr = std::io::stderr();
    loop {
        let lead = if question.is_empty() {
            String::new()
        } else {
            format!("{question} ")
        };
        let _ = write!(stderr, "{lead}[{}]: ", answers.join("/"));
        let _ = stderr.flush();
        let mut line = String::new();
        match stdin.lock().read_line(&mut line) {
            Ok(0) | Err(_) => {
                let _ = writeln!(stderr);
                return None;
            }
            Ok(_) => {}
        }
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
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{label}");
    let _ = stderr.flush();
    let mut text = String::new();
    match std::io::stdin().lock().read_line(&mut text) {
        Ok(0) | Err(_) => None,
        Ok(_) => Some(text.trim_end_matches(['\n', '\r']).to_string()),
    }
}
