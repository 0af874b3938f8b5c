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
    /// Print what the schema and catalog define, like `falco --list`.
    List {
        #[arg(value_enum)]
        what: ListWhat,
        /// The schema folder (with `fields/` inside).
        #[arg(long, default_value_os_t = default_schema_dir())]
        schema: PathBuf,
    },
    /// Write every generated Rust file, as the build scripts generate it, into DIR for reading:
    /// DIR/edera-scap/{tables,conversions}.rs, DIR/edera-falco-plugin/fields.rs and
    /// DIR/edera-falco-agent/capture_plan.{rs,h}.
    Emit {
        dir: PathBuf,
        #[arg(long, default_value_os_t = default_schema_dir())]
        schema: PathBuf,
    },
    /// Load and validate the schema and the catalog, and generate all code (written nowhere).
    Check {
        #[arg(long, default_value_os_t = default_schema_dir())]
        schema: PathBuf,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ListWhat {
    /// Every field the plugin declares: name, type, argument, description.
    Fields,
    /// Every event of the table: code, direction, id, name, parameters.
    Events,
    /// The generated `evt.arg.NAME` / `evt.rawarg.NAME` literal fields.
    Args,
}

/// `schema/` at the workspace root.
fn default_schema_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("schema")
}

/// `agent/capture.toml` beside the schema folder.
fn capture_file(schema: &std::path::Path) -> PathBuf {
    schema.join("..").join(codegen::capture::CAPTURE_FILE)
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

fn list(what: ListWhat, dir: PathBuf) -> CmdResult {
    let schema = codegen::schema_io::load_schema(&dir)?;
    let text = match what {
        ListWhat::Events => codegen::listing::events(&schema),
        ListWhat::Args => codegen::listing::fields_long(&codegen::fieldset::arg_fields(&schema)),
        ListWhat::Fields => {
            let catalog = codegen::catalog::load_catalog(&dir.join("fields"))?;
            codegen::listing::fields_long(&codegen::fieldset::build(&schema, &catalog))
        }
    };
    // A closed pipe (`codegen list fields | head`) is a normal end, not an error.
    match std::io::Write::write_all(&mut std::io::stdout().lock(), text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}

fn emit(out: PathBuf, schema: PathBuf) -> CmdResult {
    let crates = [
        ("edera-scap", codegen::generated::scap_files(&schema)?),
        (
            "edera-falco-plugin",
            codegen::generated::plugin_files(&schema)?,
        ),
        (
            "edera-falco-agent",
            codegen::generated::agent_files(&schema, &capture_file(&schema))?,
        ),
    ];
    for (name, files) in crates {
        let dir = out.join(name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        codegen::generated::write_all(&files, &dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?;
        for f in &files {
            println!("{}", dir.join(f.name).display());
        }
    }
    Ok(())
}

fn check(dir: PathBuf) -> CmdResult {
    codegen::generated::scap_files(&dir)?;
    codegen::generated::plugin_files(&dir)?;
    codegen::generated::agent_files(&dir, &capture_file(&dir))?;
    let schema = codegen::schema_io::load_schema(&dir)?;
    let catalog = codegen::catalog::load_catalog(&dir.join("fields"))?;
    let n = codegen::fieldset::build(&schema, &catalog).len();
    println!(
        "schema {} and catalog are consistent: {} events, {n} fields",
        schema.version.schema_version,
        schema.events.len()
    );
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Import { dir, out, revision } => import(dir, out, revision),
        Command::List { what, schema } => list(what, schema),
        Command::Emit { dir, schema } => emit(dir, schema),
        Command::Check { schema } => check(schema),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
