//! Facts read by hand from the upstream C files, checked against the import.
//! Each assertion names where the fact comes from.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use codegen::import::import_dir;
use codegen::model::{Direction, Event, Param, Schema, Syscall};

fn driver(version: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../shared/libscap/schema-{version}"));
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipping: {} is absent", dir.display());
        None
    }
}

fn v451() -> Option<&'static Schema> {
    static S: OnceLock<Option<Schema>> = OnceLock::new();
    S.get_or_init(|| driver("4.5.1").map(|d| import_dir(&d, None).unwrap().schema))
        .as_ref()
}

fn v410() -> Option<&'static Schema> {
    static S: OnceLock<Option<Schema>> = OnceLock::new();
    S.get_or_init(|| driver("4.1.0").map(|d| import_dir(&d, None).unwrap().schema))
        .as_ref()
}

fn event<'a>(s: &'a Schema, id: &str) -> &'a Event {
    s.events
        .iter()
        .find(|e| e.id == id)
        .unwrap_or_else(|| panic!("no event {id}"))
}

fn syscall<'a>(s: &'a Schema, arch: &str, name: &str) -> Option<&'a Syscall> {
    let map = s
        .syscalls
        .iter()
        .find(|m| m.arch == arch)
        .expect("arch map");
    map.entries.iter().find(|e| e.name == name)
}

fn p(name: &str, ptype: &str, fmt: &str) -> Param {
    Param {
        name: name.into(),
        ptype: ptype.into(),
        fmt: fmt.into(),
        flags: None,
        dyn_table: None,
        dirfd: None,
    }
}

fn value(list: &[codegen::model::NameValue], name: &str) -> u64 {
    list.iter()
        .find(|n| n.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
        .value
}

#[test]
fn event_counts_and_versions() {
    // SOURCE.md and `PPM_EVENT_MAX = 454` / `= 430` in ppm_events_public.h.
    let (Some(new), Some(old)) = (v451(), v410()) else {
        return;
    };
    assert_eq!(new.events.len(), 454);
    assert_eq!(old.events.len(), 430);
    assert_eq!(new.version.schema_version, "4.5.1");
    assert_eq!(new.version.api_version, "10.1.0");
    assert_eq!(old.version.schema_version, "4.1.0");
    assert_eq!(new.version.source, "schema-4.5.1");
    for (k, e) in new.events.iter().enumerate() {
        assert_eq!(usize::from(e.code), k, "events are listed by code");
        assert_eq!(e.direction == Direction::Enter, k % 2 == 0, "{}", e.id);
    }
}

#[test]
fn open_exit_event() {
    // event_table.c, [PPME_SYSCALL_OPEN_X]; `PPME_SYSCALL_OPEN_X = 3` in the header.
    let Some(s) = v451() else { return };
    let e = event(s, "PPME_SYSCALL_OPEN_X");
    assert_eq!(e.code, 3);
    assert_eq!(e.name, "open");
    assert_eq!(e.direction, Direction::Exit);
    assert_eq!(e.category, ["EC_FILE", "EC_SYSCALL"]);
    assert_eq!(
        e.flags,
        ["EF_CREATES_FD", "EF_MODIFIES_STATE", "EF_CONVERTER_MANAGED"]
    );
    let mut flags = p("flags", "PT_FLAGS32", "PF_HEX");
    flags.flags = Some("file_flags".into());
    assert_eq!(
        e.params,
        vec![
            p("fd", "PT_FD", "PF_DEC"),
            p("name", "PT_FSPATH", "PF_NA"),
            flags,
            p("mode", "PT_UINT32", "PF_OCT"),
            p("dev", "PT_UINT32", "PF_HEX"),
            p("ino", "PT_UINT64", "PF_DEC"),
        ]
    );
    // [PPME_GENERIC_E]: EF_NONE is not among its flags, EF_OLD_VERSION is.
    let g = event(s, "PPME_GENERIC_E");
    assert_eq!(g.flags, ["EF_OLD_VERSION", "EF_CONVERTER_MANAGED"]);
    // `{"NA", EC_UNKNOWN, EF_UNUSED, 0}` entries have no parameters.
    let unused = event(s, "PPME_SYSCALL_KEYCTL_E");
    assert_eq!((unused.name.as_str(), unused.params.len()), ("NA", 0));
    assert_eq!(unused.flags, ["EF_UNUSED"]);
    // [PPME_SYSCALL_KEYCTL_X] has `EF_NONE` only: nothing is left.
    assert!(event(s, "PPME_SYSCALL_KEYCTL_X").flags.is_empty());
}

#[test]
fn dirfd_and_dynamic_parameters() {
    let Some(s) = v451() else { return };
    // [PPME_SYSCALL_RENAMEAT_X]: oldpath DIRFD_PARAM(1), newpath DIRFD_PARAM(3).
    let e = event(s, "PPME_SYSCALL_RENAMEAT_X");
    assert_eq!(e.code, 177);
    let dirfds: Vec<(&str, Option<u32>)> = e
        .params
        .iter()
        .map(|p| (p.name.as_str(), p.dirfd))
        .collect();
    assert_eq!(
        dirfds,
        [
            ("res", None),
            ("olddirfd", None),
            ("oldpath", Some(1)),
            ("newdirfd", None),
            ("newpath", Some(3))
        ]
    );
    assert_eq!(e.params[2].ptype, "PT_FSRELPATH");
    // [PPME_SOCKET_SETSOCKOPT_X] (code 45): "val" is PT_DYN over sockopt_dynamic_param,
    // "level" uses the sockopt_levels flags table.
    let e = event(s, "PPME_SOCKET_SETSOCKOPT_X");
    assert_eq!(e.code, 45);
    let val = e.params.iter().find(|p| p.name == "val").unwrap();
    assert_eq!((val.ptype.as_str(), val.fmt.as_str()), ("PT_DYN", "PF_DEC"));
    assert_eq!(val.dyn_table.as_deref(), Some("sockopt_dynamic_param"));
    assert_eq!(val.flags, None);
    assert_eq!(e.params[2].flags.as_deref(), Some("sockopt_levels"));
    // dynamic_params_table.c: keyctl_dynamic_param[PPM_KEYCTL_IDX_MAX] with INT64 and CHARBUF.
    let t = s
        .dyn_tables
        .iter()
        .find(|t| t.name == "keyctl_dynamic_param")
        .unwrap();
    let rows: Vec<(u32, &str, &str, &str)> = t
        .entries
        .iter()
        .map(|e| (e.index, e.id.as_str(), e.ptype.as_str(), e.fmt.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            (0, "PPM_KEYCTL_IDX_INT64", "PT_INT64", "PF_DEC"),
            (1, "PPM_KEYCTL_IDX_CHARBUF", "PT_CHARBUF", "PF_NA")
        ]
    );
    let names: Vec<&str> = s.dyn_tables.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "sockopt_dynamic_param",
            "ptrace_dynamic_param",
            "bpf_dynamic_param",
            "keyctl_dynamic_param"
        ]
    );
    // 4.1.0 has no keyctl table.
    let Some(old) = v410() else { return };
    assert_eq!(old.dyn_tables.len(), 3);
}

