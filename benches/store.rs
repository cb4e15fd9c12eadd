//! The store's read paths as whole processes, side by side with git.
//!
//! Builds (by writing the documented layout directly, not by running qwf
//! 5,000 times):
//! - a home with one workflow of 5,000 versions, and a git repository with
//!   the same 5,000 contents as 5,000 commits of one file;
//! - a home with 1,000 workflows of 3 versions each.
//!
//! Then times, each as a whole process (start, work, exit):
//! `qwf history`, `qwf list`, `qwf show --version N` against
//! `git show REV:file`, and `qwf diff --from A --to B` (and `--text`)
//! against `git diff A B -- file`.
//!
//! Run: `cargo bench --bench store -- --warm-up-time 1 --measurement-time 3`
//! (`QWF_BENCH_KEEP=DIR` keeps the homes and the repository in DIR, to
//! time or profile commands by hand).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use criterion::{Criterion, criterion_group, criterion_main};
use serde_json::{Value, json};

use qwf::core::{Modification, Workflow};
use qwf::store::{Origin, VersionRecord};

const VERSIONS: u64 = 5_000;
const WORKFLOWS: usize = 1_000;
const STEPS: usize = 12;
/// The versions compared by show and diff.
const SHOWN: u64 = 2_500;
const FROM: u64 = 2_000;

/// A workflow of `STEPS` chained skill steps, as a user would have it.
fn base_workflow(name: &str) -> Value {
    let steps: Vec<Value> = (0..STEPS)
        .map(|index| {
            let input = if index == 0 {
                "context.source".to_string()
            } else {
                format!("step{}.out", index - 1)
            };
            json!({
                "id": format!("step{index}"),
                "type": "skill",
                "skill": format!("skill-{}", index % 4),
                "description": format!("Stage {index} of the pipeline"),
                "inputs": { "data": input, "mode": "context.mode" },
                "outputs": ["out"],
                "timeout_secs": 30,
                "error_handling": { "strategy": "retry", "max_attempts": 3, "backoff": "exponential" }
            })
        })
        .collect();
    json!({
        "name": name,
        "version": "1.0.0",
        "description": "A long-lived workflow edited many times",
        "steps": steps,
        "context": { "readonly": { "source": "https://example.com/data", "mode": "full" } }
    })
}

fn record(version: u64, description: String, modifications: Vec<Modification>) -> VersionRecord {
    VersionRecord {
        version,
        parents: (version > 1).then_some(version - 1).into_iter().collect(),
        timestamp: "2026-11-27T10:00:00Z".into(),
        description,
        origin: if version == 1 {
            Origin::EditedOutside
        } else {
            Origin::Request {
                text: format!(
                    "make step {} wait {version} seconds",
                    version % STEPS as u64
                ),
            }
        },
        modifications,
        tool_calls: Vec::new(),
        branched_from: None,
        merged_from: None,
        resolved_conflicts: Vec::new(),
    }
}

/// Writes one workflow's versions in the store layout; calls `each` with
/// every version's text, oldest first.
fn write_workflow(home: &Path, name: &str, versions: u64, mut each: impl FnMut(u64, &str)) {
    let directory = home.join("workflows/.versions");
    std::fs::create_dir_all(&directory).expect("create the store");
    let mut log = std::io::BufWriter::new(
        std::fs::File::create(directory.join(format!("{name}.log.jsonl"))).expect("the log"),
    );
    let mut workflow = Workflow::from_value(base_workflow(name)).expect("a valid workflow");
    let mut text = String::new();
    for version in 1..=versions {
        let (description, modifications) = if version == 1 {
            ("Added by hand".to_string(), Vec::new())
        } else {
            let step = format!("step{}", version % STEPS as u64);
            let modification: Modification = serde_json::from_value(json!({
                "type": "modify_step", "id": step, "changes": { "timeout_secs": version }
            }))
            .expect("a modification");
            workflow = qwf::core::apply(&workflow, std::slice::from_ref(&modification))
                .expect("the edit applies");
            (format!("Step {step} waits {version} s"), vec![modification])
        };
        text = workflow.to_pretty_json();
        std::fs::write(directory.join(format!("{name}.v{version}.json")), &text)
            .expect("a version file");
        serde_json::to_writer(&mut log, &record(version, description, modifications))
            .expect("a log line");
        log.write_all(b"\n").expect("a log line");
        each(version, &text);
    }
    log.flush().expect("the log");
    std::fs::write(home.join(format!("workflows/{name}.json")), &text).expect("the current file");
}

fn git(repository: &Path) -> Command {
    let mut command = Command::new("git");
    command
        .arg("-C")
        .arg(repository)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_PAGER", "cat");
    command
}

