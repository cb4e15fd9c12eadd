//! The picture as a Graphviz DOT digraph (`dot -Tsvg`). Node ids are
//! generated (`s0`, `s1`, …); every label is a quoted string with `\` and
//! `"` escaped and lines joined by DOT's `\n`.

use super::{Mark, Picture, Shape};

pub fn write(picture: &Picture) -> String {
    let flow = picture.flow();
    let mut out = format!("digraph {} {{\n", quote(&picture.name));
    out.push_str("    rankdir=TB;\n");
    out.push_str("    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n");
    out.push_str("    edge [fontname=\"Helvetica\"];\n");
    for (key, node) in &flow.nodes {
        let label = node.label(escape, "\\n");
        let mut attributes = vec![format!("label=\"{label}\"")];
        match node.shape {
            Shape::Task => {}
            Shape::Parallel(_) => attributes.push("shape=hexagon".into()),
            Shape::Conditional { .. } => attributes.push("shape=diamond".into()),
        }
        match node.mark {
            Mark::Unchanged => {}
            Mark::Added => attributes.push("color=\"#1a7f37\", penwidth=2".into()),
            Mark::Removed => attributes.push("color=\"#cf222e\", style=\"rounded,dashed\"".into()),
            Mark::Changed => attributes.push("color=\"#9a6700\", penwidth=2".into()),
        }
        out.push_str(&format!("    {key} [{}];\n", attributes.join(", ")));
    }
    for edge in &flow.edges {
        let mut attributes = Vec::new();
        if let Some(label) = edge.label {
            attributes.push(format!("label=\"{}\"", escape(label)));
        }
        if edge.dashed {
            attributes.push("style=dashed".to_string());
        }
        if attributes.is_empty() {
            out.push_str(&format!("    {} -> {};\n", edge.from, edge.to));
        } else {
            out.push_str(&format!(
                "    {} -> {} [{}];\n",
                edge.from,
                edge.to,
                attributes.join(", ")
            ));
        }
    }
    out.push_str("}\n");
    out
}

/// Text inside a DOT quoted string.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' | '\r' => out.push(' '),
            other => out.push(other),
        }
    }
    out
}

fn quote(text: &str) -> String {
    format!("\"{}\"", escape(text))
}
