/* spool_cells.c: which cells (indicator, region, month) this spool ever
 * queued, and when first (spool.h spool_cells()).
 *
 * The queue forgets what the collector acknowledged, so `status` could
 * not tell a figure the office sent from one it never did. spool_append
 * therefore also records, in the same transaction, one record per cell
 * in the sources table:
 *
 *   "cell:IND:REGION:YYYYMM" -> V1 first_at:i64 (sealed)
 *   "cells:since"            -> V1 at:i64 (sealed): 0 when the spool
 *                               recorded every cell it ever queued, else
 *                               the time the first cell was recorded (the
 *                               spool had queued before, with an agent
 *                               that kept no cell records)
 *
 * Both have the layout of every sources record (V1 at:i64), so no format
 * bump: an older agent's `check` accepts them and its lookups of inbox
 * sources never meet them ("inbox:" keys). A spool without "cells:since"
 * that had queued before is one an older agent wrote: nothing is known
 * (since -1) until this version's first append.
 *
 * INVARIANTS
 *   1. A cell record, once written, is never changed: a re-submission
 *      keeps the first time (get before put, in the appending
 *      transaction).
 *   2. A cell record exists iff an update of that cell was queued by
 *      this version (same transaction as the queue record).
 *   3. "cells:since" is written once, by the first append that records
 *      cells, and never changed.
 */
#include "agent/spool_int.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/lmdbh.h"

#define CELL_PREFIX "cell:"
#define SINCE_KEY "cells:since"

/* "cell:IND:REGION:YYYYMM" of @p u into @p out. @return its length. */
static size_t cell_key(const char *ind, uint32_t region, uint32_t yyyymm,
                       char *out, size_t cap)
{
    int n = snprintf(out, cap, CELL_PREFIX "%s:%u:%u", ind, region, yyyymm);
    assert(n > 0 && (size_t)n < cap);
    return (size_t)n;
}

/* Parse an unsigned decimal of @p len bytes at @p s. @return 0 or -1. */
static int parse_u32(const char *s, size_t len, uint32_t *out)
{
    char tmp[16];
    if (len == 0 || len >= sizeof tmp || s[0] == '-' || s[0] == '+') {
        return -1;
    }
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    char *end = NULL;
    errno = 0;
    unsigned long v = strtoul(tmp, &end, 10);
    if (end != tmp + len || errno != 0 || v > UINT32_MAX) {
        return -1;
    }
    *out = (uint32_t)v;
    return 0;
}

int spool_parse_cell_key(const MDB_val *k, spool_cell_t *c)
{
    const char *s = k->mv_data;
    size_t len = k->mv_size;
    size_t pl = sizeof CELL_PREFIX - 1;
    memset(c, 0, sizeof *c);
    if (len <= pl || memcmp(s, CELL_PREFIX, pl) != 0) {
        return ERR_CORRUPT;
    }
    const char *ind = s + pl;
    const char *endp = s + len;
    const char *c1 = memchr(ind, ':', (size_t)(endp - ind));
    if (c1 == NULL || c1 == ind ||
        (size_t)(c1 - ind) > CATALOG_CODE_MAX) {
        return ERR_CORRUPT;
    }
    const char *reg = c1 + 1;
    const char *c2 = memchr(reg, ':', (size_t)(endp - reg));
    if (c2 == NULL || parse_u32(reg, (size_t)(c2 - reg), &c->region) != 0 ||
        parse_u32(c2 + 1, (size_t)(endp - c2 - 1), &c->yyyymm) != 0) {
        return ERR_CORRUPT;
    }
    for (const char *p = ind; p < c1; p++) {
        if (*p == '\0') {
            return ERR_CORRUPT;
        }
    }
    memcpy(c->indicator, ind, (size_t)(c1 - ind));
    return ERR_OK;
}

int spool_is_cell_key(const MDB_val *k)
{
    size_t pl = sizeof CELL_PREFIX - 1;
    return k->mv_size >= pl && memcmp(k->mv_data, CELL_PREFIX, pl) == 0;
}

