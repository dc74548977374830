/* ctl.c: what every hrssctl command does the same way.
 *
 * Messages name what was wrong and how to find what is right (`hrssctl
 * regions` lists the regions); a query the collector refused keeps the
 * collector's own message, which already suggests the closest indicator
 * codes.
 *
 * Lists come in pages (proto/hrss.proto): ctl_ask_pages() asks for the
 * largest pages the collector gives (or as many items as the command
 * set) and follows `next`, so a command sees the whole list and prints
 * exactly what one answer would have held.
 *
 * INVARIANTS
 *   1. Everything written here on failure goes to stderr (or this
 *      thread's ctl_errors_to() stream); x->out carries only answers.
 *   2. ctl_ask() leaves *resp NULL unless it returns 0.
 *   3. ctl_ask_pages() never asks twice from the same position.
 *   4. x->server_fault is set only together with a failure's exit status
 *      (never on success), and only for the server's faults: a question
 *      the collector refused as such (QUERY_INVAL, QUERY_NOTFOUND,
 *      QUERY_DENIED, ...) leaves it 0.
 */
#include "admin/ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "admin/when.h"
#include "admin/zone.h"
#include "common/buf.h"
#include "common/file.h"
#include "common/text.h"
#include "store/query.h"

/* Where this thread's failures go; NULL: stderr. Thread-local, since
 * hrss-web answers in libmicrohttpd's thread. */
static _Thread_local FILE *errors_to;

int ctl_fail(int code, const char *fmt, ...)
{
    /* The message may quote a collector's answer or an argument: shown
     * through the one rule for foreign text (common/text). */
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    FILE *f = errors_to != NULL ? errors_to : stderr;
    if (errors_to == NULL) {
        fputs("hrssctl: ", f);
    }
    text_put_clean(f, msg, TEXT_KEEP_LF);
    fputc('\n', f);
    return code;
}

void ctl_errors_to(FILE *f)
{
    errors_to = f;
}

int ctl_flush_output(int st)
{
    char err[ERR_LEN];
    if (file_flush_stdout(err) != ERR_OK) {
        ctl_fail(0, "%s", err);
        return st != 0 ? st : CTL_EX_IOERR;
    }
    return st;
}

/* Whether a client error code is the server's fault, not the question's
 * (ctl_t.server_fault). */
static int server_code(int rc)
{
    return rc == ERR_IO || rc == ERR_NOMEM || rc == ERR_CORRUPT ||
           rc == ERR_VERSION || rc == ERR_PROTO;
}

int ctl_fail_client(ctl_t *x, int rc, const char *err)
{
    if (server_code(rc)) {
        x->server_fault = 1;
    }
    return ctl_fail(rc == ERR_TIMEOUT ? CTL_EX_UNAVAILABLE : 1, "%s", err);
}

/* Whether a collector's status is its own (or its store's) fault. */
static int server_status(Hrss__QueryStatus code)
{
    switch (code) {
    case HRSS__QUERY_STATUS__QUERY_NOMEM:
    case HRSS__QUERY_STATUS__QUERY_IO:
    case HRSS__QUERY_STATUS__QUERY_CORRUPT:
    case HRSS__QUERY_STATUS__QUERY_VERSION:
    case HRSS__QUERY_STATUS__QUERY_TIMEOUT:
        return 1;
    default:
        return 0;
    }
}

int ctl_as_of_arg(ctl_t *x, const char *name, const char *arg)
{
    char why[160];
    int64_t t = 0;
    long tz = catalog_plan(x->cat)->tz_offset;
    if (when_parse_past(arg, tz, (int64_t)time(NULL), &t, why,
                        sizeof why) != 0) {
        return ctl_fail(CTL_EX_USAGE, "%s: '%s' %s", name, arg, why);
    }
    x->has_as_of = 1;
    x->as_of = t;
    return 0;
}

void ctl_as_of_iso(const ctl_t *x, char *buf, size_t len)
{
    zone_format_iso(x->as_of, x->tz, buf, len);
}

void ctl_json_as_of(const ctl_t *x, FILE *f)
{
    if (x->has_as_of) {
        char iso[ZONE_ISO_LEN];
        ctl_as_of_iso(x, iso, sizeof iso);
        fprintf(f, ", \"as_of\": \"%s\"", iso);
    }
}

