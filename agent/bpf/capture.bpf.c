// SPDX-License-Identifier: (MIT OR GPL-2.0-only)
//
// Syscall capture for the edera-falco agent: a raw tracepoint on sys_exit, and one on
// sched_process_exit for process exits.
//
// The kernel side is generic and driven by a table the agent fills from the libscap schema
// (`syscalls` map, indexed by native syscall number): whether the syscall is enabled; for each
// of its six arguments whether to copy user memory behind it (a NUL-terminated string, or a
// buffer whose length is another argument or the return value); and which file descriptor's
// kernel objects to read (the file's device, inode and "created" mode; the socket's addresses
// and ports, read with CO-RE from the running kernel's BTF). At exit, one record goes to the
// ring buffer of the current CPU; user space encodes it as the libscap exit event of the
// current table version. The agent's own process is skipped. A full ring buffer drops the
// record and counts it per CPU; the kernel never waits.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* NBLOBS, enum arg_kind (what is copied from an argument's user memory), enum fd_src (which
 * fd's kernel objects are read) and the WANT_* bits (sc_desc.want), shared with the agent:
 * generated from codegen/src/emit/capture.rs into OUT_DIR by agent/build.rs. */
#include "capture_plan.h"

#define MAX_SYSCALLS 512
#define NARGS 6
#define BLOB_LEN 256 /* strings (paths), buffers (snaplen) and sockaddrs */
#define NRINGS 8     /* ring buffers; CPU n writes to ring n % NRINGS */
#define PROCEXIT_NR 0xffffffff

/* Per syscall: enabled, and for each argument its kind, the argument holding its length,
 * and the blob slot its memory goes to (NBLOBS slots; `nblobs` of them used). */
struct sc_desc {
    __u8 enabled;
    __u8 nblobs;
    __u8 kind[NARGS];
    __u8 len_arg[NARGS];
    __u8 slot[NARGS];
    __u8 fd_src;
    __u8 want;
};

/* record_head.flags */
#define RF_FILE 1    /* dev, ino valid */
#define RF_CREATED 2 /* the file was created by this call (FMODE_CREATED) */
#define RF_SOCK 4    /* sock_* valid */

/* Records of syscalls without user memory stop after the head; the others carry NBLOBS
 * slots. agent/src/record.rs reads this layout. */
struct record_head {
    __u64 ts_exit;
    __u64 pid_tgid;
    __s64 ret;
    __u64 args[NARGS];
    __u32 nr;
    __u32 cpu;
    __u16 blob_len[NBLOBS];
    __u32 flags;
    __u64 ino;
    __u32 dev;
    __u16 sock_family;
    __u16 sport; /* local port, host order */
    __u16 dport; /* remote port, host order */
    __u16 pad;
    __u32 ptid; /* WANT_PROC: the parent's thread id (real_parent->pid) */
    __u64 sk;   /* kernel address of the socket (unix socket tuples) */
    __u64 peer; /* kernel address of a unix socket's peer */
    __u8 saddr[16];
    __u8 daddr[16];
    __u64 uid_gid; /* bpf_get_current_uid_gid(): gid << 32 | uid */
    char comm[16]; /* WANT_PROC */
    /* WANT_PROC: the open-files limit, the login uid, the address space size in KiB */
    __u64 fdlimit;
    __u32 loginuid;
    __u32 vm_size_kb;
    /* WANT_PROC: the thread's and its process's ids in their own (deepest) pid namespace */
    __u32 vtid;
    __u32 vpid;
    /* WANT_MM (with vm_size_kb): resident file, anonymous and shared pages, and swap entries, KiB */
    __u32 vm_rss_kb;
    __u32 vm_swap_kb;
    __u64 iov_len; /* ARG_IOVEC*: the iovec array's total length (its first MAX_IOV entries) */
};

_Static_assert(sizeof(struct record_head) == 224, "agent/src/record.rs HEAD_LEN");

/* WANT_PROC: the thread's cgroups, `subsys=path` entries each NUL-terminated (libscap's
 * `cgroups` parameter), `len` bytes of `data` used. The data array has CGROUP_PART of slack
 * past CGROUPS_LEN so that a masked write offset below CGROUPS_LEN always has room. */
