//! What the `list_resources` tool shows the model: the user's workflows,
//! agents, MCP servers and the MCP tools the last probe found, ranked
//! against the model's query with the skills' BM25 ranking
//! ([`crate::core::ranking`]) and bounded: at most [`SHOWN`] of each kind,
//! descriptions cut to [`DESCRIPTION_CHARS`], the whole answer under
//! [`ANSWER_BYTES`], and a count of what was left out. Skills come from
//! `list_skills`, so both tools rank skills the same way.
//!
//! Launch lines and URLs are shown without their credentials.

use serde_json::{Value, json};

use crate::core::ranking;
use crate::core::skill::Skill;
use crate::store::Store;
use crate::store::discovery::{Discovery, FoundServer, Transport, redact};

/// At most this many workflows, agents, servers and tools each.
pub const SHOWN: usize = 20;
/// A description longer than this is cut (with "…").
pub const DESCRIPTION_CHARS: usize = 200;
/// The most one answer may weigh, as JSON text.
pub const ANSWER_BYTES: usize = 48 * 1024;

/// One thing that can be listed: its name and description for ranking,
/// and how it is shown.
struct Entry {
    name: String,
    description: String,
    shown: Value,
}

/// The best [`SHOWN`] of `entries` for `query` (by name when the query is
/// empty), and how many matched in all.
fn pick(entries: Vec<Entry>, query: &str) -> (Vec<Value>, usize) {
    if query.trim().is_empty() {
        let matched = entries.len();
        let mut entries = entries;
        entries.sort_by(|left, right| left.name.cmp(&right.name));
        return (
            entries
                .into_iter()
                .take(SHOWN)
                .map(|entry| entry.shown)
                .collect(),
            matched,
        );
    }
    // Ranked like skills: the same words, stems and synonyms.
    let documents: Vec<Skill> = entries
        .iter()
        .filter_map(|entry| {
            serde_json::from_value(json!({
                "name": entry.name,
                "type": "code_inline",
                "description": entry.description,
            }))
            .ok()
        })
        .collect();
    let ranking = ranking::rank(&documents, query, SHOWN);
    let mut entries: Vec<Option<Entry>> = entries.into_iter().map(Some).collect();
    let shown = ranking
        .hits
        .iter()
        .filter_map(|hit| entries.get_mut(hit.index)?.take())
        .map(|entry| entry.shown)
        .collect();
    (shown, ranking.matched)
}

fn cut(text: &str) -> String {
    if text.chars().count() <= DESCRIPTION_CHARS {
        return text.to_string();
    }
    let kept: String = text.chars().take(DESCRIPTION_CHARS - 1).collect();
    format!("{}…", kept.trim_end())
}

fn optional_cut(text: Option<&str>) -> Value {
    text.map_or(Value::Null, |text| Value::String(cut(text)))
}

/// Everything but the skills, for `query`; `skills` is the `list_skills`
/// answer for the same query.
pub fn list(store: &Store, query: &str, skills: Value) -> Value {
    let discovery = store.discover();
    let workflows: Vec<Entry> = store
        .list()
        .unwrap_or_default()
        .into_iter()
        .map(|summary| Entry {
            description: summary.description.clone().unwrap_or_default(),
            shown: json!({
                "name": summary.name,
                "version": summary.version,
                "steps": summary.steps,
                "description": optional_cut(summary.description.as_deref()),
                "problem": summary.problem.as_deref().map(cut),
            }),
            name: summary.name,
        })
        .collect();
    let agents: Vec<Entry> = discovery
        .agents
        .iter()
        .map(|agent| Entry {
            name: agent.name.clone(),
            description: agent.description.clone().unwrap_or_default(),
            shown: json!({
                "name": agent.name,
                "client": agent.client.to_string(),
                "scope": agent.scope,
                "description": optional_cut(agent.description.as_deref()),
                "mcp_servers": agent.mcp_servers.iter().take(SHOWN).collect::<Vec<_>>(),
                "source": agent.source,
            }),
        })
        .collect();
    let (workflows, workflows_matched) = pick(workflows, query);
    let (agents, agents_matched) = pick(agents, query);
    let (servers, servers_matched) = pick(server_entries(&discovery), query);
    let (tools, tools_matched) = pick(tool_entries(&discovery), query);
    let mut result = json!({
        "skills": skills,
        "workflows": workflows,
        "agents": agents,
        "mcp_servers": servers,
        "mcp_tools": tools,
    });
    let mut notes = Vec::new();
    for (kind, shown, matched) in [
        (
            "workflows",
            result["workflows"].as_array().map_or(0, Vec::len),
            workflows_matched,
        ),
        (
            "agents",
            result["agents"].as_array().map_or(0, Vec::len),
            agents_matched,
        ),
        (
            "mcp_servers",
            result["mcp_servers"].as_array().map_or(0, Vec::len),
            servers_matched,
        ),
        (
            "mcp_tools",
            result["mcp_tools"].as_array().map_or(0, Vec::len),
            tools_matched,
        ),
    ] {
        if matched > shown {
            result["more"][kind] = json!(matched - shown);
            notes.push(format!("{kind}: the best {shown} of {matched}"));
        }
    }
    if discovery.probe.is_none() && !discovery.mcp_servers.is_empty() {
        notes.push(
            "the MCP servers' tools are not known yet; the user can list them with `qwf resources --probe`"
                .into(),
        );
    }
    fit(&mut result, &mut notes);
    if !notes.is_empty() {
        if result.get("more").is_some() {
            notes.push("use more specific query words to find the others".into());
        }
        result["note"] = json!(notes.join("; "));
    }
    result
}

