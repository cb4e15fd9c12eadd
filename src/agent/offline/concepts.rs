//! What steps do, as a small table of concepts: the words that evoke each
//! one (verbs that start a clause, nouns that name it), the skill qwf
//! proposes when the user has none for it, and how its data flows. Both
//! creation ("fetch data from the API") and references ("the API call")
//! read this table, so they agree on what words mean.

use crate::core::skill::{Port, Skill, SkillType};

use std::sync::OnceLock;

use super::text::{Tok, is_stopword, same_stem, stem};

/// A literal a concept cannot work without.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Needs {
    Url,
    Path,
    Table,
}

#[derive(Debug)]
pub(super) struct Concept {
    /// The step id base ("fetch").
    pub key: &'static str,
    /// Words that start a clause doing this ("fetch", "download").
    pub verbs: &'static [&'static str],
    /// Words that name it ("api", "request", "database").
    pub nouns: &'static [&'static str],
    /// The skill proposed when the user has none that fits.
    pub skill: &'static str,
    pub prompt: bool,
    pub command: &'static str,
    pub description: &'static str,
    /// Whether it reads the previous step's output.
    pub reads_data: bool,
    /// The output it declares.
    pub output: Option<&'static str>,
    pub needs: Option<Needs>,
}

macro_rules! concept {
    ($key:literal, [$($verb:literal),*], [$($noun:literal),*], $skill:literal, $prompt:literal, $command:literal, $description:literal, $reads:literal, $output:expr, $needs:expr) => {
        Concept {
            key: $key,
            verbs: &[$($verb),*],
            nouns: &[$($noun),*],
            skill: $skill,
            prompt: $prompt,
            command: $command,
            description: $description,
            reads_data: $reads,
            output: $output,
            needs: $needs,
        }
    };
}

/// The yes/no answer a concept's proposed skill reports next to its
/// output, so a later condition ("only if it is valid", "when the API is
/// down") has a declared boolean to read.
const FLAGS: &[(&str, &str)] = &[
    ("validate", "valid"),
    ("monitor", "healthy"),
    ("test", "passed"),
];

