use crate::common::{DATA_PIPELINE, TestEnv};

#[test]
fn the_schema_is_json_schema_for_the_workflow_format() {
    let env = TestEnv::new();
    let run = env.run(&["schema"]);
    assert_eq!(run.code, 0);
    let schema = run.json();
    assert_eq!(
        schema["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    assert_eq!(schema["title"], "qwf workflow");
    assert_eq!(
        schema["$defs"]["ConditionalStep"]["properties"]["type"]["const"],
        "conditional"
    );
}

#[test]
fn the_seed_workflow_matches_the_shapes_the_schema_requires() {
    let env = TestEnv::new();
    let schema = env.run(&["schema"]).json();
    let workflow: serde_json::Value = serde_json::from_str(DATA_PIPELINE).expect("fixture is JSON");
    let required = schema["$defs"]["SkillStep"]["required"]
        .as_array()
        .expect("required list")
        .clone();
    for step in workflow["steps"].as_array().expect("steps") {
        for field in &required {
            assert!(
                step.get(field.as_str().unwrap_or_default()).is_some(),
                "step lacks {field}"
            );
        }
    }
}

#[test]
fn the_skill_schema_describes_inputs_and_outputs() {
    let env = TestEnv::new();
    let run = env.run(&["schema", "skill"]);
    assert_eq!(run.code, 0);
    let schema = run.json();
    assert_eq!(schema["title"], "qwf skill");
    assert_eq!(
        schema["$defs"]["PortObject"]["properties"]["optional"]["type"],
        "boolean"
    );
    let run = env.run(&["schema", "skil"]);
    assert_eq!(run.code, 2, "a usage error: {}", run.stderr);
}