#define CGROUPS_LEN 2048
#define CGROUP_PART 256 /* longest subsystem name or path component read (NAME_MAX + NUL) */
struct cgroups_area {
    __u32 len;
    __u32 pad;
    char data[CGROUPS_LEN + CGROUP_PART];
};

/* Process records are sent up to the end of `cg.data[cg.len]`; the others end in the blobs. */
struct record {
    struct record_head h;
    __u8 blob[NBLOBS][BLOB_LEN];
    struct cgroups_area cg;
};

_Static_assert(__builtin_offsetof(struct record, cg.data) == sizeof(struct record_head) + NBLOBS * BLOB_LEN + 8,
               "agent/src/record.rs CGROUPS_AT");

/* ---- kernel structures: only the fields used, relocated against the kernel's BTF */
struct super_block {
    __u32 s_dev;
} __attribute__((preserve_access_index));

struct inode {
    unsigned long i_ino;
    struct super_block *i_sb;
} __attribute__((preserve_access_index));

struct in6_addr {
    __u8 s6_addr[16];
} __attribute__((preserve_access_index));

struct sock_common {
    __u32 skc_daddr;
    __u32 skc_rcv_saddr;
    __u16 skc_dport;
    __u16 skc_num;
    unsigned short skc_family;
    struct in6_addr skc_v6_daddr;
    struct in6_addr skc_v6_rcv_saddr;
} __attribute__((preserve_access_index));

struct sock {
    struct sock_common __sk_common;
} __attribute__((preserve_access_index));

struct unix_sock {
    struct sock *peer;
} __attribute__((preserve_access_index));

struct socket {
    struct sock *sk;
} __attribute__((preserve_access_index));

struct file {
    struct inode *f_inode;
    unsigned int f_mode;
    void *private_data;
} __attribute__((preserve_access_index));

struct fdtable {
    unsigned int max_fds;
    struct file **fd;
} __attribute__((preserve_access_index));

struct files_struct {
    struct fdtable *fdt;
} __attribute__((preserve_access_index));

struct percpu_counter {
    __s64 count;
} __attribute__((preserve_access_index));

/* Linux 6.2 on: mm->rss_stat is an array of percpu counters; before, of atomic longs. */
struct mm_struct {
    unsigned long arg_start;
    unsigned long arg_end;
    unsigned long env_start;
    unsigned long env_end;
    unsigned long total_vm;
    struct percpu_counter rss_stat[4];
} __attribute__((preserve_access_index));

struct mm_rss_stat___pre62 {
    long count[4];
} __attribute__((preserve_access_index));

struct mm_struct___pre62 {
    struct mm_rss_stat___pre62 rss_stat;
} __attribute__((preserve_access_index));

struct rlimit {
    unsigned long rlim_cur;
} __attribute__((preserve_access_index));

struct signal_struct {
    struct rlimit rlim[16];
} __attribute__((preserve_access_index));

typedef struct {
    unsigned int val;
} kuid_t;

struct upid {
    int nr;
} __attribute__((preserve_access_index));

/* The kernel's struct upid is { int nr; struct pid_namespace *ns; }: 16 bytes on 64-bit. */
struct upid_full {
    int nr;
    void *ns;
};

struct pid {
    unsigned int level;
    struct upid numbers[1];
} __attribute__((preserve_access_index));

/* Cgroups: the task's css_set has one css per subsystem (by `enum cgroup_subsys_id`); each
 * css names its subsystem and its cgroup, whose kernfs node's ancestors spell its path. */
struct kernfs_node {
    const char *name;
    struct kernfs_node *__parent; /* Linux 6.15 on */
} __attribute__((preserve_access_index));

struct kernfs_node___pre615 {
    struct kernfs_node *parent;
} __attribute__((preserve_access_index));

struct cgroup {
    struct kernfs_node *kn;
} __attribute__((preserve_access_index));

struct cgroup_subsys {
    const char *name;
} __attribute__((preserve_access_index));

struct cgroup_subsys_state {
    struct cgroup *cgroup;
    struct cgroup_subsys *ss;
} __attribute__((preserve_access_index));

struct css_set {
    struct cgroup_subsys_state *subsys[1];
} __attribute__((preserve_access_index));

