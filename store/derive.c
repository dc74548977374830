/* derive.c: aggregates and violations derived from the facts.
 *
 * Design
 * ------
 * Aggregates exist per (indicator, node, month), (.., quarter) and
 * (.., year). An update recomputes the region's contribution to its
 * month, quarter and year before and after the write, from the at most 12
 * facts of the cell's year, and adds the difference to the region and each
 * ancestor: O(depth) read-modify-writes, independent of how much data the
 * store holds. The same derive_cell() then rechecks the "of which" pairs
 * the cell belongs to. derive_rebuild() replays every (indicator, region,
 * year) group of facts month by month through derive_cell(), as if the
 * facts had arrived in order; sums commute, so the result is the one the
 * incremental path reached in any order. It also makes each group's year
 * spans (span.h) from the group before it, as the facts come in order.
 *
 * INVARIANTS
 *   1. derive_cell() changes agg only by after - before of the one region's
 *      contribution, on that region and its ancestors (store invariant 2).
 *   2. An agg record reaching num == den == reporting == 0 is deleted
 *      (store invariant 5).
 *   3. After derive_cell(), each "of which" pair containing the cell has a
 *      violations record iff the part exceeds the whole (store invariant 4).
 */
#include "store/derive.h"

#include <stdio.h>
#include <string.h>

#include "common/lmdbh.h"
#include "store/rec.h"
#include "store/span.h"

/* The month of the fact under @p cur if it is one of (@p kb's cell key
 * prefix of @p prefix bytes), else CODEC_SPAN_NONE; the key is not
 * unsealed: only its own bytes are read, and a bad one parses as none of
 * ours. */
static int32_t cell_month(const MDB_val *k, const buf_t *kb, size_t prefix)
{
    const char *c;
    uint32_t r;
    int32_t m;
    if (k->mv_size != kb->len || memcmp(k->mv_data, kb->data, prefix) != 0 ||
        codec_parse_cell_key(k, &c, &r, &m) != ERR_OK) {
        return CODEC_SPAN_NONE;
    }
    return m;
}

/* Fill @p around->prev: the fact before the cursor's position (or the
 * table's last, when the seek ran off its end), then put the cursor back
 * on the key it was on. */
static int find_prev(MDB_cursor *cur, const buf_t *kb, size_t prefix,
                     int at_end, derive_around_t *around, MDB_val *k,
                     MDB_val *d, int *mrc)
{
    MDB_val pk;
    MDB_val pd;
    int prc = mdb_cursor_get(cur, &pk, &pd, at_end ? MDB_LAST : MDB_PREV);
    if (prc == MDB_SUCCESS) {
        int32_t m = cell_month(&pk, kb, prefix);
        around->prev = m == CODEC_SPAN_NONE ? m : m - m % 12;
    } else if (prc != MDB_NOTFOUND) {
        return lmdbh_code(prc);
    }
    if (at_end) {
        return ERR_OK; /* *mrc stays MDB_NOTFOUND */
    }
    if (prc == MDB_SUCCESS) {
        *mrc = mdb_cursor_get(cur, k, d, MDB_NEXT);
    } else { /* nothing before: seek again */
        *k = lmdbh_val(kb);
        *mrc = mdb_cursor_get(cur, k, d, MDB_SET_RANGE);
    }
    return ERR_OK;
}

int derive_load_year(MDB_txn *txn, MDB_dbi facts, const char *code,
                     uint32_t region, int32_t ystart, derive_slot_t slots[12],
                     derive_around_t *around, buf_t *kb)
{
    memset(slots, 0, 12 * sizeof slots[0]);
    if (around != NULL) {
        around->prev = CODEC_SPAN_NONE;
        around->next = CODEC_SPAN_NONE;
    }
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_cursor_open(txn, facts, &cur));
    if (rc != ERR_OK) {
        return rc;
    }
    codec_key_cell(kb, code, region, ystart);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    size_t prefix = kb->len - 4;
    int mrc = mdb_cursor_get(cur, &k, &d, MDB_SET_RANGE);
    if (around != NULL && (mrc == MDB_SUCCESS || mrc == MDB_NOTFOUND)) {
        rc = find_prev(cur, kb, prefix, mrc == MDB_NOTFOUND, around, &k, &d,
                       &mrc);
    }
    while (rc == ERR_OK && mrc == MDB_SUCCESS) {
        if (k.mv_size != kb->len || memcmp(k.mv_data, kb->data, prefix)) {
            break;
        }
        const char *c;
        uint32_t r;
        int32_t m;
        codec_fact_t f;
        rc = rec_unseal("facts", &k, &d);
        if (rc != ERR_OK ||
            rec_malformed("facts", &k, codec_parse_cell_key(&k, &c, &r, &m)) ||
            rec_malformed("facts", &k, codec_parse_fact(&d, &f))) {
            rc = ERR_CORRUPT;
            break;
        }
        if (m > ystart + 11) {
            if (around != NULL) {
                around->next = m - m % 12;
            }
            break;
        }
        slots[m - ystart].present = 1;
        slots[m - ystart].v = f.v;
        slots[m - ystart].audit_id = f.audit_id;
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    return lmdbh_cursor_end(&cur, rc, mrc);
}

