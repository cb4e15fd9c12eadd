//! Building one step from a clause: its skill (an existing one when one
//! fits, else a proposed new one), its inputs (the previous step's output,
//! literals lifted into context, placeholders for what a skill cannot work
//! without), its outputs, and retry or timeout settings written in the
//! clause. Used by creation and by "add a step …" edits alike.

use serde_json::{Value, json};

use crate::core::ErrorHandling;
use crate::core::model::{JsonMap, Step};
use crate::core::skill::{Port, Skill, SkillType};

use super::concepts::{CONCEPTS, Needs, concept_for, concepts_of, is_verb};
use super::condition::{COMPARATORS, identifier};
use super::read::{retry_settings, timeout_in};
use super::text::{
    Tok, agent_noun, capitalise, count, is_stopword, kebab, lemma, number, same_word,
};

/// A value written in the request that belongs in context.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Url(String),
    Path(String),
    Table(String),
    Email(String),
    Channel(String),
    /// "the acme-backups bucket", "bucket ml-scores".
    Bucket(String),
    /// "db-01", "web-01.internal", "shop.example.com".
    Host(String),
    /// "+1-555-0100".
    Phone(String),
}

impl Literal {
    /// The value as written.
    pub(super) fn text(&self) -> &str {
        match self {
            Literal::Url(text)
            | Literal::Path(text)
            | Literal::Table(text)
            | Literal::Email(text)
            | Literal::Channel(text)
            | Literal::Bucket(text)
            | Literal::Host(text)
            | Literal::Phone(text) => text,
        }
    }

    /// Words that tell the skill ranking what kind of value this is.
    pub(super) fn evidence(&self) -> &'static str {
        match self {
            Literal::Table(_) => "table",
            Literal::Url(_) => "url://",
            Literal::Email(_) => "someone@example.com",
            Literal::Channel(_) => "#channel",
            Literal::Path(_) => "path",
            Literal::Bucket(_) => "bucket s3",
            Literal::Host(_) => "host",
            Literal::Phone(_) => "phone sms",
        }
    }
}

/// The input of a skill that takes a literal of this kind, if it declares
/// one: an address goes to `to`, an s3:// URL to `bucket`, a path to
/// `path` or `audio_file`.
fn declared_input(skill: &Skill, literal: &Literal) -> Option<String> {
    let hints: &[&str] = match literal {
        Literal::Url(url) if url.starts_with("s3://") || url.starts_with("gs://") => {
            &["bucket", "destination", "target", "url"]
        }
        Literal::Url(url) if url.starts_with("ftp://") || url.starts_with("sftp://") => {
            &["host", "server", "destination", "url"]
        }
        Literal::Url(url) if is_remote(url) => &["remote", "destination", "target", "url"],
        // "postgres://pms.internal/hotel": a database to connect to.
        Literal::Url(url)
            if [
                "postgres",
                "postgresql",
                "mysql",
                "mongodb",
                "redis",
                "sqlite",
                "mariadb",
            ]
            .iter()
            .any(|scheme| url.to_lowercase().starts_with(&format!("{scheme}://"))) =>
        {
            &[
                "dsn",
                "database",
                "db",
                "connection",
                "conn",
                "url",
                "destination",
            ]
        }
        // "mqtt://broker:1883": a message broker's address.
        Literal::Url(_) => &[
            "url", "feed", "endpoint", "link", "source", "gateway", "broker", "server",
        ],
        // "templates/beta.html" goes to `template`: the input the path
        // names.
        Literal::Path(path)
            if skill.input_names().any(|input| {
                path.to_lowercase()
                    .split(['/', '.', '_', '-'])
                    .any(|part| part.len() >= 4 && same_word(part, &input.to_lowercase()))
            }) =>
        {
            return skill
                .input_names()
                .find(|input| {
                    path.to_lowercase()
                        .split(['/', '.', '_', '-'])
                        .any(|part| part.len() >= 4 && same_word(part, &input.to_lowercase()))
                })
                .map(str::to_string);
        }
        Literal::Path(path) if path.contains(['*', '?']) => &["pattern", "glob", "path"],
        Literal::Path(path) if path.to_lowercase().contains("schema") => {
            &["schema", "path", "file"]
        }
        Literal::Path(_) => &[
            "path",
            "file",
            "dir",
            "folder",
            "root",
            "image",
            "audio",
            "model",
            "destination",
            "source",
            // "plant/+/humidity": a slash-separated name a message broker
            // files messages under.
            "topic",
        ],
        Literal::Table(_) => &["table"],
        Literal::Email(_) => &["to", "recipient", "email", "address"],
        Literal::Channel(_) => &["channel"],
        Literal::Bucket(_) => &["bucket", "destination"],
        Literal::Host(_) => &["host", "domain", "server", "hostname", "machine"],
        Literal::Phone(_) => &["phone", "number", "to"],
    };
    hints.iter().find_map(|hint| {
        skill
            .input_names()
            .find(|input| {
                let input = input.to_lowercase();
                input == *hint || input.split('_').any(|part| part == *hint)
            })
            .map(str::to_string)
    })
}

/// A host name: letters with a digit and a '-' or '.' ("db-01",
/// "cache-01.internal"), or a dotted name ending in letters
/// ("shop.example.com").
pub(super) fn is_host(raw: &str) -> bool {
    if is_url(raw) || is_path(raw) || raw.contains('@') || raw.starts_with(['+', '#']) {
        return false;
    }
    // "10.20.0.11": an IPv4 address.
    let octets: Vec<&str> = raw.split('.').collect();
    if octets.len() == 4
        && octets
            .iter()
            .all(|octet| !octet.is_empty() && octet.len() <= 3 && octet.parse::<u8>().is_ok())
    {
        return true;
    }
    let allowed = raw
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    let letters = raw.chars().any(|c| c.is_ascii_alphabetic());
    let digit_named = raw.chars().any(|c| c.is_ascii_digit()) && raw.contains(['-', '.']);
    let dotted = raw.matches('.').count() >= 2
        && raw
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic()));
    // "example.com", "shop.io": a name and a top-level domain people use.
    let domain = raw.matches('.').count() == 1
        && raw.split_once('.').is_some_and(|(name, tld)| {
            !name.is_empty() && TOP_LEVEL_DOMAINS.contains(&tld.to_lowercase().as_str())
        });
    allowed && letters && (digit_named || dotted || domain) && !raw.ends_with(['.', '-'])
}

/// "ENG-4410", "JIRA-12" (a ticket or job written in capitals), "sha-256",
/// "utf-8": names with a digit and a dash that are no machine.
fn names_no_host(raw: &str) -> bool {
    if raw.contains('.') {
        return false;
    }
    let capitals = raw.chars().any(|c| c.is_ascii_uppercase())
        && raw
            .chars()
            .filter(|c| c.is_ascii_alphabetic())
            .all(|c| c.is_ascii_uppercase());
    let lower = raw.to_lowercase();
    let standard = ["sha-", "utf-", "iso-", "md-", "crc-", "x-", "h-", "ipv-"]
        .iter()
        .any(|prefix| lower.starts_with(prefix));
    capitals || standard
}

/// Top-level domains common enough that "example.com" is a host, not a
/// file name.
const TOP_LEVEL_DOMAINS: &[&str] = &[
    "app", "biz", "co", "com", "de", "dev", "eu", "fr", "info", "io", "net", "nl", "org", "uk",
];

