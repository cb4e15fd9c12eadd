//! What one conversational request did, in qwf's words, never the model's:
//! the status line printed after `do`, `edit`, `create`, `chat` turns and
//! `refine` requests, and the `status` field of their `--json` document.
//!
//! The line is built from the [`Report`] (what reached the store, what the
//! gate declined, what qwf refused) and never from the model's text. When
//! nothing was applied and the model's final text reads as if a change was
//! made, [`Status::unapplied_claim`] says so, so the CLI can mark it.

use serde::Serialize;

use super::session::Report;

/// Which kind of ending the request had.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StatusKind {
    /// At least one change reached the store.
    Applied,
    /// Approved changes are held to be saved together (`qwf refine`).
    Staged,
    /// A proposal reached the gate and was declined.
    Declined,
    /// A proposal was shown and, as asked, not applied (`--dry-run`).
    DryRun,
    /// The proposal was saved as a plan file (`--plan-out`).
    PlanSaved,
    /// The model proposed something qwf refused before the gate (outside
    /// the edit's scope, modifications that do not apply, invalid files).
    Refused,
    /// The model asked a question and waits for the answer.
    Question,
    /// The model answered without proposing anything.
    NoProposal,
    /// The loop stopped before the model finished.
    Stopped,
}

/// What the caller knows that the report does not.
#[derive(Debug, Clone, Default)]
pub struct Facts {
    /// `--dry-run` was given.
    pub dry_run: bool,
    /// Plan files written instead of applying (`--plan-out`).
    pub plans: Vec<String>,
    /// Changes approved in this request and staged (`qwf refine`).
    pub staged: usize,
}

/// The status of one request.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    pub kind: StatusKind,
    /// One line for the user: "Applied: 'data-pipeline' v2." or "Nothing
    /// was applied: ...".
    pub line: String,
    /// Nothing was applied, yet the model's final text reads as if a
    /// change was made.
    pub unapplied_claim: bool,
}

impl Status {
    pub fn applied(&self) -> bool {
        matches!(self.kind, StatusKind::Applied | StatusKind::Staged)
    }
}

/// The status of `report`.
pub fn of(report: &Report, facts: &Facts) -> Status {
    let (kind, line) = describe(report, facts);
    let applied = matches!(kind, StatusKind::Applied | StatusKind::Staged);
    Status {
        kind,
        line,
        unapplied_claim: !applied && claims_a_change(&report.final_message),
    }
}

fn describe(report: &Report, facts: &Facts) -> (StatusKind, String) {
    let declined = || {
        report
            .declined
            .iter()
            .map(|declined| addressed_to_the_user(&declined.reason))
            .collect::<Vec<_>>()
    };
    if !report.applied.is_empty() {
        let items: Vec<String> = report.applied.iter().map(applied_item).collect();
        let mut line = format!("Applied: {}.", items.join("; "));
        let declined = declined();
        if !declined.is_empty() {
            line.push_str(&format!(" Declined: {}.", declined.join("; ")));
        }
        return (StatusKind::Applied, line);
    }
    if facts.staged > 0 {
        return (
            StatusKind::Staged,
            format!(
                "Accepted {} change{}: saved together with the others when you choose done.",
                facts.staged,
                if facts.staged == 1 { "" } else { "s" }
            ),
        );
    }
    if let Some(plan) = facts.plans.last() {
        return (
            StatusKind::PlanSaved,
            format!(
                "Nothing was applied: the proposal was saved as {plan}; apply it with `qwf apply {plan}`."
            ),
        );
    }
    if !report.declined.is_empty() {
        if facts.dry_run {
            return (
                StatusKind::DryRun,
                "Nothing was applied: this was a dry run (run it again without --dry-run to apply it).".into(),
            );
        }
        return (
            StatusKind::Declined,
            format!("Nothing was applied: {}.", declined().join("; ")),
        );
    }
    if let Some(stopped) = &report.stopped {
        return (
            StatusKind::Stopped,
            format!("Nothing was applied: {}.", stopped.trim_end_matches('.')),
        );
    }
    if let Some(rejected) = report.rejected.last() {
        let count = report.rejected.len();
        let error = rejected.error.trim_end_matches('.');
        return (
            StatusKind::Refused,
            if count == 1 {
                format!(
                    "Nothing was applied: qwf refused the model's {} call: {error}.",
                    rejected.tool
                )
            } else {
                format!(
                    "Nothing was applied: qwf refused {count} proposals of the model; the last ({}): {error}.",
                    rejected.tool
                )
            },
        );
    }
    if report.question.is_some() {
        return (
            StatusKind::Question,
            "Nothing was applied: the model asked a question; answer it in your next request."
                .into(),
        );
    }
    (
        StatusKind::NoProposal,
        "Nothing was applied: the model proposed no change.".into(),
    )
}

