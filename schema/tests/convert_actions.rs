//! Every action and instruction kind of the converter on synthetic events, with the expected
//! bytes written out from libscap's rules (converter README and table).

mod convert_support;

use convert_support::{etype, ev, le32, le64, params};
use edera_scap::conversions_table::default_value;
use edera_scap::convert::{ConvertError, Converter, Dropped, Outcome};
use edera_scap::info::ParamType;
use edera_scap::tables::EventCode as C;

/// Converts and returns the handed-on bytes (panics on drop or error).
fn out(c: &mut Converter, e: &[u8]) -> (bool, Vec<u8>) {
    match c.convert(e) {
        Outcome::Pass(b) => (false, b.to_vec()),
        Outcome::Converted(b) => (true, b.to_vec()),
        other => panic!("expected an event, got {other:?}"),
    }
}

#[test]
fn store_then_add_params_from_the_enter_event() {
    let mut c = Converter::default();
    assert_eq!(
        c.convert(&ev(C::SyscallReadE, 7, &[&le64(3), &le32(100)])),
        Outcome::Drop(Dropped::Stored)
    );
    assert_eq!(c.pending(), 1);
    let (converted, x) = out(&mut c, &ev(C::SyscallReadX, 7, &[&le64(5), b"hello"]));
    assert!(converted);
    assert_eq!(
        x,
        ev(
            C::SyscallReadX,
            7,
            &[&le64(5), b"hello", &le64(3), &le32(100)]
        )
    );
    assert_eq!(c.pending(), 0, "the enter event is used up");
    assert_eq!(c.handed_out(), 1, "the stored enter event is not numbered");
}

#[test]
fn missing_enter_falls_back_to_default_or_empty() {
    let mut c = Converter::default();
    // read: no fallback flag -> the types' defaults (8 and 4 zero bytes)
    let (_, x) = out(&mut c, &ev(C::SyscallReadX, 7, &[&le64(5), b"x"]));
    assert_eq!(params(&x), vec![le64(5), b"x".to_vec(), le64(0), le32(0)]);
    // setuid: fallback to empty
    let (_, x) = out(&mut c, &ev(C::SyscallSetuidX, 7, &[&le64(0)]));
    assert_eq!(params(&x), vec![le64(0), vec![]]);
    // an enter event of another thread is not used
    c.convert(&ev(C::SyscallSetuidE, 8, &[&le32(1000)]));
    let (_, x) = out(&mut c, &ev(C::SyscallSetuidX, 7, &[&le64(0)]));
    assert_eq!(params(&x)[1], Vec::<u8>::new());
    let (_, x) = out(&mut c, &ev(C::SyscallSetuidX, 8, &[&le64(0)]));
    assert_eq!(params(&x)[1], le32(1000));
}

#[test]
fn default_values_are_libscaps() {
    assert_eq!(default_value(ParamType::Uid), Some(&[0xff; 4][..]));
    assert_eq!(default_value(ParamType::Gid), Some(&[0xff; 4][..]));
    assert_eq!(default_value(ParamType::Fd), Some(&[0; 8][..]));
    assert_eq!(default_value(ParamType::Uint16), Some(&[0; 2][..]));
    assert_eq!(default_value(ParamType::Ipv6addr), Some(&[0; 16][..]));
    assert_eq!(default_value(ParamType::Charbuf), Some(&[][..]));
    assert_eq!(default_value(ParamType::Bool), None);
    // fcntl exit with 3 parameters gets a default `arg` (PT_UINT64)
    let mut c = Converter::default();
    let (_, x) = out(
        &mut c,
        &ev(C::SyscallFcntlX, 1, &[&le64(0), &le64(3), &[1]]),
    );
    assert_eq!(params(&x), vec![le64(0), le64(3), vec![1], le64(0)]);
}

#[test]
fn pass_and_add_empty_params_on_enter_events() {
    let mut c = Converter::default();
    let full = ev(C::SyscallOpenE, 1, &[b"/etc\0", &le32(0), &le32(0)]);
    assert_eq!(c.convert(&full), Outcome::Pass(&full[..]));
    let (converted, x) = out(&mut c, &ev(C::SyscallOpenE, 1, &[]));
    assert!(converted);
    assert_eq!(x, ev(C::SyscallOpenE, 1, &[b"", b"", b""]));
    assert_eq!(c.pending(), 0, "pass does not store");
}

