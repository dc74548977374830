/* test_outlier.c: the outlier rule (store/outlier.h), the outliers table
 * the write path keeps, and the outliers query with its pages. Exact
 * expectations: every statistic below was computed by hand (and by a
 * second program) from the series each test stores. */
#include <criterion/criterion.h>
#include <lmdb.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "proto/hrss.pb-c.h"
#include "common/lmdbh.h"
#include "store/outlier.h"
#include "store/query.h"
#include "store_fixture.h"

#define EPS 1e-9
#define REGION 330102u /* 上城区, a county */

static uint64_t next_seq = 1;

/* Store one count figure (or a ratio when @p den > 0). */
static void put(const char *ind, uint32_t region, int y, int mi, int64_t num,
                int64_t den)
{
    update_t u = den > 0 ? fx_ratio(next_seq, ind, region,
                                    (uint32_t)(y * 100 + mi + 1), num, den)
                         : fx_count(next_seq, ind, region,
                                    (uint32_t)(y * 100 + mi + 1), num);
    next_seq++;
    store_result_t r = fx_apply("office", &u, 1);
    cr_assert_eq(r.applied, 1, "not applied: %s",
                 r.rejected ? r.rejections[0].message : "");
    store_result_fini(&r);
}

#define MAX_GOT 64
static store_outlier_t got[MAX_GOT];
static size_t n_got;

static int collect(const store_outlier_t *o, void *arg)
{
    (void)arg;
    cr_assert_lt(n_got, MAX_GOT);
    got[n_got++] = *o;
    return 0;
}

static void list(const char *period, uint32_t region)
{
    char err[ERR_LEN];
    period_t p;
    cr_assert_eq(period_parse(period, &p, err), ERR_OK, "%s", err);
    n_got = 0;
    int rc = store_outliers(fx_store, &p, region, collect, NULL, err);
    cr_assert_eq(rc, ERR_OK, "store_outliers: %s", err);
}

static void expect(size_t i, int32_t yyyymm, unsigned reasons, double value)
{
    cr_assert_lt(i, n_got, "only %zu outliers", n_got);
    const store_outlier_t *o = &got[i];
    cr_expect_eq(o->month, (yyyymm / 100) * 12 + yyyymm % 100 - 1,
                 "outlier %zu: month", i);
    cr_expect_eq(o->reasons, reasons, "outlier %zu (%d): reasons %u", i,
                 yyyymm, o->reasons);
    cr_expect_float_eq(o->value, value, EPS, "outlier %zu: value", i);
}

static void expect_test(const store_outlier_test_t *t, unsigned points,
                        double median, double mad, double z)
{
    cr_expect_eq(t->points, points);
    cr_expect_float_eq(t->median, median, EPS, "median %.17g", t->median);
    cr_expect_float_eq(t->mad, mad, EPS, "mad %.17g", t->mad);
    cr_expect_float_eq(t->z, z, EPS, "z %.17g", t->z);
}

/* Five years of monthly figures: ordinary months 100..104, every
 * December a spike (1000, 1010, 1020, 1030, 1040), and in June 2025 ten
 * times the ordinary figure (100 -> 1000). */
static void seasonal_series(const char *ind, uint32_t region)
{
    for (int y = 2021; y <= 2025; y++) {
        for (int mi = 0; mi < 12; mi++) {
            int64_t v = mi == 11 ? 1000 + 10 * (y - 2021)
                                 : 100 + (mi + y) % 5;
            if (y == 2025 && mi == 5) {
                v *= 10;
            }
            put(ind, region, y, mi, v, 0);
        }
    }
}

TestSuite(outlier, .init = fx_setup, .fini = fx_teardown);

