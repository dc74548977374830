/** @file status.h
 *  @brief What `hrss-agent status` prints: the spool's counts, who sends,
 *         and the collector's rejections, as text or JSON.
 *
 *  Owns nothing: it reads the spool it is given and writes to stdout.
 *
 *  INVARIANTS
 *    1. What the collector said (reasons, messages) reaches the terminal
 *       only cleaned (common/text) and JSON only escaped (common/json).
 *    2. The JSON is one object: queued, oldest_queued_age_s,
 *       last_acked_seq, last_assigned_seq, sender_running, sender_pid,
 *       rejections.
 */
#ifndef HRSS_AGENT_STATUS_H
#define HRSS_AGENT_STATUS_H

#include "agent/spool.h"
#include "common/err.h"

/** What `status` shows. Plain value struct; state_dir borrowed. */
typedef struct status_view {
    spool_stats_t st;
    long long age;         /**< seconds since the oldest queued was
                                submitted, or -1 */
    int running;           /**< another process holds sender.lock */
    long holder;           /**< its pid */
    const char *state_dir; /**< shown in the text form */
} status_view_t;

/** Print @p v and the spool's rejections to stdout, as JSON when @p json.
 *  @return ERR_OK, or the spool's error with @p err set. */
int status_print(spool_t *sp, const status_view_t *v, int json,
                 char err[ERR_LEN]);

#endif
