//! A tiny HTTP/1.1 server on 127.0.0.1 for provider tests: it records each
//! request and answers from a script, so the real clients run unchanged.
#![allow(dead_code)] // each test binary uses a different part

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::thread;

use serde_json::Value;

#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Recorded {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("the request body is JSON")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .get(&name.to_ascii_lowercase())
            .map(String::as_str)
    }
}

pub struct MockServer {
    pub url: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl MockServer {
    /// Answer every request with `status` and `body`.
    pub fn start(status: u16, body: Value) -> MockServer {
        MockServer::script(vec![(status, body)])
    }

    /// Answer requests with the given replies in order; the last one
    /// repeats once the script is used up.
    pub fn script(replies: Vec<(u16, Value)>) -> MockServer {
        let replies = raw_bodies(replies);
        MockServer::serve(move |served, stream| {
            let (status, body) = &replies[served.min(replies.len() - 1)];
            let _ = write_response(stream, *status, body);
        })
    }

    /// Answers the first requests from `replies`, then accepts requests and
    /// never answers them (until `hold` has passed): a model that stops
    /// responding partway through a run.
    pub fn script_then_silent(replies: Vec<(u16, Value)>, hold: std::time::Duration) -> MockServer {
        let replies = raw_bodies(replies);
        MockServer::serve(move |served, stream| match replies.get(served) {
            Some((status, body)) => {
                let _ = write_response(stream, *status, body);
            }
            None => {
                thread::spawn(move || {
                    thread::sleep(hold);
                    drop(stream);
                });
            }
        })
    }

    /// Accepts requests and never answers them (until `hold` has passed),
    /// like a model that is taking its time.
    pub fn silent(hold: std::time::Duration) -> MockServer {
        MockServer::serve(move |_, stream| {
            thread::sleep(hold);
            drop(stream);
        })
    }

    /// Listens on 127.0.0.1, records each request, and leaves the
    /// connection to `answer`, with how many came before it.
    fn serve(mut answer: impl FnMut(usize, TcpStream) + Send + 'static) -> MockServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        thread::spawn(move || {
            for (served, stream) in listener.incoming().enumerate() {
                let Ok(stream) = stream else { break };
                if let Some(request) = read_request(&stream) {
                    recorded.lock().unwrap().push(request);
                }
                answer(served, stream);
            }
        });
        MockServer { url, requests }
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    pub fn only_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected one request: {requests:#?}");
        requests.into_iter().next().unwrap()
    }
}

/// The bodies as sent: a JSON string as it is (a server-sent event
/// stream), anything else as JSON.
fn raw_bodies(replies: Vec<(u16, Value)>) -> Vec<(u16, String)> {
    replies
        .into_iter()
        .map(|(status, body)| match body {
            Value::String(raw) => (status, raw),
            other => (status, other.to_string()),
        })
        .collect()
}

fn read_request(stream: &TcpStream) -> Option<Recorded> {
    let mut reader = BufReader::new(stream);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = HashMap::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).ok()?;
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let mut body = Vec::new();
    if let Some(length) = headers.get("content-length") {
        body.resize(length.parse().ok()?, 0);
        reader.read_exact(&mut body).ok()?;
    } else if headers
        .get("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"))
    {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size).ok()?;
            let size = usize::from_str_radix(size.trim(), 16).ok()?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk).ok()?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    }
    Some(Recorded {
        method,
        target,
        headers,
        body: String::from_utf8(body).ok()?,
    })
}

fn write_response(mut stream: TcpStream, status: u16, body: &str) -> std::io::Result<()> {
    let content_type = if body.starts_with("data:") {
        "text/event-stream"
    } else {
        "application/json"
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        _ => "Status",
    };
    write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )?;
    stream.flush()
}