int derive_get_fact(MDB_txn *txn, MDB_dbi facts, buf_t *kb, const char *code,
                    uint32_t region, int32_t month, codec_fact_t *f,
                    int *found)
{
    codec_key_cell(kb, code, region, month);
    MDB_val k = lmdbh_val(kb);
    MDB_val d;
    int rc = rec_get(txn, facts, "facts", &k, &d, found);
    if (rc == ERR_OK && *found) {
        rc = rec_malformed("facts", &k, codec_parse_fact(&d, f));
    }
    if (rc != ERR_OK) {
        *found = 0;
    }
    return rc;
}

int derive_get_agg(MDB_txn *txn, MDB_dbi agg, buf_t *kb,
                   enum codec_agg_kind k, const char *code, uint32_t region,
                   int32_t start, codec_agg_t *a)
{
    codec_key_agg(kb, k, code, region, start);
    MDB_val kv = lmdbh_val(kb);
    MDB_val d;
    int found = 0;
    memset(a, 0, sizeof *a);
    int rc = rec_get(txn, agg, "agg", &kv, &d, &found);
    if (rc == ERR_OK && found) {
        rc = rec_malformed("agg", &kv, codec_parse_agg(&d, a));
    }
    return rc;
}

derive_contrib_t derive_contrib(const derive_slot_t *slots, int from, int to,
                                enum ind_over_time ot)
{
    derive_contrib_t c = {0, 0, 0};
    for (int i = from; i <= to; i++) {
        if (!slots[i].present) {
            continue;
        }
        if (ot == OVER_SUM) {
            c.num += slots[i].v.num;
            c.den += slots[i].v.den;
        } else {
            c.num = slots[i].v.num;
            c.den = slots[i].v.den;
        }
        c.present = 1;
    }
    return c;
}

derive_contrib_t derive_contrib_at(const catalog_t *cat, int ri,
                                   int32_t ystart,
                                   const derive_slot_t *slots, int from,
                                   int to, enum ind_over_time ot)
{
    derive_contrib_t none = {0, 0, 0};
    const region_t *r = catalog_region(cat, (size_t)ri);
    int64_t vf = (int64_t)r->valid_from - ystart;
    int64_t vt = (int64_t)r->valid_to - ystart;
    if (ot == OVER_LAST && to > vt) {
        return none; /* gone by the period's end: not in its stock */
    }
    int f = vf > from ? (int)vf : from;
    int t = vt < to ? (int)vt : to;
    if (f > t) {
        return none;
    }
    return derive_contrib(slots, f, t, ot);
}

int derive_any_valid(const catalog_t *cat, int ri, int32_t ystart,
                     const derive_slot_t *slots)
{
    for (int i = 0; i < 12; i++) {
        if (slots[i].present && catalog_region_valid(cat, ri, ystart + i)) {
            return 1;
        }
    }
    return 0;
}

int derive_first_node(const catalog_t *cat, int ri)
{
    const region_t *r = catalog_region(cat, (size_t)ri);
    return r->n_children > 0 ? ri : r->parent;
}

/* Move the aggregates of region index @p ri and its ancestors for period
 * kind @p k starting at @p start by (after - before). */
