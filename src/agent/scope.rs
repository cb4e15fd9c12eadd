//! Scoped edits (`qwf edit --step ID | --error-handling | --context`): the
//! part of a workflow a proposal may touch.

use std::fmt;

use crate::core::Modification;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Only this step.
    Step(String),
    /// Only error handling (and timeouts) of any step.
    ErrorHandling,
    /// Only context values.
    Context,
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::Step(id) => write!(f, "step '{id}'"),
            Scope::ErrorHandling => {
                f.write_str("error handling (error_handling and timeout_secs of steps)")
            }
            Scope::Context => f.write_str("context values"),
        }
    }
}

impl Scope {
    fn allows(&self, modification: &Modification) -> bool {
        let changed_fields = |changes: &serde_json::Value| -> Vec<String> {
            changes
                .as_object()
                .map(|object| object.keys().cloned().collect())
                .unwrap_or_default()
        };
        match (self, modification) {
            (Scope::Step(scoped), Modification::ModifyStep { id, .. }) => id == scoped,
            (Scope::Step(scoped), Modification::AddErrorHandling { step_id, .. }) => {
                step_id == scoped
            }
            (Scope::ErrorHandling, Modification::AddErrorHandling { .. }) => true,
            (Scope::ErrorHandling, Modification::ModifyStep { changes, .. }) => {
                let fields = changed_fields(changes);
                !fields.is_empty()
                    && fields
                        .iter()
                        .all(|field| field == "error_handling" || field == "timeout_secs")
            }
            (
                Scope::Context,
                Modification::SetContext { .. } | Modification::RemoveContext { .. },
            ) => true,
            _ => false,
        }
    }

    /// Refuses the first modification that reaches outside the scope.
    pub fn check(&self, modifications: &[Modification]) -> Result<(), String> {
        match modifications
            .iter()
            .enumerate()
            .find(|(_, modification)| !self.allows(modification))
        {
            None => Ok(()),
            Some((index, modification)) => Err(format!(
                "modification {index} ({modification}) is outside the scope of this edit, which may only change {self}"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn modifications(value: serde_json::Value) -> Vec<Modification> {
        serde_json::from_value(value).expect("modifications parse")
    }

    #[test]
    fn a_step_scope_allows_only_that_step() {
        let scope = Scope::Step("fetch".into());
        assert_eq!(
            scope.check(&modifications(
                json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 30}}])
            )),
            Ok(())
        );
        let error = scope
            .check(&modifications(json!([{"type": "modify_step", "id": "fetch", "changes": {}}, {"type": "remove_step", "id": "save"}])))
            .expect_err("outside");
        assert_eq!(
            error,
            "modification 1 (remove step 'save') is outside the scope of this edit, which may only change step 'fetch'"
        );
    }

    #[test]
    fn error_handling_and_context_scopes() {
        let retry = json!([{"type": "add_error_handling", "step_id": "save", "error_handling": {"strategy": "continue"}}]);
        assert_eq!(
            Scope::ErrorHandling.check(&modifications(retry.clone())),
            Ok(())
        );
        assert!(Scope::Context.check(&modifications(retry)).is_err());
        let timeout =
            json!([{"type": "modify_step", "id": "fetch", "changes": {"timeout_secs": 5}}]);
        assert_eq!(Scope::ErrorHandling.check(&modifications(timeout)), Ok(()));
        let skill = json!([{"type": "modify_step", "id": "fetch", "changes": {"skill": "curl"}}]);
        assert!(Scope::ErrorHandling.check(&modifications(skill)).is_err());
        assert_eq!(
            Scope::Context.check(&modifications(
                json!([{"type": "set_context", "key": "k", "value": 1}])
            )),
            Ok(())
        );
    }
}
