//! The records the agent's kernel side (`bpf/capture.bpf.c`) and user side share, described
//! once: `struct sc_desc` (the per-syscall table the agent writes) and `struct record` with its
//! parts (what the kernel side sends). Each field has its C type, its array lengths (named
//! sizes) and its meaning. [`layout`] places the fields as C does (natural alignment) and
//! refuses a layout that would need implicit padding, so that both sides are written from one
//! computed layout (`crate::emit::layout`): the C definitions, the agent's Rust, and the size
//! and offset assertions clang and rustc check. The ring buffers the records go to are counted
//! and named here too ([`NRINGS`], [`ring_maps`]).

/// A named size: a `#define` for the kernel side, a `usize` constant for the agent.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub name: &'static str,
    pub value: usize,
    pub doc: &'static str,
}

const fn size(name: &'static str, value: usize, doc: &'static str) -> Size {
    Size { name, value, doc }
}

const NARGS: Size = size("NARGS", 6, "Arguments per syscall.");

/// User-memory arguments the kernel side copies per syscall, at most (its blob slots); a
/// process event keeps the last slot for the thread's argument area.
pub const NBLOBS: Size = size(
    "NBLOBS",
    3,
    "Arguments with user memory per syscall, at most (blob slots).",
);

const BLOB_LEN: Size = size(
    "BLOB_LEN",
    256,
    "Bytes of user memory copied per argument: strings (paths), buffers (snaplen), sockaddrs.",
);

const TASK_COMM_LEN: Size = size(
    "TASK_COMM_LEN",
    16,
    "Bytes of a thread's comm, with its NUL (the kernel's TASK_COMM_LEN).",
);

const CGROUPS_LEN: Size = size(
    "CGROUPS_LEN",
    2048,
    "Bytes of cgroup entries a process record carries, at most.",
);

const CGROUP_PART: Size = size(
    "CGROUP_PART",
    256,
    "Longest subsystem name or path component read (NAME_MAX + NUL).",
);

const PROC_PART: Size = size(
    "PROC_PART",
    4096,
    "Bytes of each string of the process area, at most (the modern probe's MAX_PATH and MAX_PROC_ARG_ENV).",
);

const PROC_DATA_LEN: Size = size(
    "PROC_DATA_LEN",
    4 * PROC_PART.value,
    "Bytes of the process area's strings, at most (4 * PROC_PART).",
);

/// Ring buffers of the kernel side, the maps [`ring_maps`] names: CPU n writes to ring
/// n % NRINGS; the agent reads as many as there are online CPUs, up to all of them.
pub const NRINGS: Size = size(
    "NRINGS",
    8,
    "Ring buffers of the kernel side; CPU n writes to ring n % NRINGS.",
);

// A switch on cpu % NRINGS needs one ring at least (its default).
const _: () = assert!(NRINGS.value > 0, "the kernel side needs one ring buffer");

/// The names of the ring buffer maps, ring n's at n: the kernel side declares them, the agent
/// takes them by name.
pub fn ring_maps() -> Vec<String> {
    (0..NRINGS.value).map(|n| format!("ring{n}")).collect()
}

/// Every size, in the order the generated files define them.
pub const SIZES: &[Size] = &[
    NRINGS,
    NARGS,
    NBLOBS,
    BLOB_LEN,
    TASK_COMM_LEN,
    CGROUPS_LEN,
    CGROUP_PART,
    PROC_PART,
    PROC_DATA_LEN,
];

/// A C scalar type of the shared records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    U8,
    U16,
    U32,
    U64,
    S64,
    /// `char`: bytes of a string.
    Char,
}

impl Scalar {
    /// Its size and alignment in bytes.
    pub fn bytes(self) -> usize {
        match self {
            Scalar::U8 | Scalar::Char => 1,
            Scalar::U16 => 2,
            Scalar::U32 => 4,
            Scalar::U64 | Scalar::S64 => 8,
        }
    }

    /// Its name in the kernel side's C.
    pub fn c(self) -> &'static str {
        match self {
            Scalar::U8 => "__u8",
            Scalar::U16 => "__u16",
            Scalar::U32 => "__u32",
            Scalar::U64 => "__u64",
            Scalar::S64 => "__s64",
            Scalar::Char => "char",
        }
    }

    /// Its name in Rust.
    pub fn rust(self) -> &'static str {
        match self {
            Scalar::U8 | Scalar::Char => "u8",
            Scalar::U16 => "u16",
            Scalar::U32 => "u32",
            Scalar::U64 => "u64",
            Scalar::S64 => "i64",
        }
    }
}

