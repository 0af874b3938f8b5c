//! Checks of `schema/conversions.toml` against the schema: every event id exists, every
//! parameter index is in range for the layouts involved, every pushed parameter has the name the
//! resulting layout gives it, and every conversion ends (within libscap's 50 steps) in an event
//! that needs no further conversion. Problems name the file and the entry (`EVENT/nparams`).

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Action, CALLBACKS, Conversion, Conversions, Instruction, ParamOrigin};
use super::sizes::len_bounds;
use crate::emit::Problem;
use crate::model::{Direction, Event, Schema};

/// The file problems are reported against.
pub const FILE: &str = "schema/conversions.toml";

/// libscap's bound on consecutive conversions of one event (`MAX_CONVERSION_BOUNDARY`).
pub const MAX_CONVERSIONS: usize = 50;

/// What the eligibility rules say about an event of a type with a parameter count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Pass,
    Drop,
    Convert,
    Error,
}

fn has_flag(e: &Event, flag: &str) -> bool {
    e.flags.iter().any(|f| f == flag)
}

/// libscap's static eligibility rules (converter README, rules 1 to 5).
pub fn verdict(e: &Event, nparams: usize) -> Verdict {
    let old = has_flag(e, "EF_OLD_VERSION");
    if has_flag(e, "EF_UNUSED") {
        return Verdict::Drop;
    }
    if !has_flag(e, "EF_CONVERTER_MANAGED") {
        return match (old, e.direction) {
            (false, _) => Verdict::Pass,
            (true, Direction::Enter) => Verdict::Drop,
            (true, Direction::Exit) => Verdict::Error,
        };
    }
    if e.direction == Direction::Enter {
        return Verdict::Convert;
    }
    if nparams > e.params.len() {
        Verdict::Error
    } else if old || nparams != e.params.len() {
        Verdict::Convert
    } else {
        Verdict::Pass
    }
}

struct Ctx<'a> {
    events: BTreeMap<&'a str, &'a Event>,
    by_code: BTreeMap<u16, &'a Event>,
    keys: BTreeMap<(&'a str, u8), &'a Conversion>,
    out: Vec<Problem>,
}

impl Ctx<'_> {
    fn push(&mut self, entry: &str, message: String) {
        self.out.push(Problem {
            file: FILE.into(),
            entry: entry.into(),
            message,
        });
    }
}

/// All problems of `conv` against `schema` (empty when sound).
pub fn validate(schema: &Schema, conv: &Conversions) -> Vec<Problem> {
    let mut cx = Ctx {
        events: schema.events.iter().map(|e| (e.id.as_str(), e)).collect(),
        by_code: schema.events.iter().map(|e| (e.code, e)).collect(),
        keys: BTreeMap::new(),
        out: Vec::new(),
    };
    if conv.source.trim().is_empty() {
        cx.push("source", "must name the upstream revision".into());
    }
    for c in &conv.entries {
        if cx.keys.insert((c.event.as_str(), c.nparams), c).is_some() {
            cx.push(&c.key(), "duplicate entry for this key".into());
        }
    }
    for c in &conv.entries {
        check_entry(&mut cx, c);
    }
    if cx.out.is_empty() {
        for c in &conv.entries {
            check_chain(&mut cx, c);
        }
    }
    cx.out
}

fn check_entry(cx: &mut Ctx, c: &Conversion) {
    let key = c.key();
    let Some(&ev) = cx.events.get(c.event.as_str()) else {
        return cx.push(&key, format!("unknown event {}", c.event));
    };
    if usize::from(c.nparams) > ev.params.len() {
        cx.push(
            &key,
            format!("{} has at most {} parameters", c.event, ev.params.len()),
        );
    }
    if verdict(ev, c.nparams.into()) != Verdict::Convert {
        let v = verdict(ev, c.nparams.into());
        cx.push(
            &key,
            format!("the eligibility rules never look this key up ({v:?})"),
        );
    }
    let takes_params = matches!(c.action, Action::AddParams | Action::ChangeType);
    if takes_params != c.params.is_some() {
        let m = if takes_params {
            "needs `params`"
        } else {
            "takes no `params`"
        };
        cx.push(&key, format!("action {:?} {m}", c.action));
    }
    if (c.action == Action::ChangeType) != c.to.is_some() {
        cx.push(
            &key,
            "`to` is required with change_type and only there".into(),
        );
    }
    if c.action == Action::AddParams && c.instructions().is_empty() {
        cx.push(&key, "add_params with no parameters".into());
    }
    let (target, base) = match (&c.to, c.action) {
        (Some(to), Action::ChangeType) => match cx.events.get(to.as_str()) {
            Some(&t) => (t, 0),
            None => return cx.push(&key, format!("unknown event {to}")),
        },
        _ => (ev, usize::from(c.nparams)),
    };
    if target.direction != ev.direction {
        cx.push(
            &key,
            format!("{} and {} differ in direction", ev.id, target.id),
        );
    }
    for (i, ins) in c.instructions().iter().enumerate() {
        check_instruction(cx, c, ev, target, base + i, ins);
    }
}