Test(outlier, a_december_spike_that_recurs_is_not_a_tenfold_jump_is)
{
    seasonal_series("urban_new_jobs", REGION);
    list("2021..2025", 0);
    cr_assert_eq(n_got, 4, "%zu outliers", n_got);
    /* The first three Decembers: fewer than 3 earlier Decembers, so only
     * the last 12 months judge them, and there they are spikes. */
    expect(0, 202112, OUTLIER_RECENT_12, 1000);
    expect_test(&got[0].seasonal, 0, 0, 0, 0);
    expect_test(&got[0].recent, 11, 102, 1, 0.6745 * (1000 - 102) / 1.0);
    expect(1, 202212, OUTLIER_RECENT_12, 1010);
    expect_test(&got[1].seasonal, 1, 0, 0, 0); /* 1 point: not applied */
    expect_test(&got[1].recent, 12, 102, 1, 0.6745 * (1010 - 102) / 1.0);
    expect(2, 202312, OUTLIER_RECENT_12, 1020);
    expect_test(&got[2].seasonal, 2, 0, 0, 0);
    expect_test(&got[2].recent, 12, 102.5, 1.5,
                0.6745 * (1020 - 102.5) / 1.5);
    /* 2024-12 and 2025-12 are not there: three and four earlier
     * Decembers pass them (z 1.349, 1.68625), which overrules the last
     * 12 months. The tenfold June is outside both tests. */
    expect(3, 202506, OUTLIER_SEASONAL | OUTLIER_RECENT_12, 1000);
    expect_test(&got[3].seasonal, 4, 102.5, 1.0,
                0.6745 * (1000 - 102.5) / 1.0);
    expect_test(&got[3].recent, 12, 102.5, 1.5,
                0.6745 * (1000 - 102.5) / 1.5);
    cr_assert_float_eq(got[3].seasonal.z, 605.36375, 1e-9);
    cr_assert_str_eq(got[3].indicator, "urban_new_jobs");
    cr_assert_eq(got[3].region, REGION);
}

Test(outlier, the_fifth_december_s_statistics_pass_it)
{
    /* The same rule, pure: Decembers 2021..2024 against 2025's. */
    double dec[] = {1000, 1010, 1020, 1030};
    double recent[] = {1030, 101, 102, 103, 104, 100, 101,
                       102, 103, 104, 100, 101};
    outlier_t o;
    outlier_eval(1040, OUTLIER_MIN_COUNT, dec, 4, recent, 12, &o);
    cr_assert_eq(o.reasons, 0);
    cr_assert_eq(o.seasonal.points, 4);
    cr_assert_float_eq(o.seasonal.median, 1015, EPS);
    cr_assert_float_eq(o.seasonal.mad, 10, EPS);
    cr_assert_float_eq(o.seasonal.z, 1.68625, EPS);
    cr_assert_gt(fabs(o.recent.z), OUTLIER_THRESHOLD,
                 "the last 12 months alone would flag it");
}

Test(outlier, periods_and_regions_select_the_list)
{
    seasonal_series("urban_new_jobs", REGION);
    seasonal_series("urban_new_jobs", 330105u); /* another county */
    list("2025", 0);
    cr_assert_eq(n_got, 2);
    cr_assert_eq(got[0].region, REGION);
    cr_assert_eq(got[1].region, 330105u);
    list("2022-12", 330105u);
    cr_assert_eq(n_got, 1);
    cr_assert_eq(got[0].region, 330105u);
    list("2024-12", 0);
    cr_assert_eq(n_got, 0);
    list("2025", 330200u); /* 宁波市: none of its regions */
    cr_assert_eq(n_got, 0);
}

