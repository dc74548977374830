/* test_web.c: hrss-web's JSON API and its guards, with the real binary:
 * every route answers the bytes `hrssctl --json` prints for the same
 * store (read directly, and through a collector), as of a moment too,
 * bad requests are refused with a message (a bad as_of with hrssctl
 * --as-of's), answers are bounded, each request sees the store as it is
 * then, and the users file and TLS work as documented. (Server faults:
 * test_web_faults.c.)
 * (The pages themselves: test_dashboard.c, in Chromium.) */
#define _GNU_SOURCE /* POLLRDHUP */
#include <criterion/criterion.h>
#include <gnutls/gnutls.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/period.h"
#include "harness.h"
#include "web_harness.h"

TestSuite(web, .init = hx_setup, .fini = hx_teardown, .timeout = 180);

/* As the harness runs programs: a name in the build's bin directory. */
#define BIN "hrss-web"

static char db[300];

static update_t cnt(uint64_t seq, const char *ind, uint32_t region,
                    uint32_t yyyymm, int64_t v)
{
    update_t u = {seq, ind, region, yyyymm, {0, v, 0}};
    return u;
}

/* The moment fill_store()'s batch arrives (2025-11-25 00:00 +08:00),
 * and that of the revisions fill_revised() adds three days later. */
#define T1 1764000000LL
#define T2 (T1 + 3 * 86400)

/* Apply @p u (n of them) as agent "test-agent" to the store in db, as
 * received at @p at. */
