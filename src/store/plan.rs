//! Plan files: a proposal saved for later (`--plan-out`), applied with
//! `qwf apply`. A plan names its workflow and the version it was made for.

use serde::{Deserialize, Serialize};

use crate::core::names::check_name;
use crate::core::{Evaluation, Modification, evaluate};

use super::error::{Result, StoreError};
use super::{Change, Committed, Context, Origin, Provenance, Store};

pub const PLAN_FORMAT: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Format marker; always 1 for now.
    pub qwf_plan: u32,
    pub workflow: String,
    /// The version the modifications were computed against.
    pub base_version: u64,
    #[serde(default)]
    pub summary: String,
    /// The request that produced the plan, when it came from one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    pub modifications: Vec<Modification>,
}

impl Plan {
    pub fn new(
        workflow: &str,
        base_version: u64,
        summary: &str,
        modifications: Vec<Modification>,
    ) -> Self {
        Plan {
            qwf_plan: PLAN_FORMAT,
            workflow: workflow.to_string(),
            base_version,
            summary: summary.to_string(),
            request: None,
            modifications,
        }
    }

    /// Reads a plan file's text; errors carry line and column.
    pub fn parse(path: &std::path::Path, text: &str) -> Result<Plan> {
        let plan: Plan = serde_json::from_str(text).map_err(|error| StoreError::Invalid {
            message: format!("{}:{}:{}: not a valid plan file: {}", path.display(), error.line(), error.column(), strip_position(&error)),
            hint: "a plan file is what `--plan-out FILE` writes: {\"qwf_plan\": 1, \"workflow\", \"base_version\", \"summary\", \"modifications\": [...]}".into(),
        })?;
        if plan.qwf_plan != PLAN_FORMAT {
            return Err(StoreError::Invalid {
                message: format!(
                    "{}: plan format {} is not supported (this qwf reads format {PLAN_FORMAT})",
                    path.display(),
                    plan.qwf_plan
                ),
                hint: "make the plan again with this version of qwf".into(),
            });
        }
        check_name(&plan.workflow, "workflow")?;
        if plan.modifications.is_empty() {
            return Err(StoreError::Invalid {
                message: format!("{}: the plan has no modifications", path.display()),
                hint: "there is nothing to apply".into(),
            });
        }
        Ok(plan)
    }

    /// Evaluates the plan on the workflow's current version, as `qwf apply`
    /// and `qwf mcp`'s `apply_plan` show it before applying. A plan made for
    /// an older version is evaluated on the current one; one that no longer
    /// applies is refused with a hint to make it again.
    pub fn check(&self, store: &Store, context: &Context) -> Result<CheckedPlan> {
        let head = store.head(&self.workflow, context)?;
        let head_version = head.record.version;
        if self.base_version > head_version {
            return Err(StoreError::Invalid {
                message: format!(
                    "the plan was made for v{} of '{}', which only has {head_version} versions",
                    self.base_version, self.workflow
                ),
                hint: "was it made for another qwf home? Check --home / QWF_HOME".into(),
            });
        }
        // The same checks as the gate: the registry's skills and their
        // interfaces.
        let known = store.known_resources().ok();
        let evaluation = evaluate(&head.workflow, &self.modifications, known.as_ref()).map_err(|error| {
            let hint = if self.base_version != head_version {
                format!(
                    "the plan was made for v{} and the workflow is now at v{head_version}; make the plan again",
                    self.base_version
                )
            } else {
                error.hint.clone()
            };
            StoreError::Invalid {
                message: format!(
                    "the plan does not apply to '{}' v{head_version}: {error}",
                    self.workflow
                ),
                hint,
            }
        })?;
        Ok(CheckedPlan {
            head_version,
            evaluation,
        })
    }

    /// Applies the plan as a new version. If the workflow moved since the
    /// plan was made, the modifications are re-applied on the new version
    /// only when they still fit (see [`Store::commit`]).
    pub fn commit(
        &self,
        store: &Store,
        origin: Origin,
        tool_calls: Vec<serde_json::Value>,
        context: &Context,
    ) -> Result<Committed> {
        let description = if self.summary.is_empty() {
            "Applied a plan".to_string()
        } else {
            self.summary.clone()
        };
        let mut provenance = Provenance::new(description, origin);
        provenance.tool_calls = tool_calls;
        store.commit(
            &self.workflow,
            Some(self.base_version),
            Change::Modify(self.modifications.clone()),
            provenance,
            context,
        )
    }

    pub fn to_pretty_json(&self) -> String {
        let mut text =
            serde_json::to_string_pretty(self).expect("a plan is always representable as JSON");
        text.push('\n');
        text
    }
}

/// A plan evaluated on the workflow's current version.
#[derive(Debug, Clone)]
pub struct CheckedPlan {
    pub head_version: u64,
    pub evaluation: Evaluation,
}

/// serde_json's message without its " at line L column C" suffix.
pub fn strip_position(error: &serde_json::Error) -> String {
    let text = error.to_string();
    match text.rfind(" at line ") {
        Some(cut) if error.line() > 0 => text[..cut].to_string(),
        _ => text,
    }
}
