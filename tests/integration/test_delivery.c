/* test_delivery.c: agents and collector as real processes on loopback:
 * nothing lost, nothing applied twice, through SIGKILLs and restarts. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    int revs;       /* times it was queued: its revisions at the collector */
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
                       uint32_t r0, uint32_t r1, const char *endpoint)
{
    memset(a, 0, sizeof *a);
    snprintf(a->name, sizeof a->name, "%s", name);
    a->region = region;
    a->regs[a->n_regs++] = r0;
    if (r1 != 0) {
        a->regs[a->n_regs++] = r1;
    }
    snprintf(a->state, sizeof a->state, "%s/%s", hx_dir, name);
    snprintf(a->endpoint, sizeof a->endpoint, "%s", endpoint);
}

static void agent_start(agent_t *a)
{
    char region[16];
    char log[400];
    snprintf(region, sizeof region, "%u", a->region);
    /* The name's bound spelled out: gcc -O3 (Release) loses it once
     * this is inlined into a loop over a static array of agents. */
    snprintf(log, sizeof log, "%s/%.*s.log", hx_dir, (int)sizeof a->name,
             a->name);
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
 * rounds r0..r1 go into one CSV file at @p path, in order (callers give
 * one round: a file may give a cell only once). The model takes them as
 * queued. @return rows. */
static uint64_t agent_write_rounds(agent_t *a, int r0, int r1,
                                   const char *path)
{
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
                    c->revs++;
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
    return rows;
}

/* Rounds r0..r1, one file each, submitted in order (a file may give a
 * cell only once, so later rounds revise earlier ones across files). */
static void agent_submit_rounds(agent_t *a, int r0, int r1)
{
    for (int r = r0; r <= r1; r++) {
        char path[400];
        snprintf(path, sizeof path, "%s/rounds-%s-%d.csv", hx_dir, a->name,
                 r);
        uint64_t rows = agent_write_rounds(a, r, r, path);
        char out[4096];
        int st = agent_cmd(a, "submit", path, NULL, out, sizeof out);
        cr_assert_eq(st, 0, "submit: %s", out);
        a->submitted += rows;
    }
}

static void agent_submit_round(agent_t *a, int r)
{
    agent_submit_rounds(a, r, r);
}

static int count_revision(const store_revision_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

/* Each cell holds its last value and exactly one revision per time it
 * was queued: nothing lost, nothing applied twice. */
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
                int revs = 0;
                if (rc != ERR_OK || v.num != c->num || v.den != c->den ||
                    store_history(s, inds[i], a->regs[g],
                                  month_make(2021 + m / 12, m % 12 + 1),
                                  count_revision, &revs, err) != ERR_OK ||
                    revs != c->revs) {
                    bad++;
                }
            }
        }
    }
    cr_expect_eq(bad, 0, "%s: %d cells differ from the last revision or "
                         "have another number of revisions", a->name, bad);
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

