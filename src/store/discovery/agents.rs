//! Agents of Amazon Q Developer CLI and Kiro, read from their own files:
//!
//! ```text
//! ~/.aws/amazonq/cli-agents/*.json   Amazon Q CLI, global
//! ./.amazonq/cli-agents/*.json       Amazon Q CLI, workspace
//! ~/.kiro/agents/*.json | *.md       Kiro, global
//! ./.kiro/agents/*.json | *.md       Kiro, workspace
//! ```
//!
//! A JSON agent is Amazon Q CLI's agent configuration (`name`,
//! `description`, `prompt`, `mcpServers`, `tools`, `allowedTools`, `model`,
//! and more that qwf does not need; unknown fields are fine). The name is the
//! `name` field, or the file name without `.json`. Kiro reads the same JSON,
//! and its newer Markdown agents: YAML frontmatter between `---` lines with
//! the same fields, the prompt as the body. A Markdown file without
//! frontmatter is a prompt file, not an agent, and is left alone.
//!
//! Like both programs, a workspace agent wins over a global one of the same
//! name; the global one is reported as shadowed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::mcp_config::ServerConfig;
use super::{
    Client, DeclaringFile, Kind, Problem, Roots, Scope, Shadowed, files_in, parse_object, read_file,
};
use crate::core::skill::{Interface, Port};

/// How an agent file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AgentFormat {
    Json,
    Markdown,
}

/// An agent and the file it came from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FoundAgent {
    pub name: String,
    pub client: Client,
    pub scope: Scope,
    pub format: AgentFormat,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<String>,
    /// The MCP servers the agent declares itself (listed with the servers).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub mcp_servers: Vec<String>,
    /// The interface the agent declares (qwf's own `inputs` / `outputs`
    /// fields, as in a skill file); absent: unknown, steps are not checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inputs: Option<Vec<Port>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outputs: Option<Vec<Port>>,
    pub source: PathBuf,
    /// The agent's instructions (the `prompt` field, or a Markdown agent's
    /// body), given to the model when a workflow step runs the agent.
    #[serde(skip)]
    pub prompt: Option<String>,
    #[serde(skip)]
    pub(crate) server_configs: Vec<(String, ServerConfig)>,
}

/// The fields of an agent file qwf uses; the rest is ignored.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct AgentFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    tools: Option<Vec<String>>,
    #[serde(default)]
    mcp_servers: Option<BTreeMap<String, ServerConfig>>,
    #[serde(default)]
    prompt: Option<String>,
    /// qwf's interface fields, read leniently: a bad one is a problem, not
    /// a lost agent.
    #[serde(default)]
    inputs: Option<serde_json::Value>,
    #[serde(default)]
    outputs: Option<serde_json::Value>,
}

impl FoundAgent {
    /// What workflow validation checks steps running this agent against.
    pub fn interface(&self) -> Interface {
        Interface {
            inputs: self.inputs.clone(),
            outputs: self.outputs.clone(),
            executes: Some(match &self.description {
                Some(description) => format!("agent '{}': {description}", self.name),
                None => format!("agent '{}' ({})", self.name, self.source.display()),
            }),
        }
    }
}

/// An agent's `inputs` or `outputs` field as ports; a malformed one is
/// reported and treated as undeclared.
fn ports(
    path: &Path,
    field: &str,
    value: Option<serde_json::Value>,
    problems: &mut Vec<Problem>,
) -> Option<Vec<Port>> {
    match serde_json::from_value::<Vec<Port>>(value?) {
        Ok(ports) => Some(ports),
        Err(error) => {
            problems.push(Problem::new(
                path,
                format!("its \"{field}\" is not a list of names or {{\"name\", \"optional\", \"description\"}} objects ({error}); qwf treats them as undeclared"),
            ));
            None
        }
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Agents {
    pub agents: Vec<FoundAgent>,
    pub shadowed: Vec<Shadowed>,
    pub problems: Vec<Problem>,
}

const JSON: &[&str] = &["json"];
const JSON_OR_MARKDOWN: &[&str] = &["json", "md"];

/// A workspace's own agent directories.
fn workspace_directories(workspace: &Path) -> [(Client, PathBuf, &'static [&'static str]); 2] {
    [
        (
            Client::AmazonQ,
            workspace.join(".amazonq").join("cli-agents"),
            JSON,
        ),
        (
            Client::Kiro,
            workspace.join(".kiro").join("agents"),
            JSON_OR_MARKDOWN,
        ),
    ]
}

/// The workspace's agent files that declare MCP servers, as read: what
/// trusting the workspace covers (with its `mcp.json` files).
pub(super) fn workspace_declaring_files(workspace: &Path) -> Vec<DeclaringFile> {
    let mut problems = Vec::new();
    let mut files = Vec::new();
    for (client, directory, extensions) in workspace_directories(workspace) {
        for path in files_in(&directory, extensions, &mut problems) {
            let Some(text) = read_file(&path, &mut problems) else {
                continue;
            };
            let Some((file, _)) = parse_agent_file(&path, &text, &mut problems) else {
                continue;
            };
            let servers: Vec<(String, ServerConfig)> =
                file.mcp_servers.unwrap_or_default().into_iter().collect();
            if servers.is_empty() {
                continue;
            }
            files.push(DeclaringFile {
                client,
                agent: Some(agent_name(&path, file.name)),
                servers,
                path,
                text,
            });
        }
    }
    files
}

/// The agent directories of each client, workspace first (it wins).
fn directories(roots: &Roots) -> Vec<(Client, Scope, PathBuf, &'static [&'static str])> {
    let mut directories = Vec::new();
    if let Some(workspace) = roots.distinct_workspace() {
        for (client, directory, extensions) in workspace_directories(workspace) {
            directories.push((client, Scope::Workspace, directory, extensions));
        }
    }
    if let Some(home) = &roots.user_home {
        directories.push((
            Client::AmazonQ,
            Scope::Global,
            home.join(".aws").join("amazonq").join("cli-agents"),
            JSON,
        ));
        directories.push((
            Client::Kiro,
            Scope::Global,
            home.join(".kiro").join("agents"),
            JSON_OR_MARKDOWN,
        ));
    }
    directories
}

