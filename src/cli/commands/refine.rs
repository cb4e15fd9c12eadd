use crate::agent::session::{Mode, Options, Session};
use crate::cli::conversation::{GateArgs, build_model, finish_with, model_error};
use crate::cli::error::{CliError, Outcome, refused};
use crate::cli::gate::TerminalGate;
use crate::cli::output::{BOLD, DIM, GOOD, Printer, WARNING, paint};
use crate::cli::prompt;
use crate::cli::render::evaluation_lines;
use crate::cli::settings::Settings;
use crate::core::evaluate_result;
use crate::store::{Change, Origin, Provenance};

/// Improve a workflow step by step from a menu (add / modify / remove /
/// error handling / parallel); everything you accept is saved together as
/// one version when you choose done.
#[derive(Debug, clap::Args)]
pub struct Args {
    pub name: String,
    #[command(flatten)]
    pub gate: GateArgs,
}

/// Menu entries: answer, label, question, how the request starts.
const MENU: [(&str, &str, &str, &str); 5] = [
    (
        "1",
        "Add a step",
        "Describe the step to add (and where):",
        "add a step: ",
    ),
    (
        "2",
        "Modify a step",
        "What should change, in which step?",
        "",
    ),
    (
        "3",
        "Remove a step",
        "Which step should go?",
        "remove the step ",
    ),
    (
        "4",
        "Error handling",
        "What should happen on errors (retry, continue, fallback, timeout)?",
        "",
    ),
    (
        "5",
        "Run steps in parallel",
        "Which steps should run at the same time?",
        "run in parallel: ",
    ),
];

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    if !settings.interactive {
        return Err(
            CliError::new("`qwf refine` needs a terminal").with_hint(format!(
                "from a script, use `qwf edit {} \"CHANGE\" --yes`",
                args.name
            )),
        );
    }
    let store = settings.store();
    let context = settings.context();
    let model = build_model(settings, &args.gate.flags())?;
    let options = Options {
        mode: Mode::Edit {
            workflow: args.name.clone(),
            scope: None,
        },
        focus: Some(args.name.clone()),
        ..Options::default()
    };
    let mut session = Session::new(model.as_ref(), &store, settings.context(), options);
    session.stage(&args.name)?;
    let base = session.staged().map_or(0, |staged| staged.base_version);
    printer.line(format!("Refining '{}' (v{base}). Accepted changes are saved together as one version when you choose done.", args.name));
    let mut requests = Vec::new();
    loop {
        printer.line("");
        printer.line(paint(BOLD, "What would you like to do?"));
        for (answer, label, _, _) in MENU {
            printer.line(format!("  {answer}. {label}"));
        }
        printer.line("  done. Save the accepted changes   cancel. Leave without saving");
        let choice = prompt::choose("", &["1", "2", "3", "4", "5", "done", "cancel"]);
        let Some((_, _, question, prefix)) = MENU
            .iter()
            .find(|(answer, ..)| Some(*answer) == choice.as_deref())
        else {
            if choice.as_deref() == Some("done") {
                break;
            }
            return Err(refused(
                "Cancelled. Nothing was saved.",
                format!("`qwf refine {}` starts again", args.name),
            ));
        };
        let Some(text) = prompt::line(&format!("{question} ")) else {
            continue;
        };
        if text.trim().is_empty() {
            continue;
        }
        let request = format!("{prefix}{text}");
        let mut gate = TerminalGate::new(false, args.gate.policy(), true, None, &request);
        let staged_before = staged_count(&session);
        match session.run(&request, &mut gate) {
            Ok(report) => {
                let staged = staged_count(&session) - staged_before;
                if let Err(error) = finish_with(printer, &report, &gate, staged, false) {
                    printer.error(&error);
                }
                requests.push(request);
            }
            Err(error) => printer.error(&model_error(error)),
        }
    }
    let Some(staged) = session
        .take_staged()
        .filter(|staged| !staged.modifications.is_empty())
    else {
        printer.line("No changes were accepted; nothing to save.");
        return Ok(Outcome::Done);
    };
    // Skills accepted for changes that were then declined are not saved.
    let used: std::collections::BTreeSet<&str> = crate::core::tree::walk(&staged.current)
        .into_iter()
        .filter_map(|visited| visited.step.skill_name())
        .collect();
    let (skills, unused): (Vec<_>, Vec<_>) = staged
        .skills
        .iter()
        .partition(|skill| used.contains(skill.name.as_str()));
    let head = store.head(&args.name, &context)?;
    let known = store.known_resources().ok();
    let evaluation = evaluate_result(&head.workflow, staged.current.clone(), known.as_ref());
    printer.line("");
    printer.line(format!(
        "All accepted changes ({}):",
        staged.summaries.len()
    ));
    for line in evaluation_lines(&evaluation, true) {
        printer.line(line);
    }
    for skill in &skills {
        printer.line(format!(
            "  + skill {} ({})",
            skill.name,
            store.skill_path(&skill.name).display()
        ));
    }
    if !unused.is_empty() {
        let names: Vec<&str> = unused.iter().map(|skill| skill.name.as_str()).collect();
        printer.line(paint(
            DIM,
            format!(
                "  (not saved: {}, which no accepted change uses)",
                names.join(", ")
            ),
        ));
    }
    if !prompt::confirm("Save them as one version?") {
        return Err(refused(
            "Cancelled. Nothing was saved.",
            "the accepted changes were discarded",
        ));
    }
    // The skills first, so the version never names a skill that is not
    // there; if anything fails, the skills written here are removed again.
    let mut written = Vec::new();
    let undo = |written: &[String]| {
        for name in written {
            let _ = store.discard_new_skill(name);
        }
    };
    for skill in &skills {
        match store.create_skill(skill) {
            Ok(_) => written.push(skill.name.clone()),
            Err(error) => {
                undo(&written);
                return Err(CliError::from(error));
            }
        }
    }
    let mut stubs = Vec::new();
    for skill in &skills {
        match store.write_script_stub(skill) {
            Ok(Some(path)) => stubs.push(path),
            Ok(None) => {}
            Err(error) => printer.error(&error.into()),
        }
    }
    let provenance = Provenance::new(
        staged.summaries.join("; "),
        Origin::Request {
            text: requests.join("\n"),
        },
    );
    let committed = match store.commit(
        &args.name,
        Some(staged.base_version),
        Change::Modify(staged.modifications.clone()),
        provenance,
        &context,
    ) {
        Ok(committed) => committed,
        Err(error) => {
            undo(&written);
            return Err(error.into());
        }
    };
    printer.line(format!(
        "{} All changes applied (v{} → v{})",
        paint(GOOD, "✓"),
        staged.base_version,
        committed.record.version
    ));
    if !written.is_empty() {
        printer.line(format!(
            "{} Created skill{}: {}",
            paint(GOOD, "✓"),
            if written.len() == 1 { "" } else { "s" },
            written.join(", ")
        ));
    }
    for path in &stubs {
        printer.line(format!(
            "{} Wrote a stub script {}: it fails with \"implement me\" until you write the real one",
            paint(WARNING, "!"),
            path.display()
        ));
    }
    if let Some(base) = committed.rebased_from {
        printer.line(paint(DIM, format!("  (the workflow had moved on since v{base}; the changes were re-applied on the new version)")));
    }
    Ok(Outcome::Done)
}

/// How many approved changes the session holds to save together.
fn staged_count(session: &Session<'_>) -> usize {
    session.staged().map_or(0, |staged| staged.summaries.len())
}
