/* web.c: hrss-web's answers (web.h).
 *
 * An API request is an hrssctl command line in another dress: the path
 * names the command, `indicator` is its positional argument, and the
 * other parameters are its options. So the request is checked against
 * the route's list (unknown, repeated, empty, too long or missing
 * parameters are refused here, with a message that names them), turned
 * into a ctl_args_t, and the command's own handler runs with --json, its
 * output going to a bounded memory stream and its failures to another.
 * `as_of` (total, breakdown, series, progress, completeness) is read as
 * hrssctl reads --as-of (ctl_as_of_arg), with its message when it does
 * not parse. The handler's exit status and ctl_t.server_fault become the
 * HTTP status:
 *
 *   0                                   -> 200
 *   CTL_EX_UNAVAILABLE (no answer)      -> 503
 *   failed, x.server_fault (collector   -> 500
 *     or store fault: QUERY_IO, ...)
 *   failed otherwise (the request's:    -> 400
 *     bad value, unknown code, QUERY_INVAL/NOTFOUND/DENIED, ...)
 *   (the answer over max_answer         -> 413; no snapshot -> 500)
 *
 *   GET /api/NAME?k=v  -> route -> args -> cmd_*(x, a) -> 200 | 4xx/5xx
 *   GET /PATH          -> web_file_find(PATH or /index.html) -> 200 | 404
 *
 * INVARIANTS
 *   1. See web.h. A command runs only after its route accepted every
 *      parameter; the handler re-checks values (periods, codes) itself,
 *      as it does for hrssctl.
 *   2. The bounded stream never holds more than max_answer bytes; once a
 *      write is refused every later write is too (ferror stays set).
 */
#define _GNU_SOURCE /* fopencookie: the bounded answer stream */
#include "admin/web.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "admin/cmd_approve.h"
#include "admin/cmd_audit.h"
#include "admin/cmd_quality.h"
#include "admin/cmd_catalog.h"
#include "admin/cmd_comment.h"
#include "admin/cmd_figures.h"
#include "admin/cmd_plan.h"
#include "admin/ctl.h"
#include "admin/web_files.h"
#include "common/json.h"
#include "common/mono.h"

const char *const web_headers[] = {
    "Content-Security-Policy",
    "default-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'none'",
    "X-Content-Type-Options", "nosniff",
    "X-Frame-Options", "DENY",
    "Referrer-Policy", "no-referrer",
    NULL};

/* ------------------------------------------------------------- routes */

/* The parameters a route may take, as bits. */
enum {
    P_INDICATOR = 1u << 0,
    P_PERIOD = 1u << 1,
    P_REGION = 1u << 2,
    P_FROM = 1u << 3,
    P_TO = 1u << 4,
    P_BY = 1u << 5,
    P_SINCE = 1u << 6,
    P_UNDER = 1u << 7,
    P_APPROVED = 1u << 8, /* a flag: "1" (or "0", the same as absent) */
    P_AS_OF = 1u << 9,    /* hrssctl --as-of TIME */
};

static const char *const param_names[] = {
    "indicator", "period", "region", "from", "to", "by", "since", "under",
    "approved", "as_of"};
#define NPARAMS (sizeof param_names / sizeof param_names[0])

typedef struct route {
    const char *path;
    int (*run)(ctl_t *x, const ctl_args_t *a);
    unsigned takes;  /* P_* it accepts */
    unsigned needs;  /* P_* it cannot do without */
} route_t;

static const route_t routes[] = {
    {"/api/agents", cmd_audit_agents, 0, 0},
    {"/api/approvals", cmd_approvals, P_PERIOD | P_REGION, P_PERIOD},
    {"/api/breakdown", cmd_figures_breakdown,
     P_INDICATOR | P_PERIOD | P_REGION | P_AS_OF, P_INDICATOR | P_PERIOD},
    {"/api/completeness", cmd_audit_completeness,
     P_PERIOD | P_REGION | P_AS_OF, P_PERIOD},
    {"/api/followups", cmd_followups, P_PERIOD | P_REGION, 0},
    {"/api/history", cmd_audit_history, P_INDICATOR | P_REGION | P_PERIOD,
     P_INDICATOR | P_REGION | P_PERIOD},
    {"/api/indicators", cmd_catalog_indicators, 0, 0},
    {"/api/outliers", cmd_quality_outliers, P_PERIOD | P_REGION, P_PERIOD},
    {"/api/progress", cmd_plan_progress,
     P_PERIOD | P_REGION | P_APPROVED | P_AS_OF, 0},
    {"/api/regions", cmd_catalog_regions, P_UNDER, 0},
    {"/api/rejections", cmd_audit_rejections, P_SINCE, 0},
    {"/api/series", cmd_figures_series,
     P_INDICATOR | P_FROM | P_TO | P_REGION | P_BY | P_AS_OF,
     P_INDICATOR | P_FROM | P_TO},
    {"/api/total", cmd_figures_total,
     P_INDICATOR | P_PERIOD | P_REGION | P_AS_OF, P_INDICATOR | P_PERIOD},
    {"/api/violations", cmd_audit_violations, P_PERIOD | P_REGION, 0},
};
#define NROUTES (sizeof routes / sizeof routes[0])

