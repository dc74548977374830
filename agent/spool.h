/** @file spool.h
 *  @brief The agent's durable spool: numbered updates waiting for an ack.
 *
 *  An LMDB environment in STATE/spool. submit appends (numbering each
 *  update in the same transaction), the sender reads from a sequence number
 *  on and deletes what the collector acknowledged. Several processes may
 *  open one spool at once (LMDB's own locking); which one sends is decided
 *  by the agent's lock file, not here.
 *
 *  Every value on disk carries a checksum (spool format 2: a CRC-32C
 *  seal of its key and bytes) that is checked on every read: a record
 *  that fails it, or does not parse, is ERR_CORRUPT with a message
 *  naming the file, the table and the key ("spool DIR/data.mdb: table
 *  queue, seq 17: checksum mismatch"), and is never handed out.
 *  spool_verify() walks a whole spool (`hrss-agent check`).
 *
 *  Owns: the spool's LMDB environment and the paths of its data file and
 *  notify file (SPOOL_NOTIFY_FILE). Borrows nothing: what a call is given
 *  is copied before it returns, and what it hands out are plain value
 *  structs (a callback's valid during the callback).
 *
 *  INVARIANTS
 *    1. Every queued seq is below the next number to hand out; numbers
 *       are handed out consecutively, in the transaction that queues
 *       their updates, and never wrap (ERR_FULL instead).
 *    2. Nothing queued lies below acked_next: an ack deletes what it
 *       covers in the transaction that records it, and acked_next never
 *       decreases except by spool_rebase().
 *    3. A source is recorded iff its updates were queued (same
 *       transaction), so a dropped file is queued once. So is each
 *       cell's first-queued record (spool_cells), never changed after.
 *    4. Each call that writes is one transaction: on failure nothing of
 *       it is kept.
 *    5. Nothing read from disk is asserted on: a bad record is
 *       ERR_CORRUPT, and no record is handed out unless its checksum and
 *       layout checked.
 *    6. A spool is created only where there was none: @p dir does not
 *       exist or holds neither data.mdb nor lock.mdb. A damaged one (its
 *       data.mdb missing beside lock.mdb, empty, shorter than its last
 *       page, or without the format key) is refused at open, before any
 *       page is read, and never taken for a new, empty one.
 *    7. A writable open leaves the spool in format 2: a format-1 spool is
 *       upgraded in place, in one transaction, losing nothing. A
 *       read-only open writes nothing and reads both formats.
 */
#ifndef HRSS_SPOOL_H
#define HRSS_SPOOL_H
#include <stddef.h>
#include <string.h>
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
    uint64_t seen;            /**< the seen mark: the highest rejection
                                   seq the office was shown (0: none;
                                   spool_mark_seen) */
    uint64_t unseen;          /**< rejections with a seq above it */
} spool_stats_t;

/** Open the spool in directory @p dir, creating it only where there was
 *  none (INVARIANT 6; the notify file does not count). A format-1 spool
 *  is upgraded to format 2 first (INVARIANT 7), the map grown for it when
 *  it needs the room.
 *  @param[out] out  Receives the spool; untouched on failure.
 *  @return ERR_OK, ERR_IO, ERR_FULL (no room for the upgrade),
 *          ERR_VERSION (another format, or no LMDB file), ERR_CORRUPT
 *          (damaged: @p err names DIR/data.mdb; nothing was written).
 *          Caller owns *out and must spool_close() it. Never share a
 *          spool_t across fork(). */
int spool_open(spool_t **out, const char *dir, char err[ERR_LEN]);

/** Open the existing spool in @p dir read-only: nothing is written, not
 *  even an upgrade; a format-1 spool is read as it is (its records carry
 *  no checksums). Works beside a writer (LMDB's readers do not block
 *  it). Only spool_read(), spool_stats(), spool_rejections(),
 *  spool_has_source(), spool_verify() and spool_check_queue() may be
 *  called on it. Reads follow the format found at open, except
 *  spool_verify(), which follows that of its own snapshot (a writer may
 *  upgrade the file meanwhile).
 *  @return as spool_open(); ERR_NOTFOUND when there is no spool. */
