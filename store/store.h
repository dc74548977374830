/** @file store.h
 *  @brief The hrss store: figures, audit trail and aggregates in LMDB.
 *
 *  One module used by the collector, the CLI and the tests. Writes come in
 *  batches from reporters (agents), each update numbered by its reporter;
 *  the reporter's next expected number is kept in the same transaction as
 *  the data, so a crash never separates them. Reads are exact totals at
 *  any region level for a month, quarter, year or range of years.
 *
 *  Values are whole numbers: a count is persons (not 万人); a ratio is a
 *  numerator and a denominator. Scaling for display happens elsewhere.
 *
 *  Owns: the LMDB environment in the store's directory, and every
 *  transaction it begins (none outlives a call). Borrows the catalog
 *  passed to store_open(), which must outlive the store. Arrays a call
 *  hands back (a result's rejections, a breakdown's children, a series'
 *  points) are the caller's; records handed to a callback are borrowed
 *  for the callback only.
 *
 *  Threads: a store_t may be used from several threads as long as writes
 *  (store_apply) come from one thread at a time.
 *
 *  Files (store/): env.c opens, closes, runs transactions and backups;
 *  write.c is store_apply() (write_int.h shares its steps with try.c,
 *  store_try()); approve.c, lock.c, outlier.c and comment.c the
 *  approvals and locks, outlier flags and comments; read.c the
 *  questions; asof.c (asof.h) the answers as of a moment and the
 *  difference between two; snap.c the read
 *  transactions, pinned snapshots and pages given back; verify.c
 *  store_verify(); chain.c and chain_verify.c the audit chain and
 *  store_audit_verify();
 *  derive.c the aggregate and violation arithmetic both write and verify
 *  use; codec.c every key and record layout. Internal headers: env.h
 *  (struct store), derive.h, codec.h. The LMDB layout is in codec.h and
 *  ARCHITECTURE.md.
 *
 *  INVARIANTS (of the whole store; each file says which it keeps)
 *    1. For every reporter, next_seq - 1 == number of its updates applied
 *       or rejected, and next_seq is committed with the data it accounts
 *       for (write.c).
 *    2. For every aggregate key (K, I, node, P): num/den equal the sum over
 *       regions R in subtree(node) of contribution(I, R, P), and reporting
 *       equals the number of such R with at least one fact in P, for
 *       every node with children (a leaf has none: its facts are its
 *       totals); the year spans equal their definition (span.h)
 *       (derive.c, span.c; store_verify() recomputes them from the facts).
 *    3. A fact exists iff its cell has at least one audit record; the fact
 *       holds the newest record's id and new value, and each record of the
 *       cell names the one before it (prev_id, 0 for the first), so the
 *       cell's records are exactly the chain back from the fact (write.c;
 *       check.c follows every chain).
 *    4. A violation record exists iff both cells of an "of which" pair
 *       exist for the same region and month and the part exceeds the whole
 *       (derive.c).
 *    5. Aggregate records that would be all zero with reporting 0 are
 *       deleted rather than stored (derive.c).
 *    6. The map is resized only under the write lock of txn_lock, so no
 *       transaction of this process is open while it is (env.c).
 *    7. store_apply() is all or nothing: when it fails, nothing of the
 *       call is in the store and the results are empty (write.c).
 *    8. Every read runs in one read-only transaction, so an answer made
 *       of several lookups (a breakdown, a series, a completeness) comes
 *       from one snapshot, and a thread that pinned one (store_pin())
 *       reads every answer from it; on failure its outputs are zero/NULL
 *       and @p err says why (read.c, snap.c).
 *    9. store_verify() changes nothing, whatever it finds (verify.c).
 *   10. What a reporter can make the store keep is bounded: a reporter
 *       record exists only once one of its updates was applied or
 *       rejected, and it has at most max_rejections rejection records,
 *       its newest; the rejby index lists exactly the stored rejections
 *       by reporter (write.c; an open catches the index up, env.c).
 *   11. A store is created only where there was none; a damaged one (its
 *       data.mdb missing beside lock.mdb, empty, shorter than its last
 *       page, or without the format key) is refused at open, before any
 *       page is read, and never taken for a new one (env.c, with
 *       common/lmdbh).
 *   12. A cell's comments are numbered 1..n without gaps (n at most
 *       STORE_COMMENTS_PER_CELL) and never changed or deleted; a
 *       followups record exists iff the newest of the cell's comments
 *       that set a mark marked it for follow-up, and names that comment
 *       and the cell's newest, written in the comment's transaction
 *       (comment.c).
 *   13. Every audit record, approvals_log entry and comment has exactly
 *       one link in the audit chain, appended in the transaction that
 *       writes it, at the next position, hashing the previous link's
 *       hash and the record as stored (chain.c; store_audit_verify()
 *       recomputes it, chain_verify.c).
 */
#ifndef HRSS_STORE_H
#define HRSS_STORE_H
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/err.h"
#include "common/period.h"
#include "common/update.h"

