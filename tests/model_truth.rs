//! What qwf tells the user about a model's work, through the real binary
//! against scripted servers on 127.0.0.1 (OpenAI Chat Completions, and
//! Ollama's /api/chat): the status line and exit codes, a claim no gate
//! applied, the answer length, refusals explained, the transcript as the
//! model wrote it, tool calls written as text, slips, the reminder, `-v`,
//! and the prompt budget.

#[path = "support/budget_skills.rs"]
mod budget_skills;
#[path = "support/chat_wire.rs"]
mod chat_wire;
#[path = "support/mock_http.rs"]
mod mock_http;

use std::path::Path;

use budget_skills::{BUDGET_SKILLS, budget_skill};
use chat_wire::{
    Run, compatible, cut_off, estimate_tokens, home_with_pipeline, pairs, qwf, qwf_with_model,
    text, tool_call, tool_call_text, tool_results,
};
use mock_http::MockServer;
use serde_json::{Value, json};

/// The request most tests make of the seed's pipeline.
const RETRY: &str = "add retry logic to the API call";

/// A proposal for the seed's pipeline.
fn proposal(summary: &str, modifications: Value) -> Value {
    json!({"workflow": "data-pipeline", "summary": summary, "modifications": modifications})
}

fn retry_proposal() -> Value {
    proposal(
        "Retry the API call",
        json!([{"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": 3, "backoff": "exponential"}}]),
    )
}

/// A reply proposing `arguments` as the call `call_1`.
fn propose(arguments: Value) -> (u16, Value) {
    tool_call("call_1", "propose_modification", arguments)
}

/// `qwf ARGS` against a model scripted with `replies`; the server is kept
/// to read what qwf sent it.
fn scripted(dir: &Path, replies: Vec<(u16, Value)>, args: &[&str]) -> (MockServer, Run) {
    let server = MockServer::script(replies);
    let run = qwf_with_model(dir, &server.url, args, "");
    (server, run)
}

fn version_exists(dir: &Path, version: u64) -> bool {
    dir.join(format!(
        "home/workflows/.versions/data-pipeline.v{version}.json"
    ))
    .exists()
}

#[test]
fn a_model_that_claims_a_change_it_never_proposed_is_marked_and_exits_3() {
    let dir = home_with_pipeline();
    let claim = "I've added retry logic to the API call.";
    let (server, run) = scripted(
        dir.path(),
        vec![text(claim), text(claim)],
        &["edit", "data-pipeline", RETRY, "--yes"],
    );
    run.assert_code(3);
    run.assert_stdout_has(claim);
    run.assert_stdout_has(
        "qwf: the model's message above reads as if a change was made, but nothing was applied",
    );
    run.assert_stdout_has("Nothing was applied: the model proposed no change.");
    run.assert_stderr_lacks("Error:");
    assert!(!version_exists(dir.path(), 2));
    // It was reminded once, in words qwf wrote, then its answer stood.
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    let last = requests[1].json()["messages"]
        .as_array()
        .and_then(|messages| messages.last().cloned())
        .expect("messages");
    assert_eq!(last["role"], "user");
    assert!(
        last["content"]
            .to_string()
            .contains("You answered without calling a tool, so nothing was changed"),
        "{last}"
    );

    // The same in --json: the status and the claim are fields.
    let (_, run) = scripted(
        dir.path(),
        vec![text(claim), text(claim)],
        &["--json", "edit", "data-pipeline", RETRY, "--yes"],
    );
    run.assert_code(3);
    let document = run.json();
    assert_eq!(document["applied"], false);
    assert_eq!(document["status"]["kind"], "no_proposal");
    assert_eq!(document["status"]["unapplied_claim"], true);
}

