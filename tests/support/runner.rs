//! A temporary QWF_HOME for running workflows through the real binary:
//! code skills (small shell and Python scripts written into its skills
//! directory), workflows, and `qwf` with a pinned clock and an empty
//! environment; and what tests read back from run records and processes.
#![allow(dead_code)] // each test binary uses a different part

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct Home {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
}

pub struct Output {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Home {
    pub fn new() -> Home {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path().join("home");
        std::fs::create_dir_all(root.join("skills")).unwrap();
        std::fs::create_dir_all(root.join("workflows")).unwrap();
        Home { _dir: dir, root }
    }

    pub fn skills(&self) -> PathBuf {
        self.root.join("skills")
    }

    /// A code skill running `command` in the skills directory.
    pub fn skill(&self, name: &str, command: &str, outputs: &[&str]) {
        let skill = json!({"name": name, "type": "code_inline", "description": name,
                           "command": command, "inputs": [], "outputs": outputs});
        std::fs::write(
            self.skills().join(format!("{name}.json")),
            skill.to_string(),
        )
        .unwrap();
    }

    pub fn script(&self, file: &str, text: &str) {
        std::fs::write(self.skills().join(file), text).unwrap();
    }

    pub fn workflow(&self, workflow: Value) {
        let name = workflow["name"].as_str().unwrap().to_string();
        std::fs::write(
            self.root.join(format!("workflows/{name}.json")),
            serde_json::to_string_pretty(&workflow).unwrap(),
        )
        .unwrap();
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_qwf"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root.parent().unwrap())
            // Discovery reads the working directory too: keep it in the home.
            .current_dir(self.root.parent().unwrap())
            .env("QWF_HOME", &self.root)
            .env("QWF_TIMESTAMP", "2026-11-27T10:00:00Z")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    pub fn qwf(&self, args: &[&str]) -> Output {
        self.qwf_with(args, &[])
    }

    pub fn qwf_with(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = self.command(args);
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("qwf runs");
        Output {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// `qwf --json run ...`: the run record.
    pub fn run_json(&self, args: &[&str]) -> (i32, Value) {
        let mut all = vec!["--json", "run"];
        all.extend_from_slice(args);
        let output = self.qwf(&all);
        let record = serde_json::from_str(&output.stdout).unwrap_or_else(|error| {
            panic!("not JSON ({error}): {}\n{}", output.stdout, output.stderr)
        });
        (output.code, record)
    }
}

/// The step `id` of a run record.
pub fn step<'r>(record: &'r Value, id: &str) -> &'r Value {
    record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|step| step["id"] == id)
        .unwrap_or_else(|| panic!("no step {id} in {record:#}"))
}

/// The numbers a script wrote to `path` (none when it wrote nothing).
pub fn read_floats(path: &Path) -> Vec<f64> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .split_whitespace()
        .map(|number| number.parse().unwrap())
        .collect()
}

/// The process id a script wrote to `path`.
pub fn pid_in(path: &Path) -> i32 {
    std::fs::read_to_string(path)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

pub fn alive(pid: i32) -> bool {
    // A zombie waiting for its (new) parent to reap it is not running.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit(')')
            .next()
            .unwrap_or("")
            .trim_start()
            .starts_with('Z'),
        Err(_) => false,
    }
}

/// Whether process `pid` is gone within `within`.
pub fn wait_until_dead(pid: i32, within: Duration) -> bool {
    let until = Instant::now() + within;
    while Instant::now() < until {
        if !alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}