/** Longest reporter id, in bytes. */
#define STORE_REPORTER_MAX 64
/** Rejection records kept per reporter unless store_opts_t says. */
#define STORE_DEFAULT_MAX_REJECTIONS 1000
/** Size of a rejection message ("FIELD: reason"), with its NUL. */
#define STORE_MSG_LEN (UPDATE_MSG_LEN + 16)
/** Bytes of an audit chain hash (BLAKE2b-256, store/chain.h). */
#define STORE_HASH_LEN 32

typedef struct store store_t;

/** Options for store_open(); zero fields take the defaults. */
typedef struct store_opts {
    int readonly;       /**< open an existing store read-only */
    size_t map_size;    /**< initial LMDB map size (default 64 MiB) */
    size_t map_max;     /**< the map grows on MDB_MAP_FULL up to this
                             (default 64 GiB); then store_apply fails with
                             ERR_FULL and nothing of that call is kept */
    size_t max_rejections; /**< rejection records kept per reporter
                                (default STORE_DEFAULT_MAX_REJECTIONS):
                                its newest; each new one beyond it
                                deletes that reporter's oldest. Every
                                rejection is still counted (the
                                reporter's `rejected`) and reported in
                                its batch's result. A writable open
                                trims every reporter to it. */
    int check;          /**< open for store_check(): writable (the check
                             needs a scratch transaction, always aborted)
                             but never written to; a store that would
                             need an upgrade or a rebuild is refused
                             (ERR_VERSION, saying why) */
} store_opts_t;

/** A batch from one reporter; its updates carry consecutive numbers. */
typedef struct store_batch {
    const char *reporter;     /**< 1..STORE_REPORTER_MAX printable bytes */
    int home;                 /**< catalog index of the reporter's region:
                                   it may report that region and those
                                   below it; -1 allows every region */
    int64_t received_at;      /**< unix seconds, for the audit trail */
    int32_t current_month;    /**< month index; later months are refused */
    const update_t *updates;
    size_t n_updates;
    const unsigned char *allowed; /**< NULL, or one byte per catalog region
                                       index: the regions the reporter's
                                       key may report for (see
                                       update_scope_t) */
} store_batch_t;

enum store_batch_status {
    STORE_BATCH_OK = 0,     /**< applied (possibly partly a replay) */
    STORE_BATCH_GAP = 1,    /**< first seq > next expected: refused whole */
    STORE_BATCH_MALFORMED = 2, /**< bad reporter id or seqs not
                                    consecutive: refused whole */
};

typedef struct store_rejection {
    uint64_t seq;
    enum update_reason reason;
    char message[STORE_MSG_LEN]; /**< "FIELD: reason" (common/update) */
} store_rejection_t;

/** What happened to one batch. Fill with store_apply(); release with
 *  store_result_fini(). */
typedef struct store_result {
    enum store_batch_status status;
    uint64_t next_seq;      /**< reporter's next expected number after the
                                 batch (always set, also when refused) */
    size_t applied;         /**< new updates accepted */
    size_t replayed;        /**< updates skipped as already applied */
    size_t rejected;        /**< new updates rejected (they consume their
                                 numbers) */
    store_rejection_t *rejections; /**< owned; `rejected` entries */
    uint64_t audit_position; /**< the audit chain's length after the
                                  commit that holds the batch (the same for
                                  every batch of one store_apply()) */
    uint8_t audit_head[STORE_HASH_LEN]; /**< its last link's hash */
} store_result_t;

void store_result_fini(store_result_t *res);

/** What one update of a dry run (store_try) would do. */
typedef struct store_try_item {
    int rejected;                 /**< 1: it would be refused */
    enum update_reason reason;    /**< why, when rejected */
    char message[STORE_MSG_LEN];  /**< "FIELD: reason", when rejected */
    char note[STORE_MSG_LEN];     /**< accepted, but it would leave an "of
                                       which" figure above its whole ("of
                                       which: ...") or be flagged as an
                                       outlier ("outlier: ..."); else "" */
} store_try_item_t;

/** Hand-set bounds of one indicator in one region (store_set_ranges);
 *  a figure outside is flagged as an outlier (reason "range"). A ratio's
 *  bounds are fractions. Plain value struct. */
typedef struct store_range {
    int has_min, has_max;
    double min, max;
} store_range_t;

/** The bounds of every (indicator, region) that has some: v[indicator
 *  index * n_regions + region index]. Owned by whoever made it
 *  (collector/ranges.c). */
typedef struct store_ranges {
    size_t n_regions;
    size_t n;                /**< indicators * n_regions */
    store_range_t *v;
    size_t count;            /**< how many have a bound */
} store_ranges_t;

/** Check the figures stored from now on against @p r (borrowed: it must
 *  stay until replaced; NULL: no bounds). Call from the thread that
 *  writes, between store_apply() calls (write.c). */
void store_set_ranges(store_t *self, const store_ranges_t *r);

/** A dry run of @p b (write.c): every rule store_apply() checks, the
 *  locks of approved months included, and the "of which" violations the
 *  figures would leave once all are in, in a write transaction that is
 *  always aborted: nothing of it is kept, the reporter's numbers
 *  included. The updates' own numbers are ignored.
 *  @param[out] items  One per update of @p b, in its order.
 *  @return ERR_OK, ERR_INVAL (read-only store, bad reporter), or a store
 *          failure with @p err set. */
