/* spool.c: the agent's durable queue of numbered updates, in LMDB.
 *
 * Layout (spool format 1; every key starts with KEY_V1, every value with
 * REC_V1; integers big-endian):
 *   meta     "format" -> u64 (written as u64, unlike the store's u32);
 *            "next_assign" -> u64 next number to hand out;
 *            "acked_next" -> u64 collector's next expected, as last acked;
 *            "identity" -> "NAME REGION" of the agent that owns the spool
 *   queue    V1 seq:u64 -> V1 indicator\0 region:u32 yyyymm:u32 kind:u8
 *                          num:i64 den:i64 submitted_at:i64
 *   rejects  V1 seq:u64 -> V1 at:i64 reason:u32 reason_name\0 message\0
 *                          has_update:u8 [update record as in queue]
 *   sources  source-key bytes -> V1 at:i64
 *
 * LMDB plumbing (opening, meta integers, code translation, id keys) is
 * common/lmdbh, shared with the store.
 *
 * INVARIANTS
 *   1. Every queued seq is < next_assign, and numbers are handed out
 *      consecutively in the transaction that queues the updates
 *      (asserted in spool_append and spool_rebase).
 *   2. No queued seq is < acked_next: an ack deletes what it covers in the
 *      same transaction that records it (asserted in spool_ack), and
 *      acked_next never decreases except by spool_rebase.
 *   3. A source key exists iff the updates of that source were queued
 *      (same transaction).
 *   4. An open spool_t has magic SPOOL_MAGIC, an environment and its
 *      notify path; spool_close() overwrites the magic
 *      (spool_check_invariants(), asserted at every public entry point).
 *      Nothing read from disk is asserted: bad records are ERR_CORRUPT.
 *   5. The format key is written only into an environment that
 *      lmdbh_env_open() made (or found never committed to); one that
 *      existed without it is refused, and lmdbh refuses a data.mdb that
 *      is missing beside lock.mdb, empty or truncated before any page is
 *      read (check_format, spool_open).
 *   6. Opening (and so making) a spool holds an exclusive flock on its
 *      directory until the format is committed: `run` and `submit` on a
 *      new state directory open it at once, and LMDB makes lock.mdb, then
 *      an empty data.mdb, then its meta pages, which a process looking
 *      in between would refuse as damaged (spool_open_max).
 */
#include "agent/spool.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/lmdbh.h"
#include "common/mem.h"

#define SPOOL_FORMAT 1u
#define KEY_V1 0x01
#define REC_V1 0x01
#define SPOOL_MAGIC 0x53504f4fu /* "SPOO" */
#define SPOOL_DEAD 0xDEADBEEFu

struct spool {
    uint32_t magic; /* SPOOL_MAGIC while open (INVARIANT 4) */
    MDB_env *env;
    char *notify_path;
    MDB_dbi meta, queue, rejects, sources;
    size_t max_bytes; /* the map: the spool's size limit */
};

#ifndef NDEBUG
int spool_check_invariants(const spool_t *self)
{
    assert(self != NULL);
    assert(self->magic == SPOOL_MAGIC);
    assert(self->env != NULL);
    assert(self->notify_path != NULL);
    return 1;
}
#endif

static int from_mdb(int mrc) { return lmdbh_code(mrc); }

static int fail(int mrc, const char *what, char err[ERR_LEN])
{
    if (mrc == MDB_MAP_FULL) {
        snprintf(err, ERR_LEN, "%s: the spool is full", what);
        return ERR_FULL;
    }
    return lmdbh_fail(mrc, what, err);
}

static MDB_val val_of(const buf_t *b) { return lmdbh_val(b); }

/* End a write transaction begun in *@p txn: commit it when @p rc is ERR_OK,
 * else abort it. Sets *@p txn to NULL; returns @p rc or the commit's, and
 * the commit's LMDB code in *@p mrc (MDB_SUCCESS when none failed), so
 * that a message can name the system's reason (ENOSPC, EIO). */
static int finish(MDB_txn **txn, int rc, int *mrc)
{
    *mrc = MDB_SUCCESS;
    if (*txn == NULL) {
        return rc;
    }
    if (rc == ERR_OK) {
        *mrc = mdb_txn_commit(*txn);
        rc = from_mdb(*mrc);
    } else {
        mdb_txn_abort(*txn);
    }
    *txn = NULL;
    return rc;
}

