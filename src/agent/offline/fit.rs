//! Whether an installed skill does what a clause asks: the rule that picks
//! a skill for a new step among the ones the registry ranking finds, and
//! that the coverage check applies again to what was built.
//!
//! A skill fits a clause when
//! - it does the clause's action: it speaks of the clause's verb (by name,
//!   description, inputs or outputs, or a synonym), or, after a verb that
//!   says little ("check", "get", "make", "run"), of the clause's object;
//! - and what its name says it works on is in the clause: every noun of
//!   its name is said by the clause (or by what "it" stands for), except
//!   parts that say nothing of the object (`data`, `usage`), parts that are
//!   verbs (`resizer`, `lookup`), and technologies the clause does not
//!   contradict (`s3-upload` fits "upload it", not "upload it to ftp").
//!
//! So `image-resizer` does not resize an EBS volume, `disk-free` does not
//! report free memory, and `logger` does not compress backups.

use crate::core::ranking::SkillIndex;
use crate::core::skill::Skill;
use crate::core::vocabulary as vocab;

use super::build::{PREPOSITIONS, is_path, is_url, literals, strip_fillers};
use super::concepts::{concepts_of, is_verb};
use super::text::{Tok, is_stopword, lemma, number, same_stem, same_word, stem};

/// The words of a clause, read once for fitting skills to it.
#[derive(Debug, Clone, Default)]
pub(super) struct ClauseWords {
    /// Its verb, in its base form.
    pub verb: Option<String>,
    /// The content words of its object: what the verb acts on.
    pub object: Vec<String>,
    /// Every content word, with what its pronouns stand for.
    pub all: Vec<String>,
    /// The kinds of its values: "url", "file", "email", "table", …
    pub kinds: Vec<String>,
    /// The payload nouns it names ("rows", "records"): no action, but what
    /// a skill's name may speak of.
    pub payload: Vec<String>,
    /// The words inside its values: a path's folders, a URL's host and
    /// path. They say what a skill's name may speak of, no more.
    pub values: Vec<String>,
    /// Whether it names a web address (something to fetch).
    pub has_url: bool,
    /// What it says is not meant: "check the cpu usage (not the
    /// temperature!)".
    pub excluded: Vec<String>,
    /// The words of `all` that stand for "it": said by an earlier clause.
    pub borrowed: Vec<String>,
    /// What the clause before spoke of and its step made: "the tarball"
    /// after a step that outputs one is no new thing.
    pub antecedent: Vec<String>,
    /// How many words of `object` come before its first "of": "the
    /// connection pool of the billing service" is a pool.
    pub before_of: Option<usize>,
    /// What a thing is made into: "text" in "turn the recordings into
    /// text".
    pub made_into: Option<String>,
}

fn words_of_value(raw: &str) -> Vec<String> {
    let lower = raw.to_lowercase();
    let mut words: Vec<String> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|part| part.len() >= 2 && !is_stopword(part) && number(part).is_none())
        .map(str::to_string)
        .collect();
    // "sha-256" is what a skill names `sha256`.
    let joined: String = lower.chars().filter(|c| c.is_alphanumeric()).collect();
    if joined.len() <= 12
        && joined.chars().any(|c| c.is_ascii_digit())
        && joined.chars().any(|c| c.is_alphabetic())
        && !words.contains(&joined)
    {
        words.push(joined);
    }
    words
}

