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
