//! The rig adapters against a mock HTTP server on 127.0.0.1: no network, no
//! real keys. Each test drives a real adapter through `Model::respond` and
//! checks both what it parsed and what it sent.

use std::collections::HashMap;
use std::net::TcpListener;

use qwf::agent::config::{self, ModelFlags};
use qwf::agent::model::{Message, Model, ModelError, ModelRequest, ToolCall, ToolSpec, Usage};
use serde_json::{Value, json};

const KEY: &str = "sk-test-5ecret-key-0123456789";
const SYSTEM: &str = "You are qwf's workflow assistant.";
const TOOL_RESULT: &str = r#"{"workflow":"data-pipeline","steps":["extract","load"]}"#;

#[path = "support/mock_http.rs"]
mod mock_http;
use mock_http::{MockServer, Recorded};

// ---------------------------------------------------------------------------
// The conversation and the tools.

fn get_workflow_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "workflow": {"type": "string", "description": "The workflow's id"},
            "version": {"type": ["integer", "null"], "minimum": 1}
        },
        "required": ["workflow"]
    })
}

fn propose_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "workflow": {"type": "string"},
            "modifications": {"type": "array", "items": {"type": "object"}},
            "summary": {"type": "string"}
        },
        "required": ["workflow", "modifications", "summary"]
    })
}

fn tools() -> Vec<ToolSpec> {
    vec![
        ToolSpec {
            name: "get_workflow",
            description: "Read a workflow",
            parameters: get_workflow_schema(),
        },
        ToolSpec {
            name: "propose_modification",
            description: "Propose a change to a workflow",
            parameters: propose_schema(),
        },
    ]
}

fn conversation() -> Vec<Message> {
    vec![
        Message::System {
            text: SYSTEM.into(),
        },
        Message::User {
            text: "Add a validation step to data-pipeline".into(),
        },
        Message::Assistant {
            text: "Let me look at it first.".into(),
            tool_calls: vec![ToolCall {
                id: "call_1".into(),
                name: "get_workflow".into(),
                arguments: json!({"workflow": "data-pipeline"}),
            }],
        },
        Message::Tool {
            call_id: "call_1".into(),
            name: "get_workflow".into(),
            content: TOOL_RESULT.into(),
            is_error: false,
        },
    ]
}

fn proposal_arguments() -> Value {
    json!({
        "workflow": "data-pipeline",
        "modifications": [{"op": "add_step", "id": "validate"}],
        "summary": "add a validation step"
    })
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |name| map.get(name).cloned()
}

/// A real adapter, chosen and built the way the CLI does it.
fn model_for(env: &[(&str, &str)]) -> Box<dyn Model> {
    let env = env_of(env);
    let home = tempfile::tempdir().unwrap();
    let resolved = config::resolve(&ModelFlags::default(), home.path(), &env).unwrap();
    config::build(&resolved, &env, || panic!("not the offline planner")).unwrap()
}

fn respond(model: &dyn Model) -> Result<qwf::agent::model::ModelReply, ModelError> {
    let messages = conversation();
    let tools = tools();
    model.respond(&ModelRequest {
        messages: &messages,
        tools: &tools,
    })
}

fn assert_reply(reply: &qwf::agent::model::ModelReply, call_id: &str) {
    assert_eq!(reply.text, "I will add a validation step.");
    assert_eq!(reply.tool_calls.len(), 1, "{reply:?}");
    let call = &reply.tool_calls[0];
    assert_eq!(call.id, call_id);
    assert_eq!(call.name, "propose_modification");
    assert_eq!(call.arguments, proposal_arguments());
    assert_eq!(
        reply.usage,
        Usage {
            input_tokens: 120,
            output_tokens: 30
        }
    );
}

/// The key travels only in a header, never in the body or the URL.
fn assert_key_only_in(request: &Recorded, header: &str, expected: &str) {
    assert_eq!(request.header(header), Some(expected));
    assert!(!request.body.contains(KEY), "the key is in the body");
    assert!(!request.target.contains(KEY), "the key is in the URL");
    for (name, value) in &request.headers {
        if name != header {
            assert!(!value.contains(KEY), "the key is in header {name}");
        }
    }
}

