//! `qwf resources` on the real binary, with a temporary HOME (Amazon Q CLI
//! and Kiro files), a temporary QWF_HOME and a temporary working directory
//! (the workspace).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::{Value, json};

#[path = "cli/common.rs"]
mod common;

use common::Tree;

struct Env {
    dir: tempfile::TempDir,
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn snapshot(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}", self.stdout))
    }
}

impl Env {
    fn new() -> Self {
        let env = Env {
            dir: tempfile::tempdir().expect("tempdir"),
        };
        std::fs::create_dir_all(env.project()).expect("project dir");
        env
    }

    /// `HOME`.
    fn home(&self) -> PathBuf {
        self.dir.path().join("user")
    }

    /// `QWF_HOME`.
    fn qwf(&self) -> PathBuf {
        self.dir.path().join("qwf")
    }

    /// The working directory of runs: the workspace.
    fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    fn write(&self, path: &Path, content: &str) {
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }

    fn run_at(&self, timestamp: &str, args: &[&str]) -> Run {
        let output = Command::cargo_bin("qwf")
            .expect("the qwf binary")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.home())
            .env("QWF_HOME", self.qwf())
            .env("QWF_TIMESTAMP", timestamp)
            .env("NO_COLOR", "1")
            .current_dir(self.project())
            .output()
            .expect("qwf runs");
        let clean = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes).replace(&self.dir.path().display().to_string(), "[TMP]")
        };
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: clean(&output.stdout),
            stderr: clean(&output.stderr),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_at(common::T0, args)
    }
}

/// A home and workspace with something of every kind, one broken agent
/// file, a workspace skill and a workspace agent shadowing global ones.
fn fixture() -> Env {
    let env = Env::new();
    let home = env.home();
    let project = env.project();
    let qwf = env.qwf();
    env.write(
        &qwf.join("skills/data-validator.json"),
        r#"{"name": "data-validator", "type": "code_inline", "description": "Validate data (home copy)", "command": "validate"}"#,
    );
    env.write(
        &qwf.join("skills/http-fetch.json"),
        r#"{"name": "http-fetch", "type": "code_inline", "description": "Fetch a URL", "command": "curl"}"#,
    );
    env.write(
        &project.join(".qwf/skills/data-validator.json"),
        r#"{"name": "data-validator", "type": "code_inline", "description": "Validate data against the project's schema", "command": "validate --strict"}"#,
    );
    // Amazon Q CLI: a global agent in its full format, with its own server.
    env.write(
        &home.join(".aws/amazonq/cli-agents/aws-expert.json"),
        r#"{
  "$schema": "https://raw.githubusercontent.com/aws/amazon-q-developer-cli/refs/heads/main/schemas/agent-v1.json",
  "name": "aws-expert",
  "description": "An agent specialized for AWS infrastructure tasks",
  "prompt": "You are an expert AWS infrastructure specialist",
  "mcpServers": {
    "git": { "command": "git-mcp", "args": [], "env": { "GIT_TOKEN": "secret-value" }, "timeout": 120000 }
  },
  "tools": ["fs_read", "@git"],
  "toolAliases": { "@git/git_status": "status" },
  "allowedTools": ["fs_read"],
  "toolsSettings": { "fs_write": { "allowedPaths": ["src/**"] } },
  "resources": ["file://README.md"],
  "hooks": { "agentSpawn": [{ "command": "git status" }] },
  "useLegacyMcpJson": true,
  "model": "claude-sonnet-4",
  "someFutureField": 1
}"#,
    );
    env.write(
        &home.join(".aws/amazonq/cli-agents/dev.json"),
        r#"{"name": "dev", "description": "Global dev agent"}"#,
    );
    // The name comes from the file when the agent has none.
    env.write(
        &project.join(".amazonq/cli-agents/dev.json"),
        r#"{"description": "This project's dev agent", "prompt": null}"#,
    );
    env.write(
        &home.join(".aws/amazonq/cli-agents/broken.json"),
        "{\n  \"name\": \"broken\",\n  \"tools\": [\"fs_read\",]\n}\n",
    );
    // Kiro: a JSON agent and a Markdown one; a prompt file is not an agent.
    env.write(
        &home.join(".kiro/agents/backend.json"),
        r#"{"name": "backend", "description": "Backend specialist", "prompt": "file://./prompts/backend.md", "includeMcpJson": true}"#,
    );
    env.write(
        &home.join(".kiro/agents/prompts/backend.md"),
        "You build and review backend services.\n",
    );
    env.write(
        &home.join(".kiro/agents/reviewer.md"),
        "---\ndescription: Reviews pull requests\nmodel: claude-sonnet-4\ntools: [read, shell]\nmcpServers:\n  github:\n    command: npx\n    args: [\"-y\", \"@modelcontextprotocol/server-github\"]\n---\nYou review code.\n",
    );
    env.write(
        &home.join(".kiro/agents/notes.md"),
        "# Notes\nNot an agent.\n",
    );
    // MCP servers: both programs, both scopes, one name in two scopes.
    env.write(
        &home.join(".aws/amazonq/mcp.json"),
        r#"{"mcpServers": {
  "fetch": {"command": "uvx", "args": ["mcp-server-fetch"], "env": {"API_KEY": "do-not-show"}},
  "search": {"command": "search-mcp", "disabled": true},
  "docs": {"url": "https://docs.example.com/mcp", "type": "http"}
}}"#,
    );
    env.write(
        &project.join(".amazonq/mcp.json"),
        r#"{"mcpServers": {"fetch": {"command": "./bin/fetch-mcp", "args": ["--local"]}}}"#,
    );
    env.write(
        &home.join(".kiro/settings/mcp.json"),
        r#"{"mcpServers": {"memory": {"command": "npx", "args": ["-y", "@modelcontextprotocol/server-memory"], "autoApprove": []}}}"#,
    );
    // The workspace's own skills are used only once it is trusted.
    let trusted = env.run(&["trust", "--yes"]);
    assert_eq!(trusted.code, 0, "{}", trusted.snapshot());
    env
}