/// Reads a clause; `antecedent` is what "it"/"them" stands for (the
/// previous clause's object).
pub(super) fn clause_words(clause: &[Tok], antecedent: &[String]) -> ClauseWords {
    let clause = strip_fillers(clause);
    let found = literals(clause);
    let literal_at: Vec<usize> = found
        .iter()
        .flat_map(|(tokens, _)| tokens.iter().copied())
        .collect();
    let speaking = super::text::speaker_clauses(clause);
    let mut all: Vec<String> = Vec::new();
    let mut values: Vec<String> = Vec::new();
    let mut kind_words: Vec<String> = Vec::new();
    let mut payload: Vec<String> = Vec::new();
    let mut verb = None;
    let mut object = Vec::new();
    let mut in_object = false;
    let mut pronoun = false;
    let mut has_url = false;
    let mut excluded: Vec<String> = Vec::new();
    let mut negated = false;
    let mut before_of = None;
    // "retrying up to 4 times", "give it at most 15 seconds": how the step
    // runs, not what it does.
    let modifying: Vec<usize> = super::build::modifier_phrases(clause)
        .into_iter()
        .flat_map(|(range, _)| range)
        .collect();
    // What kind of value a literal is says what the step works with.
    for (_, literal) in &found {
        use super::build::Literal;
        let kinds: &[&str] = match literal {
            Literal::Url(url) if url.starts_with("http") => {
                has_url = true;
                &["url"]
            }
            Literal::Url(_) => &["url"],
            // "/var/log/api/*.log": a glob pattern naming files.
            Literal::Path(path) if path.contains(['*', '?']) => {
                values.extend(
                    ["glob", "pattern", "files", "path"]
                        .iter()
                        .map(|word| word.to_string()),
                );
                &["file"]
            }
            // A path is on a local disk.
            Literal::Path(path) => {
                values.push("path".to_string());
                // A path with no file name's dot is a folder.
                let last = path
                    .trim_end_matches('/')
                    .rsplit('/')
                    .next()
                    .unwrap_or(path);
                if !last.contains('.') {
                    values.extend(["dir".to_string(), "folder".to_string()]);
                }
                if path.starts_with('/') {
                    values.extend(["local".to_string(), "disk".to_string()]);
                }
                &["file"]
            }
            Literal::Table(_) => &["table"],
            Literal::Email(_) => &["email"],
            Literal::Channel(_) => &["channel"],
            Literal::Bucket(_) => &["bucket"],
            Literal::Host(_) => &["host"],
            Literal::Phone(_) => &["phone"],
        };
        kind_words.extend(kinds.iter().map(|kind| kind.to_string()));
    }
    for (index, tok) in clause.iter().enumerate() {
        if tok.is_punctuation() {
            in_object = false;
            negated = false;
            continue;
        }
        // "(not the temperature!)": what follows "not" is set aside, up to
        // the next mark.
        if verb.is_some() && tok.is_any(&["not", "except"]) {
            negated = true;
            continue;
        }
        if negated {
            if !is_stopword(&tok.word) {
                excluded.push(tok.word.clone());
            }
            continue;
        }
        if modifying.contains(&index) && verb.is_some() {
            in_object = false;
            continue;
        }
        if literal_at.contains(&index) || is_url(&tok.raw) || is_path(&tok.raw) {
            // "#ml-team" is where to post, named by its people: no word of
            // it names a tool (`teams-post`).
            if !tok.raw.starts_with('#') {
                values.extend(words_of_value(&tok.raw));
            }
            in_object = false;
            continue;
        }
        // "… before we share the album": what people do, not the step.
        if speaking[index] {
            in_object = false;
            continue;
        }
        // "sha-256", "ENG-4410": a name with a digit, which a skill's name
        // may say (`sha256-sum`) but which is no thing of its own.
        if tok.raw.contains('-')
            && tok.raw.chars().any(|c| c.is_ascii_digit())
            && tok.raw.chars().any(|c| c.is_ascii_alphabetic())
        {
            values.extend(words_of_value(&tok.raw));
            in_object = false;
            continue;
        }
        let word = tok.word.as_str();
        if verb.is_none() {
            // "back up the database", "back them up", "add up the totals":
            // one verb in two words.
            let up_follows = clause
                .iter()
                .skip(index + 1)
                .take(2)
                .any(|next| next.is("up"));
            // "turn it into a pdf", "make a pdf out of the page": one
            // thing made into another is converted.
            let made_into = clause.iter().skip(index + 1).any(|next| next.is("into"))
                || clause
                    .windows(2)
                    .skip(index + 1)
                    .any(|pair| pair[0].is("out") && pair[1].is("of"));
            // "find out which IP …", "figure out whether …": what is found
            // out is said by the rest of the clause.
            let out_follows = clause.get(index + 1).is_some_and(|next| next.is("out"))
                && !clause.get(index + 2).is_some_and(|next| next.is("of"));
            // "how much free memory is left": asking how much there is
            // checks it.
            let amount_follows = clause
                .get(index + 1)
                .is_some_and(|next| next.is_any(&["much", "many"]));
            // "put them into Welsh": made into a language is translated.
            let into_language = clause.windows(2).skip(index + 1).any(|pair| {
                pair[0].is("into") && vocab::LANGUAGES.contains(&pair[1].word.as_str())
            });
            // "write down what the callers said": transcribed.
            let speech_written = clause.get(index + 1).is_some_and(|next| next.is("down"))
                && clause[index + 1..]
                    .iter()
                    .any(|tok| tok.is_any(&["said", "say", "says", "spoke", "speak", "saying"]));
            let joined = match lemma(word).as_str() {
                "put" | "turn" | "change" | "make" | "get" | "render" if into_language => {
                    Some("translate".to_string())
                }
                "write" | "take" | "jot" if speech_written => Some("transcribe".to_string()),
                "find" | "figure" | "work" if out_follows => Some("check".to_string()),
                // "pull out the supplier and total": extracts them.
                "pull" | "take" if out_follows => Some("extract".to_string()),
                "how" if amount_follows => Some("check".to_string()),
                "back" if up_follows => Some("backup".to_string()),
                "add" if up_follows => Some("sum".to_string()),
                "turn" | "change" | "make" if made_into => Some("convert".to_string()),
                _ => None,
            };
            verb = Some(joined.unwrap_or_else(|| lemma(word)));
            in_object = true;
            continue;
        }
        if tok.is_any(&["it", "them", "this", "that", "these", "those"]) {
            pronoun = true;
        }
        // "back to the depot", "away", "off": where, not what.
        if tok.is_any(&["back", "away", "off"]) && index > 1 {
            in_object = false;
            continue;
        }
        if tok.is("up")
            || (tok.is_any(&["out", "much", "many"])
                && index == 1
                && verb.as_deref() == Some("check"))
            || (tok.is("out") && index == 1 && verb.as_deref() == Some("extract"))
        {
            continue;
        }
        // "free memory is left on app-02": what is said of the object ends
        // it.
        if tok.is_any(&["is", "are"]) {
            in_object = false;
        }
        if tok.is("of") && in_object && !object.is_empty() && before_of.is_none() {
            before_of = Some(object.len());
        }
        // "check each order": a determiner right after the verb, not the
        // start of "every hour".
        let determiner = tok.is_any(&["each", "every"])
            && object.is_empty()
            && clause.get(index + 1).is_some_and(|next| {
                !vocab::SCHEDULE.contains(&next.word.as_str())
                    && !vocab::UNITS.contains(&next.word.as_str())
                    && !next.is_any(&["of", "one", "time"])
            });
        if determiner {
            continue;
        }
        let out_of = tok.is("out") && clause.get(index + 1).is_some_and(|next| next.is("of"));
        if PREPOSITIONS.contains(&word)
            || out_of
            || tok.is_any(&["i", "we", "you", "they", "which", "who", "whether"])
        {
            in_object = false;
        }
        if vocab::PAYLOAD.contains(&word) {
            payload.push(word.to_string());
        }
        if is_stopword(word)
            || vocab::FILLERS.contains(&word)
            || vocab::PAYLOAD.contains(&word)
            || number(word).is_some()
        {
            continue;
        }
        let word = word.trim_start_matches('#').to_string();
        if in_object {
            object.push(word.clone());
        }
        all.push(word);
    }
    let made_into = clause
        .iter()
        .position(|tok| tok.is("into"))
        .and_then(|at| {
            clause[at + 1..]
                .iter()
                .find(|tok| !is_stopword(&tok.word) && !tok.is_punctuation())
        })
        .map(|tok| tok.word.clone());
    let mut borrowed = Vec::new();
    if pronoun || object.is_empty() {
        borrowed = antecedent
            .iter()
            .filter(|word| !all.contains(word))
            .cloned()
            .collect();
        all.extend(borrowed.iter().cloned());
    }
    ClauseWords {
        verb: verb.filter(|verb| verb != "up"),
        object,
        all,
        kinds: kind_words,
        payload,
        values,
        has_url,
        excluded,
        borrowed,
        before_of,
        made_into,
        antecedent: antecedent
            .iter()
            .flat_map(|word| {
                std::iter::once(word.clone()).chain(
                    word.split('_')
                        .filter(|part| part.len() >= 3 && *part != word.as_str())
                        .map(str::to_string),
                )
            })
            .collect(),
    }
}

