/* env.c: the store's LMDB environment: open, close, transactions, map
 * growth, format check, backup.
 *
 * Design
 * ------
 * One MDB_env per store_t, opened with MDB_NOTLS so that a read
 * transaction is not tied to its thread's slot, and its eight named
 * databases opened once, in the transaction that checks the format; a
 * writable open also opens (creating) the ninth, rejby, the index of the
 * rejections by reporter that caps them, and then brings it up to date in
 * a transaction of its own (write_reindex: a store written before the
 * index existed gets it here, trimmed to max_rejections).
 *
 * LMDB may resize the map only while no transaction of the process is
 * open. Every transaction therefore holds txn_lock for reading, and the
 * two resizes (growing on MDB_MAP_FULL in env_grow_map, following another
 * process's growth on MDB_MAP_RESIZED in env_txn_begin) take it for
 * writing, in resize(). A backup (mdb_env_copy2) holds a read transaction
 * of its own for the whole copy, so it holds txn_lock for reading too.
 *
 *   store_open: mkdir -> lmdbh_env_open -> env_txn_begin -> open dbs
 *     -> check_format (new: write format + rules_fp; rules changed:
 *        derive_rebuild) -> commit -> magic = STORE_MAGIC
 *     -> writable: write_reindex (its own transaction)
 *   store_close: magic = STORE_DEAD, mdb_env_close
 *
 * INVARIANTS (of struct store, env.h; checked by store_check_invariants)
 *   1. magic == STORE_MAGIC exactly while the store is open.
 *   2. 0 < map_size <= map_max.
 *   3. mdb_env_set_mapsize() runs only in resize(), holding txn_lock for
 *      writing, with open_txns == 0 (store invariant 6): no transaction
 *      and no backup of this process is open.
 *   4. A store whose meta "format" is not STORE_FORMAT is never opened; a
 *      read-only store is opened only with the catalog its aggregates were
 *      built for (rules_fp).
 */
#include "store/env.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/codec.h"
#include "store/derive.h"

#define DEFAULT_MAP_SIZE ((size_t)64 << 20)
#define DEFAULT_MAP_MAX ((size_t)64 << 30)

#ifndef NDEBUG
int store_check_invariants(const store_t *s)
{
    assert(s != NULL);
    assert(s->magic == STORE_MAGIC);
    assert(s->env != NULL);
    assert(s->cat != NULL);
    assert(s->map_size > 0 && s->map_size <= s->map_max);
    assert(atomic_load(&s->open_txns) >= 0);
    return 1;
}
#endif

const catalog_t *store_catalog(const store_t *self)
{
    assert(store_check_invariants(self));
    return self->cat;
}

/* Take txn_lock for reading: a transaction or backup is about to use the
 * map. */
static void hold(store_t *s)
{
    pthread_rwlock_rdlock(&s->txn_lock);
    atomic_fetch_add(&s->open_txns, 1);
}

static void release(store_t *s)
{
    int was = atomic_fetch_sub(&s->open_txns, 1);
    assert(was > 0);
    (void)was;
    pthread_rwlock_unlock(&s->txn_lock);
}

/* Set the map size (0: adopt the size another process set) with no
 * transaction of this process open (INVARIANT 3). */
static int resize(store_t *s, size_t size)
{
    pthread_rwlock_wrlock(&s->txn_lock);
    assert(atomic_load(&s->open_txns) == 0);
    int mrc = mdb_env_set_mapsize(s->env, size);
    pthread_rwlock_unlock(&s->txn_lock);
    return mrc;
}

int env_txn_begin(store_t *s, unsigned flags, MDB_txn **txn,
                  char err[ERR_LEN])
{
    for (int tries = 0;; tries++) {
        hold(s);
        int mrc = mdb_txn_begin(s->env, NULL, flags, txn);
        if (mrc == MDB_SUCCESS) {
            return ERR_OK;
        }
        release(s);
        if (mrc == MDB_MAP_RESIZED && tries < 3) {
            mrc = resize(s, 0);
            if (mrc == MDB_SUCCESS) {
                continue;
            }
        }
        if (mrc == MDB_READERS_FULL && tries < 3) {
            int dead = 0;
            mdb_reader_check(s->env, &dead);
            if (dead > 0) {
                continue;
            }
        }
        *txn = NULL;
        return lmdbh_fail(mrc, "cannot begin transaction", err);
    }
}

