/* The probe-vs-agent comparison's workload (tests/tests/probe_parity.rs): one run of each kind
 * of syscall issue 12 names, so that the modern probe's capture and the agent's can be compared
 * event by event. Run as `edera-parity DIR` (the comm name marks its processes; every process it
 * starts descends from it). Failing calls that are expected to fail (bpf with an invalid command,
 * setns on a closed fd) are part of the workload; anything else failing exits non-zero. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/sem.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

static void check(int ok, const char *what) {
  if (!ok) {
    fprintf(stderr, "edera-parity: %s: %s\n", what, strerror(errno));
    exit(1);
  }
}

static void wait_ok(pid_t pid, const char *what) {
  int status;
  check(waitpid(pid, &status, 0) == pid, what);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    fprintf(stderr, "edera-parity: %s: status %d\n", what, status);
    exit(1);
  }
}

static void files(void) {
  char buf[16];
  int fd = open("a.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  check(fd >= 0, "open a.txt");
  check(write(fd, "hello", 5) == 5, "write");
  close(fd);
  fd = open("a.txt", O_RDONLY);
  check(fd >= 0 && read(fd, buf, sizeof buf) == 5, "read");
  close(fd);
  check(open("missing.txt", O_RDONLY) < 0, "open missing.txt fails");
  fd = creat("b.txt", 0600);
  check(fd >= 0, "creat");
  close(fd);
  check(rename("b.txt", "c.txt") == 0, "rename");
  check(unlink("c.txt") == 0, "unlink");
  struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_NO_SYMLINKS};
  fd = (int)syscall(SYS_openat2, AT_FDCWD, "a.txt", &how, sizeof how);
  check(fd >= 0, "openat2");
  /* splice and copy_file_range between a pipe and files */
  int p[2];
  check(pipe(p) == 0, "pipe");
  check(splice(fd, NULL, p[1], NULL, 5, 0) == 5, "splice");
  close(p[0]);
  close(p[1]);
  int out = open("d.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
  check(out >= 0, "open d.txt");
  loff_t off = 0;
  check(copy_file_range(fd, &off, out, NULL, 5, 0) == 5, "copy_file_range");
  close(out);
  close(fd);
}

static void sockets(void) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof addr;
  char buf[8];
  int srv = socket(AF_INET, SOCK_STREAM, 0);
  check(srv >= 0 && bind(srv, (struct sockaddr *)&addr, sizeof addr) == 0, "bind");
  check(listen(srv, 1) == 0 && getsockname(srv, (struct sockaddr *)&addr, &len) == 0, "listen");
  int c = socket(AF_INET, SOCK_STREAM, 0);
  check(c >= 0 && connect(c, (struct sockaddr *)&addr, sizeof addr) == 0, "connect");
  int s = accept4(srv, NULL, NULL, 0);
  check(s >= 0, "accept");
  check(send(c, "ping", 4, 0) == 4 && recv(s, buf, 4, 0) == 4, "tcp send/recv");
  close(s);
  close(c);
  close(srv);
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  addr.sin_port = 0;
  len = sizeof addr;
  check(u >= 0 && bind(u, (struct sockaddr *)&addr, sizeof addr) == 0, "udp bind");
  check(getsockname(u, (struct sockaddr *)&addr, &len) == 0, "udp getsockname");
  int v = socket(AF_INET, SOCK_DGRAM, 0);
  check(sendto(v, "dgram", 5, 0, (struct sockaddr *)&addr, sizeof addr) == 5, "sendto");
  check(recvfrom(u, buf, sizeof buf, 0, NULL, NULL) == 5, "recvfrom");
  close(u);
  close(v);
  int pair[2];
  check(socketpair(AF_UNIX, SOCK_STREAM, 0, pair) == 0, "socketpair");
  check(write(pair[0], "x", 1) == 1 && read(pair[1], buf, 1) == 1, "unix write/read");
  close(pair[0]);
  close(pair[1]);
}

static void exec_true(void) {
  pid_t pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    char *argv[] = {"true", "parity-arg", NULL};
    execve("/bin/true", argv, environ);
    _exit(127);
  }
  wait_ok(pid, "exec /bin/true");
}

