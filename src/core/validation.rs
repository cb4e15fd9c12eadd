//! Validation: every problem in a workflow at once, each with a severity, a
//! JSON pointer, the step it concerns and a hint for fixing it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde::Serialize;

use super::model::{
    Container, ErrorHandling, JsonMap, STEP_TYPES, Step, StepKind, Strategy, Workflow,
};
use super::names::{check_name, step_id_problem};
use super::reference::{self, Reference};
use super::skill::{Interface, Skill};
use super::suggest::did_you_mean;
use super::tree::{IdSet, StepIndex, pointer_segment};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Error,
    Warning,
}

/// What kind of problem an issue is; stable names for `--json` and tests.
/// The longest timeout or retry interval a workflow may set (365 days):
/// anything longer is surely a mistake, and a runner adding it to a clock
/// must not overflow.
pub const MAX_DURATION_SECS: u64 = 365 * 24 * 60 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueCode {
    EmptyWorkflow,
    EmptyContainer,
    InvalidName,
    InvalidId,
    DuplicateId,
    UnknownStepType,
    UnknownStep,
    UndeclaredOutput,
    NotRunBefore,
    MissingContextKey,
    InvalidFallback,
    FallbackCycle,
    InvalidRetry,
    IgnoredSetting,
    InvalidValue,
    DuplicateOutput,
    UnknownSkill,
    UnknownAgent,
    UnknownField,
    /// A required input of the step's skill (or agent) is not wired.
    MissingInput,
    /// The step gives its skill an input the skill does not declare.
    UndeclaredInput,
    /// A step declares (or another reads) an output its skill does not
    /// produce.
    UnproducedOutput,
    /// The skill declares no interface, so steps using it are not checked.
    UnknownInterface,
    /// A context value is still a `TODO: …` placeholder: `qwf run` will not
    /// start until it is filled in.
    Placeholder,
}

/// One problem found by validation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Issue {
    pub severity: Severity,
    pub code: IssueCode,
    pub message: String,
    /// JSON pointer to the offending value, e.g. `/steps/2/inputs/data`.
    pub pointer: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub step_id: Option<String>,
    /// The other step involved: the producer a reference points to, or the
    /// target of a fallback.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related_step: Option<String>,
    pub hint: String,
}

/// The outcome of validating a workflow.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Report {
    pub issues: Vec<Issue>,
}

impl Report {
    pub fn errors(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|issue| issue.severity == Severity::Error)
    }

    pub fn warnings(&self) -> impl Iterator<Item = &Issue> {
        self.issues
            .iter()
            .filter(|issue| issue.severity == Severity::Warning)
    }

    pub fn is_valid(&self) -> bool {
        self.errors().next().is_none()
    }

    pub fn error_count(&self) -> usize {
        self.errors().count()
    }

    pub fn warning_count(&self) -> usize {
        self.warnings().count()
    }
}

/// The skills and agents that exist, with their interfaces, for checking
/// that steps name real ones and wire them as they declare.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct KnownResources {
    pub skills: BTreeMap<String, Interface>,
    pub agents: BTreeMap<String, Interface>,
}

impl KnownResources {
    /// The registry's skills with their interfaces, and agents.
    pub fn new<'s>(
        skills: impl IntoIterator<Item = &'s Skill>,
        agents: impl IntoIterator<Item = (String, Interface)>,
    ) -> Self {
        KnownResources {
            skills: skills
                .into_iter()
                .map(|skill| (skill.name.clone(), skill.interface()))
                .collect(),
            agents: agents.into_iter().collect(),
        }
    }

    /// Skills and agents known by name only (interfaces unknown).
    pub fn names<S: Into<String>, A: Into<String>>(
        skills: impl IntoIterator<Item = S>,
        agents: impl IntoIterator<Item = A>,
    ) -> Self {
        KnownResources {
            skills: skills
                .into_iter()
                .map(|name| (name.into(), Interface::unknown()))
                .collect(),
            agents: agents
                .into_iter()
                .map(|name| (name.into(), Interface::unknown()))
                .collect(),
        }
    }

    /// Adds (or replaces) a skill, e.g. one a proposal creates.
    pub fn add_skill(&mut self, skill: &Skill) {
        self.skills.insert(skill.name.clone(), skill.interface());
    }

    pub fn has_skill(&self, name: &str) -> bool {
        self.skills.contains_key(name)
    }

    /// The interface a step is checked against: its skill's or agent's.
    pub fn interface_of<'s>(
        &'s self,
        step: &'s Step,
    ) -> Option<(&'static str, &'s str, &'s Interface)> {
        match &step.kind {
            StepKind::Skill { skill } => self
                .skills
                .get(skill)
                .map(|interface| ("skill", skill.as_str(), interface)),
            StepKind::Agent { agent, .. } => self
                .agents
                .get(agent)
                .map(|interface| ("agent", agent.as_str(), interface)),
            _ => None,
        }
    }
}