static const route_t *route_find(const char *path)
{
    for (size_t i = 0; i < NROUTES; i++) {
        if (strcmp(routes[i].path, path) == 0) {
            return &routes[i];
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ answers */

/* {"error": MSG}\n into @p body, with @p status. */
static void fail(web_reply_t *rp, buf_t *body, unsigned status,
                 const char *msg)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f != NULL) {
        fputs("{\"error\": ", f);
        json_put_str(f, msg);
        fputs("}\n", f);
        fclose(f);
    }
    buf_reset(body);
    if (text != NULL) {
        buf_put(body, text, len);
    }
    free(text);
    rp->status = status;
    rp->type = "application/json";
    rp->cache = "no-store";
    rp->fixed = NULL;
}

/* Check @p args against route @p r into @p a (values borrowed from
 * @p args). @return NULL, or why not (into @p why). */
static const char *take_args(const route_t *r, const web_arg_t *args,
                             size_t nargs, ctl_args_t *a, char *why,
                             size_t wlen)
{
    const char *val[NPARAMS] = {NULL};
    for (size_t i = 0; i < nargs; i++) {
        const web_arg_t *g = &args[i];
        size_t k = 0;
        while (k < NPARAMS && strcmp(param_names[k], g->key) != 0) {
            k++;
        }
        if (k == NPARAMS || !(r->takes & (1u << k))) {
            snprintf(why, wlen, "%s takes no parameter '%.64s'%s", r->path,
                     g->key, r->takes == 0 ? "" : " (see the API's list in "
                                                  "the README)");
            return why;
        }
        if (val[k] != NULL) {
            snprintf(why, wlen, "parameter '%s' is given twice",
                     param_names[k]);
            return why;
        }
        if (g->value == NULL || g->vlen == 0) {
            snprintf(why, wlen, "parameter '%s' has no value",
                     param_names[k]);
            return why;
        }
        if (g->vlen > WEB_MAX_ARG_LEN || strlen(g->value) != g->vlen) {
            snprintf(why, wlen, "parameter '%s' is longer than %d bytes or "
                                "holds a NUL byte",
                     param_names[k], WEB_MAX_ARG_LEN);
            return why;
        }
        val[k] = g->value;
    }
    for (size_t k = 0; k < NPARAMS; k++) {
        if ((r->needs & (1u << k)) && val[k] == NULL) {
            snprintf(why, wlen, "%s needs parameter '%s'", r->path,
                     param_names[k]);
            return why;
        }
    }
    memset(a, 0, sizeof *a);
    if (val[0] != NULL) {
        a->pos[a->npos++] = val[0];
    }
    a->period = val[1];
    a->region = val[2];
    a->from = val[3];
    a->to = val[4];
    a->by = val[5];
    a->since = val[6];
    a->under = val[7];
    if (val[8] != NULL && strcmp(val[8], "0") != 0 &&
        strcmp(val[8], "1") != 0) {
        snprintf(why, wlen, "parameter 'approved' is 1 or 0, not '%.64s'",
                 val[8]);
        return why;
    }
    a->approved = val[8] != NULL && strcmp(val[8], "1") == 0;
    a->as_of = val[9];
    return NULL;
}

/* A stream that keeps at most `cap` bytes in `b` (INVARIANT 2). */
typedef struct capped {
    buf_t *b;
    size_t cap;
    int over;
} capped_t;

static ssize_t capped_write(void *cookie, const char *data, size_t n)
{
    capped_t *c = cookie;
    if (c->over || c->b->len + n > c->cap) {
        c->over = 1;
        errno = EFBIG;
        return -1;
    }
    buf_put(c->b, data, n);
    return (ssize_t)n;
}

/* The first line of @p msg, or a default. */
static void first_line(char *msg, const char *dflt)
{
    msg[strcspn(msg, "\n")] = '\0';
    if (msg[0] == '\0') {
        snprintf(msg, 64, "%s", dflt);
    }
}

/* Run @p r's command with @p a; its output into @p body. */
static void run_command(const web_t *w, const route_t *r,
                        const ctl_args_t *a, web_reply_t *rp, buf_t *body)
{
    char errs[1024] = "";
    FILE *ef = fmemopen(errs, sizeof errs - 1, "w");
    capped_t cap = {body, w->max_answer, 0};
    cookie_io_functions_t io = {.write = capped_write};
    FILE *out = fopencookie(&cap, "w", io);
    if (ef == NULL || out == NULL) {
        if (ef != NULL) {
            fclose(ef);
        }
        if (out != NULL) {
            fclose(out);
        }
        fail(rp, body, 500, "out of memory");
        return;
    }
    setvbuf(ef, NULL, _IONBF, 0);
    ctl_t x = {.c = w->c, .cat = w->cat, .fmt = RENDER_JSON, .tz = w->tz,
               .catalog_dir = w->catalog_dir, .out = out};
    ctl_errors_to(ef);
    char cerr[ERR_LEN];
    int st = client_refresh(w->c, cerr) == ERR_OK ? 0 : -1;
    if (st == 0 && a->as_of != NULL) {
        /* Checked as hrssctl checks it, with its message; "now" is now. */
        st = ctl_as_of_arg(&x, "as_of", a->as_of);
    }
    if (st == 0) {
        st = r->run(&x, a);
    }
    client_release(w->c);
    ctl_errors_to(NULL);
    int bad_out = fclose(out) != 0 || cap.over;
    fclose(ef);
    if (st == -1) {
        fail(rp, body, 500, cerr);
    } else if (bad_out) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the answer would be over %zu bytes: ask for less (a "
                 "shorter period, one region, a later since)",
                 w->max_answer);
        fail(rp, body, 413, msg);
    } else if (st == CTL_EX_UNAVAILABLE) {
        first_line(errs, "the collector did not answer");
        fail(rp, body, 503, errs);
    } else if (st != 0 && x.server_fault) {
        /* The collector or the store failed, not the question. */
        first_line(errs, "the collector or its store failed");
        fail(rp, body, 500, errs);
    } else if (st != 0) {
        first_line(errs, "the query failed");
        fail(rp, body, 400, errs);
    } else {
        rp->status = 200;
        rp->type = "application/json";
        rp->cache = "no-store";
    }
}

