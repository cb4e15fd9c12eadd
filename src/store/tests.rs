use serde_json::json;

use super::*;

fn context() -> Context<'static> {
    Context {
        now: "2026-11-27T10:00:00Z".into(),
        on_wait: &|| {},
    }
}

fn pipeline() -> Workflow {
    Workflow::from_json_str(include_str!("../../tests/fixtures/data-pipeline.json"))
        .expect("fixture parses")
}

fn modifications(value: serde_json::Value) -> Vec<Modification> {
    serde_json::from_value(value).expect("modifications parse")
}

fn created() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::new(dir.path());
    store
        .create(
            "data-pipeline",
            &pipeline(),
            Provenance::new(
                "Initial creation",
                Origin::Command {
                    command: "test".into(),
                },
            ),
            &context(),
        )
        .expect("created");
    (dir, store)
}

fn retry() -> Change {
    Change::Modify(modifications(
        json!([{"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3}}]),
    ))
}

fn provenance(text: &str) -> Provenance {
    Provenance::new(text, Origin::Request { text: text.into() })
}

/// Commits [`retry`] to the current version: v2 after [`created`].
fn commit_retry(store: &Store) {
    store
        .commit(
            "data-pipeline",
            None,
            retry(),
            provenance("retry"),
            &context(),
        )
        .expect("v2");
}

#[test]
fn create_writes_the_documented_layout() {
    let (dir, store) = created();
    let root = dir.path().join("workflows");
    assert!(root.join("data-pipeline.json").exists());
    assert!(root.join(".versions/data-pipeline.v1.json").exists());
    let log = fs::read_to_string(root.join(".versions/data-pipeline.log.jsonl")).expect("log");
    assert_eq!(log.lines().count(), 1);
    assert_eq!(
        fs::read_to_string(root.join("data-pipeline.json")).expect("current"),
        pipeline().to_pretty_json()
    );
    let again = store.create(
        "data-pipeline",
        &pipeline(),
        provenance("again"),
        &context(),
    );
    assert!(matches!(again, Err(StoreError::AlreadyExists { .. })));
}

#[test]
fn commits_make_consecutive_versions_with_provenance() {
    let (_dir, store) = created();
    let committed = store
        .commit(
            "data-pipeline",
            Some(1),
            retry(),
            provenance("add retry"),
            &context(),
        )
        .expect("committed");
    assert_eq!(committed.record.version, 2);
    assert_eq!(committed.record.parents, [1]);
    assert_eq!(committed.record.modifications.len(), 1);
    let history = store.history("data-pipeline").expect("history");
    assert_eq!(
        history
            .iter()
            .map(|record| record.version)
            .collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(
        history[1].origin,
        Origin::Request {
            text: "add retry".into()
        }
    );
    assert_eq!(store.version("data-pipeline", 1).expect("v1"), pipeline());
    assert!(matches!(
        store.version("data-pipeline", 3),
        Err(StoreError::NoSuchVersion { latest: 2, .. })
    ));
}

#[test]
fn a_hand_edit_is_recorded_before_anything_else() {
    let (_dir, store) = created();
    let mut edited = pipeline();
    edited.steps[0].timeout_secs = Some(30);
    fs::write(store.current_path("data-pipeline"), edited.to_pretty_json()).expect("hand edit");
    let head = store.head("data-pipeline", &context()).expect("head");
    assert!(head.recorded_hand_edit);
    assert_eq!(head.record.version, 2);
    assert_eq!(head.record.origin, Origin::EditedOutside);
    assert_eq!(
        head.record.modifications.len(),
        1,
        "the edit is recorded as modifications"
    );
    assert_eq!(head.workflow, edited);
    assert!(
        !store
            .head("data-pipeline", &context())
            .expect("head")
            .recorded_hand_edit,
        "recorded once"
    );
}

#[test]
fn a_hand_edit_keeps_the_users_formatting() {
    let (_dir, store) = created();
    let mut edited = pipeline();
    edited.steps[0].timeout_secs = Some(30);
    let compact = serde_json::to_string(&edited).expect("compact");
    fs::write(store.current_path("data-pipeline"), &compact).expect("hand edit");
    let head = store.head("data-pipeline", &context()).expect("head");
    assert_eq!(head.record.version, 2);
    assert_eq!(
        fs::read_to_string(store.current_path("data-pipeline")).expect("readable"),
        compact,
        "the file is left as the user wrote it"
    );
    assert_eq!(
        store.read_version("data-pipeline", 2).expect("stored"),
        edited
    );
    // The next change writes the file as qwf writes it.
    assert_eq!(
        store
            .head("data-pipeline", &context())
            .expect("head")
            .record
            .version,
        2
    );
}

#[test]
fn a_formatting_only_edit_is_not_a_version() {
    let (_dir, store) = created();
    let compact = serde_json::to_string(&pipeline()).expect("compact");
    fs::write(store.current_path("data-pipeline"), compact).expect("reformat");
    let head = store.head("data-pipeline", &context()).expect("head");
    assert_eq!(head.record.version, 1);
}

#[test]
fn an_invalid_hand_edit_is_reported_and_never_overwritten() {
    let (_dir, store) = created();
    let broken = "{\n  \"name\": \"data-pipeline\",\n  \"steps\": [\n";
    fs::write(store.current_path("data-pipeline"), broken).expect("hand edit");
    let error = store
        .commit("data-pipeline", None, retry(), provenance("x"), &context())
        .expect_err("refused");
    match &error {
        StoreError::InvalidWorkflowFile { line, .. } => assert_eq!(*line, 4),
        other => panic!("expected an invalid file error, got {other:?}"),
    }
    assert!(error.hint().contains("never overwrites"));
    assert_eq!(
        fs::read_to_string(store.current_path("data-pipeline")).expect("kept"),
        broken
    );
    assert_eq!(store.history("data-pipeline").expect("history").len(), 1);
}

#[test]
fn an_interrupted_commit_is_finished_not_mistaken_for_a_hand_edit() {
    let (_dir, store) = created();
    let marker_v1 = fs::read(store.marker_path("data-pipeline")).expect("a marker");
    commit_retry(&store);
    // Simulate a writer killed after the log line, before the current file
    // (and so before its marker).
    fs::write(
        store.current_path("data-pipeline"),
        pipeline().to_pretty_json(),
    )
    .expect("old content");
    fs::write(store.marker_path("data-pipeline"), &marker_v1).expect("old marker");
    let head = store.head("data-pipeline", &context()).expect("head");
    assert_eq!(head.record.version, 2);
    assert!(!head.recorded_hand_edit);
    assert_eq!(
        fs::read_to_string(store.current_path("data-pipeline")).expect("current"),
        head.workflow.to_pretty_json()
    );
}

#[test]
fn a_file_put_in_place_by_hand_is_adopted_as_version_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::new(dir.path());
    fs::create_dir_all(store.workflows_dir()).expect("dir");
    fs::write(store.current_path("handmade"), pipeline().to_pretty_json()).expect("write");
    assert_eq!(store.list().expect("list")[0].version, None);
    let head = store.head("handmade", &context()).expect("adopted");
    assert_eq!(
        (head.record.version, head.record.origin.clone()),
        (1, Origin::EditedOutside)
    );
}

#[test]
fn a_stale_change_is_rebased_when_it_still_applies() {
    let (_dir, store) = created();
    store
        .commit(
            "data-pipeline",
            Some(1),
            Change::Modify(modifications(
                json!([{"type": "set_context", "key": "a", "value": 1}]),
            )),
            provenance("a"),
            &context(),
        )
        .expect("v2");
    let committed = store
        .commit(
            "data-pipeline",
            Some(1),
            retry(),
            provenance("retry"),
            &context(),
        )
        .expect("rebased");
    assert_eq!(
        (committed.record.version, committed.rebased_from),
        (3, Some(1))
    );
    assert_eq!(
        committed.workflow.context.readonly["a"],
        json!(1),
        "the newer version is kept"
    );
}

#[test]
fn a_stale_change_that_no_longer_fits_is_refused() {
    let (_dir, store) = created();
    store
        .commit(
            "data-pipeline",
            Some(1),
            Change::Modify(modifications(
                json!([{"type": "rename_step", "id": "fetch", "new_id": "download"}]),
            )),
            provenance("rename"),
            &context(),
        )
        .expect("v2");
    let error = store
        .commit(
            "data-pipeline",
            Some(1),
            retry(),
            provenance("retry"),
            &context(),
        )
        .expect_err("stale");
    assert!(
        matches!(
            &error,
            StoreError::Stale {
                base: 1,
                head: 2,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(
        error.to_string().contains("there is no step 'fetch'"),
        "{error}"
    );
    let replaced = store.commit(
        "data-pipeline",
        Some(1),
        Change::Replace(Box::new(pipeline())),
        provenance("replace"),
        &context(),
    );
    assert!(matches!(replaced, Err(StoreError::Stale { .. })));
    assert_eq!(store.history("data-pipeline").expect("history").len(), 2);
}

#[test]
fn a_stale_change_that_would_break_the_new_head_is_refused() {
    let (_dir, store) = created();
    let consumer = json!([{"type": "add_step", "step": {"id": "audit", "type": "skill", "skill": "a", "inputs": {"x": "validate.validated"}}, "after": "save"}]);
    store
        .commit(
            "data-pipeline",
            Some(1),
            Change::Modify(modifications(consumer)),
            provenance("audit"),
            &context(),
        )
        .expect("v2");
    let removal = Change::Modify(modifications(json!([
        {"type": "remove_step", "id": "validate"},
        {"type": "modify_step", "id": "save", "changes": {"inputs": {"data": "fetch.data"}}}
    ])));
    let error = store
        .commit(
            "data-pipeline",
            Some(1),
            removal,
            provenance("remove"),
            &context(),
        )
        .expect_err("would break audit");
    assert!(error.to_string().contains("step 'audit'"), "{error}");
}

#[test]
fn delete_keeps_history_and_restore_brings_a_version_back() {
    let (_dir, store) = created();
    commit_retry(&store);
    store.delete("data-pipeline", &context()).expect("deleted");
    assert!(!store.current_path("data-pipeline").exists());
    assert!(matches!(
        store.head("data-pipeline", &context()),
        Err(StoreError::Deleted { latest: 2, .. })
    ));
    assert_eq!(store.history("data-pipeline").expect("kept").len(), 2);
    let restored = store
        .restore(
            "data-pipeline",
            RestoreRequest {
                to: 1,
                shown: 2,
                save_current: false,
                provenance: provenance("restore"),
            },
            &context(),
        )
        .expect("restored");
    assert_eq!(
        (restored.record.version, restored.workflow.clone()),
        (3, pipeline())
    );
    assert_eq!(
        store
            .head("data-pipeline", &context())
            .expect("alive")
            .record
            .version,
        3
    );
}

#[test]
fn bad_names_are_refused_before_touching_disk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::new(dir.path().join("home"));
    for name in ["../escape", "a/b", "", "UPPER", ".hidden"] {
        assert!(
            matches!(
                store.create(name, &pipeline(), provenance("x"), &context()),
                Err(StoreError::InvalidName(_))
            ),
            "{name}"
        );
        assert!(
            matches!(store.history(name), Err(StoreError::InvalidName(_))),
            "{name}"
        );
    }
    assert!(!dir.path().join("home").exists());
}

#[test]
fn unknown_workflows_suggest_a_close_name() {
    let (_dir, store) = created();
    match store.history("data-pipline") {
        Err(error @ StoreError::NoSuchWorkflow { .. }) => {
            assert!(error.hint().starts_with("did you mean 'data-pipeline'?"))
        }
        other => panic!("expected no such workflow, got {other:?}"),
    }
}

#[test]
fn list_reads_heads_and_reports_broken_files() {
    let (_dir, store) = created();
    fs::write(store.current_path("broken"), "{ nope").expect("write");
    // Not workflows: temporary files and kept broken edits.
    fs::write(store.workflows_dir().join(".qwf-x.tmp"), "{}").expect("temporary");
    fs::write(
        store.workflows_dir().join("data-pipeline.broken-v1.json"),
        "{",
    )
    .expect("kept");
    let list = store.list().expect("list");
    assert_eq!(
        list.iter()
            .map(|summary| summary.name.as_str())
            .collect::<Vec<_>>(),
        ["broken", "data-pipeline"]
    );
    assert!(
        list[0]
            .problem
            .as_deref()
            .is_some_and(|problem| problem.contains("line 1"))
    );
    assert_eq!((list[1].version, list[1].steps), (Some(1), Some(3)));
}

#[test]
fn branches_merge_back_with_their_base() {
    let (_dir, store) = created();
    store
        .branch("data-pipeline", "experiment", &context())
        .expect("branched");
    store
        .commit("experiment", None, retry(), provenance("retry"), &context())
        .expect("branch v2");
    store
        .commit(
            "data-pipeline",
            None,
            Change::Modify(modifications(
                json!([{"type": "modify_step", "id": "save", "changes": {"timeout_secs": 5}}]),
            )),
            provenance("t"),
            &context(),
        )
        .expect("main v2");
    let inputs = store
        .merge_inputs("experiment", "data-pipeline", &context())
        .expect("inputs");
    assert_eq!(inputs.base, pipeline());
    assert_eq!(inputs.theirs.name, "data-pipeline");
    let merged = crate::core::merge(&inputs.base, &inputs.ours.workflow, &inputs.theirs)
        .expect("no conflicts");
    assert!(merged.steps[0].error_handling.is_some() && merged.steps[2].timeout_secs == Some(5));
    assert!(matches!(
        store.merge_inputs("data-pipeline", "experiment", &context()),
        Err(StoreError::Invalid { .. })
    ));
}

#[test]
fn export_and_import_round_trip_the_whole_history() {
    let (dir, store) = created();
    fs::create_dir_all(store.skills_dir()).expect("skills");
    fs::write(
        store.skills_dir().join("http-fetch.json"),
        r#"{"name": "http-fetch", "type": "code_inline", "command": "curl"}"#,
    )
    .expect("skill");
    commit_retry(&store);
    let text = store
        .export("data-pipeline", &context())
        .expect("export")
        .to_pretty_json();
    let other = Store::new(dir.path().join("other"));
    let checked = package::Package::parse_and_check(&text).expect("valid package");
    let imported = other.import(checked, "copy", &context()).expect("imported");
    assert_eq!(
        (imported.versions, imported.skills_added.clone()),
        (2, vec!["http-fetch".to_string()])
    );
    assert_eq!(other.history("copy").expect("history").len(), 2);
    assert_eq!(
        other.head("copy", &context()).expect("head").workflow.name,
        "copy"
    );
    let checked = package::Package::parse_and_check(&text).expect("valid package");
    assert!(matches!(
        other.import(checked, "copy", &context()),
        Err(StoreError::AlreadyExists { .. })
    ));
}

#[test]
fn hostile_packages_are_refused_whole() {
    let version = |n: u64| json!({"record": {"version": n, "timestamp": "t", "description": "d", "origin": {"kind": "edited_outside"}}, "content": {"name": "x", "steps": []}});
    let cases = [
        (
            json!({"qwf_package": 1, "name": "../../etc/passwd", "history": [version(1)]}),
            "not a valid workflow name",
        ),
        (
            json!({"qwf_package": 1, "name": "/abs", "history": [version(1)]}),
            "not a valid workflow name",
        ),
        (
            json!({"qwf_package": 1, "name": "ok", "history": []}),
            "no versions",
        ),
        (
            json!({"qwf_package": 1, "name": "ok", "history": [version(2)]}),
            "expected 1",
        ),
        (
            json!({"qwf_package": 1, "name": "ok", "history": [version(1)], "skills": {"../x": {}}}),
            "not a valid skill name",
        ),
        (
            json!({"qwf_package": 2, "name": "ok", "history": [version(1)]}),
            "format 2",
        ),
        (
            json!({"qwf_package": 1, "name": "ok", "history": [version(1)], "extra": true}),
            "unknown field",
        ),
        (
            json!({"qwf_package": 1, "name": "ok", "history": [{"record": version(1)["record"], "content": {"name": "x", "steps": [{"id": "a"}]}}]}),
            "not a valid workflow",
        ),
    ];
    for (package, expected) in cases {
        let error = package::Package::parse_and_check(&package.to_string()).expect_err("refused");
        assert!(
            error.to_string().contains(expected),
            "{error} does not contain {expected}"
        );
    }
    let huge = json!({"qwf_package": 1, "name": "ok", "history": [{"record": version(1)["record"], "content": {"name": "x", "steps": [], "blob": "x".repeat(package::MAX_ENTRY_BYTES)}}]});
    assert!(
        package::Package::parse_and_check(&huge.to_string())
            .expect_err("too big")
            .to_string()
            .contains("over the limit")
    );
}

#[test]
fn a_hand_edit_back_to_the_previous_version_is_recorded() {
    let (_dir, store) = created();
    commit_retry(&store);
    // The user puts back v1's exact bytes by hand: not a crash to finish.
    fs::copy(
        store.version_path("data-pipeline", 1),
        store.current_path("data-pipeline"),
    )
    .expect("hand edit");
    let head = store.head("data-pipeline", &context()).expect("head");
    assert!(head.recorded_hand_edit);
    assert_eq!((head.record.version, head.workflow), (3, pipeline()));
    assert_eq!(head.record.origin, Origin::EditedOutside);
}

#[test]
fn a_home_without_markers_still_finishes_an_interrupted_commit() {
    let (_dir, store) = created();
    commit_retry(&store);
    fs::remove_file(store.marker_path("data-pipeline")).expect("no marker");
    fs::write(
        store.current_path("data-pipeline"),
        pipeline().to_pretty_json(),
    )
    .expect("old");
    let head = store.head("data-pipeline", &context()).expect("head");
    assert_eq!((head.record.version, head.recorded_hand_edit), (2, false));
    assert!(
        store.marker_path("data-pipeline").exists(),
        "the marker is written"
    );
}

#[test]
fn a_change_that_changes_nothing_writes_nothing() {
    let (_dir, store) = created();
    let same = Change::Modify(modifications(
        json!([{"type": "set_context", "key": "table", "value": pipeline().to_value()["context"]["readonly"]["table"].clone()}]),
    ));
    let before = fs::read(store.log_path("data-pipeline")).expect("log");
    match store.commit("data-pipeline", None, same, provenance("same"), &context()) {
        Err(error @ StoreError::Unchanged { version: 1, .. }) => assert!(error.is_refusal()),
        other => panic!("expected unchanged, got {other:?}"),
    }
    assert_eq!(
        fs::read(store.log_path("data-pipeline")).expect("log"),
        before
    );
}

#[test]
fn a_restore_decided_on_an_older_head_is_refused() {
    let (_dir, store) = created();
    commit_retry(&store);
    let request = |shown| RestoreRequest {
        to: 1,
        shown,
        save_current: false,
        provenance: provenance("undo"),
    };
    store
        .restore("data-pipeline", request(2), &context())
        .expect("v3");
    // A second undo decided on v2 must not write v4 = v3.
    match store.restore("data-pipeline", request(2), &context()) {
        Err(error @ StoreError::Moved { .. }) => {
            assert!(error.is_refusal());
            assert!(
                error.to_string().contains("v3 (undo) was saved meanwhile"),
                "{error}"
            );
        }
        other => panic!("expected moved, got {other:?}"),
    }
    // Decided on v3, it is simply nothing to do.
    assert!(matches!(
        store.restore("data-pipeline", request(3), &context()),
        Err(StoreError::Unchanged { .. })
    ));
    assert_eq!(store.history("data-pipeline").expect("history").len(), 3);
}

#[cfg(unix)]
#[test]
fn history_through_a_linked_versions_directory_is_refused() {
    let (dir, store) = created();
    let elsewhere = dir.path().join("elsewhere");
    fs::rename(store.versions_dir(), &elsewhere).expect("move");
    std::os::unix::fs::symlink(&elsewhere, store.versions_dir()).expect("link");
    let error = store.history("data-pipeline").expect_err("refused");
    assert!(error.to_string().contains("symbolic link"), "{error}");
    assert!(store.head("data-pipeline", &context()).is_err());
}
