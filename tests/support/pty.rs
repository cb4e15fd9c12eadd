//! Drives the real binary on a pseudo-terminal, as a person at a keyboard
//! would: python3's `pty` module runs qwf with a terminal on stdin, stdout
//! and stderr, and follows a script of "wait for this text" and "type
//! this" steps. Ctrl-C is typed as the byte 0x03, so the terminal itself
//! turns it into SIGINT exactly as it does for a user.
#![allow(dead_code)] // each test binary uses a different part

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::{Value, json};

/// The driver: runs argv on a new pseudo-terminal and plays the steps.
/// A step that waits too long stops the script; the child is then killed.
const DRIVER: &str = r#"
import fcntl, json, os, pty, re, select, signal, struct, sys, termios, time
script = json.load(open(sys.argv[1]))
pid, fd = pty.fork()
if pid == 0:
    os.environ.clear()
    os.environ.update(script["env"])
    os.chdir(script["cwd"])
    os.execv(script["argv"][0], script["argv"])
# A terminal of 40 rows and 120 columns.
fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
ESCAPES = re.compile(rb"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]|\r")
def clean():
    return ESCAPES.sub(b"", seen)
seen = b""
marks = []
def read_some(wait):
    global seen
    ready, _, _ = select.select([fd], [], [], wait)
    if ready:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            return False
        if not chunk:
            return False
        seen += chunk
    return True
failure = None
started = time.time()
for step in script["steps"]:
    if "expect" in step:
        # Text is matched as shown, without escape sequences (colours,
        # cursor moves) and carriage returns.
        needle = step["expect"].encode()
        start = len(clean()) if step.get("fresh") else 0
        after = step.get("after")
        # With `after`: from the end of its last occurrence, once there is one.
        anchor = [None if after is not None else start]
        def met():
            if anchor[0] is None:
                found = clean().rfind(after.encode())
                if found < 0:
                    return False
                anchor[0] = found + len(after.encode())
            return needle in clean()[anchor[0]:]
        limit = time.time() + step.get("timeout", 20)
        alive = True
        while not met() and time.time() < limit and alive:
            alive = read_some(0.05)
        if not met():
            failure = "timed out waiting for %r" % step["expect"]
            break
        marks.append(round(time.time() - started, 3))
    elif "send" in step:
        os.write(fd, step["send"].encode())
    elif "sleep" in step:
        limit = time.time() + step["sleep"]
        while time.time() < limit and read_some(0.05):
            pass
code = None
limit = time.time() + (5 if failure is None else 0)
while time.time() < limit:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        code = os.waitstatus_to_exitcode(status)
        break
    read_some(0.05)
if code is None:
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
while read_some(0.05):
    pass
json.dump({"transcript": seen.decode(errors="replace"), "exit": code,
           "failure": failure, "marks": marks}, sys.stdout)
"#;

/// What happened on the terminal.
#[derive(Debug)]
pub struct Session {
    /// Everything qwf wrote to the terminal (with its escape sequences).
    pub transcript: String,
    /// `None` when qwf had to be killed.
    pub exit: Option<i32>,
    /// The step that timed out, if one did.
    pub failure: Option<String>,
    /// Seconds since the start at which each `expect` step was met.
    pub marks: Vec<f64>,
}

impl Session {
    /// The transcript without escape sequences and carriage returns.
    pub fn text(&self) -> String {
        strip_escapes(&self.transcript)
    }

    /// Asserts that every step was met and qwf exited with `code`.
    pub fn expect_exit(&self, code: i32) {
        assert!(
            self.failure.is_none() && self.exit == Some(code),
            "{:?}, exit {:?}; the terminal showed:\n{}",
            self.failure,
            self.exit,
            self.text()
        );
    }
}

/// One step of the script.
#[derive(Debug, Clone, Copy)]
pub enum Step<'a> {
    /// Wait (up to 20 s) until the terminal has shown this text.
    Expect(&'a str),
    /// Wait until this text appears after the current end of the transcript.
    ExpectNew(&'a str),
    /// Wait until this text appears after the last occurrence (so far) of
    /// another. A line editor drops what was typed before its prompt, so
    /// type only once the prompt is there.
    ExpectAfter(&'a str, &'a str),
    /// Type this (`\r` is Enter, `\x03` is Ctrl-C).
    Send(&'a str),
    /// Keep reading for a while.
    Sleep(Duration),
}

/// Runs qwf with `args` on a pseudo-terminal in `cwd`, with only `env`
/// (plus PATH and TERM) in its environment.
pub fn run(cwd: &Path, args: &[&str], env: &[(&str, &str)], steps: &[Step<'_>]) -> Session {
    let mut environment = serde_json::Map::new();
    environment.insert(
        "PATH".into(),
        json!(std::env::var("PATH").unwrap_or_default()),
    );
    environment.insert("TERM".into(), json!("xterm"));
    for (key, value) in env {
        environment.insert((*key).to_string(), json!(value));
    }
    let steps: Vec<Value> = steps
        .iter()
        .map(|step| match step {
            Step::Expect(text) => json!({ "expect": text }),
            Step::ExpectNew(text) => json!({ "expect": text, "fresh": true }),
            Step::ExpectAfter(text, after) => json!({ "expect": text, "after": after }),
            Step::Send(text) => json!({ "send": text }),
            Step::Sleep(duration) => json!({ "sleep": duration.as_secs_f64() }),
        })
        .collect();
    let mut argv = vec![env!("CARGO_BIN_EXE_qwf").to_string()];
    argv.extend(args.iter().map(|arg| (*arg).to_string()));
    let script = json!({ "argv": argv, "env": environment, "cwd": cwd, "steps": steps });
    let folder = tempfile::tempdir().expect("a folder for the driver");
    let driver = folder.path().join("driver.py");
    let script_path = folder.path().join("script.json");
    std::fs::write(&driver, DRIVER).expect("the driver is written");
    std::fs::write(&script_path, script.to_string()).expect("the script is written");
    let output = Command::new("python3")
        .arg(&driver)
        .arg(&script_path)
        .output()
        .expect("python3 runs the pseudo-terminal driver");
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "the driver failed ({error}): {}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Session {
        transcript: report["transcript"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        exit: report["exit"].as_i64().map(|code| code as i32),
        failure: report["failure"].as_str().map(str::to_string),
        marks: report["marks"]
            .as_array()
            .map(|marks| marks.iter().filter_map(Value::as_f64).collect())
            .unwrap_or_default(),
    }
}

/// Removes ANSI escape sequences (CSI, OSC) and carriage returns.
pub fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\x1b' => match chars.next() {
                Some('[') => {
                    for next in chars.by_ref() {
                        if ('@'..='~').contains(&next) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    while let Some(next) = chars.next() {
                        if next == '\x07' {
                            break;
                        }
                        if next == '\x1b' {
                            chars.next();
                            break;
                        }
                    }
                }
                _ => {}
            },
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}
