// SPDX-License-Identifier: (MIT OR GPL-2.0-only)
//
// Syscall capture for the edera-falco agent: a raw tracepoint on sys_exit, one on
// sched_process_exit for process exits, and one on sched_process_fork for clone3's flags.
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

/* Shared with the agent, generated into OUT_DIR by agent/build.rs (read it with
 * `cargo run -p codegen -- emit DIR`): enum arg_kind (what is copied from an argument's user
 * memory), enum fd_src (which fd's kernel objects are read), the WANT_* bits (sc_desc.want) from
 * codegen/src/emit/capture.rs; and the records with their sizes (NARGS, NBLOBS, BLOB_LEN, ...),
 * the RF_* bits, PROCEXIT_NR and the ring buffers (NRINGS, their maps named by the RINGS X-macro)
 * from codegen/src/capture/layout.rs: struct sc_desc (per syscall, the `syscalls` map), struct
 * record_head, cgroups_area, proc_area and record (what a ring buffer carries), each with its
 * size and field offsets asserted as the agent reads and writes them. */
#include "capture_plan.h"

#define MAX_SYSCALLS 512

/* proc_area.exe_flags: libscap's execve_flags (PPM_EXE_*) */
#define EXE_WRITABLE 1
#define EXE_UPPER_LAYER 2
#define EXE_FROM_MEMFD 4
#define EXE_LOWER_LAYER 8

/* ---- kernel structures: only the fields used, relocated against the kernel's BTF */
struct super_block {
    __u32 s_dev;
    unsigned long s_magic;
    unsigned long s_flags;
} __attribute__((preserve_access_index));

typedef struct {
    unsigned int val;
} kuid_t;

typedef struct {
    unsigned int val;
} kgid_t;

struct timespec64 {
    __s64 tv_sec;
    long tv_nsec;
} __attribute__((preserve_access_index));

struct inode {
    unsigned short i_mode;
    unsigned int i_flags;
    kuid_t i_uid;
    kgid_t i_gid;
    unsigned long i_ino;
    struct super_block *i_sb;
    struct timespec64 i_ctime; /* up to Linux 6.5 */
    struct timespec64 i_mtime; /* up to Linux 6.6 */
} __attribute__((preserve_access_index));

struct inode___v6_6 {
    struct timespec64 __i_ctime;
} __attribute__((preserve_access_index));

struct inode___v6_7 {
    struct timespec64 __i_mtime;
} __attribute__((preserve_access_index));

struct inode___v6_11 {
    __s64 i_ctime_sec;
    __u32 i_ctime_nsec;
    __s64 i_mtime_sec;
    __u32 i_mtime_nsec;
} __attribute__((preserve_access_index));

struct qstr {
    __u32 len;
    const unsigned char *name;
} __attribute__((preserve_access_index));

struct dentry {
    struct dentry *d_parent;
    struct qstr d_name;
    struct inode *d_inode;
    struct super_block *d_sb;
} __attribute__((preserve_access_index));

struct vfsmount {
    struct dentry *mnt_root;
} __attribute__((preserve_access_index));

struct mount {
    struct mount *mnt_parent;
    struct dentry *mnt_mountpoint;
    struct vfsmount mnt;
} __attribute__((preserve_access_index));

struct path {
    struct vfsmount *mnt;
    struct dentry *dentry;
} __attribute__((preserve_access_index));

struct fs_struct {
    struct path pwd;
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
    __u32 sk_ack_backlog;
    __u32 sk_max_ack_backlog;
} __attribute__((preserve_access_index));

struct unix_sock {
    struct sock *peer;
} __attribute__((preserve_access_index));

struct socket {
    struct sock *sk;
} __attribute__((preserve_access_index));

struct file {
    struct path f_path;
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
    struct file *exe_file;
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

struct tty_driver {
    int major;
    int minor_start;
} __attribute__((preserve_access_index));

struct tty_struct {
    int index;
    struct tty_driver *driver;
} __attribute__((preserve_access_index));

struct pid;

#define PIDTYPE_TGID 1
#define PIDTYPE_PGID 2
struct signal_struct {
    struct rlimit rlim[16];
    struct pid *pids[4];
    struct tty_struct *tty;
} __attribute__((preserve_access_index));

/* Capability sets: a u64 since Linux 6.3, two u32 (low word first) before: the same 8 bytes. */
typedef struct {
    __u64 val;
} kernel_cap_t;

struct group_info {
    int ngroups;
    kgid_t gid[1];
} __attribute__((preserve_access_index));

struct uid_gid_extent {
    __u32 first;
    __u32 lower_first;
    __u32 count;
} __attribute__((preserve_access_index));

struct uid_gid_map {
    __u32 nr_extents;
    struct uid_gid_extent extent[5];
} __attribute__((preserve_access_index));

struct user_namespace {
    struct uid_gid_map uid_map;
    struct uid_gid_map gid_map;
} __attribute__((preserve_access_index));

struct cred {
    kuid_t euid;
    kgid_t egid;
    kuid_t fsuid;
    kgid_t fsgid;
    kernel_cap_t cap_inheritable;
    kernel_cap_t cap_permitted;
    kernel_cap_t cap_effective;
    struct user_namespace *user_ns;
    struct group_info *group_info;
} __attribute__((preserve_access_index));

struct upid {
    int nr;
} __attribute__((preserve_access_index));

/* The kernel's struct upid is { int nr; struct pid_namespace *ns; }: 16 bytes on 64-bit. */
struct upid_full {
    int nr;
    void *ns;
};

struct pid_namespace {
    struct task_struct *child_reaper;
} __attribute__((preserve_access_index));

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

/* The subsystems the modern probe sends, in its order; their ids relocated against the kernel's
 * BTF (a kernel without one leaves it out). */
enum cgroup_subsys_id {
    cpuset_cgrp_id,
    cpu_cgrp_id,
    cpuacct_cgrp_id,
    io_cgrp_id,
    memory_cgrp_id,
};

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
    struct fs_struct *fs;
    const struct cred *cred;
    unsigned long maj_flt;
    unsigned long min_flt;
    __u64 start_time;
} __attribute__((preserve_access_index));

