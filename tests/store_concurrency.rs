//! Many processes editing one workflow at once: every edit lands as its own
//! version, numbered without gaps, and nothing is lost or torn.
//!
//! 8 writer processes each apply 25 plans, all made for v1, so nearly every
//! apply is re-applied on a head that moved meanwhile.

use std::path::Path;
use std::process::{Command, Stdio};

use qwf::core::Workflow;
use qwf::store::VersionRecord;

const WRITERS: usize = 8;
const EDITS: usize = 25;

const WORKFLOW: &str = r#"{
  "name": "shared",
  "description": "Edited by many at once",
  "steps": [
    { "id": "fetch", "type": "skill", "skill": "http-fetch",
      "inputs": { "url": "context.api_url" }, "outputs": ["data"] }
  ],
  "context": { "readonly": { "api_url": "https://example.com" } }
}
"#;

fn key(writer: usize, edit: usize) -> String {
    format!("w{writer}_e{edit:02}")
}

fn qwf(home: &Path) -> Command {
    program(env!("CARGO_BIN_EXE_qwf"), home)
}

/// A program with a clean environment pointing at `home`.
fn program(name: &str, home: &Path) -> Command {
    let mut command = Command::new(name);
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("QWF_HOME", home)
        .env("NO_COLOR", "1");
    command
}

#[test]
fn eight_writers_times_twenty_five_edits_make_two_hundred_versions() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join("workflows")).expect("create the home");
    std::fs::write(home.join("workflows/shared.json"), WORKFLOW).expect("write the workflow");
    let adopted = qwf(&home)
        .args(["history", "shared"])
        .output()
        .expect("qwf runs");
    assert!(adopted.status.success(), "{adopted:?}");

    let plans = dir.path().join("plans");
    std::fs::create_dir_all(&plans).expect("create the plan directory");
    for writer in 0..WRITERS {
        for edit in 0..EDITS {
            let plan = serde_json::json!({
                "qwf_plan": 1,
                "workflow": "shared",
                "base_version": 1,
                "summary": format!("writer {writer} edit {edit}"),
                "modifications": [{ "type": "set_context", "key": key(writer, edit), "value": edit }],
            });
            std::fs::write(
                plans.join(format!("{writer}-{edit}.json")),
                plan.to_string(),
            )
            .expect("write a plan");
        }
    }

    // Each writer is one shell process applying its 25 plans in turn; all
    // eight are started before any is waited for.
    let script = r#"i=0
while [ "$i" -lt "$EDITS" ]; do
  "$QWF" apply "$PLANS/$WRITER-$i.json" --yes >/dev/null 2>>"$PLANS/$WRITER.err" || { echo "edit $i failed" >>"$PLANS/$WRITER.err"; exit 1; }
  i=$((i + 1))