/* /bin/true copied into a memfd and executed from it. */
static void exec_memfd(void) {
  int mfd = memfd_create("parity-payload", 0);
  check(mfd >= 0, "memfd_create");
  int in = open("/bin/true", O_RDONLY);
  check(in >= 0, "open /bin/true");
  char buf[65536];
  ssize_t n;
  while ((n = read(in, buf, sizeof buf)) > 0)
    check(write(mfd, buf, (size_t)n) == n, "write memfd");
  close(in);
  pid_t pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", mfd);
    char *argv[] = {"parity-memfd", NULL};
    execve(path, argv, environ);
    _exit(127);
  }
  wait_ok(pid, "exec from memfd");
  close(mfd);
}

static void tracing(void) {
  /* A child asks to be traced, then execs (stopping with SIGTRAP); the parent lets it go. */
  pid_t pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0)
      _exit(2);
    char *argv[] = {"true", NULL};
    execve("/bin/true", argv, environ);
    _exit(127);
  }
  int status;
  check(waitpid(pid, &status, 0) == pid && WIFSTOPPED(status), "traced child stops");
  check(ptrace(PTRACE_DETACH, pid, NULL, NULL) == 0, "detach traced child");
  wait_ok(pid, "traced child");
  /* The parent attaches to another child and detaches. The child spins on shared memory
   * without syscalls, so that the attach interrupts none (a blocking one would return
   * ERESTARTSYS or not, depending on scheduling). */
  volatile int *go = mmap(NULL, sizeof *go, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  check(go != MAP_FAILED, "mmap shared");
  pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    while (!*go)
      ;
    _exit(0);
  }
  check(ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0, "attach");
  check(waitpid(pid, &status, 0) == pid && WIFSTOPPED(status), "attached child stops");
  check(ptrace(PTRACE_DETACH, pid, NULL, NULL) == 0, "detach");
  *go = 1;
  wait_ok(pid, "attached child");
  munmap((void *)go, sizeof *go);
}

static void memory(void) {
  long page = sysconf(_SC_PAGESIZE);
  char *p = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  check(p != MAP_FAILED, "mmap");
  p[0] = 1;
  check(mprotect(p, (size_t)page, PROT_READ | PROT_EXEC) == 0, "mprotect exec");
  check(mprotect(p, (size_t)page, PROT_READ | PROT_WRITE) == 0, "mprotect back");
  p = mremap(p, (size_t)page * 2, (size_t)page * 4, MREMAP_MAYMOVE);
  check(p != MAP_FAILED, "mremap");
  check(munmap(p, (size_t)page * 4) == 0, "munmap");
  check(sbrk(0) != (void *)-1, "brk");
}

static void mount_namespace(void) {
  pid_t pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    if (unshare(CLONE_NEWNS) != 0)
      _exit(2);
    if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
      _exit(3);
    if (mount("parity", "mnt", "tmpfs", 0, "size=64k") != 0)
      _exit(4);
    _exit(umount2("mnt", 0) == 0 ? 0 : 5);
  }
  wait_ok(pid, "mount namespace");
}

static void *thread_main(void *arg) {
  (void)arg;
  int fd = open("a.txt", O_RDONLY);
  if (fd >= 0)
    close(fd);
  return NULL;
}

static void threads(void) {
  pthread_t t;
  check(pthread_create(&t, NULL, thread_main, NULL) == 0, "pthread_create");
  check(pthread_join(t, NULL) == 0, "pthread_join");
}

static void set_uid(void) {
  pid_t pid = fork();
  check(pid >= 0, "fork");
  if (pid == 0) {
    if (setuid(65534) != 0)
      _exit(2);
    int fd = open("/etc/passwd", O_RDONLY);
    _exit(fd >= 0 ? 0 : 3);
  }
  wait_ok(pid, "setuid child");
}

static void misc(void) {
  check(syscall(SYS_bpf, -1, NULL, 0) < 0, "bpf with an invalid command fails");
  int efd = eventfd(0, 0);
  check(efd >= 0, "eventfd");
  close(efd);
  int tfd = timerfd_create(CLOCK_MONOTONIC, 0);
  check(tfd >= 0, "timerfd_create");
  close(tfd);
  check(prctl(PR_SET_NAME, "edera-parity", 0, 0, 0) == 0, "prctl");
  struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
  struct __user_cap_data_struct data[2];
  check(syscall(SYS_capget, &hdr, data) == 0, "capget");
  check(syscall(SYS_capset, &hdr, data) == 0, "capset");
  check(setns(-1, 0) < 0, "setns on a bad fd fails");
}

