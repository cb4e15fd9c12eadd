use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use crate::agent::config::{self, ModelFlags};
use crate::agent::model::{Model, cancel};
use crate::agent::providers::{Provider, RigModel};
use crate::cli::commands::worker::engine_error;
use crate::cli::conversation::cancel_on_interrupt;
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::{DIM, GOOD, Printer, WARNING, paint};
use crate::cli::progress::Progress;
use crate::cli::settings::{Settings, parse_version};
use crate::core::impact::Runs;
use crate::core::model::{Step, StepKind, Strategy};
use crate::core::reference::{self, Reference};
use crate::core::skill::SkillType;
use crate::run::environment;
use crate::run::temporal::{self, Connection};
use crate::run::{
    Event, ModelAvailability, ModelFactory, Options, Plan, PreflightInput, Problem, execute,
    parse_overrides, preflight, records_in_order,
};
use crate::store::runs::{EngineRecord, RunRecord, RunStatus, Runner, StepStatus};

/// Run a workflow: preflight first (validation, skills, models), then every
/// step with its retries, timeouts, parallel and conditional branches.
///
/// Code skills run their command in the skills directory with the step's
/// inputs as a JSON object on stdin and as QWF_INPUT_<NAME> variables; they
/// print their outputs as a JSON object (or plain text for one output).
/// Each run is saved under QWF_HOME/runs/NAME/ (see `qwf runs NAME`).
///
/// Exits 0 when the run succeeded (steps continued past still count), 1
/// when a step or the preflight failed, 2 on a usage error, 130 on Ctrl-C.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    /// The version to run (3 or v3); the current one by default.
    #[arg(long, value_parser = parse_version)]
    pub version: Option<u64>,
    /// Override a context value for this run (VALUE is read as JSON when it
    /// parses, else as text). Repeatable.
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Check and show the plan; run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The model provider for model steps: anthropic, openai, ollama,
    /// gemini, openai-compatible.
    #[arg(long)]
    pub provider: Option<String>,
    /// The model name (provider-specific).
    #[arg(long)]
    pub model: Option<String>,
    /// Where to run: `local` (this process, the default) or `temporal` (a
    /// Temporal service, through workers started with `qwf worker`; also
    /// `engine = "temporal"` in config.toml's [temporal] table).
    #[arg(long, value_parser = ["local", "temporal"])]
    pub engine: Option<String>,
    /// With --engine temporal: the Temporal frontend, HOST:PORT (default:
    /// [temporal] address in config.toml).
    #[arg(long)]
    pub address: Option<String>,
    /// With --engine temporal: the namespace (default "default").
    #[arg(long)]
    pub namespace: Option<String>,
    /// With --engine temporal: the task queue workers poll (default "qwf").
    #[arg(long)]
    pub task_queue: Option<String>,
    /// With --engine temporal: the Python that has temporalio installed.
    #[arg(long, value_name = "PATH")]
    pub python: Option<PathBuf>,
}

/// Where a run goes.
enum Engine {
    Local,
    Temporal {
        connection: Connection,
        python: PathBuf,
    },
}

fn choose_engine(args: &Args, settings: &Settings) -> Result<Engine, CliError> {
    let file = temporal::file_settings(&settings.home).map_err(engine_error)?;
    let engine = args.engine.clone().or(file.engine.clone());
    let flags_given = args.address.is_some()
        || args.namespace.is_some()
        || args.task_queue.is_some()
        || args.python.is_some();
    match engine.as_deref() {
        None | Some("local") if flags_given => Err(CliError {
            message:
                "--address, --namespace, --task-queue and --python only apply to --engine temporal"
                    .into(),
            hint: Some("add --engine temporal, or drop them".into()),
            outcome: Outcome::Usage,
        }),
        None | Some("local") => Ok(Engine::Local),
        Some("temporal") => {
            let Some(address) = args.address.clone().or(file.address.clone()) else {
                return Err(CliError {
                    message: "--engine temporal needs the address of a Temporal service".into(),
                    hint: Some("add --address HOST:PORT (e.g. 127.0.0.1:7233 for `temporal server start-dev`), or set address in config.toml's [temporal] table".into()),
                    outcome: Outcome::Usage,
                });
            };
            let python = file.python(args.python.as_deref()).map_err(engine_error)?;
            Ok(Engine::Temporal {
                connection: file.connection(
                    address,
                    args.namespace.as_deref(),
                    args.task_queue.as_deref(),
                ),
                python,
            })
        }
        Some(other) => Err(CliError {
            message: format!("engine '{other}' (config.toml) is not one qwf knows"),
            hint: Some("use \"local\" or \"temporal\"".into()),
            outcome: Outcome::Usage,
        }),
    }
}