pub(super) fn discover(roots: &Roots) -> Agents {
    let mut problems = Vec::new();
    let mut shadowed = Vec::new();
    let mut by_name: BTreeMap<(Client, String), FoundAgent> = BTreeMap::new();
    for (client, scope, directory, extensions) in directories(roots) {
        for path in files_in(&directory, extensions, &mut problems) {
            let Some(agent) = read_agent(&path, client, scope, &mut problems) else {
                continue;
            };
            let key = (client, agent.name.clone());
            match by_name.get(&key) {
                // Workspace directories come first: what is there already
                // wins, whether from the workspace or an earlier file.
                Some(existing) => shadowed.push(Shadowed {
                    kind: Kind::Agent,
                    name: agent.name.clone(),
                    client,
                    used: existing.source.clone(),
                    used_scope: existing.scope,
                    ignored: agent.source.clone(),
                    ignored_scope: agent.scope,
                }),
                None => {
                    by_name.insert(key, agent);
                }
            }
        }
    }
    let mut agents: Vec<FoundAgent> = by_name.into_values().collect();
    agents.sort_by(|left, right| {
        (&left.name, left.client, left.scope).cmp(&(&right.name, right.client, right.scope))
    });
    Agents {
        agents,
        shadowed,
        problems,
    }
}

fn read_agent(
    path: &Path,
    client: Client,
    scope: Scope,
    problems: &mut Vec<Problem>,
) -> Option<FoundAgent> {
    let text = read_file(path, problems)?;
    let (file, format) = parse_agent_file(path, &text, problems)?;
    let is_markdown = format == AgentFormat::Markdown;
    let name = agent_name(path, file.name);
    let inputs = ports(path, "inputs", file.inputs, problems);
    let outputs = ports(path, "outputs", file.outputs, problems);
    let server_configs: Vec<(String, ServerConfig)> =
        file.mcp_servers.unwrap_or_default().into_iter().collect();
    let prompt = if is_markdown {
        markdown_body(&text).map(str::to_string)
    } else {
        // Q CLI's `"prompt": "file://./reviewer.md"` points at a file next
        // to the agent; one that cannot be read is a problem, not a prompt.
        match file
            .prompt
            .as_deref()
            .map(|prompt| (prompt, prompt.strip_prefix("file://")))
        {
            Some((_, Some(relative))) => {
                let target = path.parent().unwrap_or(Path::new(".")).join(relative);
                match super::read::read_text(&target, super::read::SMALL_FILE) {
                    Ok(text) => Some(text),
                    Err(error) => {
                        problems.push(Problem::new(
                            path,
                            format!(
                                "its prompt file {} cannot be read: {error}",
                                target.display()
                            ),
                        ));
                        None
                    }
                }
            }
            Some((prompt, None)) => Some(prompt.to_string()),
            None => None,
        }
    }
    .map(|prompt| prompt.trim().to_string())
    .filter(|prompt| !prompt.is_empty());
    Some(FoundAgent {
        name,
        client,
        scope,
        format,
        description: file
            .description
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty()),
        model: file.model,
        tools: file.tools.unwrap_or_default(),
        mcp_servers: server_configs
            .iter()
            .map(|(name, _)| name.clone())
            .collect(),
        inputs,
        outputs,
        source: path.to_path_buf(),
        prompt,
        server_configs,
    })
}

