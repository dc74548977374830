/* query.c: answer packed hrss.QueryRequest messages from the store.
 *
 * Design
 * ------
 * query_answer() is the single entry point: it bounds and unpacks the
 * request, dispatches on the oneof case to one answer_*() function per
 * query kind, and packs exactly one hrss.QueryResponse onto the caller's
 * buffer. Every failure, from garbage bytes to an unknown region or a
 * store I/O error, becomes a response with a negative ERR_* code and a
 * message; query_answer() itself cannot fail.
 *
 * Everything a response points to lives in one reply_t on the stack:
 * fixed slots for single totals, one growable item array (vec_t) for list
 * answers, the pointer array protobuf-c wants for a repeated field, and a
 * string pool that owns a copy of every string in the response. Strings
 * that store callbacks lend us are valid only during the callback, so they
 * are copied into the pool at once. The pool reuses its last string when
 * the next one is equal, which keeps a 100k-fact export (sorted by
 * indicator) down to a handful of copies. Item arrays grow by doubling and
 * may move while a list is being collected, so pointers into items (a
 * rejection's Update and Ratio) are set only once collection is over, in
 * the pass that builds the pointer array.
 *
 * Request strings are read through str_in(), which maps the NULL protobuf-c
 * leaves for an absent string to "". Unpacking goes through a capping
 * allocator so that a small request cannot expand without bound
 * (LIBRARY-NOTES); a request that hits the cap is malformed.
 *
 *   query_answer --unpack--> dispatch --> answer_*() --> pack --> free
 *        | (NULL, no case, too big)          | (rc != ERR_OK)
 *        +-------------> reply_error() <-----+
 *
 * INVARIANTS
 *   1. Each call appends exactly one packed QueryResponse to `out`, with
 *      code == ERR_OK and the payload of the request's kind (none for
 *      backup), or code < 0, `error` set and no payload.
 *   2. Every protobuf-c structure built here, and every string it points
 *      to, is owned by the reply_t and freed by reply_fini() before
 *      query_answer() returns; the unpacked request is freed with
 *      hrss__query_request__free_unpacked() in the same call.
 *   3. No required string in a response is NULL.
 *   4. Every indicator in a response is a catalog code (never a Chinese
 *      name) and every region is a catalog code (0 resolved to the root).
 *   5. Unpacking one request allocates at most UNPACK_BUDGET bytes.
 *   6. Pointers into reply.items are taken only after the last vec_push()
 *      of the answer.
 */
#include "store/query.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/mem.h"
#include "common/wire.h"
#include "proto/hrss.pb-c.h"

/** Most bytes unpacking one request may allocate. */
#define UNPACK_BUDGET ((size_t)16 * QUERY_MAX_REQUEST)
/** How many indicator codes an unknown indicator's error suggests. */
#define SUGGEST_MAX 3
/** Longer unknown indicators get no suggestions: nothing is close. */
#define SUGGEST_MAX_INPUT (2 * CATALOG_CODE_MAX)
/** Bytes of an unknown indicator quoted back in the error. */
#define QUOTE_MAX 128

/* ---------------------------------------------------------------------- */
/* owned strings and growable arrays                                       */

typedef struct pool {
    char **v;
    size_t n;
    size_t cap;
} pool_t;

/* Owned copy of @p s, valid until pool_fini(); NULL is copied as "". */
static char *pool_dup(pool_t *p, const char *s)
{
    if (s == NULL) {
        s = "";
    }
    if (p->n > 0 && strcmp(p->v[p->n - 1], s) == 0) {
        return p->v[p->n - 1];
    }
    if (p->n == p->cap) {
        p->cap = p->cap > 0 ? p->cap * 2 : 16;
        p->v = xreallocarray(p->v, p->cap, sizeof *p->v);
    }
    p->v[p->n] = xstrdup(s);
    p->n++;
    return p->v[p->n - 1];
}

static void pool_fini(pool_t *p)
{
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i]);
    }
    free(p->v);
    memset(p, 0, sizeof *p);
}

/* Array of fixed-size items that grows by doubling. */
typedef struct vec {
    unsigned char *v;
    size_t n;
    size_t cap;
    size_t size; /* bytes per item */
} vec_t;

/* Append one zeroed item; earlier items may move (INVARIANT 6). */
static void *vec_push(vec_t *vec)
{
    if (vec->n == vec->cap) {
        vec->cap = vec->cap > 0 ? vec->cap * 2 : 64;
        vec->v = xreallocarray(vec->v, vec->cap, vec->size);
    }
    void *item = vec->v + vec->n * vec->size;
    memset(item, 0, vec->size);
    vec->n++;
    return item;
}