fn find(items: &[Value], predicate: impl Fn(&Value) -> bool) -> &Value {
    items
        .iter()
        .find(|item| predicate(item))
        .unwrap_or_else(|| panic!("no matching item in {items:#?}"))
}

/// Text content that may be a plain string or a list of text blocks.
fn text_of(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|part| part.get("text").and_then(Value::as_str))
            .collect(),
        other => other.to_string(),
    }
}

// ---------------------------------------------------------------------------
// OpenAI Chat Completions (openai with QWF_OPENAI_API=chat, openai-compatible,
// ollama).

fn chat_completion_reply() -> Value {
    json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "gpt-test",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": "I will add a validation step.",
                "tool_calls": [{
                    "id": "call_2",
                    "type": "function",
                    "function": {
                        "name": "propose_modification",
                        "arguments": proposal_arguments().to_string()
                    }
                }]
            },
            "finish_reason": "tool_calls"
        }],
        "usage": {"prompt_tokens": 120, "completion_tokens": 30, "total_tokens": 150}
    })
}

fn assert_chat_request(request: &Recorded, model: &str) {
    assert_eq!(request.method, "POST");
    assert_eq!(request.target, "/v1/chat/completions");
    let body = request.json();
    assert_eq!(body["model"], model);

    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(text_of(&messages[0]["content"]), SYSTEM);
    let user = find(messages, |m| m["role"] == "user");
    assert_eq!(
        text_of(&user["content"]),
        "Add a validation step to data-pipeline"
    );
    let assistant = find(messages, |m| m["role"] == "assistant");
    assert_eq!(text_of(&assistant["content"]), "Let me look at it first.");
    let call = &assistant["tool_calls"][0];
    assert_eq!(call["id"], "call_1");
    assert_eq!(call["function"]["name"], "get_workflow");
    let arguments: Value = match &call["function"]["arguments"] {
        Value::String(text) => serde_json::from_str(text).unwrap(),
        other => other.clone(),
    };
    assert_eq!(arguments, json!({"workflow": "data-pipeline"}));
    let result = find(messages, |m| m["role"] == "tool");
    assert_eq!(result["tool_call_id"], "call_1");
    assert_eq!(text_of(&result["content"]), TOOL_RESULT);

    let tools = body["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), 2);
    let get = find(tools, |t| t["function"]["name"] == "get_workflow");
    assert_eq!(get["type"], "function");
    assert_eq!(get["function"]["description"], "Read a workflow");
    assert_eq!(get["function"]["parameters"], get_workflow_schema());
    let propose = find(tools, |t| t["function"]["name"] == "propose_modification");
    assert_eq!(propose["function"]["parameters"], propose_schema());
}

#[test]
fn openai_chat_completions_round_trip() {
    let server = MockServer::start(200, chat_completion_reply());
    let url = format!("{}/v1", server.url);
    let model = model_for(&[
        ("QWF_PROVIDER", "openai"),
        ("QWF_MODEL", "gpt-test"),
        ("QWF_BASE_URL", &url),
        ("QWF_OPENAI_API", "chat"),
        ("OPENAI_API_KEY", KEY),
    ]);
    assert_eq!(model.describe(), "openai gpt-test (Chat Completions API)");

    let reply = respond(model.as_ref()).unwrap();
    assert_reply(&reply, "call_2");

    let request = server.only_request();
    assert_chat_request(&request, "gpt-test");
    assert_key_only_in(&request, "authorization", &format!("Bearer {KEY}"));
    assert_eq!(
        request.json()["max_tokens"],
        4096,
        "openai's default answer length"
    );
}

#[test]
fn openai_compatible_sends_no_key_when_none_is_set() {
    let server = MockServer::start(200, chat_completion_reply());
    // A bare host: /v1 is added.
    let model = model_for(&[
        ("QWF_PROVIDER", "openai-compatible"),
        ("QWF_MODEL", "local-model"),
        ("QWF_BASE_URL", &server.url),
    ]);
    let reply = respond(model.as_ref()).unwrap();
    assert_reply(&reply, "call_2");

    let request = server.only_request();
    assert_chat_request(&request, "local-model");
    assert_eq!(request.header("authorization"), None);
}

#[test]
fn openai_compatible_uses_qwf_api_key_first() {
    let server = MockServer::start(200, chat_completion_reply());
    let model = model_for(&[
        ("QWF_PROVIDER", "openai-compatible"),
        ("QWF_MODEL", "local-model"),
        ("QWF_BASE_URL", &format!("{}/v1", server.url)),
        ("QWF_API_KEY", KEY),
        ("OPENAI_API_KEY", "sk-other"),
    ]);
    respond(model.as_ref()).unwrap();
    let request = server.only_request();
    assert_key_only_in(&request, "authorization", &format!("Bearer {KEY}"));
}

#[test]
fn ollama_speaks_its_native_chat_with_num_ctx() {
    let server = MockServer::start(
        200,
        json!({
            "model": "qwen3", "created_at": "2026-01-01T00:00:00Z",
            "message": {"role": "assistant", "content": "I will add a validation step.",
                        "tool_calls": [{"function": {"name": "propose_modification", "arguments": proposal_arguments()}}]},
            "done": true, "done_reason": "stop", "prompt_eval_count": 120, "eval_count": 30
        }),
    );
    let model = model_for(&[
        ("QWF_PROVIDER", "ollama"),
        ("QWF_MODEL", "qwen3"),
        ("QWF_BASE_URL", &server.url),
    ]);
    let reply = respond(model.as_ref()).unwrap();
    assert_eq!(reply.text, "I will add a validation step.");
    assert_eq!(reply.tool_calls.len(), 1);
    assert_eq!(reply.tool_calls[0].name, "propose_modification");
    assert_eq!(reply.tool_calls[0].arguments, proposal_arguments());
    let request = server.only_request();
    assert_eq!(request.target, "/api/chat");
    assert_eq!(request.header("authorization"), None);
    let body = request.json();
    assert_eq!(body["model"], "qwen3");
    // Room for the request and the answer, so Ollama does not cut it.
    assert_eq!(body["options"]["num_ctx"], 4096);
    assert_eq!(body["options"]["num_predict"], 2048);
    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages[0]["role"], "system");
    assert_eq!(text_of(&messages[0]["content"]), SYSTEM);
    let call = &find(messages, |m| m["role"] == "assistant")["tool_calls"][0];
    assert_eq!(call["function"]["name"], "get_workflow");
    assert_eq!(
        find(messages, |m| m["role"] == "tool")["content"],
        TOOL_RESULT
    );
}

