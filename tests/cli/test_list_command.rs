use crate::common::{DATA_PIPELINE, TestEnv, three_versions};

#[test]
fn an_empty_home_says_how_to_start() {
    let env = TestEnv::new();
    let run = env.run(&["list"]).ok();
    insta::assert_snapshot!(run.snapshot());
    // Listing writes nothing, not even the home directory.
    assert!(!env.home().exists());
}

#[test]
fn every_workflow_is_listed_with_version_steps_and_age() {
    let env = three_versions();
    // Put there by hand and not recorded yet.
    env.add_workflow(
        "mailer",
        r#"{"name": "mailer", "description": "Send the weekly mail", "steps": [{"id": "send", "type": "skill", "skill": "smtp"}]}"#,
    );
    // A hand edit gone wrong is listed with its problem, not hidden.
    env.add_workflow("broken", "{\n  \"name\": \"broken\",\n  \"steps\": [\n");
    // Kept broken hand edits and temporary files are not workflows.
    env.write("home/workflows/data-pipeline.broken-v2.json", DATA_PIPELINE);
    env.write("home/workflows/.qwf-abc123.tmp", "{");
    let before = env.tree();
    let run = env.run(&["list"]).ok();
    insta::assert_snapshot!(run.snapshot());
    before.assert_same(&env.tree(), "`qwf list`");
}

#[test]
fn json_lists_each_workflow_once() {
    let env = three_versions();
    env.add_workflow("broken", "{ nope");
    let document = env.run(&["--json", "list"]).ok().json();
    let workflows = document["workflows"].as_array().expect("a list");
    let names: Vec<&str> = workflows
        .iter()
        .map(|workflow| workflow["name"].as_str().expect("a name"))
        .collect();
    assert_eq!(names, ["broken", "data-pipeline"]);
    assert!(
        workflows[0]["problem"]
            .as_str()
            .expect("a problem")
            .starts_with("invalid JSON at line 1 column 3")
    );
    let pipeline = &workflows[1];
    assert_eq!(pipeline["version"], 3);
    assert_eq!(pipeline["steps"], 4);
    assert_eq!(
        pipeline["description"],
        "Fetch, validate, and save API data"
    );
    assert_eq!(pipeline["updated"], "2026-11-28T10:00:00Z");
    assert!(pipeline.get("problem").is_none());
}

#[test]
fn a_deleted_workflow_is_not_listed() {
    let env = three_versions();
    env.run(&["delete", "data-pipeline"]).ok();
    let document = env.run(&["--json", "list"]).ok().json();
    assert_eq!(document["workflows"], serde_json::json!([]));
}

#[test]
fn deleted_workflows_are_named_with_how_to_bring_them_back() {
    let env = three_versions();
    env.run(&["delete", "data-pipeline", "--yes"]).ok();
    let run = env.run(&["list"]).ok();
    assert!(run.stdout.starts_with("No workflows.\n"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Deleted, with their history kept: data-pipeline"),
        "{}",
        run.stdout
    );
    let document = env.run(&["--json", "list"]).ok().json();
    assert_eq!(document["deleted"], serde_json::json!(["data-pipeline"]));
}

#[test]
fn a_long_description_is_cut_between_words() {
    let env = TestEnv::new();
    let request = "fetch the orders from the shop every morning, check each order against the stock list, and email the warehouse a summary of everything that is missing or late";
    env.run(&["create", request, "--name", "orders", "--yes"])
        .ok();
    let description = env.current("orders")["description"]
        .as_str()
        .expect("a description")
        .to_string();
    assert!(description.chars().count() <= 120, "{description}");
    let kept = description.strip_suffix('…').expect("marked as cut");
    // What is kept ends where a word of the request ended.
    let kept_lower = kept.to_lowercase();
    assert!(request.starts_with(&kept_lower), "{description}");
    let next = request[kept_lower.len()..].chars().next().expect("more");
    assert!(!next.is_alphanumeric(), "cut inside a word: {description}");
}