static int agg_move(const catalog_t *cat, aggacc_t *acc, buf_t *kb,
                    enum codec_agg_kind k, const char *code, int ri,
                    int32_t start, derive_contrib_t before,
                    derive_contrib_t after)
{
    int64_t dnum = after.num - before.num;
    int64_t dden = after.den - before.den;
    int drep = after.present - before.present;
    if (dnum == 0 && dden == 0 && drep == 0) {
        return ERR_OK;
    }
    for (int a = derive_first_node(cat, ri); a >= 0;
         a = catalog_region(cat, (size_t)a)->parent) {
        codec_key_agg(kb, k, code, catalog_region(cat, (size_t)a)->code,
                      start);
        int rc = aggacc_add(acc, kb, dnum, dden, drep);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    return ERR_OK;
}

/* Apply the aggregate change of one cell going from @p before to
 * @p after (the 12 months of the cell's year). */
static int agg_update(const catalog_t *cat, aggacc_t *acc, buf_t *kb,
                      const indicator_t *ind, int ri, int32_t ystart, int mi,
                      const derive_slot_t *before,
                      const derive_slot_t *after)
{
    int q0 = mi - mi % 3;
    struct {
        enum codec_agg_kind k;
        int from;
        int to;
    } per[3] = {
        {CODEC_AGG_MONTH, mi, mi},
        {CODEC_AGG_QUARTER, q0, q0 + 2},
        {CODEC_AGG_YEAR, 0, 11},
    };
    for (int i = 0; i < 3; i++) {
        derive_contrib_t b = derive_contrib_at(
            cat, ri, ystart, before, per[i].from, per[i].to, ind->over_time);
        derive_contrib_t a = derive_contrib_at(
            cat, ri, ystart, after, per[i].from, per[i].to, ind->over_time);
        int rc = agg_move(cat, acc, kb, per[i].k, ind->code, ri,
                          ystart + per[i].from, b, a);
        if (rc != ERR_OK) {
            return rc;
        }
    }
    return ERR_OK;
}

/* Recheck the "of which" pair (child, parent) for one region and month
 * and store or clear its violation record (INVARIANT 3). */
static int viol_check(const catalog_t *cat, MDB_txn *txn, MDB_dbi facts,
                      MDB_dbi viol, buf_t *kb, buf_t *vb,
                      const indicator_t *child, uint32_t region,
                      int32_t month)
{
    const indicator_t *parent =
        catalog_indicator(cat, (size_t)child->part_of);
    codec_fact_t cf;
    codec_fact_t pf;
    int have_c = 0;
    int have_p = 0;
    int rc = derive_get_fact(txn, facts, kb, child->code, region, month, &cf,
                             &have_c);
    if (rc == ERR_OK) {
        rc = derive_get_fact(txn, facts, kb, parent->code, region, month,
                             &pf, &have_p);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    codec_key_cell(kb, child->code, region, month);
    MDB_val k = lmdbh_val(kb);
    if (have_c && have_p && cf.v.num > pf.v.num) {
        codec_put_violation(vb, parent->code, cf.v.num, pf.v.num);
        return rec_put(txn, viol, &k, vb, 0);
    }
    int mrc = mdb_del(txn, viol, &k, NULL);
    return mrc == MDB_NOTFOUND ? ERR_OK : lmdbh_code(mrc);
}

int derive_cell(const catalog_t *cat, MDB_txn *txn, MDB_dbi facts,
                aggacc_t *acc, MDB_dbi viol, buf_t *kb, buf_t *vb, int ii,
                int ri, int32_t ystart, int mi, const derive_slot_t *before,
                const derive_slot_t *after)
{
    const indicator_t *ind = catalog_indicator(cat, (size_t)ii);
    uint32_t region = catalog_region(cat, (size_t)ri)->code;
    int32_t month = ystart + mi;
    int rc = agg_update(cat, acc, kb, ind, ri, ystart, mi, before, after);
    if (rc == ERR_OK && ind->part_of >= 0) {
        rc = viol_check(cat, txn, facts, viol, kb, vb, ind, region, month);
    }
    /* The cell may also be the whole of other indicators' "of which". */
    for (size_t j = 0; rc == ERR_OK && j < catalog_indicator_count(cat);
         j++) {
        const indicator_t *c = catalog_indicator(cat, j);
        if (c->part_of == ii) {
            rc = viol_check(cat, txn, facts, viol, kb, vb, c, region, month);
        }
    }
    return rc;
}

/* One (code, region, year) group of facts gathered by derive_rebuild(). */
typedef struct group {
    char code[CATALOG_CODE_MAX + 1];
    uint32_t region;
    int32_t ystart; /* -1: no group open */
    derive_slot_t slots[12];
} group_t;

/* Add the contributions of group @p g month by month, as if its facts
 * had arrived in order: the result is the same as any other order. */
static int add_group(const catalog_t *cat, MDB_txn *txn, MDB_dbi facts,
                     aggacc_t *acc, MDB_dbi viol, buf_t *kb, buf_t *vb,
                     span_track_t *st, const group_t *g)
{
    int ii = catalog_indicator_find(cat, g->code);
    int ri = catalog_region_find(cat, g->region);
    int rc = ERR_OK;
    if (ii < 0 || ri < 0 || !derive_any_valid(cat, ri, g->ystart, g->slots)) {
        return ERR_OK; /* kept, not aggregated (also a year outside the
                          region's validity: no span either) */
    }
    for (int mi = 0; rc == ERR_OK && mi < 12; mi++) {
        if (!g->slots[mi].present) {
            continue;
        }
        derive_slot_t before[12];
        memcpy(before, g->slots, sizeof before);
        for (int j = mi; j < 12; j++) {
            before[j].present = 0;
        }
        derive_slot_t after[12];
        memcpy(after, before, sizeof after);
        after[mi] = g->slots[mi];
        rc = derive_cell(cat, txn, facts, acc, viol, kb, vb, ii, ri,
                         g->ystart, mi, before, after);
    }
    if (rc == ERR_OK) {
        rc = span_group(cat, acc, kb, st, ii, ri, g->ystart, g->slots);
    }
    return rc;
}

int derive_rebuild(const catalog_t *cat, MDB_txn *txn, MDB_dbi facts,
                   MDB_dbi agg, MDB_dbi viol, const char *file,
                   char err[ERR_LEN])
{
    MDB_cursor *cur = NULL;
    int rc = lmdbh_code(mdb_drop(txn, agg, 0));
    if (rc == ERR_OK) {
        rc = lmdbh_code(mdb_drop(txn, viol, 0));
    }
    if (rc == ERR_OK) {
        rc = lmdbh_code(mdb_cursor_open(txn, facts, &cur));
    }
    buf_t kb;
    buf_t vb;
    buf_init(&kb);
    buf_init(&vb);
    aggacc_t acc; /* flushes by itself every AGGACC_MAX_KEYS keys */
    aggacc_init(&acc, txn, agg);
    MDB_val k;
    MDB_val d;
    int mrc = rc == ERR_OK ? mdb_cursor_get(cur, &k, &d, MDB_FIRST)
                           : MDB_NOTFOUND;
    /* Facts are ordered by (code, region, month): gather one (code,
     * region, year) group at a time, then add its contributions. */
    group_t g;
    memset(&g, 0, sizeof g);
    g.ystart = -1;
    span_track_t st;
    memset(&st, 0, sizeof st);
    while (rc == ERR_OK) {
        const char *c = "";
        uint32_t r = 0;
        int32_t m = 0;
        codec_fact_t f;
        int end = mrc != MDB_SUCCESS;
        if (!end && (rec_unseal("facts", &k, &d) != ERR_OK ||
                     rec_malformed("facts", &k,
                                   codec_parse_cell_key(&k, &c, &r, &m)) ||
                     rec_malformed("facts", &k, codec_parse_fact(&d, &f)))) {
            rc = ERR_CORRUPT;
            break;
        }
        if (g.ystart >= 0 && (end || strcmp(c, g.code) != 0 ||
                              r != g.region || m - m % 12 != g.ystart)) {
            rc = add_group(cat, txn, facts, &acc, viol, &kb, &vb, &st, &g);
            memset(&g, 0, sizeof g);
            g.ystart = -1;
        }
        if (end || rc != ERR_OK) {
            break;
        }
        if (g.ystart < 0) {
            snprintf(g.code, sizeof g.code, "%s", c);
            g.region = r;
            g.ystart = m - m % 12;
        }
        g.slots[m - g.ystart].present = 1;
        g.slots[m - g.ystart].v = f.v;
        mrc = mdb_cursor_get(cur, &k, &d, MDB_NEXT);
    }
    rc = lmdbh_cursor_end(&cur, rc, mrc);
    if (rc == ERR_OK) {
        rc = aggacc_flush(&acc);
    }
    aggacc_fini(&acc);
    buf_fini(&kb);
    buf_fini(&vb);
    if (rc != ERR_OK) {
        rec_fail(file, "rebuilding aggregates", rc, err);
    }
    return rc;
}