int ctl_ask(ctl_t *x, const Hrss__QueryRequest *req,
            Hrss__QueryResponse **resp)
{
    char err[ERR_LEN];
    Hrss__QueryRequest q = *req; /* shallow: as_of is set on the copy */
    switch (q.q_case) {
    case HRSS__QUERY_REQUEST__Q_TOTAL:
    case HRSS__QUERY_REQUEST__Q_BREAKDOWN:
    case HRSS__QUERY_REQUEST__Q_SERIES:
    case HRSS__QUERY_REQUEST__Q_COMPLETENESS:
    case HRSS__QUERY_REQUEST__Q_FACTS:
        q.has_as_of = x->has_as_of;
        q.as_of = x->as_of;
        break;
    default:
        break;
    }
    int rc = client_call(x->c, &q, resp, err);
    if (rc != ERR_OK) {
        /* No answer (ERR_TIMEOUT) is not a fault of the answer's; any
         * other failure of the call is the collector's (a garbled
         * answer) or its link's (a refused key): the server's. */
        if (rc != ERR_TIMEOUT) {
            x->server_fault = 1;
        }
        return ctl_fail_client(x, rc, err);
    }
    if ((*resp)->code != HRSS__QUERY_STATUS__QUERY_OK) {
        if (server_status((*resp)->code)) {
            x->server_fault = 1;
        }
        int st = ctl_fail(1, "%s", (*resp)->error != NULL ? (*resp)->error
                                                          : "query failed");
        hrss__query_response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return st;
    }
    return 0;
}

/* The paging fields of a list request. */
typedef struct pager {
    protobuf_c_boolean *has_after;
    ProtobufCBinaryData *after;
    protobuf_c_boolean *has_limit;
    uint32_t *limit;
    Hrss__QueryResponse__RCase answer; /* the answer's case */
} pager_t;