static void store_put_at(const update_t *u, size_t n, int64_t at)
{
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(db, 1, &cat, &s);
    store_batch_t b = {"test-agent", -1, at, month_make(2026, 11), u, n,
                       NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s", err);
    store_result_fini(&r);
    store_close(&s);
    catalog_destroy(&cat);
}

static void store_put(const update_t *u, size_t n)
{
    store_put_at(u, n, T1);
}

static void fill_store(void)
{
    snprintf(db, sizeof db, "%s/db", hx_dir);
    update_t u[] = {
        cnt(1, "urban_new_jobs", 330102, 202501, 100),
        cnt(2, "urban_new_jobs", 330102, 202502, 200),
        cnt(3, "urban_new_jobs", 330100, 202501, 1000),
        cnt(4, "urban_new_jobs", 330203, 202503, 7),
        cnt(5, "pension_insured", 330102, 202501, 100),
        cnt(6, "professional_technical_talent", 330105, 202506, 10),
        cnt(7, "senior_title_talent", 330105, 202506, 12),
        cnt(8, "urban_new_jobs", 330102, 202501, 130), /* a revision */
        cnt(9, "urban_new_jobs", 330102, 203001, 1),   /* rejected */
    };
    store_put(u, sizeof u / sizeof u[0]);
}

/* fill_store(), then at T2 a revision and a new figure of 2025-01: an
 * answer as of 2025-11-26 differs from today's. */
static void fill_revised(void)
{
    fill_store();
    update_t u[] = {
        cnt(10, "urban_new_jobs", 330102, 202501, 160), /* revised */
        cnt(11, "urban_new_jobs", 330203, 202501, 9),   /* new */
    };
    store_put_at(u, sizeof u / sizeof u[0], T2);
}

static void web_start_local(web_t *w)
{
    const char *const more[] = {"--data-dir", db, "--catalog",
                                HRSS_TEST_CATALOG_DIR, NULL};
    web_start(w, more);
}

/* The route and the hrssctl command line (NULL-terminated) that must
 * print its body. */
typedef struct pair {
    const char *path;
    const char *ctl[10];
} pair_t;

/* A pair as of a moment. */
typedef struct asof_pair {
    pair_t q;
    const char *now;   /* the same question without as_of: another body */
    const char *as_of; /* the "as_of" member its body carries */
} asof_pair_t;

static const pair_t pairs[] = {
    {"/api/indicators", {"indicators", "--json"}},
    {"/api/regions?under=330100", {"regions", "--under", "330100", "--json"}},
    {"/api/total?indicator=urban_new_jobs&period=2025-Q1&region=330100",
     {"total", "urban_new_jobs", "--period", "2025-Q1", "--region", "330100",
      "--json"}},
    {"/api/total?indicator=%E5%9F%8E%E9%95%87%E6%96%B0%E5%A2%9E%E5%B0%B1%E4"
     "%B8%9A%E4%BA%BA%E6%95%B0&period=2025",
     {"total", "城镇新增就业人数", "--period", "2025", "--json"}},
    {"/api/breakdown?indicator=urban_new_jobs&period=2025",
     {"breakdown", "urban_new_jobs", "--period", "2025", "--json"}},
    {"/api/series?indicator=urban_new_jobs&from=2025-01&to=2025-06&by=month",
     {"series", "urban_new_jobs", "--from", "2025-01", "--to", "2025-06",
      "--by", "month", "--json"}},
    {"/api/progress?period=2025", {"progress", "--period", "2025", "--json"}},
    {"/api/progress?period=2025-06&region=330100",
     {"progress", "--period", "2025-06", "--region", "330100", "--json"}},
    {"/api/progress?period=2025-06&region=330100&approved=1",
     {"progress", "--period", "2025-06", "--region", "330100", "--approved",
      "--json"}},
    {"/api/completeness?period=2025-01",
     {"completeness", "--period", "2025-01", "--json"}},
    {"/api/history?indicator=urban_new_jobs&region=330102&period=2025-01",
     {"history", "urban_new_jobs", "--region", "330102", "--period",
      "2025-01", "--json"}},
    {"/api/rejections", {"rejections", "--json"}},
    {"/api/rejections?since=2020-01-01",
     {"rejections", "--since", "2020-01-01", "--json"}},
    {"/api/violations", {"violations", "--json"}},
    {"/api/agents", {"agents", "--json"}},
    {"/api/approvals?period=2025-01&region=330100",
     {"approvals", "--period", "2025-01", "--region", "330100", "--json"}},
    {"/api/followups?period=2025-01&region=330100",
     {"followups", "--period", "2025-01", "--region", "330100", "--json"}},
};

/* What `hrssctl --data-dir db ARGS` (@p args NULL-terminated) prints on
 * stdout, into @p out; it must succeed. (An as-of answer's line on
 * stderr is not part of it.) */
static void ctl_stdout(const char *const *args, char *out, size_t len)
{
    const char *argv[16] = {"hrssctl", "--data-dir", db, "--catalog",
                            HRSS_TEST_CATALOG_DIR};
    size_t n = 5;
    for (; *args != NULL && n < 15; args++) {
        argv[n++] = *args;
    }
    argv[n] = NULL;
    char path[300];
    snprintf(path, sizeof path, "%s/ctl.out", hx_dir);
    char err[4096];
    int rc = hx_run_to(argv, path, 30000, err, sizeof err);
    cr_assert_eq(rc, 0, "hrssctl %s: %s", argv[5], err);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    size_t got = fread(out, 1, len - 1, f);
    cr_assert(feof(f), "hrssctl %s: over %zu bytes", argv[5], len - 1);
    fclose(f);
    out[got] = '\0';
}

/* As of the end of 2025-11-26 (+08:00): between T1 and T2. */
#define ASOF_END "\"as_of\": \"2025-11-26T23:59:59+08:00\""

static const asof_pair_t asof_pairs[] = {
    {{"/api/total?indicator=urban_new_jobs&period=2025-01"
      "&as_of=2025-11-26",
      {"total", "urban_new_jobs", "--period", "2025-01", "--as-of",
       "2025-11-26", "--json"}},
      "/api/total?indicator=urban_new_jobs&period=2025-01", ASOF_END},
    /* ISO 8601 with its offset ('+' escaped in a query string). */
    {{"/api/breakdown?indicator=urban_new_jobs&period=2025-01&region=330100"
      "&as_of=2025-11-26T12:00:00%2B08:00",
      {"breakdown", "urban_new_jobs", "--period", "2025-01", "--region",
       "330100", "--as-of", "2025-11-26T12:00:00+08:00", "--json"}},
      "/api/breakdown?indicator=urban_new_jobs&period=2025-01&region=330100",
      "\"as_of\": \"2025-11-26T12:00:00+08:00\"}\n"},
    {{"/api/series?indicator=urban_new_jobs&from=2025-01&to=2025-03"
      "&as_of=1764172799",
      {"series", "urban_new_jobs", "--from", "2025-01", "--to", "2025-03",
       "--as-of", "1764172799", "--json"}},
      "/api/series?indicator=urban_new_jobs&from=2025-01&to=2025-03",
      ASOF_END "}"},
    {{"/api/progress?period=2025&as_of=2025-11-26",
      {"progress", "--period", "2025", "--as-of", "2025-11-26", "--json"}},
      "/api/progress?period=2025", ASOF_END "}\n"},
    {{"/api/completeness?period=2025-01&as_of=2025-11-26",
      {"completeness", "--period", "2025-01", "--as-of", "2025-11-26",
       "--json"}},
      "/api/completeness?period=2025-01", ASOF_END "}\n"},
};

/* Cut every `, "as_of": "..."` member out of JSON text @p s. */
static void strip_as_of(char *s)
{
    static const char key[] = ", \"as_of\": \"";
    char *m;
    while ((m = strstr(s, key)) != NULL) {
        char *end = strchr(m + sizeof key - 1, '"');
        cr_assert_not_null(end, "%s", s);
        memmove(m, end + 1, strlen(end + 1) + 1);
    }
}

/* The route's body equals hrssctl's --json output, status 200; as of a
 * moment, the body carries @p as_of and differs from that of @p now,
 * the same question today (both NULL: not an as-of pair). */
static void expect_pair(const web_t *w, const pair_t *p, const char *now,
                        const char *as_of)
{
    static char want[262144]; /* a month's completeness with timeliness */
    ctl_stdout(p->ctl, want, sizeof want);
    http_reply_t r;
    web_get(w, p->path, &r);
    cr_expect_eq(r.status, 200, "%s: %d %s", p->path, r.status, r.body);
    cr_expect_str_eq(r.body, want, "%s differs from hrssctl %s --json",
                     p->path, p->ctl[0]);
    cr_expect(strstr(r.head, "Content-Type: application/json") != NULL,
              "%s: %s", p->path, r.head);
    if (as_of != NULL) {
        cr_expect(strstr(r.body, as_of) != NULL, "%s: %s (wanted %s)",
                  p->path, r.body, as_of);
    }
    if (now != NULL) {
        /* The figures differ, not only the "as_of" member. */
        strip_as_of(r.body);
        http_reply_t today;
        web_get(w, now, &today);
        cr_expect_eq(today.status, 200, "%s: %d", now, today.status);
        cr_expect(strcmp(today.body, r.body) != 0 &&
                      strstr(today.body, "\"as_of\"") == NULL,
                  "%s: today's answer is the as-of one: %s", now,
                  today.body);
        http_reply_fini(&today);
    }
    http_reply_fini(&r);
}

/* Every pair, and the as-of ones. */
static void expect_pairs(const web_t *w)
{
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        expect_pair(w, &pairs[i], NULL, NULL);
    }
    for (size_t i = 0; i < sizeof asof_pairs / sizeof asof_pairs[0]; i++) {
        const asof_pair_t *a = &asof_pairs[i];
        expect_pair(w, &a->q, a->now, a->as_of);
    }
}

