/** @file spool.h
 *  @brief The agent's durable spool: numbered updates waiting for an ack.
 *
 *  An LMDB environment in STATE/spool. submit appends (numbering each
 *  update in the same transaction), the sender reads from a sequence number
 *  on and deletes what the collector acknowledged. Several processes may
 *  open one spool at once (LMDB's own locking); which one sends is decided
 *  by the agent's lock file, not here.
 *
 *  Owns: the spool's LMDB environment and the path of its notify file
 *  (SPOOL_NOTIFY_FILE). Borrows nothing: what a call is given is copied
 *  before it returns, and what it hands out are plain value structs (a
 *  callback's valid during the callback).
 *
 *  INVARIANTS
 *    1. Every queued seq is below the next number to hand out; numbers
 *       are handed out consecutively, in the transaction that queues
 *       their updates, and never wrap (ERR_FULL instead).
 *    2. Nothing queued lies below acked_next: an ack deletes what it
 *       covers in the transaction that records it, and acked_next never
 *       decreases except by spool_rebase().
 *    3. A source is recorded iff its updates were queued (same
 *       transaction), so a dropped file is queued once.
 *    4. Each call that writes is one transaction: on failure nothing of
 *       it is kept.
 *    5. Nothing read from disk is asserted on: a bad record is
 *       ERR_CORRUPT.
 *    6. A spool is created only where there was none: @p dir does not
 *       exist or holds neither data.mdb nor lock.mdb. A damaged one (its
 *       data.mdb missing beside lock.mdb, empty, shorter than its last
 *       page, or without the format key) is refused at open, before any
 *       page is read, and never taken for a new, empty one.
 */
#ifndef HRSS_SPOOL_H
#define HRSS_SPOOL_H
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/err.h"

/** Rewritten after every successful spool_append (see there). */
#define SPOOL_NOTIFY_FILE "appended"

typedef struct spool spool_t;

/** One queued update. Plain value struct. */
typedef struct spool_update {
    uint64_t seq;                          /**< assigned by spool_append */
    char indicator[CATALOG_CODE_MAX + 1];  /**< code */
    uint32_t region;
    uint32_t yyyymm;
    int is_ratio;
    int64_t num;
    int64_t den;
    int64_t submitted_at;                  /**< unix seconds */
} spool_update_t;

/** A rejection the collector reported. Plain value struct. */
typedef struct spool_rejection {
    uint64_t seq;
    uint32_t reason;
    char reason_name[32];
    char message[160];
    spool_update_t update;  /**< zeroed when the update had left the spool */
    int64_t at;             /**< when the agent was told */
} spool_rejection_t;

typedef struct spool_stats {
    uint64_t queued;          /**< updates waiting for an ack */
    uint64_t first_queued;    /**< lowest queued seq (0 if none) */
    uint64_t last_assigned;   /**< highest seq ever assigned (0 if none) */
    uint64_t acked_next;      /**< collector's next expected seq, as last
                                   acknowledged (1 if never) */
    int64_t oldest_submitted; /**< submitted_at of the oldest queued, or 0 */
    uint64_t rejections;      /**< rejections recorded */
} spool_stats_t;

/** Open the spool in directory @p dir, creating it only where there was
 *  none (INVARIANT 6; the notify file does not count).
 *  @param[out] out  Receives the spool; untouched on failure.
 *  @return ERR_OK, ERR_IO, ERR_VERSION (another format, or no LMDB file),
 *          ERR_CORRUPT (damaged: @p err names DIR/data.mdb; nothing was
 *          written). Caller owns *out and must spool_close() it. Never
 *          share a spool_t across fork(). */
int spool_open(spool_t **out, const char *dir, char err[ERR_LEN]);

/** Largest spool by default (the agent's --spool-max-mib). */
#define SPOOL_DEFAULT_MAX ((size_t)1 << 30)