int store_try(store_t *self, const store_batch_t *b, store_try_item_t *items,
              char err[ERR_LEN]);

/** Open the store in directory @p dir; a writable open creates it only
 *  where there was none: @p dir does not exist, or holds neither
 *  data.mdb nor lock.mdb (other files do not count).
 *  A damaged store is never taken for a new one and never read past its
 *  end: a data.mdb missing beside lock.mdb, empty (0 bytes), shorter than
 *  its last page, or without the format key is refused (ERR_CORRUPT; a
 *  file that is no LMDB file at all ERR_VERSION) with @p err naming
 *  DIR/data.mdb, and nothing is written.
 *  A store of format 1 (before record checksums) or 2 (before year
 *  spans) is upgraded to format 3 in the opening transaction of a
 *  writable open (not with opts.check);
 *  read-only opens refuse it (ERR_VERSION) saying what to do. A store
 *  written by another format version is refused (ERR_VERSION). If
 *  the catalog's region tree or indicator rules changed since the
 *  aggregates were built, they are rebuilt from the facts (writable only;
 *  read-only opens fail with ERR_VERSION and say so).
 *  @param[in]  cat   Borrowed; must outlive the store.
 *  @param[in]  opts  May be NULL for defaults.
 *  @param[out] out   Receives the store; untouched on failure.
 *  @return ERR_OK, ERR_IO, ERR_NOTFOUND (read-only and no data.mdb),
 *          ERR_FULL, ERR_VERSION, ERR_CORRUPT. @p err says why.
 *  Caller owns *out and must store_close() it. */
int store_open(store_t **out, const char *dir, const catalog_t *cat,
               const store_opts_t *opts, char err[ERR_LEN]);

/** The store's on-disk format, in meta "format" (store/codec.h has the
 *  layout; older ones are upgraded by a writable open). */
#define STORE_FORMAT 3u

/** The format store_open() upgraded this store from (1 or 2), or 0 when
 *  it was already STORE_FORMAT (or new), for the daemon to log. */
unsigned store_upgraded_from(const store_t *self);

/** Close the store (all data is already durable) and set *self_p to NULL;
 *  no-op on NULL. */
void store_close(store_t **self_p);

/** The catalog the store was opened with. Borrowed; valid as long as the
 *  caller of store_open() keeps it (at least until store_close()). */
const catalog_t *store_catalog(const store_t *self);

/** Apply @p n batches in ONE write transaction (group commit) and fill
 *  @p results[0..n-1]. When this returns ERR_OK, everything reported in
 *  the results is durable. On failure nothing of the call is kept and the
 *  results are left empty (status OK, zero counts, no rejections).
 *  A batch that consumes no number (empty, a gap, all replays) creates no
 *  reporter record; for a known reporter it refreshes last_contact. A
 *  rejection beyond the reporter's max_rejections deletes its oldest
 *  stored one (store_opts_t).
 *  @return ERR_OK, ERR_FULL (map at map_max), ERR_IO. */
int store_apply(store_t *self, const store_batch_t *batches, size_t n,
                store_result_t *results, char err[ERR_LEN]);

/** An aggregate: a count's value in num, or a ratio's num/den, plus how
 *  many regions under the node (itself included) reported in the period,
 *  how many are expected to, and how many of them have every month of
 *  the period approved or accepted (approve.c; read in the same
 *  snapshot as the figures). */
typedef struct store_total {
    int is_ratio;
    int64_t num;
    int64_t den;
    uint32_t reporting;
    uint32_t expected;
    uint32_t approved;
    uint32_t months;   /**< one region's own report (store_own, a
                            leaf's total, a breakdown's own row or leaf
                            child): the months of the period, inside its
                            validity, with a fact; 0 for an aggregate */
} store_total_t;

/** Total of @p indicator for @p region and everything below it over
 *  period @p p, with the indicator's aggregation over time.
 *  @return ERR_OK, ERR_NOTFOUND (unknown indicator or region; @p err
 *          says which), ERR_IO. */
int store_total(store_t *self, const char *indicator, uint32_t region,
                const period_t *p, store_total_t *out, char err[ERR_LEN]);

/** The total of @p indicator for @p region over @p p from approved
 *  figures only: the sum of the contributions (the same rules as
 *  store_total) of the regions of the subtree whose every month of @p p
 *  is approved or accepted, read in one snapshot. reporting counts those
 *  of them with a fact in @p p, approved counts them all, expected is
 *  the subtree's size. A store without approvals gives a total with no
 *  report (reporting 0, approved 0).
 *  @return as store_total(). */
int store_total_approved(store_t *self, const char *indicator,
                         uint32_t region, const period_t *p,
                         store_total_t *out, char err[ERR_LEN]);

/** The region's own report over @p p (its own units, without children);
 *  expected is 1, approved 1 when the region's every month of @p p is
 *  approved. */
int store_own(store_t *self, const char *indicator, uint32_t region,
              const period_t *p, store_total_t *out, char err[ERR_LEN]);

