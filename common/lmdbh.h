/** @file lmdbh.h
 *  @brief LMDB helpers shared by the two modules that keep data in LMDB:
 *         the collector's store (store/) and the agent's spool
 *         (agent/spool.c).
 *
 *  What both of them did by hand, once: translating MDB_* codes into ERR_*
 *  codes and "what: reason" messages, opening an environment and its named
 *  databases, reading and writing integer meta values, looking up a key
 *  that may be absent, and the key shape of an append-only table (a
 *  version byte and a big-endian u64 id) with its next free id.
 *
 *  Every function returns an ERR_* code: MDB_* codes do not leave this
 *  module except through lmdbh_code() and lmdbh_fail(), which callers use
 *  on the codes of their own mdb_* calls.
 *
 *  Owns nothing and keeps no state. The LMDB types in these signatures
 *  (MDB_env, MDB_txn, MDB_dbi, MDB_val, MDB_cursor) are the callers' own
 *  handles, passed through; no function begins, commits or aborts a txn.
 *  Two exceptions: the caller owns the environment lmdbh_env_open()
 *  makes and must mdb_env_close() it, and lmdbh_cursor_end() takes
 *  ownership of *cur and sets it to NULL. Transaction rules are LMDB's (a
 *  txn belongs to one thread; values read are borrowed until the txn ends
 *  or its next write: copy them before commit or abort).
 *
 *  INVARIANTS
 *    1. MDB_SUCCESS, and only it, maps to ERR_OK; no function returns an
 *       MDB_* code.
 *    2. lmdbh_env_open() leaves *out untouched on failure and closes the
 *       environment it created.
 *    3. lmdbh_meta_get() accepts exactly 4- and 8-byte values; any other
 *       size is ERR_CORRUPT, never a read past the value. *out is the
 *       value when found, else @p dflt (on failure too).
 *    4. An id key is 9 bytes, the version byte then the id big-endian, so
 *       the keys of one version sort by id and MDB_APPEND can add them;
 *       lmdbh_id_parse() accepts exactly that shape. Ids start at 1.
 *    5. lmdbh_env_open() hands out an environment only when its data.mdb
 *       holds every page up to the last one its newest meta page names,
 *       and creates one only where no data.mdb and no lock.mdb were.
 *    6. lmdbh_unseal(k, lmdbh_seal(v, k)) gives v back; any other key or
 *       any change to the sealed bytes in up to 32 consecutive bits (and
 *       almost every other change) is ERR_CORRUPT.
 */
#ifndef HRSS_LMDBH_H
#define HRSS_LMDBH_H
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

/** ERR_* code for an LMDB (or errno) return code @p mrc: MDB_SUCCESS, and
 *  only it, gives ERR_OK; MDB_NOTFOUND ERR_NOTFOUND; MDB_MAP_FULL
 *  ERR_FULL; MDB_VERSION_MISMATCH and MDB_INVALID ERR_VERSION;
 *  MDB_CORRUPTED and MDB_PAGE_NOTFOUND ERR_CORRUPT; ENOMEM ERR_NOMEM;
 *  anything else ERR_IO. */
int lmdbh_code(int mrc);

/** Write "@p what: <mdb_strerror(mrc)>" into @p err ("@p what: disk full
 *  (<mdb_strerror>)" for ENOSPC and EDQUOT) and return
 *  lmdbh_code(@p mrc). */
int lmdbh_fail(int mrc, const char *what, char err[ERR_LEN]);

/** The bytes of @p b as an MDB_val. Borrowed; valid until @p b changes. */
MDB_val lmdbh_val(const buf_t *b);

/** How to open an environment with lmdbh_env_open(). */
typedef struct lmdbh_env_opts {
    const char *what;   /**< "store", "spool": names it in messages */
    unsigned max_dbs;   /**< named databases it holds */
    size_t map_size;    /**< map size to set; ignored when read-only */
    int readonly;       /**< MDB_RDONLY */
} lmdbh_env_opts_t;

