/* test_partition.c: a network partition between an office and the
 * province (issue 9). The collector and one agent run on separate
 * "hosts": two network namespaces this test makes, joined by a veth pair
 * (10.201.X.1 the collector, 10.201.X.2 the office), so the link between
 * them can fail while both daemons keep running:
 *
 *   - the link goes down (no carrier: every packet is lost silently, as
 *     when a cable or a router between them fails) while the office goes
 *     on submitting, for about 40 s, until the agent's backoff is at its
 *     cap, then comes back;
 *   - 30% of packets are lost each way (tc netem where the kernel has it,
 *     else iptables' statistic match on INPUT in both namespaces);
 *   - the link is slow (tc tbf, 256 kbit/s each way) while thousands of
 *     updates cross it.
 *
 * After each, everything submitted is in the store exactly once: each
 * cell holds its last value and one revision per time it was queued, and
 * the collector expects the number after the last one submitted.
 *
 * The bound. Once the link is back, everything the office queued is
 * stored within RESUME_BOUND_MS (45 s). Why that is enough: while the
 * collector cannot be reached, the agent waits a backoff that doubles
 * up to 15 s (less a random part of up to half), then tries with a new
 * connection and gives up on it 2 s after its Hello went unanswered. An
 * attempt that began while the link was down may fail just after the
 * link returns (its SYN or Hello lost), so the first attempt on a working
 * link starts at most 2 s + 15 s = 17 s after it returns. (A connection
 * that was working when the link went down is given up 3 s after its
 * oldest unacknowledged batch, then retried after 0.1 s; ZeroMQ's
 * heartbeats, 10 s and 30 s, close silent connections later than that
 * and play no part.) Connecting, the CurveZMQ handshake and Hello take
 * a few round trips, and the backlogs here (under 10,000 updates) are
 * stored in under 10 s under ASan even over the slow link. 45 s leaves
 * what that adds up to, 27 s, a margin of two thirds for a loaded CI
 * machine; a run that takes longer is a fault (a retry that never
 * happens, a connection never replaced), not slowness. The link-down
 * test returns the link at the worst moment (just after an attempt was
 * given up with the backoff at its cap); the others after shorter
 * outages. Each test logs its times.
 *
 * Needs root (network namespaces) and ip, tc and iptables (Debian's
 * iproute2 and iptables; deploy/install-deps.sh --test installs them):
 * without them the tests are skipped, saying why. Namespaces are named
 * hrss-PID-coll and hrss-PID-office after the test's process, and are
 * deleted after each test, failed or not. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/keys.h"
#include "common/period.h"
#include "harness.h"

static void net_teardown(void);

TestSuite(partition, .init = hx_setup, .fini = net_teardown,
          .timeout = 150);

/* From the link's return until everything queued is stored (see
 * above). */
#define RESUME_BOUND_MS 45000
/* Waits for things that take a few seconds; a deadline, not a pace. */
#define WAIT_MS 60000

/* ------------------------------------------------------------ network */

typedef struct net {
    char coll_ns[32];   /* the collector's host */
    char office_ns[32]; /* the office's host */
    char coll_ip[16];
    int made;           /* namespaces to delete: bit 0 coll, bit 1 office */
    int netem;          /* loss is made with netem (else iptables) */
    const char *ipt;    /* the iptables that worked */
} net_t;

/* One per test process (Criterion forks one per test); .fini reads it. */
static net_t net;

#define COLL_DEV "hc0"
#define OFFICE_DEV "ho0"

/* Run a shell command line, its output appended to hx_dir/net.log.
 * @return its exit status (-1 when it could not run). */
static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
    char cmd[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    cr_assert(n > 0 && (size_t)n < sizeof cmd);
    char log[sizeof hx_dir + 16];
    snprintf(log, sizeof log, "%s/net.log", hx_dir);
    FILE *f = fopen(log, "a");
    if (f != NULL) {
        fprintf(f, "+ %s\n", cmd);
        fclose(f);
    }
    char line[sizeof cmd + sizeof log + 32];
    snprintf(line, sizeof line, "{ %s; } >>%s 2>&1", cmd, log);
    int st = system(line);
    if (st == -1 || !WIFEXITED(st)) {
        return -1;
    }
    return WEXITSTATUS(st);
}