int spool_open_readonly(spool_t **out, const char *dir, char err[ERR_LEN]);

/** DIR/data.mdb, the file messages name. Borrowed; valid until
 *  spool_close(). */
const char *spool_file(const spool_t *self);

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

/** Append @p n updates in one transaction (writable handles only),
 *  numbering them consecutively (their seq fields are overwritten).
 *  When @p source is not NULL it is
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
 *          damaged (checksum, layout), or a key claims a seq never
 *          assigned, with @p err "spool DIR/data.mdb: table queue, seq N:
 *          WHAT: updates N..M cannot be sent"; ERR_IO. */
int spool_read(spool_t *self, uint64_t from, spool_update_t *out, size_t max,
               size_t *n, char err[ERR_LEN]);

/** One cell this spool queued a figure for. Plain value struct. */
typedef struct spool_cell {
    char indicator[CATALOG_CODE_MAX + 1]; /**< code */
    uint32_t region;
    uint32_t yyyymm;
    int64_t first_at; /**< unix seconds: its first update's submitted_at */
} spool_cell_t;

typedef int (*spool_cell_fn)(const spool_cell_t *c, void *arg);

/** Every cell (indicator, region, month) this spool queued an update
 *  for since it keeps cell records (spool_append writes one per cell, in
 *  the same transaction, and never changes it: a re-submission keeps
 *  the first time; acknowledgements do not remove them), in key order;
 *  @p fn returns nonzero to stop. Works on read-only handles.
 *  @param[out] since  0: the records cover everything the spool ever
 *              queued; > 0: they begin at that time (unix seconds), an
 *              older agent queued before it without records; -1: the
 *              spool queued updates but has no records yet (only an
 *              older agent appended to it): nothing is known.
 *  @return ERR_OK, ERR_CORRUPT naming the damaged record in @p err,
 *          ERR_IO. */
int spool_cells(spool_t *self, spool_cell_fn fn, void *arg, int64_t *since,
                char err[ERR_LEN]);

/** What an ACK_OK said beside its next_seq: the audit chain after the
 *  commit that holds the batch (absent from an older collector), and
 *  when the agent received it. Plain value struct. */
typedef struct spool_ackinfo {
    int has_position;       /**< the Ack carried audit_position */
    uint64_t position;
    int has_head;           /**< the Ack carried a 32-byte audit_head */
    unsigned char head[32];
    int64_t at;             /**< unix seconds */
    int outcomes_unknown;   /**< every update it deletes gets outcome
                                 "unknown" (a Welcome's acknowledgement
                                 after unanswered replays) */
} spool_ackinfo_t;

/** Longest outcome: "accepted" or a reject reason's name. */
#define SPOOL_OUTCOME_MAX 31
/** A receipt's outcome when the collector accepted the update. */
#define SPOOL_OUTCOME_ACCEPTED "accepted"
/** A receipt's outcome when the collector could not say any more (the
 *  replay of an update whose Ack was lost, its rejection trimmed by the
 *  collector's --max-rejections): neither accepted nor rejected. */
#define SPOOL_OUTCOME_UNKNOWN "unknown"
/** spool_rejection_t.reason 0 (the wire's REJ_NONE): no rejection but an
 *  outcome the collector no longer knows; spool_ack_info() records no
 *  rejection for it, only the receipt ("unknown"). */
#define SPOOL_REASON_UNKNOWN 0u

/** 1 when @p r is no rejection but an unknown outcome: reason
 *  SPOOL_REASON_UNKNOWN, named "unknown" or not named. */
static inline int spool_rejection_unknown(const spool_rejection_t *r)
{
    return r->reason == SPOOL_REASON_UNKNOWN &&
           (r->reason_name[0] == '\0' ||
            strcmp(r->reason_name, SPOOL_OUTCOME_UNKNOWN) == 0);
}

