//! Output formats in the style of `sysdig -p`: text with `%field` or `%field[arg]` tokens.
//!
//! As in sysdig, an event where some field of the format has no value is not printed, unless
//! the format starts with `*`; with `*`, a missing value prints as `<NA>`.

/// One piece of a format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text printed as is.
    Text(String),
    /// A field: its name and optional `[argument]`.
    Field { name: String, arg: Option<String> },
}

/// A parsed format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Format {
    /// Print events even where a field has no value (`*` prefix).
    pub all: bool,
    pub pieces: Vec<Piece>,
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '.'
}

impl Format {
    /// Parse `spec`. Errors name the byte offset of the problem.
    pub fn parse(spec: &str) -> Result<Format, String> {
        let (all, body) = match spec.strip_prefix('*') {
            Some(rest) => (true, rest),
            None => (false, spec),
        };
        let mut pieces = Vec::new();
        let mut text = String::new();
        let mut chars = body.char_indices().peekable();
        while let Some((at, c)) = chars.next() {
            if c != '%' {
                text.push(c);
                continue;
            }
            let mut name = String::new();
            while let Some(&(_, c)) = chars.peek().filter(|(_, c)| is_name_char(*c)) {
                name.push(c);
                chars.next();
            }
            // A trailing `.` ends the sentence, not the name (`%fd.name.`).
            let trimmed = name.trim_end_matches('.').len();
            let dots = name.split_off(trimmed);
            if name.is_empty() {
                return Err(format!(
                    "format offset {at}: `%` is not followed by a field name"
                ));
            }
            let mut arg = None;
            if chars.peek().is_some_and(|&(_, c)| c == '[') {
                chars.next();
                let mut a = String::new();
                loop {
                    match chars.next() {
                        Some((_, ']')) => break,
                        Some((_, c)) => a.push(c),
                        None => {
                            return Err(format!(
                                "format offset {at}: `[` of `%{name}` is not closed"
                            ));
                        }
                    }
                }
                arg = Some(a);
            }
            if !text.is_empty() {
                pieces.push(Piece::Text(std::mem::take(&mut text)));
            }
            pieces.push(Piece::Field { name, arg });
            text.push_str(&dots);
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text));
        }
        Ok(Format { all, pieces })
    }

    /// The fields, as `name` or `name[arg]`, in order.
    pub fn fields(&self) -> Vec<String> {
        self.pieces
            .iter()
            .filter_map(|p| match p {
                Piece::Field { name, arg: None } => Some(name.clone()),
                Piece::Field { name, arg: Some(a) } => Some(format!("{name}[{a}]")),
                Piece::Text(_) => None,
            })
            .collect()
    }

    /// Render one event, given each field's value in [`Format::fields`] order; `None` when a
    /// value is missing and the format does not start with `*`.
    pub fn render(&self, values: &[Option<String>]) -> Option<String> {
        let mut out = String::new();
        let mut values = values.iter();
        for p in &self.pieces {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Field { .. } => match values.next().and_then(Option::as_ref) {
                    Some(v) => out.push_str(v),
                    None if self.all => out.push_str("<NA>"),
                    None => return None,
                },
            }
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_arguments_and_text() {
        let f = Format::parse("*%evt.num %proc.aname[2] (%proc.env[HOME]) %fd.name.").unwrap();
        assert!(f.all);
        assert_eq!(
            f.fields(),
            ["evt.num", "proc.aname[2]", "proc.env[HOME]", "fd.name"]
        );
        let values = [
            Some("1".into()),
            None,
            Some("/root".into()),
            Some("/etc".into()),
        ];
        assert_eq!(f.render(&values).unwrap(), "1 <NA> (/root) /etc.");
        let strict = Format::parse("%evt.num %proc.aname[2]").unwrap();
        assert_eq!(strict.render(&values[..2]), None);
    }

    #[test]
    fn errors_name_the_offset() {
        assert_eq!(
            Format::parse("a % b").unwrap_err(),
            "format offset 2: `%` is not followed by a field name"
        );
        assert!(
            Format::parse("%proc.aname[2")
                .unwrap_err()
                .contains("not closed")
        );
    }
}
