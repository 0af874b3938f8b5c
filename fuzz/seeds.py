#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora. Deterministic: running it again rewrites the same files.

  python3 fuzz/seeds.py            the checked-in seeds, fuzz/corpus/TARGET/: project-made only
                                   (the hostile scap corpus, zone messages and driver files
                                   written by hand here, pseudo-random bytes)
  python3 fuzz/seeds.py --shared   seeds cut from ../shared (capture fixtures, the driver
                                   tables) into fuzz/corpus-shared/TARGET/: untracked, never
                                   checked in; made again by the fuzz smoke of ./run test

See fuzz/corpus/README.md for what each folder holds.
"""

import gzip
import random
import struct
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
FIXTURES = SHARED / "fixtures" / "scap"
DRIVER = SHARED / "libscap" / "schema-4.5.1"

# Fixtures from falcosecurity/libs or added to falco under Apache-2.0 (no "(*)" in SOURCES.md),
# all with EV_V2 event blocks (26-byte headers).
CAPTURES = ["ping_sendto.scap", "single_ipv6_conn.scap", "sample.scap", "write_tmp_test.scap"]
SHB, MI, EV_V2 = 0x0A0D0D0A, 0x201, 0x216

# The project's event table (the schema crate's source of truth): codes and parameter types.
EVENTS = {e["id"]: e for e in tomllib.loads((ROOT / "schema" / "events.toml").read_text())["event"]}
SIZES = {
    1: ["PT_INT8", "PT_UINT8", "PT_FLAGS8", "PT_SIGTYPE", "PT_L4PROTO", "PT_SOCKFAMILY", "PT_ENUMFLAGS8"],
    2: ["PT_INT16", "PT_UINT16", "PT_SYSCALLID", "PT_PORT", "PT_FLAGS16", "PT_ENUMFLAGS16"],
    4: ["PT_INT32", "PT_UINT32", "PT_BOOL", "PT_IPV4ADDR", "PT_UID", "PT_GID", "PT_FLAGS32",
        "PT_SIGSET", "PT_MODE", "PT_ENUMFLAGS32", "PT_FD32", "PT_PID32"],
    8: ["PT_INT64", "PT_UINT64", "PT_ERRNO", "PT_FD", "PT_PID", "PT_RELTIME", "PT_ABSTIME", "PT_DOUBLE"],
}
SIZE_OF = {t: n for n, types in SIZES.items() for t in types}


def write(corpus, target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


# ---- hand-built events (the in-memory form: header, u16 parameter lengths, values) ----
def value(ptype, fd, path):
    """A plain value of a parameter type: `fd` for fds, the shell (100) for pids, 0 for other
    integers, an IPv4 tuple to 1.1.1.1:443, `path` for strings."""
    if ptype in SIZE_OF:
        v = {"PT_FD": fd, "PT_FD32": fd, "PT_PID": 100, "PT_PID32": 100}.get(ptype, 0)
        return v.to_bytes(8, "little", signed=True)[: SIZE_OF[ptype]]
    if ptype == "PT_SOCKTUPLE":
        return bytes([2, 10, 0, 0, 2]) + struct.pack("<H", 40000) + bytes([1, 1, 1, 1]) + struct.pack("<H", 443)
    if ptype == "PT_SOCKADDR":
        return bytes([2, 1, 1, 1, 1]) + struct.pack("<H", 443)
    return path


def event(eid, ts, tid, fd=3, path=b"/etc/passwd\0"):
    e = EVENTS[eid]
    assert "EF_LARGE_PAYLOAD" not in e.get("flags", []), eid
    values = [value(p["type"], fd, path) for p in e["params"]]
    length = 26 + 2 * len(values) + sum(map(len, values))
    head = struct.pack("<QqIHI", ts, tid, length, e["code"], len(values))
    return head + b"".join(struct.pack("<H", len(v)) for v in values) + b"".join(values)


def hand_events():
    """(cpu, raw event): an open, a read, a connect on another fd, a close, from the shell."""
    ts = 1_700_000_000_000_000_000
    return [
        (0, event("PPME_SYSCALL_OPENAT_2_X", ts, 100, fd=7, path=b"/tmp/x\0")),
        (0, event("PPME_SYSCALL_READ_X", ts + 1000, 100, fd=7, path=b"hello")),
        (1, event("PPME_SOCKET_CONNECT_X", ts + 2000, 101, fd=4)),
        (0, event("PPME_SYSCALL_CLOSE_X", ts + 3000, 100, fd=7)),
    ]


# ---- protobuf, by hand (the messages of proto/protect/control/v1/control.proto and
# proto/edera/falco/v1/extensions.proto) ----
def varint(v):
    out = b""
    while True:
        b = v & 0x7F
        v >>= 7
        if v:
            out += bytes([b | 0x80])
        else:
            return out + bytes([b])


def field_varint(n, v):
    return varint(n << 3) + varint(v)


def field_bytes(n, b):
    return varint(n << 3 | 2) + varint(len(b)) + b


def syscall_message(cpu, ev):
    """MonitorZoneKernelEventReply{syscall: ZoneKernelSyscallEvent} of a raw event."""
    ts, tid, _length, etype, nparams = struct.unpack_from("<QQIHI", ev)
    lens = struct.unpack_from("<%dH" % nparams, ev, 26)
    at = 26 + 2 * nparams
    params = b""
    for l in lens:
        param = field_varint(2, 0) + field_bytes(3, ev[at : at + l])
        params += field_bytes(7, param)
        at += l
    msg = (
        field_bytes(1, b"zone-a")
        + field_varint(2, ts)
        + field_varint(3, tid)
        + field_varint(9, etype)
        + field_varint(10, cpu)
        + params
    )
    return field_bytes(2, msg)


def batch_message(events, dropped):
    body = b"".join(struct.pack("<H", cpu) + ev for cpu, ev in events)
    return field_bytes(1000, field_bytes(1, b"zone-a") + field_bytes(2, body) + field_varint(3, dropped))


def threadsnap_message():
    def thread(tid, pid, ptid, comm, fds):
        t = (
            field_varint(1, tid) + field_varint(2, pid) + field_varint(3, ptid)
            + field_bytes(7, comm) + field_bytes(8, comm) + field_bytes(9, b"/usr/bin/" + comm)
            + field_bytes(14, b"-c true") + field_bytes(16, b"/root") + field_varint(17, 1024)
            + field_bytes(37, b"cpu=/kubepods/pod1/abc")
        )
        for fd, kind, info in fds:
            entry = field_varint(1, fd) + field_varint(2, 7) + field_varint(3, kind) + field_bytes(4, info)
            t += field_bytes(40, field_varint(1, fd) + field_bytes(2, entry))
        return t

    regular = field_bytes(6, field_varint(1, 1) + field_bytes(2, b"/etc/passwd"))
    ipv4 = field_bytes(1, field_bytes(1, b"10.0.0.2") + field_bytes(2, b"1.1.1.1") + field_varint(3, 40000) + field_varint(4, 443) + field_varint(5, 2))
    threads = [
        (1, thread(1, 1, 0, b"init", [])),
        (100, thread(100, 100, 1, b"sh", [(3, 16, regular), (4, 3, ipv4)])),
        (101, thread(101, 100, 1, b"sh", [])),
    ]
    snap = b"".join(field_bytes(1, field_varint(1, k) + field_bytes(2, v)) for k, v in threads)
    return field_bytes(3, snap + field_bytes(2, b"zone-a"))


def users_message():
    user = field_varint(1, 1000) + field_varint(2, 1000) + field_bytes(3, b"app") + field_bytes(4, b"/home/app") + field_bytes(5, b"/bin/sh")
    group = field_varint(1, 1000) + field_bytes(2, b"app")
    return field_bytes(1001, field_bytes(1, b"zone-a") + field_bytes(2, user) + field_bytes(3, group))


def delimited(messages):
    return b"".join(varint(len(m)) + m for m in messages)


# ---- driver files written by hand: the syntax of the driver's header and tables, small ----
HAND_HEADER = b"""/* Written for the fuzz corpus: the shapes of ppm_events_public.h, small. */
#ifndef EVENTS_PUBLIC_H_
#define EVENTS_PUBLIC_H_
#define PPM_O_NONE 0
#define PPM_O_RDONLY (1 << 0)
#define PPM_O_WRONLY (1 << 1)
#define PPM_O_RDWR (PPM_O_RDONLY | PPM_O_WRONLY)
#define PPM_MAX_EVENT_PARAMS (1 << 5)
#define PPM_MAX_NAME_LEN 32
typedef enum {
	PPME_GENERIC_E = 0,
	PPME_GENERIC_X = 1,
	PPM_EVENT_MAX = 2
} ppm_event_code;
typedef enum {
	PPM_SC_UNKNOWN = 0,
	PPM_SC_OPEN = 1,
	PPM_SC_MAX = 2,
} ppm_sc_code;
enum ppm_param_type {
	PT_NONE = 0,
	PT_INT8 = 1,
	PT_FD = 2,
	PT_CHARBUF = 3,
	PT_MAX = 4
};
enum ppm_event_category {
	EC_UNKNOWN = 0,
	EC_OTHER = 1,
	EC_SYSCALL = 0x10,
};
enum ppm_event_flags {
	EF_NONE = 0,
	EF_CREATES_FD = (1 << 0),
};
struct ppm_param_info {
	char name[PPM_MAX_NAME_LEN];
	enum ppm_param_type type;
	const void *info;
	uint8_t ninfo;
} _packed;
#endif /* EVENTS_PUBLIC_H_ */
"""

HAND_TABLES = {
    "flags_table.c": b"""/* Written for the fuzz corpus. */