/* "WHAT: reason" for a failed write: the commit's own reason when the
 * commit failed, else the ERR_* text. @return @p rc. */
static int say(int rc, int mrc, const char *what, char err[ERR_LEN])
{
    if (mrc != MDB_SUCCESS) {
        return fail(mrc, what, err);
    }
    snprintf(err, ERR_LEN, "%s: %s", what, err_str(rc));
    return rc;
}

static void key_seq(buf_t *b, uint64_t seq) { lmdbh_id_key(b, KEY_V1, seq); }

static int parse_seq(const MDB_val *k, uint64_t *seq)
{
    return lmdbh_id_parse(k, KEY_V1, seq);
}

static void put_update(buf_t *b, const spool_update_t *u)
{
    buf_put_str(b, u->indicator);
    buf_put_u32(b, u->region);
    buf_put_u32(b, u->yyyymm);
    buf_put_u8(b, (uint8_t)(u->is_ratio ? 1 : 0));
    buf_put_i64(b, u->num);
    buf_put_i64(b, u->den);
    buf_put_i64(b, u->submitted_at);
}

static void get_update(buf_reader_t *r, spool_update_t *u)
{
    snprintf(u->indicator, sizeof u->indicator, "%s", buf_get_str(r));
    u->region = buf_get_u32(r);
    u->yyyymm = buf_get_u32(r);
    u->is_ratio = buf_get_u8(r) != 0;
    u->num = buf_get_i64(r);
    u->den = buf_get_i64(r);
    u->submitted_at = buf_get_i64(r);
}

static int parse_queued(const MDB_val *k, const MDB_val *d, spool_update_t *u)
{
    memset(u, 0, sizeof *u);
    if (parse_seq(k, &u->seq) != ERR_OK) {
        return ERR_CORRUPT;
    }
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    if (buf_get_u8(&r) != REC_V1) {
        return ERR_CORRUPT;
    }
    get_update(&r, u);
    return buf_done(&r) ? ERR_OK : ERR_CORRUPT;
}

static int meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name,
                    uint64_t dflt, uint64_t *out)
{
    return lmdbh_meta_get(txn, dbi, name, dflt, out, NULL);
}

/* Every spool meta integer is written as a u64, "format" included. */
static int meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name,
                    uint64_t v)
{
    return lmdbh_meta_put(txn, dbi, name, v, 8);
}

/* Check the format in @p txn and write it into a new spool (@p created:
 * lmdbh made the environment, nothing was ever in it). An environment
 * that existed before and has no format key is not a spool, or a damaged
 * one: refused, never taken for a new, empty one (INVARIANT 5). */
static int check_format(spool_t *s, MDB_txn *txn, const char *dir,
                        int created, char err[ERR_LEN])
{
    uint64_t format = 0;
    int have = 0;
    int rc = lmdbh_meta_get(txn, s->meta, "format", 0, &format, &have);
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "spool %s: unreadable metadata", dir);
        return rc;
    }
    if (!have && !created) {
        snprintf(err, ERR_LEN, "%.300s/data.mdb: not an hrss spool (no "
                               "format key), or a damaged one", dir);
        return ERR_CORRUPT;
    }
    if (have && format != SPOOL_FORMAT) {
        snprintf(err, ERR_LEN, "spool %s has format %llu, expected %u", dir,
                 (unsigned long long)format, SPOOL_FORMAT);
        return ERR_VERSION;
    }
    if (!have) {
        rc = meta_put(txn, s->meta, "format", SPOOL_FORMAT);
        if (rc != ERR_OK) {
            snprintf(err, ERR_LEN, "cannot initialise spool: %s",
                     err_str(rc));
        }
    }
    return rc;
}

int spool_open(spool_t **out, const char *dir, char err[ERR_LEN])
{
    return spool_open_max(out, dir, 0, err);
}

