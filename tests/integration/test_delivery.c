/* test_delivery.c: agents and collector as real processes on loopback:
 * nothing lost, nothing applied twice, through SIGKILLs and restarts. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/period.h"
#include "harness.h"

TestSuite(delivery, .init = hx_setup, .fini = hx_teardown, .timeout = 300);

#define N_IND 3
#define N_MON 60 /* 2021-01 .. 2025-12 */
#define MAX_REG 2

static const char *const inds[N_IND] = {
    "urban_new_jobs", "pension_insured", "dispute_mediation_success_rate"};

typedef struct cellv {
    int present;
    int64_t num;
    int64_t den;
} cellv_t;

typedef struct agent {
    char name[32];
    uint32_t region;            /* the office */
    uint32_t regs[MAX_REG];     /* regions it reports */
    int n_regs;
    char state[300];
    char endpoint[64];
    pid_t pid;
    uint64_t submitted;
    cellv_t model[N_IND][MAX_REG][N_MON];
} agent_t;

static void agent_init(agent_t *a, const char *name, uint32_t region,
                       uint32_t r0, uint32_t r1, int port)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->region = region;
    a->regs[a->n_regs++] = r0;
    if (r1 != 0) {
        a->regs[a->n_regs++] = r1;
    }
    snprintf(a->state, sizeof a->state, "%s/%s", hx_dir, name);
    snprintf(a->endpoint, sizeof a->endpoint, "tcp://127.0.0.1:%d", port);
}

static void agent_start(agent_t *a)
{
    char region[16];
    char log[400];
    snprintf(region, sizeof region, "%u", a->region);
    snprintf(log, sizeof log, "%s/%s.log", hx_dir, a->name);
    const char *argv[] = {"hrss-agent", "--state-dir", a->state,
                          "--collector", a->endpoint, "--region", region,
                          "--name", a->name, "--insecure", "--verbose", "run", NULL};
    a->pid = hx_spawn(log, argv);
}

static int agent_cmd(agent_t *a, const char *cmd, const char *arg1,
                     const char *arg2, char *out, size_t len)
{
    char region[16];
    snprintf(region, sizeof region, "%u", a->region);
    const char *argv[] = {"hrss-agent", "--state-dir", a->state,
                          "--collector", a->endpoint, "--region", region,
                          "--name", a->name, "--insecure", cmd, arg1, arg2,
                          NULL};
    return hx_run(argv, 180000, out, len);
}

/* Round r writes about two thirds of the agent's cells with new values;
 * rounds r0..r1 go into one CSV file, in order, so later rows revise
 * earlier ones. */
static void agent_submit_rounds(agent_t *a, int r0, int r1)
{
    char path[400];
    snprintf(path, sizeof path, "%s/rounds-%s-%d-%d.csv", hx_dir, a->name,
             r0, r1);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fprintf(f, "indicator,period,value,numerator,denominator,region\n");
    uint64_t rows = 0;
    for (int r = r0; r <= r1; r++) {
        for (int i = 0; i < N_IND; i++) {
            for (int g = 0; g < a->n_regs; g++) {
                for (int m = 0; m < N_MON; m++) {
                    int cell = (i * MAX_REG + g) * N_MON + m;
                    if ((cell + r) % 3 == 0) {
                        continue;
                    }
                    int y = 2021 + m / 12;
                    int mo = m % 12 + 1;
                    cellv_t *c = &a->model[i][g][m];
                    c->present = 1;
                    if (i == 2) {
                        c->den = 100 + r;
                        c->num = (cell + r) % c->den;
                        fprintf(f, "%s,%04d-%02d,,%lld,%lld,%u\n", inds[i], y,
                                mo, (long long)c->num, (long long)c->den,
                                a->regs[g]);
                    } else {
                        c->num = 1000 * r + cell;
                        c->den = 0;
                        fprintf(f, "%s,%04d-%02d,%lld,,,%u\n", inds[i], y, mo,
                                (long long)c->num, a->regs[g]);
                    }
                    rows++;
                }
            }
        }
    }
    cr_assert_eq(fclose(f), 0);
    char out[4096];
    int st = agent_cmd(a, "submit", path, NULL, out, sizeof out);
    cr_assert_eq(st, 0, "submit: %s", out);
    a->submitted += rows;
}

