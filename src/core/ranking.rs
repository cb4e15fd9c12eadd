//! Ranking skills against a request, so a prompt carries the few skills that
//! fit instead of the whole registry (which breaks at a few hundred).
//!
//! BM25 (Robertson and Zaragoza's probabilistic relevance model, the scoring
//! behind Lucene and most search engines) over one bag of words per skill:
//! its name split on `-`/`_` (weighted double), its description, and its
//! inputs and outputs (weighted half). Words are lowercased and stemmed
//! crudely so inflections meet ("validator", "validates", "validation").
//! Synonyms meet through concept terms: every word that belongs to a group
//! in [`SYNONYMS`] ("get", "download", "retrieve" … in the fetch group) also
//! adds the group's term, on both sides, so "get the records" finds
//! `http-fetch`. A concept match counts less than the word itself.
//!
//! [`SkillIndex::new`] does all per-skill work once (tokens, stems, term
//! frequencies, lengths); [`SkillIndex::search`] touches only the postings
//! of the query's terms.

use std::sync::OnceLock;

use super::skill::Skill;
use super::tree::IdMap;

/// BM25's term-frequency saturation and length normalisation (the usual
/// values).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// How much a word counts by where it appears in a skill.
const NAME_WEIGHT: f32 = 2.0;
const DESCRIPTION_WEIGHT: f32 = 1.0;
const INPUT_OUTPUT_WEIGHT: f32 = 0.5;

/// How much a synonym (a shared concept) counts next to the word itself.
const SYNONYM_WEIGHT: f32 = 0.75;

/// The most a concept counts however many words of the query evoke it.
const CONCEPT_CAP: f32 = 1.5;

/// How much a skill keeps of its score when none of its name's words is
/// in the request: the rest is earned word by word. `azure-order-fetcher`
/// for "fetch the orders" loses a third of its remainder to "azure", which
/// the request never mentions; `http-fetch` loses nothing.
const NAME_COVERAGE_FLOOR: f32 = 0.4;

/// How much a query term counts again once a skill picked before matched
/// it (see [`SkillIndex::diversify`]).
const REPEAT_DISCOUNT: f32 = 0.3;

/// Groups of words that mean the same kind of step. Taken from the offline
/// planner's concept table (`src/agent/offline/concepts.rs`: each concept's
/// verbs and nouns), which the core layer cannot import; keep them in step
/// when a concept is added there.
pub const SYNONYMS: &[&[&str]] = &[
    &[
        "fetch", "get", "download", "retrieve", "pull", "request", "call", "scrape", "crawl",
        "curl", "poll", "api", "http", "https", "endpoint", "url", "web", "rest",
    ],
    &["read", "load", "open", "ingest", "import", "file", "reader"],
    &[
        "validate",
        "check",
        "verify",
        "lint",
        "ensure",
        "assert",
        "confirm",
        "validation",
        "validator",
        "valid",
        "schema",
    ],
    &[
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
        "prepare",
        "transformer",
        "parser",
    ],
    &[
        "filter",
        "exclude",
        "dedupe",
        "deduplicate",
        "select",
        "sort",
        "duplicates",
    ],
    &[
        "aggregate",
        "compute",
        "calculate",
        "count",
        "sum",
        "group",
        "total",
        "statistics",
        "stats",
        "metrics",
    ],
    &["summarize", "summarise", "digest", "summary", "summarizer"],
    &[
        "analyze",
        "analyse",
        "classify",
        "evaluate",
        "assess",
        "score",
        "detect",
        "inspect",
        "review",
        "analysis",
        "sentiment",
        "predict",
        "prediction",
        "predictions",
    ],
    &["merge", "combine", "join", "concatenate", "union"],
    &[
        "save",
        "store",
        "write",
        "persist",
        "insert",
        "upsert",
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
        "warehouse",
    ],
    &["export", "dump", "csv", "spreadsheet"],
    &[
        "upload", "publish", "push", "sync", "s3", "bucket", "cloud", "ftp", "sftp",
    ],
    &[
        "notify",
        "alert",
        "email",
        "mail",
        "message",
        "ping",
        "page",
        "warn",
        "tell",
        "inform",
        "send",
        "notification",
        "slack",
        "sms",
        "notifier",
        "webhook",
        "sender",
    ],
    &[
        "log", "audit", "trace", "print", "debug", "logger", "logging",
    ],
    &["report", "generate", "render", "dashboard", "chart"],
    &["backup", "archive", "snapshot"],
    &["compress", "zip", "gzip", "tar", "compression"],
    &[
        "deploy",
        "release",
        "ship",
        "rollout",
        "deployment",
        "production",
    ],
    &["test", "tests", "testing", "suite"],
    &["build", "compile", "bundle", "compiler", "artifact"],
    &[
        "translate",
        "localize",
        "translation",
        "translator",
        "language",
    ],
    &["wait", "sleep", "delay", "pause"],
    &[
        "cleanup", "purge", "delete", "remove", "prune", "tidy", "clear", "garbage",
    ],
    &[
        "monitor",
        "watch",
        "health",
        "uptime",
        "status",
        "healthcheck",
        "heartbeat",
        "check",
    ],
    &[
        "resize",
        "scale",
        "crop",
        "thumbnail",
        "image",
        "photo",
        "picture",
    ],
];