static void finish_and_check(agent_t *const *ag, int n, hx_coll_t *coll,
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
    cr_expect_eq(hx_collector_stop(coll, 20000), 0, "collector exit status");
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

/* The collector's next expected number for one agent, read from its
 * store while it runs. */
typedef struct caught_up {
    store_t *st;
    const agent_t *a;
    uint64_t next;
} caught_up_t;

static int agent_caught_up(void *arg)
{
    caught_up_t *c = arg;
    char err[ERR_LEN];
    cr_assert_eq(store_next_seq(c->st, c->a->name, &c->next, err), ERR_OK,
                 "%s", err);
    return c->next == c->a->submitted + 1;
}

/* A batch is bigger than this; a greeting, Hello or Ping is far smaller. */
#define BATCH_BYTES 1024

static int batch_waiting(void *arg)
{
    return hx_tcp_unread(*(const int *)arg) >= BATCH_BYTES;
}

Test(delivery, three_agents_survive_collector_sigkills)
{
    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, clog);
    int port = hx_endpoint_port(coll.ingest);

    static agent_t a1, a2, a3;
    agent_init(&a1, "county-330102", 330102, 330102, 0, coll.ingest);
    agent_init(&a2, "city-330100", 330100, 330100, 0, coll.ingest);
    agent_init(&a3, "city-330200", 330200, 330200, 330203, coll.ingest);
    agent_t *ag[] = {&a1, &a2, &a3};
    for (int k = 0; k < 3; k++) {
        agent_start(ag[k]);
    }
    catalog_t *cat = NULL;
    store_t *st = NULL;
    hx_open_store(db, 0, &cat, &st);
    int kills = 0;
    for (int r = 1; r <= 12; r++) {
        if (r % 3 != 0) {
            for (int k = 0; k < 3; k++) {
                agent_submit_round(ag[k], r);
            }
            continue;
        }
        /* a3 must be connected and idle for its next batch to go out at
         * once: wait until everything it had is applied (after the last
         * kill it resends only once its acks time out). a1 and a2 are
         * left in whatever state the previous kill left them. */
        caught_up_t cu = {st, &a3, 0};
        cr_assert(hx_wait_until(agent_caught_up, &cu, 60000),
                  "%s: next %llu, submitted %llu", a3.name,
                  (unsigned long long)cu.next,
                  (unsigned long long)a3.submitted);
        agent_submit_round(&a1, r);
        agent_submit_round(&a2, r);
        /* Freeze the collector, then give a3 a round: its batch is
         * surely in flight when the collector dies, and a1's and a2's
         * may be too, or applied without their acks sent. Resends must
         * be applied, and resends of what was applied must change
         * nothing. */
        cr_assert_eq(kill(coll.pid, SIGSTOP), 0);
        agent_submit_round(&a3, r);
        cr_assert(hx_wait_until(batch_waiting, &port, 30000),
                  "no batch reached the stopped collector (%ld bytes)",
                  hx_tcp_unread(port));
        hx_collector_kill(&coll);
        kills++;
        hx_collector_restart(&coll);
    }
    store_close(&st);
    catalog_destroy(&cat);
    cr_assert_geq(kills, 3);
    cr_assert_geq(a1.submitted, 1000);
    finish_and_check(ag, 3, &coll, db);
}

static int applied_some(void *arg)
{
    caught_up_t *c = arg;
    char err[ERR_LEN];
    cr_assert_eq(store_next_seq(c->st, c->a->name, &c->next, err), ERR_OK,
                 "%s", err);
    return c->next > 1;
}

Test(delivery, agent_sigkilled_mid_send_finishes_after_restart)
{
    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, clog);
    static agent_t a;
    agent_init(&a, "city-330300", 330300, 330300, 330302, coll.ingest);
    agent_submit_rounds(&a, 1, 60); /* 14,400 updates, 29 batches */
    catalog_t *cat = NULL;
    store_t *st = NULL;
    hx_open_store(db, 0, &cat, &st);
    agent_start(&a);
    /* Watch the collector's store; kill the agent as soon as part of its
     * spool is applied, while batches are still in flight. */
    caught_up_t cu = {st, &a, 1};
    cr_assert(hx_wait_until(applied_some, &cu, 60000),
              "the collector must have applied a batch");
    cr_assert_eq(hx_stop(a.pid, SIGKILL, 5000), 128 + SIGKILL);
    cr_assert_lt(cu.next, a.submitted + 1, "the agent must die mid-send");
    store_close(&st);
    catalog_destroy(&cat);
    agent_start(&a);
    agent_t *ag[] = {&a};
    finish_and_check(ag, 1, &coll, db);
}

static int backed_off(void *arg)
{
    agent_t *const *ag = arg;
    for (int k = 0; k < 2; k++) {
        char log[400];
        snprintf(log, sizeof log, "%s/%s.log", hx_dir, ag[k]->name);
        if (!hx_file_contains(log, "retrying with backoff")) {
            return 0;
        }
    }
    return 1;
}

Test(delivery, collector_started_after_agents_submit)
{
    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    /* The collector's ports are held by the test until it starts:
     * connections are refused, as when nothing listens there. */
    hx_coll_t coll;
    hx_collector_reserve(&coll, db, clog);
    static agent_t a1, a2;
    agent_init(&a1, "county-330102", 330102, 330102, 0, coll.ingest);
    agent_init(&a2, "city-330200", 330200, 330200, 330203, coll.ingest);
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
    /* Both running agents have tried, failed and are backing off when
     * the collector appears: they must find it on a later attempt. */
    cr_assert(hx_wait_until(backed_off, ag, 30000),
              "the agents never gave up on the missing collector");
    for (int k = 0; k < 2; k++) {
        agent_submit_round(ag[k], 2);
    }
    hx_collector_restart(&coll);
    finish_and_check(ag, 2, &coll, db);
}

