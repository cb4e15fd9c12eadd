//! The offline planner driven through the real agent loop and gate against
//! a store in a temporary home: what each request does to the store.

#[path = "support/scripted_gate.rs"]
mod scripted_gate;
use scripted_gate::ScriptedGate;

use serde_json::{Value, json};

use qwf::agent::gate::{Decision, Gate, Policy, PolicyGate, Proposal, ProposalKind};
use qwf::agent::model::{Message, Model, ModelRequest};
use qwf::agent::offline::OfflinePlanner;
use qwf::agent::scope::Scope;
use qwf::agent::session::{Mode, Options, Report, Session};
use qwf::agent::tools;
use qwf::core::model::{Backoff, StepKind, Strategy};
use qwf::core::skill::Skill;
use qwf::core::{Step, Verdict, Workflow};
use qwf::store::{Context, Origin, Provenance, Store};

const PIPELINE: &str = include_str!("fixtures/data-pipeline.json");

fn context() -> Context<'static> {
    Context {
        now: "2026-11-27T10:00:00Z".into(),
        on_wait: &|| {},
    }
}

fn empty_home() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::new(dir.path());
    (dir, store)
}

fn add_workflow(store: &Store, name: &str, workflow: Value) {
    let mut workflow = Workflow::from_value(workflow).expect("workflow");
    workflow.name = name.to_string();
    store
        .create(
            name,
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
}

fn add_skill(store: &Store, name: &str, description: &str) {
    let skill: Skill = serde_json::from_value(
        json!({"name": name, "type": "code_inline", "command": name, "description": description}),
    )
    .expect("skill");
    store.create_skill(&skill).expect("skill saved");
}

/// A home holding the seed's data-pipeline.
fn home() -> (tempfile::TempDir, Store) {
    let (dir, store) = empty_home();
    add_workflow(
        &store,
        "data-pipeline",
        serde_json::from_str(PIPELINE).expect("fixture"),
    );
    (dir, store)
}

/// The seed pipeline with a fourth step that reads fetch's data.
fn home_with_notify() -> (tempfile::TempDir, Store) {
    let (dir, store) = empty_home();
    let mut workflow: Value = serde_json::from_str(PIPELINE).expect("fixture");
    workflow["steps"]
        .as_array_mut()
        .expect("steps")
        .push(json!({
            "id": "notify", "type": "skill", "skill": "notifier", "inputs": {"data": "fetch.data"}
        }));
    add_workflow(&store, "data-pipeline", workflow);
    (dir, store)
}

fn yes() -> PolicyGate {
    PolicyGate {
        policy: Policy {
            yes: true,
            ..Policy::default()
        },
    }
}

fn force() -> PolicyGate {
    PolicyGate {
        policy: Policy {
            yes: true,
            force: true,
            dry_run: false,
        },
    }
}

fn focus() -> Options {
    Options {
        focus: Some("data-pipeline".into()),
        ..Options::default()
    }
}

fn run(store: &Store, options: Options, request: &str, gate: &mut dyn Gate) -> Report {
    let planner = OfflinePlanner::new();
    let mut session = Session::new(&planner, store, context(), options);
    session.run(request, gate).expect("the planner answers")
}

fn head(store: &Store, name: &str) -> Workflow {
    store.head(name, &context()).expect("head").workflow
}

fn step<'a>(workflow: &'a Workflow, id: &str) -> &'a Step {
    fn find<'a>(steps: &'a [Step], id: &str) -> Option<&'a Step> {
        steps.iter().find_map(|step| {
            if step.id == id {
                return Some(step);
            }
            match &step.kind {
                StepKind::Parallel { steps } => find(steps, id),
                StepKind::Conditional {
                    then, otherwise, ..
                } => find(then, id).or_else(|| find(otherwise, id)),
                _ => None,
            }
        })
    }
    find(&workflow.steps, id)
        .unwrap_or_else(|| panic!("no step '{id}' in {}", workflow.to_pretty_json()))
}

fn ids(workflow: &Workflow) -> Vec<&str> {
    workflow.steps.iter().map(|step| step.id.as_str()).collect()
}

fn versions(store: &Store, name: &str) -> usize {
    store.history(name).expect("history").len()
}

fn tool_names(report: &Report) -> Vec<&str> {
    report
        .tool_calls
        .iter()
        .map(|call| call.name.as_str())
        .collect()
}

// --- error handling ---------------------------------------------------------

#[test]
fn retry_on_the_api_call_reads_the_workflow_then_proposes_and_reports() {
    let (_dir, store) = home();
    let report = run(
        &store,
        Options::default(),
        "add retry logic to the API call",
        &mut yes(),
    );
    assert_eq!(
        tool_names(&report),
        ["get_workflow", "propose_modification"]
    );
    let call_ids: Vec<&str> = report
        .tool_calls
        .iter()
        .map(|call| call.id.as_str())
        .collect();
    assert_eq!(call_ids, ["offline-1", "offline-2"]);
    assert_eq!(
        report.final_message,
        "Added retry (3 attempts, exponential backoff) to 'fetch'. Saved as v2 of 'data-pipeline'."
    );
    let handling = step(&head(&store, "data-pipeline"), "fetch")
        .error_handling
        .clone()
        .expect("retry");
    assert_eq!(
        (handling.strategy, handling.max_attempts, handling.backoff),
        (Strategy::Retry, Some(3), Some(Backoff::Exponential))
    );
    let record = &store.history("data-pipeline").expect("history")[1];
    assert_eq!(
        record.description,
        "Added retry (3 attempts, exponential backoff) to 'fetch'"
    );
    assert_eq!(report.first_proposal_valid, Some(true));
}

#[test]
fn retry_counts_in_words_and_the_backoff_kind_are_read() {
    let (_dir, store) = home();
    run(
        &store,
        focus(),
        "retry fetch five times with linear backoff",
        &mut yes(),
    );
    let handling = step(&head(&store, "data-pipeline"), "fetch")
        .error_handling
        .clone()
        .expect("retry");
    // Five retries after the first try.
    assert_eq!(
        (handling.max_attempts, handling.backoff),
        (Some(6), Some(Backoff::Linear))
    );
    let report = run(&store, focus(), "give the save step 4 attempts", &mut yes());
    assert!(
        report
            .final_message
            .starts_with("Added retry (4 attempts, exponential backoff) to 'save'"),
        "{}",
        report.final_message
    );
    let report = run(
        &store,
        focus(),
        "change the retries of fetch to use fixed backoff",
        &mut yes(),
    );
    let handling = step(&head(&store, "data-pipeline"), "fetch")
        .error_handling
        .clone()
        .expect("retry");
    assert_eq!(
        (handling.max_attempts, handling.backoff),
        (Some(6), Some(Backoff::Fixed)),
        "{}",
        report.final_message
    );
}

#[test]
fn timeouts_understand_units_and_round_milliseconds_up() {
    let (_dir, store) = home();
    run(
        &store,
        focus(),
        "increase the fetch timeout to 30 seconds",
        &mut yes(),
    );
    run(
        &store,
        focus(),
        "set a timeout of 1500ms on the validation",
        &mut yes(),
    );
    run(&store, focus(), "give save a 2 minute timeout", &mut yes());
    let workflow = head(&store, "data-pipeline");
    assert_eq!(step(&workflow, "fetch").timeout_secs, Some(30));
    assert_eq!(step(&workflow, "validate").timeout_secs, Some(2));
    assert_eq!(step(&workflow, "save").timeout_secs, Some(120));
    let report = run(&store, focus(), "double the fetch timeout", &mut yes());
    assert_eq!(
        report.final_message,
        "Changed the timeout of 'fetch' from 30 s to 60 s. Saved as v5 of 'data-pipeline'."
    );
    run(&store, focus(), "remove the timeout from save", &mut yes());
    assert_eq!(
        step(&head(&store, "data-pipeline"), "save").timeout_secs,
        None
    );
}

#[test]
fn a_scoped_edit_applies_to_the_scoped_step() {
    let (_dir, store) = home();
    let options = Options {
        mode: Mode::Edit {
            workflow: "data-pipeline".into(),
            scope: Some(Scope::Step("fetch".into())),
        },
        ..Options::default()
    };
    let report = run(
        &store,
        options,
        "increase timeout to 30 seconds",
        &mut yes(),
    );
    assert_eq!(
        tool_names(&report),
        ["propose_modification"],
        "the system prompt holds the workflow"
    );
    assert_eq!(
        step(&head(&store, "data-pipeline"), "fetch").timeout_secs,
        Some(30)
    );
}

#[test]
fn continue_on_error_and_fallback() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "feeds",
        json!({"name": "feeds", "steps": [
            {"id": "fetch", "type": "skill", "skill": "http-fetch", "outputs": ["data"]},
            {"id": "cache", "type": "skill", "skill": "cache-reader", "outputs": ["data"]},
            {"id": "notify", "type": "skill", "skill": "notifier", "inputs": {"data": "fetch.data"}}]}),
    );
    run(
        &store,
        Options::default(),
        "ignore failures of the notify step",
        &mut yes(),
    );
    // 'cache' runs on every run today; as fetch's fallback it would run
    // only when fetch fails: it stops running in its own place, which is
    // breaking, so --yes alone does not apply it.
    let report = run(
        &store,
        Options::default(),
        "fall back to cache if the download fails",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert_eq!(report.declined[0].verdict, Verdict::Breaking);
    run(
        &store,
        Options::default(),
        "fall back to cache if the download fails",
        &mut force(),
    );
    let workflow = head(&store, "feeds");
    assert_eq!(
        step(&workflow, "notify")
            .error_handling
            .as_ref()
            .map(|h| h.strategy),
        Some(Strategy::Continue)
    );
    let fallback = step(&workflow, "fetch")
        .error_handling
        .clone()
        .expect("fallback");
    assert_eq!(
        (fallback.strategy, fallback.fallback.as_deref()),
        (Strategy::Fallback, Some("cache"))
    );
    let report = run(
        &store,
        Options::default(),
        "if notify fails, use cache instead",
        &mut yes(),
    );
    assert_eq!(
        step(&head(&store, "feeds"), "notify")
            .error_handling
            .as_ref()
            .and_then(|h| h.fallback.clone())
            .as_deref(),
        Some("cache"),
        "{}",
        report.final_message
    );
    // A fallback cycle is breaking: declined, and the reason is said.
    let report = run(
        &store,
        Options::default(),
        "if cache fails, fall back to fetch",
        &mut yes(),
    );
    assert!(
        report.final_message.starts_with("Not applied:"),
        "{}",
        report.final_message
    );
}

#[test]
fn failures_named_in_everyday_words_keep_their_meaning() {
    let (_dir, store) = home();
    // Going on after a failure, said with "don't retry": continue.
    run(
        &store,
        focus(),
        "if the save fails, don't retry, just continue",
        &mut force(),
    );
    let workflow = head(&store, "data-pipeline");
    let handling = step(&workflow, "save")
        .error_handling
        .as_ref()
        .expect("handling");
    assert_eq!(handling.strategy, Strategy::Continue);
    // A stop after a duration with a decimal is a timeout, in whole seconds.
    run(
        &store,
        focus(),
        "stop the fetch after 1.5 minutes",
        &mut yes(),
    );
    assert_eq!(
        step(&head(&store, "data-pipeline"), "fetch").timeout_secs,
        Some(90)
    );
    // Waits that grow, then a cap on the backoff alone.
    run(
        &store,
        focus(),
        "validation should retry twice, waiting longer each time",
        &mut yes(),
    );
    let workflow = head(&store, "data-pipeline");
    let handling = step(&workflow, "validate")
        .error_handling
        .as_ref()
        .expect("retry");
    assert_eq!(handling.max_attempts, Some(3));
    assert_eq!(handling.backoff, Some(Backoff::Exponential));
    run(
        &store,
        focus(),
        "cap the validation backoff at 20 seconds",
        &mut yes(),
    );
    let workflow = head(&store, "data-pipeline");
    let handling = step(&workflow, "validate")
        .error_handling
        .as_ref()
        .expect("retry");
    assert_eq!(handling.max_interval_ms, Some(20_000));
    assert_eq!(handling.max_attempts, Some(3));
    // A case named by its meaning, not by an error kind the runner
    // reports: asked about, and the retry stays.
    let before = versions(&store, "data-pipeline");
    let report = run(
        &store,
        focus(),
        "validation shouldn't be retried when the record is missing",
        &mut yes(),
    );
    assert!(
        report.final_message.contains("exit code"),
        "{}",
        report.final_message
    );
    assert_eq!(versions(&store, "data-pipeline"), before);
    let workflow = head(&store, "data-pipeline");
    assert_eq!(
        step(&workflow, "validate")
            .error_handling
            .as_ref()
            .and_then(|h| h.max_attempts),
        Some(3)
    );
}

#[test]
fn each_step_of_a_parallel_group_gets_what_each_is_asked_for() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "probes",
        json!({
            "name": "probes", "version": "1.0.0",
            "steps": [
                {"id": "probe-all", "type": "parallel", "description": "Probe every mirror at once",
                 "steps": [
                    {"id": "mirror-eu", "type": "skill", "skill": "http-probe", "description": "Probe the EU mirror"},
                    {"id": "mirror-us", "type": "skill", "skill": "http-probe", "description": "Probe the US mirror"}
                 ]},
                {"id": "report", "type": "skill", "skill": "notifier"}
            ]
        }),
    );
    let options = Options {
        focus: Some("probes".into()),
        ..Options::default()
    };
    run(
        &store,
        options,
        "each mirror probe should time out after 8 seconds",
        &mut yes(),
    );
    let workflow = head(&store, "probes");
    assert_eq!(step(&workflow, "mirror-eu").timeout_secs, Some(8));
    assert_eq!(step(&workflow, "mirror-us").timeout_secs, Some(8));
    assert_eq!(step(&workflow, "probe-all").timeout_secs, None);
}

// --- structure ----------------------------------------------------------------

#[test]
fn a_breaking_removal_is_declined_with_its_reason_and_applied_with_force() {
    let (_dir, store) = home();
    let report = run(&store, focus(), "remove the validation step", &mut yes());
    assert!(report.applied.is_empty());
    assert!(
        report
            .final_message
            .starts_with("Not applied: the change is breaking and --force was not given"),
        "{}",
        report.final_message
    );
    assert!(report.final_message.contains("Removed step 'validate'"));
    assert_eq!(versions(&store, "data-pipeline"), 1);

    let mut gate = ScriptedGate::new(vec![Decision::Decline {
        reason: "keep the validation step".into(),
    }]);
    let report = run(&store, focus(), "delete validate", &mut gate);
    assert_eq!(
        report.final_message,
        "Not applied: keep the validation step. The proposal was: Removed step 'validate'. Nothing changed."
    );
    assert_eq!(versions(&store, "data-pipeline"), 1);

    run(
        &store,
        focus(),
        "get rid of the validation step",
        &mut force(),
    );
    assert_eq!(ids(&head(&store, "data-pipeline")), ["fetch", "save"]);
}

#[test]
fn rename_rewrites_every_reference() {
    let (_dir, store) = home();
    let report = run(&store, focus(), "rename fetch to download", &mut yes());
    assert_eq!(
        report.final_message,
        "Renamed step 'fetch' to 'download'. Saved as v2 of 'data-pipeline'."
    );
    let workflow = head(&store, "data-pipeline");
    assert_eq!(ids(&workflow), ["download", "validate", "save"]);
    assert_eq!(step(&workflow, "validate").inputs["data"], "download.data");
    let report = run(&store, focus(), "rename download to validate", &mut yes());
    assert!(report.tool_calls.is_empty());
    assert_eq!(
        report.final_message,
        "There is already a step 'validate'; choose another name."
    );
}

#[test]
fn reorder_and_parallel() {
    let (_dir, store) = home_with_notify();
    run(&store, focus(), "move notify before save", &mut yes());
    assert_eq!(
        ids(&head(&store, "data-pipeline")),
        ["fetch", "validate", "notify", "save"]
    );
    run(
        &store,
        focus(),
        "run save and notify in parallel",
        &mut yes(),
    );
    let workflow = head(&store, "data-pipeline");
    assert_eq!(ids(&workflow), ["fetch", "validate", "parallel"]);
    let StepKind::Parallel { steps } = &step(&workflow, "parallel").kind else {
        panic!("a parallel step")
    };
    assert_eq!(
        steps
            .iter()
            .map(|step| step.id.as_str())
            .collect::<Vec<_>>(),
        ["notify", "save"]
    );
    // Dependent steps are not grouped.
    let report = run(
        &store,
        focus(),
        "run fetch and validate at the same time",
        &mut yes(),
    );
    assert!(report.tool_calls.is_empty());
    assert!(
        report
            .final_message
            .contains("'validate' reads the output of 'fetch'"),
        "{}",
        report.final_message
    );
}

