//! Hostile input through the converter: malformed events are errors (never panics), conversions
//! stay within libscap's 64 KiB buffer, and the pending-enter store stays bounded whatever the
//! thread ids.

mod convert_support;

use convert_support::{ev, ev_raw, le32, le64, params};
use edera_scap::convert::{
    ConvertError, Converter, ConverterLimits, Dropped, MAX_EVENT_SIZE, Outcome,
};
use edera_scap::tables::EventCode as C;

fn err(c: &mut Converter, e: &[u8]) -> ConvertError {
    match c.convert(e) {
        Outcome::Error(e) => e,
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn malformed_frames() {
    let mut c = Converter::default();
    let good = ev(C::SyscallReadX, 1, &[&le64(0), b"abc", &le64(1), &le32(3)]);
    assert_eq!(err(&mut c, &good[..10]), ConvertError::ShortHeader(10));
    assert_eq!(err(&mut c, &good[..24]), ConvertError::ShortHeader(24));
    assert!(matches!(
        err(&mut c, &good[..good.len() - 1]),
        ConvertError::LengthPastEnd { .. }
    ));
    let mut e = good.clone();
    e[16..20].copy_from_slice(&20u32.to_le_bytes());
    assert_eq!(err(&mut c, &e), ConvertError::LengthTooSmall(20));
    let mut e = good.clone();
    e[22..26].copy_from_slice(&100_000u32.to_le_bytes());
    assert!(matches!(
        err(&mut c, &e),
        ConvertError::ParamsDoNotFit { .. }
    ));
    let mut e = good.clone();
    e[28..30].copy_from_slice(&500u16.to_le_bytes()); // data length past the end
    assert!(matches!(
        err(&mut c, &e),
        ConvertError::ParamPastEnd { param: 1, .. }
    ));
    // trailing bytes after len are ignored, as libscap does
    let mut e = good.clone();
    e.extend_from_slice(b"junk");
    assert_eq!(c.convert(&e), Outcome::Pass(&good[..]));
    assert_eq!(c.stats().errors, 6);
}

#[test]
fn parameter_counts_are_keyed_on_eight_bits_like_libscap() {
    // An open enter event with 256 parameters matches the (open_e, 0) entry: three empty
    // parameters are appended, then (open_e, 259 -> 3) passes. libscap hands that on too.
    let mut c = Converter::default();
    let many: Vec<&[u8]> = vec![b""; 256];
    match c.convert(&ev(C::SyscallOpenE, 1, &many)) {
        Outcome::Converted(b) => assert_eq!(u32::from_le_bytes(b[22..26].try_into().unwrap()), 259),
        other => panic!("{other:?}"),
    }
    // an exit event with more parameters than its layout is an error, whatever the count
    let many: Vec<&[u8]> = vec![b""; 260];
    assert!(matches!(
        err(&mut c, &ev(C::SyscallReadX, 1, &many)),
        ConvertError::TooManyParams { nparams: 260, .. }
    ));
}

#[test]
fn sizes_stay_within_libscaps_buffer() {
    let mut c = Converter::default();
    // too large to convert at all
    let big = vec![b'x'; 65_535];
    let e = ev(C::SyscallReadX, 1, &[&le64(0), &big]);
    assert!(e.len() > MAX_EVENT_SIZE);
    assert_eq!(err(&mut c, &e), ConvertError::TooLarge(e.len() as u32));
    // fits, but appending the enter parameters would not
    let data = vec![b'x'; 65_490];
    c.convert(&ev(C::SyscallReadE, 1, &[&le64(3), &le32(9)]));
    let e = ev(C::SyscallReadX, 1, &[&le64(0), &data]);
    assert!(e.len() <= MAX_EVENT_SIZE);
    assert_eq!(err(&mut c, &e), ConvertError::Overflow);
    // a computed parameter longer than its type allows: container JSON of more than 65535 bytes
    let id = [vec![b'i'; 65_400], vec![0]].concat();
    let name = [vec![b'n'; 84], vec![0]].concat();
    let e = ev(C::ContainerE, 0, &[&id, &le32(u32::MAX), &name, b"img\0"]);
    assert!(e.len() <= MAX_EVENT_SIZE);
    assert!(matches!(
        err(&mut c, &e),
        ConvertError::CallbackLength { max: 65_535, .. }
    ));
    // large events that need no conversion pass whatever their size
    let huge = ev(C::ContainerJsonV2E, 0, &[&vec![b'{'; 200_000]]);
    assert_eq!(c.convert(&huge), Outcome::Pass(&huge[..]));
}

#[test]
fn thread_id_churn_keeps_the_store_bounded() {
    let limits = ConverterLimits {
        max_pending: 1000,
        max_pending_bytes: 1 << 20,
    };
    let mut c = Converter::new(limits);
    for tid in 0..300_000u64 {
        assert_eq!(
            c.convert(&ev(C::SyscallReadE, tid, &[&le64(3), &le32(1)])),
            Outcome::Drop(Dropped::Stored)
        );
        assert!(c.pending() <= 1000);
    }
    let s = c.stats();
    assert_eq!((s.stored, s.evictions), (300_000, 299_000));
    // the newest thread still has its enter event, the oldest lost it (fallback: defaults)
    let x = |c: &mut Converter, tid| match c.convert(&ev(C::SyscallReadX, tid, &[&le64(0), b""])) {
        Outcome::Converted(b) => params(b)[2].clone(),
        other => panic!("{other:?}"),
    };
    assert_eq!(x(&mut c, 299_999), le64(3));
    assert_eq!(x(&mut c, 0), le64(0));
    // a byte cap applies too
    let mut c = Converter::new(ConverterLimits {
        max_pending: 1 << 20,
        max_pending_bytes: 10_000,
    });
    let data = vec![0u8; 900];
    for tid in 0..1000u64 {
        c.convert(&ev(C::SyscallWriteE, tid, &[&le64(1), &le32(900)]));
        c.convert(&ev_raw(
            C::SyscallPwriteE as u16,
            tid + 5000,
            &[&le64(1), &le32(900), &data[..8]],
        ));
    }
    assert!(c.pending_bytes() <= 10_000);
    assert!(c.pending() >= 10_000 / 52 - 1, "{}", c.pending());
    assert_eq!(c.stats().evictions, 2000 - c.pending() as u64);
}

/// A small deterministic generator (xorshift), so the test needs no dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_and_mutated_events_never_panic() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut c = Converter::new(ConverterLimits {
        max_pending: 64,
        max_pending_bytes: 1 << 16,
    });
    let seeds = [
        ev(C::SyscallReadE, 1, &[&le64(3), &le32(1)]),
        ev(C::SyscallReadX, 1, &[&le64(0), b"abc"]),
        ev(C::ContainerE, 0, &[b"id\0", &le32(1), b"n\0", b"i\0"]),
        ev(
            C::SyscallExecveV8X,
            2,
            &[
                &le64(0),
                b"a\0",
                b"",
                &le64(1),
                &le64(1),
                &le64(1),
                b"/\0",
                &le64(1),
            ],
        ),
        ev(C::SocketConnectX, 1, &[&le64(0), b"t"]),
        ev(C::SyscallLinkX, 1, &[&le64(0)]),
    ];
    let mut total = 0u64;
    for i in 0..200_000u32 {
        let mut e = seeds[i as usize % seeds.len()].clone();
        let n = rng.next() % 4;
        for _ in 0..n {
            let at = (rng.next() as usize) % e.len();
            e[at] = rng.next() as u8;
        }
        if rng.next().is_multiple_of(8) {
            let keep = (rng.next() as usize) % (e.len() + 1);
            e.truncate(keep);
        }
        // random type numbers over the whole table (and past it), random thread ids
        if rng.next().is_multiple_of(4) && e.len() >= 22 {
            e[20..22].copy_from_slice(&((rng.next() % 480) as u16).to_le_bytes());
            e[8..16].copy_from_slice(&(rng.next() % 16).to_le_bytes());
        }
        if let Outcome::Pass(b) | Outcome::Converted(b) = c.convert(&e) {
            assert!(b.len() >= 26);
        }
        total += 1;
        assert!(c.pending() <= 64);
    }
    let s = c.stats();
    assert_eq!(
        s.passed + s.converted + s.stored + s.dropped + s.unknown_types + s.errors,
        total
    );
    assert!(s.errors > 0 && s.converted > 0 && s.stored > 0);
}
