/** @file check.h
 *  @brief `hrss-agent check`: a whole spool verified offline, and the
 *         words other commands use about a queue that may be damaged.
 *
 *  The spool is opened read-only (a running `run` goes on: LMDB readers
 *  do not block its writes) and walked by spool_verify() in a child
 *  process, so that a page damaged in a way LMDB does not notice, which
 *  can make it read outside its map and die, is reported as damage where
 *  the walk died instead of ending `check` itself.
 *
 *  Owns nothing between calls; writes to stdout (the findings) and
 *  stderr (why a spool could not be checked).
 *
 *  INVARIANTS
 *    1. One line per problem, at most CHECK_MAX_LINES of them, then a
 *       count of the others, then one summary line: each names the file,
 *       and each problem its table and key.
 *    2. CHECK_SOUND only when the walk ran to its end and found nothing.
 */
#ifndef HRSS_AGENT_CHECK_H
#define HRSS_AGENT_CHECK_H
#include <stddef.h>

#include "agent/spool.h"
#include "common/err.h"

/** Problems listed one per line; the others are counted. */
#define CHECK_MAX_LINES 100

enum check_result {
    CHECK_SOUND = 0,   /**< every record and the spool's counters good */
    CHECK_DAMAGED = 1, /**< damage found, listed (or refused at open) */
    CHECK_FAILED = 2,  /**< could not be checked; @p err says why */
    CHECK_INTERRUPTED = 3, /**< SIGINT or SIGTERM ended the walk */
};

/** Check the spool in directory @p spool_dir: print its problems and a
 *  summary (JSON when @p json) to stdout.
 *  @return a check_result; with CHECK_DAMAGED from a refused open,
 *          CHECK_FAILED and CHECK_INTERRUPTED, @p err holds the message
 *          (nothing printed). */
int check_spool(const char *spool_dir, int json, char err[ERR_LEN]);

/** For a command about to say what remains queued: write "nothing is
 *  lost" into @p out when every queued update can still be read and sent
 *  (spool_check_queue), else "but <the damage>: `hrss-agent check` lists
 *  it". @return out. */
char *check_queue_note(spool_t *sp, char out[ERR_LEN]);

#endif
