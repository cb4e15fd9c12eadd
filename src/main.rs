use std::process::ExitCode;

fn main() -> ExitCode {
    qwf::cli::main()
}
