/* flushwait.c: `flush` while `run` sends: wait for the daemon to deliver
 * what was queued when the flush began (flushwait.h).
 *
 * The target is the last seq assigned at the start: what is submitted
 * after it is the daemon's business, not this flush's. The spool says
 * when the target is passed (nothing queued, or the first queued seq
 * above it); its acks record the collector's rejections in the same
 * transaction, so once the target is passed the caller can read them.
 *
 *   start ──(queued == 0 or first_queued > target)──> DELIVERED
 *         ──(*stop)──> INTERRUPTED      ──(timeout)──> TIMEOUT
 *         ──(spool error)──> ERROR
 *
 * INVARIANTS
 *   1. Read-only: spool_stats() and spool_check_queue() only.
 *   2. Every ending but DELIVERED prints one message on stderr.
 */
#include "agent/flushwait.h"

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "agent/check.h"

static double seconds_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) +
           (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

int flushwait_daemon(spool_t *sp, long holder, double timeout_s,
                     volatile sig_atomic_t *stop)
{
    char err[ERR_LEN];
    char note[ERR_LEN];
    spool_stats_t st;
    if (spool_stats(sp, &st, err) != ERR_OK) {
        fprintf(stderr, "hrss-agent: %s\n", err);
        return FLUSHWAIT_ERROR;
    }
    uint64_t target = st.last_assigned;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (spool_stats(sp, &st, err) != ERR_OK) {
            fprintf(stderr, "hrss-agent: %s\n", err);
            return FLUSHWAIT_ERROR;
        }
        if (st.queued == 0 || st.first_queued > target) {
            return FLUSHWAIT_DELIVERED;
        }
        if (*stop) {
            fprintf(stderr, "hrss-agent: interrupted; %llu update%s remain%s "
                            "queued (%s)\n",
                    (unsigned long long)st.queued, st.queued == 1 ? "" : "s",
                    st.queued == 1 ? "s" : "", check_queue_note(sp, note));
            return FLUSHWAIT_INTERRUPTED;
        }
        if (seconds_since(&t0) >= timeout_s) {
            fprintf(stderr,
                    "hrss-agent: the running agent (pid %ld) has not "
                    "delivered everything within %.0f s; %llu update%s "
                    "remain%s queued (%s)\n",
                    holder, timeout_s, (unsigned long long)st.queued,
                    st.queued == 1 ? "" : "s", st.queued == 1 ? "s" : "",
                    check_queue_note(sp, note));
            return FLUSHWAIT_TIMEOUT;
        }
        struct timespec nap = {0, 50 * 1000 * 1000};
        nanosleep(&nap, NULL);
    }
}
