/** @file chain.h
 *  @brief Internal to store/: the audit chain, a hash chain over every
 *         audit record, approvals_log entry and comment, in the order the
 *         store accepted them (issue 14).
 *
 *  Table `chain`: key `01 pos:u64` (1, 2, ...); value `01 type:u8 (1
 *  audit, 2 approvals_log, 3 comments) reflen:u16 ref[reflen] hash[32]`,
 *  sealed like every record (rec.h). ref is the covered record's key.
 *
 *    hash(pos) = BLAKE2b-256( hash(pos-1)        32 zero bytes for pos 1
 *                             || pos              u64 big-endian
 *                             || type             u8
 *                             || reflen || ref    as in the chain record
 *                             || value )          the covered record's
 *                                                 value as stored, seal
 *                                                 included
 *
 *  A record is appended in the transaction that writes the record it
 *  covers, so the two commit together or not at all. The head (last
 *  position and hash) is read from the table once per transaction
 *  (chain_tip_t, kept by the caller for that transaction only): never a
 *  process-wide cache that an aborted or replayed transaction could
 *  leave wrong.
 */
#ifndef HRSS_STORE_CHAIN_H
#define HRSS_STORE_CHAIN_H
#include <lmdb.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"
#include "store/store.h"

#define CHAIN_HASH_LEN 32

/** What a chain record covers; the numbers are stored: never renumber. */
enum chain_type {
    CHAIN_AUDIT = 1,
    CHAIN_APPROVALS_LOG = 2,
    CHAIN_COMMENTS = 3,
};

/** The chain's last record as one transaction sees it. Zero it at the
 *  start of each transaction (loaded 0: read on first use). */
typedef struct chain_tip {
    int loaded;
    uint64_t pos;                   /**< 0: the chain is empty */
    uint8_t head[CHAIN_HASH_LEN];   /**< zeros when empty */
} chain_tip_t;

/** A chain record, parsed. @p ref is borrowed from the record. */
typedef struct chain_rec {
    enum chain_type type;
    MDB_val ref;
    uint8_t hash[CHAIN_HASH_LEN];
} chain_rec_t;

/** Open the chain table: created by a writable open (@p flags
 *  MDB_CREATE); absent from an older store opened otherwise: has_chain 0.
 */
int chain_open_db(store_t *s, MDB_txn *txn, unsigned flags,
                  char err[ERR_LEN]);

/** Append the record covering (@p key, @p sealed: the value exactly as
 *  just stored) of table @p type in @p txn, moving @p tip (NULL: read the
 *  head, use it once). @return ERR_OK, or the LMDB failure (the
 *  transaction is then unusable: abort it). */
int chain_append(store_t *s, MDB_txn *txn, chain_tip_t *tip,
                 enum chain_type type, const MDB_val *key,
                 const buf_t *sealed);

/** Read @p txn's head into @p tip. @return ERR_OK, ERR_CORRUPT (noted). */
int chain_tip_load(const store_t *s, MDB_txn *txn, chain_tip_t *tip);

/** In a writable open's opening transaction: when the chain is empty and
 *  any of the three tables holds records (a store written before the
 *  chain), build it over them: audit in id order, then approvals_log in
 *  id order, then comments in key order. */
int chain_build(store_t *s, MDB_txn *txn, char err[ERR_LEN]);

/** The hash of one link: @p prev, @p pos, @p type, @p ref, @p val. */
void chain_hash(const uint8_t prev[CHAIN_HASH_LEN], uint64_t pos,
                enum chain_type type, const MDB_val *ref, const MDB_val *val,
                uint8_t out[CHAIN_HASH_LEN]);

/** Parse a chain record's unsealed value @p d. @return ERR_OK or
 *  ERR_CORRUPT. */
int chain_parse(const MDB_val *d, chain_rec_t *out);

/** The table @p type covers in @p s (0 when absent) and its name. */
MDB_dbi chain_table(const store_t *s, enum chain_type type);
const char *chain_table_name(enum chain_type type);

#endif
