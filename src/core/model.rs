//! The workflow format (v1): what a workflow file holds, parsed and printed
//! without losing anything a user wrote.
//!
//! Unknown fields are kept in `extra` maps at every level so a load/save round
//! trip never drops a user's additions. Steps are parsed by hand (not with
//! `#[serde(flatten)]`) because flatten buffers the input and would lose the
//! line and column of errors inside nested steps.

use std::fmt;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// A JSON object whose key order is kept (serde_json's `preserve_order`).
pub type JsonMap = Map<String, Value>;

/// A whole workflow file.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Workflow {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub steps: Vec<Step>,
    #[serde(skip_serializing_if = "Context::is_empty")]
    pub context: Context,
    /// Fields this version of qwf does not know; kept verbatim.
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// Values the steps can read as `context.KEY`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct Context {
    #[serde(skip_serializing_if = "Map::is_empty")]
    pub readonly: JsonMap,
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl Context {
    pub fn is_empty(&self) -> bool {
        self.readonly.is_empty() && self.extra.is_empty()
    }
}

/// One step. `kind` holds what depends on the step's `type`; the rest is
/// common to every type.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub id: String,
    pub kind: StepKind,
    pub description: Option<String>,
    /// Input name → reference (`context.KEY`, `STEP.OUTPUT`) or literal.
    pub inputs: JsonMap,
    pub outputs: Vec<String>,
    pub timeout_secs: Option<u64>,
    pub error_handling: Option<ErrorHandling>,
    pub extra: JsonMap,
}

#[derive(Debug, Clone, PartialEq)]
pub enum StepKind {
    Skill {
        skill: String,
    },
    Agent {
        agent: String,
        run_async: Option<bool>,
        guardrails: Option<Guardrails>,
    },
    Parallel {
        steps: Vec<Step>,
    },
    Conditional {
        condition: String,
        then: Vec<Step>,
        otherwise: Vec<Step>,
    },
    /// A `type` qwf does not know. Kept so the file round-trips; validation
    /// reports it.
    Unknown {
        type_name: String,
    },
}

/// The step types of format v1, as written in `"type"`.
pub const STEP_TYPES: [&str; 4] = ["skill", "agent", "parallel", "conditional"];

impl StepKind {
    pub fn type_name(&self) -> &str {
        match self {
            StepKind::Skill { .. } => "skill",
            StepKind::Agent { .. } => "agent",
            StepKind::Parallel { .. } => "parallel",
            StepKind::Conditional { .. } => "conditional",
            StepKind::Unknown { type_name } => type_name,
        }
    }
}

/// Limits for an agent step.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default, schemars::JsonSchema)]
pub struct Guardrails {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_tools: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_iterations: Option<u32>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

/// What happens when a step fails. Retry fields follow Temporal's semantics:
/// `max_attempts` counts the first try.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct ErrorHandling {
    pub strategy: Strategy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff: Option<Backoff>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_coefficient: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_interval_ms: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub non_retryable: Option<Vec<String>>,
    /// The step to run instead when strategy is `fallback`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    #[serde(flatten)]
    pub extra: JsonMap,
}

impl ErrorHandling {
    pub fn with_strategy(strategy: Strategy) -> Self {
        ErrorHandling {
            strategy,
            max_attempts: None,
            backoff: None,
            initial_interval_ms: None,
            backoff_coefficient: None,
            max_interval_ms: None,
            non_retryable: None,
            fallback: None,
            extra: JsonMap::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Strategy {
    Retry,
    Continue,
    Fail,
    Fallback,
}

impl fmt::Display for Strategy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Strategy::Retry => "retry",
            Strategy::Continue => "continue",
            Strategy::Fail => "fail",
            Strategy::Fallback => "fallback",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    Fixed,
    Linear,
    Exponential,
}

impl fmt::Display for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backoff::Fixed => "fixed",
            Backoff::Linear => "linear",
            Backoff::Exponential => "exponential",
        })
    }
}

/// Which list of steps a step lives in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "in", content = "step", rename_all = "snake_case")]
pub enum Container {
    /// The workflow's top-level `steps`.
    Root,
    /// The `steps` of a parallel step.
    Parallel(String),
    /// The `then` branch of a conditional step.
    Then(String),
    /// The `else` branch of a conditional step.
    Else(String),
}

impl Container {
    /// The step that owns this list, if any.
    pub fn owner(&self) -> Option<&str> {
        match self {
            Container::Root => None,
            Container::Parallel(id) | Container::Then(id) | Container::Else(id) => Some(id),
        }
    }
}

