//! `qwf resources --probe`: start each configured MCP server, ask it for its
//! tools with the `rmcp` client over stdio, and stop it.
//!
//! Servers are probed concurrently, each under its own time limit. Each one
//! runs under a guardian ([`crate::guard`]) that keeps every process it
//! starts in one tree, and the whole tree is stopped at the end (after a
//! clean close of its stdin), on timeout and on failure, so a server that
//! starts helpers (`npx` → `node`), even ones that leave its session,
//! leaves nothing behind.
//!
//! The child is spawned here rather than through rmcp's `TokioChildProcess`
//! so that its stdout can be watched on the way to the client: rmcp skips
//! lines that are not JSON-RPC, and a server that prints only garbage would
//! otherwise look like one that hangs. Its stderr is kept (the last few
//! kilobytes) to explain a failure. Nothing here prints.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rmcp::ServiceExt;
use serde::Serialize;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::unix::pipe;

use crate::store::discovery::{CachedTool, FoundServer, ServerOrigin, Transport};

/// The default time limit per server.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How much of a server's stderr is kept to explain a failure.
const STDERR_KEPT: usize = 4 * 1024;

/// A server to start.
#[derive(Debug, Clone)]
pub struct Target {
    pub name: String,
    pub origin: ServerOrigin,
    pub command: String,
    pub args: Vec<String>,
    pub env: BTreeMap<String, String>,
    pub working_directory: Option<PathBuf>,
}

impl Target {
    /// The target for a discovered server; `None` for remote and disabled
    /// ones, which are not started.
    pub fn for_server(server: &FoundServer) -> Option<Target> {
        if server.disabled {
            return None;
        }
        match &server.transport {
            Transport::Stdio { command, args, env } => Some(Target {
                name: server.name.clone(),
                origin: server.origin(),
                command: command.clone(),
                args: args.clone(),
                env: env.clone(),
                working_directory: None,
            }),
            Transport::Remote { .. } => None,
        }
    }
}

/// Why a server gave no tools.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Failure {
    /// The command could not be started (not found, not executable).
    Spawn { message: String },
    /// No answer within the time limit.
    Timeout { seconds: f64 },
    /// It answered, but not as an MCP server (or it exited).
    Protocol { message: String },
}

/// What probing one server found.
#[derive(Debug, Clone, Serialize)]
pub struct Probed {
    pub name: String,
    #[serde(flatten)]
    pub origin: ServerOrigin,
    /// `name version` the server reported, if it got that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_info: Option<String>,
    pub tools: Vec<CachedTool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    /// Lines on stdout that were not JSON-RPC (the first few).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub garbage: Vec<String>,
    /// The end of what it wrote on stderr, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stderr: Option<String>,
    pub elapsed_ms: u64,
}

impl Probed {
    /// One line saying why it failed, for people and for the cache.
    pub fn failure_message(&self) -> Option<String> {
        let failure = self.failure.as_ref()?;
        let mut message = match failure {
            Failure::Spawn { message } => format!("could not start: {message}"),
            Failure::Timeout { seconds } => {
                format!("no answer within {seconds} s (stopped)")
            }
            Failure::Protocol { message } => message.clone(),
        };
        if let Some(first) = self.garbage.first() {
            message.push_str(&format!(
                "; it printed {} line{} on stdout that {} not JSON-RPC, the first: {first:?}",
                self.garbage.len(),
                if self.garbage.len() == 1 { "" } else { "s" },
                if self.garbage.len() == 1 { "is" } else { "are" },
            ));
        }
        Some(message)
    }
}

/// Probes every target at once and returns their results in the same
/// order. Blocks the calling thread; starts its own runtime.
pub fn probe_all(targets: &[Target], timeout: Duration) -> std::io::Result<Vec<Probed>> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    Ok(runtime.block_on(async {
        let probes = targets.iter().map(|target| probe(target, timeout));
        futures_util::future::join_all(probes).await
    }))
}