/* The same, failing the test unless the command succeeds. */
#define MUST(...)                                                          \
    cr_assert_eq(sh(__VA_ARGS__), 0, "network setup failed; see %s/net.log", \
                 hx_dir)

static void net_teardown(void)
{
    /* A namespace outlives its name while the daemons run in it; they
     * go in hx_teardown. Deleting it takes the veth pair along. */
    if (net.made & 1) {
        sh("ip netns delete %s", net.coll_ns);
    }
    if (net.made & 2) {
        sh("ip netns delete %s", net.office_ns);
    }
    net.made = 0;
    hx_teardown();
}

/* Two hosts joined by a veth pair, each with its loopback up. Skips the
 * test where this machine cannot make them. */
static void net_up(void)
{
    memset(&net, 0, sizeof net);
    if (geteuid() != 0) {
        cr_skip_test("needs root to make network namespaces");
    }
    /* ip, tc and iptables live in /usr/sbin, which a user's PATH may
     * lack even under sudo. */
    const char *path = getenv("PATH");
    char p[4096];
    snprintf(p, sizeof p, "/usr/sbin:/sbin:%s",
             path != NULL ? path : "/usr/bin:/bin");
    setenv("PATH", p, 1);
    if (sh("command -v ip && command -v tc") != 0) {
        cr_skip_test("needs ip and tc (Debian's iproute2)");
    }
    int pid = (int)getpid();
    snprintf(net.coll_ns, sizeof net.coll_ns, "hrss-%d-coll", pid);
    snprintf(net.office_ns, sizeof net.office_ns, "hrss-%d-office", pid);
    if (sh("ip netns add %s", net.coll_ns) != 0) {
        cr_skip_test("ip netns add failed (no CAP_SYS_ADMIN here?); see "
                     "%s/net.log", hx_dir);
    }
    net.made |= 1;
    MUST("ip netns add %s", net.office_ns);
    net.made |= 2;
    /* Addresses are per namespace, so any X would do; one from the pid
     * keeps two runs' logs apart. */
    int x = pid % 250 + 1;
    snprintf(net.coll_ip, sizeof net.coll_ip, "10.201.%d.1", x);
    MUST("ip -n %s link add %s type veth peer name %s netns %s", net.coll_ns,
         COLL_DEV, OFFICE_DEV, net.office_ns);
    MUST("ip -n %s addr add %s/24 dev %s", net.coll_ns, net.coll_ip,
         COLL_DEV);
    MUST("ip -n %s addr add 10.201.%d.2/24 dev %s", net.office_ns, x,
         OFFICE_DEV);
    MUST("ip -n %s link set lo up", net.coll_ns);
    MUST("ip -n %s link set lo up", net.office_ns);
    MUST("ip -n %s link set %s up", net.coll_ns, COLL_DEV);
    MUST("ip -n %s link set %s up", net.office_ns, OFFICE_DEV);
}

/* The cable: the collector's end of the pair down (the office's end
 * loses its carrier; what it sends is dropped without an error). */
static void link_set(int up)
{
    MUST("ip -n %s link set %s %s", net.coll_ns, COLL_DEV,
         up ? "up" : "down");
}

/* 30% of packets lost each way, or no loss. */
static void loss_set(int on)
{
    const char *ns[2] = {net.coll_ns, net.office_ns};
    const char *dev[2] = {COLL_DEV, OFFICE_DEV};
    if (!on) {
        for (int i = 0; i < 2; i++) {
            if (net.netem) {
                MUST("tc -n %s qdisc del dev %s root", ns[i], dev[i]);
            } else {
                MUST("ip netns exec %s %s -D INPUT -m statistic --mode "
                     "random --probability 0.3 -j DROP",
                     ns[i], net.ipt);
            }
        }
        return;
    }
    /* netem on each end's egress where the kernel has it ... */
    if (sh("tc -n %s qdisc add dev %s root netem loss 30%%", ns[0],
           dev[0]) == 0) {
        MUST("tc -n %s qdisc add dev %s root netem loss 30%%", ns[1],
             dev[1]);
        net.netem = 1;
        return;
    }
    /* ... else drop on INPUT at random, in both hosts. The nft backend
     * needs nf_tables and its xt compatibility; the legacy one does not. */
    static const char *const ipts[] = {"iptables", "iptables-legacy"};
    for (size_t k = 0; k < sizeof ipts / sizeof ipts[0]; k++) {
        if (sh("ip netns exec %s %s -A INPUT -m statistic --mode random "
               "--probability 0.3 -j DROP",
               ns[0], ipts[k]) == 0) {
            net.ipt = ipts[k];
            break;
        }
    }
    if (net.ipt == NULL) {
        cr_skip_test("no netem in this kernel and no working iptables "
                     "(Debian's iptables; see %s/net.log)",
                     hx_dir);
    }
    MUST("ip netns exec %s %s -A INPUT -m statistic --mode random "
         "--probability 0.3 -j DROP",
         ns[1], net.ipt);
}