static void agent_submit_round(agent_t *a, int r)
{
    agent_submit_rounds(a, r, r);
}

static void check_agent(store_t *s, const agent_t *a)
{
    char err[ERR_LEN];
    uint64_t next = 0;
    cr_assert_eq(store_next_seq(s, a->name, &next, err), ERR_OK);
    cr_expect_eq(next, a->submitted + 1, "%s: next %llu, submitted %llu",
                 a->name, (unsigned long long)next,
                 (unsigned long long)a->submitted);
    int bad = 0;
    for (int i = 0; i < N_IND; i++) {
        for (int g = 0; g < a->n_regs; g++) {
            for (int m = 0; m < N_MON; m++) {
                const cellv_t *c = &a->model[i][g][m];
                value_t v;
                int rc = store_get(s, inds[i], a->regs[g],
                                   month_make(2021 + m / 12, m % 12 + 1), &v,
                                   err);
                if (!c->present) {
                    continue;
                }
                if (rc != ERR_OK || v.num != c->num || v.den != c->den) {
                    bad++;
                }
            }
        }
    }
    cr_expect_eq(bad, 0, "%s: %d cells differ from the last revision",
                 a->name, bad);
}

/* The province total of each indicator for each year, from the models. */
static void check_totals(store_t *s, agent_t *const *ag, int n)
{
    char err[ERR_LEN];
    for (int i = 0; i < N_IND; i++) {
        for (int y = 0; y < 5; y++) {
            int64_t num = 0;
            int64_t den = 0;
            uint32_t rep = 0;
            for (int k = 0; k < n; k++) {
                for (int g = 0; g < ag[k]->n_regs; g++) {
                    int any = 0;
                    for (int m = y * 12; m < y * 12 + 12; m++) {
                        const cellv_t *c = &ag[k]->model[i][g][m];
                        if (!c->present) {
                            continue;
                        }
                        any = 1;
                        if (i == 1) { /* stock: the year's last month */
                            if (m == y * 12 + 11) {
                                num += c->num;
                            }
                        } else {
                            num += c->num;
                            den += c->den;
                        }
                    }
                    rep += (uint32_t)any;
                }
            }
            period_t p = {PERIOD_YEAR, month_make(2021 + y, 1),
                          month_make(2021 + y, 12)};
            store_total_t t;
            cr_assert_eq(store_total(s, inds[i], 330000, &p, &t, err),
                         ERR_OK);
            cr_expect_eq(t.num, num, "%s %d: %lld != %lld", inds[i],
                         2021 + y, (long long)t.num, (long long)num);
            cr_expect_eq(t.den, den, "%s %d: den", inds[i], 2021 + y);
            cr_expect_eq(t.reporting, rep, "%s %d: reporting", inds[i],
                         2021 + y);
        }
    }
}

static void finish_and_check(agent_t *const *ag, int n, pid_t coll,
                             const char *db)
{
    for (int k = 0; k < n; k++) {
        char out[4096];
        int st = agent_cmd(ag[k], "flush", "--timeout", "150", out,
                           sizeof out);
        cr_assert_eq(st, 0, "flush %s: %s", ag[k]->name, out);
    }
    for (int k = 0; k < n; k++) {
        cr_expect_eq(hx_stop(ag[k]->pid, SIGTERM, 10000), 0,
                     "agent %s exit status", ag[k]->name);
    }
    cr_expect_eq(hx_stop(coll, SIGTERM, 20000), 0, "collector exit status");
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 1, &cat, &s);
    for (int k = 0; k < n; k++) {
        check_agent(s, ag[k]);
    }
    check_totals(s, ag, n);
    char err[ERR_LEN];
    cr_expect_eq(store_verify(s, err), ERR_OK, "%s", err);
    store_close(&s);
    catalog_destroy(&cat);
}

