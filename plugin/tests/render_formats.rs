//! Synthetic events: sockets, dynamic parameters, buffers, generic events, integer formats,
//! modes and raw arguments, through the public `edera_falco_plugin::render` API.

mod render_support;

use edera_falco_plugin::render::{self, BufFmt, NoState, Options, RawText};
use edera_scap::event::RawEvent;
use edera_scap::tables::PARAM_NAMES;
use render_support::*;

#[test]
fn sockets() {
    let s = state();
    let mut tuple = vec![2u8, 127, 0, 0, 1];
    tuple.extend_from_slice(&43228u16.to_le_bytes());
    tuple.extend_from_slice(&[127, 0, 0, 1]);
    tuple.extend_from_slice(&80u16.to_le_bytes());
    let mut addr = vec![2u8, 127, 0, 0, 1];
    addr.extend_from_slice(&80u16.to_le_bytes());
    let connect = build(
        "PPME_SOCKET_CONNECT_X",
        &[&le64(0), &tuple, &le64(4), &addr],
    );
    assert_eq!(
        args(&connect, &s),
        "res=0 tuple=127.0.0.1:43228->127.0.0.1:80 fd=4(<4t>127.0.0.1:43228->127.0.0.1:80) \
         addr=127.0.0.1:80"
    );
    let connect = build("PPME_SOCKET_CONNECT_X", &[&le64(-111), &[], &le64(4), &[]]);
    assert!(args(&connect, &s).starts_with("res=-111(ECONNREFUSED) tuple=NULL fd=4"));
    assert!(args(&connect, &s).ends_with("addr=<NA>"));
    let connect = build(
        "PPME_SOCKET_CONNECT_X",
        &[&le64(0), &[10, 1], &le64(4), &[1, b'/', b'x']],
    );
    assert!(args(&connect, &s).contains("tuple=INVALID IPv6"));
    assert!(args(&connect, &s).ends_with("addr=INVALID PATH"));
    let socket = |dom: u32, flags: u32| {
        build(
            "PPME_SOCKET_SOCKET_X",
            &[
                &le64(7),
                &dom.to_le_bytes(),
                &1u32.to_le_bytes(),
                &0u32.to_le_bytes(),
                &flags.to_le_bytes(),
            ],
        )
    };
    assert_eq!(
        args(&socket(1, 0), &s),
        "fd=7 domain=1(AF_LOCAL|AF_UNIX) type=1 proto=0 flags=0(O_NONE)"
    );
    assert_eq!(
        args(&socket(2, 2048), &s),
        "fd=7 domain=2(AF_INET) type=1 proto=0 flags=2048(O_LARGEFILE)"
    );
    let accept = build(
        "PPME_SOCKET_ACCEPT4_6_X",
        &[
            &le64(8),
            &[],
            &[3],
            &0u32.to_le_bytes(),
            &5u32.to_le_bytes(),
            &(-1i32).to_le_bytes(),
        ],
    );
    assert_eq!(
        args(&accept, &s),
        "fd=8 tuple=NULL queuepct=3 queuelen=0 queuemax=5 flags=FFFFFFFF"
    );
}

#[test]
fn dynamic_parameters() {
    let s = state();
    let ptrace = |addr: &[u8], data: &[u8]| {
        build(
            "PPME_SYSCALL_PTRACE_X",
            &[&le64(0), addr, data, &11u16.to_le_bytes(), &le64(42)],
        )
    };
    let mut addr = vec![0u8];
    addr.extend_from_slice(&0x7ffd_0000u64.to_le_bytes());
    assert_eq!(
        args(&ptrace(&addr, &[1, 9]), &s),
        "res=0 addr=7FFD0000 data=9(SIGKILL) request=11(PTRACE_ATTACH) pid=42(bash)"
    );
    assert!(args(&ptrace(&[7, 1], &[1, 9]), &s).contains("addr=INVALID DYNAMIC PARAMETER"));
    assert!(args(&ptrace(&[0, 1], &[1, 9]), &s).contains("addr=<INVALID>"));
    assert!(args(&ptrace(&[], &[1, 9]), &s).contains("addr=NULL"));
    let keyctl = |a2: &[u8]| {
        build(
            "PPME_SYSCALL_KEYCTL_X",
            &[
                &le64(0),
                &0u32.to_le_bytes(),
                a2,
                &[1, 0],
                &[1, b'k', 0],
                &[0, 0, 0, 0, 0, 0, 0, 0, 0],
            ],
        )
    };
    let text = args(&keyctl(&[0, 5, 0, 0, 0, 0, 0, 0, 0]), &s);
    assert_eq!(
        text,
        "res=0 operation=0(KEYCTL_GET_KEYRING_ID) arg2=5 arg3= arg4=k arg5=0"
    );
    assert!(args(&keyctl(&[1]), &s).contains("arg2=(null)"));
}

