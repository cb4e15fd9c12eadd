//! The words qwf understands, in one place, as data: the words that say
//! what kind of change an edit makes, the words that carry no request
//! (fillers, politeness, reasons), and the phrases that do the same.
//!
//! The offline planner applies a change only when every content word of
//! the request is accounted for: by a step the change touches or names, a
//! value it writes, or a word of one of these lists for the kind of change
//! made. Anything else makes it ask. So a word missing here costs a
//! question, never a wrong change; a word added to the wrong list could let
//! a change through that was not asked for. Add words to the list of the
//! change they can express, keep each list sorted (a test checks), and run
//! `cargo test --lib core::vocabulary` and `qwf eval evals/`.

/// Words that carry no request of their own, in any kind of change:
/// politeness, hedges, pronouns, discourse words.
pub const FILLERS: &[&str] = &[
    "actually",
    "again",
    "alright",
    "am",
    "anybody",
    "anyone",
    "anything",
    "anyway",
    "appreciate",
    "basically",
    "bit",
    "cheers",
    "could",
    "currently",
    "definitely",
    "do",
    "done",
    "going",
    "got",
    "great",
    "guess",
    "happen",
    "happens",
    "has",
    "have",
    "hello",
    "here",
    "hey",
    "hi",
    "hmm",
    "i'd",
    "i'm",
    "it's",
    "kind",
    "kindly",
    "know",
    "like",
    "little",
    "may",
    "maybe",
    "might",
    "must",
    "oh",
    "ok",
    "okay",
    "one",
    "ones",
    "oops",
    "perhaps",
    "pls",
    "plz",
    "probably",
    "quick",
    "quickly",
    "really",
    "right",
    "same",
    "simply",
    "sorry",
    "still",
    "suppose",
    "thank",
    "thanks",
    "that's",
    "there's",
    "they're",
    "think",
    "thx",
    "today",
    "us",
    "way",
    "we'd",
    "we're",
    "well",
    "whatever",
    "whole",
    "whoops",
    "wish",
    "would",
    "yeah",
    "yes",
    "you're",
];

/// Phrases that carry no request: discourse markers and politeness. Their
/// words are accounted for wherever the phrase stands.
pub const FILLER_PHRASES: &[&str] = &[
    "a bit",
    "are fine",
    "as soon as possible",
    "as well",
    "asap",
    "at your convenience",
    "at your earliest convenience",
    "at your soonest convenience",
    "breathing room",
    "by the way",
    "double check",
    "double-check",
    "either way",
    "first of all",
    "for me",
    "for now",
    "from now on",
    "going forward",
    "heads up",
    "heads-up",
    "i mean",
    "if possible",
    "if you can",
    "if you could",
    "if you get a chance",
    "if you have a minute",
    "in all cases",
    "in any case",
    "in both cases",
    "in either case",
    "in short",
    "in summary",
    "is fine",
    "last week",
    "long story short",
    "no matter what",
    "no rush",
    "no wait",
    "once and for all",
    "take ages",
    "takes ages",
    "this week",
    "to be clear",
    "to be honest",
    "to be safe",
    "to save time",
    "to sum up",
    "under heavy load",
    "under load",
    "whatever happens",
    "when you get a chance",
    "when you get a sec",
    "when you have a minute",
    "when you have a moment",
    "whenever you get a chance",
    "whenever you get a sec",
    "whenever you have a moment",
    "will do",
    "works for me",
];

/// Words of any edit: the verbs of asking for a change.
pub const CHANGE: &[&str] = &[
    "adjust",
    "alter",
    "anymore",
    "apply",
    "change",
    "configure",
    "current",
    "existing",
    "give",
    "have",
    "instead",
    "let",
    "make",
    "modify",
    "new",
    "now",
    "old",
    "put",
    "rather",
    "set",
    "setting",
    "switch",
    "tweak",
    "update",
    "want",
];