/// Probes one server: start, initialize, list tools, stop.
pub async fn probe(target: &Target, timeout: Duration) -> Probed {
    let started = Instant::now();
    let mut probed = Probed {
        name: target.name.clone(),
        origin: target.origin.clone(),
        server_info: None,
        tools: Vec::new(),
        failure: None,
        garbage: Vec::new(),
        stderr: None,
        elapsed_ms: 0,
    };
    let mut child = match spawn(target) {
        Ok(child) => child,
        Err(error) => {
            probed.failure = Some(Failure::Spawn {
                message: spawn_message(&target.command, &error),
            });
            probed.elapsed_ms = elapsed_ms(started);
            return probed;
        }
    };
    let stdin = child.stdin.take();
    let stdout = child.stdout.take();
    let stderr_buffer = Arc::new(Mutex::new(Vec::new()));
    let stderr_task = child
        .stderr
        .take()
        .map(|stderr| tokio::spawn(keep_tail(stderr, Arc::clone(&stderr_buffer))));
    let garbage = Arc::new(Mutex::new(Vec::new()));
    let (Some(stdin), Some(stdout)) = (stdin, stdout) else {
        probed.failure = Some(Failure::Protocol {
            message: "its stdin and stdout could not be connected".into(),
        });
        stop(&mut child).await;
        probed.elapsed_ms = elapsed_ms(started);
        return probed;
    };
    match list_tools(stdout, stdin, Arc::clone(&garbage), timeout).await {
        Ok((info, tools)) => {
            probed.server_info = info;
            probed.tools = tools;
        }
        Err(failure) => probed.failure = Some(failure),
    }
    let ended = stop(&mut child).await;
    if let Some(crate::guard::Report::SpawnFailed(error)) = &ended {
        probed.failure = Some(Failure::Spawn {
            message: spawn_message(&target.command, error),
        });
    }
    // A server stopped here (SIGTERM, SIGKILL) did not end by itself.
    let status = match ended {
        Some(crate::guard::Report::Exited(status))
            if !matches!(
                std::os::unix::process::ExitStatusExt::signal(&status),
                Some(libc::SIGTERM | libc::SIGKILL)
            ) =>
        {
            Some(status)
        }
        _ => None,
    };
    if let Some(task) = stderr_task {
        // Its stderr closes when the tree is gone; don't wait on a stray holder.
        let _ = tokio::time::timeout(Duration::from_millis(500), task).await;
    }
    probed.garbage = garbage
        .lock()
        .map(|lines| lines.clone())
        .unwrap_or_default();
    if probed.failure.is_some() {
        let stderr = stderr_buffer
            .lock()
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
            .unwrap_or_default();
        if !stderr.is_empty() {
            probed.stderr = Some(stderr);
        }
        if let (Some(Failure::Protocol { message }), Some(status)) = (&mut probed.failure, status)
            && !status.success()
        {
            message.push_str(&format!(" (it exited: {status})"));
        }
    }
    probed.elapsed_ms = elapsed_ms(started);
    probed
}

