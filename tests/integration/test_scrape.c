/* test_scrape.c: the /metrics pages of the real collector and agent
 * (issue 9, metrics), scraped over loopback with a plain socket
 * (tests/unit/http_client.c). Ports are the kernel's picks (--metrics
 * 127.0.0.1:0), read back from DATA_DIR/endpoints and STATE/endpoints;
 * every wait is on a condition with a deadline. */
#define _GNU_SOURCE /* unshare */
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "common/wire.h"
#include "harness.h"
#include "http_client.h"

TestSuite(scrape, .init = hx_setup, .fini = hx_teardown, .timeout = 240);

#define WAIT_MS 60000 /* a bound for each condition, not an expected time */
#define N_FIGURES 180 /* rows of one figures() file */

/* ------------------------------------------------------------- helpers */

/* A collector with --metrics 127.0.0.1:0 and its store in DIR/db. */
static void collector_with_metrics(hx_coll_t *c, const char *dir)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure", "--metrics",
                          "127.0.0.1:0", NULL};
    hx_collector_exec(c, db, log, argv);
    cr_assert(strncmp(c->metrics, "http://127.0.0.1:", 17) == 0,
              "DATA_DIR/endpoints has no metrics= line: '%s'", c->metrics);
}

/* The page at @p url (status 200 and the format's content type).
 * Caller frees. */
static char *scrape(const char *url)
{
    http_reply_t r;
    int st = http_get_url(url, &r);
    cr_assert_eq(st, 200, "GET %s: %d\n%s", url, st, r.head);
    cr_expect(strstr(r.head, "Content-Type: text/plain; version=0.0.4; "
                             "charset=utf-8") != NULL, "%s", r.head);
    return r.body;
}

/* One sample of the page at @p url; -1 when it is not there. */
static double metric(const char *url, const char *name)
{
    char *page = scrape(url);
    double v = http_metric(page, name);
    free(page);
    return v;
}

typedef struct metric_wait {
    const char *url;
    const char *name;
    double at_least;
    double at_most;
} metric_wait_t;

static int metric_within(void *arg)
{
    const metric_wait_t *w = arg;
    double v = metric(w->url, w->name);
    return v >= w->at_least && v <= w->at_most;
}

/* Wait until sample @p name of @p url is in [lo, hi]. */
static void await_metric(const char *url, const char *name, double lo,
                         double hi)
{
    metric_wait_t w = {url, name, lo, hi};
    cr_assert(hx_wait_until(metric_within, &w, WAIT_MS),
              "%s stayed at %g, not in [%g, %g]", name, metric(url, name),
              lo, hi);
}

/* One file of figures: @p ind for 60 months in each of three districts
 * of 杭州市 (N_FIGURES rows). @return its path. */
static const char *figures(const char *name, const char *ind)
{
    static char path[300];
    snprintf(path, sizeof path, "%s/%s", hx_dir, name);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs("indicator,period,value,region\n", f);
    static const int regions[] = {330102, 330105, 330106};
    for (int r = 0; r < 3; r++) {
        for (int m = 0; m < 60; m++) {
            fprintf(f, "%s,%d-%02d,%d,%d\n", ind, 2021 + m / 12, m % 12 + 1,
                    1000 * r + m, regions[r]);
        }
    }
    fclose(f);
    return path;
}

/* An agent of 杭州市 (330100, so its name is "330100"). */
typedef struct agent_env {
    char state[320];
    char log[320];
    char ingest[64];
    char metrics[128]; /* from STATE/endpoints once it runs */
    pid_t pid;
} agent_env_t;

static void agent_init(agent_env_t *a, const char *ingest)
{
    memset(a, 0, sizeof *a);
    snprintf(a->state, sizeof a->state, "%s/agent", hx_dir);
    snprintf(a->log, sizeof a->log, "%s/agent.log", hx_dir);
    snprintf(a->ingest, sizeof a->ingest, "%s", ingest);
}

