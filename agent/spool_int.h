/** @file spool_int.h
 *  @brief Internal to the spool (agent/spool*.c): struct spool, the record
 *         layout and its seals, and the messages that name damage.
 *
 *  The spool is one module in several files, split along its seams:
 *    spool.c          opening (writable or read-only), the format, close,
 *                     the identity, sources, stats
 *    spool_rec.c      bytes: keys, records, seals, and the one message
 *                     format for a damaged record (this header's functions)
 *    spool_queue.c    append, read, ack, rebase, rejections
 *    spool_upgrade.c  format 1 -> 2 in place, at a writable open
 *    spool_cells.c    the cells ever queued and when first (spool_cells)
 *    spool_verify.c   the whole-file walk of `hrss-agent check`
 *
 *  Owns: what struct spool owns (spool.h). Every function here borrows
 *  the caller's transaction and values; MDB_val results are borrowed until
 *  the transaction ends or writes.
 *
 *  INVARIANTS
 *    1. sealed is 1 for every writable handle (a writable open leaves the
 *       spool in format 2) and for a read-only handle of a format-2
 *       spool; 0 only for a read-only handle of a format-1 spool.
 *    2. With sealed set, no value but meta "format" is parsed before
 *       spool_unseal() accepted it; no value is read at all when it is
 *       larger than SPOOL_REC_MAX.
 *    3. Every ERR_CORRUPT these functions return comes with a message
 *       "spool FILE: table T, KEY: what" (spool_damage()).
 */
#ifndef HRSS_SPOOL_INT_H
#define HRSS_SPOOL_INT_H
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/spool.h"
#include "common/buf.h"
#include "common/err.h"

#define SPOOL_FORMAT 2u  /* what writable opens leave */
#define SPOOL_FORMAT_1 1u /* unsealed: read read-only, upgraded writable */
#define SPOOL_KEY_V1 0x01
#define SPOOL_REC_V1 0x01
#define SPOOL_MAGIC 0x53504f4fu /* "SPOO" */
#define SPOOL_DEAD 0xDEADBEEFu

/** Larger than any value the spool writes (a rejection with its update is
 *  under 400 bytes): a bigger one is damage, refused before its bytes
 *  are read (a damaged size could point past the end of the file). */
#define SPOOL_REC_MAX 1024u

/** The spool's tables, in the order `check` walks them. */
enum spool_table {
    SPOOL_T_META,
    SPOOL_T_QUEUE,
    SPOOL_T_REJECTS,
    SPOOL_T_SOURCES,
    SPOOL_T_N,
    /* Not walked by `check` (spool_verify) nor by the format-1 upgrade:
     * came after format 2 without a bump (spool_receipts.c). */
    SPOOL_T_RECEIPTS = SPOOL_T_N
};

struct spool {
    uint32_t magic;    /* SPOOL_MAGIC while open */
    MDB_env *env;
    char *notify_path; /* DIR/SPOOL_NOTIFY_FILE */
    char *file;        /* DIR/data.mdb: every damage message names it */
    MDB_dbi dbi[SPOOL_T_N + 1]; /* + SPOOL_T_RECEIPTS */
    int have_receipts; /* the receipts table exists (always when writable;
                          a read-only open of an older spool: 0) */
    int readonly;
    int sealed;        /* INVARIANT 1 */
    unsigned format;   /* as found at open (1 or 2); 2 after an upgrade */
    size_t max_bytes;  /* the map: the spool's size limit */
};

/** "meta", "queue", "rejects", "sources", "receipts". */
const char *spool_table_name(enum spool_table t);

/** Key of the queue and rejects tables: KEY_V1, big-endian @p seq. */
void spool_key_seq(buf_t *b, uint64_t seq);

/** Parse a queue or rejects key. @return ERR_OK or ERR_CORRUPT. */
int spool_parse_seq(const MDB_val *k, uint64_t *seq);

/** How messages name key @p k of table @p t: "seq N" for the queue and
 *  rejects ("key \x01..." when it does not parse), "key NAME" otherwise
 *  (common/lmdbh's readable form). @return out. */
