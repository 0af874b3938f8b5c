//! Identifier conventions of the generated code. Every name the generator emits is derived here,
//! so the rules are written once.

use proc_macro2::{Ident, Span};

/// `PPME_SYSCALL_OPEN_X` → `SyscallOpenX`; `PT_CHARBUF_PAIR_ARRAY` (prefix `PT_`) →
/// `CharbufPairArray`. A segment of digits only is a version and reads `V<digits>`
/// (`PPME_SYSCALL_OPENAT_2_E` → `SyscallOpenatV2E`, distinct from `PPME_SYSCALL_OPENAT2_E` →
/// `SyscallOpenat2E`), except in first position where it becomes `N<digits>`
/// (`PF_10_PADDED_DEC` → `N10PaddedDec`).
pub fn camel(upper_snake: &str, prefix: &str) -> String {
    let s = upper_snake.strip_prefix(prefix).unwrap_or(upper_snake);
    let mut out = String::with_capacity(s.len());
    for part in s.split('_').filter(|p| !p.is_empty()) {
        if part.bytes().all(|b| b.is_ascii_digit()) {
            out.push(if out.is_empty() { 'N' } else { 'V' });
            out.push_str(part);
            continue;
        }
        let mut chars = part.chars();
        if let Some(c) = chars.next() {
            out.push(c.to_ascii_uppercase());
            out.extend(chars.map(|c| c.to_ascii_lowercase()));
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'N');
    }
    out
}

/// A parameter or field name as a snake-case Rust identifier: `nativeID` → `native_id`,
/// `type` → `type_`, `proc.exe_ino.ctime` → `proc_exe_ino_ctime`.
pub fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let prev_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            if prev_lower && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_matches('_').to_string();
    if out.is_empty() || out.starts_with(|c: char| c.is_ascii_digit()) {
        return format!("p_{out}");
    }
    if is_keyword(&out) {
        format!("{out}_")
    } else {
        out
    }
}

/// `file_flags` → `FILE_FLAGS`; `PPM_AF_INET` with prefix `PPM_AF_` → `INET`.
pub fn upper(name: &str, prefix: &str) -> String {
    let s = name
        .strip_prefix(prefix)
        .unwrap_or(name)
        .to_ascii_uppercase();
    if s.starts_with(|c: char| c.is_ascii_digit()) {
        format!("N{s}")
    } else {
        s
    }
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "as" | "break"
            | "const"
            | "continue"
            | "crate"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "async"
            | "await"
            | "dyn"
            | "abstract"
            | "become"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "typeof"
            | "unsized"
            | "virtual"
            | "yield"
            | "try"
            | "gen"
    )
}

pub fn ident(s: &str) -> Ident {
    Ident::new(s, Span::call_site())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions() {
        assert_eq!(
            camel("PPME_SYSCALL_EXECVE_19_X", "PPME_"),
            "SyscallExecveV19X"
        );
        assert_eq!(
            camel("PPME_SYSCALL_OPENAT_2_E", "PPME_"),
            "SyscallOpenatV2E"
        );
        assert_eq!(camel("PPME_SYSCALL_OPENAT2_E", "PPME_"), "SyscallOpenat2E");
        assert_eq!(camel("PF_10_PADDED_DEC", "PF_"), "N10PaddedDec");
        assert_eq!(camel("PT_FLAGS32", "PT_"), "Flags32");
        assert_eq!(snake("nativeID"), "native_id");
        assert_eq!(snake("type"), "type_");
        assert_eq!(snake("res_or_fd"), "res_or_fd");
        assert_eq!(snake("proc.exe_ino.ctime"), "proc_exe_ino_ctime");
        assert_eq!(snake("dirfd"), "dirfd");
        assert_eq!(upper("PPM_AF_INET", "PPM_AF_"), "INET");
    }
}