int spool_open_max(spool_t **out, const char *dir, size_t max_bytes,
                   char err[ERR_LEN])
{
    int rc = ERR_OK;
    int created = 0;
    int dfd = -1;
    MDB_txn *txn = NULL;
    spool_t *s = xcalloc(1, sizeof *s);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, ERR_LEN, "cannot create %s: %s", dir, strerror(errno));
        rc = ERR_IO;
        goto fail;
    }
    /* INVARIANT 6. Held only while opening: spools are used at once by
     * several processes (LMDB's own locks), only the making is one step. */
    dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int lrc = dfd < 0 ? -1 : flock(dfd, LOCK_EX);
    while (lrc != 0 && dfd >= 0 && errno == EINTR) {
        lrc = flock(dfd, LOCK_EX);
    }
    if (lrc != 0) {
        snprintf(err, ERR_LEN, "cannot lock %s: %s", dir, strerror(errno));
        rc = ERR_IO;
        goto fail;
    }
    lmdbh_env_opts_t eo = {"spool", 8,
                           max_bytes > 0 ? max_bytes : SPOOL_DEFAULT_MAX, 0};
    rc = lmdbh_env_open(&s->env, dir, &eo, &created, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    /* A spool made with a larger limit keeps it: LMDB never maps less
     * than its file says. The limit in force is what messages name. */
    MDB_envinfo info;
    mdb_env_info(s->env, &info);
    s->max_bytes = info.me_mapsize;
    const lmdbh_db_t dbs[] = {
        {"meta", &s->meta},
        {"queue", &s->queue},
        {"rejects", &s->rejects},
        {"sources", &s->sources},
    };
    int mrc = mdb_txn_begin(s->env, NULL, 0, &txn);
    if (mrc != MDB_SUCCESS) {
        rc = fail(mrc, "cannot initialise spool", err);
        goto fail;
    }
    rc = lmdbh_open_dbs(txn, dbs, sizeof dbs / sizeof dbs[0], MDB_CREATE,
                        err);
    if (rc == ERR_OK) {
        rc = check_format(s, txn, dir, created, err);
    }
    if (rc != ERR_OK) {
        goto fail;
    }
    mrc = mdb_txn_commit(txn);
    txn = NULL;
    if (mrc != MDB_SUCCESS) {
        rc = fail(mrc, "cannot initialise spool", err);
        goto fail;
    }
    char np[4200];
    snprintf(np, sizeof np, "%s/%s", dir, SPOOL_NOTIFY_FILE);
    s->notify_path = xstrdup(np);
    s->magic = SPOOL_MAGIC;
    assert(spool_check_invariants(s));
    close(dfd); /* frees the flock */
    *out = s;
    return ERR_OK;

fail:
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    if (s->env != NULL) {
        mdb_env_close(s->env);
    }
    if (dfd >= 0) {
        close(dfd);
    }
    free(s);
    return rc;
}

void spool_close(spool_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    spool_t *s = *self_p;
    assert(spool_check_invariants(s));
    mdb_env_close(s->env);
    free(s->notify_path);
    s->magic = SPOOL_DEAD;
    free(s);
    *self_p = NULL;
}

/* Queue @p u[0..n-1] numbered from next_assign on, and record @p source
 * (may be NULL); all in @p txn. @p first receives the first number.
 * ERR_FULL with *exhausted set: next_assign (from a rebase or from disk)
 * leaves no room for n more numbers below 2^64; they never wrap. */
static int append_in(spool_t *self, MDB_txn *txn, spool_update_t *u,
                     size_t n, const char *source, uint64_t *first,
                     int *exhausted)
{
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    uint64_t next = 1;
    int rc = meta_get(txn, self->meta, "next_assign", 1, &next);
    *exhausted = rc == ERR_OK && n > UINT64_MAX - next;
    if (*exhausted) {
        rc = ERR_FULL;
    }
    *first = next;
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        u[i].seq = next + i;
        /* INVARIANT 1: consecutive, and all below the new next_assign. */
        assert(i == 0 || u[i].seq == u[i - 1].seq + 1);
        assert(u[i].seq < next + n);
        key_seq(&k, u[i].seq);
        buf_reset(&v);
        buf_put_u8(&v, REC_V1);
        put_update(&v, &u[i]);
        MDB_val kv = val_of(&k);
        MDB_val dv = val_of(&v);
        rc = from_mdb(mdb_put(txn, self->queue, &kv, &dv, MDB_APPEND));
    }
    if (rc == ERR_OK) {
        rc = meta_put(txn, self->meta, "next_assign", next + n);
    }
    if (rc == ERR_OK && source != NULL) {
        buf_reset(&v);
        buf_put_u8(&v, REC_V1);
        buf_put_i64(&v, (int64_t)time(NULL));
        MDB_val kv = {strlen(source), (void *)(uintptr_t)source};
        MDB_val dv = val_of(&v);
        rc = from_mdb(mdb_put(txn, self->sources, &kv, &dv, 0));
    }
    buf_fini(&k);
    buf_fini(&v);
    return rc;
}

