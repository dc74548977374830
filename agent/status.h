/** @file status.h
 *  @brief What `hrss-agent status` prints: the spool's counts, who sends,
 *         and the collector's rejections, as text or JSON; and the
 *         rejections `flush` reports.
 *
 *  Rejections are split by the spool's seen mark (spool_mark_seen): new
 *  ones, which no `status` or `flush` has shown the office yet, and
 *  earlier ones. Showing them as text raises the mark; the JSON form
 *  only reads it (a monitoring script must not hide news from the
 *  office).
 *
 *  Owns nothing: it reads the spool it is given and writes to the
 *  stream it is given (stdout for status).
 *
 *  INVARIANTS
 *    1. What the collector said (reasons, messages) reaches the terminal
 *       only cleaned (common/text) and JSON only escaped (common/json).
 *    2. The JSON is one object: queued, oldest_queued_age_s,
 *       last_acked_seq, last_assigned_seq, sender_running, sender_pid,
 *       rejections_new, rejections (each with "new"); regions are
 *       strings of their codes, as hrssctl gives them.
 *    3. The seen mark is raised only to a rejection that was printed,
 *       and only after it was.
 */
#ifndef HRSS_AGENT_STATUS_H
#define HRSS_AGENT_STATUS_H
#include <stdint.h>
#include <stdio.h>

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
 *  The text form lists new rejections apart from earlier ones and then
 *  raises the seen mark to the newest it printed (a writable @p sp).
 *  @return ERR_OK, or the spool's error with @p err set (when only the
 *          mark could not be raised, everything was printed). */
int status_print(spool_t *sp, const status_view_t *v, int json,
                 char err[ERR_LEN]);

/** One rejection as a line for people, without its newline:
 *  "seq N: INDICATOR REGION YYYY-MM value V: MESSAGE [REASON]" (V a
 *  count, or NUM/DEN), what the collector said cleaned. Writes at most
 *  @p cap bytes into @p out. @return out. */
char *status_rejection_line(const spool_rejection_t *r, char *out,
                            size_t cap);

/** `flush`: print to @p f every rejection not shown before (above the
 *  seen mark), one status_rejection_line() each under a heading naming
 *  how many, then raise the mark past them.
 *  @param[out] n  How many were printed (0: none, nothing printed).
 *  @return ERR_OK, or the spool's error with @p err set. */
int status_report_new(spool_t *sp, FILE *f, uint64_t *n, char err[ERR_LEN]);

#endif