static void agent_submit(const agent_env_t *a, const char *file)
{
    static char out[8192];
    const char *argv[] = {"hrss-agent", "--state-dir", a->state,
                          "--collector", a->ingest, "--region", "330100",
                          "--insecure", "submit", file, NULL};
    cr_assert_eq(hx_run(argv, WAIT_MS, out, sizeof out), 0, "%s", out);
}

/* STATE/endpoints' metrics= line, once written. */
static int agent_endpoint(void *arg)
{
    agent_env_t *a = arg;
    char path[400];
    snprintf(path, sizeof path, "%s/endpoints", a->state);
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return 0;
    }
    char line[sizeof a->metrics + 8] = "";
    int ok = fgets(line, sizeof line, f) != NULL &&
             strncmp(line, "metrics=", 8) == 0;
    fclose(f);
    if (ok) {
        line[strcspn(line, "\n")] = '\0';
        snprintf(a->metrics, sizeof a->metrics, "%s", line + 8);
    }
    return ok;
}

/* `run`, with --metrics 127.0.0.1:0 when @p metrics; waits for its
 * STATE/endpoints then. */
static void agent_run(agent_env_t *a, int metrics)
{
    const char *with[] = {"hrss-agent", "--state-dir", a->state,
                          "--collector", a->ingest, "--region", "330100",
                          "--insecure", "--metrics", "127.0.0.1:0", "run",
                          NULL};
    const char *without[] = {"hrss-agent", "--state-dir", a->state,
                             "--collector", a->ingest, "--region", "330100",
                             "--insecure", "run", NULL};
    char path[400];
    snprintf(path, sizeof path, "%s/endpoints", a->state);
    unlink(path);
    a->pid = hx_spawn(a->log, metrics ? with : without);
    if (metrics) {
        cr_assert(hx_wait_until(agent_endpoint, a, WAIT_MS),
                  "no STATE/endpoints; see %s", a->log);
    }
}

/* ------------------------------------------------- a peer by hand */

typedef struct peer {
    void *ctx;
    void *sock;
} peer_t;

static void peer_connect(peer_t *p, const char *ep)
{
    p->ctx = zmq_ctx_new();
    p->sock = zmq_socket(p->ctx, ZMQ_DEALER);
    int linger = 0;
    zmq_setsockopt(p->sock, ZMQ_LINGER, &linger, sizeof linger);
    cr_assert_eq(zmq_connect(p->sock, ep), 0);
}

static void peer_close(peer_t *p)
{
    zmq_close(p->sock);
    zmq_ctx_term(p->ctx);
}

static void peer_send(peer_t *p, const void *data, size_t len)
{
    cr_assert_eq(zmq_send(p->sock, data, len, 0), (int)len);
}

/* The next answer, which must come within WAIT_MS; caller frees. */
static Hrss__CollectorMsg *peer_recv(peer_t *p)
{
    zmq_pollitem_t item = {p->sock, 0, ZMQ_POLLIN, 0};
    cr_assert_eq(zmq_poll(&item, 1, WAIT_MS), 1, "no answer");
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    cr_assert_geq(zmq_msg_recv(&msg, p->sock, 0), 0);
    Hrss__CollectorMsg *m = NULL;
    char err[ERR_LEN];
    cr_assert_eq(wire_collector_unpack(zmq_msg_data(&msg), zmq_msg_size(&msg),
                                       &m, err), ERR_OK, "%s", err);
    zmq_msg_close(&msg);
    return m;
}

/* A batch of one update of an indicator no catalog has, from plain-mode
 * agent "rogue" of 西湖区: stored as a rejection, unknown_indicator. */
