/** @file env.h
 *  @brief Internal to store/: the store's LMDB environment. Holds the
 *         definition of struct store (opaque outside store/) and the
 *         transaction discipline every store file follows.
 *
 *  Concern: the environment and its transactions. env.c opens and closes
 *  the store (store_open, store_close), checks the format and the rules
 *  fingerprint, begins and ends transactions under txn_lock, grows the map
 *  and makes backups. The other files of store/ reach LMDB only through a
 *  transaction begun here.
 *
 *  Owns: the MDB_env, the database handles, txn_lock. The catalog is
 *  borrowed from store_open()'s caller.
 *
 *  Threads: any number of transactions may be open at once, each holding
 *  txn_lock for reading; mdb_env_set_mapsize() runs holding it for writing,
 *  so never while a transaction (or a backup's hidden one) of this process
 *  is open (LIBRARY-NOTES). Writes come from one thread at a time
 *  (store.h).
 *
 *  INVARIANTS
 *    1. magic == STORE_MAGIC from the end of store_open() until
 *       store_close() overwrites it.
 *    2. 0 < map_size <= map_max.
 *    3. open_txns counts the transactions and backups holding txn_lock for
 *       reading; it is 0 whenever the map is resized.
 *    4. The database handles were opened in one committed transaction at
 *       store_open() and never change.
 *    5. A store whose meta "format" is not STORE_FORMAT is never opened
 *       (a writable open first upgrades formats 1 and 2), and a
 *       read-only or check one only with the catalog its aggregates were
 *       built for (meta "rules_fp"); a writable open rebuilds them.
 *    6. rejby is opened (created if missing) by writable opens only, and
 *       when such an open returns, it indexes every rejection and no
 *       reporter has more than max_rejections (write_reindex()). Readers
 *       never use it, so a store from before it opens read-only as ever.
 *    7. A store is created (format key written) only in an environment
 *       lmdbh_env_open() made or found never committed to; a data.mdb
 *       that is missing beside lock.mdb, empty, truncated or without the
 *       format key is refused at open, before any page is read.
 *    8. has_outliers is 1 after every writable open (the table is
 *       created if missing); a read-only or check open of a store from
 *       before the table has 0 and reads no outliers (an empty list).
 */
#ifndef HRSS_STORE_ENV_H
#define HRSS_STORE_ENV_H
#include <lmdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "common/err.h"
#include "common/update.h"
#include "store/store.h"

#define STORE_MAGIC 0x53544f52u /* "STOR" */
#define STORE_DEAD 0xDEADBEEFu

struct store {
    uint32_t magic;              /* INVARIANT 1 */
    MDB_env *env;
    char file[512];              /* DIR/data.mdb, for messages */
    MDB_dbi meta, facts, audit, rejects, reporters, agg, viol;
    MDB_dbi rejby;               /* writable opens only (INVARIANT 6) */
    const store_ranges_t *ranges; /* store_set_ranges(); NULL: none */
    int lock_after_days;          /* store_set_lock_after(); 0: never */
    MDB_dbi exceptions;           /* lock.c; 0 likewise */
    MDB_dbi approvals, approvals_log; /* 0 when absent: a read-only open
                                         of a store from before them */
    MDB_dbi outliers;            /* valid iff has_outliers (INVARIANT 8) */
    int has_outliers;
    MDB_dbi comments, followups; /* comment.c; 0 likewise */
    MDB_dbi tally;               /* tally.c; 0 likewise */
    MDB_dbi chain;               /* chain.c; valid iff has_chain */
    int has_chain;               /* 1 after every writable open; 0 for a
                                    read-only or check open of a store
                                    from before the chain */
    size_t max_rejections;       /* >= 1 */
    const catalog_t *cat;        /* borrowed; outlives the store */
    int readonly;
    int check;                   /* store_opts_t.check */
    unsigned upgraded_from;      /* the old format, once upgraded; or 0 */
    size_t map_size;             /* current map size (INVARIANT 2) */
    size_t map_max;
    pthread_rwlock_t txn_lock;
    atomic_int open_txns;        /* INVARIANT 3 */
    /* asof.c: the last as-of view a thread ended, kept for the next
     * question as of the same moment on the same snapshot (a progress
     * asks 19 totals); store_close() frees it. */
    pthread_mutex_t asof_mu;
    struct asof *asof_cache;     /* under asof_mu; NULL: none */
    atomic_ulong asof_builds;    /* views built, for tests */
};

