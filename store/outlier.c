/* outlier.c: the outlier rule, its record, and the check of one stored
 * figure against its cell's history (outlier.h has the rule).
 *
 * Design
 * ------
 * The history of a cell (indicator, region) is its facts of months
 * month - 60, - 48, - 36, - 24 and month - 12 .. month - 1. facts keys
 * are IND region month with the month last, big-endian, so a cell's
 * months are adjacent keys: one cursor looks up the four older same
 * months (oldest first: each is on or near the page of the one before)
 * and reads the last 12 from one MDB_SET_RANGE, at most 16 records. (A
 * walk of all 60 months, unsealing only those 16, cost about 3% more
 * CPU in bench_store: the cost is in the 16 unseals and the record's
 * put or delete, not in finding the keys.)
 * The check runs in the write transaction after the fact was put, so it
 * sees every earlier figure of the transaction; the cell's own month is
 * not in its history.
 *
 * What is re-checked: only the figure being stored. A flag describes a
 * figure against the history as it was when the figure was stored; a
 * later figure, or a revision of an earlier month, does not re-check
 * other cells. A revision of the cell itself re-checks it and deletes a
 * flag that no longer holds. So `outliers` cannot be recomputed from
 * `facts` alone: store_verify and check verify its records' seals, layout
 * and that each names a stored fact, not the statistics.
 *
 * MAD 0: more than half the points are one value M. Iglewicz and
 * Hoaglin's z is then undefined; we take any other value as outside
 * (z = +-infinity) and M itself as z = 0. Doubles are exact for every
 * value the store holds (integers <= 10^12 < 2^53).
 *
 * INVARIANTS
 *   1-3. As outlier.h.
 *   4. outlier_eval() is pure: the same inputs give the same bits.
 */
#include "store/outlier.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"
#include "store/codec.h"
#include "store/env.h"
#include "store/rec.h"

#define ZSCALE 0.6745

double outlier_value(const value_t *v)
{
    if (v->is_ratio) {
        return v->den != 0 ? (double)v->num / (double)v->den : 0.0;
    }
    return (double)v->num;
}

/* Median of @p n > 0 values, sorting @p a in place. */
static double median(double *a, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        double x = a[i];
        size_t j = i;
        while (j > 0 && a[j - 1] > x) {
            a[j] = a[j - 1];
            j--;
        }
        a[j] = x;
    }
    return n % 2 ? a[n / 2] : (a[n / 2 - 1] + a[n / 2]) / 2.0;
}

void outlier_test(const double *pts, size_t n, double x, outlier_test_t *t)
{
    double a[OUTLIER_YEARS + OUTLIER_RECENT];
    memset(t, 0, sizeof *t);
    if (n > sizeof a / sizeof a[0]) {
        return;
    }
    t->points = (uint8_t)n; /* also when too few: says how many there were */
    if (n < OUTLIER_MIN_POINTS) {
        return;
    }
    memcpy(a, pts, n * sizeof a[0]);
    t->median = median(a, n);
    for (size_t i = 0; i < n; i++) {
        a[i] = fabs(a[i] - t->median);
    }
    t->mad = median(a, n);
    double d = x - t->median;
    if (t->mad > 0) {
        t->z = ZSCALE * d / t->mad;
    } else if (d != 0) {
        t->z = d > 0 ? INFINITY : -INFINITY;
    }
}

/* Outside: |z| over the threshold, and x off the median by more than
 * OUTLIER_MIN_SHARE of it (a smooth history has a tiny MAD, which alone
 * would flag every small wobble). */
static int outside(const outlier_test_t *t, double x, double min_dev)
{
    double d = fabs(x - t->median);
    return t->points >= OUTLIER_MIN_POINTS &&
           fabs(t->z) > OUTLIER_THRESHOLD &&
           d > OUTLIER_MIN_SHARE * fabs(t->median) && d >= min_dev;
}

void outlier_eval(double x, double min_dev, const double *seasonal,
                  size_t ns, const double *recent, size_t nr, outlier_t *o)
{
    memset(o, 0, sizeof *o);
    o->value = x;
    outlier_test(seasonal, ns, x, &o->seasonal);
    outlier_test(recent, nr, x, &o->recent);
    int seasonal_passed = o->seasonal.points >= OUTLIER_MIN_POINTS &&
                          !outside(&o->seasonal, x, min_dev);
    if (outside(&o->seasonal, x, min_dev)) {
        o->reasons |= OUTLIER_SEASONAL;
    }
    if (outside(&o->recent, x, min_dev) && !seasonal_passed) {
        o->reasons |= OUTLIER_RECENT_12;
    }
}

