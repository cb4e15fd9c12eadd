//! A test environment: a temporary home, a clean process environment, and
//! output captured for snapshots with temporary paths replaced.

#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The pinned clock of every run unless a test moves it.
pub const T0: &str = "2026-11-27T10:00:00Z";

pub struct TestEnv {
    dir: tempfile::TempDir,
    /// `QWF_TIMESTAMP` for the next runs.
    now: RefCell<String>,
}

/// What one run printed and how it ended.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Exit code, stdout and stderr together, as users see them.
    pub fn snapshot(&self) -> String {
        format!(
            "exit: {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }

    /// Asserts the exit code, showing everything the run printed if not.
    pub fn expect(self, code: i32) -> Self {
        assert_eq!(self.code, code, "unexpected exit code\n{}", self.snapshot());
        self
    }

    /// Asserts exit 0.
    pub fn ok(self) -> Self {
        self.expect(0)
    }

    /// Asserts a failure that says what went wrong and what to do.
    pub fn fails_with_hint(self, code: i32) -> Self {
        let run = self.expect(code);
        assert!(
            run.stderr.contains("Error: ") && run.stderr.contains("Hint: "),
            "an error needs a message and a hint\n{}",
            run.snapshot()
        );
        run
    }

    /// The `--json` error document's message and hint.
    pub fn json_error(&self) -> (String, String) {
        let document = self.json();
        let error = document
            .get("error")
            .unwrap_or_else(|| panic!("no error in {document}"));
        let text = |key: &str| error[key].as_str().unwrap_or_default().to_string();
        assert!(
            !text("message").is_empty() && !text("hint").is_empty(),
            "{document}"
        );
        (text("message"), text("hint"))
    }
}

/// Every file and directory under a root, by relative path, with content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tree(pub BTreeMap<String, Option<Vec<u8>>>);

impl Tree {
    pub fn read(root: &Path) -> Tree {
        fn walk(root: &Path, directory: &Path, into: &mut BTreeMap<String, Option<Vec<u8>>>) {
            let Ok(entries) = std::fs::read_dir(directory) else {
                return;
            };
            for entry in entries {
                let path = entry.expect("a directory entry").path();
                let relative = path
                    .strip_prefix(root)
                    .expect("under the root")
                    .display()
                    .to_string();
                if path.is_dir() {
                    into.insert(format!("{relative}/"), None);
                    walk(root, &path, into);
                } else {
                    into.insert(
                        relative,
                        Some(std::fs::read(&path).expect("a readable file")),
                    );
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(root, root, &mut files);
        Tree(files)
    }

    pub fn paths(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }

    /// Asserts that nothing was added, removed or changed since `self`.
    pub fn assert_same(&self, after: &Tree, what: &str) {
        if self == after {
            return;
        }
        let mut report = Vec::new();
        for (path, content) in &self.0 {
            match after.0.get(path) {
                None => report.push(format!("removed {path}")),
                Some(now) if now != content => report.push(format!("changed {path}")),
                Some(_) => {}
            }
        }
        for path in after.0.keys() {
            if !self.0.contains_key(path) {
                report.push(format!("added {path}"));
            }
        }
        panic!("{what} changed files:\n  {}", report.join("\n  "));
    }
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("a temporary directory"),
            now: RefCell::new(T0.to_string()),
        }
    }

    /// The test's directory (the working directory and `HOME` of runs).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// `QWF_HOME`.
    pub fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    pub fn workflows(&self) -> PathBuf {
        self.home().join("workflows")
    }

    pub fn versions(&self) -> PathBuf {
        self.workflows().join(".versions")
    }

    /// Moves the pinned clock (`QWF_TIMESTAMP`, RFC 3339) for later runs.
    pub fn at(&self, timestamp: &str) -> &Self {
        *self.now.borrow_mut() = timestamp.to_string();
        self
    }

    /// Writes a file under the test directory and returns its path.
    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create a test directory");
        }
        std::fs::write(&path, content).expect("write a test file");
        path
    }

    /// Puts a workflow file in the home by hand; the next command adopts it
    /// as version 1.
    pub fn add_workflow(&self, name: &str, content: &str) -> PathBuf {
        self.write(&format!("home/workflows/{name}.json"), content)
    }

    /// Reads a file under the test directory.
    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name))
            .unwrap_or_else(|error| panic!("cannot read {name}: {error}"))
    }

    /// The current file of a workflow, parsed.
    pub fn current(&self, name: &str) -> serde_json::Value {
        serde_json::from_str(&self.read(&format!("home/workflows/{name}.json")))
            .expect("the current file is JSON")
    }

    /// A stored version of a workflow, parsed.
    pub fn stored(&self, name: &str, version: u64) -> serde_json::Value {
        serde_json::from_str(
            &self.read(&format!("home/workflows/.versions/{name}.v{version}.json")),
        )
        .expect("the version file is JSON")
    }

    /// The version log, one parsed record per line.
    pub fn log(&self, name: &str) -> Vec<serde_json::Value> {
        self.read(&format!("home/workflows/.versions/{name}.log.jsonl"))
            .lines()
            .map(|line| serde_json::from_str(line).expect("a log line is JSON"))
            .collect()
    }

    /// Every file under the test directory (the home and everything else).
    pub fn tree(&self) -> Tree {
        Tree::read(self.dir.path())
    }

    /// Writes a plan file (`qwf_plan` 1) and returns its file name, relative
    /// to the working directory of runs.
    pub fn plan(
        &self,
        file: &str,
        workflow: &str,
        base_version: u64,
        summary: &str,
        modifications: serde_json::Value,
    ) -> String {
        let plan = serde_json::json!({
            "qwf_plan": 1,
            "workflow": workflow,
            "base_version": base_version,
            "summary": summary,
            "modifications": modifications,
        });
        self.write(file, &plan.to_string());
        file.to_string()
    }

    /// Like [`TestEnv::plan`], with the request that produced it.
    pub fn plan_with_request(
        &self,
        file: &str,
        workflow: &str,
        base_version: u64,
        summary: &str,
        request: &str,
        modifications: serde_json::Value,
    ) -> String {
        let plan = serde_json::json!({
            "qwf_plan": 1,
            "workflow": workflow,
            "base_version": base_version,
            "summary": summary,
            "request": request,
            "modifications": modifications,
        });
        self.write(file, &plan.to_string());
        file.to_string()
    }

    fn command(&self, args: &[&str]) -> Command {
        Command::from_std(self.process(args))
    }

    /// The `qwf` process of a run, to start and drive by hand (a question
    /// answered only once something else happened).
    pub fn process(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_qwf"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("QWF_HOME", self.home())
            .env("QWF_TIMESTAMP", self.now.borrow().as_str())
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path());
        command
    }

    /// Runs as a user without the rights the test's user has: `nobody`
    /// when the test runs as root (root writes anywhere, whatever the
    /// permissions say), the test's user otherwise.
    pub fn run_as_other_user(&self, args: &[&str]) -> Run {
        let mut command = self.process(args);
        if is_root() {
            use std::os::unix::process::CommandExt;
            command.uid(NOBODY).gid(NOBODY);
        }
        self.finish(&mut Command::from_std(command))
    }

    /// Turns "from the user of [`TestEnv::run_as_other_user`]" into
    /// permission bits: as root, everything becomes readable by all (and
    /// `owned` paths are given to `nobody`); `mode` is then set on `path`.
    pub fn set_mode_for_other_user(&self, path: &Path, mode: u32, owned: &[PathBuf]) {
        use std::os::unix::fs::PermissionsExt;
        if is_root() {
            fn walk(path: &Path, visit: &mut dyn FnMut(&Path)) {
                visit(path);
                if path.is_dir() && !path.is_symlink() {
                    for entry in std::fs::read_dir(path).expect("a directory") {
                        walk(&entry.expect("an entry").path(), visit);
                    }
                }
            }
            walk(self.dir.path(), &mut |path| {
                let mode = if path.is_dir() { 0o755 } else { 0o644 };
                let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode));
            });
            for root in owned {
                walk(root, &mut |path| {
                    std::os::unix::fs::lchown(path, Some(NOBODY), Some(NOBODY))
                        .expect("give the file to nobody");
                });
            }
        }
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
            .expect("set the mode");
    }

    fn finish(&self, command: &mut Command) -> Run {
        let output = command.output().expect("qwf runs");
        let clean = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes).replace(&self.dir.path().display().to_string(), "[TMP]")
        };
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: clean(&output.stdout),
            stderr: clean(&output.stderr),
        }
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.finish(&mut self.command(args))
    }

    /// Runs with extra environment variables (`EDITOR`, …) and, when
    /// `input` is given, with `QWF_INTERACTIVE=1` answering from it.
    pub fn run_with(&self, args: &[&str], env: &[(&str, &str)], input: Option<&str>) -> Run {
        let mut command = self.command(args);
        for (key, value) in env {
            command.env(key, value);
        }
        if let Some(input) = input {
            command
                .env("QWF_INTERACTIVE", "1")
                .write_stdin(input.to_string());
        }
        self.finish(&mut command)
    }

    /// Runs with `QWF_INTERACTIVE=1`, answering questions from `input`.
    pub fn run_interactive(&self, args: &[&str], input: &str) -> Run {
        let mut command = self.command(args);
        command
            .env("QWF_INTERACTIVE", "1")
            .write_stdin(input.to_string());
        self.finish(&mut command)
    }

    /// Runs a command that must fail, and checks that it exits `code` with a
    /// message and a hint and leaves every file as it was.
    pub fn refuses(&self, args: &[&str], code: i32) -> Run {
        let before = self.tree();
        let run = self.run(args).fails_with_hint(code);
        before.assert_same(&self.tree(), &format!("`qwf {}`", args.join(" ")));
        run
    }
}