int spool_append(spool_t *self, spool_update_t *u, size_t n,
                 const char *source, uint64_t *first, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    uint64_t next = 0;
    int exhausted = 0;
    int rc = from_mdb(mdb_txn_begin(self->env, NULL, 0, &txn));
    if (rc == ERR_OK) {
        rc = append_in(self, txn, u, n, source, &next, &exhausted);
    }
    int mrc = MDB_SUCCESS;
    rc = finish(&txn, rc, &mrc);
    if (rc == ERR_OK) {
        /* Wake a sender (inotify IN_CLOSE_WRITE); best effort: a sender
         * that misses it finds the updates at its next timer. */
        int fd = open(self->notify_path, O_WRONLY | O_CREAT | O_TRUNC |
                      O_CLOEXEC, 0640);
        if (fd >= 0) {
            close(fd);
        }
    }
    if (exhausted) {
        snprintf(err, ERR_LEN,
                 "cannot queue updates: sequence numbers exhausted");
    } else if (rc == ERR_FULL) {
        snprintf(err, ERR_LEN,
                 "cannot queue updates: the spool is full (its limit is "
                 "%zu MiB)", self->max_bytes >> 20);
    } else if (rc != ERR_OK) {
        say(rc, mrc, "cannot queue updates", err);
    }
    if (first != NULL) {
        *first = rc == ERR_OK ? next : 0;
    }
    return rc;
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
    if (lmdbh_get(txn, self->sources, &k, &d, &found) != ERR_OK) {
        found = 0;
    }
    mdb_txn_abort(txn);
    return found;
}

/* A damaged queue, into @p err: @p what names the damage; updates from
 * @p first to @p next - 1 cannot be sent (in order, nothing after the
 * damage can). @return ERR_CORRUPT. */
static int queue_damaged(const char *what, uint64_t seq, uint64_t first,
                         uint64_t next, char err[ERR_LEN])
{
    char range[80] = "nothing queued is lost";
    if (next > first + 1) {
        snprintf(range, sizeof range, "updates %llu..%llu cannot be sent",
                 (unsigned long long)first, (unsigned long long)(next - 1));
    } else if (next == first + 1) {
        snprintf(range, sizeof range, "update %llu cannot be sent",
                 (unsigned long long)first);
    }
    snprintf(err, ERR_LEN, "spool: %s %llu: %s", what,
             (unsigned long long)seq, range);
    return ERR_CORRUPT;
}

/* Read consecutive records from the cursor's position into @p out.
 * The spool holds every seq from @p acked to @p next - 1: when @p from
 * is one of them and its record is not the first found, it was damaged,
 * not sent. A record that cannot be read ends the run: what was read
 * before it is handed out, and the read from it reports the damage. */
static int read_run(MDB_cursor *cur, MDB_val *kv, MDB_val *dv, int mrc,
                    uint64_t from, uint64_t acked, uint64_t next,
                    spool_update_t *out, size_t max, size_t *n,
                    char err[ERR_LEN])
{
    uint64_t seq = 0;
    if (from >= acked && from < next &&
        (mrc == MDB_NOTFOUND ||
         (mrc == MDB_SUCCESS &&
          (parse_seq(kv, &seq) != ERR_OK || seq != from)))) {
        return queue_damaged("no readable record for update seq", from,
                             from, next, err);
    }
    while (mrc == MDB_SUCCESS && *n < max) {
        if (parse_seq(kv, &seq) != ERR_OK) {
            uint64_t last = *n > 0 ? out[*n - 1].seq : from;
            return queue_damaged("a damaged key after update seq", last,
                                 last + (*n > 0), next, err);
        }
        if (next > 0 && seq >= next) {
            /* Past every number ever assigned: a damaged key. */
            if (*n > 0) {
                break;
            }
            return queue_damaged("a damaged key claims update seq", seq,
                                 from, next, err);
        }
        if (parse_queued(kv, dv, &out[*n]) != ERR_OK) {
            if (*n > 0) {
                break;
            }
            return queue_damaged("a damaged record for update seq", seq,
                                 seq, next, err);
        }
        /* Stop at a hole: the sender needs consecutive numbers (the next
         * read, from the hole, says what is missing). */
        if (*n > 0 && out[*n].seq != out[*n - 1].seq + 1) {
            break;
        }
        (*n)++;
        mrc = mdb_cursor_get(cur, kv, dv, MDB_NEXT);
    }
    if (mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND) {
        return fail(mrc, "cannot read spool", err);
    }
    return ERR_OK;
}