#[test]
fn flag_tables() {
    let Some(s) = v451() else { return };
    let table = |name: &str| s.flag_tables.iter().find(|t| t.name == name).unwrap();
    let get = |t: &str, n: &str| {
        table(t)
            .entries
            .iter()
            .find(|e| e.name == n)
            .map(|e| e.value)
    };
    // file_flags: O_CREAT = PPM_O_CREAT = (1 << 2); O_RDWR = (PPM_O_RDONLY | PPM_O_WRONLY);
    // O_APPEND's #define continues on the next line: (1 << 3).
    assert_eq!(get("file_flags", "O_CREAT"), Some(4));
    assert_eq!(get("file_flags", "O_RDWR"), Some(3));
    assert_eq!(get("file_flags", "O_APPEND"), Some(8));
    assert_eq!(
        table("file_flags").entries.first().map(|e| e.name.as_str()),
        Some("O_LARGEFILE")
    );
    assert_eq!(
        table("file_flags").entries.len(),
        19,
        "19 entries before {{0, 0}}"
    );
    // mknod_mode: S_IFREG = PPM_S_IFREG = 0100000 (octal).
    assert_eq!(get("mknod_mode", "S_IFREG"), Some(0o100000));
    // socket_families: AF_ROUTE = PPM_AF_ROUTE = PPM_AF_NETLINK = 16.
    assert_eq!(get("socket_families", "AF_ROUTE"), Some(16));
    // fcntl_commands: the `#ifndef CONFIG_64BIT` entries are kept (userspace build):
    // F_GETLK64 = PPM_FCNTL_F_GETLK64 = 17.
    assert_eq!(get("fcntl_commands", "F_GETLK64"), Some(17));
    // flags_table.c defines 55 tables in 4.5.1; the first is socket_families.
    assert_eq!(s.flag_tables.len(), 55);
    assert_eq!(s.flag_tables[0].name, "socket_families");
    assert!(s.flag_tables.iter().all(|t| !t.entries.is_empty()));
}

