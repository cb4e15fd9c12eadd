use serde_json::json;

use super::*;
use crate::core::testing::{data_pipeline, parse};

fn issues(text: &str) -> Vec<Issue> {
    validate(&parse(text), None).issues
}

fn codes(report: &[Issue]) -> Vec<(Severity, IssueCode, String)> {
    report
        .iter()
        .map(|issue| (issue.severity, issue.code, issue.pointer.clone()))
        .collect()
}

/// What `codes` holds for a step given no value for a required input.
fn missing_input() -> (Severity, IssueCode, String) {
    (
        Severity::Error,
        IssueCode::MissingInput,
        "/steps/0/inputs".into(),
    )
}

/// What `codes` holds for the first step's input `name` that its skill or
/// agent does not take.
fn undeclared_input(name: &str) -> (Severity, IssueCode, String) {
    (
        Severity::Warning,
        IssueCode::UndeclaredInput,
        format!("/steps/0/inputs/{name}"),
    )
}

fn only(text: &str) -> Issue {
    let mut found = issues(text);
    assert_eq!(found.len(), 1, "expected exactly one issue, got {found:#?}");
    found.remove(0)
}

#[test]
fn the_seed_workflow_is_valid() {
    let report = validate(&data_pipeline(), None);
    assert!(report.issues.is_empty(), "{:#?}", report.issues);
    assert!(report.is_valid());
}

#[test]
fn an_empty_workflow_is_an_error() {
    let issue = only(r#"{"name": "w", "steps": []}"#);
    assert_eq!(
        (issue.severity, issue.code, issue.pointer.as_str()),
        (Severity::Error, IssueCode::EmptyWorkflow, "/steps")
    );
}

#[test]
fn a_reference_to_an_unknown_step_names_consumer_input_and_suggestion() {
    let issue = only(
        r#"{"name": "w", "steps": [
            {"id": "fetch", "type": "skill", "skill": "s", "outputs": ["data"]},
            {"id": "save", "type": "skill", "skill": "t", "inputs": {"data": "fecth.data"}}]}"#,
    );
    assert_eq!(issue.code, IssueCode::UnknownStep);
    assert_eq!(issue.pointer, "/steps/1/inputs/data");
    assert_eq!(issue.step_id.as_deref(), Some("save"));
    assert_eq!(
        issue.message,
        "step 'save' input 'data' reads 'fecth.data', but there is no step 'fecth'"
    );
    assert_eq!(issue.hint, "did you mean 'fetch'?");
}

#[test]
fn an_undeclared_output_lists_the_declared_ones() {
    let issue = only(
        r#"{"name": "w", "steps": [
            {"id": "fetch", "type": "skill", "skill": "s", "outputs": ["data", "status"]},
            {"id": "save", "type": "skill", "skill": "t", "inputs": {"data": "fetch.dta"}}]}"#,
    );
    assert_eq!(issue.code, IssueCode::UndeclaredOutput);
    assert_eq!(issue.related_step.as_deref(), Some("fetch"));
    assert_eq!(
        issue.hint,
        "did you mean 'fetch.data'? (its outputs are: data, status)"
    );
}

#[test]
fn reading_a_later_step_is_an_error() {
    let issue = only(
        r#"{"name": "w", "steps": [
            {"id": "save", "type": "skill", "skill": "t", "inputs": {"data": "fetch.data"}},
            {"id": "fetch", "type": "skill", "skill": "s", "outputs": ["data"]}]}"#,
    );
    assert_eq!(issue.code, IssueCode::NotRunBefore);
    assert!(
        issue.message.ends_with("but 'fetch' runs later"),
        "{}",
        issue.message
    );
}

#[test]
fn reading_yourself_is_an_error() {
    let issue = only(
        r#"{"name": "w", "steps": [{"id": "a", "type": "skill", "skill": "s", "inputs": {"x": "a.out"}, "outputs": ["out"]}]}"#,
    );
    assert_eq!(issue.code, IssueCode::NotRunBefore);
    assert!(
        issue.message.ends_with("but 'a' is the step itself"),
        "{}",
        issue.message
    );
}

