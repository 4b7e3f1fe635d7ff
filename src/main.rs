//! The `lro` command-line tool: see `lro --help`.
use clap::{Parser, Subcommand};
use lro::cli::{self, CliError};
use std::process::ExitCode;

/// lro — learning-rule oracle: reference implementations of local learning rules (BPTT, tBPTT,
/// RTRL, RFLO, e-prop; contrastive learning) and verification of their theory.
#[derive(Parser)]
#[command(name = "lro", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print every rule's expected update for the built-in teacher and student (the default).
    Rules,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: Result<String, CliError> = match cli.command.unwrap_or(Command::Rules) {
        Command::Rules => cli::default_job::run(),
    };
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("lro: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
