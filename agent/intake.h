/** @file intake.h
 *  @brief Turning an office's figures into spooled updates: CSV files given
 *         to `submit`, files dropped in STATE/inbox, and single values.
 *
 *  Validation is csvin's (and common/update's); this module decides what
 *  is queued and where a dropped file goes: STATE/done once its rows are
 *  in the spool (with NAME.warnings beside it when csvin warned), or
 *  STATE/failed with NAME.errors beside it (its errors, then its
 *  warnings). Inbox files are read with csvin's default options: a month
 *  before the plan is refused (only `submit --allow-before-plan` takes
 *  one). A dropped
 *  file is recorded in the spool as "inbox:NAME:SIZE:MTIME_NS", in the
 *  transaction that queues its rows.
 *
 *  Owns nothing between calls: the spool and the validation scope are
 *  borrowed for each call. Error text a call returns is the caller's to
 *  free().
 *
 *  INVARIANTS
 *    1. A file's rows are queued in one spool transaction or not at all.
 *    2. A file leaves the inbox only after its rows are durable (done/) or
 *       its errors are written whole beside where it goes (failed/); a
 *       crash in between leaves it in the inbox, to be taken again, and
 *       rows already queued are not queued twice.
 *    3. A file some process has open for writing is not read (asked with
 *       a read lease; where leases are not allowed, a file younger than
 *       min_age_ms counts as being written).
 *    4. Only regular files are taken from the inbox, opened without
 *       following links: a symbolic link, FIFO, device, socket or
 *       directory named *.csv is moved, unread, to failed/ with an .errors
 *       saying what it is.
 *    5. Nothing in done/ or failed/ is replaced or written through; a
 *       NAME.errors or NAME.warnings is a new file, mode 0640 less the
 *       umask, written before NAME arrives beside it.
 *    6. An inbox file is taken only when its last byte is a newline,
 *       however it arrived (written in place or renamed in). One that
 *       does not end with a newline, an empty one included, is held: left
 *       in the inbox unread, neither taken nor refused, reported through
 *       intake_hold_t, and looked at again at the next call for it. A
 *       file is never queued cut short.
 *    7. Names starting with '.' and names not ending in .csv (such as
 *       NAME.csv.part, a copy in progress) are never opened, moved or
 *       reported, whatever they are.
 */
#ifndef HRSS_INTAKE_H
#define HRSS_INTAKE_H
#include <stddef.h>
#include <stdint.h>

#include "agent/csvin.h"
#include "agent/spool.h"
#include "common/err.h"

/** Validate the CSV file at @p path and queue all its rows in one spool
 *  transaction (all or nothing), recording @p source (may be NULL).
 *  @p path is opened as given, links followed: it is for a file the user
 *  names (`submit FILE.csv`), never for inbox entries.
 *  @param opts           How to read it (csvin); NULL for the defaults.
 *  @param[out] n         Rows queued.
 *  @param[out] errors    On failure: the listed problems; caller owns and
 *                        must free(). NULL on success.
 *  @param[out] warnings  May be NULL. Else, on any outcome, csvin's
 *                        warnings and notes, or NULL when there are none;
 *                        caller owns and must free().
 *  @return ERR_OK, ERR_INVAL (bad file: nothing queued), ERR_IO, ERR_FULL. */
int intake_file(spool_t *sp, const update_scope_t *o,
                const csvin_opts_t *opts, const char *path,
                const char *source, size_t *n, char **errors,
                char **warnings);

/** Queue one update that already passed update_check() (the single-value
 *  form of `submit`). @return ERR_OK, ERR_IO, ERR_FULL (@p err says
 *  why); on failure nothing is queued. */
int intake_update(spool_t *sp, const update_t *u, char err[ERR_LEN]);

/** Counts of one inbox scan. */
typedef struct intake_stats {
    size_t files_done;
    size_t files_failed;
    size_t files_held; /**< left in the inbox: no final newline */
    size_t files_warned; /**< of files_done: with NAME.warnings in done/ */
    size_t rows;
} intake_stats_t;