char *spool_key_text(enum spool_table t, const MDB_val *k, char *out,
                     size_t cap);

/** Write "spool FILE: table T, KEY: @p what" into @p err (KEY as
 *  spool_key_text() names @p k; "" leaves it out when @p k is NULL).
 *  @return ERR_CORRUPT. */
int spool_damage(const spool_t *s, enum spool_table t, const MDB_val *k,
                 const char *what, char err[ERR_LEN]);

/** spool_damage() with the key named by @p where ("after seq 2", "" for
 *  none). @return ERR_CORRUPT. */
int spool_damage_at(const spool_t *s, enum spool_table t, const char *where,
                    const char *what, char err[ERR_LEN]);

/** Seal @p v for key @p k when the handle writes format 2 (always, for a
 *  writable handle). */
void spool_seal(const spool_t *s, buf_t *v, const MDB_val *k);

/** What is wrong with value @p v of key @p k (the size limit, then the
 *  seal, which is cut when it holds): NULL when nothing, else a static
 *  text or @p buf. */
const char *spool_seal_problem(const spool_t *s, const MDB_val *k,
                               MDB_val *v, char *buf, size_t cap);

/** Check value @p v of key @p k in table @p t and cut its seal (a no-op
 *  on a format-1 read-only handle, but for the size limit).
 *  @return ERR_OK, or ERR_CORRUPT with spool_damage()'s message ("record
 *          of N bytes, more than any spool record", "checksum
 *          mismatch"); @p v untouched on failure. */
int spool_unseal(const spool_t *s, enum spool_table t, const MDB_val *k,
                 MDB_val *v, char err[ERR_LEN]);

/** Append the fields of @p u as a queue record holds them after its
 *  version byte (and a rejection after its has_update byte); the seq is
 *  the key's. */
void spool_put_update(buf_t *b, const spool_update_t *u);

/** Parse a queue record, key and unsealed value, into @p u.
 *  @return ERR_OK or ERR_CORRUPT (no message). */
int spool_parse_queued(const MDB_val *k, const MDB_val *d,
                       spool_update_t *u);

/** Parse a rejects record, key and unsealed value, into @p r.
 *  @return ERR_OK or ERR_CORRUPT (no message). */
int spool_parse_rejection(const MDB_val *k, const MDB_val *d,
                          spool_rejection_t *r);

/** spool_unseal() then spool_parse_queued(): the one way a queued update
 *  is read. @return ERR_OK or ERR_CORRUPT naming the seq ("checksum
 *  mismatch", "malformed record"). */
int spool_get_queued(const spool_t *s, const MDB_val *k, const MDB_val *d,
                     spool_update_t *u, char err[ERR_LEN]);

/** Read the meta counter @p name ("next_assign", "acked_next") in
 *  @p txn: a sealed u64, never 0, always present in format 2 (a format-1
 *  spool wrote them only once they moved: absent there is 1).
 *  @param[out] out  The value; 1 on failure.
 *  @return ERR_OK, ERR_CORRUPT with a message naming the key (damaged,
 *          missing), or the LMDB failure as ERR_* with "cannot read spool
 *          FILE: ...". */
int spool_meta_get(const spool_t *s, MDB_txn *txn, const char *name,
                   uint64_t *out, char err[ERR_LEN]);

/** Read the seen mark (meta "rejections_seen", a sealed u64) in @p txn.
 *  Absent is 0: spools made before the mark existed have none, and no
 *  rejection was shown then. @return ERR_OK, ERR_CORRUPT naming the key,
 *  or the LMDB failure as ERR_* with "cannot read spool FILE: ...". */
int spool_seen_get(const spool_t *s, MDB_txn *txn, uint64_t *out,
                   char err[ERR_LEN]);

/** Write the meta integer @p name (u64, sealed). @return ERR_OK or the
 *  LMDB failure as ERR_* (no message: the caller's commit says it). */
int spool_meta_put(const spool_t *s, MDB_txn *txn, const char *name,
                   uint64_t v);

/** Put @p v (sealed here) under @p k in table @p t with @p flags.
 *  @return ERR_OK or the LMDB failure as ERR_*. */