/* Put V1 @p at under @p key unless a record is there (INVARIANT 1). */
static int put_once(const spool_t *s, MDB_txn *txn, const char *key,
                    size_t klen, int64_t at)
{
    MDB_val k = {klen, (void *)(uintptr_t)key};
    MDB_val d;
    int found = 0;
    int rc = lmdbh_get(txn, s->dbi[SPOOL_T_SOURCES], &k, &d, &found);
    if (rc != ERR_OK || found) {
        return rc;
    }
    buf_t v;
    buf_init(&v);
    buf_put_u8(&v, SPOOL_REC_V1);
    buf_put_i64(&v, at);
    rc = spool_put(s, txn, SPOOL_T_SOURCES, &k, &v, 0);
    buf_fini(&v);
    return rc;
}

int spool_cells_record(const spool_t *s, MDB_txn *txn,
                       const spool_update_t *u, size_t n, uint64_t next)
{
    if (n == 0) {
        return ERR_OK;
    }
    int64_t now = u[0].submitted_at > 0 ? u[0].submitted_at
                                        : (int64_t)time(NULL);
    /* INVARIANT 3: the first append that records cells says whether
     * anything was queued before it (next > 1: by an older agent). */
    int rc = put_once(s, txn, SINCE_KEY, sizeof SINCE_KEY - 1,
                      next > 1 ? now : 0);
    char key[CATALOG_CODE_MAX + 40];
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        size_t kl = cell_key(u[i].indicator, u[i].region, u[i].yyyymm, key,
                             sizeof key);
        rc = put_once(s, txn, key, kl,
                      u[i].submitted_at > 0 ? u[i].submitted_at : now);
    }
    return rc;
}

/* The V1 at:i64 of sources record @p k, checked. */
static int read_at(const spool_t *s, const MDB_val *k, MDB_val d,
                   int64_t *at, char err[ERR_LEN])
{
    int rc = spool_unseal(s, SPOOL_T_SOURCES, k, &d, err);
    if (rc != ERR_OK) {
        return rc;
    }
    buf_reader_t r;
    buf_reader_init(&r, d.mv_data, d.mv_size);
    int ok = buf_get_u8(&r) == SPOOL_REC_V1;
    *at = buf_get_i64(&r);
    if (!ok || !buf_done(&r)) {
        return spool_damage(s, SPOOL_T_SOURCES, k, "malformed record", err);
    }
    return ERR_OK;
}

/* "cells:since" in @p txn into *@p since (-1 when absent and the spool
 * queued before). */
static int since_get(const spool_t *s, MDB_txn *txn, int64_t *since,
                     char err[ERR_LEN])
{
    MDB_val k = {sizeof SINCE_KEY - 1, (void *)(uintptr_t)SINCE_KEY};
    MDB_val d;
    int found = 0;
    int rc = lmdbh_get(txn, s->dbi[SPOOL_T_SOURCES], &k, &d, &found);
    if (rc != ERR_OK) {
        return spool_say(rc, MDB_SUCCESS, "cannot read the spool", err);
    }
    if (found) {
        return read_at(s, &k, d, since, err);
    }
    uint64_t next = 1;
    rc = spool_meta_get(s, txn, "next_assign", &next, err);
    *since = next > 1 ? -1 : 0;
    return rc;
}

int spool_cells(spool_t *self, spool_cell_fn fn, void *arg, int64_t *since,
                char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    err[0] = '\0';
    *since = -1;
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn));
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot read spool %.300s: %s", self->file,
                 err_str(rc));
        return rc;
    }
    rc = since_get(self, txn, since, err);
    int mrc = MDB_SUCCESS;
    if (rc == ERR_OK) {
        mrc = mdb_cursor_open(txn, self->dbi[SPOOL_T_SOURCES], &cur);
    }
    MDB_val k = {sizeof CELL_PREFIX - 1, (void *)(uintptr_t)CELL_PREFIX};
    MDB_val d;
    if (rc == ERR_OK && mrc == MDB_SUCCESS) {
        mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS && spool_is_cell_key(&k)) {
        spool_cell_t c;
        if (spool_parse_cell_key(&k, &c) != ERR_OK) {
            rc = spool_damage(self, SPOOL_T_SOURCES, &k, "malformed key",
                              err);
            break;
        }
        rc = read_at(self, &k, d, &c.first_at, err);
        if (rc == ERR_OK && fn(&c, arg) != 0) {
            break;
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    if (rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        rc = spool_lmdb(self, SPOOL_T_SOURCES, mrc, err);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    mdb_txn_abort(txn);
    return rc;
}