Test(outlier, a_flat_history_has_mad_0_and_only_a_real_move_is_outside)
{
    double flat[] = {100, 100, 100, 100};
    outlier_t o;
    outlier_eval(100, OUTLIER_MIN_COUNT, NULL, 0, flat, 4, &o);
    cr_assert_eq(o.reasons, 0);
    cr_assert_eq(o.recent.mad, 0);
    cr_assert_eq(o.recent.z, 0);
    /* A wobble: z is infinite, but 1 off 100 is not a finding. */
    outlier_eval(101, OUTLIER_MIN_COUNT, NULL, 0, flat, 4, &o);
    cr_assert(isinf(o.recent.z) && o.recent.z > 0);
    cr_assert_eq(o.reasons, 0);
    /* A move of more than a quarter, and at least 10 persons. */
    outlier_eval(126, OUTLIER_MIN_COUNT, NULL, 0, flat, 4, &o);
    cr_assert_eq(o.reasons, OUTLIER_RECENT_12);
    outlier_eval(74, OUTLIER_MIN_COUNT, NULL, 0, flat, 4, &o);
    cr_assert(isinf(o.recent.z) && o.recent.z < 0);
    cr_assert_eq(o.reasons, OUTLIER_RECENT_12);
    outlier_eval(125, OUTLIER_MIN_COUNT, NULL, 0, flat, 4, &o);
    cr_assert_eq(o.reasons, 0, "exactly a quarter is not more");
    /* Small counts: 0 -> 2 postdocs is a quarter and more, but under 10
     * persons; a ratio (min_dev 0) has no such floor. */
    double zeros[] = {0, 0, 0, 0};
    outlier_eval(2, OUTLIER_MIN_COUNT, NULL, 0, zeros, 4, &o);
    cr_assert_eq(o.reasons, 0);
    outlier_eval(0.02, 0, NULL, 0, zeros, 4, &o);
    cr_assert_eq(o.reasons, OUTLIER_RECENT_12);
    /* More than half equal: MAD 0 too. */
    double mostly[] = {100, 100, 100, 7, 5000};
    outlier_eval(300, OUTLIER_MIN_COUNT, NULL, 0, mostly, 5, &o);
    cr_assert_eq(o.recent.median, 100);
    cr_assert_eq(o.recent.mad, 0);
    cr_assert_eq(o.reasons, OUTLIER_RECENT_12);

    /* Through the store: a stock reported flat, then changed. */
    put("pension_insured", REGION, 2025, 0, 5000, 0);
    put("pension_insured", REGION, 2025, 1, 5000, 0);
    put("pension_insured", REGION, 2025, 2, 5000, 0);
    put("pension_insured", REGION, 2025, 3, 5000, 0);
    put("pension_insured", REGION, 2025, 4, 5001, 0);
    put("pension_insured", REGION, 2025, 5, 9000, 0);
    list("2025", 0);
    cr_assert_eq(n_got, 1);
    expect(0, 202506, OUTLIER_RECENT_12, 9000);
    cr_assert_eq(got[0].recent.points, 5);
    cr_assert_eq(got[0].recent.mad, 0);
    cr_assert(isinf(got[0].recent.z));
}

Test(outlier, too_little_history_flags_nothing)
{
    /* Two earlier months: neither test has its 3 points. */
    put("urban_new_jobs", REGION, 2025, 0, 100, 0);
    put("urban_new_jobs", REGION, 2025, 1, 101, 0);
    put("urban_new_jobs", REGION, 2025, 2, 1000000, 0);
    list("2025", 0);
    cr_assert_eq(n_got, 0);
    /* A third point: the fourth figure is judged. */
    put("urban_new_jobs", REGION, 2025, 3, 1000000, 0);
    list("2025", 0);
    cr_assert_eq(n_got, 1);
    expect(0, 202504, OUTLIER_RECENT_12, 1000000);
    expect_test(&got[0].recent, 3, 101, 1, 0.6745 * (1000000 - 101) / 1.0);
    /* Two points: counted, not applied. */
    double pts[] = {1, 2};
    outlier_test_t t;
    outlier_test(pts, 2, 1e9, &t);
    cr_assert_eq(t.points, 2);
    cr_assert_eq(t.z, 0);
}

Test(outlier, a_revision_re_checks_its_cell_and_clears_a_flag)
{
    seasonal_series("urban_new_jobs", REGION);
    list("2025-06", 0);
    cr_assert_eq(n_got, 1);
    /* The office corrects the tenfold June: the flag goes. */
    put("urban_new_jobs", REGION, 2025, 5, 100, 0);
    list("2025-06", 0);
    cr_assert_eq(n_got, 0);
    /* And a revision that makes it wrong flags it again. */
    put("urban_new_jobs", REGION, 2025, 5, 20000, 0);
    list("2025-06", 0);
    cr_assert_eq(n_got, 1);
    expect(0, 202506, OUTLIER_SEASONAL | OUTLIER_RECENT_12, 20000);
    /* Later cells are not re-checked: July was stored against the
     * tenfold June and keeps its (absent) flag. */
    list("2025-07", 0);
    cr_assert_eq(n_got, 0);
    char err[ERR_LEN];
    cr_assert_eq(store_verify(fx_store, err), ERR_OK, "%s", err);
}

