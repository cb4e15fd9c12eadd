use crate::common::TestEnv;

const HTTP_FETCH: &str = r#"{"name": "http-fetch", "type": "code_inline", "description": "Fetch data from a URL over HTTP", "command": "curl -fsSL \"$url\"", "inputs": ["url"], "outputs": ["data"]}"#;
const DB_WRITER: &str = r#"{"name": "db-writer", "type": "code_inline", "description": "Write records to a database table", "command": "python3 write_db.py", "inputs": ["data", "table"], "outputs": []}"#;

fn with_skills() -> TestEnv {
    let env = TestEnv::new();
    env.write("home/skills/http-fetch.json", HTTP_FETCH);
    env.write("home/skills/db-writer.json", DB_WRITER);
    env.write(
        "home/skills/summarizer.json",
        r#"{"name": "summarizer", "type": "prompt_inline", "description": "Summarize text in plain language", "command": "Summarize:\n{{data}}"}"#,
    );
    env
}

#[test]
fn list_shows_every_skill_by_name() {
    let env = with_skills();
    insta::assert_snapshot!(env.run(&["skill", "list"]).snapshot(), @r"
    exit: 0
    --- stdout
    db-writer   code_inline    Write records to a database table
    http-fetch  code_inline    Fetch data from a URL over HTTP
    summarizer  prompt_inline  Summarize text in plain language
    --- stderr
    ");
}

#[test]
fn list_with_a_query_ranks_the_best_match_first() {
    let env = with_skills();
    insta::assert_snapshot!(env.run(&["skill", "list", "--query", "store it in postgres"]).snapshot(), @r"
    exit: 0
    --- stdout
    db-writer  code_inline  Write records to a database table
    --- stderr
    ");
    let run = env
        .run(&["skill", "list", "-q", "download the page", "--limit", "1"])
        .ok();
    assert!(run.stdout.starts_with("http-fetch "), "{}", run.stdout);
    let none = env.run(&["skill", "list", "-q", "quantum"]).ok();
    assert_eq!(none.stdout, "No skill matches 'quantum' (of 3 skills).\n");
}

#[test]
fn list_in_an_empty_home_says_how_to_start_and_reports_broken_files() {
    let env = TestEnv::new();
    let run = env.run(&["skill", "list"]).ok();
    assert!(run.stdout.starts_with("No skills yet.\n"), "{}", run.stdout);
    env.write(
        "home/skills/bad.json",
        "{\"name\": \"bad\", \"type\": \"code\"}",
    );
    env.write("home/skills/other.json", HTTP_FETCH);
    insta::assert_snapshot!(env.run(&["skill", "list"]).snapshot());
    let document = env.run(&["--json", "skill", "list"]).ok().json();
    assert_eq!(document["total"], 0);
    assert_eq!(document["broken"].as_array().map(Vec::len), Some(2));
}

#[test]
fn show_prints_the_skill_file() {
    let env = with_skills();
    insta::assert_snapshot!(env.run(&["skill", "show", "http-fetch"]).snapshot(), @r#"
    exit: 0
    --- stdout
    {
      "name": "http-fetch",
      "type": "code_inline",
      "description": "Fetch data from a URL over HTTP",
      "command": "curl -fsSL \"$url\"",
      "inputs": [
        "url"
      ],
      "outputs": [
        "data"
      ]
    }
    --- stderr
    "#);
    insta::assert_snapshot!(env.refuses(&["skill", "show", "http-fecth"], 1).snapshot(), @r"
    exit: 1
    --- stdout
    --- stderr
    Error: there is no skill 'http-fecth'
    Hint: did you mean 'http-fetch'? `qwf skill list` shows every skill
    ");
    env.refuses(&["skill", "show", "../etc"], 1);
}

#[test]
fn create_from_flags_shows_the_file_and_saves_it() {
    let env = TestEnv::new();
    let run = env.run(&[
        "skill",
        "create",
        "csv-writer",
        "--type",
        "code_inline",
        "--command",
        "python3 csv.py",
        "--input",
        "rows",
        "--output",
        "path",
    ]);
    insta::assert_snapshot!(run.snapshot());
    let saved: serde_json::Value =
        serde_json::from_str(&env.read("home/skills/csv-writer.json")).expect("JSON");
    assert_eq!(saved["command"], "python3 csv.py");
    assert_eq!(saved["inputs"], serde_json::json!(["rows"]));
}

#[test]
fn create_asks_on_a_terminal_and_a_no_saves_nothing() {
    let env = TestEnv::new();
    let args = [
        "skill",
        "create",
        "--name",
        "notifier",
        "--type",
        "code_inline",
        "--command",
        "notify.sh",
        "--description",
        "Send a notification",
    ];
    let run = env.run_interactive(&args, "n\n").expect(3);
    assert!(
        run.stderr.contains("Cancelled. Nothing was saved."),
        "{}",
        run.snapshot()
    );
    assert!(!env.home().join("skills/notifier.json").exists());
    env.run_interactive(&args, "y\n").ok();
    assert!(env.home().join("skills/notifier.json").exists());
}

#[test]
fn create_from_a_spec_file() {
    let env = TestEnv::new();
    env.write("spec.json", DB_WRITER);
    let run = env
        .run(&["--json", "skill", "create", "--file", "spec.json"])
        .ok();
    let document = run.json();
    assert_eq!(document["created"], "db-writer");
    assert_eq!(document["problems"], serde_json::json!([]));
    assert_eq!(
        env.read("home/skills/db-writer.json"),
        format!(
            "{}\n",
            serde_json::to_string_pretty(
                &serde_json::from_str::<serde_json::Value>(DB_WRITER).expect("JSON")
            )
            .expect("text")
        )
    );
}

#[test]
fn an_invalid_skill_lists_every_problem_and_writes_nothing() {
    let env = TestEnv::new();
    let before = env.tree();
    let run = env.run(&[
        "skill",
        "create",
        "Fetch",
        "--type",
        "code_session",
        "--input",
        "a.b",
        "--input",
        "x",
        "--input",
        "x",
    ]);
    insta::assert_snapshot!(run.snapshot());
    before.assert_same(&env.tree(), "an invalid skill");
}

#[test]
fn bad_input_is_refused_clearly_and_nothing_is_written() {
    let env = with_skills();
    // A duplicate name.
    insta::assert_snapshot!(env.refuses(&["skill", "create", "http-fetch", "--type", "code_inline", "--command", "wget"], 1).stderr, @r"
    Error: skill 'http-fetch' already exists
    Hint: `qwf skill show http-fetch` prints it; choose another name for a new skill (nothing was saved)
    ");
    // An unknown type, a missing type, a missing name: usage errors.
    insta::assert_snapshot!(env.refuses(&["skill", "create", "x", "--type", "code-inline", "--command", "c"], 2).stderr, @r"
    Error: 'code-inline' is not a skill type
    Hint: did you mean 'code_inline'? The types are code_inline, code_session, conversation, prompt_inline
    ");
    env.refuses(&["skill", "create", "x", "--command", "c"], 2);
    env.refuses(&["skill", "create", "--type", "code_inline"], 2);
    // Malformed spec files: position and hint.
    env.write("spec.json", "{\"name\": \"x\",\n \"type\": \"code\"}");
    insta::assert_snapshot!(env.refuses(&["skill", "create", "--file", "spec.json"], 1).stderr, @r#"
    Error: spec.json:2:15: unknown variant `code`, expected one of `code_inline`, `code_session`, `conversation`, `prompt_inline`
    Hint: "type" is one of code_inline, code_session, conversation, prompt_inline; nothing was saved
    "#);
    env.write("spec.json", "{\"name\": \"x\", ");
    env.refuses(&["skill", "create", "--file", "spec.json"], 1);
    env.refuses(&["skill", "create", "--file", "missing.json"], 1);
    // Flags and a file together.
    let run = env.run(&["skill", "create", "--file", "spec.json", "--name", "y"]);
    assert_eq!(run.code, 2, "{}", run.snapshot());
}

#[test]
fn the_creation_flow_offers_each_missing_skill_and_a_skipped_one_shows_in_validate() {
    let env = TestEnv::new();
    env.write("home/skills/http-fetch.json", HTTP_FETCH);
    // 3: save everything, going through the missing skills: accept the
    // validator, skip the writer.
    let run = env.run_interactive(
        &[
            "create",
            "Fetch data from API, validate it, and save to database",
            "--name",
            "etl",
        ],
        "3\ny\nn\n",
    );
    insta::assert_snapshot!(run.snapshot());
    assert!(env.home().join("skills/data-validator.json").exists());
    assert!(!env.home().join("skills/db-writer.json").exists());
    // The accepted skill's script is a stub; the skipped one's is not written.
    assert!(env.read("home/skills/validate.py").contains("implement me"));
    assert!(!env.home().join("skills/write_db.py").exists());
    insta::assert_snapshot!(env.run(&["validate", "etl"]).snapshot());
}

#[test]
fn a_skill_edited_in_the_creation_flow_is_saved_as_edited() {
    let env = TestEnv::new();
    env.write("home/skills/http-fetch.json", HTTP_FETCH);
    let mut command = assert_cmd::Command::cargo_bin("qwf").expect("built");
    let output = command
        .args([
            "create",
            "Fetch data from API, validate it, and save to database",
            "--name",
            "etl",
        ])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", env.dir())
        .env("QWF_HOME", env.home())
        .env("QWF_TIMESTAMP", crate::common::T0)
        .env("NO_COLOR", "1")
        .env("QWF_INTERACTIVE", "1")
        .env("EDITOR", "sed -i s/validate.py/check_schema.py/")
        .current_dir(env.dir())
        // 2: review the skills (edit then accept the first, skip the second), then 3: save.
        .write_stdin("2\nedit\ny\nn\n3\n")
        .output()
        .expect("runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    let saved = env.read("home/skills/data-validator.json");
    assert!(saved.contains("python3 check_schema.py"), "{saved}");
    assert!(!env.home().join("skills/db-writer.json").exists());
    assert!(stdout.contains("Skipped skill 'db-writer'"), "{stdout}");
}

#[test]
fn cancelling_the_creation_writes_nothing() {
    let env = TestEnv::new();
    env.write("home/skills/http-fetch.json", HTTP_FETCH);
    let before = env.tree();
    let run = env.run_interactive(
        &[
            "create",
            "Fetch data from API, validate it, and save to database",
            "--name",
            "etl",
        ],
        "2\ny\n",
    );
    assert_eq!(run.code, 3, "{}", run.snapshot());
    assert!(
        run.stdout.contains("Cancelled. Nothing was created."),
        "{}",
        run.snapshot()
    );
    before.assert_same(&env.tree(), "a cancelled creation");
}

/// The skills, and a workflow whose `save` step runs `db-writer`.
fn with_a_user_of_db_writer() -> TestEnv {
    let env = with_skills();
    env.add_workflow("data-pipeline", crate::common::DATA_PIPELINE);
    env.run(&["history", "data-pipeline"]).ok();
    env
}

/// An `$EDITOR` that runs `sed EXPRESSION` on the file it is given.
fn sed_editor(env: &TestEnv, expression: &str) -> String {
    let script = env.write(
        "editor.sh",
        &format!("#!/bin/sh\nsed -i '{expression}' \"$1\"\n"),
    );
    format!("sh {}", script.display())
}

#[test]
fn edit_checks_the_file_shows_the_diff_and_who_uses_it_then_saves_keeping_the_old_file() {
    let env = with_a_user_of_db_writer();
    let editor = sed_editor(
        &env,
        "s/Write records to a database table/Write rows to a table/",
    );
    let run = env
        .run_with(
            &["skill", "edit", "db-writer"],
            &[("EDITOR", &editor)],
            None,
        )
        .ok();
    assert!(
        run.stdout
            .contains("-  \"description\": \"Write records to a database table\",")
            && run
                .stdout
                .contains("+  \"description\": \"Write rows to a table\","),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Used by data-pipeline (step save)."),
        "{}",
        run.stdout
    );
    assert!(
        env.read("home/skills/db-writer.json")
            .contains("Write rows to a table")
    );
    let kept = std::fs::read_dir(env.home().join("skills/.trash"))
        .expect("the previous file is kept")
        .flatten()
        .map(|entry| std::fs::read_to_string(entry.path()).expect("readable"))
        .collect::<Vec<_>>();
    assert_eq!(kept, vec![DB_WRITER.to_string()]);
    // The kept file is still a skill: listing ignores it.
    let listed = env.run(&["skill", "list"]).ok();
    assert_eq!(
        listed.stdout.matches("db-writer").count(),
        1,
        "{}",
        listed.stdout
    );
}

#[test]
fn edit_asks_on_a_terminal_and_no_keeps_the_file() {
    let env = with_a_user_of_db_writer();
    let editor = sed_editor(&env, "s/write_db.py/write_rows.py/");
    let before = env.tree();
    let run = env.run_with(
        &["skill", "edit", "db-writer"],
        &[("EDITOR", &editor)],
        Some("n\n"),
    );
    assert_eq!(run.code, 3, "{}", run.snapshot());
    assert!(
        run.stderr.contains("Nothing was saved."),
        "{}",
        run.snapshot()
    );
    before.assert_same(&env.tree(), "a declined skill edit");
}

#[test]
fn an_edit_that_breaks_the_file_or_renames_the_skill_is_refused_with_every_problem() {
    let env = with_a_user_of_db_writer();
    for (expression, expected) in [
        (
            "s/\"db-writer\"/\"db-saver\"/",
            "the name changed to 'db-saver'",
        ),
        ("s/\"code_inline\"/\"shell\"/", "line 1 column"),
        ("s/}$/,/", "line 1 column"),
        ("s/python3 write_db.py//", "command"),
    ] {
        let editor = sed_editor(&env, expression);
        let before = env.tree();
        let run = env.run_with(
            &["skill", "edit", "db-writer"],
            &[("EDITOR", &editor)],
            None,
        );
        assert_eq!(run.code, 1, "{expression}\n{}", run.snapshot());
        assert!(
            run.stdout.contains(expected) || run.stderr.contains(expected),
            "{expression}\n{}",
            run.snapshot()
        );
        assert!(
            run.stderr
                .contains("Hint: `qwf skill edit db-writer` starts again"),
            "{}",
            run.snapshot()
        );
        before.assert_same(&env.tree(), "a refused skill edit");
    }
    // An edit that changes nothing saves nothing.
    let editor = sed_editor(&env, "s/nothing-matches-this//");
    let before = env.tree();
    let run = env
        .run_with(
            &["skill", "edit", "db-writer"],
            &[("EDITOR", &editor)],
            None,
        )
        .ok();
    assert!(
        run.stdout.contains("No changes to skill 'db-writer'"),
        "{}",
        run.stdout
    );
    before.assert_same(&env.tree(), "an edit without changes");
}

#[test]
fn delete_says_which_workflows_use_it_asks_and_can_be_undone_with_create_file() {
    let env = with_a_user_of_db_writer();
    let before = env.tree();
    let declined = env.run_with(&["skill", "delete", "db-writer"], &[], Some("n\n"));
    assert_eq!(declined.code, 3, "{}", declined.snapshot());
    assert!(
        declined.stdout.contains(
            "Used by data-pipeline (step save): that step cannot run until the skill exists again."
        ),
        "{}",
        declined.stdout
    );
    before.assert_same(&env.tree(), "a declined delete");
    let run = env.run(&["skill", "delete", "db-writer"]).ok();
    assert!(!env.home().join("skills/db-writer.json").exists());
    let kept = run
        .stdout
        .split("`qwf skill create --file ")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
        .expect("the way back is named")
        .replace("[TMP]", &env.dir().display().to_string());
    let validated = env.run(&["validate", "data-pipeline"]);
    assert!(
        validated.stdout.contains("db-writer") || validated.stderr.contains("db-writer"),
        "{}",
        validated.snapshot()
    );
    env.run(&["skill", "create", "--file", &kept, "--yes"]).ok();
    assert_eq!(
        env.read("home/skills/db-writer.json").trim(),
        serde_json::to_string_pretty(
            &serde_json::from_str::<serde_json::Value>(DB_WRITER).expect("JSON")
        )
        .expect("JSON")
    );
    let missing = env.run(&["skill", "delete", "no-such-skill"]);
    assert_eq!(missing.code, 1, "{}", missing.snapshot());
}