#define RLIMIT_NOFILE 7
#define NR_EXECVEAT 322 /* x86_64 */
#define NR_CLONE3 435   /* x86_64 */

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

/* One ring buffer per CPU (up to NRINGS; user space sizes the unused ones to one page): the maps
 * capture_plan.h's RINGS names. */
#define RING(n, map)                                                                               \
    struct {                                                                                       \
        __uint(type, BPF_MAP_TYPE_RINGBUF);                                                        \
        __uint(max_entries, 1 << 24);                                                              \
    } map SEC(".maps");
RINGS(RING, RING)
#undef RING

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} drops SEC(".maps");

/* clone3's native flags per new task (its tid, the initial namespace's number), read from the
 * caller's struct clone_args at sched_process_fork (on_process_fork) and taken by the child's
 * exit (clone3_child_flags). An LRU map: a child whose exit is not captured leaves an entry
 * that newer ones push out. */
struct {
    __uint(type, BPF_MAP_TYPE_LRU_HASH);
    __uint(max_entries, 4096);
    __type(key, __u32);
    __type(value, __u64);
} clone3_flags SEC(".maps");

/* A path walk (put_path): where it is, and the path built so far, `buf[start, PROC_PART)`
 * (the walk goes leaf first; PROC_PART of slack past it). The walk's state is kept here, in
 * map memory, rather than in registers: the verifier then sees unknown values at every
 * iteration and prunes, instead of following every path through 96 iterations. */
struct path_walk {
    __u64 dentry; /* kernel addresses */
    __u64 mnt;
    __u64 mnt_parent;
    __u64 mnt_root;
    __u32 start;
    __u32 pad;
    char buf[2 * PROC_PART];
};

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, struct path_walk);
} path_scratch SEC(".maps");

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

/* The cases of `switch (cpu % NRINGS)`: each returns RING_CALL(map) of its CPU's ring. */
#define RING_CASE(n, map)                                                                          \
    case n: return RING_CALL(map);
#define RING_LAST(n, map)                                                                          \
    default: return RING_CALL(map);

static __always_inline void *reserve(__u32 cpu, __u64 size)
{
#define RING_CALL(map) bpf_ringbuf_reserve(&map, size, 0)
    switch (cpu % NRINGS) { RINGS(RING_CASE, RING_LAST) }
#undef RING_CALL
}

static __always_inline long output(__u32 cpu, void *data, __u64 size)
{
#define RING_CALL(map) bpf_ringbuf_output(&map, data, size, BPF_RB_NO_WAKEUP)
    switch (cpu % NRINGS) { RINGS(RING_CASE, RING_LAST) }
#undef RING_CALL
}

static __always_inline void count_drop(void)
{
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&drops, &zero);
    if (n)
        *n += 1;
}

/* Copy the user memory at argument i of kind `kind` (its length argument or size `len_arg`)
 * into blob slot k. */