Test(outlier, a_ratio_is_judged_by_numerator_over_denominator)
{
    for (int mi = 0; mi < 6; mi++) {
        put("dispute_mediation_success_rate", REGION, 2025, mi, 80 + mi % 3, 100);
    }
    /* 8/100 is a tenth of the usual rate although 8 < 80 is no jump in
     * persons. */
    put("dispute_mediation_success_rate", REGION, 2025, 6, 8, 100);
    list("2025", 0);
    cr_assert_eq(n_got, 1);
    expect(0, 202507, OUTLIER_RECENT_12, 0.08);
    /* Points 0.80 0.81 0.82 0.80 0.81 0.82: median 0.81, MAD 0.01. */
    cr_assert_eq(got[0].recent.points, 6);
    cr_assert_float_eq(got[0].recent.median, 0.81, 1e-12);
    cr_assert_float_eq(got[0].recent.mad, 0.01, 1e-12);
}

Test(outlier, records_round_trip_and_bad_ones_are_refused)
{
    outlier_t o = {OUTLIER_SEASONAL, 1000, {4, 102.5, 1, 605.36375},
                   {12, 102.5, 1.5, INFINITY}, {0, 0, 0, 0}};
    buf_t b;
    buf_init(&b);
    outlier_put(&b, &o);
    cr_assert_eq(b.len, 2 + 8 + 2 * 25);
    MDB_val d = {b.len, b.data};
    outlier_t back;
    cr_assert_eq(outlier_parse(&d, &back), ERR_OK);
    /* Field by field: the structs' padding is not theirs to compare. */
    cr_assert_eq(back.seasonal.points, o.seasonal.points);
    cr_assert_eq(back.seasonal.median, o.seasonal.median);
    cr_assert_eq(back.seasonal.mad, o.seasonal.mad);
    cr_assert_eq(back.seasonal.z, o.seasonal.z);
    cr_assert(isinf(back.recent.z));
    cr_assert_eq(back.value, 1000);
    b.data[1] = 0; /* no reason */
    cr_assert_eq(outlier_parse(&d, &back), ERR_CORRUPT);
    b.data[1] = 8; /* unknown reason */
    cr_assert_eq(outlier_parse(&d, &back), ERR_CORRUPT);
    b.data[1] = 1;
    d.mv_size--;
    cr_assert_eq(outlier_parse(&d, &back), ERR_CORRUPT);
    buf_fini(&b);
}

/* --- the store's check and older stores ------------------------------ */

static const char *db_dir(void)
{
    static char db[300];
    snprintf(db, sizeof db, "%s/db", fx_dir);
    return db;
}

static void reopen(int readonly)
{
    char err[ERR_LEN];
    store_close(&fx_store);
    store_opts_t o = {.readonly = readonly};
    int rc = store_open(&fx_store, db_dir(), fx_cat, &o, err);
    cr_assert_eq(rc, ERR_OK, "store_open: %s", err);
}

/* Make the store one from before the outliers table. */
static void drop_outliers_table(void)
{
    store_close(&fx_store);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi dbi;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, (size_t)64 << 20);
    cr_assert_eq(mdb_env_open(env, db_dir(), 0, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "outliers", 0, &dbi), 0);
    cr_assert_eq(mdb_drop(txn, dbi, 1), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
}

Test(outlier, a_store_from_before_the_table_reads_as_none_then_gets_it)
{
    seasonal_series("urban_new_jobs", REGION);
    drop_outliers_table();
    reopen(1);
    list("2021..2025", 0);
    cr_assert_eq(n_got, 0, "no table: no outliers, no error");
    reopen(0); /* the collector's open makes it, empty */
    list("2021..2025", 0);
    cr_assert_eq(n_got, 0);
    put("urban_new_jobs", REGION, 2025, 5, 1000, 0);
    list("2021..2025", 0);
    cr_assert_eq(n_got, 1, "figures from now on are checked");
}

