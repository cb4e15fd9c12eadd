//! Tool calls that open models write as text instead of through the
//! provider's tool-call API: Qwen's and Hermes' `<tool_call>{…}</tool_call>`
//! blocks, a fenced ```json block, or a bare JSON object. They are read back
//! as calls, so they go through the same checks and the same gate as any
//! other call (nothing recovered here is ever applied without being shown);
//! each carries a note that goes back to the model in the tool's result.

use serde_json::Value;

use super::model::ToolCall;
use super::tools::{Tool, ToolSet};

/// Calls found in a reply's text, and the text without them.
#[derive(Debug, Clone, PartialEq)]
pub struct Recovered {
    pub calls: Vec<ToolCall>,
    /// Per call, in order: where it was found, for the tool result.
    pub notes: Vec<String>,
    /// The text with the blocks that held the calls taken out.
    pub text: String,
}

/// The calls written in `text`, if any. A block or object counts only when
/// it names a tool `offered` has (`{"name": TOOL, "arguments": {…}}`, also
/// with `parameters`) or, without a name, when its fields are the
/// arguments of exactly one offered tool.
pub fn from_text(text: &str, offered: ToolSet) -> Option<Recovered> {
    let mut calls = Vec::new();
    let mut notes = Vec::new();
    let mut kept = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let Some((start, form)) = next_candidate(rest) else {
            kept.push_str(rest);
            break;
        };
        let (inner_start, inner_end, end) = match form {
            Form::Tagged => {
                let inner = start + "<tool_call>".len();
                match rest[inner..].find("</tool_call>") {
                    Some(close) => (inner, inner + close, inner + close + "</tool_call>".len()),
                    // A block cut off at the end of the reply.
                    None => (inner, rest.len(), rest.len()),
                }
            }
            Form::Fenced => {
                let after_fence = start + 3;
                let line_end = rest[after_fence..]
                    .find('\n')
                    .map_or(rest.len(), |at| after_fence + at + 1);
                match rest[line_end..].find("```") {
                    Some(close) => (line_end, line_end + close, line_end + close + 3),
                    None => (line_end, rest.len(), rest.len()),
                }
            }
            Form::Bare => match json_object_at(&rest[start..]) {
                Some(length) => (start, start + length, start + length),
                None => {
                    kept.push_str(&rest[..start + 1]);
                    rest = &rest[start + 1..];
                    continue;
                }
            },
        };
        let inner = rest[inner_start..inner_end].trim();
        let found = read_call(inner, offered, calls.len() + 1);
        match found {
            Some(call) => {
                kept.push_str(&rest[..start]);
                notes.push(
                    match form {
                        Form::Tagged => "read from a <tool_call> block in your text",
                        Form::Fenced => "read from a fenced JSON block in your text",
                        Form::Bare => "read from a JSON object in your text",
                    }
                    .to_string()
                        + "; call tools through the tool-call API",
                );
                calls.push(call);
                rest = &rest[end..];
            }
            None => {
                // Not a call: keep it as text and look further on.
                let step = end.max(start + 1);
                kept.push_str(&rest[..step]);
                rest = &rest[step..];
            }
        }
    }
    if calls.is_empty() {
        return None;
    }
    Some(Recovered {
        calls,
        notes,
        text: kept.trim().to_string(),
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Form {
    Tagged,
    Fenced,
    Bare,
}

fn next_candidate(text: &str) -> Option<(usize, Form)> {
    let tagged = text.find("<tool_call>").map(|at| (at, Form::Tagged));
    let fenced = text.find("```").map(|at| (at, Form::Fenced));
    let bare = text.find('{').map(|at| (at, Form::Bare));
    [tagged, fenced, bare]
        .into_iter()
        .flatten()
        .min_by_key(|(at, _)| *at)
}

/// The length of the JSON object that starts `text`, if one does.
fn json_object_at(text: &str) -> Option<usize> {
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    match stream.next() {
        Some(Ok(Value::Object(_))) => Some(stream.byte_offset()),
        _ => None,
    }
}

/// A call from the JSON text of one block.
fn read_call(inner: &str, offered: ToolSet, number: usize) -> Option<ToolCall> {
    let value: Value = serde_json::from_str(inner).ok().or_else(|| {
        json_object_at(inner).and_then(|length| serde_json::from_str(&inner[..length]).ok())
    })?;
    let object = value.as_object()?;
    let id = format!("text-call-{number}");
    if let Some(name) = object.get("name").and_then(Value::as_str)
        && offered.offers(name)
    {
        let arguments = object
            .get("arguments")
            .or_else(|| object.get("parameters"))
            .cloned()
            .unwrap_or(Value::Object(Default::default()));
        return Some(ToolCall {
            id,
            name: name.to_string(),
            arguments,
        });
    }
    // Bare arguments: they must fit exactly one offered tool.
    let fits: Vec<&str> = super::tools::TOOL_NAMES
        .iter()
        .copied()
        .filter(|name| offered.offers(name) && Tool::parse(name, &value).is_ok())
        .collect();
    match fits.as_slice() {
        [name] if !object.is_empty() => Some(ToolCall {
            id,
            name: (*name).to_string(),
            arguments: value,
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_tagged_block_is_a_call_and_leaves_the_rest_of_the_text() {
        let text = "Adding retry.\n<tool_call>\n{\"name\": \"propose_modification\", \"arguments\": {\"workflow\": \"w\", \"modifications\": [], \"summary\": \"s\"}}\n</tool_call>";
        let recovered = from_text(text, ToolSet::Edit).expect("a call");
        assert_eq!(recovered.calls.len(), 1);
        assert_eq!(recovered.calls[0].name, "propose_modification");
        assert_eq!(recovered.calls[0].arguments["workflow"], "w");
        assert_eq!(recovered.text, "Adding retry.");
        assert!(recovered.notes[0].contains("<tool_call>"));
    }

    #[test]
    fn a_fenced_block_and_bare_arguments_are_calls() {
        let fenced = "```json\n{\"name\": \"history\", \"arguments\": {\"workflow\": \"w\"}}\n```";
        assert_eq!(
            from_text(fenced, ToolSet::All).unwrap().calls[0].name,
            "history"
        );
        let bare = "Here: {\"workflow\": \"w\", \"modifications\": [{\"type\": \"remove_step\", \"id\": \"a\"}], \"summary\": \"Remove a\"} done";
        let recovered = from_text(bare, ToolSet::Edit).unwrap();
        assert_eq!(recovered.calls[0].name, "propose_modification");
        assert_eq!(recovered.text, "Here:  done");
    }

    #[test]
    fn objects_that_fit_no_tool_or_several_stay_text() {
        // {"workflow"} fits get_workflow, history and validate_workflow.
        assert_eq!(from_text("{\"workflow\": \"w\"}", ToolSet::All), None);
        assert_eq!(
            from_text("The step is {\"id\": \"fetch\"}.", ToolSet::All),
            None
        );
        assert_eq!(from_text("no json here", ToolSet::All), None);
        // A tool not offered in this mode is not recovered.
        let create = json!({"name": "create_workflow", "arguments": {}}).to_string();
        assert_eq!(from_text(&create, ToolSet::Edit), None);
    }

    #[test]
    fn a_block_cut_off_at_the_end_still_counts_when_its_json_is_whole() {
        let text =
            "<tool_call>{\"name\": \"ask_user\", \"arguments\": {\"question\": \"Which step?\"}}";
        let recovered = from_text(text, ToolSet::Edit).unwrap();
        assert_eq!(recovered.calls[0].arguments["question"], "Which step?");
    }
}