/// Words that say nothing about what a skill does (checked before
/// stemming).
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "to", "of", "for", "in", "on", "at", "by", "and", "or", "with", "from",
    "into", "onto", "it", "its", "this", "that", "these", "those", "them", "they", "their",
    "please", "my", "our", "me", "we", "i", "you", "your", "can", "could", "would", "should",
    "will", "let", "be", "is", "are", "was", "were", "been", "do", "does", "did", "so", "up",
    "also", "just", "then", "when", "if", "as", "step", "steps", "one", "workflow", "pipeline",
    "which", "what", "there", "here", "some", "any", "all", "each", "every", "both", "too", "very",
    "now", "again", "make", "sure", "need", "needs", "want", "wants", "using", "use", "via",
    "about", "but", "not", "no", "after", "before", "new", "www", "com",
    // The payload, not what is done with it: "check the records" asks for
    // a checker, not for anything that mentions records.
    "data", "record", "records", "item", "items", "result", "results", "entry", "entries", "thing",
    "things", "stuff",
];

/// A crude stem, enough to make inflections of one word meet; expects a
/// lowercase word. The offline planner uses it too.
pub fn stem(word: &str) -> String {
    const SUFFIXES: [(&str, &str); 19] = [
        ("ications", "y"),
        ("ication", "y"),
        ("ations", "at"),
        ("ation", "at"),
        ("ings", ""),
        ("ing", ""),
        ("ions", ""),
        ("ion", ""),
        ("ers", ""),
        ("ors", ""),
        ("ies", "y"),
        ("ied", "y"),
        ("ed", ""),
        ("er", ""),
        ("or", ""),
        ("es", ""),
        ("s", ""),
        ("e", ""),
        ("y", ""),
    ];
    for (suffix, replacement) in SUFFIXES {
        if word.len() >= suffix.len() + 3 && word.ends_with(suffix) {
            let mut base = String::with_capacity(word.len());
            base.push_str(&word[..word.len() - suffix.len()]);
            base.push_str(replacement);
            // "logging" → "logg" → "log"
            let bytes = base.as_bytes();
            if bytes.len() >= 4
                && bytes[bytes.len() - 1] == bytes[bytes.len() - 2]
                && !b"aeiouls".contains(&bytes[bytes.len() - 1])
            {
                base.pop();
            }
            while base.ends_with('e') {
                base.pop();
            }
            return base;
        }
    }
    word.to_string()
}

/// Stem → the synonym groups it belongs to.
fn synonym_groups() -> &'static IdMap<String, Vec<u32>> {
    static GROUPS: OnceLock<IdMap<String, Vec<u32>>> = OnceLock::new();
    GROUPS.get_or_init(|| {
        let mut groups: IdMap<String, Vec<u32>> = IdMap::default();
        for (group, words) in SYNONYMS.iter().enumerate() {
            for word in *words {
                let entry = groups.entry(stem(word)).or_default();
                if !entry.contains(&(group as u32)) {
                    entry.push(group as u32);
                }
            }
        }
        groups
    })
}