#[test]
fn the_system_message_is_a_plain_string_on_openai_compatible_and_parts_on_openai() {
    let compatible = MockServer::start(200, chat_completion_reply());
    let model = model_for(&[
        ("QWF_PROVIDER", "openai-compatible"),
        ("QWF_MODEL", "local-model"),
        ("QWF_BASE_URL", &compatible.url),
    ]);
    respond(model.as_ref()).unwrap();
    let body = compatible.only_request().json();
    assert_eq!(body["messages"][0]["content"], SYSTEM, "one string: {body}");
    assert!(body["messages"][1]["content"].is_string(), "{body}");

    let openai = MockServer::start(200, chat_completion_reply());
    let model = model_for(&[
        ("QWF_PROVIDER", "openai"),
        ("QWF_MODEL", "gpt-test"),
        ("QWF_BASE_URL", &format!("{}/v1", openai.url)),
        ("QWF_OPENAI_API", "chat"),
        ("OPENAI_API_KEY", KEY),
    ]);
    respond(model.as_ref()).unwrap();
    let body = openai.only_request().json();
    assert_eq!(
        body["messages"][0]["content"],
        json!([{"type": "text", "text": SYSTEM}]),
        "content parts: {body}"
    );
}

#[test]
fn every_request_carries_the_answer_length() {
    let server = MockServer::start(200, chat_completion_reply());
    let model = model_for(&[
        ("QWF_PROVIDER", "openai-compatible"),
        ("QWF_MODEL", "local-model"),
        ("QWF_BASE_URL", &server.url),
        ("QWF_MAX_TOKENS", "321"),
    ]);
    respond(model.as_ref()).unwrap();
    assert_eq!(server.only_request().json()["max_tokens"], 321);
}