static void no_problem(const char *line, void *arg)
{
    (void)arg;
    cr_assert_fail("check: %s", line);
}

static char problems[4096];
static void keep_problem(const char *line, void *arg)
{
    (void)arg;
    size_t n = strlen(problems);
    snprintf(problems + n, sizeof problems - n, "%s\n", line);
}

Test(outlier, check_walks_the_table_and_finds_a_record_without_its_value)
{
    seasonal_series("urban_new_jobs", REGION);
    store_close(&fx_store);
    char err[ERR_LEN];
    store_opts_t o = {.check = 1};
    cr_assert_eq(store_open(&fx_store, db_dir(), fx_cat, &o, err), ERR_OK,
                 "%s", err);
    store_check_counts_t counts;
    cr_assert_eq(store_check(fx_store, no_problem, NULL, &counts, err),
                 ERR_OK, "%s", err);
    /* An outlier record left on a cell whose fact says otherwise. */
    store_close(&fx_store);
    MDB_env *env = NULL;
    MDB_txn *txn = NULL;
    MDB_dbi outl;
    MDB_dbi facts;
    cr_assert_eq(mdb_env_create(&env), 0);
    mdb_env_set_maxdbs(env, 16);
    mdb_env_set_mapsize(env, (size_t)64 << 20);
    cr_assert_eq(mdb_env_open(env, db_dir(), 0, 0600), 0);
    cr_assert_eq(mdb_txn_begin(env, NULL, 0, &txn), 0);
    cr_assert_eq(mdb_dbi_open(txn, "outliers", 0, &outl), 0);
    cr_assert_eq(mdb_dbi_open(txn, "facts", 0, &facts), 0);
    MDB_cursor *cur = NULL;
    MDB_val k;
    MDB_val d;
    cr_assert_eq(mdb_cursor_open(txn, outl, &cur), 0);
    cr_assert_eq(mdb_cursor_get(cur, &k, &d, MDB_FIRST), 0);
    unsigned char key[64];
    cr_assert_lt(k.mv_size, sizeof key);
    memcpy(key, k.mv_data, k.mv_size);
    size_t klen = k.mv_size;
    mdb_cursor_close(cur);
    /* Its cell's month moved to one with an ordinary figure: 2021-11. */
    key[klen - 1] = (unsigned char)(key[klen - 1] - 1);
    MDB_val nk = {klen, key};
    MDB_val nd = d;
    buf_t sealed;
    buf_init(&sealed);
    buf_put(&sealed, d.mv_data, d.mv_size - 4); /* without its seal */
    lmdbh_seal(&sealed, &nk);
    nd.mv_size = sealed.len;
    nd.mv_data = sealed.data;
    cr_assert_eq(mdb_put(txn, outl, &nk, &nd, 0), 0);
    cr_assert_eq(mdb_txn_commit(txn), 0);
    mdb_env_close(env);
    buf_fini(&sealed);
    cr_assert_eq(store_open(&fx_store, db_dir(), fx_cat, &o, err), ERR_OK,
                 "%s", err);
    problems[0] = '\0';
    cr_assert_eq(store_check(fx_store, keep_problem, NULL, &counts, err),
                 ERR_CORRUPT);
    cr_assert(strstr(problems, "table outliers, key urban_new_jobs 330102 "
                               "2021-11: value 1000 is not its fact's 101") !=
                  NULL,
              "%s", problems);
}

/* --- the query and its pages ---------------------------------------- */

