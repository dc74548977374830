/** @file chain.h
 *  @brief Internal to store/: the audit chain, a hash chain over every
 *         audit record, approvals_log entry and comment, in the order the
 *         store accepted them (issue 14).
 *
 *  The chain is logically one hash per record, position 1, 2, ...:
 *
 *    h(pos) = BLAKE2b-256( h(pos-1)        32 zero bytes for pos 1
 *                          || pos          u64 big-endian
 *                          || type         u8 (1 audit, 2 approvals_log,
 *                                          3 comments)
 *                          || reflen:u16 || ref   the record's key
 *                          || value )      the record's value as stored,
 *                                          seal included
 *
 *  It is stored as links: one `chain` record per run of at most
 *  CHAIN_LINK_MAX records written by one transaction. Key `01
 *  end:u64` (the position of its last record, so MDB_SET_RANGE on a
 *  position finds the link covering it); value, sealed (rec.h):
 *
 *    02                  layout (CHAIN_LAYOUT_LINK)
 *    n:u16               records, 1..CHAIN_LINK_MAX: positions end-n+1..end
 *    groups              the records' keys, in order, until they make n:
 *                          type:u8 count:u16, then for audit and
 *                          approvals_log first_id:u64 (keys `01 id`,
 *                          first_id .. first_id+count-1), for comments
 *                          count x (len:u8 key)
 *    digest[n][8]        the first 8 bytes of h(pos) of each record
 *    hash[32]            h(end), in full
 *
 *  The earlier layout, one record per position (`01 type reflen:u16 ref
 *  hash[32]`, value byte 01), is read as a link of one record (its
 *  digest the hash's first 8 bytes): stores written by the first chain
 *  commits keep those records and get new links after them.
 *
 *  A link is built in memory (chain_tip_t) by chain_append() in the
 *  transaction that writes its records, written when full and by
 *  chain_flush() before the commit, so records and links commit together
 *  or not at all. The tip is read from the table once per transaction:
 *  never a process-wide cache that an aborted or replayed transaction
 *  could leave wrong.
 */
#ifndef HRSS_STORE_CHAIN_H
#define HRSS_STORE_CHAIN_H
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "store/store.h"

#define CHAIN_HASH_LEN 32
#define CHAIN_DIGEST_LEN 8
/** Records a link at most: 240 x 8-byte digests and the rest fit one
 *  LMDB node of a 4 KiB page (at most 2,021 bytes of value), so a link
 *  never takes an overflow page. */
#define CHAIN_LINK_MAX 240
/** A link's value, seal included, at most (CHAIN_LINK_MAX's reason). */
#define CHAIN_VALUE_MAX 2016
#define CHAIN_LAYOUT_ONE 1  /**< the first layout: one record a position */
#define CHAIN_LAYOUT_LINK 2 /**< a link of runs (above) */

/** What a chain record covers; the numbers are stored: never renumber. */
enum chain_type {
    CHAIN_AUDIT = 1,
    CHAIN_APPROVALS_LOG = 2,
    CHAIN_COMMENTS = 3,
};

/** The chain as one transaction sees it, with the link it is building.
 *  Set loaded 0 at the start of each transaction (read on first use). */
typedef struct chain_tip {
    int loaded;
    uint64_t pos;                   /**< last position appended; 0: empty */
    uint8_t head[CHAIN_HASH_LEN];   /**< h(pos); zeros when empty */
    /* the link being built: positions pos-n+1..pos, not yet written */
    uint16_t n;
    size_t refs_len;
    size_t group;                   /**< offset of the last group */
    uint8_t refs[CHAIN_VALUE_MAX];
    uint8_t digests[CHAIN_LINK_MAX * CHAIN_DIGEST_LEN];
} chain_tip_t;

/** A link, parsed from an unsealed value; pointers borrowed from it. */
typedef struct chain_link {
    int layout;                     /**< CHAIN_LAYOUT_ONE or _LINK */
    uint64_t first;
    uint64_t end;
    size_t n;
    const uint8_t *refs;            /**< the groups (LINK), or the old
                                         record's `type reflen ref` */
    size_t refs_len;
    const uint8_t *digests;         /**< n x CHAIN_DIGEST_LEN */
    uint8_t hash[CHAIN_HASH_LEN];   /**< h(end) */
} chain_link_t;

/** Iterator over a link's records (chain_refs_next). */
typedef struct chain_refs {
    const chain_link_t *l;
    buf_reader_t r;
    size_t i;           /* records given */
    size_t left;        /* of the current group */
    enum chain_type type;
    uint64_t id;        /* the next id of an id group */
    uint8_t kb[16];     /* an id key, `01 id` */
} chain_refs_t;

/** Open the chain table: created by a writable open (@p flags
 *  MDB_CREATE); absent from an older store opened otherwise: has_chain 0.
 */
int chain_open_db(store_t *s, MDB_txn *txn, unsigned flags,
                  char err[ERR_LEN]);

/** Append the record covering (@p key, @p sealed: the value exactly as
 *  just stored) of table @p type to @p tip's link in @p txn, writing the
 *  link first when the record would not fit it. @p tip NULL: read the
 *  head, append, write the one-record link at once. Audit and
 *  approvals_log keys must be `01 id:u64`.
 *  @return ERR_OK, or the LMDB failure (the transaction is then
 *  unusable: abort it). */
int chain_append(store_t *s, MDB_txn *txn, chain_tip_t *tip,
                 enum chain_type type, const MDB_val *key,
                 const buf_t *sealed);

/** Write @p tip's link, if it holds records; before each commit of a
 *  transaction that appended. @return as chain_append(). */
int chain_flush(store_t *s, MDB_txn *txn, chain_tip_t *tip);

/** Read @p txn's head into @p tip (no link being built). @return ERR_OK,
 *  ERR_CORRUPT (noted). */
int chain_tip_load(const store_t *s, MDB_txn *txn, chain_tip_t *tip);

/** In a writable open's opening transaction: when the chain is empty and
 *  any of the three tables holds records (a store written before the
 *  chain), build it over them: audit in id order, then approvals_log in
 *  id order, then comments in key order. */
int chain_build(store_t *s, MDB_txn *txn, char err[ERR_LEN]);

/** h(pos) of a record: @p prev, @p pos, @p type, @p ref, @p val. */
void chain_hash(const uint8_t prev[CHAIN_HASH_LEN], uint64_t pos,
                enum chain_type type, const MDB_val *ref, const MDB_val *val,
                uint8_t out[CHAIN_HASH_LEN]);

/** Parse a link: key @p k, unsealed value @p d (either layout), its
 *  record keys included. @return ERR_OK or ERR_CORRUPT. */
int chain_link_parse(const MDB_val *k, const MDB_val *d, chain_link_t *out);

/** Start iterating @p l's records (parsed: they are well formed). */
void chain_refs_begin(chain_refs_t *it, const chain_link_t *l);

/** The next record's type and key (borrowed from @p it or the link).
 *  @return 1, or 0 after the last. */
int chain_refs_next(chain_refs_t *it, enum chain_type *type, MDB_val *key);

/** The table @p type covers in @p s (0 when absent) and its name. */
MDB_dbi chain_table(const store_t *s, enum chain_type type);
const char *chain_table_name(enum chain_type type);

#endif