/// Retrying a failed step: counts, backoff and intervals.
pub const RETRY: &[&str] = &[
    "add",
    "again",
    "allow",
    "allowed",
    "apart",
    "attempt",
    "attempts",
    "automatic",
    "automatically",
    "back-off",
    "backoff",
    "behavior",
    "behaviour",
    "between",
    "blew",
    "blow",
    "blows",
    "bump",
    "cap",
    "capped",
    "constant",
    "crash",
    "crashes",
    "cut",
    "decrease",
    "delay",
    "delays",
    "doubles",
    "doubling",
    "drop",
    "each",
    "enable",
    "error",
    "errors",
    "exp",
    "exponential",
    "exponentially",
    "fail",
    "failed",
    "failing",
    "fails",
    "failure",
    "failures",
    "fewer",
    "fixed",
    "flat",
    "get",
    "gets",
    "give",
    "growing",
    "handling",
    "increase",
    "increasing",
    "increasingly",
    "initial",
    "interval",
    "keep",
    "keeps",
    "let",
    "linear",
    "linearly",
    "logic",
    "longer",
    "lower",
    "max",
    "max_attempts",
    "maximum",
    "mechanism",
    "more",
    "most",
    "never",
    "once",
    "policy",
    "raise",
    "re-attempt",
    "re-try",
    "reattempt",
    "reattempts",
    "reduce",
    "retried",
    "retries",
    "retry",
    "retrying",
    "start",
    "starting",
    "steady",
    "strategy",
    "support",
    "switch",
    "than",
    "thrice",
    "time",
    "times",
    "total",
    "transient",
    "tries",
    "try",
    "twice",
    "up",
    "wait",
    "waiting",
    "waits",
    "x",
];

/// Taking a step's retry (or all its error handling) away.
pub const NO_RETRY: &[&str] = &[
    "clear", "delete", "disable", "don't", "dont", "drop", "never", "no", "not", "off", "remove",
    "stop", "without",
];

/// A step's time limit.
pub const TIMEOUT: &[&str] = &[
    "abort",
    "add",
    "after",
    "allow",
    "allowed",
    "at",
    "bound",
    "bump",
    "cancel",
    "cap",
    "cut",
    "deadline",
    "decrease",
    "double",
    "extend",
    "fail",
    "fast",
    "give",
    "gives",
    "halt",
    "halve",
    "increase",
    "kill",
    "last",
    "limit",
    "long",
    "longer",
    "lower",
    "max",
    "maximum",
    "more",
    "most",
    "out",
    "patience",
    "patient",
    "raise",
    "reduce",
    "run",
    "runs",
    "shorten",
    "shorter",
    "should",
    "stop",
    "take",
    "takes",
    "terminate",
    "than",
    "time",
    "time-out",
    "timeout",
    "timeouts",
    "times",
    "timing",
    "triple",
    "up",
    "wait",
    "within",
];

/// A failure that no longer stops the workflow.
pub const CONTINUE: &[&str] = &[
    "anyway",
    "blew",
    "blow",
    "blows",
    "break",
    "breaks",
    "carry",
    "case",
    "continue",
    "continues",
    "crash",
    "crashes",
    "critical",
    "dies",
    "don't",
    "down",
    "error",
    "errors",
    "even",
    "fail",
    "fails",
    "failure",
    "failures",
    "fatal",
    "finish",
    "going",
    "ignore",
    "ignored",
    "just",
    "keep",
    "matter",
    "move",
    "non-critical",
    "nonessential",
    "not",
    "offline",
    "optional",
    "outage",
    "outages",
    "proceed",
    "regardless",
    "rest",
    "run",
    "runs",
    "skip",
    "stop",
    "tolerate",
    "unavailable",
    "unreachable",
    "up",
    "whole",
    "workflow",
];

/// A failure that stops the workflow at once.
pub const STOP: &[&str] = &[
    "abort",
    "entire",
    "error",
    "errors",
    "fail",
    "fails",
    "failure",
    "fast",
    "halt",
    "immediately",
    "run",
    "stop",
    "stops",
    "whole",
    "workflow",
];

/// Another step that runs when one fails.
pub const FALLBACK: &[&str] = &[
    "back", "backup", "fail", "fails", "fall", "fallback", "falls", "instead", "run", "use",
];