#[test]
fn parallel_siblings_cannot_read_each_other_but_later_steps_can_read_them() {
    let report = issues(
        r#"{"name": "w", "steps": [
            {"id": "p", "type": "parallel", "steps": [
                {"id": "a", "type": "skill", "skill": "s", "outputs": ["x"]},
                {"id": "b", "type": "skill", "skill": "s", "inputs": {"x": "a.x"}, "outputs": ["y"]}]},
            {"id": "c", "type": "skill", "skill": "s", "inputs": {"x": "a.x", "y": "b.y"}}]}"#,
    );
    assert_eq!(
        codes(&report),
        vec![(
            Severity::Error,
            IssueCode::NotRunBefore,
            "/steps/0/steps/1/inputs/x".into()
        )]
    );
    assert!(
        report[0]
            .message
            .ends_with("runs at the same time (both are in parallel step 'p')"),
        "{}",
        report[0].message
    );
}

#[test]
fn a_step_inside_a_branch_does_not_run_on_every_path() {
    let report = issues(
        r#"{"name": "w", "steps": [
            {"id": "check", "type": "skill", "skill": "s", "outputs": ["ok"]},
            {"id": "c", "type": "conditional", "condition": "check.ok == true",
             "then": [{"id": "a", "type": "skill", "skill": "s", "inputs": {"ok": "check.ok"}, "outputs": ["x"]}],
             "else": [{"id": "b", "type": "skill", "skill": "s", "inputs": {"x": "a.x"}, "outputs": ["x"]}]},
            {"id": "after", "type": "skill", "skill": "s", "inputs": {"x": "b.x"}}]}"#,
    );
    assert_eq!(
        codes(&report),
        vec![
            (
                Severity::Error,
                IssueCode::NotRunBefore,
                "/steps/1/else/0/inputs/x".into()
            ),
            (
                Severity::Error,
                IssueCode::NotRunBefore,
                "/steps/2/inputs/x".into()
            ),
        ]
    );
    assert!(
        report[0]
            .message
            .ends_with("only runs when the condition of 'c' holds"),
        "{}",
        report[0].message
    );
    assert!(
        report[1]
            .message
            .ends_with("only runs when the condition of 'c' does not hold"),
        "{}",
        report[1].message
    );
}

#[test]
fn a_child_cannot_read_the_step_that_contains_it() {
    let issue = only(
        r#"{"name": "w", "steps": [{"id": "p", "type": "parallel", "outputs": ["all"], "steps": [
            {"id": "a", "type": "skill", "skill": "s", "inputs": {"x": "p.all"}}]}]}"#,
    );
    assert!(
        issue
            .message
            .ends_with("but 'p' contains it, so its outputs exist only after it finishes"),
        "{}",
        issue.message
    );
}

#[test]
fn condition_references_are_checked() {
    let issue = only(
        r#"{"name": "w", "steps": [{"id": "c", "type": "conditional", "condition": "context.mode == 'full' && check.ok",
            "then": [{"id": "a", "type": "skill", "skill": "s"}]}], "context": {"readonly": {"mode": "full"}}}"#,
    );
    assert_eq!(
        (issue.code, issue.pointer.as_str()),
        (IssueCode::UnknownStep, "/steps/0/condition")
    );
    assert!(
        issue.message.contains("in its condition reads 'check.ok'"),
        "{}",
        issue.message
    );
}

#[test]
fn a_missing_context_key_suggests_the_close_one() {
    let issue = only(
        r#"{"name": "w", "steps": [{"id": "a", "type": "skill", "skill": "s", "inputs": {"u": "context.api_ulr"}}],
            "context": {"readonly": {"api_url": "x"}}}"#,
    );
    assert_eq!(issue.code, IssueCode::MissingContextKey);
    assert!(
        issue.hint.starts_with("did you mean 'context.api_url'?"),
        "{}",
        issue.hint
    );
}