/** The region's own report and each child's total over @p p, read in one
 *  snapshot, so own + sum(children) == store_total() of the region.
 *  @param[out] children  Array of *n totals, in the catalog's child order
 *                        (catalog_region(..)->children); caller owns and
 *                        must free(). NULL with *n == 0 for a leaf. */
int store_breakdown(store_t *self, const char *indicator, uint32_t region,
                    const period_t *p, store_total_t *own,
                    store_total_t **children, size_t *n, char err[ERR_LEN]);

/** One point of a series. */
typedef struct store_point {
    period_t period;
    store_total_t total;
} store_point_t;

/** One total per month, quarter or year (@p by) covering @p range.
 *  @param[out] points  Array of *n points; caller owns and must free().
 *  Limited to 1200 points (ERR_INVAL beyond). */
int store_series(store_t *self, const char *indicator, uint32_t region,
                 const period_t *range, enum period_kind by,
                 store_point_t **points, size_t *n, char err[ERR_LEN]);

/** The current value of one cell. @return ERR_OK, ERR_NOTFOUND. */
int store_get(store_t *self, const char *indicator, uint32_t region,
              int32_t month, value_t *out, char err[ERR_LEN]);

/** One accepted update, as kept in the audit trail. Strings borrowed;
 *  valid during the callback only. */
typedef struct store_revision {
    uint64_t audit_id;
    int64_t received_at;
    const char *reporter;
    uint64_t seq;
    const char *indicator;
    uint32_t region;
    int32_t month;
    uint64_t prev_id;   /**< the cell's previous revision, 0 for none */
    int has_old;
    value_t old_value;
    value_t new_value;
} store_revision_t;

/** Callbacks return 0 to go on, nonzero to stop the iteration. */
typedef int (*store_revision_fn)(const store_revision_t *rev, void *arg);

/** Every revision of one cell, oldest first. */
int store_history(store_t *self, const char *indicator, uint32_t region,
                  int32_t month, store_revision_fn fn, void *arg,
                  char err[ERR_LEN]);

/** The whole audit trail from @p from_id on, in order of acceptance. */
int store_audit(store_t *self, uint64_t from_id, store_revision_fn fn,
                void *arg, char err[ERR_LEN]);

/** A rejected update. Strings borrowed; valid during the callback. */
typedef struct store_rejected {
    uint64_t id;
    int64_t received_at;
    const char *reporter;
    uint64_t seq;
    const char *indicator;
    uint32_t region;
    uint32_t yyyymm;
    value_t value;
    enum update_reason reason;
    const char *message;
} store_rejected_t;

typedef int (*store_rejected_fn)(const store_rejected_t *rej, void *arg);

/** Rejections received at or after @p since (unix seconds), oldest first:
 *  each reporter's newest max_rejections (store_opts_t). */
int store_rejections(store_t *self, int64_t since, store_rejected_fn fn,
                     void *arg, char err[ERR_LEN]);

/** A reporter's delivery state. */
typedef struct store_reporter {
    const char *id;          /**< borrowed; valid during the callback */
    uint64_t next_seq;
    int64_t first_seen;
    int64_t last_contact;
    uint64_t applied;
    uint64_t rejected;
} store_reporter_t;

typedef int (*store_reporter_fn)(const store_reporter_t *rep, void *arg);

int store_reporters(store_t *self, store_reporter_fn fn, void *arg,
                    char err[ERR_LEN]);

/** Next expected sequence number of @p reporter (1 if never seen). */
int store_next_seq(store_t *self, const char *reporter, uint64_t *next,
                   char err[ERR_LEN]);

/** An "of which" figure larger than its parent for the same region and
 *  month. Strings borrowed from the catalog. */
typedef struct store_violation {
    const char *indicator;  /**< the "of which" indicator */
    const char *parent;     /**< the indicator it is part of */
    uint32_t region;
    int32_t month;
    int64_t value;
    int64_t parent_value;
} store_violation_t;

typedef int (*store_violation_fn)(const store_violation_t *v, void *arg);

/** Current violations, optionally limited to months inside @p p (NULL: all)
 *  and to regions at or below @p region (0: all). */
int store_violations(store_t *self, const period_t *p, uint32_t region,
                     store_violation_fn fn, void *arg, char err[ERR_LEN]);

/** One outlier test's statistics (store/outlier.h has the rule): points
 *  below 3 means the test was not applied. Plain value struct. */
typedef struct store_outlier_test {
    unsigned points;
    double median;
    double mad;
    double z;      /**< 0.6745 (value - median) / mad; +-inf when mad 0 */
} store_outlier_test_t;

/** A figure flagged against its own cell's history when it was stored.
 *  Strings borrowed from the catalog. */
typedef struct store_outlier {
    const char *indicator;
    uint32_t region;
    int32_t month;
    unsigned reasons;   /**< bits: 1 same month of earlier years, 2 the
                             last 12 months, 4 outside the hand-set
                             bounds */
    double value;       /**< a count, or numerator / denominator */
    store_outlier_test_t seasonal;
    store_outlier_test_t recent;
    int has_min, has_max; /**< with reason 4: the bounds it broke */
    double min, max;
} store_outlier_t;