/// The type of a field (of each item, for an array).
#[derive(Debug, Clone, Copy)]
pub enum Ty {
    Scalar(Scalar),
    Struct(&'static Struct),
}

/// One array length: a number, a size, or the sum of two sizes (an area with slack after it).
#[derive(Debug, Clone, Copy)]
pub enum Len {
    Bytes(usize),
    Of(Size),
    Sum(Size, Size),
}

impl Len {
    pub fn value(self) -> usize {
        match self {
            Len::Bytes(n) => n,
            Len::Of(s) => s.value,
            Len::Sum(a, b) => a.value + b.value,
        }
    }
}

/// One field: its name (the same on both sides), type, array lengths (outermost first; none
/// for a scalar) and meaning (a comment in C, a doc comment in Rust).
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub ty: Ty,
    pub dims: &'static [Len],
    pub doc: &'static str,
}

/// How the agent uses a record, which decides its Rust form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// The agent writes it into a map: a `#[repr(C)]` struct named `rust`, plain bytes
    /// (`aya::Pod`); its fields must be scalars or arrays of them.
    Written { rust: &'static str },
    /// The agent reads it from ring-buffer bytes: a module of the fields' byte offsets.
    Read,
}

/// One shared C struct.
#[derive(Debug)]
pub struct Struct {
    /// Its C tag (`struct NAME`), and the name of its Rust offsets module.
    pub name: &'static str,
    pub doc: &'static str,
    pub fields: &'static [Field],
    pub used: Use,
}

const fn field(name: &'static str, ty: Scalar, doc: &'static str) -> Field {
    array(name, ty, &[], doc)
}

const fn array(name: &'static str, ty: Scalar, dims: &'static [Len], doc: &'static str) -> Field {
    Field {
        name,
        ty: Ty::Scalar(ty),
        dims,
        doc,
    }
}

const fn part(
    name: &'static str,
    ty: &'static Struct,
    dims: &'static [Len],
    doc: &'static str,
) -> Field {
    Field {
        name,
        ty: Ty::Struct(ty),
        dims,
        doc,
    }
}

use Scalar::*;

/// `struct sc_desc`.
pub static SC_DESC: Struct = Struct {
    name: "sc_desc",
    doc: "Per syscall (the `syscalls` map, by native number; the agent fills it from its capture \
          plan): whether it is enabled, and for each argument its kind, the argument holding its \
          length, and the blob slot its memory goes to (NBLOBS slots; `nblobs` of them used); one \
          argument may be copied a second way (a string, a buffer, a struct: what the call's \
          command says it is), into a slot of its own.",
    fields: &[
        field("enabled", U8, ""),
        field("nblobs", U8, "Blob slots used."),
        array(
            "kind",
            U8,
            &[Len::Of(NARGS)],
            "Per argument: its `enum arg_kind`.",
        ),
        array(
            "len_arg",
            U8,
            &[Len::Of(NARGS)],
            "Per argument: the argument holding its length (or the struct's size, the array's count).",
        ),
        array(
            "slot",
            U8,
            &[Len::Of(NARGS)],
            "Per argument: its blob slot, 0xff for none.",
        ),
        field(
            "fd_src",
            U8,
            "`enum fd_src`: whose kernel objects are read.",
        ),
        field(
            "second_arg",
            U8,
            "The argument copied a second way, NARGS for none.",
        ),
        field("want", U16, "WANT_* bits."),
        field(
            "second_kind",
            U8,
            "The second way: its `enum arg_kind`, length argument and slot.",
        ),
        field("second_len_arg", U8, ""),
        field("second_slot", U8, ""),
        field("pad", U8, ""),
    ],
    used: Use::Written { rust: "ScDesc" },
};