/// A phone number: '+' and digits, with '-' between groups.
pub(super) fn is_phone(raw: &str) -> bool {
    raw.strip_prefix('+').is_some_and(|rest| {
        rest.len() >= 6
            && rest.chars().all(|c| c.is_ascii_digit() || c == '-')
            && rest.starts_with(|c: char| c.is_ascii_digit())
    })
}

const FILE_EXTENSIONS: &[&str] = &[
    "json", "jsonl", "csv", "tsv", "yaml", "yml", "txt", "xml", "parquet", "xlsx", "xls", "sql",
    "log", "md", "html", "pdf", "png", "jpg", "jpeg", "gz", "zip", "tar", "db", "sqlite", "toml",
    "ini", "avro",
];

/// Words before a clause's action that say nothing about it.
const FILLERS: &[&str] = &[
    "only",
    "then",
    "also",
    "finally",
    "first",
    "firstly",
    "next",
    "lastly",
    "afterwards",
    "please",
    "we",
    "i",
    "you",
    "should",
    "will",
    "to",
    "and",
    "a",
    "an",
    "step",
    "that",
    "which",
    "new",
    "can",
    "must",
    "it",
    "just",
    "simply",
];

pub(super) const SCHEDULE_NOUNS: &[&str] = &[
    "night",
    "day",
    "hour",
    "morning",
    "evening",
    "week",
    "month",
    "minute",
    "weekday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "a",
];

/// Words that end a clause's object.
pub(super) const PREPOSITIONS: &[&str] = &[
    "from", "to", "into", "in", "on", "against", "with", "using", "via", "for", "at", "by", "onto",
    "over", "through", "every", "each", "if", "when", "unless", "only", "as", "after", "before",
    "and", ",",
];

pub(super) fn is_url(raw: &str) -> bool {
    raw.contains("://") || raw.starts_with("www.") || is_remote(raw)
}

/// A storage remote as rclone names one: "s3:offsite", "gdrive:reports",
/// "b2:family-backups/2026".
pub(super) fn is_remote(raw: &str) -> bool {
    let Some((remote, path)) = raw.split_once(':') else {
        return false;
    };
    !raw.contains("://")
        && remote.len() >= 2
        && remote.chars().any(|c| c.is_ascii_alphabetic())
        && remote
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && path.starts_with(|c: char| c.is_ascii_alphabetic())
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
}

pub(super) fn is_path(raw: &str) -> bool {
    // "km/h", "m/s", "mb/s": a unit, not a place.
    if let Some((top, bottom)) = raw.split_once('/')
        && (1..=3).contains(&top.len())
        && (1..=3).contains(&bottom.len())
        && top
            .chars()
            .chain(bottom.chars())
            .all(|c| c.is_ascii_alphabetic())
    {
        return false;
    }
    if is_url(raw) || raw.contains('@') {
        return false;
    }
    // "b2:ana-backups", "gdrive:reports": a remote and a path on it, as
    // rclone and scp write them.
    if let Some((remote, path)) = raw.split_once(':')
        && (1..=12).contains(&remote.len())
        && remote.chars().all(|c| c.is_ascii_alphanumeric())
        && remote.chars().any(|c| c.is_ascii_alphabetic())
        && !path.is_empty()
        && !path.starts_with("//")
        && path.chars().any(|c| c.is_ascii_alphabetic())
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/'))
    {
        return true;
    }
    if raw.starts_with('/')
        || raw.starts_with("./")
        || raw.starts_with("../")
        || raw.starts_with("~/")
    {
        return raw.len() > 1;
    }
    if raw.contains('/') && !raw.contains(' ') && raw.chars().any(|c| c.is_alphanumeric()) {
        return true;
    }
    matches!(raw.rsplit_once('.'), Some((stem, extension)) if !stem.is_empty() && FILE_EXTENSIONS.contains(&extension.to_lowercase().as_str()))
}

/// A phone number starting at `index`: "+1 555 0199" written in groups is
/// one number, its groups joined by '-'.
fn phone_from(toks: &[Tok], index: usize) -> (Vec<usize>, Literal) {
    let mut end = index + 1;
    let mut number = toks[index].raw.to_string();
    while let Some(next) = toks
        .get(end)
        .filter(|next| next.raw.len() >= 2 && next.raw.chars().all(|c| c.is_ascii_digit()))
    {
        number.push('-');
        number.push_str(&next.raw);
        end += 1;
    }
    ((index..end).collect(), Literal::Phone(number))
}

/// The literals of a clause, with the tokens they occupy.
pub(super) fn literals(toks: &[Tok]) -> Vec<(Vec<usize>, Literal)> {
    let mut found = Vec::new();
    for (index, tok) in toks.iter().enumerate() {
        let raw = tok.raw.as_str();
        if is_url(raw) {
            found.push((vec![index], Literal::Url(raw.to_string())));
        } else if raw.contains('@')
            && raw
                .rsplit_once('@')
                .is_some_and(|(user, host)| !user.is_empty() && host.contains('.'))
        {
            found.push((vec![index], Literal::Email(raw.to_string())));
        } else if raw.starts_with('#') && raw.len() > 1 {
            found.push((vec![index], Literal::Channel(raw.to_string())));
        } else if is_path(raw) {
            found.push((vec![index], Literal::Path(raw.to_string())));
        } else if is_phone(raw) {
            // "+1 555 0199": the groups written apart are one number.
            found.push(phone_from(toks, index));
        } else if raw.starts_with('+')
            && raw.len() >= 2
            && raw[1..].chars().all(|c| c.is_ascii_digit())
            && toks.get(index + 1).is_some_and(|next| {
                next.raw.len() >= 3 && next.raw.chars().all(|c| c.is_ascii_digit())
            })
        {
            found.push(phone_from(toks, index));
        } else if is_host(raw) && !tok.word.starts_with("ftp.") && !names_no_host(raw) {
            found.push((vec![index], Literal::Host(raw.to_string())));
        } else if raw.to_lowercase().starts_with("ftp.") && is_host(raw) {
            found.push((vec![index], Literal::Url(format!("ftp://{raw}"))));
        } else if tok.is("bucket") {
            // "the acme-backups bucket", "bucket ml-scores", "s3 bucket X"
            let name_like = |tok: &Tok| {
                !is_stopword(&tok.word)
                    && !tok.is_punctuation()
                    && !tok.is_any(&["s3", "gcs", "bucket", "named", "called", "new", "my", "our"])
                    // "nobody looks at that bucket anymore"
                    && !tok.is_any(&[
                        "anymore", "now", "again", "too", "either", "instead", "later", "today",
                        "yet", "either", "any", "more",
                    ])
                    && tok
                        .raw
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.')
            };
            let mut after = index + 1;
            if toks
                .get(after)
                .is_some_and(|tok| tok.is_any(&["named", "called"]))
            {
                after += 1;
            }
            let before = index
                .checked_sub(1)
                .filter(|at| name_like(&toks[*at]))
                .or_else(|| {
                    // "the acme-backups s3 bucket"
                    index
                        .checked_sub(2)
                        .filter(|at| toks[at + 1].is_any(&["s3", "gcs"]) && name_like(&toks[*at]))
                });
            let chosen = toks
                .get(after)
                .filter(|tok| name_like(tok) && !PREPOSITIONS.contains(&tok.word.as_str()))
                .map(|_| after)
                .or(before);
            if let Some(at) = chosen {
                found.push((vec![at, index], Literal::Bucket(toks[at].raw.clone())));
            }
        } else if tok.is("table") {
            let not_a_name = |tok: &Tok| {
                is_stopword(&tok.word)
                    || tok.is_any(&[
                        "database",
                        "db",
                        "sql",
                        "table",
                        "named",
                        "called",
                        "postgres",
                        "postgresql",
                        "mysql",
                        "sqlite",
                        "snowflake",
                        "bigquery",
                    ])
                    || tok.is_punctuation()
            };
            // "the api_data table", "table api_data", "a table called users"
            let before = index
                .checked_sub(1)
                .map(|at| (at, &toks[at]))
                .filter(|(_, tok)| !not_a_name(tok));
            let after = {
                let mut at = index + 1;
                if toks
                    .get(at)
                    .is_some_and(|tok| tok.is_any(&["named", "called"]))
                {
                    at += 1;
                }
                toks.get(at).map(|tok| (at, tok)).filter(|(_, tok)| {
                    !not_a_name(tok) && !PREPOSITIONS.contains(&tok.word.as_str())
                })
            };
            if let Some((at, name)) = before.or(after) {
                found.push((vec![at, index], Literal::Table(name.raw.clone())));
            }
        }
    }
    found
}