#define PAGER(m, c)                                                         \
    {&req->m->has_after, &req->m->after, &req->m->has_limit,               \
     &req->m->limit, HRSS__QUERY_RESPONSE__R_##c}

/* @return 0, or -1 when @p req is not a list request. */
static int pager_of(Hrss__QueryRequest *req, pager_t *pg)
{
    switch (req->q_case) {
    case HRSS__QUERY_REQUEST__Q_HISTORY:
        *pg = (pager_t)PAGER(history, HISTORY);
        return 0;
    case HRSS__QUERY_REQUEST__Q_REJECTIONS:
        *pg = (pager_t)PAGER(rejections, REJECTIONS);
        return 0;
    case HRSS__QUERY_REQUEST__Q_AGENTS:
        *pg = (pager_t)PAGER(agents, AGENTS);
        return 0;
    case HRSS__QUERY_REQUEST__Q_VIOLATIONS:
        *pg = (pager_t)PAGER(violations, VIOLATIONS);
        return 0;
    case HRSS__QUERY_REQUEST__Q_FACTS:
        *pg = (pager_t)PAGER(facts, FACTS);
        return 0;
    case HRSS__QUERY_REQUEST__Q_COMPLETENESS:
        *pg = (pager_t)PAGER(completeness, COMPLETENESS);
        return 0;
    case HRSS__QUERY_REQUEST__Q_OUTLIERS:
        *pg = (pager_t)PAGER(outliers, OUTLIERS);
        return 0;
    case HRSS__QUERY_REQUEST__Q_FOLLOWUPS:
        *pg = (pager_t)PAGER(followups, COMMENTS);
        return 0;
    default:
        return -1;
    }
}

#undef PAGER

/* The `next` of a list answer, or NULL on its last page. */
static const ProtobufCBinaryData *next_of(const Hrss__QueryResponse *r)
{
#define NEXT(m) (r->m != NULL && r->m->has_next ? &r->m->next : NULL)
    switch (r->r_case) {
    case HRSS__QUERY_RESPONSE__R_HISTORY: return NEXT(history);
    case HRSS__QUERY_RESPONSE__R_REJECTIONS: return NEXT(rejections);
    case HRSS__QUERY_RESPONSE__R_AGENTS: return NEXT(agents);
    case HRSS__QUERY_RESPONSE__R_VIOLATIONS: return NEXT(violations);
    case HRSS__QUERY_RESPONSE__R_FACTS: return NEXT(facts);
    case HRSS__QUERY_RESPONSE__R_COMPLETENESS: return NEXT(completeness);
    case HRSS__QUERY_RESPONSE__R_OUTLIERS: return NEXT(outliers);
    case HRSS__QUERY_RESPONSE__R_COMMENTS: return NEXT(comments);
    default: return NULL;
    }
#undef NEXT
}

int ctl_ask_pages(ctl_t *x, Hrss__QueryRequest *req, ctl_page_fn each,
                  void *arg)
{
    pager_t pg = {0};
    if (pager_of(req, &pg) != 0) {
        return ctl_fail(1, "internal error: not a list request");
    }
    buf_t cursor;
    buf_init(&cursor);
    if (!*pg.has_limit) {
        *pg.has_limit = 1;
        *pg.limit = QUERY_PAGE_MAX_ITEMS;
    }
    *pg.has_after = 0;
    int st = 0;
    for (;;) {
        Hrss__QueryResponse *resp = NULL;
        st = ctl_ask(x, req, &resp);
        if (st != 0) {
            break;
        }
        if (resp->r_case != pg.answer) {
            hrss__query_response__free_unpacked(resp, NULL);
            x->server_fault = 1;
            st = ctl_fail(1, "the collector's answer is not the list asked "
                             "for");
            break;
        }
        st = each(resp, arg);
        const ProtobufCBinaryData *next = next_of(resp);
        /* Output that fails (a full disk) stops the asking. */
        int more = st == 0 && next != NULL && !ferror(x->out);
        if (more && *pg.has_after && next->len == cursor.len &&
            memcmp(next->data, cursor.data, cursor.len) == 0) {
            x->server_fault = 1;
            st = ctl_fail(1, "the collector's pages do not move on");
            more = 0;
        }
        if (more) {
            buf_reset(&cursor);
            buf_put(&cursor, next->data, next->len);
            pg.after->data = cursor.data;
            pg.after->len = cursor.len;
            *pg.has_after = 1;
        }
        hrss__query_response__free_unpacked(resp, NULL);
        if (!more) {
            break;
        }
    }
    /* The request must not point at the cursor once it is freed. */
    *pg.has_after = 0;
    pg.after->data = NULL;
    pg.after->len = 0;
    buf_fini(&cursor);
    return st;
}

int ctl_region_arg(const ctl_t *x, const char *arg, uint32_t *code)
{
    if (arg == NULL) {
        *code = catalog_region(x->cat,
                               (size_t)catalog_region_root(x->cat))->code;
        return 0;
    }
    int i = catalog_region_find_str(x->cat, arg);
    for (size_t k = 0; i < 0 && k < catalog_region_count(x->cat); k++) {
        if (strcmp(catalog_region(x->cat, k)->name_zh, arg) == 0) {
            i = (int)k;
        }
    }
    if (i < 0) {
        return ctl_fail(1, "unknown region '%s' (`hrssctl regions` lists "
                           "them)", arg);
    }
    *code = catalog_region(x->cat, (size_t)i)->code;
    return 0;
}

int ctl_period_arg(const char *arg, const char *flag, period_t *p)
{
    char err[ERR_LEN];
    if (arg == NULL) {
        return ctl_fail(CTL_EX_USAGE, "%s is required", flag);
    }
    if (period_parse(arg, p, err) != ERR_OK) {
        return ctl_fail(1, "%s: %s", flag, err);
    }
    return 0;
}

int ctl_list_scope(const ctl_t *x, const ctl_args_t *a, char **period,
                   protobuf_c_boolean *has_region, uint32_t *region)
{
    period_t p;
    int st = 0;
    if (a->period != NULL) {
        st = ctl_period_arg(a->period, "--period", &p);
        *period = (char *)(uintptr_t)a->period;
    }
    if (st == 0 && a->region != NULL) {
        st = ctl_region_arg(x, a->region, region);
        *has_region = 1;
    }
    return st;
}

int ctl_period_region(const ctl_t *x, const ctl_args_t *a, period_t *p,
                      uint32_t *region)
{
    int st = ctl_period_arg(a->period, "--period", p);
    if (st == 0) {
        st = ctl_region_arg(x, a->region, region);
    }
    return st;
}

const char *ctl_region_name(const ctl_t *x, uint32_t code)
{
    int i = catalog_region_find(x->cat, code);
    return i >= 0 ? catalog_region(x->cat, (size_t)i)->name_zh : "?";
}

const indicator_t *ctl_indicator(const ctl_t *x, const char *key)
{
    int i = catalog_indicator_find(x->cat, key);
    return i >= 0 ? catalog_indicator(x->cat, (size_t)i) : NULL;
}

const char *ctl_kind_word(const indicator_t *ind)
{
    return ind->kind == IND_RATIO ? "ratio" : "count";
}

const char *ctl_over_time_word(const indicator_t *ind)
{
    return ind->over_time == OVER_SUM ? "sum" : "last";
}

const char *ctl_basis_word(const indicator_t *ind)
{
    switch (ind->basis) {
    case BASIS_CUMULATIVE:
        return "cumulative";
    case BASIS_ANNUAL:
        return "annual";
    case BASIS_LEVEL:
        break;
    }
    return "level";
}

const char *ctl_direction_word(const indicator_t *ind)
{
    return ind->direction == DIR_AT_MOST ? "at_most" : "at_least";
}

render_t *ctl_render_new(const ctl_t *x, const render_col_t *cols,
                         size_t ncols)
{
    render_t *r = render_new(cols, ncols, x->tz);
    render_width(r, x->width);
    return r;
}

void ctl_print(const ctl_t *x, const render_t *r)
{
    render_print(r, x->fmt, x->out);
}