static void *vec_at(const vec_t *vec, size_t i)
{
    return vec->v + i * vec->size;
}

/* ---------------------------------------------------------------------- */
/* the reply                                                               */

/* A Total and the text of its period. */
typedef struct total_item {
    Hrss__Total msg;
    char period[PERIOD_STR_LEN];
} total_item_t;

/* A rejected update with its Update and Ratio; msg points into the item
 * only after collection (INVARIANT 6). */
typedef struct rej_item {
    Hrss__RejectedUpdate msg;
    Hrss__Update update;
    Hrss__Ratio ratio;
} rej_item_t;

typedef struct reply {
    Hrss__QueryResponse msg;
    char err[ERR_LEN];
    pool_t pool;           /* every string the response points to */
    vec_t items;           /* list answers: one item per entry */
    void *ptrs;            /* the repeated field's pointer array */
    total_item_t one[2];   /* total; breakdown own and total */
    total_item_t *many;    /* breakdown children, series points */
    Hrss__Breakdown breakdown;
    Hrss__TotalList total_list;
    Hrss__RevisionList revision_list;
    Hrss__RejectionList rejection_list;
    Hrss__AgentList agent_list;
    Hrss__ViolationList violation_list;
    Hrss__FactList fact_list;
    Hrss__CatalogFiles catalog;
    Hrss__Completeness completeness;
    char **strv;           /* completeness: indicator pointer arrays */
} reply_t;

/* The array of pointers to the collected items that a repeated field
 * needs; owned by the reply (rp->ptrs, freed by reply_fini). */
static void *item_ptrs(reply_t *rp)
{
    void **pp = xcalloc(rp->items.n, sizeof *pp);
    rp->ptrs = pp;
    for (size_t i = 0; i < rp->items.n; i++) {
        pp[i] = vec_at(&rp->items, i);
    }
    return pp;
}

static void reply_init(reply_t *rp)
{
    static const Hrss__QueryResponse msg0 = HRSS__QUERY_RESPONSE__INIT;
    static const Hrss__Breakdown bd0 = HRSS__BREAKDOWN__INIT;
    static const Hrss__TotalList tl0 = HRSS__TOTAL_LIST__INIT;
    static const Hrss__RevisionList rv0 = HRSS__REVISION_LIST__INIT;
    static const Hrss__RejectionList rj0 = HRSS__REJECTION_LIST__INIT;
    static const Hrss__AgentList ag0 = HRSS__AGENT_LIST__INIT;
    static const Hrss__ViolationList vl0 = HRSS__VIOLATION_LIST__INIT;
    static const Hrss__FactList fl0 = HRSS__FACT_LIST__INIT;
    static const Hrss__CatalogFiles cf0 = HRSS__CATALOG_FILES__INIT;
    static const Hrss__Completeness cp0 = HRSS__COMPLETENESS__INIT;
    memset(rp, 0, sizeof *rp);
    rp->msg = msg0;
    rp->breakdown = bd0;
    rp->total_list = tl0;
    rp->revision_list = rv0;
    rp->rejection_list = rj0;
    rp->agent_list = ag0;
    rp->violation_list = vl0;
    rp->fact_list = fl0;
    rp->catalog = cf0;
    rp->completeness = cp0;
}

static void reply_fini(reply_t *rp)
{
    free(rp->items.v);
    free(rp->ptrs);
    free(rp->many);
    free(rp->strv);
    pool_fini(&rp->pool);
    memset(rp, 0, sizeof *rp);
}

/* Turn the reply into an error response: code, message, no payload. */
static void reply_error(reply_t *rp, int rc)
{
    rp->msg.code = wire_status_to_proto(rc);
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R__NOT_SET;
    rp->msg.total = NULL;
    if (rp->err[0] == '\0') {
        snprintf(rp->err, sizeof rp->err, "%s", err_str(rc));
    }
    rp->msg.error = rp->err;
}

/* ProtobufCBuffer that appends to a buf_t. */
typedef struct buf_sink {
    ProtobufCBuffer base;
    buf_t *out;
} buf_sink_t;

static void sink_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    buf_sink_t *sink = (buf_sink_t *)b;
    buf_put(sink->out, data, len);
}

/* ---------------------------------------------------------------------- */
/* resolving request fields                                                */

/* A string from the request: protobuf-c leaves an absent one NULL. */
static const char *str_in(const char *s) { return s != NULL ? s : ""; }


