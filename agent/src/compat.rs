//! `capture --compat`: events as libscap of 2022 (Debian's sysdig 0.29.3) reads them.
//!
//! That libscap knows event codes up to `CLONE3_X` (335) and ppm_sc codes up to `clone3`
//! (328); it skips later event codes and crashes on a generic event with a later ppm_sc code
//! (both found by feeding it synthetic captures). Its event layouts are
//! `compat/sysdig-0.29.3-events.txt` (its `sysdig -L`, in event-code order without the
//! versions already old then); each code up to 335 is matched to its line by walking both
//! lists in order. An event is written:
//! - with a known code: with that code, parameter by parameter in the old layout (parameters
//!   appended since are cut; a parameter whose type changed gets the old type's empty value);
//! - with a later code: as the latest older code of the same event name (`accept4` was
//!   `accept`), parameters taken by name;
//! - for a syscall exit that cannot be mapped: as a generic event naming the syscall, when
//!   its ppm_sc code is known; otherwise it is left out and counted.
//!
//! libsinsp of 2022 reads many syscall arguments from the enter event (setuid's uid, read's
//! fd), so every exit goes with its enter event in the old enter layout, filled by parameter
//! name from the current exit event.

use crate::encode::event::{Event, write_event};
use edera_scap::info::{Direction, ParamType, event_info};
use edera_scap::tables::EventCode;
use std::sync::OnceLock;

/// The highest event code libscap of 2022 reads.
pub const MAX_EVENT_CODE: u16 = 335;
/// The highest ppm_sc code it can name in a generic event.
pub const MAX_PPM_SC: u16 = 328;
/// The highest fd type (`scap_fd_type`) in its process table: `SCAP_FD_FILE_V2`.
pub const MAX_FD_TYPE: u8 = 16;

static LISTING: &str = include_str!("../compat/sysdig-0.29.3-events.txt");

/// Events renamed since 2022 (current name, old name).
const RENAMED: &[(&str, &str)] = &[("accept4", "accept")];

/// One event of the listing.
#[derive(Debug, Clone)]
struct Listed {
    dir: Direction,
    name: &'static str,
    /// Parameter names and types.
    params: Vec<(&'static str, ParamType)>,
}

fn param_type(name: &str) -> Option<ParamType> {
    // `sysdig -L` spells PT_DYN as DYNAMIC.
    let want = match name {
        "DYNAMIC" => "PT_DYN".to_string(),
        name => format!("PT_{name}"),
    };
    (0..=u8::MAX)
        .filter_map(ParamType::from_u8)
        .find(|t| t.name() == want)
}

fn listing() -> Vec<Listed> {
    LISTING
        .lines()
        .filter_map(|l| {
            let (dir, rest) = match l.split_at_checked(2)? {
                ("> ", r) => (Direction::Enter, r),
                ("< ", r) => (Direction::Exit, r),
                _ => return None,
            };
            let (name, params) = rest.strip_suffix(')')?.split_once('(')?;
            let params = params
                .split(", ")
                .filter(|p| !p.is_empty())
                .filter_map(|p| {
                    let (t, n) = p.rsplit_once(' ')?;
                    Some((n, param_type(t)?))
                })
                .collect();
            Some(Listed { dir, name, params })
        })
        .collect()
}

/// How one current event code is written: the old code, and per old parameter its type and
/// where its value comes from (a parameter index of the source event, by position or name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub code: u16,
    pub params: Vec<(ParamType, Pick)>,
}

/// Where an old parameter's value comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Parameter `i` of the current event.
    At(usize),
    /// The current parameter of this name (of the exit event, for enter events).
    Named(&'static str),
    /// The old type's empty value.
    Empty,
}

/// Every code up to [`MAX_EVENT_CODE`] matched with its listing line: each line goes to the
/// next code of the same name and direction.
fn old_layouts() -> Vec<Option<Listed>> {
    let mut out = vec![None; usize::from(MAX_EVENT_CODE) + 1];
    let mut code = 0u16;
    for l in listing() {
        let found = (code..=MAX_EVENT_CODE)
            .find(|&c| event_info(c).is_some_and(|i| i.name == l.name && i.direction == l.dir));
        if let Some(c) = found {
            out[usize::from(c)] = Some(l);
            code = c + 1;
        }
    }
    out
}