#[test]
fn literals_that_look_like_file_names_or_numbers_are_not_references() {
    let report = issues(
        r#"{"name": "w", "steps": [{"id": "a", "type": "skill", "skill": "s",
            "inputs": {"file": "report.pdf", "ratio": "1.5", "version": "v1.2", "url": "https://x.io/a.b", "n": 3}}]}"#,
    );
    assert!(report.is_empty(), "{report:#?}");
}

#[test]
fn duplicate_ids_are_found_in_nested_steps() {
    let issue = only(
        r#"{"name": "w", "steps": [
            {"id": "a", "type": "skill", "skill": "s"},
            {"id": "p", "type": "parallel", "steps": [{"id": "a", "type": "skill", "skill": "s"}]}]}"#,
    );
    assert_eq!(
        (issue.code, issue.pointer.as_str()),
        (IssueCode::DuplicateId, "/steps/1/steps/0/id")
    );
    assert!(
        issue.message.contains("first at /steps/0"),
        "{}",
        issue.message
    );
}

#[test]
fn invalid_ids_are_errors() {
    let issue =
        only(r#"{"name": "w", "steps": [{"id": "fetch.data", "type": "skill", "skill": "s"}]}"#);
    assert_eq!(issue.code, IssueCode::InvalidId);
}

#[test]
fn an_unknown_step_type_suggests_the_close_type() {
    let issue = only(r#"{"name": "w", "steps": [{"id": "a", "type": "paralel"}]}"#);
    assert_eq!(
        (issue.code, issue.pointer.as_str()),
        (IssueCode::UnknownStepType, "/steps/0/type")
    );
    assert!(
        issue.hint.starts_with("did you mean 'parallel'?"),
        "{}",
        issue.hint
    );
}

#[test]
fn fallback_problems_are_errors() {
    let report = issues(
        r#"{"name": "w", "steps": [
            {"id": "a", "type": "skill", "skill": "s", "error_handling": {"strategy": "fallback", "fallback": "nowhere"}},
            {"id": "b", "type": "skill", "skill": "s", "error_handling": {"strategy": "fallback"}},
            {"id": "c", "type": "skill", "skill": "s", "error_handling": {"strategy": "fallback", "fallback": "c"}}]}"#,
    );
    assert_eq!(
        codes(&report),
        vec![
            (
                Severity::Error,
                IssueCode::InvalidFallback,
                "/steps/0/error_handling/fallback".into()
            ),
            (
                Severity::Error,
                IssueCode::InvalidFallback,
                "/steps/1/error_handling".into()
            ),
            (
                Severity::Error,
                IssueCode::InvalidFallback,
                "/steps/2/error_handling/fallback".into()
            ),
        ]
    );
}

#[test]
fn fallback_cycles_are_found_once() {
    let report = issues(
        r#"{"name": "w", "steps": [
            {"id": "a", "type": "skill", "skill": "s", "error_handling": {"strategy": "fallback", "fallback": "b"}},
            {"id": "b", "type": "skill", "skill": "s", "error_handling": {"strategy": "fallback", "fallback": "c"}},
            {"id": "c", "type": "skill", "skill": "s", "error_handling": {"strategy": "fallback", "fallback": "a"}},
            {"id": "d", "type": "skill", "skill": "s", "error_handling": {"strategy": "fallback", "fallback": "a"}}]}"#,
    );
    assert_eq!(
        codes(&report),
        vec![(
            Severity::Error,
            IssueCode::FallbackCycle,
            "/steps/0/error_handling/fallback".into()
        )]
    );
    assert_eq!(report[0].message, "fallbacks form a cycle: a → b → c → a");
}

