/* test_frozen.c: a collector frozen for minutes (issue 9): SIGSTOP for
 * two minutes while three offices keep submitting, then SIGCONT. The
 * agents neither give up nor duplicate.
 *
 * During the freeze every connection attempt is accepted by the kernel
 * and then never answered: each agent's hello times out (2 s), it goes
 * DOWN and tries again at its backoff (0.1 s doubling to 15 s), over and
 * over, with new figures queued meanwhile (the agent's own ZeroMQ
 * heartbeat, 10 s, never comes into it: no socket lives that long). The
 * collector runs with --heartbeat-s 2; once thawed, of the dozens of
 * connections the agents opened and gave up on, none is left open: one
 * per agent. Every update is stored exactly once: each cell holds its
 * last value and one revision per submission, each agent's next seq is
 * what it queued plus one.
 * test_delivery's agents_outlast_a_frozen_collector is the same fault
 * for seconds (and runs under TSan); this one outlasts the backoff's
 * cap many times over. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "common/period.h"
#include "harness.h"

TestSuite(frozen, .init = hx_setup, .fini = hx_teardown, .timeout = 400);

#define N_AGENTS 3
#define N_MON 60 /* 2021-01 .. 2025-12 */
/* How long the collector stays stopped (ms). */
#define FREEZE_MS 120000
/* In the freeze's last LATE_MS every agent must try at least twice: at
 * its cap an attempt comes at most 15 s of backoff + a 2 s hello timeout
 * after the one before. */
#define LATE_MS 40000
/* Bound on storing everything queued during the freeze, after SIGCONT
 * (ms): the next attempt of an agent at its backoff's cap begins within
 * 17 s (15 s + an attempt under way timing out), and storing a few
 * thousand updates takes a second or two under ASan. */
#define THAW_MS 30000
/* Bound on the collector's connections being one per agent again. */
#define CONNS_MS 30000

static const char *const inds[2] = {"urban_new_jobs", "pension_insured"};

typedef struct agent {
    char name[32];
    uint32_t region;
    char state[300];
    char log[300];
    pid_t pid;
    int rounds;         /* files submitted: each cell's revisions */
    uint64_t submitted; /* updates queued */
} agent_t;

static const char *ingest; /* the collector's */

static void agent_start(agent_t *a)
{
    char region[16];
    snprintf(region, sizeof region, "%u", a->region);
    const char *argv[] = {"hrss-agent", "--state-dir", a->state,
                          "--collector", ingest, "--region", region,
                          "--name", a->name, "--insecure", "--verbose",
                          "run", NULL};
    a->pid = hx_spawn(a->log, argv);
}

/* Round r: every cell of the agent (both indicators, N_MON months) with
 * value 1000 * r + month. */
static long long value(int r, int m)
{
    return 1000LL * r + m;
}

static void agent_submit_round(agent_t *a)
{
    int r = ++a->rounds;
    char path[400];
    snprintf(path, sizeof path, "%s/%s-%d.csv", hx_dir, a->name, r);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("indicator,period,value,region\n", f);
    for (int i = 0; i < 2; i++) {
        for (int m = 0; m < N_MON; m++) {
            fprintf(f, "%s,%d-%02d,%lld,%u\n", inds[i], 2021 + m / 12,
                    m % 12 + 1, value(r, m), a->region);
        }
    }
    cr_assert_eq(fclose(f), 0);
    char region[16];
    char out[4096];
    snprintf(region, sizeof region, "%u", a->region);
    const char *argv[] = {"hrss-agent", "--state-dir", a->state, "--region",
                          region, "--name", a->name, "submit", path, NULL};
    cr_assert_eq(hx_run(argv, 60000, out, sizeof out), 0, "%s", out);
    a->submitted += 2 * N_MON;
}

/* Everything every agent queued is applied, read from the collector's
 * store while it runs. */
typedef struct applied {
    store_t *st;
    agent_t *ag;
} applied_t;

static int all_applied(void *arg)
{
    applied_t *ap = arg;
    char err[ERR_LEN];
    for (int k = 0; k < N_AGENTS; k++) {
        uint64_t next = 0;
        cr_assert_eq(store_next_seq(ap->st, ap->ag[k].name, &next, err),
                     ERR_OK, "%s", err);
        if (next != ap->ag[k].submitted + 1) {
            return 0;
        }
    }
    return 1;
}