fn plan(code: u16, layouts: &[Option<Listed>]) -> Option<Plan> {
    let info = event_info(code)?;
    if let Some(old) = layouts.get(usize::from(code)) {
        let params = match old {
            Some(l) => l
                .params
                .iter()
                .enumerate()
                .map(|(i, &(_, t))| {
                    (
                        t,
                        if info.params.get(i).is_some_and(|p| same_shape(p.ptype, t)) {
                            Pick::At(i)
                        } else {
                            Pick::Empty
                        },
                    )
                })
                .collect(),
            None => info
                .params
                .iter()
                .enumerate()
                .map(|(i, p)| (p.ptype, Pick::At(i)))
                .collect(),
        };
        return Some(Plan { code, params });
    }
    let old_name = RENAMED
        .iter()
        .find(|(now, _)| *now == info.name)
        .map_or(info.name, |(_, then)| *then);
    (0..=MAX_EVENT_CODE).rev().find_map(|c| {
        let l = layouts[usize::from(c)]
            .as_ref()
            .filter(|l| l.name == old_name && l.dir == info.direction)?;
        let params = l
            .params
            .iter()
            .map(|&(n, t)| Some((t, Pick::At(info.param_index(n)?))))
            .collect::<Option<Vec<_>>>()?;
        Some(Plan { code: c, params })
    })
}

/// The plan of an enter event: its old code and layout, values by name.
fn enter_plan(code: u16, layouts: &[Option<Listed>]) -> Option<Plan> {
    let exit = plan(code + 1, layouts)?;
    let c = exit.code.checked_sub(1)?;
    let l = layouts
        .get(usize::from(c))?
        .as_ref()
        .filter(|l| l.dir == Direction::Enter)?;
    Some(Plan {
        code: c,
        params: l.params.iter().map(|&(n, t)| (t, Pick::Named(n))).collect(),
    })
}

/// The plans of every event code.
pub struct Compat {
    plans: Vec<Option<Plan>>,
    enter_plans: Vec<Option<Plan>>,
}

const CODES: u16 = 1024;

impl Compat {
    /// The plans, computed once.
    pub fn get() -> &'static Compat {
        static C: OnceLock<Compat> = OnceLock::new();
        C.get_or_init(|| {
            let layouts = old_layouts();
            Compat {
                plans: (0..CODES).map(|c| plan(c, &layouts)).collect(),
                enter_plans: (0..CODES).map(|c| enter_plan(c, &layouts)).collect(),
            }
        })
    }

    /// The plan of current code `code`.
    pub fn plan(&self, code: u16) -> Option<&Plan> {
        self.plans.get(usize::from(code))?.as_ref()
    }

    /// Append the enter event of current enter code `enter` (filled from the current exit
    /// event `exit`) and `exit` itself, as libscap of 2022 reads them, to `out`. `generic` is
    /// the syscall's (ppm_sc, native number) for a fallback generic pair. Returns the number
    /// of events written (0 when the exit cannot be).
    pub fn write(
        &self,
        enter: Option<u16>,
        exit: &Event,
        ts: u64,
        tid: u64,
        generic: Option<(u16, u16)>,
        out: &mut Vec<u8>,
    ) -> usize {
        if exit.code == EventCode::GenericX as u16 {
            let sc = exit
                .param(0)
                .get(..2)
                .map_or(u16::MAX, |b| u16::from_le_bytes([b[0], b[1]]));
            if sc > MAX_PPM_SC {
                return 0;
            }
        }
        if let Some(p) = self.plan(exit.code) {
            let names = event_info(exit.code).map(|i| i.params).unwrap_or_default();
            let mut n = 0;
            if let Some(e) = enter.and_then(|c| self.enter_plans.get(usize::from(c))?.as_ref()) {
                write_planned(e, exit, names, ts, tid, out);
                n += 1;
            }
            write_planned(p, exit, names, ts, tid, out);
            return n + 1;
        }
        match generic {
            Some((sc, nr))
                if sc <= MAX_PPM_SC
                    && event_info(exit.code).is_some_and(|i| i.direction == Direction::Exit) =>
            {
                let (sc, nr) = (sc.to_le_bytes(), nr.to_le_bytes());
                write_event(
                    EventCode::GenericE as u16,
                    ts,
                    tid,
                    [&sc[..], &nr[..]].into_iter(),
                    out,
                );
                write_event(
                    EventCode::GenericX as u16,
                    ts,
                    tid,
                    [&sc[..]].into_iter(),
                    out,
                );
                2
            }
            _ => 0,
        }
    }
}

/// Whether a value of type `now` reads as type `then`: the same type, or integers of the same
/// size (`FLAGS32` became `ENUMFLAGS32`, and the like).
fn same_shape(now: ParamType, then: ParamType) -> bool {
    now == then
        || now
            .fixed_size()
            .is_some_and(|n| Some(n) == then.fixed_size())
}

/// The empty value of a type: zero for fixed sizes, an empty string or buffer otherwise.
fn empty(t: ParamType) -> &'static [u8] {
    const ZEROS: [u8; 8] = [0; 8];
    match t.fixed_size() {
        Some(n) => &ZEROS[..usize::from(n).min(8)],
        None if matches!(
            t,
            ParamType::Charbuf | ParamType::Fspath | ParamType::Fsrelpath
        ) =>
        {
            &ZEROS[..1]
        }
        None => &[],
    }
}

