/* test_dashboard.c: hrss-web's dashboard in headless Chromium, on a store
 * the size of the demo's, checked against hrssctl on the same store.
 *
 * The store holds hrss-demo-gen's figures (every city and county, 19
 * indicators, 2021-01..2025-12), applied here directly with store_apply,
 * one batch per office as its agent would send them: the same figures
 * `make demo` feeds through agents, in seconds instead of minutes.
 *
 * hrss-web is started on a port the kernel picks and its URL read from
 * its first line of stdout (WEB-SPEC.md). The browser is driven over the
 * DevTools protocol (tests/browser/cdp.c): every page of the spec is
 * loaded, waited for (body[data-ready] = the page's name), saved as
 * SCREENSHOT_DIR/<page>.png, and must have logged no error and thrown no
 * exception. The overview's 19 values and the map's 11 city values (its
 * table and its chart's data) must equal hrssctl --json for the same
 * period, and a real mouse click on 杭州市 in the map must open its region
 * page, whose 19 values equal hrssctl progress --region. Every navigation
 * must pass body[data-ready] through '' (what the waits rely on); a page
 * whose API call fails must say "error" and show the API's message. The
 * API's errors and headers are checked over a plain socket.
 *
 * Without Chromium the test fails and names the package to install: a
 * skipped browser test would pass unnoticed. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdp.h"
#include "common/period.h"
#include "harness.h"
#include "http_client.h"

static void teardown(void);

TestSuite(dashboard, .init = hx_setup, .fini = teardown, .timeout = 300);

/* Bounds, not expected durations: hrss-web runs under ASan, and the
 * machine may be busy with other tests. */
#define WEB_START_MS 30000
#define BROWSER_MS 60000
#define PAGE_MS 30000
#define CALL_MS 30000

#define N_INDICATORS 19
#define N_CITIES 11

typedef struct env {
    char db[300];
    char url[128]; /* http://127.0.0.1:PORT/ */
    pid_t web;
    cdp_t *cdp;
} env_t;

/* The test's one environment: a static so that teardown() closes the
 * browser also when an assertion ended the test early (each test runs in
 * its own process). */
static env_t env;

static void teardown(void)
{
    cdp_destroy(&env.cdp);
    hx_teardown();
}

/* ---------------------------------------------------------------------- */
/* the store                                                               */

/* "YYYY-MM" -> YYYYMM, or 0. */
static uint32_t yyyymm(const char *s)
{
    char *end = NULL;
    unsigned long y = strtoul(s, &end, 10);
    if (end != s + 4 || *end != '-') {
        return 0;
    }
    const char *m0 = end + 1;
    unsigned long m = strtoul(m0, &end, 10);
    if (end != m0 + 2 || *end != '\0' || m < 1 || m > 12) {
        return 0;
    }
    return (uint32_t)(y * 100 + m);
}

static int64_t whole(const char *s, const char *line)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    cr_assert(end != s && *end == '\0' && errno == 0, "bad number '%s' in %s",
              s, line);
    return (int64_t)v;
}

/* Read the text file @p path whole (caller frees). */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "%s: %s", path, strerror(errno));
    cr_assert_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    cr_assert(n >= 0);
    rewind(f);
    char *text = malloc((size_t)n + 1);
    cr_assert_not_null(text);
    cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    text[n] = '\0';
    *len = (size_t)n;
    return text;
}

/* One office's CSV (hrss-demo-gen's columns) as one batch from its own
 * reporter. */
