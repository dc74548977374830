/* fuzz_web.c: libFuzzer target for hrss-web's answers: one request,
 * "PATH?QUERY", answered by web_answer() as the server would, from a
 * small store read through a local client (the command code of hrssctl
 * runs for every API path that passes the route's checks).
 *
 * The query is split on '&' and each part on its first '=' exactly as
 * received (libmicrohttpd %-decodes before the server sees it, so any
 * byte can reach it, a NUL included: values carry their length). The
 * answer cap is small, so that short inputs reach the 413 path.
 *
 * The store is written once per process in a temporary directory, opened
 * by the client, and its files unlinked at once: LMDB keeps using them,
 * and the client never opens them again (a refresh only renews its read
 * transaction), so nothing is left behind however the process ends.
 *
 * INVARIANTS (checked; a break aborts, and libFuzzer keeps the input)
 *   1. The status is one of 200, 400, 404, 413, 500 (nothing here makes
 *      a collector unreachable: no 503).
 *   2. An API answer is JSON: 200 starts with '{' or '[', any other
 *      status is {"error": ...}; no answer is over the cap, and an
 *      error's body is one short line.
 *   3. A file is served only at a path of the table, with its bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/client.h"
#include "admin/web.h"
#include "admin/web_files.h"
#include "common/period.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 8192
#define WEB_FUZZ_MAX_INPUT 4096

static web_t web;

static void apply(store_t *st, const char *reporter, const update_t *u,
                  size_t n)
{
    char err[ERR_LEN] = "";
    store_batch_t b = {reporter, -1, 1760000000, month_make(2025, 12), u, n,
                       NULL};
    store_result_t r;
    if (store_apply(st, &b, 1, &r, err) != ERR_OK) {
        fuzz_fail("web data: store_apply: %s", err);
    }
    store_result_fini(&r);
}

/* A few months of counts and ratios in a few regions, a revision, a
 * rejection and an "of which" violation. */
static void fill(store_t *st)
{
    static const uint32_t regions[] = {330100, 330102, 330106, 330203};
    update_t u[64];
    size_t n = 0;
    uint64_t seq = 1;
    for (size_t i = 0; i < sizeof regions / sizeof regions[0]; i++) {
        for (uint32_t mo = 1; mo <= 3; mo++) {
            int64_t k = (int64_t)(i + 1) * 100 + mo;
            uint32_t ym = 202500 + mo;
            u[n++] = (update_t){seq++, "urban_new_jobs", regions[i], ym,
                                {0, k, 0}};
            u[n++] = (update_t){seq++, "pension_insured", regions[i], ym,
                                {0, k * 10, 0}};
            u[n++] = (update_t){seq++, "dispute_mediation_success_rate",
                                regions[i], ym, {1, 40 + mo, 50}};
        }
    }
    u[n++] = (update_t){seq++, "professional_technical_talent", 330106,
                        202502, {0, 5, 0}};
    u[n++] = (update_t){seq++, "senior_title_talent", 330106, 202502,
                        {0, 9, 0}};
    u[n++] = (update_t){seq++, "urban_new_jobs", 330102, 202501, {0, 7, 0}};
    u[n++] = (update_t){seq++, "urban_new_jobs", 330102, 203001, {0, 1, 0}};
    apply(st, "office-330100", u, n);
}

static void unlink_all(const char *dir)
{
    static const char *const files[] = {"db/data.mdb", "db/lock.mdb", "db",
                                        ""};
    char path[4200];
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        if ((i < 2 ? unlink(path) : rmdir(path)) != 0) {
            fuzz_fail("cannot remove %s", path);
        }
    }
}

