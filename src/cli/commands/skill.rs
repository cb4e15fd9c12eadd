use std::path::PathBuf;

use serde_json::json;

use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{DIM, ERROR, GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::render::{skill_file_lines, skill_problem_lines};
use crate::cli::settings::Settings;
use crate::core::ranking::rank;
use crate::core::skill::{
    Port, Skill, SkillProblem, SkillType, check_skill, has_errors, parse_skill,
};
use crate::core::validation::Severity;

/// The skill registry (`QWF_HOME/skills/NAME.json`): list, show and create
/// the skills workflow steps run.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: SkillCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum SkillCommand {
    List(ListArgs),
    Show(ShowArgs),
    Create(CreateArgs),
    Edit(EditArgs),
    Delete(DeleteArgs),
}

/// Change a skill in $EDITOR. The edited file is checked (every problem at
/// once; edit again or give up), the change is shown as a diff with the
/// workflows that use the skill, and saved when you confirm (or with
/// --yes; without a terminal it is saved, since the previous file is kept
/// in skills/.trash/). Its name cannot change: workflows use it.
#[derive(Debug, clap::Args)]
pub struct EditArgs {
    pub name: String,
    /// Save without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// Delete a skill. Says which workflows use it (their steps cannot run
/// until it exists again) and asks on a terminal (--yes skips the
/// question). The file moves to skills/.trash/, from where `qwf skill
/// create --file` brings it back.
#[derive(Debug, clap::Args)]
pub struct DeleteArgs {
    pub name: String,
    /// Delete without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

/// List the skills by name, or with --query the best matches first
/// (ranked by name, description, inputs and outputs, synonyms included).
#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Words to search for, e.g. "send email".
    #[arg(long, short)]
    pub query: Option<String>,
    /// With --query, how many matches to show.
    #[arg(long, default_value_t = 20, requires = "query")]
    pub limit: usize,
}

/// Print a skill file as JSON.
#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    pub name: String,
}

/// Create a skill from flags or from a skill file. The file is checked
/// (name rules, type, a command for code skills, input and output names),
/// shown, and saved only when you confirm (or with --yes). An existing
/// skill is never replaced.
#[derive(Debug, clap::Args)]
pub struct CreateArgs {
    /// The skill's name (or --name).
    #[arg(value_name = "NAME", conflicts_with_all = ["name", "file"])]
    pub positional_name: Option<String>,
    /// The skill's name: lowercase letters, digits, '-' and '_'.
    #[arg(long, conflicts_with = "file")]
    pub name: Option<String>,
    /// code_inline, code_session, conversation or prompt_inline.
    #[arg(long = "type", value_name = "TYPE", conflicts_with = "file")]
    pub skill_type: Option<String>,
    /// The command it runs (code skills) or the prompt (model skills).
    #[arg(long, conflicts_with = "file")]
    pub command: Option<String>,
    /// One line saying what it does.
    #[arg(long, conflicts_with = "file")]
    pub description: Option<String>,
    /// An input name (repeat for several).
    #[arg(long = "input", value_name = "NAME", conflicts_with = "file")]
    pub inputs: Vec<String>,
    /// An output name (repeat for several).
    #[arg(long = "output", value_name = "NAME", conflicts_with = "file")]
    pub outputs: Vec<String>,
    /// Read the skill from a skill file (JSON) instead of flags.
    #[arg(long, value_name = "SPEC.json")]
    pub file: Option<PathBuf>,
    /// Save without asking.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    match &args.command {
        SkillCommand::List(args) => list(args, settings, printer),
        SkillCommand::Show(args) => show(args, settings, printer),
        SkillCommand::Create(args) => create(args, settings, printer),
        SkillCommand::Edit(args) => edit(args, settings, printer),
        SkillCommand::Delete(args) => delete(args, settings, printer),
    }
}

fn usage(message: impl Into<String>, hint: impl Into<String>) -> CliError {
    let mut error = CliError::new(message).with_hint(hint);
    error.outcome = Outcome::Usage;
    error
}