/* The last syscalls the agent captures with the probe's parameters: ids through three
 * pointers, a signal mask, socket options, messages in batches, a file opened by its handle,
 * semaphores. */
static void rest(void) {
  uid_t r, e, su;
  check(getresuid(&r, &e, &su) == 0, "getresuid");
  gid_t rg, eg, sg;
  check(getresgid(&rg, &eg, &sg) == 0, "getresgid");
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR1);
  struct timespec ts = {0, 1000};
  check(ppoll(NULL, 0, &ts, &mask) == 0, "ppoll");
  int pair[2];
  check(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair) == 0, "socketpair dgram");
  char out0[] = "first", out1[] = "second", in0[16], in1[16];
  struct iovec iov[4] = {{out0, 5}, {out1, 6}, {in0, sizeof in0}, {in1, sizeof in1}};
  struct mmsghdr msgs[4] = {0};
  for (int i = 0; i < 4; i++) {
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  int one = 1, type = 0;
  socklen_t type_len = sizeof type;
  struct timeval tv = {2, 5};
  check(setsockopt(pair[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof one) == 0, "setsockopt SO_PASSCRED");
  check(setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) == 0, "setsockopt SO_RCVTIMEO");
  check(getsockopt(pair[0], SOL_SOCKET, SO_TYPE, &type, &type_len) == 0, "getsockopt SO_TYPE");
  /* the first message passes an fd in a control message: recvmmsg's msgcontrol */
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } mcontrol[2] = {0};
  msgs[0].msg_hdr.msg_control = mcontrol[0].buf;
  msgs[0].msg_hdr.msg_controllen = sizeof mcontrol[0].buf;
  struct cmsghdr *mcmsg = CMSG_FIRSTHDR(&msgs[0].msg_hdr);
  mcmsg->cmsg_level = SOL_SOCKET;
  mcmsg->cmsg_type = SCM_RIGHTS;
  mcmsg->cmsg_len = CMSG_LEN(sizeof(int));
  int mpassed = 0;
  memcpy(CMSG_DATA(mcmsg), &mpassed, sizeof mpassed);
  msgs[2].msg_hdr.msg_control = mcontrol[1].buf;
  msgs[2].msg_hdr.msg_controllen = sizeof mcontrol[1].buf;
  check(sendmmsg(pair[0], msgs, 2, 0) == 2, "sendmmsg");
  check(recvmmsg(pair[1], msgs + 2, 2, 0, NULL) == 2, "recvmmsg");
  memcpy(&mpassed, CMSG_DATA(CMSG_FIRSTHDR(&msgs[2].msg_hdr)), sizeof mpassed);
  close(mpassed);
  /* an fd passed in a control message */
  union {
    struct cmsghdr h;
    char buf[CMSG_SPACE(sizeof(int))];
  } control = {0};
  struct msghdr msg = {.msg_iov = iov, .msg_iovlen = 1, .msg_control = control.buf, .msg_controllen = sizeof control.buf};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  int passed = 0;
  memcpy(CMSG_DATA(cmsg), &passed, sizeof passed);
  check(sendmsg(pair[0], &msg, 0) == 5, "sendmsg with an fd");
  msg.msg_iov = &iov[2];
  check(recvmsg(pair[1], &msg, 0) == 5, "recvmsg with an fd");
  memcpy(&passed, CMSG_DATA(cmsg), sizeof passed);
  close(passed);
  close(pair[0]);
  close(pair[1]);
  struct {
    struct file_handle h;
    unsigned char bytes[128];
  } handle = {.h.handle_bytes = 128};
  int mount_id;
  check(name_to_handle_at(AT_FDCWD, "a.txt", &handle.h, &mount_id, 0) == 0, "name_to_handle_at");
  int dir = open(".", O_RDONLY | O_DIRECTORY);
  check(dir >= 0, "open .");
  int fd = open_by_handle_at(dir, &handle.h, O_RDONLY);
  check(fd >= 0, "open_by_handle_at");
  close(fd);
  close(dir);
  int sem = semget(IPC_PRIVATE, 1, 0600);
  check(sem >= 0, "semget");
  check(semctl(sem, 0, SETVAL, 5) == 0, "semctl SETVAL");
  struct sembuf op = {0, -1, IPC_NOWAIT};
  check(semop(sem, &op, 1) == 0, "semop");
  check(semctl(sem, 0, IPC_RMID) == 0, "semctl IPC_RMID");
  check(syscall(SYS_io_uring_enter, -1, 0, 0, 0, NULL, 0) < 0, "io_uring_enter on a bad fd fails");
  /* keyctl: integer arguments, a string one (the new session keyring's name), two strings
     between integers (a search that finds nothing); compared whether they succeed or not. */
  syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* the session keyring */, 0);
  syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, "edera-parity");
  syscall(SYS_keyctl, 10 /* KEYCTL_SEARCH */, -3, "user", "edera-none", 0);
  check(syscall(SYS_quotactl, 0x800007 /* Q_GETQUOTA, USRQUOTA */, "/nonexistent", 0, NULL) < 0, "quotactl fails");
  /* fsconfig on a new tmpfs context: a string value, a flag, a binary value tmpfs refuses */
  int fsfd = syscall(SYS_fsopen, "tmpfs", 0);
  check(fsfd >= 0, "fsopen");
  check(syscall(SYS_fsconfig, fsfd, 1 /* FSCONFIG_SET_STRING */, "size", "1m", 0) == 0, "fsconfig string");
  check(syscall(SYS_fsconfig, fsfd, 0 /* FSCONFIG_SET_FLAG */, "noswap", NULL, 0) == 0 || errno == EINVAL,
        "fsconfig flag");
  check(syscall(SYS_fsconfig, fsfd, 2 /* FSCONFIG_SET_BINARY */, "size", "\1\2", 2) < 0, "fsconfig binary fails");
  close(fsfd);
  /* The structs of failed quotactl calls, read after the call as the probe reads them:
     struct if_dqblk (u64 limits, space and times, u32 dqb_valid at 64: QIF_BLIMITS | QIF_SPACE
     | QIF_ITIME), struct if_dqinfo (u64 graces, u32 flags, u32 dqi_valid: IIF_IGRACE |
     IIF_FLAGS), Q_GETFMT's format (QFMT_VFS_V1). */
  unsigned long long dqblk[9] = {100, 90, 4096, 50, 40, 3, 7, 8, 1 | 2 | 32};
  check(syscall(SYS_quotactl, 0x80000800u /* Q_SETQUOTA, USRQUOTA */, "/nonexistent", 1000, dqblk) < 0,
        "quotactl Q_SETQUOTA fails");
  unsigned long long dqinfo[3] = {604800, 86400, 1ULL | (2ULL | 4ULL) << 32};
  check(syscall(SYS_quotactl, 0x80000601u /* Q_SETINFO, GRPQUOTA */, "/nonexistent", 0, dqinfo) < 0,
        "quotactl Q_SETINFO fails");
  int quota_format = 4;
  check(syscall(SYS_quotactl, 0x80000400u /* Q_GETFMT, USRQUOTA */, "/nonexistent", 0, &quota_format) < 0,
        "quotactl Q_GETFMT fails");
  /* QCMD(Q_QUOTAON, USRQUOTA) with QFMT_VFS_V0 and a quota file: fails, with its arguments */
  check(syscall(SYS_quotactl, 0x80000200u, "/nonexistent", 2, "/nonexistent/aquota.user") < 0,
        "quotactl Q_QUOTAON fails");
}

int main(int argc, char **argv) {
  check(argc == 2 && chdir(argv[1]) == 0, "usage: edera-parity DIR");
  check(mkdir("mnt", 0755) == 0 || errno == EEXIST, "mkdir mnt");
  files();
  sockets();
  exec_true();
  exec_memfd();
  tracing();
  memory();
  mount_namespace();
  threads();
  set_uid();
  misc();
  rest();
  return 0;
}