static Hrss__QueryResponse *ask_outliers(char *period, uint32_t region,
                                         const ProtobufCBinaryData *after,
                                         uint32_t limit)
{
    Hrss__OutliersQ q = HRSS__OUTLIERS_Q__INIT;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    q.period = period;
    if (region != 0) {
        q.has_region = 1;
        q.region = region;
    }
    if (after != NULL) {
        q.has_after = 1;
        q.after = *after;
    }
    if (limit != 0) {
        q.has_limit = 1;
        q.limit = limit;
    }
    req.q_case = HRSS__QUERY_REQUEST__Q_OUTLIERS;
    req.outliers = &q;
    size_t n = hrss__query_request__get_packed_size(&req);
    uint8_t *b = xmalloc(n);
    hrss__query_request__pack(&req, b);
    buf_t out;
    buf_init(&out);
    query_answer(fx_store, NULL, b, n, &out);
    free(b);
    Hrss__QueryResponse *r =
        hrss__query_response__unpack(NULL, out.len, out.data);
    buf_fini(&out);
    cr_assert_not_null(r);
    return r;
}

Test(outlier, the_query_answers_in_pages_that_add_up_to_the_list)
{
    static const uint32_t regions[] = {330102, 330105, 330106, 330108};
    for (size_t i = 0; i < 4; i++) {
        seasonal_series("urban_new_jobs", regions[i]);
    }
    Hrss__QueryResponse *all = ask_outliers("2021..2025", 0, NULL, 0);
    cr_assert_eq(all->code, HRSS__QUERY_STATUS__QUERY_OK, "%s", all->error);
    cr_assert_eq(all->r_case, HRSS__QUERY_RESPONSE__R_OUTLIERS);
    cr_assert_eq(all->outliers->n_outliers, 16);
    cr_assert_eq(all->outliers->has_next, 0);
    const Hrss__Outlier *o = all->outliers->outliers[3];
    cr_assert_str_eq(o->indicator, "urban_new_jobs");
    cr_assert_eq(o->region, 330102);
    cr_assert_eq(o->month, 202506);
    cr_assert_eq(o->reasons, 3);
    cr_assert_float_eq(o->value, 1000, EPS);
    cr_assert_float_eq(o->threshold, 3.5, EPS);
    cr_assert_eq(o->seasonal->points, 4);
    cr_assert_float_eq(o->seasonal->z, 605.36375, 1e-9);
    cr_assert_eq(o->recent->points, 12);
    cr_assert_float_eq(o->recent->mad, 1.5, EPS);
    /* Pages of 3: the same 16, in order, each once. */
    size_t seen = 0;
    ProtobufCBinaryData after = {0, NULL};
    uint8_t keep[256];
    for (int pages = 0; pages < 10; pages++) {
        Hrss__QueryResponse *r =
            ask_outliers("2021..2025", 0, seen ? &after : NULL, 3);
        cr_assert_eq(r->code, HRSS__QUERY_STATUS__QUERY_OK, "%s", r->error);
        cr_assert_leq(r->outliers->n_outliers, 3);
        for (size_t i = 0; i < r->outliers->n_outliers; i++, seen++) {
            const Hrss__Outlier *a = all->outliers->outliers[seen];
            const Hrss__Outlier *b = r->outliers->outliers[i];
            cr_assert_eq(a->region, b->region);
            cr_assert_eq(a->month, b->month);
            cr_assert_eq(a->reasons, b->reasons);
        }
        int more = r->outliers->has_next;
        if (more) {
            cr_assert_lt(r->outliers->next.len, sizeof keep);
            memcpy(keep, r->outliers->next.data, r->outliers->next.len);
            after.len = r->outliers->next.len;
            after.data = keep;
        }
        hrss__query_response__free_unpacked(r, NULL);
        if (!more) {
            break;
        }
    }
    cr_assert_eq(seen, 16);
    hrss__query_response__free_unpacked(all, NULL);
    /* A region and a period narrow it; a bad period is refused. */
    Hrss__QueryResponse *r = ask_outliers("2025-06", 330106, NULL, 0);
    cr_assert_eq(r->outliers->n_outliers, 1);
    cr_assert_eq(r->outliers->outliers[0]->region, 330106);
    hrss__query_response__free_unpacked(r, NULL);
    r = ask_outliers("2025-13", 0, NULL, 0);
    cr_assert_neq(r->code, HRSS__QUERY_STATUS__QUERY_OK);
    cr_assert(strstr(r->error, "2025-13") != NULL, "%s", r->error);
    hrss__query_response__free_unpacked(r, NULL);
}
