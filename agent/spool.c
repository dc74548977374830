/* spool.c: the agent's durable queue of numbered updates, in LMDB:
 * opening it (writable or read-only), its format, closing it, the agent
 * identity it is bound to, sources and stats.
 *
 * The spool is one module in several files (spool_int.h says which does
 * what); the layout of its records is in spool_rec.c. LMDB plumbing
 * (opening, code translation, id keys, seals) is common/lmdbh, shared with
 * the store.
 *
 * Formats: 2 seals every value but meta "format" (spool_rec.c). A
 * writable open of a format-1 spool upgrades it in place, in one
 * transaction, before it returns (spool_upgrade.c); a read-only open
 * reads either format as it is and writes nothing. Another format, or a
 * "format" value that is not an integer, is refused.
 *
 *   open ──(no format key, made by lmdbh: new)──> write format 2 ──> open
 *   open ──(format 1, writable)──> spool_upgrade() ──> format 2 ──> open
 *   open ──(format 1, read-only)──> open, unsealed reads (sealed = 0)
 *   open ──(format 2)──> open
 *   open ──(other format, or none in an old environment)──> refused
 *
 * INVARIANTS
 *   1. Every queued seq is < next_assign, and numbers are handed out
 *      consecutively in the transaction that queues the updates
 *      (asserted in spool_append and spool_rebase, spool_queue.c).
 *   2. No queued seq is < acked_next: an ack deletes what it covers in the
 *      same transaction that records it (asserted in spool_ack), and
 *      acked_next never decreases except by spool_rebase.
 *   3. A source key exists iff the updates of that source were queued
 *      (same transaction).
 *   4. An open spool_t has magic SPOOL_MAGIC, an environment, its notify
 *      path and its file name; spool_close() overwrites the magic
 *      (spool_check_invariants(), asserted at every public entry point).
 *      Nothing read from disk is asserted: bad records are ERR_CORRUPT.
 *   5. The format key is written only into an environment that
 *      lmdbh_env_open() made (or found never committed to); one that
 *      existed without it is refused, and lmdbh refuses a data.mdb that
 *      is missing beside lock.mdb, empty or truncated before any page is
 *      read (check_format, open_spool).
 *   6. A writable handle exists only for a format-2 spool (sealed = 1);
 *      a read-only handle never writes (spool_int.h INVARIANT 1).
 */
#include "agent/spool_int.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "common/perm.h"

#ifndef NDEBUG
int spool_check_invariants(const spool_t *self)
{
    assert(self != NULL);
    assert(self->magic == SPOOL_MAGIC);
    assert(self->env != NULL);
    assert(self->notify_path != NULL);
    assert(self->file != NULL);
    assert(self->readonly || self->sealed);
    return 1;
}
#endif

const char *spool_file(const spool_t *self)
{
    assert(spool_check_invariants(self));
    return self->file;
}

/* Check the format in @p txn and write it into a new spool (@p created:
 * lmdbh made the environment, nothing was ever in it). An environment
 * that existed before and has no format key is not a spool, or a damaged
 * one: refused, never taken for a new, empty one (INVARIANT 5). The
 * format value is the one value without a seal, so that every version
 * can tell which format a file is. */
static int check_format(spool_t *s, MDB_txn *txn, int created,
                        char err[ERR_LEN])
{
    uint64_t format = 0;
    int have = 0;
    int rc = lmdbh_meta_get(txn, s->dbi[SPOOL_T_META], "format", 0, &format,
                            &have);
    if (rc != ERR_OK) {
        MDB_val k = {6, (void *)(uintptr_t)"format"};
        return spool_damage(s, SPOOL_T_META, &k, "unreadable format value",
                            err);
    }
    if (!have && !created) {
        snprintf(err, ERR_LEN, "%.300s: not an hrss spool (no format key), "
                               "or a damaged one", s->file);
        return ERR_CORRUPT;
    }
    if (have && format != SPOOL_FORMAT && format != SPOOL_FORMAT_1) {
        snprintf(err, ERR_LEN, "spool %.300s has format %llu; this program "
                               "reads format %u (and upgrades format %u)",
                 s->file, (unsigned long long)format, SPOOL_FORMAT,
                 SPOOL_FORMAT_1);
        return ERR_VERSION;
    }
    s->format = have ? (unsigned)format : SPOOL_FORMAT;
    s->sealed = s->format == SPOOL_FORMAT;
    if (!have) {
        /* A new spool: the format, and both counters, which format 2
         * keeps always (a missing one is a damaged key). */
        rc = lmdbh_meta_put(txn, s->dbi[SPOOL_T_META], "format",
                            SPOOL_FORMAT, 8);
        if (rc == ERR_OK) {
            rc = spool_meta_put(s, txn, "next_assign", 1);
        }
        if (rc == ERR_OK) {
            rc = spool_meta_put(s, txn, "acked_next", 1);
        }
        if (rc != ERR_OK) {
            snprintf(err, ERR_LEN, "cannot initialise spool: %s",
                     err_str(rc));
        }
    }
    return rc;
}

