#define _GNU_SOURCE
#include "CSystem.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

int csys_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC); }

const void *csys_memmem(const void *h, size_t hl, const void *n, size_t nl) { return memmem(h, hl, n, nl); }

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
