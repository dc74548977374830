/** @file metrics.h
 *  @brief Writing metrics in the Prometheus text format (version 0.0.4).
 *
 *  Concern: the exposition format only. The daemons keep their own
 *  counters and, for each scrape, write them here into a buf_t: one
 *  family header (# HELP, # TYPE) per metric, then its samples, with
 *  label values escaped; histograms with fixed buckets are written
 *  cumulative, with +Inf, _sum and _count. No registry, no threads, no
 *  I/O (common/httpd serves the page).
 *
 *  Owns nothing: writes to the caller's buffer; names, labels and help
 *  texts are only read. A metrics_hist_t borrows its bucket bounds
 *  (normally a static array), which must outlive it and its copies.
 *
 *  INVARIANTS
 *    1. Every label value is written as a complete quoted string in
 *       valid UTF-8: `\` as `\\`, `"` as `\"`, a line feed as `\n`, and
 *       each ill-formed UTF-8 sequence as U+FFFD (common/text's rule), so
 *       no value can end the string or the line early.
 *    2. A help text is one line: `\` as `\\`, a line feed as `\n`.
 *    3. A histogram's bucket counts are cumulative and end with
 *       le="+Inf" equal to _count; each value observed is counted in the
 *       first bucket whose bound is >= it (NaN only in +Inf).
 *    4. Metric and label names are the program's constants: a name that
 *       is not [a-zA-Z_:][a-zA-Z0-9_:]* is a programmer error (asserted).
 */
#ifndef HRSS_METRICS_H
#define HRSS_METRICS_H
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"

/** The Content-Type of a page written here. */
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
/** Most bucket bounds of one histogram (le="+Inf" not counted). */
#define METRICS_HIST_MAX 16

enum metrics_type {
    METRICS_COUNTER,
    METRICS_GAUGE,
    METRICS_HISTOGRAM,
};

/** One label. Plain value struct; both strings borrowed for the call. */
typedef struct metrics_label {
    const char *name;
    const char *value;
} metrics_label_t;

/** A histogram with fixed buckets. Plain value struct: copy it to take
 *  a snapshot. Fill with metrics_hist_init() and metrics_hist_observe(). */
typedef struct metrics_hist {
    const double *le;   /**< borrowed: n ascending upper bounds */
    size_t n;           /**< 1..METRICS_HIST_MAX */
    uint64_t bucket[METRICS_HIST_MAX]; /**< per bucket, not cumulative */
    uint64_t count;     /**< all observations, the +Inf bucket */
    double sum;
} metrics_hist_t;

/** Start an empty histogram with the @p n ascending bounds @p le
 *  (borrowed: must outlive @p h and its copies; n <= METRICS_HIST_MAX). */
void metrics_hist_init(metrics_hist_t *h, const double *le, size_t n);

/** Count @p v in its bucket and add it to the sum. */
void metrics_hist_observe(metrics_hist_t *h, double v);

/** Write a family's two header lines: "# HELP NAME HELP" and
 *  "# TYPE NAME counter|gauge|histogram". */
void metrics_family(buf_t *out, const char *name, enum metrics_type type,
                    const char *help);

/** Write one sample line "NAME{LABELS} VALUE" (no braces without
 *  labels) of a whole number. @p labels may be NULL when @p n is 0. */
void metrics_uint(buf_t *out, const char *name, const metrics_label_t *labels,
                  size_t n, uint64_t v);

/** Write one sample line of a real number: whole numbers as such (up to
 *  2^53), others with 15 significant digits, NaN as "NaN" and infinities
 *  as "+Inf" / "-Inf". */
void metrics_double(buf_t *out, const char *name,
                    const metrics_label_t *labels, size_t n, double v);

/** Write the samples of histogram @p h: NAME_bucket{LABELS,le="B"} for
 *  each bound and for +Inf (cumulative), NAME_sum and NAME_count. At most
 *  7 labels besides le. */
void metrics_histogram(buf_t *out, const char *name,
                       const metrics_label_t *labels, size_t n,
                       const metrics_hist_t *h);

#endif