void env_txn_abort(store_t *s, MDB_txn **txn)
{
    if (*txn != NULL) {
        mdb_txn_abort(*txn);
        *txn = NULL;
        release(s);
    }
}

int env_txn_commit(store_t *s, MDB_txn **txn, const char *what,
                   char err[ERR_LEN])
{
    int mrc = mdb_txn_commit(*txn);
    *txn = NULL;
    release(s);
    if (mrc != MDB_SUCCESS) {
        return lmdbh_fail(mrc, what, err);
    }
    return ERR_OK;
}

int env_grow_map(store_t *s, char err[ERR_LEN])
{
    if (s->map_size >= s->map_max) {
        snprintf(err, ERR_LEN,
                 "store full: the LMDB map is at its limit of %zu MiB",
                 s->map_max >> 20);
        return ERR_FULL;
    }
    size_t next = s->map_size * 2;
    if (next > s->map_max || next < s->map_size) {
        next = s->map_max;
    }
    int mrc = resize(s, next);
    if (mrc != MDB_SUCCESS) {
        return lmdbh_fail(mrc, "cannot grow the LMDB map", err);
    }
    s->map_size = next;
    return ERR_OK;
}

static int open_dbs(store_t *s, MDB_txn *txn, unsigned flags,
                    char err[ERR_LEN])
{
    const lmdbh_db_t t[] = {
        {"meta", &s->meta},           {"facts", &s->facts},
        {"audit", &s->audit},         {"cellhist", &s->cellhist},
        {"rejects", &s->rejects},     {"reporters", &s->reporters},
        {"agg", &s->agg},             {"violations", &s->viol},
    };
    int rc = lmdbh_open_dbs(txn, t, sizeof t / sizeof t[0], flags, err);
    if (rc != ERR_OK || s->readonly) {
        return rc;
    }
    /* Not in t[]: its flags differ, and only writers use it (INVARIANT 6
     * of env.h), so a store from before it still opens read-only. */
    int mrc = mdb_dbi_open(txn, "rejby", MDB_CREATE | MDB_DUPSORT |
                                             MDB_DUPFIXED, &s->rejby);
    if (mrc != MDB_SUCCESS) {
        return lmdbh_fail(mrc, "cannot open database 'rejby'", err);
    }
    return ERR_OK;
}

/* Check the format, write it on a new store, rebuild derived data when
 * the catalog rules changed (INVARIANT 4). */
static int check_format(store_t *s, MDB_txn *txn, char err[ERR_LEN])
{
    uint64_t format = 0;
    uint64_t fp = 0;
    int have_format = 0;
    int have_fp = 0;
    uint64_t want_fp = catalog_rules_fingerprint(s->cat);
    int rc = lmdbh_meta_get(txn, s->meta, CODEC_META_FORMAT, 0, &format,
                            &have_format);
    if (rc == ERR_OK) {
        rc = lmdbh_meta_get(txn, s->meta, CODEC_META_RULES_FP, 0, &fp,
                            &have_fp);
    }
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "store metadata unreadable: %s", err_str(rc));
        return rc;
    }
    if (have_format && format != STORE_FORMAT) {
        snprintf(err, ERR_LEN,
                 "store format %llu, this program reads format %u",
                 (unsigned long long)format, STORE_FORMAT);
        return ERR_VERSION;
    }
    if (have_format && have_fp && fp == want_fp) {
        return ERR_OK;
    }
    if (s->readonly) {
        if (!have_format) {
            snprintf(err, ERR_LEN, "not an initialised hrss store");
            return ERR_NOTFOUND;
        }
        snprintf(err, ERR_LEN,
                 "the store's aggregates were built for another catalog; "
                 "open it writable once (start the collector) to rebuild");
        return ERR_VERSION;
    }
    rc = lmdbh_meta_put(txn, s->meta, CODEC_META_FORMAT, STORE_FORMAT, 4);
    if (rc == ERR_OK) {
        rc = lmdbh_meta_put(txn, s->meta, CODEC_META_RULES_FP, want_fp, 8);
    }
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot write store metadata: %s",
                 err_str(rc));
        return rc;
    }
    if (have_format) {
        return derive_rebuild(s->cat, txn, s->facts, s->agg, s->viol, err);
    }
    return ERR_OK;
}

/* Create the directory (writable) or find the data file (read-only), then
 * open the environment. */