/* --- the record ------------------------------------------------------- */

static void put_f64(buf_t *b, double v)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    buf_put_u64(b, bits);
}

static double get_f64(buf_reader_t *r)
{
    uint64_t bits = buf_get_u64(r);
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static void put_test(buf_t *b, const outlier_test_t *t)
{
    buf_put_u8(b, t->points);
    put_f64(b, t->median);
    put_f64(b, t->mad);
    put_f64(b, t->z);
}

static void get_test(buf_reader_t *r, outlier_test_t *t)
{
    t->points = buf_get_u8(r);
    t->median = get_f64(r);
    t->mad = get_f64(r);
    t->z = get_f64(r);
}

void outlier_put(buf_t *b, const outlier_t *o)
{
    buf_reset(b);
    buf_put_u8(b, CODEC_REC_V1);
    buf_put_u8(b, o->reasons);
    put_f64(b, o->value);
    put_test(b, &o->seasonal);
    put_test(b, &o->recent);
    if (o->reasons & OUTLIER_RANGE) {
        buf_put_u8(b, (uint8_t)(o->range.has_min | o->range.has_max << 1));
        put_f64(b, o->range.min);
        put_f64(b, o->range.max);
    }
}

int outlier_parse(const MDB_val *d, outlier_t *o)
{
    buf_reader_t r;
    buf_reader_init(&r, d->mv_data, d->mv_size);
    memset(o, 0, sizeof *o);
    uint8_t ver = buf_get_u8(&r);
    o->reasons = buf_get_u8(&r);
    o->value = get_f64(&r);
    get_test(&r, &o->seasonal);
    get_test(&r, &o->recent);
    if (o->reasons & OUTLIER_RANGE) {
        uint8_t has = buf_get_u8(&r);
        o->range.has_min = has & 1;
        o->range.has_max = (has >> 1) & 1;
        o->range.min = get_f64(&r);
        o->range.max = get_f64(&r);
    }
    if (!buf_done(&r) || ver != CODEC_REC_V1 || o->reasons == 0 ||
        (o->reasons & ~OUTLIER_REASONS_ALL) != 0) {
        return ERR_CORRUPT;
    }
    return ERR_OK;
}

/* --- the check of one figure ------------------------------------------ */

typedef struct history {
    double seasonal[OUTLIER_YEARS];
    size_t ns;
    double recent[OUTLIER_RECENT];
    size_t nr;
} history_t;

/* The fact under the cursor as a value; ERR_CORRUPT (noted) when its
 * seal or layout fails. */
static int fact_value(const MDB_val *k, MDB_val *d, double *x)
{
    codec_fact_t f;
    int rc = rec_unseal("facts", k, d);
    if (rc == ERR_OK) {
        rc = rec_malformed("facts", k, codec_parse_fact(d, &f));
    }
    if (rc == ERR_OK) {
        *x = outlier_value(&f.v);
    }
    return rc;
}

/* Read the history of (code, region) before @p month into @p h with one
 * cursor: a lookup of each earlier year's same month (oldest first, so
 * each lands on or near the page of the one before), then the 12 months
 * before from one MDB_SET_RANGE. Only those records are read (at most
 * 16: month - 12 is in both tests). @p kb is left holding the key of
 * (code, region, month). */
static int read_history(MDB_txn *txn, MDB_dbi facts, const char *code,
                        uint32_t region, int32_t month, history_t *h,
                        buf_t *kb)
{
    memset(h, 0, sizeof *h);
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, facts, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    MDB_val k;
    MDB_val d;
    int mrc = MDB_SUCCESS;
    for (int y = OUTLIER_YEARS; rc == ERR_OK && y >= 2; y--) {
        codec_key_cell(kb, code, region, month - 12 * y);
        k = lmdbh_val(kb);
        mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_KEY);
        if (mrc == MDB_SUCCESS) {
            rc = fact_value(&k, &d, &h->seasonal[h->ns]);
            h->ns += rc == ERR_OK;
        } else if (mrc == MDB_NOTFOUND) {
            mrc = MDB_SUCCESS;
        }
        if (mrc != MDB_SUCCESS) {
            break;
        }
    }
    codec_key_cell(kb, code, region, month - OUTLIER_RECENT);
    size_t prefix = kb->len - 4;
    if (rc == ERR_OK && mrc == MDB_SUCCESS) {
        k = lmdbh_val(kb);
        mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        const char *c;
        uint32_t r;
        int32_t m;
        if (k.mv_size != kb->len || memcmp(k.mv_data, kb->data, prefix) ||
            codec_parse_cell_key(&k, &c, &r, &m) != ERR_OK || m >= month) {
            break;
        }
        double x = 0;
        rc = fact_value(&k, &d, &x);
        if (rc != ERR_OK) {
            break;
        }
        if (month - m == 12) { /* a year ago: in both tests */
            h->seasonal[h->ns++] = x;
        }
        h->recent[h->nr++] = x;
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    codec_key_cell(kb, code, region, month);
    return lmdbh_cursor_end(&cur, rc, mrc);
}

int outlier_cell(MDB_txn *txn, MDB_dbi facts, MDB_dbi outliers,
                 const char *code, uint32_t region, int32_t month,
                 const value_t *v, const store_range_t *range, buf_t *kb,
                 buf_t *vb)
{
    history_t h;
    int rc = read_history(txn, facts, code, region, month, &h, kb);
    if (rc != ERR_OK) {
        return rc;
    }
    outlier_t o;
    double x = outlier_value(v);
    outlier_eval(x, v->is_ratio ? 0 : OUTLIER_MIN_COUNT, h.seasonal, h.ns,
                 h.recent, h.nr, &o);
    if (range != NULL && ((range->has_min && x < range->min) ||
                          (range->has_max && x > range->max))) {
        o.reasons |= OUTLIER_RANGE;
        o.range = *range;
    }
    MDB_val k = lmdbh_val(kb);
    if (o.reasons != 0) {
        outlier_put(vb, &o);
        return rec_put(txn, outliers, &k, vb, 0);
    }
    int mrc = mdb_del(txn, outliers, &k, NULL);
    return mrc == MDB_NOTFOUND ? ERR_OK : lmdbh_code(mrc);
}

/* --- the list (store_outliers) ------------------------------------- */

typedef struct outl_ctx {
    store_t *s;
    const period_t *p;
    int within;
    store_outlier_fn fn;
    void *arg;
} outl_ctx_t;

static void copy_test(store_outlier_test_t *to, const outlier_test_t *t)
{
    to->points = t->points;
    to->median = t->median;
    to->mad = t->mad;
    to->z = t->z;
}

static int each_outlier(const MDB_val *k, const MDB_val *d, void *ctx)
{
    outl_ctx_t *c = ctx;
    const char *code;
    store_outlier_t o;
    outlier_t rec;
    if (codec_parse_cell_key(k, &code, &o.region, &o.month) != ERR_OK ||
        outlier_parse(d, &rec) != ERR_OK) {
        return ERR_CORRUPT;
    }
    int ii = catalog_indicator_find(c->s->cat, code);
    int ri = catalog_region_find(c->s->cat, o.region);
    if (ii < 0 || ri < 0) {
        return ERR_OK; /* left over from another catalog */
    }
    if (c->p != NULL && (o.month < c->p->first || o.month > c->p->last)) {
        return ERR_OK;
    }
    if (c->within >= 0 && !catalog_region_within(c->s->cat, ri, c->within)) {
        return ERR_OK;
    }
    o.indicator = catalog_indicator(c->s->cat, (size_t)ii)->code;
    o.reasons = rec.reasons;
    o.value = rec.value;
    copy_test(&o.seasonal, &rec.seasonal);
    copy_test(&o.recent, &rec.recent);
    o.has_min = rec.range.has_min;
    o.has_max = rec.range.has_max;
    o.min = rec.range.min;
    o.max = rec.range.max;
    return c->fn(&o, c->arg) != 0 ? 1 : ERR_OK;
}

int store_outliers(store_t *self, const period_t *p, uint32_t region,
                   store_outlier_fn fn, void *arg, char err[ERR_LEN])
{
    assert(store_check_invariants(self));
    outl_ctx_t c = {self, p, -1, fn, arg};
    if (region != 0) {
        c.within = catalog_region_find(self->cat, region);
        if (c.within < 0) {
            snprintf(err, ERR_LEN, "unknown region %u", region);
            return ERR_NOTFOUND;
        }
    }
    if (!self->has_outliers) {
        return ERR_OK; /* a store from before the table (env.h) */
    }
    return store_scan(self, self->outliers, "outliers", NULL, each_outlier, &c,
                err);
}