/// Adding a step.
pub const ADD_STEP: &[&str] = &[
    "add",
    "after",
    "afterwards",
    "alongside",
    "another",
    "append",
    "before",
    "beginning",
    "between",
    "end",
    "extra",
    "first",
    "include",
    "insert",
    "last",
    "like",
    "more",
    "new",
    "other",
    "others",
    "prepend",
    "start",
    "together",
    "too",
    "top",
];

/// Removing a step.
pub const REMOVE_STEP: &[&str] = &[
    "cut",
    "delete",
    "don't",
    "drop",
    "eliminate",
    "get",
    "longer",
    "more",
    "need",
    "needed",
    "no",
    "out",
    "remove",
    "retire",
    "retiring",
    "rid",
    "skip",
    "stop",
    "take",
    "unnecessary",
];

/// Renaming a step.
pub const RENAME: &[&str] = &["call", "called", "id", "name", "named", "rename"];

/// Moving steps.
pub const REORDER: &[&str] = &[
    "after",
    "ahead",
    "before",
    "beginning",
    "behind",
    "directly",
    "down",
    "earlier",
    "end",
    "first",
    "following",
    "front",
    "just",
    "last",
    "later",
    "move",
    "order",
    "preceding",
    "reorder",
    "right",
    "run",
    "start",
    "swap",
    "top",
];

/// Running steps together.
pub const PARALLEL: &[&str] = &[
    "alongside",
    "by",
    "concurrent",
    "concurrently",
    "once",
    "parallel",
    "run",
    "same",
    "side",
    "simultaneously",
    "time",
    "together",
];

/// A context value or a step's input taking a new value.
pub const VALUE: &[&str] = &[
    "add",
    "address",
    "at",
    "bump",
    "by",
    "config",
    "configuration",
    "context",
    "decrease",
    "default",
    "delete",
    "down",
    "end",
    "ends",
    "env",
    "field",
    "from",
    "go",
    "goes",
    "host",
    "increase",
    "instead",
    "is",
    "key",
    "land",
    "lands",
    "listen",
    "listens",
    "live",
    "lives",
    "lower",
    "moved",
    "name",
    "now",
    "only",
    "parameter",
    "point",
    "port",
    "put",
    "puts",
    "raise",
    "rather",
    "reduce",
    "remove",
    "rename",
    "runs",
    "save",
    "saves",
    "send",
    "sends",
    "server",
    "setting",
    "settings",
    "store",
    "stores",
    "switch",
    "than",
    "unset",
    "up",
    "use",
    "value",
    "variable",
    "write",
    "writes",
];

/// A step's input taking a new value or another step's output.
pub const INPUT: &[&str] = &[
    "directly", "feed", "input", "inputs", "read", "reads", "straight", "take", "takes", "use",
    "uses",
];

/// A step that runs only under a condition.
pub const CONDITION: &[&str] = &[
    "condition",
    "conditional",
    "empty",
    "exist",
    "exists",
    "fail",
    "failed",
    "fails",
    "false",
    "if",
    "invalid",
    "missing",
    "ok",
    "only",
    "pass",
    "passed",
    "passes",
    "run",
    "runs",
    "skip",
    "succeed",
    "succeeded",
    "succeeds",
    "success",
    "true",
    "unless",
    "valid",
    "when",
    "whenever",
];

/// Words that name a container of steps (a parallel group, a branch of a
/// conditional) rather than a step in it.
pub const CONTAINERS: &[&str] = &[
    "branch",
    "else",
    "entire",
    "fan",
    "fan-out",
    "fanout",
    "group",
    "in",
    "inside",
    "otherwise",
    "parallel",
    "then",
    "whole",
    "within",
];

/// Words that pick a step by where it stands.
pub const POSITIONS: &[&str] = &[
    "final",
    "first",
    "last",
    "next-to-last",
    "only",
    "penultimate",
    "second-to-last",
];

/// Words that pick steps by how they relate to others: "the step that
/// reads the users", "the one producing the summary", "every step except
/// save".
pub const RELATIONS: &[&str] = &[
    "besides",
    "but",
    "consumes",
    "consuming",
    "creates",
    "except",
    "excluding",
    "gets",
    "makes",
    "output",
    "outputs",
    "produces",
    "producing",
    "reading",
    "reads",
    "receives",
    "returns",
    "takes",
    "uses",
    "using",
    "writes",
];

