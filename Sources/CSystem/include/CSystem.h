#ifndef CSYSTEM_H
#define CSYSTEM_H
// Thin wrappers over glibc calls that `import Glibc` does not expose to Swift
// (they sit behind _GNU_SOURCE or are newer than the module map).
#include <sys/types.h>
#include <signal.h>

/// pipe2(2) with O_CLOEXEC; returns 0 or -1 with errno set.
int csys_pipe_cloexec(int fds[2]);

/// pidfd_open(2); returns a descriptor or -1 with errno set.
int csys_pidfd_open(pid_t pid);

/// memmem(3): the first occurrence of needle in haystack, or NULL.
const void *csys_memmem(const void *haystack, size_t hlen, const void *needle, size_t nlen);

/// socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC): one message per send, descriptors can ride along.
int csys_seqpacket_pair(int fds[2]);

/// Sends `len` bytes with `nfds` descriptors attached (SCM_RIGHTS). Returns bytes sent or -1 (errno).
long csys_send_with_fds(int sock, const void *buf, size_t len, const int *fds, int nfds);

/// Receives one message and up to `maxfds` descriptors (close-on-exec). Returns bytes received (0: the
/// peer is gone) or -1 (errno); *nfds is set to the number of descriptors received.
long csys_recv_with_fds(int sock, void *buf, size_t cap, int *fds, int maxfds, int *nfds);

/// How csys_spawn starts a child.
typedef struct {
    const char *path;          ///< executable path (no PATH lookup)
    char *const *argv;         ///< NULL-terminated
    char *const *envp;         ///< NULL-terminated
    const char *cwd;           ///< working directory, or NULL to inherit
    int stdin_fd;              ///< descriptor for 0, or -1 for /dev/null
    int stdout_fd;             ///< descriptor for 1, or -1 for /dev/null
    int stderr_fd;             ///< descriptor for 2, or -1 for /dev/null
    const int *keep_fds;       ///< descriptors to hand over as 3, 4, ... (in order), may be NULL
    int keep_count;
    int new_session;           ///< 1: setsid (detached supervisor); 0: own process group (pgid = pid)
} csys_spawn_options;

/// posix_spawn with an empty signal mask, every signal reset to default, descriptors 0-2 set as asked,
/// `keep_fds` moved to 3.. and everything above closed. Returns 0 and sets *pid, or an errno value.
int csys_spawn(const csys_spawn_options *opts, pid_t *pid);

/// Installs a handler for `signo` that writes one 8-byte record to `fd` per signal (the self-pipe): the
/// signal number, then the int a sender attached with sigqueue(3), or 0 when it sent a plain kill(2).
/// SA_RESTART. The handler only writes (async-signal-safe). Returns 0 or -1 (errno).
int csys_signal_to_pipe(int signo, int fd);

/// sigqueue(3) with an int payload; returns 0 or -1 (errno).
int csys_sigqueue(pid_t pid, int signo, int value);

/// Gives the calling thread (only it) the lowest priority, nice 19: on a busy CPU it gets about 1/70 of
/// what a normal thread gets, but never nothing (SCHED_IDLE could starve it while it holds a lock others
/// wait for). Returns 0 or an errno value.
int csys_thread_lowest_priority(void);

#endif
