/* snap.c: which read transaction a question is read in: its own, or the
 * snapshot its thread pinned; and the store's pages given back.
 *
 * Design
 * ------
 * A store answers each question from one read-only transaction (store.h
 * INVARIANT 8). A process that asks many questions in a row and wants
 * them to agree, hrssctl --data-dir (an export in pages, a completeness
 * in pages, progress' nineteen totals), pins one snapshot with
 * store_pin(): every read of that thread on that store then uses the
 * pinned transaction, until store_unpin(). An LMDB transaction belongs
 * to one thread, so the pin is thread-local, as rec.c's note is; other
 * threads go on beginning their own.
 *
 * A pinned transaction holds txn_lock for reading, so the map of this
 * process cannot be resized while it is open: a read-only store never
 * resizes but to follow another process's growth, which only a new
 * transaction's begin asks for (MDB_MAP_RESIZED), and a pinned thread
 * begins none. A writer in the same thread (tests) must not need to grow
 * the map meanwhile. It also keeps LMDB from reusing the pages of the
 * snapshot, so a writer elsewhere grows the file while a long pin lasts:
 * pins are for one run of a command.
 *
 * store_release_pages(): LMDB reads through a shared, read-only map of
 * the file; every page a read touches (and the kernel's fault-around
 * neighbours) stays in the process's resident size until unmapped. A
 * long-lived process (the collector, after an export) drops them with
 * madvise(MADV_DONTNEED): on a shared file mapping that only unmaps, the
 * page cache keeps the data, and a later read maps it again. The map's
 * range is the one lmdbh_guard() found (LMDB does not say where it
 * mapped the file). It holds a read transaction, so
 * txn_lock, meanwhile: no resize moves the map. A long read (a scan, a
 * completeness) does it as it goes (snap_shed), every so many records:
 * the kernel maps far more than the pages read (fault-around and large
 * page-cache folios: a completeness page of 400 regions mapped 330 MB of
 * a 1.9 GB store), so without it a reader's resident size grows with the
 * store. The pages of the snapshot stay valid: the data is in the file,
 * only this process's mapping of it is dropped, and a borrowed value is
 * mapped again when read.
 *
 * INVARIANTS
 *   1. (snap.h 1-2.)
 *   2. pin.txn != NULL iff pin.s != NULL.
 *   3. store_release_pages() and snap_shed() advise only the mapping
 *      that holds the map, inside a transaction (so holding txn_lock for
 *      reading: no resize moves it); snap_shed() begins none.
 */
#include "store/snap.h"

#include <assert.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>

#include "common/lmdbh.h"
#include "store/env.h"
#include "store/rec.h"

/* This thread's pinned snapshot (INVARIANT 2). */
typedef struct pin {
    store_t *s;
    MDB_txn *txn;
} pin_t;

static _Thread_local pin_t pin;

/* This thread's reads since its last give-back (snap_shed). */
static _Thread_local unsigned read_count;

int snap_begin(store_t *s, MDB_txn **txn, char err[ERR_LEN])
{
    if (pin.s == s && pin.txn != NULL) {
        rec_note_clear(); /* a note belongs to the question that made it */
        *txn = pin.txn;
        return ERR_OK;
    }
    return env_txn_begin(s, MDB_RDONLY, txn, err);
}

void snap_end(store_t *s, MDB_txn **txn)
{
    if (*txn != NULL && *txn == pin.txn && pin.s == s) {
        *txn = NULL;
        return;
    }
    env_txn_abort(s, txn);
}

int store_pin(store_t *self, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    if (pin.s == self) {
        return ERR_OK;
    }
    if (pin.s != NULL) {
        snprintf(err, ERR_LEN, "this thread already pinned another store");
        return ERR_INVAL;
    }
    MDB_txn *txn = NULL;
    int rc = env_txn_begin(self, MDB_RDONLY, &txn, err);
    if (rc == ERR_OK) {
        pin.s = self;
        pin.txn = txn;
    }
    return rc;
}

int snap_pinned(const store_t *s)
{
    return pin.s == s && pin.txn != NULL;
}

void store_unpin(store_t *self)
{
    if (pin.s == self && pin.txn != NULL) {
        MDB_txn *txn = pin.txn;
        pin.s = NULL;
        pin.txn = NULL;
        env_txn_abort(self, &txn);
    }
}

/* Give back the map's pages, in @p txn (which holds txn_lock: no resize
 * moves the map meanwhile). */
static int release_in(store_t *s, MDB_txn *txn, char err[ERR_LEN])
{
    (void)txn; /* held, so that no resize moves the map meanwhile */
    /* The range lmdbh_guard() found at open and after every resize. */
    uintptr_t lo = 0;
    size_t len = 0;
    if (lmdbh_map(s->env, &lo, &len) &&
        madvise((void *)lo, len, MADV_DONTNEED) != 0) {
        snprintf(err, ERR_LEN, "%.200s: cannot give back mapped pages",
                 s->file);
        return ERR_IO;
    }
    return ERR_OK;
}

int store_release_pages(store_t *self, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    MDB_txn *txn = NULL;
    int rc = env_txn_begin(self, MDB_RDONLY, &txn, err);
    if (rc == ERR_OK) {
        rc = release_in(self, txn, err);
    }
    env_txn_abort(self, &txn);
    return rc;
}

void snap_shed(store_t *s, MDB_txn *txn, unsigned reads)
{
    read_count += reads;
    if (read_count >= SNAP_SHED_READS) {
        char err[ERR_LEN];
        read_count = 0;
        (void)release_in(s, txn, err);
    }
}

static int lookup(const store_t *s, const char *indicator, uint32_t region,
                  int *ii, int *ri, char err[ERR_LEN])
{
    *ii = catalog_indicator_find(s->cat, indicator);
    if (*ii < 0) {
        snprintf(err, ERR_LEN, "unknown indicator '%.64s'", indicator);
        return ERR_NOTFOUND;
    }
    *ri = catalog_region_find(s->cat, region);
    if (*ri < 0) {
        snprintf(err, ERR_LEN, "unknown region %u", region);
        return ERR_NOTFOUND;
    }
    return ERR_OK;
}

int snap_lookup_begin(store_t *s, const char *indicator, uint32_t region,
                      int *ii, int *ri, MDB_txn **txn, char err[ERR_LEN])
{
    *txn = NULL;
    int rc = lookup(s, indicator, region, ii, ri, err);
    if (rc == ERR_OK) {
        rc = snap_begin(s, txn, err);
    }
    return rc;
}