/// Words that say a change applies to several steps.
pub const EVERY: &[&str] = &["all", "both", "each", "every", "everything", "everywhere"];

/// Short forms people write in step and skill names, with the words they
/// stand for (`pg-loader` is named by "postgres").
pub const ABBREVIATIONS: &[(&str, &[&str])] = &[
    ("auth", &["authentication", "authorization"]),
    ("bq", &["bigquery"]),
    ("cfg", &["config", "configuration"]),
    ("db", &["database"]),
    ("env", &["environment"]),
    ("eta", &["arrival"]),
    ("gs", &["gcs"]),
    ("gz", &["gzip"]),
    ("http", &["https"]),
    ("k8s", &["kubernetes"]),
    (
        "max",
        &["maximum", "most", "highest", "limit", "cap", "ceiling"],
    ),
    ("mem", &["memory"]),
    ("min", &["minimum", "least", "lowest"]),
    ("msg", &["message"]),
    ("pg", &["postgres", "postgresql"]),
    ("repo", &["repository"]),
    ("sms", &["text", "texts"]),
    ("smtp", &["email", "mail"]),
    ("temp", &["temperature"]),
    ("tls", &["certificate", "cert", "ssl"]),
];

/// The words a short form stands for, if it is one.
pub fn expand(word: &str) -> &'static [&'static str] {
    ABBREVIATIONS
        .binary_search_by(|(short, _)| short.cmp(&word))
        .map_or(&[], |at| ABBREVIATIONS[at].1)
}

/// Words people say for what a part of a context key's name means: "keep
/// the logs for three weeks" sets `retention_days`, "encode at 192kbps"
/// sets `bitrate`.
pub const KEY_MEANINGS: &[(&str, &[&str])] = &[
    ("bitrate", &["kbit", "kbps", "kbs"]),
    ("chf", &["franc", "francs"]),
    ("eur", &["euro", "euros"]),
    ("gbp", &["pound", "pounds", "sterling"]),
    ("jpy", &["yen"]),
    ("retention", &["keep", "kept", "retain"]),
    ("ttl", &["expire", "expires", "keep"]),
    ("usd", &["dollar", "dollars"]),
];

/// The words said for a part of a key's name.
pub fn key_meanings(part: &str) -> &'static [&'static str] {
    KEY_MEANINGS
        .iter()
        .find(|(name, _)| *name == part)
        .map_or(&[], |(_, words)| *words)
}

/// Whether a word stands for a part of a name by what the part abbreviates
/// or means ("limit" for `max`, "euros" for `eur`, "keep" for
/// `retention`).
pub fn stands_for_part(word: &str, part: &str) -> bool {
    expand(part).contains(&word) || key_meanings(part).contains(&word)
}

/// Payload nouns: what a step carries, not what it does. They never say
/// which kind of step is meant ("dedupe-records" does not save records).
pub const PAYLOAD: &[&str] = &[
    "data", "entries", "entry", "item", "items", "record", "records", "result", "results", "row",
    "rows", "stuff", "thing", "things",
];

/// Words of a request to create a workflow, and of how its steps follow
/// one another.
pub const CREATE: &[&str] = &[
    "afterwards",
    "automation",
    "build",
    "called",
    "create",
    "design",
    "done",
    "finally",
    "finished",
    "first",
    "flow",
    "generate",
    "job",
    "lastly",
    "make",
    "named",
    "new",
    "next",
    "once",
    "pipeline",
    "set",
    "setup",
    "that",
    "workflow",
];

/// Words that say when a workflow runs. A schedule is not part of a
/// workflow; creation notes where it belongs.
pub const SCHEDULE: &[&str] = &[
    "afternoon",
    "daily",
    "day",
    "evening",
    "every",
    "friday",
    "hour",
    "hourly",
    "midnight",
    "minute",
    "monday",
    "month",
    "monthly",
    "morning",
    "night",
    "nightly",
    "noon",
    "saturday",
    "sunday",
    "thursday",
    "tuesday",
    "wednesday",
    "week",
    "weekday",
    "weekly",
];