typedef int (*store_outlier_fn)(const store_outlier_t *o, void *arg);

/** Flagged figures in months inside @p p (NULL: all), at or below
 *  @p region (0: all), in key order (indicator, region, month). A store
 *  from before the outliers table, opened read-only, has none. */
int store_outliers(store_t *self, const period_t *p, uint32_t region,
                   store_outlier_fn fn, void *arg, char err[ERR_LEN]);

/** One row of store_reconcile(): a reporter's updates of one region and
 *  month (raw values for rejected invalid ones). Plain value struct. */
typedef struct store_recon_row {
    char reporter[STORE_REPORTER_MAX + 1];
    uint32_t region;   /**< GB/T code as the updates carried it */
    uint32_t yyyymm;   /**< as they carried it */
    uint64_t accepted; /**< applied (replays not counted) */
    uint64_t rejected;
} store_recon_row_t;

/** A listed reporter whose `reporters` counter of rejections is above
 *  what the tally holds: rejections trimmed (--max-rejections) before
 *  the tally existed, which no count can recover. */
typedef struct store_recon_lost {
    char reporter[STORE_REPORTER_MAX + 1];
    uint64_t counted;  /**< reporters' rejected */
    uint64_t tallied;  /**< the tally's rejected, over every region, month */
    int shown;         /**< internal: the reporter has rows */
} store_recon_lost_t;

/** What store_reconcile() found. Owns its arrays: store_recon_fini(). */
typedef struct store_recon {
    store_recon_row_t *rows; /**< by region, month, reporter */
    size_t n;
    store_recon_lost_t *lost;
    size_t n_lost;
} store_recon_t;

/** Per reporter, region and month, the updates accepted and rejected
 *  (the tally table, tally.h), for regions at or below @p region (0: all)
 *  and months in @p p (NULL: all, the invalid ones too); a listed
 *  reporter's rows under regions the catalog does not know come too.
 *  @return ERR_OK; ERR_NOTFOUND (@p region unknown); ERR_VERSION (a store
 *          opened read-only that has no tally yet: start the collector
 *          once); a read failure. @p err says why; @p out empty then. */
int store_reconcile(store_t *self, uint32_t region, const period_t *p,
                    store_recon_t *out, char err[ERR_LEN]);

/** Free @p r's arrays and zero it. */
void store_recon_fini(store_recon_t *r);

/** A current value. Strings borrowed; valid during the callback. */
typedef struct store_fact {
    const char *indicator;
    uint32_t region;
    int32_t month;
    value_t value;
    int64_t received_at;
} store_fact_t;

typedef int (*store_fact_fn)(const store_fact_t *f, void *arg);

/** Every current value in (indicator, region, month) order, optionally
 *  limited to months in [from, to] (month indexes; pass INT32_MIN and
 *  INT32_MAX for all). */
int store_facts(store_t *self, int32_t from, int32_t to, store_fact_fn fn,
                void *arg, char err[ERR_LEN]);

/** store_facts() from the first fact at or after (@p indicator,
 *  @p region, @p month) in its order: one seek, so a page deep in the
 *  list costs no more than the first (the query server's pages). The
 *  position need not name a fact, nor a catalog code. */
int store_facts_from(store_t *self, const char *indicator, uint32_t region,
                     int32_t month, int32_t from, int32_t to,
                     store_fact_fn fn, void *arg, char err[ERR_LEN]);

/** Called once per region by store_reported(): @p reported holds one
 *  byte per catalog indicator (catalog order), 1 when the region itself
 *  has a fact of it in the period. For a period of one month,
 *  @p first_at holds per indicator the collector's time (unix seconds)
 *  of the cell's first report, its oldest audit record's received_at, so
 *  that a revision changes nothing (0: not reported); for a longer
 *  period it is NULL. Both borrowed for the call. @return 0 to go on,
 *  nonzero to stop. */
typedef int (*store_reported_fn)(uint32_t region,
                                 const unsigned char *reported,
                                 const int64_t *first_at, void *arg);

/** Which indicators each of @p regions (catalog codes, in the order
 *  given) reported itself (its own facts, not those below it) in @p p,
 *  and for one month when each was first reported (its audit chain
 *  followed back to its first record), all read in ONE transaction, so
 *  the answer is one snapshot. Memory: nine bytes per indicator,
 *  whatever the store's size.
 *  @return ERR_OK, ERR_NOTFOUND (a code not in the catalog; @p err
 *          says which), ERR_CORRUPT, ERR_IO. */
int store_reported(store_t *self, const uint32_t *regions, size_t n,
                   const period_t *p, store_reported_fn fn, void *arg,
                   char err[ERR_LEN]);

/** Pin one snapshot for this thread: every later read of this thread on
 *  @p self (every function above that reads) is answered from it, pages
 *  of a list included, until store_unpin(); other threads are not
 *  affected. For a process that asks several questions and wants them to
 *  agree (hrssctl --data-dir). A pin holds LMDB's snapshot, so a writer
 *  elsewhere cannot reuse its pages while it lasts: pin for one run.
 *  No-op when this thread already pinned @p self. While pinned, this
 *  thread must not grow the map (store_apply() needing more room
 *  would wait for the pin forever).
 *  @return ERR_OK, ERR_INVAL (this thread pinned another store), or
 *          what beginning a transaction failed with (@p err says). */