static void send_unknown_indicator(peer_t *p)
{
    Hrss__Update u = HRSS__UPDATE__INIT;
    u.seq = 1;
    u.indicator = (char *)"no_such_indicator";
    u.region = 330106;
    u.month = 202501;
    u.value_case = HRSS__UPDATE__VALUE_COUNT;
    u.count = 1;
    Hrss__Update *up[1] = {&u};
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)"rogue";
    b.region = 330106;
    b.n_updates = 1;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_BATCH;
    m.batch = &b;
    buf_t out;
    buf_init(&out);
    wire_pack(&m.base, &out);
    peer_send(p, out.data, out.len);
    buf_fini(&out);
    Hrss__CollectorMsg *a = peer_recv(p);
    cr_assert_eq(a->body_case, HRSS__COLLECTOR_MSG__BODY_ACK);
    cr_expect_eq(a->ack->status, HRSS__ACK_STATUS__ACK_OK);
    cr_expect_eq(a->ack->n_rejections, 1);
    hrss__collector_msg__free_unpacked(a, NULL);
}

/* ------------------------------------------------------------- tests */

#define AGENT_LABELS "{agent=\"330100\",region=\"330100\"}"

Test(scrape, the_collector_counts_updates_agents_and_rejections)
{
    hx_coll_t c;
    collector_with_metrics(&c, hx_dir);
    const char *url = c.metrics;
    cr_expect_eq(metric(url, "hrss_updates_applied_total"), 0);
    cr_expect_eq(metric(url, "hrss_agents_connected"), 0);
    cr_expect_gt(metric(url, "hrss_store_bytes"), 0);
    cr_expect_gt(metric(url, "hrss_store_map_bytes"), 0);

    agent_env_t a;
    agent_init(&a, c.ingest);
    agent_submit(&a, figures("a.csv", "urban_new_jobs"));
    agent_run(&a, 0);
    await_metric(url, "hrss_updates_applied_total", N_FIGURES, N_FIGURES);
    await_metric(url, "hrss_agents_connected", 1, 1);
    char *page = scrape(url);
    cr_expect_eq(http_metric(page, "hrss_agent_up" AGENT_LABELS), 1, "%s",
                 page);
    double age = http_metric(page, "hrss_agent_last_contact_seconds"
                                   AGENT_LABELS);
    cr_expect(age >= 0 && age < 60, "last contact %g s ago", age);
    cr_expect_eq(http_metric(page, "hrss_agent_next_seq" AGENT_LABELS),
                 N_FIGURES + 1);
    cr_expect_eq(http_metric(page, "hrss_agent_pending_updates"
                                   AGENT_LABELS), 0);
    cr_expect_geq(http_metric(page, "hrss_batches_total{status=\"ok\"}"), 1);
    cr_expect_geq(http_metric(page, "hrss_commit_seconds_count"), 1);
    cr_expect_eq(http_metric(page, "hrss_commit_seconds_bucket{le=\"+Inf\"}"),
                 http_metric(page, "hrss_commit_seconds_count"));
    cr_expect_eq(http_metric(page, "hrss_updates_rejected_total"
                                   "{reason=\"unknown_indicator\"}"), 0);
    cr_expect_eq(http_metric(page, "hrss_disk_full_total"), 0);
    cr_expect_eq(http_metric(page, "hrss_store_retry_total"), 0);
    double ratio = http_metric(page, "hrss_store_map_used_ratio");
    cr_expect(ratio > 0 && ratio < 1, "ratio %g", ratio);
    free(page);

    /* A rejected update shows under its reason; a message that is not
     * one is counted as malformed. */
    peer_t p;
    peer_connect(&p, c.ingest);
    send_unknown_indicator(&p);
    await_metric(url, "hrss_updates_rejected_total"
                      "{reason=\"unknown_indicator\"}", 1, 1);
    peer_send(&p, "\xff\xff", 2);
    Hrss__CollectorMsg *m = peer_recv(&p);
    hrss__collector_msg__free_unpacked(m, NULL);
    await_metric(url, "hrss_bad_messages_total{kind=\"malformed\"}", 1, 1);
    peer_close(&p);
    cr_expect_eq(metric(url, "hrss_updates_applied_total"), N_FIGURES);
    cr_expect_eq(metric(url, "hrss_agent_up{agent=\"rogue\","
                             "region=\"330106\"}"), 1);

    /* The agent says goodbye: still listed, no longer up. */
    cr_assert_eq(hx_stop(a.pid, SIGTERM, WAIT_MS), 0);
    await_metric(url, "hrss_agent_up" AGENT_LABELS, 0, 0);
    cr_expect_eq(metric(url, "hrss_agent_next_seq" AGENT_LABELS),
                 N_FIGURES + 1);
    cr_expect_eq(hx_collector_stop(&c, WAIT_MS), 0);
}

