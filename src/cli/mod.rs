//! The command-line interface: clap arguments (`args`) resolved into commands (`commands`).
//! `main.rs` only turns the outcome into an exit code.

pub mod args;
pub mod check;
pub mod commands;
pub mod progress;
pub mod report;

/// How a command ended, for `main` to turn into an exit code.
#[derive(Debug)]
pub enum Failure {
    /// Bad input: a file, a name or an argument. Exit code 2.
    Input(String),
    /// A scenario ran but its expectations failed. Exit code 1.
    Expectations(String),
    /// Results could not be written. Exit code 2 (nothing half-written is left under a final name).
    Output(String),
}

impl Failure {
    pub fn exit_code(&self) -> u8 {
        match self {
            Failure::Expectations(_) => 1,
            Failure::Input(_) | Failure::Output(_) => 2,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Failure::Input(m) | Failure::Expectations(m) | Failure::Output(m) => m,
        }
    }
}
