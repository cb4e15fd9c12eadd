//! The eval harness: cases in `evals/<suite>/*.json` run through the real
//! loop and gate in a fresh temporary home, checked against expectations,
//! and scored. Model exchanges can be recorded and replayed, so a run against
//! a real model can become a CI check.

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;
use thiserror::Error;

use super::gate::{Policy, PolicyGate};
use super::model::{Message, Model, ModelError, ModelReply, ModelRequest, ToolCall, Usage};
use super::scope::Scope;
use super::session::{Mode, Options, Report, Session};
use crate::core::skill::Skill;
use crate::core::{Modification, Verdict, Workflow, validate};
use crate::store::{Change, Context, Origin, Provenance, Store};

#[derive(Debug, Error)]
pub enum EvalError {
    #[error("cannot read {path}: {message}")]
    Read { path: PathBuf, message: String },
    #[error("{path}:{line}:{column}: not a valid eval case: {message}")]
    Case {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error("no eval cases found in {path}")]
    Empty { path: PathBuf },
}

impl EvalError {
    pub fn hint(&self) -> String {
        match self {
            EvalError::Read { .. } => {
                "check the path; cases live in evals/<suite>/<case>.json".into()
            }
            EvalError::Case { .. } => {
                "compare the case with the format described in evals/README.md".into()
            }
            EvalError::Empty { .. } => {
                "point `qwf eval` at evals/ or at one suite folder, or loosen --filter".into()
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseCommand {
    Create,
    Edit,
    Do,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ScopeSpec {
    Step {
        step: String,
    },
    /// "error_handling" or "context".
    Named(String),
}

/// What a case expects; every field is optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    pub applied: Option<bool>,
    pub verdict: Option<Verdict>,
    pub question: Option<bool>,
    #[serde(default)]
    pub values: BTreeMap<String, Value>,
    #[serde(default)]
    pub absent: Vec<String>,
    pub unchanged_except: Option<Vec<String>>,
    pub step_count: Option<usize>,
    pub data_flow_valid: Option<bool>,
    #[serde(default)]
    pub skills_reused: Vec<String>,
    #[serde(default)]
    pub skills_proposed: Vec<String>,
    #[serde(default)]
    pub message_contains: Vec<String>,
    pub version: Option<u64>,
}

/// One case file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseSpec {
    #[serde(default)]
    pub description: String,
    pub command: CaseCommand,
    pub workflow: Option<String>,
    pub scope: Option<ScopeSpec>,
    pub name: Option<String>,
    pub request: String,
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub workflows: BTreeMap<String, Value>,
    #[serde(default)]
    pub skills: Vec<Skill>,
    /// Modification lists applied to `workflow` before the case, one version each.
    #[serde(default)]
    pub history: Vec<Vec<Modification>>,
    #[serde(default)]
    pub expect: Expect,
}

/// A case with where it came from and its suite's starting state.
#[derive(Debug, Clone)]
pub struct Case {
    /// The set the case belongs to (`dev`, `heldout`), or "" when the
    /// suites are not split into sets.
    pub set: String,
    pub suite: String,
    pub name: String,
    pub spec: CaseSpec,
    workflows: BTreeMap<String, Workflow>,
    skills: Vec<Skill>,
}

impl Case {
    pub fn id(&self) -> String {
        if self.set.is_empty() {
            format!("{}/{}", self.suite, self.name)
        } else {
            format!("{}/{}/{}", self.set, self.suite, self.name)
        }
    }

    /// The skills installed before the case runs (the suite's and its own).
    pub fn skills(&self) -> &[Skill] {
        &self.skills
    }
}

fn read(path: &Path) -> Result<String, EvalError> {
    fs::read_to_string(path).map_err(|error| EvalError::Read {
        path: path.to_path_buf(),
        message: error.to_string(),
    })
}

fn parse<T: for<'de> Deserialize<'de>>(path: &Path, text: &str) -> Result<T, EvalError> {
    serde_json::from_str(text).map_err(|error| EvalError::Case {
        path: path.to_path_buf(),
        line: error.line(),
        column: error.column(),
        message: crate::store::plan::strip_position(&error),
    })
}

fn json_files(directory: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let entries = fs::read_dir(directory).map_err(|error| EvalError::Read {
        path: directory.to_path_buf(),
        message: error.to_string(),
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.is_file()
                && path
                    .extension()
                    .is_some_and(|extension| extension == "json")
        })
        .collect();
    files.sort();
    Ok(files)
}

/// The folder of recordings in a folder of suites (`evals/recordings`).
pub const RECORDINGS: &str = "recordings";

/// The suite folders under `directory`, each with the set it belongs to:
/// `directory` itself when it holds cases; else its folders that hold
/// cases (suites, set ""); else its folders of suites (sets such as `dev`
/// and `heldout`, see evals/README.md).
fn suite_folders(directory: &Path) -> Result<Vec<(String, PathBuf)>, EvalError> {
    if !json_files(directory)?.is_empty() {
        return Ok(vec![(String::new(), directory.to_path_buf())]);
    }
    let mut found = Vec::new();
    for folder in sub_folders(directory)? {
        if !json_files(&folder)?.is_empty() {
            found.push((String::new(), folder));
            continue;
        }
        let set = folder_name(&folder);
        for suite in sub_folders(&folder)? {
            if !json_files(&suite)?.is_empty() {
                found.push((set.clone(), suite));
            }
        }
    }
    Ok(found)
}

fn sub_folders(directory: &Path) -> Result<Vec<PathBuf>, EvalError> {
    let entries = fs::read_dir(directory).map_err(|error| EvalError::Read {
        path: directory.to_path_buf(),
        message: error.to_string(),
    })?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        // Recordings of model runs live beside the suites; they are not
        // cases.
        .filter(|path| path.is_dir() && !path.ends_with(RECORDINGS))
        .collect();
    folders.sort();
    Ok(folders)
}

fn folder_name(path: &Path) -> String {
    path.file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Loads the cases under `directory`: a suite folder, a folder of suites,
/// or a folder of sets of suites (`evals/dev/<suite>`, `evals/heldout/<suite>`).
/// `filter` keeps cases whose `suite/name` (or `set/suite/name`) contains it.
pub fn load(directory: &Path, filter: Option<&str>) -> Result<Vec<Case>, EvalError> {
    let mut cases = Vec::new();
    for (set, suite_path) in suite_folders(directory)? {
        let suite = folder_name(&suite_path);
        let mut workflows = BTreeMap::new();
        if suite_path.join("workflows").is_dir() {
            for path in json_files(&suite_path.join("workflows"))? {
                let text = read(&path)?;
                let workflow = Workflow::from_json_str(&text).map_err(|error| EvalError::Case {
                    path: path.clone(),
                    line: error.line,
                    column: error.column,
                    message: error.message,
                })?;
                let name = path
                    .file_stem()
                    .map(|stem| stem.to_string_lossy().into_owned())
                    .unwrap_or_default();
                workflows.insert(name, workflow);
            }
        }
        let mut skills = Vec::new();
        if suite_path.join("skills").is_dir() {
            for path in json_files(&suite_path.join("skills"))? {
                skills.push(parse::<Skill>(&path, &read(&path)?)?);
            }
        }
        for path in json_files(&suite_path)? {
            let name = path
                .file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
                .unwrap_or_default();
            let id = if set.is_empty() {
                format!("{suite}/{name}")
            } else {
                format!("{set}/{suite}/{name}")
            };
            if filter.is_some_and(|filter| !id.contains(filter)) {
                continue;
            }
            let spec: CaseSpec = parse(&path, &read(&path)?)?;
            let mut case_workflows = workflows.clone();
            for (workflow_name, value) in &spec.workflows {
                let workflow =
                    Workflow::from_value(value.clone()).map_err(|error| EvalError::Case {
                        path: path.clone(),
                        line: 0,
                        column: 0,
                        message: format!("workflow '{workflow_name}': {}", error.message),
                    })?;
                case_workflows.insert(workflow_name.clone(), workflow);
            }
            let mut case_skills = skills.clone();
            case_skills.extend(spec.skills.iter().cloned());
            cases.push(Case {
                set: set.clone(),
                suite: suite.clone(),
                name,
                spec,
                workflows: case_workflows,
                skills: case_skills,
            });
        }
    }
    if cases.is_empty() {
        return Err(EvalError::Empty {
            path: directory.to_path_buf(),
        });
    }
    Ok(cases)
}

/// How one case went.
#[derive(Debug, Clone, Serialize)]
pub struct CaseResult {
    /// The case's set (`dev`, `heldout`), "" when suites are not split.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub set: String,
    pub suite: String,
    pub name: String,
    pub passed: bool,
    pub failures: Vec<String>,
    /// A change reached the store (a new version, or a new workflow).
    pub applied: bool,
    /// A change reached the store that the case did not expect: it
    /// expected nothing applied, or the saved result fails its
    /// expectations. The worst outcome, counted apart from the pass rate.
    pub silent_wrong: bool,
    /// The case could not be scored: the model could not be reached, or
    /// answered with an HTTP error or not in time. Not a failure of the
    /// model's judgement.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errored: Option<String>,
    /// Replaying: the run asked what the recording does not hold.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stale: Option<String>,
    /// Stopped by Ctrl-C before it finished; left out of the report.
    #[serde(skip)]
    pub cancelled: bool,
    /// Whether the first proposal was valid as made (`None`: no proposal).
    pub first_try_valid: Option<bool>,
    /// No unknown tools, bad arguments or unknown steps in the model's calls.
    pub well_formed: bool,
    pub tool_calls: usize,
    pub usage: Usage,
    pub final_message: String,
}

impl CaseResult {
    /// `set/suite/name`, or `suite/name` when suites are not split.
    pub fn id(&self) -> String {
        if self.set.is_empty() {
            format!("{}/{}", self.suite, self.name)
        } else {
            format!("{}/{}/{}", self.set, self.suite, self.name)
        }
    }
}

fn setup_error(case: &Case, message: String) -> CaseResult {
    CaseResult {
        set: case.set.clone(),
        suite: case.suite.clone(),
        name: case.name.clone(),
        passed: false,
        failures: vec![message],
        applied: false,
        silent_wrong: false,
        errored: None,
        stale: None,
        cancelled: false,
        first_try_valid: None,
        well_formed: false,
        tool_calls: 0,
        usage: Usage::default(),
        final_message: String::new(),
    }
}

/// The result of a case that could not run because its recording is
/// missing or unreadable: stale.
pub fn stale(case: &Case, why: String) -> CaseResult {
    let mut result = setup_error(case, String::new());
    result.failures.clear();
    result.stale = Some(why);
    result
}

/// Runs one case in a fresh temporary home with `model`.
pub fn run_case(case: &Case, model: &dyn Model) -> CaseResult {
    run_case_with_transcript(case, model).0
}

/// [`run_case`], also giving the whole conversation as it ended: the last
/// turn's tool results included, which no model request carried.
pub fn run_case_with_transcript(case: &Case, model: &dyn Model) -> (CaseResult, Vec<Message>) {
    let home = match tempfile::tempdir() {
        Ok(home) => home,
        Err(error) => {
            let mut result = setup_error(case, format!("cannot create a temporary home: {error}"));
            result.errored = result.failures.first().cloned();
            return (result, Vec::new());
        }
    };
    run_in(case, model, &home)
}

fn run_in(case: &Case, model: &dyn Model, home: &tempfile::TempDir) -> (CaseResult, Vec<Message>) {
    let setup_error = |case: &Case, message: String| (setup_error(case, message), Vec::new());
    let store = Store::new(home.path());
    let context = Context {
        now: "2026-01-01T00:00:00Z".into(),
        on_wait: &|| {},
    };
    let setup = |what: &str| {
        Provenance::new(
            what,
            Origin::Command {
                command: "qwf eval (setup)".into(),
            },
        )
    };
    for (name, workflow) in &case.workflows {
        if let Err(error) = store.create(name, workflow, setup("Starting state"), &context) {
            return setup_error(case, format!("cannot set up workflow '{name}': {error}"));
        }
    }
    for skill in &case.skills {
        if let Err(error) = store.create_skill(skill) {
            return setup_error(
                case,
                format!("cannot set up skill '{}': {error}", skill.name),
            );
        }
    }
    let target = case.spec.workflow.clone();
    if let Some(target) = &target {
        for modifications in &case.spec.history {
            if let Err(error) = store.commit(
                target,
                None,
                Change::Modify(modifications.clone()),
                // Described as qwf describes changes, so history reads true.
                setup(
                    &modifications
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                &context,
            ) {
                return setup_error(
                    case,
                    format!("cannot build the history of '{target}': {error}"),
                );
            }
        }
    }
    let start = target
        .as_ref()
        .and_then(|target| store.head(target, &context).ok());
    let skills_before: BTreeSet<String> =
        case.skills.iter().map(|skill| skill.name.clone()).collect();
    let workflows_before: BTreeSet<String> = case.workflows.keys().cloned().collect();
    let mode = match case.spec.command {
        CaseCommand::Create => Mode::Create {
            name: case.spec.name.clone(),
        },
        CaseCommand::Do => Mode::General,
        CaseCommand::Edit => {
            let Some(workflow) = target.clone() else {
                return setup_error(case, "an edit case needs \"workflow\"".into());
            };
            let scope = match &case.spec.scope {
                None => None,
                Some(ScopeSpec::Step { step }) => Some(Scope::Step(step.clone())),
                Some(ScopeSpec::Named(name)) if name == "error_handling" => {
                    Some(Scope::ErrorHandling)
                }
                Some(ScopeSpec::Named(name)) if name == "context" => Some(Scope::Context),
                Some(ScopeSpec::Named(other)) => {
                    return setup_error(case, format!("unknown scope '{other}'"));
                }
            };
            Mode::Edit { workflow, scope }
        }
    };
    let options = Options {
        mode,
        focus: target.clone(),
        ..Options::default()
    };
    let mut session = Session::new(
        model,
        &store,
        Context {
            now: context.now.clone(),
            on_wait: &|| {},
        },
        options,
    );
    let mut gate = PolicyGate {
        policy: Policy {
            yes: true,
            force: case.spec.force,
            dry_run: false,
        },
    };
    let report = match session.run(&case.spec.request, &mut gate) {
        Ok(report) => report,
        Err(error) => {
            let message = format!("the model failed: {error} ({})", error.hint());
            let (mut result, _) = setup_error(case, message.clone());
            match error {
                ModelError::Cancelled => result.cancelled = true,
                // The model answered, at length: its failure, scored.
                ModelError::Truncated { .. } => {}
                _ => result.errored = Some(message),
            }
            return (result, session.messages().to_vec());
        }
    };
    // The workflow the expectations look at: the case's, or the one created.
    let result_name = target.clone().or_else(|| {
        store
            .list()
            .ok()?
            .into_iter()
            .map(|summary| summary.name)
            .find(|name| !workflows_before.contains(name))
    });
    let result = result_name
        .as_ref()
        .and_then(|name| store.head(name, &context).ok());
    let skills_after: BTreeSet<String> = store
        .skills()
        .map(|(skills, _)| skills.into_iter().map(|skill| skill.name).collect())
        .unwrap_or_default();
    let mut failures = check_conversation(&case.spec.expect, &report);
    let saved = check_result(
        &case.spec.expect,
        start.as_ref().map(|head| &head.workflow),
        result.as_ref(),
        &skills_before,
        &skills_after,
    );
    let applied = !report.applied.is_empty();
    let silent_wrong = silent_wrong(&case.spec.expect, applied, &saved);
    failures.extend(saved);
    let result = CaseResult {
        set: case.set.clone(),
        suite: case.suite.clone(),
        name: case.name.clone(),
        passed: failures.is_empty(),
        failures,
        applied,
        silent_wrong,
        errored: None,
        stale: None,
        cancelled: false,
        first_try_valid: report.first_proposal_valid,
        well_formed: report.invalid_calls == 0,
        tool_calls: report.tool_calls.len(),
        usage: report.usage,
        final_message: report.final_message.clone(),
    };
    (result, session.messages().to_vec())
}

/// Whether a change was saved that the case did not expect: it expected
/// nothing applied (or a question instead), or the saved result fails the
/// case's expectations (`saved_failures`, from [`check_result`]).
fn silent_wrong(expect: &Expect, applied: bool, saved_failures: &[String]) -> bool {
    applied
        && (expect.applied == Some(false)
            || expect.question == Some(true)
            || !saved_failures.is_empty())
}

/// What the conversation did: applied or not, the verdict, a question,
/// the final message.
fn check_conversation(expect: &Expect, report: &Report) -> Vec<String> {
    let mut failures = Vec::new();
    let applied = !report.applied.is_empty();
    if let Some(expected) = expect.applied
        && expected != applied
    {
        let why = report
            .declined
            .first()
            .map(|declined| format!(" (declined: {})", declined.reason))
            .unwrap_or_default();
        failures.push(format!("applied: expected {expected}, got {applied}{why}"));
    }
    if let Some(expected) = expect.verdict {
        let verdict = report
            .applied
            .last()
            .map(|applied| applied.verdict)
            .or(report.declined.last().map(|declined| declined.verdict));
        if verdict != Some(expected) {
            failures.push(format!(
                "verdict: expected {expected}, got {}",
                verdict.map_or("(no proposal)".to_string(), |verdict| verdict.to_string())
            ));
        }
    }
    if let Some(expected) = expect.question
        && expected != report.question.is_some()
    {
        failures.push(format!(
            "question: expected {expected}, got {:?}",
            report.question
        ));
    }
    let message = report.final_message.to_lowercase();
    for needle in &expect.message_contains {
        if !message.contains(&needle.to_lowercase()) {
            failures.push(format!(
                "message: expected it to contain {needle:?}, got {:?}",
                report.final_message
            ));
        }
    }
    failures
}

/// What was saved: the resulting workflow and skills against the case's
/// expectations.
fn check_result(
    expect: &Expect,
    start: Option<&Workflow>,
    result: Option<&crate::store::Head>,
    skills_before: &BTreeSet<String>,
    skills_after: &BTreeSet<String>,
) -> Vec<String> {
    let mut failures = Vec::new();
    let needs_result = !expect.values.is_empty()
        || !expect.absent.is_empty()
        || expect.unchanged_except.is_some()
        || expect.step_count.is_some()
        || expect.data_flow_valid.is_some()
        || !expect.skills_reused.is_empty()
        || expect.version.is_some();
    let Some(result) = result else {
        if needs_result {
            failures.push("no resulting workflow to check".into());
        }
        return failures;
    };
    let value = result.workflow.to_value();
    for (pointer, expected) in &expect.values {
        match value.pointer(pointer) {
            Some(actual) if actual == expected => {}
            Some(actual) => failures.push(format!("{pointer}: expected {expected}, got {actual}")),
            None => failures.push(format!("{pointer}: expected {expected}, got nothing")),
        }
    }
    for pointer in &expect.absent {
        if let Some(actual) = value.pointer(pointer) {
            failures.push(format!("{pointer}: expected nothing, got {actual}"));
        }
    }
    if let (Some(allowed), Some(start)) = (&expect.unchanged_except, start) {
        let after = crate::core::tree::StepIndex::new(&result.workflow);
        let visits = crate::core::tree::walk(start);
        // A container listed allows changes to the steps inside it: a case
        // naming the conditional that holds the changed step means it.
        let allowed_within: Vec<String> = visits
            .iter()
            .filter(|visited| allowed.contains(&visited.step.id))
            .map(|visited| format!("{}/", visited.pointer))
            .collect();
        for visited in &visits {
            let id = &visited.step.id;
            if allowed.contains(id)
                || allowed_within
                    .iter()
                    .any(|prefix| visited.pointer.starts_with(prefix.as_str()))
            {
                continue;
            }
            match after.get(id) {
                None => failures.push(format!("step '{id}' should be unchanged but was removed")),
                Some(now) if now.step.own_fields() != visited.step.own_fields() => {
                    failures.push(format!("step '{id}' should be unchanged but was modified"))
                }
                Some(_) => {}
            }
        }
    }
    if let Some(expected) = expect.step_count
        && expected != result.workflow.steps.len()
    {
        failures.push(format!(
            "step_count: expected {expected}, got {}",
            result.workflow.steps.len()
        ));
    }
    if let Some(expected) = expect.data_flow_valid {
        let report = validate(&result.workflow, None);
        if expected != report.is_valid() {
            let first = report
                .errors()
                .next()
                .map(|issue| format!(": {}", issue.message))
                .unwrap_or_default();
            failures.push(format!(
                "data_flow_valid: expected {expected}, got {}{first}",
                report.is_valid()
            ));
        }
    }
    let used: BTreeSet<String> = crate::core::tree::walk(&result.workflow)
        .into_iter()
        .filter_map(|visited| visited.step.skill_name().map(str::to_string))
        .collect();
    for skill in &expect.skills_reused {
        if !(skills_before.contains(skill) && used.contains(skill)) {
            failures.push(format!(
                "skills_reused: expected existing skill '{skill}' to be used"
            ));
        }
    }
    for skill in &expect.skills_proposed {
        if skills_before.contains(skill) || !skills_after.contains(skill) {
            failures.push(format!(
                "skills_proposed: expected skill '{skill}' to be created"
            ));
        }
    }
    if let Some(expected) = expect.version
        && expected != result.record.version
    {
        failures.push(format!(
            "version: expected v{expected}, got v{}",
            result.record.version
        ));
    }
    failures
}

/// One model exchange of a recording.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Exchange {
    pub request: Vec<Message>,
    pub text: String,
    pub tool_calls: Vec<ToolCall>,
    pub usage: Usage,
    /// How long the model took, in milliseconds (recorded for the report;
    /// a replay answers at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latency_ms: Option<u64>,
    /// The answer was cut off at the answer length: the error qwf gave
    /// (message, hint), replayed as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub truncated: Option<(String, String)>,
}

/// How a recorded case ended, to compare a replay against.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecordedOutcome {
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errored: Option<String>,
}

/// A case's recording: every model exchange, the whole conversation as it
/// ended (the last turn's tool results too), and the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recording {
    /// The model, as `qwf model` describes it.
    #[serde(default)]
    pub model: String,
    pub exchanges: Vec<Exchange>,
    #[serde(default)]
    pub transcript: Vec<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<RecordedOutcome>,
}

impl Recording {
    /// Reads a recording; the first format (a bare list of exchanges) too.
    pub fn from_json(text: &str) -> Result<Recording, serde_json::Error> {
        match serde_json::from_str::<Recording>(text) {
            Ok(recording) => Ok(recording),
            Err(error) => match serde_json::from_str::<Vec<Exchange>>(text) {
                Ok(exchanges) => Ok(Recording {
                    model: String::new(),
                    exchanges,
                    transcript: Vec::new(),
                    outcome: None,
                }),
                Err(_) => Err(error),
            },
        }
    }
}

/// Where a case's recording lives under a recording directory: by set,
/// suite and case name (`dev/edit-timeouts/NAME.json`). A recording made
/// before the suite moved into its set (`edit-timeouts/NAME.json`) is
/// still found.
pub fn recording_path(directory: &Path, case: &Case) -> PathBuf {
    let file = format!("{}.json", case.name);
    let exact = directory.join(&case.set).join(&case.suite).join(&file);
    if exact.exists() || case.set.is_empty() {
        return exact;
    }
    let before_the_move = directory.join(&case.suite).join(&file);
    if before_the_move.exists() {
        before_the_move
    } else {
        exact
    }
}

/// Whether `directory` holds recordings of `case`'s suite (in its set, or
/// as recorded before the suite moved into it).
pub fn suite_recorded(directory: &Path, case: &Case) -> bool {
    directory.join(&case.set).join(&case.suite).is_dir() || directory.join(&case.suite).is_dir()
}

/// Wraps a model and keeps every exchange. Recordings hold the conversation
/// only: API keys and authorization headers never reach this layer.
pub struct Recorder<'a> {
    inner: &'a dyn Model,
    pub exchanges: RefCell<Vec<Exchange>>,
}

impl<'a> Recorder<'a> {
    pub fn new(inner: &'a dyn Model) -> Self {
        Recorder {
            inner,
            exchanges: RefCell::new(Vec::new()),
        }
    }