/// A Temporal workflow id for a run: readable, and unique across machines
/// that share a name and run number.
fn workflow_id(name: &str, run: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_nanos());
    let salt = (nanos as u64) ^ (u64::from(std::process::id()) << 32);
    format!("qwf-{name}-{run}-{salt:016x}")
}

/// How model steps will reach a model, decided once per run (or per
/// `qwf step`).
pub(crate) fn model_setup(
    flags: &ModelFlags,
    settings: &Settings,
) -> (ModelAvailability, Option<Arc<ModelFactory>>) {
    let resolved = match config::resolve(flags, &settings.home, &config::process_env) {
        Ok(resolved) => resolved,
        Err(error) => {
            return (
                ModelAvailability::Unusable {
                    message: error.to_string(),
                    hint: error.hint(),
                },
                None,
            );
        }
    };
    if resolved.provider == Provider::Offline {
        return (ModelAvailability::Offline, None);
    }
    match config::connection(&resolved, &config::process_env) {
        Ok(connection) => {
            let description = format!("{} {}", connection.provider.name(), connection.model);
            let factory: Arc<ModelFactory> = Arc::new(move || {
                RigModel::connect(connection.clone()).map(|model| Box::new(model) as Box<dyn Model>)
            });
            (ModelAvailability::Ready(description), Some(factory))
        }
        Err(error) => (
            ModelAvailability::Unusable {
                message: error.to_string(),
                hint: error.hint(),
            },
            None,
        ),
    }
}