/** Create and open the environment in directory @p dir (which must exist)
 *  with MDB_NOTLS; when writable, clear stale reader slots
 *  (mdb_reader_check) as LMDB advises at start-up.
 *
 *  A damaged file is refused before anything reads or writes its pages
 *  (INVARIANT 5), with a message naming DIR/data.mdb:
 *  - data.mdb of 0 bytes (LMDB would write fresh meta pages into it):
 *    ERR_CORRUPT;
 *  - data.mdb shorter than the pages its newest meta page counts (a
 *    read of a page beyond the end of the file is SIGBUS): ERR_CORRUPT,
 *    "truncated: N bytes, the WHAT's last page ends at M";
 *  - data.mdb that is no LMDB file at all (also one shorter than its two
 *    meta pages): ERR_VERSION (LMDB's MDB_INVALID);
 *  - no data.mdb: read-only, ERR_NOTFOUND; writable, a new environment
 *    only when the directory holds no lock.mdb either, else ERR_CORRUPT
 *    (LMDB makes lock.mdb at every open, so a directory that held an
 *    environment has it). Other files in the directory do not count.
 *  @param[out] out      Receives the environment; untouched on failure.
 *  @param[out] created  1 when the environment is new: made by this call,
 *                       or made by LMDB earlier with nothing ever
 *                       committed in it (a first start that died before
 *                       its first commit); else 0. Then, and only then,
 *                       may the caller take missing metadata for a new
 *                       store. Untouched on failure.
 *  @return ERR_OK, ERR_IO, ERR_VERSION, ERR_NOTFOUND, ERR_CORRUPT; @p err
 *          says why. Caller owns *out and must mdb_env_close() it. */
int lmdbh_env_open(MDB_env **out, const char *dir,
                   const lmdbh_env_opts_t *opts, int *created,
                   char err[ERR_LEN]);

/** One named database of a table for lmdbh_open_dbs(). */
typedef struct lmdbh_db {
    const char *name;
    MDB_dbi *dbi;       /**< OUT: the handle */
} lmdbh_db_t;

/** Open the @p n named databases of @p dbs in @p txn with @p flags
 *  (MDB_CREATE or 0). Commit @p txn to keep the handles.
 *  @return ERR_OK, or the first failure with "cannot open database 'x'"
 *          in @p err (ERR_NOTFOUND when absent and not created). */
int lmdbh_open_dbs(MDB_txn *txn, const lmdbh_db_t *dbs, size_t n,
                   unsigned flags, char err[ERR_LEN]);

/** Look @p key up in @p dbi. An absent key is not an error.
 *  @param[out] out    The value; borrowed until the txn ends or writes.
 *  @param[out] found  1 when present, else 0.
 *  @return ERR_OK, or the LMDB failure as ERR_*. */
int lmdbh_get(MDB_txn *txn, MDB_dbi dbi, const MDB_val *key, MDB_val *out,
              int *found);

/** Read the integer meta value @p name: 4 bytes as a big-endian u32,
 *  8 bytes as a u64 (formats wrote both widths).
 *  @param[out] out    The value, or @p dflt when absent.
 *  @param[out] found  1 when present, else 0; may be NULL.
 *  @return ERR_OK, ERR_CORRUPT (any other size), or the LMDB failure. */
int lmdbh_meta_get(MDB_txn *txn, MDB_dbi dbi, const char *name,
                   uint64_t dflt, uint64_t *out, int *found);

/** Write @p v as the meta value @p name: a big-endian u32 or u64 as
 *  @p width (4 or 8) says. @return ERR_OK or the LMDB failure. */
int lmdbh_meta_put(MDB_txn *txn, MDB_dbi dbi, const char *name, uint64_t v,
                   int width);

/** End a cursor walk: close *@p cur (if not NULL; sets it to NULL) and
 *  fold the walk's last mdb_cursor_get() code @p mrc into @p rc: a failure
 *  already in @p rc wins; else MDB_SUCCESS and MDB_NOTFOUND (the end of
 *  the table) give ERR_OK and any other code its ERR_*. */
int lmdbh_cursor_end(MDB_cursor **cur, int rc, int mrc);

