//! JSON Schema of the workflow format, for editors and for the model's tool
//! arguments. Steps are parsed by hand, so their schema is described here
//! with one shape per step type.

use std::borrow::Cow;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde_json::Value;

use super::model::{ErrorHandling, Guardrails, JsonMap, Step, Workflow};

/// Fields every step type has.
#[allow(dead_code)] // read only through its derived schema
#[derive(JsonSchema)]
struct CommonFields {
    /// Unique in the whole workflow, nested steps included. Letters, digits,
    /// '-' and '_'.
    id: String,
    description: Option<String>,
    /// Input name → `context.KEY`, `STEP_ID.OUTPUT`, or a literal value.
    #[serde(default)]
    inputs: JsonMap,
    /// Names of the values this step produces.
    #[serde(default)]
    outputs: Vec<String>,
    timeout_secs: Option<u64>,
    error_handling: Option<ErrorHandling>,
}

macro_rules! step_shape {
    ($name:ident, $tag:literal, $doc:literal, { $($field:tt)* }) => {
        #[allow(dead_code)]
        #[doc = $doc]
        #[derive(JsonSchema)]
        struct $name {
            #[serde(flatten)]
            common: CommonFields,
            #[serde(rename = "type")]
            #[schemars(with = "String", extend("const" = $tag))]
            step_type: (),
            $($field)*
        }
    };
}

step_shape!(SkillStep, "skill", "Runs a skill from the registry.", {
    /// The skill's name (`qwf skill list`).
    skill: String,
});
step_shape!(AgentStep, "agent", "Hands the work to an agent.", {
    agent: String,
    #[serde(rename = "async")]
    run_async: Option<bool>,
    guardrails: Option<Guardrails>,
});
step_shape!(ParallelStep, "parallel", "Runs its steps at the same time.", {
    steps: Vec<Step>,
});
step_shape!(ConditionalStep, "conditional", "Runs `then` when the condition holds, `else` otherwise.", {
    /// e.g. `check.exists == true && context.mode != "dry"`.
    condition: String,
    #[serde(default)]
    then: Vec<Step>,
    #[serde(rename = "else", default)]
    otherwise: Vec<Step>,
});

impl JsonSchema for Step {
    fn schema_name() -> Cow<'static, str> {
        "Step".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "One step of a workflow, by `type`.",
            "oneOf": [
                generator.subschema_for::<SkillStep>(),
                generator.subschema_for::<AgentStep>(),
                generator.subschema_for::<ParallelStep>(),
                generator.subschema_for::<ConditionalStep>(),
            ]
        })
    }
}

/// Values steps read as `context.KEY`.
#[allow(dead_code)]
#[derive(JsonSchema)]
struct ContextShape {
    #[serde(default)]
    readonly: JsonMap,
}

/// A qwf workflow (format v1).
#[allow(dead_code)]
#[derive(JsonSchema)]
#[schemars(title = "qwf workflow")]
struct WorkflowShape {
    name: String,
    /// The author's semantic version; qwf's own version numbers live in the
    /// version log.
    version: Option<String>,
    description: Option<String>,
    steps: Vec<Step>,
    context: Option<ContextShape>,
}

impl JsonSchema for Workflow {
    fn schema_name() -> Cow<'static, str> {
        "Workflow".into()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        WorkflowShape::json_schema(generator)
    }
}

/// The JSON Schema document of the workflow format.
pub fn workflow_schema() -> Value {
    let schema = schemars::schema_for!(Workflow);
    schema.to_value()
}
