//! The `lro` command-line tool: see `lro --help`.
use clap::{Parser, Subcommand};
use lro::cli::{self, CliError};
use std::process::ExitCode;

/// lro — learning-rule oracle: reference implementations of local learning rules (BPTT, tBPTT,
/// RTRL, RFLO, e-prop; contrastive learning) and verification of their theory.
#[derive(Parser)]
#[command(
    name = "lro",
    version,
    about,
    after_help = "Without a command, lro runs the quick report into ./lro-report \
                  (the same as `lro report --budget quick --out lro-report`)."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Print every rule's expected update for the built-in teacher and student (3 aligned modes,
    /// o = n = d = 3, seed 7, horizon T = 20, RFLO feedback â = (1, −1/2, 1/4) and ŵ = 1/2).
    Rules {
        /// Print JSON (horizon, seed, loss, and per rule dA, dW, dB as rows) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run the catalogue and write report.md, report.json and SVG figures (the main job; bare
    /// `lro` runs it with the defaults: quick budget into ./lro-report).
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
    /// Rerun one instance of one catalogue entry and print its evidence and reproducer (the
    /// instance index comes from the report's reproducer column).
    Reproduce {
        /// Catalogue id, e.g. P-RNN-35.a (see `lro list`).
        id: String,
        /// Instance index (from 0).
        #[arg(long, value_parser = cli::instance_index, allow_hyphen_values = true)]
        instance: usize,
        /// The budget the instance was numbered under.
        #[arg(long, value_enum, default_value_t = BudgetArg::Quick)]
        budget: BudgetArg,
    },
    /// List the catalogue (id, provenance, statement).
    List,
    /// Run the low-rank student–teacher experiment (settings chosen by the project; see
    /// docs/theory/lowrank.md).
    Lowrank {
        /// Number of seeds per rule (at least 1).
        #[arg(long, default_value = "20", value_parser = cli::positive_count,
              allow_hyphen_values = true)]
        seeds: u64,
        /// Expected-update steps per run (at least 1).
        #[arg(long, default_value = "12000", value_parser = cli::positive_count,
              allow_hyphen_values = true)]
        steps: u64,
        /// Print every run as JSON instead of the rounded summary.
        #[arg(long)]
        json: bool,
    },
    /// Convergence study over the settings the paper leaves open (sweep, shards, merge).
    Experiment(cli::experiment::ExperimentArgs),
    /// Per-mode loss, update, the learning ODE's Jacobian J = −M and its eigenvalues, and the
    /// stability class at fixed points.
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

impl From<BudgetArg> for lro::catalogue::Budget {
    fn from(b: BudgetArg) -> Self {
        match b {
            BudgetArg::Quick => lro::catalogue::Budget::Quick,
            BudgetArg::Full => lro::catalogue::Budget::Full,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Report {
        out: "lro-report".into(),
        budget: BudgetArg::Quick,
        only: None,
    });
    let result: Result<String, CliError> = match command {
        Command::Rules { json: false } => cli::default_job::run(),
        Command::Rules { json: true } => cli::default_job::run_json(),
        Command::Report { out, budget, only } => {
            cli::report::run(&out, budget.into(), only.as_deref())
        }
        Command::Reproduce {
            id,
            instance,
            budget,
        } => cli::reproduce::run(&id, instance, budget.into()),
        Command::List => Ok(cli::list::run()),
        Command::Lowrank { seeds, steps, json } => cli::lowrank::run(seeds, steps, json),
        Command::Modes(args) => cli::modes::run(&args),
        Command::Experiment(args) => cli::experiment::run(&args),
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