int store_pin(store_t *self, char err[ERR_LEN]);

/** End this thread's pin of @p self; no-op when there is none. Call
 *  before store_close(). */
void store_unpin(store_t *self);

/** Give back the store's pages this process has mapped: they leave its
 *  resident size (the kernel's page cache keeps them; a later read maps
 *  them again). For a long-lived process after a read that touched much
 *  of the store (the collector's query thread after a large answer).
 *  Callable from any thread; changes nothing in the store.
 *  @return ERR_OK, or ERR_IO with @p err set. */
int store_release_pages(store_t *self, char err[ERR_LEN]);

/** Recompute every aggregate and violation from the facts and compare
 *  with what is stored. @return ERR_OK when they agree, ERR_CORRUPT with
 *  the first difference in @p err. For tests; needs a writable store. */
int store_verify(store_t *self, char err[ERR_LEN]);

/** What store_check() looked at. Plain value struct. */
typedef struct store_check_counts {
    uint64_t records;        /**< records read, in every table */
    uint64_t problems;       /**< problems reported */
    int derived_checked;     /**< 1 when every aggregate and violation
                                  was compared with a recomputation */
} store_check_counts_t;

/** Called with one line per problem: "FILE: table T, key K: why". */
typedef void (*store_problem_fn)(const char *line, void *arg);

/** Check the whole store offline: every record of every table (its
 *  checksum, its parse), the records that refer to each other (a fact
 *  and the audit record that set it, the history index and the audit
 *  trail, the rejection index and the rejections), and, when the facts
 *  are sound, every aggregate and violation against a recomputation.
 *  Writes nothing. Needs a store opened with store_opts_t.check (or
 *  writable): the recomputation uses a scratch transaction.
 *  @param fn  Called for each problem; the check goes on after it.
 *  @return ERR_OK (sound), ERR_CORRUPT (problems reported; @p err sums
 *          them up), or what stopped the check, with @p err set. */
int store_check(store_t *self, store_problem_fn fn, void *arg,
                store_check_counts_t *counts, char err[ERR_LEN]);

/** How much room the store takes. Plain value struct. */
typedef struct store_space {
    uint64_t used_bytes;    /**< pages in use: (last page + 1) * page size,
                                 as of the newest commit */
    uint64_t map_bytes;     /**< the LMDB map now; it doubles when full */
    uint64_t map_max_bytes; /**< the most the map may grow to (map_max):
                                 beyond it store_apply() fails ERR_FULL */
} store_space_t;

/** The store's size and its map, from LMDB's environment info (no
 *  transaction, no I/O). Callable from any thread: it holds txn_lock for
 *  reading, as a transaction does, so never during a map resize.
 *  @param[out] out  Zeroed on failure.
 *  @return ERR_OK, or ERR_IO with @p err set. */
int store_space(store_t *self, store_space_t *out, char err[ERR_LEN]);

/** Consistent hot copy of the store, compacted, as the new directory
 *  @p dest (DEST/data.mdb). Safe while another process writes, and while
 *  another thread writes through this store_t: a map growth waits for the
 *  copy.
 *
 *  @p dest's parent must exist and @p dest must not (a file, directory or
 *  symlink of that name is refused: ERR_INVAL). The copy is written in a
 *  temporary directory beside it (".NAME.tmp-XXXXXX"), synced, and
 *  renamed to @p dest only when whole; @p dest's name is claimed with an
 *  empty directory meanwhile. Modes, exactly: directory 0750, data.mdb
 *  0640. A relative @p dest is resolved against the process's working
 *  directory: callers that take names from a network check them first
 *  (store/query).
 *  @return ERR_OK; ERR_INVAL (exists, or names no new directory: empty,
 *          "." or ".."); ERR_IO; an LMDB failure's code. On failure
 *          nothing is left behind and @p err says why. */
int store_backup(store_t *self, const char *dest, char err[ERR_LEN]);

/* --- approvals (approve.c) ------------------------------------------------ */

/** A region's month: OPEN (figures may change), APPROVED (final at its
 *  level: locked), ACCEPTED (a city's approval taken by the province).
 *  The numbers are stored: never renumber. */
enum store_approval_state {
    STORE_OPEN = 0,
    STORE_APPROVED = 1,
    STORE_ACCEPTED = 2,
};

/** What an approver does; the numbers are stored: never renumber. */
enum store_approval_action {
    STORE_APPROVE = 0,
    STORE_UNAPPROVE = 1,
    STORE_ACCEPT = 2,
    STORE_UNACCEPT = 3,
    STORE_EXCEPT = 4,    /**< the province exempts a region's month from
                              the automatic lock (store_set_lock_after) */
    STORE_UNEXCEPT = 5,  /**< ... and withdraws it */
};

