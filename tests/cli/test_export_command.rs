use crate::common::three_versions;

#[test]
fn export_writes_one_package_with_the_whole_history() {
    let env = three_versions();
    env.write(
        "home/skills/http-fetch.json",
        r#"{"name": "http-fetch", "type": "code_inline", "description": "GET a URL", "command": "curl", "inputs": ["url"], "outputs": ["data"]}"#,
    );
    let run = env
        .run(&["export", "data-pipeline", "-o", "pipeline.qwf.json"])
        .ok();
    insta::assert_snapshot!(run.snapshot());
    let package: serde_json::Value =
        serde_json::from_str(&env.read("pipeline.qwf.json")).expect("a JSON package");
    assert_eq!(package["qwf_package"], 1);
    assert_eq!(package["name"], "data-pipeline");
    let history = package["history"].as_array().expect("history");
    assert_eq!(history.len(), 3);
    for (index, entry) in history.iter().enumerate() {
        let version = index as u64 + 1;
        assert_eq!(entry["record"], env.log("data-pipeline")[index]);
        assert_eq!(entry["content"], env.stored("data-pipeline", version));
    }
    assert_eq!(package["skills"]["http-fetch"]["command"], "curl");
    assert_eq!(package["skills"].as_object().expect("skills").len(), 1);
}

#[test]
fn without_output_the_package_goes_to_stdout() {
    let env = three_versions();
    let run = env.run(&["export", "data-pipeline"]).ok();
    let package = run.json();
    assert_eq!(package["history"].as_array().expect("history").len(), 3);
}

#[test]
fn json_summarises_the_export() {
    let env = three_versions();
    let document = env
        .run(&["--json", "export", "data-pipeline", "-o", "out/p.json"])
        .ok()
        .json();
    assert_eq!(document["exported"], "data-pipeline");
    assert_eq!(document["file"], "out/p.json");
    assert_eq!(document["versions"], 3);
    assert_eq!(document["skills"], serde_json::json!([]));
}

#[test]
fn a_missing_workflow_is_refused() {
    let env = three_versions();
    let run = env.refuses(&["export", "data-pipelin", "-o", "p.json"], 1);
    assert!(
        run.stderr.contains("did you mean 'data-pipeline'?"),
        "{}",
        run.stderr
    );
}
