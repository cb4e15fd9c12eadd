//! The skill file (`skills/NAME.json`): a reusable capability a step runs.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::model::JsonMap;

/// How a skill runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SkillType {
    /// A command run once per step.
    CodeInline,
    /// A command kept running across steps.
    CodeSession,
    /// A conversation with a model.
    Conversation,
    /// A single prompt to a model.
    PromptInline,
}

impl std::fmt::Display for SkillType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SkillType::CodeInline => "code_inline",
            SkillType::CodeSession => "code_session",
            SkillType::Conversation => "conversation",
            SkillType::PromptInline => "prompt_inline",
        })
    }
}

/// A skill file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Skill {
    pub name: String,
    #[serde(rename = "type")]
    pub skill_type: SkillType,
    #[serde(default)]
    pub description: String,
    /// The command (for code skills) or prompt (for model skills).
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub inputs: Vec<String>,
    #[serde(default)]
    pub outputs: Vec<String>,
    /// Fields this version of qwf does not know; kept verbatim.
    #[serde(flatten)]
    #[schemars(skip)]
    pub extra: JsonMap,
}
