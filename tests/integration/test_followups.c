/* test_followups.c: comments and follow-ups with the real collector and
 * hrssctl: a plain collector takes a name (--as), CURVE takes the admin
 * key's own (and its regions), --data-dir lists but does not write; the
 * comments among the revisions of a cell's history; bad input refused
 * with its reason. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/keys.h"
#include "harness.h"

TestSuite(followups, .init = hx_setup, .fini = hx_teardown,
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

/* hrssctl against a plain collector: @p args after --connect Q
 * --insecure. */
static int plain(const hx_coll_t *c, const char *const *args, char *out,
                 size_t len)
{
    const char *argv[32] = {"hrssctl", "--connect", c->query, "--insecure"};
    size_t n = 4;
    for (size_t i = 0; args[i] != NULL && n < 31; i++) {
        argv[n++] = args[i];
    }
    argv[n] = NULL;
    return hx_run(argv, 30000, out, len);
}

Test(followups, a_plain_collector_takes_a_name_and_history_shows_comments)
{
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    hx_coll_t c;
    hx_collector_start(&c, db, path("collector.log"));
    static char out[16384];
    /* A figure from an office, then a comment on it. */
    const char *sub[] = {"hrss-agent", "--state-dir", path("office"),
                         "--region", "330102", "submit", "--indicator",
                         "urban_new_jobs", "--period", "2025-10", "--value",
                         "100", NULL};
    cr_assert_eq(hx_run(sub, 30000, out, sizeof out), 0, "%s", out);
    const char *fl[] = {"hrss-agent", "--state-dir", path("office"),
                        "--region", "330102", "--collector", c.ingest,
                        "--insecure", "flush", "--timeout", "10", NULL};
    cr_assert_eq(hx_run(fl, 30000, out, sizeof out), 0, "%s", out);
    const char *bare[] = {"comment", "urban_new_jobs", "--region", "330102",
                          "--period", "2025-10", "--text", "x", NULL};
    cr_expect_eq(plain(&c, bare, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "hrssctl: a plain collector takes comments under "
                          "a name: give --as NAME") != NULL, "%s", out);
    const char *mark[] = {"comment", "urban_new_jobs", "--region", "330102",
                          "--period", "2025-10", "--text", "三倍于上月？",
                          "--follow-up", "--as", "li", NULL};
    cr_expect_eq(plain(&c, mark, out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(out, "comment 1 on urban_new_jobs 330102 (上城区) "
                          "2025-10 by li: marked for follow-up\n");
    const char *list[] = {"followups", "--period", "2025-10", "--csv", NULL};
    cr_expect_eq(plain(&c, list, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "urban_new_jobs,城镇新增就业人数,330102,上城区,"
                          "2025-10,") == strstr(out, "\n") + 1,
              "%s", out);
    cr_expect(strstr(out, ",li,三倍于上月？\n") != NULL, "%s", out);
    /* The history: the revision, then the comment, in time order. */
    const char *hj[] = {"history", "urban_new_jobs", "--region", "330102",
                        "--period", "2025-10", "--json", NULL};
    cr_expect_eq(plain(&c, hj, out, sizeof out), 0, "%s", out);
    const char *rev = strstr(out, "\"agent\": ");
    const char *com = strstr(out, "\"kind\": \"comment\", \"comment_id\": 1, "
                                  "\"at\": ");
    cr_expect(rev != NULL && com != NULL && rev < com, "%s", out);
    cr_expect(strstr(out, "\"by\": \"li\", \"comment\": \"三倍于上月？\", "
                          "\"mark\": \"follow-up\"}") != NULL, "%s", out);
    cr_expect(strstr(out, "\"old\": null, \"new\": 100}") != NULL, "%s",
              out);
    /* --data-dir reads; the collector writes. */
    const char *local[] = {"hrssctl", "--data-dir", db, "comment",
                           "urban_new_jobs", "--region", "330102",
                           "--period", "2025-10", "--text", "done",
                           "--resolve", "--as", "li", NULL};
    cr_expect_eq(hx_run(local, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "is open read-only here: comments are written by "
                          "the collector") != NULL, "%s", out);
    const char *lf[] = {"hrssctl", "--data-dir", db, "followups", NULL};
    cr_expect_eq(hx_run(lf, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "三倍于上月？") != NULL, "%s", out);
    /* Resolved through the collector: no longer listed. */
    const char *res[] = {"comment", "urban_new_jobs", "--region", "330102",
                         "--period", "2025-10", "--text", "typo, fixed",
                         "--resolve", "--as", "wang", NULL};
    cr_expect_eq(plain(&c, res, out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(out, "comment 2 on urban_new_jobs 330102 (上城区) "
                          "2025-10 by wang: resolved\n");
    const char *none[] = {"followups", NULL};
    cr_expect_eq(plain(&c, none, out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(out, "no cell is marked for follow-up\n");
    const char *ht[] = {"history", "urban_new_jobs", "--region", "330102",
                        "--period", "2025-10", "--csv", NULL};
    cr_expect_eq(plain(&c, ht, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "received (UTC+8),agent,seq,old,new,"
                          "old_numerator,old_denominator,new_numerator,"
                          "new_denominator,comment,mark\n") == out,
              "%s", out);
    cr_expect(strstr(out, ",wang,,,,,,,,\"typo, fixed\",resolve\n") != NULL,
              "%s", out);
}

Test(followups, bad_input_is_refused_with_its_reason)
{
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    hx_coll_t c;
    hx_collector_start(&c, db, path("collector.log"));
    static char out[16384];
    char long_text[502];
    memset(long_text, 'x', 501);
    long_text[501] = '\0';
    static const struct {
        const char *ind, *region, *period, *text;
        int status;
        const char *says;
    } cases[] = {
        {"urban_new_jobs", "330102", "2025-10", "", 1,
         "a comment needs text (--text)"},
        {"urban_new_jobs", "330102", "2025-10", NULL, 1,
         "the text is 501 bytes, more than the 500 a comment may have"},
        {"urban_new_jobs", "330102", "2025-10", "a\tb", 1,
         "the text has a control character at byte 1"},
        {"urban_new_jobz", "330102", "2025-10", "x", 1,
         "unknown indicator 'urban_new_jobz'; did you mean: urban_new_jobs"},
        {"urban_new_jobs", "330199", "2025-10", "x", 1,
         "330199"},
        {"urban_new_jobs", "330102", "2025-Q4", "x", 1, "2025-Q4"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *args[] = {"comment", cases[i].ind, "--region",
                              cases[i].region, "--period", cases[i].period,
                              "--text",
                              cases[i].text != NULL ? cases[i].text
                                                    : long_text,
                              "--follow-up", "--as", "li", NULL};
        cr_expect_eq(plain(&c, args, out, sizeof out), cases[i].status,
                     "case %zu: %s", i, out);
        cr_expect(strstr(out, cases[i].says) != NULL, "case %zu: %s", i,
                  out);
    }
    const char *none[] = {"followups", "--json", NULL};
    cr_expect_eq(plain(&c, none, out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(out, "[\n]\n");
}

/* CURVE: the admin key's own name, within its regions; --as refused; a
 * reader may list but not comment. */
Test(followups, admin_keys_comment_within_their_regions)
{
    const char *names[] = {"collector", "hz", "reader"};
    for (size_t i = 0; i < 3; i++) {
        key(names[i]);
    }
    hx_write(path("agents"), "", 0);
    char text[1024];
    int n = snprintf(text, sizeof text, "%s hz admin 330100/*\n%s reader "
                                        "read\n",
                     pub("hz"), pub("reader"));
    hx_write(path("admins"), text, (size_t)n);
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
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
    hx_coll_t c;
    hx_collector_exec(&c, db, path("collector.log"), argv);
    static char out[16384];
    char ckey[300];
    snprintf(ckey, sizeof ckey, "%s/collector.pub", hx_dir);
    char hzkey[300];
    char rdkey[300];
    snprintf(hzkey, sizeof hzkey, "%s/hz.key", hx_dir);
    snprintf(rdkey, sizeof rdkey, "%s/reader.key", hx_dir);
    const char *outside[] = {"hrssctl", "--connect", c.query, "--key", hzkey,
                             "--collector-key", ckey, "comment",
                             "urban_new_jobs", "--region", "330203",
                             "--period", "2025-10", "--text", "x",
                             "--follow-up", NULL};
    cr_expect_eq(hx_run(outside, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "hrssctl: follow-up urban_new_jobs 330203 2025-10: "
                          "hz may not: its scope does not cover 330203") !=
                  NULL, "%s", out);
    const char *as[] = {"hrssctl", "--connect", c.query, "--key", hzkey,
                        "--collector-key", ckey, "comment", "urban_new_jobs",
                        "--region", "330102", "--period", "2025-10",
                        "--text", "x", "--as", "li", NULL};
    cr_expect_eq(hx_run(as, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "--as NAME is for a plain collector") != NULL,
              "%s", out);
    const char *rd[] = {"hrssctl", "--connect", c.query, "--key", rdkey,
                        "--collector-key", ckey, "comment", "urban_new_jobs",
                        "--region", "330102", "--period", "2025-10",
                        "--text", "x", NULL};
    cr_expect_eq(hx_run(rd, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "comments need an admin key") != NULL, "%s", out);
    const char *inside[] = {"hrssctl", "--connect", c.query, "--key", hzkey,
                            "--collector-key", ckey, "comment",
                            "urban_new_jobs", "--region", "330102",
                            "--period", "2025-10", "--text", "请核实",
                            "--follow-up", NULL};
    cr_expect_eq(hx_run(inside, 30000, out, sizeof out), 0, "%s", out);
    cr_expect_str_eq(out, "comment 1 on urban_new_jobs 330102 (上城区) "
                          "2025-10 by hz: marked for follow-up\n");
    const char *list[] = {"hrssctl", "--connect", c.query, "--key", rdkey,
                          "--collector-key", ckey, "followups", "--region",
                          "330100", "--json", NULL};
    cr_expect_eq(hx_run(list, 30000, out, sizeof out), 0, "%s", out);
    cr_expect(strstr(out, "\"marked_by\": \"hz\", \"marked_comment\": "
                          "\"请核实\"") != NULL, "%s", out);
}