static void apply_csv(store_t *s, const char *path, uint32_t region,
                      size_t *applied)
{
    size_t len = 0;
    char *text = slurp(path, &len);
    size_t cap = 1;
    for (size_t i = 0; i < len; i++) {
        cap += text[i] == '\n';
    }
    update_t *u = calloc(cap, sizeof *u);
    cr_assert_not_null(u);
    size_t n = 0;
    char *line = text;
    int header = 1;
    while (line != NULL && *line != '\0') {
        char *next = strchr(line, '\n');
        if (next != NULL) {
            *next++ = '\0';
        }
        if (header) {
            cr_assert_str_eq(line, "indicator,period,value,numerator,"
                                   "denominator", "%s", path);
            header = 0;
            line = next;
            continue;
        }
        char *f[5];
        char *p = line;
        for (int k = 0; k < 5; k++) {
            f[k] = p;
            p = strchr(p, ',');
            cr_assert(k == 4 ? p == NULL : p != NULL, "%s: '%s'", path,
                      line);
            if (p != NULL) {
                *p++ = '\0';
            }
        }
        cr_assert_lt(n, cap);
        update_t *x = &u[n];
        x->seq = n + 1;
        x->indicator = f[0];
        x->region = region;
        x->yyyymm = yyyymm(f[1]);
        cr_assert_neq(x->yyyymm, 0, "%s: period '%s'", path, f[1]);
        if (f[2][0] != '\0') {
            x->value = (value_t){0, whole(f[2], path), 0};
        } else {
            x->value = (value_t){1, whole(f[3], path), whole(f[4], path)};
        }
        n++;
        line = next;
    }
    char reporter[32];
    snprintf(reporter, sizeof reporter, "agent-%u", region);
    store_batch_t b = {reporter, -1, 1767225600, month_make(2026, 1),
                       u, n, NULL};
    store_result_t r;
    char err[ERR_LEN];
    cr_assert_eq(store_apply(s, &b, 1, &r, err), ERR_OK, "%s: %s", path,
                 err);
    cr_assert_eq(r.rejected, 0, "%s: %zu rejected", path, r.rejected);
    store_result_fini(&r);
    *applied += n;
    free(u);
    free(text);
}

/* The demo's figures for every office, into a new store at e->db. */
static void demo_store(env_t *e)
{
    int64_t t0 = hx_now_ms();
    char csv[300];
    snprintf(csv, sizeof csv, "%s/csv", hx_dir);
    char out[4096];
    const char *gen[] = {"hrss-demo-gen", "--catalog", HRSS_TEST_CATALOG_DIR,
                         "--out", csv, NULL};
    cr_assert_eq(hx_run(gen, 120000, out, sizeof out), 0, "%s", out);
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(e->db, 1, &cat, &s);
    DIR *d = opendir(csv);
    cr_assert_not_null(d, "%s", csv);
    struct dirent *de;
    size_t files = 0;
    size_t applied = 0;
    while ((de = readdir(d)) != NULL) {
        char *end = NULL;
        unsigned long code = strtoul(de->d_name, &end, 10);
        if (end == de->d_name || strcmp(end, ".csv") != 0) {
            continue;
        }
        char path[600];
        snprintf(path, sizeof path, "%s/%s", csv, de->d_name);
        apply_csv(s, path, (uint32_t)code, &applied);
        files++;
    }
    closedir(d);
    store_close(&s);
    /* An office for every region but the province, 19 indicators, the
     * months of 2021..2025 its region exists: 11 cities and 92 counties,
     * of which 下城区 and 江干区 3 months (to 2021-03), 临平区 and 钱塘区
     * 57 (from 2021-04), the others 60. */
    size_t offices = 0;
    size_t months = 0;
    for (size_t i = 0; i < catalog_region_count(cat); i++) {
        if ((int)i == catalog_region_root(cat)) {
            continue;
        }
        size_t n = 0;
        for (int32_t m = month_make(2021, 1); m <= month_make(2025, 12);
             m++) {
            n += (size_t)catalog_region_valid(cat, (int)i, m);
        }
        offices += n > 0;
        months += n;
    }
    catalog_destroy(&cat);
    cr_assert_eq(offices, 11 + 92);
    cr_assert_eq(months, 99u * 60 + 2 * 3 + 2 * 57);
    cr_assert_eq(files, offices, "offices: %zu", files);
    cr_assert_eq(applied, months * N_INDICATORS, "figures: %zu", applied);
    cr_log_info("demo store: %zu figures in %lld ms", applied,
                (long long)(hx_now_ms() - t0));
}