    /// Writes the recording of a case to `path` as pretty JSON.
    pub fn save(
        &self,
        path: &Path,
        result: &CaseResult,
        transcript: Vec<Message>,
    ) -> Result<(), crate::store::StoreError> {
        let recording = Recording {
            model: self.inner.describe(),
            exchanges: self.exchanges.borrow().clone(),
            transcript,
            outcome: Some(RecordedOutcome {
                passed: result.passed,
                failures: result.failures.clone(),
                errored: result.errored.clone(),
            }),
        };
        let mut text = serde_json::to_string_pretty(&recording)
            .expect("recordings are always representable as JSON");
        text.push('\n');
        crate::store::write_atomic(path, text.as_bytes())
    }
}

impl Model for Recorder<'_> {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn needs_reminders(&self) -> bool {
        self.inner.needs_reminders()
    }

    fn respond(&self, request: &ModelRequest<'_>) -> Result<ModelReply, ModelError> {
        let started = std::time::Instant::now();
        let answer = self.inner.respond(request);
        let latency_ms = Some(started.elapsed().as_millis() as u64);
        match &answer {
            Ok(reply) => self.exchanges.borrow_mut().push(Exchange {
                request: request.messages.to_vec(),
                text: reply.text.clone(),
                tool_calls: reply.tool_calls.clone(),
                usage: reply.usage,
                latency_ms,
                truncated: None,
            }),
            Err(ModelError::Truncated { message, hint }) => {
                self.exchanges.borrow_mut().push(Exchange {
                    request: request.messages.to_vec(),
                    text: String::new(),
                    tool_calls: Vec::new(),
                    usage: Usage::default(),
                    latency_ms,
                    truncated: Some((message.clone(), hint.clone())),
                })
            }
            Err(_) => {}
        }
        answer
    }
}

