/* rec.c: sealed records (store format 2) and the note that names a
 * damaged one.
 *
 * Design
 * ------
 * A thin layer over mdb_put/mdb_get and lmdbh's seals: each check that
 * fails writes "table T, key K: why" into a thread-local note, with K in
 * words from codec_key_text(); the public function that gives up formats
 * its error with rec_fail(), which names the file too. The note is the
 * first failure of the transaction: later ones (a caller that keeps going
 * would be a bug) do not overwrite it.
 *
 * INVARIANTS
 *   1. (rec.h 1-3.)
 *   2. The note is written only here and cleared only by rec_note_clear().
 */
#include "store/rec.h"

#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"
#include "store/codec.h"

static _Thread_local char note[ERR_LEN];

static int noted(const char *table, const MDB_val *key, const char *why)
{
    if (note[0] == '\0') {
        char kt[256];
        codec_key_text(table, key, kt, sizeof kt);
        snprintf(note, sizeof note, "table %s, key %s: %s", table, kt, why);
    }
    return ERR_CORRUPT;
}

int rec_put(MDB_txn *txn, MDB_dbi dbi, const MDB_val *key, buf_t *val,
            unsigned flags)
{
    lmdbh_seal(val, key);
    MDB_val k = *key; /* LMDB's calls take no const */
    MDB_val d = lmdbh_val(val);
    return lmdbh_code(mdb_put(txn, dbi, &k, &d, flags));
}

int rec_unseal(const char *table, const MDB_val *key, MDB_val *val)
{
    if (lmdbh_unseal(key, val) != ERR_OK) {
        return noted(table, key, val->mv_size < LMDBH_SEAL_LEN
                                     ? "record shorter than its checksum"
                                     : "checksum mismatch");
    }
    return ERR_OK;
}

int rec_get(MDB_txn *txn, MDB_dbi dbi, const char *table, const MDB_val *key,
            MDB_val *val, int *found)
{
    int rc = lmdbh_get(txn, dbi, key, val, found);
    if (rc == ERR_OK && *found) {
        rc = rec_unseal(table, key, val);
    }
    return rc;
}

int rec_malformed(const char *table, const MDB_val *key, int rc)
{
    if (rc == ERR_CORRUPT) {
        noted(table, key, "malformed record");
    }
    return rc;
}

void rec_note_clear(void)
{
    note[0] = '\0';
}

const char *rec_note(void)
{
    return note;
}

int rec_fail(const char *file, const char *what, int rc, char err[ERR_LEN])
{
    if (rc == ERR_CORRUPT && note[0] != '\0') {
        snprintf(err, ERR_LEN, "%.80s: %.200s: %.220s", what, file, note);
    } else {
        snprintf(err, ERR_LEN, "%s: %s", what, err_str(rc));
    }
    return rc;
}

int rec_meta_get(MDB_txn *txn, MDB_dbi meta, const char *name,
                 uint64_t dflt, uint64_t *out, int *found)
{
    MDB_val k = {strlen(name), (void *)(uintptr_t)name};
    MDB_val d;
    int have = 0;
    *out = dflt;
    int rc = rec_get(txn, meta, "meta", &k, &d, &have);
    if (rc == ERR_OK && have) {
        buf_reader_t r;
        buf_reader_init(&r, d.mv_data, d.mv_size);
        uint64_t v = buf_get_u64(&r);
        rc = rec_malformed("meta", &k, buf_done(&r) ? ERR_OK : ERR_CORRUPT);
        if (rc == ERR_OK) {
            *out = v;
        }
    }
    if (found != NULL) {
        *found = rc == ERR_OK && have;
    }
    return rc;
}

int rec_meta_put(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t v)
{
    buf_t b;
    buf_init(&b);
    buf_put_u64(&b, v);
    MDB_val k = {strlen(name), (void *)(uintptr_t)name};
    int rc = rec_put(txn, meta, &k, &b, 0);
    buf_fini(&b);
    return rc;
}