/// Validates a workflow. With `known`, steps naming skills or agents that do
/// not exist are reported too.
pub fn validate(workflow: &Workflow, known: Option<&KnownResources>) -> Report {
    validate_indexed(&StepIndex::new(workflow), known)
}

/// [`validate`] with the workflow's step index already built.
pub(crate) fn validate_indexed(index: &StepIndex<'_>, known: Option<&KnownResources>) -> Report {
    let workflow = index.workflow;
    let mut checker = Checker {
        workflow,
        index,
        known,
        issues: Vec::new(),
        ran: IdSet::with_capacity_and_hasher(index.visited.len(), Default::default()),
        ran_log: Vec::with_capacity(index.visited.len()),
        fallback_of: index
            .visited
            .iter()
            .filter_map(|visited| {
                let handling = visited.step.error_handling.as_ref()?;
                (handling.strategy == super::model::Strategy::Fallback)
                    .then_some(())
                    .and(handling.fallback.as_deref())
                    .map(|target| (target, visited.step.id.as_str()))
            })
            .collect(),
        unknown_interfaces: HashSet::new(),
    };
    checker.check_workflow();
    checker.check_steps();
    checker.check_flow_list(&workflow.steps);
    checker.check_fallback_cycles();
    Report {
        issues: checker.issues,
    }
}

/// Where a step reads a reference, for messages.
#[derive(Debug, Clone, Copy)]
enum Place<'p> {
    Input(&'p str),
    Condition,
}

impl fmt::Display for Place<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::Input(name) => write!(f, "input '{name}'"),
            Place::Condition => f.write_str("in its condition"),
        }
    }
}

struct Checker<'a, 'k> {
    workflow: &'a Workflow,
    index: &'k StepIndex<'a>,
    known: Option<&'k KnownResources>,
    issues: Vec<Issue>,
    /// Steps that have certainly finished at the point being checked.
    ran: IdSet<&'a str>,
    /// The order steps entered `ran`, so branches can be undone cheaply.
    ran_log: Vec<&'a str>,
    /// Fallback step → the step it stands in for (it runs only then).
    fallback_of: std::collections::HashMap<&'a str, &'a str>,
    /// Skills already warned about for declaring no interface.
    unknown_interfaces: HashSet<String>,
}