/* What a scrape must show whatever the moment: counters that never go
 * down from one scrape to the next, and a histogram whose +Inf bucket
 * is its count (one snapshot, never half a group). */
typedef struct scrape_seen {
    double applied;
    double batches;
    double commits;
    int scrapes;
} scrape_seen_t;

static void check_consistent(const char *url, scrape_seen_t *seen)
{
    char *page = scrape(url);
    double applied = http_metric(page, "hrss_updates_applied_total");
    double batches = http_metric(page, "hrss_batches_total{status=\"ok\"}");
    double commits = http_metric(page, "hrss_commit_seconds_count");
    cr_assert_geq(applied, seen->applied);
    cr_assert_geq(batches, seen->batches);
    cr_assert_geq(commits, seen->commits);
    cr_assert_eq(http_metric(page, "hrss_commit_seconds_bucket"
                                   "{le=\"+Inf\"}"), commits);
    cr_assert(commits <= batches, "%g commits for %g batches", commits,
              batches);
    seen->applied = applied;
    seen->batches = batches;
    seen->commits = commits;
    seen->scrapes++;
    free(page);
}

/* The count indicators of the shipped catalog: one file each. */
static const char *const count_inds[] = {
    "urban_new_jobs", "vocational_skill_training", "pension_insured",
    "unemployment_insured", "work_injury_insured",
    "professional_technical_talent", "new_professional_qualifications",
    "postdoc_recruits", "skilled_talent", "new_skill_certificates",
    "social_security_card_holders"};
#define N_FILES (sizeof count_inds / sizeof count_inds[0])

typedef struct consistent_wait {
    const char *url;
    scrape_seen_t seen;
} consistent_wait_t;

static int scraped_until_applied(void *arg)
{
    consistent_wait_t *w = arg;
    check_consistent(w->url, &w->seen);
    return w->seen.applied >= (double)(N_FILES * N_FIGURES);
}

/* Scrapes while an agent delivers a dozen batches (as many as the
 * delivery lasts: on a fast machine a few). */
Test(scrape, scrapes_during_delivery_are_consistent)
{
    hx_coll_t c;
    collector_with_metrics(&c, hx_dir);
    agent_env_t a;
    agent_init(&a, c.ingest);
    for (size_t i = 0; i < N_FILES; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%zu.csv", i);
        agent_submit(&a, figures(name, count_inds[i]));
    }
    agent_run(&a, 0);
    consistent_wait_t w = {c.metrics, {0, 0, 0, 0}};
    cr_assert(hx_wait_until(scraped_until_applied, &w, WAIT_MS),
              "applied %g of %zu", w.seen.applied, N_FILES * N_FIGURES);
    cr_expect_eq(w.seen.applied, (double)(N_FILES * N_FIGURES));
    cr_log_info("%d scrapes during the delivery", w.seen.scrapes);
    cr_assert_eq(hx_stop(a.pid, SIGTERM, WAIT_MS), 0);
    cr_expect_eq(hx_collector_stop(&c, WAIT_MS), 0);
}

Test(scrape, only_get_of_metrics_is_served)
{
    hx_coll_t c;
    collector_with_metrics(&c, hx_dir);
    int port = 0;
    char host[64];
    cr_assert_eq(sscanf(c.metrics, "http://%63[^:]:%d", host, &port), 2);
    http_reply_t r;
    static const char *const paths[] = {"/", "/other", "/metrics/x"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        cr_expect_eq(http_request(host, port, "GET", paths[i], &r), 404,
                     "%s: %s", paths[i], r.head);
        http_reply_fini(&r);
    }
    cr_expect_eq(http_request(host, port, "POST", "/metrics", &r), 405,
                 "%s", r.head);
    cr_expect(strstr(r.head, "Allow: GET, HEAD") != NULL, "%s", r.head);
    http_reply_fini(&r);
    cr_expect_eq(http_request(host, port, "HEAD", "/metrics", &r), 200);
    cr_expect_eq(r.body_len, 0);
    http_reply_fini(&r);
    cr_expect_eq(hx_collector_stop(&c, WAIT_MS), 0);
}

