/* test_approvals.c: approvals with the real collector, agents and
 * hrssctl: who may approve what (CurveZMQ admin keys and their regions,
 * or a name on a plain collector), the lock an approval puts on a month
 * as the office sees it (period_locked), and its release. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/keys.h"
#include "harness.h"

TestSuite(approvals, .init = hx_setup, .fini = hx_teardown,
          .timeout = 120);

static const char *path(const char *name)
{
    static char p[4][300];
    static int i;
    i = (i + 1) % 4;
    snprintf(p[i], sizeof p[i], "%s/%s", hx_dir, name);
    return p[i];
}

static void key(const char *name)
{
    keys_pair_t kp;
    char err[ERR_LEN];
    cr_assert_eq(keys_generate(path(name), &kp, err), ERR_OK, "%s", err);
}

static const char *pub(const char *name)
{
    static char z[4][KEYS_Z85_LEN];
    static int i;
    char err[ERR_LEN];
    char file[300];
    i = (i + 1) % 4;
    snprintf(file, sizeof file, "%s/%s.pub", hx_dir, name);
    cr_assert_eq(keys_load_public(file, z[i], err), ERR_OK, "%s", err);
    return z[i];
}

/* A CURVE collector: 上城区's office (330102), the admins 杭州市 (hz,
 * 330100 and below), the province (zj) and a reader. */
static void start_curve(hx_coll_t *c, char *db, size_t len)
{
    const char *names[] = {"collector", "shangcheng", "hz", "zj", "reader"};
    for (size_t i = 0; i < 5; i++) {
        key(names[i]);
    }
    char text[1024];
    int n = snprintf(text, sizeof text, "%s 330102 330102\n",
                     pub("shangcheng"));
    hx_write(path("agents"), text, (size_t)n);
    n = snprintf(text, sizeof text,
                 "%s hz admin 330100/*\n%s zj admin\n%s reader read\n",
                 pub("hz"), pub("zj"), pub("reader"));
    hx_write(path("admins"), text, (size_t)n);
    snprintf(db, len, "%s/db", hx_dir);
    char keyp[300];
    char agents[300];
    char admins[300];
    snprintf(keyp, sizeof keyp, "%s", path("collector.key"));
    snprintf(agents, sizeof agents, "%s", path("agents"));
    snprintf(admins, sizeof admins, "%s", path("admins"));
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--key", keyp, "--agents",
                          agents, "--admins", admins, NULL};
    hx_collector_exec(c, db, path("collector.log"), argv);
}

/* hrssctl as admin @p who: ACTION --region R --period 2025-10. */
static int ctl_as(const hx_coll_t *c, const char *who, const char *action,
                  const char *region, char *out, size_t len)
{
    char keyp[300];
    char ckey[300];
    snprintf(keyp, sizeof keyp, "%s/%s.key", hx_dir, who);
    snprintf(ckey, sizeof ckey, "%s/collector.pub", hx_dir);
    const char *argv[] = {"hrssctl", "--connect", c->query, "--key", keyp,
                          "--collector-key", ckey, action, "--region",
                          region, "--period", "2025-10", NULL};
    return hx_run(argv, 30000, out, len);
}

/* 上城区's office sends urban_new_jobs 2025-10 = @p value and flushes.
 * @return flush's exit status (65: the collector refused something). */
static int office(const hx_coll_t *c, const char *value, char *out,
                  size_t len)
{
    char keyp[300];
    char ckey[300];
    snprintf(keyp, sizeof keyp, "%s/shangcheng.key", hx_dir);
    snprintf(ckey, sizeof ckey, "%s/collector.pub", hx_dir);
    const char *sub[] = {"hrss-agent", "--state-dir", path("office"),
                         "--region", "330102", "submit", "--indicator",
                         "urban_new_jobs", "--period", "2025-10", "--value",
                         value, NULL};
    cr_assert_eq(hx_run(sub, 30000, out, len), 0, "%s", out);
    const char *fl[] = {"hrss-agent", "--state-dir", path("office"),
                        "--region", "330102", "--collector", c->ingest,
                        "--key", keyp, "--collector-key", ckey, "flush",
                        "--timeout", "10", NULL};
    return hx_run(fl, 30000, out, len);
}