#[test]
fn adding_a_step_creates_its_skill_first_and_wires_its_input() {
    let (_dir, store) = home();
    let report = run(
        &store,
        focus(),
        "add a logging step after fetch",
        &mut yes(),
    );
    assert_eq!(
        tool_names(&report),
        ["list_skills", "create_skill", "propose_modification"]
    );
    let workflow = head(&store, "data-pipeline");
    assert_eq!(ids(&workflow), ["fetch", "log", "validate", "save"]);
    let log = step(&workflow, "log");
    assert_eq!(log.skill_name(), Some("logger"));
    assert_eq!(log.inputs["data"], "fetch.data");
    let skills: Vec<String> = store
        .skills()
        .expect("skills")
        .0
        .into_iter()
        .map(|skill| skill.name)
        .collect();
    assert_eq!(skills, ["logger"]);
    assert!(
        report
            .final_message
            .starts_with("Added step 'log' (new skill 'logger') after 'fetch'"),
        "{}",
        report.final_message
    );

    // An existing skill that fits is reused; positions at the start and end.
    add_skill(
        &store,
        "slack-notifier",
        "Send a message to a Slack channel",
    );
    let report = run(
        &store,
        focus(),
        "send a slack notification at the end",
        &mut yes(),
    );
    assert_eq!(tool_names(&report), ["list_skills", "propose_modification"]);
    let workflow = head(&store, "data-pipeline");
    assert_eq!(ids(&workflow).last(), Some(&"notify"));
    assert_eq!(
        step(&workflow, "notify").skill_name(),
        Some("slack-notifier")
    );
    assert_eq!(
        step(&workflow, "notify").inputs["data"],
        "validate.validated"
    );
}

#[test]
fn a_declined_skill_stops_the_step_that_needs_it() {
    let (_dir, store) = home();
    let mut gate = ScriptedGate::new(vec![Decision::Decline {
        reason: "no new skills today".into(),
    }]);
    let report = run(
        &store,
        focus(),
        "add a step that compresses the output at the end",
        &mut gate,
    );
    assert_eq!(tool_names(&report), ["list_skills", "create_skill"]);
    assert!(
        report
            .final_message
            .starts_with("Not applied: no new skills today."),
        "{}",
        report.final_message
    );
    assert_eq!(versions(&store, "data-pipeline"), 1);
}

#[test]
fn context_values_are_set_and_removed() {
    let (_dir, store) = home();
    run(
        &store,
        focus(),
        "set the api_url to https://example.org/v2/data",
        &mut yes(),
    );
    assert_eq!(
        head(&store, "data-pipeline").context.readonly["api_url"],
        "https://example.org/v2/data"
    );
    run(
        &store,
        focus(),
        "change the API URL to https://example.org/v3",
        &mut yes(),
    );
    assert_eq!(
        head(&store, "data-pipeline").context.readonly["api_url"],
        "https://example.org/v3"
    );
    run(&store, focus(), "set the batch_size to 100", &mut yes());
    assert_eq!(
        head(&store, "data-pipeline").context.readonly["batch_size"],
        100
    );
    // Removing a value a step reads is breaking: it needs --force.
    let report = run(&store, focus(), "remove the table setting", &mut yes());
    assert!(
        report.final_message.starts_with("Not applied"),
        "{}",
        report.final_message
    );
    run(&store, focus(), "remove the table setting", &mut force());
    assert!(
        !head(&store, "data-pipeline")
            .context
            .readonly
            .contains_key("table")
    );
}

#[test]
fn a_step_s_skill_or_input_is_changed() {
    let (_dir, store) = home();
    let report = run(
        &store,
        focus(),
        "use curl-fetch for the fetch step",
        &mut yes(),
    );
    assert_eq!(
        step(&head(&store, "data-pipeline"), "fetch").skill_name(),
        Some("curl-fetch")
    );
    assert!(
        report
            .final_message
            .contains("Skill 'curl-fetch' does not exist yet"),
        "{}",
        report.final_message
    );
    run(
        &store,
        focus(),
        "set the url input of fetch to https://direct.example.com",
        &mut yes(),
    );
    assert_eq!(
        step(&head(&store, "data-pipeline"), "fetch").inputs["url"],
        "https://direct.example.com"
    );
}

#[test]
fn two_edits_in_one_request_land_as_one_version() {
    let (_dir, store) = home();
    let report = run(
        &store,
        focus(),
        "add retry to fetch and increase its timeout to 45 seconds",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1);
    let fetch = step(&head(&store, "data-pipeline"), "fetch").clone();
    assert_eq!(fetch.timeout_secs, Some(45));
    assert!(fetch.error_handling.is_some());
}

/// A thumbnailer whose values are named by what they mean, not by key.
fn thumbnailer_home() -> (tempfile::TempDir, Store) {
    let (dir, store) = empty_home();
    add_workflow(
        &store,
        "thumbnailer",
        json!({
            "name": "thumbnailer",
            "version": "1.0.0",
            "description": "Make thumbnails and file them",
            "steps": [
                {"id": "shrink", "type": "skill", "skill": "image-shrink",
                 "inputs": {"dimensions": "context.frame", "quality": "context.mode", "format": "context.preset"}},
                {"id": "file", "type": "skill", "skill": "db-write",
                 "inputs": {"rows": "shrink.images", "table": "context.archive_table"}},
                {"id": "note", "type": "skill", "skill": "db-write",
                 "inputs": {"rows": "shrink.images", "table": "context.notes_table"}},
                {"id": "expire", "type": "skill", "skill": "expire-old",
                 "inputs": {"table": "context.archive_table", "keep_days": "context.retention"}}
            ],
            "context": {"readonly": {
                "frame": "640x480", "mode": "fast", "archive_table": "thumbs_2025",
                "notes_table": "notes", "retention": 14, "preset": "webp-q80"
            }}
        }),
    );
    (dir, store)
}

#[test]
fn values_named_by_their_meaning_go_where_the_old_value_key_or_shape_says() {
    let (_dir, store) = thumbnailer_home();
    let options = || Options {
        focus: Some("thumbnailer".into()),
        ..Options::default()
    };
    let value = |key: &str| head(&store, "thumbnailer").context.readonly[key].clone();
    // A plain word before "instead of" the value a key holds.
    run(
        &store,
        options(),
        "shrink in accurate mode instead of fast",
        &mut yes(),
    );
    assert_eq!(value("mode"), "accurate");
    // A size, by the shape of the size there is.
    run(
        &store,
        options(),
        "thumbnails should be 1024x768",
        &mut yes(),
    );
    assert_eq!(value("frame"), "1024x768");
    // A number with its unit, in the unit the value is kept in (days).
    run(&store, options(), "keep them for three weeks", &mut yes());
    assert_eq!(value("retention"), 21);
    // A part of one value replaced.
    run(&store, options(), "use q90 instead of q80", &mut yes());
    assert_eq!(value("preset"), "webp-q90");
    // Between two tables, the one the new name continues.
    run(
        &store,
        options(),
        "file them into thumbs_2026 instead",
        &mut yes(),
    );
    assert_eq!(value("archive_table"), "thumbs_2026");
    assert_eq!(value("notes_table"), "notes");
    let before = versions(&store, "thumbnailer");
    // Not a whole number of days: asked, not rounded.
    let report = run(&store, options(), "keep them for 36 hours", &mut yes());
    assert!(
        report.final_message.ends_with('?'),
        "{}",
        report.final_message
    );
    // A word with no old value, key or shape to say where it goes.
    let report = run(&store, options(), "use turbo", &mut yes());
    assert!(report.applied.is_empty(), "{}", report.final_message);
    // A number with a unit that no key's words name.
    let report = run(&store, options(), "make it 10 minutes", &mut yes());
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert_eq!(versions(&store, "thumbnailer"), before);
}

fn add_ported_skill(
    store: &Store,
    name: &str,
    description: &str,
    inputs: &[&str],
    outputs: &[&str],
) {
    add_skill_with(
        store,
        json!({
            "name": name, "type": "code_inline", "command": name, "description": description,
            "inputs": inputs, "outputs": outputs
        }),
    );
}

/// A report that is posted, archived and mailed, with other ways to do
/// each installed.
fn reports_home() -> (tempfile::TempDir, Store) {
    let (dir, store) = empty_home();
    add_ported_skill(&store, "disk-report", "Report disk usage", &[], &["report"]);
    add_ported_skill(
        &store,
        "slack-post",
        "Post a message to a Slack channel",
        &["text", "channel"],
        &[],
    );
    add_ported_skill(
        &store,
        "teams-post",
        "Post a message to a Microsoft Teams channel through its webhook",
        &["text", "webhook"],
        &[],
    );
    add_ported_skill(
        &store,
        "sms-pager",
        "Page someone by SMS",
        &["message", "phone"],
        &[],
    );
    add_ported_skill(
        &store,
        "drive-upload",
        "Upload a file to a Google Drive folder",
        &["file", "folder"],
        &["link"],
    );
    add_ported_skill(
        &store,
        "s3-upload",
        "Upload a file to an S3 bucket",
        &["file", "bucket"],
        &["uri"],
    );
    add_ported_skill(&store, "email-send", "Send an email", &["to", "body"], &[]);
    add_workflow(
        &store,
        "reports",
        json!({
            "name": "reports", "version": "1.0.0",
            "steps": [
                {"id": "check", "type": "skill", "skill": "disk-report", "outputs": ["report"]},
                {"id": "notify", "type": "skill", "skill": "slack-post",
                 "inputs": {"text": "check.report", "channel": "context.channel"}},
                {"id": "archive", "type": "skill", "skill": "drive-upload", "outputs": ["link"],
                 "inputs": {"file": "check.report", "folder": "context.folder"}},
                {"id": "mail", "type": "skill", "skill": "email-send",
                 "inputs": {"to": "context.to", "body": "archive.link"}}
            ],
            "context": {"readonly": {"channel": "#ops", "folder": "Reports", "to": "ops@example.com"}}
        }),
    );
    (dir, store)
}

#[test]
fn a_step_done_another_way_takes_the_installed_skill_and_is_rewired() {
    let (_dir, store) = reports_home();
    let options = || Options {
        focus: Some("reports".into()),
        ..Options::default()
    };
    // The message is carried over; the webhook given goes into context.
    let report = run(
        &store,
        options(),
        "post to teams instead of slack, the webhook is https://hooks.example.com/t/1",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let workflow = head(&store, "reports");
    let notify = step(&workflow, "notify");
    assert_eq!(notify.skill_name(), Some("teams-post"));
    assert_eq!(notify.inputs["text"], "check.report");
    assert_eq!(notify.inputs["webhook"], "context.webhook");
    assert!(!notify.inputs.contains_key("channel"));
    assert_eq!(
        workflow.context.readonly["webhook"],
        "https://hooks.example.com/t/1"
    );
    // Who read the old output reads the new skill's.
    run(
        &store,
        options(),
        "keep the reports in s3 (bucket acme-reports), not google drive",
        &mut yes(),
    );
    let workflow = head(&store, "reports");
    assert_eq!(step(&workflow, "archive").skill_name(), Some("s3-upload"));
    assert_eq!(
        step(&workflow, "archive").inputs["bucket"],
        "context.bucket"
    );
    assert_eq!(step(&workflow, "archive").outputs, ["uri"]);
    assert_eq!(step(&workflow, "mail").inputs["body"], "archive.uri");
    // Two steps that send: which one is asked.
    let before = versions(&store, "reports");
    let report = run(&store, options(), "page me by sms instead", &mut yes());
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert!(
        report.final_message.contains("'notify' or 'mail'"),
        "{}",
        report.final_message
    );
    // What the new skill needs and the request does not give is asked.
    let report = run(
        &store,
        options(),
        "page me by sms instead of email",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert!(
        report.final_message.contains("'phone'"),
        "{}",
        report.final_message
    );
    assert_eq!(versions(&store, "reports"), before);
}

#[test]
fn one_more_of_a_kind_joins_its_siblings_with_its_own_value() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "pings",
        json!({
            "name": "pings", "version": "1.0.0",
            "steps": [
                {"id": "ping-all", "type": "parallel", "steps": [
                    {"id": "ping-eu", "type": "skill", "skill": "icmp-ping", "description": "Ping the EU gateway",
                     "inputs": {"host": "context.eu_host", "count": "context.count"}},
                    {"id": "ping-us", "type": "skill", "skill": "icmp-ping", "description": "Ping the US gateway",
                     "inputs": {"host": "context.us_host", "count": "context.count"}}
                ]},
                {"id": "report", "type": "skill", "skill": "notifier"}
            ],
            "context": {"readonly": {"eu_host": "gw.eu.example.com", "us_host": "gw.us.example.com", "count": 3}}
        }),
    );
    let options = || Options {
        focus: Some("pings".into()),
        ..Options::default()
    };
    run(
        &store,
        options(),
        "also ping gw.ap.example.com alongside the other gateways",
        &mut yes(),
    );
    let workflow = head(&store, "pings");
    let added = step(&workflow, "ping-gw");
    assert_eq!(added.skill_name(), Some("icmp-ping"));
    assert_eq!(added.inputs["host"], "context.gw_host");
    assert_eq!(added.inputs["count"], "context.count");
    assert_eq!(workflow.context.readonly["gw_host"], "gw.ap.example.com");
    let StepKind::Parallel { steps } = &workflow.steps[0].kind else {
        panic!("not parallel");
    };
    assert_eq!(steps.len(), 3);
    // A value of a kind the siblings do not take makes no sibling.
    run(&store, options(), "also email ops@example.com", &mut yes());
    let workflow = head(&store, "pings");
    let StepKind::Parallel { steps } = &workflow.steps[0].kind else {
        panic!("not parallel");
    };
    assert_eq!(steps.len(), 3);
}

#[test]
fn a_value_named_but_not_given_is_asked_for_and_never_written() {
    let (_dir, store) = home();
    let before = versions(&store, "data-pipeline");
    for request in [
        "point the fetch at the new api server",
        "save into the new table from now on",
        "add more memory to the database",
    ] {
        let report = run(&store, focus(), request, &mut yes());
        assert!(
            report.applied.is_empty(),
            "{request}: {}",
            report.final_message
        );
    }
    assert_eq!(versions(&store, "data-pipeline"), before);
}

#[test]
fn what_the_speaker_did_and_why_are_remarks_not_requests() {
    let (_dir, store) = home();
    run(
        &store,
        focus(),
        "I checked the new schema by hand, so set the schema to schemas/v2.json",
        &mut yes(),
    );
    assert_eq!(
        head(&store, "data-pipeline").context.readonly["schema"],
        "schemas/v2.json"
    );
    run(
        &store,
        focus(),
        "give the save 2 minutes, as the logs say it has been timing out",
        &mut yes(),
    );
    let workflow = head(&store, "data-pipeline");
    assert_eq!(step(&workflow, "save").timeout_secs, Some(120));
    assert_eq!(step(&workflow, "fetch").timeout_secs, None);
}

#[test]
fn a_couple_of_versions_ago_is_two() {
    let (_dir, store) = home();
    let original = head(&store, "data-pipeline");
    run(&store, focus(), "add retry to fetch", &mut yes());
    run(
        &store,
        focus(),
        "set the save timeout to 30 seconds",
        &mut yes(),
    );
    run(
        &store,
        focus(),
        "make it how it was a couple of versions ago",
        &mut yes(),
    );
    assert_eq!(head(&store, "data-pipeline"), original);
}

#[test]
fn items_of_a_list_value_are_added_and_removed_and_numbers_keep_their_unit() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "tagger",
        json!({
            "name": "tagger", "version": "1.0.0",
            "steps": [{"id": "tag", "type": "skill", "skill": "labeler",
                       "inputs": {"labels": "context.labels", "pause": "context.pause_secs"}}],
            "context": {"readonly": {"labels": ["urgent", "billing"], "pause_secs": 30}}
        }),
    );
    let options = || Options {
        focus: Some("tagger".into()),
        ..Options::default()
    };
    let value = |key: &str| head(&store, "tagger").context.readonly[key].clone();
    run(&store, options(), "add shipping to the labels", &mut yes());
    assert_eq!(value("labels"), json!(["urgent", "billing", "shipping"]));
    run(
        &store,
        options(),
        "remove billing from the labels",
        &mut yes(),
    );
    assert_eq!(value("labels"), json!(["urgent", "shipping"]));
    // An item the list does not have is said, not removed.
    let report = run(
        &store,
        options(),
        "remove fragile from the labels",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    // A duration for a number kept in seconds is converted; text is asked.
    run(&store, options(), "set the pause to 2 minutes", &mut yes());
    assert_eq!(value("pause_secs"), 120);
    let report = run(&store, options(), "set the pause to later", &mut yes());
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert_eq!(value("pause_secs"), 120);
}

#[test]
fn make_a_step_come_after_another_is_a_move_and_the_other_place_is_emphasis() {
    let (_dir, store) = thumbnailer_home();
    let options = Options {
        focus: Some("thumbnailer".into()),
        ..Options::default()
    };
    run(
        &store,
        options,
        "make the expire after the shrink, not before",
        &mut yes(),
    );
    assert_eq!(
        ids(&head(&store, "thumbnailer")),
        ["shrink", "expire", "file", "note"]
    );
}

#[test]
fn a_new_name_is_never_corrected_and_a_limit_in_the_context_is_no_timeout() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "watch",
        json!({
            "name": "watch", "version": "1.0.0",
            "steps": [
                {"id": "classify", "type": "skill", "skill": "sorter", "outputs": ["categories"]},
                {"id": "probe", "type": "skill", "skill": "http-probe",
                 "inputs": {"limit": "context.max_latency_ms", "what": "classify.categories"}}
            ],
            "context": {"readonly": {"max_latency_ms": 800, "tags": ["a", "b"]}}
        }),
    );
    let options = || Options {
        focus: Some("watch".into()),
        ..Options::default()
    };
    run(
        &store,
        options(),
        "rename classify to categorize",
        &mut yes(),
    );
    let workflow = head(&store, "watch");
    assert_eq!(ids(&workflow), ["categorize", "probe"]);
    run(
        &store,
        options(),
        "make the latency limit 950 ms",
        &mut yes(),
    );
    let workflow = head(&store, "watch");
    assert_eq!(workflow.context.readonly["max_latency_ms"], 950);
    assert_eq!(step(&workflow, "probe").timeout_secs, None);
    run(&store, options(), "add c to the watch tags", &mut yes());
    assert_eq!(
        head(&store, "watch").context.readonly["tags"],
        json!(["a", "b", "c"])
    );
}

