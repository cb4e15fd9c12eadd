//! `qwf mcp install`: adds qwf to Amazon Q CLI, Kiro or Claude Code,
//! keeping everything else in their files.

use std::os::unix::fs::PermissionsExt;

use serde_json::{Value, json};

use crate::common::TestEnv;

fn qwf_path() -> String {
    std::fs::canonicalize(env!("CARGO_BIN_EXE_qwf"))
        .expect("the binary")
        .display()
        .to_string()
}

fn read_json(env: &TestEnv, name: &str) -> Value {
    serde_json::from_str(&env.read(name)).expect("JSON")
}

#[test]
fn q_cli_gets_the_entry_and_keeps_its_other_servers() {
    let env = TestEnv::new();
    let original = json!({
        "mcpServers": {
            "git": { "command": "uvx", "args": ["mcp-server-git"], "timeout": 120000 }
        },
        "someSetting": [1, 2.5, "three"]
    });
    env.write(".aws/amazonq/mcp.json", &original.to_string());
    let run = env.run(&["mcp", "install", "--q-cli"]).ok();
    assert!(
        run.stdout
            .contains("Add a 'qwf' entry in Amazon Q CLI's MCP servers (for this user): [TMP]/.aws/amazonq/mcp.json"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("✓ Added qwf to Amazon Q CLI"),
        "{}",
        run.stdout
    );
    let written = read_json(&env, ".aws/amazonq/mcp.json");
    assert_eq!(written["mcpServers"]["git"], original["mcpServers"]["git"]);
    assert_eq!(written["someSetting"], original["someSetting"]);
    let home = env.home().display().to_string();
    assert_eq!(
        written["mcpServers"]["qwf"],
        json!({ "command": qwf_path(), "args": ["--home", home, "mcp"], "env": {} })
    );

    // Again: nothing to do, nothing written.
    let before = env.tree();
    let run = env.run(&["mcp", "install", "--q-cli"]).ok();
    assert!(run.stdout.contains("already has qwf"), "{}", run.stdout);
    before.assert_same(&env.tree(), "a second install");
}

#[test]
fn kiro_and_claude_code_in_the_workspace_and_for_the_user() {
    let env = TestEnv::new();
    env.run(&["mcp", "install", "--kiro", "--workspace"]).ok();
    let kiro = read_json(&env, ".kiro/settings/mcp.json");
    assert_eq!(
        kiro["mcpServers"]["qwf"]["args"].as_array().map(Vec::len),
        Some(3)
    );
    let mode = std::fs::metadata(env.dir().join(".kiro/settings/mcp.json"))
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o644, "a workspace file is shared");

    env.write(
        ".claude.json",
        r#"{"numStartups": 12, "projects": {"/x": {"mcpServers": {}}}, "mcpServers": {}}"#,
    );
    std::fs::set_permissions(
        env.dir().join(".claude.json"),
        std::fs::Permissions::from_mode(0o600),
    )
    .expect("chmod");
    let run = env.run(&["mcp", "install", "--claude-code"]).ok();
    assert!(run.stdout.contains("(user scope)"), "{}", run.stdout);
    let claude = read_json(&env, ".claude.json");
    assert_eq!(claude["numStartups"], 12);
    assert_eq!(claude["projects"], json!({"/x": {"mcpServers": {}}}));
    assert_eq!(claude["mcpServers"]["qwf"]["type"], "stdio");
    assert_eq!(claude["mcpServers"]["qwf"]["command"], qwf_path());
    let mode = std::fs::metadata(env.dir().join(".claude.json"))
        .expect("written")
        .permissions()
        .mode();
    assert_eq!(
        mode & 0o777,
        0o600,
        "an existing file keeps its permissions"
    );

    let run = env
        .run(&["mcp", "install", "--claude-code", "--workspace", "--json"])
        .ok();
    let document = run.json();
    assert_eq!(document["written"], true);
    assert_eq!(document["host"], "Claude Code");
    assert_eq!(document["path"], "[TMP]/.mcp.json");
    let project = read_json(&env, ".mcp.json");
    assert_eq!(
        project["mcpServers"]["qwf"]["type"],
        document["entry"]["type"]
    );
    assert_eq!(project["mcpServers"]["qwf"]["command"], qwf_path());
}

#[test]
fn a_malformed_file_is_reported_and_never_overwritten() {
    let env = TestEnv::new();
    env.write(
        ".kiro/settings/mcp.json",
        "{\n  \"mcpServers\": {\n    \"a\": 1,,\n  }\n}\n",
    );
    let run = env.refuses(&["mcp", "install", "--kiro"], 1);
    assert!(
        run.stderr
            .contains("[TMP]/.kiro/settings/mcp.json:3:12: not valid JSON"),
        "{}",
        run.stderr
    );
    env.write(
        ".aws/amazonq/mcp.json",
        r#"{"mcpServers": ["not", "an", "object"]}"#,
    );
    let run = env.refuses(&["mcp", "install", "--q-cli"], 1);
    assert!(
        run.stderr.contains("\"mcpServers\" is not a JSON object"),
        "{}",
        run.stderr
    );
}

#[test]
fn it_asks_on_a_terminal_and_a_dry_run_writes_nothing() {
    let env = TestEnv::new();
    let before = env.tree();
    let run = env
        .run(&["mcp", "install", "--q-cli", "--dry-run"])
        .expect(3);
    assert!(
        run.stdout.contains("\"qwf\": {"),
        "shows the entry: {}",
        run.stdout
    );
    assert!(
        run.stderr.contains("Dry run: nothing written."),
        "{}",
        run.stderr
    );
    before.assert_same(&env.tree(), "a dry run");

    let run = env
        .run_interactive(&["mcp", "install", "--q-cli"], "n\n")
        .expect(3);
    assert!(
        run.stderr.contains("Cancelled. Nothing written."),
        "{}",
        run.stderr
    );
    before.assert_same(&env.tree(), "a declined install");

    env.run_interactive(&["mcp", "install", "--q-cli"], "y\n")
        .ok();
    assert!(read_json(&env, ".aws/amazonq/mcp.json")["mcpServers"]["qwf"].is_object());

    let run = env.run(&["mcp", "install"]).expect(2);
    assert!(run.stderr.contains("--q-cli"), "{}", run.stderr);
    env.run(&["mcp", "install", "--q-cli", "--kiro"]).expect(2);
}
