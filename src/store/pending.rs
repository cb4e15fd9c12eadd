//! Plans waiting for a decision: what `qwf mcp`'s proposing tools make and
//! its `apply_plan` tool applies. Each one is a file
//! `QWF_HOME/plans/ID.json` holding the change, who asked for it, and when
//! it expires. Applying one marks it applied (under a lock), so a plan
//! lands at most once.

use std::fs;
use std::hash::{BuildHasher, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::error::{Result, StoreError};
use super::lock::WorkflowLock;
use super::plan::Plan;
use super::{Context, Store, write_atomic};
use crate::core::skill::Skill;
use crate::core::{Verdict, Workflow};

/// How long a plan can be applied after it was made.
pub const PLAN_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// Expired plans are kept this much longer, so that a late `apply_plan`
/// hears "expired" rather than "unknown"; then they are swept away.
const KEPT_AFTER_EXPIRY: Duration = Duration::from_secs(7 * 24 * 60 * 60);

/// Hex digits in a plan id, after its leading `p` (so that no id reads as
/// a number, which a host or its model might then send as one).
const ID_DIGITS: usize = 12;

/// What a plan changes when it is applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingChange {
    /// Modifications of an existing workflow (re-applied on a newer
    /// version when they still fit, as `qwf apply` does).
    Modify { plan: Plan },
    /// Bring back version `to` as a new version; only on `base_version`.
    Rollback {
        workflow: String,
        base_version: u64,
        to: u64,
    },
    /// A new workflow, and the skills it needs that do not exist yet.
    Create {
        workflow: Box<Workflow>,
        #[serde(default)]
        new_skills: Vec<Skill>,
    },
    /// A new skill (a change that needs it is proposed after it exists).
    CreateSkill { skill: Skill },
}

impl PendingChange {
    /// The workflow the change is about, if any.
    pub fn workflow(&self) -> Option<&str> {
        match self {
            PendingChange::Modify { plan } => Some(&plan.workflow),
            PendingChange::Rollback { workflow, .. } => Some(workflow),
            PendingChange::Create { workflow, .. } => Some(&workflow.name),
            PendingChange::CreateSkill { .. } => None,
        }
    }

    /// "modify", "rollback", "create", "create_skill".
    pub fn kind(&self) -> &'static str {
        match self {
            PendingChange::Modify { .. } => "modify",
            PendingChange::Rollback { .. } => "rollback",
            PendingChange::Create { .. } => "create",
            PendingChange::CreateSkill { .. } => "create_skill",
        }
    }
}

/// When and as what a plan was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AppliedPlan {
    /// RFC 3339.
    pub at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workflow: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u64>,
}

/// A plan file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingPlan {
    pub id: String,
    /// RFC 3339.
    pub created: String,
    /// RFC 3339; after this the plan is refused.
    pub expires: String,
    /// Who asked for it (an MCP client's name).
    pub client: String,
    pub summary: String,
    /// The words a model turned into this plan, when there were some.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<String>,
    pub change: PendingChange,
    /// The impact's verdict when the plan was made.
    pub verdict: Verdict,
    /// The model's tool calls that produced it, recorded with the version.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub applied: Option<AppliedPlan>,
}

/// What a new plan holds; [`Store::save_pending`] adds the id and times.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub client: String,
    pub summary: String,
    pub request: Option<String>,
    pub change: PendingChange,
    pub verdict: Verdict,
    pub tool_calls: Vec<serde_json::Value>,
}

fn rfc3339(time: SystemTime) -> String {
    humantime::format_rfc3339_seconds(time).to_string()
}

/// A fresh random id: 48 bits from the standard library's randomly keyed
/// hasher, mixed with the time and a counter.
fn fresh_id(now: SystemTime) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        now.duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    hasher.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    format!("p{:012x}", hasher.finish() >> 16)
}

/// Refuses anything but an id this module could have made, before any
/// path is built from it.
fn check_id(id: &str) -> Result<()> {
    if let Some(digits) = id.strip_prefix('p')
        && digits.len() == ID_DIGITS
        && digits
            .bytes()
            .all(|byte| matches!(byte, b'0'..=b'9' | b'a'..=b'f'))
    {
        return Ok(());
    }
    let shown: String = id.chars().take(40).collect();
    Err(StoreError::Invalid {
        message: format!("'{shown}' is not a plan id"),
        hint: "use the plan_id that propose_modification, edit_workflow, create_workflow or rollback returned (p and 12 hex digits, like p3f9a0c1b2d4e)".into(),
    })
}

