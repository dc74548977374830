/* span.c: year spans (span.h), kept by the write path, rebuilt from the
 * facts, and read for totals over whole years.
 *
 * Design
 * ------
 * Every move goes through the transaction's aggregate accumulator, on the
 * region and each ancestor, like derive.c's month, quarter and year
 * moves: a P record is an agg record with num = den = 0 and reporting =
 * its count, an N record one with the superseded values, so aggacc folds,
 * writes and deletes them as it does the others (derive.h INVARIANT 3).
 *
 * A year Y joining a region's years between prev and next (either may be
 * none) changes, for the region: P(Y, prev) appears; next's P moves from
 * prev to Y; and for over_time = last, N(Y, next) appears with Y's
 * contribution, and prev's N moves from next to Y with prev's. That is
 * the whole of the incremental path, since facts are never removed (span.h
 * INVARIANT 2); a later value of a year that has a next year moves
 * N(Y, next) by the change.
 *
 * Validity: a year is one of the region's years only when it has a fact
 * inside the region's validity, and c(R, Y) is its contribution under
 * the stock rule (derive_contrib_at: nothing when R is gone by Y's end).
 * A stock over a range whose last month R does not reach still counts
 * R's last year here; read.c takes it out (span_total's caller), from
 * the catalog's few bounded regions.
 */
#include "store/span.h"

#include <string.h>

#include "common/lmdbh.h"
#include "store/codec.h"
#include "store/rec.h"

/* Add (num, den, count) to the span (kind, ystart, other) of region
 * index @p ri (unless a leaf: derive_first_node) and each ancestor. */
