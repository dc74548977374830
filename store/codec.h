/** @file codec.h
 *  @brief Internal to store/: the byte layout of every LMDB key and record
 *         of the store, with its encoders and parsers.
 *
 *  Concern: bytes only. Nothing here opens a transaction or touches a
 *  table; the callers (env, derive, write, read, verify) move the bytes.
 *  This is the one place that knows a layout, so a format change is a
 *  change of this file and of STORE_FORMAT.
 *
 *  Layout (every key starts with CODEC_KEY_V1, every value with
 *  CODEC_REC_V1; integers big-endian, so keys sort numerically). These
 *  are the records; on disk each value but meta "format" is followed by
 *  its seal, which store/rec.c adds and checks: nothing here sees it.
 *
 *    IND        an indicator code: one byte, its place 1..19 in the
 *               plan's list (codec.c plan_codes, in byte order, so keys
 *               sort as the codes do), or CODEC_IND_OTHER followed by any
 *               other code and its NUL
 *    VALUE      kind:u8 (0 count, 1 ratio) num:i64, and den:i64 for a
 *               ratio only
 *    meta       "format" -> u32 STORE_FORMAT (bare); "rules_fp" -> u64;
 *               "rejidx_next" -> u64 the first rejection id not yet in
 *               rejby (absent: 1)
 *    facts      V1 IND region:u32 month:u32 -> V1 VALUE received_at
 *                                              audit_id
 *    audit      V1 audit_id:u64 -> V1 received_at reporter\0 seq IND
 *                                   region month prev_id:u64 has_old:u8
 *                                   [old VALUE, when has_old] new VALUE
 *               prev_id: the cell's previous revision (0: none; then
 *               has_old is 0), so that a cell's history is the chain from
 *               its fact's audit_id back
 *    rejects    V1 rej_id:u64 -> V1 received_at reporter\0 seq code\0
 *                                 region yyyymm kind num den reason:u8
 *                                 message\0 (the code as it came)
 *    reporters  V1 id-bytes -> V1 next_seq first_seen last_contact applied
 *                               rejected
 *    rejby      V1 id-bytes -> V1 rej_id:u64   (MDB_DUPSORT|MDB_DUPFIXED:
 *                               one 9-byte value per stored rejection of
 *                               the reporter, sorted by id, oldest first;
 *                               the key is the reporters key)
 *    agg        V1 'M'|'Q'|'Y' IND region period_start -> V1 num den
 *                                                          reporting:u32
 *               V1 'P'|'N' IND region year_start other_year_start
 *                                       -> V1 num den count:u32
 *               (year spans, store/span.h; the same record)
 *    violations V1 IND region month -> V1 parent-IND value parent_value
 *
 *  Formats: 1 had no seals; 2 sealed every value; 3 (this one) writes
 *  indicator codes as IND, values of counts without a denominator, chains
 *  the audit records of a cell through prev_id instead of the cellhist
 *  index table (gone), and adds year spans to agg. store/upgrade.c turns
 *  1 and 2 into 3.
 *
 *  Owns nothing. Encoders reset and fill the caller's buf_t. Parsers
 *  borrow: every string they return points into the parsed bytes and is
 *  valid as long as those bytes (for LMDB values: until the transaction
 *  ends or writes); codec_parse_reporter_key() alone copies, into the
 *  caller's array.
 *
 *  Errors: a parser returns ERR_CORRUPT for a wrong version byte, a short
 *  or long record, a string without its NUL or an out-of-range enum,
 *  month or value (INVARIANT 4); it never reads outside the bytes
 *  (common/buf) and never asserts on them.
 *
 *  INVARIANTS
 *    1. codec_parse_X(codec_put_X(r)) == r for every record kind X (a
 *       rejection's indicator as codec_put_reject() cut it), and parsing
 *       consumes exactly the bytes the encoder wrote.
 *    2. Keys of one table sort as their fields: IND by the code's bytes
 *       within the plan's list (every other code after the list's).
 *    3. Every encoder resets its buffer and writes the version byte
 *       first; a parser returns ERR_OK only for a V1 key or record read
 *       to its last byte.
 *    4. A parsed cell key's month lies in PERIOD_MIN_YEAR..PERIOD_MAX_YEAR
 *       and a parsed fact's numerator and denominator in
 *       0..UPDATE_MAX_VALUE, as update_check() ensures for every stored
 *       one: a month indexes one of its year's 12 slots and no sum of
 *       values overflows.
 */
#ifndef HRSS_STORE_CODEC_H
#define HRSS_STORE_CODEC_H
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/update.h"
#include "store/store.h"

/** The format before compact records and year spans (upgrade.c). */
#define STORE_FORMAT_NOSPANS 2u
/** The format before record checksums, upgraded at a writable open. */
#define STORE_FORMAT_UNSEALED 1u
#define CODEC_KEY_V1 0x01
#define CODEC_REC_V1 0x01
#define CODEC_META_FORMAT "format"
#define CODEC_META_RULES_FP "rules_fp"
#define CODEC_META_REJIDX_NEXT "rejidx_next"
/* The chain position up to which chain_build() chained records it found
 * already stored (a store from before the chain, or one that lost its
 * chain table): absent when every record was chained as written. */
#define CODEC_META_CHAIN_BUILT "chain_built"
/** IND byte of a code outside the plan's list; the code follows. */
#define CODEC_IND_OTHER 0xFF
/** Size of a rejby value. */
#define CODEC_REJIDX_LEN 9

/** Period kind of an aggregate key (its byte on disk). */
enum codec_agg_kind {
    CODEC_AGG_MONTH = 'M',
    CODEC_AGG_QUARTER = 'Q',
    CODEC_AGG_YEAR = 'Y',
    /* Year spans (store/span.h): the key has one more u32, a year. */
    CODEC_AGG_PREV = 'P',
    CODEC_AGG_NEXT = 'N',
};
/** "No year" in a span key: a region's first or last year of reports. */
#define CODEC_SPAN_NONE (-1)