struct task_struct {
    int pid;
    int tgid;
    int exit_code;
    struct files_struct *files;
    struct mm_struct *mm;
    struct task_struct *real_parent;
    struct task_struct *group_leader;
    struct pid *thread_pid;
    struct signal_struct *signal;
    kuid_t loginuid;
    struct css_set *cgroups;
} __attribute__((preserve_access_index));

#define RLIMIT_NOFILE 7

#define FMODE_CREATED 0x100000
#define AF_UNIX 1
#define AF_INET 2
#define AF_INET6 10

/* x86_64 `struct pt_regs` (the registers used), relocated against the kernel's BTF: the
 * BTF-typed tracepoint hands a trusted pointer to it, read without helper calls. */
struct pt_regs {
    unsigned long r10, r9, r8, dx, si, di, orig_ax;
} __attribute__((preserve_access_index));

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, MAX_SYSCALLS);
    __type(key, __u32);
    __type(value, struct sc_desc);
} syscalls SEC(".maps");

/* One ring buffer per CPU (up to NRINGS; user space sizes the unused ones to one page). */
#define RING(n)                                                                                    \
    struct {                                                                                       \
        __uint(type, BPF_MAP_TYPE_RINGBUF);                                                        \
        __uint(max_entries, 1 << 24);                                                              \
    } ring##n SEC(".maps");
RING(0)
RING(1)
RING(2)
RING(3)
RING(4)
RING(5)
RING(6)
RING(7)

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} drops SEC(".maps");

/* Per-CPU room to build a record with user memory in. */
struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct record);
} scratch SEC(".maps");

volatile const __u32 own_tgid = 0;
volatile const __u32 procexit_enabled = 1;
/* A zone's pid namespace (device and inode of /proc/self/ns/pid), or 0: only its tasks are
 * captured, with their ids as that namespace numbers them (own_tgid too). */
volatile const __u64 pidns_dev = 0;
volatile const __u64 pidns_ino = 0;

/* The current task's (tgid << 32 | tid), in the zone's pid namespace when one is set; false
 * when the task is not in it. */
static __always_inline int zone_pid_tgid(__u64 *out)
{
    if (!pidns_ino) {
        *out = bpf_get_current_pid_tgid();
        return 1;
    }
    struct bpf_pidns_info ns = {};
    if (bpf_get_ns_current_pid_tgid(pidns_dev, pidns_ino, &ns, sizeof(ns)))
        return 0;
    *out = ((__u64)ns.tgid << 32) | ns.pid;
    return 1;
}

static __always_inline void *reserve(__u32 cpu, __u64 size)
{
    switch (cpu % NRINGS) {
    case 0: return bpf_ringbuf_reserve(&ring0, size, 0);
    case 1: return bpf_ringbuf_reserve(&ring1, size, 0);
    case 2: return bpf_ringbuf_reserve(&ring2, size, 0);
    case 3: return bpf_ringbuf_reserve(&ring3, size, 0);
    case 4: return bpf_ringbuf_reserve(&ring4, size, 0);
    case 5: return bpf_ringbuf_reserve(&ring5, size, 0);
    case 6: return bpf_ringbuf_reserve(&ring6, size, 0);
    default: return bpf_ringbuf_reserve(&ring7, size, 0);
    }
}

static __always_inline long output(__u32 cpu, void *data, __u64 size)
{
    switch (cpu % NRINGS) {
    case 0: return bpf_ringbuf_output(&ring0, data, size, BPF_RB_NO_WAKEUP);
    case 1: return bpf_ringbuf_output(&ring1, data, size, BPF_RB_NO_WAKEUP);
    case 2: return bpf_ringbuf_output(&ring2, data, size, BPF_RB_NO_WAKEUP);
    case 3: return bpf_ringbuf_output(&ring3, data, size, BPF_RB_NO_WAKEUP);
    case 4: return bpf_ringbuf_output(&ring4, data, size, BPF_RB_NO_WAKEUP);
    case 5: return bpf_ringbuf_output(&ring5, data, size, BPF_RB_NO_WAKEUP);
    case 6: return bpf_ringbuf_output(&ring6, data, size, BPF_RB_NO_WAKEUP);
    default: return bpf_ringbuf_output(&ring7, data, size, BPF_RB_NO_WAKEUP);
    }
}