Test(web, api_answers_what_hrssctl_json_prints)
{
    fill_revised();
    web_t w;
    web_start_local(&w);
    expect_pairs(&w);
    web_stop(&w);
}

Test(web, api_through_a_collector_answers_the_same)
{
    fill_revised();
    hx_coll_t coll;
    char log[300];
    snprintf(log, sizeof log, "%s/collector.log", hx_dir);
    hx_collector_start(&coll, db, log);
    web_t w;
    /* hrss-web's own wait (--timeout) must end well before this test's
     * HTTP client gives up (HTTP_CLIENT_TIMEOUT_MS): with the default 10 s
     * against the client's 10 s, the client sometimes hung up first and
     * saw no reply at all instead of the 503. */
    const char *const more[] = {"--connect", coll.query, "--insecure",
                                "--timeout", "3", NULL};
    web_start(&w, more);
    expect_pairs(&w);
    /* A collector that stopped answering: 503 with a message, and the
     * server goes on. */
    cr_assert_eq(hx_collector_stop(&coll, 10000), 0);
    web_expect_refused(&w, "/api/agents", 503, "did not answer");
    web_stop(&w);
}

Test(web, api_refuses_what_it_does_not_serve)
{
    fill_store();
    web_t w;
    web_start_local(&w);
    web_expect_refused(&w, "/api/nope", 404, "no such API path");
    web_expect_refused(&w, "/api/backup?name=x", 404, "no such API path");
    web_expect_refused(&w, "/api/export", 404, "no such API path");
    web_expect_refused(&w, "/api/total?indicator=nope&period=2025", 400,
                       "unknown indicator 'nope'");
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs&period=2025-13",
                       400, "2025-13");
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs", 400,
                       "needs parameter 'period'");
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs&period=2025"
                           "&region=999999", 400, "999999");
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs&period=2025"
                           "&period=2024", 400, "given twice");
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs&period=", 400,
                       "has no value");
    web_expect_refused(&w, "/api/progress?approved=yes", 400,
                       "parameter 'approved' is 1 or 0, not 'yes'");
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs&period=2025"
                           "&approved=1", 400, "takes no parameter 'approved'");
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs&period", 400,
                       "has no value");
    web_expect_refused(&w, "/api/agents?x=1", 400, "takes no parameter 'x'");
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs%00x"
                           "&period=2025",
                       400, "NUL byte");
    web_expect_refused(&w, "/api/series?indicator=urban_new_jobs&from=2025-01"
                           "&to=2025-02&by=week", 400, "week");
    /* as_of: the message hrssctl --as-of gives; only where it means
     * something. */
    web_expect_refused(&w, "/api/total?indicator=urban_new_jobs&period=2025"
                           "&as_of=2025-11-03T10:00", 400,
                       "as_of: '2025-11-03T10:00' has a time of day but no "
                       "offset (add Z or +08:00)");
    web_expect_refused(&w, "/api/progress?as_of=2999-01-01", 400,
                       "as_of: '2999-01-01' is in the future");
    web_expect_refused(&w, "/api/completeness?period=2025-01&as_of=yesterday",
                       400, "as_of: 'yesterday' ");
    web_expect_refused(&w, "/api/agents?as_of=2025-11-26", 400,
                       "takes no parameter 'as_of'");
    web_expect_refused(&w, "/api/history?indicator=urban_new_jobs&region=330102"
                           "&period=2025-01&as_of=2025-11-26", 400,
                       "takes no parameter 'as_of'");
    char path[1024];
    char many[400];
    memset(many, 'a', sizeof many - 1);
    many[sizeof many - 1] = '\0';
    snprintf(path, sizeof path, "/api/total?indicator=%s&period=2025", many);
    web_expect_refused(&w, path, 400, "longer than 256 bytes");
    web_expect_refused(&w, "/api/agents?a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8"
                           "&i=9", 400,
                       "too many parameters");
    /* Files: only what is built in; no way out of it. */
    http_reply_t r;
    web_get(&w, "/nope.html", &r);
    cr_expect_eq(r.status, 404);
    http_reply_fini(&r);
    web_get(&w, "/../CMakeLists.txt", &r);
    cr_expect_eq(r.status, 404);
    http_reply_fini(&r);
    web_get(&w, "/%2e%2e/%2e%2e/etc/passwd", &r);
    cr_expect_eq(r.status, 404);
    http_reply_fini(&r);
    /* Read-only: no other method. */
    http_request("127.0.0.1", w.port, "POST", "/api/agents", &r);
    cr_expect_eq(r.status, 405);
    cr_expect(strstr(r.head, "Allow: GET, HEAD") != NULL, "%s", r.head);
    http_reply_fini(&r);
    http_request("127.0.0.1", w.port, "DELETE", "/index.html", &r);
    cr_expect_eq(r.status, 405);
    http_reply_fini(&r);
    /* And the server is still there. */
    web_get(&w, "/api/indicators", &r);
    cr_expect_eq(r.status, 200);
    http_reply_fini(&r);
    web_stop(&w);
}