/* Open the tables and check the format in one transaction; commit it,
 * so that the table handles stay (a read-only one too). */
static int open_tables(spool_t *s, int created, char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    const lmdbh_db_t dbs[] = {
        {"meta", &s->dbi[SPOOL_T_META]},
        {"queue", &s->dbi[SPOOL_T_QUEUE]},
        {"rejects", &s->dbi[SPOOL_T_REJECTS]},
        {"sources", &s->dbi[SPOOL_T_SOURCES]},
    };
    int mrc = mdb_txn_begin(s->env, NULL, s->readonly ? MDB_RDONLY : 0,
                            &txn);
    if (mrc != MDB_SUCCESS) {
        return spool_fail(mrc, "cannot initialise spool", err);
    }
    int rc = lmdbh_open_dbs(txn, dbs, sizeof dbs / sizeof dbs[0],
                            s->readonly ? 0 : MDB_CREATE, err);
    if (rc != ERR_OK) {
        /* A table of an old environment missing: damage, name the file. */
        char why[ERR_LEN];
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, ERR_LEN, "spool %.300s: %.180s", s->file, why);
        rc = rc == ERR_NOTFOUND ? ERR_CORRUPT : rc;
    }
    if (rc == ERR_OK) {
        rc = check_format(s, txn, created, err);
    }
    if (rc == ERR_OK) {
        /* receipts came after format 2 (spool_receipts.c): a writable
         * open of a format-2 spool creates it; a format-1 spool gets it
         * in its upgrade's one transaction; read-only opens create
         * nothing and may find none. */
        int create = !s->readonly && s->format == SPOOL_FORMAT;
        rc = spool_receipts_open(s, txn, create ? MDB_CREATE : 0);
        if (rc != ERR_OK) {
            snprintf(err, ERR_LEN, "spool %.300s: cannot open table "
                                   "receipts: %s", s->file, err_str(rc));
        }
    }
    if (rc != ERR_OK) {
        mdb_txn_abort(txn);
        return rc;
    }
    mrc = mdb_txn_commit(txn);
    if (mrc != MDB_SUCCESS) {
        return spool_fail(mrc, "cannot initialise spool", err);
    }
    return ERR_OK;
}