/// The MCP conversation itself, over any pair of streams: handshake, then
/// every page of `tools/list`, within `timeout`. Lines that are not JSON
/// are kept in `garbage` instead of reaching the client.
pub async fn list_tools(
    from_server: impl AsyncRead + Unpin + Send + 'static,
    to_server: impl tokio::io::AsyncWrite + Unpin + Send + 'static,
    garbage: Arc<Mutex<Vec<String>>>,
    timeout: Duration,
) -> Result<(Option<String>, Vec<CachedTool>), Failure> {
    let (client_side, filter_side) = tokio::io::duplex(64 * 1024);
    let filter = tokio::spawn(forward_json_lines(from_server, filter_side, garbage));
    let session = async {
        let client = ()
            .serve((client_side, to_server))
            .await
            .map_err(|error| format!("the MCP handshake failed: {error}"))?;
        let info = client
            .peer_info()
            .map(|info| format!("{} {}", info.server_info.name, info.server_info.version));
        let tools = client
            .list_all_tools()
            .await
            .map_err(|error| format!("listing its tools failed: {error}"));
        // A clean end: close its stdin and let it go, briefly.
        let _ = tokio::time::timeout(Duration::from_secs(2), client.cancel()).await;
        tools.map(|tools| (info, tools))
    };
    let result = match tokio::time::timeout(timeout, session).await {
        Ok(Ok((info, tools))) => Ok((
            info,
            tools
                .into_iter()
                .map(|tool| CachedTool {
                    name: tool.name.into_owned(),
                    description: tool
                        .description
                        .map(|text| text.trim().to_string())
                        .filter(|text| !text.is_empty()),
                })
                .collect(),
        )),
        Ok(Err(message)) => Err(Failure::Protocol { message }),
        Err(_) => Err(Failure::Timeout {
            seconds: timeout.as_secs_f64(),
        }),
    };
    filter.abort();
    result
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

/// A started server: its pipes and the guardian of its process tree.
struct Server {
    guarded: crate::guard::Guarded,
    reports: pipe::Receiver,
    stdin: Option<pipe::Sender>,
    stdout: Option<pipe::Receiver>,
    stderr: Option<pipe::Receiver>,
}

fn spawn(target: &Target) -> std::io::Result<Server> {
    let mut argv = vec![target.command.clone()];
    argv.extend(target.args.iter().cloned());
    let env: Vec<(String, String)> = target
        .env
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let mut guarded = crate::guard::spawn(&crate::guard::CommandSpec {
        argv: &argv,
        cwd: target.working_directory.as_deref(),
        env: &env,
        env_remove: &[],
        clear_env: false,
        grace: Duration::from_millis(300),
    })?;
    let reports = pipe::Receiver::from_owned_fd(guarded.reports.try_clone()?)?;
    let stdin = guarded
        .stdin
        .take()
        .map(pipe::Sender::from_owned_fd)
        .transpose()?;
    let stdout = guarded
        .stdout
        .take()
        .map(pipe::Receiver::from_owned_fd)
        .transpose()?;
    let stderr = guarded
        .stderr
        .take()
        .map(pipe::Receiver::from_owned_fd)
        .transpose()?;
    Ok(Server {
        guarded,
        reports,
        stdin,
        stdout,
        stderr,
    })
}

fn spawn_message(command: &str, error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::NotFound => {
            format!("command '{command}' was not found (is it installed and on PATH?)")
        }
        std::io::ErrorKind::PermissionDenied => {
            format!("command '{command}' is not executable")
        }
        _ => format!("command '{command}': {error}"),
    }
}