/* Append @p s to the NUL-terminated @p err, truncating at ERR_LEN. */
static void err_append(char err[ERR_LEN], const char *s)
{
    size_t used = strlen(err);
    size_t n = strlen(s);
    if (n > ERR_LEN - 1 - used) {
        n = ERR_LEN - 1 - used;
    }
    memcpy(err + used, s, n);
    err[used + n] = '\0';
}

/* Levenshtein distance between @p a and @p b, both at most
 * SUGGEST_MAX_INPUT bytes (callers check). */
static size_t edit_distance(const char *a, size_t la, const char *b,
                            size_t lb)
{
    size_t row[SUGGEST_MAX_INPUT + 1];
    for (size_t j = 0; j <= lb; j++) {
        row[j] = j;
    }
    for (size_t i = 1; i <= la; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] == b[j - 1] ? 0u : 1u);
            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

/* Append "; did you mean: a, b, c?" with the codes closest to @p key,
 * ties in catalog order. */
static void suggest(const catalog_t *cat, const char *key, char err[ERR_LEN])
{
    size_t lk = strlen(key);
    size_t best_d[SUGGEST_MAX];
    size_t best_i[SUGGEST_MAX];
    size_t nbest = 0;
    if (lk > SUGGEST_MAX_INPUT) {
        return;
    }
    for (size_t i = 0; i < catalog_indicator_count(cat); i++) {
        const char *code = catalog_indicator(cat, i)->code;
        size_t lc = strlen(code);
        if (lc > SUGGEST_MAX_INPUT) {
            continue;
        }
        size_t d = edit_distance(key, lk, code, lc);
        size_t at = nbest;
        while (at > 0 && best_d[at - 1] > d) {
            at--;
        }
        if (at >= SUGGEST_MAX) {
            continue;
        }
        size_t last = nbest < SUGGEST_MAX ? nbest : SUGGEST_MAX - 1;
        for (size_t k = last; k > at; k--) {
            best_d[k] = best_d[k - 1];
            best_i[k] = best_i[k - 1];
        }
        best_d[at] = d;
        best_i[at] = i;
        if (nbest < SUGGEST_MAX) {
            nbest++;
        }
    }
    for (size_t k = 0; k < nbest; k++) {
        err_append(err, k == 0 ? "; did you mean: " : ", ");
        err_append(err, catalog_indicator(cat, best_i[k])->code);
    }
    if (nbest > 0) {
        err_append(err, "?");
    }
}

/* Index of the indicator whose code or Chinese name is @p key. */
static int resolve_indicator(const catalog_t *cat, const char *key,
                             int *out, /* OUT: catalog index */
                             char err[ERR_LEN])
{
    int rc = ERR_OK;
    char quoted[QUOTE_MAX + 1];
    *out = catalog_indicator_find(cat, key);
    if (*out >= 0) {
        goto out;
    }
    /* Quote at most QUOTE_MAX bytes, cut at a UTF-8 character boundary. */
    size_t n = strlen(key);
    if (n > QUOTE_MAX) {
        n = QUOTE_MAX;
        while (n > 0 && ((unsigned char)key[n] & 0xC0u) == 0x80u) {
            n--;
        }
    }
    memcpy(quoted, key, n);
    quoted[n] = '\0';
    snprintf(err, ERR_LEN, "unknown indicator '%s'", quoted);
    suggest(cat, key, err);
    rc = ERR_NOTFOUND;
out:
    return rc;
}

/* The catalog code of region @p code; 0 means the root. */
static int resolve_region(const catalog_t *cat, uint32_t code,
                          uint32_t *out, /* OUT: catalog region code */
                          char err[ERR_LEN])
{
    int rc = ERR_OK;
    int i = code == 0 ? catalog_region_root(cat)
                      : catalog_region_find(cat, code);
    *out = 0;
    if (i < 0) {
        snprintf(err, ERR_LEN, "unknown region %u", code);
        rc = ERR_NOTFOUND;
        goto out;
    }
    *out = catalog_region(cat, (size_t)i)->code;
out:
    return rc;
}

/* What a total-like request names: indicator code and region code. */
typedef struct target {
    const char *code; /* borrowed from the catalog */
    uint32_t region;
} target_t;

static int resolve_target(const catalog_t *cat, const char *indicator,
                          uint32_t region, target_t *t, char err[ERR_LEN])
{
    int rc = ERR_OK;
    int ii = -1;
    rc = resolve_indicator(cat, str_in(indicator), &ii, err);
    if (rc != ERR_OK) {
        goto out;
    }
    t->code = catalog_indicator(cat, (size_t)ii)->code;
    rc = resolve_region(cat, region, &t->region, err);
out:
    return rc;
}