fn problems_error(name: &str, problems: &[Problem]) -> CliError {
    let mut message = format!(
        "workflow '{name}' cannot run: {} {} found before starting",
        problems.len(),
        if problems.len() == 1 {
            "problem"
        } else {
            "problems"
        }
    );
    for problem in problems {
        message.push_str("\n  - ");
        message.push_str(&problem.message);
        message.push_str(&format!("\n    hint: {}", problem.hint));
    }
    CliError::new(message).with_hint("nothing was run; fix these and run it again")
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let head = store.head(&args.name, &settings.context())?;
    if let Some(note) = &head.unrecorded {
        printer.note(note);
    }
    let (version, workflow) = match args.version {
        Some(version) if version != head.record.version => {
            (version, store.version(&args.name, version)?)
        }
        _ => (head.record.version, head.workflow),
    };
    let overrides = parse_overrides(&workflow, &args.set).map_err(|error| CliError {
        message: error.message,
        hint: Some(error.hint),
        outcome: Outcome::Usage,
    })?;
    let (skills, broken_skills) = store.skills()?;
    let listing = store.skill_listing();
    let untrusted_skills: HashMap<String, (std::path::PathBuf, String)> = listing
        .untrusted
        .iter()
        .map(|found| {
            (
                found.skill.name.clone(),
                (
                    found.source.clone(),
                    listing.untrusted_reason.clone().unwrap_or_default(),
                ),
            )
        })
        .collect();
    let skill_notes = skill_notes(&listing, &workflow);
    let skill_dirs = listing
        .skills
        .into_iter()
        .filter_map(|found| Some((found.skill.name, found.source.parent()?.to_path_buf())))
        .collect();
    // Agents are read only for a workflow that runs one.
    let found_agents = if crate::store::runs_agents(&workflow) {
        store.discover_agents()
    } else {
        Vec::new()
    };
    let agent_interfaces = found_agents
        .iter()
        .map(|agent| (agent.name.clone(), agent.interface()))
        .collect();
    let agents = found_agents
        .into_iter()
        .map(|agent| (agent.name, agent.prompt))
        .collect();
    let flags = ModelFlags {
        provider: args.provider.clone(),
        model: args.model.clone(),
        ..ModelFlags::default()
    };
    let (models, factory) = model_setup(&flags, settings);
    let plan = match preflight(PreflightInput {
        name: args.name.clone(),
        version,
        workflow,
        skills,
        broken_skills,
        skills_dir: store.skills_dir(),
        skill_dirs,
        agents,
        agent_interfaces,
        overrides,
        models,
        environment: environment::process_environment(),
        untrusted_skills,
    }) {
        Ok(plan) => plan,
        Err(problems) => {
            if printer.json {
                printer.document(&json!({
                    "workflow": args.name,
                    "version": version,
                    "preflight": "failed",
                    "problems": problems,
                    "notes": skill_notes,
                }));
                return Ok(Outcome::Failed);
            }
            return Err(problems_error(&args.name, &problems));
        }
    };
    if args.dry_run {
        show_plan(&plan, &skill_notes, printer);
        return Ok(Outcome::Done);
    }
    if !printer.json {
        // On stderr with the progress lines (colour only on a terminal).
        let mut err = anstream::stderr();
        for note in &skill_notes {
            let _ = writeln!(err, "{}", paint(WARNING, format!("note: {note}")));
        }
    }

    let engine = choose_engine(args, settings)?;
    cancel_on_interrupt();
    let started_at = settings.now_time;
    let mut record = RunRecord {
        id: String::new(),
        workflow: plan.name.clone(),
        version: plan.version,
        status: RunStatus::Running,
        started: humantime::format_rfc3339_millis(started_at).to_string(),
        ended: None,
        duration_ms: None,
        overrides: plan.overrides.clone(),
        steps: Vec::new(),
        runner: Runner::current(),
        engine: None,
    };
    // Secret values of qwf's environment (a key given with --set, or
    // printed by a skill that was allowed to see it) never reach the disk.
    let secrets = environment::secret_values(&environment::process_environment());
    redact_record(&mut record, &secrets);
    store.start_run(&mut record)?;
    let progress = Progress::new(!printer.json, &plan.workflow);
    if !printer.json {
        progress.note(&format!(
            "Running {} v{} (run {})",
            plan.name, plan.version, record.id
        ));
    }
    let on_event = |event: &Event| progress.show(event);
    let is_cancelled = cancel::is_requested;
    let finished = match &engine {
        Engine::Local => execute(
            &plan,
            &Options {
                on_event: &on_event,
                is_cancelled: &is_cancelled,
                models: factory,
            },
        ),
        Engine::Temporal { connection, python } => {
            let id = workflow_id(&plan.name, &record.id);
            record.engine = Some(EngineRecord {
                name: "temporal".into(),
                address: connection.address.clone(),
                namespace: connection.namespace.clone(),
                task_queue: connection.task_queue.clone(),
                workflow_id: id.clone(),
                run_id: None,
            });
            store.save_run(&record)?;
            let mut on_progress = |update: temporal::Progress<'_>| match update {
                temporal::Progress::Started {
                    workflow_id,
                    run_id,
                } => {
                    progress.note(&format!(
                        "On Temporal at {} as workflow {workflow_id}",
                        connection.address
                    ));
                    if let Some(engine) = &mut record.engine {
                        engine.run_id = run_id.map(str::to_string);
                    }
                    let _ = store.save_run(&record);
                }
                temporal::Progress::Notice(text) => progress.note(text),
                temporal::Progress::Event(event) => progress.show(&event),
            };
            let submitted = temporal::submit(
                &plan,
                python,
                connection,
                &id,
                &mut on_progress,
                &is_cancelled,
            );
            match submitted {
                Ok(finished) => finished,
                Err(error) => {
                    progress.clear();
                    // Nothing ran here; the record says the run failed.
                    record.status = RunStatus::Failed;
                    record.steps = records_in_order(&plan, HashMap::new(), RunStatus::Failed);
                    record.ended = Some(humantime::format_rfc3339_millis(started_at).to_string());
                    store.save_run(&record)?;
                    return Err(engine_error(error));
                }
            }
        }
    };
    progress.clear();
    record.status = finished.status;
    record.duration_ms = Some(u64::try_from(finished.duration.as_millis()).unwrap_or(u64::MAX));
    // Start from the settings clock (QWF_TIMESTAMP pins it); the duration is
    // measured.
    record.ended =
        Some(humantime::format_rfc3339_millis(started_at + finished.duration).to_string());
    record.steps = finished.steps;
    redact_record(&mut record, &secrets);
    store.save_run(&record)?;

    if printer.json {
        printer.document(&record);
        return Ok(match record.status {
            RunStatus::Succeeded => Outcome::Done,
            RunStatus::Cancelled => Outcome::Interrupted,
            _ => Outcome::Failed,
        });
    }
    let counts = count_statuses(&record);
    let summary = format!(
        "Run {} of {} v{} {} in {} ({counts})",
        record.id,
        record.workflow,
        record.version,
        record.status,
        duration_text(finished.duration),
    );
    let show_hint = format!(
        "`qwf runs {} --show {}` shows every step",
        record.workflow, record.id
    );
    match record.status {
        RunStatus::Succeeded => {
            printer.line(paint(GOOD, summary));
            Ok(Outcome::Done)
        }
        RunStatus::Cancelled => Err(CliError {
            message: format!("{summary}: cancelled by Ctrl-C; running steps were stopped"),
            hint: Some(show_hint),
            outcome: Outcome::Interrupted,
        }),
        _ => {
            let failed: Vec<String> = record
                .steps
                .iter()
                .filter(|step| {
                    step.status == StepStatus::Failed
                        && step.step_type != "parallel"
                        && step.step_type != "conditional"
                })
                .map(|step| format!("{}: {}", step.id, step.error.clone().unwrap_or_default()))
                .collect();
            let detail = if failed.is_empty() {
                String::new()
            } else {
                format!("\n  {}", failed.join("\n  "))
            };
            Err(CliError::new(format!("{summary}{detail}")).with_hint(show_hint))
        }
    }
}