/* ---------------------------------------------------------------------- */
/* hrss-web                                                                */

/* Its one line on stdout, before the deadline. */
static void read_url(env_t *e, int fd, const char *log)
{
    int64_t deadline = hx_now_ms() + WEB_START_MS;
    size_t len = 0;
    for (;;) {
        cr_assert_lt(len, sizeof e->url - 1, "hrss-web's line is too long");
        int64_t left = deadline - hx_now_ms();
        cr_assert_gt(left, 0,
                     "hrss-web printed no URL within %d ms (so far '%.*s'); "
                     "see %s",
                     WEB_START_MS, (int)len, e->url, log);
        struct pollfd p = {fd, POLLIN, 0};
        int r = poll(&p, 1, (int)left);
        if (r <= 0) {
            continue;
        }
        ssize_t n = read(fd, e->url + len, 1);
        cr_assert_gt(n, 0,
                     "hrss-web closed its stdout before printing a URL "
                     "(exit %d); see %s",
                     hx_wait_exit(e->web, 1000), log);
        if (e->url[len] == '\n') {
            e->url[len] = '\0';
            break;
        }
        len++;
    }
    cr_assert(strncmp(e->url, "http://127.0.0.1:", 17) == 0 &&
                  e->url[strlen(e->url) - 1] == '/',
              "hrss-web's line is not its URL: '%s'", e->url);
}

static void web_start(env_t *e)
{
    char log[300];
    snprintf(log, sizeof log, "%s/hrss-web.log", hx_dir);
    const char *argv[] = {"hrss-web", "--data-dir", e->db, "--listen",
                          "127.0.0.1:0", NULL};
    int fd = -1;
    e->web = hx_spawn_pipe(log, argv, &fd);
    read_url(e, fd, log);
    close(fd);
}

/* ---------------------------------------------------------------------- */
/* the browser                                                             */

/* A font with Chinese glyphs, or the screenshots show boxes. */
static void need_cjk_font(void)
{
    FILE *f = popen("fc-list :lang=zh family 2>/dev/null", "r");
    cr_assert_not_null(f, "popen fc-list: %s", strerror(errno));
    char line[256];
    int fonts = 0;
    while (fgets(line, sizeof line, f) != NULL) {
        fonts++;
    }
    pclose(f);
    cr_assert_gt(fonts, 0,
                 "no font with Chinese glyphs (fc-list :lang=zh): install "
                 "Debian's package fonts-noto-cjk");
}

static void browser_start(env_t *e)
{
    char err[ERR_LEN];
    int rc = cdp_open(&e->cdp, hx_dir, BROWSER_MS, err);
    cr_assert_eq(rc, ERR_OK, "headless Chromium: %s", err);
}

/* A JS expression's value; the test fails when it throws. Caller frees. */
static char *js(env_t *e, const char *expr)
{
    char err[ERR_LEN];
    char *v = NULL;
    int rc = cdp_eval(e->cdp, expr, &v, CALL_MS, err);
    cr_assert_eq(rc, ERR_OK, "%s\nin: %s\nbrowser errors:\n%s", err, expr,
                 cdp_errors(e->cdp));
    return v;
}

static void screenshot(env_t *e, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s.png", HRSS_SCREENSHOT_DIR, name);
    char err[ERR_LEN];
    cr_assert_eq(cdp_screenshot(e->cdp, path, CALL_MS, err), ERR_OK, "%s",
                 err);
}

/* Wait until the app says page @p name is done (or failed), with
 * location.hash satisfying @p hash_ok (a JS expression on h). */