fn list(args: &ListArgs, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let (skills, broken) = store.skills()?;
    let listing = store.skill_listing();
    let untrusted: Vec<&str> = listing
        .untrusted
        .iter()
        .map(|found| found.skill.name.as_str())
        .collect();
    let query = args.query.as_deref().map(str::trim).unwrap_or_default();
    let (shown, matched): (Vec<&Skill>, usize) = if query.is_empty() {
        (skills.iter().collect(), skills.len())
    } else {
        let ranking = rank(&skills, query, args.limit);
        (
            ranking.hits.iter().map(|hit| &skills[hit.index]).collect(),
            ranking.matched,
        )
    };
    if printer.json {
        let listed: Vec<_> = shown
            .iter()
            .map(|skill| json!({ "skill": skill, "problems": check_skill(skill) }))
            .collect();
        printer.document(&json!({
            "skills": listed,
            "matched": matched,
            "total": skills.len(),
            "broken": broken,
            "untrusted": untrusted,
            "untrusted_reason": listing.untrusted_reason,
        }));
        return Ok(Outcome::Done);
    }
    if skills.is_empty() && broken.is_empty() && untrusted.is_empty() {
        printer.line("No skills yet.");
        printer.line(paint(
            DIM,
            format!(
                "Create one with `qwf skill create NAME --type code_inline --command \"...\"`, or put a skill file in {}",
                store.skills_dir().display()
            ),
        ));
        return Ok(Outcome::Done);
    }
    if !query.is_empty() && shown.is_empty() {
        printer.line(format!(
            "No skill matches '{query}' (of {} skills).",
            skills.len()
        ));
    }
    let name_width = shown
        .iter()
        .map(|skill| skill.name.len())
        .max()
        .unwrap_or(0);
    let type_width = shown
        .iter()
        .map(|skill| skill.skill_type.to_string().len())
        .max()
        .unwrap_or(0);
    // Written at once: there may be thousands of lines.
    let mut lines = Vec::with_capacity(shown.len());
    for skill in &shown {
        let problems = check_skill(skill);
        let errors = problems
            .iter()
            .filter(|problem| problem.severity == Severity::Error)
            .count();
        let detail = if errors > 0 {
            paint(
                WARNING,
                format!(
                    "{} (`qwf skill show {}` and fix the file)",
                    problems
                        .iter()
                        .find(|problem| problem.severity == Severity::Error)
                        .map(|problem| problem.message.as_str())
                        .unwrap_or_default(),
                    skill.name
                ),
            )
        } else {
            skill.description.clone()
        };
        let line = format!(
            "{:name_width$}  {:type_width$}  {detail}",
            skill.name,
            skill.skill_type.to_string()
        );
        lines.push(line.trim_end().to_string());
    }
    if !lines.is_empty() {
        printer.line(lines.join("\n"));
    }
    if !query.is_empty() && matched > shown.len() {
        printer.line(paint(
            DIM,
            format!(
                "The best {} of {matched} matching skills; --limit N shows more.",
                shown.len()
            ),
        ));
    }
    for file in &broken {
        printer.line(format!(
            "{} {}: {}",
            paint(ERROR, "✗"),
            file.path.display(),
            file.message
        ));
    }
    if !untrusted.is_empty() {
        printer.line(paint(
            WARNING,
            format!(
                "Not used, since {}: the workspace's {} ({}). `qwf resources` shows their commands; `qwf trust` lets them run.",
                listing
                    .untrusted_reason
                    .as_deref()
                    .unwrap_or("the workspace is not trusted"),
                untrusted.join(", "),
                crate::store::discovery::workspace_skills_dir(std::path::Path::new(".")).display()
            ),
        ));
    }
    Ok(Outcome::Done)
}

fn show(args: &ShowArgs, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let skill = store.skill(&args.name)?;
    if printer.json {
        printer.document(&json!({
            "skill": skill,
            "path": store.skill_path(&skill.name),
            "problems": check_skill(&skill),
        }));
    } else {
        printer.line(serde_json::to_string_pretty(&skill).unwrap_or_default());
    }
    Ok(Outcome::Done)
}

/// The skill the flags describe.
fn from_flags(args: &CreateArgs) -> Result<Skill, CliError> {
    let example = "qwf skill create NAME --type code_inline --command \"python3 script.py\" --description \"what it does\"";
    let name = args
        .positional_name
        .clone()
        .or_else(|| args.name.clone())
        .ok_or_else(|| usage("a skill needs a name", format!("give it as an argument or with --name, or read a skill file with --file SPEC.json: `{example}`")))?;
    let type_text = args.skill_type.as_deref().ok_or_else(|| {
        usage(
            format!("skill '{name}' needs a type"),
            format!(
                "add --type with one of {}: `{example}`",
                type_names().join(", ")
            ),
        )
    })?;
    let skill_type = SkillType::parse(type_text).ok_or_else(|| {
        let names = type_names();
        let hint =
            match crate::core::suggest::did_you_mean(type_text, names.iter().map(String::as_str)) {
                Some(close) => {
                    format!("did you mean '{close}'? The types are {}", names.join(", "))
                }
                None => format!("the types are {}", names.join(", ")),
            };
        usage(format!("'{type_text}' is not a skill type"), hint)
    })?;
    let declared = !args.inputs.is_empty() || !args.outputs.is_empty();
    Ok(Skill {
        name,
        skill_type,
        description: args.description.clone().unwrap_or_default(),
        command: args.command.clone().unwrap_or_default(),
        // Any --input or --output declares the interface (what is not
        // listed is not taken or produced); neither leaves it undeclared.
        inputs: declared.then(|| Port::names(args.inputs.clone())),
        outputs: declared.then(|| Port::names(args.outputs.clone())),
        extra: Default::default(),
    })
}

