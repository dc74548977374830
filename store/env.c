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
 * index existed gets it here, trimmed to max_rejections). The tenth,
 * outliers, is opened by every open and created by writable ones; a
 * read-only or check open of a store from before it reads it as empty
 * (no format change: store/outlier.c).
 *
 * LMDB may resize the map only while no transaction of the process is
 * open. Every transaction therefore holds txn_lock for reading, and the
 * two resizes (growing on MDB_MAP_FULL in env_grow_map, following another
 * process's growth on MDB_MAP_RESIZED in env_txn_begin) take it for
 * writing, in resize(). A backup (mdb_env_copy2) holds a read transaction
 * of its own for the whole copy, so it holds txn_lock for reading too.
 * A backup is written into a temporary directory beside its destination
 * and renamed onto it when whole (store_backup); the destination's name
 * is claimed first with mkdir(), so an existing one is never written
 * into, and nothing of a failed backup is left behind.
 *
 *   store_open: mkdir -> lmdbh_env_open (data.mdb missing beside
 *        lock.mdb, empty or truncated: refused) -> env_txn_begin
 *     -> open dbs -> check_format (new: write format + rules_fp; no
 *        format in an environment that was not new: refused; rules
 *        changed: derive_rebuild) -> commit (open_txn; on a full map:
 *        env_grow_map and again, up to map_max) -> magic = STORE_MAGIC
 *     -> writable: write_reindex (its own transaction)
 *
 * A new store is made only where there was none: a directory that does
 * not exist or holds neither data.mdb nor lock.mdb (the collector's own
 * collector.lock and endpoints, or anything else, do not count), or an
 * environment LMDB made in which nothing was ever committed (a first
 * start that died at once). Everything else must already be a whole hrss
 * store; a damaged one is never taken for a new, empty one.
 *   store_close: magic = STORE_DEAD, mdb_env_close
 *
 * INVARIANTS (of struct store, env.h; checked by store_check_invariants)
 *   1. magic == STORE_MAGIC exactly while the store is open.
 *   2. 0 < map_size <= map_max.
 *   3. mdb_env_set_mapsize() runs only in resize(), holding txn_lock for
 *      writing, with open_txns == 0 (store invariant 6): no transaction
 *      and no backup of this process is open.
 *   4. A store whose meta "format" is not STORE_FORMAT is never opened (a
 *      writable open first upgrades formats 1 and 2); a read-only or
 *      check store is opened only with the catalog its aggregates were
 *      built for (rules_fp), and a check open never writes.
 *   5. A backup's destination is either absent, an empty directory (its
 *      name claimed while the copy runs), or a whole, synced copy: never
 *      a partial one. The copy's directory is mode 0750, data.mdb 0640.
 *   6. store_open() writes the format key only into an environment that
 *      lmdbh_env_open() reports as created; no transaction reads a page
 *      of a data.mdb shorter than its last page (lmdbh checks it first).
 */
#include "store/env.h"
#include "store/tally.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/lmdbh.h"
#include "common/mem.h"
#include "store/chain.h"
#include "store/codec.h"
#include "store/derive.h"
#include "store/rec.h"

#define DEFAULT_MAP_SIZE ((size_t)64 << 20)
#define DEFAULT_MAP_MAX ((size_t)64 << 30)
/* A backup's modes, exactly (not the umask's): the store's owner and
 * group may read it, nobody else (store.h). */
#define BACKUP_DIR_MODE 0750
#define BACKUP_FILE_MODE 0640

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
    lmdbh_guard(s->env, s->file); /* the map may have moved */
    pthread_rwlock_unlock(&s->txn_lock);
    return mrc;
}

