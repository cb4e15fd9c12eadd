//! Before anything runs: the workflow validates, every skill exists and can
//! be started, every condition parses, and every step that needs a model
//! has one. All problems are reported together; nothing half-runs.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;

use serde::Serialize;
use serde_json::Value;

use crate::core::condition::Condition;
use crate::core::model::{JsonMap, Step, StepKind, Strategy, Workflow};
use crate::core::skill::{Interface, Skill, SkillType};
use crate::core::suggest::did_you_mean;
use crate::core::tree::StepIndex;
use crate::core::validation::{IssueCode, KnownResources, validate};
use crate::store::BrokenSkill;

/// Whether model steps can run, as the CLI resolved the provider.
#[derive(Debug, Clone)]
pub enum ModelAvailability {
    /// The offline planner: it plans edits, it cannot answer prompts.
    Offline,
    /// A provider that can be called ("openai-compatible test-model").
    Ready(String),
    /// A provider that is configured but cannot be set up.
    Unusable { message: String, hint: String },
}

/// What preflight needs.
pub struct PreflightInput {
    pub name: String,
    pub version: u64,
    pub workflow: Workflow,
    pub skills: Vec<Skill>,
    pub broken_skills: Vec<BrokenSkill>,
    /// Where skill files live: code skills run there.
    pub skills_dir: PathBuf,
    /// Skills whose file lives elsewhere (the workspace's `.qwf/skills/`):
    /// they run in their own directory.
    pub skill_dirs: HashMap<String, PathBuf>,
    /// Agents discovery found (name → instructions), for agent steps.
    pub agents: HashMap<String, Option<String>>,
    /// The interfaces those agents declare (absent: unknown).
    pub agent_interfaces: HashMap<String, Interface>,
    /// `--set` values, already checked against the context.
    pub overrides: JsonMap,
    pub models: ModelAvailability,
    /// qwf's own environment, from which code skills get the documented
    /// variables (see [`super::environment`]); never passed whole.
    pub environment: Vec<(String, String)>,
    /// Workspace skills that may not run (the workspace is not trusted):
    /// name → (file, why).
    pub untrusted_skills: HashMap<String, (PathBuf, String)>,
}

/// One reason the workflow cannot run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Problem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    pub message: String,
    pub hint: String,
}

/// A step that talks to a model, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ModelStep {
    pub step_id: String,
    /// "skill 'summarize' (prompt_inline)" or "agent 'reviewer'".
    pub what: String,
}

/// A workflow ready to run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub name: String,
    pub version: u64,
    pub workflow: Workflow,
    /// `context.readonly` with the overrides applied.
    pub context: JsonMap,
    pub overrides: JsonMap,
    pub skills: HashMap<String, Skill>,
    pub skills_dir: PathBuf,
    pub skill_dirs: HashMap<String, PathBuf>,
    /// Discovered agents and their instructions.
    pub agents: HashMap<String, Option<String>>,
    pub model_steps: Vec<ModelStep>,
    /// The provider model steps will use, when there are any.
    pub provider: Option<String>,
    /// Steps named as another step's fallback: they run only in its place.
    pub fallback_for: HashMap<String, String>,
    /// qwf's environment, for the variables a code skill gets.
    pub environment: Vec<(String, String)>,
    pub(crate) commands: HashMap<String, Vec<String>>,
    pub(crate) conditions: HashMap<String, Condition>,
}

/// A `--set KEY=VALUE` that cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct OverrideError {
    pub message: String,
    pub hint: String,
}

/// Parses `KEY=VALUE` settings against the workflow's `context.readonly`.
/// A value that parses as JSON is taken as JSON, anything else as text.
pub fn parse_overrides(workflow: &Workflow, settings: &[String]) -> Result<JsonMap, OverrideError> {
    let known = &workflow.context.readonly;
    let mut overrides = JsonMap::new();
    for setting in settings {
        let Some((key, raw)) = setting
            .split_once('=')
            .filter(|(key, _)| !key.trim().is_empty())
        else {
            return Err(OverrideError {
                message: format!("--set '{setting}' is not KEY=VALUE"),
                hint: "write --set KEY=VALUE, e.g. --set api_url=https://example.com".into(),
            });
        };
        let key = key.trim();
        if !known.contains_key(key) {
            let keys: Vec<&str> = known.keys().map(String::as_str).collect();
            let hint = match did_you_mean(key, keys.iter().copied()) {
                Some(close) => format!("did you mean '{close}'?"),
                None if keys.is_empty() => {
                    format!("workflow '{}' has no context values to set", workflow.name)
                }
                None => format!("the context keys are: {}", keys.join(", ")),
            };
            return Err(OverrideError {
                message: format!("--set {key}: the workflow has no context key '{key}'"),
                hint,
            });
        }
        let value =
            serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.to_string()));
        overrides.insert(key.to_string(), value);
    }
    Ok(overrides)
}