static void await_page(env_t *e, const char *name, const char *hash_ok)
{
    char cond[1024];
    snprintf(cond, sizeof cond,
             "(function(){var r=document.body.dataset.ready,"
             "h=location.hash;return (%s)&&(r==='%s'||r==='error');})()",
             hash_ok, name);
    char err[ERR_LEN];
    int64_t t0 = hx_now_ms();
    int rc = cdp_wait(e->cdp, cond, PAGE_MS, err);
    char *state = js(e, "JSON.stringify({hash: location.hash, ready: "
                        "document.body.dataset.ready, error: "
                        "(document.querySelector('.error')||{}).textContent"
                        "})");
    cr_assert_eq(rc, ERR_OK, "page %s: %s\nstate: %s\nbrowser errors:\n%s",
                 name, err, state, cdp_errors(e->cdp));
    char *ready = NULL;
    cr_assert_eq(cdp_json_get(state, "ready", &ready, NULL), ERR_OK);
    cr_assert_str_eq(ready, name, "page %s failed: %s\nbrowser errors:\n%s",
                     name, state, cdp_errors(e->cdp));
    free(ready);
    free(state);
    cr_log_info("page %s ready in %lld ms", name,
                (long long)(hx_now_ms() - t0));
}

/* Go to @p hash and wait for the page to give up (ready "error"). */
static void route_error(env_t *e, const char *hash, const char *name)
{
    char expr[512];
    snprintf(expr, sizeof expr, "location.hash = '%s'; 'ok'", hash);
    free(js(e, expr));
    char cond[1024];
    snprintf(cond, sizeof cond,
             "location.hash==='%s'&&document.body.dataset.ready==='error'",
             hash);
    char err[ERR_LEN];
    int rc = cdp_wait(e->cdp, cond, PAGE_MS, err);
    char *ready = js(e, "document.body.dataset.ready");
    cr_assert_eq(rc, ERR_OK, "page %s: %s (ready '%s')\nbrowser errors:\n%s",
                 name, err, ready, cdp_errors(e->cdp));
    free(ready);
}

/* Screenshot the page, then no error may have been logged while it
 * loaded. */
static void page_done(env_t *e, const char *name)
{
    screenshot(e, name);
    cr_expect_eq(cdp_error_count(e->cdp), 0,
                 "page %s: errors in the browser:\n%s", name,
                 cdp_errors(e->cdp));
    cdp_clear_errors(e->cdp);
}

/* Record the values body[data-ready] has had from now on: a mutation
 * record keeps the value before each change (the callback runs later, so
 * reading the attribute there would miss a '' set and replaced in the
 * same task). */
static void watch_ready(env_t *e)
{
    free(js(e, "if(!window.hxReady){window.hxReady=[];"
               "new MutationObserver(function(ms){ms.forEach(function(m){"
               "window.hxReady.push(m.oldValue);});}).observe(document.body,"
               "{attributes:true,attributeOldValue:true,"
               "attributeFilter:['data-ready']});}"
               "window.hxReady.length=0;'ok'"));
}

/* The spec: ready is '' from the start of a navigation, so that a test
 * never takes the previous page's ready for the new one's. */
static void ready_was_cleared(env_t *e, const char *name)
{
    char *seen = js(e, "JSON.stringify(window.hxReady)");
    cr_expect(strstr(seen, "\"\"") != NULL,
              "page %s: body[data-ready] was never '' on the way (values "
              "before each change: %s)",
              name, seen);
    free(seen);
}

/* Go to route @p hash of the app (already loaded) and wait for it. */
static void route(env_t *e, const char *hash, const char *name)
{
    watch_ready(e);
    char expr[512];
    snprintf(expr, sizeof expr, "location.hash = '%s'; 'ok'", hash);
    free(js(e, expr));
    char ok[512];
    snprintf(ok, sizeof ok, "h==='%s'", hash);
    await_page(e, name, ok);
    ready_was_cleared(e, name);
}

/* #page's data-NAME, "" when absent. Caller frees. */
static char *page_data(env_t *e, const char *name)
{
    char expr[256];
    snprintf(expr, sizeof expr,
             "document.getElementById('page').getAttribute('data-%s')||''",
             name);
    return js(e, expr);
}

