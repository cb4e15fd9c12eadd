use crate::common::three_versions;

#[test]
fn delete_keeps_the_history_and_rollback_restores() {
    let env = three_versions();
    let content = env.read("home/workflows/data-pipeline.json");
    let run = env.run(&["delete", "data-pipeline"]).ok();
    insta::assert_snapshot!("delete", run.snapshot());
    assert!(!env.workflows().join("data-pipeline.json").exists());
    assert_eq!(env.log("data-pipeline").len(), 3);

    let history = env.run(&["history", "data-pipeline"]).ok();
    insta::assert_snapshot!("history_after_delete", history.snapshot());
    let document = env.run(&["--json", "history", "data-pipeline"]).ok().json();
    assert_eq!(document["deleted"], true);

    let show = env.refuses(&["show", "data-pipeline"], 1);
    insta::assert_snapshot!("show_after_delete", show.snapshot());
    // Old versions stay readable, to choose one to restore.
    let old = env
        .run(&["--json", "show", "data-pipeline", "--version", "2"])
        .ok()
        .json();
    assert_eq!(old["current"], false);
    assert_eq!(old["workflow"], env.stored("data-pipeline", 2));

    let restore = env.run(&["rollback", "data-pipeline", "--to", "3"]).ok();
    insta::assert_snapshot!("restore", restore.snapshot());
    assert_eq!(env.read("home/workflows/data-pipeline.json"), content);
    let log = env.log("data-pipeline");
    assert_eq!(log.len(), 4);
    assert_eq!(log[3]["parents"], serde_json::json!([3]));
    env.run(&["show", "data-pipeline"]).ok();
}

#[test]
fn json_names_the_deleted_version() {
    let env = three_versions();
    let document = env.run(&["--json", "delete", "data-pipeline"]).ok().json();
    assert_eq!(document["deleted"], "data-pipeline");
    assert_eq!(document["version"], 3);
}

#[test]
fn interactive_no_changes_nothing() {
    let env = three_versions();
    let before = env.tree();
    let run = env
        .run_interactive(&["delete", "data-pipeline"], "n\n")
        .expect(3);
    assert!(run.stderr.contains("Delete it? [y/n]: "), "{}", run.stderr);
    before.assert_same(&env.tree(), "a declined delete");
    env.run_interactive(&["delete", "data-pipeline"], "y\n")
        .ok();
    assert!(!env.workflows().join("data-pipeline.json").exists());
}

#[test]
fn deleting_twice_says_how_to_restore() {
    let env = three_versions();
    env.run(&["delete", "data-pipeline"]).ok();
    let run = env.refuses(&["delete", "data-pipeline"], 1);
    assert!(
        run.stderr
            .contains("`qwf rollback data-pipeline --to 3` restores it"),
        "{}",
        run.stderr
    );
}
