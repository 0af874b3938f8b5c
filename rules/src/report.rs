//! What happened to each rule: converted as is, rewritten (with each change), or left out
//! (with the reason); and which kept rules still need fields the plugin does not serve yet.

use std::fmt;

/// The fate of one rule item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Kept with its condition unchanged (only the source set).
    Converted,
    /// Kept; each change as `old -> new` (prefixed by the macro or exception it is in).
    Rewritten(Vec<String>),
    /// Not written; why.
    LeftOut(String),
}

/// One rule item (a definition, or an `append`/`override` change to one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleReport {
    pub name: String,
    /// An `append`/`override` item rather than the definition.
    pub change: bool,
    pub outcome: Outcome,
}

/// The rules of one input file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileReport {
    pub file: String,
    pub rules: Vec<RuleReport>,
}

/// Counts of one file's rule definitions.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub rules: usize,
    pub converted: usize,
    pub rewritten: usize,
    pub left_out: usize,
}

impl FileReport {
    /// Counts over the rule definitions (changes to rules not counted).
    pub fn counts(&self) -> Counts {
        let mut c = Counts::default();
        for r in self.rules.iter().filter(|r| !r.change) {
            c.rules += 1;
            match r.outcome {
                Outcome::Converted => c.converted += 1,
                Outcome::Rewritten(_) => c.rewritten += 1,
                Outcome::LeftOut(_) => c.left_out += 1,
            }
        }
        c
    }
}

/// The whole conversion.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub files: Vec<FileReport>,
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for file in &self.files {
            let c = file.counts();
            writeln!(
                f,
                "{}: {} rules: {} converted as is, {} rewritten, {} left out",
                file.file, c.rules, c.converted, c.rewritten, c.left_out
            )?;
            for r in &file.rules {
                let what = if r.change { "change to rule" } else { "rule" };
                match &r.outcome {
                    Outcome::Converted => {}
                    Outcome::Rewritten(changes) => {
                        writeln!(f, "  rewritten {what} '{}':", r.name)?;
                        for ch in changes {
                            writeln!(f, "    {ch}")?;
                        }
                    }
                    Outcome::LeftOut(why) => writeln!(f, "  left out {what} '{}': {why}", r.name)?,
                }
            }
        }
        Ok(())
    }
}