/** Whom to tell of each inbox file held for want of a final newline
 *  (INVARIANT 6). Plain value struct; both members borrowed for the call
 *  that is given it.
 *  fn(arg, name, size, mtime_ns): @p name (borrowed for the call) is the
 *  entry in the inbox; @p size and @p mtime_ns (st_mtim in ns) say which
 *  state of the file was looked at, so that the caller can tell a file
 *  that changed from one it has already heard of. */
typedef struct intake_hold {
    void (*fn)(void *arg, const char *name, int64_t size, int64_t mtime_ns);
    void *arg;
} intake_hold_t;

/** Take every *.csv file in STATE/inbox that no process has open for
 *  writing: queue it and move it to STATE/done, or move it to STATE/failed
 *  with NAME.errors beside it. An entry that is not a regular file (a
 *  symbolic link, FIFO, device, socket or directory) is moved unread to
 *  STATE/failed, its NAME.errors saying what it is. A name taken in
 *  done/ or failed/ (by anything, a dangling link included) is not
 *  reused: the next free NAME.N is. Files being written are counted in
 *  *deferred and left for a later scan (or for intake_inbox_file when
 *  their writer closes them). Whether a file is open for writing is asked
 *  with a read lease; where the agent may not take one (a file of another
 *  user without CAP_LEASE), a file modified less than @p min_age_ms ago is
 *  taken as still being written.
 *  A file whose rows were queued before a crash (its source key is in the
 *  spool) is moved to done without being queued twice. A file that does
 *  not end with a newline (an empty one included) is held (INVARIANT 6):
 *  counted in st->files_held and told to @p hold, not deferred. Hidden
 *  files and other names (NAME.csv.part) are left alone, unreported.
 *  @param hold           Told of each file held (may be NULL).
 *  @param[out] st        Counts (may be NULL).
 *  @param[out] deferred  Files skipped as too young (may be NULL).
 *  @return ERR_OK, or ERR_IO/ERR_FULL when the spool or the folders fail
 *          (then the file stays in the inbox for the next scan; files
 *          after it were not looked at). */
int intake_inbox(spool_t *sp, const update_scope_t *o, const char *state_dir,
                 long min_age_ms, const intake_hold_t *hold, size_t *deferred,
                 intake_stats_t *st, char err[ERR_LEN]);

/** Take the one inbox file @p name, whose writer has closed it (inotify
 *  IN_CLOSE_WRITE or IN_MOVED_TO). Does nothing for names that are not
 *  *.csv, start with '.', no longer exist, or are still open for writing
 *  elsewhere. Same outcomes as intake_inbox(), refusals of what is not a
 *  regular file and holding a file without its final newline included.
 *  @param hold  Told when the file is held (may be NULL). */
int intake_inbox_file(spool_t *sp, const update_scope_t *o,
                      const char *state_dir, const char *name,
                      const intake_hold_t *hold, intake_stats_t *st,
                      char err[ERR_LEN]);

/** An entry @p name was made in the inbox (inotify IN_CREATE): refuse it
 *  at once, unread, when it is not a regular file (a symbolic link, FIFO,
 *  device, socket or directory, which no close will announce). A regular
 *  file is left alone: it is being written, and its writer's close brings
 *  intake_inbox_file(). Does nothing for names that are not *.csv or no
 *  longer exist.
 *  @param[out] st  files_failed is 1 when the entry was refused (may be
 *                  NULL).
 *  @return ERR_OK, or ERR_IO when failed/ cannot take it (@p err says
 *          why; it stays in the inbox for the next scan). */
int intake_inbox_created(const char *state_dir, const char *name,
                         intake_stats_t *st, char err[ERR_LEN]);

/** Create STATE/inbox, STATE/done and STATE/failed if missing. */
int intake_dirs(const char *state_dir, char err[ERR_LEN]);

#endif