static void total_fill(total_item_t *it, char *code, uint32_t region,
                       const period_t *p, const store_total_t *t)
{
    static const Hrss__Total init = HRSS__TOTAL__INIT;
    it->msg = init;
    period_format(p, it->period, sizeof it->period);
    it->msg.indicator = code;
    it->msg.region = region;
    it->msg.period = it->period;
    it->msg.is_ratio = t->is_ratio != 0;
    it->msg.numerator = t->num;
    it->msg.denominator = t->den;
    it->msg.reporting = t->reporting;
    it->msg.expected = t->expected;
}

/* ---------------------------------------------------------------------- */
/* answers                                                                 */

static int answer_total(store_t *st, const catalog_t *cat,
                        const Hrss__TotalQ *q, reply_t *rp)
{
    int rc = ERR_OK;
    target_t t;
    period_t p;
    store_total_t tot;
    rc = resolve_target(cat, q->indicator, q->region, &t, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse(str_in(q->period), &p, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = store_total(st, t.code, t.region, &p, &tot, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    total_fill(&rp->one[0], pool_dup(&rp->pool, t.code), t.region, &p,
               &tot);
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_TOTAL;
    rp->msg.total = &rp->one[0].msg;
out:
    return rc;
}

/* The total is own + sum(children), which the store guarantees equals
 * store_total() and, unlike a second read, comes from the same snapshot
 * as the parts. */
static int answer_breakdown(store_t *st, const catalog_t *cat,
                            const Hrss__TotalQ *q, reply_t *rp)
{
    int rc = ERR_OK;
    target_t t;
    period_t p;
    store_total_t own;
    store_total_t *kids = NULL;
    size_t n = 0;
    rc = resolve_target(cat, q->indicator, q->region, &t, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse(str_in(q->period), &p, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = store_breakdown(st, t.code, t.region, &p, &own, &kids, &n,
                         rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    const region_t *r =
        catalog_region(cat, (size_t)catalog_region_find(cat, t.region));
    assert(n == r->n_children);
    char *code = pool_dup(&rp->pool, t.code);
    store_total_t sum = own;
    rp->many = xcalloc(n, sizeof *rp->many);
    Hrss__Total **pp = xcalloc(n, sizeof *pp);
    rp->ptrs = pp;
    for (size_t i = 0; i < n; i++) {
        const region_t *child =
            catalog_region(cat, (size_t)r->children[i]);
        total_fill(&rp->many[i], code, child->code, &p, &kids[i]);
        pp[i] = &rp->many[i].msg;
        sum.num += kids[i].num;
        sum.den += kids[i].den;
        sum.reporting += kids[i].reporting;
        sum.expected += kids[i].expected;
    }
    total_fill(&rp->one[0], code, t.region, &p, &own);
    total_fill(&rp->one[1], code, t.region, &p, &sum);
    rp->breakdown.own = &rp->one[0].msg;
    rp->breakdown.total = &rp->one[1].msg;
    rp->breakdown.n_children = n;
    rp->breakdown.children = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_BREAKDOWN;
    rp->msg.breakdown = &rp->breakdown;
out:
    free(kids);
    return rc;
}

static int parse_step(const char *by, enum period_kind *out,
                      char err[ERR_LEN])
{
    int rc = ERR_OK;
    if (strcmp(by, "month") == 0) {
        *out = PERIOD_MONTH;
    } else if (strcmp(by, "quarter") == 0) {
        *out = PERIOD_QUARTER;
    } else if (strcmp(by, "year") == 0) {
        *out = PERIOD_YEAR;
    } else {
        snprintf(err, ERR_LEN,
                 "bad series step '%.64s': expected month, quarter or year",
                 by);
        rc = ERR_INVAL;
    }
    return rc;
}

static int answer_series(store_t *st, const catalog_t *cat,
                         const Hrss__SeriesQ *q, reply_t *rp)
{
    int rc = ERR_OK;
    target_t t;
    period_t from;
    period_t to;
    enum period_kind by = PERIOD_MONTH;
    store_point_t *pts = NULL;
    size_t n = 0;
    rc = resolve_target(cat, q->indicator, q->region, &t, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse(str_in(q->from), &from, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse(str_in(q->to), &to, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    if (from.first > to.last) {
        char a[PERIOD_STR_LEN];
        char b[PERIOD_STR_LEN];
        period_format(&from, a, sizeof a);
        period_format(&to, b, sizeof b);
        snprintf(rp->err, sizeof rp->err,
                 "series from %s starts after to %s ends", a, b);
        rc = ERR_INVAL;
        goto out;
    }
    rc = parse_step(str_in(q->by), &by, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    period_t range = {PERIOD_RANGE, from.first, to.last};
    rc = store_series(st, t.code, t.region, &range, by, &pts, &n, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    char *code = pool_dup(&rp->pool, t.code);
    rp->many = xcalloc(n, sizeof *rp->many);
    Hrss__Total **pp = xcalloc(n, sizeof *pp);
    rp->ptrs = pp;
    for (size_t i = 0; i < n; i++) {
        total_fill(&rp->many[i], code, t.region, &pts[i].period,
                   &pts[i].total);
        pp[i] = &rp->many[i].msg;
    }
    rp->total_list.n_totals = n;
    rp->total_list.totals = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_SERIES;
    rp->msg.series = &rp->total_list;
out:
    free(pts);
    return rc;
}

static int each_revision(const store_revision_t *rev, void *arg)
{
    static const Hrss__Revision init = HRSS__REVISION__INIT;
    reply_t *rp = arg;
    Hrss__Revision *r = vec_push(&rp->items);
    *r = init;
    r->audit_id = rev->audit_id;
    r->received_at = rev->received_at;
    r->agent = pool_dup(&rp->pool, rev->reporter);
    r->seq = rev->seq;
    r->indicator = pool_dup(&rp->pool, rev->indicator);
    r->region = rev->region;
    r->month = month_to_yyyymm(rev->month);
    r->has_old = rev->has_old != 0;
    if (rev->has_old) {
        r->old_numerator = rev->old_value.num;
        r->old_denominator = rev->old_value.den;
    }
    r->new_numerator = rev->new_value.num;
    r->new_denominator = rev->new_value.den;
    r->is_ratio = rev->new_value.is_ratio != 0;
    return 0;
}

static int answer_history(store_t *st, const catalog_t *cat,
                          const Hrss__HistoryQ *q, reply_t *rp)
{
    int rc = ERR_OK;
    target_t t;
    int32_t month = 0;
    rc = resolve_target(cat, q->indicator, q->region, &t, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse_month(str_in(q->month), &month, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rp->items.size = sizeof(Hrss__Revision);
    rc = store_history(st, t.code, t.region, month, each_revision, rp,
                       rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    Hrss__Revision **pp = item_ptrs(rp);
    rp->revision_list.n_revisions = rp->items.n;
    rp->revision_list.revisions = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_HISTORY;
    rp->msg.history = &rp->revision_list;
out:
    return rc;
}

static int each_rejected(const store_rejected_t *rej, void *arg)
{
    static const Hrss__RejectedUpdate ru0 = HRSS__REJECTED_UPDATE__INIT;
    static const Hrss__Update up0 = HRSS__UPDATE__INIT;
    static const Hrss__Ratio ra0 = HRSS__RATIO__INIT;
    reply_t *rp = arg;
    rej_item_t *it = vec_push(&rp->items);
    it->msg = ru0;
    it->update = up0;
    it->ratio = ra0;
    it->msg.id = rej->id;
    it->msg.received_at = rej->received_at;
    it->msg.agent = pool_dup(&rp->pool, rej->reporter);
    it->msg.reason = wire_reason_to_proto(rej->reason);
    it->msg.reason_name =
        pool_dup(&rp->pool, update_reason_name(rej->reason));
    it->msg.message = pool_dup(&rp->pool, rej->message);
    it->update.seq = rej->seq;
    it->update.indicator = pool_dup(&rp->pool, rej->indicator);
    it->update.region = rej->region;
    it->update.month = rej->yyyymm;
    if (rej->value.is_ratio) {
        it->update.value_case = HRSS__UPDATE__VALUE_RATIO;
        it->ratio.numerator = rej->value.num;
        it->ratio.denominator = rej->value.den;
    } else {
        it->update.value_case = HRSS__UPDATE__VALUE_COUNT;
        it->update.count = rej->value.num;
    }
    return 0;
}

static int answer_rejections(store_t *st, const Hrss__RejectionsQ *q,
                             reply_t *rp)
{
    int rc = ERR_OK;
    int64_t since = q->has_since ? q->since : 0;
    rp->items.size = sizeof(rej_item_t);
    rc = store_rejections(st, since, each_rejected, rp, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    Hrss__RejectedUpdate **pp = xcalloc(rp->items.n, sizeof *pp);
    rp->ptrs = pp;
    for (size_t i = 0; i < rp->items.n; i++) {
        rej_item_t *it = vec_at(&rp->items, i);
        if (it->update.value_case == HRSS__UPDATE__VALUE_RATIO) {
            it->update.ratio = &it->ratio;
        }
        it->msg.update = &it->update;
        pp[i] = &it->msg;
    }
    rp->rejection_list.n_rejections = rp->items.n;
    rp->rejection_list.rejections = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_REJECTIONS;
    rp->msg.rejections = &rp->rejection_list;
out:
    return rc;
}

static int each_reporter(const store_reporter_t *rep, void *arg)
{
    static const Hrss__AgentState init = HRSS__AGENT_STATE__INIT;
    reply_t *rp = arg;
    Hrss__AgentState *a = vec_push(&rp->items);
    *a = init;
    a->id = pool_dup(&rp->pool, rep->id);
    a->next_seq = rep->next_seq;
    a->first_seen = rep->first_seen;
    a->last_contact = rep->last_contact;
    a->applied = rep->applied;
    a->rejected = rep->rejected;
    return 0;
}

static int answer_agents(store_t *st, reply_t *rp)
{
    int rc = ERR_OK;
    rp->items.size = sizeof(Hrss__AgentState);
    rc = store_reporters(st, each_reporter, rp, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    Hrss__AgentState **pp = item_ptrs(rp);
    rp->agent_list.n_agents = rp->items.n;
    rp->agent_list.agents = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_AGENTS;
    rp->msg.agents = &rp->agent_list;
out:
    return rc;
}

static int each_violation(const store_violation_t *v, void *arg)
{
    static const Hrss__Violation init = HRSS__VIOLATION__INIT;
    reply_t *rp = arg;
    Hrss__Violation *out = vec_push(&rp->items);
    *out = init;
    out->indicator = pool_dup(&rp->pool, v->indicator);
    out->parent = pool_dup(&rp->pool, v->parent);
    out->region = v->region;
    out->month = month_to_yyyymm(v->month);
    out->value = v->value;
    out->parent_value = v->parent_value;
    return 0;
}

static int answer_violations(store_t *st, const catalog_t *cat,
                             const Hrss__ViolationsQ *q, reply_t *rp)
{
    int rc = ERR_OK;
    period_t p;
    const period_t *pp_period = NULL;
    uint32_t region = 0;
    if (q->period != NULL) {
        rc = period_parse(q->period, &p, rp->err);
        if (rc != ERR_OK) {
            goto out;
        }
        pp_period = &p;
    }
    if (q->has_region && q->region != 0) {
        rc = resolve_region(cat, q->region, &region, rp->err);
        if (rc != ERR_OK) {
            goto out;
        }
    }
    rp->items.size = sizeof(Hrss__Violation);
    rc = store_violations(st, pp_period, region, each_violation, rp,
                          rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    Hrss__Violation **pp = item_ptrs(rp);
    rp->violation_list.n_violations = rp->items.n;
    rp->violation_list.violations = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_VIOLATIONS;
    rp->msg.violations = &rp->violation_list;
out:
    return rc;
}

static int each_fact(const store_fact_t *f, void *arg)
{
    static const Hrss__Fact init = HRSS__FACT__INIT;
    reply_t *rp = arg;
    Hrss__Fact *out = vec_push(&rp->items);
    *out = init;
    out->indicator = pool_dup(&rp->pool, f->indicator);
    out->region = f->region;
    out->month = month_to_yyyymm(f->month);
    out->is_ratio = f->value.is_ratio != 0;
    out->numerator = f->value.num;
    out->denominator = f->value.den;
    out->received_at = f->received_at;
    return 0;
}

static int answer_facts(store_t *st, const Hrss__FactsQ *q, reply_t *rp)
{
    int rc = ERR_OK;
    period_t p;
    int32_t from = INT32_MIN;
    int32_t to = INT32_MAX;
    if (q->from != NULL) {
        rc = period_parse(q->from, &p, rp->err);
        if (rc != ERR_OK) {
            goto out;
        }
        from = p.first;
    }
    if (q->to != NULL) {
        rc = period_parse(q->to, &p, rp->err);
        if (rc != ERR_OK) {
            goto out;
        }
        to = p.last;
    }
    if (from > to) {
        snprintf(rp->err, sizeof rp->err,
                 "facts from '%.32s' starts after to '%.32s' ends",
                 str_in(q->from), str_in(q->to));
        rc = ERR_INVAL;
        goto out;
    }
    rp->items.size = sizeof(Hrss__Fact);
    rc = store_facts(st, from, to, each_fact, rp, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    Hrss__Fact **pp = item_ptrs(rp);
    rp->fact_list.n_facts = rp->items.n;
    rp->fact_list.facts = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_FACTS;
    rp->msg.facts = &rp->fact_list;
out:
    return rc;
}

static int answer_backup(store_t *st, const Hrss__BackupQ *q, reply_t *rp)
{
    int rc = ERR_OK;
    const char *dest = str_in(q->dest);
    if (dest[0] == '\0') {
        snprintf(rp->err, sizeof rp->err, "backup: no destination given");
        rc = ERR_INVAL;
        goto out;
    }
    rc = store_backup(st, dest, rp->err);
out:
    return rc;
}

static int answer_catalog(const catalog_t *cat, reply_t *rp)
{
    ProtobufCBinaryData *out[CATALOG_NFILES] = {
        &rp->catalog.indicators_csv, &rp->catalog.regions_csv,
        &rp->catalog.plan_csv};
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        const char *data;
        size_t len;
        catalog_source(cat, (enum catalog_file)i, &data, &len);
        out[i]->data = (uint8_t *)(uintptr_t)data;
        out[i]->len = len;
    }
    rp->catalog.has_plan_csv = 1;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_CATALOG;
    rp->msg.catalog = &rp->catalog;
    return ERR_OK;
}

/* Regions at or below @p ri in depth-first order (the region first). */
static void subtree(const catalog_t *cat, int ri, int *out, size_t *n)
{
    const region_t *r = catalog_region(cat, (size_t)ri);
    out[(*n)++] = ri;
    for (size_t i = 0; i < r->n_children; i++) {
        subtree(cat, r->children[i], out, n);
    }
}

static int answer_completeness(store_t *st, const catalog_t *cat,
                               const Hrss__CompletenessQ *q, reply_t *rp)
{
    static const Hrss__RegionCompleteness init =
        HRSS__REGION_COMPLETENESS__INIT;
    period_t p;
    uint32_t code = 0;
    int rc = period_parse(str_in(q->period), &p, rp->err);
    if (rc == ERR_OK) {
        rc = resolve_region(cat, q->has_region ? q->region : 0, &code,
                            rp->err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    int ri = catalog_region_find(cat, code);
    const region_t *top = catalog_region(cat, (size_t)ri);
    size_t nind = catalog_indicator_count(cat);
    size_t nreg = 0;
    int *regs = xcalloc(top->subtree_size, sizeof *regs);
    subtree(cat, ri, regs, &nreg);
    Hrss__RegionCompleteness *items = xcalloc(nreg, sizeof *items);
    Hrss__RegionCompleteness **ptrs = xcalloc(nreg, sizeof *ptrs);
    /* One array of nind code pointers per region, split between the
     * reported and the missing lists. */
    rp->strv = xcalloc(nreg * nind + 1, sizeof *rp->strv);
    rp->items.v = (unsigned char *)items;
    rp->ptrs = ptrs;
    for (size_t i = 0; rc == ERR_OK && i < nreg; i++) {
        const region_t *r = catalog_region(cat, (size_t)regs[i]);
        char **row = rp->strv + i * nind;
        size_t nrep = 0;
        size_t nmiss = 0;
        for (size_t k = 0; rc == ERR_OK && k < nind; k++) {
            const indicator_t *ind = catalog_indicator(cat, k);
            store_total_t t;
            rc = store_own(st, ind->code, r->code, &p, &t, rp->err);
            if (rc == ERR_OK && t.reporting > 0) {
                row[nrep++] = (char *)(uintptr_t)ind->code;
            }
        }
        /* missing ones fill the row from the end, then are reversed */
        for (size_t k = 0, j = nind; rc == ERR_OK && k < nind; k++) {
            const indicator_t *ind = catalog_indicator(cat, k);
            int reported = 0;
            for (size_t x = 0; x < nrep; x++) {
                reported |= row[x] == ind->code;
            }
            if (!reported) {
                row[--j] = (char *)(uintptr_t)ind->code;
                nmiss++;
            }
        }
        for (size_t a = nind - nmiss, b = nind - 1; a < b; a++, b--) {
            char *tmp = row[a];
            row[a] = row[b];
            row[b] = tmp;
        }
        items[i] = init;
        items[i].region = r->code;
        items[i].n_reported = nrep;
        items[i].reported = row;
        items[i].n_missing = nmiss;
        items[i].missing = row + (nind - nmiss);
        ptrs[i] = &items[i];
    }
    free(regs);
    if (rc != ERR_OK) {
        return rc;
    }
    period_format(&p, rp->one[0].period, sizeof rp->one[0].period);
    rp->completeness.period = rp->one[0].period;
    rp->completeness.region = top->code;
    rp->completeness.n_regions = nreg;
    rp->completeness.regions = ptrs;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_COMPLETENESS;
    rp->msg.completeness = &rp->completeness;
    return ERR_OK;
}

/* ---------------------------------------------------------------------- */

/* 1 when the request's oneof case is set and its message is present. */
static int has_payload(const Hrss__QueryRequest *q)
{
    switch (q->q_case) {
    case HRSS__QUERY_REQUEST__Q_TOTAL: return q->total != NULL;
    case HRSS__QUERY_REQUEST__Q_BREAKDOWN: return q->breakdown != NULL;
    case HRSS__QUERY_REQUEST__Q_SERIES: return q->series != NULL;
    case HRSS__QUERY_REQUEST__Q_HISTORY: return q->history != NULL;
    case HRSS__QUERY_REQUEST__Q_REJECTIONS: return q->rejections != NULL;
    case HRSS__QUERY_REQUEST__Q_AGENTS: return q->agents != NULL;
    case HRSS__QUERY_REQUEST__Q_VIOLATIONS: return q->violations != NULL;
    case HRSS__QUERY_REQUEST__Q_FACTS: return q->facts != NULL;
    case HRSS__QUERY_REQUEST__Q_BACKUP: return q->backup != NULL;
    case HRSS__QUERY_REQUEST__Q_CATALOG: return q->catalog != NULL;
    case HRSS__QUERY_REQUEST__Q_COMPLETENESS:
        return q->completeness != NULL;
    case HRSS__QUERY_REQUEST__Q__NOT_SET:
    default: return 0;
    }
}

static int dispatch(store_t *st, const catalog_t *cat,
                    const Hrss__QueryRequest *q, reply_t *rp)
{
    int rc = ERR_OK;
    if (!has_payload(q)) {
        snprintf(rp->err, sizeof rp->err,
                 "malformed query request: no query kind set");
        rc = ERR_PROTO;
        goto out;
    }
    switch (q->q_case) {
    case HRSS__QUERY_REQUEST__Q_TOTAL:
        rc = answer_total(st, cat, q->total, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_BREAKDOWN:
        rc = answer_breakdown(st, cat, q->breakdown, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_SERIES:
        rc = answer_series(st, cat, q->series, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_HISTORY:
        rc = answer_history(st, cat, q->history, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_REJECTIONS:
        rc = answer_rejections(st, q->rejections, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_AGENTS:
        rc = answer_agents(st, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_VIOLATIONS:
        rc = answer_violations(st, cat, q->violations, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_FACTS:
        rc = answer_facts(st, q->facts, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_BACKUP:
        rc = answer_backup(st, q->backup, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_CATALOG:
        rc = answer_catalog(cat, rp);
        break;
    case HRSS__QUERY_REQUEST__Q_COMPLETENESS:
        rc = answer_completeness(st, cat, q->completeness, rp);
        break;
    case HRSS__QUERY_REQUEST__Q__NOT_SET:
    default:
        rc = ERR_PROTO; /* has_payload() said no */
        break;
    }
out:
    return rc;
}

void query_answer(store_t *st, const catalog_t *cat, const uint8_t *req,
                  size_t len, buf_t *out)
{
    int rc = ERR_OK;
    reply_t rp;
    wire_cap_t ca;
    Hrss__QueryRequest *q = NULL;
    buf_sink_t sink = {{sink_append}, out};
    wire_cap_init(&ca, UNPACK_BUDGET);
    reply_init(&rp);
    if (req == NULL || len == 0) {
        snprintf(rp.err, sizeof rp.err,
                 "malformed query request: empty message");
        rc = ERR_PROTO;
        goto out;
    }
    if (len > QUERY_MAX_REQUEST) {
        snprintf(rp.err, sizeof rp.err,
                 "malformed query request: %zu bytes, limit %d", len,
                 QUERY_MAX_REQUEST);
        rc = ERR_PROTO;
        goto out;
    }
    q = hrss__query_request__unpack(&ca.base, len, req);
    if (q == NULL) {
        snprintf(rp.err, sizeof rp.err, "malformed query request");
        rc = ERR_PROTO;
        goto out;
    }
    rc = dispatch(st, cat, q, &rp);
out:
    if (rc != ERR_OK) {
        reply_error(&rp, rc);
    } else {
        rp.msg.code = HRSS__QUERY_STATUS__QUERY_OK;
        rp.msg.error = NULL;
    }
    hrss__query_response__pack_to_buffer(&rp.msg, &sink.base);
    if (q != NULL) {
        hrss__query_request__free_unpacked(q, &ca.base);
    }
    reply_fini(&rp);
}