/** A region's month as approved (or not). Plain value struct. */
typedef struct store_approval {
    uint32_t region;
    int32_t month;                   /**< month index */
    enum store_approval_state state;
    char by[STORE_REPORTER_MAX + 1]; /**< who made it so ("" when OPEN) */
    int64_t at;                      /**< when (unix seconds; 0 when OPEN) */
    int exception;                   /**< 1: exempt from the automatic lock
                                          (STORE_EXCEPT) */
} store_approval_t;

/** One action of the approvals' audit trail. Plain value struct. */
typedef struct store_approval_event {
    uint64_t id;                     /**< in the order taken, from 1 */
    uint32_t region;
    int32_t month;
    enum store_approval_action action;
    char by[STORE_REPORTER_MAX + 1];
    int64_t at;
} store_approval_event_t;

/** An approver's request. Plain value struct; borrowed strings. */
typedef struct store_approval_req {
    enum store_approval_action action;
    uint32_t region;
    int32_t month;
    const char *by;                 /**< the approver's name, for the record
                                         (1..STORE_REPORTER_MAX printable
                                         bytes) */
    int64_t at;                     /**< unix seconds */
    const unsigned char *allowed;   /**< one byte per catalog region index:
                                         the regions the approver's scope
                                         covers; NULL: every region */
} store_approval_req_t;

/** Lock every month automatically @p days after its deadline (the
 *  catalog's, common/deadline.h) as reckoned at a batch's received_at:
 *  its updates are refused with UPDATE_PERIOD_LOCKED unless the
 *  province excepted that region's month (STORE_EXCEPT). 0: never.
 *  Call from the thread that writes, between store_apply() calls. */
void store_set_lock_after(store_t *self, int days);

/** Take @p rq's action on its region's month, by the rules of approve.c
 *  (a child before its parent, a city accepted by the province, a parent
 *  unapproved before its child), and log it, in one transaction.
 *  @param[out] out  The region's month afterwards (may be NULL).
 *  @return ERR_OK; ERR_DENIED (the scope does not cover the region, or
 *          the province for accept/unaccept), ERR_INVAL (a rule: says
 *          which region is in the way), ERR_NOTFOUND (unknown region),
 *          all with @p err set; or a store failure. */
int store_approval_act(store_t *self, const store_approval_req_t *rq,
                       store_approval_t *out, char err[ERR_LEN]);

/** @p region's @p month (OPEN when never approved). */
int store_approval_get(store_t *self, uint32_t region, int32_t month,
                       store_approval_t *out, char err[ERR_LEN]);

/** Called for each region in order; return non-zero to stop. */
typedef int (*store_approval_fn)(const store_approval_t *a, void *arg);

/** Each region of the subtree of @p under (0: the root) with its state
 *  for @p month, in catalog order (a region before those below it). */
int store_approvals(store_t *self, int32_t month, uint32_t under,
                    store_approval_fn fn, void *arg, char err[ERR_LEN]);

typedef int (*store_approval_event_fn)(const store_approval_event_t *e,
                                       void *arg);

/** Every action taken on @p month, oldest first. */
int store_approval_log(store_t *self, int32_t month,
                       store_approval_event_fn fn, void *arg,
                       char err[ERR_LEN]);

/** "open", "approved", "accepted"; "approve", "unapprove", "accept",
 *  "unaccept". Static strings. */
const char *store_approval_state_name(enum store_approval_state st);
const char *store_approval_action_name(enum store_approval_action a);

/* --- comments and follow-ups (comment.c) ------------------------------- */

/** Most bytes of a comment's text (UTF-8, no control character). */
#define STORE_COMMENT_MAX 500
/** Most comments one cell keeps: a cell's history carries them all. */
#define STORE_COMMENTS_PER_CELL 100

/** The mark a comment sets on its cell; the numbers are stored: never
 *  renumber. */
enum store_comment_mark {
    STORE_NOTE = 0,      /**< none: the mark stays as it was */
    STORE_FOLLOW_UP = 1, /**< marks the cell for follow-up */
    STORE_RESOLVE = 2,   /**< clears the mark (saying what was done) */
};

/** One comment on a cell (indicator, region, month). Plain value struct;
 *  @p indicator is borrowed from the store's catalog. */
typedef struct store_comment {
    const char *indicator;
    uint32_t region;
    int32_t month;                     /**< month index */
    uint64_t id;                       /**< in the cell, from 1 */
    int64_t at;                        /**< unix seconds */
    enum store_comment_mark mark;
    char by[STORE_REPORTER_MAX + 1];
    char text[STORE_COMMENT_MAX + 1];
} store_comment_t;

/** A comment to add. Plain value struct; borrowed strings. */
typedef struct store_comment_req {
    const char *indicator;          /**< a catalog code */
    uint32_t region;
    int32_t month;
    const char *text;               /**< 1..STORE_COMMENT_MAX bytes of
                                         clean text (common/text) */
    enum store_comment_mark mark;
    const char *by;                 /**< who (codec_reporter_valid) */
    int64_t at;                     /**< unix seconds */
    const unsigned char *allowed;   /**< one byte per catalog region index:
                                         the regions the author's scope
                                         covers; NULL: every region */
} store_comment_req_t;