impl fmt::Display for Container {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Container::Root => f.write_str("the workflow"),
            Container::Parallel(id) => write!(f, "parallel '{id}'"),
            Container::Then(id) => write!(f, "the then-branch of '{id}'"),
            Container::Else(id) => write!(f, "the else-branch of '{id}'"),
        }
    }
}

impl Step {
    /// A skill step with no inputs or outputs, the usual starting point.
    pub fn skill(id: impl Into<String>, skill: impl Into<String>) -> Self {
        Step::new(
            id,
            StepKind::Skill {
                skill: skill.into(),
            },
        )
    }

    pub fn new(id: impl Into<String>, kind: StepKind) -> Self {
        Step {
            id: id.into(),
            kind,
            description: None,
            inputs: JsonMap::new(),
            outputs: Vec::new(),
            timeout_secs: None,
            error_handling: None,
            extra: JsonMap::new(),
        }
    }

    /// The nested step lists of this step, with the container each one is.
    pub fn child_lists(&self) -> Vec<(Container, &Vec<Step>)> {
        match &self.kind {
            StepKind::Parallel { steps } => vec![(Container::Parallel(self.id.clone()), steps)],
            StepKind::Conditional {
                then, otherwise, ..
            } => vec![
                (Container::Then(self.id.clone()), then),
                (Container::Else(self.id.clone()), otherwise),
            ],
            _ => Vec::new(),
        }
    }

    /// The nested list `container` names, when this step owns it.
    pub fn child_list_mut(&mut self, container: &Container) -> Option<&mut Vec<Step>> {
        match (&mut self.kind, container) {
            (StepKind::Parallel { steps }, Container::Parallel(_)) => Some(steps),
            (StepKind::Conditional { then, .. }, Container::Then(_)) => Some(then),
            (StepKind::Conditional { otherwise, .. }, Container::Else(_)) => Some(otherwise),
            _ => None,
        }
    }

    /// The JSON field name of a nested list (`steps`, `then`, `else`).
    pub fn is_container_field(field: &str) -> bool {
        matches!(field, "steps" | "then" | "else")
    }

    /// The skill this step runs, when it is a skill step.
    pub fn skill_name(&self) -> Option<&str> {
        match &self.kind {
            StepKind::Skill { skill } => Some(skill),
            _ => None,
        }
    }
}

impl Workflow {
    /// Parses a workflow from JSON text. Errors carry line and column.
    pub fn from_json_str(text: &str) -> Result<Workflow, ParseError> {
        serde_json::from_str(text).map_err(ParseError::from_json)
    }

    /// Parses a workflow from a JSON value (a tool call argument, a plan file).
    pub fn from_value(value: Value) -> Result<Workflow, ParseError> {
        serde_json::from_value(value).map_err(ParseError::from_json)
    }

    /// Pretty JSON with a trailing newline, as written to disk.
    pub fn to_pretty_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("a workflow is always representable as JSON");
        text.push('\n');
        text
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).expect("a workflow is always representable as JSON")
    }
}

/// A workflow (or step) that is not well-formed JSON of the format.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message} at line {line} column {column}")]
pub struct ParseError {
    pub message: String,
    /// 1-based; 0 when the input was not text (a JSON value).
    pub line: usize,
    pub column: usize,
    pub hint: String,
}

impl ParseError {
    fn from_json(error: serde_json::Error) -> Self {
        use serde_json::error::Category;
        let hint = match error.classify() {
            Category::Syntax | Category::Eof => {
                "fix the JSON syntax at that place (a missing comma, quote or bracket is the usual cause)"
            }
            Category::Data => {
                "compare the field with the workflow format: `qwf schema` prints it as JSON Schema"
            }
            Category::Io => "check that the file can be read",
        };
        // serde_json appends " at line L column C" to its message; we report
        // the position separately.
        let full = error.to_string();
        let message = match full.rfind(" at line ") {
            Some(cut) if error.line() > 0 => full[..cut].to_string(),
            _ => full,
        };
        ParseError {
            message,
            line: error.line(),
            column: error.column(),
            hint: hint.to_string(),
        }
    }
}

impl Serialize for Step {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_step(self, true, serializer)
    }
}

/// A step's own fields, without its nested steps, for comparing steps
/// field by field.
pub struct OwnFields<'a>(pub &'a Step);

impl Serialize for OwnFields<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serialize_step(self.0, false, serializer)
    }
}