Test(web, pages_are_served_with_a_strict_policy)
{
    fill_store();
    web_t w;
    web_start_local(&w);
    http_reply_t r;
    web_get(&w, "/", &r);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.head, "Content-Type: text/html; charset=utf-8") !=
              NULL, "%s", r.head);
    cr_expect(strstr(r.head, "Content-Security-Policy: default-src 'self'") !=
              NULL, "%s", r.head);
    cr_expect(strstr(r.head, "X-Content-Type-Options: nosniff") != NULL);
    /* Nothing a page loads comes from elsewhere. */
    cr_expect(strstr(r.body, "http://") == NULL &&
                  strstr(r.body, "https://") == NULL &&
                  strstr(r.body, "<script>") == NULL,
              "%s", r.body);
    http_reply_fini(&r);
    web_get(&w, "/vendor/echarts/echarts.min.js", &r);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.head, "text/javascript") != NULL, "%s", r.head);
    cr_expect_gt(r.body_len, 500000);
    http_reply_fini(&r);
    web_get(&w, "/zhejiang-cities.geojson", &r);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.body, "\"330100\"") != NULL);
    http_reply_fini(&r);
    web_stop(&w);
}

/* A connection from @p src to hrss-web that sends half a request and
 * waits. */
static int half_request(const web_t *w, const char *src)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in me = {.sin_family = AF_INET};
    inet_pton(AF_INET, src, &me.sin_addr);
    cr_assert_eq(bind(fd, (struct sockaddr *)&me, sizeof me), 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)w->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    static const char part[] = "GET /api/agents HTTP/1.1\r\nHost: x\r\n";
    cr_assert_eq(write(fd, part, sizeof part - 1), (ssize_t)sizeof part - 1);
    return fd;
}

