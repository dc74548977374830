/** @file status.h
 *  @brief What `hrss-agent status` prints: the spool's counts, who sends,
 *         the collector's rejections, and the figures due soon or
 *         overdue and never queued, as text or JSON; and the rejections
 *         `flush` reports.
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
 *       rejections_new, rejections (each with "new"), deadlines
 *       (null without a region); regions are strings of their codes,
 *       as hrssctl gives them.
 *    3. The seen mark is raised only to a rejection that was printed,
 *       and only after it was.
 */
#ifndef HRSS_AGENT_STATUS_H
#define HRSS_AGENT_STATUS_H
#include <stdint.h>
#include <stdio.h>

#include "agent/due.h"
#include "agent/refused.h"
#include "agent/spool.h"
#include "common/catalog.h"
#include "common/err.h"

/** The deadlines part of `status`: what the office has due soon or
 *  overdue and never queued (agent/due), from the spool's cell records,
 *  or queued and refused by the collector, nothing of the cell taken
 *  since (agent/refused).
 *  Owns its arrays: status_due_fini(). */
typedef struct status_due {
    const catalog_t *cat; /**< borrowed */
    uint32_t *regions;    /**< the office's region, then every region at
                               or below it that it ever queued for */
    size_t n_regions;
    int64_t now;
    int due_days;
    int64_t since;        /**< spool_cells()'s */
    refused_t refused;    /**< cells listed because every figure sent
                               for them was refused (agent/refused) */
    due_list_t list;
} status_due_t;

/** Read the spool's cell records and compute the deadlines part for
 *  the office's region @p region (a catalog index) at time @p now (the
 *  CLI: time(NULL); tests: a fixed instant).
 *  @param[out] out  Filled on success; status_due_fini() it either way.
 *  @return ERR_OK, or the spool's error with @p err set. */
int status_due_load(spool_t *sp, const catalog_t *cat, int region,
                    int64_t now, int due_days, status_due_t *out,
                    char err[ERR_LEN]);

/** Free what @p d owns and zero it; no-op on NULL. */
void status_due_fini(status_due_t *d);

/** Print the deadlines part of @p d as text to @p f (see README, The
 *  agent's status), or, when @p d is NULL, that it is not shown. */
void status_due_text(FILE *f, const status_due_t *d);

/** Print the deadlines part as the JSON value of "deadlines" (null when
 *  @p d is NULL), indented for status's object. */
void status_due_json(FILE *f, const status_due_t *d);

/** What `status` shows. Plain value struct; state_dir borrowed. */
typedef struct status_view {
    spool_stats_t st;
    long long age;         /**< seconds since the oldest queued was
                                submitted, or -1 */
    int running;           /**< another process holds sender.lock */
    long holder;           /**< its pid */
    const char *state_dir; /**< shown in the text form */
    const status_due_t *due; /**< the deadlines part; NULL without a
                                  --region (borrowed) */
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