/// The words a skill speaks of: its name's parts (and what their short
/// forms stand for), its description, its inputs and outputs.
fn skill_words(skill: &Skill) -> Vec<String> {
    let mut words = Vec::new();
    let mut push = |text: &str| {
        for part in text
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|part| !part.is_empty() && !is_stopword(part))
        {
            words.extend(vocab::expand(part).iter().map(|long| long.to_string()));
            words.push(part.to_string());
        }
    };
    push(&skill.name);
    push(&skill.description);
    for name in skill.input_names().chain(skill.output_names()) {
        push(name);
    }
    words
}

/// The kinds of step (concept keys) a skill's actions belong to.
pub(super) fn action_concepts(skill: &Skill) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for action in skill_actions(skill) {
        for concept in concepts_of(&action) {
            if !keys.contains(&concept.key) {
                keys.push(concept.key);
            }
        }
    }
    keys
}

/// What a skill does: the verbs of its name ("resizer" → "resize") and
/// the verbs its description starts with ("Insert or update rows …").
fn skill_actions(skill: &Skill) -> Vec<String> {
    let mut actions = Vec::new();
    let name = skill.name.to_lowercase();
    // "email-validator": a doer ("validator") says what it does, and the
    // rest of the name what it does it to.
    let mut doers = Vec::new();
    let mut verbs = Vec::new();
    for part in name.split(['-', '_']) {
        if is_verb(part) {
            verbs.push(part.to_string());
        }
        for ending in ["er", "or"] {
            if let Some(base) = part.strip_suffix(ending) {
                for candidate in [base.to_string(), format!("{base}e")] {
                    if is_verb(&candidate) {
                        doers.push(candidate);
                    }
                }
            }
        }
    }
    actions.extend(if doers.is_empty() { verbs } else { doers });
    let description: Vec<String> = skill
        .description
        .to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(4)
        .map(str::to_string)
        .collect();
    if let Some(first) = description.first() {
        actions.push(first.clone());
        // "Pull the supplier, date and total out of an invoice's text":
        // what is pulled out is extracted.
        let out = skill
            .description
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .any(|word| word == "out");
        if out && ["pull", "take", "get"].contains(&first.as_str()) {
            actions.push("extract".to_string());
        }
    }
    // "Compute the SHA-256 checksum of a file": what is computed names
    // the action ("hash it").
    if description.first().is_some_and(|first| {
        [
            "calculate",
            "compute",
            "create",
            "generate",
            "make",
            "produce",
        ]
        .contains(&first.as_str())
    }) {
        let lower = skill.description.to_lowercase();
        actions.extend(
            lower
                .split(|c: char| !c.is_alphanumeric())
                .filter(|word| !word.is_empty())
                .take(8)
                .skip(1)
                .filter(|word| vocab::SAME_ACTIONS.iter().any(|group| group.contains(word)))
                .map(str::to_string),
        );
    }
    for pair in description.windows(2) {
        if matches!(pair[0].as_str(), "or" | "and") && is_verb(&pair[1]) {
            actions.push(pair[1].clone());
        }
    }
    actions
}

pub(super) fn noun_group(word: &str) -> Option<usize> {
    let group_of = |word: &str| {
        vocab::NOUN_GROUPS
            .iter()
            .position(|group| group.contains(&word) || group.contains(&lemma(word).as_str()))
    };
    // "temp" is short for "temperature", which a group holds.
    group_of(word).or_else(|| vocab::expand(word).iter().find_map(|long| group_of(long)))
}

/// Whether two words mean the same here: one word, forms of one word, a
/// short form, one noun group, or one step concept.
fn same_meaning(left: &str, right: &str) -> bool {
    if left == right || same_stem(&stem(left), &stem(right)) {
        return true;
    }
    if vocab::expand(left).contains(&right) || vocab::expand(right).contains(&left) {
        return true;
    }
    if let (Some(a), Some(b)) = (noun_group(left), noun_group(right))
        && a == b
    {
        return true;
    }
    let action = |word: &str| {
        vocab::SAME_ACTIONS
            .iter()
            .position(|group| group.contains(&word) || group.contains(&lemma(word).as_str()))
    };
    if let (Some(a), Some(b)) = (action(left), action(right))
        && a == b
    {
        return true;
    }
    concepts_of(left).any(|concept| concepts_of(right).any(|other| std::ptr::eq(concept, other)))
}

/// Whether a name part is a verb made of the word ("sessionize" of
/// "sessions", "tokenise" of "token").
fn made_of(part: &str, word: &str) -> bool {
    ["ize", "ise", "ify"].iter().any(|ending| {
        part.strip_suffix(ending)
            .is_some_and(|base| base.len() >= 4 && same_word(base, &lemma(word)))
    })
}

fn speaks_of(words: &[String], word: &str) -> bool {
    words.iter().any(|known| same_meaning(known, word))
}

/// Whether the skill does what the clause asks (see the module comment).
pub(super) fn fits(skill: &Skill, clause: &ClauseWords) -> bool {
    misfit(skill, clause).is_none()
}