int spool_put(const spool_t *s, MDB_txn *txn, enum spool_table t,
              const MDB_val *k, buf_t *v, unsigned flags);

/** End a write transaction: commit it when @p rc is ERR_OK, else abort
 *  it; sets *@p txn to NULL. @return @p rc or the commit's, with the
 *  commit's LMDB code in *@p mrc (MDB_SUCCESS when none failed). */
int spool_finish(MDB_txn **txn, int rc, int *mrc);

/** "@p what: reason" for a failed write into @p err, unless @p rc is
 *  ERR_CORRUPT and @p err already says which record (spool_damage()): the
 *  commit's own reason when @p mrc says it failed, "the spool is full"
 *  for ERR_FULL, else the ERR_* text. @return @p rc. */
int spool_say(int rc, int mrc, const char *what, char err[ERR_LEN]);

/** The LMDB failure @p mrc as "@p what: reason" ("the spool is full" for
 *  MDB_MAP_FULL). @return its ERR_*. */
int spool_fail(int mrc, const char *what, char err[ERR_LEN]);

/** The LMDB code @p mrc of a read in table @p t as ERR_*, with a message
 *  in @p err: spool_damage()'s for the codes LMDB gives for a damaged
 *  file (MDB_CORRUPTED, MDB_PAGE_NOTFOUND: ERR_CORRUPT), else "cannot
 *  read spool FILE: reason". MDB_SUCCESS and MDB_NOTFOUND give ERR_OK
 *  and ERR_NOTFOUND and leave @p err alone. */
int spool_lmdb(const spool_t *s, enum spool_table t, int mrc,
               char err[ERR_LEN]);

/** Record, in @p txn, the first-queued time of each cell of @p u[0..n)
 *  that has none, and "cells:since" when absent (@p next: next_assign
 *  before this append; above 1, an older agent queued before without
 *  records). @return ERR_OK or the LMDB failure as ERR_*. */
int spool_cells_record(const spool_t *s, MDB_txn *txn,
                       const spool_update_t *u, size_t n, uint64_t next);

/** 1 when sources key @p k is a cell record's ("cell:..."). */
int spool_is_cell_key(const MDB_val *k);

/** Parse a cell record's key into @p c (first_at left 0).
 *  @return ERR_OK or ERR_CORRUPT (no message). */
int spool_parse_cell_key(const MDB_val *k, spool_cell_t *c);

/** Record in @p txn the receipt of the queued update @p k / @p d that an
 *  ack is deleting (spool_receipts.c): its outcome from @p rej[0..nrej)
 *  ("accepted" when its seq is not there), the ack's audit position and
 *  head from @p info (none when NULL). A queued record that cannot be
 *  read gets no receipt (the damage is the queue's to report). A no-op
 *  without the receipts table. @return ERR_OK or the LMDB failure. */
int spool_receipt_put(const spool_t *s, MDB_txn *txn, const MDB_val *k,
                      const MDB_val *d, const spool_rejection_t *rej,
                      size_t nrej, const spool_ackinfo_t *info);

/** Parse receipt @p k / @p d (unsealed) into @p r: the layout of
 *  spool_receipts.c, consumed exactly, and an outcome that is a name
 *  (not empty). @return ERR_OK or ERR_CORRUPT. */
int spool_parse_receipt(const MDB_val *k, const MDB_val *d,
                        spool_receipt_t *r);

/** Open (with @p flags MDB_CREATE, or 0) the receipts table in @p txn;
 *  sets have_receipts. Absent without MDB_CREATE is not an error.
 *  @return ERR_OK or the LMDB failure as ERR_*. */
int spool_receipts_open(spool_t *s, MDB_txn *txn, unsigned flags);

/** Format 1 -> 2 (spool_upgrade.c): seal every value of every table but
 *  meta "format" and set it to 2, in one transaction, growing the map
 *  when the transaction needs more room. Nothing is written on failure.
 *  @return ERR_OK, ERR_CORRUPT (the values are sealed already: "format"
 *          was damaged), ERR_FULL, ERR_IO; @p err says why. */
int spool_upgrade(spool_t *s, char err[ERR_LEN]);

#endif
