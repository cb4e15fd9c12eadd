//! The agent loop and the gate, driven by scripted models against a real
//! store in a temporary home.

#[path = "support/scripted_gate.rs"]
mod scripted_gate;
use scripted_gate::ScriptedGate;

use serde_json::json;

use qwf::agent::gate::{Decision, Gate, Policy, PolicyGate, ProposalKind};
use qwf::agent::model::{Message, Model, ModelReply};
use qwf::agent::scope::Scope;
use qwf::agent::scripted::ScriptedModel;
use qwf::agent::session::{Mode, Options, Report, Session};
use qwf::core::{Verdict, Workflow};
use qwf::store::{Context, Origin, Provenance, Store};

const PIPELINE: &str = include_str!("fixtures/data-pipeline.json");

fn context() -> Context<'static> {
    Context {
        now: "2026-11-27T10:00:00Z".into(),
        on_wait: &|| {},
    }
}

fn home() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::new(dir.path());
    let workflow = Workflow::from_json_str(PIPELINE).expect("fixture");
    store
        .create(
            "data-pipeline",
            &workflow,
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

fn run(
    store: &Store,
    model: &dyn Model,
    options: Options,
    request: &str,
    gate: &mut dyn Gate,
) -> Report {
    let mut session = Session::new(model, store, context(), options);
    session.run(request, gate).expect("the model answers")
}

fn retry_call(id: &str) -> ModelReply {
    ScriptedModel::call(
        id,
        "propose_modification",
        json!({"workflow": "data-pipeline", "summary": "Added retry logic to API call",
               "modifications": [{"type": "add_error_handling", "step_id": "fetch",
                                  "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}}]}),
    )
}

fn remove_validate(id: &str) -> ModelReply {
    ScriptedModel::call(
        id,
        "propose_modification",
        json!({"workflow": "data-pipeline", "summary": "Remove the validation step", "modifications": [{"type": "remove_step", "id": "validate"}]}),
    )
}

/// The tool results the model was sent, in order.
fn tool_results(model: &ScriptedModel) -> Vec<(String, bool)> {
    let requests = model.requests.borrow();
    let last = requests.last().cloned().unwrap_or_default();
    last.into_iter()
        .filter_map(|message| match message {
            Message::Tool {
                content, is_error, ..
            } => Some((content, is_error)),
            _ => None,
        })
        .collect()
}

#[test]
fn an_approved_proposal_becomes_a_version_recording_request_and_tool_calls() {
    let (_dir, store) = home();
    let model = ScriptedModel::new([
        retry_call("c1"),
        ScriptedModel::text("Added retry to fetch."),
    ]);
    let mut gate = ScriptedGate::new(vec![Decision::Approve]);
    let report = run(
        &store,
        &model,
        Options::default(),
        "add retry logic to the API call",
        &mut gate,
    );
    assert_eq!(report.final_message, "Added retry to fetch.");
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.applied[0].version, Some(2));
    assert_eq!(gate.shown[0].verdict(), Verdict::Safe);
    let history = store.history("data-pipeline").expect("history");
    assert_eq!(
        history[1].origin,
        Origin::Request {
            text: "add retry logic to the API call".into()
        }
    );
    assert_eq!(history[1].tool_calls[0]["name"], "propose_modification");
    assert_eq!(history[1].description, "Added retry logic to API call");
    let head = store.head("data-pipeline", &context()).expect("head");
    assert!(head.workflow.steps[0].error_handling.is_some());
    let results = tool_results(&model);
    assert!(
        results[0].0.contains("\"status\":\"applied\""),
        "{results:?}"
    );
}

#[test]
fn a_declined_proposal_never_runs_and_the_model_hears_why() {
    let (_dir, store) = home();
    let model = ScriptedModel::new([
        remove_validate("c1"),
        ScriptedModel::text("Kept the validation step."),
    ]);
    let mut gate = ScriptedGate::new(vec![Decision::Decline {
        reason: "keep the validation step".into(),
    }]);
    let report = run(
        &store,
        &model,
        Options::default(),
        "remove the validation step",
        &mut gate,
    );
    assert!(report.applied.is_empty());
    assert_eq!(report.declined[0].reason, "keep the validation step");
    assert_eq!(gate.shown[0].verdict(), Verdict::Breaking);
    let impact = &gate.shown[0].evaluation.as_ref().expect("evaluated").impact;
    assert_eq!(impact.broken_references[0].consumer, "save");
    assert_eq!(
        store.history("data-pipeline").expect("history").len(),
        1,
        "nothing reached the store"
    );
    let results = tool_results(&model);
    assert_eq!(
        results[0],
        (
            "{\"status\":\"declined\",\"reason\":\"keep the validation step\"}".to_string(),
            false
        )
    );
}

#[test]
fn an_edited_proposal_is_evaluated_again_and_applied_as_edited() {
    let (_dir, store) = home();
    let model = ScriptedModel::new([retry_call("c1"), ScriptedModel::text("done")]);
    let edited = serde_json::from_value(json!([{"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 5}}])).expect("mods");
    let mut gate = ScriptedGate::new(vec![
        Decision::Revise {
            modifications: edited,
        },
        Decision::Approve,
    ]);
    let report = run(&store, &model, Options::default(), "add retry", &mut gate);
    assert_eq!(gate.shown.len(), 2, "shown again after the edit");
    assert_eq!(report.applied.len(), 1);
    let head = store.head("data-pipeline", &context()).expect("head");
    assert_eq!(
        head.workflow.steps[0]
            .error_handling
            .as_ref()
            .and_then(|h| h.max_attempts),
        Some(5)
    );
}

#[test]
fn a_scope_violation_is_refused_back_to_the_model_which_corrects_itself() {
    let (_dir, store) = home();
    let model = ScriptedModel::new([
        ScriptedModel::call(
            "c1",
            "propose_modification",
            json!({"workflow": "data-pipeline", "summary": "s", "modifications": [
            {"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}},
            {"type": "remove_step", "id": "save"}]}),
        ),
        ScriptedModel::call(
            "c2",
            "propose_modification",
            json!({"workflow": "data-pipeline", "summary": "Fetch timeout 30s", "modifications": [
            {"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}}]}),
        ),
        ScriptedModel::text("Set the timeout."),
    ]);
    let mut gate = ScriptedGate::new(vec![Decision::Approve]);
    let options = Options {
        mode: Mode::Edit {
            workflow: "data-pipeline".into(),
            scope: Some(Scope::Step("fetch".into())),
        },
        ..Options::default()
    };
    let report = run(
        &store,
        &model,
        options,
        "increase the fetch timeout to 30 seconds",
        &mut gate,
    );
    let results = tool_results(&model);
    assert!(results[0].1, "the first proposal is an error for the model");
    assert!(
        results[0].0.contains("outside the scope"),
        "{}",
        results[0].0
    );
    assert_eq!(
        gate.shown.len(),
        1,
        "the out-of-scope proposal never reached the user"
    );
    assert_eq!(report.applied.len(), 1);
    assert_eq!(report.first_proposal_valid, Some(false));
}

#[test]
fn invalid_arguments_and_unknown_tools_are_answered_not_fatal() {
    let (_dir, store) = home();
    let model = ScriptedModel::new([
        ScriptedModel::call("c1", "delete_everything", json!({})),
        ScriptedModel::call(
            "c2",
            "propose_modification",
            json!({"workflow": "data-pipeline", "modifications": [{"type": "remove_step", "id": "valdate"}], "summary": "x"}),
        ),
        retry_call("c3"),
        ScriptedModel::text("done"),
    ]);
    let mut gate = ScriptedGate::new(vec![Decision::Approve]);
    let report = run(&store, &model, Options::default(), "add retry", &mut gate);
    let results = tool_results(&model);
    assert!(
        results[0]
            .0
            .contains("there is no tool 'delete_everything'"),
        "{}",
        results[0].0
    );
    assert!(
        results[1].0.contains("there is no step 'valdate'")
            && results[1].0.contains("did you mean 'validate'"),
        "{}",
        results[1].0
    );
    assert_eq!(report.invalid_calls, 2);
    assert_eq!(report.applied.len(), 1);
}

#[test]
fn endless_invalid_calls_stop_after_the_bound() {
    let (_dir, store) = home();
    let bad = || ScriptedModel::call("c", "get_workflow", json!({"name": "data-pipeline"}));
    let model = ScriptedModel::new([bad(), bad(), bad(), bad(), bad(), bad()]);
    let mut gate = ScriptedGate::new(vec![]);
    let report = run(&store, &model, Options::default(), "show it", &mut gate);
    assert_eq!(report.invalid_calls, 4);
    assert!(
        report
            .stopped
            .as_deref()
            .is_some_and(|why| why.contains("4 invalid calls in a row")),
        "{:?}",
        report.stopped
    );
}

#[test]
fn yes_approves_safe_changes_but_breaking_ones_need_force() {
    let (_dir, store) = home();
    let yes = Policy {
        yes: true,
        force: false,
        dry_run: false,
    };
    let model = ScriptedModel::new([remove_validate("c1"), ScriptedModel::text("not removed")]);
    let report = run(
        &store,
        &model,
        Options::default(),
        "remove validate",
        &mut PolicyGate { policy: yes },
    );
    assert!(report.applied.is_empty());
    assert!(report.declined[0].reason.contains("--force"));
    let model = ScriptedModel::new([retry_call("c1"), ScriptedModel::text("ok")]);
    let report = run(
        &store,
        &model,
        Options::default(),
        "add retry",
        &mut PolicyGate { policy: yes },
    );
    assert_eq!(report.applied.len(), 1);
    let forced = Policy { force: true, ..yes };
    let model = ScriptedModel::new([remove_validate("c1"), ScriptedModel::text("removed")]);
    let report = run(
        &store,
        &model,
        Options::default(),
        "remove validate",
        &mut PolicyGate { policy: forced },
    );
    assert_eq!(report.applied.len(), 1);
    assert_eq!(store.history("data-pipeline").expect("history").len(), 3);
}

#[test]
fn a_dry_run_saves_nothing_and_no_terminal_means_no_change() {
    let (_dir, store) = home();
    for policy in [
        Policy {
            yes: true,
            force: true,
            dry_run: true,
        },
        Policy::default(),
    ] {
        let model = ScriptedModel::new([retry_call("c1"), ScriptedModel::text("ok")]);
        let report = run(
            &store,
            &model,
            Options::default(),
            "add retry",
            &mut PolicyGate { policy },
        );
        assert!(report.applied.is_empty());
        assert_eq!(report.proposals, 1);
    }
    assert_eq!(store.history("data-pipeline").expect("history").len(), 1);
}

#[test]
fn create_workflow_saves_version_one_and_the_new_skills() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::new(dir.path());
    for existing in ["http-fetch", "db-writer"] {
        let skill = serde_json::from_value(
            json!({"name": existing, "type": "code_inline", "command": existing}),
        )
        .expect("skill");
        store.create_skill(&skill).expect("skill saved");
    }
    let workflow: serde_json::Value = serde_json::from_str(PIPELINE).expect("fixture");
    let model = ScriptedModel::new([
        ScriptedModel::call(
            "c0",
            "create_workflow",
            json!({"workflow": workflow, "reasoning": "first try forgets a skill"}),
        ),
        ScriptedModel::call(
            "c1",
            "create_workflow",
            json!({"workflow": workflow, "reasoning": "fetch, validate, save",
            "new_skills": [{"name": "data-validator", "type": "code_inline", "command": "python3 validate.py", "description": "Validate JSON data against schema"}]}),
        ),
        ScriptedModel::text("Created."),
    ]);
    let mut gate = ScriptedGate::new(vec![Decision::Approve]);
    let report = run(
        &store,
        &model,
        Options {
            mode: Mode::Create { name: None },
            ..Options::default()
        },
        "fetch data from the API, validate it, save it to the database",
        &mut gate,
    );
    assert_eq!(report.applied[0].workflow.as_deref(), Some("data-pipeline"));
    let ProposalKind::Create { new_skills, .. } = &gate.shown[0].kind else {
        panic!("a creation")
    };
    assert_eq!(new_skills[0].name, "data-validator");
    let skills: Vec<String> = store
        .skills()
        .expect("skills")
        .0
        .into_iter()
        .map(|skill| skill.name)
        .collect();
    assert_eq!(skills, ["data-validator", "db-writer", "http-fetch"]);
    assert_eq!(report.first_proposal_valid, Some(false));
    let results = tool_results(&model);
    assert!(
        results[0]
            .0
            .contains("uses skill 'data-validator', which does not exist (reuse an existing skill"),
        "{}",
        results[0].0
    );
    assert_eq!(
        store.history("data-pipeline").expect("history")[0].description,
        "Initial creation"
    );
}

#[test]
fn rollback_through_the_tool_is_gated_and_recorded() {
    let (_dir, store) = home();
    let model = ScriptedModel::new([retry_call("c1"), ScriptedModel::text("ok")]);
    run(
        &store,
        &model,
        Options::default(),
        "add retry",
        &mut ScriptedGate::new(vec![Decision::Approve]),
    );
    let model = ScriptedModel::new([
        ScriptedModel::call(
            "c1",
            "rollback",
            json!({"workflow": "data-pipeline", "to": "v1"}),
        ),
        ScriptedModel::text("rolled back"),
    ]);
    let mut gate = ScriptedGate::new(vec![Decision::Approve]);
    let report = run(
        &store,
        &model,
        Options::default(),
        "go back to v1",
        &mut gate,
    );
    assert_eq!(report.applied[0].version, Some(3));
    assert_eq!(
        store.history("data-pipeline").expect("history")[2].description,
        "Rolled back to v1"
    );
    assert_eq!(
        store
            .head("data-pipeline", &context())
            .expect("head")
            .workflow,
        Workflow::from_json_str(PIPELINE).expect("fixture")
    );
}

#[test]
fn an_unanswered_question_ends_the_turn() {
    let (_dir, store) = home();
    let model = ScriptedModel::new([ScriptedModel::call(
        "c1",
        "ask_user",
        json!({"question": "Which step: fetch or save?"}),
    )]);
    let report = run(
        &store,
        &model,
        Options::default(),
        "add a timeout",
        &mut PolicyGate {
            policy: Policy::default(),
        },
    );
    assert_eq!(
        report.question.as_deref(),
        Some("Which step: fetch or save?")
    );
    assert_eq!(report.final_message, "Which step: fetch or save?");
}

#[test]
fn the_model_sees_the_tools_and_the_workflow_being_edited() {
    let (_dir, store) = home();
    // A prose answer to an edit is reminded once; the second stands.
    let model = ScriptedModel::new([
        ScriptedModel::text("nothing to do"),
        ScriptedModel::text("nothing to do"),
    ]);
    let options = Options {
        mode: Mode::Edit {
            workflow: "data-pipeline".into(),
            scope: None,
        },
        ..Options::default()
    };
    let report = run(
        &store,
        &model,
        options,
        "hello",
        &mut PolicyGate {
            policy: Policy::default(),
        },
    );
    let requests = model.requests.borrow();
    let Message::System { text } = &requests[0][0] else {
        panic!("system prompt first")
    };
    assert!(text.contains("DO NOT rewrite the entire workflow"));
    assert!(text.contains("Current workflow 'data-pipeline' (v1)"));
    assert_eq!(requests.len(), 2);
    assert!(
        matches!(requests[1].last(), Some(Message::User { text }) if text.contains("call propose_modification now")),
        "{:?}",
        requests[1].last()
    );
    assert_eq!(report.final_message, "nothing to do");
}