#[test]
fn invalid_retry_values_are_errors_and_dubious_ones_warnings() {
    let report = issues(
        r#"{"name": "w", "steps": [
            {"id": "a", "type": "skill", "skill": "s", "error_handling": {"strategy": "retry", "max_attempts": 0}},
            {"id": "b", "type": "skill", "skill": "s", "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff_coefficient": 0.5}},
            {"id": "c", "type": "skill", "skill": "s", "error_handling": {"strategy": "retry", "max_attempts": 1}},
            {"id": "d", "type": "skill", "skill": "s", "error_handling": {"strategy": "retry"}},
            {"id": "e", "type": "skill", "skill": "s", "error_handling": {"strategy": "continue", "max_attempts": 3}},
            {"id": "f", "type": "skill", "skill": "s", "error_handling": {"strategy": "retry", "max_attempts": 3, "initial_interval_ms": 5000, "max_interval_ms": 100}}]}"#,
    );
    assert_eq!(
        codes(&report),
        vec![
            (
                Severity::Error,
                IssueCode::InvalidRetry,
                "/steps/0/error_handling/max_attempts".into()
            ),
            (
                Severity::Error,
                IssueCode::InvalidRetry,
                "/steps/1/error_handling/backoff_coefficient".into()
            ),
            (
                Severity::Warning,
                IssueCode::InvalidRetry,
                "/steps/2/error_handling/max_attempts".into()
            ),
            (
                Severity::Warning,
                IssueCode::InvalidRetry,
                "/steps/3/error_handling".into()
            ),
            (
                Severity::Warning,
                IssueCode::IgnoredSetting,
                "/steps/4/error_handling/max_attempts".into()
            ),
            (
                Severity::Warning,
                IssueCode::InvalidRetry,
                "/steps/5/error_handling/max_interval_ms".into()
            ),
        ]
    );
    assert!(report[0].hint.contains("use 1 for no retry"));
}

#[test]
fn other_invalid_values_are_errors() {
    let report = issues(
        r#"{"name": "w", "steps": [
            {"id": "a", "type": "skill", "skill": " ", "timeout_secs": 0, "outputs": ["x", "x"]},
            {"id": "b", "type": "agent", "agent": "fixer", "guardrails": {"max_iterations": 0}},
            {"id": "c", "type": "conditional", "condition": ""},
            {"id": "p", "type": "parallel"}]}"#,
    );
    assert_eq!(
        codes(&report),
        vec![
            (
                Severity::Error,
                IssueCode::InvalidValue,
                "/steps/0/skill".into()
            ),
            (
                Severity::Error,
                IssueCode::InvalidValue,
                "/steps/0/timeout_secs".into()
            ),
            (
                Severity::Error,
                IssueCode::DuplicateOutput,
                "/steps/0/outputs/1".into()
            ),
            (
                Severity::Error,
                IssueCode::InvalidValue,
                "/steps/1/guardrails/max_iterations".into()
            ),
            (
                Severity::Error,
                IssueCode::InvalidValue,
                "/steps/2/condition".into()
            ),
            (
                Severity::Warning,
                IssueCode::EmptyContainer,
                "/steps/2/then".into()
            ),
            (
                Severity::Warning,
                IssueCode::EmptyContainer,
                "/steps/3/steps".into()
            ),
        ]
    );
}

#[test]
fn unknown_skills_and_agents_are_reported_only_with_a_registry() {
    let text = r#"{"name": "w", "steps": [
        {"id": "a", "type": "skill", "skill": "http-fech"},
        {"id": "b", "type": "agent", "agent": "reviewer"}]}"#;
    assert!(issues(text).is_empty());
    let known = KnownResources::names(["http-fetch"], Vec::<String>::new());
    let report = validate(&parse(text), Some(&known));
    assert_eq!(
        codes(&report.issues),
        vec![
            (
                Severity::Error,
                IssueCode::UnknownSkill,
                "/steps/0/skill".into()
            ),
            (
                Severity::Error,
                IssueCode::UnknownAgent,
                "/steps/1/agent".into()
            ),
        ]
    );
    assert!(
        report.issues[0]
            .hint
            .starts_with("did you mean 'http-fetch'?")
    );
}

