//! Crash safety: writers are killed (SIGKILL) at random moments, round after
//! round, on the same home. After every round the store must read back
//! whole: every command works, the log parses, versions are numbered without
//! gaps, every version file is a workflow, and no acknowledged edit is lost.
//!
//! An edit is acknowledged when its `qwf apply` process exited 0 (it printed
//! its success line) before it was killed.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use qwf::core::Workflow;
use qwf::store::{Origin, VersionRecord};

const ROUNDS: u64 = 40;
/// Writer processes running at once.
const SLOTS: usize = 4;

const WORKFLOW: &str = r#"{
  "name": "crashy",
  "description": "Written by processes that get killed",
  "steps": [
    { "id": "fetch", "type": "skill", "skill": "http-fetch",
      "inputs": { "url": "context.api_url" }, "outputs": ["data"] }
  ],
  "context": { "readonly": { "api_url": "https://example.com" } }
}
"#;

/// xorshift64*: enough randomness for kill timing, reproducible per round.
struct Random(u64);

impl Random {
    fn new(seed: u64) -> Self {
        Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..bound`.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

struct Home {
    _dir: tempfile::TempDir,
    root: PathBuf,
    plans: PathBuf,
}

impl Home {
    fn new() -> Home {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let root = dir.path().join("home");
        let plans = dir.path().join("plans");
        std::fs::create_dir_all(root.join("workflows")).expect("create the home");
        std::fs::create_dir_all(&plans).expect("create the plan directory");
        std::fs::write(root.join("workflows/crashy.json"), WORKFLOW).expect("write the workflow");
        Home {
            root,
            plans,
            _dir: dir,
        }
    }

    fn qwf(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_qwf"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("QWF_HOME", &self.root)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        command
    }

    /// Runs a command that must succeed and returns its stdout.
    fn run(&self, args: &[&str]) -> String {
        let output = self.qwf(args).output().expect("qwf runs");
        assert!(
            output.status.success(),
            "`qwf {}` failed after a crash:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).expect("UTF-8 output")
    }

    /// Starts `qwf apply` of a plan, made for v1, that sets `key`.
    fn start_apply(&self, key: &str) -> Child {
        let plan = serde_json::json!({
            "qwf_plan": 1,
            "workflow": "crashy",
            "base_version": 1,
            "summary": format!("set {key}"),
            "modifications": [{ "type": "set_context", "key": key, "value": true }],
        });
        let path = self.plans.join(format!("{key}.json"));
        std::fs::write(&path, plan.to_string()).expect("write a plan");
        self.qwf(&["apply", path.to_str().expect("a UTF-8 path"), "--yes"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start qwf apply")
    }

    fn versions(&self) -> PathBuf {
        self.root.join("workflows/.versions")
    }
}

/// One writer slot: the apply running in it and the key it sets.
struct Running {
    child: Child,
    key: String,
}

/// Waits for a finished (or killed) apply; returns whether it was
/// acknowledged. An apply that was not killed must have succeeded.
fn finish(running: Running, killed: bool) -> bool {
    let output = running.child.wait_with_output().expect("wait for qwf");
    if output.status.success() {
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            stdout.contains("✓ Applied to 'crashy' (now v"),
            "an apply exited 0 without saying so:\n{stdout}"
        );
        return true;
    }
    assert!(
        killed && output.status.signal() == Some(9),
        "apply of {} failed without being killed ({:?}):\n{}",
        running.key,
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    false
}

/// One round: `SLOTS` writers applying one plan after another, killed at
/// random moments; whatever still runs when time is up is killed too.
fn round(home: &Home, number: u64, acknowledged: &mut BTreeSet<String>) -> (usize, usize) {
    let mut random = Random::new(number + 1);
    let budget = Duration::from_millis(60 + random.below(140));
    let started = Instant::now();
    let mut sequence = 0;
    let mut next_key = |slot: usize| {
        sequence += 1;
        format!("r{number:02}_s{slot}_n{sequence:03}")
    };
    let mut slots: Vec<Running> = (0..SLOTS)
        .map(|slot| {
            let key = next_key(slot);
            Running {
                child: home.start_apply(&key),
                key,
            }
        })
        .collect();
    let (mut kills, mut acks) = (0, 0);
    while started.elapsed() < budget {
        std::thread::sleep(Duration::from_millis(1 + random.below(8)));
        for (slot, running) in slots.iter_mut().enumerate() {
            let kill = random.below(5) == 0;
            let done = running.child.try_wait().expect("poll qwf").is_some();
            if !done && !kill {
                continue;
            }
            if kill && !done {
                let _ = running.child.kill();
                kills += 1;
            }
            let key = next_key(slot);
            let replaced = std::mem::replace(
                running,
                Running {
                    child: home.start_apply(&key),
                    key,
                },
            );
            let name = replaced.key.clone();
            if finish(replaced, kill) {
                acknowledged.insert(name);
                acks += 1;
            }
        }
    }
    for mut running in slots {
        let _ = running.child.kill();
        let name = running.key.clone();
        if finish(running, true) {
            acknowledged.insert(name);
            acks += 1;
        }
    }
    (kills, acks)
}

/// Everything that must hold after a round; returns the number of versions.
fn check(home: &Home, acknowledged: &BTreeSet<String>, after: &str) -> u64 {
    // Every command still works.
    let history: serde_json::Value =
        serde_json::from_str(&home.run(&["--json", "history", "crashy"])).expect("history JSON");
    let shown: serde_json::Value =
        serde_json::from_str(&home.run(&["--json", "show", "crashy"])).expect("show JSON");
    home.run(&["list"]);
    home.run(&["diff", "crashy"]);
    home.run(&["validate", "crashy"]);

    // The log: complete lines are records 1..=N, each the child of the one
    // before; at most a torn tail that never committed.
    let log = std::fs::read_to_string(home.versions().join("crashy.log.jsonl")).expect("the log");
    let complete = &log[..log.rfind('\n').map_or(0, |end| end + 1)];
    let records: Vec<VersionRecord> = complete
        .lines()
        .map(|line| {
            serde_json::from_str(line)
                .unwrap_or_else(|error| panic!("{after}: a log line is damaged ({error}): {line}"))
        })
        .collect();
    let latest = records.len() as u64;
    assert_eq!(
        history["versions"].as_array().expect("versions").len() as u64,
        latest,
        "{after}: `qwf history` and the log disagree"
    );
    assert_eq!(
        shown["version"], latest,
        "{after}: the head is the last record"
    );
    for (index, record) in records.iter().enumerate() {
        let version = index as u64 + 1;
        assert_eq!(record.version, version, "{after}: a gap in the versions");
        let parents: Vec<u64> = (version > 1).then_some(version - 1).into_iter().collect();
        assert_eq!(record.parents, parents, "{after}: v{version}'s parent");
        if version > 1 {
            // A crash is never mistaken for a hand edit.
            assert!(
                matches!(record.origin, Origin::Command { .. }),
                "{after}: v{version} came from {}: {}",
                record.origin,
                record.description
            );
        }
        let text = std::fs::read_to_string(home.versions().join(format!("crashy.v{version}.json")))
            .unwrap_or_else(|error| panic!("{after}: v{version} is missing: {error}"));
        let workflow = Workflow::from_json_str(&text)
            .unwrap_or_else(|error| panic!("{after}: v{version} is not a workflow: {error:?}"));
        // Each version adds exactly one key to the one before.
        let keys = workflow.to_value()["context"]["readonly"]
            .as_object()
            .expect("a context")
            .len() as u64;
        assert_eq!(keys, version, "{after}: v{version} has {keys} keys");
    }

    // The current file is the last version, and holds every acknowledged
    // edit.
    let current =
        std::fs::read_to_string(home.root.join("workflows/crashy.json")).expect("current");
    let last = std::fs::read_to_string(home.versions().join(format!("crashy.v{latest}.json")))
        .expect("the last version");
    // Byte for byte once qwf wrote it; v1 is the file as it was put there
    // by hand (adopted with its own formatting), when no edit landed yet.
    if latest == 1 {
        let parse = |text: &str| serde_json::from_str::<serde_json::Value>(text).expect("JSON");
        assert_eq!(
            parse(&current),
            parse(&last),
            "{after}: the current file is not the last version"
        );
    } else {
        assert_eq!(
            current, last,
            "{after}: the current file is not the last version"
        );
    }
    let context = &shown["workflow"]["context"]["readonly"];
    for key in acknowledged {
        assert_eq!(
            context[key], true,
            "{after}: acknowledged edit {key} is lost"
        );
    }

    // Leftover temporary files are ignored by everything.
    let listed: serde_json::Value =
        serde_json::from_str(&home.run(&["--json", "list"])).expect("list JSON");
    assert_eq!(
        listed["workflows"].as_array().expect("workflows").len(),
        1,
        "{after}: {listed}"
    );
    latest
}

fn leftovers(directory: &Path) -> usize {
    std::fs::read_dir(directory)
        .expect("list")
        .filter(|entry| {
            entry
                .as_ref()
                .is_ok_and(|entry| entry.file_name().to_string_lossy().ends_with(".tmp"))
        })
        .count()
}

#[test]
fn killed_writers_never_lose_an_acknowledged_version() {
    let home = Home::new();
    home.run(&["history", "crashy"]);
    let mut acknowledged = BTreeSet::new();
    let (mut kills, mut acks) = (0, 0);
    // Rounds are timed by the wall clock, so a loaded machine lands fewer
    // edits per round: keep going (up to ten times as many rounds) until
    // enough kills and acknowledged edits make the run mean something.
    let mut rounds = 0;
    while rounds < ROUNDS
        || ((kills <= ROUNDS as usize || acks <= ROUNDS as usize) && rounds < 10 * ROUNDS)
    {
        let (killed, acked) = round(&home, rounds, &mut acknowledged);
        kills += killed;
        acks += acked;
        check(&home, &acknowledged, &format!("after round {rounds}"));
        rounds += 1;
    }
    // The store still takes edits after all that.
    let mut last = home.start_apply("final");
    let status = last.wait().expect("wait for qwf");
    assert!(status.success(), "the last apply failed");
    acknowledged.insert("final".into());
    let versions = check(&home, &acknowledged, "at the end");
    let temporary = leftovers(&home.root.join("workflows")) + leftovers(&home.versions());
    eprintln!(
        "{rounds} rounds: {kills} writers killed mid-flight, {acks} acknowledged, \
         {versions} versions, {temporary} temporary files left by killed writers"
    );
    assert!(kills > ROUNDS as usize, "too few kills to mean anything");
    assert!(
        acks > ROUNDS as usize,
        "too few edits landed to mean anything"
    );
}