/// In order of preference when two concepts fit equally.
pub(super) static CONCEPTS: &[Concept] = &[
    concept!(
        "fetch",
        [
            "fetch", "get", "download", "retrieve", "pull", "request", "call", "scrape", "crawl",
            "curl", "poll", "query", "grab", "obtain"
        ],
        [
            "api", "http", "https", "request", "download", "call", "endpoint", "url", "web",
            "rest", "fetcher"
        ],
        "http-fetch",
        false,
        "sh -c 'curl -fsSL \"$QWF_INPUT_URL\"'",
        "Fetch data from a URL over HTTP",
        false,
        Some("data"),
        Some(Needs::Url)
    ),
    concept!(
        "read",
        ["read", "load", "open", "ingest", "import"],
        ["file", "reader", "input"],
        "file-reader",
        false,
        "sh -c 'cat \"$QWF_INPUT_PATH\"'",
        "Read data from a file",
        false,
        Some("data"),
        Some(Needs::Path)
    ),
    concept!(
        "validate",
        [
            "validate", "check", "verify", "lint", "ensure", "assert", "confirm"
        ],
        [
            "validation",
            "validator",
            "valid",
            "verification",
            "schema",
            "checker",
            "checks"
        ],
        "data-validator",
        false,
        "python3 validate.py",
        "Validate JSON data against schema",
        true,
        Some("validated"),
        None
    ),
    concept!(
        "transform",
        [
            "transform",
            "convert",
            "clean",
            "normalize",
            "normalise",
            "process",
            "map",
            "enrich",
            "reshape",
            "format",
            "parse",
            "prepare"
        ],
        [
            "transformation",
            "transformer",
            "conversion",
            "parser",
            "processing"
        ],
        "data-transformer",
        false,
        "python3 transform.py",
        "Transform data from one shape into another",
        true,
        Some("transformed"),
        None
    ),
    concept!(
        "filter",
        [
            "filter",
            "exclude",
            "dedupe",
            "deduplicate",
            "select",
            "sort"
        ],
        [
            "filtering",
            "duplicates",
            "duplicate",
            "dupes",
            "dedup",
            "deduplication"
        ],
        "data-filter",
        false,
        "python3 filter.py",
        "Keep only the records that match",
        true,
        Some("filtered"),
        None
    ),
    concept!(
        "aggregate",
        [
            "aggregate",
            "compute",
            "calculate",
            "count",
            "sum",
            "group",
            "total",
            "tally",
            "summarize-numbers"
        ],
        ["aggregation", "statistics", "stats", "metrics", "totals"],
        "data-aggregator",
        false,
        "python3 aggregate.py",
        "Aggregate records into totals and statistics",
        true,
        Some("aggregated"),
        None
    ),
    concept!(
        "summarize",
        ["summarize", "summarise", "digest"],
        ["summary", "summaries", "summarizer"],
        "summarizer",
        true,
        "Summarize the following data in a few sentences:\n{{data}}",
        "Summarize data in plain language",
        true,
        Some("summary"),
        None
    ),
    concept!(
        "analyze",
        [
            "analyze", "analyse", "classify", "evaluate", "assess", "score", "detect", "inspect",
            "review"
        ],
        [
            "analysis",
            "analyzer",
            "evaluation",
            "classification",
            "sentiment"
        ],
        "analyzer",
        true,
        "Analyze the following data and report what stands out:\n{{data}}",
        "Analyze data with a language model",
        true,
        Some("analysis"),
        None
    ),
    concept!(
        "merge",
        ["merge", "combine", "join", "concatenate", "union"],
        ["merger"],
        "data-merger",
        false,
        "python3 merge.py",
        "Merge several inputs into one",
        true,
        Some("merged"),
        None
    ),
    concept!(
        "save",
        [
            "save", "store", "write", "persist", "insert", "upsert", "record"
        ],
        [
            "database",
            "db",
            "sql",
            "postgres",
            "postgresql",
            "mysql",
            "sqlite",
            "storage",
            "writer",
            "table",
            "warehouse"
        ],
        "db-writer",
        false,
        "python3 write_db.py",
        "Write records to a database table",
        true,
        None,
        Some(Needs::Table)
    ),
    concept!(
        "export",
        ["export", "dump"],
        ["csv", "export", "spreadsheet"],
        "file-writer",
        false,
        "sh -c 'printf \"%s\\n\" \"$QWF_INPUT_DATA\" > \"$QWF_INPUT_PATH\"'",
        "Write data to a file",
        true,
        None,
        Some(Needs::Path)
    ),
    concept!(
        "upload",
        ["upload", "publish", "push", "sync"],
        ["s3", "bucket", "upload", "cloud", "ftp", "sftp"],
        "uploader",
        false,
        "python3 upload.py",
        "Upload data to remote storage",
        true,
        None,
        None
    ),
    concept!(
        "notify",
        [
            "notify", "alert", "email", "mail", "message", "page", "warn", "tell", "inform",
            "send", "post", "announce", "text", "sms"
        ],
        [
            "notification",
            "notifications",
            "alert",
            "alerts",
            "email",
            "slack",
            "mail",
            "message",
            "team",
            "sms",
            "notifier",
            "webhook",
            "notice",
            "note",
            "announcement"
        ],
        "notifier",
        false,
        "python3 notify.py",
        "Send a notification",
        true,
        None,
        None
    ),
    concept!(
        "log",
        ["log", "audit", "trace", "print", "debug"],
        ["logging", "logger", "logs", "audit"],
        "logger",
        false,
        "logger -t qwf",
        "Write a line to the log",
        true,
        None,
        None
    ),
    concept!(
        "report",
        ["report", "generate", "render", "draw", "plot", "chart"],
        ["report", "reporting", "dashboard", "chart"],
        "report-generator",
        false,
        "python3 report.py",
        "Generate a report",
        true,
        Some("report"),
        None
    ),
    concept!(
        "backup",
        ["backup", "archive", "snapshot"],
        ["backup", "backups", "archive", "snapshot"],
        "backup",
        false,
        "sh -c 'tar czf backup.tar.gz \"$QWF_INPUT_PATH\"'",
        "Back up files into an archive",
        false,
        Some("backup"),
        None
    ),
    concept!(
        "compress",
        ["compress", "zip", "gzip", "tar"],
        ["compression", "zip", "gzip"],
        "compressor",
        false,
        "gzip -c",
        "Compress data",
        true,
        Some("compressed"),
        None
    ),
    concept!(
        "deploy",
        ["deploy", "release", "ship", "rollout"],
        ["deployment", "release", "production"],
        "deployer",
        false,
        "./deploy.sh",
        "Deploy a build",
        true,
        None,
        None
    ),
    concept!(
        "test",
        ["test"],
        ["tests", "testing", "suite"],
        "test-runner",
        false,
        "make test",
        "Run the test suite",
        false,
        Some("results"),
        None
    ),
    concept!(
        "build",
        ["build", "compile", "bundle"],
        ["build", "compiler", "artifact"],
        "builder",
        false,
        "make build",
        "Build the project",
        false,
        Some("artifact"),
        None
    ),
    concept!(
        "translate",
        ["translate", "localize"],
        ["translation", "translator", "language"],
        "translator",
        true,
        "Translate the following text:\n{{data}}",
        "Translate text with a language model",
        true,
        Some("translated"),
        None
    ),
    concept!(
        "wait",
        ["wait", "sleep", "delay", "pause"],
        ["delay", "pause"],
        "delay",
        false,
        "sh -c 'sleep \"$QWF_INPUT_SECONDS\"'",
        "Wait before going on",
        false,
        None,
        None
    ),
    concept!(
        "cleanup",
        [
            "cleanup", "purge", "delete", "remove", "drop", "prune", "tidy", "clear"
        ],
        ["cleanup", "garbage", "temporary"],
        "cleaner",
        false,
        "python3 cleanup.py",
        "Delete files that are no longer needed",
        false,
        None,
        None
    ),
    concept!(
        "monitor",
        ["monitor", "watch", "check", "ping", "probe"],
        ["health", "uptime", "status", "healthcheck", "heartbeat"],
        "health-checker",
        false,
        "sh -c 'curl -fsS -o /dev/null -w \"%{http_code}\" \"$QWF_INPUT_URL\"'",
        "Check that an endpoint is healthy",
        false,
        Some("status"),
        Some(Needs::Url)
    ),
    concept!(
        "resize",
        ["resize", "scale", "crop", "thumbnail"],
        [
            "image",
            "images",
            "thumbnail",
            "thumbnails",
            "photo",
            "photos",
            "picture"
        ],
        "image-resizer",
        false,
        "python3 resize.py",
        "Resize images",
        true,
        Some("resized"),
        None
    ),
];