static int hellos(const agent_t *a)
{
    return hx_file_count(a->log, "hello to");
}

/* Every agent has tried again since @p since[k] hellos, or the freeze
 * has lasted until @p until. */
typedef struct tried {
    agent_t *ag;
    int since[N_AGENTS];
    int64_t until;
} tried_t;

static int tried_again(void *arg)
{
    tried_t *t = arg;
    if (hx_now_ms() >= t->until) {
        return 1;
    }
    for (int k = 0; k < N_AGENTS; k++) {
        if (hellos(&t->ag[k]) <= t->since[k]) {
            return 0;
        }
    }
    return 1;
}

typedef struct conns {
    int port;
    int want;
} conns_t;

static int conns_are(void *arg)
{
    const conns_t *c = arg;
    return hx_tcp_established(c->port) == c->want;
}

static int count_revision(const store_revision_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

/* Each cell: the last round's value, one revision per round; next seq
 * one past what was queued; the agent's total. */
static void check_agent(store_t *s, const agent_t *a)
{
    char err[ERR_LEN];
    uint64_t next = 0;
    cr_assert_eq(store_next_seq(s, a->name, &next, err), ERR_OK);
    cr_expect_eq(next, a->submitted + 1, "%s: next %llu, queued %llu",
                 a->name, (unsigned long long)next,
                 (unsigned long long)a->submitted);
    int bad = 0;
    for (int i = 0; i < 2; i++) {
        for (int m = 0; m < N_MON; m++) {
            int32_t month = month_make(2021 + m / 12, m % 12 + 1);
            value_t v;
            int revs = 0;
            if (store_get(s, inds[i], a->region, month, &v, err) != ERR_OK ||
                v.num != value(a->rounds, m) ||
                store_history(s, inds[i], a->region, month, count_revision,
                              &revs, err) != ERR_OK ||
                revs != a->rounds) {
                bad++;
            }
        }
    }
    cr_expect_eq(bad, 0, "%s: %d cells differ from the last round or have "
                         "another number of revisions than %d",
                 a->name, bad, a->rounds);
    long long want = 0;
    for (int m = 0; m < N_MON; m++) {
        want += value(a->rounds, m);
    }
    period_t p = {PERIOD_YEAR, month_make(2021, 1), month_make(2025, 12)};
    store_total_t t;
    cr_assert_eq(store_total(s, inds[0], a->region, &p, &t, err), ERR_OK);
    cr_expect_eq(t.num, want, "%s: total %lld", a->name, (long long)t.num);
}

Test(frozen, agents_neither_give_up_nor_duplicate_through_a_two_minute_freeze)
{
    char db[300];
    char clog[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    const char *cargv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                           "tcp://127.0.0.1:*", "--query",
                           "tcp://127.0.0.1:*", "--insecure",
                           "--heartbeat-s", "2", NULL};
    hx_coll_t c;
    hx_collector_exec(&c, db, clog, cargv);
    ingest = c.ingest;
    int port = hx_endpoint_port(c.ingest);
    static agent_t ag[N_AGENTS];
    static const uint32_t regions[N_AGENTS] = {330102, 330205, 330302};
    for (int k = 0; k < N_AGENTS; k++) {
        agent_t *a = &ag[k];
        snprintf(a->name, sizeof a->name, "office-%u", regions[k]);
        a->region = regions[k];
        snprintf(a->state, sizeof a->state, "%s/office-%u", hx_dir,
                 regions[k]);
        snprintf(a->log, sizeof a->log, "%s/office-%u.log", hx_dir,
                 regions[k]);
        agent_start(&ag[k]);
        agent_submit_round(&ag[k]);
    }
    catalog_t *cat = NULL;
    store_t *st = NULL;
    hx_open_store(db, 0, &cat, &st);
    applied_t ap = {st, ag};
    cr_assert(hx_wait_until(all_applied, &ap, 60000), "first round");
    /* Nothing reads the store while the collector is stopped (it could
     * be stopped holding LMDB's reader table lock). */

    cr_assert_eq(kill(c.pid, SIGSTOP), 0);
    int64_t t_stop = hx_now_ms();
    int late[N_AGENTS] = {0};
    int late_marked = 0;
    int rounds_frozen = 0;
    /* A round to each office, then wait until each has tried again;
     * until the freeze has lasted FREEZE_MS. */
    while (hx_now_ms() - t_stop < FREEZE_MS) {
        tried_t t = {ag, {0}, t_stop + FREEZE_MS};
        for (int k = 0; k < N_AGENTS; k++) {
            agent_submit_round(&ag[k]);
            t.since[k] = hellos(&ag[k]);
        }
        rounds_frozen++;
        if (!late_marked) {
            /* Stop at the late mark too, to count from there. */
            t.until = t_stop + FREEZE_MS - LATE_MS;
        }
        cr_assert(hx_wait_until(tried_again, &t, FREEZE_MS),
                  "no attempt within %d s", FREEZE_MS / 1000);
        if (!late_marked && hx_now_ms() - t_stop >= FREEZE_MS - LATE_MS) {
            for (int k = 0; k < N_AGENTS; k++) {
                late[k] = hellos(&ag[k]);
            }
            late_marked = 1;
        }
    }
    int64_t frozen = hx_now_ms() - t_stop;
    cr_assert(late_marked);
    for (int k = 0; k < N_AGENTS; k++) {
        int status = 0;
        cr_assert_eq(waitpid(ag[k].pid, &status, WNOHANG), 0,
                     "%s exited during the freeze", ag[k].name);
        cr_expect_geq(hellos(&ag[k]) - late[k], 2,
                      "%s: %d attempts in the freeze's last %d s",
                      ag[k].name, hellos(&ag[k]) - late[k], LATE_MS / 1000);
        cr_expect(hx_file_contains(ag[k].log, "retrying with backoff"),
                  "%s never timed out", ag[k].name);
    }
    cr_assert_eq(kill(c.pid, SIGCONT), 0);
    int64_t t_cont = hx_now_ms();

    cr_assert(hx_wait_until(all_applied, &ap, THAW_MS),
              "not stored within %d s of SIGCONT", THAW_MS / 1000);
    int64_t stored = hx_now_ms() - t_cont;
    conns_t one_each = {port, N_AGENTS};
    int settled = hx_wait_until(conns_are, &one_each, CONNS_MS);
    int64_t conns = hx_now_ms() - t_cont;
    store_close(&st);
    catalog_destroy(&cat);
    cr_expect(settled, "%d connections at the collector %d s after SIGCONT "
                       "(one per agent expected)",
              hx_tcp_established(port), CONNS_MS / 1000);
    int attempts = 0;
    for (int k = 0; k < N_AGENTS; k++) {
        attempts += hellos(&ag[k]);
        int status = 0;
        cr_assert_eq(waitpid(ag[k].pid, &status, WNOHANG), 0, "%s exited",
                     ag[k].name);
    }
    cr_log_info("frozen %lld ms, %d rounds submitted meanwhile, %d "
                "connection attempts in all; everything stored %lld ms "
                "after SIGCONT, one connection per agent after %lld ms",
                (long long)frozen, rounds_frozen, attempts, (long long)stored,
                (long long)conns);

    /* The agents' side agrees: nothing left to send. */
    for (int k = 0; k < N_AGENTS; k++) {
        char region[16];
        char out[4096];
        snprintf(region, sizeof region, "%u", ag[k].region);
        const char *argv[] = {"hrss-agent", "--state-dir", ag[k].state,
                              "--collector", ingest, "--region", region,
                              "--name", ag[k].name, "--insecure", "flush",
                              "--timeout", "60", NULL};
        cr_expect_eq(hx_run(argv, 90000, out, sizeof out), 0, "%s: %s",
                     ag[k].name, out);
        cr_expect_eq(hx_stop(ag[k].pid, SIGTERM, 10000), 0, "%s",
                     ag[k].name);
    }
    cr_expect_eq(hx_collector_stop(&c, 20000), 0);
    hx_open_store(db, 1, &cat, &st);
    for (int k = 0; k < N_AGENTS; k++) {
        check_agent(st, &ag[k]);
    }
    char err[ERR_LEN];
    cr_expect_eq(store_verify(st, err), ERR_OK, "%s", err);
    store_close(&st);
    catalog_destroy(&cat);
}
