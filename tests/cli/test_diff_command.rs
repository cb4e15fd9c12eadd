use crate::common::three_versions;

#[test]
fn semantic_diff_between_two_versions() {
    let env = three_versions();
    let run = env
        .run(&["diff", "data-pipeline", "--from", "1", "--to", "v3"])
        .ok();
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn text_diff_is_a_unified_diff_of_the_json() {
    let env = three_versions();
    let run = env
        .run(&[
            "diff",
            "data-pipeline",
            "--from",
            "v1",
            "--to",
            "3",
            "--text",
        ])
        .ok();
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn without_versions_it_compares_the_previous_with_the_current() {
    let env = three_versions();
    let run = env.run(&["diff", "data-pipeline"]).ok();
    insta::assert_snapshot!(run.snapshot());
    // --to alone compares with the version before it.
    let to_two = env.run(&["diff", "data-pipeline", "--to", "2"]).ok();
    assert!(
        to_two
            .stdout
            .starts_with("Changes from v1 to v2:\n  + step notify"),
        "{}",
        to_two.stdout
    );
}

#[test]
fn the_same_version_twice_has_no_changes() {
    let env = three_versions();
    let run = env
        .run(&["diff", "data-pipeline", "--from", "2", "--to", "2"])
        .ok();
    assert_eq!(run.stdout, "No changes from v2 to v2.\n");
}

#[test]
fn json_has_the_change_list_and_on_request_the_text() {
    let env = three_versions();
    let document = env
        .run(&[
            "--json",
            "diff",
            "data-pipeline",
            "--from",
            "1",
            "--to",
            "3",
        ])
        .ok()
        .json();
    assert_eq!(document["workflow"], "data-pipeline");
    assert_eq!(document["from"], 1);
    assert_eq!(document["to"], 3);
    assert_eq!(document["changes"].as_array().expect("changes").len(), 2);
    assert!(document.get("text").is_none());
    let with_text = env
        .run(&[
            "--json",
            "diff",
            "data-pipeline",
            "--from",
            "1",
            "--to",
            "3",
            "--text",
        ])
        .ok()
        .json();
    assert!(
        with_text["text"]
            .as_str()
            .expect("text")
            .starts_with("--- data-pipeline v1\n+++ data-pipeline v3\n")
    );
}

#[test]
fn an_unknown_version_is_refused_and_changes_nothing() {
    let env = three_versions();
    let run = env.refuses(&["diff", "data-pipeline", "--from", "1", "--to", "7"], 1);
    assert!(
        run.stderr
            .contains("workflow 'data-pipeline' has no version 7 (versions are 1 to 3)"),
        "{}",
        run.stderr
    );
    let run = env.run(&["diff", "data-pipeline", "--from", "x"]);
    assert_eq!(run.code, 2, "{}", run.snapshot());
}

#[test]
fn graph_marks_the_added_step_and_lists_what_is_outside_the_steps() {
    let env = three_versions();
    let run = env
        .run(&[
            "diff",
            "data-pipeline",
            "--from",
            "1",
            "--to",
            "3",
            "--graph",
        ])
        .ok();
    assert!(run.stdout.contains("+ notify"), "{}", run.stdout);
    assert!(run.stdout.contains("Outside the steps:"), "{}", run.stdout);
    insta::assert_snapshot!(run.snapshot());
}
