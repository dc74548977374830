/** @file update.h
 *  @brief The domain layer: one figure for one (indicator, region, month),
 *         how people write its fields, and the rules every figure obeys.
 *
 *  One module, so that each business rule is written once: the agent's CSV
 *  reader (agent/csvin) and its command line parse human input with the
 *  update_parse_*() functions and check it with update_check_*(); the
 *  store checks every update that arrives over the wire with
 *  update_check() before it applies it. A rule changed here changes for
 *  the office's file, the office's command line and the collector alike.
 *
 *  Values are whole numbers: a count is persons (never 万人), a ratio a
 *  numerator and a denominator. Months are YYYYMM on the wire and in files,
 *  month indexes (common/period) inside.
 *
 *  Messages are written without the field they concern, which
 *  update_reason_field() names, so that a caller can print
 *  "FILE:LINE: FIELD: message" or "FIELD: message" alike.
 *
 *  Owns nothing: pure functions. An update_t borrows its indicator string
 *  and an update_scope_t its catalog, which must outlive the checks;
 *  messages go into the caller's buffers.
 *
 *  INVARIANTS
 *    1. A check returns UPDATE_OK iff the value satisfies its rule, and
 *       only then fills its outputs (an index output is -1 otherwise); on
 *       failure msg holds a NUL-terminated reason. A parser writes its
 *       output only on ERR_OK.
 *    2. update_check(u) == UPDATE_OK means: the indicator is a catalog
 *       code, the region is in the catalog at or below the scope's home,
 *       the month is a valid YYYYMM not later than the current month in
 *       which the region exists (its validity), and
 *       the value passes update_check_value() for the indicator.
 *    3. A value that passes update_check_value() has 0 <= num <=
 *       UPDATE_MAX_VALUE and, for a ratio, 0 < den <= UPDATE_MAX_VALUE
 *       and num <= den; a count's den is 0 (every caller sets it so,
 *       asserted in debug builds).
 *    4. Messages never contain a control byte taken from the input, and
 *       quote at most 64 bytes of it.
 *    5. Reason numbers never change: they are stored on disk.
 */
#ifndef HRSS_UPDATE_H
#define HRSS_UPDATE_H
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "common/err.h"

/** Largest value, numerator or denominator: 10^12. It keeps every sum over
 *  regions and months far from int64 overflow (10^12 × 10^3 regions ×
 *  10^3 months < 9.2 × 10^18), and no real figure comes near it. */
#define UPDATE_MAX_VALUE INT64_C(1000000000000)
/** Size of a rule message buffer, with its NUL. */
#define UPDATE_MSG_LEN 160

/** A figure. Plain value struct. For a count, num is the value, den 0. */
typedef struct value {
    int is_ratio;
    int64_t num;
    int64_t den;
} value_t;

/** One figure as a reporter sends it. Plain value struct; the indicator
 *  string is borrowed. */
typedef struct update {
    uint64_t seq;          /**< the reporter's sequence number */
    const char *indicator; /**< catalog code (the wire carries codes) */
    uint32_t region;       /**< GB/T 2260 code */
    uint32_t yyyymm;       /**< e.g. 202510; checked by update_check() */
    value_t value;
} update_t;

/** Why an update breaks a rule. The numbers are stored on disk in the
 *  store's rejections: never renumber (tests pin them). On the wire they
 *  travel as hrss.RejectReason, mapped by common/wire. */
enum update_reason {
    UPDATE_OK = 0,
    UPDATE_UNKNOWN_INDICATOR = 1,
    UPDATE_UNKNOWN_REGION = 2,
    UPDATE_REGION_NOT_ALLOWED = 3, /**< not the reporter's region or below */
    UPDATE_BAD_MONTH = 4,          /**< not a valid YYYYMM */
    UPDATE_FUTURE_MONTH = 5,       /**< later than the current month */
    UPDATE_NEGATIVE = 6,           /**< negative count or numerator */
    UPDATE_WRONG_KIND = 7,         /**< a count for a ratio or the reverse */
    UPDATE_ZERO_DENOMINATOR = 8,   /**< a ratio's denominator is not > 0 */
    UPDATE_NUMERATOR_GT_DENOMINATOR = 9,
    UPDATE_TOO_LARGE = 10,         /**< above UPDATE_MAX_VALUE */
    UPDATE_NOT_AUTHORIZED = 11,    /**< not a region the reporter's key may
                                        report for */
    UPDATE_PERIOD_LOCKED = 12,     /**< the region's month is approved, so
                                        locked (store/approve.c) */
    UPDATE_REGION_NOT_VALID = 13,  /**< the region did not exist in that
                                        month (catalog validity) */
};
/** The highest reason number in use. */
#define UPDATE_REASON_MAX UPDATE_REGION_NOT_VALID

/** Machine-readable name of @p reason ("unknown_indicator", ...); "none"
 *  for UPDATE_OK, "unknown" for a number out of range. Never NULL. */
const char *update_reason_name(enum update_reason reason);

/** The field @p reason concerns: "indicator", "region", "period",
 *  "value", "numerator" or "denominator"; for the value rules @p v (the
 *  figure that broke it; may be NULL for a count) tells which part. NULL
 *  for UPDATE_OK. */
