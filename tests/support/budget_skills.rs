//! The 13 installed skills the prompt budget of a creation is measured with
//! (issue 14): `tests/model_truth.rs` checks it on the wire,
//! `benches/prompt.rs` times it.
#![allow(dead_code)] // each user takes a different part

use serde_json::{Value, json};

/// Name and description of each skill.
pub const BUDGET_SKILLS: [(&str, &str); 13] = [
    ("http-fetch", "Fetch a URL over HTTP"),
    ("data-validator", "Validate JSON data against a schema"),
    ("db-writer", "Write rows to a database table"),
    ("csv-parser", "Parse CSV text into records"),
    ("json-transform", "Reshape JSON with a jq expression"),
    ("s3-upload", "Upload a file to an S3 bucket"),
    ("slack-notify", "Post a message to a Slack channel"),
    ("email-send", "Send an email"),
    ("pdf-report", "Render records as a PDF report"),
    ("dedupe", "Remove duplicate records"),
    ("schema-infer", "Infer a JSON schema from samples"),
    ("rate-limiter", "Wait to respect an API rate limit"),
    ("log-writer", "Append a line to a log file"),
];

/// One of them as the skill file qwf reads.
pub fn budget_skill(name: &str, description: &str) -> Value {
    json!({"name": name, "type": "code_inline", "description": description,
           "command": format!("{name} --run"), "inputs": ["data"], "outputs": ["result"]})
}