/* A slow link: 256 kbit/s each way (a token bucket on each end's
 * egress), or the full speed of the veth. */
static void slow_set(int on)
{
    const char *ns[2] = {net.coll_ns, net.office_ns};
    const char *dev[2] = {COLL_DEV, OFFICE_DEV};
    for (int i = 0; i < 2; i++) {
        if (on) {
            MUST("tc -n %s qdisc add dev %s root tbf rate 256kbit burst "
                 "16kbit latency 400ms",
                 ns[i], dev[i]);
        } else {
            MUST("tc -n %s qdisc del dev %s root", ns[i], dev[i]);
        }
    }
}

/* -------------------------------------------------------------- hosts */

#define OFFICE_NAME "city-330100"
#define N_IND 2
#define N_REG 13
#define N_MON 60 /* 2021-01 .. 2025-12 */
#define N_CELL (N_IND * N_REG * N_MON)

static const char *const inds[N_IND] = {"urban_new_jobs", "pension_insured"};
/* 杭州市 and its counties: its line in the agents file gives 330100 and
 * everything below it. 临平区 and 钱塘区 exist from 2021-04 (Hangzhou's
 * 2021 change): their cells before are never written (a figure outside
 * a region's months is refused), so their model keeps no revision. */
static const uint32_t regs[N_REG] = {330100, 330102, 330105, 330106, 330108,
                                     330109, 330110, 330111, 330112, 330113,
                                     330114, 330122, 330127};

typedef struct cellv {
    int revs; /* times it was queued: its revisions at the collector */
    int64_t value;
} cellv_t;

typedef struct world {
    hx_coll_t c;
    char db[300];
    char state[300];   /* the agent's */
    char alog[300];    /* the agent's log */
    char endpoint[64]; /* the collector's ingest, as the office dials it */
    char key[300];     /* the office's secret key */
    char ckey[300];    /* the collector's public key */
    pid_t agent;
    uint64_t submitted;
    int rounds;
    cellv_t model[N_CELL];
    catalog_t *cat; /* the store, read-only while the collector runs */
    store_t *st;
} world_t;

/* The office's agent, in the office's namespace. */
static void agent_start(world_t *w)
{
    const char *aargv[] = {"hrss-agent", "--state-dir", w->state,
                           "--region", "330100", "--name", OFFICE_NAME,
                           "--collector", w->endpoint, "--key", w->key,
                           "--collector-key", w->ckey, "--verbose", "run",
                           NULL};
    w->agent = hx_spawn_netns(net.office_ns, w->alog, aargv);
}

/* Keys, the agents file, the collector on 10.201.X.1 in its namespace
 * and the agent in the office's; the store open read-only. */