const web_file_t *web_file_find(const char *path)
{
    size_t lo = 0;
    size_t hi = 0;
    while (web_files[hi].path != NULL) {
        hi++;
    }
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(web_files[mid].path, path);
        if (c == 0) {
            return &web_files[mid];
        }
        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

void web_answer(const web_t *w, const char *path, const web_arg_t *args,
                size_t nargs, web_reply_t *rp, buf_t *body)
{
    memset(rp, 0, sizeof *rp);
    if (strncmp(path, "/api/", 5) == 0 || strcmp(path, "/api") == 0) {
        const route_t *r = route_find(path);
        char why[256];
        ctl_args_t a;
        if (r == NULL) {
            fail(rp, body, 404, "no such API path (the README lists them)");
        } else if (nargs > WEB_MAX_ARGS) {
            fail(rp, body, 400, "too many parameters");
        } else if (take_args(r, args, nargs, &a, why, sizeof why) != NULL) {
            fail(rp, body, 400, why);
        } else {
            run_command(w, r, &a, rp, body);
        }
        return;
    }
    const web_file_t *f = web_file_find(strcmp(path, "/") == 0 ? "/index.html"
                                                               : path);
    if (f == NULL) {
        rp->status = 404;
        rp->type = "text/plain; charset=utf-8";
        static const char nf[] = "not found\n";
        buf_put(body, nf, sizeof nf - 1);
        return;
    }
    rp->status = 200;
    rp->type = f->type;
    rp->cache = "no-cache";
    rp->fixed = f->data;
    rp->fixed_len = (size_t)(f->end - f->data);
}

/* ------------------------------------------------------------ over HTTP */

typedef struct arg_list {
    web_arg_t v[WEB_MAX_ARGS + 1];
    size_t n;
} arg_list_t;

static int collect(const char *key, const char *value, size_t vlen,
                   void *arg)
{
    arg_list_t *l = arg;
    if (l->n == WEB_MAX_ARGS + 1) {
        return 1; /* one too many is enough to refuse */
    }
    l->v[l->n++] = (web_arg_t){key, value, vlen};
    return 0;
}

void web_handle(const httpd_req_t *req, httpd_resp_t *resp, void *arg)
{
    web_t *w = arg;
    if (w->users != NULL) {
        char user[WEB_USER_MAX + 1];
        char pass[WEB_PASSWORD_MAX + 1];
        int ok = httpd_req_basic(req, user, sizeof user, pass, sizeof pass)
                     ? web_users_check(w->users, user, pass, mono_s())
                     : 0;
        memset(pass, 0, sizeof pass);
        if (ok == WEB_USERS_BUSY) {
            /* Too many sign-ins to check now (web_users.h INVARIANT 3):
             * say so at once rather than hold every other request. */
            static const char msg[] = "too many sign-in attempts: try "
                                      "again in a few seconds\n";
            resp->status = 429;
            resp->retry_after = 2;
            buf_put(&resp->body, msg, sizeof msg - 1);
            return;
        }
        if (!ok) {
            static const char msg[] = "sign in: this dashboard needs a user "
                                      "name and password\n";
            resp->status = 401;
            resp->realm = "hrss";
            buf_put(&resp->body, msg, sizeof msg - 1);
            return;
        }
    }
    arg_list_t l = {.n = 0};
    httpd_req_args(req, collect, &l);
    web_reply_t rp;
    web_answer(w, httpd_req_path(req), l.v, l.n, &rp, &resp->body);
    resp->status = rp.status;
    resp->type = rp.type;
    resp->cache = rp.cache;
    resp->fixed = rp.fixed;
    resp->fixed_len = rp.fixed_len;
}
