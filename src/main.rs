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
    /// Print every rule's expected update for the built-in teacher and student.
    Rules,
    /// Run the catalogue and write report.md, report.json and SVG figures (the main job).
    Report {
        /// Output folder.
        #[arg(long, default_value = "lro-report")]
        out: std::path::PathBuf,
        /// How much work: quick (under a minute on two cores) or full (the heavy suites).
        #[arg(long, value_enum, default_value_t = BudgetArg::Quick)]
        budget: BudgetArg,
        /// Run only the entries whose id matches (substring, or a glob with `*`, e.g. 'P-RNN-3*').
        #[arg(long)]
        only: Option<String>,
    },
    /// List the catalogue (id, provenance, statement).
    List,
    /// Run the low-rank student–teacher experiment (spec §8; settings chosen by the project).
    Lowrank {
        /// Number of seeds per rule.
        #[arg(long, default_value_t = 20)]
        seeds: u64,
        /// Expected-update steps per run.
        #[arg(long, default_value_t = 12_000)]
        steps: usize,
    },
    /// Per-mode loss, update, ODE Jacobian, eigenvalues and stability class at one point.
    Modes(cli::modes::ModesArgs),
    /// Write a seeded reference fixture (JSON or NPZ) for checking another implementation.
    Export(cli::export::ExportArgs),
    /// Compare another implementation's outputs with a case, tensor by tensor (exit 0 match,
    /// 1 mismatch or no learning rule checked, 2 unusable input).
    Check(cli::check::CheckArgs),
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum BudgetArg {
    Quick,
    Full,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Report {
        out: "lro-report".into(),
        budget: BudgetArg::Quick,
        only: None,
    });
    let result: Result<String, CliError> = match command {
        Command::Rules => cli::default_job::run(),
        Command::Report { out, budget, only } => {
            let budget = match budget {
                BudgetArg::Quick => lro::catalogue::Budget::Quick,
                BudgetArg::Full => lro::catalogue::Budget::Full,
            };
            cli::report::run(&out, budget, only.as_deref())
        }
        Command::List => Ok(cli::list::run()),
        Command::Lowrank { seeds, steps } => cli::lowrank::run(seeds, steps),
        Command::Modes(args) => cli::modes::run(&args),
        Command::Export(args) => cli::export::run_args(&args),
        Command::Check(args) => cli::check::run_args(&args),
    };
    match result {
        Ok(out) => {
            print!("{out}");
            ExitCode::SUCCESS
        }
        Err(CliError::Failed(text)) => {
            print!("{text}");
            eprintln!("lro: some checks failed");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("lro: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