fn count_statuses(record: &RunRecord) -> String {
    let mut counts: Vec<(StepStatus, usize)> = Vec::new();
    for step in &record.steps {
        match counts.iter_mut().find(|(status, _)| *status == step.status) {
            Some((_, count)) => *count += 1,
            None => counts.push((step.status, 1)),
        }
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(status, count)| format!("{count} {status}"))
        .collect();
    format!("{} steps: {}", record.steps.len(), parts.join(", "))
}

pub fn duration_text(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else if millis < 60_000 {
        format!("{:.1}s", duration.as_secs_f64())
    } else {
        let seconds = duration.as_secs();
        format!("{}m{:02}s", seconds / 60, seconds % 60)
    }
}

/// `--dry-run`: what would run, in order, with inputs resolved where the
/// context already knows them.
/// Cuts every secret value out of a run record.
fn redact_record(record: &mut RunRecord, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    let Ok(mut value) = serde_json::to_value(&*record) else {
        return;
    };
    environment::redact_json(&mut value, secrets);
    if let Ok(redacted) = serde_json::from_value(value) {
        *record = redacted;
    }
}

/// Which definition of each skill the workflow uses runs, where two exist:
/// a trusted workspace's skill replaces the user's; an untrusted one is
/// ignored.
fn skill_notes(
    listing: &crate::store::SkillListing,
    workflow: &crate::core::Workflow,
) -> Vec<String> {
    let used: HashSet<&str> = crate::core::tree::walk(workflow)
        .into_iter()
        .filter_map(|visited| visited.step.skill_name())
        .collect();
    let untrusted: HashSet<&std::path::Path> = listing
        .untrusted
        .iter()
        .map(|found| found.source.as_path())
        .collect();
    listing
        .shadowed
        .iter()
        .filter(|shadowed| used.contains(shadowed.name.as_str()))
        .map(|shadowed| {
            if untrusted.contains(shadowed.ignored.as_path()) {
                format!(
                    "skill '{}': the workspace's {} is ignored ({}); {} runs (`qwf trust` lets workspace skills run)",
                    shadowed.name,
                    shadowed.ignored.display(),
                    listing.untrusted_reason.as_deref().unwrap_or("not trusted"),
                    shadowed.used.display()
                )
            } else {
                format!(
                    "skill '{}': {} ({}) runs in place of {} ({})",
                    shadowed.name,
                    shadowed.used.display(),
                    shadowed.used_scope,
                    shadowed.ignored.display(),
                    shadowed.ignored_scope
                )
            }
        })
        .collect()
}