#[test]
fn everything_is_listed_with_its_source_and_problems_do_not_stop_discovery() {
    let env = fixture();
    let before = Tree::read(env.dir.path());
    let run = env.run(&["resources"]);
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(run.code, 0);
    // Listing writes nothing, anywhere.
    before.assert_same(&Tree::read(env.dir.path()), "`qwf resources`");
}

#[test]
fn the_json_document_has_sources_positions_and_no_secret_values() {
    let env = fixture();
    let run = env.run(&["resources", "--json"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    let document = run.json();
    assert!(!run.stdout.contains("do-not-show") && !run.stdout.contains("secret-value"));
    let problems = document["problems"].as_array().expect("problems");
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(
        problems[0],
        json!({
            "path": "[TMP]/user/.aws/amazonq/cli-agents/broken.json",
            "line": 3, "column": 23, "message": "trailing comma"
        })
    );
    let skills = &document["skills"];
    assert_eq!(skills[0]["name"], "data-validator");
    assert_eq!(skills[0]["scope"], "workspace");
    assert_eq!(skills[0]["command"], "validate --strict");
    let agents: Vec<(&str, &str, &str)> = document["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .map(|agent| {
            (
                agent["name"].as_str().unwrap_or_default(),
                agent["client"].as_str().unwrap_or_default(),
                agent["scope"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        agents,
        [
            ("aws-expert", "amazon_q", "global"),
            ("backend", "kiro", "global"),
            ("dev", "amazon_q", "workspace"),
            ("reviewer", "kiro", "global"),
        ]
    );
    let fetch: Vec<&Value> = document["mcp_servers"]
        .as_array()
        .expect("servers")
        .iter()
        .filter(|server| server["name"] == "fetch")
        .collect();
    assert_eq!(
        fetch.len(),
        1,
        "the workspace's fetch replaces the global one"
    );
    assert_eq!(fetch[0]["command"], "./bin/fetch-mcp");
    assert_eq!(fetch[0]["source"], "[TMP]/project/.amazonq/mcp.json");
    let git = document["mcp_servers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|server| server["name"] == "git")
        .expect("the agent's own server");
    assert_eq!(git["agent"], "aws-expert");
    assert_eq!(git["env"], json!(["GIT_TOKEN"]));
    let shadowed: Vec<(&str, &str)> = document["shadowed"]
        .as_array()
        .expect("shadowed")
        .iter()
        .map(|entry| {
            (
                entry["kind"].as_str().unwrap_or_default(),
                entry["name"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        shadowed,
        [
            ("skill", "data-validator"),
            ("agent", "dev"),
            ("mcp_server", "fetch")
        ]
    );
}

#[test]
fn nothing_found_says_where_it_looked() {
    let env = Env::new();
    let run = env.run(&["resources"]);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn every_kind_of_bad_file_is_reported_and_nothing_is_written() {
    let env = Env::new();
    let home = env.home();
    let project = env.project();
    env.write(
        &env.qwf().join("skills/half.json"),
        r#"{"name": "half", "type": "#,
    );
    env.write(
        &env.qwf().join("skills/good.json"),
        r#"{"name": "good", "type": "prompt_inline"}"#,
    );
    env.write(
        &project.join(".qwf/skills/wrong-type.json"),
        r#"{"name": "x", "type": "robot"}"#,
    );
    env.write(
        &home.join(".aws/amazonq/cli-agents/shape.json"),
        "{\n  \"tools\": \"fs_read\"\n}",
    );
    env.write(&home.join(".aws/amazonq/cli-agents/array.json"), "[1, 2]");
    std::fs::write(
        home.join(".aws/amazonq/cli-agents/binary.json"),
        [0xff, 0xfe, 0x00],
    )
    .expect("write");
    std::fs::create_dir_all(home.join(".aws/amazonq/cli-agents/folder.json")).expect("a directory");
    env.write(
        &home.join(".aws/amazonq/cli-agents/fine.json"),
        r#"{"name": "fine"}"#,
    );
    env.write(
        &home.join(".kiro/agents/bad-yaml.md"),
        "---\nname: x\ntools: [read\n---\nbody\n",
    );
    env.write(
        &home.join(".aws/amazonq/mcp.json"),
        "{\"mcpServers\": {\n  \"x\": {\"args\": []}\n}}",
    );
    env.write(&project.join(".amazonq/mcp.json"), "{}");
    env.write(&home.join(".kiro/settings/mcp.json"), "not json at all");
    env.write(
        &env.qwf().join("cache/mcp-tools.json"),
        "{\"probed_at\": 3}",
    );
    // Two agents of one name in one directory: the first file is used.
    env.write(
        &home.join(".kiro/agents/a.json"),
        r#"{"name": "twin", "description": "first"}"#,
    );
    env.write(
        &home.join(".kiro/agents/b.json"),
        r#"{"name": "twin", "description": "second"}"#,
    );
    let before = Tree::read(env.dir.path());
    let run = env.run(&["resources"]);
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(run.code, 0);
    before.assert_same(&Tree::read(env.dir.path()), "`qwf resources` on bad files");
    let json = env.run(&["resources", "--json"]).json();
    assert_eq!(
        json["problems"].as_array().map(Vec::len),
        Some(10),
        "{json:#}"
    );
}

#[test]
fn a_probe_saves_the_tools_and_later_listings_show_them_with_their_age() {
    let env = Env::new();
    // Servers start in the workspace, so their files are found from there.
    let fake = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mcp/fake_server.py");
    std::fs::copy(&fake, env.project().join("fake_server.py")).expect("copy the fake server");
    env.write(
        &env.project().join("hang.sh"),
        "sleep 300 &\necho $! > helper.pid\nwait\n",
    );
    let pid_file = env.project().join("helper.pid");
    let config = json!({"mcpServers": {
        "fake": {"command": "python3", "args": ["fake_server.py"]},
        "hangs": {"command": "sh", "args": ["hang.sh"]},
        "missing": {"command": "qwf-no-such-server"},
        "off": {"command": "python3", "disabled": true},
    }});
    env.write(
        &env.home().join(".aws/amazonq/mcp.json"),
        &config.to_string(),
    );
    let run = env.run(&["resources", "--probe", "--timeout", "2"]);
    assert_eq!(run.code, 0, "{}", run.snapshot());
    assert!(
        run.stdout
            .contains("2 tools (probed just now): say_hello, count_words"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("probe failed (just now): no answer within 2 s (stopped)"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("command 'qwf-no-such-server' was not found"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("Probed 3 servers: 1 answered with 2 tools, 2 failed."),
        "{}",
        run.stdout
    );
    // No process of the probe outlives it.
    let helper: u32 = std::fs::read_to_string(&pid_file)
        .expect("the hanging server started")
        .trim()
        .parse()
        .expect("a pid");
    let stat = std::fs::read_to_string(format!("/proc/{helper}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z"),
        "the hanging server's helper still runs: {stat}"
    );
    let cache: Value = serde_json::from_str(
        &std::fs::read_to_string(env.qwf().join("cache/mcp-tools.json")).expect("the cache"),
    )
    .expect("JSON");
    assert_eq!(cache["probed_at"], common::T0);
    let fake_entry = cache["servers"]
        .as_array()
        .expect("servers")
        .iter()
        .find(|server| server["name"] == "fake")
        .expect("fake");
    assert_eq!(
        fake_entry["source"],
        env.home()
            .join(".aws/amazonq/mcp.json")
            .display()
            .to_string()
    );
    assert_eq!(
        fake_entry["tools"][0]["description"],
        "Greets someone by name"
    );
    // Two hours later, without probing.
    let later = env.run_at("2026-11-27T12:00:00Z", &["resources"]);
    insta::assert_snapshot!(later.snapshot());
    let document = env
        .run_at("2026-11-27T12:00:00Z", &["resources", "--json"])
        .json();
    assert_eq!(document["probe"]["age"], "2 hours ago");
}

#[test]
fn timeout_needs_probe_and_a_sensible_value() {
    let env = Env::new();
    assert_eq!(env.run(&["resources", "--timeout", "5"]).code, 2);
    assert_eq!(env.run(&["resources", "--probe", "--timeout", "0"]).code, 2);
}

/// The model's `list_resources` sees agents, MCP servers and probed tools,
/// filtered by its query; validation knows the discovered agents.
#[test]
fn the_model_is_offered_agents_servers_and_probed_tools() {
    use qwf::agent::gate::{Policy, PolicyGate};
    use qwf::agent::model::Message;
    use qwf::agent::scripted::ScriptedModel;
    use qwf::agent::session::{Options, Session};
    use qwf::store::discovery::{CachedServer, CachedTool, ProbeCache, Roots, ServerOrigin};
    use qwf::store::{Context, Store};

    let env = fixture();
    let store = Store::new(env.qwf()).with_roots(Roots {
        user_home: Some(env.home()),
        workspace: Some(env.project()),
    });
    store
        .save_probe(&ProbeCache {
            probed_at: common::T0.into(),
            servers: vec![CachedServer {
                name: "memory".into(),
                origin: ServerOrigin {
                    source: env.home().join(".kiro/settings/mcp.json"),
                    agent: None,
                },
                tools: vec![
                    CachedTool {
                        name: "create_entities".into(),
                        description: Some("Create entities in the knowledge graph".into()),
                    },
                    CachedTool {
                        name: "read_graph".into(),
                        description: Some("Read the whole graph".into()),
                    },
                ],
                error: None,
            }],
        })
        .expect("the cache is saved");
    let model = ScriptedModel::new([
        ScriptedModel::call("1", "list_resources", json!({"query": "knowledge aws"})),
        ScriptedModel::call("2", "list_resources", json!({"query": ""})),
        ScriptedModel::text("done"),
    ]);
    let context = Context {
        now: common::T0.into(),
        on_wait: &|| {},
    };
    let mut session = Session::new(&model, &store, context, Options::default());
    let mut gate = PolicyGate {
        policy: Policy {
            yes: false,
            force: false,
            dry_run: true,
        },
    };
    session
        .run("what can I reuse?", &mut gate)
        .expect("the model answers");
    let results: Vec<Value> = session
        .messages()
        .iter()
        .filter_map(|message| match message {
            Message::Tool {
                content, is_error, ..
            } => {
                assert!(!is_error, "{content}");
                Some(serde_json::from_str(content).expect("JSON"))
            }
            _ => None,
        })
        .collect();
    let filtered = &results[0];
    assert_eq!(
        filtered["mcp_tools"],
        json!([{"server": "memory", "name": "create_entities", "description": "Create entities in the knowledge graph"}])
    );
    let agents: Vec<&str> = filtered["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter_map(|agent| agent["name"].as_str())
        .collect();
    assert_eq!(agents, ["aws-expert"]);
    let everything = &results[1];
    assert_eq!(everything["agents"].as_array().map(Vec::len), Some(4));
    assert_eq!(everything["mcp_servers"].as_array().map(Vec::len), Some(6));
    assert_eq!(everything["mcp_tools"].as_array().map(Vec::len), Some(2));
    assert!(!everything.to_string().contains("do-not-show"));
}
