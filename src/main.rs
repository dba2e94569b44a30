//! `planetsim`: parse the command line, run the command, turn the outcome into an exit code.

use clap::Parser;
use planetsim::cli::{self, args::Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    let command = match Cli::try_parse() {
        Ok(cli) => cli.command,
        Err(error) => {
            let _ = error.print();
            // clap uses 2 for usage errors and 0 for --help/--version.
            return ExitCode::from(error.exit_code() as u8);
        }
    };
    match cli::commands::execute(command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("{}", failure.message());
            ExitCode::from(failure.exit_code())
        }
    }
}