#[test]
fn store_and_pass_then_chained_steps() {
    let mut c = Converter::default();
    let enter = ev(C::SocketConnectE, 4, &[&le64(9), b"\x02addr"]);
    assert_eq!(c.convert(&enter), Outcome::Pass(&enter[..]));
    assert_eq!(c.pending(), 1);
    // connect exit of 2 parameters: step 1 adds `fd` from the enter event (and uses it up),
    // step 2 would add `addr` from it but finds none: the default of a sockaddr is empty.
    let (_, x) = out(&mut c, &ev(C::SocketConnectX, 4, &[&le64(0), b"tuple"]));
    assert_eq!(
        params(&x),
        vec![le64(0), b"tuple".to_vec(), le64(9), vec![]]
    );
    // with 3 parameters only `addr` is added, and the enter event is there.
    c.convert(&enter);
    let (_, x) = out(
        &mut c,
        &ev(C::SocketConnectX, 4, &[&le64(0), b"tuple", &le64(9)]),
    );
    assert_eq!(params(&x)[3], b"\x02addr".to_vec());
}

#[test]
fn change_type_with_old_and_enter_parameters() {
    let mut c = Converter::default();
    assert_eq!(
        c.convert(&ev(C::SyscallLinkE, 2, &[b"/a\0", b"/b\0"])),
        Outcome::Drop(Dropped::Stored)
    );
    let (_, x) = out(&mut c, &ev(C::SyscallLinkX, 2, &[&le64(-2)]));
    assert_eq!(x, ev(C::SyscallLinkV2X, 2, &[&le64(-2), b"/a\0", b"/b\0"]));
    // without the enter event: empty (the entry's fallback)
    let (_, x) = out(&mut c, &ev(C::SyscallLinkX, 2, &[&le64(0)]));
    assert_eq!(x, ev(C::SyscallLinkV2X, 2, &[&le64(0), b"", b""]));
}

#[test]
fn old_execve_layouts_climb_to_the_current_one() {
    let mut c = Converter::default();
    // EXECVE_8_E -> 13 -> 14 -> 15 -> 16 -> 17 -> 18 (empty filename) -> 19: stored and passed.
    let (_, e) = out(&mut c, &ev(C::SyscallExecveV8E, 3, &[]));
    assert_eq!(
        (etype(&e), params(&e)),
        (C::SyscallExecveV19E as u16, vec![vec![]])
    );
    assert_eq!(c.pending(), 1);
    let old: Vec<Vec<u8>> = vec![
        le64(0),
        b"/bin/ls\0".to_vec(),
        b"-l\0".to_vec(),
        le64(3),
        le64(3),
        le64(1),
        b"/root\0".to_vec(),
        le64(1024),
    ];
    let refs: Vec<&[u8]> = old.iter().map(Vec::as_slice).collect();
    let (_, x) = out(&mut c, &ev(C::SyscallExecveV8X, 3, &refs));
    let info = C::SyscallExecveV19X.info();
    let p = params(&x);
    assert_eq!(
        (etype(&x), p.len()),
        (C::SyscallExecveV19X as u16, info.params.len())
    );
    assert_eq!(&p[..8], &old[..], "res..fdlimit carried over");
    assert!(
        p[8..].iter().all(Vec::is_empty),
        "every added parameter is empty"
    );
    assert_eq!(c.pending(), 0, "filename came from the stored enter event");
}

#[test]
fn container_events_become_json() {
    let mut c = Converter::default();
    let old = ev(
        C::ContainerE,
        0,
        &[b"abc123\0", &le32(1), b"web\0", b"nginx:1\0"],
    );
    let (_, x) = out(&mut c, &old);
    assert_eq!(etype(&x), C::ContainerJsonV2E as u16);
    let json = br#"{"id":"abc123","type":1,"name":"web","image":"nginx:1"}"#;
    assert_eq!(params(&x), vec![[&json[..], b"\0"].concat()]);
    // u32 parameter lengths now (large payload)
    assert_eq!(x.len(), 26 + 4 + json.len() + 1);
    // an empty id makes the callback fail: fallback to an empty parameter
    let (_, x) = out(
        &mut c,
        &ev(C::ContainerE, 0, &[b"", &le32(1), b"web\0", b"nginx\0"]),
    );
    assert_eq!(params(&x), vec![Vec::<u8>::new()]);
    // a short type reads its missing bytes as zero; a long one fails
    let (_, x) = out(
        &mut c,
        &ev(C::ContainerE, 0, &[b"i\0", &[7], b"n\0", b"m\0"]),
    );
    assert_eq!(
        params(&x)[0],
        br#"{"id":"i","type":7,"name":"n","image":"m"}"#
            .iter()
            .chain(b"\0")
            .copied()
            .collect::<Vec<u8>>()
    );
    let (_, x) = out(
        &mut c,
        &ev(C::ContainerE, 0, &[b"i\0", &le64(7), b"n\0", b"m\0"]),
    );
    assert!(params(&x)[0].is_empty());
}