#[test]
fn unknown_fields_are_warnings_with_pointers() {
    let report = issues(
        r#"{"name": "w", "owner": "me", "steps": [{"id": "a", "type": "skill", "skill": "s", "retry": 3,
            "error_handling": {"strategy": "fail", "jitter": 1}}], "context": {"secrets": []}}"#,
    );
    assert_eq!(
        codes(&report),
        vec![
            (Severity::Warning, IssueCode::UnknownField, "/owner".into()),
            (
                Severity::Warning,
                IssueCode::UnknownField,
                "/context/secrets".into()
            ),
            (
                Severity::Warning,
                IssueCode::UnknownField,
                "/steps/0/error_handling/jitter".into()
            ),
            (
                Severity::Warning,
                IssueCode::UnknownField,
                "/steps/0/retry".into()
            ),
        ]
    );
    assert!(validate(&parse(r#"{"name": "w", "owner": "me", "steps": [{"id": "a", "type": "skill", "skill": "s"}]}"#), None).is_valid());
}

#[test]
fn a_bad_workflow_name_is_a_warning_and_an_empty_one_an_error() {
    let issue =
        only(r#"{"name": "Data Pipeline", "steps": [{"id": "a", "type": "skill", "skill": "s"}]}"#);
    assert_eq!(
        (issue.severity, issue.code),
        (Severity::Warning, IssueCode::InvalidName)
    );
    assert!(issue.hint.contains("data-pipeline"), "{}", issue.hint);
    let issue = only(r#"{"name": "", "steps": [{"id": "a", "type": "skill", "skill": "s"}]}"#);
    assert_eq!(issue.severity, Severity::Error);
}

#[test]
fn every_problem_is_collected_at_once() {
    let mut workflow = data_pipeline();
    workflow.steps.remove(1);
    workflow.steps[0]
        .inputs
        .insert("url".into(), json!("context.missing"));
    let report = validate(&workflow, None);
    assert_eq!(report.error_count(), 2);
    assert_eq!(report.warning_count(), 0);
}

#[test]
fn reading_a_step_that_only_runs_as_a_fallback_is_an_error() {
    let issue = only(
        r#"{"name": "fb", "steps": [
            {"id": "backup", "type": "skill", "skill": "s", "outputs": ["o"]},
            {"id": "primary", "type": "skill", "skill": "s", "outputs": ["o"],
             "error_handling": {"strategy": "fallback", "fallback": "backup"}},
            {"id": "use", "type": "skill", "skill": "s", "inputs": {"v": "backup.o"}}]}"#,
    );
    assert_eq!(issue.code, IssueCode::NotRunBefore);
    assert!(
        issue
            .message
            .contains("runs only as the fallback of 'primary'"),
        "{}",
        issue.message
    );
    assert!(issue.hint.contains("primary.o"), "{}", issue.hint);
}

#[test]
fn a_condition_that_does_not_parse_is_an_error() {
    let issue = only(
        r#"{"name": "c", "steps": [{"id": "a", "type": "skill", "skill": "s", "outputs": ["x"]},
            {"id": "g", "type": "conditional", "condition": "a.x = 1",
             "then": [{"id": "b", "type": "skill", "skill": "s"}]}]}"#,
    );
    assert_eq!(issue.code, IssueCode::InvalidValue);
    assert!(issue.message.contains("column"), "{}", issue.message);
}

#[test]
fn an_unknown_non_retryable_kind_is_a_warning_with_the_kinds() {
    let issue = only(
        r#"{"name": "r", "steps": [{"id": "a", "type": "skill", "skill": "s",
            "error_handling": {"strategy": "retry", "max_attempts": 2,
                               "non_retryable": ["timout", "exit_code:3"]}}]}"#,
    );
    assert_eq!(
        (issue.severity, issue.code),
        (Severity::Warning, IssueCode::InvalidRetry)
    );
    assert!(
        issue.hint.starts_with("did you mean 'timeout'?"),
        "{}",
        issue.hint
    );
    assert_eq!(issue.pointer, "/steps/0/error_handling/non_retryable/0");
}

fn with_registry(text: &str) -> Vec<Issue> {
    validate(
        &parse(text),
        Some(&crate::core::testing::pipeline_registry()),
    )
    .issues
}

