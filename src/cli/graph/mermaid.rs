//! The picture as a Mermaid flowchart, for Markdown documents and pull
//! requests. Node ids are generated (`s0`, `s1`, …), so no step id can break
//! the syntax; labels are quoted with Mermaid's entity codes for the
//! characters that would end or change them.

use super::{Mark, Picture, Shape};

pub fn write(picture: &Picture) -> String {
    let flow = picture.flow();
    let mut out = String::from("flowchart TD\n");
    out.push_str(&format!("    %% workflow {}\n", comment(&picture.name)));
    let mut marked: Vec<(&str, &str)> = Vec::new();
    for (key, node) in &flow.nodes {
        let label = node.label(escape, "<br/>");
        let (open, close) = match node.shape {
            Shape::Task => ("[\"", "\"]"),
            Shape::Parallel(_) => ("{{\"", "\"}}"),
            Shape::Conditional { .. } => ("{\"", "\"}"),
        };
        out.push_str(&format!("    {key}{open}{label}{close}\n"));
        match node.mark {
            Mark::Unchanged => {}
            Mark::Added => marked.push((key, "added")),
            Mark::Removed => marked.push((key, "removed")),
            Mark::Changed => marked.push((key, "changed")),
        }
    }
    for edge in &flow.edges {
        let arrow = match (edge.dashed, edge.label) {
            (false, None) => "-->".to_string(),
            (false, Some(label)) => format!("-->|{label}|"),
            (true, None) => "-.->".to_string(),
            (true, Some(label)) => format!("-.->|{label}|"),
        };
        out.push_str(&format!("    {} {arrow} {}\n", edge.from, edge.to));
    }
    for (class, style) in [
        ("added", "fill:#e6ffec,stroke:#1a7f37"),
        (
            "removed",
            "fill:#ffebe9,stroke:#cf222e,stroke-dasharray:4 3",
        ),
        ("changed", "fill:#fff8c5,stroke:#9a6700"),
    ] {
        let keys: Vec<&str> = marked
            .iter()
            .filter(|(_, mark)| *mark == class)
            .map(|(key, _)| *key)
            .collect();
        if !keys.is_empty() {
            out.push_str(&format!("    classDef {class} {style}\n"));
            out.push_str(&format!("    class {} {class}\n", keys.join(",")));
        }
    }
    out
}

/// Text inside a quoted Mermaid label: `#` first (it starts the entity
/// codes), then the characters that end a label or start markup.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

/// A `%%` comment holds anything but a line break.
fn comment(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}