/// Stops the server's whole process tree and reaps it. Returns how the
/// server ended (or why it could not be started), when the guardian said.
async fn stop(server: &mut Server) -> Option<crate::guard::Report> {
    use crate::guard::Report;
    server.stdin = None;
    let mut report = Vec::new();
    let mut chunk = [0u8; 16];
    // Already reported: it ended by itself (or never started).
    while let Ok(count) = server.reports.try_read(&mut chunk) {
        if count == 0 {
            break;
        }
        report.extend_from_slice(&chunk[..count]);
    }
    if Report::parse(&report).is_none() {
        server.guarded.terminate();
        let reading = async {
            use tokio::io::AsyncReadExt;
            while Report::parse(&report).is_none() {
                match server.reports.read(&mut chunk).await {
                    Ok(0) | Err(_) => break,
                    Ok(count) => report.extend_from_slice(&chunk[..count]),
                }
            }
        };
        if tokio::time::timeout(Duration::from_secs(3), reading)
            .await
            .is_err()
        {
            server.guarded.kill();
        }
    }
    // The guardian exits right after its report.
    for _ in 0..100 {
        if server.guarded.try_reap() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Report::parse(&report)
}

/// Copies the server's stdout to the client line by line, holding back
/// lines that are not JSON (kept, the first few, to report).
async fn forward_json_lines(
    stdout: impl AsyncRead + Unpin,
    mut to_client: tokio::io::DuplexStream,
    garbage: Arc<Mutex<Vec<String>>>,
) {
    let mut lines = BufReader::new(stdout);
    let mut line = Vec::new();
    loop {
        line.clear();
        match lines.read_until(b'\n', &mut line).await {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let text = String::from_utf8_lossy(&line);
        let trimmed = text.trim();
        if trimmed.is_empty() {
            continue;
        }
        if serde_json::from_str::<serde_json::Value>(trimmed).is_ok() {
            if to_client.write_all(&line).await.is_err() {
                break;
            }
            if !line.ends_with(b"\n") && to_client.write_all(b"\n").await.is_err() {
                break;
            }
        } else if let Ok(mut kept) = garbage.lock()
            && kept.len() < 5
        {
            kept.push(trimmed.chars().take(120).collect());
        }
    }
    // Dropping `to_client` ends the client's stream: the server is gone.
}

/// Reads a stream to its end, keeping only its last bytes.
async fn keep_tail(mut stream: impl AsyncRead + Unpin, into: Arc<Mutex<Vec<u8>>>) {
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => break,
            Ok(read) => {
                if let Ok(mut kept) = into.lock() {
                    kept.extend_from_slice(&chunk[..read]);
                    if kept.len() > STDERR_KEPT {
                        let cut = kept.len() - STDERR_KEPT;
                        kept.drain(..cut);
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod in_process {
    use super::*;
    use serde_json::{Value, json};
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, DuplexStream};

    /// A small MCP server in this process: answers the handshake and
    /// `tools/list` in two pages, after a line of noise.
    async fn serve(input: DuplexStream, mut output: DuplexStream, answers: bool) {
        output.write_all(b"starting up...\n").await.expect("write");
        let mut lines = BufReader::new(input).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            let request: Value = serde_json::from_str(&line).expect("the client sends JSON");
            let (Some(id), true) = (request.get("id"), answers) else {
                continue;
            };
            let result = match request["method"].as_str() {
                Some("initialize") => json!({
                    "protocolVersion": request["params"]["protocolVersion"],
                    "capabilities": {"tools": {}},
                    "serverInfo": {"name": "in-process", "version": "0.1.0"}
                }),
                Some("tools/list") if request["params"]["cursor"].is_null() => json!({
                    "tools": [{"name": "echo", "description": " Echo the input ", "inputSchema": {"type": "object"}}],
                    "nextCursor": "page-2"
                }),
                Some("tools/list") => json!({
                    "tools": [{"name": "add", "inputSchema": {"type": "object"}}]
                }),
                _ => json!({}),
            };
            let reply = json!({"jsonrpc": "2.0", "id": id, "result": result});
            let mut text = reply.to_string();
            text.push('\n');
            if output.write_all(text.as_bytes()).await.is_err() {
                break;
            }
        }
    }

    async fn probe_in_process(
        answers: bool,
        timeout: Duration,
    ) -> (
        Result<(Option<String>, Vec<CachedTool>), Failure>,
        Vec<String>,
    ) {
        let (client_out, server_in) = tokio::io::duplex(4096);
        let (server_out, client_in) = tokio::io::duplex(4096);
        let server = tokio::spawn(serve(server_in, server_out, answers));
        let garbage = Arc::new(Mutex::new(Vec::new()));
        let result = list_tools(client_in, client_out, Arc::clone(&garbage), timeout).await;
        server.abort();
        let noise = garbage.lock().expect("lock").clone();
        (result, noise)
    }

    #[tokio::test]
    async fn every_page_of_tools_is_listed_and_noise_is_kept_aside() {
        let (result, noise) = probe_in_process(true, Duration::from_secs(5)).await;
        let (info, tools) = result.expect("the probe succeeds");
        assert_eq!(info.as_deref(), Some("in-process 0.1.0"));
        let names: Vec<(&str, Option<&str>)> = tools
            .iter()
            .map(|tool| (tool.name.as_str(), tool.description.as_deref()))
            .collect();
        assert_eq!(names, [("echo", Some("Echo the input")), ("add", None)]);
        assert_eq!(noise, ["starting up..."]);
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let (result, _) = probe_in_process(false, Duration::from_millis(300)).await;
        assert!(matches!(result, Err(Failure::Timeout { .. })), "{result:?}");
    }
}
