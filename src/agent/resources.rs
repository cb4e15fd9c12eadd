//! What the `list_resources` tool shows the model: the user's workflows,
//! agents, MCP servers and the MCP tools the last probe found, filtered by
//! the model's query (any word, in a name or description). Skills come from
//! `list_skills`, so both tools rank skills the same way.

use serde_json::{Value, json};

use crate::store::Store;
use crate::store::discovery::{Discovery, Transport};

/// The query's words, lower-cased; none matches everything.
fn words(query: &str) -> Vec<String> {
    query.split_whitespace().map(str::to_lowercase).collect()
}

fn matches(words: &[String], texts: &[&str]) -> bool {
    if words.is_empty() {
        return true;
    }
    let haystack = texts.join(" ").to_lowercase();
    words.iter().any(|word| haystack.contains(word.as_str()))
}

/// Everything but the skills, for `query`.
pub fn list(store: &Store, query: &str, skills: Value) -> Value {
    let words = words(query);
    let discovery = store.discover();
    let workflows: Vec<Value> = store
        .list()
        .unwrap_or_default()
        .into_iter()
        .filter(|summary| {
            matches(
                &words,
                &[
                    &summary.name,
                    summary.description.as_deref().unwrap_or_default(),
                ],
            )
        })
        .map(|summary| json!(summary))
        .collect();
    let agents: Vec<Value> = discovery
        .agents
        .iter()
        .filter(|agent| {
            matches(
                &words,
                &[
                    &agent.name,
                    agent.description.as_deref().unwrap_or_default(),
                ],
            )
        })
        .map(|agent| {
            json!({
                "name": agent.name,
                "client": agent.client.to_string(),
                "scope": agent.scope,
                "description": agent.description,
                "mcp_servers": agent.mcp_servers,
                "source": agent.source,
            })
        })
        .collect();
    let (servers, tools) = servers_and_tools(&discovery, &words);
    let mut result = json!({
        "skills": skills,
        "workflows": workflows,
        "agents": agents,
        "mcp_servers": servers,
        "mcp_tools": tools,
    });
    if discovery.probe.is_none() && !discovery.mcp_servers.is_empty() {
        result["note"] = json!(
            "the MCP servers' tools are not known yet; the user can list them with `qwf resources --probe`"
        );
    }
    result
}

fn servers_and_tools(discovery: &Discovery, words: &[String]) -> (Vec<Value>, Vec<Value>) {
    let mut servers = Vec::new();
    let mut tools = Vec::new();
    for server in &discovery.mcp_servers {
        let cached = discovery.cached_tools(server);
        let server_matches = matches(words, &[&server.name]);
        let mut matched_tools = 0;
        for tool in cached
            .map(|cached| cached.tools.as_slice())
            .unwrap_or_default()
        {
            if server_matches
                || matches(
                    words,
                    &[&tool.name, tool.description.as_deref().unwrap_or_default()],
                )
            {
                matched_tools += 1;
                tools.push(json!({
                    "server": server.name,
                    "name": tool.name,
                    "description": tool.description,
                }));
            }
        }
        if !server_matches && matched_tools == 0 {
            continue;
        }
        let launch = match &server.transport {
            Transport::Stdio { command, args, .. } => json!({ "command": command, "args": args }),
            Transport::Remote { url, .. } => json!({ "url": url }),
        };
        let mut value = json!({
            "name": server.name,
            "client": server.client.to_string(),
            "scope": server.scope,
            "disabled": server.disabled,
            "launch": launch,
            "source": server.source,
        });
        if let Some(agent) = &server.agent {
            value["agent"] = json!(agent);
        }
        if let Some(error) = cached.and_then(|cached| cached.error.as_ref()) {
            value["probe_error"] = json!(error);
        }
        servers.push(value);
    }
    (servers, tools)
}