/// An agent file's fields; `None` for a Markdown prompt file (no
/// frontmatter) and for a file that cannot be parsed (reported).
fn parse_agent_file(
    path: &Path,
    text: &str,
    problems: &mut Vec<Problem>,
) -> Option<(AgentFile, AgentFormat)> {
    let is_markdown = path.extension().and_then(|extension| extension.to_str()) == Some("md");
    if is_markdown {
        let (yaml, first_line) = frontmatter(text)?;
        if let Some(message) = yaml_too_complex(yaml) {
            problems.push(Problem::new(path, message));
            return None;
        }
        match serde_yaml_ng::from_str::<AgentFile>(yaml) {
            Ok(file) => Some((file, AgentFormat::Markdown)),
            Err(error) => {
                problems.push(yaml_problem(path, &error, first_line));
                None
            }
        }
    } else {
        match parse_object::<AgentFile>(path, text, "an agent configuration") {
            Ok(file) => Some((file, AgentFormat::Json)),
            Err(problem) => {
                problems.push(problem);
                None
            }
        }
    }
}

/// The `name` field, or the file name without its extension.
fn agent_name(path: &Path, name: Option<String>) -> String {
    name.map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| {
            path.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default()
        })
}

/// A Kiro agent's frontmatter is a few hundred bytes; these bounds keep a
/// hostile one from making every command parse YAML for seconds.
const FRONTMATTER_LIMIT: usize = 64 * 1024;
const NESTING_LIMIT: usize = 32;

/// Why the frontmatter is not parsed at all, if it is too big or nested
/// too deep (block indentation, `- - -` sequences and `[{` brackets all
/// count).
fn yaml_too_complex(yaml: &str) -> Option<String> {
    if yaml.len() > FRONTMATTER_LIMIT {
        return Some(format!(
            "its YAML frontmatter is larger than {} KiB; an agent's settings are a few lines",
            FRONTMATTER_LIMIT / 1024
        ));
    }
    let mut indents: Vec<usize> = Vec::new();
    let mut brackets = 0usize;
    for line in yaml.lines() {
        let content = line.trim_start_matches([' ', '\t']);
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        let indent = line.len() - content.len();
        while indents.last().is_some_and(|&top| top >= indent) {
            indents.pop();
        }
        indents.push(indent);
        let mut rest = content;
        let mut dashes = 0;
        while let Some(after) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("-\t")) {
            dashes += 1;
            rest = after.trim_start();
        }
        let mut quote: Option<char> = None;
        let mut deepest = brackets;
        for c in rest.chars() {
            match (quote, c) {
                (Some(open), c) if c == open => quote = None,
                (Some(_), _) => {}
                (None, '\'' | '"') => quote = Some(c),
                (None, '#') => break,
                (None, '[' | '{') => {
                    brackets += 1;
                    deepest = deepest.max(brackets);
                }
                (None, ']' | '}') => brackets = brackets.saturating_sub(1),
                _ => {}
            }
        }
        if indents.len() + dashes + deepest > NESTING_LIMIT {
            return Some(format!(
                "its YAML frontmatter is nested more than {NESTING_LIMIT} levels deep"
            ));
        }
    }
    None
}

/// What follows a Markdown agent's frontmatter: its instructions.
fn markdown_body(text: &str) -> Option<&str> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text.strip_prefix("---")?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n').skip(1) {
        offset += line.len();
        if line.trim_end() == "---" {
            let first = rest.split_inclusive('\n').next().map_or(0, str::len);
            return Some(&rest[first + offset..]);
        }
    }
    None
}

/// The YAML between the opening and closing `---` lines, and the file line
/// it starts on; `None` when the file has no frontmatter.
fn frontmatter(text: &str) -> Option<(&str, usize)> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let rest = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))?;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if line.trim_end() == "---" {
            return Some((&rest[..offset], 2));
        }
        offset += line.len();
    }
    // An opening line with no closing one: all of it is meant as YAML.
    Some((rest, 2))
}