/// Why the skill does not do what the clause asks, if it does not: the
/// trace of a skill choice says it.
pub(super) fn misfit(skill: &Skill, clause: &ClauseWords) -> Option<String> {
    let words = skill_words(skill);
    let actions = skill_actions(skill);
    let generic_verb = clause
        .verb
        .as_deref()
        .is_none_or(|verb| vocab::GENERIC_VERBS.contains(&verb));
    // A verb is matched with what the skill does; after a generic verb the
    // object is matched with anything the skill speaks of.
    let mut does: Vec<String> = Vec::new();
    let mut about: Vec<String> = Vec::new();
    if !generic_verb {
        does.extend(clause.verb.clone());
    } else if !clause.object.is_empty() {
        // What the object is, by its head noun: "check the API health" is
        // about health, not about an API to fetch.
        let head = clause
            .object
            .get(
                clause
                    .before_of
                    .unwrap_or(clause.object.len())
                    .saturating_sub(1),
            )
            .filter(|head| !vocab::GENERIC_NAME_PARTS.contains(&head.as_str()));
        match head {
            Some(head) => about.push(head.clone()),
            None => about.extend(clause.object.iter().cloned()),
        }
    } else if !clause.all.is_empty() {
        about.extend(clause.all.iter().cloned());
        does.extend(clause.verb.clone());
    } else if !clause.values.is_empty() || !clause.payload.is_empty() {
        // "get the rows of the signups table": what the values name.
        about.extend(
            clause
                .values
                .iter()
                .chain(&clause.kinds)
                .chain(&clause.payload)
                .cloned(),
        );
    } else {
        // "check them": nothing but the verb says what is done.
        does.extend(clause.verb.clone());
    }
    // "back them up to s3://…", "put them in the bucket": data put into
    // storage is uploaded.
    // "copy it into exports/rates.csv", "load them into the table": data
    // moved into a place is written there.
    let moves = clause.verb.as_deref().is_some_and(|verb| {
        [
            "archive", "backup", "copy", "import", "load", "move", "place", "put", "save", "send",
            "store",
        ]
        .contains(&verb)
    });
    let into = |wanted: &[&str]| {
        clause.all.iter().chain(&clause.kinds).any(|word| {
            wanted.contains(&word.as_str())
                || (wanted.contains(&"bucket") && vocab::technology_family(word) == Some("storage"))
        })
    };
    if moves && into(&["bucket"]) {
        does.push("upload".into());
    }
    if moves && into(&["table"]) {
        does.push("insert".into());
    }
    if moves && into(&["file"]) {
        does.push("write".into());
    }
    // "write a line to logs/backup.log": what is written to a log is
    // logged.
    let writes = moves
        || clause
            .verb
            .as_deref()
            .is_some_and(|verb| ["add", "append", "write"].contains(&verb));
    if writes
        && clause
            .values
            .iter()
            .any(|word| word == "log" || word == "logs")
    {
        does.push("log".into());
    }
    let makes = clause
        .verb
        .as_deref()
        .is_some_and(|verb| ["create", "generate", "make", "produce"].contains(&verb));
    // "get the sales from https://…", "read the records from https://…":
    // what is at a web address is fetched.
    // "check https://…" checks its health, which fetching does not.
    // A thing made for a web address ("a QR code for https://…") is not
    // fetched from it.
    let reads = (generic_verb && clause.verb.as_deref() != Some("check") && !makes)
        || clause.verb.as_deref().is_some_and(|verb| {
            ["read", "load", "import", "ingest", "open", "take"].contains(&verb)
        });
    if reads && clause.has_url {
        does.push("fetch".into());
    }
    let name = skill.name.to_lowercase();
    let parts: Vec<&str> = name.split(['-', '_']).collect();
    // A skill named for the clause's own verb does it (`sessionize`,
    // `bq-load`), whatever its description starts with; so does one whose
    // description starts with that verb, when the verb says what is done
    // ("Append a line to a log file" for "append it to logs/cpu.log"), not
    // only that something is read or made.
    let named_for_verb = !generic_verb
        && clause.verb.as_deref().is_some_and(|verb| {
            let in_name = parts.iter().any(|part| {
                part.len() >= 3
                    && noun_group(part).is_none()
                    && vocab::technology_family(part).is_none()
                    && same_word(part, verb)
            });
            let first_said = skill
                .description
                .split_whitespace()
                .next()
                .is_some_and(|first| same_word(&first.to_lowercase(), verb));
            in_name || (first_said && !vocab::WEAK_VERBS.contains(&verb))
        });
    // "check the billing queue" reads it: a skill that purges or restarts
    // what it acts on is not a check.
    let only_reads = clause
        .verb
        .as_deref()
        .is_some_and(|verb| ["check", "get", "look"].contains(&verb));
    if only_reads
        && let Some(change) = actions.iter().find(|action| {
            vocab::CHANGING_VERBS
                .iter()
                .any(|verb| same_word(verb, action))
        })
    {
        return Some(format!("{change}s what the clause only reads"));
    }
    // A skill for what the clause says it does not mean is not it.
    if let Some(word) = clause.excluded.iter().find(|word| {
        parts
            .iter()
            .any(|part| !part.is_empty() && strictly_same(part, word))
    }) {
        return Some(format!("'{word}' is not meant"));
    }
    // `xml-to-json` converts: a clause that names both of its ends asks
    // for it, whatever its verb ("translate the xml file to json").
    let converts = parts
        .iter()
        .position(|part| *part == "to")
        .is_some_and(|at| {
            let said_one = |end: &str| {
                clause
                    .all
                    .iter()
                    .chain(&clause.values)
                    .chain(&clause.kinds)
                    .any(|word| same_meaning(word, end))
            };
            at > 0 && at + 1 < parts.len() && said_one(parts[at - 1]) && said_one(parts[at + 1])
        });
    // "translate the xml file to json" converts formats: a skill that
    // speaks of neither format (a translator of languages) is not it.
    let converting = clause.verb.as_deref().is_some_and(|verb| {
        ["change", "convert", "transform", "translate", "turn"].contains(&verb)
    });
    // "convert the readings to fahrenheit": what it turns them into is
    // what the skill speaks of (`json-parse` parses, it makes no
    // fahrenheit).
    if converting
        && let Some(target) = clause.object.last()
        && clause.object.len() >= 2
        && noun_group(target).is_some()
        && !speaks_of(&words, target)
    {
        return Some(format!("does not make {target}"));
    }
    // `text-to-speech` turns text into speech: "turn the recordings into
    // text" asks for the other way round.
    if converting
        && let Some(target) = clause.made_into.as_ref()
        && let Some(at) = parts.iter().position(|part| *part == "to")
        && at > 0
        && at + 1 < parts.len()
        && same_meaning(target, parts[at - 1])
        && !same_meaning(target, parts[at + 1])
    {
        return Some(format!("turns {target} into something else"));
    }
    if converting
        && let Some(format) = clause.all.iter().find(|word| {
            vocab::technology_family(word) == Some("format") && !speaks_of(&words, word)
        })
    {
        return Some(format!("does not convert {format}"));
    }
    // "make a QR code for https://…": a thing made is what the skill's
    // name or outputs say it makes; `http-probe` measures a status code,
    // it makes none.
    let made: Vec<String> = if makes {
        let mut made: Vec<String> = Vec::new();
        for text in std::iter::once(skill.name.as_str()).chain(skill.output_names()) {
            for part in text.to_lowercase().split(|c: char| !c.is_alphanumeric()) {
                if !part.is_empty() {
                    made.extend(vocab::expand(part).iter().map(|long| long.to_string()));
                    made.push(part.to_string());
                }
            }
        }
        made
    } else {
        words.clone()
    };
    // "page the on-call through PagerDuty" and `pagerduty-trigger` ("Open a
    // PagerDuty incident that pages the on-call engineer"): the clause
    // names what the skill's name says, and its description does the verb.
    let described_action = !generic_verb
        && clause
            .verb
            .as_deref()
            .is_some_and(|verb| words.iter().any(|word| strictly_same(word, verb)))
        && parts.iter().any(|part| {
            part.len() >= 3
                && !is_verb(part)
                && clause
                    .all
                    .iter()
                    .chain(&clause.values)
                    .chain(&clause.kinds)
                    .any(|word| strictly_same(word, part))
        });
    // "take the newest post from https://…/feed.xml": what is at a web
    // address is fetched, so the skill must fetch it; `discord-post` posts.
    let must_fetch = reads && clause.has_url && generic_verb && !moves;
    if needs_an_address_not_given(skill, clause) {
        return Some("works on a web address the clause does not give".into());
    }
    // "pull the current loans from our Koha server", "fetch the
    // applications from greenhouse", "read the grid meter over modbus": the
    // system the skill is named for is said, and it reads from it as the
    // clause does (`koha-loans`, `greenhouse-export`, `modbus-read`).
    const READING: &[&str] = &[
        "collect", "download", "export", "fetch", "get", "grab", "list", "poll", "pull", "read",
        "take", "retrieve", "load", "import", "query",
    ];
    let system_named = parts.iter().any(|part| {
        part.len() >= 3
            && !is_verb(part)
            && !vocab::GENERIC_NAME_PARTS.contains(part)
            && !vocab::PAYLOAD.contains(part)
            && noun_group(part).is_none()
            && clause
                .all
                .iter()
                .chain(&clause.values)
                .any(|word| strictly_same(word, part))
    });
    let reads_from_system = system_named
        && clause
            .verb
            .as_deref()
            .is_some_and(|verb| READING.contains(&verb))
        && actions
            .iter()
            .any(|action| READING.contains(&action.as_str()));
    // "turn the recordings into text" and `whisper-transcribe`, which
    // transcribes "… to text": a skill that makes what the clause turns
    // things into converts.
    let makes_target = converting
        && clause.made_into.as_deref().is_some_and(|target| {
            let description = skill.description.to_lowercase();
            let said: Vec<&str> = description
                .split(|c: char| !c.is_alphanumeric())
                .filter(|word| !word.is_empty())
                .collect();
            said.windows(2)
                .any(|pair| matches!(pair[0], "to" | "into") && strictly_same(pair[1], target))
        });
    let acts = converts
        || makes_target
        || reads_from_system
        || named_for_verb
        || described_action
        || does.iter().any(|word| speaks_of(&actions, word))
        || (!must_fetch && about.iter().any(|word| speaks_of(&made, word)));
    if !acts {
        return Some(format!(
            "does not {}",
            does.first().or(about.first()).map_or("act", String::as_str)
        ));
    }
    let said: Vec<String> = clause
        .all
        .iter()
        .chain(&clause.values)
        .chain(&clause.kinds)
        .chain(&clause.payload)
        .cloned()
        .chain(clause.verb.clone())
        .collect();
    // `xml-to-json` converts one thing into another: the clause must say
    // one of them ("convert USD to EUR" is not its job), unless the
    // clause's verb is the skill's own, one no other converter shares
    // ("transcribe it" and `speech-to-text`, "Transcribe spoken audio…").
    let own_verb = clause.verb.as_deref().is_some_and(|verb| {
        !matches!(
            verb,
            "convert" | "translate" | "turn" | "change" | "make" | "transform"
        ) && skill
            .description
            .split_whitespace()
            .next()
            .is_some_and(|first| strictly_same(&first.to_lowercase(), verb))
    });
    if !own_verb
        && let Some(at) = parts.iter().position(|part| *part == "to")
        && at > 0
        && at + 1 < parts.len()
        && !said
            .iter()
            .any(|word| same_meaning(word, parts[at - 1]) || same_meaning(word, parts[at + 1]))
    {
        return Some("converts something the clause does not name".into());
    }
    // What kind of step the skill is: the concepts of its name's verbs
    // and of its description's first word.
    let skill_concepts: Vec<&str> = parts
        .iter()
        .copied()
        .chain(skill.description.split_whitespace().next())
        .flat_map(|word| {
            let word = word.to_lowercase();
            let base = ["er", "or"]
                .iter()
                .find_map(|ending| word.strip_suffix(ending).map(str::to_string));
            concepts_of(&word)
                .chain(base.into_iter().flat_map(|base| {
                    concepts_of(&base)
                        .chain(concepts_of(&format!("{base}e")))
                        .collect::<Vec<_>>()
                }))
                .map(|concept| concept.key)
                .collect::<Vec<_>>()
        })
        .collect();
    // "fetch the test results for main from https://ci…" and
    // `junit-fetch` ("Fetch the JUnit test results of … a branch"): a
    // skill that does the clause's own verb and speaks of all of its
    // object; the unsaid part of its name is how it works, and the
    // rest of the clause its settings.
    let does_object = !generic_verb
        && clause
            .verb
            .as_deref()
            .is_some_and(|verb| speaks_of(&actions, verb))
        && !clause.object.is_empty()
        && clause.object.iter().all(|word| speaks_of(&words, word));
    // "read how many kWh the grid meter at 10.20.0.11 (register 40001)
    // has clocked up" and `modbus-read` (host, register): the skill does
    // the verb on the object's head noun, and the clause gives every
    // input it takes.
    let head = clause.object.get(
        clause
            .before_of
            .unwrap_or(clause.object.len())
            .saturating_sub(1),
    );
    let gives_every_input = {
        let inputs: Vec<String> = skill.input_names().map(str::to_lowercase).collect();
        !inputs.is_empty()
            && !clause.kinds.is_empty()
            && inputs.iter().all(|input| {
                clause.all.iter().any(|word| same_word(word, input))
                    || clause
                        .kinds
                        .iter()
                        .any(|kind| input_takes_kind(input, kind))
            })
    };
    let does_with_inputs = !generic_verb
        && clause
            .verb
            .as_deref()
            .is_some_and(|verb| speaks_of(&actions, verb))
        && head.is_some_and(|head| speaks_of(&words, head))
        && gives_every_input;
    let name_part_said = |part: &str| -> bool {
        if part.is_empty()
            || part.chars().all(|c| c.is_ascii_digit())
            || is_stopword(part)
            || vocab::GENERIC_NAME_PARTS.contains(&part)
        {
            return true;
        }
        let qualifies = |family: &str| {
            let steps = vocab::FAMILY_STEPS
                .iter()
                .find(|(name, _)| *name == family)
                .map_or(&[][..], |(_, steps)| *steps);
            skill_concepts.iter().any(|key| steps.contains(key))
        };
        if let Some(family) = vocab::technology_family(part).filter(|family| qualifies(family)) {
            let same = |word: &str| {
                word == part
                    || vocab::expand(part).contains(&word)
                    || vocab::expand(word).contains(&part)
                    || vocab::FAMILY_WORDS.contains(&word)
            };
            let other = said
                .iter()
                .any(|word| vocab::technology_family(word) == Some(family) && !same(word));
            let named = said.iter().any(|word| same(word));
            return named || !other;
        }
        // A word for a whole family (`sql-query`, `db-writer`) fits a
        // clause that speaks of that family's things ("run the weekly
        // revenue query") and names no technology of it.
        let family_things: Option<(&str, &[&str])> = match part {
            "sql" | "db" | "database" => Some((
                "database",
                &[
                    "database",
                    "db",
                    "query",
                    "queries",
                    "rows",
                    "sql",
                    "table",
                    "tables",
                    "warehouse",
                ],
            )),
            "cloud" | "storage" => Some(("storage", &["blob", "bucket", "cloud", "storage"])),
            _ => None,
        };
        if let Some((family, things)) = family_things {
            let other = said
                .iter()
                .any(|word| vocab::technology_family(word) == Some(family));
            return !other && said.iter().any(|word| things.contains(&word.as_str()));
        }
        // A verb or its doer ("resizer", "lookup") says what is done, which
        // the action check covered.
        let verb_like = is_verb(part)
            || ["er", "or"].iter().any(|ending| {
                part.strip_suffix(ending)
                    .is_some_and(|base| is_verb(base) || is_verb(&format!("{base}e")))
            });
        if verb_like && noun_group(part).is_none() {
            return true;
        }
        // The verb names a part only as itself: "resize" belongs with
        // images as a kind of step, but says nothing of an EBS volume.
        let said_here = said
            .iter()
            .filter(|word| Some(*word) != clause.verb.as_ref())
            .any(|word| same_meaning(word, part) || made_of(part, word))
            || clause.verb.as_deref().is_some_and(|verb| {
                strictly_same(verb, part)
                    // "compare the schema" says `schema-diff`'s "diff".
                    || vocab::SAME_ACTIONS
                        .iter()
                        .any(|group| group.contains(&verb) && group.contains(&part))
            });
        if said_here {
            return true;
        }
        // "check the orders queue": what a skill measures of the thing
        // (`queue-depth`) is what checking it reads.
        if generic_verb && vocab::MEASURE_NAME_PARTS.contains(&part) {
            return true;
        }
        // A skill named for the clause's verb does it; the rest of its
        // name says what it makes or how (`log-line`, `rclone-copy`,
        // `gpg-encrypt`), unless that is a thing the planner knows, which
        // the clause must say, or the clause's object is a thing the skill
        // does not speak of.
        let opaque = noun_group(part).is_none()
            && vocab::technology_family(part).is_none()
            && !vocab::FAMILY_WORDS.contains(&part);
        // "check when example.com's registration expires": after a
        // generic verb, a skill whose description speaks of nearly all
        // the clause says (`whois-expiry`: "… before a domain's
        // registration expires") does it; the part of its name the clause
        // does not say is how it works. A decoy sharing one word
        // (`tls-expiry`, "… TLS certificate expires") leaves more unsaid.
        let described_whole = generic_verb && {
            let own: Vec<&String> = clause
                .all
                .iter()
                .filter(|word| !clause.borrowed.contains(word))
                .collect();
            let unsaid = own
                .iter()
                .filter(|word| !speaks_of(&words, word) && !clause.antecedent.contains(word))
                .count();
            own.len() >= 2 && unsaid * 3 < own.len() && covers_values(skill, clause)
        };
        // "OCR them with tesseract": a skill named for the verb (`ocr-scan`)
        // whose thing (scans) the clause leaves to "them", when nothing
        // the clause or the step before speaks of is another kind of
        // thing.
        // Words the clause says itself ("validate it" says none).
        let says_own = clause
            .all
            .iter()
            .any(|word| !clause.borrowed.contains(word));
        let left_to_pronoun = named_for_verb
            && says_own
            && clause.object.is_empty()
            && noun_group(part).is_some()
            && !clause
                .all
                .iter()
                .any(|word| noun_group(word).is_some_and(|group| Some(group) != noun_group(part)))
            && covers(skill, &words, clause);
        // "OCR the invoices …, pull out supplier, date, total and VAT": the
        // thing the step before worked on (invoices) is what this one
        // works on, when the skill speaks of everything the clause says.
        // The part of its name that is its output (`invoice-fields` makes
        // fields) is what the clause asks for when the skill speaks of all
        // of it.
        let from_before = (clause
            .antecedent
            .iter()
            .any(|word| same_meaning(word, part))
            || skill
                .output_names()
                .any(|output| same_meaning(&output.to_lowercase(), part)))
            && says_own
            && covers(skill, &words, clause);
        // "transcribe it" and `speech-to-text` ("Transcribe spoken audio
        // into text"): the description starts with the clause's own verb,
        // one no generic skill has, and the clause leaves the thing to
        // "it": the unsaid part of the name is that thing.
        let described_verb_on_pronoun = !says_own
            && clause.object.is_empty()
            && clause.values.is_empty()
            && clause.kinds.is_empty()
            && clause.verb.as_deref().is_some_and(|verb| {
                !vocab::GENERIC_VERBS.contains(&verb)
                    && !matches!(verb, "convert" | "translate" | "turn" | "make" | "check")
                    && skill
                        .description
                        .split_whitespace()
                        .next()
                        .is_some_and(|first| strictly_same(&first.to_lowercase(), verb))
            });
        (opaque
            && ((named_for_verb && covers(skill, &words, clause))
                || described_whole
                || does_object
                || does_with_inputs
                || makes_target))
            || left_to_pronoun
            || from_before
            || described_verb_on_pronoun
    };
    // The rest of a system's skill name is how it names its output
    // (`sentry-issues` for "crash reports from sentry").
    let unsaid = parts.iter().find(|&&part| {
        !(name_part_said(part) || (reads_from_system && noun_group(part).is_none()))
    });
    unsaid.map(|part| format!("'{part}' is not said"))
}