int spool_read(spool_t *self, uint64_t from, spool_update_t *out, size_t max,
               size_t *n, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    uint64_t acked = 1;
    uint64_t next = 1;
    *n = 0;
    int rc = ERR_OK;
    int mrc = mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn);
    if (mrc != MDB_SUCCESS) {
        return fail(mrc, "cannot read spool", err);
    }
    /* Which seqs the spool must hold; when its counters are unreadable
     * (spool_stats reports that), the queue is read without the check. */
    if (meta_get(txn, self->meta, "acked_next", 1, &acked) != ERR_OK ||
        meta_get(txn, self->meta, "next_assign", 1, &next) != ERR_OK) {
        acked = next = 0;
    }
    mrc = mdb_cursor_open(txn, self->queue, &cur);
    if (mrc != MDB_SUCCESS) {
        rc = fail(mrc, "cannot read spool", err);
    }
    buf_t k;
    buf_init(&k);
    if (rc == ERR_OK && max > 0) {
        key_seq(&k, from);
        MDB_val kv = val_of(&k);
        MDB_val dv;
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_SET_RANGE);
        rc = read_run(cur, &kv, &dv, mrc, from, acked, next, out, max, n,
                      err);
    }
    rc = lmdbh_cursor_end(&cur, rc, MDB_SUCCESS);
    mdb_txn_abort(txn);
    buf_fini(&k);
    if (rc != ERR_OK) {
        *n = 0;
    }
    return rc;
}

static int put_rejection(MDB_txn *txn, spool_t *self, buf_t *k, buf_t *v,
                         const spool_rejection_t *r)
{
    spool_update_t u;
    int have = 0;
    key_seq(k, r->seq);
    MDB_val kv = val_of(k);
    MDB_val dv;
    int found = 0;
    int rc = lmdbh_get(txn, self->queue, &kv, &dv, &found);
    if (rc != ERR_OK) {
        return rc;
    }
    if (found) {
        have = parse_queued(&kv, &dv, &u) == ERR_OK;
    }
    buf_reset(v);
    buf_put_u8(v, REC_V1);
    buf_put_i64(v, r->at);
    buf_put_u32(v, r->reason);
    buf_put_str(v, r->reason_name);
    buf_put_str(v, r->message);
    buf_put_u8(v, (uint8_t)have);
    if (have) {
        put_update(v, &u);
    }
    kv = val_of(k);
    dv = val_of(v);
    return from_mdb(mdb_put(txn, self->rejects, &kv, &dv, 0));
}

#ifndef NDEBUG
/* Debug check after an ack's deletions in @p txn: the first queued seq is
 * at least @p seq. A key that does not parse is not this check's business
 * (the reader that meets it reports ERR_CORRUPT). */
static int queue_first_at_least(const spool_t *self, MDB_txn *txn,
                                uint64_t seq)
{
    MDB_cursor *cur = NULL;
    MDB_val kv;
    MDB_val dv;
    uint64_t first = 0;
    int ok = 1;
    if (mdb_cursor_open(txn, self->queue, &cur) != MDB_SUCCESS) {
        return 1;
    }
    if (mdb_cursor_get(cur, &kv, &dv, MDB_FIRST) == MDB_SUCCESS &&
        parse_seq(&kv, &first) == ERR_OK) {
        ok = first >= seq;
    }
    mdb_cursor_close(cur);
    return ok;
}
#endif

