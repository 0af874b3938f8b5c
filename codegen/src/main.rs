//! The `codegen` command line: one subcommand per library entry point.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "codegen",
    about = "edera-falco schema import and code generation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Import an upstream falcosecurity/libs `driver/` folder into the schema TOML files.
    Import {
        /// The libs `driver/` folder (or a copy of its table files).
        dir: PathBuf,
        /// Output folder; only its six schema files are written.
        #[arg(long, default_value_os_t = default_schema_dir())]
        out: PathBuf,
        /// Upstream revision to record in the file headers (e.g. a commit hash).
        #[arg(long)]
        revision: Option<String>,
    },
}

/// `schema/` at the workspace root.
fn default_schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("schema")
}

type CmdResult = Result<(), Box<dyn std::error::Error>>;

fn import(dir: PathBuf, out: PathBuf, revision: Option<String>) -> CmdResult {
    let imported = codegen::import::run(&dir, &out, revision.as_deref())?;
    for note in &imported.notes {
        println!("{note}");
    }
    println!("wrote the schema files into {}", out.display());
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Import { dir, out, revision } => import(dir, out, revision),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