/** A receipt: one update the collector acknowledged (spool_receipts()).
 *  Plain value struct. */
typedef struct spool_receipt {
    spool_update_t update;  /**< as it was queued (seq included) */
    char outcome[SPOOL_OUTCOME_MAX + 1]; /**< "accepted" or the reason */
    int has_position;       /**< position and head: the ack's, when it */
    uint64_t position;      /**< carried them (spool_ackinfo_t) */
    int has_head;
    unsigned char head[32];
    int64_t acked_at;       /**< unix seconds */
} spool_receipt_t;

typedef int (*spool_receipt_fn)(const spool_receipt_t *r, void *arg);

/** Every receipt, in seq order; @p fn returns nonzero to stop. Works on
 *  read-only handles; a read-only handle of a spool written before
 *  receipts existed has none (no table: nothing, ERR_OK).
 *  @return ERR_OK, ERR_CORRUPT naming the damaged record in @p err,
 *          ERR_IO. */
int spool_receipts(spool_t *self, spool_receipt_fn fn, void *arg,
                   char err[ERR_LEN]);

/** The agent name this spool is bound to (spool_claim), into @p out;
 *  "" when none was recorded. @return ERR_OK, ERR_CORRUPT naming the
 *  key, ERR_IO. */
int spool_identity_name(spool_t *self, char *out, size_t cap,
                        char err[ERR_LEN]);

/** The collector acknowledged everything below @p next_seq: delete those
 *  updates, remember @p next_seq, and record @p nrej rejections (their
 *  updates are copied from the spool when still there and readable). One
 *  transaction. @return ERR_OK, ERR_CORRUPT (a damaged key or counter,
 *  named in @p err; nothing changed), ERR_FULL, ERR_IO. */
int spool_ack(spool_t *self, uint64_t next_seq,
              const spool_rejection_t *rej, size_t nrej, char err[ERR_LEN]);

/** spool_ack(), and in the same transaction a receipt for every update
 *  it deletes (spool_receipts()): outcome "accepted" unless @p rej names
 *  its seq (its reason_name; reason SPOOL_REASON_UNKNOWN: "unknown", and
 *  no rejection recorded), position and head from @p info (NULL: none,
 *  and the time is now). A Welcome acknowledges nothing that is queued
 *  (agent/delivery.c reconcile: the updates are resent and the Ack of
 *  the replay carries their outcomes). Receipts are never deleted: an office sends ~1,500
 *  figures a year, some hundred KiB. */
int spool_ack_info(spool_t *self, uint64_t next_seq,
                   const spool_rejection_t *rej, size_t nrej,
                   const spool_ackinfo_t *info, char err[ERR_LEN]);

/** The collector expects @p next_seq, beyond anything this spool ever
 *  assigned: the agent's state was lost or replaced. Renumber the queued
 *  updates from @p next_seq on and continue numbering after them, so that
 *  nothing new is mistaken for a replay. The seen mark is lowered below
 *  @p next_seq when it was above, so that rejections of the renumbered
 *  updates count as not shown. One transaction. */
int spool_rebase(spool_t *self, uint64_t next_seq, char err[ERR_LEN]);

/** The counts of spool_stats_t, the oldest queued update read (and
 *  checked) for its seq and time. @return ERR_OK, ERR_CORRUPT naming the
 *  damaged record or counter in @p err, ERR_IO. */
int spool_stats(spool_t *self, spool_stats_t *out, char err[ERR_LEN]);

/** Bind the spool to one agent identity: the first call records @p name and
 *  @p region; later calls with another pair fail with ERR_INVAL, because
 *  the collector numbers sequences per agent name and a renamed spool
 *  would be refused or, worse, mistaken for replays. A recorded identity
 *  that fails its seal is ERR_CORRUPT. Writable handles only. */
int spool_claim(spool_t *self, const char *name, uint32_t region,
                char err[ERR_LEN]);