/// `struct record_head`.
pub static RECORD_HEAD: Struct = Struct {
    name: "record_head",
    doc: "What every record carries: records of syscalls without user memory stop after it; the \
          others carry NBLOBS slots.",
    fields: &[
        field(
            "ts_exit",
            U64,
            "Boot-clock time of the exit tracepoint (ns).",
        ),
        field(
            "pid_tgid",
            U64,
            "tgid << 32 | tid, in the zone's pid namespace when one is set.",
        ),
        field(
            "ret",
            S64,
            "The return value (the exit code for a process exit).",
        ),
        array("args", U64, &[Len::Of(NARGS)], "The argument registers."),
        field(
            "nr",
            U32,
            "The native syscall number, PROCEXIT_NR for a process exit.",
        ),
        field("cpu", U32, ""),
        array(
            "blob_len",
            U16,
            &[Len::Of(NBLOBS)],
            "Bytes used of each blob slot.",
        ),
        field("flags", U16, "RF_* bits."),
        field("ino", U64, "RF_FILE: the inode of the syscall's file."),
        field(
            "dev",
            U32,
            "RF_FILE: its device (the kernel's internal dev_t).",
        ),
        field("sock_family", U16, "RF_SOCK: the socket's address family."),
        field("sport", U16, "RF_SOCK: the local port, host order."),
        field("dport", U16, "RF_SOCK: the remote port, host order."),
        field("pad", U16, ""),
        field(
            "ptid",
            U32,
            "WANT_PROC: the parent's thread id (real_parent->pid).",
        ),
        field(
            "sk",
            U64,
            "RF_SOCK: the kernel address of the socket (unix socket tuples).",
        ),
        field(
            "peer",
            U64,
            "RF_SOCK: the kernel address of a unix socket's peer.",
        ),
        array(
            "saddr",
            U8,
            &[Len::Bytes(16)],
            "RF_SOCK: the local address (IPv4 in the first four bytes, network order).",
        ),
        array(
            "daddr",
            U8,
            &[Len::Bytes(16)],
            "RF_SOCK: the remote address.",
        ),
        field(
            "uid_gid",
            U64,
            "bpf_get_current_uid_gid(): gid << 32 | uid.",
        ),
        array(
            "comm",
            Char,
            &[Len::Of(TASK_COMM_LEN)],
            "WANT_PROC: the thread's comm.",
        ),
        field("fdlimit", U64, "WANT_PROC: the open-files limit."),
        field("loginuid", U32, "WANT_PROC: the login uid."),
        field(
            "vm_size_kb",
            U32,
            "WANT_PROC, WANT_MM: the address space size in KiB.",
        ),
        field(
            "vtid",
            U32,
            "WANT_PROC: the thread's id in its own (deepest) pid namespace.",
        ),
        field("vpid", U32, "WANT_PROC: its process's id there."),
        field(
            "vm_rss_kb",
            U32,
            "WANT_MM: resident file, anonymous and shared pages, KiB.",
        ),
        field("vm_swap_kb", U32, "WANT_MM: swap entries, KiB."),
        field(
            "iov_len",
            U32,
            "ARG_IOVEC*, ARG_MMSGHDR: the iovec array's total length (its first MAX_IOV entries).",
        ),
        field("msg_len", U32, "ARG_MMSGHDR: the first message's msg_len."),
        field(
            "queue_len",
            U32,
            "WANT_QUEUE: the accept queue of the listening socket at argument 0, after success: its length.",
        ),
        field("queue_max", U32, "WANT_QUEUE: its limit."),
    ],
    used: Use::Read,
};

/// `struct cgroups_area`.
pub static CGROUPS_AREA: Struct = Struct {
    name: "cgroups_area",
    doc: "WANT_PROC: the thread's cgroups, `subsys=path` entries each NUL-terminated (libscap's \
          `cgroups` parameter), `len` bytes of `data` used. The data array has CGROUP_PART of \
          slack past CGROUPS_LEN so that a masked write offset below CGROUPS_LEN always has room.",
    fields: &[
        field("len", U32, ""),
        field("pad", U32, ""),
        array("data", Char, &[Len::Sum(CGROUPS_LEN, CGROUP_PART)], ""),
    ],
    used: Use::Read,
};

/// `struct proc_area`.
pub static PROC_AREA: Struct = Struct {
    name: "proc_area",
    doc: "WANT_PROC: what Falco's modern probe reads of the task at the exit tracepoint besides \
          the head's fields. `data` holds, one after the other, `cwd_len` bytes of the working \
          directory, `exe_path_len` of the exe file's path (each NUL-terminated), `args_len` \
          bytes of the argument area and (WANT_ENV) `env_len` of the environment area and \
          `filename_len` of the path the exec was given (NUL-terminated), each at most PROC_PART \
          (a string that finds no room below PROC_DATA_LEN is left out); PROC_PART of slack past \
          PROC_DATA_LEN lets a masked write offset below PROC_DATA_LEN always have room.",
    fields: &[
        field("exe_ino", U64, ""),
        field("exe_ctime_ns", U64, "Epoch ns."),
        field("exe_mtime_ns", U64, ""),
        field(
            "cap_inheritable",
            U64,
            "Kernel capability bits (the same as libscap's PPM_CAP_*).",
        ),
        field("cap_permitted", U64, ""),
        field("cap_effective", U64, ""),
        field("pgft_maj", U64, "The thread's page faults."),
        field("pgft_min", U64, ""),
        field(
            "pidns_init_start",
            U64,
            "The pid namespace's init start (monotonic ns), clone child only.",
        ),
        field(
            "exe_flags",
            U32,
            "libscap's execve_flags (PPM_EXE_*, EXE_* of the kernel side).",
        ),
        field(
            "tty",
            U32,
            "The controlling tty as an encoded dev_t, 0 for none.",
        ),
        field(
            "pgid",
            U32,
            "The process group leader's id (zone namespace, as tid and pid).",
        ),
        field("vpgid", U32, "The same in its own (deepest) pid namespace."),
        field(
            "euid",
            U32,
            "The effective uid and gid (libscap's process event `uid`, `gid`).",
        ),
        field("egid", U32, ""),
        field("cwd_len", U32, ""),
        field("exe_path_len", U32, ""),
        field("args_len", U32, ""),
        field("env_len", U32, ""),
        field("len", U32, "Bytes of data used."),
        field(
            "filename_len",
            U32,
            "WANT_ENV: the path the exec was given, after the other strings.",
        ),
        field(
            "fd_path_len",
            U32,
            "WANT_PATH (not a process record): the fd's path, first in data.",
        ),
        field("pad", U32, ""),
        array("data", Char, &[Len::Sum(PROC_DATA_LEN, PROC_PART)], ""),
    ],
    used: Use::Read,
};

