use crate::common::{TestEnv, three_versions};

#[test]
fn a_version_is_written_2_or_v2() {
    let env = three_versions();
    let plain = env.run(&["show", "data-pipeline", "--version", "2"]).ok();
    let prefixed = env.run(&["show", "data-pipeline", "--version", "v2"]).ok();
    assert_eq!(plain.stdout, prefixed.stdout);
    insta::assert_snapshot!(plain.snapshot());
    let shown: serde_json::Value = serde_json::from_str(&plain.stdout).expect("JSON");
    assert_eq!(shown, env.stored("data-pipeline", 2));
}

#[test]
fn without_a_version_it_shows_the_current_file() {
    let env = three_versions();
    let run = env.run(&["show", "data-pipeline"]).ok();
    assert_eq!(run.stdout, env.read("home/workflows/data-pipeline.json"));
}

#[test]
fn json_names_the_version_and_whether_it_is_current() {
    let env = three_versions();
    let old = env
        .run(&["--json", "show", "data-pipeline", "--version", "v1"])
        .ok()
        .json();
    assert_eq!(old["name"], "data-pipeline");
    assert_eq!(old["version"], 1);
    assert_eq!(old["current"], false);
    assert_eq!(old["workflow"], env.stored("data-pipeline", 1));
    let current = env.run(&["--json", "show", "data-pipeline"]).ok().json();
    assert_eq!(current["version"], 3);
    assert_eq!(current["current"], true);
    assert_eq!(
        current["workflow"]["context"]["readonly"]["table"],
        "api_data_v2"
    );
}

#[test]
fn an_unknown_version_names_the_range() {
    let env = three_versions();
    let run = env.refuses(&["show", "data-pipeline", "--version", "9"], 1);
    insta::assert_snapshot!(run.snapshot());
    let (message, hint) = env
        .run(&["--json", "show", "data-pipeline", "--version", "9"])
        .expect(1)
        .json_error();
    assert!(message.contains("no version 9"), "{message}");
    assert!(hint.contains("qwf history data-pipeline"), "{hint}");
}

#[test]
fn a_version_that_is_not_a_number_is_a_usage_error() {
    let env = three_versions();
    let before = env.tree();
    for bad in ["two", "v", "0", "-1"] {
        let run = env.run(&["show", "data-pipeline", "--version", bad]);
        assert_eq!(run.code, 2, "--version {bad}\n{}", run.snapshot());
    }
    before.assert_same(&env.tree(), "bad --version");
}

#[test]
fn a_missing_workflow_suggests_a_close_name() {
    let env = three_versions();
    let run = env.refuses(&["show", "data-pipelin"], 1);
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn a_missing_workflow_in_an_empty_home_creates_nothing() {
    let env = TestEnv::new();
    let run = env.refuses(&["show", "nothing-here"], 1);
    assert!(run.stderr.contains("there is no workflow 'nothing-here'"));
    assert!(!env.home().exists());
}

#[test]
fn bad_names_are_refused_before_touching_disk() {
    let env = three_versions();
    for name in ["../x", "A B", "", "x/y", ".versions", "x\\y"] {
        let run = env.refuses(&["show", name], 1);
        assert!(
            run.stderr.contains("is not a valid workflow name"),
            "{name:?}\n{}",
            run.snapshot()
        );
    }
    let run = env.refuses(&["show", "../x"], 1);
    insta::assert_snapshot!("bad_name_path", run.snapshot());
    let run = env.refuses(&["show", "A B"], 1);
    insta::assert_snapshot!("bad_name_space", run.snapshot());
}

#[test]
fn graph_draws_the_steps_in_order_with_what_each_reads() {
    let env = three_versions();
    let run = env.run(&["show", "data-pipeline", "--graph"]).ok();
    insta::assert_snapshot!(run.snapshot());
    let old = env
        .run(&["show", "data-pipeline", "--graph", "--version", "1"])
        .ok();
    assert!(
        old.stdout
            .starts_with("data-pipeline v1 (not the current version)")
    );
    assert!(!old.stdout.contains("notify"), "v1 has no notify step");
}

#[test]
fn format_mermaid_and_dot_write_the_picture_for_documents() {
    let env = three_versions();
    let mermaid = env
        .run(&["show", "data-pipeline", "--format", "mermaid"])
        .ok();
    assert!(
        mermaid.stdout.starts_with("flowchart TD\n"),
        "{}",
        mermaid.stdout
    );
    assert!(mermaid.stdout.contains("s0 --> s1"), "{}", mermaid.stdout);
    let dot = env.run(&["show", "data-pipeline", "--format", "dot"]).ok();
    assert!(
        dot.stdout.starts_with("digraph \"data-pipeline\" {"),
        "{}",
        dot.stdout
    );
    assert!(dot.stdout.trim_end().ends_with('}'));
    let document = env
        .run(&["--json", "show", "data-pipeline", "--format", "dot"])
        .ok()
        .json();
    assert_eq!(document["diagram"]["format"], "dot");
    assert_eq!(
        document["diagram"]["text"].as_str(),
        Some(dot.stdout.as_str())
    );
    let usage = env.run(&["show", "data-pipeline", "--graph", "--format", "dot"]);
    assert_eq!(usage.code, 2, "{}", usage.snapshot());
    let unknown = env.run(&["show", "data-pipeline", "--format", "svg"]);
    assert_eq!(unknown.code, 2, "{}", unknown.snapshot());
}
