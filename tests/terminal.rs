//! What a person sees at a terminal: each test drives the real binary on a
//! pseudo-terminal (see `support/pty.rs`), typing answers and Ctrl-C.

#[path = "support/mock_http.rs"]
mod mock_http;
#[path = "support/pty.rs"]
mod pty;

use std::path::Path;
use std::time::Duration;

use mock_http::MockServer;
use pty::Step::{Expect, ExpectAfter, ExpectNew, Send, Sleep};

const PIPELINE: &str = include_str!("fixtures/data-pipeline.json");

/// A temporary directory whose qwf home (`home/`) holds the seed's pipeline.
fn home_with_pipeline() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("home/workflows")).expect("home");
    std::fs::write(
        dir.path().join("home/workflows/data-pipeline.json"),
        PIPELINE,
    )
    .expect("workflow");
    dir
}

fn home_of(dir: &Path) -> String {
    dir.join("home").display().to_string()
}

fn versions(dir: &Path, name: &str) -> usize {
    std::fs::read_to_string(dir.join(format!("home/workflows/.versions/{name}.log.jsonl")))
        .map(|log| log.lines().count())
        .unwrap_or(0)
}

#[test]
fn ctrl_c_in_chat_cancels_a_model_call_that_never_answers_and_the_chat_goes_on() {
    let dir = home_with_pipeline();
    let server = MockServer::silent(Duration::from_secs(60));
    let base_url = format!("{}/v1", server.url);
    let home = home_of(dir.path());
    let env = [
        ("QWF_HOME", home.as_str()),
        ("HOME", home.as_str()),
        ("QWF_PROVIDER", "openai-compatible"),
        ("QWF_MODEL", "test-model"),
        ("QWF_BASE_URL", base_url.as_str()),
    ];
    let session = pty::run(
        dir.path(),
        &["chat", "--workflow", "data-pipeline"],
        &env,
        &[
            Expect("data-pipeline> "),
            Send("add retry logic to the API call\r"),
            Expect("is thinking"),
            // The request has reached the server, which will not answer.
            Sleep(Duration::from_millis(500)),
            Send("\x03"),
            Expect("Cancelled; nothing was applied."),
            ExpectAfter("data-pipeline> ", "Cancelled; nothing was applied."),
            Send("/history\r"),
            ExpectNew("v1"),
            Send("/exit\r"),
        ],
    );
    session.expect_exit(0);
    assert_eq!(server.requests().len(), 1, "{}", session.text());
    // Cancelled at once, not after the server's 60 s.
    let cancelled_at = session.marks[2] - session.marks[1];
    assert!(
        cancelled_at < 10.0,
        "took {cancelled_at}s:\n{}",
        session.text()
    );
    assert_eq!(versions(dir.path(), "data-pipeline"), 1, "nothing applied");
}
