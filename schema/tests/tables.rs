//! The generated tables hold what the upstream C tables say. Expected values are read off
//! falcosecurity/libs driver/event_table.c, flags_table.c and syscall_compat_x86_64.h by hand.

use edera_scap::event::{CStrParam, EventHeader, HEADER_LEN, RawEvent};
use edera_scap::info::{Direction, ParamExtra, event_info};
use edera_scap::tables::{self, EventCode, ParamType, PrintFormat, events, flags};

#[test]
fn open_exit_layout() {
    let e = EventCode::SyscallOpenX.info();
    assert_eq!(e.code, 3);
    assert_eq!(e.name, "open");
    assert_eq!(e.direction, Direction::Exit);
    let names: Vec<_> = e.params.iter().map(|p| p.name).collect();
    assert_eq!(names, ["fd", "name", "flags", "mode", "dev", "ino"]);
    assert_eq!(e.params[0].ptype, ParamType::Fd);
    assert_eq!(e.params[1].ptype, ParamType::Fspath);
    assert_eq!(e.params[2].fmt, PrintFormat::Hex);
    assert_eq!(e.params[3].fmt, PrintFormat::Oct);
    assert!(matches!(e.params[2].extra, ParamExtra::Flags(t) if t.name == "file_flags"));
    assert_ne!(e.flags & tables::ef::CREATES_FD, 0);
    assert_ne!(e.category & tables::ec::SYSCALL, 0);
    assert_eq!(e.category & 0x1f, tables::ec::FILE);
}

#[test]
fn table_shape() {
    assert_eq!(tables::EVENT_COUNT, 454);
    assert_eq!(tables::SCHEMA_VERSION, "4.5.1");
    assert!(event_info(453).is_some());
    assert!(event_info(454).is_none());
    // execve's exit carries the most parameters of the syscall events.
    assert!(tables::MAX_PARAMS >= EventCode::SyscallExecveV19X.info().params.len());
    assert_eq!(EventCode::from_u16(322), Some(EventCode::PlugineventE));
}

#[test]
fn flag_tables_and_dirfd() {
    // file_flags: O_CLOEXEC is PPM_O_CLOEXEC = (1 << 12) in ppm_events_public.h.
    let cloexec = flags::FILE_FLAGS
        .entries
        .iter()
        .find(|(n, _)| *n == "O_CLOEXEC")
        .unwrap();
    assert_eq!(cloexec.1, 1 << 12);
    // renameat2's newpath is relative to its newdirfd (DIRFD_PARAM(3)).
    let e = EventCode::SyscallRenameat2X.info();
    let newpath = &e.params[e.param_index("newpath").unwrap()];
    assert!(matches!(newpath.extra, ParamExtra::DirFd(3)));
}

#[test]
fn syscall_map_x86_64() {
    let openat = tables::syscalls::X86_64
        .iter()
        .find(|s| s.nr == 257)
        .unwrap();
    assert_eq!(openat.name, "openat");
    assert_eq!(openat.enter, EventCode::SyscallOpenatV2E as u16);
    assert_eq!(openat.exit, EventCode::SyscallOpenatV2X as u16);
    assert_eq!(tables::PPM_SC_NAMES[usize::from(openat.ppm_sc)], "openat");
}

#[test]
fn typed_accessor_reads_an_encoded_event() {
    let fd = 3i64.to_le_bytes();
    let params: [&[u8]; 4] = [
        &fd,
        b"/etc/passwd\0",
        &0x1001u32.to_le_bytes(),
        &0u32.to_le_bytes(),
    ];
    let mut bytes = vec![0u8; HEADER_LEN];
    for p in params {
        bytes.extend_from_slice(&(p.len() as u16).to_le_bytes());
    }
    for p in params {
        bytes.extend_from_slice(p);
    }
    let mut h = [0u8; HEADER_LEN];
    EventHeader {
        ts: 1,
        tid: 2,
        len: bytes.len() as u32,
        etype: 3,
        nparams: 4,
    }
    .write(&mut h);
    bytes[..HEADER_LEN].copy_from_slice(&h);
    let raw = RawEvent::parse(&bytes).unwrap();
    let open = events::SyscallOpenX::new(&raw).unwrap();
    assert_eq!(open.fd(), Some(3));
    assert_eq!(open.name(), Some(CStrParam(b"/etc/passwd")));
    assert_eq!(open.flags(), Some(0x1001));
    // The older 4-parameter layout has no dev/ino: they read as absent.
    assert_eq!(open.dev(), None);
    assert_eq!(open.ino(), None);
    assert!(events::SyscallCloseX::new(&raw).is_none());
}