/** (asof.c) Free the kept as-of view of @p s, if any. */
void asof_cache_free(store_t *s);

#ifndef NDEBUG
/** Debug builds only: assert the invariants of a live store_t (above) and
 *  return 1, for `assert(store_check_invariants(s))` at every public
 *  entry point of store/. Reads nothing from disk. */
int store_check_invariants(const store_t *s);
#endif

/** Begin a transaction (@p flags: 0 or MDB_RDONLY) holding txn_lock for
 *  reading. Follows the map when another process grew it
 *  (MDB_MAP_RESIZED) and frees dead readers' slots on MDB_READERS_FULL.
 *  @param[out] txn  The transaction; NULL on failure.
 *  @return ERR_OK or an ERR_* code with @p err set. End it with
 *          env_txn_abort() or env_txn_commit(), in the same thread. */
int env_txn_begin(store_t *s, unsigned flags, MDB_txn **txn,
                  char err[ERR_LEN]);

/** Abort *@p txn (if not NULL), release txn_lock and set it to NULL. */
void env_txn_abort(store_t *s, MDB_txn **txn);

/** Commit *@p txn, release txn_lock and set it to NULL.
 *  @return ERR_OK, or ERR_FULL (the map filled at commit) or another code
 *          with "@p what: reason" in @p err. */
int env_txn_commit(store_t *s, MDB_txn **txn, const char *what,
                   char err[ERR_LEN]);

/** (approve.c) *@p locked = 1 when @p region's @p month is approved (or
 *  accepted) in @p txn, so that its figures may not change; @p kb is
 *  scratch. */
int store_locked_txn(const store_t *s, MDB_txn *txn, buf_t *kb,
                     uint32_t region, int32_t month, int *locked);

/** (lock.c) *@p has = 1 when the province excepted @p region's @p month
 *  from the automatic lock. */
int store_exception_txn(const store_t *s, MDB_txn *txn, buf_t *kb,
                        uint32_t region, int32_t month, int *has);

/** (lock.c) The checks and writes of STORE_EXCEPT and STORE_UNEXCEPT in
 *  @p txn (approve.c's act_once calls it): the scope must cover the
 *  root; granting one twice, or withdrawing one there is not, is
 *  ERR_INVAL. Logs the action. */
int store_exception_act(store_t *s, MDB_txn *txn, buf_t *kb, buf_t *vb,
                        const store_approval_req_t *rq,
                        store_approval_t *out, char err[ERR_LEN]);

/** (lock.c) With the automatic lock on: when @p cell (of @p region)
 *  received at @p received_at is past its deadline plus the lock's days
 *  and has no exception, write why into @p msg ("period: ..."); else
 *  leave @p msg as it is. */
int store_lock_txn(const store_t *s, MDB_txn *txn, buf_t *kb,
                   const update_cell_t *cell, uint32_t region,
                   int64_t received_at, char msg[STORE_MSG_LEN]);

/** (list.c) Called by store_scan() with each record, unsealed: parse it
 *  and call back; return ERR_OK to go on, 1 to stop, < 0 on error. */
typedef int (*store_scan_fn)(const MDB_val *k, const MDB_val *d, void *ctx);

/** (list.c) Iterate table @p dbi (named @p table for messages) from key
 *  @p start on (NULL: the first) in one read snapshot, each record's seal
 *  checked before @p each sees it. @return ERR_OK, or the first error
 *  with "TABLE: ..." in @p err. */
int store_scan(store_t *s, MDB_dbi dbi, const char *table,
               const buf_t *start, store_scan_fn each, void *ctx,
               char err[ERR_LEN]);

/** (approve.c) Append @p rq to approvals_log in @p txn. */
int store_approval_log_put(store_t *s, MDB_txn *txn, buf_t *kb, buf_t *vb,
                           const store_approval_req_t *rq);

/** (comment.c) Open the comments' tables: created by a writable open
 *  (@p flags MDB_CREATE); absent from an older store opened otherwise,
 *  left 0 (no comments). */
int comment_open_dbs(store_t *s, MDB_txn *txn, unsigned flags,
                     char err[ERR_LEN]);

