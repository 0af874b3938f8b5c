//! `cargo run -p edera-falco-rules --example convert -- FILE... -o OUT.yaml`: converts Falco
//! rules files for the edera_zone source and prints the report.

use std::process::ExitCode;

use edera_falco_rules::{Options, RulesFile, convert};

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let out = match args.iter().position(|a| a == "-o") {
        Some(i) if i + 1 < args.len() => {
            let o = args.remove(i + 1);
            args.remove(i);
            o
        }
        _ => {
            eprintln!("usage: convert FILE... -o OUT.yaml");
            return ExitCode::FAILURE;
        }
    };
    let mut texts = Vec::new();
    for path in &args {
        match std::fs::read_to_string(path) {
            Ok(t) => texts.push((path.as_str(), t)),
            Err(e) => {
                eprintln!("{path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    }
    let files: Vec<RulesFile<'_>> = texts
        .iter()
        .map(|(name, text)| RulesFile { name, text })
        .collect();
    match convert(&files, &Options::default()) {
        Ok(c) => {
            if let Err(e) = std::fs::write(&out, c.yaml) {
                eprintln!("{out}: {e}");
                return ExitCode::FAILURE;
            }
            print!("{}", c.report);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
