use crate::common::three_versions;

#[test]
fn newest_first_with_age_description_and_origin() {
    let env = three_versions();
    let run = env.run(&["history", "data-pipeline"]).ok();
    insta::assert_snapshot!(run.snapshot());
}

#[test]
fn a_hand_edit_is_recorded_before_the_history_is_shown() {
    let env = three_versions();
    let path = "home/workflows/data-pipeline.json";
    let edited = env.read(path).replace(
        "\"description\": \"Fetch, validate, and save API data\"",
        "\"description\": \"Nightly import\"",
    );
    env.write(path, &edited);
    let run = env.run(&["history", "data-pipeline"]).ok();
    assert!(
        run.stdout.starts_with(
            "Workflow: data-pipeline\n\nv4 (current) - just now\n  Edited by hand: ~ description: \"Fetch, validate, and save API data\" → \"Nightly import\"\n  edited outside qwf\n"
        ),
        "{}",
        run.stdout
    );
    // The file is kept exactly as the user wrote it.
    assert_eq!(env.read(path), edited);
    assert_eq!(env.log("data-pipeline").len(), 4);
}

#[test]
fn json_has_every_record_oldest_first() {
    let env = three_versions();
    let document = env.run(&["--json", "history", "data-pipeline"]).ok().json();
    assert_eq!(document["workflow"], "data-pipeline");
    assert_eq!(document["deleted"], false);
    let versions = document["versions"].as_array().expect("versions");
    assert_eq!(versions.len(), 3);
    for (index, record) in versions.iter().enumerate() {
        assert_eq!(record["version"], index as u64 + 1);
        for key in ["parents", "timestamp", "description", "origin"] {
            assert!(record.get(key).is_some(), "record lacks {key}: {record}");
        }
    }
    assert_eq!(versions[0]["origin"]["kind"], "edited_outside");
    assert_eq!(versions[1]["origin"]["kind"], "request");
    assert_eq!(
        versions[1]["origin"]["text"],
        "tell the team on Slack when the data is saved"
    );
    assert_eq!(versions[1]["modifications"][0]["type"], "add_step");
    assert_eq!(versions[1]["parents"], serde_json::json!([1]));
    assert_eq!(versions[2]["timestamp"], "2026-11-28T10:00:00Z");
    // The JSON history is the log itself.
    assert_eq!(versions, &env.log("data-pipeline"));
}

#[test]
fn a_missing_workflow_suggests_a_close_name() {
    let env = three_versions();
    let run = env.refuses(&["history", "datapipeline"], 1);
    assert!(
        run.stderr
            .contains("Hint: did you mean 'data-pipeline'? `qwf list` shows every workflow"),
        "{}",
        run.stderr
    );
}