/// Verbs that say little about the task by themselves: after one, the
/// object says what is done ("check the disk", "make thumbnails", "run the
/// revenue query").
pub const GENERIC_VERBS: &[&str] = &[
    "check", "do", "get", "handle", "look", "make", "perform", "place", "produce", "put", "run",
    "take",
];

/// Verbs that name no task at all: a new skill is never made for "do the
/// thing" or "take the file" (the file is the next step's input).
pub const VAGUE_VERBS: &[&str] = &["deal", "do", "handle", "take", "use"];

/// Parts of a skill's name that say nothing about what it works on.
pub const GENERIC_NAME_PARTS: &[&str] = &[
    "data", "file", "files", "info", "job", "output", "records", "status", "step", "task", "text",
    "tool", "usage",
];

/// Verbs that name the same action, beyond the step concepts: a skill
/// that labels images tags them.
pub const SAME_ACTIONS: &[&[&str]] = &[
    &["categorise", "categorize", "classify", "label", "tag"],
    &["collect", "find", "gather", "glob", "list"],
    &["checksum", "digest", "hash"],
    &["compare", "diff"],
    &["lookup", "resolve"],
];

/// Verbs of skills that change or remove what they act on: checking or
/// getting a thing never runs one ("check the billing queue" does not
/// purge it).
pub const CHANGING_VERBS: &[&str] = &[
    "cancel",
    "clean",
    "clear",
    "delete",
    "deploy",
    "destroy",
    "drop",
    "kill",
    "post",
    "prune",
    "purge",
    "reboot",
    "remove",
    "renew",
    "reset",
    "restart",
    "revoke",
    "rotate",
    "send",
    "shutdown",
    "stop",
    "terminate",
    "truncate",
    "wipe",
];

/// Verbs that say only that something is read, shown or made: a skill
/// whose description starts with one does not do every clause that
/// starts with it ("Read the CPU temperature" does not read the CPU load).
pub const WEAK_VERBS: &[&str] = &[
    "check", "create", "find", "get", "list", "look", "make", "read", "report", "return", "run",
    "show", "tell",
];

/// Parts of a skill's name that say what it measures of a thing
/// (`queue-depth`): checking the thing reads them ("check the orders
/// queue").
pub const MEASURE_NAME_PARTS: &[&str] = &[
    "count",
    "depth",
    "expiration",
    "expiry",
    "length",
    "level",
    "size",
];

/// Words naming the kinds of error a step reports, which a retry may
/// leave out (`non_retryable`): "when it exits with code 4", "on a
/// timeout".
pub const ERROR_KINDS: &[&str] = &[
    "code", "error", "errors", "exit", "exited", "exits", "killed", "out", "signal", "status",
    "time", "timed", "timeout", "timeouts", "times",
];

/// Parts of a skill's name that name the payload any skill handles: the
/// skill ranking does not ask a request to say them ("translate them to
/// German" finds `translate-text`).
pub const PAYLOAD_NAME_PARTS: &[&str] = &["data", "text"];

/// Languages by name ("OCR them in german", "(language: english)"): a
/// value for a skill's `language` input, not a thing it speaks of.
pub const LANGUAGES: &[&str] = &[
    "afrikaans",
    "amharic",
    "arabic",
    "basque",
    "bengali",
    "breton",
    "bulgarian",
    "cantonese",
    "catalan",
    "chinese",
    "croatian",
    "czech",
    "danish",
    "dutch",
    "english",
    "estonian",
    "farsi",
    "finnish",
    "french",
    "gaelic",
    "galician",
    "german",
    "greek",
    "hausa",
    "hebrew",
    "hindi",
    "hungarian",
    "icelandic",
    "indonesian",
    "irish",
    "italian",
    "japanese",
    "korean",
    "latvian",
    "lithuanian",
    "malay",
    "maltese",
    "mandarin",
    "norwegian",
    "persian",
    "polish",
    "portuguese",
    "punjabi",
    "romanian",
    "russian",
    "scots",
    "serbian",
    "slovak",
    "slovenian",
    "spanish",
    "swahili",
    "swedish",
    "tagalog",
    "tamil",
    "thai",
    "turkish",
    "ukrainian",
    "urdu",
    "vietnamese",
    "welsh",
    "xhosa",
    "yoruba",
    "zulu",
];

