/** @file watch.h
 *  @brief What the sender loop watches on disk: files dropped in
 *         STATE/inbox (taken into the spool) and appends to the spool by
 *         other processes (STATE/spool/appended), through inotify.
 *
 *  Owns: the inotify descriptor and its watches, when to rescan the
 *  inbox next, and the list of held files already warned of. Borrows the
 *  spool, the validation scope and the state directory from watch_new()
 *  until watch_destroy().
 *
 *  INVARIANTS
 *    1. An inbox file is taken only once its writer has closed it (or it
 *       was moved in), never half-written: intake leaves alone a file
 *       some process has open for writing, and holds one whose last byte
 *       is not a newline (intake.h INVARIANT 6) until it changes.
 *    2. Inbox files are taken only when the watch was made with
 *       @p take_files.
 *    3. Lost events (IN_Q_OVERFLOW) and failed intakes end in a rescan of
 *       the whole inbox a moment later; nothing here is fatal.
 *    4. Without inotify, watch_wait() wakes the loop at least every
 *       WATCH_FALLBACK_MS, and the inbox (when taking files) is scanned
 *       after each poll.
 *    5. An inbox entry that is not a regular file (a symbolic link, FIFO,
 *       directory) is refused as soon as it is made (IN_CREATE) or moved
 *       in, never read (intake_inbox_created, intake_inbox_file).
 *    6. A held file is logged (WARN) once per state (name, size,
 *       modification time), not at every rescan; a held file is no
 *       reason to rescan. Names starting with '.' or ending in .part
 *       are never taken, moved or logged.
 */
#ifndef HRSS_WATCH_H
#define HRSS_WATCH_H
#include <stdint.h>

#include "agent/csvin.h"
#include "agent/spool.h"

/** Without inotify, look at the inbox and the spool this often. */
#define WATCH_FALLBACK_MS 1000

typedef struct watch watch_t;

/** Start watching STATE/spool for appends and, when @p take_files is set,
 *  STATE/inbox for dropped files. Never fails: without inotify (logged
 *  once) the loop is asked to wake every WATCH_FALLBACK_MS and the inbox
 *  is scanned then.
 *  @param sp         Borrowed; valid until watch_destroy().
 *  @param csv        Borrowed; validation of inbox files.
 *  @param state_dir  Borrowed; the agent's state directory.
 *  Caller owns return value and must destroy it. */
watch_t *watch_new(spool_t *sp, const update_scope_t *csv,
                   const char *state_dir, int take_files);

/** Stop watching, free, set *self_p to NULL; no-op when *self_p is NULL. */
void watch_destroy(watch_t **self_p);

/** The descriptor to poll for input, or -1 without inotify. */
int watch_fd(const watch_t *self);

/** @p wait (ms from @p now) shortened to when the watch next needs a
 *  look: a rescan of the inbox, or the fallback period. */
int64_t watch_wait(const watch_t *self, int64_t now, int64_t wait);

/** Take every finished file in the inbox now (at start-up); files that
 *  may still be being written are looked at again a second later, files
 *  without their final newline are held and warned of. No-op unless
 *  taking files. */
void watch_scan(watch_t *self);

/** After a poll: read the inotify events, taking each inbox file whose
 *  writer closed it or that was moved in (or holding it, when it does
 *  not end with a newline), refusing each entry made there that is not a
 *  regular file, and rescan the inbox when due.
 *  Failures are logged and retried a second later; never fatal. */
void watch_after_poll(watch_t *self);

#endif