fn model_use(step: &Step, skills: &HashMap<String, Skill>) -> Option<String> {
    match &step.kind {
        StepKind::Agent { agent, .. } => Some(format!("agent '{agent}'")),
        StepKind::Skill { skill } => skills.get(skill).and_then(|found| {
            matches!(
                found.skill_type,
                SkillType::PromptInline | SkillType::Conversation
            )
            .then(|| format!("skill '{skill}' ({})", found.skill_type))
        }),
        _ => None,
    }
}

pub fn preflight(input: PreflightInput) -> Result<Plan, Vec<Problem>> {
    let PreflightInput {
        name,
        version,
        workflow,
        skills,
        broken_skills,
        skills_dir,
        skill_dirs,
        agents,
        mut agent_interfaces,
        overrides,
        models,
        environment,
        untrusted_skills,
    } = input;
    let mut problems = Vec::new();
    // The same check as `qwf validate` and the gate: names and interfaces.
    let known = KnownResources::new(
        &skills,
        agents.keys().map(|name| {
            (
                name.clone(),
                agent_interfaces.remove(name).unwrap_or_default(),
            )
        }),
    );
    let broken: HashMap<String, &BrokenSkill> = broken_skills
        .iter()
        .filter_map(|broken| Some((broken.path.file_stem()?.to_str()?.to_string(), broken)))
        .collect();
    for issue in validate(&workflow, Some(&known)).errors() {
        if issue.code == IssueCode::UnknownSkill
            && let Some(skill) = workflow_skill_of(&workflow, issue.step_id.as_deref())
            && let Some((file, reason)) = untrusted_skills.get(skill)
        {
            let workspace = file
                .parent()
                .and_then(|skills| skills.parent())
                .and_then(|dot_qwf| dot_qwf.parent())
                .unwrap_or(file);
            problems.push(Problem {
                step_id: issue.step_id.clone(),
                message: format!(
                    "skill '{skill}' is a workspace skill ({}), and {reason}",
                    file.display()
                ),
                hint: format!(
                    "read the files in {}, then `qwf trust {}` to let its skills run",
                    workspace.join(".qwf").join("skills").display(),
                    workspace.display()
                ),
            });
            continue;
        }
        if issue.code == IssueCode::UnknownSkill
            && let Some(skill) = workflow_skill_of(&workflow, issue.step_id.as_deref())
            && let Some(file) = broken.get(skill)
        {
            problems.push(Problem {
                step_id: issue.step_id.clone(),
                message: format!(
                    "skill file {} cannot be read: {}",
                    file.path.display(),
                    file.message
                ),
                hint: "fix the skill file; `qwf skill show` displays the others".into(),
            });
            continue;
        }
        problems.push(Problem {
            step_id: issue.step_id.clone(),
            message: format!("{} (at {})", issue.message, issue.pointer),
            hint: issue.hint.clone(),
        });
    }
    // The planner leaves "TODO: …" where it could not find a value; running
    // with one would hand the placeholder text to a skill.
    for (key, value) in &workflow.context.readonly {
        let value = overrides.get(key).unwrap_or(value);
        if let Some(text) = value.as_str().filter(|text| text.starts_with("TODO")) {
            problems.push(Problem {
                step_id: None,
                message: format!("context value '{key}' is still a placeholder ({text})"),
                hint: format!(
                    "give it a value: `qwf run {name} --set {key}=…` for this run, or `qwf edit {name} \"set the {key} to …\"`"
                ),
            });
        }
    }
    let skills: HashMap<String, Skill> = skills
        .into_iter()
        .map(|skill| (skill.name.clone(), skill))
        .collect();
    let index = StepIndex::new(&workflow);
    let mut commands = HashMap::new();
    let mut conditions = HashMap::new();
    let mut model_steps = Vec::new();
    let mut fallback_for = HashMap::new();
    let mut used_skills = HashSet::new();
    for visited in &index.visited {
        let step = visited.step;
        if let Some(handling) = &step.error_handling
            && handling.strategy == Strategy::Fallback
            && let Some(target) = &handling.fallback
        {
            fallback_for.insert(target.clone(), step.id.clone());
        }
        match &step.kind {
            StepKind::Skill { skill } => {
                // A broken file of that name (say the workspace's copy) would
                // be passed over for another definition without a word.
                if skills.contains_key(skill)
                    && let Some(file) = broken.get(skill.as_str())
                {
                    problems.push(Problem {
                        step_id: Some(step.id.clone()),
                        message: format!(
                            "skill file {} cannot be read ({}), so another definition of '{skill}' would run in its place",
                            file.path.display(),
                            file.message
                        ),
                        hint: "fix that file, or remove it to use the other definition".into(),
                    });
                }
                if let Some(found) = skills.get(skill)
                    && matches!(
                        found.skill_type,
                        SkillType::CodeInline | SkillType::CodeSession
                    )
                    && used_skills.insert(skill.clone())
                {
                    match shell_words::split(&found.command) {
                        Ok(argv) if !argv.is_empty() => {
                            let directory = skill_dirs.get(skill).unwrap_or(&skills_dir);
                            if let Some(missing) = missing_program(&argv, directory) {
                                problems.push(Problem {
                                    step_id: Some(step.id.clone()),
                                    message: format!("skill '{skill}' runs `{}`, but {missing}", found.command),
                                    hint: format!(
                                        "install it, or put the script next to the skill file in {} (code skills run there)",
                                        directory.display()
                                    ),
                                });
                            } else if let Some(stub) = stub_script(&found.command, directory) {
                                problems.push(Problem {
                                    step_id: Some(step.id.clone()),
                                    message: format!(
                                        "skill '{skill}''s script {} is still the stub qwf wrote",
                                        stub.display()
                                    ),
                                    hint: "write the real script there (the stub shows how its inputs arrive and fails with \"implement me\" until you do)".into(),
                                });
                            }
                            commands.insert(skill.clone(), argv);
                        }
                        Ok(_) => problems.push(Problem {
                            step_id: Some(step.id.clone()),
                            message: format!("skill '{skill}' has an empty command"),
                            hint: format!("set \"command\" in skills/{skill}.json, e.g. \"python3 {skill}.py\""),
                        }),
                        Err(error) => problems.push(Problem {
                            step_id: Some(step.id.clone()),
                            message: format!("the command of skill '{skill}' cannot be split into words: {error}"),
                            hint: "check its quotes; the command is split like a shell would, but no shell runs it".into(),
                        }),
                    }
                }
            }
            // A condition that does not parse is one of validation's errors.
            StepKind::Conditional { condition, .. } => {
                if let Ok(parsed) = Condition::parse(condition) {
                    conditions.insert(step.id.clone(), parsed);
                }
            }
            _ => {}
        }
        if let Some(what) = model_use(step, &skills) {
            model_steps.push(ModelStep {
                step_id: step.id.clone(),
                what,
            });
        }
    }
    let provider = match (&models, model_steps.is_empty()) {
        (_, true) => None,
        (ModelAvailability::Ready(description), false) => Some(description.clone()),
        (ModelAvailability::Offline, false) => {
            for model_step in &model_steps {
                problems.push(Problem {
                    step_id: Some(model_step.step_id.clone()),
                    message: format!(
                        "step '{}' needs a model ({}), but the provider is 'offline', which plans edits and cannot run prompts",
                        model_step.step_id, model_step.what
                    ),
                    hint: format!("choose a provider: `qwf run {name} --provider openai` (or anthropic, ollama, gemini, openai-compatible), QWF_PROVIDER, or [model] in config.toml; `qwf model` shows the current one"),
                });
            }
            None
        }
        (ModelAvailability::Unusable { message, hint }, false) => {
            for model_step in &model_steps {
                problems.push(Problem {
                    step_id: Some(model_step.step_id.clone()),
                    message: format!(
                        "step '{}' needs a model ({}): {message}",
                        model_step.step_id, model_step.what
                    ),
                    hint: hint.clone(),
                });
            }
            None
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut context = workflow.context.readonly.clone();
    for (key, value) in &overrides {
        context.insert(key.clone(), value.clone());
    }
    Ok(Plan {
        name,
        version,
        workflow,
        context,
        overrides,
        skills,
        skills_dir,
        skill_dirs,
        agents,
        model_steps,
        provider,
        fallback_for,
        environment,
        commands,
        conditions,
    })
}

/// What keeps a command from starting: a program found neither on PATH nor
/// as a path, or a script argument (`python3 validate.py`) that is not in
/// the directory the command runs in.
fn missing_program(argv: &[String], directory: &std::path::Path) -> Option<String> {
    let program = &argv[0];
    let found = if program.contains('/') {
        directory.join(program).exists()
    } else {
        std::env::var_os("PATH").is_some_and(|paths| {
            std::env::split_paths(&paths).any(|path| path.join(program).is_file())
        })
    };
    if !found {
        return Some(format!("'{program}' is not an installed program"));
    }
    const SCRIPTS: &[&str] = &["py", "sh", "js", "mjs", "rb", "pl", "ts"];
    let script = argv.get(1).filter(|argument| {
        !argument.starts_with('-')
            && std::path::Path::new(argument.as_str())
                .extension()
                .and_then(|extension| extension.to_str())
                .is_some_and(|extension| SCRIPTS.contains(&extension))
    })?;
    (!directory.join(script).exists())
        .then(|| format!("its script '{script}' is not in {}", directory.display()))
}

/// The script a command runs, when it is still a stub qwf wrote.
fn stub_script(command: &str, directory: &std::path::Path) -> Option<std::path::PathBuf> {
    let path = directory.join(crate::core::stub::script_of(command)?);
    let text = std::fs::read_to_string(&path).ok()?;
    text.contains(crate::core::stub::STUB_MARKER)
        .then_some(path)
}

fn workflow_skill_of<'w>(workflow: &'w Workflow, step_id: Option<&str>) -> Option<&'w str> {
    let index = StepIndex::new(workflow);
    index.get(step_id?)?.step.skill_name()
}
