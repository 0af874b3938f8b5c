// SPDX-License-Identifier: (MIT OR GPL-2.0-only)
//
// Syscall capture for the edera-falco agent: a raw tracepoint on sys_exit.
//
// The kernel side is generic and driven by a table the agent fills from the libscap schema
// (`syscalls` map, indexed by native syscall number): whether the syscall is enabled and, for
// each of its six arguments, whether to copy user memory behind it (a NUL-terminated string,
// or a buffer whose length is another argument or the return value). At exit, one record with
// the arguments, the return value and the copied memory goes to the ring buffer; user space
// encodes it as the libscap exit event of the current table version. The agent's own process
// is skipped. A full ring buffer drops the record and counts it per CPU; the kernel never waits.

#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char LICENSE[] SEC("license") = "Dual MIT/GPL";

#define MAX_SYSCALLS 512
#define NARGS 6
#define BLOB_LEN 256 /* strings (paths) and buffers (snaplen) */
#define NBLOBS 2     /* arguments with user memory per syscall, at most */

enum arg_kind { ARG_VALUE = 0, ARG_STRING = 1, ARG_BUFFER_LEN_ARG = 2, ARG_BUFFER_LEN_RET = 3 };

/* Per syscall: enabled, and for each argument its kind, the argument holding its length,
 * and the blob slot its memory goes to (NBLOBS slots; `nblobs` of them used). */
struct sc_desc {
    __u8 enabled;
    __u8 nblobs;
    __u8 kind[NARGS];
    __u8 len_arg[NARGS];
    __u8 slot[NARGS];
};

/* Records of syscalls without user memory stop after `blob_len` (struct record_head); the
 * others carry NBLOBS slots. */
struct record_head {
    __u64 ts_enter;
    __u64 ts_exit;
    __u64 pid_tgid;
    __s64 ret;
    __u64 args[NARGS];
    __u32 nr;
    __u32 cpu;
    __u16 blob_len[NBLOBS];
    __u32 pad;
};

struct record {
    struct record_head h;
    __u8 blob[NBLOBS][BLOB_LEN];
};

/* x86_64 `struct pt_regs`, a stable user-visible layout (arch/x86/include/uapi/asm/ptrace.h). */
struct regs_x86_64 {
    unsigned long r15, r14, r13, r12, bp, bx, r11, r10, r9, r8, ax, cx, dx, si, di, orig_ax,
        ip, cs, flags, sp, ss;
};

struct {
    __uint(type, BPF_MAP_TYPE_ARRAY);
    __uint(max_entries, MAX_SYSCALLS);
    __type(key, __u32);
    __type(value, struct sc_desc);
} syscalls SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_RINGBUF);
    __uint(max_entries, 1 << 24);
} events SEC(".maps");

struct {
    __uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
    __uint(max_entries, 1);
    __type(key, __u32);
    __type(value, __u64);
} drops SEC(".maps");

volatile const __u32 own_tgid = 0;

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

static __always_inline void fill_head(struct record_head *h, __u64 pid_tgid, __u32 nr, __s64 ret,
                                      struct regs_x86_64 *regs)
{
    h->ts_enter = 0;
    h->ts_exit = bpf_ktime_get_boot_ns();
    h->pid_tgid = pid_tgid;
    h->ret = ret;
    h->nr = nr;
    h->cpu = bpf_get_smp_processor_id();
    h->args[0] = regs->di;
    h->args[1] = regs->si;
    h->args[2] = regs->dx;
    h->args[3] = regs->r10;
    h->args[4] = regs->r8;
    h->args[5] = regs->r9;
    h->blob_len[0] = 0;
    h->blob_len[1] = 0;
    h->pad = 0;
}

static __always_inline void count_drop(void)
{
    __u32 zero = 0;
    __u64 *n = bpf_map_lookup_elem(&drops, &zero);
    if (n)
        *n += 1;
}

/* Everything is taken at the exit tracepoint, as libscap's modern probe does: the syscall
 * number is `orig_ax` and the argument registers still hold the arguments. No per-thread
 * enter state is kept. */
SEC("raw_tracepoint/sys_exit")
int on_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    if ((__u32)(pid_tgid >> 32) == own_tgid)
        return 0;
    struct regs_x86_64 regs;
    if (bpf_probe_read_kernel(&regs, sizeof(regs), (void *)ctx->args[0]))
        return 0;
    __u32 nr = (__u32)regs.orig_ax;
    struct sc_desc *d = bpf_map_lookup_elem(&syscalls, &nr);
    if (!d || !d->enabled)
        return 0;
    __s64 ret = (__s64)ctx->args[1];
    if (d->nblobs == 0) {
        struct record_head *h = bpf_ringbuf_reserve(&events, sizeof(*h), 0);
        if (!h) {
            count_drop();
            return 0;
        }
        fill_head(h, pid_tgid, nr, ret, &regs);
        bpf_ringbuf_submit(h, 0);
        return 0;
    }
    struct record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
    if (!r) {
        count_drop();
        return 0;
    }
    fill_head(&r->h, pid_tgid, nr, ret, &regs);
#pragma unroll
    for (int i = 0; i < NARGS; i++)
        copy_arg(r, d, i);
    bpf_ringbuf_submit(r, 0);
    return 0;
}