static __always_inline void copy_arg(struct record *r, int i, __u8 kind, __u8 len_arg, __u8 k)
{
    __u64 len = 0;
    if (k >= NBLOBS || i >= NARGS)
        return;
    void *ptr = (void *)r->h.args[i];
    switch (kind) {
    case ARG_STRING: {
        long n = bpf_probe_read_user_str(r->blob[k], BLOB_LEN, ptr);
        r->h.blob_len[k] = n > 0 ? (__u16)n : 0;
        return;
    }
    case ARG_BUFFER_LEN_ARG: {
        __u8 j = len_arg;
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
        len = len_arg;
        break;
    case ARG_ARRAY8: {
        __u8 j = len_arg;
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
#define MMSGHDR_LEN 56 /* struct mmsghdr: msg_len after the struct user_msghdr */

/* ARG_IOVEC*: gather the buffers of the iovec array at argument i (its count in argument
 * len_arg[i]), ARG_MSGHDR*: of the struct user_msghdr at argument i, ARG_MMSGHDR: of the first
 * struct mmsghdr at argument i (up to its msg_len, which goes in msg_len), into blob slot slot[i],
 * up to BLOB_LEN bytes, and up to the returned length for the *_LEN_RET kinds; the array's
 * total length goes in iov_len. */
static __always_inline void gather_iovec(struct record *r, struct sc_desc *d, int i)
{
    __u8 kind = d->kind[i & 7], k = d->slot[i & 7], j = d->len_arg[i & 7];
    if (k >= NBLOBS)
        return;
    __u8 *blob = r->blob[k];
    __u64 limit = BLOB_LEN;
    if (kind == ARG_IOVEC_LEN_RET || kind == ARG_MSGHDR_LEN_RET)
        limit = r->h.ret > 0 ? (__u64)r->h.ret : 0;
    if (limit > BLOB_LEN)
        limit = BLOB_LEN;
    __u64 iov = r->h.args[i & 7], cnt = 0, total = 0;
    if (kind == ARG_MMSGHDR) {
        /* Nothing when the call handled no message; else up to the first one's length. */
        __u32 msg_len = 0;
        if (r->h.ret <= 0 || bpf_probe_read_user(&msg_len, sizeof(msg_len), (void *)(iov + MMSGHDR_LEN)))
            return;
        r->h.msg_len = msg_len;
        if (msg_len && msg_len < limit)
            limit = msg_len;
    }
    if (kind == ARG_MSGHDR || kind == ARG_MSGHDR_LEN_RET || kind == ARG_MMSGHDR) {
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
        if (bpf_probe_read_user(&blob[at], len, (void *)v.base) == 0)
            off += len;
    }
    r->h.blob_len[k] = (__u16)off;
    r->h.iov_len = (__u32)total;
}

/* WANT_CONTROL: the control messages of the struct user_msghdr at argument i (of the first
 * struct mmsghdr's, at the same offset), as the call left them (msg_controllen is what it
 * wrote), into the last blob slot. */
#define MSGHDR_CONTROL 32
static __always_inline void copy_control(struct record *r, int i)
{
    struct {
        __u64 ptr;
        __u64 len;
    } c = {};
    if (bpf_probe_read_user(&c, sizeof(c), (void *)(r->h.args[i & 7] + MSGHDR_CONTROL)) || !c.ptr)
        return;
    __u64 len = c.len < BLOB_LEN ? c.len : BLOB_LEN;
    len &= (BLOB_LEN * 2 - 1);
    if (len && len <= BLOB_LEN && bpf_probe_read_user(r->blob[NBLOBS - 1], len, (void *)c.ptr) == 0)
        r->h.blob_len[NBLOBS - 1] = (__u16)len;
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

/* The kernel socket of file `f`, NULL for none. */
static __always_inline struct sock *file_sock(struct file *f)
{
    struct socket *so = f ? BPF_CORE_READ(f, private_data) : 0;
    return so ? BPF_CORE_READ(so, sk) : 0;
}

static __always_inline void read_sock(struct record_head *h, struct file *f)
{
    struct sock *sk = file_sock(f);
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

#define MAX_SUBSYS 16       /* subsystem ids read, below (the kernel has 14 at most today) */
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

/* The id of subsystem `name` of enum cgroup_subsys_id in the running kernel, MAX_SUBSYS for
 * one it does not have. */
#define SUBSYS_ID(name)                                                                             \
    (bpf_core_enum_value_exists(enum cgroup_subsys_id, name) ? bpf_core_enum_value(enum cgroup_subsys_id, name) \
                                                             : MAX_SUBSYS)
#define PROBE_SUBSYS 5

/* The current task's cgroups as libscap's `cgroups` parameter: one `subsys=path` entry for
 * each subsystem the modern probe sends (cpuset, cpu, cpuacct, io, memory, in that order) that
 * the kernel has. Entries past CGROUPS_LEN are left out. */
static __always_inline void read_cgroups(struct record *r)
{
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    struct css_set *cset = BPF_CORE_READ(task, cgroups);
    r->cg.len = 0;
    if (!cset)
        return;
    __u32 ids[PROBE_SUBSYS] = {SUBSYS_ID(cpuset_cgrp_id), SUBSYS_ID(cpu_cgrp_id), SUBSYS_ID(cpuacct_cgrp_id),
                               SUBSYS_ID(io_cgrp_id), SUBSYS_ID(memory_cgrp_id)};
    __u32 nsubsys = bpf_core_field_size(cset->subsys) / sizeof(void *);
    void *subsys = (void *)cset + bpf_core_field_offset(cset->subsys);
    for (__u32 i = 0; i < PROBE_SUBSYS; i++) {
        __u32 id = ids[i];
        if (id >= MAX_SUBSYS || id >= nsubsys)
            continue;
        struct cgroup_subsys_state *css = 0;
        bpf_probe_read_kernel(&css, sizeof(css), subsys + id * sizeof(void *));
        if (css && !put_cgroup(&r->cg, css))
            break;
    }
}

/* ---- the process area (struct proc_area), read as Falco's modern probe reads the task */

/* Append the kernel string at `src`, NUL included, to the area's data; its length, 0 when it
 * could not be read or there is no room. */
static __always_inline __u32 put_kernel_str(struct proc_area *pa, const void *src)
{
    __u32 off = pa->len;
    if (off >= PROC_DATA_LEN)
        return 0;
    long n = bpf_probe_read_kernel_str(&pa->data[off & (PROC_DATA_LEN - 1)], PROC_PART, src);
    if (n <= 0)
        return 0;
    pa->len = off + (__u32)n;
    return (__u32)n;
}

/* Append user memory [start, end), cut at PROC_PART, to the area's data; its length. */
/* Append the user string at `src`, NUL included, to the area's data; its length, 0 when it
 * could not be read or there is no room. */
static __always_inline __u32 put_user_str(struct proc_area *pa, const char *src)
{
    __u32 off = pa->len;
    if (off >= PROC_DATA_LEN)
        return 0;
    /* Masked after a barrier: clang would otherwise drop the mask (off < PROC_DATA_LEN here)
     * and the verifier sees an unbounded offset. */
    barrier_var(off);
    long n = bpf_probe_read_user_str(&pa->data[off & (PROC_DATA_LEN - 1)], PROC_PART, src);
    if (n <= 0)
        return 0;
    pa->len = off + (__u32)n;
    return (__u32)n;
}

static __always_inline __u32 put_user_area(struct proc_area *pa, unsigned long start, unsigned long end)
{
    __u32 off = pa->len;
    __u64 len = end > start ? end - start : 0;
    if (len > PROC_PART)
        len = PROC_PART;
    len &= (PROC_PART * 2 - 1);
    if (!len || len > PROC_PART || off >= PROC_DATA_LEN)
        return 0;
    if (bpf_probe_read_user(&pa->data[off & (PROC_DATA_LEN - 1)], len, (void *)start))
        return 0;
    pa->len = off + (__u32)len;
    return (__u32)len;
}

#define MAX_EXEC_STRINGS 16 /* the modern probe's MAX_CHARBUF_POINTERS */

/* Append the strings of the user array `array` (a failed exec's argv or envp), each with its
 * NUL, at most MAX_EXEC_STRINGS of them and PROC_PART bytes in all (the last one cut); the
 * length appended. */
static __always_inline __u32 put_user_strings(struct proc_area *pa, const char *const *array)
{
    __u32 start = pa->len;
    for (int i = 0; i < MAX_EXEC_STRINGS; i++) {
        const char *str = 0;
        if (bpf_probe_read_user(&str, sizeof(str), &array[i]) || !str)
            break;
        __u32 off = pa->len;
        __u32 used = off - start;
        if (used >= PROC_PART || off >= PROC_DATA_LEN)
            break;
        __u64 room = PROC_PART - used;
        /* (Hidden from the compiler, which would drop the checks it can prove; the verifier
         * cannot.) */
        barrier_var(room);
        room &= PROC_PART * 2 - 1;
        if (!room || room > PROC_PART)
            break;
        long n = bpf_probe_read_user_str(&pa->data[off & (PROC_DATA_LEN - 1)], room, str);
        if (n <= 0)
            break;
        pa->len = off + (__u32)n;
    }
    return pa->len - start;
}

#define MAX_PATH_COMPONENTS 96 /* the modern probe's MAX_NUM_COMPONENTS */
#define NAME_PART 256          /* NAME_MAX + NUL */

/* Append the path of `dentry` on mount `vfsmnt`, as the modern probe approximates d_path: the
 * dentries' names from the leaf up to the mount's root, then on from the mount point in the
 * parent mount, up to the root of the mount tree, at most MAX_PATH_COMPONENTS names (a longer
 * path keeps its deepest components). A file with no name on the way (a memfd: its dentry is
 * its own parent) is its dentry's name, as the probe gives it. Returns the length appended. */
static __always_inline __u32 put_path(struct proc_area *pa, struct vfsmount *vfsmnt, struct dentry *dentry)
{
    __u32 zero = 0;
    struct path_walk *w = bpf_map_lookup_elem(&path_scratch, &zero);
    if (!w || !vfsmnt || !dentry)
        return 0;
    struct mount *mnt = (void *)vfsmnt - bpf_core_field_offset(struct mount, mnt);
    w->dentry = (__u64)dentry;
    w->mnt = (__u64)mnt;
    w->mnt_parent = (__u64)BPF_CORE_READ(mnt, mnt_parent);
    w->mnt_root = (__u64)BPF_CORE_READ(vfsmnt, mnt_root);
    w->start = PROC_PART;
    for (int i = 0; i < MAX_PATH_COMPONENTS; i++) {
        struct dentry *d = (struct dentry *)*(volatile __u64 *)&w->dentry;
        struct dentry *parent = BPF_CORE_READ(d, d_parent);
        __u64 root = *(volatile __u64 *)&w->mnt_root;
        if ((__u64)d == root || d == parent) {
            /* The top of a mount: on from its mount point, unless it is the tree's root (or
             * the dentry is a root without being its mount's root: stop there). */
            struct mount *m = (struct mount *)*(volatile __u64 *)&w->mnt;
            struct mount *up = (struct mount *)*(volatile __u64 *)&w->mnt_parent;
            if ((__u64)d != root || m == up)
                break;
            w->dentry = (__u64)BPF_CORE_READ(m, mnt_mountpoint);
            w->mnt = (__u64)up;
            w->mnt_parent = (__u64)BPF_CORE_READ(up, mnt_parent);
            w->mnt_root = (__u64)BPF_CORE_READ(up, mnt.mnt_root);
            continue;
        }
        /* The name and its NUL go just before what is built; the NUL then becomes the '/'. A
         * name that changed under the walk (its length differs) ends it. */
        __u32 start = *(volatile __u32 *)&w->start;
        __u32 need = BPF_CORE_READ(d, d_name.len) + 1;
        if (need > NAME_PART || need + 1 > start || start > PROC_PART)
            break;
        __u32 off = start - need;
        long n = bpf_probe_read_kernel_str(&w->buf[off & (PROC_PART - 1)], NAME_PART, BPF_CORE_READ(d, d_name.name));
        if (n != need)
            break;
        w->buf[(start - 1) & (PROC_PART - 1)] = '/';
        w->start = off;
        w->dentry = (__u64)parent;
    }
    __u32 start = w->start;
    /* (Read outside BPF_CORE_READ: the walk's own struct has no counterpart in the kernel.) */
    struct dentry *last = (struct dentry *)w->dentry;
    if (start >= PROC_PART)
        return put_kernel_str(pa, BPF_CORE_READ(last, d_name.name));
    /* The leaf's '/' is the end; one more '/' leads. */
    w->buf[PROC_PART - 1] = 0;
    start -= 1;
    w->buf[start & (PROC_PART - 1)] = '/';
    return put_kernel_str(pa, &w->buf[start & (PROC_PART - 1)]);
}

static __always_inline __u64 epoch_ns(__s64 sec, __u64 nsec)
{
    return sec < 0 ? 0 : (__u64)sec * 1000000000ULL + nsec;
}

/* The inode's status-change and modification times (epoch ns), whichever way the kernel keeps
 * them: timespec64 `i_ctime`/`i_mtime` (to 6.5/6.6), `__i_ctime`/`__i_mtime` (6.6/6.7 to
 * 6.10), or seconds and nanoseconds apart (6.11 on). */
static __always_inline void read_inode_times(struct proc_area *pa, struct inode *inode)
{
    struct inode___v6_6 *v66 = (void *)inode;
    struct inode___v6_7 *v67 = (void *)inode;
    struct inode___v6_11 *v611 = (void *)inode;
    struct timespec64 t = {};
    if (bpf_core_field_exists(inode->i_ctime)) {
        BPF_CORE_READ_INTO(&t, inode, i_ctime);
        pa->exe_ctime_ns = epoch_ns(t.tv_sec, t.tv_nsec);
    } else if (bpf_core_field_exists(v66->__i_ctime)) {
        BPF_CORE_READ_INTO(&t, v66, __i_ctime);
        pa->exe_ctime_ns = epoch_ns(t.tv_sec, t.tv_nsec);
    } else {
        /* The top bit of the nanoseconds marks a queried ctime (multigrain timestamps, 6.13). */
        pa->exe_ctime_ns = epoch_ns(BPF_CORE_READ(v611, i_ctime_sec), BPF_CORE_READ(v611, i_ctime_nsec) & ~(1U << 31));
    }
    if (bpf_core_field_exists(inode->i_mtime)) {
        BPF_CORE_READ_INTO(&t, inode, i_mtime);
        pa->exe_mtime_ns = epoch_ns(t.tv_sec, t.tv_nsec);
    } else if (bpf_core_field_exists(v67->__i_mtime)) {
        BPF_CORE_READ_INTO(&t, v67, __i_mtime);
        pa->exe_mtime_ns = epoch_ns(t.tv_sec, t.tv_nsec);
    } else {
        pa->exe_mtime_ns = epoch_ns(BPF_CORE_READ(v611, i_mtime_sec), BPF_CORE_READ(v611, i_mtime_nsec));
    }
}

/* A capability set of `cred` (an offset in struct cred): the kernel's bits 0..40, which are
 * libscap's PPM_CAP_* bits (capabilities_to_scap maps each bit to itself). */
static __always_inline __u64 read_caps(const struct cred *cred, __u64 field_off)
{
    __u64 caps = 0;
    bpf_probe_read_kernel(&caps, sizeof(caps), (void *)cred + field_off);
    return caps & ((1ULL << 41) - 1);
}

/* The inheritable, permitted and effective sets of `cred`. */
static __always_inline void read_cap_sets(struct proc_area *pa, const struct cred *cred)
{
    pa->cap_inheritable = read_caps(cred, bpf_core_field_offset(struct cred, cap_inheritable));
    pa->cap_permitted = read_caps(cred, bpf_core_field_offset(struct cred, cap_permitted));
    pa->cap_effective = read_caps(cred, bpf_core_field_offset(struct cred, cap_effective));
}

#define CAP_DAC_OVERRIDE 1
#define CAP_FOWNER 3
#define SB_RDONLY 1
#define S_IMMUTABLE 8
#define S_IFMT 0170000
#define S_IFREG 0100000
#define S_IFDIR 0040000
#define S_IFLNK 0120000
#define MAY_WRITE 2
#define MAX_GROUP_SEARCH 16 /* binary search steps: log2(NGROUPS_MAX) */

/* Whether kernel id `id` has a mapping in `map` (its base extents, as the probe checks). */
static __always_inline int id_mapped(struct uid_gid_map *map, __u32 id)
{
    __u32 n = BPF_CORE_READ(map, nr_extents);
    for (int j = 0; j < 5; j++) {
        if (j >= n)
            break;
        __u32 first = BPF_CORE_READ(map, extent[j].lower_first);
        __u32 count = BPF_CORE_READ(map, extent[j].count);
        if (id >= first && id - first < count)
            return 1;
    }
    return 0;
}

/* Whether `gid` is among the supplementary groups of `cred` (sorted: a binary search). */
static __always_inline int in_groups(const struct cred *cred, __u32 gid)
{
    struct group_info *gi = BPF_CORE_READ(cred, group_info);
    if (!gi)
        return 0;
    __u32 left = 0, right = BPF_CORE_READ(gi, ngroups);
    __u64 gid_off = bpf_core_field_offset(struct group_info, gid);
    for (int j = 0; j < MAX_GROUP_SEARCH && left < right; j++) {
        __u32 mid = (left + right) / 2, g = 0;
        bpf_probe_read_kernel(&g, sizeof(g), (void *)gi + gid_off + (__u64)mid * sizeof(kgid_t));
        if (gid > g)
            left = mid + 1;
        else if (gid < g)
            right = mid;
        else
            return 1;
    }
    return 0;
}

/* Whether the task may write `inode`, by the modern probe's rule: not on a read-only superblock
 * nor immutable, then owned by the fsuid, or writable by the mode bits of owner, group
 * (fsgid or a supplementary group) or others, or CAP_DAC_OVERRIDE / CAP_FOWNER with the ids
 * mapped in the task's user namespace. */
static __always_inline int exe_writable(const struct cred *cred, struct inode *inode, __u64 cap_eff)
{
    __u32 mode = BPF_CORE_READ(inode, i_mode);
    __u32 fmt = mode & S_IFMT;
    if ((BPF_CORE_READ(inode, i_sb, s_flags) & SB_RDONLY) &&
        (fmt == S_IFREG || fmt == S_IFDIR || fmt == S_IFLNK))
        return 0;
    if (BPF_CORE_READ(inode, i_flags) & S_IMMUTABLE)
        return 0;
    __u32 uid = BPF_CORE_READ(inode, i_uid.val);
    __u32 gid = BPF_CORE_READ(inode, i_gid.val);
    if (uid == (__u32)-1 || gid == (__u32)-1)
        return 0;
    if (BPF_CORE_READ(cred, fsuid.val) == uid)
        return 1;
    if (BPF_CORE_READ(cred, fsgid.val) == gid || in_groups(cred, gid))
        mode >>= 3;
    if (mode & MAY_WRITE)
        return 1;
    struct user_namespace *ns = BPF_CORE_READ(cred, user_ns);
    if (!ns)
        return 0;
    int uid_mapped = id_mapped(&ns->uid_map, uid);
    if ((cap_eff & (1ULL << CAP_DAC_OVERRIDE)) && uid_mapped && id_mapped(&ns->gid_map, gid))
        return 1;
    return (cap_eff & (1ULL << CAP_FOWNER)) && uid_mapped;
}

#define OVERLAYFS_SUPER_MAGIC 0x794c7630

/* EXE_UPPER_LAYER or EXE_LOWER_LAYER for a file on overlayfs (upper when the overlay inode,
 * which follows the VFS inode in struct ovl_inode, has an upper dentry with an inode), else 0. */
static __always_inline __u32 overlay_layer(struct dentry *dentry)
{
    if (BPF_CORE_READ(dentry, d_sb, s_magic) != OVERLAYFS_SUPER_MAGIC)
        return 0;
    void *vfs_inode = BPF_CORE_READ(dentry, d_inode);
    struct dentry *upper = 0;
    bpf_probe_read_kernel(&upper, sizeof(upper), vfs_inode + bpf_core_type_size(struct inode));
    if (upper && BPF_CORE_READ(upper, d_inode, i_ino))
        return EXE_UPPER_LAYER;
    return EXE_LOWER_LAYER;
}

/* Whether the file is a memfd: its dentry is its own parent and its name starts "memfd:". */
static __always_inline int from_memfd(struct dentry *dentry)
{
    if (BPF_CORE_READ(dentry, d_parent) != dentry)
        return 0;
    char name[7] = {};
    if (bpf_probe_read_kernel_str(name, sizeof(name), BPF_CORE_READ(dentry, d_name.name)) != sizeof(name))
        return 0;
    return name[0] == 'm' && name[1] == 'e' && name[2] == 'm' && name[3] == 'f' && name[4] == 'd' && name[5] == ':';
}

/* The controlling tty as libscap encodes a dev_t (new_encode_dev of the driver's major and
 * first minor plus the tty's index), 0 for none. */
static __always_inline __u32 read_tty(struct signal_struct *signal)
{
    struct tty_struct *tty = BPF_CORE_READ(signal, tty);
    if (!tty)
        return 0;
    struct tty_driver *drv = BPF_CORE_READ(tty, driver);
    if (!drv)
        return 0;
    __u32 dev = (((__u32)BPF_CORE_READ(drv, major) << 20) | (__u32)BPF_CORE_READ(drv, minor_start)) +
                (__u32)BPF_CORE_READ(tty, index);
    __u32 major = dev >> 20, minor = dev & 0xfffff;
    return (minor & 0xff) | (major << 8) | ((minor & ~0xffU) << 12);
}

/* The start time (monotonic ns) of the init process of the pid namespace `p` was made in. */
static __always_inline __u64 pidns_init_start(struct pid *p)
{
    if (!p)
        return 0;
    unsigned int level = BPF_CORE_READ(p, level);
    struct pid_namespace *ns = 0;
    bpf_probe_read_kernel(&ns, sizeof(ns), (void *)p + bpf_core_field_offset(struct pid, numbers) +
                          (level & 31) * sizeof(struct upid_full) + __builtin_offsetof(struct upid_full, ns));
    if (!ns)
        return 0;
    return BPF_CORE_READ(ns, child_reaper, start_time);
}

/* The exe file's inode number, times, flags and path. */
static __always_inline void read_exe(struct proc_area *pa, const struct cred *cred, struct file *exe)
{
    struct inode *inode = BPF_CORE_READ(exe, f_inode);
    struct dentry *dentry = BPF_CORE_READ(exe, f_path.dentry);
    if (!inode || !dentry)
        return;
    pa->exe_ino = BPF_CORE_READ(inode, i_ino);
    read_inode_times(pa, inode);
    if (exe_writable(cred, inode, pa->cap_effective))
        pa->exe_flags |= EXE_WRITABLE;
    pa->exe_flags |= overlay_layer(dentry);
    if (from_memfd(dentry))
        pa->exe_flags |= EXE_FROM_MEMFD;
    pa->exe_path_len = put_path(pa, BPF_CORE_READ(exe, f_path.mnt), dentry);
}

/* The process area of a process record: effective ids, caps, page faults, tty, process group, pid namespace
 * start (a clone's child), then cwd, exe path, argument and (WANT_ENV) environment areas (a
 * failed exec's argv and envp). */
static __always_inline void read_proc_area(struct record *r, struct sc_desc *d, struct task_struct *task,
                                           struct mm_struct *mm)
{
    struct proc_area *pa = &r->proc;
    const struct cred *cred = BPF_CORE_READ(task, cred);
    pa->euid = pa->egid = 0xffffffff;
    if (cred) {
        pa->euid = BPF_CORE_READ(cred, euid.val);
        pa->egid = BPF_CORE_READ(cred, egid.val);
        read_cap_sets(pa, cred);
    }
    pa->pgft_maj = BPF_CORE_READ(task, maj_flt);
    pa->pgft_min = BPF_CORE_READ(task, min_flt);
    struct signal_struct *signal = BPF_CORE_READ(task, signal);
    pa->tty = read_tty(signal);
    struct pid *pgrp = BPF_CORE_READ(signal, pids[PIDTYPE_PGID]);
    if (pgrp) {
        pa->pgid = pidns_ino ? deepest_nr(pgrp) : (__u32)BPF_CORE_READ(pgrp, numbers[0].nr);
        pa->vpgid = deepest_nr(pgrp);
    }
    if (r->h.ret == 0)
        pa->pidns_init_start = pidns_init_start(BPF_CORE_READ(signal, pids[PIDTYPE_TGID]));
    struct fs_struct *fs = BPF_CORE_READ(task, fs);
    if (fs)
        pa->cwd_len = put_path(pa, BPF_CORE_READ(fs, pwd.mnt), BPF_CORE_READ(fs, pwd.dentry));
    struct file *exe = BPF_CORE_READ(mm, exe_file);
    if (exe && cred)
        read_exe(pa, cred, exe);
    if ((d->want & WANT_ENV) && r->h.ret < 0) {
        /* A failed exec: the task still runs the caller's program; the arguments and
         * environment are those the exec was given, as the probe reads them. */
        int at = r->h.nr == NR_EXECVEAT; /* execveat(dirfd, path, argv, envp, flags) */
        pa->args_len = put_user_strings(pa, (const char *const *)r->h.args[at ? 2 : 1]);
        pa->env_len = put_user_strings(pa, (const char *const *)r->h.args[at ? 3 : 2]);
        pa->filename_len = put_user_str(pa, (const char *)r->h.args[at ? 1 : 0]);
        return;
    }
    pa->args_len = put_user_area(pa, BPF_CORE_READ(mm, arg_start), BPF_CORE_READ(mm, arg_end));
    if (d->want & WANT_ENV) {
        unsigned long env_end = BPF_CORE_READ(mm, env_end);
        pa->env_len = put_user_area(pa, BPF_CORE_READ(mm, env_start), env_end);
        /* The kernel copies the path it was given (bprm->filename, AT_EXECFN) to the new stack
         * right after the environment strings. */
        if (r->h.ret == 0)
            pa->filename_len = put_user_str(pa, (const char *)env_end);
    }
}

/* Process events: the thread's comm, ids, limits, cgroups (read_cgroups) and process area, as
 * libscap's modern probe reads them from the task at the exit tracepoint. */
static __always_inline void read_proc(struct record *r, struct sc_desc *d)
{
    bpf_get_current_comm(r->h.comm, sizeof(r->h.comm));
    __builtin_memset(&r->proc, 0, __builtin_offsetof(struct proc_area, data));
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
    read_proc_area(r, d, task, mm);
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

/* WANT_QUEUE: the accept queue of the listening socket at argument 0 (accept, accept4), read
 * after a successful call as the modern probe reads it. */
static __always_inline void read_queue(struct record_head *h)
{
    if (h->ret < 0)
        return;
    struct sock *sk = file_sock(fd_file((__s32)h->args[0]));
    if (!sk)
        return;
    h->queue_len = BPF_CORE_READ(sk, sk_ack_backlog);
    h->queue_max = BPF_CORE_READ(sk, sk_max_ack_backlog);
}

/* The fd's file and socket into the head; the file, for WANT_PATH. */
static __always_inline struct file *read_fd(struct record *r, struct sc_desc *d)
{
    if (!(d->want & (WANT_FILE | WANT_SOCK | WANT_PATH)))
        return 0;
    struct file *f = fd_file(fd_of(r, d));
    if (!f)
        return 0;
    if (d->want & WANT_FILE)
        read_file(&r->h, f);
    if (d->want & WANT_SOCK)
        read_sock(&r->h, f);
    return f;
}

/* WANT_CAPS, WANT_PATH: what goes into the process area of a record that is not a process
 * event (the area's head, then the fd's path); its cgroups are none. */
static __always_inline void read_task_extras(struct record *r, struct sc_desc *d)
{
    r->cg.len = 0;
    __builtin_memset(&r->proc, 0, __builtin_offsetof(struct proc_area, data));
    if (!(d->want & WANT_CAPS))
        return;
    struct task_struct *task = (struct task_struct *)bpf_get_current_task();
    const struct cred *cred = BPF_CORE_READ(task, cred);
    if (cred)
        read_cap_sets(&r->proc, cred);
}

/* A clone3 child's exit: the flags its caller's struct clone_args held at the fork, in place of
 * the copy just read from that memory (the caller's stack, which it may have reused since),
 * as the first 8 bytes of argument 0's blob. Without an entry the copy stays. */
static __always_inline void clone3_child_flags(struct record *r, struct sc_desc *d)
{
    __u32 tid = (__u32)bpf_get_current_pid_tgid();
    __u64 *flags = bpf_map_lookup_elem(&clone3_flags, &tid);
    __u8 k = d->slot[0];
    if (!flags || k >= NBLOBS)
        return;
    *(__u64 *)r->blob[k] = *flags;
    r->h.blob_len[k] = sizeof(*flags);
    bpf_map_delete_elem(&clone3_flags, &tid);
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
    /* Records with a process area (WANT_PROC, WANT_CAPS, WANT_PATH) are built in scratch. */
    if (d->nblobs == 0 && !(d->want & (WANT_CAPS | WANT_PATH))) {
        struct record *r = reserve(cpu, sizeof(struct record_head));
        if (!r) {
            count_drop();
            return 0;
        }
        fill_head(&r->h, pid_tgid, nr, cpu, ret, regs);
        read_fd(r, d);
        if (d->want & WANT_MM)
            read_mm(&r->h);
        if (d->want & WANT_QUEUE)
            read_queue(&r->h);
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
        copy_arg(r, i, d->kind[i], d->len_arg[i], d->slot[i]);
        if (d->kind[i] >= ARG_IOVEC && d->kind[i] <= ARG_MMSGHDR)
            iov_arg = i;
    }
    if (d->second_arg < NARGS)
        copy_arg(r, d->second_arg, d->second_kind, d->second_len_arg, d->second_slot);
    if (nr == NR_CLONE3 && ret == 0)
        clone3_child_flags(r, d);
    if (iov_arg >= 0) {
        gather_iovec(r, d, iov_arg);
        if (d->want & WANT_CONTROL)
            copy_control(r, iov_arg);
    }
    if (d->want & WANT_PROC) {
        read_proc(r, d);
        read_cgroups(r);
    } else if (d->want & (WANT_CAPS | WANT_PATH)) {
        read_task_extras(r, d);
    }
    struct file *f = read_fd(r, d);
    if (f && (d->want & WANT_PATH))
        r->proc.fd_path_len = put_path(&r->proc, BPF_CORE_READ(f, f_path.mnt), BPF_CORE_READ(f, f_path.dentry));
    if (d->want & WANT_MM)
        read_mm(&r->h);
    if (d->want & WANT_QUEUE)
        read_queue(&r->h);
    __u64 size = sizeof(struct record_head);
    if (d->want & (WANT_PROC | WANT_CAPS | WANT_PATH))
        size = __builtin_offsetof(struct record, proc.data) + (r->proc.len & (PROC_DATA_LEN * 2 - 1));
    else
        for (int k = NBLOBS - 1; k >= 0; k--)
            if (r->h.blob_len[k]) {
                size += k * BLOB_LEN + r->h.blob_len[k];
                break;
            }
    if (size > sizeof(struct record))
        size = sizeof(struct record);
    if (output(cpu, r, size))
        count_drop();
    return 0;
}

/* A new task (`ctx[1]`) of the current one (`ctx[0]`): when clone3 creates it, the flags of the
 * caller's struct clone_args, read here while the caller is still in the call and the memory
 * is as it passed it, for the child's exit. */
SEC("tp_btf/sched_process_fork")
int on_process_fork(__u64 *ctx)
{
    __u64 pid_tgid;
    if (!zone_pid_tgid(&pid_tgid) || (__u32)(pid_tgid >> 32) == own_tgid)
        return 0;
    struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs((struct task_struct *)ctx[0]);
    if (!regs || regs->orig_ax != NR_CLONE3)
        return 0;
    __u32 nr = NR_CLONE3;
    struct sc_desc *d = bpf_map_lookup_elem(&syscalls, &nr);
    if (!d || !d->enabled)
        return 0;
    __u64 flags;
    if (bpf_probe_read_user(&flags, sizeof(flags), (const void *)regs->di))
        return 0;
    __u32 tid = BPF_CORE_READ((struct task_struct *)ctx[1], pid);
    bpf_map_update_elem(&clone3_flags, &tid, &flags, BPF_ANY);
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