done"#;
    let children: Vec<_> = (0..WRITERS)
        .map(|writer| {
            program("sh", &home)
                .env("QWF", env!("CARGO_BIN_EXE_qwf"))
                .env("PLANS", &plans)
                .env("WRITER", writer.to_string())
                .env("EDITS", EDITS.to_string())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .args(["-c", script])
                .spawn()
                .expect("start a writer")
        })
        .collect();
    for (writer, mut child) in children.into_iter().enumerate() {
        let status = child.wait().expect("wait for a writer");
        let errors =
            std::fs::read_to_string(plans.join(format!("{writer}.err"))).unwrap_or_default();
        assert!(status.success(), "writer {writer} failed:\n{errors}");
        // Waiting for the lock is announced, nothing else is said.
        for line in errors.lines() {
            assert!(
                line.starts_with("Waiting for another qwf process"),
                "writer {writer}: {line}"
            );
        }
    }

    let versions = home.join("workflows/.versions");
    let log = std::fs::read_to_string(versions.join("shared.log.jsonl")).expect("the log");
    let records: Vec<VersionRecord> = log
        .lines()
        .map(|line| serde_json::from_str(line).expect("every log line is a record"))
        .collect();
    let total = 1 + WRITERS * EDITS;
    assert_eq!(records.len(), total, "exactly one version per edit");
    for (index, record) in records.iter().enumerate() {
        let version = index as u64 + 1;
        assert_eq!(
            record.version, version,
            "versions are numbered without gaps"
        );
        let parents: Vec<u64> = (version > 1).then_some(version - 1).into_iter().collect();
        assert_eq!(record.parents, parents, "v{version}'s parent");
        let text = std::fs::read_to_string(versions.join(format!("shared.v{version}.json")))
            .unwrap_or_else(|error| panic!("v{version} is missing: {error}"));
        let workflow = Workflow::from_json_str(&text)
            .unwrap_or_else(|error| panic!("v{version} is not a workflow: {error:?}"));
        // Each version adds exactly one key to the one before.
        let keys = workflow.to_value()["context"]["readonly"]
            .as_object()
            .expect("a context")
            .len();
        assert_eq!(keys, version as usize, "v{version} has {keys} context keys");
    }
    // The writers really ran at once: their versions interleave (one after
    // another, there would be only WRITERS - 1 changes of writer).
    let writer_of = |record: &VersionRecord| {
        record
            .description
            .split_whitespace()
            .nth(1)
            .map(str::to_string)
    };
    let changes = records[1..]
        .windows(2)
        .filter(|pair| writer_of(&pair[0]) != writer_of(&pair[1]))
        .count();
    assert!(
        changes >= WRITERS,
        "the writers did not overlap ({changes} changes)"
    );
    let mut summaries: Vec<&str> = records[1..]
        .iter()
        .map(|record| record.description.as_str())
        .collect();
    summaries.sort_unstable();
    summaries.dedup();
    assert_eq!(summaries.len(), WRITERS * EDITS, "every edit recorded once");

    let current = std::fs::read_to_string(home.join("workflows/shared.json")).expect("current");
    assert_eq!(
        current,
        std::fs::read_to_string(versions.join(format!("shared.v{total}.json"))).expect("last")
    );
    let current = Workflow::from_json_str(&current).expect("the current file is a workflow");
    let context = current.to_value()["context"]["readonly"].clone();
    for writer in 0..WRITERS {
        for edit in 0..EDITS {
            assert_eq!(
                context[key(writer, edit)],
                edit,
                "{} is lost",
                key(writer, edit)
            );
        }
    }

    // No temporary files are left behind, and the store reads back whole.
    for directory in [home.join("workflows"), versions] {
        for entry in std::fs::read_dir(&directory).expect("list") {
            let name = entry.expect("an entry").file_name();
            let name = name.to_string_lossy();
            assert!(!name.ends_with(".tmp"), "left behind: {name}");
        }
    }
    let history = qwf(&home)
        .args(["--json", "history", "shared"])
        .output()
        .expect("qwf runs");
    assert!(history.status.success(), "{history:?}");
    let document: serde_json::Value =
        serde_json::from_slice(&history.stdout).expect("one JSON document");
    assert_eq!(
        document["versions"].as_array().expect("versions").len(),
        total
    );
}

/// What one process of the mixed test did: each command's key (for
/// edits), exit code and stderr.
struct Outcome {
    key: Option<String>,
    code: i32,
    stderr: String,
}