/** Add @p rq's comment to its cell, and set or clear the cell's mark, in
 *  one transaction. A cell is marked by one comment and resolved by a
 *  later one: STORE_FOLLOW_UP on a marked cell, or STORE_RESOLVE on one
 *  that is not, is refused.
 *  @param[out] out  The comment as stored (may be NULL).
 *  @return ERR_OK; ERR_INVAL (empty, too long or unclean text, a mark the
 *          cell cannot take, the cell's comments full, a read-only
 *          store), ERR_DENIED (the scope does not cover the region),
 *          ERR_NOTFOUND (unknown indicator or region), all with @p err
 *          set and nothing written; or a store failure. */
int store_comment_add(store_t *self, const store_comment_req_t *rq,
                      store_comment_t *out, char err[ERR_LEN]);

typedef int (*store_comment_fn)(const store_comment_t *c, void *arg);

/** The comments of one cell, oldest first (none in a store from before
 *  comments). Return non-zero from @p fn to stop. */
int store_comments(store_t *self, const char *indicator, uint32_t region,
                   int32_t month, store_comment_fn fn, void *arg,
                   char err[ERR_LEN]);

/** A cell marked for follow-up. Plain value struct. */
typedef struct store_followup {
    store_comment_t marked;  /**< the comment that marked it */
    store_comment_t newest;  /**< the cell's newest comment */
} store_followup_t;

typedef int (*store_followup_fn)(const store_followup_t *f, void *arg);

/** The cells marked for follow-up now, in key order (indicator, region,
 *  month), with a month in @p p (NULL: any) and a region within
 *  @p under (0: any). Return non-zero from @p fn to stop.
 *  @return ERR_OK, ERR_NOTFOUND (unknown @p under), or a store failure. */
int store_followups(store_t *self, const period_t *p, uint32_t under,
                    store_followup_fn fn, void *arg, char err[ERR_LEN]);

/** "note", "follow-up", "resolve". Static strings. */
const char *store_comment_mark_name(enum store_comment_mark m);

/* --- the audit chain (chain.c, chain_verify.c) ------------------------ */

/** The audit chain's head. Plain value struct. */
typedef struct store_chain_head {
    int present;                 /**< 0: a store from before the chain,
                                      opened read-only */
    uint64_t position;           /**< its length: 0 when empty */
    uint8_t head[STORE_HASH_LEN]; /**< the last link's hash (zeros: none) */
    int64_t at;                  /**< the time of the last record it covers
                                      (unix seconds; 0: none) */
    uint64_t built_over;         /**< positions 1..built_over were chained
                                      by a writable open over records
                                      already stored (a store from before
                                      the chain, or one whose chain table
                                      was lost): they are vouched for only
                                      from then on; 0: every record was
                                      chained as it was written */
} store_chain_head_t;

/** The chain's length and head, in one read snapshot. */
int store_chain_head(store_t *self, store_chain_head_t *out,
                     char err[ERR_LEN]);

/** One line of a receipts file: what the collector acked to an agent.
 *  Plain value struct; strings borrowed. */
typedef struct store_receipt {
    uint64_t position;
    uint8_t head[STORE_HASH_LEN];
    unsigned long line;      /**< in the file, for messages */
    const char *reporter;    /**< may be "" */
    const char *acked_at;    /**< as written; may be "" */
} store_receipt_t;

/** What store_audit_verify() is to check besides the store itself. */
typedef struct store_audit_opts {
    long tz;                          /**< times in messages: seconds east
                                           of UTC */
    const store_receipt_t *receipts;  /**< borrowed; may be NULL */
    size_t n_receipts;
} store_audit_opts_t;

/** What store_audit_verify() looked at. Plain value struct. */
typedef struct store_audit_counts {
    uint64_t links;           /**< chain positions read: one per record
                                 a link covers */
    uint64_t chain_records;   /**< links (chain table records) read: one
                                 per run of at most 240 records written
                                 by one transaction */
    uint64_t records;         /**< records of audit, approvals_log and
                                 comments */
    uint64_t facts;           /**< facts matched to their audit record */
    uint64_t problems;        /**< problems reported */
    uint64_t receipts;        /**< distinct receipts checked */
    uint64_t position;        /**< the chain's length */
    uint8_t head[STORE_HASH_LEN]; /**< its head as stored */
    int chain_present;
    int derived_checked;      /**< aggregates compared with a
                                   recomputation */
} store_audit_counts_t;

/** Recompute the audit chain from position 1 (each link's hash, the
 *  record it covers), check that every record of audit, approvals_log and
 *  comments is in it exactly once, that each fact is its cell's newest
 *  audit record's value, and that the aggregates are what the facts make
 *  (verify_derived_txn); then each receipt against the chain. Each
 *  problem is one line to @p fn, naming the chain position and the record
 *  in words. Writes nothing. Needs a store opened with
 *  store_opts_t.check (or writable): the recomputation of the aggregates
 *  uses a scratch transaction.
 *  @return ERR_OK (all holds), ERR_CORRUPT (problems; @p err sums them
 *          up), or what stopped it, with @p err set. */
int store_audit_verify(store_t *self, const store_audit_opts_t *o,
                       store_problem_fn fn, void *arg,
                       store_audit_counts_t *counts, char err[ERR_LEN]);

#endif
