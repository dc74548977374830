/** @file outlier.h
 *  @brief Internal to store/: the outlier rule (modified z-scores of a
 *         figure against its own cell's history), its record in the
 *         `outliers` table, and the check the write path runs per figure.
 *
 *  Concern: which figures look wrong against their own history, and the
 *  bytes that say so. outlier_eval() is pure arithmetic (no LMDB);
 *  outlier_cell() reads the history with one cursor and writes or deletes
 *  the cell's record in the caller's write transaction (write.c).
 *
 *  The rule (ARCHITECTURE.md, Outliers):
 *    value x      a count's number; a ratio's numerator / denominator
 *    seasonal     the same month of the OUTLIER_YEARS earlier years
 *    recent       the OUTLIER_RECENT months before (month - 12 .. - 1)
 *    per test     with at least OUTLIER_MIN_POINTS points: median M,
 *                 MAD = median |p - M|, z = 0.6745 (x - M) / MAD;
 *                 MAD 0 (more than half the points equal M): z = 0 when
 *                 x = M, else +-infinity (any other value is outside)
 *    flagged by   seasonal when |z| > OUTLIER_THRESHOLD; recent when its
 *                 |z| > OUTLIER_THRESHOLD unless the seasonal test had
 *                 its points and passed the figure (a spike every
 *                 December is explained by the Decembers before it)
 *  A record is kept only for a flagged figure; it holds both tests'
 *  statistics (points 0: the test had too little history).
 *
 *  INVARIANTS
 *    1. outlier_parse(outlier_put(o)) == o; the layout is V1 reasons:u8
 *       value:f64, then per test (seasonal, recent) points:u8 median:f64
 *       mad:f64 z:f64; doubles as their IEEE-754 bits, big-endian.
 *    2. A stored record has reasons != 0 and only known reason bits.
 *    3. outlier_cell() leaves the cell's record present iff the figure it
 *       was given is flagged against the facts the transaction holds.
 */
#ifndef HRSS_STORE_OUTLIER_H
#define HRSS_STORE_OUTLIER_H
#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/update.h"
#include "store/store.h"

/** Earlier years whose same month the seasonal test reads. */
#define OUTLIER_YEARS 5
/** Months before the figure the recent test reads. */
#define OUTLIER_RECENT 12
/** Fewest points a test needs; with fewer it is not applied. */
#define OUTLIER_MIN_POINTS 3
/** |modified z| above this is an outlier (Iglewicz and Hoaglin). */
#define OUTLIER_THRESHOLD 3.5
/** ... and only when the figure is off the median by more than this share
 *  of it: a steady series (a small MAD) is not flagged for a wobble. */
#define OUTLIER_MIN_SHARE 0.25
/** ... and, for a count, by at least this many: 2 postdocs where there
 *  were 0 is not a finding. */
#define OUTLIER_MIN_COUNT 10

/** Reason bits of a record. */
enum outlier_reason {
    OUTLIER_SEASONAL = 1, /**< same month of earlier years */
    OUTLIER_RECENT_12 = 2, /**< the last 12 months */
    OUTLIER_RANGE = 4,     /**< outside the bounds set by hand */
};
#define OUTLIER_REASONS_ALL 7u

/** One test's statistics. points < OUTLIER_MIN_POINTS: not applied (the
 *  points there were; the other fields 0). */
typedef struct outlier_test {
    uint8_t points;
    double median;
    double mad;
    double z;
} outlier_test_t;

/** An outlier record (the value of the `outliers` table). */
typedef struct outlier {
    uint8_t reasons;      /**< enum outlier_reason bits; 0: not flagged */
    double value;
    outlier_test_t seasonal;
    outlier_test_t recent;
    store_range_t range;  /**< with OUTLIER_RANGE: the bounds it broke */
} outlier_t;

/** A figure's value as the rule sees it: a count's number, a ratio's
 *  numerator / denominator. */
double outlier_value(const value_t *v);

/** Evaluate one test over @p n points (copied; not reordered) for @p x. */
void outlier_test(const double *pts, size_t n, double x, outlier_test_t *t);

/** Apply the rule (above) to @p x with its histories: a test flags x when
 *  its |z| is over OUTLIER_THRESHOLD and x is off its median by more
 *  than OUTLIER_MIN_SHARE of it and by at least @p min_dev
 *  (OUTLIER_MIN_COUNT for a count, 0 for a ratio). Fills @p o, whose
 *  reasons say whether it is flagged. Pure. */
void outlier_eval(double x, double min_dev, const double *seasonal,
                  size_t ns, const double *recent, size_t nr, outlier_t *o);

/** Encode @p o (INVARIANT 1) into @p b, reset first. */
void outlier_put(buf_t *b, const outlier_t *o);
/** Parse a record; ERR_CORRUPT for another layout or reasons 0 or
 *  unknown (INVARIANT 2). */
int outlier_parse(const MDB_val *d, outlier_t *o);

/** In write transaction @p txn: check the figure @p v just stored at
 *  cell (@p code, @p region, @p month) against the cell's history in
 *  @p facts (months month - 12 * OUTLIER_YEARS .. month - 1, one cursor)
 *  and against @p range (NULL: none; OUTLIER_RANGE when outside it),
 *  and put or delete its record in @p outliers. @p kb and @p vb are
 *  scratch. @return ERR_OK, ERR_CORRUPT (a damaged fact, noted), or the
 *  LMDB failure (ERR_FULL: the caller grows and replays). */
int outlier_cell(MDB_txn *txn, MDB_dbi facts, MDB_dbi outliers,
                 const char *code, uint32_t region, int32_t month,
                 const value_t *v, const store_range_t *range, buf_t *kb,
                 buf_t *vb);

#endif