#[test]
fn the_status_line_says_what_was_applied_declined_or_shown() {
    let dir = home_with_pipeline();
    let (_, run) = scripted(
        dir.path(),
        vec![propose(retry_proposal()), text("Done.")],
        &["do", RETRY, "--workflow", "data-pipeline", "--yes"],
    );
    run.assert_code(0);
    run.assert_stdout_has("✓ Applied: 'data-pipeline' v2.");

    // A dry run: shown, not applied, and no words meant for the model.
    let timeout = proposal(
        "Timeout",
        json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}}]),
    );
    let (_, run) = scripted(
        dir.path(),
        vec![propose(timeout), text("Shown.")],
        &[
            "edit",
            "data-pipeline",
            "set the fetch timeout to 30 seconds",
            "--dry-run",
        ],
    );
    run.assert_code(3);
    run.assert_stdout_has(
        "Nothing was applied: this was a dry run (run it again without --dry-run to apply it).",
    );
    assert!(!run.all().contains("the user only wanted"), "{}", run.all());
    run.assert_stderr_lacks("Error:");

    // Breaking without --force: declined, with the reason.
    let removal = proposal(
        "Remove validate",
        json!([{"type": "remove_step", "id": "validate"}]),
    );
    let (_, run) = scripted(
        dir.path(),
        vec![propose(removal), text("It was declined.")],
        &[
            "edit",
            "data-pipeline",
            "remove the validation step",
            "--yes",
        ],
    );
    run.assert_code(3);
    run.assert_stdout_has("Nothing was applied: the change is breaking and --force was not given.");
    run.assert_stderr_lacks("Error:");

    // Refused by scope: qwf refused the model's proposal; exit 3 with --yes.
    let out_of_scope = proposal(
        "Save",
        json!([{"type": "modify_step", "id": "save", "changes": {"timeout_secs": 30}}]),
    );
    let (_, run) = scripted(
        dir.path(),
        vec![propose(out_of_scope), text("I could not do that.")],
        &[
            "edit",
            "data-pipeline",
            "set the save timeout",
            "--step",
            "fetch",
            "--yes",
        ],
    );
    run.assert_code(3);
    run.assert_stdout_has("Nothing was applied: qwf refused the model's propose_modification call");
    // Only v2, from the first request, was ever written.
    assert!(version_exists(dir.path(), 2));
    assert!(!version_exists(dir.path(), 3));
}

#[test]
fn a_model_that_loops_to_the_length_limit_is_told_which_setting_to_raise() {
    let dir = home_with_pipeline();
    let looping = "retry retry retry ".repeat(40);
    let (server, run) = scripted(
        dir.path(),
        vec![cut_off(&looping, 64)],
        &[
            "edit",
            "data-pipeline",
            RETRY,
            "--yes",
            "--max-tokens",
            "64",
        ],
    );
    run.assert_code(1);
    run.assert_stderr_has("the model's answer was cut off at max_tokens = 64 (64 tokens written)");
    run.assert_stderr_has("--max-tokens N");
    run.assert_stderr_has("`max_tokens` in config.toml");
    assert_eq!(server.only_request().json()["max_tokens"], 64);

    // Without the flag: config.toml, then the provider's default.
    let max_tokens_sent = || {
        let (server, _) = scripted(
            dir.path(),
            vec![text("No change needed.")],
            &["do", "hello"],
        );
        server.only_request().json()["max_tokens"].clone()
    };
    std::fs::write(
        dir.path().join("home/config.toml"),
        "[model]\nmax_tokens = 77\n",
    )
    .expect("config");
    assert_eq!(max_tokens_sent(), 77);
    std::fs::remove_file(dir.path().join("home/config.toml")).expect("removed");
    assert_eq!(max_tokens_sent(), 2048);
}

#[test]
fn a_request_too_long_for_the_context_gets_its_size_and_the_flag_to_change() {
    let dir = home_with_pipeline();
    let edit = ["edit", "data-pipeline", RETRY, "--yes"];
    let (_, run) = scripted(
        dir.path(),
        vec![(
            400,
            json!({"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it",
                          "type": "exceed_context_size_error", "n_prompt_tokens": 9300, "n_ctx": 4096}}),
        )],
        &edit,
    );
    run.assert_code(1);
    run.assert_stderr_has("does not fit the context window of test-model");
    // The request's size.
    run.assert_stderr_has("tokens (");
    run.assert_stderr_has("--ctx-size");
    run.assert_stderr_lacks("supports tool calls");

    // A known window: qwf says so and sends nothing.
    std::fs::write(
        dir.path().join("home/config.toml"),
        "[model]\ncontext_window = 1500\nmax_tokens = 512\n",
    )
    .expect("config");
    let (server, run) = scripted(dir.path(), vec![(200, json!({}))], &edit);
    run.assert_code(1);
    run.assert_stderr_has("context window is 1500 tokens");
    run.assert_stderr_has("it was not sent");
    assert!(server.requests().is_empty());
}

#[test]
fn other_refusals_each_get_their_own_hint() {
    let dir = home_with_pipeline();
    let run_against =
        |status: u16, body: Value| scripted(dir.path(), vec![(status, body)], &["do", "hello"]).1;
    let missing = run_against(
        404,
        json!({"error": {"message": "model 'test-model' not found"}}),
    );
    missing.assert_stderr_has("has no model 'test-model'");
    missing.assert_stderr_has("/models lists what the server has");
    let no_tools = run_against(
        400,
        json!({"error": {"message": "tools param requires --jinja flag"}}),
    );
    no_tools.assert_stderr_has("cannot call tools");
    no_tools.assert_stderr_has("--jinja");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    let closed = format!("http://{}/v1", listener.local_addr().expect("address"));
    drop(listener);
    let env = compatible(&closed);
    let unreachable = qwf(dir.path(), &pairs(&env), &["do", "hello"], "");
    unreachable.assert_stderr_has("cannot reach");
    unreachable.assert_stderr_has("is the server running");
}