/// Drops entries from the end of the longest lists until the answer
/// weighs at most [`ANSWER_BYTES`], counting them under `more`.
fn fit(result: &mut Value, notes: &mut Vec<String>) {
    const KINDS: [&str; 5] = ["mcp_tools", "mcp_servers", "agents", "workflows", "skills"];
    let mut dropped = false;
    while result.to_string().len() > ANSWER_BYTES {
        let longest = KINDS
            .iter()
            .copied()
            .filter_map(|kind| {
                let items = list_of(result, kind)?;
                (!items.is_empty()).then_some((kind, items.len()))
            })
            .max_by_key(|(_, length)| *length);
        let Some((kind, _)) = longest else { break };
        if let Some(items) = list_of_mut(result, kind) {
            items.pop();
        }
        let more = result["more"][kind].as_u64().unwrap_or(0);
        result["more"][kind] = json!(more + 1);
        dropped = true;
    }
    if dropped {
        notes.push(format!(
            "the answer was cut to {} KiB; the counts under \"more\" were left out",
            ANSWER_BYTES / 1024
        ));
    }
}

/// The list of one kind: a plain array, or the `skills` of a
/// `list_skills` object answer.
fn list_of<'a>(result: &'a Value, kind: &str) -> Option<&'a Vec<Value>> {
    match &result[kind] {
        Value::Array(items) => Some(items),
        Value::Object(object) => object.get("skills")?.as_array(),
        _ => None,
    }
}

fn list_of_mut<'a>(result: &'a mut Value, kind: &str) -> Option<&'a mut Vec<Value>> {
    match &mut result[kind] {
        Value::Array(items) => Some(items),
        Value::Object(object) => object.get_mut("skills")?.as_array_mut(),
        _ => None,
    }
}

fn server_entries(discovery: &Discovery) -> Vec<Entry> {
    discovery
        .mcp_servers
        .iter()
        .map(|server| {
            let cached = discovery.cached_tools(server);
            let tools = cached.map_or(0, |cached| cached.tools.len());
            let mut shown = json!({
                "name": server.name,
                "client": server.client.to_string(),
                "scope": server.scope,
                "disabled": server.disabled,
                "launch": launch(server),
                "source": server.source,
                "tools": tools,
            });
            if let Some(agent) = &server.agent {
                shown["agent"] = json!(agent);
            }
            if let Some(error) = cached.and_then(|cached| cached.error.as_ref()) {
                shown["probe_error"] = json!(cut(&redact::free_text(error)));
            }
            Entry {
                name: server.name.clone(),
                description: server.agent.clone().unwrap_or_default(),
                shown,
            }
        })
        .collect()
}

/// Never a credential: the launch line and URL as shown to the user.
fn launch(server: &FoundServer) -> Value {
    match &server.transport {
        Transport::Stdio { .. } => json!({ "command": cut(&server.transport.shown()) }),
        Transport::Remote { .. } => json!({ "url": cut(&server.transport.shown()) }),
    }
}

fn tool_entries(discovery: &Discovery) -> Vec<Entry> {
    let mut entries = Vec::new();
    for server in &discovery.mcp_servers {
        let Some(cached) = discovery.cached_tools(server) else {
            continue;
        };
        for tool in &cached.tools {
            entries.push(Entry {
                name: tool.name.clone(),
                // The server's name counts as words of each of its tools.
                description: format!(
                    "{} {}",
                    tool.description.as_deref().unwrap_or_default(),
                    server.name
                ),
                shown: json!({
                    "server": server.name,
                    "name": tool.name,
                    "description": optional_cut(tool.description.as_deref()),
                }),
            });
        }
    }
    entries
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_is_cut_to_its_size_and_says_so() {
        let big = "x".repeat(DESCRIPTION_CHARS);
        let mut result = json!({
            "skills": [],
            "workflows": [],
            "agents": [],
            "mcp_servers": [],
            "mcp_tools": (0..300).map(|index| json!({"name": format!("t{index}"), "description": big})).collect::<Vec<_>>(),
        });
        let mut notes = Vec::new();
        fit(&mut result, &mut notes);
        assert!(result.to_string().len() <= ANSWER_BYTES);
        let kept = result["mcp_tools"].as_array().expect("tools").len();
        assert_eq!(
            result["more"]["mcp_tools"].as_u64(),
            Some(300 - kept as u64)
        );
        assert_eq!(notes.len(), 1);
        assert_eq!(cut(&"é".repeat(500)).chars().count(), DESCRIPTION_CHARS);
    }
}