int spool_ack(spool_t *self, uint64_t next_seq,
              const spool_rejection_t *rej, size_t nrej, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    int mrc = mdb_txn_begin(self->env, NULL, 0, &txn);
    int rc = from_mdb(mrc);
    for (size_t i = 0; rc == ERR_OK && i < nrej; i++) {
        rc = put_rejection(txn, self, &k, &v, &rej[i]);
    }
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_cursor_open(txn, self->queue, &cur));
    }
    MDB_val kv;
    MDB_val dv;
    mrc = rc == ERR_OK ? mdb_cursor_get(cur, &kv, &dv, MDB_FIRST)
                       : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        uint64_t seq = 0;
        rc = parse_seq(&kv, &seq);
        if (rc != ERR_OK || seq >= next_seq) {
            break;
        }
        rc = from_mdb(mdb_cursor_del(cur, 0));
        if (rc == ERR_OK) {
            mrc = mdb_cursor_get(cur, &kv, &dv, MDB_NEXT);
        }
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    /* INVARIANT 2: nothing below next_seq is left queued. */
    assert(rc != ERR_OK || queue_first_at_least(self, txn, next_seq));
    uint64_t acked = 1;
    if (rc == ERR_OK) {
        rc = meta_get(txn, self->meta, "acked_next", 1, &acked);
    }
    if (rc == ERR_OK && next_seq > acked) {
        rc = meta_put(txn, self->meta, "acked_next", next_seq);
    }
    int cmrc = MDB_SUCCESS;
    rc = finish(&txn, rc, &cmrc);
    buf_fini(&k);
    buf_fini(&v);
    if (rc != ERR_OK) {
        say(rc, cmrc, "cannot record ack", err);
    }
    return rc;
}

int spool_rebase(spool_t *self, uint64_t next_seq, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    size_t n = 0;
    size_t cap = 0;
    spool_update_t *all = NULL;
    buf_t k;
    buf_t v;
    buf_init(&k);
    buf_init(&v);
    int rc = from_mdb(mdb_txn_begin(self->env, NULL, 0, &txn));
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_cursor_open(txn, self->queue, &cur));
    }
    MDB_val kv;
    MDB_val dv;
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &kv, &dv, MDB_FIRST)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        if (n == cap) {
            cap = cap ? cap * 2 : 256;
            all = xreallocarray(all, cap, sizeof *all);
        }
        rc = parse_queued(&kv, &dv, &all[n]);
        n++;
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_NEXT);
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_drop(txn, self->queue, 0));
    }
    for (size_t i = 0; rc == ERR_OK && i < n; i++) {
        key_seq(&k, next_seq + i);
        buf_reset(&v);
        buf_put_u8(&v, REC_V1);
        put_update(&v, &all[i]);
        kv = val_of(&k);
        dv = val_of(&v);
        rc = from_mdb(mdb_put(txn, self->queue, &kv, &dv, MDB_APPEND));
    }
    if (rc == ERR_OK) {
        rc = meta_put(txn, self->meta, "next_assign", next_seq + n);
    }
    if (rc == ERR_OK) {
        rc = meta_put(txn, self->meta, "acked_next", next_seq);
    }
    int cmrc = MDB_SUCCESS;
    rc = finish(&txn, rc, &cmrc);
    free(all);
    buf_fini(&k);
    buf_fini(&v);
    if (rc != ERR_OK) {
        say(rc, cmrc, "cannot renumber spool", err);
    }
    return rc;
}

int spool_stats(spool_t *self, spool_stats_t *out, char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    memset(out, 0, sizeof *out);
    int rc = from_mdb(mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn));
    MDB_stat st;
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_stat(txn, self->queue, &st));
        out->queued = st.ms_entries;
    }
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_stat(txn, self->rejects, &st));
        out->rejections = st.ms_entries;
    }
    uint64_t next = 1;
    if (rc == ERR_OK) {
        rc = meta_get(txn, self->meta, "next_assign", 1, &next);
        out->last_assigned = next - 1;
    }
    if (rc == ERR_OK) {
        rc = meta_get(txn, self->meta, "acked_next", 1, &out->acked_next);
    }
    if (rc == ERR_OK && out->queued > 0) {
        rc = from_mdb(mdb_cursor_open(txn, self->queue, &cur));
        MDB_val kv;
        MDB_val dv;
        spool_update_t u;
        if (rc == ERR_OK) {
            rc = from_mdb(mdb_cursor_get(cur, &kv, &dv, MDB_FIRST));
        }
        if (rc == ERR_OK) {
            rc = parse_queued(&kv, &dv, &u);
            out->first_queued = u.seq;
            out->oldest_submitted = u.submitted_at;
        }
    }
    if (cur != NULL) {
        mdb_cursor_close(cur);
    }
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot read spool state: %s", err_str(rc));
    }
    return rc;
}