Test(delivery, three_agents_survive_collector_sigkills)
{
    int port = hx_free_port();
    int qport = hx_free_port();
    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    pid_t coll = hx_collector(db, port, qport, clog);

    static agent_t a1, a2, a3;
    agent_init(&a1, "county-330102", 330102, 330102, 0, port);
    agent_init(&a2, "city-330100", 330100, 330100, 0, port);
    agent_init(&a3, "city-330200", 330200, 330200, 330203, port);
    agent_t *ag[] = {&a1, &a2, &a3};
    for (int k = 0; k < 3; k++) {
        agent_start(ag[k]);
    }
    int kills = 0;
    for (int r = 1; r <= 12; r++) {
        for (int k = 0; k < 3; k++) {
            agent_submit_round(ag[k], r);
        }
        if (r % 3 == 0) {
            /* Freeze it first, so that batches are in flight when it
             * dies: they must be resent, and resends of what it had
             * applied must change nothing. */
            cr_assert_eq(kill(coll, SIGSTOP), 0);
            hx_sleep_ms(300);
            cr_assert_eq(hx_stop(coll, SIGKILL, 5000), 128 + SIGKILL);
            kills++;
            hx_sleep_ms(200);
            coll = hx_collector(db, port, qport, clog);
        }
    }
    cr_assert_geq(kills, 3);
    cr_assert_geq(a1.submitted, 1000);
    finish_and_check(ag, 3, coll, db);
}

Test(delivery, agent_sigkilled_mid_send_finishes_after_restart)
{
    int port = hx_free_port();
    int qport = hx_free_port();
    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    pid_t coll = hx_collector(db, port, qport, clog);
    static agent_t a;
    agent_init(&a, "city-330300", 330300, 330300, 330302, port);
    agent_submit_rounds(&a, 1, 60); /* 14,400 updates, 29 batches */
    agent_start(&a);
    /* Watch the collector's store; kill the agent as soon as part of its
     * spool is applied, while batches are still in flight. */
    catalog_t *cat = NULL;
    store_t *st = NULL;
    uint64_t next = 1;
    char err[ERR_LEN];
    for (int i = 0; i < 20000 && next == 1; i++) {
        if (st == NULL) {
            char data[400];
            snprintf(data, sizeof data, "%s/data.mdb", db);
            struct stat sb;
            if (stat(data, &sb) == 0) {
                hx_open_store(db, 0, &cat, &st);
            }
        }
        if (st != NULL) {
            cr_assert_eq(store_next_seq(st, a.name, &next, err), ERR_OK);
        }
        if (next == 1) {
            hx_sleep_ms(1);
        }
    }
    cr_assert_eq(hx_stop(a.pid, SIGKILL, 5000), 128 + SIGKILL);
    cr_assert_gt(next, 1, "the collector must have applied a batch");
    cr_assert_lt(next, a.submitted + 1, "the agent must die mid-send");
    store_close(&st);
    catalog_destroy(&cat);
    agent_start(&a);
    agent_t *ag[] = {&a};
    finish_and_check(ag, 1, coll, db);
}

Test(delivery, collector_started_after_agents_submit)
{
    int port = hx_free_port();
    int qport = hx_free_port();
    static agent_t a1, a2;
    agent_init(&a1, "county-330102", 330102, 330102, 0, port);
    agent_init(&a2, "city-330200", 330200, 330200, 330203, port);
    agent_t *ag[] = {&a1, &a2};
    for (int k = 0; k < 2; k++) {
        agent_start(ag[k]);
        agent_submit_round(ag[k], 1);
    }
    /* A flush with nowhere to send fails in time and keeps everything. */
    char out[4096];
    int st = agent_cmd(&a1, "flush", "--timeout", "1", out, sizeof out);
    cr_expect_eq(st, 69, "%s", out);
    cr_expect(strstr(out, "nothing is lost") != NULL, "%s", out);
    hx_sleep_ms(1500);
    for (int k = 0; k < 2; k++) {
        agent_submit_round(ag[k], 2);
    }
    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    pid_t coll = hx_collector(db, port, qport, clog);
    finish_and_check(ag, 2, coll, db);
}