static __always_inline void count_drop(void)
{
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&drops, &zero);
    if (n)
        *n += 1;
}

static __always_inline void copy_arg(struct record *r, struct sc_desc *d, int i)
{
    __u64 len = 0;
    __u8 k = d->slot[i];
    if (k >= NBLOBS)
        return;
    void *ptr = (void *)r->h.args[i];
    switch (d->kind[i]) {
    case ARG_STRING: {
        long n = bpf_probe_read_user_str(r->blob[k], BLOB_LEN, ptr);
        r->h.blob_len[k] = n > 0 ? (__u16)n : 0;
        return;
    }
    case ARG_BUFFER_LEN_ARG: {
        __u8 j = d->len_arg[i];
        if (j < NARGS)
            len = r->h.args[j];
        break;
    }
    case ARG_BUFFER_LEN_RET:
        len = r->h.ret > 0 ? (__u64)r->h.ret : 0;
        break;
    case ARG_FD_PAIR:
        len = r->h.ret == 0 ? 8 : 0;
        break;
    case ARG_FIXED:
        len = d->len_arg[i];
        break;
    case ARG_ARRAY8: {
        __u8 j = d->len_arg[i];
        if (j < NARGS)
            len = r->h.args[j] > BLOB_LEN / 8 ? BLOB_LEN : r->h.args[j] * 8;
        break;
    }
    default:
        return;
    }
    if (len > BLOB_LEN)
        len = BLOB_LEN;
    len &= (BLOB_LEN * 2 - 1);
    if (len > BLOB_LEN)
        return;
    if (len && bpf_probe_read_user(r->blob[k], len, ptr) == 0)
        r->h.blob_len[k] = (__u16)len;
}

#define MAX_IOV 16 /* iovecs read, at most */

struct iovec_user {
    __u64 base;
    __u64 len;
};

/* The iovec array and its count in a struct user_msghdr (x86_64 offsets). */
struct msghdr_iov {
    __u64 iov;
    __u64 iovlen;
};
#define MSGHDR_IOV 16

/* ARG_IOVEC*: gather the buffers of the iovec array at argument i (its count in argument
 * len_arg[i]), ARG_MSGHDR*: of the struct user_msghdr at argument i, into blob slot slot[i],
 * up to BLOB_LEN bytes, and up to the returned length for the *_LEN_RET kinds; the array's
 * total length goes in iov_len. */
static __always_inline void gather_iovec(struct record *r, struct sc_desc *d, int i)
{
    __u8 kind = d->kind[i & 7], k = d->slot[i & 7], j = d->len_arg[i & 7];
    if (k >= NBLOBS)
        return;
    __u64 limit = BLOB_LEN;
    if (kind == ARG_IOVEC_LEN_RET || kind == ARG_MSGHDR_LEN_RET)
        limit = r->h.ret > 0 ? (__u64)r->h.ret : 0;
    if (limit > BLOB_LEN)
        limit = BLOB_LEN;
    __u64 iov = r->h.args[i & 7], cnt = 0, total = 0;
    if (kind == ARG_MSGHDR || kind == ARG_MSGHDR_LEN_RET) {
        struct msghdr_iov m = {};
        if (bpf_probe_read_user(&m, sizeof(m), (void *)(iov + MSGHDR_IOV)))
            return;
        iov = m.iov;
        cnt = m.iovlen;
    } else if (j < NARGS) {
        cnt = r->h.args[j];
    }
    __u32 off = 0;
    for (int n = 0; n < MAX_IOV; n++) {
        if (n >= cnt)
            break;
        struct iovec_user v = {};
        if (bpf_probe_read_user(&v, sizeof(v), (void *)(iov + n * sizeof(v))))
            break;
        total += v.len;
        __u64 room = limit > off ? limit - off : 0;
        __u64 len = v.len < room ? v.len : room;
        len &= (BLOB_LEN * 2 - 1);
        if (len == 0 || len > BLOB_LEN || off >= BLOB_LEN)
            continue;
        /* Masked after a barrier: clang would otherwise drop the mask (off < BLOB_LEN here)
         * and hand the verifier the unbounded sum. */
        __u32 at = off;
        barrier_var(at);
        at &= BLOB_LEN - 1;
        if (bpf_probe_read_user(&r->blob[k & 1][at], len, (void *)v.base) == 0)
            off += len;
    }
    r->h.blob_len[k & 1] = (__u16)off;
    r->h.iov_len = total;
}