/// Calls `each` with every word of `text`, lowercased. Splits on anything
/// that is not a letter or digit, so `db-writer` and `api_url` fall apart
/// into words. A URL counts as the word "url": its host and path name a
/// place, not what a step does.
fn for_each_lowercase(text: &str, mut each: impl FnMut(&str)) {
    let mut lower = String::new();
    for chunk in text.split_whitespace() {
        if let Some((scheme, _)) = chunk.split_once("://") {
            // "s3://bucket" speaks of S3; an http(s) URL only of a URL.
            let scheme = scheme
                .trim_start_matches(|c: char| !c.is_alphanumeric())
                .to_ascii_lowercase();
            if !scheme.is_empty() && !scheme.starts_with("http") {
                each(&scheme);
            }
            each("url");
            continue;
        }
        // An address counts as "email", a file path as "file": the name of
        // the file says where, not what ("reports/sales.csv" is no reason to
        // prefer a csv-writer from elsewhere over file-writer).
        let trimmed = chunk.trim_matches(|c: char| !c.is_alphanumeric() && c != '.' && c != '/');
        if let Some((user, host)) = trimmed.split_once('@')
            && !user.is_empty()
            && host.contains('.')
        {
            // Something is sent to an address.
            each("email");
            each("send");
            continue;
        }
        let looks_like_path = trimmed.contains('/')
            || trimmed.rsplit_once('.').is_some_and(|(stem, extension)| {
                !stem.is_empty()
                    && (2..=5).contains(&extension.len())
                    && extension.chars().all(|c| c.is_ascii_alphabetic())
            });
        if looks_like_path {
            each("file");
            // What kind of file it is, when its path says so.
            let lower = trimmed.to_ascii_lowercase();
            for kind in ["schema", "config", "template"] {
                if lower.contains(kind) {
                    each(kind);
                }
            }
            continue;
        }
        for piece in chunk.split(|c: char| !c.is_alphanumeric()) {
            if piece.is_empty() {
                continue;
            }
            lower.clear();
            if piece.is_ascii() {
                lower.push_str(piece);
                lower.make_ascii_lowercase();
            } else {
                lower.extend(piece.chars().flat_map(char::to_lowercase));
            }
            each(&lower);
        }
    }
}

/// A lowercase word's stem, or `None` for a stopword.
fn meaningful_stem(lower: &str) -> Option<String> {
    (!STOPWORDS.contains(&lower)).then(|| stem(lower))
}

/// Marks a stopword in [`SkillIndex::spellings`].
const NO_TERM: u32 = u32::MAX;

/// One skill's place in a ranking.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// The skill's position in the slice the index was built from.
    pub index: usize,
    pub score: f32,
}

/// The best matches for a query, best first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Ranking {
    pub hits: Vec<Hit>,
    /// How many skills matched at all (`hits` holds at most the limit).
    pub matched: usize,
}

/// Per-skill term statistics, built once and searched many times.
#[derive(Debug, Clone, Default)]
pub struct SkillIndex {
    /// Stem → term id. Ids below `SYNONYMS.len()` are the concept terms.
    vocabulary: IdMap<String, u32>,
    /// Term id → (skill, weighted term frequency).
    postings: Vec<Vec<(u32, f32)>>,
    /// Weighted length of each skill's bag of words.
    lengths: Vec<f32>,
    average_length: f32,
    /// Lowercase spelling → term id (or [`NO_TERM`]): most words recur,
    /// and this spares stemming them again.
    spellings: IdMap<String, u32>,
    /// Word term id − `SYNONYMS.len()` → the concepts the word evokes.
    concepts: Vec<&'static [u32]>,
    /// The word terms of every skill's name, one after another;
    /// `name_ranges[skill]` says where each skill's are.
    name_terms: Vec<u32>,
    name_ranges: Vec<(u32, u32)>,
}