Test(web, one_client_cannot_take_every_connection)
{
    fill_store();
    web_t w;
    web_start_local(&w);
    /* 20 stalled requests from 127.0.0.2: more than the server takes at
     * all (16), but it takes only 8 from one address. */
    int fds[20];
    for (int i = 0; i < 20; i++) {
        fds[i] = half_request(&w, "127.0.0.2");
    }
    http_reply_t r;
    web_get(&w, "/api/agents", &r);
    cr_expect_eq(r.status, 200, "%d %s", r.status, r.body);
    http_reply_fini(&r);
    /* Answered while 8 of them still hold their connection (so not
     * after the server timed them out); the other 12 were closed. */
    int open = 0;
    for (int i = 0; i < 20; i++) {
        struct pollfd p = {.fd = fds[i], .events = POLLIN | POLLRDHUP};
        open += poll(&p, 1, 0) == 0;
        close(fds[i]);
    }
    cr_expect_eq(open, 8, "%d of the 20 stalled connections still open",
                 open);
    web_stop(&w);
}

Test(web, answers_are_bounded)
{
    fill_store();
    web_t w;
    const char *const more[] = {"--data-dir", db, "--catalog",
                                HRSS_TEST_CATALOG_DIR,
                                "--max-answer-kib", "4", NULL};
    web_start(&w, more);
    http_reply_t r;
    web_get(&w, "/api/total?indicator=urban_new_jobs&period=2025", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    http_reply_fini(&r);
    /* indicators is about 8 KiB: refused, whole, with a message. */
    web_expect_refused(&w, "/api/indicators", 413, "over 4096 bytes");
    web_expect_refused(&w, "/api/completeness?period=2025-01", 413,
                       "ask for less");
    web_stop(&w);
}

Test(web, each_request_sees_the_store_as_it_is_then)
{
    fill_store();
    web_t w;
    web_start_local(&w);
    const char *path = "/api/total?indicator=urban_new_jobs&period=2025-04";
    http_reply_t r;
    web_get(&w, path, &r);
    cr_expect(strstr(r.body, "\"value\": null") != NULL, "%s", r.body);
    http_reply_fini(&r);
    /* Written while hrss-web runs (as the collector would). */
    update_t u[] = {cnt(10, "urban_new_jobs", 330102, 202504, 42)};
    store_put(u, 1);
    web_get(&w, path, &r);
    cr_expect(strstr(r.body, "\"value\": 42") != NULL, "%s", r.body);
    http_reply_fini(&r);
    web_stop(&w);
}

/* The users file "alice:HASH" of password "s3cret pass", mode @p mode. */
static void write_users(const char *path, mode_t mode)
{
    char pw[300];
    snprintf(pw, sizeof pw, "%s/password", hx_dir);
    hx_write(pw, "s3cret pass\n", 12);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "%s/hrss-web --hash-password < %s",
             HRSS_BIN_DIR, pw);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    static char hash[512];
    cr_assert_not_null(fgets(hash, sizeof hash, p));
    cr_assert_eq(pclose(p), 0);
    cr_assert(strncmp(hash, "$argon2id$", 10) == 0, "%s", hash);
    char text[700];
    int n = snprintf(text, sizeof text, "# dashboard users\nalice:%s", hash);
    hx_write(path, text, (size_t)n);
    cr_assert_eq(chmod(path, mode), 0);
}