static __always_inline void fill_head(struct record_head *h, __u64 pid_tgid, __u32 nr, __u32 cpu,
                                      __s64 ret, struct pt_regs *regs)
{
    __builtin_memset(h, 0, sizeof(*h));
    h->ts_exit = bpf_ktime_get_boot_ns();
    h->pid_tgid = pid_tgid;
    h->ret = ret;
    h->nr = nr;
    h->cpu = cpu;
    h->args[0] = regs->di;
    h->args[1] = regs->si;
    h->args[2] = regs->dx;
    h->args[3] = regs->r10;
    h->args[4] = regs->r8;
    h->args[5] = regs->r9;
    h->uid_gid = bpf_get_current_uid_gid();
}

static __always_inline struct file *fd_file(__s64 fd)
{
    if (fd < 0)
        return 0;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct fdtable *fdt = BPF_CORE_READ(task, files, fdt);
    if (!fdt)
        return 0;
    if ((__u64)fd >= BPF_CORE_READ(fdt, max_fds))
        return 0;
    struct file **fds = BPF_CORE_READ(fdt, fd);
    struct file *f = 0;
    bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
    return f;
}

static __always_inline __s64 fd_of(struct record *r, struct sc_desc *d)
{
    __u8 s = d->fd_src;
    if (s == FD_RET)
        return r->h.ret;
    if (s >= FD_ARG0 && s < FD_ARG0 + NARGS)
        return (__s32)r->h.args[(s - FD_ARG0) & 7];
    if (s >= FD_INT_AT_ARG0 && s < FD_INT_AT_ARG0 + NARGS && r->h.ret == 0) {
        __s32 v = -1;
        bpf_probe_read_user(&v, sizeof(v), (void *)r->h.args[(s - FD_INT_AT_ARG0) & 7]);
        return v;
    }
    return -1;
}

static __always_inline void read_file(struct record_head *h, struct file *f)
{
    h->ino = BPF_CORE_READ(f, f_inode, i_ino);
    h->dev = BPF_CORE_READ(f, f_inode, i_sb, s_dev);
    h->flags |= RF_FILE;
    if (BPF_CORE_READ(f, f_mode) & FMODE_CREATED)
        h->flags |= RF_CREATED;
}

static __always_inline void read_sock(struct record_head *h, struct file *f)
{
    struct socket *so = BPF_CORE_READ(f, private_data);
    if (!so)
        return;
    struct sock *sk = BPF_CORE_READ(so, sk);
    if (!sk)
        return;
    __u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
    h->sock_family = family;
    h->sk = (__u64)sk;
    h->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
    h->dport = __builtin_bswap16(BPF_CORE_READ(sk, __sk_common.skc_dport));
    if (family == AF_INET) {
        __u32 s = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
        __u32 d = BPF_CORE_READ(sk, __sk_common.skc_daddr);
        __builtin_memcpy(h->saddr, &s, 4);
        __builtin_memcpy(h->daddr, &d, 4);
    } else if (family == AF_INET6) {
        BPF_CORE_READ_INTO(&h->saddr, sk, __sk_common.skc_v6_rcv_saddr);
        BPF_CORE_READ_INTO(&h->daddr, sk, __sk_common.skc_v6_daddr);
    } else if (family == AF_UNIX) {
        h->peer = (__u64)BPF_CORE_READ((struct unix_sock *)sk, peer);
    }
    h->flags |= RF_SOCK;
}

/* Copy user memory [start, end) of the task, cut at BLOB_LEN, into blob slot k. */
static __always_inline void read_area(struct record *r, int k, unsigned long start, unsigned long end)
{
    __u64 len = end > start ? end - start : 0;
    if (len > BLOB_LEN)
        len = BLOB_LEN;
    len &= (BLOB_LEN * 2 - 1);
    if (len > BLOB_LEN || k < 0 || k >= NBLOBS)
        return;
    if (len && bpf_probe_read_user(r->blob[k & 1], len, (void *)start) == 0)
        r->h.blob_len[k & 1] = (__u16)len;
}

