// SPDX-License-Identifier: (MIT OR GPL-2.0-only)
//
// Syscall capture for the edera-falco agent: raw tracepoints on sys_enter and sys_exit.
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

enum arg_kind { ARG_VALUE = 0, ARG_STRING = 1, ARG_BUFFER_LEN_ARG = 2, ARG_BUFFER_LEN_RET = 3 };

struct sc_desc {
    __u8 enabled;
    __u8 kind[NARGS];
    __u8 len_arg[NARGS];
    __u8 pad;
};

struct enter_state {
    __u64 ts;
    __u64 args[NARGS];
    __u32 nr;
    __u32 pad;
};

struct record {
    __u64 ts_enter;
    __u64 ts_exit;
    __u64 pid_tgid;
    __s64 ret;
    __u64 args[NARGS];
    __u32 nr;
    __u32 cpu;
    __u16 blob_len[NARGS];
    __u8 blob[NARGS][BLOB_LEN];
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
    __uint(type, BPF_MAP_TYPE_HASH);
    __uint(max_entries, 65536);
    __type(key, __u64);
    __type(value, struct enter_state);
} enters SEC(".maps");

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

SEC("raw_tracepoint/sys_enter")
int on_sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    if ((__u32)(pid_tgid >> 32) == own_tgid)
        return 0;
    __u32 nr = (__u32)ctx->args[1];
    struct sc_desc *d = bpf_map_lookup_elem(&syscalls, &nr);
    if (!d || !d->enabled)
        return 0;
    struct regs_x86_64 regs;
    if (bpf_probe_read_kernel(&regs, sizeof(regs), (void *)ctx->args[0]))
        return 0;
    struct enter_state st = {
        .ts = bpf_ktime_get_boot_ns(),
        .args = { regs.di, regs.si, regs.dx, regs.r10, regs.r8, regs.r9 },
        .nr = nr,
    };
    bpf_map_update_elem(&enters, &pid_tgid, &st, BPF_ANY);
    return 0;
}

static __always_inline void copy_arg(struct record *r, struct sc_desc *d, int i)
{
    __u64 len = 0;
    void *ptr = (void *)r->args[i];
    switch (d->kind[i]) {
    case ARG_STRING: {
        long n = bpf_probe_read_user_str(r->blob[i], BLOB_LEN, ptr);
        r->blob_len[i] = n > 0 ? (__u16)n : 0;
        return;
    }
    case ARG_BUFFER_LEN_ARG: {
        __u8 j = d->len_arg[i];
        if (j < NARGS)
            len = r->args[j];
        break;
    }
    case ARG_BUFFER_LEN_RET:
        len = r->ret > 0 ? (__u64)r->ret : 0;
        break;
    default:
        return;
    }
    if (len > BLOB_LEN)
        len = BLOB_LEN;
    len &= (BLOB_LEN * 2 - 1);
    if (len > BLOB_LEN)
        return;
    if (len && bpf_probe_read_user(r->blob[i], len, ptr) == 0)
        r->blob_len[i] = (__u16)len;
}

SEC("raw_tracepoint/sys_exit")
int on_sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
    __u64 pid_tgid = bpf_get_current_pid_tgid();
    if ((__u32)(pid_tgid >> 32) == own_tgid)
        return 0;
    struct enter_state *st = bpf_map_lookup_elem(&enters, &pid_tgid);
    if (!st)
        return 0;
    __u32 nr = st->nr;
    struct sc_desc *d = bpf_map_lookup_elem(&syscalls, &nr);
    if (!d) {
        bpf_map_delete_elem(&enters, &pid_tgid);
        return 0;
    }
    struct record *r = bpf_ringbuf_reserve(&events, sizeof(*r), 0);
    if (!r) {
        __u32 zero = 0;
        __u64 *n = bpf_map_lookup_elem(&drops, &zero);
        if (n)
            *n += 1;
        bpf_map_delete_elem(&enters, &pid_tgid);
        return 0;
    }
    r->ts_enter = st->ts;
    r->ts_exit = bpf_ktime_get_boot_ns();
    r->pid_tgid = pid_tgid;
    r->ret = (__s64)ctx->args[1];
    r->nr = nr;
    r->cpu = bpf_get_smp_processor_id();
#pragma unroll
    for (int i = 0; i < NARGS; i++) {
        r->args[i] = st->args[i];
        r->blob_len[i] = 0;
    }
    bpf_map_delete_elem(&enters, &pid_tgid);
#pragma unroll
    for (int i = 0; i < NARGS; i++)
        copy_arg(r, d, i);
    bpf_ringbuf_submit(r, 0);
    return 0;
}
