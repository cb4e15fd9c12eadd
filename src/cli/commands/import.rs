use std::path::PathBuf;

use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::output::{GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::settings::Settings;
use crate::core::names::check_name;
use crate::core::validate;
use crate::store::package::{MAX_PACKAGE_BYTES, Package};

/// Import a package written by `qwf export` (the workflow, its history and
/// its skills), or a plain workflow file as v1 of a new workflow.
/// Everything is checked before anything is written.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub file: PathBuf,
    /// Import under another name (required when the name is taken).
    #[arg(long = "as", value_name = "NAME")]
    pub rename: Option<String>,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Import even if the workflow does not validate.
    #[arg(long)]
    pub force: bool,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let shown = args.file.display().to_string();
    let metadata = std::fs::metadata(&args.file).map_err(|error| {
        CliError::new(format!("cannot read '{shown}': {error}"))
            .with_hint("check the path of the package file")
    })?;
    if metadata.len() > MAX_PACKAGE_BYTES {
        return Err(CliError::new(format!(
            "'{shown}' is {} bytes, over the package limit of {MAX_PACKAGE_BYTES}",
            metadata.len()
        ))
        .with_hint("this is not a package written by `qwf export`"));
    }
    let text = std::fs::read_to_string(&args.file).map_err(|error| {
        CliError::new(format!("cannot read '{shown}': {error}"))
            .with_hint("a package is a UTF-8 JSON file")
    })?;
    // A plain workflow file (`qwf show NAME > file.json`, or one written by
    // hand) becomes v1 of a new workflow.
    // (Anything that does not say it is a package is read as a workflow, so
    // a syntax error is reported where it is.)
    if !text.contains("\"qwf_package\"") {
        return import_workflow_file(args, &text, settings, printer);
    }
    let checked = Package::parse_and_check(&text)?;
    let name = args.rename.clone().unwrap_or_else(|| checked.name.clone());
    check_name(&name, "workflow").map_err(crate::store::StoreError::from)?;
    let store = settings.store();
    if store.exists(&name) {
        return Err(
            CliError::new(format!("workflow '{name}' already exists")).with_hint(format!(
                "import it under another name: `qwf import {shown} --as {name}-imported`"
            )),
        );
    }
    let (last_record, last) = checked
        .versions
        .last()
        .expect("a checked package has versions");
    let report = validate(last, None);
    if !printer.json {
        printer.line(format!(
            "Import '{name}' from {shown}: {} version{} (latest v{}: {})",
            checked.versions.len(),
            if checked.versions.len() == 1 { "" } else { "s" },
            last_record.version,
            last_record.description
        ));
        // Each skill that would be added, with the command it runs: an
        // imported skill is code that runs when a workflow uses it.
        for (skill, content) in &checked.skills {
            if store.skill_path(skill).exists() {
                printer.line(format!("  skill {skill}: yours is kept"));
                continue;
            }
            let kind = content["type"].as_str().unwrap_or("?");
            let command = content["command"].as_str().unwrap_or_default();
            let mut line = format!(
                "  {} skill {skill} ({kind}): {}",
                paint(WARNING, "+"),
                command.lines().next().unwrap_or_default()
            );
            if let Some(env) = content["env"].as_array().filter(|env| !env.is_empty()) {
                let names: Vec<&str> = env.iter().filter_map(serde_json::Value::as_str).collect();
                line.push_str(&format!("  [sees {}]", names.join(", ")));
            }
            printer.line(line);
        }
        for issue in report.errors() {
            printer.line(format!("  {} {}", paint(WARNING, "✗"), issue.message));
        }
    }
    if !report.is_valid() && !args.force {
        return Err(refused(
            format!(
                "the packaged workflow has {} error(s); nothing was imported",
                report.error_count()
            ),
            "fix it where it came from, or add --force to import it as it is",
        ));
    }
    if settings.interactive && !args.yes && !prompt::confirm("Import?") {
        return Err(refused(
            "Cancelled. Nothing changed.",
            "nothing was imported",
        ));
    }
    let imported = store.import(checked, &name, &settings.context())?;
    if printer.json {
        printer.document(&imported);
    } else {
        printer.line(format!(
            "{} Imported '{}' ({} version{})",
            paint(GOOD, "✓"),
            imported.name,
            imported.versions,
            if imported.versions == 1 { "" } else { "s" }
        ));
        if !imported.skills_added.is_empty() {
            printer.line(format!(
                "  added skills: {}",
                imported.skills_added.join(", ")
            ));
        }
        if !imported.skills_kept.is_empty() {
            printer.line(format!(
                "  kept your existing skills: {}",
                imported.skills_kept.join(", ")
            ));
        }
    }
    Ok(Outcome::Done)
}