impl<'a> Checker<'a, '_> {
    fn push(
        &mut self,
        severity: Severity,
        code: IssueCode,
        pointer: String,
        step_id: Option<&str>,
        message: String,
        hint: String,
    ) {
        self.issues.push(Issue {
            severity,
            code,
            message,
            pointer,
            step_id: step_id.map(str::to_string),
            related_step: None,
            hint,
        });
    }

    /// Names the other step involved in the issue just pushed.
    fn relate_last(&mut self, related: &str) {
        if let Some(last) = self.issues.last_mut() {
            last.related_step = Some(related.to_string());
        }
    }

    fn check_workflow(&mut self) {
        let workflow = self.workflow;
        if let Err(error) = check_name(&workflow.name, "workflow") {
            let severity = if workflow.name.is_empty() {
                Severity::Error
            } else {
                Severity::Warning
            };
            self.push(
                severity,
                IssueCode::InvalidName,
                "/name".into(),
                None,
                error.to_string(),
                error.hint,
            );
        }
        if workflow.steps.is_empty() {
            self.push(
                Severity::Error,
                IssueCode::EmptyWorkflow,
                "/steps".into(),
                None,
                "the workflow has no steps".into(),
                "add at least one step, e.g. with `qwf edit NAME \"add a step ...\"`".into(),
            );
        }
        self.unknown_fields(&workflow.extra, "", None, "workflow");
        self.unknown_fields(&workflow.context.extra, "/context", None, "context");
        for (key, value) in &workflow.context.readonly {
            if let Some(text) = value.as_str().filter(|text| text.starts_with("TODO")) {
                self.push(
                    Severity::Warning,
                    IssueCode::Placeholder,
                    format!("/context/readonly/{}", pointer_segment(key)),
                    None,
                    format!("context value '{key}' is still a placeholder ({text}), so the workflow cannot run yet"),
                    format!("give it a value: `qwf edit {} --context \"set the {key} to …\"`, or `qwf run {} --set {key}=…` for one run", workflow.name, workflow.name),
                );
            }
            if key.is_empty() || key.contains('.') {
                self.push(
                    Severity::Error,
                    IssueCode::InvalidId,
                    format!("/context/readonly/{}", pointer_segment(key)),
                    None,
                    format!("context key '{key}' cannot be referenced: keys may not be empty or contain '.'"),
                    "rename the key, e.g. replace '.' with '_'".into(),
                );
            }
        }
    }

    fn unknown_fields(&mut self, extra: &JsonMap, base: &str, step_id: Option<&str>, what: &str) {
        for key in extra.keys() {
            self.push(
                Severity::Warning,
                IssueCode::UnknownField,
                format!("{base}/{}", pointer_segment(key)),
                step_id,
                format!("unknown {what} field '{key}' (kept as is, but qwf does not use it)"),
                "check the spelling against `qwf schema`; remove the field if it is a leftover"
                    .into(),
            );
        }
    }

    /// Checks of each step on its own (not its data flow).
    fn check_steps(&mut self) {
        let index = self.index;
        for (position, visited) in index.visited.iter().enumerate() {
            let step = visited.step;
            let pointer = visited.pointer.as_str();
            let id = Some(step.id.as_str());
            if let Some(reason) = step_id_problem(&step.id) {
                self.push(
                    Severity::Error,
                    IssueCode::InvalidId,
                    format!("{pointer}/id"),
                    id,
                    format!("step id '{}' is not valid: {reason}", step.id),
                    "use letters, digits, '-' and '_', e.g. 'fetch-data'".into(),
                );
            }
            if index.has_repeated_ids() && index.position(&step.id) != Some(position) {
                let first = index
                    .get(&step.id)
                    .map(|entry| entry.pointer.clone())
                    .unwrap_or_default();
                self.push(
                    Severity::Error,
                    IssueCode::DuplicateId,
                    format!("{pointer}/id"),
                    id,
                    format!("step id '{}' is used twice (first at {first})", step.id),
                    "step ids must be unique in the whole workflow, nested steps included; rename one of them".into(),
                );
            }
            self.check_kind(step, pointer);
            self.check_interface(step, pointer);
            if step.timeout_secs == Some(0) {
                self.push(
                    Severity::Error,
                    IssueCode::InvalidValue,
                    format!("{pointer}/timeout_secs"),
                    id,
                    format!(
                        "step '{}' has a timeout of 0 seconds, so it could never finish",
                        step.id
                    ),
                    "use a positive number of seconds, or remove timeout_secs for the default"
                        .into(),
                );
            }
            if let Some(seconds) = step.timeout_secs.filter(|s| *s > MAX_DURATION_SECS) {
                self.push(
                    Severity::Error,
                    IssueCode::InvalidValue,
                    format!("{pointer}/timeout_secs"),
                    id,
                    format!(
                        "step '{}' has a timeout of {seconds} seconds, more than the limit of {MAX_DURATION_SECS} (365 days)",
                        step.id
                    ),
                    "use at most 31536000 seconds, or remove timeout_secs for no time limit".into(),
                );
            }
            // A single output cannot repeat: no set (and no allocation) then.
            let mut seen = HashSet::new();
            let several = step.outputs.len() > 1;
            for (position, output) in step.outputs.iter().enumerate() {
                let output_pointer = || format!("{pointer}/outputs/{position}");
                if several && !seen.insert(output.as_str()) {
                    self.push(
                        Severity::Error,
                        IssueCode::DuplicateOutput,
                        output_pointer(),
                        id,
                        format!("step '{}' declares output '{output}' twice", step.id),
                        "remove the repeated output".into(),
                    );
                } else if output.is_empty()
                    || !output
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
                {
                    self.push(
                        Severity::Error,
                        IssueCode::InvalidId,
                        output_pointer(),
                        id,
                        format!(
                            "output name '{output}' of step '{}' cannot be referenced",
                            step.id
                        ),
                        "use letters, digits, '-' and '_' in output names".into(),
                    );
                }
            }
            if let Some(handling) = &step.error_handling {
                self.check_error_handling(step, handling, pointer);
            }
            self.unknown_fields(&step.extra, pointer, id, "step");
        }
    }

    fn check_kind(&mut self, step: &Step, pointer: &str) {
        let id = Some(step.id.as_str());
        match &step.kind {
            StepKind::Skill { skill } => {
                if skill.trim().is_empty() {
                    self.push(
                        Severity::Error,
                        IssueCode::InvalidValue,
                        format!("{pointer}/skill"),
                        id,
                        format!("skill step '{}' names no skill", step.id),
                        "set \"skill\" to the name of a skill (`qwf skill list`)".into(),
                    );
                } else if let Some(known) = self.known
                    && !known.skills.contains_key(skill)
                {
                    let hint = match did_you_mean(skill, known.skills.keys().map(String::as_str)) {
                        Some(close) => format!(
                            "did you mean '{close}'? Otherwise create it with `qwf skill create {skill} --type code_inline --command \"…\"`"
                        ),
                        None => format!(
                            "create it with `qwf skill create {skill} --type code_inline --command \"…\"`, or use an existing skill (`qwf skill list`)"
                        ),
                    };
                    self.push(
                        Severity::Error,
                        IssueCode::UnknownSkill,
                        format!("{pointer}/skill"),
                        id,
                        format!(
                            "step '{}' uses skill '{skill}', which does not exist",
                            step.id
                        ),
                        hint,
                    );
                }
            }
            StepKind::Agent {
                agent, guardrails, ..
            } => {
                if agent.trim().is_empty() {
                    self.push(
                        Severity::Error,
                        IssueCode::InvalidValue,
                        format!("{pointer}/agent"),
                        id,
                        format!("agent step '{}' names no agent", step.id),
                        "set \"agent\" to the name of an agent (`qwf resources`)".into(),
                    );
                } else if let Some(known) = self.known
                    && !known.agents.contains_key(agent)
                {
                    let hint = match did_you_mean(agent, known.agents.keys().map(String::as_str)) {
                        Some(close) => format!(
                            "did you mean '{close}'? `qwf resources` lists the agents qwf found"
                        ),
                        None => "`qwf resources` lists the agents qwf found".to_string(),
                    };
                    self.push(
                        Severity::Error,
                        IssueCode::UnknownAgent,
                        format!("{pointer}/agent"),
                        id,
                        format!(
                            "step '{}' uses agent '{agent}', which was not found",
                            step.id
                        ),
                        hint,
                    );
                }
                if let Some(guardrails) = guardrails {
                    if guardrails.max_iterations == Some(0) {
                        self.push(
                            Severity::Error,
                            IssueCode::InvalidValue,
                            format!("{pointer}/guardrails/max_iterations"),
                            id,
                            format!(
                                "agent step '{}' allows 0 iterations, so it could never act",
                                step.id
                            ),
                            "use at least 1 (5 is a common choice)".into(),
                        );
                    }
                    self.unknown_fields(
                        &guardrails.extra,
                        &format!("{pointer}/guardrails"),
                        id,
                        "guardrails",
                    );
                }
            }
            StepKind::Parallel { steps } => {
                if steps.is_empty() {
                    self.push(
                        Severity::Warning,
                        IssueCode::EmptyContainer,
                        format!("{pointer}/steps"),
                        id,
                        format!("parallel step '{}' has no steps", step.id),
                        "add steps to it or remove it".into(),
                    );
                }
            }
            StepKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                if condition.trim().is_empty() {
                    self.push(
                        Severity::Error,
                        IssueCode::InvalidValue,
                        format!("{pointer}/condition"),
                        id,
                        format!("conditional step '{}' has an empty condition", step.id),
                        "write a condition such as \"check.exists == true\"".into(),
                    );
                } else if let Err(error) = super::condition::Condition::parse(condition) {
                    self.push(
                        Severity::Error,
                        IssueCode::InvalidValue,
                        format!("{pointer}/condition"),
                        id,
                        format!(
                            "the condition of '{}' is not valid: {} (column {})",
                            step.id, error.message, error.column
                        ),
                        error.hint.clone(),
                    );
                }
                if then.is_empty() && otherwise.is_empty() {
                    self.push(
                        Severity::Warning,
                        IssueCode::EmptyContainer,
                        format!("{pointer}/then"),
                        id,
                        format!(
                            "conditional step '{}' has no steps in either branch",
                            step.id
                        ),
                        "add steps to \"then\" or \"else\", or remove the step".into(),
                    );
                }
            }
            StepKind::Unknown { type_name } => {
                let hint = match did_you_mean(type_name, STEP_TYPES.into_iter()) {
                    Some(close) => format!(
                        "did you mean '{close}'? The step types are: {}",
                        STEP_TYPES.join(", ")
                    ),
                    None => format!("the step types are: {}", STEP_TYPES.join(", ")),
                };
                self.push(
                    Severity::Error,
                    IssueCode::UnknownStepType,
                    format!("{pointer}/type"),
                    id,
                    format!("step '{}' has unknown type '{type_name}'", step.id),
                    hint,
                );
            }
        }
    }

    /// The step against its skill's (or agent's) declared interface: every
    /// required input wired, no input it does not take, no output it does
    /// not produce. A skill that declares nothing is warned about once.
    fn check_interface(&mut self, step: &Step, pointer: &str) {
        let Some(known) = self.known else { return };
        let Some((what, name, interface)) = known.interface_of(step) else {
            return;
        };
        let id = Some(step.id.as_str());
        if what == "skill"
            && (interface.inputs.is_none() || interface.outputs.is_none())
            && self.unknown_interfaces.insert(name.to_string())
        {
            let missing = match (&interface.inputs, &interface.outputs) {
                (None, None) => "neither inputs nor outputs",
                (None, Some(_)) => "no inputs",
                _ => "no outputs",
            };
            // Not tied to one step, so the warning stays the same when
            // steps using the skill come and go.
            self.push(
                Severity::Warning,
                IssueCode::UnknownInterface,
                format!("{pointer}/skill"),
                None,
                format!(
                    "skill '{name}' declares {missing}, so qwf cannot check what the steps using it give it or read from it"
                ),
                "declare them in its skill file: \"inputs\": [\"url\", {\"name\": \"schema\", \"optional\": true}], \"outputs\": [\"data\"] (`qwf schema skill`)".to_string(),
            );
        }
        if let Some(inputs) = &interface.inputs {
            let declared: Vec<&str> = inputs.iter().map(|port| port.name.as_str()).collect();
            for port in inputs.iter().filter(|port| !port.optional) {
                if step.inputs.contains_key(&port.name) {
                    continue;
                }
                let about = port
                    .description
                    .as_deref()
                    .map(|text| format!(" ({text})"))
                    .unwrap_or_default();
                self.push(
                    Severity::Error,
                    IssueCode::MissingInput,
                    if step.inputs.is_empty() {
                        pointer.to_string()
                    } else {
                        format!("{pointer}/inputs")
                    },
                    id,
                    format!(
                        "step '{}' does not give {what} '{name}' its required input '{}'",
                        step.id, port.name
                    ),
                    format!(
                        "wire it in the step's inputs: \"{}\": \"context.KEY\" or \"STEP.OUTPUT\"{about}",
                        port.name
                    ),
                );
            }
            for input in step.inputs.keys() {
                if declared.contains(&input.as_str()) {
                    continue;
                }
                let takes = if declared.is_empty() {
                    "it takes no inputs".to_string()
                } else {
                    format!("its inputs are: {}", declared.join(", "))
                };
                let hint = match did_you_mean(input, declared.iter().copied()) {
                    Some(close) => format!("did you mean '{close}'? ({takes})"),
                    None => format!(
                        "remove it, or add it to the inputs of {what} '{name}' if it does take it ({takes})"
                    ),
                };
                // Extra inputs do not stop a run (the skill never reads
                // them), but one is often a misspelt required input.
                self.push(
                    Severity::Warning,
                    IssueCode::UndeclaredInput,
                    format!("{pointer}/inputs/{}", pointer_segment(input)),
                    id,
                    format!(
                        "step '{}' gives {what} '{name}' input '{input}', which it does not take",
                        step.id
                    ),
                    hint,
                );
            }
        }
        if let Some(outputs) = &interface.outputs {
            let produced: Vec<&str> = outputs.iter().map(|port| port.name.as_str()).collect();
            for (position, output) in step.outputs.iter().enumerate() {
                if interface.produces_for(&step.outputs, output) != Some(false) {
                    continue;
                }
                let produces = if produced.is_empty() {
                    "it produces no outputs".to_string()
                } else {
                    format!("it produces: {}", produced.join(", "))
                };
                let hint = match did_you_mean(output, produced.iter().copied()) {
                    Some(close) => format!("did you mean '{close}'? ({produces})"),
                    None => format!(
                        "declare only what the {what} produces ({produces}); if it does produce '{output}', add it to the {what}'s outputs"
                    ),
                };
                self.push(
                    Severity::Error,
                    IssueCode::UnproducedOutput,
                    format!("{pointer}/outputs/{position}"),
                    id,
                    format!(
                        "step '{}' declares output '{output}', but its {what} '{name}' does not produce it",
                        step.id
                    ),
                    hint,
                );
            }
        }
    }

    fn check_error_handling(&mut self, step: &Step, handling: &ErrorHandling, pointer: &str) {
        let id = Some(step.id.as_str());
        let base = format!("{pointer}/error_handling");
        let retry = handling.strategy == Strategy::Retry;
        match handling.max_attempts {
            Some(0) => self.push(
                Severity::Error,
                IssueCode::InvalidRetry,
                format!("{base}/max_attempts"),
                id,
                format!("step '{}' has max_attempts 0; max_attempts counts the first try, so the step would never run", step.id),
                "use 1 for no retry, 3 for a first try and two retries".into(),
            ),
            Some(1) if retry => self.push(
                Severity::Warning,
                IssueCode::InvalidRetry,
                format!("{base}/max_attempts"),
                id,
                format!("step '{}' retries with max_attempts 1, which means no retry at all", step.id),
                "max_attempts counts the first try: use 3 for two retries".into(),
            ),
            None if retry => self.push(
                Severity::Warning,
                IssueCode::InvalidRetry,
                base.clone(),
                id,
                format!("step '{}' retries without max_attempts, so it retries forever", step.id),
                "set max_attempts (it counts the first try), e.g. 3".into(),
            ),
            _ => {}
        }
        // The error kinds `qwf run` reports; anything else never matches.
        const KINDS: &[&str] = &[
            "timeout",
            "exit_code",
            "signal",
            "spawn",
            "bad_output",
            "model",
            "input",
            "condition",
            "step_failed",
        ];
        for (position, kind) in handling.non_retryable.iter().flatten().enumerate() {
            let known = KINDS.contains(&kind.as_str())
                || kind
                    .strip_prefix("exit_code:")
                    .is_some_and(|code| code.parse::<i32>().is_ok());
            if !known {
                let hint = match did_you_mean(kind, KINDS.iter().copied()) {
                    Some(close) => format!(
                        "did you mean '{close}'? The kinds are {}, or exit_code:N",
                        KINDS.join(", ")
                    ),
                    None => format!(
                        "the kinds are {}, or exit_code:N for one exit code",
                        KINDS.join(", ")
                    ),
                };
                self.push(
                    Severity::Warning,
                    IssueCode::InvalidRetry,
                    format!("{base}/non_retryable/{position}"),
                    id,
                    format!(
                        "step '{}' lists '{kind}' as non-retryable, but no failure has that kind, so it never stops a retry",
                        step.id
                    ),
                    hint,
                );
            }
        }
        if let Some(coefficient) = handling.backoff_coefficient
            && (coefficient.is_nan() || coefficient < 1.0)
        {
            self.push(
                Severity::Error,
                IssueCode::InvalidRetry,
                format!("{base}/backoff_coefficient"),
                id,
                format!(
                    "step '{}' has backoff_coefficient {coefficient}; it must be at least 1",
                    step.id
                ),
                "use 2.0 (the default) to double the wait after each attempt".into(),
            );
        }
        for (field, value) in [
            ("initial_interval_ms", handling.initial_interval_ms),
            ("max_interval_ms", handling.max_interval_ms),
        ] {
            if let Some(millis) = value.filter(|ms| *ms > MAX_DURATION_SECS * 1000) {
                self.push(
                    Severity::Error,
                    IssueCode::InvalidRetry,
                    format!("{base}/{field}"),
                    id,
                    format!(
                        "step '{}' has {field} {millis}, more than the limit of {} ms (365 days)",
                        step.id,
                        MAX_DURATION_SECS * 1000
                    ),
                    format!("use at most {} ms", MAX_DURATION_SECS * 1000),
                );
            }
        }
        let initial = handling.initial_interval_ms.unwrap_or(1000);
        if let Some(maximum) = handling.max_interval_ms
            && maximum < initial
        {
            self.push(
                Severity::Warning,
                IssueCode::InvalidRetry,
                format!("{base}/max_interval_ms"),
                id,
                format!("step '{}' has max_interval_ms {maximum} below its initial interval {initial} ms", step.id),
                "raise max_interval_ms or lower initial_interval_ms".into(),
            );
        }
        if !retry {
            let retry_fields = [
                ("max_attempts", handling.max_attempts.is_some()),
                ("backoff", handling.backoff.is_some()),
                (
                    "initial_interval_ms",
                    handling.initial_interval_ms.is_some(),
                ),
                (
                    "backoff_coefficient",
                    handling.backoff_coefficient.is_some(),
                ),
                ("max_interval_ms", handling.max_interval_ms.is_some()),
                ("non_retryable", handling.non_retryable.is_some()),
            ];
            for (field, present) in retry_fields {
                if present {
                    self.push(
                        Severity::Warning,
                        IssueCode::IgnoredSetting,
                        format!("{base}/{field}"),
                        id,
                        format!("step '{}' sets {field}, which only applies to strategy 'retry' (it is '{}')", step.id, handling.strategy),
                        "set strategy to \"retry\" or remove the field".into(),
                    );
                }
            }
        }
        match (&handling.fallback, handling.strategy) {
            (None, Strategy::Fallback) => self.push(
                Severity::Error,
                IssueCode::InvalidFallback,
                base.clone(),
                id,
                format!("step '{}' falls back, but names no fallback step", step.id),
                "add \"fallback\": \"STEP_ID\" naming the step to run instead".into(),
            ),
            (Some(target), strategy) => {
                let target_pointer = format!("{base}/fallback");
                if strategy != Strategy::Fallback {
                    self.push(
                        Severity::Warning,
                        IssueCode::IgnoredSetting,
                        target_pointer.clone(),
                        id,
                        format!(
                            "step '{}' names fallback '{target}', but its strategy is '{strategy}'",
                            step.id
                        ),
                        "set strategy to \"fallback\" or remove the field".into(),
                    );
                }
                if target == &step.id {
                    self.push(
                        Severity::Error,
                        IssueCode::InvalidFallback,
                        target_pointer,
                        id,
                        format!("step '{}' falls back to itself", step.id),
                        "name a different step to run when this one fails".into(),
                    );
                } else if !self.index.contains(target) {
                    self.push(
                        Severity::Error,
                        IssueCode::InvalidFallback,
                        target_pointer,
                        id,
                        format!(
                            "step '{}' falls back to '{target}', but there is no such step",
                            step.id
                        ),
                        self.missing_step_hint(target),
                    );
                    self.relate_last(target);
                }
            }
            (None, _) => {}
        }
        self.unknown_fields(&handling.extra, &base, id, "error_handling");
    }

    fn missing_step_hint(&self, missing: &str) -> String {
        match did_you_mean(missing, self.index.ids()) {
            Some(close) => format!("did you mean '{close}'?"),
            None => format!("add a step with id '{missing}' or point to an existing step"),
        }
    }

    /// Walks the steps in execution order, checking that every reference
    /// reads something that has certainly run by then.
    fn check_flow_list(&mut self, steps: &'a [Step]) {
        for step in steps {
            self.check_flow_step(step);
        }
    }

    fn check_flow_step(&mut self, step: &'a Step) {
        // Pointers and places are only written out when there is a problem.
        let index = self.index;
        let pointer = || {
            index
                .get(&step.id)
                .map_or("", |entry| entry.pointer.as_str())
        };
        for (name, value) in &step.inputs {
            if let Some(text) = value.as_str() {
                let is_step = |id: &str| index.contains(id);
                if let Some(found) = reference::parse(text, is_step) {
                    let at = || format!("{}/inputs/{}", pointer(), pointer_segment(name));
                    self.check_reference(step, Place::Input(name), text, found, at);
                }
            }
        }
        match &step.kind {
            StepKind::Parallel { steps } => {
                // Children run together: none sees a sibling's outputs, and
                // all of them have run once the parallel step is done.
                let mark = self.ran_log.len();
                let mut finished = Vec::new();
                for child in steps {
                    let child_mark = self.ran_log.len();
                    self.check_flow_step(child);
                    finished.extend(self.undo_to(child_mark));
                }
                debug_assert_eq!(self.ran_log.len(), mark);
                for id in finished {
                    self.mark_ran(id);
                }
            }
            StepKind::Conditional {
                condition,
                then,
                otherwise,
            } => {
                let is_step = |id: &str| self.index.contains(id);
                let found: Vec<(String, Reference<'a>)> = reference::condition_spans(condition)
                    .into_iter()
                    .filter_map(|span| {
                        let text = &condition[span];
                        reference::parse(text, is_step).map(|found| (text.to_string(), found))
                    })
                    .collect();
                for (text, found) in found {
                    let at = || format!("{}/condition", pointer());
                    self.check_reference(step, Place::Condition, &text, found, at);
                }
                // Only one branch runs, so nothing inside either is certain
                // to have run afterwards.
                let mark = self.ran_log.len();
                self.check_flow_list(then);
                self.undo_to(mark);
                self.check_flow_list(otherwise);
                self.undo_to(mark);
            }
            _ => {}
        }
        self.mark_ran(&step.id);
    }

    fn mark_ran(&mut self, id: &'a str) {
        if self.ran.insert(id) {
            self.ran_log.push(id);
        }
    }

    fn undo_to(&mut self, mark: usize) -> Vec<&'a str> {
        let removed = self.ran_log.split_off(mark);
        for id in &removed {
            self.ran.remove(id);
        }
        removed
    }

    fn check_reference(
        &mut self,
        consumer: &Step,
        place: Place<'_>,
        text: &str,
        found: Reference<'_>,
        pointer: impl Fn() -> String,
    ) {
        let id = Some(consumer.id.as_str());
        match found {
            Reference::Context { key } => {
                if !self.workflow.context.readonly.contains_key(key) {
                    let hint = match did_you_mean(
                        key,
                        self.workflow.context.readonly.keys().map(String::as_str),
                    ) {
                        Some(close) => format!(
                            "did you mean 'context.{close}'? Otherwise add '{key}' to context.readonly"
                        ),
                        None => format!(
                            "add '{key}' to context.readonly (e.g. `qwf edit NAME --context \"set {key} to ...\"`)"
                        ),
                    };
                    self.push(
                        Severity::Error,
                        IssueCode::MissingContextKey,
                        pointer(),
                        id,
                        format!(
                            "step '{}' {place} reads '{text}', but the context has no key '{key}'",
                            consumer.id
                        ),
                        hint,
                    );
                }
            }
            Reference::Step {
                step: producer_id,
                output,
            } => {
                let Some(producer) = self.index.get(producer_id) else {
                    self.push(
                        Severity::Error,
                        IssueCode::UnknownStep,
                        pointer(),
                        id,
                        format!("step '{}' {place} reads '{text}', but there is no step '{producer_id}'", consumer.id),
                        self.missing_step_hint(producer_id),
                    );
                    self.relate_last(producer_id);
                    return;
                };
                let producer = producer.step;
                // A step named as another's fallback runs only in its place
                // (and its outputs then appear under that step's id).
                if let Some(primary) = self
                    .fallback_of
                    .get(producer_id)
                    .copied()
                    .filter(|primary| *primary != consumer.id)
                {
                    self.push(
                        Severity::Error,
                        IssueCode::NotRunBefore,
                        pointer(),
                        id,
                        format!(
                            "step '{}' {place} reads '{text}', but '{producer_id}' runs only as the fallback of '{primary}'",
                            consumer.id
                        ),
                        format!("read '{primary}.{output}' instead: a fallback's outputs take the failed step's place"),
                    );
                    self.relate_last(producer_id);
                    return;
                }
                if !self.ran.contains(producer_id) {
                    let reason = self.why_not_run(consumer, producer_id);
                    self.push(
                        Severity::Error,
                        IssueCode::NotRunBefore,
                        pointer(),
                        id,
                        format!("step '{}' {place} reads '{text}', but '{producer_id}' {reason}", consumer.id),
                        format!("move '{producer_id}' before '{}', or read a value that is available there", consumer.id),
                    );
                    self.relate_last(producer_id);
                } else if producer.outputs.iter().any(|declared| declared == output) {
                    // Declared by the step, but does its skill produce it?
                    if let Some((what, name, interface)) =
                        self.known.and_then(|known| known.interface_of(producer))
                        && interface.produces_for(&producer.outputs, output) == Some(false)
                    {
                        let produced = interface.output_names();
                        let hint = if produced.is_empty() {
                            format!(
                                "{what} '{name}' produces no outputs; read a value from elsewhere"
                            )
                        } else {
                            format!(
                                "read one of the outputs {what} '{name}' produces: {}",
                                produced.join(", ")
                            )
                        };
                        self.push(
                            Severity::Error,
                            IssueCode::UnproducedOutput,
                            pointer(),
                            id,
                            format!("step '{}' {place} reads '{text}', but {what} '{name}' of step '{producer_id}' does not produce '{output}'", consumer.id),
                            hint,
                        );
                        self.relate_last(producer_id);
                    }
                } else {
                    let declared = if producer.outputs.is_empty() {
                        "it declares no outputs".to_string()
                    } else {
                        format!("its outputs are: {}", producer.outputs.join(", "))
                    };
                    let hint = match did_you_mean(
                        output,
                        producer.outputs.iter().map(String::as_str),
                    ) {
                        Some(close) => {
                            format!("did you mean '{producer_id}.{close}'? ({declared})")
                        }
                        None => match self
                            .known
                            .and_then(|known| known.interface_of(producer))
                            .filter(|(_, _, interface)| {
                                interface.produces_for(&[], output) == Some(false)
                            }) {
                            Some((what, name, interface)) => format!(
                                "{what} '{name}' of '{producer_id}' does not produce '{output}' either (it produces: {}); read a value that exists",
                                interface.output_names().join(", ")
                            ),
                            None => format!(
                                "add '{output}' to the outputs of '{producer_id}' ({declared})"
                            ),
                        },
                    };
                    self.push(
                        Severity::Error,
                        IssueCode::UndeclaredOutput,
                        pointer(),
                        id,
                        format!("step '{}' {place} reads '{text}', but step '{producer_id}' has no output '{output}'", consumer.id),
                        hint,
                    );
                    self.relate_last(producer_id);
                }
            }
        }
    }

    /// Explains why `producer` has not certainly run when `consumer` starts.
    fn why_not_run(&self, consumer: &Step, producer: &str) -> String {
        if producer == consumer.id {
            return "is the step itself".into();
        }
        let consumer_chain = self.index.ancestry(&consumer.id);
        if consumer_chain
            .iter()
            .any(|container| container.owner() == Some(producer))
        {
            return "contains it, so its outputs exist only after it finishes".into();
        }
        let producer_chain = self.index.ancestry(producer);
        let shared = consumer_chain
            .iter()
            .zip(&producer_chain)
            .take_while(|(left, right)| left == right)
            .count();
        for container in &producer_chain[shared..] {
            match container {
                Container::Then(owner) => {
                    return format!("only runs when the condition of '{owner}' holds");
                }
                Container::Else(owner) => {
                    return format!("only runs when the condition of '{owner}' does not hold");
                }
                _ => {}
            }
        }
        if let Some(Container::Parallel(owner)) =
            shared.checked_sub(1).map(|last| &consumer_chain[last])
        {
            return format!("runs at the same time (both are in parallel step '{owner}')");
        }
        "runs later".into()
    }

    fn check_fallback_cycles(&mut self) {
        let mut fallback_of: HashMap<&str, (&str, &str)> = HashMap::new();
        for visited in &self.index.visited {
            if let Some(target) = visited
                .step
                .error_handling
                .as_ref()
                .and_then(|h| h.fallback.as_deref())
                && visited.step.error_handling.as_ref().map(|h| h.strategy)
                    == Some(Strategy::Fallback)
            {
                fallback_of.insert(visited.step.id.as_str(), (target, visited.pointer.as_str()));
            }
        }
        // Each step has at most one fallback, so following the chain from
        // each start finds every cycle; `settled` keeps it linear.
        let mut settled: HashSet<&str> = HashSet::new();
        let mut found = Vec::new();
        for visited in &self.index.visited {
            let start = visited.step.id.as_str();
            // A step that falls back nowhere is in no cycle.
            if !fallback_of.contains_key(start) {
                continue;
            }
            let mut path: Vec<&str> = Vec::new();
            let mut on_path: HashSet<&str> = HashSet::new();
            let mut current = start;
            let cycle_entry = loop {
                if settled.contains(current) {
                    break None;
                }
                if !on_path.insert(current) {
                    break Some(current);
                }
                path.push(current);
                match fallback_of.get(current) {
                    Some((next, _)) if *next != current => current = next,
                    _ => break None,
                }
            };
            if let Some(entry) = cycle_entry {
                let cycle_start = path.iter().position(|id| *id == entry).unwrap_or(0);
                found.push(path[cycle_start..].to_vec());
            }
            settled.extend(path);
        }
        for cycle in found {
            let first = cycle[0];
            let pointer = fallback_of
                .get(first)
                .map(|(_, pointer)| format!("{pointer}/error_handling/fallback"))
                .unwrap_or_default();
            let mut chain = cycle.join(" → ");
            chain.push_str(&format!(" → {first}"));
            self.push(
                Severity::Error,
                IssueCode::FallbackCycle,
                pointer,
                Some(first),
                format!("fallbacks form a cycle: {chain}"),
                "make one of these steps fail or continue instead of falling back".into(),
            );
        }
    }
}

#[cfg(test)]
mod tests;