impl SkillIndex {
    pub fn new(skills: &[Skill]) -> Self {
        let mut index = SkillIndex {
            vocabulary: IdMap::default(),
            postings: vec![Vec::new(); SYNONYMS.len()],
            lengths: Vec::with_capacity(skills.len()),
            average_length: 0.0,
            spellings: IdMap::default(),
            concepts: Vec::new(),
            name_terms: Vec::with_capacity(skills.len() * 3),
            name_ranges: Vec::with_capacity(skills.len()),
        };
        let mut terms: Vec<(u32, f32)> = Vec::with_capacity(64);
        for (document, skill) in skills.iter().enumerate() {
            terms.clear();
            let mut length = 0.0;
            index.add_text(&skill.name, NAME_WEIGHT, &mut terms, &mut length);
            let start = index.name_terms.len() as u32;
            // A name part that is any skill's payload (`translate-text`,
            // `data-validator`) need not be said by the request.
            let named: Vec<u32> = terms
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| *id as usize >= SYNONYMS.len())
                .filter(|id| {
                    !crate::core::vocabulary::PAYLOAD_NAME_PARTS
                        .iter()
                        .any(|part| index.spellings.get(*part) == Some(id))
                })
                .collect();
            index.name_terms.extend(named);
            index
                .name_ranges
                .push((start, index.name_terms.len() as u32));
            index.add_text(
                &skill.description,
                DESCRIPTION_WEIGHT,
                &mut terms,
                &mut length,
            );
            for name in skill.input_names().chain(skill.output_names()) {
                index.add_text(name, INPUT_OUTPUT_WEIGHT, &mut terms, &mut length);
            }
            terms.sort_unstable_by_key(|(id, _)| *id);
            let mut position = 0;
            while position < terms.len() {
                let (id, mut frequency) = terms[position];
                position += 1;
                while position < terms.len() && terms[position].0 == id {
                    frequency += terms[position].1;
                    position += 1;
                }
                index.postings[id as usize].push((document as u32, frequency));
            }
            index.lengths.push(length);
        }
        let total: f32 = index.lengths.iter().sum();
        index.average_length = if skills.is_empty() {
            1.0
        } else {
            (total / skills.len() as f32).max(1.0)
        };
        index
    }

    /// Adds the words of `text` (and their concepts) to a skill's terms.
    fn add_text(&mut self, text: &str, weight: f32, terms: &mut Vec<(u32, f32)>, length: &mut f32) {
        for_each_lowercase(text, |lower| {
            let id = match self.spellings.get(lower) {
                Some(id) => *id,
                None => {
                    let id = self.intern(lower);
                    self.spellings.insert(lower.to_string(), id);
                    id
                }
            };
            if id == NO_TERM {
                return;
            }
            *length += weight;
            terms.push((id, weight));
            let concepts = self.concepts[id as usize - SYNONYMS.len()];
            terms.extend(concepts.iter().map(|concept| (*concept, weight)));
        });
    }

    /// The term id of a spelling not seen before.
    fn intern(&mut self, lower: &str) -> u32 {
        let Some(stemmed) = meaningful_stem(lower) else {
            return NO_TERM;
        };
        if let Some(id) = self.vocabulary.get(&stemmed) {
            return *id;
        }
        let id = (SYNONYMS.len() + self.vocabulary.len()) as u32;
        self.concepts.push(
            synonym_groups()
                .get(&stemmed)
                .map_or(&[][..], |concepts| concepts.as_slice()),
        );
        self.vocabulary.insert(stemmed, id);
        self.postings.push(Vec::new());
        id
    }

    /// The number of skills indexed.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    /// The query's terms with their weights: each known word once, and
    /// each concept one of its words belongs to, counted per word up to
    /// [`CONCEPT_CAP`] ("get … from the api" asks for fetching twice).
    fn query_terms(&self, query: &str) -> Vec<(u32, f32)> {
        let groups = synonym_groups();
        let mut terms: Vec<(u32, f32)> = Vec::new();
        let mut add = |id: u32, weight: f32| match terms.iter_mut().find(|(seen, _)| *seen == id) {
            Some(existing) if (id as usize) < SYNONYMS.len() => {
                existing.1 = (existing.1 + weight).min(CONCEPT_CAP)
            }
            Some(_) => {}
            None => terms.push((id, weight)),
        };
        for_each_lowercase(query, |lower| {
            let Some(word) = meaningful_stem(lower) else {
                return;
            };
            if let Some(id) = self.vocabulary.get(&word) {
                add(*id, 1.0);
            }
            if let Some(concepts) = groups.get(&word) {
                for concept in concepts {
                    add(*concept, SYNONYM_WEIGHT);
                }
            }
        });
        terms
    }

    /// The `limit` skills that best match `query`, best first; ties keep
    /// the order the skills were given in. An empty query matches nothing.
    pub fn search(&self, query: &str, limit: usize) -> Ranking {
        let query_terms = self.query_terms(query);
        let idfs: Vec<f32> = query_terms
            .iter()
            .map(|&(term, _)| self.idf(term))
            .collect();
        let mut scores = vec![0.0f32; self.len()];
        for (position, &(term, weight)) in query_terms.iter().enumerate() {
            for &(document, tf) in &self.postings[term as usize] {
                scores[document as usize] += weight * idfs[position] * self.saturate(document, tf);
            }
        }
        let mut hits: Vec<Hit> = scores
            .iter()
            .enumerate()
            .filter(|(_, score)| **score > 0.0)
            .map(|(index, score)| Hit {
                index,
                score: score * self.name_coverage(index, &query_terms),
            })
            .collect();
        let matched = hits.len();
        // The best candidates by score alone, then chosen one by one so
        // that every part of the request gets its skill (below).
        let pool = (limit * 10).max(200);
        if hits.len() > pool {
            hits.select_nth_unstable_by(pool - 1, by_score);
            hits.truncate(pool);
        }
        hits.sort_unstable_by(by_score);
        let hits = self.diversify(hits, &query_terms, &idfs, limit);
        Ranking { hits, matched }
    }

    fn idf(&self, term: u32) -> f32 {
        let count = self.len() as f32;
        let frequency = self.postings[term as usize].len() as f32;
        (1.0 + (count - frequency + 0.5) / (frequency + 0.5)).ln()
    }

    /// BM25's saturating, length-normalised term frequency.
    fn saturate(&self, document: u32, tf: f32) -> f32 {
        let normalised = K1 * (1.0 - B + B * self.lengths[document as usize] / self.average_length);
        tf * (K1 + 1.0) / (tf + normalised)
    }

    /// Between [`NAME_COVERAGE_FLOOR`] and 1: the share of the skill's
    /// name words (or their concepts) the query mentions.
    fn name_coverage(&self, document: usize, query_terms: &[(u32, f32)]) -> f32 {
        let (start, end) = self.name_ranges[document];
        let words = &self.name_terms[start as usize..end as usize];
        if words.is_empty() {
            return 1.0;
        }
        let in_query = |id: &u32| query_terms.iter().any(|(term, _)| term == id);
        let covered = words
            .iter()
            .filter(|word| {
                in_query(word)
                    || self.concepts[**word as usize - SYNONYMS.len()]
                        .iter()
                        .any(in_query)
            })
            .count();
        NAME_COVERAGE_FLOOR + (1.0 - NAME_COVERAGE_FLOOR) * covered as f32 / words.len() as f32
    }

    /// Picks `limit` of the candidates greedily: each time the one with the
    /// best score when the query terms the skills already picked matched
    /// count [`REPEAT_DISCOUNT`] less (per pick). "Get the records, check
    /// them, store them" then gets a fetcher, a checker and a writer, not
    /// three fetchers (a coverage-based diversification, as in MMR).
    fn diversify(
        &self,
        candidates: Vec<Hit>,
        query_terms: &[(u32, f32)],
        idfs: &[f32],
        limit: usize,
    ) -> Vec<Hit> {
        // Each candidate's contribution per query term, and its coverage.
        let parts: Vec<Candidate> = candidates
            .into_iter()
            .map(|hit| {
                let document = hit.index as u32;
                let mut contributions = Vec::new();
                for (position, &(term, weight)) in query_terms.iter().enumerate() {
                    let postings = &self.postings[term as usize];
                    if let Ok(found) = postings.binary_search_by_key(&document, |(doc, _)| *doc) {
                        let tf = postings[found].1;
                        contributions.push((
                            position,
                            weight * idfs[position] * self.saturate(document, tf),
                        ));
                    }
                }
                let coverage = self.name_coverage(hit.index, query_terms);
                (hit, contributions, coverage)
            })
            .collect();
        let mut picked_per_term = vec![0i32; query_terms.len()];
        let mut taken = vec![false; parts.len()];
        let mut hits = Vec::with_capacity(limit.min(parts.len()));
        while hits.len() < limit {
            let mut best: Option<(usize, f32)> = None;
            for (candidate, (hit, contributions, coverage)) in parts.iter().enumerate() {
                if taken[candidate] {
                    continue;
                }
                let score = coverage
                    * contributions
                        .iter()
                        .map(|&(position, value)| {
                            value * REPEAT_DISCOUNT.powi(picked_per_term[position])
                        })
                        .sum::<f32>();
                let better = match best {
                    None => true,
                    Some((index, best_score)) => {
                        score > best_score
                            || (score == best_score && hit.index < parts[index].0.index)
                    }
                };
                if better {
                    best = Some((candidate, score));
                }
            }
            let Some((candidate, score)) = best else {
                break;
            };
            taken[candidate] = true;
            for &(position, _) in &parts[candidate].1 {
                picked_per_term[position] += 1;
            }
            hits.push(Hit {
                index: parts[candidate].0.index,
                score,
            });
        }
        hits
    }
}