/// Technologies, by family. A skill named for one (`s3-upload`) fits a
/// request that does not say which, and not one that names another of the
/// same family ("upload it to ftp…").
pub const TECHNOLOGIES: &[(&str, &[&str])] = &[
    ("archive", &["bzip", "gzip", "tar", "xz", "zip", "zstd"]),
    (
        "database",
        &[
            "bigquery",
            "mongo",
            "mongodb",
            "mysql",
            "pg",
            "postgres",
            "postgresql",
            "redis",
            "snowflake",
            "sqlite",
        ],
    ),
    (
        "format",
        &[
            "avro", "csv", "html", "json", "jsonl", "markdown", "parquet", "pdf", "tsv", "xlsx",
            "xml", "yaml", "yml",
        ],
    ),
    (
        "message",
        &[
            "discord",
            "email",
            "mail",
            "mattermost",
            "pagerduty",
            "rocketchat",
            "slack",
            "sms",
            "smtp",
            "teams",
            "telegram",
            "webex",
            "webhook",
            "whatsapp",
            "zulip",
        ],
    ),
    ("protocol", &["grpc", "http", "https", "rest"]),
    (
        "storage",
        &["azure", "blob", "dropbox", "ftp", "gcs", "s3", "sftp"],
    ),
];

/// Nouns that name the same kind of thing, beyond the step concepts:
/// "the forecast" is what a `weather-lookup` gives, a voice memo is audio.
pub const NOUN_GROUPS: &[&[&str]] = &[
    &[
        "audio",
        "m4a",
        "memo",
        "mp3",
        "ogg",
        "podcast",
        "recording",
        "sound",
        "speech",
        "voice",
        "wav",
    ],
    &["cert", "certificate", "certificates", "certs", "ssl", "tls"],
    &["cpu", "processor"],
    &["dns", "hostname", "ip", "nameserver", "resolver"],
    &[
        "aud",
        "cad",
        "chf",
        "currencies",
        "currency",
        "dollars",
        "eur",
        "euros",
        "gbp",
        "jpy",
        "pounds",
        "usd",
        "yen",
    ],
    &[
        "disk",
        "disks",
        "filesystem",
        "mount",
        "partition",
        "volume",
    ],
    &[
        "celsius",
        "fahrenheit",
        "forecast",
        "kelvin",
        "temperature",
        "weather",
    ],
    &["health", "healthy", "uptime"],
    &[
        "image",
        "images",
        "jpeg",
        "jpg",
        "photo",
        "photos",
        "picture",
        "pictures",
        "png",
        "scan",
        "scans",
        "thumbnail",
        "thumbnails",
    ],
    &["mem", "memory", "ram"],
    &["metric", "metrics", "prometheus", "pushgateway"],
    &["model", "models", "pkl"],
    &[
        "article",
        "document",
        "notes",
        "text",
        "transcript",
        "words",
    ],
    &["atom", "feed", "rss"],
];

/// The kinds of step (concept keys) a technology qualifies: `slack-notify`
/// notifies over slack, but `email-validator` validates emails, so "email"
/// there is what it works on and must be said.
pub const FAMILY_STEPS: &[(&str, &[&str])] = &[
    ("archive", &["backup", "compress"]),
    ("database", &["backup", "export", "fetch", "read", "save"]),
    (
        "format",
        &["export", "fetch", "read", "save", "transform", "validate"],
    ),
    ("message", &["notify"]),
    ("protocol", &["fetch", "monitor", "upload"]),
    ("storage", &["backup", "export", "save", "upload"]),
];

/// Words that stand for a whole family ("sql" is any database).
pub const FAMILY_WORDS: &[&str] = &["cloud", "database", "db", "sql", "storage"];