/// The stems of every concept's words, computed once: matching a word
/// against the table is then one stem and a few comparisons.
struct Stems {
    verbs: Vec<Vec<String>>,
    nouns: Vec<Vec<String>>,
    generic: Vec<String>,
}

fn stems() -> &'static Stems {
    static STEMS: OnceLock<Stems> = OnceLock::new();
    STEMS.get_or_init(|| Stems {
        verbs: CONCEPTS
            .iter()
            .map(|concept| concept.verbs.iter().map(|word| stem(word)).collect())
            .collect(),
        nouns: CONCEPTS
            .iter()
            .map(|concept| concept.nouns.iter().map(|word| stem(word)).collect())
            .collect(),
        generic: GENERIC_VERBS.iter().map(|word| stem(word)).collect(),
    })
}

impl Concept {
    fn index(&self) -> usize {
        CONCEPTS
            .iter()
            .position(|concept| std::ptr::eq(concept, self))
            .expect("a concept of the table")
    }

    fn has_verb_stem(&self, stemmed: &str) -> bool {
        stems().verbs[self.index()]
            .iter()
            .any(|verb| same_stem(verb, stemmed))
    }

    fn has_word_stem(&self, stemmed: &str) -> bool {
        self.has_verb_stem(stemmed)
            || stems().nouns[self.index()]
                .iter()
                .any(|noun| same_stem(noun, stemmed))
    }

    pub fn has_verb(&self, word: &str) -> bool {
        self.has_verb_stem(&stem(word))
    }

    pub fn has_word(&self, word: &str) -> bool {
        self.has_word_stem(&stem(word))
    }