/* ---------------------------------------------------------------------- */
/* comparing with hrssctl                                                  */

/* hrssctl --data-dir on the test's store; its output (static buffer). */
static const char *ctl(env_t *e, const char *a1, const char *a2,
                       const char *a3, const char *a4, const char *a5,
                       const char *a6)
{
    static char out[1 << 20];
    int st = hx_ctl(NULL, e->db, NULL, 1, out, sizeof out, a1, a2, a3, a4,
                    a5, a6, NULL);
    cr_assert_eq(st, 0, "hrssctl %s: %s", a1, out);
    return out;
}

/* The JSON value at @p path in @p json, or NULL when absent; null gives
 * "" (the dashboard's data-value for no report). */
static char *jval(const char *json, const char *path)
{
    char *v = NULL;
    char t = 0;
    if (cdp_json_get(json, path, &v, &t) != ERR_OK) {
        return NULL;
    }
    if (t == 'z') {
        v[0] = '\0';
    }
    return v;
}

/* The [code, value] pairs the page gave (JSON array of pairs; a value
 * null when the element has no data-value) against hrssctl's array at
 * @p list of objects with @p key and "value": the same codes, each value
 * the same JSON number text (or both null/""). @return how many pairs. */
static int same_values(const char *what, const char *page, const char *ref,
                       const char *list, const char *key)
{
    int n = 0;
    for (;; n++) {
        char path[128];
        snprintf(path, sizeof path, "%d.0", n);
        char *code = jval(page, path);
        if (code == NULL) {
            break;
        }
        char *v = NULL;
        char t = 0;
        snprintf(path, sizeof path, "%d.1", n);
        cr_assert_eq(cdp_json_get(page, path, &v, &t), ERR_OK);
        cr_expect_neq(t, 'z', "%s: %s has no data-value", what, code);
        int found = 0;
        for (int i = 0;; i++) {
            snprintf(path, sizeof path, "%s.%d.%s", list, i, key);
            char *rc = jval(ref, path);
            if (rc == NULL) {
                break;
            }
            if (strcmp(rc, code) == 0) {
                snprintf(path, sizeof path, "%s.%d.value", list, i);
                char *rv = jval(ref, path);
                cr_assert_not_null(rv, "%s: no value for %s", what, code);
                cr_expect_str_eq(v, rv, "%s: %s is '%s' on the page, '%s' "
                                        "in hrssctl --json",
                                 what, code, v, rv);
                free(rv);
                found = 1;
            }
            free(rc);
            if (found) {
                break;
            }
        }
        cr_expect(found, "%s: %s is not in hrssctl's answer", what, code);
        free(v);
        free(code);
    }
    /* And the other way: every code of hrssctl's answer on the page. */
    for (int i = 0;; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s.%d.%s", list, i, key);
        char *rc = jval(ref, path);
        if (rc == NULL) {
            break;
        }
        int found = 0;
        for (int k = 0; k < n && !found; k++) {
            snprintf(path, sizeof path, "%d.0", k);
            char *code = jval(page, path);
            found = code != NULL && strcmp(code, rc) == 0;
            free(code);
        }
        cr_expect(found, "%s: hrssctl's %s is not on the page", what, rc);
        free(rc);
    }
    return n;
}

/* Numbers equal as doubles: for the chart's data, which ECharts holds as
 * JS numbers (null when missing). */
static int same_number(const char *a, const char *b)
{
    if (a[0] == '\0' || b[0] == '\0') {
        return a[0] == '\0' && b[0] == '\0';
    }
    char *ea = NULL;
    char *eb = NULL;
    double x = strtod(a, &ea);
    double y = strtod(b, &eb);
    return *ea == '\0' && *eb == '\0' && x == y;
}

/* ---------------------------------------------------------------------- */
/* the pages                                                               */