impl Step {
    /// The step's own fields as a JSON object (nested steps left out).
    pub fn own_fields(&self) -> JsonMap {
        match serde_json::to_value(OwnFields(self)) {
            Ok(Value::Object(map)) => map,
            _ => unreachable!("a step always serializes to a JSON object"),
        }
    }
}

fn serialize_step<S: Serializer>(
    step: &Step,
    include_children: bool,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    let mut map = serializer.serialize_map(None)?;
    map.serialize_entry("id", &step.id)?;
    map.serialize_entry("type", step.kind.type_name())?;
    match &step.kind {
        StepKind::Skill { skill } => map.serialize_entry("skill", skill)?,
        StepKind::Agent { agent, .. } => map.serialize_entry("agent", agent)?,
        _ => {}
    }
    if let Some(description) = &step.description {
        map.serialize_entry("description", description)?;
    }
    if let StepKind::Conditional { condition, .. } = &step.kind {
        map.serialize_entry("condition", condition)?;
    }
    if !step.inputs.is_empty() {
        map.serialize_entry("inputs", &step.inputs)?;
    }
    if !step.outputs.is_empty() {
        map.serialize_entry("outputs", &step.outputs)?;
    }
    if let StepKind::Agent {
        run_async,
        guardrails,
        ..
    } = &step.kind
    {
        if let Some(run_async) = run_async {
            map.serialize_entry("async", run_async)?;
        }
        if let Some(guardrails) = guardrails {
            map.serialize_entry("guardrails", guardrails)?;
        }
    }
    if let Some(timeout) = step.timeout_secs {
        map.serialize_entry("timeout_secs", &timeout)?;
    }
    if let Some(error_handling) = &step.error_handling {
        map.serialize_entry("error_handling", error_handling)?;
    }
    match &step.kind {
        _ if !include_children => {}
        StepKind::Parallel { steps } => map.serialize_entry("steps", steps)?,
        StepKind::Conditional {
            then, otherwise, ..
        } => {
            map.serialize_entry("then", then)?;
            if !otherwise.is_empty() {
                map.serialize_entry("else", otherwise)?;
            }
        }
        _ => {}
    }
    for (key, value) in &step.extra {
        map.serialize_entry(key, value)?;
    }
    map.end()
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(StepVisitor)
    }
}

struct StepVisitor;

/// Fields that belong to one step type; collected before the type is known
/// because JSON objects are unordered.
#[derive(Default)]
struct TypeFields {
    skill: Option<String>,
    agent: Option<String>,
    run_async: Option<bool>,
    guardrails: Option<Guardrails>,
    steps: Option<Vec<Step>>,
    condition: Option<String>,
    then: Option<Vec<Step>>,
    otherwise: Option<Vec<Step>>,
}

impl TypeFields {
    /// Fields present but not used by `type_name`, to keep as unknown fields.
    fn leftovers(self, type_name: &str, extra: &mut JsonMap) {
        let mut keep = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                extra.insert(key.to_string(), value);
            }
        };
        if type_name != "skill" {
            keep("skill", self.skill.map(Value::String));
        }
        if type_name != "agent" {
            keep("agent", self.agent.map(Value::String));
            keep("async", self.run_async.map(Value::Bool));
            keep("guardrails", self.guardrails.as_ref().map(to_json));
        }
        if type_name != "parallel" {
            keep("steps", self.steps.as_ref().map(to_json));
        }
        if type_name != "conditional" {
            keep("condition", self.condition.map(Value::String));
            keep("then", self.then.as_ref().map(to_json));
            keep("else", self.otherwise.as_ref().map(to_json));
        }
    }
}

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn set_once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    slot: &mut Option<T>,
    key: &'static str,
    map: &mut A,
) -> Result<(), A::Error> {
    if slot.is_some() {
        return Err(de::Error::duplicate_field(key));
    }
    *slot = Some(map.next_value()?);
    Ok(())
}