/// `struct record`.
pub static RECORD: Struct = Struct {
    name: "record",
    doc: "One record of the ring buffers. Process records are sent up to the end of \
          `proc.data[proc.len]`; the others end in the blobs.",
    fields: &[
        part("h", &RECORD_HEAD, &[], ""),
        array("blob", U8, &[Len::Of(NBLOBS), Len::Of(BLOB_LEN)], ""),
        part("cg", &CGROUPS_AREA, &[], ""),
        part("proc", &PROC_AREA, &[], ""),
    ],
    used: Use::Read,
};

/// Every shared struct, each after the structs it contains.
pub static STRUCTS: &[&Struct] = &[&SC_DESC, &RECORD_HEAD, &CGROUPS_AREA, &PROC_AREA, &RECORD];

/// A struct laid out: its size, alignment and each field's offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub size: usize,
    pub align: usize,
    /// Byte offset of each field, in field order.
    pub offsets: Vec<usize>,
}

/// Size and alignment of one item of `ty`.
fn item(ty: Ty) -> Result<(usize, usize), String> {
    match ty {
        Ty::Scalar(s) => Ok((s.bytes(), s.bytes())),
        Ty::Struct(s) => layout(s).map(|l| (l.size, l.align)),
    }
}

/// `s` laid out as C lays it out (each field at the next multiple of its alignment, the size
/// a multiple of the largest); an error when that leaves a gap: the description must then say
/// where the padding goes, with a `pad` field.
pub fn layout(s: &Struct) -> Result<Layout, String> {
    let (mut at, mut align, mut offsets) = (0usize, 1usize, Vec::new());
    for f in s.fields {
        let (size, a) = item(f.ty)?;
        if at % a != 0 {
            return Err(format!(
                "struct {}: field `{}` would start after {} bytes of padding; add a pad field",
                s.name,
                f.name,
                a - at % a
            ));
        }
        offsets.push(at);
        at += f.dims.iter().fold(size, |n, d| n * d.value());
        align = align.max(a);
    }
    if at % align != 0 {
        return Err(format!(
            "struct {} would end in {} bytes of padding; add a pad field",
            s.name,
            align - at % align
        ));
    }
    Ok(Layout {
        size: at,
        align,
        offsets,
    })
}

/// The RF_* bits of `record_head.flags`: C name, value, meaning.
pub const RECORD_FLAGS: &[(&str, u16, &str)] = &[
    (
        "RF_FILE",
        1,
        "`dev` and `ino` are those of the syscall's file.",
    ),
    (
        "RF_CREATED",
        2,
        "The syscall created the file (FMODE_CREATED).",
    ),
    (
        "RF_SOCK",
        4,
        "The socket fields are those of the syscall's socket.",
    ),
];

/// `record_head.nr` of a process exit.
pub const PROCEXIT_NR: u32 = u32::MAX;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_lay_out_as_c_does() {
        let l = layout(&SC_DESC).unwrap();
        // Six-byte arrays, then `want` at an even offset.
        assert_eq!((l.size, l.align, l.offsets[7]), (28, 2, 22));
        assert_eq!(layout(&RECORD_HEAD).unwrap().size, 232);
        let record = layout(&RECORD).unwrap();
        assert_eq!(record.offsets, [0, 232, 1000, 3312]);
        assert_eq!(record.align, 8);
    }

    #[test]
    fn gaps_are_errors() {
        static GAP: Struct = Struct {
            name: "gap",
            doc: "",
            fields: &[field("a", U8, ""), field("b", U32, "")],
            used: Use::Read,
        };
        static TAIL: Struct = Struct {
            name: "tail",
            doc: "",
            fields: &[field("a", U64, ""), field("b", U8, "")],
            used: Use::Read,
        };
        assert!(layout(&GAP).unwrap_err().contains("field `b`"));
        assert!(layout(&TAIL).unwrap_err().contains("7 bytes of padding"));
    }
}