#[test]
fn the_seed_workflow_matches_its_skills_interfaces() {
    let report = validate(
        &data_pipeline(),
        Some(&crate::core::testing::pipeline_registry()),
    );
    assert!(report.issues.is_empty(), "{:#?}", report.issues);
}

#[test]
fn a_swapped_skill_reports_every_mismatch_at_once() {
    // fetch now runs s3-uploader (data, bucket → location); its one output
    // keeps the step's name for it, so only the inputs are wrong.
    let mut workflow = data_pipeline();
    workflow.steps[0].kind = StepKind::Skill {
        skill: "s3-uploader".into(),
    };
    let report = validate(&workflow, Some(&crate::core::testing::pipeline_registry()));
    assert_eq!(
        codes(&report.issues),
        vec![missing_input(), missing_input(), undeclared_input("url")]
    );
    let messages: Vec<&str> = report
        .issues
        .iter()
        .map(|issue| issue.message.as_str())
        .collect();
    assert_eq!(
        messages,
        [
            "step 'fetch' does not give skill 's3-uploader' its required input 'data'",
            "step 'fetch' does not give skill 's3-uploader' its required input 'bucket'",
            "step 'fetch' gives skill 's3-uploader' input 'url', which it does not take",
        ]
    );
    // With two outputs, each names a key of the skill's result.
    workflow.steps[0].outputs = vec!["data".into(), "status".into()];
    let report = validate(&workflow, Some(&crate::core::testing::pipeline_registry()));
    let unproduced: Vec<(&str, Option<&str>)> = report
        .issues
        .iter()
        .filter(|issue| issue.code == IssueCode::UnproducedOutput)
        .map(|issue| (issue.pointer.as_str(), issue.related_step.as_deref()))
        .collect();
    assert_eq!(
        unproduced,
        [
            ("/steps/0/outputs/0", None),
            ("/steps/0/outputs/1", None),
            ("/steps/1/inputs/data", Some("fetch")),
        ]
    );
    let reader = report
        .issues
        .iter()
        .find(|issue| issue.pointer == "/steps/1/inputs/data")
        .expect("the reader is reported");
    assert_eq!(
        reader.message,
        "step 'validate' input 'data' reads 'fetch.data', but skill 's3-uploader' of step 'fetch' does not produce 'data'"
    );
    assert!(reader.hint.contains("location"), "{}", reader.hint);
}

#[test]
fn an_input_the_skill_does_not_take_gets_a_did_you_mean() {
    let issues = with_registry(
        r#"{"name": "w", "steps": [
            {"id": "fetch", "type": "skill", "skill": "http-fetch", "inputs": {"ulr": "https://x"}, "outputs": ["data"]}]}"#,
    );
    assert_eq!(
        codes(&issues),
        vec![missing_input(), undeclared_input("ulr")]
    );
    assert!(
        issues[1].hint.starts_with("did you mean 'url'?"),
        "{}",
        issues[1].hint
    );
}

#[test]
fn optional_inputs_may_be_left_unwired() {
    let issues = with_registry(
        r#"{"name": "w", "steps": [
            {"id": "fetch", "type": "skill", "skill": "http-fetch", "inputs": {"url": "https://x"}, "outputs": ["data"]},
            {"id": "validate", "type": "skill", "skill": "data-validator", "inputs": {"data": "fetch.data"}, "outputs": ["valid"]}]}"#,
    );
    assert!(issues.is_empty(), "{issues:#?}");
}