static void world_start(world_t *w)
{
    keys_pair_t coll;
    keys_pair_t office;
    char base[300];
    char err[ERR_LEN];
    snprintf(base, sizeof base, "%s/collector", hx_dir);
    cr_assert_eq(keys_generate(base, &coll, err), ERR_OK, "%s", err);
    snprintf(base, sizeof base, "%s/office", hx_dir);
    cr_assert_eq(keys_generate(base, &office, err), ERR_OK, "%s", err);
    char agents[300];
    char text[256];
    snprintf(agents, sizeof agents, "%s/agents", hx_dir);
    int n = snprintf(text, sizeof text, "%s %s 330100/*\n",
                     office.public_key, OFFICE_NAME);
    hx_write(agents, text, (size_t)n);

    snprintf(w->db, sizeof w->db, "%s/db", hx_dir);
    char clog[300];
    char ckeyp[300];
    char ingest[64];
    snprintf(clog, sizeof clog, "%s/collector.log", hx_dir);
    snprintf(ckeyp, sizeof ckeyp, "%s/collector.key", hx_dir);
    snprintf(ingest, sizeof ingest, "tcp://%s:*", net.coll_ip);
    /* Plain mode binds only loopback: across hosts, keys are needed. */
    const char *cargv[] = {"hrss-collector", "--data-dir", w->db,
                           "--ingest", ingest, "--query",
                           "tcp://127.0.0.1:*", "--key", ckeyp, "--agents",
                           agents, NULL};
    hx_collector_exec_netns(&w->c, net.coll_ns, w->db, clog, cargv);
    snprintf(w->endpoint, sizeof w->endpoint, "%s", w->c.ingest);

    snprintf(w->state, sizeof w->state, "%s/office-state", hx_dir);
    snprintf(w->alog, sizeof w->alog, "%s/office.log", hx_dir);
    snprintf(w->key, sizeof w->key, "%s/office.key", hx_dir);
    snprintf(w->ckey, sizeof w->ckey, "%s/collector.pub", hx_dir);
    agent_start(w);
    hx_open_store(w->db, 0, &w->cat, &w->st);
}

/* Round r: a file where about two thirds of the cells get the value
 * 10000 * r + cell, queued by `submit` (which needs no network: it only
 * writes the spool the running agent sends from). */
static void submit_round(world_t *w)
{
    int r = ++w->rounds;
    char path[300];
    snprintf(path, sizeof path, "%s/round-%d.csv", hx_dir, r);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("indicator,period,value,region\n", f);
    uint64_t rows = 0;
    for (int cell = 0; cell < N_CELL; cell++) {
        if ((cell + r) % 3 == 0) {
            continue;
        }
        int i = cell / (N_REG * N_MON);
        int g = cell / N_MON % N_REG;
        int m = cell % N_MON;
        if (!catalog_region_valid(w->cat,
                                  catalog_region_find(w->cat, regs[g]),
                                  month_make(2021 + m / 12, m % 12 + 1))) {
            continue;
        }
        w->model[cell].revs++;
        w->model[cell].value = 10000 * r + cell;
        fprintf(f, "%s,%04d-%02d,%lld,%u\n", inds[i], 2021 + m / 12,
                m % 12 + 1, (long long)w->model[cell].value, regs[g]);
        rows++;
    }
    cr_assert_eq(fclose(f), 0);
    const char *argv[] = {"hrss-agent", "--state-dir", w->state, "--region",
                          "330100", "--name", OFFICE_NAME, "submit", path,
                          NULL};
    char out[4096];
    cr_assert_eq(hx_run(argv, 60000, out, sizeof out), 0, "submit: %s", out);
    w->submitted += rows;
}

/* The collector's next expected number for the office. */
static uint64_t next_seq(world_t *w)
{
    uint64_t next = 0;
    char err[ERR_LEN];
    cr_assert_eq(store_next_seq(w->st, OFFICE_NAME, &next, err), ERR_OK,
                 "%s", err);
    return next;
}

static int caught_up(void *arg)
{
    world_t *w = arg;
    return next_seq(w) == w->submitted + 1;
}

/* Wait until everything submitted is stored; @return how long it took. */
static int64_t await_delivery(world_t *w, int timeout_ms, const char *what)
{
    int64_t t0 = hx_now_ms();
    cr_assert(hx_wait_until(caught_up, w, timeout_ms),
              "%s: the collector expects %llu after %d s, %llu were "
              "submitted; see %s",
              what, (unsigned long long)next_seq(w), timeout_ms / 1000,
              (unsigned long long)w->submitted, w->alog);
    return hx_now_ms() - t0;
}

typedef struct log_count {
    const char *path;
    const char *needle;
    int at_least;
} log_count_t;

static int log_has(void *arg)
{
    const log_count_t *l = arg;
    return hx_file_count(l->path, l->needle) >= l->at_least;
}

/* The agent's log has @p n more lines with @p needle than it had when
 * @p base was counted. */