/// A decline reason, written for the model ("the user declined this
/// change"), as said to the user ("you declined this change").
fn addressed_to_the_user(reason: &str) -> String {
    let reason = reason.trim().trim_end_matches('.');
    match reason.strip_prefix("the user ") {
        Some(rest) => format!("you {rest}"),
        None => reason.to_string(),
    }
}

fn applied_item(applied: &super::session::Applied) -> String {
    let mut item = match (&applied.workflow, applied.version, &applied.skill) {
        (Some(workflow), Some(version), _) => format!("'{workflow}' v{version}"),
        (Some(workflow), None, _) => format!("'{workflow}'"),
        (None, _, Some(skill)) => format!("skill '{skill}'"),
        (None, _, None) => applied.summary.clone(),
    };
    if !applied.skills_created.is_empty() {
        item.push_str(&format!(
            " with new skill{} {}",
            if applied.skills_created.len() == 1 {
                ""
            } else {
                "s"
            },
            applied.skills_created.join(", ")
        ));
    }
    item
}

/// Past participles that report a change to a workflow.
const CHANGE_WORDS: &[&str] = &[
    "added",
    "updated",
    "applied",
    "changed",
    "modified",
    "created",
    "removed",
    "deleted",
    "renamed",
    "increased",
    "decreased",
    "raised",
    "lowered",
    "configured",
    "implemented",
    "inserted",
    "replaced",
    "moved",
    "enabled",
    "reverted",
    "restored",
    "saved",
    "incorporated",
    "included",
    "introduced",
    "wrapped",
];

/// Words that make a sentence about a change hypothetical, negative or a
/// proposal rather than a report.
const HEDGES: &[&str] = &[
    "not", "no", "nothing", "never", "cannot", "can't", "couldn't", "didn't", "don't", "wasn't",
    "weren't", "won't", "isn't", "hasn't", "haven't", "would", "could", "should", "can", "will",
    "shall", "may", "might", "if", "propose", "proposed", "proposal", "suggest", "want", "like",
    "need", "needs", "unless", "declined", "failed",
];

/// Whether `text` reads as a report that a change was made ("I've added
/// retry logic", "the retry step has been added", "fetch now retries 3
/// times"). A heuristic, deliberately narrow: first-person or perfect-tense
/// reports and "now ..." statements, in a sentence with no negation or
/// hedge. Answers that describe a workflow ("fetch reads the API URL") do
/// not match.
pub fn claims_a_change(text: &str) -> bool {
    text.split(['.', '!', '?', '\n']).any(sentence_claims)
}

