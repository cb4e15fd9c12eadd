//! A test environment: a temporary home, a clean process environment, and
//! output captured for snapshots with temporary paths replaced.

use std::path::PathBuf;

use assert_cmd::Command;

pub struct TestEnv {
    dir: tempfile::TempDir,
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
}

impl TestEnv {
    pub fn new() -> Self {
        TestEnv {
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// Writes a file under the test directory and returns its path.
    pub fn write(&self, name: &str, content: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, content).expect("write a test file");
        path
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let output = Command::cargo_bin("qwf")
            .expect("the qwf binary is built")
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.dir.path())
            .env("QWF_HOME", self.dir.path().join("home"))
            .env("NO_COLOR", "1")
            .current_dir(self.dir.path())
            .output()
            .expect("qwf runs");
        let clean = |bytes: &[u8]| {
            String::from_utf8_lossy(bytes).replace(&self.dir.path().display().to_string(), "[TMP]")
        };
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: clean(&output.stdout),
            stderr: clean(&output.stderr),
        }
    }
}

/// The seed's data pipeline as a file's text.
pub const DATA_PIPELINE: &str = include_str!("../fixtures/data-pipeline.json");