fn run_qwf(home: &Path, args: &[&str]) -> Outcome {
    let output = qwf(home)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("qwf runs");
    Outcome {
        key: None,
        code: output.status.code().unwrap_or(-1),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A hand save as editors make them: read the file, add a key, write a
/// temporary file and rename it over the workflow.
fn hand_save(path: &Path, key: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(&text) else {
        return false;
    };
    value["context"]["readonly"][key] = serde_json::Value::Bool(true);
    let temporary = path.with_file_name(".editor-save.tmp");
    std::fs::write(
        &temporary,
        serde_json::to_string_pretty(&value).expect("JSON") + "\n",
    )
    .expect("write the editor's file");
    std::fs::rename(&temporary, path).expect("the editor's rename");
    true
}

/// Edits, undos, rollbacks and hand saves at once, from 8 processes: every
/// acknowledged change is in the history (or was reported refused), no
/// hand save is lost, and no version equals the one before it.
#[test]
fn edits_undos_rollbacks_and_hand_edits_at_once_lose_nothing() {
    const ROUNDS: usize = 15;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join("workflows")).expect("create the home");
    let current = home.join("workflows/shared.json");
    std::fs::write(&current, WORKFLOW).expect("write the workflow");
    assert!(run_qwf(&home, &["history", "shared"]).code == 0);
    let plans = dir.path().join("plans");
    std::fs::create_dir_all(&plans).expect("create the plan directory");

    let outcomes: Vec<Vec<Outcome>> = std::thread::scope(|scope| {
        let mut workers = Vec::new();
        // Four editors, each applying plans that set keys of their own.
        for writer in 0..4 {
            let (home, plans) = (&home, &plans);
            workers.push(scope.spawn(move || {
                (0..ROUNDS)
                    .map(|edit| {
                        let key = key(writer, edit);
                        let plan = serde_json::json!({
                            "qwf_plan": 1,
                            "workflow": "shared",
                            "base_version": 1,
                            "summary": format!("set {key}"),
                            "modifications": [{ "type": "set_context", "key": key, "value": edit }],
                        });
                        let path = plans.join(format!("{key}.json"));
                        std::fs::write(&path, plan.to_string()).expect("write a plan");
                        let path = path.to_str().expect("UTF-8").to_string();
                        let mut outcome = run_qwf(home, &["apply", &path, "--yes"]);
                        outcome.key = Some(key);
                        outcome
                    })
                    .collect::<Vec<_>>()
            }));
        }
        // Two undoers and a rollback.
        for args in [
            &["undo", "shared", "--yes"][..],
            &["undo", "shared", "--yes"][..],
            &["rollback", "shared", "--to", "1", "--yes"][..],
        ] {
            let home = &home;
            workers.push(
                scope.spawn(move || (0..ROUNDS).map(|_| run_qwf(home, args)).collect::<Vec<_>>()),
            );
        }
        // A person saving the file by hand now and then.
        let current = &current;
        workers.push(scope.spawn(move || {
            (0..ROUNDS * 2)
                .filter_map(|save| {
                    std::thread::sleep(std::time::Duration::from_millis(7));
                    let key = format!("hand_{save:02}");
                    hand_save(current, &key).then_some(Outcome {
                        key: Some(key),
                        code: 0,
                        stderr: String::new(),
                    })
                })
                .collect::<Vec<_>>()
        }));
        workers
            .into_iter()
            .map(|worker| worker.join().expect("a worker"))
            .collect()
    });
    // Whatever hand save is still pending is recorded now.
    let settle = run_qwf(&home, &["history", "shared"]);
    assert_eq!(settle.code, 0, "{}", settle.stderr);

    let versions = home.join("workflows/.versions");
    let log = std::fs::read_to_string(versions.join("shared.log.jsonl")).expect("the log");
    let records: Vec<VersionRecord> = log
        .lines()
        .map(|line| serde_json::from_str(line).expect("every log line is a record"))
        .collect();
    let contents: Vec<serde_json::Value> = records
        .iter()
        .enumerate()
        .map(|(index, record)| {
            assert_eq!(record.version, index as u64 + 1, "numbered without gaps");
            let text =
                std::fs::read_to_string(versions.join(format!("shared.v{}.json", record.version)))
                    .expect("a version file");
            serde_json::from_str(&text).expect("a version is JSON")
        })
        .collect();
    for (index, pair) in contents.windows(2).enumerate() {
        assert_ne!(pair[0], pair[1], "v{} equals v{}", index + 2, index + 1);
    }
    let has_key = |key: &str| {
        contents
            .iter()
            .any(|content| content["context"]["readonly"].get(key).is_some())
    };
    let mut applied = 0;
    for outcome in outcomes.iter().flatten() {
        let saved = outcome.stderr.contains("was saved, but");
        match (outcome.code, &outcome.key) {
            // Acknowledged (or saved, then something after failed): its
            // version is in the history.
            (0, Some(key)) if !key.starts_with("hand_") => {
                applied += 1;
                assert!(
                    records
                        .iter()
                        .any(|record| record.description == format!("set {key}")),
                    "{key} was acknowledged but has no version"
                );
                assert!(has_key(key), "{key} is in no version");
            }
            (0, _) => {}
            (1, Some(key)) if saved => assert!(has_key(key), "{key} was saved but is lost"),
            (1, None) if saved || outcome.stderr.contains("nothing to undo") => {}
            // Refused: nothing applied, and it said so.
            (3, _) => assert!(outcome.stderr.contains("Error: "), "{}", outcome.stderr),
            (code, key) => panic!("{key:?} exited {code}:\n{}", outcome.stderr),
        }
    }
    assert!(applied > 0, "no edit landed at all");
    let refused = outcomes
        .iter()
        .flatten()
        .filter(|outcome| outcome.code == 3)
        .count();
    let hand_versions = records
        .iter()
        .filter(|record| record.origin == qwf::store::Origin::EditedOutside)
        .count();
    // Every hand save is in some version: none was overwritten unrecorded.
    for outcome in outcomes.iter().flatten() {
        if let Some(key) = outcome
            .key
            .as_deref()
            .filter(|key| key.starts_with("hand_"))
        {
            assert!(has_key(key), "the hand save {key} was lost");
        }
    }
    eprintln!(
        "{} versions: {applied} edits acknowledged, {refused} commands refused, {hand_versions} hand edits recorded",
        records.len()
    );
}