/// The family a technology word belongs to.
pub fn technology_family(word: &str) -> Option<&'static str> {
    TECHNOLOGIES
        .iter()
        .find(|(_, members)| members.contains(&word))
        .map(|(family, _)| *family)
}

/// Numbers written as words, with their values. "twelve hundred", "two
/// thousand five hundred" and "twenty-five" are read from these.
pub const NUMBER_WORDS: &[(&str, u64)] = &[
    ("eight", 8),
    ("eighteen", 18),
    ("eighty", 80),
    ("eleven", 11),
    ("fifteen", 15),
    ("fifty", 50),
    ("five", 5),
    ("forty", 40),
    ("four", 4),
    ("fourteen", 14),
    ("nine", 9),
    ("nineteen", 19),
    ("ninety", 90),
    ("one", 1),
    ("seven", 7),
    ("seventeen", 17),
    ("seventy", 70),
    ("six", 6),
    ("sixteen", 16),
    ("sixty", 60),
    ("ten", 10),
    ("thirteen", 13),
    ("thirty", 30),
    ("three", 3),
    ("twelve", 12),
    ("twenty", 20),
    ("two", 2),
    ("zero", 0),
];

/// Words that multiply the number before them.
pub const NUMBER_SCALES: &[(&str, u64)] = &[
    ("hundred", 100),
    ("million", 1_000_000),
    ("thousand", 1_000),
];

/// The value of a number word ("twelve" → 12).
pub fn number_word(word: &str) -> Option<u64> {
    NUMBER_WORDS
        .binary_search_by(|(name, _)| name.cmp(&word))
        .ok()
        .map(|at| NUMBER_WORDS[at].1)
}

/// The value of a scale word ("hundred" → 100).
pub fn number_scale(word: &str) -> Option<u64> {
    NUMBER_SCALES
        .iter()
        .find(|(name, _)| *name == word)
        .map(|(_, value)| *value)
}

/// Going back to an earlier version.
pub const HISTORY: &[&str] = &[
    "ago", "back", "before", "cancel", "change", "changes", "discard", "ditch", "earlier", "edit",
    "edits", "forget", "go", "history", "initial", "last", "latest", "original", "out", "previous",
    "restore", "return", "reverse", "revert", "roll", "rollback", "scrap", "take", "undo",
    "version", "versions",
];

/// Units: of time (a timeout, a wait), of size, of share.
pub const UNITS: &[&str] = &[
    "b",
    "day",
    "days",
    "gb",
    "h",
    "hour",
    "hours",
    "hr",
    "hrs",
    "kb",
    "kbps",
    "m",
    "mb",
    "mbps",
    "millis",
    "millisecond",
    "milliseconds",
    "min",
    "mins",
    "minute",
    "minutes",
    "ms",
    "msec",
    "msecs",
    "pct",
    "percent",
    "px",
    "s",
    "sec",
    "second",
    "seconds",
    "secs",
    "tb",
    "week",
    "weeks",
];

/// A destination or recipient changed without saying to what ("post it
/// somewhere else", "encrypt it for the new admin").
pub const ELSEWHERE: &[&str] = &[
    "somewhere else",
    "someone else",
    "somebody else",
    "elsewhere",
    "another place",
    "another person",
    "a different",
    "the new",
    "our new",
    "my new",
];

/// One more of a kind ("also check cdn.example.com together with the
/// other certificates").
pub const ANOTHER: &[&str] = &[
    "also",
    "too",
    "as well",
    "alongside",
    "together with",
    "with the other",
    "with the others",
    "like the other",
    "like the others",
    "one more",
    "another",
];

/// Units of the calendar, beside [`UNITS`]: a value kept in days may be
/// named in months ("90 days instead of a month").
pub const CALENDAR_UNITS: &[&str] = &["month", "months", "year", "years", "quarter", "quarters"];