fn show_plan(plan: &Plan, notes: &[String], printer: &mut Printer) {
    let mut steps = Vec::new();
    let ids: HashSet<&str> = crate::core::tree::walk(&plan.workflow)
        .into_iter()
        .map(|visited| visited.step.id.as_str())
        .collect();
    let runs = crate::core::impact::how_steps_run(&plan.workflow);
    collect_plan(plan, &ids, &runs, &plan.workflow.steps, 0, &mut steps);
    if printer.json {
        printer.document(&json!({
            "workflow": plan.name,
            "version": plan.version,
            "preflight": "passed",
            "provider": plan.provider,
            "model_steps": plan.model_steps,
            "overrides": plan.overrides,
            "steps": steps,
            "notes": notes,
        }));
        return;
    }
    printer.line(format!(
        "Preflight passed for {} v{}: nothing was run (dry run).",
        plan.name, plan.version
    ));
    for note in notes {
        printer.line(paint(WARNING, format!("Note: {note}")));
    }
    if let Some(provider) = &plan.provider {
        printer.line(format!("Model steps use {provider}."));
    }
    for step in &steps {
        let depth = step["depth"].as_u64().unwrap_or(0) as usize;
        let indent = "  ".repeat(depth + 1);
        let mut line = format!(
            "{indent}{} {} — {}",
            step["id"].as_str().unwrap_or(""),
            paint(DIM, step["what"].as_str().unwrap_or("")),
            step["runs"].as_str().unwrap_or("runs")
        );
        if let Some(handling) = step["error_handling"].as_str() {
            line.push_str(&format!(" [{handling}]"));
        }
        printer.line(line);
        if let Some(inputs) = step["inputs"].as_object() {
            for (name, value) in inputs {
                printer.line(format!("{indent}    {name} = {value}"));
            }
        }
    }
}

fn collect_plan(
    plan: &Plan,
    ids: &HashSet<&str>,
    runs: &HashMap<String, Runs>,
    steps: &[Step],
    depth: usize,
    out: &mut Vec<Value>,
) {
    for step in steps {
        let what = match &step.kind {
            StepKind::Skill { skill } => match plan.skills.get(skill) {
                Some(found)
                    if matches!(
                        found.skill_type,
                        SkillType::CodeInline | SkillType::CodeSession
                    ) =>
                {
                    let named = crate::core::skill_env::requested(found);
                    if named.is_empty() {
                        format!("skill {skill}: {}", found.command)
                    } else {
                        format!(
                            "skill {skill}: {} (with {})",
                            found.command,
                            named.join(", ")
                        )
                    }
                }
                Some(found) => format!("skill {skill} ({}, model)", found.skill_type),
                None => format!("skill {skill}"),
            },
            StepKind::Agent { agent, .. } => format!("agent {agent} (model)"),
            StepKind::Parallel { .. } => "parallel: these run together".into(),
            StepKind::Conditional { condition, .. } => format!("if {condition}"),
            StepKind::Unknown { type_name } => type_name.clone(),
        };
        let when = match runs.get(&step.id) {
            Some(Runs::OnlyIf { condition }) => format!("runs only if {condition}"),
            Some(Runs::AsFallbackOf { step }) => {
                format!("runs only as the fallback of '{step}', when it fails")
            }
            _ => "runs".to_string(),
        };
        let is_step = |id: &str| ids.contains(id);
        let inputs: serde_json::Map<String, Value> = step
            .inputs
            .iter()
            .map(|(name, value)| {
                let shown = match value
                    .as_str()
                    .and_then(|text| reference::parse(text, is_step))
                {
                    Some(Reference::Context { key }) => {
                        plan.context.get(key).cloned().unwrap_or(Value::Null)
                    }
                    Some(Reference::Step { step, output }) => {
                        Value::String(format!("<output {output} of {step}>"))
                    }
                    None => value.clone(),
                };
                (name.clone(), shown)
            })
            .collect();
        let handling = step
            .error_handling
            .as_ref()
            .map(|handling| match handling.strategy {
                Strategy::Retry => format!(
                    "retry: {} attempts, {} backoff",
                    handling
                        .max_attempts
                        .map_or_else(|| "unlimited".to_string(), |max| max.to_string()),
                    handling
                        .backoff
                        .map_or_else(|| "exponential".to_string(), |b| b.to_string())
                ),
                Strategy::Fallback => format!(
                    "fallback: {}",
                    handling.fallback.clone().unwrap_or_default()
                ),
                other => other.to_string(),
            });
        let timeout = step
            .timeout_secs
            .map(|seconds| format!("timeout {seconds}s"));
        let handling = match (handling, timeout) {
            (Some(h), Some(t)) => Some(format!("{h}; {t}")),
            (h, t) => h.or(t),
        };
        out.push(json!({
            "id": step.id,
            "type": step.kind.type_name(),
            "depth": depth,
            "what": what,
            "runs": when,
            "inputs": inputs,
            "error_handling": handling,
        }));
        for (_, children) in step.child_lists() {
            collect_plan(plan, ids, runs, children, depth + 1, out);
        }
    }
}