fn yaml_problem(path: &Path, error: &serde_yaml_ng::Error, first_line: usize) -> Problem {
    let mut problem = Problem::new(path, error.to_string());
    if let Some(location) = error.location() {
        problem.line = Some(location.line() + first_line - 1);
        problem.column = Some(location.column());
        // The position is given separately; the message need not repeat it.
        if let Some(cut) = problem.message.find(" at line ") {
            problem.message.truncate(cut);
        }
    }
    problem
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_may_declare_an_interface_and_a_bad_one_is_reported_not_fatal() {
        let dir = tempfile::tempdir().expect("tempdir");
        let declared = dir.path().join("reviewer.json");
        std::fs::write(
            &declared,
            r#"{"inputs": ["diff", {"name": "style", "optional": true}], "outputs": [{"name": "approved", "type": "boolean"}]}"#,
        )
        .expect("write");
        let markdown = dir.path().join("writer.md");
        std::fs::write(&markdown, "---\ninputs: [topic]\n---\nYou write.\n").expect("write");
        let bad = dir.path().join("odd.json");
        std::fs::write(&bad, r#"{"inputs": 3, "prompt": "x"}"#).expect("write");
        let plain = dir.path().join("plain.json");
        std::fs::write(&plain, r#"{"prompt": "x"}"#).expect("write");
        let mut problems = Vec::new();
        let mut read = |path: &Path| {
            read_agent(path, Client::Kiro, Scope::Global, &mut problems)
                .expect("an agent")
                .interface()
        };
        let reviewer = read(&declared);
        assert_eq!(reviewer.input_names(), ["diff", "style"]);
        assert!(reviewer.input("style").is_some_and(|port| port.optional));
        assert_eq!(reviewer.output_names(), ["approved"]);
        assert_eq!(read(&markdown).input_names(), ["topic"]);
        assert_eq!(read(&markdown).outputs, None);
        let odd = read(&bad);
        assert_eq!((odd.inputs, odd.outputs), (None, None));
        assert_eq!(read(&plain).inputs, None);
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(problems[0].message.contains("\"inputs\""), "{problems:?}");
    }

    #[test]
    fn agents_carry_their_instructions() {
        let dir = tempfile::tempdir().expect("tempdir");
        let markdown = dir.path().join("reviewer.md");
        std::fs::write(&markdown, "---\nname: reviewer\n---\nYou review code.\n").expect("write");
        let json = dir.path().join("writer.json");
        std::fs::write(&json, r#"{"prompt": "file://./writer-prompt.md"}"#).expect("write");
        std::fs::write(dir.path().join("writer-prompt.md"), "You write docs.").expect("write");
        let missing = dir.path().join("lost.json");
        std::fs::write(&missing, r#"{"prompt": "file://./nowhere.md"}"#).expect("write");
        let mut problems = Vec::new();
        let read = |path: &Path, problems: &mut Vec<Problem>| {
            read_agent(path, Client::Kiro, Scope::Global, problems).and_then(|agent| agent.prompt)
        };
        assert_eq!(
            read(&markdown, &mut problems).as_deref(),
            Some("You review code.")
        );
        assert_eq!(
            read(&json, &mut problems).as_deref(),
            Some("You write docs.")
        );
        assert_eq!(read(&missing, &mut problems), None);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].message.contains("nowhere.md cannot be read"));
    }

    #[test]
    fn frontmatter_is_the_yaml_between_the_fences() {
        let text = "---\nname: a\ndescription: b\n---\nYou are helpful.\n";
        assert_eq!(frontmatter(text), Some(("name: a\ndescription: b\n", 2)));
        assert_eq!(frontmatter("# Just a prompt\n"), None);
        assert_eq!(
            frontmatter("---\r\nname: a\r\n---\r\n"),
            Some(("name: a\r\n", 2))
        );
    }

    #[test]
    fn huge_or_deeply_nested_frontmatter_is_refused_quickly() {
        assert_eq!(yaml_too_complex("name: a\ntools: [read, write]\n"), None);
        let nested = format!("name: a\nx: {}1{}\n", "[".repeat(40), "]".repeat(40));
        assert!(yaml_too_complex(&nested).is_some());
        let dashes = format!("x:\n  {}1\n", "- ".repeat(40));
        assert!(yaml_too_complex(&dashes).is_some());
        let mut block = String::new();
        for depth in 0..40 {
            block.push_str(&format!("{}k{depth}:\n", " ".repeat(depth)));
        }
        assert!(yaml_too_complex(&block).is_some());
        let quoted = format!("name: \"{}\"\n", "[".repeat(100));
        assert_eq!(yaml_too_complex(&quoted), None);
        assert!(yaml_too_complex(&"a: b\n".repeat(20_000)).is_some());
    }

    #[test]
    fn yaml_errors_point_at_the_file_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("bad.md");
        std::fs::write(&path, "---\nname: ok\ntools: [read\n---\nbody\n").expect("write");
        let mut problems = Vec::new();
        let agent = read_agent(&path, Client::Kiro, Scope::Global, &mut problems);
        assert!(agent.is_none());
        assert_eq!(problems.len(), 1, "{problems:?}");
        let line = problems[0].line.expect("a line");
        assert!((3..=4).contains(&line), "{:?}", problems[0]);
        assert!(
            !problems[0].message.contains(" at line "),
            "{:?}",
            problems[0]
        );
    }
}
