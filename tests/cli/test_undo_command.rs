use crate::common::{DATA_PIPELINE, TestEnv, three_versions};

#[test]
fn undo_twice_brings_the_change_back() {
    let env = three_versions();
    let first = env.run(&["undo", "data-pipeline"]).ok();
    insta::assert_snapshot!("first_undo", first.snapshot());
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 2));
    let second = env.run(&["undo", "data-pipeline"]).ok();
    insta::assert_snapshot!("second_undo", second.snapshot());
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 3));
    let log = env.log("data-pipeline");
    assert_eq!(log.len(), 5);
    assert_eq!(
        log[3]["description"],
        "Undid v3: Edited by hand: ~ context.table: \"api_data\" → \"api_data_v2\""
    );
    assert_eq!(log[4]["origin"]["command"], "qwf undo data-pipeline");
    let history = env.run(&["history", "data-pipeline"]).ok();
    insta::assert_snapshot!("history_after_undo_twice", history.snapshot());
}

#[test]
fn json_reports_the_new_version() {
    let env = three_versions();
    let document = env.run(&["--json", "undo", "data-pipeline"]).ok().json();
    assert_eq!(document["applied"], true);
    assert_eq!(document["version"], 4);
    assert_eq!(document["restored"], 2);
    assert_eq!(document["undone"], serde_json::json!([3]));
    assert_eq!(document["backup"], serde_json::Value::Null);
}

#[test]
fn interactive_no_changes_nothing() {
    let env = three_versions();
    let before = env.tree();
    let run = env
        .run_interactive(&["undo", "data-pipeline"], "n\n")
        .expect(3);
    assert!(
        run.stderr.contains("Proceed? [y/n/save-current]: "),
        "{}",
        run.stderr
    );
    before.assert_same(&env.tree(), "a declined undo");
}

#[test]
fn the_first_version_cannot_be_undone() {
    let env = TestEnv::new();
    env.add_workflow("data-pipeline", DATA_PIPELINE);
    env.run(&["history", "data-pipeline"]).ok();
    let run = env.refuses(&["undo", "data-pipeline"], 1);
    insta::assert_snapshot!(run.snapshot());
}