#[test]
fn a_model_without_tools_and_a_missing_model_get_their_own_hints() {
    let server = MockServer::start(
        400,
        json!({"error": "registry.ollama.ai/library/gemma:2b does not support tools"}),
    );
    let model = model_for(&[
        ("QWF_PROVIDER", "ollama"),
        ("QWF_MODEL", "gemma:2b"),
        ("QWF_BASE_URL", &server.url),
    ]);
    let error = respond(model.as_ref()).unwrap_err();
    assert!(error.to_string().contains("cannot call tools"), "{error}");
    assert!(error.hint().contains("supports them"), "{}", error.hint());

    let server = MockServer::start(
        404,
        json!({"error": "model 'qwen9' not found, try pulling it first"}),
    );
    let model = model_for(&[
        ("QWF_PROVIDER", "ollama"),
        ("QWF_MODEL", "qwen9"),
        ("QWF_BASE_URL", &server.url),
    ]);
    let error = respond(model.as_ref()).unwrap_err();
    assert!(
        error.to_string().contains("has no model 'qwen9'"),
        "{error}"
    );
    assert!(
        error.hint().contains("ollama pull qwen9"),
        "{}",
        error.hint()
    );
}

// ---------------------------------------------------------------------------
// OpenAI Responses.

fn responses_reply() -> Value {
    json!({
        "id": "resp_1",
        "object": "response",
        "created_at": 1_700_000_000,
        "status": "completed",
        "model": "gpt-test",
        "output": [
            {
                "type": "message",
                "id": "msg_1",
                "status": "completed",
                "role": "assistant",
                "content": [{
                    "type": "output_text",
                    "text": "I will add a validation step.",
                    "annotations": []
                }]
            },
            {
                "type": "function_call",
                "id": "fc_1",
                "call_id": "call_2",
                "name": "propose_modification",
                "arguments": proposal_arguments().to_string(),
                "status": "completed"
            }
        ],
        "usage": {
            "input_tokens": 120,
            "output_tokens": 30,
            "total_tokens": 150,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens_details": {"reasoning_tokens": 0}
        }
    })
}