/// The 5,000-version home and the git repository with the same history.
/// Returns the commit of every version (index 0 is v1).
fn build_long_history(home: &Path, repository: &Path) -> Vec<String> {
    let status = git(repository)
        .args(["init", "-q"])
        .status()
        .expect("git runs");
    assert!(status.success(), "git init");
    let mut import = git(repository)
        .args(["fast-import", "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("git fast-import");
    {
        let mut stream = std::io::BufWriter::new(import.stdin.take().expect("stdin"));
        write_workflow(home, "big", VERSIONS, |version, text| {
            let message = format!("v{version}");
            write!(
                stream,
                "commit refs/heads/main\ncommitter qwf <qwf@example.com> {} +0000\ndata {}\n{message}\nM 644 inline big.json\ndata {}\n{text}\n",
                1_700_000_000 + version,
                message.len(),
                text.len()
            )
            .expect("feed git");
        });
        stream.flush().expect("feed git");
    }
    assert!(import.wait().expect("git fast-import").success());
    let output = git(repository)
        .args(["rev-list", "--reverse", "refs/heads/main"])
        .output()
        .expect("git rev-list");
    let commits: Vec<String> = String::from_utf8(output.stdout)
        .expect("UTF-8")
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(commits.len() as u64, VERSIONS);
    commits
}

fn build_many_workflows(home: &Path) {
    for index in 0..WORKFLOWS {
        write_workflow(home, &format!("workflow-{index:04}"), 3, |_, _| {});
    }
}

fn qwf(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_qwf"));
    command
        .args(args)
        .env_clear()
        .env("QWF_HOME", home)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

/// Runs a whole process to its end; its output is read and dropped.
fn run(command: &mut Command) -> usize {
    let output = command.output().expect("the process runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout.len()
}

struct Fixture {
    _dir: Option<tempfile::TempDir>,
    long: PathBuf,
    many: PathBuf,
    repository: PathBuf,
    commits: Vec<String>,
}

/// Builds the homes and the repository in a temporary directory, or in
/// `QWF_BENCH_KEEP` (kept afterwards, for profiling by hand).
fn fixture() -> Fixture {
    let (dir, root) = match std::env::var_os("QWF_BENCH_KEEP") {
        Some(keep) => {
            let root = PathBuf::from(keep);
            if root.exists() {
                std::fs::remove_dir_all(&root).expect("clear QWF_BENCH_KEEP");
            }
            (None, root)
        }
        None => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let root = dir.path().to_path_buf();
            (Some(dir), root)
        }
    };
    let long = root.join("long-home");
    let many = root.join("many-home");
    let repository = root.join("git");
    std::fs::create_dir_all(&repository).expect("create the repository");
    let commits = build_long_history(&long, &repository);
    build_many_workflows(&many);
    let fixture = Fixture {
        long,
        many,
        repository,
        commits,
        _dir: dir,
    };
    // Same content on both sides.
    let shown = format!("{}:big.json", fixture.commits[SHOWN as usize - 1]);
    let from_git = git(&fixture.repository)
        .args(["show", &shown])
        .output()
        .expect("git show");
    let from_qwf = qwf(
        &fixture.long,
        &["show", "big", "--version", &SHOWN.to_string()],
    )
    .output()
    .expect("qwf show");
    assert_eq!(from_git.stdout, from_qwf.stdout, "qwf and git disagree");
    fixture
}

fn benches(criterion: &mut Criterion) {
    let fixture = fixture();
    let (long, many) = (&fixture.long, &fixture.many);
    let shown = SHOWN.to_string();
    let from = FROM.to_string();
    let commit = |version: u64| fixture.commits[version as usize - 1].as_str();

    let mut group = criterion.benchmark_group("store");
    group.sample_size(30);
    // What starting each program costs, for reading the numbers below.
    group.bench_function("qwf --version (start only)", |bench| {
        bench.iter(|| run(&mut qwf(long, &["--version"])))
    });
    group.bench_function("git --version (start only)", |bench| {
        bench.iter(|| run(git(&fixture.repository).arg("--version")))
    });
    group.bench_function("qwf history (5,000 versions)", |bench| {
        bench.iter(|| run(&mut qwf(long, &["history", "big"])))
    });
    group.bench_function("qwf list (1,000 workflows)", |bench| {
        bench.iter(|| run(&mut qwf(many, &["list"])))
    });
    group.bench_function("qwf show --version N", |bench| {
        bench.iter(|| run(&mut qwf(long, &["show", "big", "--version", &shown])))
    });
    let revision = format!("{}:big.json", commit(SHOWN));
    group.bench_function("git show REV:file", |bench| {
        bench.iter(|| run(git(&fixture.repository).args(["show", &revision])))
    });
    group.bench_function("qwf diff --from A --to B", |bench| {
        bench.iter(|| {
            run(&mut qwf(
                long,
                &["diff", "big", "--from", &from, "--to", &shown],
            ))
        })
    });
    group.bench_function("qwf diff --from A --to B --text", |bench| {
        bench.iter(|| {
            run(&mut qwf(
                long,
                &["diff", "big", "--from", &from, "--to", &shown, "--text"],
            ))
        })
    });
    group.bench_function("git diff A B -- file", |bench| {
        bench.iter(|| {
            run(git(&fixture.repository).args([
                "diff",
                commit(FROM),
                commit(SHOWN),
                "--",
                "big.json",
            ]))
        })
    });
    group.finish();
}

criterion_group!(store, benches);
criterion_main!(store);
