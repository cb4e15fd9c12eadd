//! Replies in the OpenAI Chat Completions wire format, for scripted servers
//! (`mock_http.rs`) playing a model, and a runner for the real binary.
#![allow(dead_code)] // each test binary uses a different part

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::{Value, json};

#[path = "homes.rs"]
mod homes;
#[allow(unused_imports)] // each test binary uses a different part
pub use homes::{PIPELINE, home_with_pipeline};

fn completion(message: Value, finish: &str, prompt_tokens: u64, completion_tokens: u64) -> Value {
    json!({
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_700_000_000, "model": "test-model",
        "choices": [{"index": 0, "finish_reason": finish, "message": message}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens}
    })
}

/// A reply calling one tool; `arguments` as the exact text sent.
pub fn tool_call_text(id: &str, name: &str, arguments: &str) -> (u16, Value) {
    (
        200,
        completion(
            json!({"role": "assistant", "content": null,
                   "tool_calls": [{"id": id, "type": "function", "function": {"name": name, "arguments": arguments}}]}),
            "tool_calls",
            100,
            20,
        ),
    )
}

/// A reply calling one tool.
pub fn tool_call(id: &str, name: &str, arguments: Value) -> (u16, Value) {
    tool_call_text(id, name, &arguments.to_string())
}

/// A text reply.
pub fn text(text: &str) -> (u16, Value) {
    (
        200,
        completion(
            json!({"role": "assistant", "content": text}),
            "stop",
            150,
            10,
        ),
    )
}

/// A text reply cut off at the answer length.
pub fn cut_off(text: &str, tokens: u64) -> (u16, Value) {
    (
        200,
        completion(
            json!({"role": "assistant", "content": text}),
            "length",
            150,
            tokens,
        ),
    )
}

/// A server-sent event stream of Chat Completions chunks.
pub fn sse(chunks: &[Value]) -> (u16, Value) {
    let mut text: String = chunks
        .iter()
        .map(|chunk| format!("data: {chunk}\n\n"))
        .collect();
    text.push_str("data: [DONE]\n\n");
    (200, Value::String(text))
}

pub fn chunk(delta: Value, finish: Option<&str>) -> Value {
    json!({"id": "chatcmpl-s", "object": "chat.completion.chunk", "created": 1_700_000_000, "model": "test-model",
           "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
}

/// A streamed text reply.
pub fn streamed_text(pieces: &[&str]) -> (u16, Value) {
    let mut chunks: Vec<Value> = pieces
        .iter()
        .map(|piece| chunk(json!({"content": piece}), None))
        .collect();
    chunks.push(chunk(json!({}), Some("stop")));
    sse(&chunks)
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// What a user reads, with the exit code: both streams, labelled.
    pub fn text(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    /// Stdout as the one JSON document `--json` prints.
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("not JSON ({error}):\n{}\n{}", self.stdout, self.stderr))
    }

    #[track_caller]
    pub fn assert_code(&self, code: i32) {
        assert_eq!(self.code, code, "{}", self.all());
    }

    #[track_caller]
    pub fn assert_stdout_has(&self, needle: &str) {
        assert!(
            self.stdout.contains(needle),
            "stdout lacks {needle:?}:\n{}",
            self.all()
        );
    }

    #[track_caller]
    pub fn assert_stderr_has(&self, needle: &str) {
        assert!(
            self.stderr.contains(needle),
            "stderr lacks {needle:?}:\n{}",
            self.all()
        );
    }

    #[track_caller]
    pub fn assert_stderr_lacks(&self, needle: &str) {
        assert!(
            !self.stderr.contains(needle),
            "stderr has {needle:?}:\n{}",
            self.all()
        );
    }
}

/// Runs the real binary in `dir` (`dir/home` is QWF_HOME) against the
/// model at `base_url` (openai-compatible), with extra environment.
pub fn qwf(dir: &Path, env: &[(&str, &str)], args: &[&str], stdin: &str) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qwf"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("QWF_HOME", dir.join("home"))
        .env("QWF_TIMESTAMP", "2026-11-27T10:00:00Z")
        .env("NO_COLOR", "1")
        .current_dir(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().expect("qwf starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let output = child.wait_with_output().expect("qwf finishes");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The environment that points qwf at an openai-compatible server.
pub fn compatible(base_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("QWF_PROVIDER", "openai-compatible".to_string()),
        ("QWF_MODEL", "test-model".to_string()),
        ("QWF_BASE_URL", base_url.to_string()),
    ]
}

/// Runs the real binary against the openai-compatible server at
/// `server_url` (its `/v1`).
pub fn qwf_with_model(dir: &Path, server_url: &str, args: &[&str], stdin: &str) -> Run {
    let env = compatible(&format!("{server_url}/v1"));
    qwf(dir, &pairs(&env), args, stdin)
}

/// `reply` reporting other token counts.
pub fn with_usage(reply: (u16, Value), prompt_tokens: u64, completion_tokens: u64) -> (u16, Value) {
    let (status, mut body) = reply;
    body["usage"] = json!({"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                           "total_tokens": prompt_tokens + completion_tokens});
    (status, body)
}

/// `compatible` as the borrowed pairs `qwf` takes.
pub fn pairs<'a>(env: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    env.iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect()
}

/// The tool results a Chat Completions request sent back, by call id.
pub fn tool_results(request: &Value) -> Vec<(String, String)> {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|message| message["role"] == "tool")
        .map(|message| {
            let content = match &message["content"] {
                Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (
                message["tool_call_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                content,
            )
        })
        .collect()
}

/// The estimate qwf documents (src/agent/prompts.rs): the larger of
/// characters / 4 and words × 4 / 3.
pub fn estimate_tokens(text: &str) -> usize {
    let by_characters = text.chars().count().div_ceil(4);
    let by_words = (text.split_whitespace().count() * 4).div_ceil(3);
    by_characters.max(by_words)
}