/// Whether the skill speaks of everything the clause says besides its
/// verb: each word (or the step before made it) and each kind of value
/// (an input takes it). A part of the skill's name the clause does not
/// say is then how it works (`rclone`, `gpg`), not another thing: "create
/// a github issue" is not `jira-create`'s job, "append the rows to the
/// orders table" not `log-line`'s.
fn covers(skill: &Skill, words: &[String], clause: &ClauseWords) -> bool {
    let words_said = clause
        .all
        .iter()
        .filter(|word| !clause.borrowed.contains(word))
        .all(|word| {
            speaks_of(words, word)
                || clause.antecedent.contains(word)
                || (vocab::LANGUAGES.contains(&word.as_str()) && takes_language(skill))
        });
    words_said && covers_values(skill, clause)
}

/// Whether the skill has an input saying which language to work in.
pub(super) fn takes_language(skill: &Skill) -> bool {
    skill.input_names().any(|input| {
        input
            .to_lowercase()
            .split('_')
            .any(|part| ["language", "lang", "locale"].contains(&part))
    })
}

/// Whether an input (lowercase) is named for a kind of value ("url",
/// "email", "file", …): `dest_url` takes a URL, `to` an address.
fn input_takes_kind(input: &str, kind: &str) -> bool {
    let hints: &[&str] = match kind {
        "email" => &["to", "recipient", "email", "address"],
        "file" => &["file", "path", "dir", "folder", "source"],
        "url" => &["url", "endpoint", "remote", "destination", "uri"],
        "host" => &["host", "hostname", "server", "machine", "domain"],
        "phone" => &["phone", "number"],
        _ => &[],
    };
    input
        .split('_')
        .any(|part| hints.contains(&part) || part == kind)
}