static int open_env(spool_t *s, const char *dir, size_t max_bytes,
                    int *created, char err[ERR_LEN])
{
    char why[ERR_LEN];
    if (!s->readonly && mkdir(dir, 0750) != 0 && errno != EEXIST) {
        int e = errno;
        perm_why(dir, PERM_CREATE, why, sizeof why);
        snprintf(err, ERR_LEN, "cannot create %.200s: %s%s%.250s%s", dir,
                 perm_errno(e) ? "permission denied" : strerror(e),
                 why[0] != '\0' ? " (" : "", why, why[0] != '\0' ? ")" : "");
        return ERR_IO;
    }
    lmdbh_env_opts_t eo = {"spool", 8,
                           max_bytes > 0 ? max_bytes : SPOOL_DEFAULT_MAX,
                           s->readonly};
    int rc = lmdbh_env_open(&s->env, dir, &eo, created, err);
    if (rc == ERR_IO &&
        perm_why_lmdb(dir, s->readonly, why, sizeof why)[0] != '\0') {
        /* LMDB says only "Permission denied": say where, and for whom. */
        snprintf(err, ERR_LEN, "cannot open spool %.200s: permission denied "
                               "(%.250s)", dir, why);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    if (s->readonly && *created) {
        snprintf(err, ERR_LEN, "no spool at %.300s: nothing was ever "
                               "written to it", dir);
        return ERR_NOTFOUND;
    }
    /* A spool made with a larger limit keeps it: LMDB never maps less
     * than its file says. The limit in force is what messages name. */
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->max_bytes = info.me_mapsize;
    return ERR_OK;
}

static int open_spool(spool_t **out, const char *dir, size_t max_bytes,
                      int readonly, char err[ERR_LEN])
{
    int created = 0;
    char path[4200];
    spool_t *s = xcalloc(1, sizeof *s);
    s->readonly = readonly;
    snprintf(path, sizeof path, "%s/data.mdb", dir);
    s->file = xstrdup(path);
    snprintf(path, sizeof path, "%s/%s", dir, SPOOL_NOTIFY_FILE);
    s->notify_path = xstrdup(path);
    int rc = open_env(s, dir, max_bytes, &created, err);
    if (rc == ERR_OK) {
        rc = open_tables(s, created, err);
    }
    if (rc == ERR_OK && !readonly && s->format == SPOOL_FORMAT_1) {
        rc = spool_upgrade(s, err);
    }
    if (rc != ERR_OK) {
        if (s->env != NULL) {
            mdb_env_close(s->env);
        }
        free(s->file);
        free(s->notify_path);
        free(s);
        return rc;
    }
    /* A read fault in a damaged page: "FATAL: FILE is damaged", not a
     * crash (common/lmdbh). After the upgrade, which may move the map. */
    lmdbh_guard(s->env, s->file);
    s->magic = SPOOL_MAGIC;
    assert(spool_check_invariants(s));
    *out = s;
    return ERR_OK;
}

int spool_open(spool_t **out, const char *dir, char err[ERR_LEN])
{
    return open_spool(out, dir, 0, 0, err);
}

int spool_open_max(spool_t **out, const char *dir, size_t max_bytes,
                   char err[ERR_LEN])
{
    return open_spool(out, dir, max_bytes, 0, err);
}

int spool_open_readonly(spool_t **out, const char *dir, char err[ERR_LEN])
{
    return open_spool(out, dir, 0, 1, err);
}

void spool_close(spool_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    spool_t *s = *self_p;
    assert(spool_check_invariants(s));
    lmdbh_unguard(s->env);
    mdb_env_close(s->env);
    free(s->notify_path);
    free(s->file);
    s->magic = SPOOL_DEAD;
    free(s);
    *self_p = NULL;
}

int spool_has_source(spool_t *self, const char *source)
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    if (mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn) != MDB_SUCCESS) {
        return 0;
    }
    MDB_val k = {strlen(source), (void *)(uintptr_t)source};
    MDB_val d;
    int found = 0;
    if (lmdbh_get(txn, self->dbi[SPOOL_T_SOURCES], &k, &d, &found) !=
        ERR_OK) {
        found = 0;
    }
    mdb_txn_abort(txn);
    return found;
}

/* The first queued update in @p txn into @p out (stats). */
static int first_queued(spool_t *self, MDB_txn *txn, spool_stats_t *out,
                        char err[ERR_LEN])
{
    MDB_cursor *cur = NULL;
    MDB_val kv;
    MDB_val dv;
    spool_update_t u;
    int mrc = mdb_cursor_open(txn, self->dbi[SPOOL_T_QUEUE], &cur);
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_FIRST);
    }
    int rc = spool_lmdb(self, SPOOL_T_QUEUE, mrc, err);
    if (rc == ERR_OK) {
        rc = spool_get_queued(self, &kv, &dv, &u, err);
    }
    if (rc == ERR_OK) {
        out->first_queued = u.seq;
        out->oldest_submitted = u.submitted_at;
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    return rc == ERR_NOTFOUND ? ERR_OK : rc;
}

/* How many rejections have a seq above the seen mark in @p txn (each
 * one's key parsed; the records themselves are read by whoever shows
 * them). */
static int count_unseen(spool_t *self, MDB_txn *txn, spool_stats_t *out,
                        char err[ERR_LEN])
{
    MDB_cursor *cur = NULL;
    MDB_val kv;
    MDB_val dv;
    buf_t k;
    buf_init(&k);
    spool_key_seq(&k, out->seen + 1);
    kv = lmdbh_val(&k);
    int mrc = mdb_cursor_open(txn, self->dbi[SPOOL_T_REJECTS], &cur);
    if (mrc == MDB_SUCCESS) {
        mrc = out->seen == UINT64_MAX
                  ? MDB_NOTFOUND
                  : mdb_cursor_get(cur, &kv, &dv, MDB_SET_RANGE);
    }
    while (mrc == MDB_SUCCESS) {
        out->unseen++;
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_NEXT);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    buf_fini(&k);
    int rc = spool_lmdb(self, SPOOL_T_REJECTS, mrc, err);
    return rc == ERR_NOTFOUND ? ERR_OK : rc;
}

/* How many records table @p t holds. mdb_stat() and mdb_cursor_open()
 * do not report a failed read of a table's root (a damaged table record
 * in the main table): LMDB marks the transaction failed and says nothing
 * until the next read, which is MDB_BAD_TXN. So read the first record
 * before counting: in a read-only transaction that has seen no error, a
 * MDB_BAD_TXN there is this table's damage. */