#[test]
fn constants() {
    let (Some(s), Some(old)) = (v451(), v410()) else {
        return;
    };
    let c = &s.constants;
    // enum ppm_param_type: PT_FSRELPATH = 43, PT_FD32 = 47 (new in 4.5.1).
    assert_eq!(value(&c.param_types, "PT_FSRELPATH"), 43);
    assert_eq!(value(&c.param_types, "PT_FD32"), 47);
    assert!(
        old.constants
            .param_types
            .iter()
            .all(|n| n.name != "PT_FD32")
    );
    // enum ppm_event_category: EC_SYSCALL = (1 << 9).
    assert_eq!(value(&c.event_categories, "EC_SYSCALL"), 512);
    // enum ppm_event_flags: EF_CONVERTER_MANAGED = (1 << 12).
    assert_eq!(value(&c.event_flags, "EF_CONVERTER_MANAGED"), 4096);
    assert_eq!(value(&c.print_formats, "PF_OCT"), 6);
    // enum syscall_flags: UF_ATOMIC = (1 << 4).
    assert_eq!(value(&c.syscall_flags, "UF_ATOMIC"), 16);
    // PPM_SC_X(OPENAT, 197), PPM_SC_X(IO_SETUP, 159); codes 0..=453 in 4.5.1 except 382,
    // whose line is commented out (`/*PPM_SC_X(NA_1, 382)*/`): 453 entries (450 in 4.1.0).
    assert_eq!(value(&c.ppm_sc, "openat"), 197);
    assert_eq!(value(&c.ppm_sc, "io_setup"), 159);
    assert_eq!(value(&c.ppm_sc, "sched_getattr"), 383);
    assert!(c.ppm_sc.iter().all(|n| n.value != 382 && n.name != "na_1"));
    assert_eq!(c.ppm_sc.len(), 453);
    assert_eq!(c.ppm_sc[0].name, "unknown");
    assert_eq!(
        c.ppm_sc.last().map(|n| (n.name.as_str(), n.value)),
        Some(("rseq_slice_yield", 453))
    );
    assert_eq!(old.constants.ppm_sc.len(), 450);
    // #define PPM_AF_INET6 10; PPM_AF_LOCAL is an alias of 1.
    assert_eq!(value(&c.socket_families, "PPM_AF_INET6"), 10);
    assert_eq!(value(&c.socket_families, "PPM_AF_LOCAL"), 1);
    // enum anon_inode_fd_type exists only in 4.5.1.
    assert_eq!(
        value(&c.anon_inode_fd_types, "ANON_INODE_FD_TYPE_PERF_EVENT"),
        13
    );
    assert!(old.constants.anon_inode_fd_types.is_empty());
    // extra groups: PPM_O_F_CREATED = (1 << 14), PPM_CL_CLONE_THREAD = (1 << 13).
    let extra = |p: &str| &c.extra.iter().find(|g| g.prefix == p).unwrap().entries;
    assert_eq!(value(extra("PPM_O_"), "PPM_O_F_CREATED"), 16384);
    assert_eq!(value(extra("PPM_CL_"), "PPM_CL_CLONE_THREAD"), 8192);
}

#[test]
fn native_syscall_maps() {
    let Some(s) = v451() else { return };
    let arches: Vec<&str> = s.syscalls.iter().map(|m| m.arch.as_str()).collect();
    assert_eq!(arches, ["x86_64", "aarch64"]);
    // syscall_compat_x86_64.h: __NR_openat 257; syscall_table.c:
    // [__NR_openat] = {UF_USED | UF_NEVER_DROP, PPME_SYSCALL_OPENAT_2_E, PPME_SYSCALL_OPENAT_2_X, PPM_SC_OPENAT}
    let openat = syscall(s, "x86_64", "openat").unwrap();
    assert_eq!(openat.nr, 257);
    assert_eq!(openat.flags, ["UF_USED", "UF_NEVER_DROP"]);
    assert_eq!(
        (openat.enter.as_str(), openat.exit.as_str()),
        ("PPME_SYSCALL_OPENAT_2_E", "PPME_SYSCALL_OPENAT_2_X")
    );
    assert_eq!(openat.ppm_sc, "openat");
    // syscall_compat_aarch64.h: __NR_openat 56.
    assert_eq!(syscall(s, "aarch64", "openat").unwrap().nr, 56);
    // `#ifdef __NR_open`: aarch64 has no open(2).
    assert_eq!(syscall(s, "x86_64", "open").unwrap().nr, 2);
    assert!(syscall(s, "aarch64", "open").is_none());
    // [__NR_io_setup] = {.ppm_sc = PPM_SC_IO_SETUP}: generic; __NR_io_setup is 206 / 0.
    let io_setup = syscall(s, "x86_64", "io_setup").unwrap();
    assert_eq!(io_setup.nr, 206);
    assert!(io_setup.flags.is_empty());
    assert_eq!(
        (io_setup.enter.as_str(), io_setup.exit.as_str()),
        ("PPME_GENERIC_E", "PPME_GENERIC_X")
    );
    assert_eq!(io_setup.ppm_sc, "io_setup");
    assert_eq!(syscall(s, "aarch64", "io_setup").unwrap().nr, 0);
    // socketcall exists on neither architecture.
    assert!(syscall(s, "x86_64", "socketcall").is_none());
    // 447 entries in g_syscall_table; guarded ones absent on the arch are left out.
    let x86 = &s.syscalls[0].entries;
    assert!(
        x86.windows(2).all(|w| w[0].nr < w[1].nr),
        "sorted by number"
    );
    assert!(x86.iter().all(|e| e.nr < 512), "below SYSCALL_TABLE_SIZE");
    // Every dedicated enter/exit event exists with the right direction.
    for m in &s.syscalls {
        for e in &m.entries {
            assert_eq!(event(s, &e.enter).direction, Direction::Enter);
            assert_eq!(event(s, &e.exit).direction, Direction::Exit);
        }
    }
}