/// Whether the skill has an input for each kind of value the clause gives.
fn covers_values(skill: &Skill, clause: &ClauseWords) -> bool {
    let inputs: Vec<String> = skill.input_names().map(str::to_lowercase).collect();
    clause.kinds.iter().all(|kind| {
        inputs.iter().any(|input| input_takes_kind(input, kind))
            // "against rubrics/backend.md" goes to the input it names
            // (`rubric`).
            || (kind == "file"
                && inputs.iter().any(|input| {
                    clause
                        .values
                        .iter()
                        .any(|word| word.len() >= 4 && same_word(word, input))
                }))
    })
}

/// Whether a skill qwf proposes for a concept does what the clause says:
/// the clause speaks of the concept (its verb, or a word naming it).
pub(super) fn concept_fits(skill: &Skill, clause: &ClauseWords) -> bool {
    super::concepts::CONCEPTS
        .iter()
        .filter(|concept| concept.skill == skill.name)
        .any(|concept| {
            clause
                .verb
                .iter()
                .chain(&clause.all)
                .any(|word| concept.has_word(word))
        })
}

/// The installed skills that fit a clause, best ranked first. `query` is
/// the clause's text with its values' kinds.
pub(super) fn fitting<'a>(
    skills: &'a [Skill],
    index: &SkillIndex,
    query: &str,
    clause: &ClauseWords,
) -> Vec<&'a Skill> {
    // "put them into Welsh" is read as translating: the verb read, when
    // the words do not say it, is searched for too.
    let with_verb;
    let query = match clause.verb.as_deref() {
        Some(verb)
            if matches!(verb, "translate" | "convert" | "transcribe")
                && !query.to_lowercase().contains(verb) =>
        {
            with_verb = format!("{query} {verb}");
            with_verb.as_str()
        }
        _ => query,
    };
    let ranking = index.search(query, skills.len());
    let fitting: Vec<&Skill> = ranking
        .hits
        .iter()
        .map(|hit| &skills[hit.index])
        .filter(|skill| fits(skill, clause))
        .collect();
    tracing::trace!(
        query,
        ?clause,
        ranked = ?ranking
            .hits
            .iter()
            .take(4)
            .map(|hit| {
                let skill = &skills[hit.index];
                (skill.name.as_str(), misfit(skill, clause))
            })
            .collect::<Vec<_>>(),
        fitting = ?fitting.iter().map(|skill| skill.name.as_str()).collect::<Vec<_>>(),
        "offline planner skill choice"
    );
    fitting
}