/// A candidate of [`SkillIndex::diversify`]: the hit, what each query term
/// (by position) contributes to it, and its name coverage.
type Candidate = (Hit, Vec<(usize, f32)>, f32);

fn by_score(left: &Hit, right: &Hit) -> std::cmp::Ordering {
    right
        .score
        .total_cmp(&left.score)
        .then(left.index.cmp(&right.index))
}

/// Ranks `skills` against `query` in one go (builds the index, searches).
pub fn rank(skills: &[Skill], query: &str, limit: usize) -> Ranking {
    SkillIndex::new(skills).search(query, limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::skill::{Port, SkillType};

    fn skill(name: &str, description: &str, inputs: &[&str], outputs: &[&str]) -> Skill {
        Skill {
            name: name.into(),
            skill_type: SkillType::CodeInline,
            description: description.into(),
            command: "true".into(),
            inputs: Some(Port::names(inputs.iter().copied())),
            outputs: Some(Port::names(outputs.iter().copied())),
            extra: Default::default(),
        }
    }

    fn registry() -> Vec<Skill> {
        vec![
            skill(
                "alert-sender",
                "Send an alert to an on-call channel",
                &["message"],
                &[],
            ),
            skill(
                "csv-exporter",
                "Export rows as a CSV file",
                &["rows"],
                &["path"],
            ),
            skill(
                "data-validator",
                "Validate JSON data against a schema",
                &["data"],
                &["validated"],
            ),
            skill(
                "db-writer",
                "Write records to a database table",
                &["data", "table"],
                &[],
            ),
            skill(
                "health-checker",
                "Check that an endpoint is healthy",
                &["url"],
                &["status"],
            ),
            skill(
                "http-fetch",
                "Fetch data from a URL over HTTP",
                &["url"],
                &["data"],
            ),
        ]
    }

    fn names(skills: &[Skill], ranking: &Ranking) -> Vec<String> {
        ranking
            .hits
            .iter()
            .map(|hit| skills[hit.index].name.clone())
            .collect()
    }

    #[test]
    fn the_words_of_the_request_find_the_skill() {
        let skills = registry();
        let ranking = rank(&skills, "write the rows to the database", 2);
        assert_eq!(names(&skills, &ranking)[0], "db-writer");
        assert!(ranking.matched >= 2, "{ranking:?}");
        assert_eq!(ranking.hits.len(), 2);
    }

    #[test]
    fn synonyms_and_inflections_meet() {
        let skills = registry();
        for (query, expected) in [
            ("get the records from the api", "http-fetch"),
            ("download https://example.com/x.json", "http-fetch"),
            ("verify the payload", "data-validator"),
            ("validation", "data-validator"),
            ("persist them", "db-writer"),
            ("notify the team on slack", "alert-sender"),
            ("monitor uptime", "health-checker"),
        ] {
            let ranking = rank(&skills, query, 1);
            assert_eq!(names(&skills, &ranking), [expected], "{query}");
        }
    }

    #[test]
    fn the_name_counts_more_than_the_description() {
        let skills = vec![
            skill("report-mailer", "Send the weekly numbers", &[], &[]),
            skill("numbers-digest", "Builds a report for mailing", &[], &[]),
        ];
        assert_eq!(
            names(&skills, &rank(&skills, "report", 2))[0],
            "report-mailer"
        );
    }

    #[test]
    fn nothing_matches_an_empty_or_unrelated_query() {
        let skills = registry();
        assert_eq!(rank(&skills, "", 5), Ranking::default());
        assert_eq!(rank(&skills, "the of and", 5).matched, 0);
        assert_eq!(rank(&skills, "quantum teleportation", 5).matched, 0);
        assert_eq!(rank(&[], "fetch", 5), Ranking::default());
    }

    #[test]
    fn ties_keep_the_given_order_and_the_limit_holds() {
        let skills: Vec<Skill> = (0..50)
            .map(|n| skill(&format!("fetch-{n:02}"), "Fetch a thing", &[], &[]))
            .collect();
        let ranking = rank(&skills, "fetch", 3);
        assert_eq!(
            names(&skills, &ranking),
            ["fetch-00", "fetch-01", "fetch-02"]
        );
        assert_eq!(ranking.matched, 50);
        assert!(rank(&skills, "fetch", 0).hits.is_empty());
    }

    #[test]
    fn stems_make_inflections_meet() {
        for (left, right) in [
            ("validator", "validate"),
            ("validation", "validated"),
            ("writer", "write"),
            ("logging", "log"),
            ("https", "http"),
        ] {
            assert_eq!(stem(left), stem(right), "{left} / {right}");
        }
    }
}