/** spool_open() with a size limit of @p max_bytes (0: SPOOL_DEFAULT_MAX):
 *  an append past it fails with ERR_FULL and queues nothing. A spool
 *  whose file was made with a larger limit keeps that one. */
int spool_open_max(spool_t **out, const char *dir, size_t max_bytes,
                   char err[ERR_LEN]);

/** Close and set *self_p to NULL; no-op on NULL. */
void spool_close(spool_t **self_p);

#ifndef NDEBUG
/** Debug builds only: assert the handle's invariants (a live spool_t: its
 *  magic tag, which spool_close() overwrites, and its environment) and
 *  return 1, so that it can be written `assert(spool_check_invariants(s))`.
 *  Every public function does so on entry. Reads nothing from disk. */
int spool_check_invariants(const spool_t *self);
#endif

/** Append @p n updates in one transaction, numbering them consecutively
 *  (their seq fields are overwritten). When @p source is not NULL it is
 *  recorded in the same transaction (see spool_has_source), so a dropped
 *  file is taken exactly once even if the agent dies right after.
 *  Returns only when the updates are on disk. After the commit, the file
 *  SPOOL_NOTIFY_FILE in the spool directory is rewritten, so that a sender
 *  watching it with inotify (IN_CLOSE_WRITE) wakes: LMDB's own writes to
 *  data.mdb happen before the commit is visible to readers, so they cannot
 *  serve as the signal.
 *  @param[out] first  First assigned number (may be NULL); 0 on failure.
 *  @return ERR_OK, ERR_FULL (map full, or no n numbers left below 2^64:
 *          they never wrap), ERR_IO; on failure nothing is appended. */
int spool_append(spool_t *self, spool_update_t *u, size_t n,
                 const char *source, uint64_t *first, char err[ERR_LEN]);

/** 1 when @p source was recorded by spool_append, else 0. */
int spool_has_source(spool_t *self, const char *source);

/** Read up to @p max queued updates with consecutive seqs from @p from
 *  into @p out. The spool holds every seq from acked_next to next_assign
 *  - 1: when @p from is one of them, the first update read is @p from.
 *  A record that cannot be read ends the run; what came before it is
 *  handed out, and a read from it fails.
 *  @param[out] n  Number read (0 when nothing is queued from there).
 *  @return ERR_OK; ERR_CORRUPT when the record of @p from is missing or
 *          damaged, or a key claims a seq never assigned, with @p err
 *          "spool: ... seq N: updates N..M cannot be sent"; ERR_IO. */
int spool_read(spool_t *self, uint64_t from, spool_update_t *out, size_t max,
               size_t *n, char err[ERR_LEN]);

/** The collector acknowledged everything below @p next_seq: delete those
 *  updates, remember @p next_seq, and record @p nrej rejections (their
 *  updates are copied from the spool when still there). One transaction. */
int spool_ack(spool_t *self, uint64_t next_seq,
              const spool_rejection_t *rej, size_t nrej, char err[ERR_LEN]);

/** The collector expects @p next_seq, beyond anything this spool ever
 *  assigned: the agent's state was lost or replaced. Renumber the queued
 *  updates from @p next_seq on and continue numbering after them, so that
 *  nothing new is mistaken for a replay. One transaction. */
int spool_rebase(spool_t *self, uint64_t next_seq, char err[ERR_LEN]);

int spool_stats(spool_t *self, spool_stats_t *out, char err[ERR_LEN]);

/** Bind the spool to one agent identity: the first call records @p name and
 *  @p region; later calls with another pair fail with ERR_INVAL, because
 *  the collector numbers sequences per agent name and a renamed spool
 *  would be refused or, worse, mistaken for replays. */
int spool_claim(spool_t *self, const char *name, uint32_t region,
                char err[ERR_LEN]);

typedef int (*spool_rejection_fn)(const spool_rejection_t *r, void *arg);

/** Every recorded rejection, oldest first. */
int spool_rejections(spool_t *self, spool_rejection_fn fn, void *arg,
                     char err[ERR_LEN]);

#endif