static int parse_rejection(const MDB_val *k, const MDB_val *d,
                           spool_rejection_t *r)
{
    memset(r, 0, sizeof *r);
    int rc = parse_seq(k, &r->seq);
    buf_reader_t rd;
    buf_reader_init(&rd, d->mv_data, d->mv_size);
    if (buf_get_u8(&rd) != REC_V1) {
        rc = ERR_CORRUPT;
    }
    r->at = buf_get_i64(&rd);
    r->reason = buf_get_u32(&rd);
    snprintf(r->reason_name, sizeof r->reason_name, "%s", buf_get_str(&rd));
    snprintf(r->message, sizeof r->message, "%s", buf_get_str(&rd));
    if (buf_get_u8(&rd)) {
        get_update(&rd, &r->update);
        r->update.seq = r->seq;
    }
    if (rc == ERR_OK && !buf_done(&rd)) {
        rc = ERR_CORRUPT;
    }
    return rc;
}

int spool_rejections(spool_t *self, spool_rejection_fn fn, void *arg,
                     char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    MDB_txn *txn = NULL;
    MDB_cursor *cur = NULL;
    int rc = from_mdb(mdb_txn_begin(self->env, NULL, MDB_RDONLY, &txn));
    if (rc == ERR_OK) {
        rc = from_mdb(mdb_cursor_open(txn, self->rejects, &cur));
    }
    MDB_val kv;
    MDB_val dv;
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &kv, &dv, MDB_FIRST)
                           : MDB_NOTFOUND;
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        spool_rejection_t r;
        rc = parse_rejection(&kv, &dv, &r);
        if (rc == ERR_OK && fn(&r, arg) != 0) {
            break;
        }
        mrc = mdb_cursor_get(cur, &kv, &dv, MDB_NEXT);
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    if (txn != NULL) {
        mdb_txn_abort(txn);
    }
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot read rejections: %s", err_str(rc));
    }
    return rc;
}

int spool_claim(spool_t *self, const char *name, uint32_t region,
                char err[ERR_LEN])
{
    assert(spool_check_invariants(self));
    char want[128];
    snprintf(want, sizeof want, "%s %u", name, region);
    MDB_txn *txn = NULL;
    int rc = from_mdb(mdb_txn_begin(self->env, NULL, 0, &txn));
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot open spool: %s", err_str(rc));
        return rc;
    }
    static const char key[] = "identity";
    MDB_val k = {sizeof key - 1, (void *)(uintptr_t)key};
    MDB_val d;
    int mrc = mdb_get(txn, self->meta, &k, &d);
    if (mrc == MDB_SUCCESS) {
        if (d.mv_size != strlen(want) ||
            memcmp(d.mv_data, want, d.mv_size) != 0) {
            snprintf(err, ERR_LEN,
                     "this state directory belongs to agent '%.*s' "
                     "(name region); it cannot be used as '%s'",
                     (int)(d.mv_size < 100 ? d.mv_size : 100),
                     (const char *)d.mv_data, want);
            rc = ERR_INVAL;
        }
        mdb_txn_abort(txn);
        return rc;
    }
    if (mrc == MDB_NOTFOUND) {
        d.mv_size = strlen(want);
        d.mv_data = want;
        mrc = mdb_put(txn, self->meta, &k, &d, 0);
    }
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_txn_commit(txn);
    } else {
        mdb_txn_abort(txn);
    }
    if (mrc != MDB_SUCCESS) {
        return fail(mrc, "cannot record the agent identity", err);
    }
    return ERR_OK;
}