impl PendingPlan {
    /// Whether the plan can no longer be applied at `now`.
    pub fn expired(&self, now: SystemTime) -> bool {
        humantime::parse_rfc3339_weak(&self.expires).map_or(true, |expires| now > expires)
    }
}

impl Store {
    pub fn plans_dir(&self) -> PathBuf {
        self.root().join("plans")
    }

    fn pending_path(&self, id: &str) -> PathBuf {
        self.plans_dir().join(format!("{id}.json"))
    }

    /// Saves a new plan that can be applied until [`PLAN_LIFETIME`] after
    /// `now`, and sweeps away plans long expired.
    pub fn save_pending(&self, new: NewPlan, now: SystemTime) -> Result<PendingPlan> {
        self.sweep_pending(now);
        let mut id = fresh_id(now);
        while self.pending_path(&id).exists() {
            id = fresh_id(now);
        }
        let plan = PendingPlan {
            id,
            created: rfc3339(now),
            expires: rfc3339(now + PLAN_LIFETIME),
            client: new.client,
            summary: new.summary,
            request: new.request,
            change: new.change,
            verdict: new.verdict,
            tool_calls: new.tool_calls,
            applied: None,
        };
        self.write_pending(&plan)?;
        Ok(plan)
    }

    fn write_pending(&self, plan: &PendingPlan) -> Result<()> {
        let mut text =
            serde_json::to_string_pretty(plan).expect("a plan is always representable as JSON");
        text.push('\n');
        write_atomic(&self.pending_path(&plan.id), text.as_bytes())
    }