/** Key of an append-only table: version byte @p ver, big-endian @p id.
 *  Resets @p b first. */
void lmdbh_id_key(buf_t *b, uint8_t ver, uint64_t id);

/** Parse a key written by lmdbh_id_key().
 *  @return ERR_OK, or ERR_CORRUPT (other version, other length). */
int lmdbh_id_parse(const MDB_val *k, uint8_t ver, uint64_t *id);

/** Next free id of an append-only table keyed by lmdbh_id_key(): the last
 *  key's id + 1, or 1 when the table is empty.
 *  @return ERR_OK, ERR_CORRUPT (last key malformed), LMDB failures. */
int lmdbh_next_id(MDB_txn *txn, MDB_dbi dbi, uint8_t ver, uint64_t *out);

/* --- read faults in the map -------------------------------------------- */

/** Guard the map of @p env, the file @p file: a SIGBUS or SIGSEGV whose
 *  address lies inside the map is a damaged file (LMDB follows page
 *  numbers without checking them: a flipped byte in a branch page can
 *  send it past the end of the file, SIGBUS, or into nonsense), not a bug
 *  of ours; so is one anywhere while LMDB's own code runs (a damaged
 *  node's flags: LMDB uses a sub-cursor a plain table never has, a write
 *  near address 0), when LMDB is a shared library, as Debian's is. It then writes "FATAL: FILE is damaged: ..." to stderr and
 *  _exit(1)s, instead of dumping core. A fault anywhere else goes on to
 *  the handler that was there before (the default, or ASan's).
 *  Call after opening @p env and again after every change of its map
 *  size (the map may move); at most 8 environments at once (more are
 *  not guarded). Thread-safe with respect to the handler. */
void lmdbh_guard(MDB_env *env, const char *file);

/** Stop guarding @p env (before mdb_env_close). */
void lmdbh_unguard(MDB_env *env);

/** Where @p env's map lies in this process, as lmdbh_guard() last found
 *  it. @return 1 and the range, or 0 when @p env is not guarded. */
int lmdbh_map(MDB_env *env, uintptr_t *lo, size_t *len);

/** Whether @p env's two meta pages agree with each other, read from the
 *  file (LMDB has no checksum on them). LMDB writes commit N's meta into
 *  page N % 2, so page 0 holds an even transaction id, page 1 an odd one,
 *  and the two differ by one (both 0 before the first commit). A flipped
 *  byte in an id can make LMDB open the previous commit as if it were the
 *  newest; this finds it (but not the one flip that keeps both rules,
 *  which turns the newest id N into N - 2). Reads twice and believes only
 *  a disagreement seen both times, since a writer may commit meanwhile.
 *  @return 1; or 0 with @p why (at most @p cap bytes) saying what is
 *  wrong, or -1 with @p why when the file cannot be read. */
int lmdbh_metas_agree(MDB_env *env, char *why, size_t cap);

/* --- sealed records ---------------------------------------------------- */

/** Bytes a seal adds to a value. */
#define LMDBH_SEAL_LEN 4

/** Seal the value in @p val for key @p key: append the big-endian
 *  CRC-32C of the key's bytes followed by the value's (common/crc32c).
 *  The key is in the checksum so that a record whose key was damaged
 *  (moved to another cell, say) fails its check too. */
void lmdbh_seal(buf_t *val, const MDB_val *key);

/** Check the seal of value @p val stored under @p key and, when it holds,
 *  shrink @p val to the record's own bytes (its last LMDBH_SEAL_LEN bytes
 *  cut). @return ERR_OK, or ERR_CORRUPT (shorter than a seal, or the
 *  checksum differs) with @p val untouched. */
int lmdbh_unseal(const MDB_val *key, MDB_val *val);

/** Write at most @p cap bytes (NUL included) of a readable form of @p key
 *  into @p out for a message: printable ASCII as is, other bytes as
 *  \xNN, cut with "..." when longer. @return out. */
char *lmdbh_key_text(const MDB_val *key, char *out, size_t cap);

#endif