#[test]
fn a_condition_reading_an_output_the_skill_does_not_produce_is_reported_with_the_declaration() {
    let issues = with_registry(
        r#"{"name": "w", "steps": [
            {"id": "fetch", "type": "skill", "skill": "http-fetch", "inputs": {"url": "https://x"}, "outputs": ["data"]},
            {"id": "validate", "type": "skill", "skill": "data-validator", "inputs": {"data": "fetch.data"}, "outputs": ["validated", "success"]},
            {"id": "if-ok", "type": "conditional", "condition": "validate.success == true", "then": [
                {"id": "save", "type": "skill", "skill": "db-writer", "inputs": {"data": "validate.validated", "table": "t"}}]}]}"#,
    );
    assert_eq!(
        codes(&issues),
        vec![
            (
                Severity::Error,
                IssueCode::UnproducedOutput,
                "/steps/1/outputs/1".into()
            ),
            (
                Severity::Error,
                IssueCode::UnproducedOutput,
                "/steps/2/condition".into()
            ),
        ]
    );
    assert_eq!(
        issues[0].message,
        "step 'validate' declares output 'success', but its skill 'data-validator' does not produce it"
    );
    assert!(
        issues[0].hint.contains("validated, valid"),
        "{}",
        issues[0].hint
    );
    assert_eq!(
        issues[1].message,
        "step 'if-ok' in its condition reads 'validate.success', but skill 'data-validator' of step 'validate' does not produce 'success'"
    );
}

#[test]
fn a_skill_that_declares_nothing_is_lenient_with_one_warning() {
    let issues = with_registry(
        r#"{"name": "w", "steps": [
            {"id": "a", "type": "skill", "skill": "legacy", "inputs": {"anything": 1}, "outputs": ["x"]},
            {"id": "b", "type": "skill", "skill": "legacy", "inputs": {"x": "a.x"}, "outputs": ["y"]}]}"#,
    );
    assert_eq!(
        codes(&issues),
        vec![(
            Severity::Warning,
            IssueCode::UnknownInterface,
            "/steps/0/skill".into()
        )]
    );
    assert_eq!(issues[0].step_id, None);
    assert!(
        issues[0]
            .message
            .contains("skill 'legacy' declares neither inputs nor outputs")
    );
}

#[test]
fn agents_are_checked_against_what_they_declare() {
    let mut known = KnownResources::names(Vec::<String>::new(), ["reviewer", "plain"]);
    known.agents.insert(
        "reviewer".into(),
        crate::core::skill::Interface {
            inputs: Some(crate::core::skill::Port::names(["diff"])),
            outputs: Some(crate::core::skill::Port::names(["verdict"])),
            executes: None,
        },
    );
    let report = validate(
        &parse(
            r#"{"name": "w", "steps": [
                {"id": "r", "type": "agent", "agent": "reviewer", "inputs": {"patch": "x"}, "outputs": ["verdict"]},
                {"id": "p", "type": "agent", "agent": "plain", "inputs": {"anything": "x"}, "outputs": ["whatever"]}]}"#,
        ),
        Some(&known),
    );
    assert_eq!(
        codes(&report.issues),
        vec![missing_input(), undeclared_input("patch")]
    );
    assert!(report.issues[0].message.contains("agent 'reviewer'"));
}

#[test]
fn one_declared_output_may_rename_the_skills_one_output() {
    let issues = with_registry(
        r#"{"name": "w", "steps": [
            {"id": "fetch-users", "type": "skill", "skill": "http-fetch", "inputs": {"url": "https://x"}, "outputs": ["users"]},
            {"id": "save", "type": "skill", "skill": "db-writer", "inputs": {"data": "fetch-users.users", "table": "t"}}]}"#,
    );
    assert!(issues.is_empty(), "{issues:#?}");
    // Two outputs name keys of the skill's result: each must be produced.
    let issues = with_registry(
        r#"{"name": "w", "steps": [
            {"id": "fetch", "type": "skill", "skill": "http-fetch", "inputs": {"url": "https://x"}, "outputs": ["data", "users"]}]}"#,
    );
    assert_eq!(
        codes(&issues),
        vec![(
            Severity::Error,
            IssueCode::UnproducedOutput,
            "/steps/0/outputs/1".into()
        )]
    );
    // A skill that produces nothing cannot be renamed into something.
    let issues = with_registry(
        r#"{"name": "w", "steps": [
            {"id": "save", "type": "skill", "skill": "db-writer", "inputs": {"data": 1, "table": "t"}, "outputs": ["rows"]}]}"#,
    );
    assert_eq!(
        codes(&issues),
        vec![(
            Severity::Error,
            IssueCode::UnproducedOutput,
            "/steps/0/outputs/0".into()
        )]
    );
}
