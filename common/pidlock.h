/** @file pidlock.h
 *  @brief A lock file that says who holds it: one collector per data
 *         directory, one sender per agent spool.
 *
 *  The lock is flock(2) on the file, so it goes with the process: a
 *  crash or SIGKILL frees it, and a stale file never blocks a restart.
 *  The holder writes its pid into the file so that the one refused can
 *  say whom it met.
 *
 *  Owns nothing; the descriptor it returns is the caller's, to keep open
 *  (and so locked) for as long as it holds the lock, and to close.
 *
 *  INVARIANTS
 *    1. On 1 (taken), *fd >= 0 holds LOCK_EX on @p path and the file holds
 *       "PID\n" of this process (best effort: the lock is what counts).
 *    2. On 0 (held by another) and -1, *fd == -1: nothing is left open.
 *    3. The file is opened with O_NOFOLLOW | O_CLOEXEC: a link planted at
 *       the path is refused, and a child the holder starts does not
 *       inherit the lock.
 */
#ifndef HRSS_PIDLOCK_H
#define HRSS_PIDLOCK_H
#include <signal.h>

#include "common/err.h"

/** Take the lock at @p path, creating the file (mode 0640) when missing.
 *  @param wait    0: fail at once when it is held; 1: block until it is
 *                 free, or until *@p stop is set by a signal handler
 *                 (NULL: never stop).
 *  @param[out] fd      On 1: the locked descriptor; else -1.
 *  @param[out] holder  On 0: the pid the file names (0 when unreadable).
 *  @param[out] err     On -1: "PATH: strerror" (or "interrupted").
 *  @return 1 taken, 0 held by another process, -1 error. */
int pidlock_take(const char *path, int wait, volatile sig_atomic_t *stop,
                 int *fd, long *holder, char err[ERR_LEN]);

#endif