/// Answers from a recording; a request that differs from the recorded one
/// means the case is stale (the prompt, the tools' results or the starting
/// state changed since it was recorded).
pub struct Replayer {
    recording: Recording,
    next: Cell<usize>,
    stale: RefCell<Option<String>>,
}

impl Replayer {
    /// The recording at `path`; why it cannot be used (missing,
    /// unreadable), which makes the case stale.
    pub fn load(path: &Path) -> Result<Self, String> {
        let text = fs::read_to_string(path)
            .map_err(|error| format!("no recording at {} ({error})", path.display()))?;
        let recording = Recording::from_json(&text).map_err(|error| {
            format!("the recording {} is not readable ({error})", path.display())
        })?;
        Ok(Replayer {
            recording,
            next: Cell::new(0),
            stale: RefCell::new(None),
        })
    }

    /// Why the replay left the recording, if it did.
    pub fn stale(&self) -> Option<String> {
        self.stale.borrow().clone()
    }

    /// How the case ended when it was recorded.
    pub fn recorded_outcome(&self) -> Option<&RecordedOutcome> {
        self.recording.outcome.as_ref()
    }

    /// The model the recording was made with.
    pub fn recorded_model(&self) -> &str {
        &self.recording.model
    }

    /// The time the model took for the exchanges replayed, as recorded.
    pub fn recorded_latency_ms(&self) -> Option<u64> {
        let used = &self.recording.exchanges[..self.next.get().min(self.recording.exchanges.len())];
        used.iter().map(|exchange| exchange.latency_ms).sum()
    }
}