fn import_workflow_file(
    args: &Args,
    text: &str,
    settings: &Settings,
    printer: &mut Printer,
) -> Result<Outcome, CliError> {
    let shown = args.file.display().to_string();
    let mut workflow = crate::core::Workflow::from_json_str(text).map_err(|error| {
        CliError::new(format!(
            "{shown}:{}:{}: {}",
            error.line, error.column, error.message
        ))
        .with_hint(format!(
            "import takes a workflow file or a package from `qwf export`: {}",
            error.hint
        ))
    })?;
    let name = args.rename.clone().unwrap_or_else(|| workflow.name.clone());
    check_name(&name, "workflow").map_err(crate::store::StoreError::from)?;
    let store = settings.store();
    if store.exists(&name) {
        return Err(
            CliError::new(format!("workflow '{name}' already exists")).with_hint(format!(
                "import it under another name: `qwf import {shown} --as {name}-imported`"
            )),
        );
    }
    workflow.name = name.clone();
    let known = store.known_resources_for(&workflow)?;
    let report = validate(&workflow, Some(&known));
    if !printer.json {
        printer.line(format!(
            "Import workflow file {shown} as '{name}' (v1, {} step{})",
            workflow.steps.len(),
            if workflow.steps.len() == 1 { "" } else { "s" }
        ));
        for issue in report.errors() {
            if matches!(
                issue.code,
                crate::core::IssueCode::UnknownSkill | crate::core::IssueCode::UnknownAgent
            ) {
                printer.line(format!("  ! {} (not installed yet)", issue.message));
            } else {
                printer.line(format!("  {} {}", paint(WARNING, "✗"), issue.message));
            }
        }
    }
    // Steps naming skills not installed yet are fine to import: `validate`
    // keeps saying so until the skills exist.
    let blocking = report
        .errors()
        .filter(|issue| {
            !matches!(
                issue.code,
                crate::core::IssueCode::UnknownSkill | crate::core::IssueCode::UnknownAgent
            )
        })
        .count();
    if blocking > 0 && !args.force {
        return Err(refused(
            format!("the workflow has {blocking} error(s); nothing was imported"),
            "fix the file, or add --force to import it as it is",
        ));
    }
    if settings.interactive && !args.yes && !prompt::confirm("Import?") {
        return Err(refused(
            "Cancelled. Nothing changed.",
            "nothing was imported",
        ));
    }
    let provenance = crate::store::Provenance::new(
        format!("Imported from {shown}"),
        crate::store::log::Origin::Command {
            command: format!("qwf import {shown}"),
        },
    );
    let record = store.create(&name, &workflow, provenance, &settings.context())?;
    if printer.json {
        printer.document(&serde_json::json!({
            "name": name,
            "versions": 1,
            "version": record.version,
            "skills_added": [],
            "skills_kept": [],
        }));
    } else {
        printer.line(format!(
            "{} Imported '{name}' as v{}",
            paint(GOOD, "✓"),
            record.version
        ));
    }
    Ok(Outcome::Done)
}