// --- references -----------------------------------------------------------------

#[test]
fn steps_are_found_by_id_skill_output_synonym_description_and_position() {
    let cases = [
        ("add retry to validate", "validate"),
        ("add retry to the db-writer step", "save"),
        ("add retry to the step producing validated", "validate"),
        ("add retry to the request", "fetch"),
        ("add retry to the download", "fetch"),
        ("retry the database write", "save"),
        ("add retry to the validation", "validate"),
        ("add retry to the first step", "fetch"),
        ("add retry to the last one", "save"),
        ("add retry to the second step", "validate"),
    ];
    for (request, expected) in cases {
        let (_dir, store) = home();
        let report = run(&store, focus(), request, &mut yes());
        let workflow = head(&store, "data-pipeline");
        let changed: Vec<&str> = workflow
            .steps
            .iter()
            .filter(|step| step.error_handling.is_some())
            .map(|step| step.id.as_str())
            .collect();
        assert_eq!(changed, [expected], "{request}: {}", report.final_message);
    }
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "w",
        json!({"name": "w", "steps": [
        {"id": "a", "type": "skill", "skill": "x", "description": "Resize the thumbnails"},
        {"id": "b", "type": "skill", "skill": "y"}]}),
    );
    run(
        &store,
        Options::default(),
        "add retry to the thumbnail step",
        &mut yes(),
    );
    assert!(step(&head(&store, "w"), "a").error_handling.is_some());
}

#[test]
fn two_equal_matches_become_a_question_and_the_answer_resolves_it() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "sync",
        json!({"name": "sync", "steps": [
        {"id": "fetch-users", "type": "skill", "skill": "http-fetch", "outputs": ["users"]},
        {"id": "fetch-orders", "type": "skill", "skill": "http-fetch", "outputs": ["orders"]}]}),
    );
    let planner = OfflinePlanner::new();
    let mut session = Session::new(&planner, &store, context(), Options::default());
    let report = session
        .run("add retry logic to the API call", &mut yes())
        .expect("answers");
    assert_eq!(
        report.question.as_deref(),
        Some("Which step do you mean: 'fetch-users' or 'fetch-orders'?")
    );
    assert!(report.applied.is_empty() && report.proposals == 0);
    let report = session.run("the orders one", &mut yes()).expect("answers");
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let workflow = head(&store, "sync");
    assert!(step(&workflow, "fetch-orders").error_handling.is_some());
    assert!(step(&workflow, "fetch-users").error_handling.is_none());
}

#[test]
fn several_workflows_without_focus_ask_which_one() {
    let (_dir, store) = home();
    add_workflow(
        &store,
        "other",
        serde_json::from_str(PIPELINE).expect("fixture"),
    );
    let report = run(&store, Options::default(), "add retry to fetch", &mut yes());
    assert_eq!(
        report.question.as_deref(),
        Some("Which workflow do you mean: 'data-pipeline' or 'other'?")
    );
    let report = run(
        &store,
        Options::default(),
        "add retry to fetch in other",
        &mut yes(),
    );
    assert_eq!(report.applied[0].workflow.as_deref(), Some("other"));
}

#[test]
fn a_missing_step_is_explained_not_guessed() {
    let (_dir, store) = home();
    let report = run(&store, focus(), "add retry to the frobnicator", &mut yes());
    assert!(report.tool_calls.is_empty());
    assert_eq!(
        report.final_message,
        "I could not find a step matching 'frobnicator' in 'data-pipeline', so I changed nothing. Its steps are 'fetch', 'validate' and 'save'."
    );
}

// --- creation -------------------------------------------------------------------

fn created(report: &Report) -> (Workflow, Vec<String>) {
    let call = report
        .tool_calls
        .iter()
        .find(|call| call.name == "create_workflow")
        .expect("create_workflow called");
    let workflow = Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
    let new_skills = call.arguments["new_skills"]
        .as_array()
        .expect("list")
        .iter()
        .map(|skill| skill["name"].as_str().expect("name").to_string())
        .collect();
    (workflow, new_skills)
}

fn create_options(name: Option<&str>) -> Options {
    Options {
        mode: Mode::Create {
            name: name.map(str::to_string),
        },
        ..Options::default()
    }
}