impl Model for Replayer {
    fn describe(&self) -> String {
        "replay".into()
    }

    fn respond(&self, request: &ModelRequest<'_>) -> Result<ModelReply, ModelError> {
        let index = self.next.get();
        let stale = |why: String| {
            *self.stale.borrow_mut() = Some(why.clone());
            ModelError::Call {
                message: format!("stale: {why}"),
                hint: "the prompt, tools or starting state changed since the recording; record it again with `qwf eval --record DIR`".into(),
            }
        };
        let exchanges = &self.recording.exchanges;
        let Some(exchange) = exchanges.get(index) else {
            return Err(stale(format!(
                "the recording has {} exchanges and the run asked for more",
                exchanges.len()
            )));
        };
        if exchange.request.as_slice() != request.messages {
            let position = exchange
                .request
                .iter()
                .zip(request.messages)
                .position(|(recorded, now)| recorded != now)
                .unwrap_or(exchange.request.len().min(request.messages.len()));
            return Err(stale(format!(
                "request {} no longer matches the recording (first difference at message {position})",
                index + 1
            )));
        }
        self.next.set(index + 1);
        if let Some((message, hint)) = &exchange.truncated {
            return Err(ModelError::Truncated {
                message: message.clone(),
                hint: hint.clone(),
            });
        }
        Ok(ModelReply {
            text: exchange.text.clone(),
            tool_calls: exchange.tool_calls.clone(),
            usage: exchange.usage,
        })
    }
}