/// The installed skill for a clause among those that fit (see
/// [`fitting`]): the one that speaks of most of the clause (`lint-json`
/// over `email-validator` for "validate them against
/// schemas/order.json"); the ranking breaks ties.
pub(super) fn choose<'a>(fitting: &[&'a Skill], clause: &ClauseWords) -> Option<&'a Skill> {
    let mut best: Option<(usize, &Skill)> = None;
    for skill in fitting {
        let score = agreement(skill, clause);
        if best.is_none_or(|(top, _)| score > top) {
            best = Some((score, skill));
        }
    }
    best.map(|(_, skill)| skill)
}

/// Among the skills that fit a clause (see [`fitting`]), those that fit
/// it equally well and are named for different tools of one family, when
/// the clause names none of them: "post the summary to #cs-leads" with
/// `slack-notify`, `teams-post` and `discord-post` installed. Which one is
/// meant is asked, not guessed.
pub(super) fn equally_fitting_tools<'a>(
    fitting: &[&'a Skill],
    clause: &ClauseWords,
) -> Vec<&'a Skill> {
    let Some(best) = fitting.iter().map(|skill| agreement(skill, clause)).max() else {
        return Vec::new();
    };
    let said: Vec<&String> = clause.all.iter().chain(&clause.values).collect();
    let tool = |skill: &Skill| -> Option<(&'static str, String)> {
        skill
            .name
            .to_lowercase()
            .split(['-', '_'])
            .find_map(|part| {
                vocab::technology_family(part).map(|family| (family, part.to_string()))
            })
    };
    let top: Vec<&Skill> = fitting
        .iter()
        .copied()
        .filter(|skill| agreement(skill, clause) == best)
        .collect();
    let tools: Vec<(&'static str, String)> = top.iter().filter_map(|skill| tool(skill)).collect();
    let one_family = tools.len() == top.len()
        && tools.windows(2).all(|pair| pair[0].0 == pair[1].0)
        && tools.windows(2).any(|pair| pair[0].1 != pair[1].1);
    let names_one = tools.iter().any(|(_, part)| {
        said.iter().any(|word| {
            strictly_same(word, part)
                || vocab::expand(part).contains(&word.as_str())
                || vocab::expand(word).contains(&part.as_str())
        })
    });
    if top.len() >= 2 && one_family && !names_one {
        top
    } else {
        Vec::new()
    }
}

