//! What steps do, as a small table of concepts: the words that evoke each
//! one (verbs that start a clause, nouns that name it), the skill qwf
//! proposes when the user has none for it, and how its data flows. Both
//! creation ("fetch data from the API") and references ("the API call")
//! read this table, so they agree on what words mean.

use crate::core::skill::{Port, Skill, SkillType};

use std::sync::OnceLock;

use super::text::{Tok, is_stopword, same_stem, same_word, stem};

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
            "send", "post", "announce"
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
            "webhook"
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
        ["report", "generate", "render"],
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
            "cleanup", "purge", "delete", "remove", "prune", "tidy", "clear"
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
    let stemmed = if is_stopword(word) {
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

/// The existing skill that fits best, when one fits well enough: named
/// outright, the concept's usual skill, or a skill whose name or
/// description speaks of the concept.
pub(super) fn best_skill<'a>(
    skills: &'a [Skill],
    concept: Option<&Concept>,
    words: &[&str],
) -> Option<&'a Skill> {
    let mut best: Option<(u32, &Skill)> = None;
    for skill in skills {
        let mut score = 0;
        if words.contains(&skill.name.to_lowercase().as_str()) {
            score += 1000;
        }
        if let Some(concept) = concept {
            if concept.skill == skill.name {
                score += 500;
            }
            let parts: Vec<&str> = skill.name.split(['-', '_']).collect();
            if parts.iter().any(|part| concept.has_word(part)) {
                score += 100;
            }
            let description: Vec<String> = skill
                .description
                .to_lowercase()
                .split(|c: char| !c.is_alphanumeric())
                .map(str::to_string)
                .collect();
            if description
                .iter()
                .any(|word| !word.is_empty() && concept.has_word(word))
            {
                score += 50;
            }
        }
        // With a concept known, a skill that shows nothing of it fits only
        // when named outright or by a distinctive part of its name: a
        // passing word ("logs the validated data") is no reason to reuse
        // data-validator for logging.
        let fits_concept = score > 0;
        if let Some(concept) = concept {
            // A name part that belongs to another concept and that the
            // request does not mention says the skill does something else:
            // `health-checker` checks health, it does not validate data.
            let elsewhere = skill.name.split(['-', '_']).any(|part| {
                !concept.has_word(part)
                    && !words.iter().any(|word| same_word(word, part))
                    && CONCEPTS
                        .iter()
                        .any(|other| !std::ptr::eq(other, concept) && other.has_word(part))
            });
            if elsewhere {
                continue;
            }
        }
        const GENERIC: [&str; 8] = [
            "data", "file", "files", "tool", "step", "job", "task", "info",
        ];
        // A name part neither the request nor the concept explains says
        // what else the skill is about: `save-game` saves games,
        // `fetch-secrets` fetches secrets.
        let unexplained = skill
            .name
            .split(['-', '_'])
            .filter(|part| {
                // Short forms people write in skill names.
                const SHORT: &[(&str, &[&str])] = &[
                    ("pg", &["postgres", "postgresql"]),
                    ("db", &["database", "db"]),
                    ("k8s", &["kubernetes"]),
                    ("msg", &["message"]),
                    ("cfg", &["config", "configuration"]),
                ];
                let spelled_out = SHORT.iter().any(|(short, long)| {
                    short == part && words.iter().any(|word| long.contains(word))
                });
                !part.is_empty()
                    && !spelled_out
                    && !GENERIC.contains(part)
                    && !words.iter().any(|word| same_word(word, part))
                    && !concept.is_some_and(|concept| concept.has_word(part))
            })
            .count() as u32;
        // Only a name that mixes a matching part with a foreign one is a
        // decoy; a one-word name (`tally`) is just the skill's name.
        let parts = skill
            .name
            .split(['-', '_'])
            .filter(|part| !part.is_empty())
            .count() as u32;
        let unexplained = if parts > 1 && unexplained < parts {
            unexplained
        } else {
            0
        };
        // The description saying what the request says: "Notify the on-call
        // engineer via PagerDuty" for "notify the on-call engineer".
        let description: Vec<String> = skill
            .description
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .map(str::to_string)
            .collect();
        let echoed = words
            .iter()
            .filter(|word| word.len() >= 4 && !is_stopword(word))
            .filter(|word| description.iter().any(|said| same_word(said, word)))
            .count() as u32;
        score += 40 * echoed.min(3);
        for part in skill.name.split(['-', '_']) {
            // A word of the request that names part of the skill ("slack"
            // for slack-notifier) says more than the concept does, unless
            // the rest of the name is about something else.
            if !GENERIC.contains(&part)
                && words.iter().any(|word| !is_stopword(word) && *word == part)
            {
                score += if unexplained == 0 { 200 } else { 60 };
            } else if words
                .iter()
                .any(|word| !is_stopword(word) && same_word(word, part))
            {
                score += 30;
            }
        }
        if concept.is_some() && !fits_concept && score < 200 {
            continue;
        }
        score = score.saturating_sub(100 * unexplained);
        // The values the request gives say which skill takes them: an
        // address goes to a skill with a recipient, "#ops" to one with a
        // channel ("mail the totals to boss@example.com" → email-sender).
        let takes = |names: &[&str]| {
            skill
                .input_names()
                .any(|input| names.contains(&input.to_lowercase().as_str()))
        };
        if words
            .iter()
            .any(|word| word.contains('@') && word.contains('.'))
            && (takes(&["to", "email", "recipient", "address"]) || skill.name.contains("mail"))
        {
            score += 80;
        }
        if words
            .iter()
            .any(|word| word.starts_with('#') && word.len() > 1)
            && (takes(&["channel"]) || skill.name.contains("slack"))
        {
            score += 80;
        }
        // A table, URL or file the request names goes to a skill that takes
        // one ("save them to the users table" → the skill with a `table`).
        if words.contains(&"table") && takes(&["table"]) {
            score += 80;
        }
        if words.iter().any(|word| word.contains("://")) && takes(&["url", "endpoint"]) {
            score += 80;
        }
        // "mail" names email-sender as well as "email" does.
        if words.iter().any(|word| {
            word.len() >= 4
                && !is_stopword(word)
                && skill
                    .name
                    .split(['-', '_'])
                    .any(|part| part != *word && part.len() > word.len() && part.ends_with(*word))
        }) {
            score += 60;
        }
        if score >= 50 && best.is_none_or(|(top, _)| score > top) {
            best = Some((score, skill));
        }
    }
    best.map(|(_, skill)| skill)
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

    #[test]
    fn existing_skills_are_matched_by_name_concept_and_description() {
        let skill = |name: &str, description: &str| Skill {
            name: name.into(),
            skill_type: SkillType::CodeInline,
            description: description.into(),
            command: "x".into(),
            inputs: Some(vec![]),
            outputs: Some(vec![]),
            extra: Default::default(),
        };
        let skills = vec![
            skill("curl-get", "Download a web page"),
            skill("pg-insert", "Insert rows into Postgres"),
            skill("data-tool", ""),
        ];
        let fetch = CONCEPTS.iter().find(|concept| concept.key == "fetch");
        let save = CONCEPTS.iter().find(|concept| concept.key == "save");
        assert_eq!(
            best_skill(&skills, fetch, &["fetch", "data"]).map(|s| s.name.as_str()),
            Some("curl-get")
        );
        assert_eq!(
            best_skill(&skills, save, &["save"]).map(|s| s.name.as_str()),
            Some("pg-insert")
        );
        assert_eq!(best_skill(&skills, None, &["data"]), None);
        // A checker of health is not a validator of data.
        let health = vec![skill("health-checker", "Check that an endpoint is healthy")];
        let validate = CONCEPTS.iter().find(|concept| concept.key == "validate");
        assert_eq!(best_skill(&health, validate, &["validate", "it"]), None);
        let monitor = CONCEPTS.iter().find(|concept| concept.key == "monitor");
        assert_eq!(
            best_skill(&health, monitor, &["check", "the", "api", "health"])
                .map(|s| s.name.as_str()),
            Some("health-checker")
        );
        assert_eq!(
            best_skill(&skills, None, &["data-tool"]).map(|s| s.name.as_str()),
            Some("data-tool")
        );
    }
}