/** (approve.c) Parse an approvals_log record, unsealed (store/asof.c
 *  undoes the actions after a moment). @return ERR_OK or ERR_CORRUPT. */
/** (approve.c) Parse an approvals record (check.c). @return ERR_OK or
 *  ERR_CORRUPT. */
int store_approval_rec_parse(const MDB_val *k, const MDB_val *d,
                             store_approval_t *a);

/** (lock.c) Whether an exceptions record parses (check.c). @return ERR_OK
 *  or ERR_CORRUPT. */
int store_exception_rec_parse(const MDB_val *k, const MDB_val *d);

/** (comment.c) Whether a comments record, or a followups record, parses
 *  (check.c); a comment's indicator need not be in @p cat. @return ERR_OK
 *  or ERR_CORRUPT. */
int comment_rec_parse(const catalog_t *cat, const MDB_val *k,
                      const MDB_val *d);
int followup_rec_parse(const MDB_val *k, const MDB_val *d);

int store_approval_log_parse(const MDB_val *k, const MDB_val *d,
                             store_approval_event_t *e);

/** (approve.c) *@p any = 1 when @p txn's approvals table has a record:
 *  0 for an empty table or a store from before it (every month open). */
int store_approvals_any(const store_t *s, MDB_txn *txn, int *any);

/** (approve.c) *@p all = 1 when every month @p from..@p to of @p region
 *  is approved or accepted in the approvals table, read through @p cur
 *  (a cursor on it in the caller's transaction: one seek and at most
 *  to - from + 1 records, each unsealed and parsed). @p kb is scratch.
 *  @return ERR_OK, ERR_CORRUPT (noted), LMDB failures. */
int store_approved_span(const store_t *s, MDB_cursor *cur, buf_t *kb,
                        uint32_t region, int32_t from, int32_t to,
                        int *all);

/** (write.c) Bring the rejby index up to date in a transaction of its
 *  own, growing the map as store_apply() does: index the rejections
 *  written since meta "rejidx_next" (all of them in a store from before
 *  the index, or those an older program wrote), then trim every reporter
 *  to max_rejections. Commits only when something changed.
 *  @return ERR_OK, or an ERR_* code with @p err set (nothing kept). */
int write_reindex(store_t *s, char err[ERR_LEN]);

/** (upgrade.c) In the opening transaction @p txn of a writable open of a
 *  format-1 store: seal every record of facts, audit, cellhist, rejects
 *  and reporters, empty rejby, remove meta rules_fp and rejidx_next and
 *  write format 2. The caller then runs upgrade_format2().
 *  @return ERR_OK, ERR_FULL (grow and replay), another code with @p err. */
int upgrade_format1(store_t *s, MDB_txn *txn, char err[ERR_LEN]);

/** (upgrade.c) In the opening transaction @p txn of a writable open of a
 *  format-2 store: rewrite every fact and audit record as format 3 (the
 *  audit records chained through cellhist's order), delete cellhist and
 *  write format STORE_FORMAT. The caller then writes rules_fp and
 *  rebuilds agg and violations; write_reindex() remakes rejby.
 *  @return ERR_OK, ERR_FULL (grow and replay), another code with @p err
 *          (ERR_CORRUPT naming a damaged record). */
int upgrade_format2(store_t *s, MDB_txn *txn, char err[ERR_LEN]);

/** (verify.c) In write transaction @p txn (which the caller aborts):
 *  recompute the aggregates and violations from the facts into scratch
 *  databases and compare them with the stored ones. @return ERR_OK when
 *  byte-identical, ERR_CORRUPT with the first difference in @p err, or
 *  the failure that stopped it. */
int verify_derived(store_t *s, MDB_txn *txn, char err[ERR_LEN]);

/** (verify.c) verify_derived() in a write transaction of its own, always
 *  aborted, grown and replayed while the scratch tables fill the map (up
 *  to map_max). Call with no transaction of this thread open. */
int verify_derived_txn(store_t *s, char err[ERR_LEN]);

/** Double the map, at most to map_max; call with no transaction of this
 *  thread open. @return ERR_OK, ERR_FULL (already at map_max; @p err
 *  says so), or the LMDB failure. */
int env_grow_map(store_t *s, char err[ERR_LEN]);

#endif