/* The number of `p` at its own (deepest) level: a task's id as its pid namespace sees it. */
static __always_inline __u32 deepest_nr(struct pid *p)
{
    int nr = 0;
    if (p) {
        unsigned int level = BPF_CORE_READ(p, level);
        bpf_probe_read_kernel(&nr, sizeof(nr), (void *)p + bpf_core_field_offset(struct pid, numbers) +
                              (level & 31) * sizeof(struct upid_full));
    }
    return nr;
}

#define MAX_SUBSYS 16       /* subsystems read, at most (the kernel has 14 at most today) */
#define MAX_CGROUP_DEPTH 16 /* path components read from the cgroup up, at most */

static __always_inline struct kernfs_node *kn_parent(struct kernfs_node *kn)
{
    if (bpf_core_field_exists(kn->__parent))
        return BPF_CORE_READ(kn, __parent);
    return BPF_CORE_READ((struct kernfs_node___pre615 *)kn, parent);
}

/* The entries are appended at `cg->len`, kept in the record (map memory) rather than in a
 * register: the verifier then sees an unknown, masked offset at every write and can prune the
 * unrolled loops' paths, which it cannot do while it tracks every possible offset. */

/* Append the kernel string at `src`, NUL included; false when it did not fit or could not be
 * read. */
static __always_inline int put_str(struct cgroups_area *cg, const char *src)
{
    __u32 off = cg->len;
    if (off >= CGROUPS_LEN)
        return 0;
    long n = bpf_probe_read_kernel_str(&cg->data[off & (CGROUPS_LEN - 1)], CGROUP_PART, src);
    if (n <= 0)
        return 0;
    cg->len = off + (__u32)n;
    return 1;
}

/* Replace the last byte written (a string's NUL) with `c`. */
static __always_inline void set_last(struct cgroups_area *cg, char c)
{
    cg->data[(cg->len - 1) & (CGROUPS_LEN - 1)] = c;
}

/* Append `subsys=path` of css `css` (the path from the kernfs root down to the css's cgroup,
 * as Falco's modern probe builds it); false, with nothing appended, when it did not fit. A
 * path deeper than MAX_CGROUP_DEPTH keeps its deepest components. */
static __always_inline int put_cgroup(struct cgroups_area *cg, struct cgroup_subsys_state *css)
{
    const char *parts[MAX_CGROUP_DEPTH] = {};
    struct kernfs_node *kn = BPF_CORE_READ(css, cgroup, kn);
    int depth = 0;
    for (int k = 0; k < MAX_CGROUP_DEPTH && kn; k++) {
        parts[k] = BPF_CORE_READ(kn, name);
        kn = kn_parent(kn);
        depth = k + 1;
    }
    __u32 start = cg->len;
    if (!put_str(cg, BPF_CORE_READ(css, ss, name)))
        goto undo;
    set_last(cg, '=');
    /* Components root first, each followed by '/': the root's name is "", so this writes
     * "/a/b/"; the last '/' then becomes the NUL, except for the root alone ("/"). */
    for (int k = MAX_CGROUP_DEPTH - 1; k >= 0; k--) {
        if (k >= depth)
            continue;
        if (!put_str(cg, parts[k]))
            goto undo;
        set_last(cg, '/');
    }
    if (depth > 1) {
        set_last(cg, 0);
    } else {
        if (cg->len >= CGROUPS_LEN)
            goto undo;
        cg->data[cg->len & (CGROUPS_LEN - 1)] = 0;
        cg->len += 1;
    }
    if (cg->len <= CGROUPS_LEN)
        return 1;
undo:
    cg->len = start;
    return 0;
}

/* The current task's cgroups, one `subsys=path` entry per subsystem of its css_set (in
 * subsystem id order; libscap's `cgroups` parameter). Entries past CGROUPS_LEN are left out. */