static const char overview_js[] =
    "JSON.stringify(Array.from(document.querySelectorAll("
    "'#page [data-indicator]')).map(function(e){"
    "var v=e.querySelector('.value');"
    "return [e.getAttribute('data-indicator'),"
    "v&&v.hasAttribute('data-value')?v.getAttribute('data-value'):null];"
    "}))";

static const char table_js[] =
    "JSON.stringify(Array.from(document.querySelectorAll("
    "'#map-table tr[data-region]')).map(function(e){"
    "var v=e.querySelector('.value');"
    "return [e.getAttribute('data-region'),"
    "v&&v.hasAttribute('data-value')?v.getAttribute('data-value'):null];"
    "}))";

static const char chart_js[] =
    "JSON.stringify(echarts.getInstanceByDom(document.getElementById('map'))"
    ".getOption().series[0].data.map(function(d){"
    "var v=Array.isArray(d.value)?d.value[d.value.length-1]:d.value;"
    "return [String(d.code), typeof v==='number'&&isFinite(v)?v:null];}))";

/* 杭州市's label point on the screen: from the map file the page loads,
 * through the chart's own projection, plus the chart's offset in the
 * viewport (scrolled into view first). */
static const char hangzhou_js[] =
    "(async function(){var el=document.getElementById('map');"
    "el.scrollIntoView({block:'center'});"
    "var chart=echarts.getInstanceByDom(el);"
    "var g=await (await fetch('/zhejiang-cities.geojson')).json();"
    "var f=g.features.filter(function(x){"
    "return String(x.properties.code)==='330100';})[0];"
    "var p=chart.convertToPixel({seriesIndex:0},f.properties.label_point);"
    "var r=el.getBoundingClientRect();"
    "return JSON.stringify([r.left+p[0],r.top+p[1]]);})()";

static void check_overview(env_t *e, char *period, size_t cap)
{
    char err[ERR_LEN];
    char url[256];
    snprintf(url, sizeof url, "%s#/", e->url);
    cr_assert_eq(cdp_navigate(e->cdp, url, CALL_MS, err), ERR_OK, "%s", err);
    await_page(e, "overview", "h===''||h==='#/'");
    page_done(e, "overview");
    char *p = page_data(e, "period");
    cr_assert_neq(p[0], '\0', "overview: #page has no data-period");
    cr_assert_lt(strlen(p), cap);
    snprintf(period, cap, "%s", p);
    free(p);
    char *items = js(e, overview_js);
    const char *ref = ctl(e, "progress", "--period", period, "--json", NULL,
                          NULL);
    int n = same_values("overview", items, ref, "indicators", "indicator");
    cr_expect_eq(n, N_INDICATORS, "overview: %d [data-indicator]: %s", n,
                 items);
    free(items);
}

static void check_map(env_t *e, const char *period)
{
    char hash[128];
    snprintf(hash, sizeof hash, "#/map?indicator=urban_new_jobs&period=%s",
             period);
    route(e, hash, "map");
    page_done(e, "map");
    char *p = page_data(e, "period");
    cr_expect_str_eq(p, period, "map: #page's data-period");
    free(p);
    const char *ref = ctl(e, "breakdown", "urban_new_jobs", "--period",
                          period, "--json", NULL);
    char *rows = js(e, table_js);
    int n = same_values("map table", rows, ref, "children", "region");
    cr_expect_eq(n, N_CITIES, "map: %d rows in #map-table: %s", n, rows);
    free(rows);
    char *data = js(e, chart_js);
    int k = 0;
    for (;; k++) {
        char path[64];
        snprintf(path, sizeof path, "%d.0", k);
        char *code = jval(data, path);
        if (code == NULL) {
            break;
        }
        snprintf(path, sizeof path, "%d.1", k);
        char *v = jval(data, path);
        char *want = NULL;
        for (int i = 0; want == NULL; i++) {
            snprintf(path, sizeof path, "children.%d.region", i);
            char *rc = jval(ref, path);
            if (rc == NULL) {
                break;
            }
            if (strcmp(rc, code) == 0) {
                snprintf(path, sizeof path, "children.%d.value", i);
                want = jval(ref, path);
            }
            free(rc);
        }
        cr_expect_not_null(want, "map chart: %s is not a city of hrssctl's "
                                 "breakdown", code);
        if (want != NULL) {
            cr_expect(same_number(v, want),
                      "map chart: %s is %s, hrssctl says %s", code, v, want);
        }
        free(want);
        free(v);
        free(code);
    }
    cr_expect_eq(k, N_CITIES, "map chart: %d data items: %s", k, data);
    free(data);
}