int env_txn_begin(store_t *s, unsigned flags, MDB_txn **txn,
                  char err[ERR_LEN])
{
    rec_note_clear(); /* a note belongs to the transaction that made it */
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

/* The approvals' tables (approve.c): created by writable opens; an open
 * that creates nothing (read-only, check) of a store from before them
 * leaves both 0: every month OPEN. */
static int open_approvals(store_t *s, MDB_txn *txn, unsigned flags,
                          char err[ERR_LEN])
{
    static const char *const names[] = {"approvals", "approvals_log",
                                        "exceptions"};
    MDB_dbi *dbis[] = {&s->approvals, &s->approvals_log, &s->exceptions};
    for (size_t i = 0; i < 3; i++) {
        int mrc = mdb_dbi_open(txn, names[i], flags, dbis[i]);
        if (mrc == MDB_NOTFOUND && !(flags & MDB_CREATE)) {
            *dbis[i] = 0;
            continue;
        }
        if (mrc != MDB_SUCCESS) {
            char what[64];
            snprintf(what, sizeof what, "cannot open database '%s'",
                     names[i]);
            return lmdbh_fail(mrc, what, err);
        }
    }
    return ERR_OK;
}

/* Not in t[] of open_dbs: a store from before it has none (no format
 * change: it is created empty by the first writable open, figures stored
 * before were never checked); a read-only or check open of such a store
 * reads it as empty (has_outliers 0, INVARIANT 8 of env.h). */
static int open_outliers(store_t *s, MDB_txn *txn, unsigned flags,
                         char err[ERR_LEN])
{
    int mrc = mdb_dbi_open(txn, "outliers", flags, &s->outliers);
    s->has_outliers = mrc == MDB_SUCCESS;
    if (mrc == MDB_SUCCESS || (mrc == MDB_NOTFOUND && flags == 0)) {
        return ERR_OK;
    }
    return lmdbh_fail(mrc, "cannot open database 'outliers'", err);
}

static int open_dbs(store_t *s, MDB_txn *txn, unsigned flags,
                    char err[ERR_LEN])
{
    const lmdbh_db_t t[] = {
        {"meta", &s->meta},           {"facts", &s->facts},
        {"audit", &s->audit},         {"rejects", &s->rejects},
        {"reporters", &s->reporters}, {"agg", &s->agg},
        {"violations", &s->viol},
    };
    int rc = lmdbh_open_dbs(txn, t, sizeof t / sizeof t[0], flags, err);
    if (rc == ERR_OK) {
        rc = open_approvals(s, txn, flags, err);
    }
    if (rc == ERR_OK) {
        rc = open_outliers(s, txn, flags, err);
    }
    if (rc == ERR_OK) {
        rc = comment_open_dbs(s, txn, flags, err);
    }
    if (rc == ERR_OK) {
        /* Only an existing one here: open_txn() creates and fills it
         * after the format check (an upgrade first). */
        rc = tally_open(s, txn, 0, 0, &s->tally, err);
    }
    if (rc == ERR_OK) {
        rc = chain_open_db(s, txn, flags, err);
    }
    if (rc != ERR_OK || s->readonly) {
        return rc;
    }
    /* Not in t[]: its flags differ, and only writers use it (INVARIANT 6
     * of env.h), so a store from before it still opens read-only. */
    int mrc = mdb_dbi_open(txn, "rejby", flags | MDB_DUPSORT | MDB_DUPFIXED,
                           &s->rejby);
    if (mrc != MDB_SUCCESS) {
        return lmdbh_fail(mrc, "cannot open database 'rejby'", err);
    }
    return ERR_OK;
}

/* A store of an older format: a writable open upgrades it, others are
 * refused saying what to do. Format 1 (no record checksums) has its
 * records sealed (upgrade.c), which makes it format 2; format 2 has its
 * facts and audit records rewritten (upgrade.c); both then have their
 * aggregates rebuilt, as the caller does for a new catalog: agg is
 * derived, so format 3's year spans come with it (span.h). */
static int old_format(store_t *s, MDB_txn *txn, uint64_t format,
                      char err[ERR_LEN])
{
    if (s->readonly || s->check) {
        snprintf(err, ERR_LEN,
                 "%.300s: store format %u (%s): start hrss-collector on it "
                 "once to upgrade it to format %u",
                 s->file, (unsigned)format,
                 format == STORE_FORMAT_UNSEALED ? "no record checksums"
                                                 : "an older layout",
                 STORE_FORMAT);
        return ERR_VERSION;
    }
    int rc = ERR_OK;
    if (format == STORE_FORMAT_UNSEALED) {
        rc = upgrade_format1(s, txn, err);
    }
    if (rc == ERR_OK) {
        rc = upgrade_format2(s, txn, err);
    }
    return rc;
}

/* The aggregates were built for another catalog (or never, in a new or
 * just upgraded store): only a writable open may rebuild them. */
static int stale_rules(const store_t *s, const char *dir, int have_format,
                       char err[ERR_LEN])
{
    if (!have_format) {
        snprintf(err, ERR_LEN, "%.300s: not an initialised hrss store", dir);
        return ERR_NOTFOUND;
    }
    snprintf(err, ERR_LEN,
             "the store's aggregates were built for another catalog; %s",
             s->check ? "check it with the collector's --catalog"
                      : "open it writable once (start the collector) to "
                        "rebuild");
    return ERR_VERSION;
}

/* Check the format, write it on a new store (@p created: lmdbh made the
 * environment, nothing was ever in it), upgrade a format-1 store, rebuild
 * derived data when the catalog rules changed (INVARIANT 4). An
 * environment that existed before and has no format key is not an hrss
 * store, or one damaged: refused, never taken for a new one (INVARIANT
 * 6). */
static int check_format(store_t *s, MDB_txn *txn, const char *dir,
                        int created, char err[ERR_LEN])
{
    uint64_t format = 0;
    uint64_t fp = 0;
    int have_format = 0;
    int have_fp = 0;
    uint64_t want_fp = catalog_rules_fingerprint(s->cat);
    /* "format" alone is a bare u32, readable by every version. */
    int rc = lmdbh_meta_get(txn, s->meta, CODEC_META_FORMAT, 0, &format,
                            &have_format);
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "%.300s: store metadata unreadable: %s",
                 s->file, err_str(rc));
        return rc;
    }
    if (!have_format && !created) {
        snprintf(err, ERR_LEN, "%.300s/data.mdb: not an hrss store (no "
                               "format key), or a damaged one", dir);
        return ERR_CORRUPT;
    }
    int rebuild = 0;
    if (have_format && (format == STORE_FORMAT_UNSEALED ||
                        format == STORE_FORMAT_NOSPANS)) {
        rc = old_format(s, txn, format, err);
        s->upgraded_from = (unsigned)format;
        format = STORE_FORMAT;
        rebuild = 1; /* whatever rules_fp says: below */
    } else if (have_format && format != STORE_FORMAT) {
        snprintf(err, ERR_LEN,
                 "store format %llu, this program reads format %u",
                 (unsigned long long)format, STORE_FORMAT);
        return ERR_VERSION;
    }
    if (rc == ERR_OK) {
        rc = rec_meta_get(txn, s->meta, CODEC_META_RULES_FP, 0, &fp,
                          &have_fp);
        if (rc != ERR_OK) {
            return rec_fail(s->file, "store metadata", rc, err);
        }
    }
    if (rc != ERR_OK || (have_format && have_fp && fp == want_fp &&
                         !rebuild)) {
        return rc;
    }
    if (s->readonly || s->check) {
        return stale_rules(s, dir, have_format, err);
    }
    rc = lmdbh_meta_put(txn, s->meta, CODEC_META_FORMAT, STORE_FORMAT, 4);
    if (rc == ERR_OK) {
        rc = rec_meta_put(txn, s->meta, CODEC_META_RULES_FP, want_fp);
    }
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "cannot write store metadata: %s",
                 err_str(rc));
        return rc;
    }
    if (have_format) {
        return derive_rebuild(s->cat, txn, s->facts, s->agg, s->viol,
                              s->file, err);
    }
    return ERR_OK;
}

