use crate::common::three_versions;

#[test]
fn rollback_makes_a_new_version_equal_to_the_old_one() {
    let env = three_versions();
    let run = env.run(&["rollback", "data-pipeline", "--to", "1"]).ok();
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 1));
    assert_eq!(
        env.stored("data-pipeline", 4),
        env.stored("data-pipeline", 1)
    );
    let log = env.log("data-pipeline");
    assert_eq!(log.len(), 4, "history is never destroyed");
    assert_eq!(log[3]["parents"], serde_json::json!([3]));
    assert_eq!(log[3]["description"], "Rolled back to v1");
    assert_eq!(
        log[3]["origin"]["command"],
        "qwf rollback data-pipeline --to 1"
    );
    assert!(
        !env.workflows()
            .join("data-pipeline-backup-v3.json")
            .exists()
    );
}

#[test]
fn save_current_keeps_the_current_version_as_a_workflow() {
    let env = three_versions();
    let mut current = env.current("data-pipeline");
    let run = env
        .run(&["rollback", "data-pipeline", "--to", "v2", "--save-current"])
        .ok();
    insta::assert_snapshot!(run.snapshot());
    // A workflow of its own, made through the store: listed, with a
    // history that says where it came from.
    current["name"] = "data-pipeline-backup-v3".into();
    assert_eq!(env.current("data-pipeline-backup-v3"), current);
    let log = env.log("data-pipeline-backup-v3");
    assert_eq!(log.len(), 1);
    assert_eq!(
        log[0]["branched_from"],
        serde_json::json!({ "workflow": "data-pipeline", "version": 3 })
    );
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 2));
    let list = env.run(&["--json", "list"]).ok().json();
    assert_eq!(list["workflows"].as_array().expect("list").len(), 2);
}

#[test]
fn save_current_never_overwrites_a_workflow_of_that_name() {
    let env = three_versions();
    // The user's own workflow happens to have the backup's name.
    let mine = env.add_workflow(
        "data-pipeline-backup-v3",
        r#"{"name": "data-pipeline-backup-v3", "steps": [{"id": "mine", "type": "skill", "skill": "smtp"}]}"#,
    );
    let before = env.tree();
    let run = env.refuses(
        &["rollback", "data-pipeline", "--to", "1", "--save-current"],
        1,
    );
    assert!(
        run.stderr.contains(
            "cannot keep the current version as 'data-pipeline-backup-v3': a workflow of that name exists; nothing was changed"
        ),
        "{}",
        run.snapshot()
    );
    assert!(
        std::fs::read_to_string(mine)
            .expect("kept")
            .contains("\"mine\"")
    );
    assert_eq!(env.log("data-pipeline").len(), 3, "no rollback either");
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 3));
    // Only the adoption of the hand-made file as a version was recorded.
    let after = env.tree();
    for path in after.paths() {
        assert!(
            before.0.contains_key(path) || path.contains("data-pipeline-backup-v3."),
            "added {path}"
        );
    }
}

#[test]
fn json_reports_what_was_restored_and_undone() {
    let env = three_versions();
    let document = env
        .run(&[
            "--json",
            "rollback",
            "data-pipeline",
            "--to",
            "1",
            "--save-current",
        ])
        .ok()
        .json();
    assert_eq!(document["applied"], true);
    assert_eq!(document["version"], 4);
    assert_eq!(document["restored"], 1);
    assert_eq!(document["undone"], serde_json::json!([2, 3]));
    assert_eq!(document["backup"], "data-pipeline-backup-v3");
}

#[test]
fn interactive_yes_rolls_back() {
    let env = three_versions();
    let run = env
        .run_interactive(&["rollback", "data-pipeline", "--to", "1"], "y\n")
        .ok();
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 1));
}

#[test]
fn interactive_no_changes_nothing() {
    let env = three_versions();
    let before = env.tree();
    let run = env
        .run_interactive(&["rollback", "data-pipeline", "--to", "1"], "n\n")
        .expect(3);
    insta::assert_snapshot!(run.snapshot());
    before.assert_same(&env.tree(), "a declined rollback");
}

#[test]
fn end_of_input_counts_as_no() {
    let env = three_versions();
    let before = env.tree();
    env.run_interactive(&["rollback", "data-pipeline", "--to", "1"], "")
        .expect(3);
    before.assert_same(&env.tree(), "an unanswered rollback");
}

#[test]
fn interactive_save_current_saves_then_rolls_back() {
    let env = three_versions();
    let current = env.read("home/workflows/data-pipeline.json");
    let run = env
        .run_interactive(
            &["rollback", "data-pipeline", "--to", "1"],
            "maybe\nsave-current\n",
        )
        .ok();
    insta::assert_snapshot!(run.snapshot());
    assert_eq!(
        env.read("home/workflows/data-pipeline-backup-v3.json"),
        current.replacen(
            "\"name\": \"data-pipeline\"",
            "\"name\": \"data-pipeline-backup-v3\"",
            1
        )
    );
    assert_eq!(env.current("data-pipeline"), env.stored("data-pipeline", 1));
}

#[test]
fn yes_skips_the_question() {
    let env = three_versions();
    let run = env
        .run_interactive(&["rollback", "data-pipeline", "--to", "1", "--yes"], "")
        .ok();
    assert!(!run.stderr.contains("Proceed?"), "{}", run.stderr);
    assert_eq!(env.log("data-pipeline").len(), 4);
}

#[test]
fn rolling_back_to_the_same_content_does_nothing() {
    let env = three_versions();
    let before = env.tree();
    let run = env.run(&["rollback", "data-pipeline", "--to", "3"]).ok();
    assert_eq!(run.stdout, "Nothing to do: v3 already equals v3.\n");
    before.assert_same(&env.tree(), "a rollback to the current content");
}

#[test]
fn an_unknown_version_is_refused_and_changes_nothing() {
    let env = three_versions();
    let run = env.refuses(&["rollback", "data-pipeline", "--to", "4"], 1);
    insta::assert_snapshot!(run.snapshot());
    env.refuses(
        &["rollback", "data-pipeline", "--to", "4", "--save-current"],
        1,
    );
}