/* GET @p path with "Authorization: Basic @p b64" (NULL: none). */
static int get_auth(const web_t *w, const char *path, const char *b64,
                    char *head, size_t hlen)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)w->port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    char req[512];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     "%s%s%s\r\n",
                     path, b64 ? "Authorization: Basic " : "",
                     b64 ? b64 : "", b64 ? "\r\n" : "");
    cr_assert_eq(write(fd, req, (size_t)n), n);
    size_t got = 0;
    ssize_t k;
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (got < hlen - 1 && poll(&p, 1, 10000) == 1 &&
           (k = read(fd, head + got, hlen - 1 - got)) > 0) {
        got += (size_t)k;
    }
    head[got] = '\0';
    close(fd);
    int status = -1;
    sscanf(head, "HTTP/1.%*d %d", &status);
    return status;
}

Test(web, users_file_asks_for_a_password)
{
    fill_store();
    char users[300];
    snprintf(users, sizeof users, "%s/users", hx_dir);
    write_users(users, 0644);
    /* World-readable hashes: refused, saying why. */
    char out[2048];
    const char *argv[] = {BIN, "--data-dir", db, "--users", users,
                          "--listen", "127.0.0.1:0", NULL};
    cr_expect_eq(hx_run(argv, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "readable by every user") != NULL, "%s", out);
    cr_assert_eq(chmod(users, 0600), 0);
    web_t w;
    const char *const more[] = {"--data-dir", db, "--catalog",
                                HRSS_TEST_CATALOG_DIR, "--users", users,
                                NULL};
    web_start(&w, more);
    static char head[65536];
    cr_expect_eq(get_auth(&w, "/api/agents", NULL, head, sizeof head), 401);
    cr_expect(strstr(head, "WWW-Authenticate: Basic realm=\"hrss\"") != NULL,
              "%s", head);
    cr_expect(strstr(head, "test-agent") == NULL, "%s", head);
    /* alice:wrong, bob:s3cret pass, then alice:s3cret pass (twice: the
     * second from the remembered pair). */
    cr_expect_eq(get_auth(&w, "/", "YWxpY2U6d3Jvbmc=", head, sizeof head),
                 401);
    cr_expect_eq(get_auth(&w, "/", "Ym9iOnMzY3JldCBwYXNz", head, sizeof head),
                 401);
    for (int i = 0; i < 2; i++) {
        cr_expect_eq(get_auth(&w, "/api/agents", "YWxpY2U6czNjcmV0IHBhc3M=",
                              head, sizeof head),
                     200, "%s", head);
        cr_expect(strstr(head, "test-agent") != NULL, "%s", head);
    }
    /* A remembered password is that one only. */
    cr_expect_eq(get_auth(&w, "/", "YWxpY2U6d3Jvbmc=", head, sizeof head),
                 401);
    web_stop(&w);
    /* A line that does not parse names the file and the line. */
    hx_write(users, "# users\nalice:$argon2id$x\nbob\n", 29);
    const char *argv2[] = {BIN, "--data-dir", db, "--users", users, NULL};
    cr_expect_eq(hx_run(argv2, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, ":3: not NAME:HASH") != NULL, "%s", out);
}