static int table_entries(spool_t *self, MDB_txn *txn, enum spool_table t,
                         uint64_t *out, char err[ERR_LEN])
{
    MDB_cursor *cur = NULL;
    MDB_val k;
    MDB_val v;
    MDB_stat st;
    int mrc = mdb_cursor_open(txn, self->dbi[t], &cur);
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
        mdb_cursor_close(cur);
    }
    if (mrc == MDB_BAD_TXN) {
        char what[160];
        snprintf(what, sizeof what, "the table cannot be read (LMDB: %s)",
                 mdb_strerror(mrc));
        return spool_damage(self, t, NULL, what, err);
    }
    if (mrc == MDB_SUCCESS || mrc == MDB_NOTFOUND) {
        mrc = mdb_stat(txn, self->dbi[t], &st);
    }
    int rc = spool_lmdb(self, t, mrc, err);
    *out = rc == ERR_OK ? st.ms_entries : 0;
    return rc;
}

int spool_stats(spool_t *self, spool_stats_t *out, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    memset(out, 0, sizeof *out);
    err[0] = '\0';
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn));
    if (rc == ERR_OK) {
        rc = table_entries(self, txn, SPOOL_T_QUEUE, &out->queued, err);
    }
    if (rc == ERR_OK) {
        rc = table_entries(self, txn, SPOOL_T_REJECTS, &out->rejections,
                           err);
    }
    uint64_t next = 1;
    if (rc == ERR_OK) {
        rc = spool_meta_get(self, txn, "next_assign", &next, err);
        out->last_assigned = next - 1;
    }
    if (rc == ERR_OK) {
        rc = spool_meta_get(self, txn, "acked_next", &out->acked_next, err);
    }
    if (rc == ERR_OK && out->queued > 0) {
        rc = first_queued(self, txn, out, err);
    }
    if (rc == ERR_OK) {
        rc = spool_seen_get(self, txn, &out->seen, err);
    }
    if (rc == ERR_OK && out->rejections > 0) {
        rc = count_unseen(self, txn, out, err);
    }
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    if (rc != ERR_OK && err[0] == '\0') {
        snprintf(err, ERR_LEN, "cannot read spool %.300s: %s", self->file,
                 err_str(rc));
    }
    return rc;
}

/* The identity @p want against the one recorded in @p txn: ERR_OK when
 * they are the same, ERR_NOTFOUND when none is recorded. */
static int identity_is(spool_t *self, MDB_txn *txn, const char *want,
                       char err[ERR_LEN])
{
    static const char key[] = "identity";
    MDB_val k = {sizeof key - 1, (void *)(uintptr_t)key};
    MDB_val d;
    int found = 0;
    int rc = lmdbh_get(txn, self->dbi[SPOOL_T_META], &k, &d, &found);
    if (rc != ERR_OK || !found) {
        return rc != ERR_OK ? rc : ERR_NOTFOUND;
    }
    rc = spool_unseal(self, SPOOL_T_META, &k, &d, err);
    if (rc != ERR_OK) {
        return rc;
    }
    if (d.mv_size != strlen(want) || memcmp(d.mv_data, want, d.mv_size) != 0) {
        char have[128];
        lmdbh_key_text(&d, have, sizeof have);
        snprintf(err, ERR_LEN, "this state directory belongs to agent '%s' "
                               "(name region); it cannot be used as '%s'",
                 have, want);
        return ERR_INVAL;
    }
    return ERR_OK;
}

int spool_claim(spool_t *self, const char *name, uint32_t region,
                char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    assert(!self->readonly);
    char want[128];
    snprintf(want, sizeof want, "%s %u", name, region);
    MDB_txn *txn = NULL;
    err[0] = '\0';
    int rc = lmdbh_code(mdb_txn_begin(self->env, NULL, 0, &txn));
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot open spool: %s", err_str(rc));
        return rc;
    }
    rc = identity_is(self, txn, want, err);
    if (rc != ERR_NOTFOUND) {
        mdb_txn_abort(txn);
        return rc;
    }
    buf_t v;
    buf_init(&v);
    buf_put(&v, want, strlen(want));
    MDB_val k = {8, (void *)(uintptr_t)"identity"};
    rc = spool_put(self, txn, SPOOL_T_META, &k, &v, 0);
    buf_fini(&v);
    int mrc = MDB_SUCCESS;
    rc = spool_finish(&txn, rc, &mrc);
    return spool_say(rc, mrc, "cannot record the agent identity", err);
}
