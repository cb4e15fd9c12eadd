use serde_json::json;

use crate::common::{TestEnv, three_versions};

/// A home with `data-pipeline` exported to `pipeline.qwf.json`.
fn exported() -> TestEnv {
    let env = three_versions();
    env.run(&["export", "data-pipeline", "-o", "pipeline.qwf.json"])
        .ok();
    env
}

#[test]
fn import_as_another_name_keeps_the_whole_history() {
    let env = exported();
    let run = env
        .run(&["import", "pipeline.qwf.json", "--as", "pipeline-copy"])
        .ok();
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(env.log("pipeline-copy"), env.log("data-pipeline"));
    let mut expected = env.current("data-pipeline");
    expected["name"] = "pipeline-copy".into();
    assert_eq!(env.current("pipeline-copy"), expected);
    for version in 1..=3 {
        assert_eq!(
            env.stored("pipeline-copy", version)["steps"],
            env.stored("data-pipeline", version)["steps"]
        );
    }
    env.run(&["history", "pipeline-copy"]).ok();
    env.run(&["diff", "pipeline-copy", "--from", "1", "--to", "3"])
        .ok();
}

#[test]
fn import_into_another_home_under_its_own_name() {
    let env = exported();
    let other = TestEnv::new();
    other.write("p.json", &env.read("pipeline.qwf.json"));
    let document = other.run(&["--json", "import", "p.json"]).ok().json();
    assert_eq!(
        document,
        json!({ "name": "data-pipeline", "versions": 3, "skills_added": [], "skills_kept": [] })
    );
    assert_eq!(other.log("data-pipeline"), env.log("data-pipeline"));
    assert_eq!(other.current("data-pipeline"), env.current("data-pipeline"));
}

#[test]
fn a_name_clash_is_refused_with_a_hint() {
    let env = exported();
    let run = env.refuses(&["import", "pipeline.qwf.json"], 1);
    insta::assert_snapshot!(run.snapshot());
    // A deleted workflow's history still holds the name.
    env.run(&["delete", "data-pipeline"]).ok();
    env.refuses(&["import", "pipeline.qwf.json"], 1);
}

#[test]
fn interactive_no_imports_nothing() {
    let env = exported();
    let before = env.tree();
    let run = env
        .run_interactive(&["import", "pipeline.qwf.json", "--as", "copy"], "n\n")
        .expect(3);
    assert!(run.stderr.contains("Import? [y/n]: "), "{}", run.stderr);
    before.assert_same(&env.tree(), "a declined import");
}

fn package(env: &TestEnv) -> serde_json::Value {
    serde_json::from_str(&env.read("pipeline.qwf.json")).expect("a package")
}

#[test]
fn corrupt_and_hostile_packages_are_refused_whole() {
    let env = exported();
    let good = package(&env);
    let text = env.read("pipeline.qwf.json");
    let mut cases: Vec<(&str, String)> = vec![
        ("garbage", "this is not json".into()),
        ("truncated", text[..text.len() / 2].to_string()),
        ("empty", String::new()),
    ];
    let mut hostile = |label: &'static str, change: &dyn Fn(&mut serde_json::Value)| {
        let mut value = good.clone();
        change(&mut value);
        cases.push((label, value.to_string()));
    };
    hostile("path name", &|p| p["name"] = "../../etc/evil".into());
    hostile("absolute name", &|p| p["name"] = "/tmp/evil".into());
    hostile("hidden name", &|p| p["name"] = ".versions".into());
    hostile("skill path", &|p| {
        p["skills"]["../../evil"] = json!({ "name": "x" })
    });
    hostile(
        "skill named otherwise inside",
        &|p| {
            p["skills"]["db-writer"] =
                json!({ "name": "../evil", "type": "code_inline", "command": "python3 w.py" })
        },
    );
    hostile(
        "skill without a command",
        &|p| {
            p["skills"]["db-writer"] =
                json!({ "name": "db-writer", "type": "code_inline", "command": "" })
        },
    );
    hostile(
        "skill nobody uses",
        &|p| {
            p["skills"]["stowaway"] =
                json!({ "name": "stowaway", "type": "code_inline", "command": "python3 x.py" })
        },
    );
    hostile("version gap", &|p| {
        p["history"][1]["record"]["version"] = 5.into()
    });
    hostile("future parent", &|p| {
        p["history"][1]["record"]["parents"] = json!([7])
    });
    hostile("not a workflow", &|p| {
        p["history"][2]["content"] = json!([1, 2])
    });
    hostile("no history", &|p| p["history"] = json!([]));
    hostile("unknown format", &|p| p["qwf_package"] = 9.into());
    hostile("unknown field", &|p| p["run_this"] = "rm -rf /".into());
    hostile("huge entry", &|p| {
        p["history"][0]["content"]["description"] = "x".repeat(5 * 1024 * 1024).into()
    });
    for (label, content) in cases {
        env.write("bad.json", &content);
        let run = env.refuses(&["import", "bad.json", "--as", "imported"], 1);
        assert!(!env.workflows().join("imported.json").exists(), "{label}");
        assert!(
            !env.versions().join("imported.log.jsonl").exists(),
            "{label}"
        );
        assert!(
            !env.dir().join("etc").exists() && !env.home().join("evil.json").exists(),
            "{label}"
        );
        if label == "garbage" {
            insta::assert_snapshot!("garbage_package", run.snapshot());
        }
    }
}

#[test]
fn a_bad_target_name_is_refused() {
    let env = exported();
    for name in ["../x", "A B", "x/../../y"] {
        let run = env.refuses(&["import", "pipeline.qwf.json", "--as", name], 1);
        assert!(
            run.stderr.contains("is not a valid workflow name"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_missing_file_is_refused() {
    let env = TestEnv::new();
    env.refuses(&["import", "nowhere.json"], 1);
}

#[test]
fn a_plain_workflow_file_becomes_v1_of_a_new_workflow() {
    let env = TestEnv::new();
    let workflow = json!({
        "name": "hand-made",
        "steps": [{"id": "fetch", "type": "skill", "skill": "http-fetch",
                   "inputs": {"url": "context.url"}, "outputs": ["data"]}],
        "context": {"readonly": {"url": "https://example.com"}}
    });
    env.write(
        "hand-made.json",
        &serde_json::to_string_pretty(&workflow).unwrap(),
    );
    let run = env.run(&["import", "hand-made.json"]).ok();
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(env.current("hand-made")["steps"], workflow["steps"]);
    assert_eq!(env.log("hand-made").len(), 1);
    // Under another name, and never over an existing workflow.
    env.run(&["import", "hand-made.json", "--as", "copy"]).ok();
    assert_eq!(env.current("copy")["name"], "copy");
    env.refuses(&["import", "hand-made.json"], 1);
    // A broken data flow is refused whole.
    env.write(
        "broken.json",
        r#"{"name": "broken", "steps": [{"id": "a", "type": "skill", "skill": "s", "inputs": {"x": "zz.out"}}]}"#,
    );
    let run = env.refuses(&["import", "broken.json"], 3);
    insta::assert_snapshot!(run.snapshot());
    assert!(!env.home().join("workflows/broken.json").exists());
}
