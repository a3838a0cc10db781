#define _GNU_SOURCE
#include "CSystem.h"
#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

int csys_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

const void *csys_memmem(const void *h, size_t hl, const void *n, size_t nl) { return memmem(h, hl, n, nl); }

int csys_seqpacket_pair(int fds[2]) { return socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds); }

long csys_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds) {
    struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
    char control[CMSG_SPACE(sizeof(int) * 8)];
    if (nfds < 0 || nfds > 8) { errno = EINVAL; return -1; }
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
    if (nfds > 0) {
        memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
    }
    long n;
    do { n = sendmsg(sock, &msg, MSG_NOSIGNAL); } while (n < 0 && errno == EINTR);
    return n;
}

long csys_recv_with_fds(int sock, void *buf, size_t cap, int *fds, int maxfds, int *nfds) {
    struct iovec iov = { .iov_base = buf, .iov_len = cap };
    char control[CMSG_SPACE(sizeof(int) * 8)];
    struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control };
    long n;
    do { n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC); } while (n < 0 && errno == EINTR);
    *nfds = 0;
    if (n < 0) return n;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
        int count = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        int *received = (int *)CMSG_DATA(c);
        for (int i = 0; i < count; i++) {
            if (*nfds < maxfds) fds[(*nfds)++] = received[i];
            else close(received[i]);
        }
    }
    return n;
}

int csys_pidfd_open(pid_t pid) {
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    errno = ENOSYS;
    return -1;
#endif
}

int csys_spawn(const csys_spawn_options *o, pid_t *pid) {
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    int rc;
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0) return rc;
    if ((rc = posix_spawnattr_init(&attr)) != 0) { posix_spawn_file_actions_destroy(&fa); return rc; }

    sigset_t empty, all;
    sigemptyset(&empty);
    sigfillset(&all);
    short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
    if (o->new_session) flags |= POSIX_SPAWN_SETSID;
    else { flags |= POSIX_SPAWN_SETPGROUP; posix_spawnattr_setpgroup(&attr, 0); }
    posix_spawnattr_setflags(&attr, flags);
    posix_spawnattr_setsigmask(&attr, &empty);
    posix_spawnattr_setsigdefault(&attr, &all);

    // Move handed-over descriptors above everything we touch first, so that dup2 onto 0..3+n never
    // clobbers a source that has not been copied yet.
    // The staging area starts above every source and every final target.
    int stdio[3] = { o->stdin_fd, o->stdout_fd, o->stderr_fd };
    int base = 3 + (o->keep_count > 0 ? o->keep_count : 0);
    for (int i = 0; i < 3; i++) if (stdio[i] >= base) base = stdio[i] + 1;
    for (int i = 0; i < o->keep_count; i++) if (o->keep_fds[i] >= base) base = o->keep_fds[i] + 1;
    for (int i = 0; i < 3; i++) {
        if (stdio[i] >= 0) posix_spawn_file_actions_adddup2(&fa, stdio[i], base + i);
    }
    for (int i = 0; i < o->keep_count; i++) {
        posix_spawn_file_actions_adddup2(&fa, o->keep_fds[i], base + 3 + i);
    }
    for (int i = 0; i < 3; i++) {
        if (stdio[i] >= 0) posix_spawn_file_actions_adddup2(&fa, base + i, i);
        else posix_spawn_file_actions_addopen(&fa, i, "/dev/null", i == 0 ? O_RDONLY : O_WRONLY, 0);
    }
    for (int i = 0; i < o->keep_count; i++) {
        posix_spawn_file_actions_adddup2(&fa, base + 3 + i, 3 + i);
    }
    posix_spawn_file_actions_addclosefrom_np(&fa, 3 + o->keep_count);
    if (o->cwd) posix_spawn_file_actions_addchdir_np(&fa, o->cwd);

    rc = posix_spawn(pid, o->path, &fa, &attr, o->argv, o->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    return rc;
}

// One write end for every signal routed through csys_signal_to_pipe (a process has one self-pipe).
static volatile int csys_signal_fd = -1;

static void csys_signal_handler(int signo, siginfo_t *info, void *context) {
    (void)context;
    int saved = errno;
    int record[2] = { signo, (info && info->si_code == SI_QUEUE) ? info->si_value.sival_int : 0 };
    // 8 bytes, under PIPE_BUF: the write is atomic, so records never interleave.
    ssize_t n = write(csys_signal_fd, record, sizeof record);
    (void)n;
    errno = saved;
}

int csys_signal_to_pipe(int signo, int fd) {
    csys_signal_fd = fd;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = csys_signal_handler;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    return sigaction(signo, &sa, NULL);
}

int csys_sigqueue(pid_t pid, int signo, int value) {
    union sigval v;
    v.sival_int = value;
    return sigqueue(pid, signo, v);
}

int csys_thread_lowest_priority(void) {
    return setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), 19) == 0 ? 0 : errno;
}