#include "ppm_events_public.h"
const struct ppm_name_value file_flags[] = {
	{"O_RDWR", PPM_O_RDWR},
	{"O_RDONLY", PPM_O_RDONLY},
	{"O_WRONLY", PPM_O_WRONLY},
	{"O_NONE", PPM_O_NONE},
	{0, 0},
};
""",
    "event_table.c": b"""/* Written for the fuzz corpus. */
#include "ppm_events_public.h"
const struct ppm_event_info g_event_info[] = {
	[PPME_GENERIC_E] = {"syscall", EC_OTHER | EC_SYSCALL, EF_NONE, 2, {{"ID", PT_SYSCALLID, PF_DEC}, {"nativeID", PT_UINT16, PF_DEC}}},
	[PPME_GENERIC_X] = {"syscall", EC_OTHER | EC_SYSCALL, EF_NONE, 1, {{"ID", PT_SYSCALLID, PF_DEC}}},
	[PPME_SYSCALL_OPEN_X] = {"open", EC_FILE | EC_SYSCALL, EF_CREATES_FD | EF_MODIFIES_STATE, 3, {{"fd", PT_FD, PF_DEC}, {"name", PT_FSPATH, PF_NA}, {"flags", PT_FLAGS32, PF_HEX, file_flags}}},
};
""",
    "syscall_table.c": b"""/* Written for the fuzz corpus. */