static void await_log(world_t *w, const char *needle, int base, int n,
                      int timeout_ms)
{
    log_count_t l = {w->alog, needle, base + n};
    cr_assert(hx_wait_until(log_has, &l, timeout_ms),
              "the agent's log has %d of %d lines with \"%s\"; see %s",
              hx_file_count(w->alog, needle), base + n, needle, w->alog);
}

static int count_revision(const store_revision_t *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return 0;
}

/* Stop both daemons, then: every cell holds its last value and exactly
 * one revision per time it was queued; the collector expects the number
 * after the last one submitted; the store is sound. */
static void finish_and_check(world_t *w)
{
    store_close(&w->st);
    catalog_destroy(&w->cat);
    cr_expect_eq(hx_stop(w->agent, SIGTERM, 10000), 0, "agent exit status");
    cr_expect_eq(hx_collector_stop(&w->c, 20000), 0,
                 "collector exit status");
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(w->db, 1, &cat, &s);
    char err[ERR_LEN];
    uint64_t next = 0;
    cr_assert_eq(store_next_seq(s, OFFICE_NAME, &next, err), ERR_OK);
    cr_expect_eq(next, w->submitted + 1, "next %llu, submitted %llu",
                 (unsigned long long)next, (unsigned long long)w->submitted);
    int bad = 0;
    int stored = 0;
    for (int cell = 0; cell < N_CELL; cell++) {
        const cellv_t *c = &w->model[cell];
        if (c->revs == 0) {
            continue;
        }
        int i = cell / (N_REG * N_MON);
        int g = cell / N_MON % N_REG;
        int m = cell % N_MON;
        int32_t mo = month_make(2021 + m / 12, m % 12 + 1);
        value_t v;
        int revs = 0;
        if (store_get(s, inds[i], regs[g], mo, &v, err) != ERR_OK ||
            v.num != c->value ||
            store_history(s, inds[i], regs[g], mo, count_revision, &revs,
                          err) != ERR_OK ||
            revs != c->revs) {
            bad++;
        }
        stored += revs;
    }
    cr_expect_eq(bad, 0, "%d cells differ from their last value or have "
                         "another number of revisions", bad);
    cr_expect_eq((uint64_t)stored, w->submitted, "%d revisions stored, "
                 "%llu submitted", stored, (unsigned long long)w->submitted);
    cr_expect_eq(store_verify(s, err), ERR_OK, "%s", err);
    store_close(&s);
    catalog_destroy(&cat);
}

/* ------------------------------------------------------------- tests */

/* The agent's wait in DOWN after its @p nth "hello to" (counted from
 * the start of its log): the first "state 0, ... waiting W ms" line
 * after it (its --verbose line before each poll; state 0 is DOWN). That
 * line comes when the attempt was given up, and W is the backoff until
 * the next. */
typedef struct backoff_after {
    const char *log;
    int nth;
    long long wait_ms; /* -1 until the line is there */
} backoff_after_t;

static int backoff_logged(void *arg)
{
    backoff_after_t *b = arg;
    b->wait_ms = -1;
    FILE *f = fopen(b->log, "r");
    if (f == NULL) {
        return 0;
    }
    char line[1024];
    int hellos = 0;
    while (b->wait_ms < 0 && fgets(line, sizeof line, f) != NULL) {
        if (strstr(line, "hello to") != NULL) {
            hellos++;
        }
        const char *w = strstr(line, ": waiting ");
        if (hellos >= b->nth && strstr(line, "state 0, ") != NULL &&
            w != NULL) {
            char *end = NULL;
            long long ms = strtoll(w + 10, &end, 10);
            if (end != w + 10 && strncmp(end, " ms", 3) == 0) {
                b->wait_ms = ms;
            }
        }
    }
    fclose(f);
    return b->wait_ms >= 0;
}

/* The link goes down while the office keeps submitting: nothing reaches
 * the collector, the agent notices (no ack in time) and keeps trying at
 * a growing backoff, without giving up. The link comes back at the worst
 * moment: just after an attempt failed with the backoff at its 15 s cap.
 * Everything queued meanwhile is stored within the bound, exactly once. */