/// Words that say how often a step is tried or how long it may take.
const RETRY_ANCHORS: &[&str] = &[
    "attempt", "attempts", "retried", "retries", "retry", "retrying", "tries",
];
const BOUND_ANCHORS: &[&str] = &[
    "allow", "cap", "give", "limit", "max", "maximum", "most", "timeout", "within",
];
/// Words inside such a phrase besides its anchors, counts and units.
const MODIFIER_GLUE: &[&str] = &[
    "a", "an", "at", "each", "it", "no", "more", "than", "them", "of", "time", "times", "to",
    "total", "up", "with", "in",
];

/// Where a clause says how often its step is retried ("retrying up to 4
/// times", "with 3 retries") or how long it may run ("give it at most 15
/// seconds", "within 2 minutes"): each phrase's token range, and the
/// time limit in whole seconds when it is one.
pub(super) fn modifier_phrases(toks: &[Tok]) -> Vec<(std::ops::Range<usize>, Option<u64>)> {
    let units = |tok: &Tok| super::text::unit_ms(&tok.word).is_some();
    // "a minute and a half", "a quarter of an hour": durations in words.
    let in_words = |at: usize| {
        let tok = &toks[at];
        tok.is_any(&["a", "an", "and", "half", "quarter", "quarters"])
            || (tok.is("of")
                && toks
                    .get(at + 1)
                    .is_some_and(|next| next.is_any(&["a", "an"]))
                && at > 0
                && toks[at - 1].is_any(&["quarter", "quarters"]))
    };
    let part = |at: usize| {
        let tok = &toks[at];
        tok.is_any(RETRY_ANCHORS)
            || tok.is_any(BOUND_ANCHORS)
            || tok.is_any(MODIFIER_GLUE)
            || count(&tok.word).is_some()
            || number(&tok.word).is_some()
            || units(tok)
            || in_words(at)
    };
    let mut phrases = Vec::new();
    let mut at = 0;
    while at < toks.len() {
        if !part(at) {
            at += 1;
            continue;
        }
        let start = at;
        while at < toks.len() && part(at) {
            at += 1;
        }
        let run = &toks[start..at];
        let counted = run
            .iter()
            .any(|tok| count(&tok.word).is_some() || number(&tok.word).is_some())
            || !super::text::durations(run).is_empty();
        let retries = run.iter().any(|tok| tok.is_any(RETRY_ANCHORS));
        // "at most 20 minutes of audio": an amount of the thing, no limit.
        let amount = toks.get(at).is_some_and(|next| next.is("of"))
            || run.last().is_some_and(|last| last.is("of"));
        let timed =
            !amount && run.iter().any(units) && run.iter().any(|tok| tok.is_any(BOUND_ANCHORS));
        if retries && !timed {
            phrases.push((start..at, None));
        } else if timed && counted && !retries {
            let secs = super::text::durations(run).first().map(|d| d.secs());
            if secs.is_some() {
                phrases.push((start..at, secs));
            }
        }
    }
    phrases
}

/// Whether a clause only says how its step is retried or bounded, and
/// so belongs to the step before it.
pub(super) fn only_modifies(toks: &[Tok]) -> bool {
    let toks = strip_fillers(toks);
    let phrases = modifier_phrases(toks);
    !phrases.is_empty()
        && toks.iter().enumerate().all(|(at, tok)| {
            tok.is_punctuation()
                || is_stopword(&tok.word)
                || phrases.iter().any(|(range, _)| range.contains(&at))
        })
}

pub(super) fn strip_fillers(toks: &[Tok]) -> &[Tok] {
    let mut start = 0;
    while start < toks.len() {
        let tok = &toks[start];
        if tok.is_punctuation() || tok.is_any(FILLERS) {
            start += 1;
        } else if tok.is_any(&[
            "every", "each", "daily", "nightly", "hourly", "weekly", "monthly", "once",
        ]) {
            // A schedule is not an action: "every night pull …".
            start += 1;
            if toks
                .get(start)
                .is_some_and(|next| next.is_any(SCHEDULE_NOUNS))
            {
                start += 1;
            }
        } else if tok.is("after") && toks.get(start + 1).is_some_and(|next| next.is("that")) {
            start += 2;
        } else {
            break;
        }
    }
    &toks[start..]
}

pub(super) fn starts_action(toks: &[Tok]) -> bool {
    let toks = strip_fillers(toks);
    let Some(first) = toks.first() else {
        return false;
    };
    // "slack it to #ops", "text me", "email them": a channel used as a
    // verb, before a pronoun or an article.
    let noun_as_verb = toks.get(1).is_some_and(|next| {
        next.is_any(&[
            "it", "them", "me", "us", "him", "her", "the", "a", "everyone", "this",
        ])
    }) && concepts_of(&first.word).any(|concept| concept.key == "notify");
    // "transcode it to webm": any word before "it"/"them" acts on it.
    let acts_on_it = toks.get(1).is_some_and(|next| next.is_any(&["it", "them"]))
        && first.word.chars().all(|c| c.is_ascii_alphabetic())
        && !is_stopword(&first.word);
    // "compare the schema with …" (an imperative; "compared to last week"
    // describes).
    let compares = first.is("compare");
    is_verb(&first.word) || is_verb(&lemma(&first.word)) || noun_as_verb || acts_on_it || compares
}

/// The noun a clause acts on: the last content word before its first
/// preposition ("fetch the latest orders from …" → "orders").
fn object_noun(toks: &[Tok]) -> Option<String> {
    let end = toks
        .iter()
        .position(|tok| PREPOSITIONS.contains(&tok.word.as_str()))
        .unwrap_or(toks.len());
    toks[..end]
        .iter()
        .rev()
        .find(|tok| {
            !is_stopword(&tok.word)
                && tok
                    .word
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                && number(&tok.word).is_none()
        })
        .map(|tok| tok.word.clone())
}

/// A clause as the description of its step.
fn described(clause: &[Tok]) -> String {
    capitalise(
        &clause
            .iter()
            .filter(|tok| !tok.is_punctuation())
            .map(|tok| tok.raw.as_str())
            .collect::<Vec<_>>()
            .join(" "),
    )
}

/// A step's output as another step reads it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Producer {
    pub id: String,
    pub output: String,
    /// Every output the step declares ("the report" of a diff that also
    /// says whether it matches).
    pub outputs: Vec<String>,
}

