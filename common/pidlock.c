/* pidlock.c: a lock file that says who holds it (pidlock.h). */
#include "common/pidlock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* The pid written in the file at @p fd, or 0. */
static long read_holder(int fd)
{
    char buf[32];
    ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    char *end = NULL;
    long pid = strtol(buf, &end, 10);
    return end != buf && pid > 0 ? pid : 0;
}

int pidlock_take(const char *path, int wait, volatile sig_atomic_t *stop,
                 int *fd, long *holder, char err[ERR_LEN])
{
    *fd = -1;
    *holder = 0;
    int f = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (f < 0) {
        snprintf(err, ERR_LEN, "%.400s: %s", path, strerror(errno));
        return -1;
    }
    while (flock(f, LOCK_EX | (wait ? 0 : LOCK_NB)) != 0) {
        int e = errno;
        if (e == EWOULDBLOCK && !wait) {
            *holder = read_holder(f);
            close(f);
            return 0;
        }
        if (e != EINTR || (stop != NULL && *stop)) {
            snprintf(err, ERR_LEN, "%.400s: %s", path,
                     e == EINTR ? "interrupted" : strerror(e));
            close(f);
            return -1;
        }
    }
    char pid[32];
    int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    /* A file left without our pid still locks: only the name is lost. */
    int named = ftruncate(f, 0) == 0 && pwrite(f, pid, (size_t)n, 0) == n;
    (void)named;
    *fd = f;
    return 1;
}