/** facts value: the current value of a cell. */
typedef struct codec_fact {
    value_t v;
    int64_t received_at;
    uint64_t audit_id;
} codec_fact_t;

/** agg value. */
typedef struct codec_agg {
    int64_t num;
    int64_t den;
    uint32_t reporting;
} codec_agg_t;

/** reporters value. */
typedef struct codec_reporter {
    uint64_t next_seq;
    int64_t first_seen;
    int64_t last_contact;
    uint64_t applied;
    uint64_t rejected;
} codec_reporter_t;

/** violations key and value. Strings borrowed from the parsed bytes. */
typedef struct codec_violation {
    const char *code;     /**< the "of which" indicator */
    uint32_t region;
    int32_t month;
    const char *parent;   /**< the indicator it is part of */
    int64_t value;
    int64_t parent_value;
} codec_violation_t;

/* --- keys ------------------------------------------------------------- */

/** facts / violations key; without its month field (the last 4 bytes) it
 *  is the prefix of all months of (code, region). */
void codec_key_cell(buf_t *b, const char *code, uint32_t region,
                    int32_t month);
/** Parse a facts or violations key. */
int codec_parse_cell_key(const MDB_val *k, const char **code,
                         uint32_t *region, int32_t *month);

/** agg key. */
void codec_key_agg(buf_t *b, enum codec_agg_kind kind, const char *code,
                   uint32_t region, int32_t start);

/** agg key of a year span (kind CODEC_AGG_PREV or CODEC_AGG_NEXT): the
 *  agg key of the year starting at month @p ystart followed by the start
 *  of the year @p other (CODEC_SPAN_NONE: none, as 0xFFFFFFFF). Without
 *  its last 4 bytes it is the prefix of all spans of (code, region,
 *  year). */
void codec_key_span(buf_t *b, enum codec_agg_kind kind, const char *code,
                    uint32_t region, int32_t ystart, int32_t other);
/** The other year of a span key (CODEC_SPAN_NONE: none); ERR_CORRUPT
 *  when @p k is not a span key of a year start. */
int codec_parse_span_other(const MDB_val *k, int32_t *other);

/** audit and rejects key: V1 id:u64. */
void codec_key_id(buf_t *b, uint64_t id);

/** 1 when @p id can be a reporter key: 1..STORE_REPORTER_MAX bytes, no
 *  control characters. */
int codec_reporter_valid(const char *id);
/** reporters key. @p id must pass codec_reporter_valid(). */
void codec_key_reporter(buf_t *b, const char *id);
/** Parse a reporters key into @p id (NUL-terminated copy). */
int codec_parse_reporter_key(const MDB_val *k,
                             char id[STORE_REPORTER_MAX + 1]);

/** A readable form of key @p k of table @p table ("facts", "agg", ...)
 *  for messages: "E01 330100 2024-03" (facts, violations; cellhist adds
 *  " audit N"), "Y E01 330100 2024-01" (agg), "17" (audit, rejects),
 *  "'name'" (reporters, rejby); any other key, or one that does not
 *  parse, quoted with its bytes escaped (lmdbh_key_text). At most @p cap
 *  bytes with the NUL. @return out. */
char *codec_key_text(const char *table, const MDB_val *k, char *out,
                     size_t cap);

/** Read a value as rejects hold it, and as format 2 held every value:
 *  kind:u8 num:i64 den:i64. */
value_t codec_get_full_value(buf_reader_t *r);

/** Append indicator @p code as IND (above) to @p b. */
void codec_put_ind(buf_t *b, const char *code);
/** Read an IND from @p r: the code, borrowed from the plan's list or from
 *  the bytes. An id outside the list, or a plan code spelt out, makes
 *  @p r bad (and returns ""). */
const char *codec_get_ind(buf_reader_t *r);

/* --- records ---------------------------------------------------------- */

void codec_put_fact(buf_t *b, const codec_fact_t *f);
int codec_parse_fact(const MDB_val *d, codec_fact_t *f);

void codec_put_agg(buf_t *b, const codec_agg_t *a);
int codec_parse_agg(const MDB_val *d, codec_agg_t *a);

void codec_put_reporter(buf_t *b, const codec_reporter_t *r);
int codec_parse_reporter(const MDB_val *d, codec_reporter_t *r);

/** audit value of @p rev (every field but audit_id, which is the key). */
void codec_put_audit(buf_t *b, const store_revision_t *rev);
/** Parse an audit key and value into @p rev. */
int codec_parse_audit(const MDB_val *k, const MDB_val *d,
                      store_revision_t *rev);

/** rejects value of @p rj (every field but id, which is the key). The
 *  indicator came off the wire: at most CATALOG_CODE_MAX + 1 of its bytes
 *  are kept. */
void codec_put_reject(buf_t *b, const store_rejected_t *rj);
/** Parse a rejects key and value; a reason outside 1..UPDATE_REASON_MAX
 *  is ERR_CORRUPT. */
int codec_parse_reject(const MDB_val *k, const MDB_val *d,
                       store_rejected_t *rj);

/** rejby value: a rejection's id. */
void codec_put_rejidx(buf_t *b, uint64_t id);
/** Parse a rejby value. */
int codec_parse_rejidx(const MDB_val *d, uint64_t *id);

/** violations value. */
void codec_put_violation(buf_t *b, const char *parent, int64_t value,
                         int64_t parent_value);
/** Parse a violations key and value. */
int codec_parse_violation(const MDB_val *k, const MDB_val *d,
                          codec_violation_t *v);

#endif