impl Producer {
    pub fn of(step: &Step) -> Option<Producer> {
        step.outputs.first().map(|output| Producer {
            id: step.id.clone(),
            output: output.clone(),
            outputs: step.outputs.clone(),
        })
    }

    fn reference(&self) -> String {
        format!("{}.{}", self.id, self.output)
    }
}

/// Whether a concept is what the skill does: its usual skill, or its
/// words in the skill's name.
fn concept_describes(concept: &super::concepts::Concept, skill: &Skill) -> bool {
    concept.skill == skill.name
        || skill
            .name
            .split(['-', '_'])
            .any(|part| concept.has_word(part))
}

/// Builds steps, keeping ids and context keys unique, and collecting the
/// skills it reuses and the ones it proposes.
pub(super) struct Builder<'a> {
    pub(super) skills: &'a [Skill],
    /// The registry ranking over the installed skills.
    index: crate::core::ranking::SkillIndex,
    /// What "it" stands for in the next clause: the last clause's object.
    antecedent: Vec<String>,
    pub ids: Vec<String>,
    pub context: JsonMap,
    pub added_context: Vec<(String, Value)>,
    /// The context keys the workflow held before this request: another
    /// step's value ("bucket" of the influx write), never taken by name
    /// for a new step.
    held_before: Vec<String>,
    pub new_skills: Vec<Skill>,
    pub reused: Vec<String>,
    /// Context keys holding a placeholder the user must fill in.
    pub placeholders: Vec<String>,
    /// Literals of a condition, for the steps it guards ("if ./data.csv
    /// exists, load it").
    pub(super) inherited: Vec<Literal>,
    /// What the summary must tell the user about choices made.
    pub notes: Vec<String>,
    /// Clauses given a new skill although an installed one, ranked first
    /// for them, does what their verb says: (the clause, that skill).
    pub passed_over: Vec<(String, &'a Skill)>,
    /// Clauses that several installed skills for different tools of one
    /// kind do equally well, naming none of the tools ("post the summary
    /// to #cs-leads" with Slack, Teams and Discord skills): (the clause,
    /// those skills).
    pub undecided: Vec<(String, Vec<&'a Skill>)>,
    /// The outputs of the steps built so far: (step id, output).
    made: Vec<(String, String)>,
}

impl<'a> Builder<'a> {
    pub fn new(skills: &'a [Skill], ids: Vec<String>, context: JsonMap) -> Self {
        Builder {
            held_before: context.keys().cloned().collect(),
            skills,
            index: crate::core::ranking::SkillIndex::new(skills),
            antecedent: Vec::new(),
            ids,
            context,
            added_context: Vec::new(),
            new_skills: Vec::new(),
            reused: Vec::new(),
            placeholders: Vec::new(),
            inherited: Vec::new(),
            notes: Vec::new(),
            passed_over: Vec::new(),
            undecided: Vec::new(),
            made: Vec::new(),
        }
    }

    /// A context key for a value: an existing key holding the same value,
    /// else `base`, else one prefixed with the step id.
    pub(super) fn key(&mut self, base: &str, step_id: &str, value: Value) -> String {
        if let Some((key, _)) = self
            .context
            .iter()
            .find(|(_, existing)| **existing == value)
        {
            return key.clone();
        }
        let prefixed = format!("{}_{base}", step_id.replace('-', "_"));
        let key = [base.to_string(), prefixed.clone()]
            .into_iter()
            .chain((2..).map(|n| format!("{prefixed}_{n}")))
            .find(|candidate| !self.context.contains_key(candidate))
            .expect("an unbounded list has a free key");
        self.context.insert(key.clone(), value.clone());
        self.added_context.push((key.clone(), value));
        key
    }

    pub(super) fn unique_id(
        &mut self,
        base: &str,
        object: Option<&str>,
        prefer_object: bool,
    ) -> String {
        let with_object = object
            .filter(|object| *object != base && !same_word(object, base))
            .map(|object| kebab(&[base, object]));
        let mut candidates: Vec<String> = Vec::new();
        if prefer_object && let Some(with_object) = &with_object {
            candidates.push(with_object.clone());
        }
        candidates.push(base.to_string());
        candidates.extend(with_object);
        let id = candidates
            .into_iter()
            .find(|candidate| !self.ids.contains(candidate))
            .unwrap_or_else(|| {
                (2..)
                    .map(|n| format!("{base}-{n}"))
                    .find(|candidate| !self.ids.contains(candidate))
                    .expect("a free id")
            });
        self.ids.push(id.clone());
        id
    }

    /// The installed skill of that name.
    pub(super) fn skill_named(&self, name: &str) -> Option<&'a Skill> {
        self.skills.iter().find(|skill| skill.name == name)
    }

    /// The installed skill that does what a clause says, if one does.
    /// The ranking hears what its values are, as [`Builder::action`]'s
    /// does: "on db-02" is a host, which a skill taking a host speaks of.
    pub(super) fn installed_fitting(
        &self,
        clause: &[Tok],
        heard: &super::fit::ClauseWords,
    ) -> Option<&'a Skill> {
        let mut query = clause
            .iter()
            .map(|tok| tok.raw.as_str())
            .collect::<Vec<_>>()
            .join(" ");
        for (_, literal) in literals(clause) {
            query.push(' ');
            query.push_str(literal.evidence());
        }
        super::fit::choose(
            &super::fit::fitting(self.skills, &self.index, &query, heard),
            heard,
        )
    }

    /// Wires a step to the inputs its existing skill declares: a value
    /// given under another name than the skill's one unwired input is that
    /// input (a context key made for it takes the input's name), a required
    /// input the context holds by name reads it, and any other required
    /// input nobody gave becomes a placeholder to fill in. Inputs the skill
    /// does not take are left for validation to report.
    fn fit_inputs(&mut self, id: &str, inputs: &mut JsonMap, declared: &[Port], mark: usize) {
        let undeclared: Vec<String> = inputs
            .keys()
            .filter(|name| !declared.iter().any(|port| &port.name == *name))
            .cloned()
            .collect();
        let unwired: Vec<&Port> = declared
            .iter()
            .filter(|port| !inputs.contains_key(&port.name))
            .collect();
        if let ([given], [missing]) = (undeclared.as_slice(), unwired.as_slice())
            && let Some(value) = inputs.remove(given)
        {
            let own_key = value
                .as_str()
                .and_then(|text| text.strip_prefix("context."))
                .filter(|key| key == given)
                .and_then(|key| {
                    let at = self.added_context[mark..]
                        .iter()
                        .position(|(added, _)| added == key)?;
                    Some((key.to_string(), mark + at))
                });
            let value = match own_key {
                Some((key, at)) => {
                    let (_, held) = self.added_context.remove(at);
                    self.context.remove(&key);
                    let renamed = self.key(&missing.name, id, held);
                    json!(format!("context.{renamed}"))
                }
                None => value,
            };
            inputs.insert(missing.name.clone(), value);
        }
        for port in declared {
            if port.optional || inputs.contains_key(&port.name) {
                continue;
            }
            // The request gave a value by that name.
            if self.context.contains_key(&port.name) && !self.held_before.contains(&port.name) {
                inputs.insert(port.name.clone(), json!(format!("context.{}", port.name)));
                continue;
            }
            // "find the logs, pack them, copy the archive, then delete the
            // originals": an earlier step made what the input is named for.
            if let Some((maker, output)) = self.made.iter().rev().find(|(maker, output)| {
                *output == port.name && maker != id && self.ids.contains(maker)
            }) {
                inputs.insert(port.name.clone(), json!(format!("{maker}.{output}")));
                continue;
            }
            let key = self.key(
                &port.name,
                id,
                json!(format!("TODO: the {} for {id}", port.name)),
            );
            if !self.placeholders.contains(&key) {
                self.placeholders.push(key.clone());
            }
            inputs.insert(port.name.clone(), json!(format!("context.{key}")));
        }
    }

    /// Values the clause gives in words that an installed skill declares
    /// inputs for: "from USD to GBP" fills `from_currency` and
    /// `to_currency` (the word before "to" is the source when it is a thing
    /// of the same kind: "250 USD to GBP"), and the clause's one number an
    /// amount-like input.
    fn given_values(
        &mut self,
        id: &str,
        inputs: &mut JsonMap,
        skill: &Skill,
        plain: &[Tok],
        clause: &[Tok],
    ) {
        let Some(declared) = skill.declared().0 else {
            return;
        };
        // "the orders queue", "the Finance drive folder": the words before
        // an input's name name its value (less what names the skill).
        let name_parts: Vec<&str> = skill.name.split(['-', '_']).collect();
        // What a skill carries ("the daily summary text", "the csv file") is
        // no name of a thing to lift.
        const CARRIED: &[&str] = &[
            "body", "content", "data", "file", "files", "input", "message", "records", "rows",
            "text",
        ];
        for port in declared {
            if inputs.contains_key(&port.name) || CARRIED.contains(&port.name.as_str()) {
                continue;
            }
            // "OCR them in german": the language it works in.
            let language_port = port
                .name
                .to_lowercase()
                .split('_')
                .any(|part| ["language", "lang", "locale"].contains(&part));
            if language_port
                && let Some(language) = plain
                    .iter()
                    .find(|tok| crate::core::vocabulary::LANGUAGES.contains(&tok.word.as_str()))
            {
                let key = self.key(&port.name, id, json!(language.word.clone()));
                inputs.insert(port.name.clone(), json!(format!("context.{key}")));
                continue;
            }
            // "upsert them into pms_reservations": a name written for a
            // machine after "into" is the table a writer takes.
            if port.name == "table"
                && let Some(table) = clause.windows(2).find_map(|pair| {
                    (pair[0].is_any(&["into", "to", "in"])
                        && pair[1].raw.contains('_')
                        && pair[1]
                            .raw
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_'))
                    .then(|| pair[1].raw.clone())
                })
            {
                let key = self.key(&port.name, id, json!(table));
                inputs.insert(port.name.clone(), json!(format!("context.{key}")));
                continue;
            }
            // "for job ENG-4410", "project ios-app", "register 40001": the
            // thing the input names, then its value.
            let thing = port.name.to_lowercase();
            let thing = thing
                .strip_suffix("_id")
                .or_else(|| thing.strip_suffix("_name"))
                .unwrap_or(&thing);
            let named_value = clause.windows(2).find_map(|pair| {
                let value = &pair[1];
                let identifier = value.raw.chars().any(|c| c.is_ascii_digit())
                    || value.raw.contains('-')
                    || (value.raw.len() > 1 && value.raw.chars().all(|c| c.is_ascii_uppercase()));
                (same_word(&pair[0].word, thing)
                    && identifier
                    && !value.is_punctuation()
                    && !is_url(&value.raw)
                    && !is_path(&value.raw)
                    && !value.raw.contains('@'))
                .then(|| value.raw.clone())
            });
            if let Some(value) = named_value {
                let key = self.key(&port.name, id, json!(value));
                inputs.insert(port.name.clone(), json!(format!("context.{key}")));
                continue;
            }
            let Some(at) = plain
                .iter()
                .position(|tok| tok.word == port.name || lemma(&tok.word) == port.name)
            else {
                continue;
            };
            let names_skill = |tok: &Tok| name_parts.iter().any(|part| same_word(part, &tok.word));
            let mut end = at;
            while end > 1 && names_skill(&plain[end - 1]) {
                end -= 1;
            }
            let mut start = end;
            while start > 1 {
                let before = &plain[start - 1];
                if before.is_punctuation()
                    || is_stopword(&before.word)
                    || number(&before.word).is_some()
                    || names_skill(before)
                    || !before
                        .word
                        .chars()
                        .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                {
                    break;
                }
                start -= 1;
            }
            let named: Vec<&str> = plain[start..end]
                .iter()
                .map(|tok| tok.raw.as_str())
                .collect();
            let kind_word = plain[start..end].iter().any(|tok| {
                crate::core::vocabulary::technology_family(&tok.word).is_some()
                    || super::fit::noun_group(&tok.word).is_some()
            });
            if !named.is_empty() && start > 0 && !kind_word {
                let key = self.key(&port.name, id, json!(named.join(" ")));
                inputs.insert(port.name.clone(), json!(format!("context.{key}")));
                continue;
            }
            // "with the subject 'Beta news'": a setting's value follows its
            // name, up to the next mark or joining word.
            const SETTINGS: &[&str] = &["caption", "label", "subject", "title"];
            if SETTINGS.contains(&port.name.as_str()) {
                let after: Vec<&Tok> = plain[at + 1..]
                    .iter()
                    .take_while(|tok| {
                        !tok.is_punctuation()
                            && !tok.is_any(&["and", "then", "to", "for", "with", "on", "in"])
                    })
                    .collect();
                if !after.is_empty()
                    && after.len() <= 6
                    && !after.iter().all(|tok| is_stopword(&tok.word))
                {
                    let value: Vec<&str> = after.iter().map(|tok| tok.raw.as_str()).collect();
                    let value = value
                        .join(" ")
                        .trim_matches(|c: char| "'\"‘’“”".contains(c))
                        .to_string();
                    let key = self.key(&port.name, id, json!(value));
                    inputs.insert(port.name.clone(), json!(format!("context.{key}")));
                }
            }
        }
        let open = |inputs: &JsonMap, prefix: &str| -> Option<String> {
            declared
                .iter()
                .find(|port| port.name.starts_with(prefix) && !inputs.contains_key(&port.name))
                .map(|port| port.name.clone())
        };
        let word_at = |at: usize| {
            plain.get(at).filter(|tok| {
                !tok.is_punctuation()
                    && !is_stopword(&tok.word)
                    && number(&tok.word).is_none()
                    && tok.word.chars().all(|c| c.is_alphanumeric())
            })
        };
        let to = plain.iter().position(|tok| tok.is("to"));
        let target = to.and_then(|at| word_at(at + 1));
        let source = plain
            .iter()
            .position(|tok| tok.is("from"))
            .and_then(|at| word_at(at + 1))
            .or_else(|| {
                let before = word_at(to?.checked_sub(1)?)?;
                let target = target?;
                let group = super::fit::noun_group(&before.word)?;
                (super::fit::noun_group(&target.word) == Some(group)).then_some(before)
            });
        let mut give = |inputs: &mut JsonMap, input: String, value: Value| {
            let key = self.key(&input, id, value);
            inputs.insert(input, json!(format!("context.{key}")));
        };
        if let (Some(source), Some(target)) = (source, target)
            && let Some(from) = open(inputs, "from_")
            && let Some(into) = open(inputs, "to_")
        {
            give(inputs, from, json!(source.raw));
            give(inputs, into, json!(target.raw));
        }
        // "delete the originals older than 30 days": a duration goes to the
        // input kept in a unit of time (`older_than_days`), in that unit.
        let spans = super::text::durations(clause);
        if let [duration] = spans.as_slice()
            && let Some((port, unit_ms)) = declared.iter().find_map(|port| {
                let unit_ms = super::text::name_unit_ms(&port.name)?;
                (!inputs.contains_key(&port.name)).then_some((port, unit_ms))
            })
            && duration.ms % unit_ms == 0
            && retry_settings(clause).is_none()
            && timeout_in(clause).is_none()
        {
            give(inputs, port.name.clone(), json!(duration.ms / unit_ms));
        }
        // A number with no unit or count after it ("250 USD", not "3
        // times" or "30 seconds").
        let numbers: Vec<f64> = clause
            .iter()
            .enumerate()
            .filter(|(at, _)| {
                !clause.get(at + 1).is_some_and(|next| {
                    next.is_any(crate::core::vocabulary::UNITS)
                        || next.is_any(&["times", "attempts", "retries", "tries"])
                })
            })
            .filter_map(|(_, tok)| number(&tok.word))
            .collect();
        if let [value] = numbers.as_slice()
            && let Some(port) = declared.iter().find(|port| {
                ["amount", "value", "quantity"].contains(&port.name.as_str())
                    && !inputs.contains_key(&port.name)
            })
        {
            give(inputs, port.name.clone(), super::text::number_json(*value));
        }
    }

    /// A skill step doing what the clause says, reading `reads`.
    pub fn action(
        &mut self,
        clause: &[Tok],
        reads: &[Producer],
        prefer_object: bool,
    ) -> Option<Step> {
        let clause = strip_fillers(clause);
        let context_mark = self.added_context.len();
        let found = literals(clause);
        let literal_tokens: Vec<usize> = found
            .iter()
            .flat_map(|(tokens, _)| tokens.iter().copied())
            .collect();
        let handling = retry_settings(clause).map(|(attempts, backoff)| {
            let mut handling = ErrorHandling::with_strategy(crate::core::model::Strategy::Retry);
            handling.max_attempts = Some(attempts.unwrap_or(3));
            handling.backoff = Some(backoff.unwrap_or(crate::core::model::Backoff::Exponential));
            handling
        });
        let modifiers = modifier_phrases(clause);
        let timeout = timeout_in(clause).or_else(|| modifiers.iter().find_map(|(_, secs)| *secs));
        const MODIFIERS: &[&str] = &[
            "retry",
            "retries",
            "retrying",
            "attempts",
            "times",
            "backoff",
            "exponential",
            "linear",
            "fixed",
            "timeout",
            "within",
            "seconds",
            "minutes",
            "twice",
            "thrice",
        ];
        let plain: Vec<Tok> = clause
            .iter()
            .enumerate()
            .filter(|(index, tok)| {
                !literal_tokens.contains(index)
                    && !modifiers.iter().any(|(range, _)| range.contains(index))
                    && !tok.is_any(MODIFIERS)
                    && count(&tok.word).is_none()
            })
            .map(|(_, tok)| tok.clone())
            .collect();
        let first = plain.iter().find(|tok| !tok.is_punctuation())?;
        let words: Vec<&str> = plain.iter().map(|tok| tok.word.as_str()).collect();
        // A skill named outright ("add an http-fetch step"): its concept
        // comes from its name.
        let named_skill = plain
            .iter()
            .enumerate()
            .find(|(index, tok)| {
                // "the on-call engineer" is no skill: a hyphenated word names
                // one when it exists, or the words around it say so.
                let said = plain
                    .get(index + 1)
                    .is_some_and(|next| next.is_any(&["skill", "step", "tool"]))
                    || index.checked_sub(1).is_some_and(|before| {
                        plain[before].is_any(&["using", "use", "via", "with", "run", "runs"])
                    });
                let exists = self
                    .skills
                    .iter()
                    .any(|skill| skill.name.eq_ignore_ascii_case(&tok.word));
                (said || exists)
                    && tok.word.contains('-')
                    && !is_url(&tok.raw)
                    && !is_path(&tok.raw)
                    && tok
                        .word
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            })
            .map(|(_, tok)| tok.word.clone());
        let mut concept = match &named_skill {
            Some(name) => CONCEPTS
                .iter()
                .find(|concept| concept.skill == name)
                .or_else(|| name.split('-').find_map(|part| concepts_of(part).next()))
                .or_else(|| concept_for(&plain)),
            None => concept_for(&plain),
        };
        let has_path = found
            .iter()
            .any(|(_, literal)| matches!(literal, Literal::Path(_)));
        let has_table = found
            .iter()
            .any(|(_, literal)| matches!(literal, Literal::Table(_)));
        if concept.is_some_and(|concept| concept.key == "save") && has_path && !has_table {
            concept = CONCEPTS.iter().find(|concept| concept.key == "export");
        }
        // "check https://…/health": checking a URL checks its health.
        let has_url = found
            .iter()
            .any(|(_, literal)| matches!(literal, Literal::Url(_)));
        if has_url
            && concept.is_some_and(|concept| concept.key == "validate")
            && let Some(monitor) = CONCEPTS.iter().find(|concept| concept.key == "monitor")
            && plain
                .iter()
                .find(|tok| !tok.is_punctuation())
                .is_some_and(|first| monitor.has_verb(&first.word))
        {
            concept = Some(monitor);
        }
        // "read the records from https://…" fetches them.
        if has_url
            && concept.is_some_and(|concept| concept.key == "read")
            && !found
                .iter()
                .any(|(_, literal)| matches!(literal, Literal::Path(_)))
        {
            concept = CONCEPTS.iter().find(|concept| concept.key == "fetch");
        }
        // "load it into the metrics table" writes to a database.
        if concept.is_some_and(|concept| concept.key == "read") && has_table && !has_path {
            concept = CONCEPTS.iter().find(|concept| concept.key == "save");
        }
        let verb = lemma(&first.word);
        let object = object_noun(&plain[1..]).filter(|object| Some(object) != named_skill.as_ref());
        let base = concept.map_or_else(|| kebab(&[&verb]), |concept| concept.key.to_string());
        let id = self.unique_id(&base, object.as_deref(), prefer_object);

        // Inputs: the previous output, then the literals.
        let mut inputs = JsonMap::new();
        // The values lifted out of the clause still say what the step
        // takes (a table, a URL, an address, a channel).
        let mut evidence: Vec<&str> = words.clone();
        evidence.extend(found.iter().map(|(_, literal)| literal.evidence()));
        // The skill: one named outright, else the best ranked installed
        // skill that does what the clause says (see fit.rs).
        let heard = super::fit::clause_words(clause, &self.antecedent);
        let existing = match named_skill
            .as_deref()
            .and_then(|name| self.skills.iter().find(|skill| skill.name == name))
        {
            Some(skill) => Some(skill),
            None => {
                let query = format!("{} {}", described(clause), evidence.join(" "));
                let fitting = super::fit::fitting(self.skills, &self.index, &query, &heard);
                let chosen = super::fit::choose(&fitting, &heard);
                let alike = super::fit::equally_fitting_tools(&fitting, &heard);
                if alike.len() >= 2 {
                    self.undecided.push((described(clause), alike));
                }
                if chosen.is_none()
                    && let Some(skill) =
                        super::fit::passed_over(self.skills, &self.index, &query, &heard)
                {
                    self.passed_over.push((described(clause), skill));
                }
                chosen
            }
        };
        if !heard.object.is_empty() {
            self.antecedent = heard.object.clone();
        }
        // "render the totals into html, turn it into a pdf": "it" is also
        // what the installed skill made.
        if let Some(skill) = existing {
            for output in skill.output_names() {
                let output = output.to_lowercase();
                if !self.antecedent.contains(&output) {
                    self.antecedent.push(output);
                }
            }
        }
        // The installed skill says what kind of step this is.
        if let Some(skill) = existing
            && concept.is_some_and(|concept| !concept_describes(concept, skill))
        {
            // By what its name says it does (`file-digest` digests), not by
            // the generic part naming what it works on.
            concept = skill
                .name
                .split(['-', '_'])
                .filter(|part| !crate::core::vocabulary::GENERIC_NAME_PARTS.contains(part))
                .find_map(|part| concepts_of(part).find(|found| concept_describes(found, skill)));
        }
        let literal_inputs = ["url", "path", "table", "schema", "to", "channel"];
        // What the step is given goes where the skill takes its payload:
        // an email's body, not its subject.
        let settings = [
            "subject", "title", "level", "kind", "format", "name", "mode",
        ];
        // What is read goes to the input named for it ("html" from the
        // render), else to one named for a payload ("data"), else to the
        // first other open one.
        const CARRIERS: &[&str] = &[
            "body", "content", "data", "input", "payload", "records", "rows", "text",
        ];
        let by_name = existing.and_then(|skill| match reads {
            [single] => skill
                .input_names()
                .find(|input| *input == single.output)
                .map(str::to_string),
            _ => None,
        });
        let carrier = existing.and_then(|skill| {
            skill
                .input_names()
                .find(|input| CARRIERS.contains(input))
                .map(str::to_string)
        });
        let data_input = by_name
            .clone()
            .or(carrier.clone())
            .or_else(|| {
                existing.and_then(|skill| {
                    // A key, an address or a name is a setting, never
                    // what the step before made ("routing_key" is no
                    // latency).
                    let setting = |input: &str| {
                        input.split('_').any(|part| {
                            [
                                "key",
                                "token",
                                "secret",
                                "id",
                                "url",
                                "host",
                                "channel",
                                "recipient",
                                "routing",
                                "phone",
                                "bucket",
                                "topic",
                            ]
                            .contains(&part)
                        })
                    };
                    let open: Vec<&str> = skill
                        .input_names()
                        .filter(|input| !literal_inputs.contains(input) && !setting(input))
                        .collect();
                    open.iter()
                        .find(|input| !settings.contains(*input))
                        .or(open.first())
                        .map(|input| input.to_string())
                })
            })
            .unwrap_or_else(|| "data".to_string());
        // "load the result into bigquery": a step that reads nothing by its
        // kind still takes what "it" is, when its skill has an input for it.
        let takes_it = existing
            .is_some_and(|skill| skill.input_names().any(|input| input == data_input))
            && !heard.borrowed.is_empty();
        // "compare the schema with …" after the migrations: a skill with no
        // input for what the step before made, and a clause that does not
        // speak of it, does not read it.
        let unrelated = existing.is_some_and(|_| {
            by_name.is_none() && carrier.is_none() && heard.borrowed.is_empty()
        }) && !words.iter().any(|word| ["it", "them", "this", "that"].contains(word))
            // …and the input it would take is a value the workflow already
            // holds by that name (the database's `dsn`).
            && self.context.contains_key(&data_input);
        if (concept.is_none_or(|concept| concept.reads_data) || takes_it) && !unrelated {
            match reads {
                [] => {}
                [single] => {
                    // "text the report": the output the clause names.
                    let named = single
                        .outputs
                        .iter()
                        .find(|output| words.iter().any(|word| same_word(word, output)));
                    let mut reference = single.clone();
                    if let Some(named) = named {
                        reference.output = named.clone();
                    }
                    inputs.insert(data_input.clone(), json!(reference.reference()));
                }
                several => {
                    let unique_outputs = several.iter().all(|producer| {
                        several
                            .iter()
                            .filter(|other| other.output == producer.output)
                            .count()
                            == 1
                    });
                    for producer in several {
                        let name = if unique_outputs {
                            producer.output.clone()
                        } else {
                            producer.id.clone()
                        };
                        inputs.insert(name, json!(producer.reference()));
                    }
                }
            }
        }
        let mentions = |word: &str| words.iter().any(|candidate| same_word(candidate, word));
        for (_, literal) in &found {
            let (input, base_key, value) = match literal {
                Literal::Url(url)
                    if concept.is_some_and(|concept| {
                        matches!(concept.key, "upload" | "export" | "save" | "backup")
                    }) =>
                {
                    ("destination", "destination", url)
                }
                Literal::Url(url) => (
                    "url",
                    if mentions("api") || url.contains("api") {
                        "api_url"
                    } else {
                        "url"
                    },
                    url,
                ),
                Literal::Path(path) => {
                    let schema = mentions("schema")
                        || concept.is_some_and(|concept| concept.key == "validate");
                    let key = if schema {
                        "schema"
                    } else {
                        match concept.map(|concept| concept.key) {
                            Some("read") => "input_path",
                            Some("export" | "save" | "upload" | "backup" | "compress") => {
                                "output_path"
                            }
                            _ => "path",
                        }
                    };
                    (if schema { "schema" } else { "path" }, key, path)
                }
                Literal::Table(table) => ("table", "table", table),
                Literal::Email(address) => ("to", "recipient", address),
                Literal::Channel(channel) => ("channel", "channel", channel),
                Literal::Bucket(bucket) => ("bucket", "bucket", bucket),
                Literal::Host(host) => ("host", "host", host),
                Literal::Phone(phone) => ("phone", "phone", phone),
            };
            // A reused skill takes the value under the input it declares
            // for it; an s3:// address is a bucket.
            let mut input = existing
                .and_then(|skill| declared_input(skill, literal))
                .unwrap_or_else(|| input.to_string());
            // "copy the archive to /mnt/archive/api": the input already takes
            // what the step before made, so the place is where it goes.
            let wired_to_a_step = inputs
                .get(&input)
                .and_then(Value::as_str)
                .is_some_and(|source| !source.starts_with("context."));
            if wired_to_a_step
                && let Some(place) = existing.and_then(|skill| {
                    skill.input_names().find(|name| {
                        !inputs.contains_key(*name)
                            && name.split('_').any(|part| {
                                ["dest", "destination", "dir", "folder", "target", "output"]
                                    .contains(&part)
                            })
                    })
                })
            {
                input = place.to_string();
            }
            // A value the skill names for what it is (a bucket, a broker, a
            // topic) is kept under that name.
            let base_key = match input.as_str() {
                "bucket" | "broker" | "topic" => input.as_str(),
                _ => base_key,
            };
            let key = self.key(base_key, &id, json!(value));
            // "merge exports/a.csv and exports/b.csv": a skill qwf makes
            // takes each value given; an installed one takes what it
            // declares, and a value left over is reported by coverage.
            let input = if existing.is_none() && inputs.contains_key(&input) {
                (2..)
                    .map(|n| format!("{input}_{n}"))
                    .find(|numbered| !inputs.contains_key(numbered))
                    .unwrap_or(input)
            } else {
                input
            };
            inputs.insert(input, json!(format!("context.{key}")));
        }
        // What the step cannot work without: the concept's need, unless an
        // installed skill is used that declares no input of that kind.
        let needs = concept.and_then(|concept| concept.needs).filter(|needs| {
            existing.is_none_or(|skill| {
                let kind: &[&str] = match needs {
                    Needs::Url => &["url", "endpoint", "feed"],
                    Needs::Path => &["path", "file", "dir"],
                    Needs::Table => &["table"],
                };
                skill.input_names().any(|input| {
                    let input = input.to_lowercase();
                    kind.iter()
                        .any(|hint| input.split('_').any(|part| part == *hint))
                })
            })
        });
        if let Some(needs) = needs {
            let inherited = |wanted: fn(&Literal) -> Option<&String>| {
                self.inherited.iter().find_map(wanted).cloned()
            };
            let inherited_url = inherited(|literal| {
                if let Literal::Url(url) = literal {
                    Some(url)
                } else {
                    None
                }
            });
            let inherited_path = inherited(|literal| {
                if let Literal::Path(path) = literal {
                    Some(path)
                } else {
                    None
                }
            });
            let placeholder = match needs {
                Needs::Url
                    if !found
                        .iter()
                        .any(|(_, literal)| matches!(literal, Literal::Url(_))) =>
                {
                    match inherited_url {
                        Some(url) => Some((
                            "url",
                            if mentions("api") || url.contains("api") {
                                "api_url"
                            } else {
                                "url"
                            },
                            url,
                        )),
                        None => Some((
                            "url",
                            if mentions("api") { "api_url" } else { "url" },
                            "TODO: the URL to fetch".to_string(),
                        )),
                    }
                }
                Needs::Path if !has_path => match inherited_path {
                    Some(path) => Some((
                        "path",
                        if base == "read" {
                            "input_path"
                        } else {
                            "output_path"
                        },
                        path,
                    )),
                    None => Some((
                        "path",
                        if base == "read" {
                            "input_path"
                        } else {
                            "output_path"
                        },
                        "TODO: the file path".to_string(),
                    )),
                },
                Needs::Table
                    if !has_table
                        && (mentions("database") || mentions("db") || mentions("table")) =>
                {
                    Some(("table", "table", "TODO: the table name".to_string()))
                }
                _ => None,
            };
            if let Some((input, base_key, value)) = placeholder {
                let todo = value.starts_with("TODO");
                let key = self.key(base_key, &id, json!(value));
                if todo && !self.placeholders.contains(&key) {
                    self.placeholders.push(key.clone());
                }
                inputs.insert(input.to_string(), json!(format!("context.{key}")));
            }
        }
        // Thresholds and sizes written in the clause: "where the amount is
        // above 1000", "in batches of 100".
        if let Some((at, end, _)) = COMPARATORS.iter().find_map(|(phrase, op)| {
            super::text::find_phrase(clause, phrase)
                .map(|at| (at, at + phrase.split(' ').count(), *op))
        }) && let Some(value) = clause[end..]
            .iter()
            .find_map(|tok| number(tok.word.trim_end_matches('%')))
        {
            let subject = clause[..at]
                .iter()
                .rev()
                .find(|tok| !is_stopword(&tok.word) && !tok.is_punctuation())
                .map(|tok| identifier(&tok.word));
            let base_key = subject.map_or_else(
                || "threshold".to_string(),
                |subject| format!("{subject}_threshold"),
            );
            let key = self.key(&base_key, &id, super::text::number_json(value));
            inputs.insert("threshold".to_string(), json!(format!("context.{key}")));
        }
        if let Some(at) = super::text::find_phrase(clause, "batches of")
            .or_else(|| super::text::find_phrase(clause, "batch size of"))
            && let Some(size) = clause[at..].iter().find_map(|tok| count(&tok.word))
        {
            let key = self.key("batch_size", &id, json!(size));
            inputs.insert("batch_size".to_string(), json!(format!("context.{key}")));
        }

        // The skill: reuse, or propose one.
        let generic_object = object
            .as_deref()
            .filter(|object| !matches!(*object, "data" | "it" | "them" | "results" | "result"));
        let outputs: Vec<String> = match existing {
            // An installed skill that declares its outputs produces those
            // and nothing else (`[]`: nothing a later step can read).
            Some(skill) if skill.declared().1.is_some() => skill.output_list(),
            _ => match concept {
                Some(concept) if matches!(concept.key, "fetch" | "read") => {
                    vec![
                        generic_object
                            .filter(|object| !concept.has_word(object))
                            .unwrap_or("data")
                            .to_string(),
                    ]
                }
                Some(concept) => concept
                    .output
                    .map(|output| vec![output.to_string()])
                    .unwrap_or_default(),
                None => vec!["result".to_string()],
            },
        };
        let skill_name = match existing {
            Some(skill) => {
                if !self.reused.contains(&skill.name) {
                    self.reused.push(skill.name.clone());
                }
                skill.name.clone()
            }
            None => {
                let (name, mut skill) = match concept {
                    Some(concept) => {
                        let name = named_skill
                            .clone()
                            .unwrap_or_else(|| concept.skill.to_string());
                        (name.clone(), concept.new_skill(&name, Vec::new()))
                    }
                    None => {
                        let agent = agent_noun(&verb);
                        let name = match generic_object {
                            Some(object) => kebab(&[object.trim_end_matches('s'), &agent]),
                            None => kebab(&[&agent]),
                        };
                        let skill = Skill {
                            name: name.clone(),
                            skill_type: SkillType::CodeInline,
                            description: described(clause),
                            command: format!("python3 {}.py", verb.replace('-', "_")),
                            inputs: Some(Vec::new()),
                            outputs: Some(Port::names(outputs.clone())),
                            extra: Default::default(),
                        };
                        (name, skill)
                    }
                };
                // An installed skill of that name does not do this (it
                // would have been chosen): the new one is named for the task.
                let (name, mut skill) = if self.skills.iter().any(|known| known.name == name) {
                    let task = match generic_object {
                        Some(object) => kebab(&[&verb, object]),
                        None => kebab(&[&verb, "task"]),
                    };
                    let name = std::iter::once(task.clone())
                        .chain((2..).map(|n| format!("{task}-{n}")))
                        .find(|candidate| !self.skills.iter().any(|known| known.name == *candidate))
                        .expect("a free name");
                    skill.name = name.clone();
                    skill.description = described(clause);
                    (name, skill)
                } else {
                    (name, skill)
                };
                if !self.new_skills.iter().any(|known| known.name == name) {
                    skill.inputs = Some(Port::names(inputs.keys().cloned()));
                    if concept.is_none() {
                        skill.outputs = Some(Port::names(outputs.clone()));
                    }
                    self.new_skills.push(skill);
                }
                name
            }
        };
        if let Some(skill) = existing
            && let (Some(declared), _) = skill.declared()
        {
            self.given_values(&id, &mut inputs, skill, &plain, clause);
            self.fit_inputs(&id, &mut inputs, declared, context_mark);
        }
        let mut step = Step::skill(id, skill_name);
        // A bare noun ("a logging step") says less than the concept does.
        let content_words = clause
            .iter()
            .filter(|tok| !tok.is_punctuation() && !is_stopword(&tok.word))
            .count();
        step.description = match concept {
            Some(concept) if content_words <= 1 => Some(concept.description.to_string()),
            _ => Some(described(clause)),
        };
        step.inputs = inputs;
        step.outputs = outputs;
        step.timeout_secs = timeout;
        step.error_handling = handling;
        for output in &step.outputs {
            self.made.push((step.id.clone(), output.clone()));
        }
        Some(step)
    }
}