static int open_env(store_t *s, const char *dir, char err[ERR_LEN])
{
    if (!s->readonly && mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, ERR_LEN, "cannot create %s: %s", dir, strerror(errno));
        return ERR_IO;
    }
    if (s->readonly) {
        struct stat st;
        char path[4096];
        snprintf(path, sizeof path, "%s/data.mdb", dir);
        if (stat(path, &st) != 0) {
            snprintf(err, ERR_LEN, "no store at %s: %s", dir,
                     strerror(errno));
            return ERR_NOTFOUND;
        }
    }
    lmdbh_env_opts_t eo = {"store", 16, s->map_size, s->readonly};
    int rc = lmdbh_env_open(&s->env, dir, &eo, err);
    if (rc == ERR_OK && !s->readonly) {
        /* Another process may have grown the map beyond our default. */
        MDB_envinfo info;
        mdb_env_info(s->env, &info);
        if (info.me_mapsize > s->map_size) {
            s->map_size = info.me_mapsize;
        }
        if (s->map_max < s->map_size) {
            s->map_max = s->map_size;
        }
    }
    return rc;
}

int store_open(store_t **out, const char *dir, const catalog_t *cat,
               const store_opts_t *opts, char err[ERR_LEN])
{
    int rc = ERR_OK;
    MDB_txn *txn = NULL;
    store_opts_t o = {0};
    if (opts != NULL) {
        o = *opts;
    }
    store_t *s = xcalloc(1, sizeof *s);
    s->cat = cat;
    s->readonly = o.readonly;
    s->map_size = o.map_size ? o.map_size : DEFAULT_MAP_SIZE;
    s->map_max = o.map_max ? o.map_max : DEFAULT_MAP_MAX;
    s->max_rejections = o.max_rejections ? o.max_rejections
                                          : STORE_DEFAULT_MAX_REJECTIONS;
    if (s->map_max < s->map_size) {
        s->map_max = s->map_size;
    }
    atomic_init(&s->open_txns, 0);
    pthread_rwlock_init(&s->txn_lock, NULL);
    rc = open_env(s, dir, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    rc = env_txn_begin(s, s->readonly ? MDB_RDONLY : 0, &txn, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    rc = open_dbs(s, txn, s->readonly ? 0u : MDB_CREATE, err);
    if (rc == ERR_NOTFOUND) {
        snprintf(err, ERR_LEN, "%s is not an hrss store", dir);
    }
    if (rc != ERR_OK) {
        goto fail;
    }
    rc = check_format(s, txn, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    /* Commit even a read-only transaction: database handles opened in a
     * transaction that aborts are closed with it. */
    rc = env_txn_commit(s, &txn, "cannot initialise store", err);
    if (rc != ERR_OK) {
        goto fail;
    }
    if (!s->readonly) {
        rc = write_reindex(s, err);
        if (rc != ERR_OK) {
            goto fail;
        }
    }
    s->magic = STORE_MAGIC;
    assert(store_check_invariants(s));
    *out = s;
    return ERR_OK;

fail:
    env_txn_abort(s, &txn);
    if (s->env != NULL) {
        mdb_env_close(s->env);
    }
    pthread_rwlock_destroy(&s->txn_lock);
    free(s);
    return rc;
}

void store_close(store_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    store_t *s = *self_p;
    assert(store_check_invariants(s));
    assert(atomic_load(&s->open_txns) == 0);
    mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->txn_lock);
    s->magic = STORE_DEAD;
    free(s);
    *self_p = NULL;
}

int store_backup(store_t *self, const char *dest, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    if (mkdir(dest, 0750) != 0 && errno != EEXIST) {
        snprintf(err, ERR_LEN, "cannot create %s: %s", dest,
                 strerror(errno));
        return ERR_IO;
    }
    int rc = ERR_OK;
    /* The copy runs a read transaction of its own: hold txn_lock like any
     * transaction, or a map resize in another thread unmaps pages under
     * it (SIGSEGV; LIBRARY-NOTES). */
    hold(self);
    int mrc = mdb_env_copy2(self->env, dest, MDB_CP_COMPACT);
    release(self);
    if (mrc != MDB_SUCCESS) {
        char what[ERR_LEN / 2];
        snprintf(what, sizeof what, "backup to %.200s", dest);
        rc = lmdbh_fail(mrc, what, err);
    }
    return rc;
}
