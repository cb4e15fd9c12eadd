use std::path::PathBuf;

use crate::agent::session::{Mode, Options};
use crate::cli::conversation::{GateArgs, build_model, finish, model_error};
use crate::cli::error::{CliError, Outcome};
use crate::cli::gate::TerminalGate;
use crate::cli::output::{GOOD, Printer, paint};
use crate::cli::settings::Settings;
use crate::core::names::check_name;
use crate::store::write_atomic;

/// Create a workflow from a description. Existing skills are reused; missing
/// ones are proposed and created with it.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// What the workflow should do, in plain words.
    pub description: String,
    /// The workflow's name (derived from the description otherwise).
    #[arg(long)]
    pub name: Option<String>,
    /// Also write the new workflow's JSON to this file.
    #[arg(long, short, value_name = "PATH")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub gate: GateArgs,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    if let Some(name) = &args.name {
        check_name(name, "workflow").map_err(crate::store::StoreError::from)?;
        // A deleted workflow's name is free: the new one continues its
        // history.
        if settings.store().is_live(name) {
            return Err(
                CliError::new(format!("workflow '{name}' already exists")).with_hint(format!(
                    "choose another --name, or change it with `qwf edit {name} \"...\"`"
                )),
            );
        }
    }
    let model = build_model(settings, &args.gate.flags())?;
    let store = settings.store();
    let options = Options {
        mode: Mode::Create {
            name: args.name.clone(),
        },
        ..Options::default()
    };
    let mut session =
        crate::agent::session::Session::new(model.as_ref(), &store, settings.context(), options);
    let mut gate = TerminalGate::new(
        printer.json,
        args.gate.policy(),
        settings.interactive,
        args.gate.plan_out.clone(),
        &args.description,
    );
    let report = session
        .run(&args.description, &mut gate)
        .map_err(model_error)?;
    let outcome = finish(printer, &report, &gate)?;
    if let Some(path) = &args.output
        && let Some(created) = report
            .applied
            .iter()
            .find_map(|applied| applied.workflow.clone())
    {
        let head = store.head(&created, &settings.context())?;
        write_atomic(path, head.workflow.to_pretty_json().as_bytes())?;
        if !printer.json {
            printer.line(format!("{} Wrote {}", paint(GOOD, "✓"), path.display()));
        }
    }
    Ok(outcome)
}
