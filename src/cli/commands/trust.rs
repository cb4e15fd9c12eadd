use std::path::{Path, PathBuf};

use serde_json::json;

use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{BOLD, DIM, GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::settings::Settings;
use crate::store::discovery::{Roots, workspace_skills_dir};
use crate::store::trust::{Trust, fingerprint};

/// Let a workspace's own skills (DIR/.qwf/skills, the current directory by
/// default) run in your workflows.
///
/// Until a workspace is trusted its skills are listed but never run, and a
/// skill of yours with the same name is used instead: a cloned repository
/// cannot change what your workflows execute. qwf shows each skill's
/// command first. The trust covers the files as they are now (a hash of
/// everything under .qwf/skills); when any of them changes, the workspace
/// must be trusted again.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The workspace directory (the current directory by default).
    #[arg(value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// Stop trusting the workspace.
    #[arg(long, conflicts_with = "list")]
    pub revoke: bool,
    /// List the trusted workspaces and whether their skills changed since.
    #[arg(long, conflicts_with = "dir")]
    pub list: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    if args.list {
        return list(settings, printer);
    }
    let directory = match &args.dir {
        Some(dir) => dir.clone(),
        None => settings.roots.workspace.clone().ok_or_else(|| {
            CliError::new("cannot tell the current directory").with_hint("name it: `qwf trust DIR`")
        })?,
    };
    if args.revoke {
        return revoke(&directory, settings, printer);
    }
    trust(&directory, args.yes, settings, printer)
}

fn trust(
    directory: &Path,
    yes: bool,
    settings: &Settings,
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    let skills_dir = workspace_skills_dir(directory);
    let print = fingerprint(&skills_dir)
        .map_err(|message| {
            CliError::new(format!(
                "the workspace's skills cannot be checked: {message}"
            ))
            .with_hint("fix or remove that file; nothing was trusted")
        })?
        .ok_or_else(|| {
            CliError::new(format!(
                "{} has no workspace skills ({} does not exist)",
                directory.display(),
                skills_dir.display()
            ))
            .with_hint("there is nothing to trust; workspace skills are JSON files in .qwf/skills/")
        })?;
    // The workspace seen as if qwf ran there: its skills, their problems,
    // and the user's skills they would replace.
    let store = settings.store();
    let workspace_view = crate::store::Store::new(&settings.home).with_roots(Roots {
        user_home: settings.roots.user_home.clone(),
        workspace: Some(directory.to_path_buf()),
    });
    let listing = workspace_view.skill_listing();
    let mut skills: Vec<_> = listing
        .untrusted
        .iter()
        .chain(
            listing
                .skills
                .iter()
                .filter(|found| found.scope == crate::store::discovery::Scope::Workspace),
        )
        .collect();
    skills.sort_by(|left, right| left.skill.name.cmp(&right.skill.name));
    let replaces: Vec<&str> = listing
        .shadowed
        .iter()
        .filter(|shadowed| {
            skills
                .iter()
                .any(|found| found.source == shadowed.ignored || found.source == shadowed.used)
        })
        .filter(|shadowed| shadowed.used_scope != shadowed.ignored_scope)
        .map(|shadowed| shadowed.name.as_str())
        .collect();
    if !printer.json {
        printer.line(format!(
            "{} holds {} skill{} ({} file{} in all):",
            skills_dir.display(),
            skills.len(),
            if skills.len() == 1 { "" } else { "s" },
            print.files,
            if print.files == 1 { "" } else { "s" },
        ));
        for found in &skills {
            let env = crate::core::skill_env::requested(&found.skill);
            let mut line = format!(
                "  {} ({}): {}",
                paint(BOLD, &found.skill.name),
                found.skill.skill_type,
                found.skill.command.lines().next().unwrap_or_default()
            );
            if !env.is_empty() {
                line.push_str(&paint(DIM, format!("  [sees {}]", env.join(", "))));
            }
            printer.line(line);
        }
        for problem in &listing.problems {
            printer.line(paint(WARNING, format!("  unreadable: {problem}")));
        }
        if !replaces.is_empty() {
            printer.line(paint(
                WARNING,
                format!(
                    "  Once trusted, these replace your own skills of the same name here: {}",
                    replaces.join(", ")
                ),
            ));
        }
        printer.line(paint(
            DIM,
            "  Code skills run their command from that folder; read the scripts there too.",
        ));
    }
    if settings.interactive
        && !yes
        && !prompt::confirm("Trust these skills to run in your workflows?")
    {
        return Err(refused(
            "Cancelled. Nothing was trusted.",
            "its skills stay listed but never run",
        ));
    }
    let record = store.trust(directory, Some(&print.hash), &settings.now)?;
    if printer.json {
        printer.document(&json!({
            "trusted": record.path,
            "hash": record.hash,
            "skills": record.skills,
            "replaces": replaces,
        }));
    } else {
        printer.line(format!(
            "{} Trusted {}: its skills may run. If any file under .qwf/skills changes, qwf asks again.",
            paint(GOOD, "✓"),
            record.path.display()
        ));
        printer.line(paint(
            DIM,
            format!(
                "  `qwf trust --revoke {}` undoes this.",
                record.path.display()
            ),
        ));
    }
    Ok(Outcome::Done)
}

fn revoke(
    directory: &Path,
    settings: &Settings,
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    let removed = settings.store().revoke_trust(directory)?;
    if printer.json {
        printer.document(&json!({ "revoked": removed, "workspace": directory }));
    } else if removed {
        printer.line(format!(
            "{} {} is no longer trusted: its skills are listed but never run.",
            paint(GOOD, "✓"),
            directory.display()
        ));
    } else {
        printer.line(format!(
            "{} was not trusted; nothing changed.",
            directory.display()
        ));
    }
    Ok(Outcome::Done)
}

fn list(settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let store = settings.store();
    let records = store.trusted_workspaces()?;
    let rows: Vec<(String, serde_json::Value)> = records
        .iter()
        .map(|record| {
            let (state, text) = match store.trust_of(&record.path) {
                _ if !record.path.is_dir() => ("missing", "the directory is gone".to_string()),
                Trust::Trusted { .. } => ("trusted", "trusted".to_string()),
                Trust::Changed { .. } => (
                    "changed",
                    "its skills changed since: not used until trusted again".to_string(),
                ),
                Trust::NoSkills => ("no_skills", "no .qwf/skills any more".to_string()),
                Trust::Untrusted => ("untrusted", "not trusted".to_string()),
                Trust::Unreadable { message } => {
                    ("unreadable", format!("cannot be checked: {message}"))
                }
            };
            let line = format!(
                "  {}  {}  {}",
                record.path.display(),
                paint(DIM, format!("since {}", record.trusted_at)),
                if state == "trusted" {
                    paint(GOOD, text)
                } else {
                    paint(WARNING, text)
                }
            );
            (
                line,
                json!({
                    "path": record.path,
                    "trusted_at": record.trusted_at,
                    "skills": record.skills,
                    "state": state,
                }),
            )
        })
        .collect();
    if printer.json {
        printer.document(&json!({
            "workspaces": rows.iter().map(|(_, value)| value).collect::<Vec<_>>()
        }));
        return Ok(Outcome::Done);
    }
    if rows.is_empty() {
        printer.line("No trusted workspaces. `qwf trust DIR` trusts one after showing its skills.");
        return Ok(Outcome::Done);
    }
    printer.line(format!("Trusted workspaces ({}):", rows.len()));
    for (line, _) in rows {
        printer.line(line);
    }
    Ok(Outcome::Done)
}