/* Each agent's log holds at least want[k] lines with "hello to". */
typedef struct hellos {
    agent_t *const *ag;
    int n;
    int want[3];
} hellos_t;

static int hellos_at_least(void *arg)
{
    const hellos_t *h = arg;
    for (int k = 0; k < h->n; k++) {
        char log[400];
        snprintf(log, sizeof log, "%s/%s.log", hx_dir, h->ag[k]->name);
        if (hx_file_count(log, "hello to") < h->want[k]) {
            return 0;
        }
    }
    return 1;
}

/* A frozen collector (SIGSTOP, then SIGCONT): the agents time out, keep
 * trying at their backoff without giving up, and once it thaws
 * everything arrives exactly once. */
Test(delivery, agents_outlast_a_frozen_collector)
{
    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, clog);
    static agent_t a1, a2, a3;
    agent_init(&a1, "county-330102", 330102, 330102, 0, coll.ingest);
    agent_init(&a2, "city-330100", 330100, 330100, 0, coll.ingest);
    agent_init(&a3, "city-330200", 330200, 330200, 330203, coll.ingest);
    agent_t *ag[] = {&a1, &a2, &a3};
    for (int k = 0; k < 3; k++) {
        agent_start(ag[k]);
        agent_submit_round(ag[k], 1);
    }
    catalog_t *cat = NULL;
    store_t *st = NULL;
    hx_open_store(db, 0, &cat, &st);
    for (int k = 0; k < 3; k++) {
        caught_up_t cu = {st, ag[k], 0};
        cr_assert(hx_wait_until(agent_caught_up, &cu, 60000), "%s",
                  ag[k]->name);
    }
    store_close(&st);
    catalog_destroy(&cat);

    cr_assert_eq(kill(coll.pid, SIGSTOP), 0);
    hellos_t h = {ag, 3, {0}};
    for (int k = 0; k < 3; k++) {
        agent_submit_rounds(ag[k], 2, 3);
        char log[400];
        snprintf(log, sizeof log, "%s/%s.log", hx_dir, ag[k]->name);
        h.want[k] = hx_file_count(log, "hello to") + 4;
    }
    /* Four more hellos each: ack timeout, then hello timeouts at a
     * growing backoff; none of them gives up. */
    cr_assert(hx_wait_until(hellos_at_least, &h, 120000),
              "the agents stopped trying");
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(kill(ag[k]->pid, 0), 0, "%s exited", ag[k]->name);
    }
    cr_assert_eq(kill(coll.pid, SIGCONT), 0);
    finish_and_check(ag, 3, &coll, db);
}

/* ------------------------------------------------------------- chaos */

#define CHAOS_AGENTS 20
#define CHAOS_KILLS 10

/* Offices whose region exists in every month the rounds write
 * (2021-01..2025-12): not 临平区 and 钱塘区, created in 2021-04, whose
 * earlier figures are refused as region_not_valid. */
static const uint32_t chaos_regions[CHAOS_AGENTS] = {
    330102, 330105, 330106, 330108, 330109, 330110, 330111,
    330112, 330226, 330281, 330122, 330127, 330182, 330203,
    330205, 330206, 330211, 330212, 330213, 330225};

/* Everything the collector has applied, over every agent: the sum of
 * next_seq - 1, read from its store while it runs. */
typedef struct applied {
    store_t *st;
    agent_t *const *ag;
    uint64_t sum;
    uint64_t want;
} applied_t;

static int applied_at_least(void *arg)
{
    applied_t *ap = arg;
    char err[ERR_LEN];
    ap->sum = 0;
    for (int k = 0; k < CHAOS_AGENTS; k++) {
        uint64_t next = 0;
        if (store_next_seq(ap->st, ap->ag[k]->name, &next, err) != ERR_OK) {
            return 0;
        }
        ap->sum += next > 0 ? next - 1 : 0;
    }
    return ap->sum >= ap->want;
}

/* The spool's last assigned seq, from `status --json`. */
static uint64_t last_assigned(agent_t *a)
{
    static char out[65536];
    cr_assert_eq(agent_cmd(a, "status", "--json", NULL, out, sizeof out), 0,
                 "%s", out);
    const char *p = strstr(out, "\"last_assigned_seq\": ");
    cr_assert_not_null(p, "%s", out);
    return strtoull(p + 21, NULL, 10);
}

