//! Which changes a conversation may propose at all, before anything is
//! evaluated or shown: every mutating tool is checked against the mode and
//! the scope of the command, so `--yes` can only approve what the command
//! was for.
//!
//! | mode | allowed |
//! |---|---|
//! | `do`, `chat` | every mutating tool (each still gated) |
//! | `edit A` | modifications and rollbacks of `A` within the scope; skills only when the scope lets a step use one (none or `--step`); never a new workflow |
//! | `create` | one new workflow, its skills, and modifications of the workflow it created |

use crate::core::diff::modifications_between;

use super::super::scope::Scope;
use super::super::tools::Tool;
use super::{Mode, Session};

/// Why a mutating call is refused, for the model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub message: String,
    pub hint: String,
}

fn refuse(message: impl Into<String>, hint: impl Into<String>) -> Result<(), Refusal> {
    Err(Refusal {
        message: message.into(),
        hint: hint.into(),
    })
}

impl Session<'_> {
    /// Refuses a mutating call the command's mode or scope does not allow.
    /// Read-only calls are always allowed.
    pub(super) fn authorize(&self, tool: &Tool) -> Result<(), Refusal> {
        if !tool.is_mutating() {
            return Ok(());
        }
        match &self.options.mode {
            Mode::General => Ok(()),
            Mode::Edit { workflow, scope } => self.authorize_edit(tool, workflow, scope.as_ref()),
            Mode::Create { .. } => self.authorize_create(tool),
        }
    }

    fn authorize_edit(
        &self,
        tool: &Tool,
        edited: &str,
        scope: Option<&Scope>,
    ) -> Result<(), Refusal> {
        let within = match scope {
            Some(scope) => format!("{scope} of '{edited}'"),
            None => format!("'{edited}'"),
        };
        match tool {
            Tool::ProposeModification(args) => {
                if args.workflow != edited {
                    return refuse(
                        format!("this edit is about '{edited}', not '{}'", args.workflow),
                        format!("propose modifications to '{edited}'"),
                    );
                }
                match scope.map(|scope| (scope, scope.check(&args.modifications))) {
                    Some((scope, Err(message))) => refuse(message, format!("change only {scope}")),
                    _ => Ok(()),
                }
            }
            Tool::Rollback(args) => {
                if args.workflow != edited {
                    return refuse(
                        format!(
                            "this edit is about '{edited}'; it may not roll back '{}'",
                            args.workflow
                        ),
                        format!("change only {within}"),
                    );
                }
                if self
                    .staged
                    .as_ref()
                    .is_some_and(|staged| staged.workflow == args.workflow)
                {
                    return refuse(
                        "a rollback cannot be staged with the other changes of this session",
                        "propose the changes as modifications; the user can run `qwf rollback` afterwards",
                    );
                }
                match scope {
                    None => Ok(()),
                    Some(scope) => self.rollback_within(edited, args.to.0, scope),
                }
            }
            Tool::CreateWorkflow(args) => refuse(
                format!(
                    "this edit changes '{edited}' only; it may not create a workflow ('{}')",
                    args.workflow.name
                ),
                format!("propose modifications to {within} instead"),
            ),
            Tool::CreateSkill(args) => match scope {
                None | Some(Scope::Step(_)) => Ok(()),
                Some(scope) => refuse(
                    format!(
                        "this edit may only change {scope}, which no new skill can be used for; skill '{}' was not proposed",
                        args.skill.name
                    ),
                    format!("change only {scope}"),
                ),
            },
            // Read-only tools were let through above; a mutating tool this
            // list does not know is refused until it is decided here.
            _ => refuse(
                format!("an edit of '{edited}' may not call this tool"),
                format!("propose modifications to {within}"),
            ),
        }
    }

    /// A scoped rollback is allowed when everything it changes lies
    /// within the scope.
    fn rollback_within(&self, workflow: &str, to: u64, scope: &Scope) -> Result<(), Refusal> {
        // A missing workflow or version is the rollback's own error.
        let (Ok(head), Ok(target)) = (
            self.store.head(workflow, &self.context),
            self.store.version(workflow, to),
        ) else {
            return Ok(());
        };
        let changes = match modifications_between(&head.workflow, &target) {
            Ok(changes) => changes,
            Err(_) => {
                return refuse(
                    format!(
                        "rolling back to v{to} changes more than {scope} (the workflow's name or version)"
                    ),
                    format!("change only {scope}, with propose_modification"),
                );
            }
        };
        scope.check(&changes).map_err(|message| Refusal {
            message: format!(
                "rolling back to v{to} would change more than the scope allows: {message}"
            ),
            hint: format!("change only {scope}, with propose_modification"),
        })
    }

    fn authorize_create(&self, tool: &Tool) -> Result<(), Refusal> {
        match tool {
            Tool::CreateWorkflow(_) => match self.created.first() {
                Some(created) => refuse(
                    format!("this request already created the workflow '{created}'"),
                    format!(
                        "change '{created}' with propose_modification; `qwf create` makes one workflow"
                    ),
                ),
                None => Ok(()),
            },
            Tool::CreateSkill(_) => Ok(()),
            Tool::ProposeModification(args) if self.created.contains(&args.workflow) => Ok(()),
            Tool::ProposeModification(args) => refuse(
                format!(
                    "`qwf create` makes a new workflow; it may not change the existing workflow '{}'",
                    args.workflow
                ),
                "create the new workflow with create_workflow; the user changes existing ones with `qwf edit`",
            ),
            Tool::Rollback(args) => refuse(
                format!(
                    "`qwf create` makes a new workflow; it may not roll back '{}'",
                    args.workflow
                ),
                "create the new workflow with create_workflow",
            ),
            _ => refuse(
                "`qwf create` may not call this tool",
                "create the new workflow with create_workflow",
            ),
        }
    }
}
