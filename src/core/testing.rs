//! Fixtures shared by the engine's unit tests.

use super::model::Workflow;

/// The seed's data pipeline: fetch → validate → save.
pub fn data_pipeline() -> Workflow {
    parse(include_str!("../../tests/fixtures/data-pipeline.json"))
}

pub fn parse(text: &str) -> Workflow {
    match Workflow::from_json_str(text) {
        Ok(workflow) => workflow,
        Err(error) => panic!("fixture does not parse: {error}"),
    }
}

/// Parses modifications written as a JSON array.
pub fn modifications(value: serde_json::Value) -> Vec<super::modification::Modification> {
    match serde_json::from_value(value) {
        Ok(list) => list,
        Err(error) => panic!("modifications do not parse: {error}"),
    }
}

/// The seed pipeline's skills with their declared interfaces, plus
/// `s3-uploader` (data, bucket → location) for swaps.
pub fn pipeline_registry() -> super::validation::KnownResources {
    let skill = |text: serde_json::Value| -> super::skill::Skill {
        match serde_json::from_value(text) {
            Ok(skill) => skill,
            Err(error) => panic!("fixture skill does not parse: {error}"),
        }
    };
    let skills = [
        skill(
            serde_json::json!({"name": "http-fetch", "type": "code_inline", "command": "curl -sf",
            "inputs": ["url"], "outputs": ["data"]}),
        ),
        skill(
            serde_json::json!({"name": "data-validator", "type": "code_inline", "command": "python3 validate.py",
            "inputs": ["data", {"name": "schema", "optional": true}], "outputs": ["validated", {"name": "valid", "type": "boolean"}]}),
        ),
        skill(
            serde_json::json!({"name": "db-writer", "type": "code_inline", "command": "python3 save.py",
            "inputs": ["data", "table"], "outputs": []}),
        ),
        skill(
            serde_json::json!({"name": "s3-uploader", "type": "code_inline", "command": "aws s3 cp - s3://bucket/key",
            "inputs": ["data", "bucket"], "outputs": ["location"]}),
        ),
        skill(
            serde_json::json!({"name": "legacy", "type": "code_inline", "command": "./legacy.sh"}),
        ),
        skill(
            serde_json::json!({"name": "curl-fetch", "type": "code_inline", "command": "curl -fsSL --retry 2",
            "inputs": ["url"], "outputs": ["data"]}),
        ),
        skill(
            serde_json::json!({"name": "logger", "type": "code_inline", "command": "logger -t qwf",
            "inputs": ["data"], "outputs": []}),
        ),
    ];
    super::validation::KnownResources::new(&skills, Vec::new())
}