fn check_instruction(
    cx: &mut Ctx,
    c: &Conversion,
    ev: &Event,
    target: &Event,
    at: usize,
    ins: &Instruction,
) {
    let entry = format!("{} param {at} '{}'", c.key(), ins.name);
    let Some(tp) = target.params.get(at) else {
        return cx.push(
            &entry,
            format!("{} has only {} parameters", target.id, target.params.len()),
        );
    };
    if tp.name != ins.name {
        cx.push(
            &entry,
            format!("parameter {at} of {} is '{}'", target.id, tp.name),
        );
    }
    let wants_param = matches!(ins.from, ParamOrigin::Old | ParamOrigin::Enter);
    if wants_param != ins.param.is_some() {
        cx.push(
            &entry,
            format!(
                "`param` is required with from = old/enter and only there ({:?})",
                ins.from
            ),
        );
    }
    let wants_fallback = matches!(ins.from, ParamOrigin::Enter | ParamOrigin::Callback);
    if wants_fallback != ins.fallback.is_some() {
        cx.push(
            &entry,
            "`fallback` is required with from = enter/callback and only there".into(),
        );
    }
    if (ins.from == ParamOrigin::Callback) != ins.callback.is_some() {
        cx.push(
            &entry,
            "`callback` is required with from = callback and only there".into(),
        );
    }
    if let Some(cb) = &ins.callback
        && !CALLBACKS.contains(&cb.as_str())
    {
        cx.push(
            &entry,
            format!("unknown callback '{cb}' (known: {})", CALLBACKS.join(", ")),
        );
    }
    if ins.from != ParamOrigin::Empty && len_bounds(&tp.ptype).is_none() {
        cx.push(
            &entry,
            format!("libscap cannot size a {} parameter", tp.ptype),
        );
    }
    let Some(p) = ins.param else { return };
    match ins.from {
        ParamOrigin::Old if p >= c.nparams => cx.push(
            &entry,
            format!(
                "takes parameter {p} of an event with {} parameters",
                c.nparams
            ),
        ),
        ParamOrigin::Enter => check_enter_param(cx, &entry, ev, p),
        _ => {}
    }
}

/// `from = enter` reads the stored event of the type just before `ev`: it must be an enter event
/// that some entry stores, with parameter `p` in every stored layout.
fn check_enter_param(cx: &mut Ctx, entry: &str, ev: &Event, p: u8) {
    let enter = ev
        .code
        .checked_sub(1)
        .and_then(|c| cx.by_code.get(&c).copied());
    let Some(enter) = enter.filter(|e| e.direction == Direction::Enter) else {
        return cx.push(
            entry,
            format!("the code before {} is not an enter event", ev.id),
        );
    };
    let stored: BTreeSet<u8> = cx
        .keys
        .iter()
        .filter(|((id, _), c)| {
            *id == enter.id && matches!(c.action, Action::Store | Action::StoreAndPass)
        })
        .map(|((_, n), _)| *n)
        .collect();
    if stored.is_empty() {
        cx.push(entry, format!("no entry stores {}", enter.id));
    }
    if let Some(n) = stored.iter().find(|&&n| p >= n) {
        cx.push(
            entry,
            format!(
                "takes parameter {p} of {} stored with {n} parameters",
                enter.id
            ),
        );
    }
}

/// Follows an entry through the steps libscap would take and checks that it ends.
fn check_chain(cx: &mut Ctx, first: &Conversion) {
    let mut c = first;
    for _ in 0..MAX_CONVERSIONS {
        let (id, n) = match c.action {
            Action::Pass | Action::Store | Action::StoreAndPass => return,
            Action::AddParams => (
                c.event.as_str(),
                usize::from(c.nparams) + c.instructions().len(),
            ),
            Action::ChangeType => (c.to.as_deref().unwrap_or_default(), c.instructions().len()),
        };
        let ev = cx.events[id];
        match verdict(ev, n) {
            Verdict::Pass | Verdict::Drop => return,
            Verdict::Error => {
                return cx.push(
                    &first.key(),
                    format!("leads to {id} with {n} parameters, which libscap rejects"),
                );
            }
            Verdict::Convert => {}
        }
        let Some(next) = u8::try_from(n)
            .ok()
            .and_then(|n| cx.keys.get(&(id, n)).copied())
        else {
            return cx.push(
                &first.key(),
                format!("leads to {id}/{n}, which needs converting but has no entry"),
            );
        };
        c = next;
    }
    cx.push(
        &first.key(),
        format!("does not end within {MAX_CONVERSIONS} conversions"),
    );
}