#[test]
fn a_malformed_call_goes_back_as_written_and_its_result_says_why() {
    let dir = home_with_pipeline();
    let (server, run) = scripted(
        dir.path(),
        vec![
            tool_call_text("call_bad", "propose_modification", "{\""),
            text("I will try again later."),
        ],
        &["edit", "data-pipeline", RETRY, "--yes"],
    );
    run.assert_code(3);
    let requests = server.requests();
    let second = requests.get(1).expect("a second request").json();
    let echoed = second["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|message| {
            message["tool_calls"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        })
        .find(|call| call["id"] == "call_bad")
        .expect("the call is echoed");
    assert_eq!(
        echoed["function"]["arguments"], "{\"",
        "not repaired: {echoed}"
    );
    let (_, result) = tool_results(&second)
        .into_iter()
        .find(|(id, _)| id == "call_bad")
        .expect("a result");
    assert!(result.contains("the arguments are not JSON"), "{result}");
    assert!(result.contains("you wrote: {\\\""), "{result}");
    run.assert_stdout_has("Nothing was applied: qwf refused the model's propose_modification call");
}

fn tool_call_as_text(form: &str) -> String {
    let call = json!({"name": "propose_modification", "arguments": retry_proposal()}).to_string();
    match form {
        "tagged" => format!("I will add retry.\n<tool_call>\n{call}\n</tool_call>"),
        "fenced" => format!("Here is the call:\n```json\n{call}\n```"),
        _ => format!("Proposal: {}", retry_proposal()),
    }
}

#[test]
fn tool_calls_written_as_text_are_read_shown_and_applied_through_the_gate() {
    for form in ["tagged", "fenced", "bare"] {
        let dir = home_with_pipeline();
        let (server, run) = scripted(
            dir.path(),
            vec![text(&tool_call_as_text(form)), text("Retry added.")],
            &["edit", "data-pipeline", RETRY, "--yes"],
        );
        assert_eq!(run.code, 0, "{form}: {}", run.all());
        assert!(
            run.stdout.contains("Proposed change to data-pipeline"),
            "{form}: shown at the gate: {}",
            run.all()
        );
        assert!(
            run.stdout.contains("✓ Applied: 'data-pipeline' v2."),
            "{form}: {}",
            run.all()
        );
        let requests = server.requests();
        let results = tool_results(&requests[1].json());
        assert_eq!(results.len(), 1, "{form}");
        assert!(
            results[0].1.contains("read from a"),
            "{form}: {}",
            results[0].1
        );
        assert!(
            results[0].1.contains("\\\"status\\\":\\\"applied\\\"")
                || results[0].1.contains("applied"),
            "{form}"
        );
    }
}

#[test]
fn a_text_call_is_never_applied_without_the_gate() {
    // No --yes and no terminal: shown, declined, nothing written.
    let dir = home_with_pipeline();
    let (_, run) = scripted(
        dir.path(),
        vec![text(&tool_call_as_text("tagged")), text("ok")],
        &["edit", "data-pipeline", RETRY],
    );
    run.assert_code(3);
    run.assert_stdout_has("Proposed change to data-pipeline");
    assert!(!version_exists(dir.path(), 2));
}

#[test]
fn slips_are_corrected_and_the_model_is_told() {
    let dir = home_with_pipeline();
    // One object where a list is expected, a number as text.
    let slipped = proposal(
        "Retry",
        json!({"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": "4"}}),
    );
    let (server, run) = scripted(
        dir.path(),
        vec![propose(slipped), text("Done.")],
        &[
            "edit",
            "data-pipeline",
            "retry the fetch four times",
            "--yes",
        ],
    );
    run.assert_code(0);
    let saved: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("home/workflows/data-pipeline.json"))
            .expect("saved"),
    )
    .expect("json");
    assert_eq!(saved["steps"][0]["error_handling"]["max_attempts"], 4);
    let results = tool_results(&server.requests()[1].json());
    assert!(
        results[0].1.contains("one value where a list is expected"),
        "{}",
        results[0].1
    );
    assert!(
        results[0].1.contains("read as the number 4"),
        "{}",
        results[0].1
    );

    // A slip no rule explains goes back as an error the model can fix.
    let dir = home_with_pipeline();
    let unreadable = proposal(
        "x",
        json!([{"type": "add_error_handling", "step_id": "fetch", "error_handling": {"strategy": "retry", "max_attempts": "four"}}]),
    );
    let (server, run) = scripted(
        dir.path(),
        vec![
            propose(unreadable),
            tool_call("call_2", "propose_modification", retry_proposal()),
            text("Done."),
        ],
        &["edit", "data-pipeline", "retry the fetch", "--yes"],
    );
    run.assert_code(0);
    let results = tool_results(&server.requests()[1].json());
    assert!(
        results[0]
            .1
            .contains("invalid arguments for propose_modification"),
        "{}",
        results[0].1
    );
}