static __always_inline void read_cgroups(struct record *r)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct css_set *cset = BPF_CORE_READ(task, cgroups);
    r->cg.len = 0;
    if (!cset)
        return;
    __u32 nsubsys = bpf_core_field_size(cset->subsys) / sizeof(void *);
    void *subsys = (void *)cset + bpf_core_field_offset(cset->subsys);
    for (__u32 i = 0; i < MAX_SUBSYS && i < nsubsys; i++) {
        struct cgroup_subsys_state *css = 0;
        bpf_probe_read_kernel(&css, sizeof(css), subsys + i * sizeof(void *));
        if (css && !put_cgroup(&r->cg, css))
            break;
    }
}

/* Process events: the thread's comm and its process's argument area (NUL-separated args, cut
 * at BLOB_LEN), as libscap reads them from the task at the exit tracepoint. */
static __always_inline void read_proc(struct record *r, struct sc_desc *d)
{
    bpf_get_current_comm(r->h.comm, sizeof(r->h.comm));
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    /* The parent's thread id: real_parent->pid is the initial namespace's number; in a zone's
     * namespace it is the number at the parent's own (deepest) level of its struct pid. */
    if (!pidns_ino)
        r->h.ptid = BPF_CORE_READ(task, real_parent, pid);
    else
        r->h.ptid = deepest_nr(BPF_CORE_READ(task, real_parent, thread_pid));
    /* Read here rather than from /proc when encoding: the thread may be gone by then (libsinsp
     * of 2022 takes a clone caller whose vtid is not its tid for one in a pid namespace). */
    r->h.vtid = deepest_nr(BPF_CORE_READ(task, thread_pid));
    r->h.vpid = deepest_nr(BPF_CORE_READ(task, group_leader, thread_pid));
    struct mm_struct *mm = BPF_CORE_READ(task, mm);
    if (!mm)
        return;
    r->h.fdlimit = BPF_CORE_READ(task, signal, rlim[RLIMIT_NOFILE].rlim_cur);
    if (bpf_core_field_exists(task->loginuid))
        r->h.loginuid = BPF_CORE_READ(task, loginuid.val);
    else
        r->h.loginuid = 0xffffffff;
    r->h.vm_size_kb = (__u32)(BPF_CORE_READ(mm, total_vm) * 4);
    read_area(r, NBLOBS - 1, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end));
    /* execve's environment goes in the first slot (clone3 keeps its clone_args there). */
    if (d->want & WANT_ENV)
        read_area(r, 0, BPF_CORE_READ(mm, env_start), BPF_CORE_READ(mm, env_end));
}

/* enum mm_counter_type */
#define MM_FILEPAGES 0
#define MM_ANONPAGES 1
#define MM_SWAPENTS 2
#define MM_SHMEMPAGES 3
#define PAGE_KB 4

/* One of the mm's rss counters (pages; the percpu counters' global count, as the modern probe
 * reads it), 0 when negative. */
static __always_inline __u64 rss_counter(struct mm_struct *mm, int k)
{
    __s64 v;
    if (bpf_core_field_exists(mm->rss_stat[0].count))
        v = BPF_CORE_READ(mm, rss_stat[k & 3].count);
    else
        v = BPF_CORE_READ((struct mm_struct___pre62 *)mm, rss_stat.count[k & 3]);
    return v > 0 ? (__u64)v : 0;
}

/* WANT_MM: the current process's address-space size, resident size (file, anonymous and
 * shared pages) and swapped-out size, in KiB, as the modern probe reads them at exit. */
static __always_inline void read_mm(struct record_head *h)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct mm_struct *mm = BPF_CORE_READ(task, mm);
    if (!mm)
        return;
    h->vm_size_kb = (__u32)(BPF_CORE_READ(mm, total_vm) * PAGE_KB);
    h->vm_rss_kb = (__u32)((rss_counter(mm, MM_FILEPAGES) + rss_counter(mm, MM_ANONPAGES) +
                            rss_counter(mm, MM_SHMEMPAGES)) * PAGE_KB);
    h->vm_swap_kb = (__u32)(rss_counter(mm, MM_SWAPENTS) * PAGE_KB);
}

