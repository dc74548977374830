/** @file rec.h
 *  @brief Internal to store/: sealed records (store format 2). Every value
 *         the store writes passes rec_put(), every value it reads passes
 *         rec_get() or rec_unseal(), so no record whose checksum fails is
 *         ever parsed, let alone served.
 *
 *  A sealed value is the record's bytes (codec.h) followed by the 4-byte
 *  CRC-32C of the key and those bytes (common/lmdbh: lmdbh_seal). The
 *  one exception is meta "format", kept as a bare u32 so that every
 *  version of hrss can say which format a file has.
 *
 *  Naming damage: a failed check (or a record that parses badly, through
 *  rec_malformed()) leaves a note naming the table and the key, in
 *  words (codec_key_text), in a thread-local buffer. The public function
 *  that returns the ERR_CORRUPT formats its message with rec_fail(), which
 *  adds the note and the store's file, e.g.
 *    "history: /var/lib/hrss/data.mdb: table audit, key 17: checksum
 *     mismatch".
 *  env_txn_begin() clears the note, so a note always belongs to the
 *  transaction that failed. Thread-local because the collector's query
 *  thread reads while its main thread writes, each in its own txn.
 *
 *  INVARIANTS
 *    1. rec_get()/rec_unseal() return ERR_OK only for a value whose seal
 *       holds, and then hand out the record's bytes without the seal.
 *    2. Every ERR_CORRUPT they return leaves a note naming table and key.
 *    3. rec_fail() never writes more than ERR_LEN bytes and returns its rc.
 */
#ifndef HRSS_STORE_REC_H
#define HRSS_STORE_REC_H
#include <lmdb.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "store/store.h"

/** Seal @p val (the record's bytes; the seal is appended to it) for
 *  @p key and put it into @p dbi with mdb_put @p flags. */
int rec_put(MDB_txn *txn, MDB_dbi dbi, const MDB_val *key, buf_t *val,
            unsigned flags);

/** Look @p key up in @p dbi (table name @p table for messages) and check
 *  its seal. @param[out] val  The record's bytes, borrowed.
 *  @return ERR_OK (absent: *found 0), ERR_CORRUPT (noted), or the LMDB
 *          failure. */
int rec_get(MDB_txn *txn, MDB_dbi dbi, const char *table, const MDB_val *key,
            MDB_val *val, int *found);

/** Check the seal of @p val read under @p key from @p table (a cursor's
 *  record) and cut the seal off. @return ERR_OK or ERR_CORRUPT (noted). */
int rec_unseal(const char *table, const MDB_val *key, MDB_val *val);

/** Pass @p rc through; when it is ERR_CORRUPT and nothing is noted yet,
 *  note the record of @p table under @p key as malformed. For the result
 *  of a codec parser: `rc = rec_malformed("facts", &k, codec_parse_...)`. */
int rec_malformed(const char *table, const MDB_val *key, int rc);

/** Forget the note (env_txn_begin). */
void rec_note_clear(void);

/** The note of this thread's last failed check, "" when none. */
const char *rec_note(void);

/** Write "@p what: FILE: NOTE" into @p err when @p rc is ERR_CORRUPT and a
 *  note is there, else "@p what: err_str(rc)". @return @p rc. */
int rec_fail(const char *file, const char *what, int rc, char err[ERR_LEN]);

/** Read the sealed u64 meta value @p name: @p dflt when absent. */
int rec_meta_get(MDB_txn *txn, MDB_dbi meta, const char *name,
                 uint64_t dflt, uint64_t *out, int *found);

/** Write @p v as the sealed u64 meta value @p name. */
int rec_meta_put(MDB_txn *txn, MDB_dbi meta, const char *name, uint64_t v);

#endif