static int move(const catalog_t *cat, aggacc_t *acc, buf_t *kb,
                enum codec_agg_kind kind, const char *code, int ri,
                int32_t ystart, int32_t other, int64_t num, int64_t den,
                int count)
{
    for (int a = derive_first_node(cat, ri); a >= 0;
         a = catalog_region(cat, (size_t)a)->parent) {
        codec_key_span(kb, kind, code, catalog_region(cat, (size_t)a)->code,
                       ystart, other);
        int rc = aggacc_add(acc, kb, num, den, count);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    return ERR_OK;
}

/* Region index @p ri's contribution to the year from @p ystart: its
 * last value, when it exists at the year's end (derive_contrib_at). */
static derive_contrib_t year_c(const catalog_t *cat, int ri, int32_t ystart,
                               const derive_slot_t *slots)
{
    return derive_contrib_at(cat, ri, ystart, slots, 0, 11, OVER_LAST);
}

/* The region's years around, without those wholly outside its validity
 * (their facts aggregate nowhere: derive.c). */
static derive_around_t valid_around(const catalog_t *cat, int ri,
                                    const derive_around_t *around)
{
    const region_t *r = catalog_region(cat, (size_t)ri);
    derive_around_t a = *around;
    if (a.prev != CODEC_SPAN_NONE && (int64_t)a.prev + 11 < r->valid_from) {
        a.prev = CODEC_SPAN_NONE;
    }
    if (a.next != CODEC_SPAN_NONE && a.next > r->valid_to) {
        a.next = CODEC_SPAN_NONE;
    }
    return a;
}

/* The year @p ystart joins the region's years between @p around. */
static int join(const catalog_t *cat, MDB_txn *txn, MDB_dbi facts,
                aggacc_t *acc, buf_t *kb, const indicator_t *ind, int ri,
                int32_t ystart, const derive_around_t *around,
                const derive_slot_t *after)
{
    int32_t prev = around->prev;
    int32_t next = around->next;
    const char *code = ind->code;
    int rc = move(cat, acc, kb, CODEC_AGG_PREV, code, ri, ystart, prev, 0, 0,
                  1);
    if (rc == ERR_OK && next != CODEC_SPAN_NONE) {
        rc = move(cat, acc, kb, CODEC_AGG_PREV, code, ri, next, prev, 0, 0,
                  -1);
        if (rc == ERR_OK) {
            rc = move(cat, acc, kb, CODEC_AGG_PREV, code, ri, next, ystart,
                      0, 0, 1);
        }
    }
    if (rc != ERR_OK || ind->over_time != OVER_LAST) {
        return rc;
    }
    if (next != CODEC_SPAN_NONE) {
        derive_contrib_t c = year_c(cat, ri, ystart, after);
        rc = move(cat, acc, kb, CODEC_AGG_NEXT, code, ri, ystart, next, c.num,
                  c.den, 1);
    }
    if (rc != ERR_OK || prev == CODEC_SPAN_NONE) {
        return rc;
    }
    derive_slot_t ps[12];
    uint32_t region = catalog_region(cat, (size_t)ri)->code;
    rc = derive_load_year(txn, facts, code, region, prev, ps, NULL, kb);
    derive_contrib_t cp = year_c(cat, ri, prev, ps);
    if (rc == ERR_OK && next != CODEC_SPAN_NONE) {
        rc = move(cat, acc, kb, CODEC_AGG_NEXT, code, ri, prev, next,
                  -cp.num, -cp.den, -1);
    }
    if (rc == ERR_OK) {
        rc = move(cat, acc, kb, CODEC_AGG_NEXT, code, ri, prev, ystart,
                  cp.num, cp.den, 1);
    }
    return rc;
}

int span_cell(const catalog_t *cat, MDB_txn *txn, MDB_dbi facts,
              aggacc_t *acc, buf_t *kb, int ii, int ri, int32_t ystart,
              const derive_around_t *around, const derive_slot_t *before,
              const derive_slot_t *after)
{
    const indicator_t *ind = catalog_indicator(cat, (size_t)ii);
    derive_around_t va = valid_around(cat, ri, around);
    if (!derive_any_valid(cat, ri, ystart, after)) {
        return ERR_OK; /* outside the validity: aggregates nowhere */
    }
    if (!derive_any_valid(cat, ri, ystart, before)) {
        return join(cat, txn, facts, acc, kb, ind, ri, ystart, &va, after);
    }
    if (ind->over_time != OVER_LAST || va.next == CODEC_SPAN_NONE) {
        return ERR_OK;
    }
    derive_contrib_t b = year_c(cat, ri, ystart, before);
    derive_contrib_t a = year_c(cat, ri, ystart, after);
    if (a.num == b.num && a.den == b.den) {
        return ERR_OK;
    }
    return move(cat, acc, kb, CODEC_AGG_NEXT, ind->code, ri, ystart,
                va.next, a.num - b.num, a.den - b.den, 0);
}

int span_group(const catalog_t *cat, aggacc_t *acc, buf_t *kb,
               span_track_t *t, int ii, int ri, int32_t ystart,
               const derive_slot_t slots[12])
{
    const indicator_t *ind = catalog_indicator(cat, (size_t)ii);
    int same = t->valid && t->ii == ii && t->ri == ri;
    int32_t prev = same ? t->ystart : CODEC_SPAN_NONE;
    int rc = move(cat, acc, kb, CODEC_AGG_PREV, ind->code, ri, ystart, prev,
                  0, 0, 1);
    if (rc == ERR_OK && same && ind->over_time == OVER_LAST) {
        rc = move(cat, acc, kb, CODEC_AGG_NEXT, ind->code, ri, prev, ystart,
                  t->c.num, t->c.den, 1);
    }
    t->valid = 1;
    t->ii = ii;
    t->ri = ri;
    t->ystart = ystart;
    t->c = year_c(cat, ri, ystart, slots);
    return rc;
}

/* Each span record (kind, code, region, ystart): hands its other year and
 * its value to the caller's sum. */
static int each_span(MDB_cursor *cur, buf_t *kb, enum codec_agg_kind kind,
                     const char *code, uint32_t region, int32_t ystart,
                     int32_t first, int32_t last_y, store_total_t *t)
{
    codec_key_agg(kb, kind, code, region, ystart); /* the spans' prefix */
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    int rc = ERR_OK;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    while (rc == ERR_OK && mrc == MDB_SUCCESS && k.mv_size == kb->len + 4 &&
           memcmp(k.mv_data, kb->data, kb->len) == 0) {
        int32_t other;
        codec_agg_t a;
        rc = rec_unseal("agg", &k, &d);
        if (rc == ERR_OK &&
            (rec_malformed("agg", &k, codec_parse_span_other(&k, &other)) ||
             rec_malformed("agg", &k, codec_parse_agg(&d, &a)))) {
            rc = ERR_CORRUPT;
        }
        if (rc != ERR_OK) {
            break;
        }
        if (kind == CODEC_AGG_PREV &&
            (other == CODEC_SPAN_NONE || other < first)) {
            t->reporting += a.reporting;
        } else if (kind == CODEC_AGG_NEXT && other <= last_y) {
            t->num -= a.num; /* superseded inside the range */
            t->den -= a.den;
        }
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    return rc == ERR_OK && mrc != MDB_SUCCESS && mrc != MDB_NOTFOUND
               ? lmdbh_code(mrc)
               : rc;
}

int span_total(MDB_txn *txn, MDB_dbi agg, buf_t *kb, const indicator_t *ind,
               uint32_t region, int32_t first, int32_t last_y,
               store_total_t *t)
{
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, agg, &cur));
    for (int32_t y = first; rc == ERR_OK && y <= last_y; y += 12) {
        codec_agg_t a;
        rc = derive_get_agg(txn, agg, kb, CODEC_AGG_YEAR, ind->code, region,
                            y, &a);
        t->num += a.num;
        t->den += a.den;
        if (rc == ERR_OK) {
            rc = each_span(cur, kb, CODEC_AGG_PREV, ind->code, region, y,
                           first, last_y, t);
        }
        if (rc == ERR_OK && ind->over_time == OVER_LAST) {
            rc = each_span(cur, kb, CODEC_AGG_NEXT, ind->code, region, y,
                           first, last_y, t);
        }
    }
    return lmdbh_cursor_end(&cur, rc, MDB_SUCCESS);
}
