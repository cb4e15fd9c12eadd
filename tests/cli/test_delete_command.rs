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

    // Back at its latest version: the file returns, and no version equal
    // to v3 is added.
    let restore = env.run(&["rollback", "data-pipeline", "--to", "3"]).ok();
    insta::assert_snapshot!("restore", restore.snapshot());
    assert_eq!(env.read("home/workflows/data-pipeline.json"), content);
    assert_eq!(env.log("data-pipeline").len(), 3);
    env.run(&["show", "data-pipeline"]).ok();
    // An older version comes back as a new version.
    env.run(&["delete", "data-pipeline"]).ok();
    env.run(&["rollback", "data-pipeline", "--to", "1"]).ok();
    let log = env.log("data-pipeline");
    assert_eq!(log.len(), 4);
    assert_eq!(log[3]["parents"], serde_json::json!([3]));
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 1));
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
            .contains("`qwf undo data-pipeline` brings back v3"),
        "{}",
        run.stderr
    );
}

#[test]
fn undo_after_delete_brings_the_workflow_back() {
    let env = three_versions();
    let content = env.read("home/workflows/data-pipeline.json");
    env.run(&["delete", "data-pipeline"]).ok();
    let run = env.run(&["undo", "data-pipeline"]).ok();
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(env.read("home/workflows/data-pipeline.json"), content);
    assert_eq!(env.log("data-pipeline").len(), 3, "no version equal to v3");
    // And it is a workflow like before: undo goes on to v2.
    env.run(&["undo", "data-pipeline"]).ok();
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 2));
}

#[test]
fn a_deleted_name_can_be_created_again_and_continues_its_history() {
    let env = three_versions();
    env.run(&["delete", "data-pipeline"]).ok();
    let run = env
        .run(&[
            "create",
            "fetch the orders from the shop, then email a summary",
            "--name",
            "data-pipeline",
            "--yes",
        ])
        .ok();
    assert!(
        run.stdout.contains(
            "Saved workflow 'data-pipeline' as v4, continuing the history of the deleted workflow of that name"
        ),
        "{}",
        run.snapshot()
    );
    let log = env.log("data-pipeline");
    assert_eq!(log.len(), 4);
    assert_eq!(log[3]["parents"], serde_json::json!([3]));
    // The old versions are still there to go back to.
    env.run(&["rollback", "data-pipeline", "--to", "3"]).ok();
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 3));
}