#include "ppm_events_public.h"
const struct syscall_evt_pair g_syscall_table[SYSCALL_TABLE_SIZE] = {
#ifdef __NR_open
	[__NR_open - SYSCALL_TABLE_ID0] = {UF_USED, PPME_SYSCALL_OPEN_E, PPME_SYSCALL_OPEN_X, PPM_SC_OPEN},
#endif
	[__NR_close - SYSCALL_TABLE_ID0] = {UF_USED | UF_NEVER_DROP, PPME_SYSCALL_CLOSE_E, PPME_SYSCALL_CLOSE_X, PPM_SC_CLOSE},
};
""",
    "dynamic_params_table.c": b"""/* Written for the fuzz corpus. */
#include "ppm_events_public.h"
const struct ppm_param_info sockopt_dynamic_param[PPM_SOCKOPT_IDX_MAX] = {
	[PPM_SOCKOPT_IDX_UNKNOWN] = {{0}, PT_BYTEBUF, PF_HEX},
	[PPM_SOCKOPT_IDX_ERRNO] = {{0}, PT_ERRNO, PF_DEC},
};
""",
}


def checked_in(corpus):
    rng = random.Random(14)
    # capture_reader: first byte even = the rest as is, odd = the rest gzip-compressed.
    for f in sorted((ROOT / "tests" / "corpus" / "scap").glob("*.scap")):
        write(corpus, "capture_reader", f.stem, b"\x00" + f.read_bytes())
        write(corpus, "capture_reader", f.stem + "-gz", b"\x01" + f.read_bytes())

    # zone_stream: hand-built messages, each stream under 1 KiB (the smoke's -max_len).
    events = hand_events()
    singles = [syscall_message(cpu, ev) for cpu, ev in events]
    snap, users = threadsnap_message(), users_message()
    write(corpus, "zone_stream", "snapshot-events", delimited([snap, users] + singles))
    write(corpus, "zone_stream", "snapshot-batch", delimited([snap, batch_message(events, 3)]))
    write(corpus, "zone_stream", "events-no-snapshot", delimited(singles))
    write(corpus, "zone_stream", "two-sections", delimited([snap, singles[0], snap] + singles[1:]))

    # event_payload: bytes the target reads as choices (event types, values); a few sizes.
    for i, size in enumerate([16, 64, 256, 1024] * 4):
        write(corpus, "event_payload", "random-%02d" % i, rng.randbytes(size))

    # codegen_import: first byte even = a header, odd = a table file read against the driver's.
    write(corpus, "codegen_import", "hand-header", b"\x00" + HAND_HEADER)
    for name, text in HAND_TABLES.items():
        write(corpus, "codegen_import", "hand-" + name, b"\x01" + text)


# ---- seeds cut from ../shared ----
def blocks(capture):
    """(type, whole block bytes) of a decompressed capture."""
    at = 0
    while at + 8 <= len(capture):
        kind, length = struct.unpack_from("<II", capture, at)
        if length < 12 or at + length > len(capture):
            return
        yield kind, capture[at : at + length]
        at += length


def load(name):
    raw = (FIXTURES / name).read_bytes()
    return gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw


def cut(capture, events):
    """The section header, machine info and the first `events` event blocks."""
    out, n = b"", 0
    for kind, b in blocks(capture):
        if kind in (SHB, MI):
            out += b
        elif kind == EV_V2 and n < events:
            out += b
            n += 1
    return out


def event_of(block):
    """(cpu, raw event) of an EV_V2 block."""
    length = struct.unpack_from("<I", block, 4)[0]
    body = block[8 : length - 4]
    cpu = struct.unpack_from("<H", body)[0]
    ev_len = struct.unpack_from("<I", body, 2 + 16)[0]
    return cpu, body[2 : 2 + ev_len]


def from_shared(corpus):
    for path in (FIXTURES, DRIVER):
        if not path.is_dir():
            sys.exit(f"seeds.py: {path} is absent: no seeds from ../shared")
    for name in CAPTURES:
        capture = load(name)
        piece = cut(capture, 24)
        write(corpus, "capture_reader", Path(name).stem + "-cut", b"\x00" + piece)
        write(corpus, "capture_reader", Path(name).stem + "-cut-gz", b"\x01" + piece)
        # zone_stream: the snapshot and users of the hand-built seeds, then fixture events.
        events = [event_of(b) for kind, b in blocks(capture) if kind == EV_V2][:16]
        singles = [syscall_message(cpu, ev) for cpu, ev in events[:8]]
        stream = [threadsnap_message(), users_message()] + singles + [batch_message(events[8:], 3)]
        write(corpus, "zone_stream", Path(name).stem, delimited(stream))

    header = (DRIVER / "ppm_events_public.h").read_bytes()
    for limit in (8000, 24000):
        write(corpus, "codegen_import", "header-%d" % limit, b"\x00" + header[:limit])
    for name, limit in [
        ("dynamic_params_table.c", None),
        ("flags_table.c", 8000),
        ("event_table.c", 8000),
        ("syscall_table.c", 8000),
        ("syscall_compat_x86_64.h", 6000),
        ("syscall_compat_aarch64.h", 6000),
    ]:
        write(corpus, "codegen_import", name, b"\x01" + (DRIVER / name).read_bytes()[:limit])


if __name__ == "__main__":
    if sys.argv[1:] == ["--shared"]:
        from_shared(ROOT / "fuzz" / "corpus-shared")
    elif sys.argv[1:] == []:
        checked_in(ROOT / "fuzz" / "corpus")
    else:
        sys.exit("usage: python3 fuzz/seeds.py [--shared]")