static int agent_connected(void *arg)
{
    const agent_env_t *a = arg;
    return hx_file_contains(a->log, "connected to collector");
}

Test(scrape, without_metrics_nothing_more_listens)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t c;
    hx_collector_start(&c, db, log);
    cr_expect_str_eq(c.metrics, "", "endpoints names a metrics server");
    int ports[8];
    int n = hx_listening_ports(c.pid, ports, 8);
    cr_expect_eq(n, 2, "the collector listens on %d ports", n);
    for (int i = 0; i < n; i++) {
        cr_expect(ports[i] == hx_endpoint_port(c.ingest) ||
                      ports[i] == hx_endpoint_port(c.query),
                  "port %d is neither ingest nor query", ports[i]);
    }
    agent_env_t a;
    agent_init(&a, c.ingest);
    agent_run(&a, 0);
    cr_assert(hx_wait_until(agent_connected, &a, WAIT_MS),
              "the agent did not connect; see %s", a.log);
    cr_expect_eq(hx_listening_ports(a.pid, ports, 8), 0,
                 "the agent listens without --metrics");
    char path[400];
    snprintf(path, sizeof path, "%s/endpoints", a.state);
    cr_expect_neq(access(path, F_OK), 0, "the agent wrote %s", path);
    cr_assert_eq(hx_stop(a.pid, SIGTERM, WAIT_MS), 0);

    /* With --metrics, one listening socket more: the metrics server. */
    cr_assert_eq(hx_collector_stop(&c, WAIT_MS), 0);
    hx_coll_t m;
    collector_with_metrics(&m, hx_dir);
    cr_expect_eq(hx_listening_ports(m.pid, ports, 8), 3);
    cr_expect_eq(hx_collector_stop(&m, WAIT_MS), 0);
}

Test(scrape, a_bad_metrics_value_is_a_usage_error)
{
    static char out[8192];
    char db[300];
    char ini[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    static const char *const bad[] = {"9464", ":9464", "127.0.0.1",
                                      "example.org:9464", "[::1]9464",
                                      "127.0.0.1:99999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        const char *argv[] = {"hrss-collector", "--data-dir", db,
                              "--ingest", "tcp://127.0.0.1:*", "--query",
                              "tcp://127.0.0.1:*", "--insecure",
                              "--metrics", bad[i], NULL};
        cr_expect_eq(hx_run(argv, WAIT_MS, out, sizeof out), 64, "%s", out);
        char want[128];
        snprintf(want, sizeof want,
                 "hrss-collector: --metrics: '%s' is not ADDR:PORT", bad[i]);
        cr_expect(strstr(out, want) != NULL, "%s", out);
    }
    /* From the config file, the same. */
    snprintf(ini, sizeof ini, "%s/c.ini", hx_dir);
    static const char text[] = "[collector]\nmetrics = 9464\n";
    hx_write(ini, text, sizeof text - 1);
    const char *argv[] = {"hrss-collector", "--config", ini, "--data-dir",
                          db, "--ingest", "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure", NULL};
    cr_expect_eq(hx_run(argv, WAIT_MS, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "--metrics: '9464' is not ADDR:PORT") != NULL,
              "%s", out);
    /* Nothing was started: no store, no endpoints. */
    cr_expect_neq(access(db, F_OK), 0, "%s was made", db);

    char state[300];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    const char *agent[] = {"hrss-agent", "--state-dir", state,
                           "--collector", "tcp://127.0.0.1:1", "--region",
                           "330100", "--insecure", "--metrics", "9465",
                           "run", NULL};
    cr_expect_eq(hx_run(agent, WAIT_MS, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "hrss-agent: --metrics: '9465' is not "
                          "ADDR:PORT") != NULL, "%s", out);
}