    /// The skill file proposed for this concept.
    pub fn new_skill(&self, name: &str, inputs: Vec<String>) -> Skill {
        Skill {
            name: name.to_string(),
            skill_type: if self.prompt {
                SkillType::PromptInline
            } else {
                SkillType::CodeInline
            },
            description: self.description.to_string(),
            command: self.command.to_string(),
            inputs: Some(Port::names(inputs)),
            outputs: Some(
                Port::names(self.output)
                    .into_iter()
                    .chain(
                        FLAGS
                            .iter()
                            .filter(|(key, _)| *key == self.key)
                            .map(|(_, flag)| Port {
                                value_type: Some("boolean".into()),
                                ..Port::named(*flag)
                            }),
                    )
                    .collect(),
            ),
            extra: Default::default(),
        }
    }
}

/// Every concept a word evokes.
pub(super) fn concepts_of(word: &str) -> impl Iterator<Item = &'static Concept> + use<> {
    // Payload nouns say what a step carries, not what it does.
    let stemmed = if is_stopword(word) || crate::core::vocabulary::PAYLOAD.contains(&word) {
        None
    } else {
        Some(stem(word))
    };
    CONCEPTS.iter().filter(move |concept| {
        stemmed
            .as_deref()
            .is_some_and(|stemmed| concept.has_word_stem(stemmed))
    })
}

/// Whether a word starts a clause that does something.
pub(super) fn is_verb(word: &str) -> bool {
    let stemmed = stem(word);
    CONCEPTS
        .iter()
        .any(|concept| concept.has_verb_stem(&stemmed))
        || stems().generic.iter().any(|verb| same_stem(verb, &stemmed))
}

/// Verbs with no concept of their own: a clause starting with one is an
/// action, named after the verb.
const GENERIC_VERBS: &[&str] = &[
    "run",
    "execute",
    "create",
    "make",
    "update",
    "extract",
    "scan",
    "sync",
    "subscribe",
    "strip",
    "redact",
    "anonymize",
    "anonymise",
    "scrub",
    "blur",
    "symbolicate",
    "geocode",
    "encrypt",
    "decrypt",
    "sign",
    "hash",
    "index",
    "train",
    "predict",
    "rank",
    "tag",
    "label",
    "split",
    "batch",
    "enqueue",
    "queue",
    "schedule",
    "trigger",
    "invoke",
    "start",
    "stop",
    "restart",
    "rotate",
    "refresh",
    "render",
    "print",
    "copy",
    "move",
    "rename",
    "fix",
    "lint",
    "format",
    "install",
    "provision",
    "migrate",
    "seed",
    "invalidate",
    "purge",
    "warm",
    "ocr",
    "transcribe",
    "detect",
    "embed",
    "search",
    "lookup",
    "look",
    "find",
    "collect",
    "gather",
    "assemble",
    "package",
    "sign",
    "verify",
    "approve",
    "reject",
    "retry",
    "download",
    "put",
    "place",
    "take",
    "draw",
    "plot",
    "measure",
    "diff",
];

/// The concept a clause is about: its first word as a verb counts most,
/// other words as nouns add up; ties go to the earlier concept.
pub(super) fn concept_for(toks: &[Tok]) -> Option<&'static Concept> {
    let mut best: Option<(usize, &'static Concept)> = None;
    for concept in CONCEPTS {
        let mut score = 0;
        for (index, tok) in toks.iter().enumerate() {
            if is_stopword(&tok.word) {
                continue;
            }
            if index == 0 && concept.has_verb(&tok.word) {
                score += 3;
            } else if concept.has_word(&tok.word) {
                score += 2;
            }
            // What is removed says more than "remove": "remove duplicates"
            // filters records, "remove temporary files" cleans up.
            if index == 1
                && toks[0].is_any(&["remove", "removes", "drop", "drops", "delete", "deletes"])
                && concept.has_word(&tok.word)
            {
                score += 2;
            }
        }
        if score > 0 && best.is_none_or(|(top, _)| score > top) {
            best = Some((score, concept));
        }
    }
    best.map(|(_, concept)| concept)
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;

    #[test]
    fn clauses_find_their_concept() {
        let key = |text: &str| concept_for(&tokenize(text)).map(|concept| concept.key);
        assert_eq!(key("fetch data from the API"), Some("fetch"));
        assert_eq!(key("validate it"), Some("validate"));
        assert_eq!(key("save it to the database"), Some("save"));
        assert_eq!(key("check the API health"), Some("monitor"));
        assert_eq!(key("send a slack message"), Some("notify"));
        assert_eq!(key("logging"), Some("log"));
        assert_eq!(key("dance wildly"), None);
    }
}
