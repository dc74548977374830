/** @file flushwait.h
 *  @brief `flush` beside a running `run`: wait until the daemon has
 *         delivered what was queued when the flush began.
 *
 *  A flush that finds sender.lock held does not send beside the daemon
 *  (agent/main.c): it watches the spool until every update up to the
 *  last one assigned at its start has been acknowledged, the deadline
 *  passes, or a signal stops it.
 *
 *  Owns nothing; borrows the spool and the stop flag for the call.
 *
 *  INVARIANTS
 *    1. Reads the spool only: nothing is written, nothing is sent.
 *    2. "Nothing is lost" is said only of a queue that can still be
 *       sent (agent/check's check_queue_note).
 */
#ifndef HRSS_AGENT_FLUSHWAIT_H
#define HRSS_AGENT_FLUSHWAIT_H
#include <signal.h>

#include "agent/spool.h"

/** How flushwait_daemon() ended; the values are hrss-agent's exit
 *  statuses. */
enum flushwait_end {
    FLUSHWAIT_DELIVERED = 0,    /**< everything up to the target acked */
    FLUSHWAIT_ERROR = 1,        /**< the spool could not be read */
    FLUSHWAIT_TIMEOUT = 69,     /**< EX_UNAVAILABLE */
    FLUSHWAIT_INTERRUPTED = 130 /**< *stop was set */
};

/** Poll @p sp (every 50 ms) until nothing up to the last seq assigned at
 *  the call is queued. The daemon's pid @p holder and the time waited go
 *  into the message printed on stderr at a timeout or an interruption
 *  (which also says how many updates remain queued, and whether the
 *  queue can still be sent).
 *  @return an enum flushwait_end. */
int flushwait_daemon(spool_t *sp, long holder, double timeout_s,
                     volatile sig_atomic_t *stop);

#endif