#[test]
fn a_prose_answer_to_an_edit_gets_one_reminder_and_then_proposes() {
    let dir = home_with_pipeline();
    let (server, run) = scripted(
        dir.path(),
        vec![
            text("You could add a retry to the fetch step."),
            propose(retry_proposal()),
            text("Done."),
        ],
        &["edit", "data-pipeline", RETRY, "--yes"],
    );
    run.assert_code(0);
    assert!(version_exists(dir.path(), 2));
    assert_eq!(server.requests().len(), 3);
}

#[test]
fn verbose_shows_model_calls_tool_calls_gate_decisions_and_versions() {
    // An applied retry, with an API key that must never be printed.
    let verbose = |flag: &str| {
        let dir = home_with_pipeline();
        let server = MockServer::script(vec![propose(retry_proposal()), text("Done.")]);
        let mut env = compatible(&format!("{}/v1", server.url));
        env.push(("QWF_API_KEY", "sk-verbose-secret-42".to_string()));
        let run = qwf(
            dir.path(),
            &pairs(&env),
            &[flag, "edit", "data-pipeline", RETRY, "--yes"],
            "",
        );
        run.assert_code(0);
        run
    };
    let run = verbose("-v");
    for needle in [
        "model call",
        "openai-compatible test-model",
        "input_tokens=100",
        "seconds=",
        "tool call",
        "tool=propose_modification",
        "add_error_handling",
        "gate: approved; version written",
        "version=2",
    ] {
        run.assert_stderr_has(needle);
    }
    // Bodies only with -vv.
    run.assert_stderr_lacks("\"messages\"");

    let run = verbose("-vv");
    // The request body.
    run.assert_stderr_has("\"messages\"");
    run.assert_stderr_has("model response");
    run.assert_stderr_lacks("sk-verbose-secret-42");
}

#[test]
fn ollama_requests_set_num_ctx_to_fit() {
    let dir = home_with_pipeline();
    let server = MockServer::start(
        200,
        json!({"model": "qwen2.5-coder", "created_at": "2026-01-01T00:00:00Z",
               "message": {"role": "assistant", "content": "Nothing to change."},
               "done": true, "done_reason": "stop", "prompt_eval_count": 900, "eval_count": 5}),
    );
    let env = [
        ("QWF_PROVIDER", "ollama"),
        ("QWF_MODEL", "qwen2.5-coder"),
        ("QWF_BASE_URL", server.url.as_str()),
    ];
    let run = qwf(dir.path(), &env, &["do", "what does data-pipeline do?"], "");
    run.assert_code(0);
    let request = server.only_request();
    assert_eq!(request.target, "/api/chat");
    let body = request.json();
    let num_ctx = body["options"]["num_ctx"].as_u64().expect("num_ctx");
    let size = estimate_tokens(&body["messages"].to_string())
        + estimate_tokens(&body["tools"].to_string());
    assert!(
        num_ctx as usize >= size + 2048,
        "{num_ctx} fits {size} and the answer"
    );
    assert!(num_ctx.is_power_of_two());
    assert_eq!(body["options"]["num_predict"], 2048);
}

/// The first request of an edit of the seed's 3-step workflow and of a
/// creation with 13 installed skills, measured on the wire (tools and
/// messages, with the estimator qwf documents).
#[test]
fn the_first_request_keeps_to_the_prompt_budget() {
    let measure = |args: &[&str], setup: &dyn Fn(&Path)| -> usize {
        let dir = home_with_pipeline();
        setup(dir.path());
        let (server, _) = scripted(dir.path(), vec![text("ok"), text("ok")], args);
        let first = server.requests().first().expect("a request").json();
        estimate_tokens(&first["messages"].to_string())
            + estimate_tokens(&first["tools"].to_string())
    };
    let edit = measure(&["edit", "data-pipeline", RETRY, "--yes"], &|_| {});
    assert!(edit <= 2500, "edit: {edit} tokens");
    let create = measure(
        &[
            "create",
            "fetch data from the API, validate it, and save it to the database",
            "--yes",
        ],
        &|dir| {
            let skills = dir.join("home/skills");
            std::fs::create_dir_all(&skills).expect("skills");
            for (name, description) in BUDGET_SKILLS {
                std::fs::write(
                    skills.join(format!("{name}.json")),
                    budget_skill(name, description).to_string(),
                )
                .expect("skill");
            }
        },
    );
    assert!(create <= 3000, "create: {create} tokens");
    eprintln!(
        "first request on the wire: edit {edit} tokens, create with 13 skills {create} tokens"
    );
}