Test(partition, the_link_goes_down_and_comes_back_at_the_worst_moment)
{
    net_up();
    static world_t w;
    world_start(&w);
    submit_round(&w);
    await_delivery(&w, WAIT_MS, "before the partition");
    uint64_t before = next_seq(&w);

    int downs = hx_file_count(w.alog, "retrying with backoff");
    link_set(0);
    int64_t t_down = hx_now_ms();
    submit_round(&w);
    /* The agent sent a batch into the void: 3 s without its ack. */
    await_log(&w, "retrying with backoff", downs, 1, WAIT_MS);
    /* Then attempts 1..8, each given up 2 s after its Hello; after the
     * k-th the agent waits 0.1 s * 2^k at most, capped at 15 s from the
     * 8th on. The office submits in between. */
    int hellos = hx_file_count(w.alog, "hello to");
    submit_round(&w);
    await_log(&w, "hello to", hellos, 4, WAIT_MS);
    submit_round(&w);
    await_log(&w, "hello to", hellos, 8, WAIT_MS);
    /* The 8th attempt is given up 2 s after its Hello: the agent now
     * waits 7.5 to 15 s before the next one. */
    backoff_after_t b = {w.alog, hellos + 8, -1};
    cr_assert(hx_wait_until(backoff_logged, &b, 10000),
              "the 8th attempt was never given up; see %s", w.alog);
    cr_assert_geq(b.wait_ms, 7500, "the backoff is not at its cap; see %s",
                  w.alog);
    cr_assert_eq(next_seq(&w), before,
                 "something crossed a link that was down");
    cr_assert_eq(kill(w.agent, 0), 0, "the agent gave up and exited");

    int connects = hx_file_count(w.alog, "connected to collector");
    int64_t t_up = hx_now_ms();
    link_set(1);
    int64_t took = await_delivery(&w, WAIT_MS, "after the link came back");
    cr_log_info("link down %lld ms, back with the next attempt due in "
                "%lld ms: %llu updates queued while down stored %lld ms "
                "after the link came back (bound %d ms)",
                (long long)(t_up - t_down), b.wait_ms,
                (unsigned long long)(w.submitted + 1 - before),
                (long long)took, RESUME_BOUND_MS);
    cr_expect_leq(took, RESUME_BOUND_MS,
                  "stored %lld ms after the link came back", (long long)took);
    cr_expect_gt(hx_file_count(w.alog, "connected to collector"), connects);
    finish_and_check(&w);
}

typedef struct moved {
    world_t *w;
    uint64_t from;
} moved_t;

/* Some of what was queued since the collector expected @p from is
 * stored. */
static int moved(void *arg)
{
    moved_t *m = arg;
    return next_seq(m->w) > m->from;
}

/* Packets the loss rules dropped so far: nonzero once the loss is real.
 * Asked with the tools that made it (an exit status, no parsing here:
 * awk reads iptables' packet counter of the DROP rule, grep tc's
 * "dropped N"). */
static int loss_dropped(void)
{
    if (net.netem) {
        return sh("tc -n %s -s qdisc show dev %s | grep -q 'dropped [1-9]'",
                  net.office_ns, OFFICE_DEV) == 0;
    }
    return sh("ip netns exec %s %s -L INPUT -v -n -x | awk '/statistic/ "
              "{ n += $1 } END { exit !(n > 0) }'",
              net.office_ns, net.ipt) == 0;
}

/* 30% of packets lost each way, for a while: TCP retransmits, and
 * where its retransmissions are too slow for the agent's timeouts the
 * agent reconnects and resends (an ack lost after its commit makes it
 * resend what was stored). Halfway the office restarts its agent, which
 * must connect through the loss (TCP and CurveZMQ handshakes, Hello).
 * When the loss ends the rest is stored within the bound, nothing
 * twice. */