static void check_click(env_t *e)
{
    char *xy = js(e, hangzhou_js);
    char *xs = jval(xy, "0");
    char *ys = jval(xy, "1");
    cr_assert(xs != NULL && ys != NULL, "%s", xy);
    double x = strtod(xs, NULL);
    double y = strtod(ys, NULL);
    cr_assert(x > 0 && x < CDP_WIDTH && y > 0 && y < CDP_HEIGHT,
              "杭州市 is off the screen: %s", xy);
    free(xs);
    free(ys);
    free(xy);
    char err[ERR_LEN];
    watch_ready(e);
    cr_assert_eq(cdp_click(e->cdp, x, y, CALL_MS, err), ERR_OK, "%s", err);
    await_page(e, "region",
               "h==='#/region/330100'||h.indexOf('#/region/330100?')===0");
    ready_was_cleared(e, "region");
    char *region = page_data(e, "region");
    cr_expect_str_eq(region, "330100", "region page: #page's data-region");
    free(region);
    page_done(e, "region");
    /* The region's own values, against its progress. */
    char *p = page_data(e, "period");
    cr_assert_neq(p[0], '\0', "region: #page has no data-period");
    char *items = js(e, overview_js);
    const char *ref = ctl(e, "progress", "--region", "330100", "--period", p,
                          "--json");
    int n = same_values("region 330100", items, ref, "indicators",
                        "indicator");
    cr_expect_eq(n, N_INDICATORS, "region: %d [data-indicator]: %s", n,
                 items);
    free(items);
    free(p);
}

/* An API error on a page: ready "error" and the API's message in
 * .error. The failed fetch itself is logged by the browser (a network
 * entry); nothing else may be. */
static void check_error_page(env_t *e)
{
    http_reply_t r;
    char url[512];
    snprintf(url, sizeof url,
             "%sapi/breakdown?indicator=nope&period=2025", e->url);
    http_get_url(url, &r);
    cr_assert_eq(r.status, 400, "%s: %d %s", url, r.status, r.body);
    char *want = NULL;
    cr_assert_eq(cdp_json_get(r.body, "error", &want, NULL), ERR_OK, "%s",
                 r.body);
    http_reply_fini(&r);
    route_error(e, "#/map?indicator=nope&period=2025", "map (error)");
    screenshot(e, "error");
    char *shown = js(e, "(document.querySelector('#page .error')||{})"
                        ".textContent||''");
    cr_expect(strstr(shown, want) != NULL,
              "error page: .error says '%s', the API '%s'", shown, want);
    free(shown);
    free(want);
    const char *errs = cdp_errors(e->cdp);
    for (const char *l = errs; *l != '\0'; l = strchr(l, '\n') + 1) {
        cr_expect(strncmp(l, "log.network: ", 13) == 0,
                  "error page: not the failed fetch: %s", errs);
    }
    cdp_clear_errors(e->cdp);
}