fn sentence_claims(sentence: &str) -> bool {
    let lower = sentence.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|word| !word.is_empty())
        .collect();
    if words
        .iter()
        .any(|word| HEDGES.contains(word) || word.ends_with("n't"))
    {
        return false;
    }
    let change = words.iter().position(|word| CHANGE_WORDS.contains(word));
    let perfect = |at: usize| {
        words[..at].iter().any(|word| {
            matches!(
                *word,
                "i" | "i've" | "we" | "we've" | "has" | "have" | "successfully" | "been"
            )
        })
    };
    if let Some(at) = change
        && perfect(at)
    {
        return true;
    }
    if words.first().is_some_and(|word| {
        matches!(
            *word,
            "done" | "success" | "successfully" | "updated" | "added" | "applied"
        )
    }) {
        return true;
    }
    // "fetch now retries 3 times", "the workflow now has a retry step".
    words.windows(2).any(|pair| {
        pair[0] == "now"
            && matches!(
                pair[1],
                "retries" | "has" | "uses" | "includes" | "runs" | "waits" | "handles" | "contains"
            )
    }) || lower.contains("is now") && change.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::session::{Applied, Declined, Rejected};
    use crate::core::Verdict;

    #[test]
    fn claims_are_reports_of_a_change_not_descriptions_or_proposals() {
        for claim in [
            "I've added retry logic to the API call step.",
            "I added a retry step after fetch.",
            "The retry logic has been added to the fetch step.",
            "Done! The fetch step now retries 3 times with exponential backoff.",
            "Successfully updated the workflow.",
            "Added retry logic to the API call.",
            "I have increased the timeout to 30 seconds",
        ] {
            assert!(claims_a_change(claim), "{claim}");
        }
        for honest in [
            "",
            "The workflow fetches data from the API, validates it and saves it.",
            "Not applied: dry run: the proposal was shown, not applied. Nothing changed.",
            "I would add a retry step after fetch. Shall I?",
            "I proposed adding retry to fetch; it was declined.",
            "Which step do you mean: fetch or save?",
            "The fetch step has a timeout of 30 seconds.",
            "I couldn't find a step called 'upload'.",
        ] {
            assert!(!claims_a_change(honest), "{honest}");
        }
    }

    fn report() -> Report {
        Report::default()
    }

    #[test]
    fn each_ending_has_its_own_line() {
        let mut applied = report();
        applied.applied.push(Applied {
            workflow: Some("data-pipeline".into()),
            version: Some(2),
            skill: None,
            skills_created: vec![],
            skills_skipped: vec![],
            verdict: Verdict::Safe,
            summary: "Add retry".into(),
            modifications: vec![],
            stub_scripts: vec![],
            rewrite: None,
        });
        let status = of(&applied, &Facts::default());
        assert_eq!(status.kind, StatusKind::Applied);
        assert_eq!(status.line, "Applied: 'data-pipeline' v2.");

        let mut declined = report();
        declined.declined.push(Declined {
            summary: "Remove validate".into(),
            verdict: Verdict::Breaking,
            reason: "the change is breaking and --force was not given".into(),
            modifications: vec![],
            rewrite: None,
        });
        assert_eq!(
            of(&declined, &Facts::default()).line,
            "Nothing was applied: the change is breaking and --force was not given."
        );
        let dry = of(
            &declined,
            &Facts {
                dry_run: true,
                ..Facts::default()
            },
        );
        assert_eq!(dry.kind, StatusKind::DryRun);
        assert!(!dry.line.contains("the user"), "{}", dry.line);

        let mut by_you = report();
        by_you.declined.push(Declined {
            summary: "Remove validate".into(),
            verdict: Verdict::Breaking,
            reason: "the user declined this change".into(),
            modifications: vec![],
            rewrite: None,
        });
        assert_eq!(
            of(&by_you, &Facts::default()).line,
            "Nothing was applied: you declined this change."
        );

        let mut refused = report();
        refused.rejected.push(Rejected {
            tool: "propose_modification".into(),
            error: "the change touches 'save', outside the step 'fetch'".into(),
        });
        assert_eq!(of(&refused, &Facts::default()).kind, StatusKind::Refused);

        let mut claimed = report();
        claimed.final_message = "I've added retry logic to the fetch step.".into();
        let status = of(&claimed, &Facts::default());
        assert_eq!(status.kind, StatusKind::NoProposal);
        assert_eq!(
            status.line,
            "Nothing was applied: the model proposed no change."
        );
        assert!(status.unapplied_claim);
    }
}