impl<'de> Visitor<'de> for StepVisitor {
    type Value = Step;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a step object with \"id\" and \"type\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Step, A::Error> {
        let mut id: Option<String> = None;
        let mut type_name: Option<String> = None;
        let mut description = None;
        let mut inputs: Option<JsonMap> = None;
        let mut outputs: Option<Vec<String>> = None;
        let mut timeout_secs = None;
        let mut error_handling = None;
        let mut fields = TypeFields::default();
        let mut extra = JsonMap::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "id" => set_once(&mut id, "id", &mut map)?,
                "type" => set_once(&mut type_name, "type", &mut map)?,
                "description" => set_once(&mut description, "description", &mut map)?,
                "inputs" => set_once(&mut inputs, "inputs", &mut map)?,
                "outputs" => set_once(&mut outputs, "outputs", &mut map)?,
                "timeout_secs" => set_once(&mut timeout_secs, "timeout_secs", &mut map)?,
                "error_handling" => set_once(&mut error_handling, "error_handling", &mut map)?,
                "skill" => set_once(&mut fields.skill, "skill", &mut map)?,
                "agent" => set_once(&mut fields.agent, "agent", &mut map)?,
                "async" => set_once(&mut fields.run_async, "async", &mut map)?,
                "guardrails" => set_once(&mut fields.guardrails, "guardrails", &mut map)?,
                "steps" => set_once(&mut fields.steps, "steps", &mut map)?,
                "condition" => set_once(&mut fields.condition, "condition", &mut map)?,
                "then" => set_once(&mut fields.then, "then", &mut map)?,
                "else" => set_once(&mut fields.otherwise, "else", &mut map)?,
                _ => {
                    let value = map.next_value()?;
                    if extra.insert(key.clone(), value).is_some() {
                        return Err(de::Error::custom(format!("duplicate field `{key}`")));
                    }
                }
            }
        }
        let id = id.ok_or_else(|| de::Error::missing_field("id"))?;
        let type_name = type_name.ok_or_else(|| {
            de::Error::custom(format!(
                "step '{id}' has no \"type\" (one of: {})",
                STEP_TYPES.join(", ")
            ))
        })?;
        let missing = |field: &str| {
            de::Error::custom(format!("{type_name} step '{id}' needs a \"{field}\" field"))
        };
        let kind = match type_name.as_str() {
            "skill" => StepKind::Skill {
                skill: fields.skill.take().ok_or_else(|| missing("skill"))?,
            },
            "agent" => StepKind::Agent {
                agent: fields.agent.take().ok_or_else(|| missing("agent"))?,
                run_async: fields.run_async.take(),
                guardrails: fields.guardrails.take(),
            },
            "parallel" => StepKind::Parallel {
                steps: fields.steps.take().unwrap_or_default(),
            },
            "conditional" => StepKind::Conditional {
                condition: fields
                    .condition
                    .take()
                    .ok_or_else(|| missing("condition"))?,
                then: fields.then.take().unwrap_or_default(),
                otherwise: fields.otherwise.take().unwrap_or_default(),
            },
            other => StepKind::Unknown {
                type_name: other.to_string(),
            },
        };
        fields.leftovers(&type_name, &mut extra);
        Ok(Step {
            id,
            kind,
            description,
            inputs: inputs.unwrap_or_default(),
            outputs: outputs.unwrap_or_default(),
            timeout_secs,
            error_handling,
            extra,
        })
    }
}

impl<'de> Deserialize<'de> for Workflow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(WorkflowVisitor)
    }
}

struct WorkflowVisitor;

impl<'de> Visitor<'de> for WorkflowVisitor {
    type Value = Workflow;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a workflow object with \"name\" and \"steps\"")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Workflow, A::Error> {
        let mut name = None;
        let mut version = None;
        let mut description = None;
        let mut steps = None;
        let mut context = None;
        let mut extra = JsonMap::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "name" => set_once(&mut name, "name", &mut map)?,
                "version" => set_once(&mut version, "version", &mut map)?,
                "description" => set_once(&mut description, "description", &mut map)?,
                "steps" => set_once(&mut steps, "steps", &mut map)?,
                "context" => set_once(&mut context, "context", &mut map)?,
                _ => {
                    let value = map.next_value()?;
                    if extra.insert(key.clone(), value).is_some() {
                        return Err(de::Error::custom(format!("duplicate field `{key}`")));
                    }
                }
            }
        }
        Ok(Workflow {
            name: name.ok_or_else(|| de::Error::missing_field("name"))?,
            version,
            description,
            steps: steps.ok_or_else(|| de::Error::missing_field("steps"))?,
            context: context.unwrap_or_default(),
            extra,
        })
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ContextVisitor;
        impl<'de> Visitor<'de> for ContextVisitor {
            type Value = Context;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a context object such as {\"readonly\": {\"KEY\": VALUE}}")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Context, A::Error> {
                let mut readonly = None;
                let mut extra = JsonMap::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key == "readonly" {
                        set_once(&mut readonly, "readonly", &mut map)?;
                    } else {
                        let value = map.next_value()?;
                        extra.insert(key, value);
                    }
                }
                Ok(Context {
                    readonly: readonly.unwrap_or_default(),
                    extra,
                })
            }
        }
        deserializer.deserialize_map(ContextVisitor)
    }
}

#[cfg(test)]
mod tests;