/* A socket of the test's own listening on 127.0.0.1, kernel's port. */
static int listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cr_assert(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    cr_assert_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(fd, 4), 0);
    cr_assert_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

Test(scrape, a_port_in_use_fails_start_up_clearly)
{
    static char out[8192];
    int port = 0;
    int fd = listener(&port);
    char spec[64];
    snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
    char want[128];
    snprintf(want, sizeof want, "--metrics: cannot listen on %s: %s", spec,
             strerror(EADDRINUSE));
    char db[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    const char *argv[] = {"hrss-collector", "--data-dir", db, "--ingest",
                          "tcp://127.0.0.1:*", "--query",
                          "tcp://127.0.0.1:*", "--insecure", "--metrics",
                          spec, NULL};
    cr_expect_eq(hx_run(argv, WAIT_MS, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    char path[400];
    snprintf(path, sizeof path, "%s/endpoints", db);
    cr_expect_neq(access(path, F_OK), 0, "endpoints written");

    char state[300];
    snprintf(state, sizeof state, "%s/agent", hx_dir);
    const char *agent[] = {"hrss-agent", "--state-dir", state,
                           "--collector", "tcp://127.0.0.1:1", "--region",
                           "330100", "--insecure", "--metrics", spec, "run",
                           NULL};
    cr_expect_eq(hx_run(agent, WAIT_MS, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, want) != NULL, "%s", out);
    close(fd);
}

Test(scrape, the_agent_shows_its_backlog_and_last_ack)
{
    char db[300];
    char log[300];
    snprintf(db, sizeof db, "%s/db", hx_dir);
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_coll_t c;
    hx_collector_reserve(&c, db, log); /* not there yet */
    agent_env_t a;
    agent_init(&a, c.ingest);
    agent_run(&a, 1);
    cr_assert(strncmp(a.metrics, "http://127.0.0.1:", 17) == 0, "%s",
              a.metrics);
    const char *url = a.metrics;
    agent_submit(&a, figures("a.csv", "urban_new_jobs"));
    await_metric(url, "hrss_agent_queued", N_FIGURES, N_FIGURES);
    char *page = scrape(url);
    cr_expect_eq(http_metric(page, "hrss_agent_collector_connected"), 0);
    cr_expect_eq(http_metric(page, "hrss_agent_last_ack_timestamp_seconds"),
                 0);
    cr_expect_eq(http_metric(page, "hrss_agent_last_acked_seq"), 0);
    cr_expect_eq(http_metric(page, "hrss_agent_last_queued_seq"), N_FIGURES);
    cr_expect_geq(http_metric(page, "hrss_agent_oldest_queued_seconds"), 0);
    cr_expect_eq(http_metric(page, "hrss_agent_acks_total{status=\"ok\"}"),
                 0);
    free(page);

    /* The collector comes: everything is acknowledged. */
    hx_collector_restart(&c);
    await_metric(url, "hrss_agent_queued", 0, 0);
    await_metric(url, "hrss_agent_collector_connected", 1, 1);
    page = scrape(url);
    cr_expect_eq(http_metric(page, "hrss_agent_last_acked_seq"), N_FIGURES);
    cr_expect_eq(http_metric(page, "hrss_agent_oldest_queued_seconds"), 0);
    double at = http_metric(page, "hrss_agent_last_ack_timestamp_seconds");
    double now = (double)time(NULL);
    cr_expect(at > now - 120 && at <= now + 1, "last ack at %g, now %g", at,
              now);
    cr_expect_geq(http_metric(page, "hrss_agent_acks_total{status=\"ok\"}"),
                  1);
    cr_expect_geq(http_metric(page, "hrss_agent_batches_sent_total"), 1);
    cr_expect_geq(http_metric(page, "hrss_agent_connects_total"), 1);
    cr_expect_eq(http_metric(page, "hrss_agent_delivery_state"
                                   "{state=\"ready\"}"), 1);
    free(page);
    cr_assert_eq(hx_stop(a.pid, SIGTERM, WAIT_MS), 0);
    cr_expect_eq(hx_collector_stop(&c, WAIT_MS), 0);
}

/* ---------------------------------------------------------- a full disk */

/* A small tmpfs at @p dir in a mount namespace of this test's own (as
 * test_faults does). @return 0, or -1 when not allowed (not root). */
static int small_disk(const char *dir, const char *size)
{
    if (unshare(CLONE_NEWNS) != 0 ||
        mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
        return -1;
    }
    mkdir(dir, 0755);
    char opts[64];
    snprintf(opts, sizeof opts, "size=%s,mode=0755", size);
    return mount("tmpfs", dir, "tmpfs", 0, opts);
}

static char disk[280];

static void disk_teardown(void)
{
    if (disk[0] != '\0') {
        umount2(disk, MNT_DETACH);
    }
    hx_teardown();
}

static void fill_disk(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    cr_assert(fd >= 0, "%s: %s", path, strerror(errno));
    static char block[4096];
    while (write(fd, block, sizeof block) > 0) {
    }
    close(fd);
}

/* The alarms of a full disk: the collector's hrss_disk_full_total and
 * hrss_store_retry_total rise, the agent's backlog stays and its retry
 * answers rise; once space returns the backlog drains. */
Test(scrape, a_full_disk_shows_on_both_pages, .fini = disk_teardown)
{
    snprintf(disk, sizeof disk, "%.250s/disk", hx_dir);
    if (small_disk(disk, "16m") != 0) {
        disk[0] = '\0';
        cr_skip_test("needs a tmpfs of its own (root): %s", strerror(errno));
    }
    hx_coll_t c;
    collector_with_metrics(&c, disk);
    agent_env_t a;
    agent_init(&a, c.ingest);
    agent_submit(&a, figures("a.csv", "urban_new_jobs"));
    agent_run(&a, 1);
    /* Acknowledged, not only "nothing queued": a page served before the
     * agent read its spool says 0 too, and the disk must fill only after
     * the first file is in the store. */
    await_metric(a.metrics, "hrss_agent_last_acked_seq", N_FIGURES,
                 N_FIGURES);
    await_metric(c.metrics, "hrss_updates_applied_total", N_FIGURES,
                 N_FIGURES);

    char filler[500];
    snprintf(filler, sizeof filler, "%s/filler", disk);
    fill_disk(filler);
    agent_submit(&a, figures("b.csv", "pension_insured"));
    await_metric(c.metrics, "hrss_disk_full_total", 1, 1e9);
    await_metric(a.metrics, "hrss_agent_acks_total{status=\"retry\"}", 1,
                 1e9);
    cr_expect_geq(metric(c.metrics, "hrss_store_retry_total"), 1);
    double applied = metric(c.metrics, "hrss_updates_applied_total");
    double queued = metric(a.metrics, "hrss_agent_queued");
    double acked = metric(a.metrics, "hrss_agent_last_acked_seq");
    cr_expect_eq(applied, N_FIGURES, "applied %g", applied);
    cr_expect_eq(queued, N_FIGURES, "queued %g", queued);
    cr_expect_eq(acked, N_FIGURES, "last acked %g", acked);

    cr_assert_eq(unlink(filler), 0);
    await_metric(a.metrics, "hrss_agent_queued", 0, 0);
    cr_expect_eq(metric(c.metrics, "hrss_updates_applied_total"),
                 2 * N_FIGURES);
    cr_expect_eq(metric(a.metrics, "hrss_agent_last_acked_seq"),
                 2 * N_FIGURES);
    cr_assert_eq(hx_stop(a.pid, SIGTERM, WAIT_MS), 0);
    cr_expect_eq(hx_collector_stop(&c, WAIT_MS), 0);
}