#[test]
fn buffers_and_generic_events() {
    let s = state();
    let read = |data: &[u8]| {
        build(
            "PPME_SYSCALL_READ_X",
            &[
                &le64(data.len() as i64),
                data,
                &le64(3),
                &(data.len() as u32).to_le_bytes(),
            ],
        )
    };
    let ev = read(b"GET /\r\n\xff\x00ok");
    assert_eq!(
        args(&ev, &s),
        "res=11 data=GET /....ok fd=3(<f>/etc/passwd) size=11"
    );
    let b64 = Options {
        buffer_format: BufFmt::BASE64,
        ..Options::default()
    };
    assert!(args_with(&ev, &s, &b64).contains("data=R0VUIC8NCv8Ab2s="));
    let long = read(&[b'z'; 200]);
    let sysdig = Options {
        max_output_len: 80,
        ..Options::default()
    };
    let text = args_with(&long, &s, &sysdig);
    assert!(text.contains(&format!("data={}... fd=3", "z".repeat(77))));
    assert_eq!(arg(&read(b""), 1, &s).as_deref(), Some("NULL"));

    let mprotect = edera_scap::tables::ppm_sc::MPROTECT;
    let generic = build(
        "PPME_GENERIC_X",
        &[&mprotect.to_le_bytes(), &10u16.to_le_bytes()],
    );
    assert_eq!(args(&generic, &s), "");
    assert_eq!(arg(&generic, 0, &s).as_deref(), Some("mprotect"));
    let mut raw_id = Vec::new();
    let ev = RawEvent::parse(&generic).unwrap();
    let id = PARAM_NAMES.binary_search(&"ID").unwrap() as u16;
    assert_eq!(
        render::write_rawarg_named(&mut raw_id, &ev, id, &Options::default()),
        RawText::Error
    );
    assert_eq!(arg(&generic, 1, &s).as_deref(), Some("10"));
    let g = RawEvent::parse(&generic).unwrap();
    assert_eq!(render::event_type_name(&g, true), "mprotect");
    assert_eq!(res(&generic, &s), (None, None, None));
    let unknown = build(
        "PPME_GENERIC_X",
        &[&0u16.to_le_bytes(), &221u16.to_le_bytes()],
    );
    let u = RawEvent::parse(&unknown).unwrap();
    #[cfg(target_arch = "x86_64")]
    assert_eq!(render::event_type_name(&u, true), "fadvise64");
    assert_eq!(render::event_type_name(&u, false), "unknown");
    assert_eq!(arg(&unknown, 0, &s).as_deref(), Some("unknown"));
    let bad = build("PPME_GENERIC_X", &[&60000u16.to_le_bytes(), &[]]);
    assert_eq!(arg(&bad, 0, &s).as_deref(), Some("<unknown syscall>"));
    assert_eq!(arg(&bad, 1, &s).as_deref(), Some("<NA>"));

    let line = render::event_line(
        &RawEvent::parse(&openat(3, -100, b"/etc/passwd\0")).unwrap(),
        &s,
    );
    assert_eq!(
        String::from_utf8(line).unwrap(),
        "openat fd=3(<f>/etc/passwd) dirfd=-100(AT_FDCWD) name=/etc/passwd \
         flags=4097(O_RDONLY|O_CLOEXEC) mode=0 dev=803 ino=42"
    );
    assert_eq!(render::event_line(&g, &s), b"mprotect");
}

#[test]
fn integers_modes_and_times() {
    let s = state();
    let chmod = |m: u32| {
        build(
            "PPME_SYSCALL_CHMOD_X",
            &[&le64(0), b"f\0", &m.to_le_bytes()],
        )
    };
    assert_eq!(
        args(&chmod(0o755), &s),
        "res=0 filename=f(/home/u/f) mode=0755(S_IXOTH|S_IROTH|S_IXGRP|S_IRGRP|S_IXUSR|S_IWUSR|S_IRUSR)"
    );
    assert_eq!(args(&chmod(0), &NoState), "res=0 filename=f mode=0");
    let semop = build(
        "PPME_SYSCALL_SEMOP_X",
        &[
            &le64(0),
            &2u32.to_le_bytes(),
            &1u16.to_le_bytes(),
            &(-1i16).to_le_bytes(),
            &3u16.to_le_bytes(),
            &0u16.to_le_bytes(),
            &0i16.to_le_bytes(),
            &0u16.to_le_bytes(),
            &(-7i32).to_le_bytes(),
        ],
    );
    assert_eq!(
        args(&semop, &s),
        "res=0 nsops=2 sem_num_0=1 sem_op_0=-1 sem_flg_0=3(IPC_NOWAIT|SEM_UNDO) sem_num_1=0 sem_op_1=0 sem_flg_1=0 semid=-7"
    );
    let mkdirat = build(
        "PPME_SYSCALL_MKDIRAT_X",
        &[&le64(0), &le64(5), b"d\0", &0x1edu32.to_le_bytes()],
    );
    assert_eq!(
        args(&mkdirat, &s),
        "res=0 dirfd=5(<d>/tmp) path=d(/tmp/d) mode=1ED"
    );
}

#[test]
fn raw_arguments() {
    let s = state();
    let id = |n: &str| PARAM_NAMES.binary_search(&n).unwrap() as u16;
    let ev_bytes = openat(3, -100, b"passwd\0");
    let ev = RawEvent::parse(&ev_bytes).unwrap();
    let raw = |name: &str| {
        let mut out = Vec::new();
        let t = render::write_rawarg_named(&mut out, &ev, id(name), &Options::default());
        (t, String::from_utf8(out).unwrap())
    };
    assert_eq!(raw("fd"), (RawText::Text, "3".into()));
    assert_eq!(raw("flags"), (RawText::Text, "1001".into()));
    assert_eq!(raw("mode"), (RawText::Text, "0".into()));
    assert_eq!(raw("name"), (RawText::Text, "passwd".into()));
    assert_eq!(raw("res"), (RawText::NoValue, String::new()));
    let mut out = Vec::new();
    assert!(render::write_arg_named(
        &mut out,
        &ev,
        id("name"),
        &s,
        &Options::default()
    ));
    assert_eq!(out, b"/home/u/passwd");
    assert!(!render::write_arg_named(
        &mut out,
        &ev,
        id("res"),
        &s,
        &Options::default()
    ));
}