fn write_planned(
    p: &Plan,
    src: &Event,
    names: &[edera_scap::info::ParamInfo],
    ts: u64,
    tid: u64,
    out: &mut Vec<u8>,
) {
    let value = |&(t, pick): &(ParamType, Pick)| -> &[u8] {
        let i = match pick {
            Pick::At(i) => Some(i),
            Pick::Named(n) => names
                .iter()
                .position(|p| p.name == n && same_shape(p.ptype, t)),
            Pick::Empty => None,
        };
        match i {
            Some(i) if i < src.nparams() => src.param(i),
            _ => empty(t),
        }
    };
    write_event(p.code, ts, tid, p.params.iter().map(value), out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(id: &str) -> u16 {
        (0..CODES)
            .find(|&c| event_info(c).is_some_and(|i| i.id == id))
            .unwrap()
    }

    #[test]
    fn the_listing_parses_and_aligns() {
        let l = listing();
        assert!(l.len() > 250, "{}", l.len());
        let layouts = old_layouts();
        let open = layouts[usize::from(code("PPME_SYSCALL_OPEN_X"))]
            .as_ref()
            .unwrap();
        assert_eq!(
            open.params.iter().map(|p| p.0).collect::<Vec<_>>(),
            ["fd", "name", "flags", "mode", "dev"]
        );
        // execve's 18th parameter was called pgid then (vpgid now): matched by position.
        let execve = layouts[usize::from(code("PPME_SYSCALL_EXECVE_19_X"))]
            .as_ref()
            .unwrap();
        assert_eq!(execve.params.len(), 20);
    }

    #[test]
    fn plans_cut_appended_parameters_and_map_new_codes_to_old_ones() {
        let c = Compat::get();
        let open = c.plan(code("PPME_SYSCALL_OPEN_X")).unwrap();
        assert_eq!(
            open.params.iter().map(|p| p.1).collect::<Vec<_>>(),
            (0..5).map(Pick::At).collect::<Vec<_>>()
        );
        let dup = c.plan(code("PPME_SYSCALL_DUP_1_X")).unwrap();
        assert_eq!(
            (dup.code, dup.params[0].1),
            (code("PPME_SYSCALL_DUP_X"), Pick::At(0))
        );
        let acc = c.plan(code("PPME_SOCKET_ACCEPT4_6_X")).unwrap();
        assert_eq!(
            (acc.code, acc.params.len()),
            (code("PPME_SOCKET_ACCEPT4_5_X"), 5)
        );
        assert!(c.plan(code("PPME_SYSCALL_DUP2_X")).is_none());
    }

    #[test]
    fn enter_events_take_their_values_from_the_exit_event() {
        let c = Compat::get();
        let mut exit = Event::default();
        exit.start(code("PPME_SYSCALL_SETUID_X"));
        exit.push_int(ParamType::Errno, 0);
        exit.push_int(ParamType::Uid, 65534);
        let mut out = Vec::new();
        assert_eq!(
            c.write(
                Some(code("PPME_SYSCALL_SETUID_E")),
                &exit,
                5,
                9,
                None,
                &mut out
            ),
            2
        );
        let enter = edera_scap::event::RawEvent::parse(&out).unwrap();
        assert_eq!(
            (enter.header.etype, enter.param(0).unwrap()),
            (code("PPME_SYSCALL_SETUID_E"), &65534u32.to_le_bytes()[..])
        );
    }

    #[test]
    fn dynamic_parameters_are_kept() {
        // `sysdig -L` lists PT_DYN as DYNAMIC: ptrace's addr and data are carried over.
        let c = Compat::get();
        let ptrace = c.plan(code("PPME_SYSCALL_PTRACE_X")).unwrap();
        assert_eq!(
            ptrace.params,
            [
                (ParamType::Errno, Pick::At(0)),
                (ParamType::Dyn, Pick::At(1)),
                (ParamType::Dyn, Pick::At(2))
            ]
        );
        // bpf's exit of 2022 had one dynamic parameter, `res_or_fd`, which today's event
        // lacks: it is written as a generic event.
        assert!(c.plan(code("PPME_SYSCALL_BPF_2_X")).is_none());
    }

    #[test]
    fn generic_events_beyond_the_known_syscalls_are_left_out() {
        let c = Compat::get();
        let mut ev = Event::default();
        ev.start(EventCode::GenericX as u16);
        ev.push(&400u16.to_le_bytes());
        ev.push(&334u16.to_le_bytes());
        let mut out = Vec::new();
        assert_eq!(
            c.write(
                Some(EventCode::GenericE as u16),
                &ev,
                1,
                1,
                Some((400, 334)),
                &mut out
            ),
            0
        );
        ev.start(EventCode::GenericX as u16);
        ev.push(&100u16.to_le_bytes());
        ev.push(&1u16.to_le_bytes());
        assert_eq!(
            c.write(
                Some(EventCode::GenericE as u16),
                &ev,
                1,
                1,
                Some((100, 1)),
                &mut out
            ),
            2
        );
    }
}