Test(approvals, admin_keys_approve_within_their_regions)
{
    hx_coll_t c;
    char db[300];
    start_curve(&c, db, sizeof db);
    static char out[16384];
    cr_assert_eq(office(&c, "100", out, sizeof out), 0, "%s", out);
    /* A reader may not; 杭州市 may not approve 宁波市's counties. */
    cr_expect_eq(ctl_as(&c, "reader", "approve", "330102", out, sizeof out),
                 1, "%s", out);
    cr_expect(strstr(out, "approvals need an admin key") != NULL, "%s",
              out);
    cr_expect_eq(ctl_as(&c, "hz", "approve", "330203", out, sizeof out), 1,
                 "%s", out);
    cr_expect(strstr(out, "approve 330203 2025-10: hz may not: its scope "
                          "does not cover 330203") != NULL, "%s", out);
    cr_expect_eq(ctl_as(&c, "hz", "approve", "330102", out, sizeof out), 0,
                 "%s", out);
    cr_expect(strstr(out, "approve 330102 (上城区) 2025-10: approved by hz") !=
                  NULL, "%s", out);
    /* The office's change to the approved month is refused, and it is
     * told why. */
    cr_expect_eq(office(&c, "130", out, sizeof out), 65, "%s", out);
    cr_expect(strstr(out, "period: 2025-10 of region 330102 is approved, so "
                          "locked: changes need it unapproved first "
                          "[period_locked]") != NULL, "%s", out);
    /* Only the province accepts; 杭州市 is not approved anyway. */
    cr_expect_eq(ctl_as(&c, "hz", "accept", "330100", out, sizeof out), 1,
                 "%s", out);
    cr_expect(strstr(out, "does not cover the province") != NULL, "%s", out);
    /* Unapproved by the province, the change is taken. */
    cr_expect_eq(ctl_as(&c, "zj", "unapprove", "330102", out, sizeof out), 0,
                 "%s", out);
    cr_expect_eq(office(&c, "130", out, sizeof out), 0, "%s", out);
    const char *hist[] = {"hrssctl", "--data-dir", db, "approvals",
                          "--period", "2025-10", "--region", "330102",
                          "--csv", NULL};
    cr_expect_eq(hx_run(hist, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "330102,上城区,open,,") != NULL, "%s", out);
    const char *js[] = {"hrssctl", "--data-dir", db, "approvals", "--period",
                        "2025-10", "--region", "330102", "--json", NULL};
    cr_expect_eq(hx_run(js, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "\"action\": \"approve\", \"by\": \"hz\"") != NULL,
              "%s", out);
    cr_expect(strstr(out, "\"action\": \"unapprove\", \"by\": \"zj\"") !=
                  NULL, "%s", out);
}

Test(approvals, a_plain_collector_takes_a_name)
{
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    hx_coll_t c;
    hx_collector_start(&c, db, path("collector.log"));
    static char out[16384];
    const char *bare[] = {"hrssctl", "--connect", c.query, "--insecure",
                          "approve", "--region", "330102", "--period",
                          "2025-10", NULL};
    cr_expect_eq(hx_run(bare, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "give --as NAME") != NULL, "%s", out);
    const char *named[] = {"hrssctl", "--connect", c.query, "--insecure",
                           "approve", "--region", "330102", "--period",
                           "2025-10", "--as", "li", "--json", NULL};
    cr_expect_eq(hx_run(named, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "{\"region\": \"330102\", \"state\": \"approved\", "
                          "\"by\": \"li\", \"at\": ") != NULL, "%s", out);
    /* --data-dir reads; the collector writes. */
    const char *local[] = {"hrssctl", "--data-dir", db, "unapprove",
                           "--region", "330102", "--period", "2025-10",
                           "--as", "li", NULL};
    cr_expect_eq(hx_run(local, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "is open read-only here: approvals are written by "
                          "the collector") != NULL, "%s", out);
}

static update_t fig(uint64_t seq, const char *ind, uint32_t region,
                    uint32_t yyyymm, int64_t num, int64_t den)
{
    update_t u = {seq, ind, region, yyyymm, {den > 0, num, den}};
    return u;
}

/* hrssctl --connect --insecure approve --region R --period P --as li. */
static void approve_as_li(const hx_coll_t *c, const char *region,
                          const char *period)
{
    static char out[4096];
    const char *argv[] = {"hrssctl", "--connect", c->query, "--insecure",
                          "approve", "--region", region, "--period",
                          period, "--as", "li", NULL};
    cr_assert_eq(hx_run(argv, 30000, out, sizeof out), 0, "%s", out);
}

