/** @file dryrun.h
 *  @brief `hrss-agent submit --dry-run FILE`: the collector says what it
 *         would do with a file's figures; nothing is queued or stored.
 *
 *  Concern: sending the rows as dry runs (AgentMsg dry_run, at most
 *  WIRE_MAX_BATCH updates each, numbered 1..n within each run) on a
 *  connection of its own, waiting for each DryRunResult, and printing
 *  what each refused or flagged row would meet, by file and line.
 *
 *  Owns, for the call: the zmq context and socket. Borrows everything
 *  given.
 *
 *  INVARIANTS
 *    1. Nothing is written to the spool or any file: a dry run needs no
 *       sender lock and changes no state.
 *    2. Every wait has the deadline given.
 */
#ifndef HRSS_AGENT_DRYRUN_H
#define HRSS_AGENT_DRYRUN_H
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/csvin.h"
#include "common/keys.h"

/** Where and as whom to ask. Plain value struct; borrowed strings. */
typedef struct dryrun_opts {
    const char *endpoint;        /**< the collector's ingest endpoint */
    const keys_pair_t *key;      /**< CURVE: the office's key; NULL: plain */
    const char *server_key;      /**< CURVE: the collector's public key */
    const char *name;            /**< the agent's name (plain mode) */
    uint32_t region;             /**< the office's region */
    int timeout_ms;              /**< for each answer */
} dryrun_opts_t;

/** Ask about @p rows (@p n of them, read from @p file) and print to
 *  @p out one line per refused or flagged row ("FILE:LINE: would be
 *  refused: FIELD: reason [reason_name]", "FILE:LINE: would be taken,
 *  flagged: ...") and a summary line.
 *  @return 0 when every row would be taken, 65 when some would be
 *          refused, 69 when the collector did not answer in time (the
 *          reason on stderr), 1 on another failure. */
int dryrun_rows(const dryrun_opts_t *o, const char *file,
                const csvin_row_t *rows, size_t n, FILE *out);

/** Read @p path as submit does (@p scope, @p copts; its warnings and
 *  errors on stderr) and dryrun_rows() it.
 *  @return as dryrun_rows(), or 65 (EX_DATAERR) when the file does not
 *          read: nothing was tried. */
int dryrun_file(const dryrun_opts_t *o, const update_scope_t *scope,
                const csvin_opts_t *copts, const char *path, FILE *out);

#endif