/// The user `nobody`.
pub const NOBODY: u32 = 65534;

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// The seed's data pipeline as a file's text.
pub const DATA_PIPELINE: &str = include_str!("../fixtures/data-pipeline.json");

/// A home with `data-pipeline` at three versions: v1 adopted at T0, v2 from
/// a request two hours later (adds a `notify` step), v3 a hand edit a day
/// later (the table name). The clock is left one day and five minutes after
/// T0.
pub fn three_versions() -> TestEnv {
    let env = TestEnv::new();
    env.add_workflow("data-pipeline", DATA_PIPELINE);
    env.run(&["history", "data-pipeline"]).ok();
    env.at("2026-11-27T12:00:00Z");
    let plan = env.plan_with_request(
        "notify.plan.json",
        "data-pipeline",
        1,
        "Add a notify step after save",
        "tell the team on Slack when the data is saved",
        serde_json::json!([{
            "type": "add_step",
            "after": "save",
            "step": {
                "id": "notify", "type": "skill", "skill": "slack-notify",
                "inputs": { "message": "validate.validated" }
            }
        }]),
    );
    env.run(&["apply", &plan, "--yes"]).ok();
    env.at("2026-11-28T10:00:00Z");
    let path = "home/workflows/data-pipeline.json";
    let edited = env
        .read(path)
        .replace("\"table\": \"api_data\"", "\"table\": \"api_data_v2\"");
    env.write(path, &edited);
    env.run(&["history", "data-pipeline"]).ok();
    env.at("2026-11-28T10:05:00Z");
    env
}
