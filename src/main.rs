//! `planetsim`: parse the command line, run the command, turn the outcome into an exit code.

use clap::Parser;
use planetsim::cli::{self, args::Cli};
use std::process::ExitCode;

fn main() -> ExitCode {
    restore_sigpipe();
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

/// Rust starts programs with SIGPIPE ignored, so `planetsim … | head` would panic writing to a
/// closed pipe. The default action ends the process quietly, as Unix filters do.
#[cfg(unix)]
fn restore_sigpipe() {
    // SAFETY: called first thing in main, before any other thread exists; SIG_DFL is a valid
    // disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn restore_sigpipe() {}