static __always_inline void read_fd(struct record *r, struct sc_desc *d)
{
    if (!(d->want & (WANT_FILE | WANT_SOCK)))
        return;
    struct file *f = fd_file(fd_of(r, d));
    if (!f)
        return;
    if (d->want & WANT_FILE)
        read_file(&r->h, f);
    if (d->want & WANT_SOCK)
        read_sock(&r->h, f);
}

/* Everything is taken at the exit tracepoint, as libscap's modern probe does: the syscall
 * number is `orig_ax` and the argument registers still hold the arguments. No per-thread
 * enter state is kept. */
SEC("tp_btf/sys_exit")
int on_sys_exit(__u64 *ctx)
{
    __u64 pid_tgid;
    if (!zone_pid_tgid(&pid_tgid) || (__u32)(pid_tgid >> 32) == own_tgid)
        return 0;
    struct pt_regs *regs = (struct pt_regs *)ctx[0];
    __u32 nr = (__u32)regs->orig_ax;
    struct sc_desc *d = bpf_map_lookup_elem(&syscalls, &nr);
    if (!d || !d->enabled)
        return 0;
    __s64 ret = (__s64)ctx[1];
    __u32 cpu = bpf_get_smp_processor_id();
    if (d->nblobs == 0) {
        struct record *r = reserve(cpu, sizeof(struct record_head));
        if (!r) {
            count_drop();
            return 0;
        }
        fill_head(&r->h, pid_tgid, nr, cpu, ret, regs);
        read_fd(r, d);
        if (d->want & WANT_MM)
            read_mm(&r->h);
        bpf_ringbuf_submit(r, BPF_RB_NO_WAKEUP);
        return 0;
    }
    /* Records with user memory are built in a per-CPU scratch buffer and sent only up to the
     * end of the last blob used: a one-byte write costs a 201-byte record, not 712. */
    __u32 zero = 0;
    struct record *r = bpf_map_lookup_elem(&scratch, &zero);
    if (!r)
        return 0;
    fill_head(&r->h, pid_tgid, nr, cpu, ret, regs);
    int iov_arg = -1;
#pragma unroll
    for (int i = 0; i < NARGS; i++) {
        copy_arg(r, d, i);
        if (d->kind[i] >= ARG_IOVEC && d->kind[i] <= ARG_MSGHDR_LEN_RET)
            iov_arg = i;
    }
    if (iov_arg >= 0)
        gather_iovec(r, d, iov_arg);
    if (d->want & WANT_PROC) {
        read_proc(r, d);
        read_cgroups(r);
    }
    read_fd(r, d);
    if (d->want & WANT_MM)
        read_mm(&r->h);
    __u64 size = sizeof(struct record_head);
    if (d->want & WANT_PROC)
        size = __builtin_offsetof(struct record, cg.data) + (r->cg.len & (CGROUPS_LEN * 2 - 1));
    else if (r->h.blob_len[1])
        size += BLOB_LEN + r->h.blob_len[1];
    else if (r->h.blob_len[0])
        size += r->h.blob_len[0];
    if (size > sizeof(struct record))
        size = sizeof(struct record);
    if (output(cpu, r, size))
        count_drop();
    return 0;
}

/* A thread exits: `args[0]` is its task_struct; the exit code goes in `ret`. */
SEC("raw_tracepoint/sched_process_exit")
int on_process_exit(struct bpf_raw_tracepoint_args *ctx)
{
    if (!procexit_enabled)
        return 0;
    __u64 pid_tgid;
    if (!zone_pid_tgid(&pid_tgid) || (__u32)(pid_tgid >> 32) == own_tgid)
        return 0;
    struct task_struct *task = (struct task_struct *)ctx->args[0];
    __u32 cpu = bpf_get_smp_processor_id();
    struct record_head *h = reserve(cpu, sizeof(*h));
    if (!h) {
        count_drop();
        return 0;
    }
    __builtin_memset(h, 0, sizeof(*h));
    h->ts_exit = bpf_ktime_get_boot_ns();
    h->pid_tgid = pid_tgid;
    h->ret = BPF_CORE_READ(task, exit_code);
    h->nr = PROCEXIT_NR;
    h->cpu = cpu;
    bpf_ringbuf_submit(h, BPF_RB_NO_WAKEUP);
    return 0;
}