Test(dashboard, pages_match_hrssctl)
{
    env_t *e = &env;
    cr_assert(mkdir(HRSS_SCREENSHOT_DIR, 0755) == 0 || errno == EEXIST,
              "%s: %s", HRSS_SCREENSHOT_DIR, strerror(errno));
    int64_t t0 = hx_now_ms();
    need_cjk_font();
    browser_start(e); /* first: without a browser, fail at once */
    demo_store(e);
    web_start(e);

    char period[32];
    check_overview(e, period, sizeof period);
    check_map(e, period);
    check_click(e);
    route(e, "#/series?indicator=urban_new_jobs&region=330100&by=month",
          "series");
    page_done(e, "series");
    route(e, "#/completeness?period=2025-12", "completeness");
    page_done(e, "completeness");
    route(e, "#/quality", "quality");
    page_done(e, "quality");
    /* The cell of the demo's one "of which" violation. */
    route(e, "#/history?indicator=senior_title_talent&region=330106&"
              "period=2025-06",
          "history");
    page_done(e, "history");
    check_error_page(e);

    cdp_destroy(&e->cdp);
    cr_expect_eq(hx_stop(e->web, SIGTERM, 10000), 0, "hrss-web's exit");
    cr_log_info("dashboard: %lld ms; screenshots in %s",
                (long long)(hx_now_ms() - t0), HRSS_SCREENSHOT_DIR);
}

/* ---------------------------------------------------------------------- */
/* the API's errors, over a plain socket                                   */

static void get(env_t *e, const char *path, http_reply_t *r)
{
    char url[512];
    snprintf(url, sizeof url, "%s%s", e->url, path[0] == '/' ? path + 1
                                                             : path);
    http_get_url(url, r);
    cr_assert_neq(r->status, -1, "GET %s: no connection", url);
}

/* A JSON error answer: {"error": "a message"}. */
static void is_error(const http_reply_t *r, int status, const char *what)
{
    cr_expect_eq(r->status, status, "%s: status %d: %s", what, r->status,
                 r->body);
    char *msg = NULL;
    char t = 0;
    cr_expect_eq(cdp_json_get(r->body, "error", &msg, &t), ERR_OK,
                 "%s: no \"error\" in '%s'", what, r->body);
    if (msg != NULL) {
        cr_expect(t == 's' && msg[0] != '\0', "%s: an empty error: %s",
                  what, r->body);
    }
    free(msg);
}

Test(dashboard, api_errors_and_headers)
{
    env_t *e = &env;
    /* An empty store is enough for these. */
    snprintf(e->db, sizeof e->db, "%s/db", hx_dir);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    hx_open_store(e->db, 1, &cat, &s);
    store_close(&s);
    catalog_destroy(&cat);
    web_start(e);
    http_reply_t r;

    get(e, "/api/nope", &r);
    is_error(&r, 404, "/api/nope");
    http_reply_fini(&r);

    get(e, "/api/total?indicator=nope&period=2025", &r);
    is_error(&r, 400, "unknown indicator");
    http_reply_fini(&r);

    get(e, "/api/total?indicator=urban_new_jobs&period=2025&nope=1", &r);
    is_error(&r, 400, "unknown parameter");
    http_reply_fini(&r);

    /* The same bytes as hrssctl --json. */
    get(e, "/api/indicators", &r);
    cr_expect_eq(r.status, 200, "%s", r.body);
    cr_expect_str_eq(r.body, ctl(e, "indicators", "--json", NULL, NULL,
                                 NULL, NULL));
    cr_expect(strstr(r.head, "Cache-Control: no-store") != NULL, "%s",
              r.head);
    http_reply_fini(&r);

    get(e, "/", &r);
    cr_expect_eq(r.status, 200);
    cr_expect(strstr(r.head, "Content-Security-Policy: default-src 'self'")
                  != NULL, "%s", r.head);
    cr_expect(strstr(r.head, "X-Content-Type-Options: nosniff") != NULL,
              "%s", r.head);
    cr_expect(strstr(r.body, "<main id=\"page\"") != NULL,
              "/ is not the dashboard");
    http_reply_fini(&r);

    cr_expect_eq(hx_stop(e->web, SIGTERM, 10000), 0, "hrss-web's exit");
}
