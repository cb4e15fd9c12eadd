use crate::common::three_versions;

#[test]
fn a_branch_is_a_new_workflow_remembering_its_base() {
    let env = three_versions();
    let run = env.run(&["branch", "data-pipeline", "experiment"]).ok();
    insta::assert_snapshot!(run.snapshot());
    let mut expected = env.current("data-pipeline");
    expected["name"] = "experiment".into();
    assert_eq!(env.current("experiment"), expected);
    let log = env.log("experiment");
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0]["branched_from"],
        serde_json::json!({ "workflow": "data-pipeline", "version": 3 })
    );
    // The original is untouched.
    assert_eq!(env.log("data-pipeline").len(), 3);
}

#[test]
fn json_names_branch_and_base() {
    let env = three_versions();
    let document = env
        .run(&["--json", "branch", "data-pipeline", "experiment"])
        .ok()
        .json();
    assert_eq!(
        document,
        serde_json::json!({ "branch": "experiment", "from": "data-pipeline", "base_version": 3 })
    );
}

#[test]
fn an_existing_name_or_a_bad_name_is_refused() {
    let env = three_versions();
    env.run(&["branch", "data-pipeline", "experiment"]).ok();
    let run = env.refuses(&["branch", "data-pipeline", "experiment"], 1);
    assert!(
        run.stderr.contains("workflow 'experiment' already exists"),
        "{}",
        run.stderr
    );
    let run = env.refuses(&["branch", "data-pipeline", "../escape"], 1);
    assert!(
        run.stderr
            .contains("'../escape' is not a valid branch name"),
        "{}",
        run.stderr
    );
    env.refuses(&["branch", "no-such-thing", "other"], 1);
}