static void setup(void)
{
    const catalog_t *cat = fuzz_catalog();
    char dir[4096];
    char db[4200];
    char err[ERR_LEN] = "";
    snprintf(dir, sizeof dir, "%s/hrss-fuzz-web-XXXXXX",
             access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    if (mkdtemp(dir) == NULL) {
        fuzz_fail("mkdtemp %s failed", dir);
    }
    snprintf(db, sizeof db, "%s/db", dir);
    store_t *st = NULL;
    store_opts_t o = {.map_size = (size_t)8 << 20, .map_max = (size_t)8 << 20};
    if (store_open(&st, db, cat, &o, err) != ERR_OK) {
        fuzz_fail("store_open %s: %s", db, err);
    }
    fill(st);
    store_close(&st);
    const char *catdir = getenv("HRSS_FUZZ_CATALOG_DIR");
    if (catdir == NULL || catdir[0] == '\0') {
        catdir = HRSS_FUZZ_CATALOG_DIR;
    }
    if (client_open_local(&web.c, db, catdir, err) != ERR_OK) {
        fuzz_fail("client_open_local %s: %s", db, err);
    }
    web.cat = client_catalog(web.c, err);
    if (web.cat == NULL) {
        fuzz_fail("client_catalog: %s", err);
    }
    client_release(web.c);
    unlink_all(dir);
    web.catalog_dir = catdir;
    web.tz = 8 * 3600;
    web.max_answer = CAP;
}

static void check(const char *path, const web_reply_t *rp, const buf_t *b)
{
    unsigned s = rp->status;
    if (s != 200 && s != 400 && s != 404 && s != 413 && s != 500) {
        fuzz_fail("status %u for %s", s, path);
    }
    if (rp->fixed != NULL) {
        const web_file_t *f = web_file_find(strcmp(path, "/") == 0
                                                ? "/index.html"
                                                : path);
        if (s != 200 || f == NULL || rp->fixed != f->data ||
            rp->fixed_len != (size_t)(f->end - f->data)) {
            fuzz_fail("a file answered for %s", path);
        }
        return;
    }
    if (strncmp(path, "/api/", 5) != 0) {
        return;
    }
    if (b->len > CAP + 512) {
        fuzz_fail("answer of %zu bytes over the cap", b->len);
    }
    const char *body = (const char *)b->data;
    if (s == 200) {
        if (b->len == 0 || (body[0] != '{' && body[0] != '[')) {
            fuzz_fail("200 without JSON for %s", path);
        }
    } else if (b->len < 12 || memcmp(body, "{\"error\": \"", 11) != 0 ||
               memchr(body, '\n', b->len) != body + b->len - 1) {
        fuzz_fail("%u without a one-line JSON error for %s", s, path);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (web.c == NULL) {
        setup();
    }
    if (size > WEB_FUZZ_MAX_INPUT) {
        return 0;
    }
    /* A copy we can cut into NUL-terminated pieces. */
    char *in = malloc(size + 1);
    memcpy(in, data, size);
    in[size] = '\0';
    size_t plen = 0;
    while (plen < size && in[plen] != '?') {
        plen++;
    }
    char *q = plen < size ? in + plen + 1 : NULL;
    size_t qlen = q != NULL ? size - plen - 1 : 0;
    in[plen] = '\0';
    web_arg_t args[WEB_MAX_ARGS + 2];
    size_t nargs = 0;
    for (size_t i = 0; q != NULL && i <= qlen && nargs < WEB_MAX_ARGS + 2;) {
        size_t j = i;
        while (j < qlen && q[j] != '&') {
            j++;
        }
        q[j] = '\0';
        char *eq = memchr(q + i, '=', j - i);
        if (eq != NULL) {
            *eq = '\0';
        }
        args[nargs++] = (web_arg_t){q + i, eq != NULL ? eq + 1 : NULL,
                                    eq != NULL ? (size_t)(q + j - eq - 1)
                                               : 0};
        i = j + 1;
    }
    buf_t body;
    buf_init(&body);
    web_reply_t rp;
    /* The path as the server gets it: a C string. */
    web_answer(&web, in, args, nargs, &rp, &body);
    check(in, &rp, &body);
    buf_fini(&body);
    free(in);
    return 0;
}