/* A submit SIGKILLed at once queues its whole file or nothing; the model
 * follows what the spool says, and a file not queued is submitted again. */
static void submit_killed(agent_t *a, int r)
{
    char path[400];
    char log[400];
    snprintf(path, sizeof path, "%s/killed-%s-%d.csv", hx_dir, a->name, r);
    snprintf(log, sizeof log, "%s/killed-%s-%d.log", hx_dir, a->name, r);
    uint64_t before = last_assigned(a);
    uint64_t rows = agent_write_rounds(a, r, r, path);
    char region[16];
    snprintf(region, sizeof region, "%u", a->region);
    const char *argv[] = {"hrss-agent", "--state-dir", a->state, "--region",
                          region, "--name", a->name, "submit", path, NULL};
    pid_t pid = hx_spawn(log, argv);
    hx_stop(pid, SIGKILL, 10000);
    uint64_t after = last_assigned(a);
    cr_assert(after == before || after == before + rows,
              "%s: a killed submit queued %llu of %llu rows", a->name,
              (unsigned long long)(after - before),
              (unsigned long long)rows);
    if (after == before) {
        char out[4096];
        cr_assert_eq(agent_cmd(a, "submit", path, NULL, out, sizeof out), 0,
                     "%s", out);
    }
    a->submitted += rows;
}

/* Twenty offices deliver while the collector is SIGKILLed ten times at
 * moments picked at random (after a random share of what is in flight
 * has been applied), agents' senders are SIGKILLed mid-send and submits
 * mid-submit: every acknowledged update is stored once, every submit that
 * returned 0 arrives, and every total and every cell's revision count is
 * as expected. */
Test(delivery, twenty_agents_survive_ten_collector_sigkills, .timeout = 600)
{
    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    hx_coll_t coll;
    hx_collector_start(&coll, db, clog);
    static agent_t agents[CHAOS_AGENTS];
    agent_t *ag[CHAOS_AGENTS];
    for (int k = 0; k < CHAOS_AGENTS; k++) {
        char name[32];
        snprintf(name, sizeof name, "office-%u", chaos_regions[k]);
        agent_init(&agents[k], name, chaos_regions[k], chaos_regions[k], 0,
                   coll.ingest);
        ag[k] = &agents[k];
        agent_start(ag[k]);
    }
    catalog_t *cat = NULL;
    store_t *st = NULL;
    hx_open_store(db, 0, &cat, &st);
    unsigned seed = (unsigned)hx_now_ms();
    cr_log_info("chaos seed %u", seed);
    applied_t ap = {st, ag, 0, 0};
    for (int kill_no = 0; kill_no < CHAOS_KILLS; kill_no++) {
        int r = kill_no + 1;
        uint64_t queued = 0;
        /* Frozen while the offices submit, so that a backlog is in flight
         * when it dies. */
        cr_assert_eq(kill(coll.pid, SIGSTOP), 0);
        for (int k = 0; k < CHAOS_AGENTS; k++) {
            if ((k + kill_no) % 7 == 0) {
                submit_killed(ag[k], r);
            } else {
                agent_submit_round(ag[k], r);
            }
            queued += ag[k]->submitted;
        }
        /* One sender dies mid-send and comes back. */
        agent_t *victim = ag[rand_r(&seed) % CHAOS_AGENTS];
        hx_stop(victim->pid, SIGKILL, 10000);
        agent_start(victim);
        cr_assert_eq(kill(coll.pid, SIGCONT), 0);
        /* Kill the collector once a random share of what is queued now
         * has been applied since the last kill. */
        applied_at_least(&ap);
        uint64_t owed = queued - ap.sum;
        ap.want = ap.sum + (owed > 0 ? 1 + (uint64_t)rand_r(&seed) % owed
                                     : 0);
        cr_log_info("kill %d: %llu of %llu applied; killing at %llu",
                    kill_no, (unsigned long long)ap.sum,
                    (unsigned long long)queued,
                    (unsigned long long)ap.want);
        cr_assert(hx_wait_until(applied_at_least, &ap, 120000),
                  "kill %d: applied %llu, waiting for %llu", kill_no,
                  (unsigned long long)ap.sum, (unsigned long long)ap.want);
        hx_collector_kill(&coll);
        hx_collector_restart(&coll);
    }
    store_close(&st);
    catalog_destroy(&cat);
    finish_and_check(ag, CHAOS_AGENTS, &coll, db);
}