typedef int (*spool_rejection_fn)(const spool_rejection_t *r, void *arg);

/** The seen mark rises to @p seq (meta "rejections_seen"): the office
 *  has been shown every rejection up to it (`status`, `flush`). A mark
 *  already higher stays. A spool without the key (made before it
 *  existed) reads as 0: nothing shown. Writable handles only; one
 *  transaction. @return ERR_OK, ERR_CORRUPT (the recorded mark is
 *  damaged, named in @p err), ERR_FULL, ERR_IO. */
int spool_mark_seen(spool_t *self, uint64_t seq, char err[ERR_LEN]);

/** Every recorded rejection, oldest first; @p fn returns nonzero to
 *  stop. @return ERR_OK, ERR_CORRUPT naming the damaged record, ERR_IO. */
int spool_rejections(spool_t *self, spool_rejection_fn fn, void *arg,
                     char err[ERR_LEN]);

/** Whether every queued update can be read and sent: each seq from
 *  acked_next to next_assign - 1 present once, in order, its checksum and
 *  layout good. Reads the whole queue (one transaction).
 *  @return ERR_OK; ERR_CORRUPT with the first damage in @p err ("spool
 *          DIR/data.mdb: table queue, seq N: WHAT"); ERR_IO. */
int spool_check_queue(spool_t *self, char err[ERR_LEN]);

/** One problem spool_verify() found. Plain value struct. */
typedef struct spool_problem {
    const char *table;  /**< "meta", "queue", "rejects", "sources",
                             "receipts", or
                             "" for the file's own structure (static) */
    char key[96];       /**< "seq 17", "key identity", or "" */
    char what[200];     /**< "checksum mismatch", "malformed record", ... */
    char text[ERR_LEN]; /**< "spool DIR/data.mdb: table T, KEY: WHAT" */
} spool_problem_t;

/** Called for each problem, in the order found; nonzero stops the walk. */
typedef int (*spool_problem_fn)(const spool_problem_t *p, void *arg);

/** What spool_verify() saw. Plain value struct. */
typedef struct spool_verify {
    unsigned format;        /**< 1 or 2 (0: unreadable) */
    uint64_t records[5];    /**< records walked in meta, queue, rejects,
                                 sources, receipts (0 without the table) */
    uint64_t acked_next;    /**< as meta says (1 when absent) */
    uint64_t next_assign;   /**< as meta says (1 when absent) */
    uint64_t problems;      /**< problems found (all, even past a stop) */
    int complete;           /**< every table read to its end in one
                                 snapshot, so the cross-checks ran */
    /* Where the walk is: updated before each record is read, so that a
     * caller that runs the walk in a child process can say where it died
     * (LMDB reads damaged pages without checks of its own). */
    int at_table;           /**< 0..4 as in records[], -1 before */
    unsigned at_key_len;    /**< bytes of the key in at_key (cut) */
    unsigned char at_key[64];
} spool_verify_t;

/** Walk the whole spool in one read transaction: every record of every
 *  table, its checksum, its layout, and the spool's own consistency:
 *  the queue holds exactly the seqs acked_next .. next_assign - 1, no
 *  rejection has a seq never assigned, the meta values are what they
 *  must be, LMDB's record counts (what `status` shows) match the
 *  records, and every key is found again by looking it up (a damaged
 *  index page is seen). Writes nothing.
 *  @param[out] out  Filled as the walk goes (see spool_verify_t).
 *  @return ERR_OK when the walk ran (out->problems says whether the
 *          spool is sound); ERR_IO when no transaction could begin. */
int spool_verify(spool_t *self, spool_problem_fn fn, void *arg,
                 spool_verify_t *out, char err[ERR_LEN]);

/** Where the walk of @p v was last, as messages say it: "table queue,
 *  seq 17" ("table queue" alone when no key was read yet, "" before the
 *  first table). Writes at most @p cap bytes into @p out. @return out. */
char *spool_verify_where(const spool_verify_t *v, char *out, size_t cap);

#endif