/* Wrong passwords one after another, as fast as the server answers:
 * beyond its budget of argon2id checks it answers 429 at once, with
 * Retry-After, and a signed-in user is still served (web_users.h
 * INVARIANT 3). Before, every wrong password held the server's one
 * thread for a full check, however many came. */
Test(web, wrong_passwords_cannot_hold_the_server)
{
    fill_store();
    char users[300];
    snprintf(users, sizeof users, "%s/users", hx_dir);
    write_users(users, 0600);
    web_t w;
    const char *const more[] = {"--data-dir", db, "--catalog",
                                HRSS_TEST_CATALOG_DIR, "--users", users,
                                NULL};
    web_start(&w, more);
    static char head[65536];
    cr_assert_eq(get_auth(&w, "/api/agents", "YWxpY2U6czNjcmV0IHBhc3M=", head,
                          sizeof head),
                 200, "%s", head);
    int st = 401;
    int tries = 0;
    int64_t until = hx_now_ms() + 60000;
    while (st == 401 && tries < 2000 && hx_now_ms() < until) {
        st = get_auth(&w, "/api/agents", "YWxpY2U6d3Jvbmc=", head,
                      sizeof head);
        tries++;
    }
    cr_expect_eq(st, 429, "after %d wrong passwords: %d %s", tries, st, head);
    cr_expect(strstr(head, "Retry-After: 2") != NULL, "%s", head);
    cr_expect(strstr(head, "too many sign-in attempts") != NULL, "%s", head);
    /* The signed-in user is served all the while. */
    cr_expect_eq(get_auth(&w, "/api/agents", "YWxpY2U6czNjcmV0IHBhc3M=", head,
                          sizeof head),
                 200, "%s", head);
    web_stop(&w);
}

Test(web, usage_errors_say_what_is_wrong)
{
    static char out[8192];
    const char *missing[] = {BIN, "--data-dir", NULL};
    cr_expect_eq(hx_run(missing, 30000, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "missing value for '--data-dir'") != NULL, "%s",
              out);
    const char *unknown[] = {BIN, "--data-dir", "x", "--bogus", NULL};
    cr_expect_eq(hx_run(unknown, 30000, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "unknown option '--bogus'") != NULL, "%s", out);
    const char *both[] = {BIN, "--data-dir", "x", "--connect",
                          "tcp://127.0.0.1:1", "--insecure", NULL};
    cr_expect_eq(hx_run(both, 30000, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "either --data-dir DIR or --connect") != NULL,
              "%s", out);
    const char *none[] = {BIN, "--data-dir", "/nonexistent/x", "--listen",
                          "127.0.0.1:0", NULL};
    cr_expect_eq(hx_run(none, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "no store at /nonexistent/x") != NULL, "%s", out);
    /* --help: every option, within 80 columns. */
    const char *help[] = {BIN, "--help", NULL};
    cr_expect_eq(hx_run(help, 30000, out, sizeof out), 0, "%s", out);
    static const char *const opts[] = {
        "--data-dir", "--catalog", "--connect", "--key", "--collector-key",
        "--insecure", "--timeout", "--listen", "--tls-cert", "--tls-key",
        "--users", "--tz-offset-hours", "--max-answer-kib",
        "--hash-password"};
    for (size_t i = 0; i < sizeof opts / sizeof opts[0]; i++) {
        cr_expect(strstr(out, opts[i]) != NULL, "--help lacks %s", opts[i]);
    }
    for (const char *l = out; *l != '\0';) {
        size_t n = strcspn(l, "\n");
        cr_expect_leq(n, 80, "--help line over 80 columns: %.*s", (int)n, l);
        l += n + (l[n] == '\n');
    }
}