#[test]
fn copied_values_are_cut_to_the_new_type() {
    // bpf: the enter event's cmd is PT_INT64, the new exit layout's is 4 bytes wide
    let mut c = Converter::default();
    c.convert(&ev(C::SyscallBpfE, 5, &[&le64(0x1_0000_0005)]));
    let (_, x) = out(&mut c, &ev(C::SyscallBpfX, 5, &[&le64(3)]));
    assert_eq!(etype(&x), C::SyscallBpfV2X as u16);
    assert_eq!(params(&x), vec![le64(3), le32(5)]);
}

#[test]
fn drops() {
    let mut c = Converter::default();
    assert_eq!(
        c.convert(&ev(C::SocketAcceptE, 1, &[])),
        Outcome::Drop(Dropped::OldEnter)
    );
    let unused = edera_scap::tables::EVENTS
        .iter()
        .find(|e| e.unused())
        .unwrap();
    assert_eq!(
        c.convert(&convert_support::ev_raw(unused.code, 1, &[])),
        Outcome::Drop(Dropped::Unused)
    );
    assert_eq!(
        c.convert(&convert_support::ev_raw(60000, 1, &[])),
        Outcome::Drop(Dropped::UnknownType)
    );
    let s = c.stats();
    assert_eq!((s.dropped, s.unknown_types, c.handed_out()), (2, 1, 0));
}

#[test]
fn libscap_errors_are_reported_per_event() {
    let mut c = Converter::default();
    // an exit with more parameters than its layout
    let e = ev(
        C::SyscallReadX,
        1,
        &[&le64(0), b"", &le64(0), &le32(0), b""],
    );
    assert!(matches!(
        c.convert(&e),
        Outcome::Error(ConvertError::TooManyParams { .. })
    ));
    // a layout the table does not know
    assert!(matches!(
        c.convert(&ev(C::SyscallReadX, 1, &[&le64(0)])),
        Outcome::Error(ConvertError::NoRule { .. })
    ));
    assert!(matches!(
        c.convert(&ev(C::SyscallReadE, 1, &[&le64(0)])),
        Outcome::Error(ConvertError::NoRule { .. })
    ));
    // the pending enter event belongs to another syscall
    c.convert(&ev(C::SyscallCloseE, 1, &[&le64(3)]));
    assert_eq!(
        c.convert(&ev(C::SyscallReadX, 1, &[&le64(0), b""])),
        Outcome::Error(ConvertError::WrongEnter {
            etype: C::SyscallReadX as u16,
            found: C::SyscallCloseE as u16
        })
    );
    assert_eq!(c.stats().errors, 4);
    // the converter goes on afterwards
    let (_, x) = out(&mut c, &ev(C::SyscallCloseX, 1, &[&le64(0)]));
    assert_eq!(params(&x), vec![le64(0), le64(3)]);
}

#[test]
fn convert_checked_agrees_with_convert_on_checked_events() {
    let events = [
        ev(C::SyscallReadE, 7, &[&le64(3), &le32(100)]),
        ev(C::SyscallReadX, 7, &[&le64(5), b"hello"]),
        ev(
            C::SyscallReadX,
            7,
            &[&le64(5), b"hello", &le64(3), &le32(100)],
        ),
        ev(
            C::SyscallOpenatV2E,
            8,
            &[&le64(-100), b"/etc\0", &le32(0), &le32(0)],
        ),
        ev(C::SyscallCloseX, 9, &[&le64(0), &le64(3)]),
    ];
    let (mut plain, mut checked) = (Converter::default(), Converter::default());
    for e in &events {
        assert_eq!(checked.convert_checked(e), plain.convert(e));
    }
    assert_eq!(checked.stats(), plain.stats());
    assert_eq!(checked.stats().passed, 3);
    assert_eq!(checked.stats().converted, 1);
}