/// Everyday words of requests that are no typo of a nearby planner word
/// ("built" is not "build", "seconds" not "sends").
pub const COMMON: &[&str] = &[
    "accurate",
    "answer",
    "answers",
    "blew",
    "blow",
    "blowing",
    "blows",
    "built",
    "cap",
    "copies",
    "copy",
    "died",
    "enough",
    "fifth",
    "forever",
    "fourth",
    "fresh",
    "higher",
    "highest",
    "leadership",
    "least",
    "limit",
    "limits",
    "listen",
    "listens",
    "looser",
    "lower",
    "lowest",
    "max",
    "maximal",
    "maximum",
    "million",
    "min",
    "minimal",
    "minimum",
    "missed",
    "most",
    "score",
    "scores",
    "second",
    "site",
    "skill",
    "skills",
    "stricter",
    "third",
    "users",
    "weekend",
    "weekends",
    "whether",
];

/// A step using another skill.
pub const SKILL: &[&str] = &[
    "instead", "keep", "not", "put", "rather", "replace", "skill", "store", "swap", "tool", "use",
    "via",
];

/// The workflow's description.
pub const DESCRIPTION: &[&str] = &["describe", "description", "summary"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_words_are_sorted() {
        assert!(NUMBER_WORDS.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert!(NUMBER_SCALES.windows(2).all(|pair| pair[0].0 < pair[1].0));
        assert_eq!(number_word("twelve"), Some(12));
        assert_eq!(number_scale("hundred"), Some(100));
    }

    #[test]
    fn groups_are_sorted() {
        for (family, members) in TECHNOLOGIES {
            assert!(members.windows(2).all(|pair| pair[0] < pair[1]), "{family}");
        }
        for group in NOUN_GROUPS {
            assert!(group.windows(2).all(|pair| pair[0] < pair[1]), "{group:?}");
        }
        assert_eq!(technology_family("s3"), Some("storage"));
    }

    #[test]
    fn abbreviations_are_sorted_and_expand() {
        for pair in ABBREVIATIONS.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "ABBREVIATIONS: '{}' out of order",
                pair[1].0
            );
        }
        assert_eq!(expand("pg"), ["postgres", "postgresql"]);
        assert!(expand("fetch").is_empty());
    }

    #[test]
    fn every_list_is_sorted_and_without_repeats() {
        for (name, list) in [
            ("FILLERS", FILLERS),
            ("FILLER_PHRASES", FILLER_PHRASES),
            ("CHANGE", CHANGE),
            ("RETRY", RETRY),
            ("NO_RETRY", NO_RETRY),
            ("TIMEOUT", TIMEOUT),
            ("CONTINUE", CONTINUE),
            ("STOP", STOP),
            ("FALLBACK", FALLBACK),
            ("ADD_STEP", ADD_STEP),
            ("REMOVE_STEP", REMOVE_STEP),
            ("RENAME", RENAME),
            ("REORDER", REORDER),
            ("PARALLEL", PARALLEL),
            ("VALUE", VALUE),
            ("SKILL", SKILL),
            ("INPUT", INPUT),
            ("CONDITION", CONDITION),
            ("CONTAINERS", CONTAINERS),
            ("POSITIONS", POSITIONS),
            ("RELATIONS", RELATIONS),
            ("EVERY", EVERY),
            ("PAYLOAD", PAYLOAD),
            ("CREATE", CREATE),
            ("SCHEDULE", SCHEDULE),
            ("GENERIC_VERBS", GENERIC_VERBS),
            ("VAGUE_VERBS", VAGUE_VERBS),
            ("HISTORY", HISTORY),
            ("UNITS", UNITS),
            ("COMMON", COMMON),
            ("GENERIC_NAME_PARTS", GENERIC_NAME_PARTS),
            ("PAYLOAD_NAME_PARTS", PAYLOAD_NAME_PARTS),
            ("ERROR_KINDS", ERROR_KINDS),
            ("DESCRIPTION", DESCRIPTION),
            ("LANGUAGES", LANGUAGES),
        ] {
            for pair in list.windows(2) {
                assert!(
                    pair[0] < pair[1],
                    "{name}: '{}' should come after '{}' (sorted, no repeats)",
                    pair[0],
                    pair[1]
                );
            }
            for word in list.iter() {
                assert_eq!(
                    *word,
                    word.to_lowercase(),
                    "{name}: '{word}' should be lowercase"
                );
            }
        }
    }
}