Test(partition, a_link_losing_30_percent_of_packets)
{
    net_up();
    static world_t w;
    world_start(&w);
    submit_round(&w);
    await_delivery(&w, WAIT_MS, "before the loss");
    uint64_t before = next_seq(&w);

    int downs = hx_file_count(w.alog, "retrying with backoff");
    int connects = hx_file_count(w.alog, "connected to collector");
    loss_set(1);
    int64_t t0 = hx_now_ms();
    for (int r = 0; r < 3; r++) {
        submit_round(&w);
    }
    /* "A while": until half of it got through the lossy link ... */
    moved_t mv = {&w, before + (w.submitted + 1 - before) / 2};
    cr_assert(hx_wait_until(moved, &mv, WAIT_MS),
              "%llu of %llu updates got through 30%% loss in %d s; see %s",
              (unsigned long long)(next_seq(&w) - before),
              (unsigned long long)(w.submitted + 1 - before),
              WAIT_MS / 1000, w.alog);
    /* ... then a new agent, more figures, and again until some of them
     * got through. */
    cr_assert_eq(hx_stop(w.agent, SIGTERM, 10000), 0, "agent exit status");
    for (int r = 0; r < 3; r++) {
        submit_round(&w);
    }
    agent_start(&w);
    mv.from = next_seq(&w);
    cr_assert(hx_wait_until(moved, &mv, WAIT_MS),
              "the restarted agent got nothing through 30%% loss in %d s; "
              "see %s",
              WAIT_MS / 1000, w.alog);
    cr_expect(loss_dropped(), "the loss rules dropped nothing; see "
                              "%s/net.log", hx_dir);
    uint64_t crossed = next_seq(&w) - before;
    int64_t lossy = hx_now_ms() - t0;
    loss_set(0);
    int64_t took = await_delivery(&w, WAIT_MS, "after the loss ended");
    cr_log_info("30%% loss (%s): %llu updates crossed in %lld ms, %d "
                "connections, %d timeouts; the other %llu stored %lld ms "
                "after the loss ended (bound %d ms)",
                net.netem ? "netem" : net.ipt, (unsigned long long)crossed,
                (long long)lossy,
                hx_file_count(w.alog, "connected to collector") - connects,
                hx_file_count(w.alog, "retrying with backoff") - downs,
                (unsigned long long)(w.submitted + 1 - before - crossed),
                (long long)took, RESUME_BOUND_MS);
    cr_expect_leq(took, RESUME_BOUND_MS);
    finish_and_check(&w);
}

/* A slow link, 256 kbit/s each way: thousands of updates cross it
 * without the agent taking the slowness for a dead collector (no
 * timeout, no reconnect). Then the link is cut in the middle of a
 * transfer, batches on the wire and acks lost, and comes back: what was
 * stored before the cut is not stored again, the rest is stored within
 * the bound. */
Test(partition, a_slow_link_carries_thousands_of_updates_and_survives_a_cut)
{
    net_up();
    static world_t w;
    world_start(&w);
    submit_round(&w);
    await_delivery(&w, WAIT_MS, "before the link slowed");
    uint64_t before = next_seq(&w);

    slow_set(1);
    int downs = hx_file_count(w.alog, "retrying with backoff");
    for (int r = 0; r < 5; r++) {
        submit_round(&w);
    }
    int64_t took = await_delivery(&w, WAIT_MS, "over the slow link");
    cr_log_info("slow link: %llu updates in %lld ms at 256 kbit/s",
                (unsigned long long)(w.submitted + 1 - before),
                (long long)took);
    cr_expect_eq(hx_file_count(w.alog, "retrying with backoff"), downs,
                 "the agent gave up on a slow but working link; see %s",
                 w.alog);

    /* The cut: once one batch of the next 5,000 is stored, while the
     * others are on their way. */
    before = next_seq(&w);
    for (int r = 0; r < 5; r++) {
        submit_round(&w);
    }
    moved_t mv = {&w, before};
    cr_assert(hx_wait_until(moved, &mv, WAIT_MS), "no batch stored");
    link_set(0);
    int64_t cut = hx_now_ms();
    uint64_t at_cut = next_seq(&w);
    cr_assert_lt(at_cut, w.submitted + 1, "all stored before the cut");
    await_log(&w, "retrying with backoff", downs, 1, WAIT_MS);
    int64_t t0 = hx_now_ms();
    link_set(1);
    took = await_delivery(&w, WAIT_MS, "after the cut");
    cr_log_info("slow link cut after %llu of %llu updates; down %lld ms; "
                "the rest stored %lld ms after the link came back "
                "(bound %d ms)",
                (unsigned long long)(at_cut - before),
                (unsigned long long)(w.submitted + 1 - before),
                (long long)(t0 - cut), (long long)took, RESUME_BOUND_MS);
    cr_expect_leq(took, RESUME_BOUND_MS);
    finish_and_check(&w);
}