#define BOTH(c, db, out, ...)                                               \
    HX_CTL_BOTH((c)->query, db, NULL, out, __VA_ARGS__)

/* 上城区 (330102) approved for October and November, 拱墅区 (330105) for
 * October only, 杭州市's own month never: every total says how much of
 * it is approved, and progress --approved counts only those figures. */
Test(approvals, totals_say_how_much_is_approved)
{
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 1, &cat, &s);
    update_t u[] = {
        fig(1, "urban_new_jobs", 330102, 202510, 100, 0),
        fig(2, "urban_new_jobs", 330102, 202511, 110, 0),
        fig(3, "urban_new_jobs", 330105, 202510, 10, 0),
        fig(4, "urban_new_jobs", 330105, 202511, 20, 0),
        fig(5, "urban_new_jobs", 330100, 202510, 1000, 0),
        fig(6, "pension_insured", 330102, 202510, 500, 0),
        fig(7, "pension_insured", 330102, 202511, 510, 0),
        fig(8, "pension_insured", 330105, 202510, 50, 0),
        fig(9, "pension_insured", 330105, 202511, 60, 0),
        fig(10, "dispute_mediation_success_rate", 330102, 202510, 8, 10),
        fig(11, "dispute_mediation_success_rate", 330105, 202510, 1, 10),
        fig(12, "dispute_mediation_success_rate", 330100, 202510, 5, 10),
    };
    store_batch_t b = {"test-agent", -1, 1764000000, month_make(2026, 11),
                       u, sizeof u / sizeof u[0], NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    cr_assert_eq(r.applied, sizeof u / sizeof u[0]);
    store_result_fini(&r);
    store_close(&s);
    catalog_destroy(&cat);
    hx_coll_t c;
    hx_collector_start(&c, db, path("collector.log"));
    approve_as_li(&c, "330102", "2025-10");
    approve_as_li(&c, "330102", "2025-11");
    approve_as_li(&c, "330105", "2025-10");

    static char out[65536];
    BOTH(&c, db, out, "total", "urban_new_jobs", "--period", "2025-10",
         "--region", "330100", "--json");
    cr_expect_str_eq(out, "{\"indicator\": \"urban_new_jobs\", \"region\": "
                          "\"330100\", \"period\": \"2025-10\", \"kind\": "
                          "\"count\", \"value\": 1110, "
                          "\"reporting_regions\": 3, \"expected_regions\": "
                          "14, \"approved_regions\": 2}\n");
    BOTH(&c, db, out, "total", "urban_new_jobs", "--period", "2025-10",
         "--region", "330100", "--csv");
    cr_expect(strstr(out, "\nurban_new_jobs,330100,2025-10,count,1110,,,3,"
                          "14,2\n") != NULL, "%s", out);
    BOTH(&c, db, out, "total", "urban_new_jobs", "--period", "2025-10");
    cr_expect(strstr(out, "approved:  2 of 102 regions\n") != NULL, "%s",
              out);
    /* October and November: only 上城区 has both. */
    BOTH(&c, db, out, "breakdown", "urban_new_jobs", "--period",
         "2025-10..2025-11", "--region", "330100", "--json");
    cr_expect(strstr(out, "\"region\": \"330102\", \"period\": "
                          "\"2025-10..2025-11\", \"kind\": \"count\", "
                          "\"value\": 210, \"reporting_regions\": 1, "
                          "\"expected_regions\": 1, \"approved_regions\": "
                          "1}") != NULL, "%s", out);
    cr_expect(strstr(out, "\"region\": \"330105\", \"period\": "
                          "\"2025-10..2025-11\", \"kind\": \"count\", "
                          "\"value\": 30, \"reporting_regions\": 1, "
                          "\"expected_regions\": 1, \"approved_regions\": "
                          "0}") != NULL, "%s", out);
    cr_expect(strstr(out, "\"total\": {\"indicator\": \"urban_new_jobs\", "
                          "\"region\": \"330100\", \"period\": "
                          "\"2025-10..2025-11\", \"kind\": \"count\", "
                          "\"value\": 1240, \"reporting_regions\": 3, "
                          "\"expected_regions\": 14, \"approved_regions\": "
                          "1}}") != NULL, "%s", out);

    /* progress --approved: a stock's level (October: 500 + 50), a
     * ratio's (8/10 + 1/10, not 杭州市's own 5/10), and no cumulative
     * figure (no region has every month since 2021-01 approved). */
    BOTH(&c, db, out, "progress", "--period", "2025-10", "--region",
         "330100", "--approved", "--json");
    cr_expect(strstr(out, "\"targets\": \"none\", \"approved_only\": true, ")
                  != NULL, "%s", out);
    cr_expect(strstr(out, "\"basis\": \"level\", \"period\": \"2025-10\", "
                          "\"baseline\": null, \"target\": null, "
                          "\"direction\": \"at_least\", \"value\": 550, "
                          "\"share\": null, \"expected\": null, "
                          "\"elapsed\": 0.9666666667, \"on_track\": null, "
                          "\"reporting_regions\": 2, \"expected_regions\": "
                          "14, \"approved_regions\": 2,") != NULL, "%s",
              out);
    cr_expect(strstr(out, "\"value\": 0.45, \"numerator\": 9, "
                          "\"denominator\": 20,") != NULL, "%s", out);
    cr_expect(strstr(out, "\"indicator\": \"urban_new_jobs\", \"name_zh\": "
                          "\"城镇新增就业人数\", \"kind\": \"count\", "
                          "\"display_unit\": \"万人\", \"unit_scale\": "
                          "10000, \"basis\": \"cumulative\", \"period\": "
                          "\"2021-01..2025-10\", \"baseline\": null, "
                          "\"target\": null, \"direction\": \"at_least\", "
                          "\"value\": null,") != NULL, "%s", out);
    /* November: 上城区's 510 only; without --approved, 510 + 60. */
    BOTH(&c, db, out, "progress", "--period", "2025-11", "--region",
         "330100", "--approved", "--csv");
    cr_expect(strstr(out, "\npension_insured,基本养老保险参保人数,万人,,,,"
                          "510,,1,no target,1,14,1,none,,510\n") != NULL,
              "%s", out);
    BOTH(&c, db, out, "progress", "--period", "2025-11", "--region",
         "330100", "--csv");
    cr_expect(strstr(out, "\npension_insured,基本养老保险参保人数,万人,,,,"
                          "570,,1,no target,2,14,1,none,,570\n") != NULL,
              "%s", out);
    BOTH(&c, db, out, "progress", "--period", "2025-11", "--region",
         "330100", "--approved");
    cr_expect(strstr(out, "progress (approved figures only) — 杭州市 330100, "
                          "period 2025-11\n") != NULL, "%s", out);
    cr_expect(strstr(out, "\napproved figures only: a value counts only the "
                          "regions whose every month of its period is "
                          "approved; regions = those of them that "
                          "reported.\n") != NULL, "%s", out);
    cr_expect_eq(hx_collector_stop(&c, 10000), 0);
}