/* One GET over TLS to @p port; the status, or -1. */
static int tls_get(int port, const char *path, char *buf, size_t len)
{
    gnutls_session_t s;
    gnutls_certificate_credentials_t cred;
    cr_assert_eq(gnutls_certificate_allocate_credentials(&cred), 0);
    cr_assert_eq(gnutls_certificate_set_x509_trust_file(
                     cred, HRSS_TEST_FIXTURES_DIR "/tls/cert.pem",
                     GNUTLS_X509_FMT_PEM),
                 1);
    cr_assert_eq(gnutls_init(&s, GNUTLS_CLIENT), 0);
    gnutls_set_default_priority(s);
    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
    gnutls_session_set_verify_cert(s, "localhost", 0);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    gnutls_transport_set_int(s, fd);
    gnutls_handshake_set_timeout(s, 10000);
    int rc;
    do {
        rc = gnutls_handshake(s);
    } while (rc < 0 && gnutls_error_is_fatal(rc) == 0);
    cr_assert_eq(rc, 0, "TLS handshake: %s", gnutls_strerror(rc));
    char req[256];
    int n = snprintf(req, sizeof req,
                     "GET %s HTTP/1.1\r\nHost: localhost\r\n"
                     "Connection: close\r\n\r\n", path);
    cr_assert_eq(gnutls_record_send(s, req, (size_t)n), n);
    size_t got = 0;
    ssize_t k;
    while (got < len - 1 &&
           (k = gnutls_record_recv(s, buf + got, len - 1 - got)) > 0) {
        got += (size_t)k;
    }
    buf[got] = '\0';
    gnutls_bye(s, GNUTLS_SHUT_RDWR);
    close(fd);
    gnutls_deinit(s);
    gnutls_certificate_free_credentials(cred);
    int status = -1;
    sscanf(buf, "HTTP/1.%*d %d", &status);
    return status;
}

Test(web, tls_serves_https_only)
{
    fill_store();
    web_t w;
    const char *const more[] = {
        "--data-dir", db, "--catalog", HRSS_TEST_CATALOG_DIR,
        "--tls-cert", HRSS_TEST_FIXTURES_DIR "/tls/cert.pem",
        "--tls-key", HRSS_TEST_FIXTURES_DIR "/tls/key.pem", NULL};
    web_start(&w, more);
    cr_expect(strncmp(w.url, "https://127.0.0.1:", 18) == 0, "%s", w.url);
    static char buf[65536];
    cr_expect_eq(tls_get(w.port, "/api/agents", buf, sizeof buf), 200, "%s",
                 buf);
    cr_expect(strstr(buf, "test-agent") != NULL, "%s", buf);
    /* Plain HTTP to it gets no answer. */
    http_reply_t r;
    web_get(&w, "/api/agents", &r);
    cr_expect_neq(r.status, 200);
    http_reply_fini(&r);
    web_stop(&w);
    /* Half a pair, or a key that is not one: refused at start. */
    char out[2048];
    const char *argv[] = {BIN, "--data-dir", db, "--tls-cert",
                          HRSS_TEST_FIXTURES_DIR "/tls/cert.pem",
                          NULL};
    cr_expect_eq(hx_run(argv, 30000, out, sizeof out), 64, "%s", out);
    cr_expect(strstr(out, "--tls-key") != NULL, "%s", out);
    const char *argv2[] = {BIN, "--data-dir", db, "--listen", "127.0.0.1:0",
                           "--tls-cert",
                           HRSS_TEST_FIXTURES_DIR "/tls/cert.pem",
                           "--tls-key",
                           HRSS_TEST_FIXTURES_DIR "/tls/cert.pem",
                           NULL};
    cr_expect_eq(hx_run(argv2, 30000, out, sizeof out), 1, "%s", out);
    cr_expect(strstr(out, "cannot serve HTTPS") != NULL, "%s", out);
}
