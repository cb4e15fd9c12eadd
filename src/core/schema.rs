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

/// A generator for qwf's schemas: optional fields are simply not required
/// (our parsers refuse `null` where a value is expected).
pub fn generator() -> SchemaGenerator {
    schemars::generate::SchemaSettings::draft2020_12()
        .with_transform(drop_null as fn(&mut Schema))
        .into_generator()
}

/// Removes the `null` alternative schemars adds for `Option` fields.
fn drop_null(schema: &mut Schema) {
    if let Some(Value::Array(types)) = schema.get_mut("type") {
        types.retain(|kind| kind != "null");
        if types.len() == 1 {
            let only = types.remove(0);
            schema.insert("type".into(), only);
        }
    }
    let null = serde_json::json!({"type": "null"});
    if let Some(Value::Array(choices)) = schema.get_mut("anyOf") {
        choices.retain(|choice| choice != &null);
        if choices.len() == 1 {
            let only = choices.remove(0);
            schema.remove("anyOf");
            if let Value::Object(fields) = only {
                for (key, value) in fields {
                    schema.insert(key, value);
                }
            }
        }
    }
    schemars::transform::transform_subschemas(&mut drop_null, schema);
}

/// The JSON Schema document of the workflow format.
pub fn workflow_schema() -> Value {
    generator().into_root_schema_for::<Workflow>().to_value()
}

/// The JSON Schema document of the skill file format
/// (`skills/NAME.json`).
pub fn skill_schema() -> Value {
    generator()
        .into_root_schema_for::<super::skill::Skill>()
        .to_value()
}

/// The JSON Schema of one modification (what a model emits).
pub fn modification_schema() -> Value {
    generator()
        .into_root_schema_for::<super::modification::Modification>()
        .to_value()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workflow_schema_describes_every_step_type() {
        let schema = workflow_schema();
        let shapes = schema["$defs"]["Step"]["oneOf"].as_array().map(Vec::len);
        assert_eq!(shapes, Some(4));
        assert_eq!(
            schema["$defs"]["SkillStep"]["properties"]["type"]["const"],
            "skill"
        );
        assert_eq!(schema["properties"]["version"]["type"], "string");
        assert_eq!(schema["required"], serde_json::json!(["name", "steps"]));
    }

    #[test]
    fn the_skill_schema_takes_names_or_objects_as_inputs_and_outputs() {
        let schema = skill_schema();
        assert_eq!(schema["title"], "qwf skill");
        assert_eq!(schema["required"], serde_json::json!(["name", "type"]));
        let port = &schema["$defs"]["Port"]["anyOf"];
        assert_eq!(port[0]["type"], "string");
        assert_eq!(port[1]["$ref"], "#/$defs/PortObject");
        let object = &schema["$defs"]["PortObject"];
        assert_eq!(object["required"], serde_json::json!(["name"]));
        assert_eq!(object["properties"]["optional"]["type"], "boolean");
        assert_eq!(
            schema["properties"]["inputs"]["items"]["$ref"],
            "#/$defs/Port"
        );
    }

    #[test]
    fn the_modification_schema_is_tagged_by_type() {
        let schema = modification_schema();
        let text = schema.to_string();
        for kind in [
            "add_step",
            "remove_step",
            "modify_step",
            "add_error_handling",
            "make_parallel",
            "reorder_steps",
            "rename_step",
            "set_context",
            "remove_context",
            "set_description",
        ] {
            assert!(
                text.contains(&format!("\"const\":\"{kind}\"")),
                "{kind} missing from {text}"
            );
        }
    }
}