/* Create the directory (writable), then open the environment: lmdbh
 * refuses a missing, empty or truncated data file (INVARIANT 6) and says
 * in *@p created whether the environment is new. */
static int open_env(store_t *s, const char *dir, int *created,
                    char err[ERR_LEN])
{
    struct stat st;
    if (s->check && stat(s->file, &st) != 0) {
        /* A check opens writable, but never makes a store. */
        snprintf(err, ERR_LEN, "%.300s: %s", s->file, strerror(errno));
        return errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
    }
    if (!s->readonly && mkdir(dir, 0750) != 0 && errno != EEXIST) {
        snprintf(err, ERR_LEN, "cannot create %s: %s", dir, strerror(errno));
        return ERR_IO;
    }
    lmdbh_env_opts_t eo = {"store", 32, s->map_size, s->readonly};
    int rc = lmdbh_env_open(&s->env, dir, &eo, created, err);
    if (rc == ERR_OK) {
        lmdbh_guard(s->env, s->file);
    }
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

/* A read-only open found a database missing (@p err says which): an
 * environment nothing was ever committed to is no store yet
 * (ERR_NOTFOUND); any other is not an hrss store, or a damaged one
 * (ERR_CORRUPT). @return that code, with @p err naming the file. */
static int not_a_store(const char *dir, int created, char err[ERR_LEN])
{
    char why[ERR_LEN];
    snprintf(why, sizeof why, "%s", err);
    if (created) {
        snprintf(err, ERR_LEN, "%.300s/data.mdb: not an hrss store yet "
                               "(nothing was ever written to it)", dir);
        return ERR_NOTFOUND;
    }
    snprintf(err, ERR_LEN, "%.300s/data.mdb: not an hrss store, or a "
                           "damaged one: %.150s", dir, why);
    return ERR_CORRUPT;
}

/* The opening transaction: the databases, the format check (and a
 * rebuild when the catalog's rules changed), committed. Commit even a
 * read-only transaction: database handles opened in a transaction that
 * aborts are closed with it. @return ERR_OK; ERR_FULL when the map is
 * full (nothing kept: grow and call again); another failure. */
static int open_txn(store_t *s, const char *dir, int created,
                    char err[ERR_LEN])
{
    MDB_txn *txn = NULL;
    int rc = env_txn_begin(s, s->readonly ? MDB_RDONLY : 0, &txn, err);
    if (rc != ERR_OK) {
        return rc;
    }
    rc = open_dbs(s, txn, s->readonly || s->check ? 0u : MDB_CREATE, err);
    if (rc == ERR_NOTFOUND) {
        rc = not_a_store(dir, created, err);
    }
    if (rc == ERR_OK) {
        rc = check_format(s, txn, dir, created, err);
    }
    if (rc == ERR_OK && !s->readonly && !s->check && s->tally == 0) {
        /* A store from before the tally: filled from audit and rejects
         * in this transaction (tally.h). */
        rc = tally_open(s, txn, MDB_CREATE, 1, &s->tally, err);
    }
    if (rc == ERR_OK && !s->readonly && !s->check) {
        /* A store from before the audit chain gets it here (chain.c). */
        rc = chain_build(s, txn, err);
    }
    if (rc != ERR_OK) {
        env_txn_abort(s, &txn);
        return rc;
    }
    return env_txn_commit(s, &txn, "cannot initialise store", err);
}

int store_open(store_t **out, const char *dir, const catalog_t *cat,
               const store_opts_t *opts, char err[ERR_LEN])
{
    int rc = ERR_OK;
    store_opts_t o = {0};
    if (opts != NULL) {
        o = *opts;
    }
    store_t *s = xcalloc(1, sizeof *s);
    s->cat = cat;
    s->readonly = o.readonly;
    s->check = o.check;
    snprintf(s->file, sizeof s->file, "%s/data.mdb", dir);
    s->map_size = o.map_size ? o.map_size : DEFAULT_MAP_SIZE;
    s->map_max = o.map_max ? o.map_max : DEFAULT_MAP_MAX;
    s->max_rejections = o.max_rejections ? o.max_rejections
                                          : STORE_DEFAULT_MAX_REJECTIONS;
    if (s->map_max < s->map_size) {
        s->map_max = s->map_size;
    }
    atomic_init(&s->open_txns, 0);
    if (sodium_init() < 0) { /* the audit chain's BLAKE2b (chain.c) */
        snprintf(err, ERR_LEN, "cannot initialise libsodium");
        free(s);
        return ERR_IO;
    }
    pthread_rwlock_init(&s->txn_lock, NULL);
    pthread_mutex_init(&s->asof_mu, NULL);
    atomic_init(&s->asof_builds, 0);
    int created = 0;
    rc = open_env(s, dir, &created, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    /* A rebuild for a new catalog rewrites every aggregate in this one
     * transaction: on a full map it is replayed in a grown one, up to
     * map_max, like store_apply. A crash midway leaves nothing of it. */
    for (;;) {
        rc = open_txn(s, dir, created, err);
        if (rc != ERR_FULL || s->readonly) {
            break;
        }
        rc = env_grow_map(s, err);
        if (rc != ERR_OK) {
            break;
        }
    }
    if (rc != ERR_OK) {
        goto fail;
    }
    if (!s->readonly && !s->check) {
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
    if (s->env != NULL) {
        lmdbh_unguard(s->env);
        mdb_env_close(s->env);
    }
    pthread_rwlock_destroy(&s->txn_lock);
    pthread_mutex_destroy(&s->asof_mu);
    free(s);
    return rc;
}

unsigned store_upgraded_from(const store_t *self)
{
    assert(store_check_invariants(self));
    return self->upgraded_from;
}

void store_close(store_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    store_t *s = *self_p;
    assert(store_check_invariants(s));
    assert(atomic_load(&s->open_txns) == 0);
    asof_cache_free(s);
    lmdbh_unguard(s->env);
    mdb_env_close(s->env);
    pthread_rwlock_destroy(&s->txn_lock);
    pthread_mutex_destroy(&s->asof_mu);
    s->magic = STORE_DEAD;
    free(s);
    *self_p = NULL;
}

int store_space(store_t *self, store_space_t *out, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    MDB_envinfo info;
    MDB_stat st;
    memset(out, 0, sizeof *out);
    hold(self);
    int mrc = mdb_env_info(self->env, &info);
    if (mrc == MDB_SUCCESS) {
        mrc = mdb_env_stat(self->env, &st);
    }
    release(self);
    if (mrc != MDB_SUCCESS) {
        return lmdbh_fail(mrc, "cannot read the store's size", err);
    }
    out->used_bytes = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
    out->map_bytes = info.me_mapsize;
    out->map_max_bytes = self->map_max;
    return ERR_OK;
}

/* Split @p dest into its parent directory and its last component, in
 * @p path (a copy of dest without trailing slashes): *name points into
 * it, parent[] is "." when dest has no slash. */
static int split_dest(const char *dest, char *path, size_t cap,
                      char *parent, const char **name, char err[ERR_LEN])
{
    size_t n = strlen(dest);
    while (n > 1 && dest[n - 1] == '/') {
        n--;
    }
    if (n == 0 || n >= cap - 32) {
        snprintf(err, ERR_LEN, "backup: destination '%.64s' is %s",
                 dest, n == 0 ? "empty" : "too long");
        return ERR_INVAL;
    }
    memcpy(path, dest, n);
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (slash == NULL) {
        snprintf(parent, cap, ".");
        *name = path;
    } else {
        size_t plen = slash == path ? 1 : (size_t)(slash - path);
        memcpy(parent, path, plen);
        parent[plen] = '\0';
        *name = slash + 1;
    }
    if ((*name)[0] == '\0' || strcmp(*name, ".") == 0 ||
        strcmp(*name, "..") == 0) {
        snprintf(err, ERR_LEN, "backup: destination '%.200s' names no new "
                               "directory", dest);
        return ERR_INVAL;
    }
    return ERR_OK;
}

/* Write the compacted copy into the new file @p file (mode 0640 exactly),
 * synced, holding txn_lock for reading like any transaction: a map resize
 * in another thread would unmap pages under the copy (SIGSEGV;
 * LIBRARY-NOTES). */
static int copy_to(store_t *s, const char *file, char err[ERR_LEN])
{
    int fd = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
                  BACKUP_FILE_MODE);
    if (fd < 0 || fchmod(fd, BACKUP_FILE_MODE) != 0) {
        snprintf(err, ERR_LEN, "backup: cannot create %.300s: %s", file,
                 strerror(errno));
        if (fd >= 0) {
            close(fd);
        }
        return ERR_IO;
    }
    int rc = ERR_OK;
    hold(s);
    int mrc = mdb_env_copyfd2(s->env, fd, MDB_CP_COMPACT);
    release(s);
    if (mrc != MDB_SUCCESS) {
        rc = lmdbh_fail(mrc, "backup", err);
    } else if (fsync(fd) != 0) {
        snprintf(err, ERR_LEN, "backup: cannot sync %.300s: %s", file,
                 strerror(errno));
        rc = ERR_IO;
    }
    if (close(fd) != 0 && rc == ERR_OK) {
        snprintf(err, ERR_LEN, "backup: cannot write %.300s: %s", file,
                 strerror(errno));
        rc = ERR_IO;
    }
    return rc;
}

/* fsync a directory, so that a rename in it is durable. Best effort: some
 * file systems refuse to sync a directory. */
static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        (void)fsync(fd);
        close(fd);
    }
}

