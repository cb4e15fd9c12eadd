use crate::agent::config::{self, ModelFlags};
use crate::cli::conversation::model_error;
use crate::cli::error::{CliError, Outcome};
use crate::cli::output::Printer;
use crate::cli::settings::Settings;

/// Show which model qwf uses and where each setting came from.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    pub provider: Option<String>,
    #[arg(long)]
    pub model: Option<String>,
}

pub fn run(args: &Args, settings: &Settings, printer: &mut Printer) -> Result<Outcome, CliError> {
    let flags = ModelFlags {
        provider: args.provider.clone(),
        model: args.model.clone(),
        ..ModelFlags::default()
    };
    let resolved =
        config::resolve(&flags, &settings.home, &config::process_env).map_err(model_error)?;
    if printer.json {
        printer.document(&resolved);
    } else {
        printer.line(resolved.to_string().trim_end());
    }
    Ok(Outcome::Done)
}