/// The installed skill ranked first for a clause that no installed skill
/// fits, when it does what the clause's verb says ("convert 250 USD to
/// GBP" and `currency-convert`): the planner could not tell whether it
/// fits the clause's object, so the user is asked before a new skill is
/// made beside it.
pub(super) fn passed_over<'a>(
    skills: &'a [Skill],
    index: &SkillIndex,
    query: &str,
    clause: &ClauseWords,
) -> Option<&'a Skill> {
    let verb = clause.verb.as_deref()?;
    // An object the planner knows ("the quarterly report") that the skill
    // does not speak of is another thing: a decoy, not a doubt.
    if clause.object.iter().any(|word| noun_group(word).is_some()) {
        return None;
    }
    // Among the few ranked first: "email it to …" ranks `sms-send` above
    // `smtp-send`, and the second is the one passed over.
    index
        .search(query, 3)
        .hits
        .iter()
        .map(|hit| &skills[hit.index])
        .find(|top| passed_over_one(top, verb, clause))
}

/// "validate them against schemas/grades.json" and `http-check` (url): a
/// skill that works on nothing but a web address, for a clause that gives
/// values of other kinds and no address.
fn needs_an_address_not_given(skill: &Skill, clause: &ClauseWords) -> bool {
    let inputs: Vec<String> = skill.input_names().map(str::to_lowercase).collect();
    !clause.has_url
        && !clause.kinds.is_empty()
        && !clause.kinds.iter().any(|kind| kind == "url")
        && !inputs.is_empty()
        && inputs.iter().all(|input| input_takes_kind(input, "url"))
}

/// Whether `top`, ranked among the first for a clause no installed skill
/// fits, does what the clause's verb says (see [`passed_over`]).
fn passed_over_one(top: &Skill, verb: &str, clause: &ClauseWords) -> bool {
    if needs_an_address_not_given(top, clause) {
        return false;
    }
    let words = skill_words(top);
    // A verb the planner knows that is not what the skill does is another
    // action ("rotate the nginx logs" and `log-line`, which appends): a
    // new skill, no doubt.
    if is_verb(verb)
        && !vocab::GENERIC_VERBS.contains(&verb)
        && !speaks_of(&skill_actions(top), verb)
    {
        return false;
    }
    // A skill for a thing the planner knows ("crops photos") that the
    // clause does not speak of is for another thing.
    let for_another_thing = words
        .iter()
        .filter_map(|word| noun_group(word))
        .any(|group| {
            !clause
                .all
                .iter()
                .any(|word| noun_group(word) == Some(group))
        });
    // It does what the verb says, or speaks of what the clause works on
    // ("make a pdf out of …" and `html-to-pdf`).
    let related = words.iter().any(|word| {
        strictly_same(word, verb) || clause.all.iter().any(|said| strictly_same(word, said))
    });
    !for_another_thing && related
}

/// How much of the clause a skill speaks of: two for a word it says
/// (or a short form, a noun of the same group, one written inside the
/// other: "mail" in `email`), one for a synonym.
fn agreement(skill: &Skill, clause: &ClauseWords) -> usize {
    let words = skill_words(skill);
    let said: usize = clause
        .all
        .iter()
        .chain(&clause.kinds)
        .chain(clause.verb.iter())
        .map(|word| {
            let score = if words.iter().any(|known| strictly_same(known, word)) {
                2
            } else if speaks_of(&words, word) {
                1
            } else {
                0
            };
            // What "it" stands for was said by another clause: it counts
            // less than this clause's own words.
            if clause.borrowed.contains(word) {
                score.min(1)
            } else {
                score
            }
        })
        .sum();
    let in_values = clause
        .values
        .iter()
        .filter(|word| words.iter().any(|known| strictly_same(known, word)))
        .count();
    said + in_values
}

fn strictly_same(left: &str, right: &str) -> bool {
    left == right
        || same_stem(&stem(left), &stem(right))
        || vocab::expand(left).contains(&right)
        || vocab::expand(right).contains(&left)
        || noun_group(left).is_some_and(|group| noun_group(right) == Some(group))
        || (left.len() >= 4 && right.len() >= 4 && (left.ends_with(right) || right.ends_with(left)))
}

#[cfg(test)]
mod tests {
    use super::super::text::tokenize;
    use super::*;
    use crate::core::skill::SkillType;

    fn skill(name: &str, description: &str, inputs: &[&str], outputs: &[&str]) -> Skill {
        Skill {
            name: name.into(),
            skill_type: SkillType::CodeInline,
            description: description.into(),
            command: "true".into(),
            inputs: Some(crate::core::skill::Port::names(inputs.iter().copied())),
            outputs: Some(crate::core::skill::Port::names(outputs.iter().copied())),
            extra: Default::default(),
        }
    }

    fn fit(skill: &Skill, clause: &str) -> bool {
        fits(skill, &clause_words(&tokenize(clause), &[]))
    }

    #[test]
    fn a_skill_fits_what_its_name_and_description_say() {
        let resizer = skill(
            "image-resizer",
            "Resize images to a given width",
            &["images"],
            &[],
        );
        assert!(fit(&resizer, "make 200 px wide thumbnails of the photos"));
        assert!(!fit(&resizer, "resize the EBS volume of db-02 to 500 GB"));
        let memory = skill(
            "mem-usage",
            "Report how much free memory a host has",
            &["host"],
            &[],
        );
        assert!(fit(&memory, "check how much free memory web-01 has"));
        let disk_free = skill("disk-free", "Report free space on a disk", &["host"], &[]);
        assert!(!fit(&disk_free, "check the free memory on web-01"));
        let logger = skill("logger", "Write a line to the log", &["message"], &[]);
        assert!(!fit(&logger, "compress the backups in /srv/backups"));
        assert!(fit(&logger, "log that it is done"));
        let transcriber = skill(
            "audio-transcriber",
            "Transcribe the speech in an audio file to text",
            &["audio_file"],
            &["transcript"],
        );
        assert!(fit(
            &transcriber,
            "transcribe the voice memo I recorded (memos/standup.m4a)"
        ));
        let records = skill(
            "record-writer",
            "Write one record to the database",
            &["record"],
            &[],
        );
        assert!(!fit(
            &records,
            "transcribe the voice memo I recorded this morning"
        ));
        let s3 = skill(
            "s3-upload",
            "Upload a file to an S3 bucket",
            &["file", "bucket"],
            &[],
        );
        assert!(fit(&s3, "upload it to the acme-backups bucket"));
        assert!(!fit(&s3, "upload it to ftp.example.com over ftp"));
        let pg = skill(
            "pg-loader",
            "Insert rows into a PostgreSQL table",
            &["data", "table"],
            &[],
        );
        assert!(fit(&pg, "load them into postgres"));
        assert!(!fit(&pg, "load them into mysql"));
    }
}