fn type_names() -> Vec<String> {
    SkillType::ALL.iter().map(ToString::to_string).collect()
}

/// The skill in a spec file.
fn from_file(path: &std::path::Path) -> Result<Skill, CliError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        CliError::new(format!("cannot read '{}': {error}", path.display()))
            .with_hint("check the path of the skill file")
    })?;
    parse_skill(&text).map_err(|error| {
        let place = if error.line > 0 {
            format!("{}:{}:{}", path.display(), error.line, error.column)
        } else {
            path.display().to_string()
        };
        CliError::new(format!("{place}: {}", error.message))
            .with_hint(format!("{}; nothing was saved", error.hint))
    })
}

fn problem_summary(problems: &[SkillProblem]) -> String {
    problems
        .iter()
        .filter(|problem| problem.severity == Severity::Error)
        .map(|problem| problem.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

fn create(
    args: &CreateArgs,
    settings: &Settings,
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    let skill = match &args.file {
        Some(path) => from_file(path)?,
        None => from_flags(args)?,
    };
    let store = settings.store();
    let path = store.skill_path(&skill.name);
    let problems = check_skill(&skill);
    if !printer.json {
        printer.line(format!("Proposed skill: skills/{}.json", skill.name));
        for line in skill_file_lines(&skill) {
            printer.line(line);
        }
        for line in skill_problem_lines(&problems) {
            printer.line(line);
        }
    }
    if has_errors(&problems) {
        return Err(CliError::new(format!(
            "skill '{}' is not valid: {}",
            skill.name,
            problem_summary(&problems)
        ))
        .with_hint("fix the problems above and run the command again; nothing was saved"));
    }
    if path.exists() {
        return Err(
            CliError::new(format!("skill '{}' already exists", skill.name)).with_hint(format!(
                "`qwf skill show {}` prints it; choose another name for a new skill (nothing was saved)",
                skill.name
            )),
        );
    }
    if settings.interactive && !args.yes && !prompt::confirm("Save it?") {
        return Err(refused(
            "Cancelled. Nothing was saved.",
            "run it again and answer y, or add --yes",
        ));
    }
    let saved = store.create_skill(&skill)?;
    if printer.json {
        printer.document(&json!({
            "created": skill.name,
            "path": saved,
            "skill": skill,
            "problems": problems,
        }));
    } else {
        printer.line(format!(
            "{} Created skill '{}' ({})",
            paint(GOOD, "✓"),
            skill.name,
            saved.display()
        ));
    }
    Ok(Outcome::Done)
}

/// The workflows whose current version runs `skill`, with those steps.
/// Workflows that cannot be read are left out.
fn users(settings: &Settings, skill: &str) -> Vec<(String, Vec<String>)> {
    let store = settings.store();
    let Ok(summaries) = store.list() else {
        return Vec::new();
    };
    summaries
        .into_iter()
        .filter_map(|summary| {
            let head = store.head(&summary.name, &settings.context()).ok()?;
            let steps: Vec<String> = crate::core::tree::walk(&head.workflow)
                .into_iter()
                .filter(|visited| visited.step.skill_name() == Some(skill))
                .map(|visited| visited.step.id.clone())
                .collect();
            (!steps.is_empty()).then_some((summary.name, steps))
        })
        .collect()
}

fn users_line(users: &[(String, Vec<String>)]) -> String {
    users
        .iter()
        .map(|(workflow, steps)| {
            format!(
                "{workflow} (step{} {})",
                if steps.len() == 1 { "" } else { "s" },
                steps.join(", ")
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn edit(args: &EditArgs, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let path = store.skill_file(&args.name)?;
    let original = std::fs::read_to_string(&path).map_err(|error| {
        CliError::new(format!("cannot read {}: {error}", path.display()))
            .with_hint("check the file's permissions")
    })?;
    let mut text = original.clone();
    let skill = loop {
        let Some(edited) = crate::cli::editor::edit_text(printer, &text, ".json") else {
            return Err(refused("Nothing was saved.", "set $EDITOR and try again"));
        };
        text = edited;
        let problems = match parse_skill(&text) {
            Ok(skill) if skill.name != args.name => vec![format!(
                "the name changed to '{}': workflows run the skill by its name, so it stays '{}' (to make another skill, use `qwf skill create`)",
                skill.name, args.name
            )],
            Ok(skill) => {
                let problems = check_skill(&skill);
                if !has_errors(&problems) {
                    for line in skill_problem_lines(&problems) {
                        printer.line(line);
                    }
                    break skill;
                }
                problems
                    .iter()
                    .filter(|problem| problem.severity == Severity::Error)
                    .map(ToString::to_string)
                    .collect()
            }
            Err(error) => vec![format!(
                "line {} column {}: {}",
                error.line, error.column, error.message
            )],
        };
        printer.line(format!(
            "{} the edited skill cannot be saved:",
            paint(ERROR, "✗")
        ));
        for problem in &problems {
            printer.line(format!("  - {problem}"));
        }
        if !settings.interactive || !prompt::confirm("Edit again?") {
            return Err(CliError::new(format!(
                "skill '{}' was not changed: {}",
                args.name,
                problems.join("; ")
            ))
            .with_hint(format!("`qwf skill edit {}` starts again", args.name)));
        }
    };
    let before = parse_skill(&original).ok();
    if before.as_ref() == Some(&skill) {
        if printer.json {
            printer.document(&json!({ "skill": args.name, "changed": false }));
        } else {
            printer.line(format!(
                "No changes to skill '{}'; nothing saved.",
                args.name
            ));
        }
        return Ok(Outcome::Done);
    }
    let using = users(settings, &args.name);
    if !printer.json {
        let old = before
            .as_ref()
            .map(|skill| serde_json::to_string_pretty(skill).unwrap_or_default())
            .unwrap_or(original);
        let new = serde_json::to_string_pretty(&skill).unwrap_or_default();
        let diff = similar::TextDiff::from_lines(&format!("{old}\n"), &format!("{new}\n"))
            .unified_diff()
            .context_radius(3)
            .header(&format!("skills/{}.json", args.name), "edited")
            .to_string();
        for line in diff.lines() {
            let styled = match line.chars().next() {
                Some('+') if !line.starts_with("+++") => paint(GOOD, line),
                Some('-') if !line.starts_with("---") => paint(ERROR, line),
                _ => line.to_string(),
            };
            printer.line(styled);
        }
        if using.is_empty() {
            printer.line(paint(DIM, "No workflow uses it."));
        } else {
            printer.line(format!("Used by {}.", users_line(&using)));
        }
    }
    if settings.interactive && !args.yes && !prompt::confirm("Save it?") {
        return Err(refused(
            "Cancelled. Nothing was saved.",
            format!("`qwf skill edit {}` starts again", args.name),
        ));
    }
    let (path, kept) = store.replace_skill(&skill, &settings.now)?;
    if printer.json {
        printer.document(&json!({
            "skill": args.name,
            "changed": true,
            "path": path,
            "previous": kept,
            "used_by": using.iter().map(|(workflow, steps)| json!({ "workflow": workflow, "steps": steps })).collect::<Vec<_>>(),
        }));
    } else {
        printer.line(format!(
            "{} Saved skill '{}' ({}); the previous file is kept at {}",
            paint(GOOD, "✓"),
            args.name,
            path.display(),
            kept.display()
        ));
    }
    Ok(Outcome::Done)
}

fn delete(
    args: &DeleteArgs,
    settings: &Settings,
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    let store = settings.store();
    let path = store.skill_file(&args.name)?;
    let using = users(settings, &args.name);
    if !printer.json {
        printer.line(format!(
            "Deleting skill '{}' ({}).",
            args.name,
            path.display()
        ));
        if using.is_empty() {
            printer.line(paint(DIM, "No workflow uses it."));
        } else {
            printer.line(format!(
                "{} Used by {}: {} cannot run until the skill exists again.",
                paint(WARNING, "!"),
                users_line(&using),
                if using.iter().map(|(_, steps)| steps.len()).sum::<usize>() == 1 {
                    "that step"
                } else {
                    "those steps"
                }
            ));
        }
    }
    if settings.interactive && !args.yes && !prompt::confirm("Delete it?") {
        return Err(refused(
            "Cancelled. Nothing was deleted.",
            format!("`qwf skill delete {}` asks again", args.name),
        ));
    }
    let (path, kept) = store.delete_skill(&args.name, &settings.now)?;
    if printer.json {
        printer.document(&json!({
            "deleted": args.name,
            "path": path,
            "kept": kept,
            "used_by": using.iter().map(|(workflow, steps)| json!({ "workflow": workflow, "steps": steps })).collect::<Vec<_>>(),
        }));
    } else {
        printer.line(format!(
            "{} Deleted skill '{}'; the file is kept at {} (`qwf skill create --file {}` brings it back)",
            paint(GOOD, "✓"),
            args.name,
            kept.display(),
            kept.display()
        ));
    }
    Ok(Outcome::Done)
}
