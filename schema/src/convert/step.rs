//! One conversion step: the rule of the event's (type, parameter count) key, executed into the
//! output buffer, as libscap's `convert_event` does. Parameters of the new layout that no
//! instruction fills do not exist: `add_params` keeps the old parameters (lengths and data, byte
//! for byte) and appends; `change_type` starts from an empty event of the new type.

use super::eligibility::{Verdict, verdict};
use super::frame::{Frame, len_width};
use super::rule::{Action, Fallback, Instr, find};
use super::store::PendingEnters;
use super::{ConvertError, Dropped, MAX_EVENT_SIZE, callback};
use crate::conversions_table::{default_value, len_bounds};
use crate::event::{EventHeader, HEADER_LEN};
use crate::info::{EventInfo, event_info};
use crate::tables::ParamType;

/// What one step produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// `out` holds the event, which needs nothing more.
    Pass,
    Drop(Dropped),
    /// `out` holds an event that needs another step.
    Continue,
    Error(ConvertError),
}

/// The event being built.
struct Builder<'o> {
    out: &'o mut Vec<u8>,
    info: &'static EventInfo,
    width: usize,
}

impl Builder<'_> {
    fn ptype(&self, idx: u32) -> Result<ParamType, ConvertError> {
        let p = self.info.params.get(idx as usize);
        p.map(|p| p.ptype).ok_or(ConvertError::NotInLayout {
            etype: self.info.code,
            param: idx,
        })
    }

    fn push(&mut self, idx: u32, bytes: &[u8]) -> Result<(), ConvertError> {
        if self.out.len() + bytes.len() > MAX_EVENT_SIZE {
            return Err(ConvertError::Overflow);
        }
        self.out.extend_from_slice(bytes);
        let at = HEADER_LEN + idx as usize * self.width;
        let len = bytes.len() as u32;
        if self.width == 4 {
            self.out[at..at + 4].copy_from_slice(&len.to_le_bytes());
        } else {
            self.out[at..at + 2].copy_from_slice(&(len as u16).to_le_bytes());
        }
        Ok(())
    }

    /// The type's default value (libscap: zeros, or all ones for uid/gid, in its minimum size).
    fn push_default(&mut self, idx: u32) -> Result<(), ConvertError> {
        let t = self.ptype(idx)?;
        let v = default_value(t).ok_or(ConvertError::UnsizedType {
            etype: self.info.code,
            param: idx,
        })?;
        self.push(idx, v)
    }

    fn push_fallback(&mut self, idx: u32, f: Fallback) -> Result<(), ConvertError> {
        match f {
            Fallback::Empty => Ok(()), // the length slot is already 0
            Fallback::Default => self.push_default(idx),
        }
    }

    /// A copied value, cut to the largest length the new parameter's type allows.
    fn push_capped(&mut self, idx: u32, bytes: &[u8]) -> Result<(), ConvertError> {
        let (_, max) = self.bounds(idx)?;
        self.push(idx, &bytes[..bytes.len().min(max as usize)])
    }

    fn bounds(&self, idx: u32) -> Result<(u32, u32), ConvertError> {
        let t = self.ptype(idx)?;
        let b = len_bounds(t).ok_or(ConvertError::UnsizedType {
            etype: self.info.code,
            param: idx,
        })?;
        Ok(b.range(self.width))
    }
}

/// Starts `out` as an event of type `etype` with `nparams` zero lengths; the header is written
/// at the end.
fn start(out: &mut Vec<u8>, etype: u16, nparams: u32) -> Result<Builder<'_>, ConvertError> {
    let info = event_info(etype).ok_or(ConvertError::NoRule { etype, nparams })?;
    let width = len_width(etype);
    let data_at = HEADER_LEN as u64 + u64::from(nparams) * width as u64;
    if data_at > MAX_EVENT_SIZE as u64 {
        return Err(ConvertError::Overflow);
    }
    out.clear();
    out.resize(data_at as usize, 0);
    Ok(Builder { out, info, width })
}