#[test]
fn openai_responses_round_trip() {
    let server = MockServer::start(200, responses_reply());
    let model = model_for(&[
        ("QWF_PROVIDER", "openai"),
        ("QWF_MODEL", "gpt-test"),
        ("QWF_BASE_URL", &format!("{}/v1", server.url)),
        ("OPENAI_API_KEY", KEY),
    ]);
    assert_eq!(model.describe(), "openai gpt-test (Responses API)");
    let reply = respond(model.as_ref()).unwrap();
    assert_reply(&reply, "call_2");

    let request = server.only_request();
    assert_eq!(request.target, "/v1/responses");
    assert_key_only_in(&request, "authorization", &format!("Bearer {KEY}"));
    let body = request.json();
    assert_eq!(body["model"], "gpt-test");
    assert_eq!(text_of(&body["instructions"]), SYSTEM);

    let input = body["input"].as_array().expect("input items");
    let call = find(input, |item| item["type"] == "function_call");
    assert_eq!(call["call_id"], "call_1");
    assert_eq!(call["name"], "get_workflow");
    let output = find(input, |item| item["type"] == "function_call_output");
    assert_eq!(output["call_id"], "call_1");
    assert_eq!(text_of(&output["output"]), TOOL_RESULT);

    let tools = body["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), 2);
    let get = find(tools, |t| t["name"] == "get_workflow");
    assert_eq!(get["type"], "function");
    assert_eq!(get["parameters"], get_workflow_schema());
    let propose = find(tools, |t| t["name"] == "propose_modification");
    assert_eq!(propose["parameters"], propose_schema());
}

// ---------------------------------------------------------------------------
// Anthropic Messages.

fn anthropic_reply() -> Value {
    json!({
        "id": "msg_1",
        "type": "message",
        "role": "assistant",
        "model": "claude-test",
        "content": [
            {"type": "text", "text": "I will add a validation step."},
            {
                "type": "tool_use",
                "id": "toolu_2",
                "name": "propose_modification",
                "input": proposal_arguments()
            }
        ],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": 120, "output_tokens": 30}
    })
}

#[test]
fn anthropic_messages_round_trip() {
    let server = MockServer::start(200, anthropic_reply());
    let model = model_for(&[
        ("QWF_PROVIDER", "anthropic"),
        ("QWF_MODEL", "claude-test"),
        ("QWF_BASE_URL", &server.url),
        ("ANTHROPIC_API_KEY", KEY),
    ]);
    assert_eq!(model.describe(), "anthropic claude-test");
    let reply = respond(model.as_ref()).unwrap();
    assert_reply(&reply, "toolu_2");

    let request = server.only_request();
    assert_eq!(request.target, "/v1/messages");
    assert_key_only_in(&request, "x-api-key", KEY);
    assert!(request.header("anthropic-version").is_some());
    let body = request.json();
    assert_eq!(body["model"], "claude-test");
    assert!(body["max_tokens"].as_u64().is_some_and(|n| n > 0));
    assert_eq!(text_of(&body["system"]), SYSTEM);

    let messages = body["messages"].as_array().expect("messages");
    let assistant = find(messages, |m| m["role"] == "assistant");
    let blocks = assistant["content"].as_array().unwrap();
    let tool_use = find(blocks, |b| b["type"] == "tool_use");
    assert_eq!(tool_use["id"], "call_1");
    assert_eq!(tool_use["name"], "get_workflow");
    assert_eq!(tool_use["input"], json!({"workflow": "data-pipeline"}));
    let last = messages.last().unwrap();
    assert_eq!(last["role"], "user");
    let result = find(last["content"].as_array().unwrap(), |b| {
        b["type"] == "tool_result"
    });
    assert_eq!(result["tool_use_id"], "call_1");
    assert_eq!(text_of(&result["content"]), TOOL_RESULT);

    let tools = body["tools"].as_array().expect("tools");
    assert_eq!(tools.len(), 2);
    let get = find(tools, |t| t["name"] == "get_workflow");
    assert_eq!(get["description"], "Read a workflow");
    assert_eq!(get["input_schema"], get_workflow_schema());
    let propose = find(tools, |t| t["name"] == "propose_modification");
    assert_eq!(propose["input_schema"], propose_schema());
}

// ---------------------------------------------------------------------------
// Gemini generateContent.

#[test]
fn gemini_round_trip_keeps_the_key_out_of_the_body() {
    let server = MockServer::start(
        200,
        json!({
            "candidates": [{
                "content": {
                    "role": "model",
                    "parts": [
                        {"text": "I will add a validation step."},
                        {"functionCall": {"name": "propose_modification", "args": proposal_arguments()}}
                    ]
                },
                "finishReason": "STOP",
                "index": 0
            }],
            "usageMetadata": {"promptTokenCount": 120, "candidatesTokenCount": 30, "totalTokenCount": 150},
            "modelVersion": "gemini-test"
        }),
    );
    let model = model_for(&[
        ("QWF_PROVIDER", "gemini"),
        ("QWF_MODEL", "gemini-test"),
        ("QWF_BASE_URL", &server.url),
        ("GEMINI_API_KEY", KEY),
    ]);
    let reply = respond(model.as_ref()).unwrap();
    assert_eq!(reply.text, "I will add a validation step.");
    assert_eq!(reply.tool_calls.len(), 1);
    assert!(!reply.tool_calls[0].id.is_empty());
    assert_eq!(reply.tool_calls[0].name, "propose_modification");
    assert_eq!(reply.tool_calls[0].arguments, proposal_arguments());
    assert_eq!(reply.usage.input_tokens, 120);

    let request = server.only_request();
    assert!(
        request
            .target
            .starts_with("/v1beta/models/gemini-test:generateContent"),
        "{}",
        request.target
    );
    assert!(!request.body.contains(KEY));
    let body = request.json();
    assert!(body.to_string().contains(SYSTEM));
    let declarations = body["tools"][0]["functionDeclarations"]
        .as_array()
        .expect("function declarations");
    assert_eq!(declarations.len(), 2);
}

// ---------------------------------------------------------------------------
// Errors.

#[test]
fn a_rejected_key_says_which_variable_to_check() {
    let server = MockServer::start(
        401,
        json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error"}}),
    );
    let model = model_for(&[
        ("QWF_PROVIDER", "openai"),
        ("QWF_BASE_URL", &format!("{}/v1", server.url)),
        ("QWF_OPENAI_API", "chat"),
        ("OPENAI_API_KEY", KEY),
    ]);
    let error = respond(model.as_ref()).unwrap_err();
    assert!(matches!(error, ModelError::Call { .. }), "{error:?}");
    assert!(error.to_string().contains("401"), "{error}");
    assert!(error.to_string().contains("Incorrect API key"), "{error}");
    assert!(error.hint().contains("OPENAI_API_KEY"), "{}", error.hint());
    assert!(!format!("{error:?}").contains(KEY));
}

#[test]
fn an_unknown_model_points_at_the_model_name() {
    let server = MockServer::start(
        404,
        json!({"type": "error", "error": {"type": "not_found_error", "message": "model: claude-nope"}}),
    );
    let model = model_for(&[
        ("QWF_PROVIDER", "anthropic"),
        ("QWF_MODEL", "claude-nope"),
        ("QWF_BASE_URL", &server.url),
        ("ANTHROPIC_API_KEY", KEY),
    ]);
    let error = respond(model.as_ref()).unwrap_err();
    assert!(error.to_string().contains("404"), "{error}");
    assert!(error.to_string().contains("model: claude-nope"), "{error}");
    assert!(error.hint().contains("claude-nope"), "{}", error.hint());
}

/// A port nothing listens on.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

#[test]
fn an_unreachable_local_server_asks_whether_it_is_running() {
    let url = closed_port_url();
    let model = model_for(&[("QWF_PROVIDER", "ollama"), ("QWF_BASE_URL", &url)]);
    let error = respond(model.as_ref()).unwrap_err();
    assert!(matches!(error, ModelError::Call { .. }), "{error:?}");
    assert!(
        error
            .hint()
            .contains(&format!("is the server running at {url}")),
        "{}",
        error.hint()
    );
}

#[test]
fn transport_errors_never_show_the_key() {
    // Gemini sends the key in the URL, which transport errors quote.
    let url = closed_port_url();
    let model = model_for(&[
        ("QWF_PROVIDER", "gemini"),
        ("QWF_BASE_URL", &url),
        ("GEMINI_API_KEY", KEY),
    ]);
    let error = respond(model.as_ref()).unwrap_err();
    let shown = format!("{error} {} {error:?}", error.hint());
    assert!(!shown.contains(KEY), "{shown}");
}

#[test]
fn a_slow_server_is_waited_for_request_timeout_seconds_and_the_hint_names_it() {
    let server = MockServer::silent(std::time::Duration::from_secs(10));
    let model = model_for(&[
        ("QWF_PROVIDER", "openai-compatible"),
        ("QWF_MODEL", "local-model"),
        ("QWF_BASE_URL", &server.url),
        ("QWF_REQUEST_TIMEOUT", "1"),
    ]);
    let started = std::time::Instant::now();
    let error = respond(model.as_ref()).unwrap_err();
    assert!(started.elapsed() < std::time::Duration::from_secs(8));
    assert!(error.to_string().contains("within 1 s"), "{error}");
    assert!(error.hint().contains("request_timeout"), "{}", error.hint());
}
