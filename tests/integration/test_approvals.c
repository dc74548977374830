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