Test(approvals, a_month_locks_after_its_deadline_unless_excepted)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure",
                          "--lock-after-days", "30", NULL};
    hx_coll_t c;
    hx_collector_exec(&c, db, log, argv);
    static char out[16384];
    /* 2025-10 closed on 2025-12-10: long past. */
    const char *sub[] = {"hrss-agent", "--state-dir", path("office"),
                         "--region", "330102", "--collector", c.ingest,
                         "--insecure", "submit", "--wait", "--timeout", "10",
                         "--indicator", "urban_new_jobs", "--period",
                         "2025-10", "--value", "100", NULL};
    cr_expect_eq(hx_run(sub, 30000, out, sizeof out), 65, "%s", out);
    cr_expect(strstr(out, "period: 2025-10 of region 330102 closed on "
                          "2025-12-10, 30 days after its deadline: the "
                          "province can grant an exception "
                          "[period_locked]") != NULL, "%s", out);
    const char *exc[] = {"hrssctl", "--connect", c.query, "--insecure",
                         "except", "--region", "330102", "--period",
                         "2025-10", "--as", "zj", NULL};
    cr_expect_eq(hx_run(exc, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "excepted from the automatic lock") != NULL, "%s",
              out);
    cr_expect_eq(hx_run(sub, 30000, out, sizeof out), 0, "%s", out);
}