/// Runs the rule for `src` (an event the eligibility rules send to the table).
pub(crate) fn step(
    src: &Frame<'_>,
    store: &mut PendingEnters,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Step {
    match run(src, store, out, scratch) {
        Ok(s) => s,
        Err(e) => Step::Error(e),
    }
}

fn run(
    src: &Frame<'_>,
    store: &mut PendingEnters,
    out: &mut Vec<u8>,
    scratch: &mut Vec<u8>,
) -> Result<Step, ConvertError> {
    let h = src.header;
    let rule = find(h.etype, h.nparams).ok_or(ConvertError::NoRule {
        etype: h.etype,
        nparams: h.nparams,
    })?;
    let (etype, nparams, first) = match rule.action {
        Action::Store => {
            store.put(h.tid, src.bytes);
            return Ok(Step::Drop(Dropped::Stored));
        }
        Action::Pass | Action::StoreAndPass => {
            if rule.action == Action::StoreAndPass {
                store.put(h.tid, src.bytes);
            }
            out.clear();
            out.extend_from_slice(src.bytes);
            return Ok(Step::Pass);
        }
        Action::AddParams => {
            let n = h
                .nparams
                .checked_add(rule.instrs.len() as u32)
                .ok_or(ConvertError::TooManyNewParams)?;
            (h.etype, n, h.nparams)
        }
        Action::ChangeType(t) => (t, rule.instrs.len() as u32, 0),
    };
    let mut b = start(out, etype, nparams)?;
    if rule.action == Action::AddParams {
        // Same type, same length width: the old lengths and data carry over unchanged.
        b.out[HEADER_LEN..HEADER_LEN + src.lens().len()].copy_from_slice(src.lens());
        if b.out.len() + src.data().len() > MAX_EVENT_SIZE {
            return Err(ConvertError::Overflow);
        }
        b.out.extend_from_slice(src.data());
    }
    let mut enter: Option<Frame<'_>> = None;
    for (i, ins) in rule.instrs.iter().enumerate() {
        let idx = first + i as u32;
        match *ins {
            Instr::Empty => {}
            Instr::Default => b.push_default(idx)?,
            Instr::Old(p) => {
                let v = src.param(p.into()).ok_or(ConvertError::MissingParam {
                    etype: h.etype,
                    param: p,
                    nparams: h.nparams,
                })?;
                b.push_capped(idx, v)?;
            }
            Instr::Enter { param, fallback } => {
                if enter.is_none() {
                    enter = match store.get(h.tid) {
                        Some(bytes) => Some(Frame::parse(bytes)?),
                        None => None,
                    };
                }
                let Some(e) = &enter else {
                    b.push_fallback(idx, fallback)?;
                    continue;
                };
                if i32::from(e.header.etype) != i32::from(h.etype) - 1 {
                    return Err(ConvertError::WrongEnter {
                        etype: h.etype,
                        found: e.header.etype,
                    });
                }
                let v = e.param(param.into()).ok_or(ConvertError::MissingParam {
                    etype: e.header.etype,
                    param,
                    nparams: e.header.nparams,
                })?;
                b.push_capped(idx, v)?;
            }
            Instr::Callback { callback, fallback } => {
                let (min, max) = b.bounds(idx)?;
                if !callback::run(callback, src, scratch) {
                    b.push_fallback(idx, fallback)?;
                    continue;
                }
                let len = scratch.len();
                if len < min as usize || len > max as usize {
                    return Err(ConvertError::CallbackLength {
                        etype,
                        param: idx,
                        len,
                        min,
                        max,
                    });
                }
                b.push(idx, scratch)?;
            }
        }
    }
    if enter.is_some() {
        store.remove(h.tid);
    }
    let info = b.info;
    let header = EventHeader {
        ts: h.ts,
        tid: h.tid,
        len: out.len() as u32,
        etype,
        nparams,
    };
    let mut hb = [0u8; HEADER_LEN];
    header.write(&mut hb);
    out[..HEADER_LEN].copy_from_slice(&hb);
    Ok(match verdict(info, nparams) {
        Verdict::Pass => Step::Pass,
        Verdict::Drop(d) => Step::Drop(d),
        Verdict::Convert => Step::Continue,
        Verdict::Error(e) => Step::Error(e),
    })
}