int store_backup(store_t *self, const char *dest, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    char path[4096];
    char parent[4096];
    const char *name = NULL;
    int claimed = 0;
    int made_tmp = 0;
    buf_t tmp;
    buf_t file;
    buf_init(&tmp);
    buf_init(&file);
    int rc = split_dest(dest, path, sizeof path, parent, &name, err);
    if (rc != ERR_OK) {
        goto out;
    }
    /* Claim the name: mkdir is atomic, so an existing file, directory or
     * symlink of that name is refused and never written into. The empty
     * directory is replaced by the finished copy below. */
    if (mkdir(path, BACKUP_DIR_MODE) != 0) {
        if (errno == EEXIST) {
            snprintf(err, ERR_LEN, "backup: %.300s already exists", path);
            rc = ERR_INVAL;
        } else {
            snprintf(err, ERR_LEN, "backup: cannot create %.300s: %s", path,
                     strerror(errno));
            rc = ERR_IO;
        }
        goto out;
    }
    claimed = 1;
    buf_put(&tmp, parent, strlen(parent));
    buf_put(&tmp, "/.", 2);
    buf_put(&tmp, name, strlen(name));
    buf_put_str(&tmp, ".tmp-XXXXXX");
    if (mkdtemp((char *)tmp.data) == NULL) {
        snprintf(err, ERR_LEN, "backup: cannot create a directory in "
                               "%.300s: %s", parent, strerror(errno));
        rc = ERR_IO;
        goto fail;
    }
    made_tmp = 1;
    buf_put(&file, tmp.data, tmp.len - 1);
    buf_put_str(&file, "/data.mdb");
    rc = copy_to(self, (const char *)file.data, err);
    if (rc != ERR_OK) {
        goto fail;
    }
    /* rename() replaces the empty directory that claimed the name: DEST is
     * never seen half written. */
    if (chmod((const char *)tmp.data, BACKUP_DIR_MODE) != 0 ||
        rename((const char *)tmp.data, path) != 0) {
        snprintf(err, ERR_LEN, "backup: cannot move the copy to %.300s: "
                               "%s", path, strerror(errno));
        rc = ERR_IO;
        goto fail;
    }
    sync_dir(parent);
    goto out;

fail:
    if (made_tmp) {
        unlink((const char *)file.data);
        rmdir((const char *)tmp.data);
    }
    if (claimed) {
        rmdir(path);
    }
out:
    buf_fini(&tmp);
    buf_fini(&file);
    return rc;
}
