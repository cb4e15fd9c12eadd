//! A gate for tests: answers proposals from a list (declining once the
//! list runs out), answers questions from another, and remembers what it
//! was shown.
#![allow(dead_code)] // each test binary uses a different part

use qwf::agent::gate::{Decision, Gate, Proposal};

pub struct ScriptedGate {
    decisions: Vec<Decision>,
    pub shown: Vec<Proposal>,
    pub answers: Vec<String>,
}

impl ScriptedGate {
    pub fn new(decisions: Vec<Decision>) -> Self {
        ScriptedGate {
            decisions,
            shown: Vec::new(),
            answers: Vec::new(),
        }
    }
}

impl Gate for ScriptedGate {
    fn decide(&mut self, proposal: &Proposal) -> Decision {
        self.shown.push(proposal.clone());
        if self.decisions.is_empty() {
            Decision::Decline {
                reason: "script ran out".into(),
            }
        } else {
            self.decisions.remove(0)
        }
    }

    fn ask(&mut self, _question: &str) -> Option<String> {
        if self.answers.is_empty() {
            None
        } else {
            Some(self.answers.remove(0))
        }
    }
}