    /// Reads plan `id` as it is, applied or expired.
    pub fn pending(&self, id: &str) -> Result<PendingPlan> {
        check_id(id)?;
        let path = self.pending_path(id);
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Invalid {
                    message: format!("there is no plan '{id}'"),
                    hint: "plans come from propose_modification, edit_workflow, create_workflow or rollback, in this qwf home, and are removed a week after they expire; propose the change again".into(),
                });
            }
            Err(error) => return Err(StoreError::io("read", path, error)),
        };
        serde_json::from_str(&text).map_err(|error| StoreError::Invalid {
            message: format!(
                "{}:{}:{}: not a valid plan: {}",
                path.display(),
                error.line(),
                error.column(),
                super::plan::strip_position(&error)
            ),
            hint: "the file was changed outside qwf; propose the change again".into(),
        })
    }

    /// Plan `id`, if it can still be applied at `now`: not applied yet and
    /// not expired.
    pub fn pending_to_apply(&self, id: &str, now: SystemTime) -> Result<PendingPlan> {
        let plan = self.pending(id)?;
        if let Some(applied) = &plan.applied {
            let what = match (&applied.workflow, applied.version) {
                (Some(workflow), Some(version)) => format!(" as v{version} of '{workflow}'"),
                _ => String::new(),
            };
            return Err(StoreError::Invalid {
                message: format!("plan '{id}' was applied already{what}, at {}", applied.at),
                hint: "a plan is applied once; `history` shows the version it made. Propose again for another change".into(),
            });
        }
        if plan.expired(now) {
            return Err(StoreError::Invalid {
                message: format!(
                    "plan '{id}' expired at {} (plans can be applied for {} hours)",
                    plan.expires,
                    PLAN_LIFETIME.as_secs() / 3600
                ),
                hint: "nothing was applied; propose the change again to get a fresh plan".into(),
            });
        }
        Ok(plan)
    }

    /// Holds plan `id` while it is applied, so two calls cannot both apply
    /// it.
    pub fn lock_pending(&self, id: &str, context: &Context) -> Result<WorkflowLock> {
        check_id(id)?;
        WorkflowLock::acquire(
            &self.plans_dir().join(format!(".{id}.lock")),
            context.on_wait,
        )
    }

    /// Records that the plan was applied (call it under
    /// [`Store::lock_pending`]).
    pub fn mark_pending_applied(&self, plan: &PendingPlan, applied: AppliedPlan) -> Result<()> {
        let mut plan = plan.clone();
        plan.applied = Some(applied);
        self.write_pending(&plan)
    }

    /// Removes plans (and their lock files) that expired more than a week
    /// before `now`. Best effort: what cannot be removed stays for next
    /// time.
    fn sweep_pending(&self, now: SystemTime) {
        let Ok(entries) = fs::read_dir(self.plans_dir()) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some(id) = name.to_str().and_then(|name| name.strip_suffix(".json")) else {
                continue;
            };
            if check_id(id).is_err() {
                continue;
            }
            let Ok(plan) = self.pending(id) else {
                continue;
            };
            let long_expired = humantime::parse_rfc3339_weak(&plan.expires)
                .is_ok_and(|expires| now > expires + KEPT_AFTER_EXPIRY);
            if long_expired {
                let _ = fs::remove_file(entry.path());
                let _ = fs::remove_file(self.plans_dir().join(format!(".{id}.lock")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Store) {
        let home = tempfile::tempdir().expect("temp dir");
        let store = Store::new(home.path());
        (home, store)
    }

    fn skill_plan() -> NewPlan {
        let skill: Skill = serde_json::from_value(serde_json::json!({
            "name": "notify", "type": "code_inline", "description": "Send a note",
            "command": "notify-send", "inputs": ["text"], "outputs": []
        }))
        .expect("a skill");
        NewPlan {
            client: "test".into(),
            summary: "Create skill 'notify'".into(),
            request: None,
            change: PendingChange::CreateSkill { skill },
            verdict: Verdict::Safe,
            tool_calls: Vec::new(),
        }
    }

    fn at(text: &str) -> SystemTime {
        humantime::parse_rfc3339(text).expect("a time")
    }

    #[test]
    fn a_plan_is_saved_read_back_and_expires_after_its_lifetime() {
        let (_home, store) = store();
        let made = at("2026-01-01T10:00:00Z");
        let plan = store.save_pending(skill_plan(), made).expect("saved");
        assert!(
            plan.id.starts_with('p') && plan.id.len() == 1 + ID_DIGITS,
            "{}",
            plan.id
        );
        assert_eq!(plan.expires, "2026-01-02T10:00:00Z");
        assert_eq!(store.pending(&plan.id).expect("read"), plan);
        assert!(
            store
                .pending_to_apply(&plan.id, at("2026-01-02T10:00:00Z"))
                .is_ok()
        );
        let error = store
            .pending_to_apply(&plan.id, at("2026-01-02T10:00:01Z"))
            .expect_err("expired");
        assert!(
            error
                .to_string()
                .contains("expired at 2026-01-02T10:00:00Z"),
            "{error}"
        );
    }

    #[test]
    fn an_applied_plan_is_refused_a_second_time() {
        let (_home, store) = store();
        let now = at("2026-01-01T10:00:00Z");
        let plan = store.save_pending(skill_plan(), now).expect("saved");
        store
            .mark_pending_applied(
                &plan,
                AppliedPlan {
                    at: "2026-01-01T10:01:00Z".into(),
                    workflow: Some("w".into()),
                    version: Some(4),
                },
            )
            .expect("marked");
        let error = store.pending_to_apply(&plan.id, now).expect_err("applied");
        assert!(
            error.to_string().contains("applied already as v4 of 'w'"),
            "{error}"
        );
    }

    #[test]
    fn hostile_and_unknown_ids_are_refused_before_touching_disk() {
        let (home, store) = store();
        for id in [
            "../../etc/passwd",
            "",
            "pABCDEF012345",
            "0123456789ab",
            "p0123456789abc",
            "plan 1",
        ] {
            let error = store.pending(id).expect_err(id);
            assert!(
                error.to_string().contains("is not a plan id"),
                "{id}: {error}"
            );
        }
        let error = store.pending("p0123456789ab").expect_err("unknown");
        assert_eq!(error.to_string(), "there is no plan 'p0123456789ab'");
        assert!(!home.path().join("plans").exists());
    }

    #[test]
    fn plans_long_expired_are_swept_when_a_new_one_is_made() {
        let (_home, store) = store();
        let old = store
            .save_pending(skill_plan(), at("2026-01-01T10:00:00Z"))
            .expect("saved");
        let recent = store
            .save_pending(skill_plan(), at("2026-01-05T10:00:00Z"))
            .expect("saved");
        store
            .save_pending(skill_plan(), at("2026-01-09T10:00:01Z"))
            .expect("saved");
        assert!(store.pending(&old.id).is_err(), "swept");
        assert!(
            store.pending(&recent.id).is_ok(),
            "kept: expired less than a week ago"
        );
    }
}