#[test]
fn a_skill_whose_description_starts_with_the_clauses_own_verb_does_it() {
    let (_dir, store) = empty_home();
    add_ported_skill(
        &store,
        "file-download",
        "Download a file from a URL",
        &["url"],
        &["file"],
    );
    add_ported_skill(
        &store,
        "text-to-speech",
        "Narrate written text as spoken audio",
        &["text"],
        &["audio"],
    );
    add_ported_skill(
        &store,
        "unit-convert",
        "Convert a value between units",
        &["value"],
        &["converted"],
    );
    let report = run(
        &store,
        create_options(Some("narration")),
        "download https://example.com/notes.txt and narrate it",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert!(
        workflow
            .steps
            .iter()
            .any(|step| step.skill_name() == Some("text-to-speech")),
        "{}",
        report.final_message
    );
    assert!(new_skills.is_empty(), "{new_skills:?}");
    // A generic verb is no skill's own: "convert it" does not pick a
    // converter of something else.
    let report = run(
        &store,
        create_options(Some("converted")),
        "download https://example.com/notes.txt and convert it",
        &mut yes(),
    );
    let used_text_to_speech = report.tool_calls.iter().any(|call| {
        call.name == "create_workflow" && call.arguments.to_string().contains("text-to-speech")
    });
    assert!(!used_text_to_speech, "{}", report.final_message);
}

#[test]
fn the_seed_pipeline_is_created_wired_with_literals_in_context() {
    let (_dir, store) = empty_home();
    let report = run(
        &store,
        create_options(None),
        "Fetch data from https://api.example.com/data, validate it against data-schema.json, and save it to the api_data table",
        &mut yes(),
    );
    assert_eq!(tool_names(&report), ["list_skills", "create_workflow"]);
    assert_eq!(
        report.applied[0].workflow.as_deref(),
        Some("data-pipeline"),
        "{}",
        report.final_message
    );
    let workflow = head(&store, "data-pipeline");
    let fixture = Workflow::from_json_str(PIPELINE).expect("fixture");
    let without_descriptions = |workflow: &Workflow| -> Vec<Step> {
        workflow
            .steps
            .iter()
            .cloned()
            .map(|mut step| {
                step.description = None;
                step
            })
            .collect()
    };
    assert_eq!(without_descriptions(&workflow), fixture.steps);
    assert_eq!(workflow.context, fixture.context);
    let skills: Vec<String> = store
        .skills()
        .expect("skills")
        .0
        .into_iter()
        .map(|skill| skill.name)
        .collect();
    assert_eq!(skills, ["data-validator", "db-writer", "http-fetch"]);
    assert_eq!(
        report.final_message,
        "Created workflow 'data-pipeline' (v1) with 3 steps: fetch → validate → save. New skills: http-fetch, data-validator, db-writer."
    );
}

#[test]
fn creation_reuses_existing_skills_and_proposes_only_the_missing_ones() {
    let (_dir, store) = empty_home();
    // A reused skill is given what it declares it takes, no more.
    add_skill_with(
        &store,
        json!({"name": "http-fetch", "type": "code_inline", "command": "fetch",
               "description": "Fetch a URL", "inputs": ["url"], "outputs": ["data"]}),
    );
    add_skill_with(
        &store,
        json!({"name": "pg-insert", "type": "code_inline", "command": "insert",
               "description": "Insert rows into a Postgres database",
               "inputs": ["data", "table"]}),
    );
    let report = run(
        &store,
        create_options(Some("etl")),
        "fetch data from the API, validate it, and save it to the database",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert_eq!(new_skills, ["data-validator"]);
    assert_eq!(ids(&workflow), ["fetch", "validate", "save"]);
    let stored = head(&store, "etl");
    assert_eq!(step(&stored, "fetch").skill_name(), Some("http-fetch"));
    assert_eq!(step(&stored, "save").skill_name(), Some("pg-insert"));
    assert_eq!(step(&stored, "validate").inputs["data"], "fetch.data");
    assert_eq!(step(&stored, "save").inputs["data"], "validate.validated");
    // No literal URL or table was given: placeholders the user fills in.
    assert_eq!(stored.context.readonly["api_url"], "TODO: the URL to fetch");
    assert!(
        report
            .final_message
            .contains("Fill in 'api_url' and 'table'"),
        "{}",
        report.final_message
    );
}

#[test]
fn creation_builds_parallel_and_conditional_steps() {
    let (_dir, store) = empty_home();
    let report = run(
        &store,
        create_options(Some("orders")),
        "fetch users and orders from https://shop.example.com/api in parallel, then merge them, and save the result to the orders table only when it is valid",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let workflow = head(&store, "orders");
    assert_eq!(ids(&workflow), ["parallel-fetch", "merge", "if-valid"]);
    let merge = step(&workflow, "merge");
    assert_eq!(
        merge.inputs.get("users").and_then(Value::as_str),
        Some("fetch-users.users")
    );
    assert_eq!(
        merge.inputs.get("orders").and_then(Value::as_str),
        Some("fetch-orders.orders")
    );
    assert_eq!(
        step(&workflow, "fetch-users").inputs["url"],
        "context.api_url"
    );
    assert_eq!(
        step(&workflow, "fetch-orders").inputs["url"],
        "context.api_url"
    );
    let StepKind::Conditional {
        condition, then, ..
    } = &step(&workflow, "if-valid").kind
    else {
        panic!("conditional")
    };
    assert_eq!(condition, "merge.valid == true");
    assert_eq!(then[0].inputs["table"], "context.table");
    assert_eq!(workflow.context.readonly["table"], "orders");

    let report = run(
        &store,
        create_options(Some("health")),
        "check the API health at https://status.example.com and alert ops@example.com if the score is below 0.9",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let workflow = head(&store, "health");
    let conditional = workflow
        .steps
        .iter()
        .find(|step| matches!(step.kind, StepKind::Conditional { .. }))
        .expect("a conditional");
    let StepKind::Conditional { condition, .. } = &conditional.kind else {
        unreachable!()
    };
    assert_eq!(condition, "monitor.score < context.score_threshold");
    assert_eq!(workflow.context.readonly["score_threshold"], 0.9);
    assert_eq!(workflow.context.readonly["recipient"], "ops@example.com");
}

#[test]
fn a_workflow_created_in_a_general_conversation_is_named_from_its_description() {
    let (_dir, store) = empty_home();
    let report = run(
        &store,
        Options::default(),
        "create a workflow that reads ./input.csv, transforms it and exports it to out.csv",
        &mut yes(),
    );
    assert_eq!(
        report.applied[0].workflow.as_deref(),
        Some("read-pipeline"),
        "{}",
        report.final_message
    );
    let workflow = head(&store, "read-pipeline");
    assert_eq!(ids(&workflow), ["read", "transform", "export"]);
    assert_eq!(workflow.context.readonly["input_path"], "./input.csv");
    assert_eq!(workflow.context.readonly["output_path"], "out.csv");
}

// --- versions -------------------------------------------------------------------

#[test]
fn rollback_and_undo_go_through_the_gate_as_new_versions() {
    let (_dir, store) = home();
    let original = head(&store, "data-pipeline");
    run(&store, focus(), "add retry to fetch", &mut yes());
    run(
        &store,
        focus(),
        "increase the fetch timeout to 30 seconds",
        &mut yes(),
    );
    let report = run(&store, focus(), "go back to v2", &mut yes());
    assert_eq!(tool_names(&report), ["rollback"]);
    assert_eq!(
        report.final_message,
        "Rolled 'data-pipeline' back to v2; saved as v4, so this too can be undone."
    );
    assert_eq!(
        step(&head(&store, "data-pipeline"), "fetch").timeout_secs,
        None
    );
    let report = run(
        &store,
        Options::default(),
        "undo the last change",
        &mut yes(),
    );
    assert_eq!(tool_names(&report), ["history", "rollback"]);
    assert_eq!(report.tool_calls[1].arguments["to"], 3);
    assert_eq!(
        step(&head(&store, "data-pipeline"), "fetch").timeout_secs,
        Some(30)
    );
    run(&store, focus(), "roll back to version one", &mut yes());
    assert_eq!(head(&store, "data-pipeline"), original);
    assert_eq!(versions(&store, "data-pipeline"), 6);
}

#[test]
fn one_change_is_undone_and_the_later_ones_kept() {
    let (_dir, store) = home_with_notify();
    run(&store, focus(), "add retry to fetch", &mut yes());
    run(&store, focus(), "remove the notify step", &mut force());
    run(&store, focus(), "set the batch_size to 250", &mut yes());
    assert_eq!(versions(&store, "data-pipeline"), 4);
    // A removed step comes back where it was; the retry and the value stay.
    let report = run(&store, focus(), "bring the notify step back", &mut yes());
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let workflow = head(&store, "data-pipeline");
    assert_eq!(ids(&workflow), ["fetch", "validate", "save", "notify"]);
    assert!(step(&workflow, "fetch").error_handling.is_some());
    assert_eq!(workflow.context.readonly["batch_size"], 250);
    // "keep …" names what stays: only the retry goes.
    run(
        &store,
        focus(),
        "undo the retry change but keep the batch size",
        &mut yes(),
    );
    let workflow = head(&store, "data-pipeline");
    assert!(step(&workflow, "fetch").error_handling.is_none());
    assert_eq!(workflow.context.readonly["batch_size"], 250);
    assert_eq!(ids(&workflow), ["fetch", "validate", "save", "notify"]);
    // A change whose step a later change removed cannot be undone alone.
    run(
        &store,
        focus(),
        "set the save timeout to 45 seconds",
        &mut yes(),
    );
    run(&store, focus(), "remove the save step", &mut force());
    let before = versions(&store, "data-pipeline");
    let report = run(
        &store,
        focus(),
        "undo the timeout change, keep the rest",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert!(
        report.final_message.contains("cannot be undone alone"),
        "{}",
        report.final_message
    );
    assert_eq!(versions(&store, "data-pipeline"), before);
}

#[test]
fn a_change_named_by_what_it_changed_is_the_one_undone() {
    let (_dir, store) = home();
    run(&store, focus(), "add retry to fetch", &mut yes());
    run(&store, focus(), "set the table to orders_v2", &mut yes());
    run(
        &store,
        focus(),
        "set the save timeout to 30 seconds",
        &mut yes(),
    );
    // The table change, not the last change (the save step reads the
    // table, but the timeout change does not change it).
    run(&store, focus(), "undo the table change", &mut yes());
    let workflow = head(&store, "data-pipeline");
    assert_eq!(workflow.context.readonly["table"], "api_data");
    assert_eq!(step(&workflow, "save").timeout_secs, Some(30));
    assert!(step(&workflow, "fetch").error_handling.is_some());
    // "Restore" what is still there removes nothing.
    let before = versions(&store, "data-pipeline");
    let report = run(&store, focus(), "restore the retry", &mut yes());
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert_eq!(versions(&store, "data-pipeline"), before);
    // Scrapping the last two (the undo and the timeout) is an undo of two.
    run(&store, focus(), "scrap the last two changes", &mut yes());
    let workflow = head(&store, "data-pipeline");
    assert_eq!(workflow.context.readonly["table"], "orders_v2");
    assert_eq!(step(&workflow, "save").timeout_secs, None);
}

#[test]
fn the_first_version_cannot_be_undone() {
    let (_dir, store) = home();
    let report = run(&store, focus(), "undo", &mut yes());
    assert!(report.applied.is_empty());
    assert!(
        report.final_message.starts_with("Nothing to undo"),
        "{}",
        report.final_message
    );
}

// --- questions and refusals -------------------------------------------------------

#[test]
fn what_does_this_workflow_do_is_answered_without_changing_anything() {
    let (_dir, store) = home();
    let report = run(&store, focus(), "what does this workflow do?", &mut yes());
    assert!(
        report.tool_calls.is_empty(),
        "the workflow in focus is in the system prompt"
    );
    let message = &report.final_message;
    assert!(
        message.starts_with(
            "'data-pipeline' (v1): Fetch, validate, and save API data.\nIt runs 3 steps in order:"
        ),
        "{message}"
    );
    assert!(message.contains("1. fetch: runs skill 'http-fetch', reading url from context 'api_url' (https://api.example.com/data), producing 'data'."), "{message}");
    assert!(
        message.contains(
            "3. save: runs skill 'db-writer', reading data = the 'validated' output of 'validate'"
        ),
        "{message}"
    );
    let report = run(
        &store,
        Options::default(),
        "what does the validate step do?",
        &mut yes(),
    );
    assert_eq!(tool_names(&report), ["get_workflow"]);
    assert!(
        report
            .final_message
            .starts_with("'validate' runs skill 'data-validator'"),
        "{}",
        report.final_message
    );
    assert_eq!(versions(&store, "data-pipeline"), 1);
}

#[test]
fn what_changed_since_a_version_uses_show_diff() {
    let (_dir, store) = home();
    run(&store, focus(), "add retry to fetch", &mut yes());
    let report = run(&store, focus(), "what changed since v1?", &mut yes());
    assert_eq!(tool_names(&report), ["show_diff"]);
    assert_eq!(
        report.tool_calls[0].arguments,
        json!({"workflow": "data-pipeline", "from": 1, "to": 2})
    );
    assert!(
        report
            .final_message
            .starts_with("Changes to 'data-pipeline' from v1 to v2:"),
        "{}",
        report.final_message
    );
    assert!(report.final_message.contains("fetch"));
    assert_eq!(versions(&store, "data-pipeline"), 2);
}

#[test]
fn a_request_it_does_not_understand_gets_examples_and_no_tool_call() {
    let (_dir, store) = home();
    for request in ["make it more awesome", "sing me a song"] {
        let report = run(&store, focus(), request, &mut yes());
        assert!(report.tool_calls.is_empty());
        assert!(
            report.final_message.contains("did not understand"),
            "{}",
            report.final_message
        );
        assert!(
            report
                .final_message
                .contains("\"add retry logic to the API call\"")
        );
    }
    assert_eq!(versions(&store, "data-pipeline"), 1);
}

#[test]
fn a_tool_error_ends_the_turn_with_an_explanation_instead_of_looping() {
    let (_dir, store) = home();
    let options = Options {
        mode: Mode::Edit {
            workflow: "data-pipeline".into(),
            scope: Some(Scope::Context),
        },
        ..Options::default()
    };
    let report = run(&store, options, "add retry to fetch", &mut yes());
    assert_eq!(tool_names(&report), ["propose_modification"]);
    assert_eq!(report.invalid_calls, 1);
    assert!(
        report
            .final_message
            .starts_with("I could not complete that:"),
        "{}",
        report.final_message
    );
    assert!(report.final_message.contains("outside the scope"));
    assert!(report.stopped.is_none());
}

#[test]
fn the_same_conversation_gives_the_same_calls() {
    let planner = OfflinePlanner::new();
    let specs = tools::specs();
    let messages = vec![
        Message::System {
            text: "You are qwf.\nThe user's workflows: data-pipeline.\n".into(),
        },
        Message::User {
            text: "add retry logic to the API call".into(),
        },
    ];
    let first = planner
        .respond(&ModelRequest {
            messages: &messages,
            tools: &specs,
        })
        .expect("reply");
    let second = planner
        .respond(&ModelRequest {
            messages: &messages,
            tools: &specs,
        })
        .expect("reply");
    assert_eq!(first, second);
    assert_eq!(
        first.tool_calls[0].arguments,
        json!({"workflow": "data-pipeline"})
    );
}

#[test]
fn planning_on_a_fifty_step_workflow_is_fast() {
    let steps: Vec<Value> = (0..50)
        .map(|n| json!({"id": format!("step-{n}"), "type": "skill", "skill": format!("skill-{n}"), "inputs": if n == 0 { json!({}) } else { json!({"data": format!("step-{}.out", n - 1)}) }, "outputs": ["out"]}))
        .collect();
    let workflow = json!({"name": "big", "steps": steps});
    let system = format!(
        "You are qwf.\nThe user's workflows: big.\n\nCurrent workflow 'big' (v1):\n{}",
        serde_json::to_string_pretty(&workflow).expect("json")
    );
    let planner = OfflinePlanner::new();
    let specs = tools::specs();
    let requests = [
        "add retry to step-42",
        "increase the timeout of the last step to 2 minutes",
        "rename step-7 to seven",
        "what does this workflow do?",
    ];
    let started = std::time::Instant::now();
    let rounds = 10;
    for _ in 0..rounds {
        for request in requests {
            let messages = vec![
                Message::System {
                    text: system.clone(),
                },
                Message::User {
                    text: request.into(),
                },
            ];
            let reply = planner
                .respond(&ModelRequest {
                    messages: &messages,
                    tools: &specs,
                })
                .expect("reply");
            assert!(!reply.tool_calls.is_empty() || !reply.text.is_empty());
        }
    }
    let per_request = started.elapsed() / (rounds * requests.len() as u32);
    // The target is 5 ms in a release build; debug builds on a shared machine get slack.
    assert!(
        per_request < std::time::Duration::from_millis(50),
        "{per_request:?} per request"
    );
}

#[test]
fn proposals_reach_the_gate_as_a_model_s_would() {
    let (_dir, store) = home();
    let mut gate = ScriptedGate::new(vec![Decision::Approve]);
    run(&store, focus(), "add retry to fetch", &mut gate);
    let ProposalKind::Modify {
        modifications,
        base_version,
        ..
    } = &gate.shown[0].kind
    else {
        panic!("a modification")
    };
    assert_eq!(*base_version, 1);
    assert_eq!(
        serde_json::to_value(modifications).expect("json"),
        json!([{"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}}])
    );
}

// --- conversations --------------------------------------------------------------

#[test]
fn a_later_request_sees_the_changes_of_an_earlier_one() {
    let (_dir, store) = home();
    let planner = OfflinePlanner::new();
    let mut session = Session::new(&planner, &store, context(), focus());
    session
        .run("add a logging step after fetch", &mut yes())
        .expect("answers");
    // The system prompt still shows v1; the planner reads the workflow again.
    let report = session
        .run("add retry to the log step", &mut yes())
        .expect("answers");
    assert_eq!(
        tool_names(&report),
        ["get_workflow", "propose_modification"]
    );
    assert!(
        step(&head(&store, "data-pipeline"), "log")
            .error_handling
            .is_some(),
        "{}",
        report.final_message
    );
}

#[test]
fn a_missing_value_is_asked_for_and_the_answer_completes_the_request() {
    let (_dir, store) = home();
    let planner = OfflinePlanner::new();
    let mut session = Session::new(&planner, &store, context(), focus());
    let report = session
        .run("increase the timeout of fetch", &mut yes())
        .expect("answers");
    assert_eq!(
        report.question.as_deref(),
        Some("What should the timeout of 'fetch' be (it has none yet)? For example: 30 seconds.")
    );
    let report = session.run("45 seconds", &mut yes()).expect("answers");
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    assert_eq!(
        step(&head(&store, "data-pipeline"), "fetch").timeout_secs,
        Some(45)
    );

    let report = session
        .run("add a step after save", &mut yes())
        .expect("answers");
    assert_eq!(
        report.question.as_deref(),
        Some(
            "What should the new step do? For example: \"log the response\" or \"send a slack notification\"."
        )
    );
    let report = session
        .run("send a notification", &mut yes())
        .expect("answers");
    assert_eq!(
        tool_names(&report),
        [
            "get_workflow",
            "list_skills",
            "create_skill",
            "propose_modification"
        ],
        "{}",
        report.final_message
    );
    assert_eq!(ids(&head(&store, "data-pipeline")).last(), Some(&"notify"));
}

/// A gate whose user answers questions right away.
struct AnsweringGate(Vec<String>);

impl Gate for AnsweringGate {
    fn decide(&mut self, proposal: &Proposal) -> Decision {
        yes().decide(proposal)
    }

    fn ask(&mut self, _question: &str) -> Option<String> {
        (!self.0.is_empty()).then(|| self.0.remove(0))
    }
}

#[test]
fn a_question_answered_at_once_continues_the_same_turn() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "sync",
        json!({"name": "sync", "steps": [
        {"id": "fetch-users", "type": "skill", "skill": "http-fetch", "outputs": ["users"]},
        {"id": "fetch-orders", "type": "skill", "skill": "http-fetch", "outputs": ["orders"]}]}),
    );
    let report = run(
        &store,
        Options::default(),
        "add a 20 second timeout to the download",
        &mut AnsweringGate(vec!["the first one".into()]),
    );
    assert_eq!(
        tool_names(&report),
        ["get_workflow", "ask_user", "propose_modification"]
    );
    assert_eq!(
        step(&head(&store, "sync"), "fetch-users").timeout_secs,
        Some(20)
    );
    // An answer that does not settle it ends the turn instead of asking forever.
    let report = run(
        &store,
        Options::default(),
        "add retry to the download",
        &mut AnsweringGate(vec!["no idea".into()]),
    );
    assert!(report.applied.is_empty());
    assert!(
        report.final_message.starts_with("I still cannot tell"),
        "{}",
        report.final_message
    );
}

#[test]
fn creating_over_an_existing_name_is_explained() {
    let (_dir, store) = home();
    let report = run(
        &store,
        create_options(Some("data-pipeline")),
        "fetch data from the API and save it to a file",
        &mut yes(),
    );
    assert!(report.applied.is_empty());
    assert!(
        report.final_message.starts_with(
            "I could not complete that: a workflow named 'data-pipeline' already exists."
        ),
        "{}",
        report.final_message
    );
    assert_eq!(versions(&store, "data-pipeline"), 1);
}

#[test]
fn with_many_skills_the_planner_searches_and_still_reuses_the_right_one() {
    let (_dir, store) = empty_home();
    // More skills than one listing holds, none of them about fetching.
    for index in 0..150 {
        add_skill(
            &store,
            &format!("report-formatter-{index:03}"),
            "Format a report as a table",
        );
    }
    add_skill(&store, "http-fetch", "Fetch data from a URL over HTTP");
    let report = run(
        &store,
        create_options(Some("etl")),
        "fetch data from https://api.example.com, validate it, and save it to the events table",
        &mut yes(),
    );
    let queries: Vec<String> = report
        .tool_calls
        .iter()
        .filter(|call| call.name == "list_skills")
        .map(|call| {
            call.arguments["query"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .collect();
    assert_eq!(queries.len(), 2, "a listing, then a search: {queries:?}");
    assert!(queries[0].is_empty() && queries[1].contains("fetch data"));
    let created = head(&store, "etl");
    assert_eq!(
        step(&created, "fetch").skill_name(),
        Some("http-fetch"),
        "{}",
        report.final_message
    );
}

fn add_skill_with(store: &Store, skill: Value) {
    let skill: Skill = serde_json::from_value(skill).expect("skill");
    store.create_skill(&skill).expect("skill saved");
}

/// Skills that measure a host, each declaring what it outputs.
fn home_with_measuring_skills() -> (tempfile::TempDir, Store) {
    let (dir, store) = empty_home();
    add_skill_with(
        &store,
        json!({"name": "disk-usage", "type": "code_inline", "command": "du.py",
               "description": "Report how full a filesystem on a host is, in percent",
               "inputs": ["host", "mount"], "outputs": ["percent_used"]}),
    );
    add_skill_with(
        &store,
        json!({"name": "mem-usage", "type": "code_inline", "command": "mem.py",
               "description": "Report how much free memory a host has, in megabytes",
               "inputs": ["host"], "outputs": ["free_mb"]}),
    );
    add_skill_with(
        &store,
        json!({"name": "sms-sender", "type": "code_inline", "command": "sms.py",
               "description": "Send a text message (SMS) to a phone number",
               "inputs": ["message", "phone"], "outputs": []}),
    );
    (dir, store)
}

#[test]
fn a_condition_on_something_not_yet_measured_measures_it_first_with_an_installed_skill() {
    let (_dir, store) = home_with_measuring_skills();
    let report = run(
        &store,
        create_options(Some("disk-alert")),
        "text me on +1-555-0100 when the root partition on db-02 is more than 90% full",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (_, new_skills) = created(&report);
    assert!(new_skills.is_empty(), "{new_skills:?}");
    let stored = head(&store, "disk-alert");
    assert_eq!(stored.steps.len(), 2, "{}", stored.to_pretty_json());
    let measure = &stored.steps[0];
    assert_eq!(measure.skill_name(), Some("disk-usage"));
    assert_eq!(measure.inputs["host"], "context.host");
    assert_eq!(stored.context.readonly["host"], "db-02");
    // The condition reads the output disk-usage declares, and its
    // threshold is named for it, not for the host.
    let StepKind::Conditional {
        condition, then, ..
    } = &stored.steps[1].kind
    else {
        panic!("a conditional: {}", stored.to_pretty_json());
    };
    assert_eq!(
        condition,
        &format!(
            "{}.percent_used > context.percent_used_threshold",
            measure.id
        )
    );
    assert_eq!(stored.context.readonly["percent_used_threshold"], 90);
    assert_eq!(then[0].skill_name(), Some("sms-sender"));
    assert_eq!(stored.context.readonly["phone"], "+1-555-0100");
}

#[test]
fn a_condition_on_an_output_the_measuring_skill_does_not_declare_asks_which_output() {
    let (_dir, store) = empty_home();
    add_skill_with(
        &store,
        json!({"name": "disk-usage", "type": "code_inline", "command": "du.py",
               "description": "Report how full a filesystem on a host is",
               "inputs": ["host"], "outputs": ["used_gb", "size_gb"]}),
    );
    add_skill_with(
        &store,
        json!({"name": "sms-sender", "type": "code_inline", "command": "sms.py",
               "description": "Send a text message (SMS) to a phone number",
               "inputs": ["message", "phone"], "outputs": []}),
    );
    let report = run(
        &store,
        create_options(Some("disk-alert")),
        "text me on +1-555-0100 when the disk on db-02 is more than 90% full",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert!(store.list().expect("list").is_empty());
    assert!(
        report.final_message.contains("output"),
        "{}",
        report.final_message
    );
}

/// An installed skill named for the clause's verb is used when what it
/// works on is not contradicted ("40 EUR" is a currency); a verb the
/// planner does not know, beside an installed skill that speaks of the
/// clause's object, is asked about before a new skill is made.
#[test]
fn creation_uses_a_fitting_skill_and_asks_only_when_it_cannot_tell() {
    let (_dir, store) = empty_home();
    add_skill(
        &store,
        "currency-convert",
        "Convert amounts between currencies at today's exchange rate",
    );
    add_skill(&store, "slack-post", "Post a message to a Slack channel");
    add_skill(
        &store,
        "catalog-rebuild",
        "Rebuild the search catalog of a shop",
    );
    let report = run(
        &store,
        create_options(Some("fx")),
        "convert 40 EUR to JPY and post it to #travel",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (workflow, new_skills) = created(&report);
    assert!(new_skills.is_empty(), "{new_skills:?}");
    assert_eq!(skills_of(&workflow), ["currency-convert", "slack-post"]);
    // Converting a format is not converting currencies.
    let report = run(
        &store,
        create_options(Some("xml")),
        "convert the feed at feeds/items.xml to yaml",
        &mut yes(),
    );
    if let Some(call) = report
        .tool_calls
        .iter()
        .find(|call| call.name == "create_workflow")
    {
        let workflow =
            Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
        assert!(
            !skills_of(&workflow).contains(&"currency-convert".to_string()),
            "{}",
            report.final_message
        );
    }
    let report = run(
        &store,
        create_options(Some("shop")),
        "reindex the search catalog",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    let question = report.question.clone().unwrap_or_default();
    assert!(
        question.contains("'catalog-rebuild'") && question.contains("using catalog-rebuild"),
        "{question}"
    );
    assert!(
        store
            .list()
            .expect("list")
            .iter()
            .all(|summary| summary.name != "shop")
    );
}

/// A description with no content word creates nothing and says so.
#[test]
fn a_description_that_says_nothing_creates_nothing() {
    let (_dir, store) = empty_home();
    let report = run(
        &store,
        create_options(Some("t")),
        "you know what to do",
        &mut yes(),
    );
    assert!(report.applied.is_empty());
    assert!(
        report
            .final_message
            .contains("does not say what the workflow should do"),
        "{}",
        report.final_message
    );
    assert!(store.list().expect("list").is_empty());
}

/// The installed skills a creation test offers, each with what it takes
/// and makes.
fn home_with(skills: &[Value]) -> (tempfile::TempDir, Store) {
    let (dir, store) = empty_home();
    for skill in skills {
        add_skill_with(&store, skill.clone());
    }
    (dir, store)
}

fn skill_json(name: &str, description: &str, inputs: &[&str], outputs: &[&str]) -> Value {
    json!({"name": name, "type": "code_inline", "command": format!("python3 {name}.py"),
           "description": description, "inputs": inputs, "outputs": outputs})
}

fn skills_of(workflow: &Workflow) -> Vec<String> {
    qwf::core::tree::walk(workflow)
        .iter()
        .filter_map(|visited| visited.step.skill_name().map(str::to_string))
        .collect()
}

#[test]
fn an_installed_skill_named_for_the_clause_verb_is_used_without_a_question() {
    // The tool in its name (`gpg`) is how it works, not what the clause
    // must say; what it works on is a file the clause names.
    let (_dir, store) = home_with(&[
        skill_json(
            "gpg-sign",
            "Sign a file with a GPG key",
            &["file"],
            &["signature"],
        ),
        skill_json(
            "slack-post",
            "Post a message to a Slack channel",
            &["text", "channel"],
            &[],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("release")),
        "sign dist/app.tar.gz and post the signature to #releases",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (workflow, new_skills) = created(&report);
    assert!(new_skills.is_empty(), "{new_skills:?}");
    assert_eq!(skills_of(&workflow), ["gpg-sign", "slack-post"]);
}

#[test]
fn checking_a_thing_reads_what_an_installed_skill_measures_of_it() {
    let (_dir, store) = home_with(&[skill_json(
        "pool-size",
        "Report how many connections a database pool holds",
        &["pool"],
        &["size"],
    )]);
    let report = run(
        &store,
        create_options(Some("pool")),
        "check the connection pool of the billing service",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (workflow, new_skills) = created(&report);
    assert!(new_skills.is_empty(), "{new_skills:?}");
    assert_eq!(skills_of(&workflow), ["pool-size"]);
}

#[test]
fn turning_what_a_step_made_into_another_format_uses_the_converter() {
    // "it" is what the step before made (markdown), which the converter
    // takes.
    let (_dir, store) = home_with(&[
        skill_json(
            "wiki-export",
            "Export the wiki pages of a space",
            &["space"],
            &["markdown"],
        ),
        skill_json(
            "markdown-to-html",
            "Convert a Markdown document to HTML",
            &["markdown"],
            &["html"],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("wiki")),
        "export the wiki pages of the ops space and turn them into html",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (workflow, new_skills) = created(&report);
    assert!(new_skills.is_empty(), "{new_skills:?}");
    assert_eq!(skills_of(&workflow), ["wiki-export", "markdown-to-html"]);
    assert_eq!(
        workflow.steps[1].inputs["markdown"],
        format!("{}.markdown", workflow.steps[0].id)
    );
}

#[test]
fn a_known_verb_the_installed_skill_does_not_do_gets_a_new_skill_not_a_question() {
    // `key-list` speaks of API keys but lists them; rotating them is
    // another task.
    let (_dir, store) = home_with(&[skill_json(
        "key-list",
        "List the API keys of an account",
        &["account"],
        &["keys"],
    )]);
    let report = run(
        &store,
        create_options(Some("keys")),
        "rotate the api keys of the billing account",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (workflow, new_skills) = created(&report);
    assert_eq!(new_skills.len(), 1, "{}", report.final_message);
    assert!(!skills_of(&workflow).contains(&"key-list".to_string()));
}

#[test]
fn what_a_clause_says_it_does_not_mean_is_never_the_skill_used() {
    let (_dir, store) = home_with(&[skill_json(
        "gpu-temp",
        "Read the GPU temperature of a machine",
        &["host"],
        &["celsius"],
    )]);
    let report = run(
        &store,
        create_options(Some("gpu")),
        "check the gpu load (not the temperature) on node-4",
        &mut yes(),
    );
    let used: Vec<String> = report
        .tool_calls
        .iter()
        .filter(|call| call.name == "create_workflow")
        .flat_map(|call| {
            Workflow::from_value(call.arguments["workflow"].clone())
                .map(|workflow| skills_of(&workflow))
                .unwrap_or_default()
        })
        .collect();
    assert!(
        !used.contains(&"gpu-temp".to_string()),
        "{}",
        report.final_message
    );
    // And the same skill is used when the temperature is what is asked.
    let report = run(
        &store,
        create_options(Some("gpu-heat")),
        "read the gpu temperature on node-4",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(skills_of(&workflow), ["gpu-temp"]);
}

#[test]
fn a_clause_naming_both_formats_of_a_converter_uses_it_and_never_a_language_translator() {
    let translator = skill_json(
        "translate-text",
        "Translate text into another human language",
        &["text", "language"],
        &["translation"],
    );
    let (_dir, store) = home_with(&[
        translator.clone(),
        skill_json(
            "csv-to-parquet",
            "Convert a CSV table to Parquet",
            &["csv"],
            &["parquet"],
        ),
    ]);
    let request = "translate the sales export exports/sales.csv to parquet";
    let report = run(&store, create_options(Some("sales")), request, &mut yes());
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (workflow, new_skills) = created(&report);
    assert!(new_skills.is_empty(), "{new_skills:?}");
    assert_eq!(skills_of(&workflow), ["csv-to-parquet"]);
    // With only the translator installed, it is still not used.
    let (_dir, store) = home_with(&[translator]);
    let report = run(&store, create_options(Some("sales")), request, &mut yes());
    for call in report
        .tool_calls
        .iter()
        .filter(|call| call.name == "create_workflow")
    {
        let workflow =
            Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
        assert!(
            !skills_of(&workflow).contains(&"translate-text".to_string()),
            "{}",
            report.final_message
        );
    }
}

#[test]
fn verbs_that_name_the_same_action_find_the_installed_skill() {
    let (_dir, store) = home_with(&[skill_json(
        "photo-classify",
        "Classify photos by what they show",
        &["photos"],
        &["classes"],
    )]);
    let report = run(
        &store,
        create_options(Some("shots")),
        "label the holiday pictures in photos/2026",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (workflow, new_skills) = created(&report);
    assert!(new_skills.is_empty(), "{new_skills:?}");
    assert_eq!(skills_of(&workflow), ["photo-classify"]);
}

#[test]
fn finding_out_something_about_what_is_at_an_address_fetches_it_first() {
    let (_dir, store) = home_with(&[
        skill_json("http-fetch", "Fetch data from a URL", &["url"], &["data"]),
        skill_json(
            "toxicity-score",
            "Score how toxic a comment is",
            &["text"],
            &["score"],
        ),
        skill_json(
            "slack-post",
            "Post a message to a Slack channel",
            &["text", "channel"],
            &[],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("mods")),
        "find out whether the comments at https://forum.example.com/api/latest are toxic and post the result to #mods",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (workflow, new_skills) = created(&report);
    assert!(new_skills.is_empty(), "{new_skills:?}");
    assert_eq!(
        skills_of(&workflow),
        ["http-fetch", "toxicity-score", "slack-post"]
    );
    assert_eq!(
        workflow.steps[1].inputs["text"],
        format!("{}.data", workflow.steps[0].id)
    );
}

#[test]
fn a_comparison_on_what_a_counting_skill_counts_reads_its_one_output() {
    let counter = skill_json(
        "mailbox-count",
        "Count how many unread emails are waiting in a mailbox",
        &["mailbox"],
        &["total"],
    );
    let pager = skill_json(
        "pager-alert",
        "Page the on-call engineer",
        &["summary"],
        &["incident_id"],
    );
    let (_dir, store) = home_with(&[counter, pager]);
    let report = run(
        &store,
        create_options(Some("inbox")),
        "check the support mailbox and if more than 50 emails are unread page the on-call",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let stored = head(&store, "inbox");
    assert_eq!(stored.steps[0].skill_name(), Some("mailbox-count"));
    let StepKind::Conditional {
        condition, then, ..
    } = &stored.steps[1].kind
    else {
        panic!("a conditional: {}", stored.to_pretty_json());
    };
    assert_eq!(
        condition,
        &format!("{}.total > context.total_threshold", stored.steps[0].id)
    );
    assert_eq!(stored.context.readonly["total_threshold"], 50);
    assert_eq!(then[0].skill_name(), Some("pager-alert"));
    // A count of something the skill does not speak of is not its output.
    let report = run(
        &store,
        create_options(Some("invoices")),
        "check the support mailbox and if more than 50 invoices are overdue page the on-call",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert!(
        report
            .question
            .clone()
            .unwrap_or_default()
            .contains("total"),
        "{}",
        report.final_message
    );
}

#[test]
fn a_question_about_how_many_there_are_checks_it_and_the_next_sentence_gets_the_answer() {
    let (_dir, store) = home_with(&[
        skill_json(
            "ci-queue-size",
            "Report how many jobs are queued on a CI runner",
            &["host"],
            &["jobs"],
        ),
        skill_json(
            "slack-post",
            "Post a message to a Slack channel",
            &["text", "channel"],
            &[],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("ci")),
        "how many jobs are queued on ci-runner-3? post it to #ci",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let (workflow, new_skills) = created(&report);
    assert!(new_skills.is_empty(), "{new_skills:?}");
    assert_eq!(skills_of(&workflow), ["ci-queue-size", "slack-post"]);
    assert_eq!(
        workflow.steps[1].inputs["text"],
        format!("{}.jobs", workflow.steps[0].id)
    );
}

#[test]
fn a_reading_in_the_unit_the_condition_says_is_compared_and_a_grouped_phone_number_is_one_value() {
    let (_dir, store) = home_with(&[
        skill_json(
            "gpu-temp",
            "Read the GPU temperature of a machine in degrees Celsius",
            &["host"],
            &["celsius"],
        ),
        skill_json(
            "sms-text",
            "Send a text message to a mobile phone",
            &["body", "number"],
            &[],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("gpu")),
        "read the gpu temperature of node-7 and text me at +1 415 555 0100 if it goes above 90 degrees",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let stored = head(&store, "gpu");
    let StepKind::Conditional {
        condition, then, ..
    } = &stored.steps[1].kind
    else {
        panic!("a conditional: {}", stored.to_pretty_json());
    };
    assert_eq!(
        condition,
        &format!("{}.celsius > context.celsius_threshold", stored.steps[0].id)
    );
    assert_eq!(stored.context.readonly["celsius_threshold"], 90);
    assert_eq!(then[0].skill_name(), Some("sms-text"));
    assert_eq!(then[0].inputs["number"], "context.phone");
    assert_eq!(stored.context.readonly["phone"], "+1-415-555-0100");
}

#[test]
fn values_said_in_words_fill_the_inputs_an_installed_skill_declares() {
    let (_dir, store) = home_with(&[
        skill_json(
            "fx-convert",
            "Convert an amount of money between currencies",
            &["amount", "from_currency", "to_currency"],
            &["converted"],
        ),
        skill_json(
            "queue-purge",
            "Delete every message waiting in a message queue",
            &["queue"],
            &["deleted"],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("fx")),
        "convert 99 CHF to JPY",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let stored = head(&store, "fx");
    let context = &stored.context.readonly;
    assert_eq!(context["amount"], 99);
    assert_eq!(context["from_currency"], "CHF");
    assert_eq!(context["to_currency"], "JPY");
    let report = run(
        &store,
        create_options(Some("purge")),
        "purge the billing queue",
        &mut yes(),
    );
    assert_eq!(report.applied.len(), 1, "{}", report.final_message);
    let stored = head(&store, "purge");
    assert_eq!(stored.steps[0].skill_name(), Some("queue-purge"));
    assert_eq!(stored.context.readonly["queue"], "billing");
}

#[test]
fn a_skill_named_for_the_verb_is_not_used_for_a_clause_about_other_things() {
    let (_dir, store) = home_with(&[
        skill_json(
            "jira-create",
            "Create a Jira ticket",
            &["summary"],
            &["key"],
        ),
        skill_json(
            "log-line",
            "Append a line to a log file",
            &["line", "path"],
            &[],
        ),
        skill_json(
            "k8s-restart",
            "Restart a Kubernetes deployment",
            &["deployment"],
            &[],
        ),
    ]);
    for (request, decoy) in [
        ("create a github issue for the failed build", "jira-create"),
        ("append the rows to the orders table", "log-line"),
        ("restart the nginx service on web-01", "k8s-restart"),
    ] {
        let report = run(&store, create_options(Some("decoy")), request, &mut yes());
        for call in report
            .tool_calls
            .iter()
            .filter(|call| call.name == "create_workflow")
        {
            let workflow =
                Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
            assert!(
                !skills_of(&workflow).contains(&decoy.to_string()),
                "{request}: {}",
                report.final_message
            );
        }
    }
    // What it does, said of what it takes, is its job.
    let report = run(
        &store,
        create_options(Some("audit")),
        "append it to logs/audit.log",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["log-line"],
        "{}",
        report.final_message
    );
}

#[test]
fn checking_a_thing_never_runs_a_skill_that_changes_it() {
    let (_dir, store) = home_with(&[skill_json(
        "queue-purge",
        "Delete every message waiting in a message queue",
        &["queue"],
        &["deleted"],
    )]);
    for request in [
        "check the billing queue",
        "how many messages are in the billing queue?",
    ] {
        let report = run(&store, create_options(Some("q")), request, &mut yes());
        for call in report
            .tool_calls
            .iter()
            .filter(|call| call.name == "create_workflow")
        {
            let workflow =
                Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
            assert!(
                !skills_of(&workflow).contains(&"queue-purge".to_string()),
                "{request}: {}",
                report.final_message
            );
        }
    }
    let report = run(
        &store,
        create_options(Some("purge")),
        "purge the billing queue",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(skills_of(&workflow), ["queue-purge"]);
}

#[test]
fn a_check_uses_the_installed_skill_whose_description_says_what_the_clause_asks() {
    // A tool word in the skill's name (`keyctl`) is how it works: a clause
    // whose words the description says is its job. A skill sharing one
    // word of it (`smart-wear` also counts days left) is not.
    let (_dir, store) = home_with(&[
        skill_json(
            "keyctl-validity",
            "Report how many days are left before a signing key's validity ends",
            &["key_id"],
            &["days_left"],
        ),
        skill_json(
            "smart-wear",
            "Report how many days are left before a disk wears out",
            &["host"],
            &["days_left"],
        ),
    ]);
    for request in [
        "check the validity of the release signing key",
        "check how many days are left on the signing key's validity",
    ] {
        let report = run(&store, create_options(Some("keys")), request, &mut yes());
        let (workflow, new_skills) = created(&report);
        assert_eq!(
            skills_of(&workflow),
            ["keyctl-validity"],
            "{request}: {}",
            report.final_message
        );
        assert!(new_skills.is_empty(), "{request}: {new_skills:?}");
    }
    // One shared word is not the job: neither is used for invoices.
    let report = run(
        &store,
        create_options(Some("invoices")),
        "check the validity of the invoices",
        &mut yes(),
    );
    for call in report
        .tool_calls
        .iter()
        .filter(|call| call.name == "create_workflow")
    {
        let workflow =
            Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
        let used = skills_of(&workflow);
        assert!(
            !used.contains(&"keyctl-validity".to_string())
                && !used.contains(&"smart-wear".to_string()),
            "{}",
            report.final_message
        );
    }
}

#[test]
fn a_retry_or_time_limit_said_beside_a_clause_goes_on_its_step() {
    let (_dir, store) = home_with(&[
        skill_json(
            "dump-download",
            "Download a database dump from a URL",
            &["dump_url"],
            &["dump"],
        ),
        skill_json(
            "archive-load",
            "Load a dump into an archive table",
            &["dump", "table"],
            &["rows"],
        ),
        skill_json(
            "audio-sample",
            "Cut a sample out of an audio file",
            &["path"],
            &["sample"],
        ),
    ]);
    // ", retrying twice," is how the download runs: no step of its own,
    // and no verb made of "up" in "up to".
    let report = run(
        &store,
        create_options(Some("dumps")),
        "download the nightly dump from https://db.example.org/nightly.sql, retrying up to 2 times, and load it into the archive_2024 table",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["dump-download", "archive-load"],
        "{}",
        report.final_message
    );
    assert!(new_skills.is_empty(), "{new_skills:?}");
    let handling = workflow.steps[0]
        .error_handling
        .as_ref()
        .expect("the download retries");
    assert_eq!(handling.max_attempts, Some(3));
    assert!(workflow.steps[1].error_handling.is_none());
    // "(give it at most 2 minutes)" bounds the step it follows.
    let report = run(
        &store,
        create_options(Some("dumps-2")),
        "download the nightly dump from https://db.example.org/nightly.sql (give it at most 2 minutes) and load it into the archive_2024 table",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        workflow.steps[0].timeout_secs,
        Some(120),
        "{}",
        report.final_message
    );
    assert_eq!(workflow.steps[1].timeout_secs, None);
    // "at most 20 minutes of audio" is how much, not how long the step may
    // run.
    let report = run(
        &store,
        create_options(Some("talk")),
        "cut a sample of at most 20 minutes of audio from ./talk.mp3",
        &mut yes(),
    );
    for call in report
        .tool_calls
        .iter()
        .filter(|call| call.name == "create_workflow")
    {
        let workflow =
            Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
        assert!(no_step_has_a_timeout(&workflow), "{}", report.final_message);
    }
}

fn no_step_has_a_timeout(workflow: &Workflow) -> bool {
    workflow
        .steps
        .iter()
        .all(|step| step.timeout_secs.is_none())
}

#[test]
fn a_clause_an_installed_skill_does_is_never_dropped_from_a_creation() {
    let (_dir, store) = home_with(&[
        skill_json(
            "vm-snapshot",
            "Take a snapshot of a virtual machine",
            &["vm"],
            &["snapshot_id"],
        ),
        skill_json(
            "slack-post",
            "Post a message to a Slack channel",
            &["text", "channel"],
            &[],
        ),
        skill_json(
            "feed-export",
            "Export the product feed from a shop's API",
            &["api_url"],
            &["products"],
        ),
        skill_json(
            "price-dedupe",
            "Remove duplicate prices that share a product code",
            &["products"],
            &["unique"],
        ),
    ]);
    // "take a snapshot of …" is a step an installed skill does, not a
    // value handed to the next step.
    let report = run(
        &store,
        create_options(Some("vm")),
        "take a snapshot of the build-vm-7 machine, then post a note to #infra on slack",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["vm-snapshot", "slack-post"],
        "{}",
        report.final_message
    );
    // A file taken is still a value given to the step after it.
    let report = run(
        &store,
        create_options(Some("notes")),
        "take ./notes.txt and post it to #infra on slack",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["slack-post"],
        "{}",
        report.final_message
    );
    // A clause whose verb is not known ("weed out") joins the clause before
    // it; its words are then the unused dedupe skill's, which the export
    // does not account for: asked, never saved without them.
    let report = run(
        &store,
        create_options(Some("feed")),
        "export the product feed from https://shop.example.com/api/feed, weed out duplicate prices and post them to #infra on slack",
        &mut yes(),
    );
    match report
        .tool_calls
        .iter()
        .find(|call| call.name == "create_workflow")
    {
        Some(call) => {
            let workflow =
                Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
            assert!(
                skills_of(&workflow).contains(&"price-dedupe".to_string()),
                "{}",
                report.final_message
            );
        }
        None => assert!(
            report.final_message.contains("duplicate"),
            "{}",
            report.final_message
        ),
    }
}

#[test]
fn a_skill_doing_the_clause_is_used_with_its_language_and_its_thing_left_to_them() {
    let (_dir, store) = home_with(&[
        skill_json(
            "media-fetch",
            "Download media files listed at a URL",
            &["list_url"],
            &["files"],
        ),
        skill_json(
            "tag-photos",
            "Tag photos with labels using CLIP",
            &["files", "language"],
            &["labels"],
        ),
        skill_json(
            "receipt-totals",
            "Pull the merchant and total out of a receipt's text",
            &["text"],
            &["totals"],
        ),
        skill_json(
            "slack-post",
            "Post a message to a Slack channel",
            &["text", "channel"],
            &[],
        ),
    ]);
    // "tag them with clip in spanish": the videos are "them", and
    // spanish is the language it works in, kept in the context.
    let report = run(
        &store,
        create_options(Some("clips")),
        "download the media listed at https://media.example.com/list, tag them with clip in spanish and post them to #media on slack",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["media-fetch", "tag-photos", "slack-post"],
        "{}",
        report.final_message
    );
    assert!(new_skills.is_empty(), "{new_skills:?}");
    assert!(
        workflow
            .context
            .readonly
            .values()
            .any(|value| value == "spanish"),
        "{:?}",
        workflow.context.readonly
    );
    // What a skill pulls out of a text, it extracts.
    let report = run(
        &store,
        create_options(Some("receipts")),
        "extract the receipt totals and post them to #finance on slack",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["receipt-totals", "slack-post"],
        "{}",
        report.final_message
    );
    assert!(new_skills.is_empty(), "{new_skills:?}");
    // A forecast is no photo: tagging it is not tag-photos' job.
    let report = run(
        &store,
        create_options(Some("forecast")),
        "read the forecast from ./forecast.json and tag them with clip",
        &mut yes(),
    );
    for call in report
        .tool_calls
        .iter()
        .filter(|call| call.name == "create_workflow")
    {
        let workflow =
            Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
        assert!(
            !skills_of(&workflow).contains(&"tag-photos".to_string()),
            "{}",
            report.final_message
        );
    }
}

#[test]
fn a_plural_noun_after_and_ends_a_list_it_starts_no_step() {
    let (_dir, store) = home_with(&[
        skill_json(
            "tracker-export",
            "Export all issues and labels of a tracker project into a folder",
            &["api_url", "dir"],
            &["dump"],
        ),
        skill_json(
            "slack-post",
            "Post a message to a Slack channel",
            &["text", "channel"],
            &[],
        ),
    ]);
    // "labels of https://…" are exported, not labelled.
    let report = run(
        &store,
        create_options(Some("tracker")),
        "export all the issues and labels of https://tracker.example.com/api into ./dump, then post them to #dev on slack",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["tracker-export", "slack-post"],
        "{}",
        report.final_message
    );
    assert!(new_skills.is_empty(), "{new_skills:?}");
    // "and label them": a verb, a step of its own (or a question), never
    // folded into the export.
    let report = run(
        &store,
        create_options(Some("tracker-2")),
        "export all the issues of https://tracker.example.com/api into ./dump and label them as urgent",
        &mut yes(),
    );
    if let Some(call) = report
        .tool_calls
        .iter()
        .find(|call| call.name == "create_workflow")
    {
        let workflow =
            Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
        assert!(workflow.steps.len() >= 2, "{}", report.final_message);
    }
}

#[test]
fn a_list_of_fields_pulled_out_of_the_step_before_uses_the_skill_that_makes_them() {
    let (_dir, store) = home_with(&[
        skill_json(
            "contract-fetch",
            "Download contracts from the legal API",
            &["api_url"],
            &["contracts"],
        ),
        skill_json(
            "contract-terms",
            "Pull the parties, term, total and notice period out of a contract's text",
            &["text"],
            &["terms"],
        ),
        skill_json(
            "csv-append",
            "Append rows to a CSV file",
            &["rows", "path"],
            &[],
        ),
    ]);
    // "total" is one more field of the list, not a step that totals; the
    // contracts are the ones the step before downloaded; terms are what
    // contract-terms makes.
    let report = run(
        &store,
        create_options(Some("contracts")),
        "download the contracts from https://legal.example.com/api, pull out parties, term, total and notice period, and append them to ./terms.csv",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["contract-fetch", "contract-terms", "csv-append"],
        "{}",
        report.final_message
    );
    assert!(new_skills.is_empty(), "{new_skills:?}");
    // What it does not speak of is not its job.
    let report = run(
        &store,
        create_options(Some("contracts-2")),
        "download the contracts from https://legal.example.com/api, pull out the weather and append it to ./terms.csv",
        &mut yes(),
    );
    for call in report
        .tool_calls
        .iter()
        .filter(|call| call.name == "create_workflow")
    {
        let workflow =
            Workflow::from_value(call.arguments["workflow"].clone()).expect("a workflow");
        assert!(
            !skills_of(&workflow).contains(&"contract-terms".to_string()),
            "{}",
            report.final_message
        );
    }
}

#[test]
fn a_four_clause_creation_reads_each_value_into_the_input_it_names() {
    let (_dir, store) = home_with(&[
        skill_json(
            "shop-export",
            "Export orders from the shop's REST API, optionally one status",
            &["api_url", "status"],
            &["orders"],
        ),
        skill_json(
            "report-render",
            "Fill a report layout with data",
            &["layout", "data"],
            &["pdf"],
        ),
        skill_json(
            "mail-send",
            "Send a mail with an attachment to a list of people",
            &["recipients", "title", "pdf"],
            &["message_id"],
        ),
        skill_json(
            "chat-post",
            "Post a message to a chat channel",
            &["text", "channel"],
            &[],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("weekly")),
        "export the 'paid' orders from https://shop.example.com/api/orders, render layouts/weekly.html with them, mail it out with the title 'Weekly orders', and let #ops on chat know when it's done",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    // The export takes the address itself: no fetch before it. "let #ops
    // know" tells them.
    assert_eq!(
        skills_of(&workflow),
        ["shop-export", "report-render", "mail-send", "chat-post"],
        "{}",
        report.final_message
    );
    assert!(new_skills.is_empty(), "{new_skills:?}");
    let input = |index: usize, name: &str| -> String {
        workflow.steps[index].inputs[name]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    let context = |reference: String| -> String {
        let key = reference.strip_prefix("context.").unwrap_or_default();
        workflow.context.readonly[key]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    // The orders are the render's data; the path names its layout.
    assert!(
        input(1, "data").ends_with(".orders"),
        "{:?}",
        workflow.steps[1].inputs
    );
    assert_eq!(context(input(1, "layout")), "layouts/weekly.html");
    // The mail carries the rendered pdf, titled as said.
    assert!(
        input(2, "pdf").ends_with(".pdf"),
        "{:?}",
        workflow.steps[2].inputs
    );
    assert_eq!(context(input(2, "title")), "Weekly orders");
}

#[test]
fn a_comparison_after_a_change_reads_the_same_target_and_its_named_output() {
    let (_dir, store) = home_with(&[
        skill_json(
            "config-apply",
            "Apply the config files in a folder to a host",
            &["dir", "host"],
            &["applied"],
        ),
        json!({"name": "config-diff", "type": "code_inline", "command": "python3 diff.py",
               "description": "Compare the live config of a host with the expected one",
               "inputs": ["host", "expected"],
               "outputs": [{"name": "matches", "type": "boolean"}, "report"]}),
        skill_json(
            "pager-send",
            "Page the on-call engineer with a text",
            &["text"],
            &[],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("conf")),
        "apply the configs in ./conf to web-01.example.com, compare the config with expected/web.conf, and only when it doesn't match page the on-call engineer with the report",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert!(
        new_skills.is_empty(),
        "{new_skills:?}: {}",
        report.final_message
    );
    assert_eq!(
        skills_of(&workflow),
        ["config-apply", "config-diff", "pager-send"],
        "{}",
        report.final_message
    );
    // The comparison checks the host the configs went to, not "applied".
    let apply = &workflow.steps[0];
    let diff = &workflow.steps[1];
    assert_eq!(
        diff.inputs["host"], apply.inputs["host"],
        "{:?}",
        diff.inputs
    );
    // The page carries the report the clause names, not the yes/no.
    let StepKind::Conditional {
        condition, then, ..
    } = &workflow.steps[2].kind
    else {
        panic!("a conditional: {:?}", workflow.steps[2]);
    };
    assert!(condition.contains(".matches"), "{condition}");
    assert_eq!(
        then[0].inputs["text"],
        json!(format!("{}.report", diff.id)),
        "{:?}",
        then[0].inputs
    );
}

#[test]
fn a_skill_doing_the_verb_on_the_whole_object_is_used_whatever_tool_its_name_names() {
    let (_dir, store) = home_with(&[
        skill_json(
            "sonar-fetch",
            "Fetch the code coverage report of the latest CI build of a branch",
            &["ci_url", "branch"],
            &["report"],
        ),
        skill_json("web-get", "Fetch a web page", &["url"], &["page"]),
        skill_json(
            "md5-digest",
            "Compute the MD5 checksum of a file",
            &["file"],
            &["digest"],
        ),
        skill_json(
            "secret-hash",
            "Hash a password with bcrypt",
            &["password"],
            &["hashed"],
        ),
        skill_json(
            "slack-post",
            "Post a message to a Slack channel",
            &["text", "channel"],
            &[],
        ),
    ]);
    // `sonar` is how it fetches; the clause's thing (the coverage report)
    // is what its description fetches. The web page fetcher says nothing
    // of coverage.
    let report = run(
        &store,
        create_options(Some("coverage")),
        "fetch the coverage report for develop from https://ci.example.org and post it to #qa on slack",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["sonar-fetch", "slack-post"],
        "{}",
        report.final_message
    );
    assert!(new_skills.is_empty());
    // To hash a file is to compute its checksum; "md5" names the skill's
    // own tool; the password hasher is for another thing.
    let report = run(
        &store,
        create_options(Some("dump-digest")),
        "hash the dump file /srv/dumps/db.sql (md5) and post the hash to #ops on slack",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["md5-digest", "slack-post"],
        "{}",
        report.final_message
    );
}

#[test]
fn a_thing_made_is_what_a_skill_makes_and_a_named_new_skill_goes_to_that_step() {
    let (_dir, store) = home_with(&[
        skill_json(
            "url-check",
            "Request a URL and report its status code",
            &["url"],
            &["status"],
        ),
        skill_json(
            "gcs-put",
            "Upload a file to a Google Cloud Storage bucket",
            &["file", "bucket"],
            &["object_url"],
        ),
    ]);
    // A status code is no barcode: nothing installed makes one, and the
    // skill the user names is for that step, not for the upload that
    // `gcs-put` does.
    let report = run(
        &store,
        create_options(Some("barcodes")),
        "make a barcode for https://shop.example/p/42 and upload the image to the gcs bucket labels-eu; call the new skill barcode-render",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["barcode-render", "gcs-put"],
        "{}",
        report.final_message
    );
    assert_eq!(new_skills, ["barcode-render"]);
    // The summary says the name given, not the one first planned.
    assert!(
        report.final_message.contains("barcode-render"),
        "{}",
        report.final_message
    );
}

#[test]
fn an_installed_skill_turning_one_output_into_the_next_input_goes_between_them() {
    let (_dir, store) = home_with(&[
        skill_json(
            "lint-fetch",
            "Fetch the lint findings of the latest CI run of a branch",
            &["ci_url", "branch"],
            &["findings"],
        ),
        skill_json(
            "lint-digest",
            "Summarise lint findings by rule and file",
            &["findings"],
            &["summary"],
        ),
        skill_json(
            "md-render",
            "Render a summary into a Markdown page with a template",
            &["summary", "template"],
            &["page"],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("lint-page")),
        "fetch the lint findings for main from https://ci.example.org and render them as markdown with templates/lint.md",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["lint-fetch", "lint-digest", "md-render"],
        "{}",
        report.final_message
    );
    // Each step reads what its skill declares.
    let digest = &workflow.steps[1];
    let render = &workflow.steps[2];
    assert_eq!(
        digest.inputs["findings"],
        format!("{}.findings", workflow.steps[0].id)
    );
    assert_eq!(render.inputs["summary"], format!("{}.summary", digest.id));
}

#[test]
fn a_duration_compared_reads_the_output_kept_in_time_and_an_installed_comparer_decides() {
    let rtt = skill_json(
        "rtt-measure",
        "Measure the round trip time to a host in milliseconds",
        &["host"],
        &["rtt_ms"],
    );
    let pager = skill_json(
        "pager-send",
        "Send a page to the on-call engineer by SMS",
        &["phone", "message"],
        &[],
    );
    let comparer = json!({"name": "rtt-limit", "type": "code_inline", "command": "python3 rtt_limit.py",
        "description": "Compare a round trip time in milliseconds with a limit",
        "inputs": ["rtt_ms", "max_ms"],
        "outputs": [{"name": "over", "type": "boolean"}]});
    let request = "measure the round trip time to db-01.internal and if it takes longer than 1.5 seconds, text the on-call at +15550100 that the database is slow";
    // Without a comparer, the condition reads the measured output, in its
    // unit.
    let (_dir, store) = home_with(&[rtt.clone(), pager.clone()]);
    let report = run(&store, create_options(Some("rtt")), request, &mut yes());
    let (workflow, _) = created(&report);
    let StepKind::Conditional { condition, .. } = &workflow.steps[1].kind else {
        panic!("a condition second: {}", report.final_message);
    };
    let (read, limit) = condition
        .split_once(" > context.")
        .expect("a comparison with a threshold");
    assert_eq!(read, format!("{}.rtt_ms", workflow.steps[0].id));
    assert_eq!(workflow.context.readonly[limit], 1500);
    // With one installed, it compares, and the condition reads its
    // boolean.
    let (_dir, store) = home_with(&[rtt, pager, comparer]);
    let report = run(&store, create_options(Some("rtt")), request, &mut yes());
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["rtt-measure", "rtt-limit", "pager-send"],
        "{}",
        report.final_message
    );
    let compare = &workflow.steps[1];
    assert_eq!(
        compare.inputs["rtt_ms"],
        format!("{}.rtt_ms", workflow.steps[0].id)
    );
    let StepKind::Conditional { condition, .. } = &workflow.steps[2].kind else {
        panic!("a condition third: {}", report.final_message);
    };
    assert_eq!(condition, &format!("{}.over == true", compare.id));
}

#[test]
fn a_value_no_step_reads_is_asked_about_and_a_new_skill_takes_each_value() {
    let (_dir, store) = home_with(&[skill_json(
        "url-check",
        "Request a URL once and measure its latency in milliseconds",
        &["url"],
        &["latency_ms"],
    )]);
    // The probe takes one address: the second one would be dropped.
    let report = run(
        &store,
        create_options(Some("probes")),
        "probe https://a.example.org and https://b.example.org",
        &mut yes(),
    );
    assert!(
        store.list().expect("list").is_empty(),
        "{}",
        report.final_message
    );
    assert!(
        report.final_message.contains("b.example.org")
            || report.final_message.contains("a.example.org"),
        "{}",
        report.final_message
    );
    // A skill qwf makes declares an input for each file given.
    let report = run(
        &store,
        create_options(Some("join")),
        "join the two lists lists/a.txt and lists/b.txt into one file; there's no skill for that yet, name it list-joiner",
        &mut yes(),
    );
    let (workflow, new_skills) = created(&report);
    assert_eq!(new_skills, ["list-joiner"]);
    let inputs: Vec<&str> = workflow.steps[0]
        .inputs
        .values()
        .filter_map(Value::as_str)
        .collect();
    let held: Vec<&Value> = inputs
        .iter()
        .filter_map(|input| input.strip_prefix("context."))
        .map(|key| &workflow.context.readonly[key])
        .collect();
    assert!(held.contains(&&json!("lists/a.txt")), "{inputs:?}");
    assert!(held.contains(&&json!("lists/b.txt")), "{inputs:?}");
}

#[test]
fn a_condition_then_an_action_done_in_either_case_are_two_steps() {
    let (_dir, store) = home_with(&[
        skill_json(
            "url-check",
            "Request a URL once and measure its latency in milliseconds",
            &["url"],
            &["latency_ms"],
        ),
        skill_json(
            "pager-send",
            "Send a page to the on-call engineer by SMS",
            &["phone", "message"],
            &[],
        ),
        skill_json(
            "slack-post",
            "Post a message to a Slack channel",
            &["text", "channel"],
            &[],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("latency")),
        "probe https://api.example.org, text +15550100 if it is slower than 900 ms, and either way post the latency to #status on slack",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(workflow.steps.len(), 3, "{}", report.final_message);
    let StepKind::Conditional { then, .. } = &workflow.steps[1].kind else {
        panic!("a condition second: {}", report.final_message);
    };
    assert_eq!(skills_of_steps(then), ["pager-send"]);
    assert_eq!(workflow.steps[2].skill_name(), Some("slack-post"));
}

fn skills_of_steps(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|step| step.skill_name().map(str::to_string))
        .collect()
}

#[test]
fn a_glob_a_place_and_an_age_reach_the_inputs_that_take_them() {
    let (_dir, store) = home_with(&[
        skill_json(
            "path-glob",
            "List the files matching a glob pattern",
            &["pattern"],
            &["files"],
        ),
        skill_json(
            "zip-pack",
            "Pack files into a .zip archive",
            &["files", "archive_name"],
            &["archive"],
        ),
        skill_json(
            "disk-copy",
            "Copy a file into a directory on local disk",
            &["file", "dest_dir"],
            &["path"],
        ),
        skill_json(
            "old-files-delete",
            "Delete files older than a number of days",
            &["files", "older_than_days"],
            &[],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("reports-archive")),
        "Archive the reports: collect /srv/reports/*.pdf, zip them into reports.zip, copy the archive to /mnt/vault and then delete the originals older than two weeks",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["path-glob", "zip-pack", "disk-copy", "old-files-delete"],
        "{}",
        report.final_message
    );
    let value = |step: usize, input: &str| -> Value {
        let source = workflow.steps[step].inputs[input]
            .as_str()
            .expect("a reference")
            .to_string();
        match source.strip_prefix("context.") {
            Some(key) => workflow.context.readonly[key].clone(),
            None => json!(source),
        }
    };
    let ids: Vec<&str> = workflow.steps.iter().map(|step| step.id.as_str()).collect();
    assert_eq!(value(0, "pattern"), "/srv/reports/*.pdf");
    assert_eq!(value(2, "file"), format!("{}.archive", ids[1]));
    assert_eq!(value(2, "dest_dir"), "/mnt/vault");
    assert_eq!(value(3, "files"), format!("{}.files", ids[0]));
    assert_eq!(value(3, "older_than_days"), 14);
}

#[test]
fn values_said_in_their_own_units_and_shapes_go_to_the_right_key() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "snapshots",
        json!({
            "name": "snapshots", "version": "1.0.0",
            "steps": [
                {"id": "snap", "type": "skill", "skill": "vm-snap",
                 "inputs": {"name": "context.snapshot_name", "dir": "context.snapshot_dir"}},
                {"id": "encode", "type": "skill", "skill": "audio-enc",
                 "inputs": {"kbps": "context.audio_bitrate"}},
                {"id": "prune", "type": "skill", "skill": "snap-prune",
                 "inputs": {"days": "context.retention_days"}},
                {"id": "probe", "type": "skill", "skill": "url-check",
                 "inputs": {"limit": "context.max_wait_ms"}}
            ],
            "context": {"readonly": {
                "snapshot_name": "nightly.img", "snapshot_dir": "/srv/snapshots",
                "audio_bitrate": 96, "retention_days": 10, "max_wait_ms": 500
            }}
        }),
    );
    let options = || Options {
        focus: Some("snapshots".into()),
        ..Options::default()
    };
    let value = |key: &str| head(&store, "snapshots").context.readonly[key].clone();
    run(
        &store,
        options(),
        "keep the snapshots for two weeks rather than 10 days",
        &mut yes(),
    );
    assert_eq!(value("retention_days"), 14);
    run(&store, options(), "encode at 160kbps", &mut yes());
    assert_eq!(value("audio_bitrate"), 160);
    // A folder replaces the folder, not the file's name.
    run(
        &store,
        options(),
        "snapshot to /mnt/nfs/snaps from now on",
        &mut yes(),
    );
    assert_eq!(value("snapshot_dir"), "/mnt/nfs/snaps");
    assert_eq!(value("snapshot_name"), "nightly.img");
    // Durations said for a value kept in milliseconds.
    run(
        &store,
        options(),
        "wait up to 1.5 seconds instead of 500ms",
        &mut yes(),
    );
    assert_eq!(value("max_wait_ms"), 1500);
}

#[test]
fn everyday_ways_of_saying_a_timeout_a_continue_and_a_parallel_run_are_read() {
    let (_dir, store) = home();
    let options = || Options {
        focus: Some("data-pipeline".into()),
        ..Options::default()
    };
    let saved = |id: &str| step(&head(&store, "data-pipeline"), id).clone();
    run(
        &store,
        options(),
        "the save hangs now and then, give it at most a quarter of an hour",
        &mut yes(),
    );
    assert_eq!(saved("save").timeout_secs, Some(900));
    run(
        &store,
        options(),
        "time the fetch out at 1.5 seconds",
        &mut yes(),
    );
    assert_eq!(saved("fetch").timeout_secs, Some(2));
    // "the run" is no step to run instead: going on after a failure.
    run(
        &store,
        options(),
        "if the validation fails, don't let it stop the run",
        &mut yes(),
    );
    assert_eq!(
        saved("validate")
            .error_handling
            .as_ref()
            .map(|handling| handling.strategy),
        Some(Strategy::Continue)
    );
}

#[test]
fn a_change_named_without_its_value_asks_which_value_and_to_what() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "mailer",
        json!({
            "name": "mailer", "version": "1.0.0",
            "steps": [
                {"id": "check", "type": "skill", "skill": "url-check",
                 "inputs": {"url": "context.site", "limit_ms": "context.max_wait_ms"}},
                {"id": "mail", "type": "skill", "skill": "mail-send",
                 "inputs": {"to": "context.owner_email", "cc": "context.boss_email"}}
            ],
            "context": {"readonly": {
                "site": "https://example.org", "max_wait_ms": 900,
                "owner_email": "me@example.org", "boss_email": "boss@example.org"
            }}
        }),
    );
    let options = || Options {
        focus: Some("mailer".into()),
        ..Options::default()
    };
    let report = run(&store, options(), "could you change the limit?", &mut yes());
    assert!(
        report.final_message.contains("max_wait_ms"),
        "{}",
        report.final_message
    );
    let report = run(&store, options(), "change the recipient", &mut yes());
    assert!(
        report.final_message.contains("owner_email") && report.final_message.contains("boss_email"),
        "{}",
        report.final_message
    );
    // Nothing was saved.
    assert_eq!(head(&store, "mailer").context.readonly["max_wait_ms"], 900);
}

#[test]
fn a_condition_about_one_of_two_probes_run_together_reads_that_probe() {
    let (_dir, store) = home_with(&[
        skill_json(
            "url-check",
            "Request a URL once and measure its latency in milliseconds",
            &["url"],
            &["latency_ms"],
        ),
        skill_json(
            "pager-send",
            "Send a page to the on-call engineer by SMS",
            &["phone", "message"],
            &[],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("probes")),
        "measure the shop https://shop.example.org and the api https://api.example.org/health together, and if the api takes longer than 700 ms text +15550100",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    let StepKind::Parallel { steps: probes } = &workflow.steps[0].kind else {
        panic!("the probes run together: {}", report.final_message);
    };
    assert_eq!(probes.len(), 2, "{}", report.final_message);
    // The probe of the api's address, not the group (which outputs
    // nothing) nor the shop's.
    let api_probe = probes
        .iter()
        .find(|probe| {
            probe.inputs["url"]
                .as_str()
                .and_then(|source| source.strip_prefix("context."))
                .is_some_and(|key| {
                    workflow.context.readonly[key] == "https://api.example.org/health"
                })
        })
        .expect("a probe of the api");
    let StepKind::Conditional { condition, .. } = &workflow.steps[1].kind else {
        panic!("a condition second: {}", report.final_message);
    };
    assert!(
        condition.starts_with(&format!("{}.latency_ms > context.", api_probe.id)),
        "{condition}"
    );
}

#[test]
fn a_message_several_chat_tools_could_send_asks_which_tool() {
    let (_dir, store) = home_with(&[
        skill_json(
            "mattermost-post",
            "Post a message to a Mattermost channel",
            &["text", "channel"],
            &[],
        ),
        skill_json(
            "rocketchat-post",
            "Post a message to a Rocket.Chat channel",
            &["text", "channel"],
            &[],
        ),
        skill_json(
            "url-check",
            "Request a URL once and measure its latency in milliseconds",
            &["url"],
            &["latency_ms"],
        ),
    ]);
    // No tool named: asked, nothing saved.
    let report = run(
        &store,
        create_options(Some("health")),
        "measure https://example.org and post the latency to #ops",
        &mut yes(),
    );
    assert!(
        store.list().expect("list").is_empty(),
        "{}",
        report.final_message
    );
    assert!(
        report.final_message.contains("mattermost-post")
            && report.final_message.contains("rocketchat-post"),
        "{}",
        report.final_message
    );
    // The tool named: used.
    let report = run(
        &store,
        create_options(Some("health")),
        "measure https://example.org and post the latency to #ops on mattermost",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["url-check", "mattermost-post"],
        "{}",
        report.final_message
    );
}

#[test]
fn what_a_remark_reports_is_what_it_is_about() {
    let (_dir, store) = home();
    let options = || Options {
        focus: Some("data-pipeline".into()),
        ..Options::default()
    };
    // "the feeling … is that the fetch is flaky": "it" is the fetch.
    run(
        &store,
        options(),
        "the feeling in the team is that the fetch is flaky, give it a 45 second timeout",
        &mut yes(),
    );
    let workflow = head(&store, "data-pipeline");
    assert_eq!(step(&workflow, "fetch").timeout_secs, Some(45));
    assert_eq!(step(&workflow, "save").timeout_secs, None);
}

#[test]
fn fractions_of_a_unit_and_lowering_a_retry_count_are_read() {
    let (_dir, store) = home();
    let options = || Options {
        focus: Some("data-pipeline".into()),
        ..Options::default()
    };
    let saved = |id: &str| step(&head(&store, "data-pipeline"), id).clone();
    run(&store, options(), "retry the fetch 4 times", &mut yes());
    run(
        &store,
        options(),
        "the API is slow, so give the fetch two and a half minutes, and drop its retries to one",
        &mut yes(),
    );
    let fetch = saved("fetch");
    assert_eq!(fetch.timeout_secs, Some(150));
    assert_eq!(
        fetch
            .error_handling
            .as_ref()
            .and_then(|handling| handling.max_attempts),
        Some(2)
    );
    run(
        &store,
        options(),
        "bump the save's time limit to an hour and a quarter",
        &mut yes(),
    );
    assert_eq!(saved("save").timeout_secs, Some(4500));
    run(
        &store,
        options(),
        "validation takes ages now, let it run for a quarter of an hour",
        &mut yes(),
    );
    assert_eq!(saved("validate").timeout_secs, Some(900));
}

/// A workflow whose steps share words: `fetch-report` fetches, `download`
/// downloads the report.
fn home_with_report_download() -> (tempfile::TempDir, Store) {
    let (dir, store) = empty_home();
    add_workflow(
        &store,
        "reports",
        json!({"name": "reports", "version": "1.0.0", "steps": [
            {"id": "fetch-report", "type": "skill", "skill": "report-search",
             "description": "Find the newest report", "outputs": ["report_id"]},
            {"id": "download", "type": "skill", "skill": "http-download",
             "description": "Download the report", "inputs": {"id": "fetch-report.report_id"},
             "outputs": ["file"], "timeout_secs": 600},
            {"id": "archive", "type": "skill", "skill": "s3-put",
             "description": "Archive the report", "inputs": {"file": "download.file"}}
        ], "context": {"readonly": {}}}),
    );
    (dir, store)
}

#[test]
fn a_word_that_is_a_step_name_names_that_step_not_one_doing_the_same_kind_of_thing() {
    // "downloads" is `download`'s name; it is no fetch of the report.
    let (_dir, store) = home_with_report_download();
    let options = || Options {
        focus: Some("reports".into()),
        ..Options::default()
    };
    run(
        &store,
        options(),
        "the report downloads can take ages, bump its time limit to 20 minutes",
        &mut yes(),
    );
    let workflow = head(&store, "reports");
    assert_eq!(step(&workflow, "download").timeout_secs, Some(1200));
    assert_eq!(step(&workflow, "fetch-report").timeout_secs, None);
}

#[test]
fn everyday_ways_of_naming_a_change_to_undo_are_read() {
    let (_dir, store) = home_with_notify();
    let options = || Options {
        focus: Some("data-pipeline".into()),
        ..Options::default()
    };
    run(&store, options(), "set the table to orders_v2", &mut yes());
    run(
        &store,
        options(),
        "set the fetch timeout to 30 seconds",
        &mut yes(),
    );
    run(&store, options(), "remove the notify step", &mut yes());
    assert_eq!(versions(&store, "data-pipeline"), 4);
    // A removed step is named by what it was before the change.
    run(&store, options(), "bring the notifier back", &mut yes());
    let workflow = head(&store, "data-pipeline");
    assert_eq!(step(&workflow, "notify").skill_name(), Some("notifier"));
    // "I didn't mean to …, revert just that one": the change it names.
    run(
        &store,
        options(),
        "I didn't mean to change the table, revert just that one",
        &mut yes(),
    );
    let workflow = head(&store, "data-pipeline");
    assert_eq!(workflow.context.readonly["table"], "api_data");
    assert_eq!(step(&workflow, "fetch").timeout_secs, Some(30));
    assert!(workflow.steps.iter().any(|step| step.id == "notify"));
    // "take back the last 2 edits": two versions back.
    let before = versions(&store, "data-pipeline");
    run(&store, options(), "take back the last 2 edits", &mut yes());
    assert_eq!(versions(&store, "data-pipeline"), before + 1);
    let workflow = head(&store, "data-pipeline");
    assert!(!workflow.steps.iter().any(|step| step.id == "notify"));
    assert_eq!(workflow.context.readonly["table"], "orders_v2");
    // "the way it was when I first made it": version 1; "verion" is a typo.
    run(
        &store,
        options(),
        "put it back the way it was when I first made it",
        &mut yes(),
    );
    let workflow = head(&store, "data-pipeline");
    assert_eq!(workflow.context.readonly["table"], "api_data");
    assert_eq!(step(&workflow, "fetch").timeout_secs, None);
    let report = run(
        &store,
        options(),
        "roll back to verion 3 please",
        &mut yes(),
    );
    assert!(
        report
            .final_message
            .contains("I read 'verion' as 'version'")
    );
    assert_eq!(
        step(&head(&store, "data-pipeline"), "fetch").timeout_secs,
        Some(30)
    );
}

#[test]
fn a_limit_or_a_retention_names_the_max_or_keep_key_a_change_set() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "cleanup",
        json!({"name": "cleanup", "version": "1.0.0", "steps": [
            {"id": "prune", "type": "skill", "skill": "file-prune",
             "inputs": {"days": "context.keep_days", "most": "context.max_files"}, "timeout_secs": 60}
        ], "context": {"readonly": {"keep_days": 30, "max_files": 100}}}),
    );
    let options = || Options {
        focus: Some("cleanup".into()),
        ..Options::default()
    };
    run(&store, options(), "set max_files to 500", &mut yes());
    run(&store, options(), "set keep_days to 90", &mut yes());
    run(
        &store,
        options(),
        "set the prune timeout to 2 minutes",
        &mut yes(),
    );
    run(
        &store,
        options(),
        "put the file limit back how it was but keep the new prune timeout",
        &mut yes(),
    );
    let workflow = head(&store, "cleanup");
    assert_eq!(workflow.context.readonly["max_files"], 100);
    assert_eq!(workflow.context.readonly["keep_days"], 90);
    assert_eq!(step(&workflow, "prune").timeout_secs, Some(120));
    run(
        &store,
        options(),
        "put the retention back to what it was, but keep the longer timeout",
        &mut yes(),
    );
    let workflow = head(&store, "cleanup");
    assert_eq!(workflow.context.readonly["keep_days"], 30);
    assert_eq!(step(&workflow, "prune").timeout_secs, Some(120));
}

#[test]
fn reasons_purposes_and_remarks_about_others_are_set_aside() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "changelog",
        json!({"name": "changelog", "version": "1.0.0", "steps": [
            {"id": "list-prs", "type": "skill", "skill": "github-prs",
             "description": "List the PRs merged since the last tag", "outputs": ["prs"],
             "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}},
            {"id": "publish", "type": "skill", "skill": "github-release",
             "description": "Publish the GitHub release", "inputs": {"prs": "list-prs.prs"},
             "outputs": ["url"]},
            {"id": "upload", "type": "skill", "skill": "s3-put",
             "description": "Upload the notes", "inputs": {"file": "publish.url"}}
        ], "context": {"readonly": {}}}),
    );
    let options = || Options {
        focus: Some("changelog".into()),
        ..Options::default()
    };
    let saved = |id: &str| step(&head(&store, "changelog"), id).clone();
    // Someone else doing something to us is a reason; "PR" is one of the
    // `prs`; "never wait more than a minute" caps the wait.
    run(
        &store,
        options(),
        "GitHub rate-limits us, so for the PR listing start the backoff at 5 seconds and never wait more than a minute between tries",
        &mut yes(),
    );
    let handling = saved("list-prs").error_handling.expect("retry kept");
    assert_eq!(handling.max_attempts, Some(3));
    assert_eq!(handling.backoff, Some(Backoff::Exponential));
    assert_eq!(handling.initial_interval_ms, Some(5_000));
    assert_eq!(handling.max_interval_ms, Some(60_000));
    // A purpose before the change, a question mark, a dash.
    run(
        &store,
        options(),
        "To spare their servers, give the upload 40 seconds.",
        &mut yes(),
    );
    assert_eq!(saved("upload").timeout_secs, Some(40));
    run(
        &store,
        options(),
        "could you double the upload timeout? big notes keep blowing it",
        &mut yes(),
    );
    assert_eq!(saved("upload").timeout_secs, Some(80));
    run(
        &store,
        options(),
        "if the publish blows up, don't stop the whole run - just keep going",
        &mut yes(),
    );
    assert_eq!(
        saved("publish")
            .error_handling
            .map(|handling| handling.strategy),
        Some(Strategy::Continue)
    );
    // "nobody looks at …" says why; the removal is what is asked.
    let before = versions(&store, "changelog");
    run(
        &store,
        options(),
        "drop the upload, nobody looks at that bucket anymore",
        &mut yes(),
    );
    assert_eq!(versions(&store, "changelog"), before + 1);
    assert_eq!(ids(&head(&store, "changelog")), ["list-prs", "publish"]);
}

#[test]
fn a_number_and_the_thing_it_counts_set_the_key_that_names_it() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "transcode",
        json!({"name": "transcode", "version": "1.0.0", "steps": [
            {"id": "encode", "type": "skill", "skill": "ffmpeg-encode",
             "inputs": {"workers": "context.workers", "max_bytes": "context.max_size_gb"}},
            {"id": "caption", "type": "skill", "skill": "caption-write",
             "inputs": {"limit": "context.max_lines", "price": "context.max_cost_usd"}}
        ], "context": {"readonly": {"workers": 4, "max_size_gb": 2, "max_lines": 40, "max_cost_usd": 10}}}),
    );
    let options = || Options {
        focus: Some("transcode".into()),
        ..Options::default()
    };
    let value = |key: &str| head(&store, "transcode").context.readonly[key].clone();
    run(
        &store,
        options(),
        "the encoder should use twelve workers",
        &mut yes(),
    );
    assert_eq!(value("workers"), 12);
    run(
        &store,
        options(),
        "the caption line limit should be 60",
        &mut yes(),
    );
    assert_eq!(value("max_lines"), 60);
    // The old value after ", not" says which key; "dollars" is `usd`.
    run(
        &store,
        options(),
        "captions may cost up to fifteen dollars, not 10",
        &mut yes(),
    );
    assert_eq!(value("max_cost_usd"), 15);
    // A number whose thing no key names is not guessed.
    let report = run(
        &store,
        options(),
        "the encoder should use eight cores",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert_eq!(value("workers"), 12);
}

#[test]
fn what_is_taken_back_and_what_frames_the_ask_are_not_the_ask() {
    let (_dir, store) = home();
    let options = || Options {
        focus: Some("data-pipeline".into()),
        ..Options::default()
    };
    let workflow = || head(&store, "data-pipeline");
    // Taken back: only what follows "no wait" is asked.
    run(
        &store,
        options(),
        "validate the data once more... no wait, actually just change the table to events_v2",
        &mut yes(),
    );
    assert_eq!(workflow().context.readonly["table"], "events_v2");
    assert_eq!(versions(&store, "data-pipeline"), 2);
    // "for now just …" after a remark of the speaker's.
    run(
        &store,
        options(),
        "I'll validate the output later myself; for now just make the save retry three times",
        &mut yes(),
    );
    assert_eq!(
        step(&workflow(), "save")
            .error_handling
            .as_ref()
            .and_then(|handling| handling.max_attempts),
        Some(4)
    );
    assert!(step(&workflow(), "validate").error_handling.is_none());
    // Politeness names no step ("get" is no fetch here).
    run(&store, options(), "give the save 20 seconds", &mut yes());
    run(
        &store,
        options(),
        "whenever you get a sec, could the save time out after 25 s instead of 20?",
        &mut yes(),
    );
    assert_eq!(step(&workflow(), "save").timeout_secs, Some(25));
    assert_eq!(step(&workflow(), "fetch").timeout_secs, None);
    // "to compare notes" is a purpose, not a question about versions.
    run(
        &store,
        options(),
        "to compare notes with the data team, set the schema to schema-v3.json",
        &mut yes(),
    );
    assert_eq!(workflow().context.readonly["schema"], "schema-v3.json");
}

#[test]
fn a_converter_turns_things_one_way_and_a_channel_name_names_no_tool() {
    let (_dir, store) = home_with(&[
        skill_json(
            "speech-synth",
            "Turn text into spoken audio with a voice",
            &["text", "voice"],
            &["audio"],
        ),
        skill_json(
            "vosk-transcribe",
            "Transcribe the audio files in a folder to text with Vosk",
            &["dir"],
            &["transcripts"],
        ),
        skill_json(
            "email-send",
            "Send an email",
            &["to", "subject", "body"],
            &[],
        ),
        skill_json(
            "slack-post",
            "Post a message to a Slack channel",
            &["text", "channel"],
            &[],
        ),
        skill_json(
            "teams-post",
            "Post a message to a Microsoft Teams channel",
            &["text", "channel"],
            &[],
        ),
    ]);
    // `speech-synth` turns text into audio, the other way round; "set up
    // something that …" is no step.
    let report = run(
        &store,
        create_options(Some("calls")),
        "could you set up something that turns the call recordings in /srv/calls into text and emails the transcripts to desk@example.org",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["vosk-transcribe", "email-send"],
        "{}",
        report.final_message
    );
    // "#data-team" is a channel's name: Teams is not named by it.
    let report = run(
        &store,
        create_options(Some("calls-posted")),
        "transcribe the call recordings in /srv/calls and post the transcripts to #data-team",
        &mut yes(),
    );
    assert!(
        report.final_message.contains("slack-post") && report.final_message.contains("teams-post"),
        "{}",
        report.final_message
    );
    assert_eq!(store.list().expect("list").len(), 1);
}

#[test]
fn a_condition_said_with_a_contraction_and_a_check_of_a_file_not_a_web_address() {
    let (_dir, store) = home_with(&[
        skill_json(
            "roster-export",
            "Export the roster of a club from the members database",
            &["club"],
            &["roster"],
        ),
        skill_json(
            "url-check",
            "Check that a URL answers with HTTP 200",
            &["url"],
            &["ok", "status"],
        ),
        skill_json(
            "sftp-put",
            "Upload a file to a folder on an SFTP server",
            &["file", "host", "path"],
            &["remote_path"],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("roster")),
        "export the roster for club C-12, validate it against schemas/roster.json, and if it's valid upload it over sftp to files.club.example.org under /inbound",
        &mut yes(),
    );
    // `url-check` checks web addresses; the roster is checked by a new
    // skill, and "it's valid" is the condition, not a step.
    let (workflow, _) = created(&report);
    let skills = skills_of(&workflow);
    assert!(!skills.contains(&"url-check".to_string()), "{skills:?}");
    assert_eq!(skills.first().map(String::as_str), Some("roster-export"));
    assert_eq!(
        skills.last().map(String::as_str),
        Some("sftp-put"),
        "{skills:?}"
    );
}

#[test]
fn a_short_form_names_the_skill_to_swap_in_and_a_paging_step_is_found_by_its_kind() {
    let (_dir, store) = home_with(&[
        skill_json("smtp-mail", "Send an email", &["to", "body"], &[]),
        skill_json(
            "sms-send",
            "Send a text message (SMS) to a phone number",
            &["to", "message"],
            &[],
        ),
        skill_json(
            "translate-text",
            "Translate text into another language",
            &["text", "target_language"],
            &["translated"],
        ),
        skill_json(
            "opsgenie-alert",
            "Raise an Opsgenie alert",
            &["summary", "api_key"],
            &["alert_id"],
        ),
        skill_json(
            "disk-check",
            "Check free disk space",
            &["host"],
            &["report"],
        ),
    ]);
    add_workflow(
        &store,
        "disk-watch",
        json!({"name": "disk-watch", "version": "1.0.0", "steps": [
            {"id": "check", "type": "skill", "skill": "disk-check", "inputs": {"host": "context.host"},
             "outputs": ["report"]},
            {"id": "alert-oncall", "type": "skill", "skill": "opsgenie-alert",
             "inputs": {"summary": "check.report", "api_key": "context.og_key"}},
            {"id": "mail-admin", "type": "skill", "skill": "smtp-mail",
             "inputs": {"to": "context.admin", "body": "check.report"}}
        ], "context": {"readonly": {"host": "db-01", "og_key": "OG-1", "admin": "ops@example.org"}}}),
    );
    let options = || Options {
        focus: Some("disk-watch".into()),
        ..Options::default()
    };
    // "text" is what `sms` stands for; `translate-text` translates.
    run(
        &store,
        options(),
        "text the admin instead of emailing, at +1 555 0142",
        &mut yes(),
    );
    let workflow = head(&store, "disk-watch");
    assert_eq!(step(&workflow, "mail-admin").skill_name(), Some("sms-send"));
    // "instead of alerting them": the one alerting step, by its kind (on
    // the workflow as it was: a skill it already uses is not swapped in).
    run(&store, options(), "undo", &mut yes());
    run(
        &store,
        options(),
        "Text the oncall on +351 912 345 678 instead of alerting them",
        &mut yes(),
    );
    let workflow = head(&store, "disk-watch");
    assert_eq!(
        step(&workflow, "alert-oncall").skill_name(),
        Some("sms-send")
    );
    assert_eq!(
        step(&workflow, "alert-oncall").inputs.get("message"),
        Some(&json!("check.report"))
    );
}

#[test]
fn a_backoff_switched_with_a_cap_and_tries_counted_in_total() {
    let (_dir, store) = home();
    let options = || Options {
        focus: Some("data-pipeline".into()),
        ..Options::default()
    };
    let handling = |id: &str| {
        step(&head(&store, "data-pipeline"), id)
            .error_handling
            .clone()
            .expect("a retry")
    };
    // "try … three times in total" counts every try.
    run(
        &store,
        options(),
        "try the save three times in total, with linear backoff",
        &mut yes(),
    );
    assert_eq!(handling("save").max_attempts, Some(3));
    assert_eq!(handling("save").backoff, Some(Backoff::Linear));
    run(&store, options(), "retry the fetch 4 times", &mut yes());
    // "…, but never wait more than …" caps the wait; it leaves no step out.
    run(
        &store,
        options(),
        "Switch the fetch to linear backoff, but never wait more than thirty seconds between tries.",
        &mut yes(),
    );
    let fetch = handling("fetch");
    assert_eq!(
        (fetch.max_attempts, fetch.backoff, fetch.max_interval_ms),
        (Some(5), Some(Backoff::Linear), Some(30_000))
    );
    run(
        &store,
        options(),
        "the fetch should get 6 tries in total",
        &mut yes(),
    );
    assert_eq!(handling("fetch").max_attempts, Some(6));
}

#[test]
fn a_hyphenated_duration_a_time_in_a_wish_list_and_a_language_made_into() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "reminders",
        json!({"name": "reminders", "version": "1.0.0", "steps": [
            {"id": "find-due", "type": "skill", "skill": "due-finder",
             "inputs": {"clinic": "context.clinic_id", "days": "context.window_days"},
             "outputs": ["due"], "timeout_secs": 60},
            {"id": "send-mail", "type": "skill", "skill": "mailer", "inputs": {"to": "find-due.due"}}
        ], "context": {"readonly": {"clinic_id": "north-01", "window_days": 14}}}),
    );
    let options = || Options {
        focus: Some("reminders".into()),
        ..Options::default()
    };
    // "10-day" is ten days, no word to put in a word-valued key.
    run(
        &store,
        options(),
        "For the record, the practice wants a 10-day reminder window now.",
        &mut yes(),
    );
    let workflow = head(&store, "reminders");
    assert_eq!(workflow.context.readonly["window_days"], 10);
    assert_eq!(workflow.context.readonly["clinic_id"], "north-01");
    // A wish that gives a time is asked, not set aside.
    run(
        &store,
        options(),
        "Quick tally of what I need: the due finder gets an hour, and the mail step retries twice.",
        &mut yes(),
    );
    let workflow = head(&store, "reminders");
    assert_eq!(step(&workflow, "find-due").timeout_secs, Some(3600));
    assert_eq!(
        step(&workflow, "send-mail")
            .error_handling
            .as_ref()
            .and_then(|handling| handling.max_attempts),
        Some(3)
    );
    // "put them into Welsh" translates.
    let (_dir, store) = home_with(&[
        skill_json(
            "dir-list",
            "List the files in a folder",
            &["path"],
            &["files"],
        ),
        skill_json(
            "translate-doc",
            "Translate documents into a target language",
            &["documents", "target_language"],
            &["translated"],
        ),
        skill_json(
            "sftp-put",
            "Upload a file to a folder on an SFTP server",
            &["file", "host", "path"],
            &["remote_path"],
        ),
    ]);
    let report = run(
        &store,
        create_options(Some("welsh-subs")),
        "Take the subtitle files in /media/subs/outgoing, put them into Welsh, then upload them over sftp to subs.example.org, folder /incoming/cy.",
        &mut yes(),
    );
    let (workflow, _) = created(&report);
    assert_eq!(
        skills_of(&workflow),
        ["dir-list", "translate-doc", "sftp-put"],
        "{}",
        report.final_message
    );
}

#[test]
fn a_count_compared_with_a_list_output_asks_which_output_holds_the_number() {
    let (_dir, store) = home_with(&[skill_json(
        "orders-pull",
        "Pull the open orders",
        &["store"],
        &["orders"],
    )]);
    add_workflow(
        &store,
        "picking",
        json!({"name": "picking", "version": "1.0.0", "steps": [
            {"id": "pull", "type": "skill", "skill": "orders-pull", "inputs": {"store": "context.store"},
             "outputs": ["orders"]},
            {"id": "print-lists", "type": "skill", "skill": "list-printer", "inputs": {"orders": "pull.orders"}}
        ], "context": {"readonly": {"store": "north"}}}),
    );
    // `orders` is the orders, not how many: `orders > 200` could not run.
    let report = run(
        &store,
        Options {
            focus: Some("picking".into()),
            ..Options::default()
        },
        "Only print the pick lists when there are more than 200 orders.",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert!(
        report.final_message.contains("declares none a number"),
        "{}",
        report.final_message
    );
    assert_eq!(versions(&store, "picking"), 1);
}

#[test]
fn one_of_a_group_of_alike_steps_is_asked_and_a_new_message_needs_someone_to_reach() {
    let (_dir, store) = empty_home();
    add_workflow(
        &store,
        "telemetry",
        json!({"name": "telemetry", "version": "1.0.0", "steps": [
            {"id": "poll-meters", "type": "parallel", "steps": [
                {"id": "poll-east", "type": "skill", "skill": "meter-read", "outputs": ["kwh"], "timeout_secs": 15},
                {"id": "poll-west", "type": "skill", "skill": "meter-read", "outputs": ["kwh"], "timeout_secs": 15}]},
            {"id": "store", "type": "skill", "skill": "tsdb-write",
             "inputs": {"east": "poll-east.kwh", "west": "poll-west.kwh"}}
        ], "context": {"readonly": {}}}),
    );
    let options = || Options {
        focus: Some("telemetry".into()),
        ..Options::default()
    };
    // "the meter poll" is one of the two polls: which one is asked.
    let report = run(
        &store,
        options(),
        "Bump the meter poll timeout to 40 seconds.",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert!(
        report.final_message.contains("poll-east") && report.final_message.contains("poll-west"),
        "{}",
        report.final_message
    );
    // "the meter polls" are both.
    run(
        &store,
        options(),
        "Bump the meter polls timeout to 40 seconds.",
        &mut yes(),
    );
    let workflow = head(&store, "telemetry");
    assert_eq!(step(&workflow, "poll-east").timeout_secs, Some(40));
    assert_eq!(step(&workflow, "poll-west").timeout_secs, Some(40));
    // A new message to someone no number or address names: asked.
    let report = run(
        &store,
        options(),
        "Also text the duty engineer whenever readings are stored.",
        &mut yes(),
    );
    assert!(report.applied.is_empty(), "{}", report.final_message);
    assert!(
        report.final_message.contains("phone number"),
        "{}",
        report.final_message
    );
}

#[test]
fn writing_down_what_was_said_is_transcribing_not_a_write_to_a_store() {
    let (_dir, store) = home_with(&[
        skill_json(
            "dir-list",
            "List the files in a folder",
            &["path"],
            &["files"],
        ),
        skill_json(
            "chat-post",
            "Save a message to the team chat",
            &["text", "webhook_url"],
            &[],
        ),
        skill_json("smtp-email", "Send an email", &["to", "body"], &[]),
    ]);
    // No installed skill transcribes: asked, or a new skill that
    // transcribes; never a store or the chat.
    let report = run(
        &store,
        create_options(Some("vm")),
        "Take the voicemail recordings in /var/spool/vm, write down what the callers said, and email the transcripts to desk@example.org.",
        &mut yes(),
    );
    for summary in store.list().expect("list") {
        let workflow = head(&store, &summary.name);
        let skills = skills_of(&workflow);
        assert!(
            skills.iter().any(|skill| skill.contains("transcri"))
                && !skills.contains(&"chat-post".to_string()),
            "{skills:?}: {}",
            report.final_message
        );
    }
}