const char *update_reason_field(enum update_reason reason,
                                const value_t *v);

/** Who reports, and when: what the rules are checked against. Plain value
 *  struct; the catalog is borrowed. */
typedef struct update_scope {
    const catalog_t *cat;
    int home;              /**< catalog index of the reporter's region:
                                figures must be for it or a region below
                                it; -1 allows every region */
    int32_t current_month; /**< month index; later months are refused */
    const unsigned char *allowed; /**< NULL, or one byte per catalog region
                                       index: a region whose byte is 0 is
                                       refused as UPDATE_NOT_AUTHORIZED
                                       (the regions of an office's key) */
} update_scope_t;

/** Where a valid update lands in the catalog. Plain value struct. */
typedef struct update_cell {
    int indicator;  /**< catalog index */
    int region;     /**< catalog index */
    int32_t month;  /**< month index */
} update_cell_t;

/** Find indicator @p key: its code, or also its Chinese name when
 *  @p names is nonzero (people write names, the wire carries codes).
 *  @param[out] ii  Catalog index on UPDATE_OK, else -1.
 *  @return UPDATE_OK or UPDATE_UNKNOWN_INDICATOR (@p msg says which). */
enum update_reason update_check_indicator(const catalog_t *cat,
                                          const char *key, int names,
                                          int *ii,
                                          char msg[UPDATE_MSG_LEN]);

/** Region @p code must be in the catalog, at or below the scope's home,
 *  and allowed by the scope's region set when it has one.
 *  @param[out] ri  Catalog index on UPDATE_OK, else -1.
 *  @return UPDATE_OK, UPDATE_UNKNOWN_REGION, UPDATE_REGION_NOT_ALLOWED,
 *          UPDATE_NOT_AUTHORIZED. */
enum update_reason update_check_region(const update_scope_t *sc,
                                       uint32_t code, int *ri,
                                       char msg[UPDATE_MSG_LEN]);

/** Region index @p ri must exist in month index @p month (its
 *  valid_from..valid_to in the catalog). The message names the dates and,
 *  for an abolished region, where its territory went:
 *  "330113 临平区 is valid from 2021-04", "330103 下城区 was abolished
 *  after 2021-03 (see 330105 拱墅区)".
 *  @return UPDATE_OK or UPDATE_REGION_NOT_VALID. */
enum update_reason update_check_valid(const catalog_t *cat, int ri,
                                      int32_t month,
                                      char msg[UPDATE_MSG_LEN]);

/** Month index @p month must not be later than the scope's current month.
 *  @return UPDATE_OK or UPDATE_FUTURE_MONTH. */
enum update_reason update_check_month(const update_scope_t *sc,
                                      int32_t month,
                                      char msg[UPDATE_MSG_LEN]);

/** The figure's own rules for indicator @p ind, in this order: the kind
 *  matches, nothing negative, nothing above UPDATE_MAX_VALUE, a ratio's
 *  denominator positive and not below its numerator.
 *  @return UPDATE_OK or the first reason broken. */
enum update_reason update_check_value(const indicator_t *ind,
                                      const value_t *v,
                                      char msg[UPDATE_MSG_LEN]);

/** Every rule for an update from the wire, in this order: indicator (a
 *  code only), region, month (a valid YYYYMM), the region's validity in
 *  that month, month not in the future, value.
 *  @param[out] cell  On UPDATE_OK: where it lands; else untouched.
 *  @return UPDATE_OK or the first reason broken, explained in @p msg. */
enum update_reason update_check(const update_scope_t *sc, const update_t *u,
                                update_cell_t *cell,
                                char msg[UPDATE_MSG_LEN]);

/** Parse a month as offices write it: YYYY-MM, YYYY/M[M], YYYYMM,
 *  YYYY-MM-DD or YYYY/M/D (the same separator twice; the day must be
 *  1..31, not checked against the month, and is dropped).
 *  @param[out] month  Month index on ERR_OK; untouched on failure.
 *  @return ERR_OK or ERR_INVAL with the reason in @p why (the input is
 *          quoted, shortened and with control bytes shown as '?'). */
int update_parse_month(const char *s, int32_t *month, char *why,
                       size_t size);

/** Parse a whole number as spreadsheets write it: an optional '-',
 *  digits with optional thousands separators (groups of exactly three),
 *  and an optional '.' followed by zeros ("12,000.00"). Range rules are
 *  update_check_value()'s, not the parser's.
 *  @return ERR_OK or ERR_INVAL (not a whole number, misplaced separators,
 *          or beyond what int64 holds) with the reason in @p why. */
int update_parse_amount(const char *s, int64_t *out, char *why,
                        size_t size);

/** Parse a region code (1 to 9 digits).
 *  @return ERR_OK or ERR_INVAL with the reason in @p why. */
int update_parse_region(const char *s, uint32_t *out, char *why,
                        size_t size);

/** Copy @p s into @p dst (at least UPDATE_QUOTE_LEN bytes) for a message:
 *  at most 64 bytes of it, cut at a UTF-8 character boundary and marked
 *  "...", control bytes shown as '?'. */
#define UPDATE_QUOTE_LEN 68
void update_quote(char *dst, size_t size, const char *s);

#endif
