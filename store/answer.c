/* answer.c: one answer_*() per query kind of the query server (the
 * breakdown and the series are answer_map.c's, the approvals
 * answer_appr.c's, comments answer_comment.c's, outliers answer_outl.c's).
 *
 * Design
 * ------
 * Each answer reads its request fields through resolve.c, asks the store
 * (store.h) and fills the caller's reply_t (reply.h): single totals in the
 * reply's fixed slots, lists through a store callback that pushes one item
 * per entry and copies every borrowed string into the reply's pool at
 * once. The pointer arrays of repeated fields are built after the last
 * push. A failure leaves rp->err saying why and returns its ERR_* code;
 * query.c turns it into the error response. The catalog is the store's
 * own (store_catalog()), the one its aggregates were built for.
 *
 * Lists (history, rejections, agents, violations, facts, completeness)
 * come in pages (query.h): each callback skips items up to the request's
 * position, stops the store's scan when the page is full, and counts the
 * item it takes (reply.h), so a list never grows past its page in
 * memory. Facts (export) resume with one seek at the page's position;
 * the other listings start at the table's first key, so a page deep in
 * one of them costs a scan of the items before it (they are short:
 * rejections are capped per reporter). Completeness reads a page's rows
 * in one transaction (store_reported) and allocates for that page only;
 * for one month it adds timeliness (common/deadline): each cell's state
 * from the time of its first report, the month's deadlines, and per
 * region the cells due and those on time.
 *
 * INVARIANTS
 *   1. On ERR_OK the reply's oneof case and payload are those of the
 *      request's kind (none for backup); on failure the payload may be
 *      half built and is discarded by reply_error().
 *   2. Every indicator in a response is a catalog code and every region
 *      a catalog code (0 resolved to the root).
 *   3. Pointers into rp->items are taken only after the answer's last
 *      reply_push() (reply.h INVARIANT 2).
 *   4. A list answer holds the items after the request's position, in the
 *      store's order, within its page (reply.h INVARIANT 5).
 */
#include "store/answer.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/deadline.h"
#include "common/mem.h"
#include "common/wire.h"
#include "store/resolve.h"

int answer_total(store_t *st, const Hrss__TotalQ *q, reply_t *rp)
{
    const catalog_t *cat = store_catalog(st);
    int rc = ERR_OK;
    resolve_target_t t;
    period_t p;
    store_total_t tot;
    rc = resolve_target(cat, q->indicator, q->region, &t, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse(resolve_str(q->period), &p, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = q->has_approved_only && q->approved_only
             ? store_total_approved(st, t.code, t.region, &p, &tot, rp->err)
             : store_total(st, t.code, t.region, &p, &tot, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    reply_total(&rp->one[0], reply_dup(rp, t.code), t.region, &p,
               &tot);
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_TOTAL;
    rp->msg.total = &rp->one[0].msg;
out:
    return rc;
}

static int each_revision(const store_revision_t *rev, void *arg)
{
    static const Hrss__Revision init = HRSS__REVISION__INIT;
    reply_t *rp = arg;
    reply_key_t k = {.list = REPLY_LIST_HISTORY, .id = rev->audit_id};
    if (!reply_page_wants(rp, &k)) {
        return 0;
    }
    if (!reply_page_room(rp)) {
        return 1;
    }
    Hrss__Revision *r = reply_push(rp);
    *r = init;
    r->audit_id = rev->audit_id;
    r->received_at = rev->received_at;
    r->agent = reply_dup(rp, rev->reporter);
    r->seq = rev->seq;
    r->indicator = reply_dup(rp, rev->indicator);
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
    reply_page_took(rp, &k, hrss__revision__get_packed_size(r));
    return 0;
}

int answer_history(store_t *st, const Hrss__HistoryQ *q, reply_t *rp)
{
    const catalog_t *cat = store_catalog(st);
    int rc = ERR_OK;
    resolve_target_t t;
    int32_t month = 0;
    rc = resolve_target(cat, q->indicator, q->region, &t, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = period_parse_month(resolve_str(q->month), &month, rp->err);
    if (rc != ERR_OK) {
        goto out;
    }
    rc = reply_page_begin(rp, REPLY_LIST_HISTORY, q->has_after, &q->after,
                          q->has_limit, q->limit);
    if (rc != ERR_OK) {
        goto out;
    }
    rp->items.size = answer_history_item();
    size_t n_comments = 0;
    if (!q->has_after) { /* comments come with the first page */
        rc = answer_history_comments(st, t.code, t.region, month, rp);
        n_comments = rp->items.n;
    }
    if (rc == ERR_OK) {
        rc = store_history(st, t.code, t.region, month, each_revision, rp,
                           rp->err);
    }
    if (rc == ERR_OK) {
        rc = reply_page_end(rp, &rp->revision_list.has_next,
                            &rp->revision_list.next);
    }
    if (rc != ERR_OK) {
        goto out;
    }
    void **pp = reply_ptrs(rp);
    rp->revision_list.n_comments = n_comments;
    rp->revision_list.comments = (Hrss__Comment **)pp;
    rp->revision_list.n_revisions = rp->items.n - n_comments;
    rp->revision_list.revisions = (Hrss__Revision **)(pp + n_comments);
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_HISTORY;
    rp->msg.history = &rp->revision_list;
out:
    return rc;
}

/* A rejected update with its Update and Ratio; msg points into the item
 * only after collection (reply.h INVARIANT 2). */
typedef struct rej_item {
    Hrss__RejectedUpdate msg;
    Hrss__Update update;
    Hrss__Ratio ratio;
} rej_item_t;

static int each_rejected(const store_rejected_t *rej, void *arg)
{
    static const Hrss__RejectedUpdate ru0 = HRSS__REJECTED_UPDATE__INIT;
    static const Hrss__Update up0 = HRSS__UPDATE__INIT;
    static const Hrss__Ratio ra0 = HRSS__RATIO__INIT;
    reply_t *rp = arg;
    reply_key_t k = {.list = REPLY_LIST_REJECTIONS, .id = rej->id};
    if (!reply_page_wants(rp, &k)) {
        return 0;
    }
    if (!reply_page_room(rp)) {
        return 1;
    }
    rej_item_t *it = reply_push(rp);
    it->msg = ru0;
    it->update = up0;
    it->ratio = ra0;
    it->msg.id = rej->id;
    it->msg.received_at = rej->received_at;
    it->msg.agent = reply_dup(rp, rej->reporter);
    it->msg.reason = wire_reason_to_proto(rej->reason);
    it->msg.reason_name =
        reply_dup(rp, update_reason_name(rej->reason));
    it->msg.message = reply_dup(rp, rej->message);
    it->update.seq = rej->seq;
    it->update.indicator = reply_dup(rp, rej->indicator);
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
    /* Linked for measuring only: the item may move before the answer's
     * pointers are set for good (reply.h INVARIANT 2). */
    it->msg.update = &it->update;
    if (rej->value.is_ratio) {
        it->update.ratio = &it->ratio; /* shares a union with count */
    }
    reply_page_took(rp, &k, hrss__rejected_update__get_packed_size(&it->msg));
    return 0;
}

int answer_rejections(store_t *st, const Hrss__RejectionsQ *q,
                      reply_t *rp)
{
    int rc = ERR_OK;
    int64_t since = q->has_since ? q->since : 0;
    rc = reply_page_begin(rp, REPLY_LIST_REJECTIONS, q->has_after,
                          &q->after, q->has_limit, q->limit);
    if (rc != ERR_OK) {
        goto out;
    }
    rp->items.size = sizeof(rej_item_t);
    rc = store_rejections(st, since, each_rejected, rp, rp->err);
    if (rc == ERR_OK) {
        rc = reply_page_end(rp, &rp->rejection_list.has_next,
                            &rp->rejection_list.next);
    }
    if (rc != ERR_OK) {
        goto out;
    }
    Hrss__RejectedUpdate **pp = xcalloc(rp->items.n, sizeof *pp);
    rp->ptrs = pp;
    for (size_t i = 0; i < rp->items.n; i++) {
        rej_item_t *it = reply_item(rp, i);
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
    reply_key_t k = {.list = REPLY_LIST_AGENTS};
    reply_key_str(&k, rep->id);
    if (!reply_page_wants(rp, &k)) {
        return 0;
    }
    if (!reply_page_room(rp)) {
        return 1;
    }
    Hrss__AgentState *a = reply_push(rp);
    *a = init;
    a->id = reply_dup(rp, rep->id);
    a->next_seq = rep->next_seq;
    a->first_seen = rep->first_seen;
    a->last_contact = rep->last_contact;
    a->applied = rep->applied;
    a->rejected = rep->rejected;
    reply_page_took(rp, &k, hrss__agent_state__get_packed_size(a));
    return 0;
}

int answer_agents(store_t *st, const Hrss__AgentsQ *q, reply_t *rp)
{
    int rc = reply_page_begin(rp, REPLY_LIST_AGENTS, q->has_after,
                              &q->after, q->has_limit, q->limit);
    if (rc != ERR_OK) {
        goto out;
    }
    rp->items.size = sizeof(Hrss__AgentState);
    rc = store_reporters(st, each_reporter, rp, rp->err);
    if (rc == ERR_OK) {
        rc = reply_page_end(rp, &rp->agent_list.has_next,
                            &rp->agent_list.next);
    }
    if (rc != ERR_OK) {
        goto out;
    }
    Hrss__AgentState **pp = reply_ptrs(rp);
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
    reply_key_t k = {.list = REPLY_LIST_VIOLATIONS, .region = v->region,
                     .month = v->month};
    reply_key_str(&k, v->indicator);
    if (!reply_page_wants(rp, &k)) {
        return 0;
    }
    if (!reply_page_room(rp)) {
        return 1;
    }
    Hrss__Violation *out = reply_push(rp);
    *out = init;
    out->indicator = reply_dup(rp, v->indicator);
    out->parent = reply_dup(rp, v->parent);
    out->region = v->region;
    out->month = month_to_yyyymm(v->month);
    out->value = v->value;
    out->parent_value = v->parent_value;
    reply_page_took(rp, &k, hrss__violation__get_packed_size(out));
    return 0;
}

int answer_violations(store_t *st, const Hrss__ViolationsQ *q,
                      reply_t *rp)
{
    const catalog_t *cat = store_catalog(st);
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
    rc = reply_page_begin(rp, REPLY_LIST_VIOLATIONS, q->has_after,
                          &q->after, q->has_limit, q->limit);
    if (rc != ERR_OK) {
        goto out;
    }
    rp->items.size = sizeof(Hrss__Violation);
    rc = store_violations(st, pp_period, region, each_violation, rp,
                          rp->err);
    if (rc == ERR_OK) {
        rc = reply_page_end(rp, &rp->violation_list.has_next,
                            &rp->violation_list.next);
    }
    if (rc != ERR_OK) {
        goto out;
    }
    Hrss__Violation **pp = reply_ptrs(rp);
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
    reply_key_t k = {.list = REPLY_LIST_FACTS, .region = f->region,
                     .month = f->month};
    reply_key_str(&k, f->indicator);
    if (!reply_page_wants(rp, &k)) {
        return 0;
    }
    if (!reply_page_room(rp)) {
        return 1;
    }
    Hrss__Fact *out = reply_push(rp);
    *out = init;
    out->indicator = reply_dup(rp, f->indicator);
    out->region = f->region;
    out->month = month_to_yyyymm(f->month);
    out->is_ratio = f->value.is_ratio != 0;
    out->numerator = f->value.num;
    out->denominator = f->value.den;
    out->received_at = f->received_at;
    reply_page_took(rp, &k, hrss__fact__get_packed_size(out));
    return 0;
}

int answer_facts(store_t *st, const Hrss__FactsQ *q, reply_t *rp)
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
                 "export: --from '%.32s' starts after --to '%.32s' ends",
                 resolve_str(q->from), resolve_str(q->to));
        rc = ERR_INVAL;
        goto out;
    }
    rc = reply_page_begin(rp, REPLY_LIST_FACTS, q->has_after, &q->after,
                          q->has_limit, q->limit);
    if (rc != ERR_OK) {
        goto out;
    }
    rp->items.size = sizeof(Hrss__Fact);
    if (rp->page.has_after) {
        /* One seek to the position, not a scan of the facts before it. */
        const reply_key_t *a = &rp->page.after;
        rc = store_facts_from(st, a->str, a->region, a->month, from, to,
                              each_fact, rp, rp->err);
    } else {
        rc = store_facts(st, from, to, each_fact, rp, rp->err);
    }
    if (rc == ERR_OK) {
        rc = reply_page_end(rp, &rp->fact_list.has_next,
                            &rp->fact_list.next);
    }
    if (rc != ERR_OK) {
        goto out;
    }
    Hrss__Fact **pp = reply_ptrs(rp);
    rp->fact_list.n_facts = rp->items.n;
    rp->fact_list.facts = pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_FACTS;
    rp->msg.facts = &rp->fact_list;
out:
    return rc;
}

/* A backup name a client may give: 1..QUERY_BACKUP_NAME_MAX bytes of
 * [A-Za-z0-9._-], not starting with '.', so never a path, "." or "..",
 * nor a backup's temporary name (store_backup). */
static int plain_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > QUERY_BACKUP_NAME_MAX || s[0] == '.') {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' ||
                 c == '-';
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

int answer_backup(store_t *st, const query_ctx_t *ctx,
                  const Hrss__BackupQ *q, reply_t *rp)
{
    int rc = ERR_OK;
    const char *dest = resolve_str(q->dest);
    char path[4096];
    if (ctx->role != QUERY_ROLE_ADMIN) {
        snprintf(rp->err, sizeof rp->err,
                 "backup: not authorized (it needs an admin key)");
        rc = ERR_DENIED;
        goto out;
    }
    if (dest[0] == '\0') {
        snprintf(rp->err, sizeof rp->err, "backup: no destination given");
        rc = ERR_INVAL;
        goto out;
    }
    if (ctx->backup_dir == NULL) {
        if (ctx->backup_any_path) {
            rc = store_backup(st, dest, rp->err);
        } else {
            snprintf(rp->err, sizeof rp->err,
                     "backup: not authorized here (the collector was "
                     "started without --backup-dir)");
            rc = ERR_DENIED;
        }
        goto out;
    }
    if (!plain_name(dest)) {
        snprintf(rp->err, sizeof rp->err,
                 "backup: '%.64s' is not a plain name (1 to %d of A-Z a-z "
                 "0-9 . _ -, not starting with '.'); backups go into the "
                 "collector's --backup-dir",
                 dest, QUERY_BACKUP_NAME_MAX);
        rc = ERR_INVAL;
        goto out;
    }
    int n = snprintf(path, sizeof path, "%s/%s", ctx->backup_dir, dest);
    if (n < 0 || (size_t)n >= sizeof path) {
        snprintf(rp->err, sizeof rp->err, "backup: path too long");
        rc = ERR_INVAL;
        goto out;
    }
    rc = store_backup(st, path, rp->err);
out:
    return rc;
}

int answer_catalog(store_t *st, reply_t *rp)
{
    const catalog_t *cat = store_catalog(st);
    ProtobufCBinaryData *out[CATALOG_NFILES] = {
        &rp->catalog.indicators_csv, &rp->catalog.regions_csv,
        &rp->catalog.plan_csv, &rp->catalog.targets_csv,
        &rp->catalog.region_changes_csv};
    for (size_t i = 0; i < CATALOG_NFILES; i++) {
        const char *data;
        size_t len;
        catalog_source(cat, (enum catalog_file)i, &data, &len);
        out[i]->data = (uint8_t *)(uintptr_t)data;
        out[i]->len = len;
    }
    rp->catalog.has_plan_csv = 1;
    /* A catalog loaded without targets.csv sends none (not an empty
     * file, which would be refused as one). */
    rp->catalog.has_targets_csv = rp->catalog.targets_csv.data != NULL;
    rp->catalog.has_region_changes_csv =
        rp->catalog.region_changes_csv.data != NULL;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_CATALOG;
    rp->msg.catalog = &rp->catalog;
    return ERR_OK;
}

/* Regions at or below @p ri in depth-first order (the region first)
 * that exist in some month of @p p: a month expects only the map of that
 * month (a region is listed, for a longer period, for the months it
 * exists: store_reported clips). */
static void subtree(const catalog_t *cat, int ri, const period_t *p,
                    int *out, size_t *n)
{
    const region_t *r = catalog_region(cat, (size_t)ri);
    if (catalog_region_valid_in(cat, ri, p->first, p->last)) {
        out[(*n)++] = ri;
    }
    for (size_t i = 0; i < r->n_children; i++) {
        subtree(cat, r->children[i], p, out, n);
    }
}

/* The completeness page under construction: its rows, one array of
 * catalog_indicator_count() code pointers each (rp->strv), split into
 * the reported, the missing and (a month only) the codes not due, each
 * in catalog order; for a month, each row's late cells (rp->late, nind
 * per row) with their pointers (rp->late_ptrs). */
typedef struct comp_page {
    reply_t *rp;
    const catalog_t *cat;
    uint32_t top;   /* the subtree's region: part of every position */
    uint64_t pos;   /* the next row's place in the subtree, from 0 */
    size_t n;       /* rows taken */
    int32_t month;  /* the month, when the period is one (timeliness) */
    Hrss__RegionCompleteness *items;
    Hrss__RegionCompleteness **ptrs;
} comp_page_t;

/* Where indicator @p k goes in a row: 0 reported, 1 missing, 2 not due
 * (a month's only: before that, every indicator is due). */
static int comp_slot(const comp_page_t *c, size_t k,
                     const unsigned char *reported, const int64_t *first)
{
    if (reported[k] != 0) {
        return 0;
    }
    if (first != NULL &&
        !deadline_due(catalog_indicator(c->cat, k), c->month)) {
        return 2;
    }
    return 1;
}

/* A month's timeliness of row @p item: its late cells, due and on-time
 * counts. */
static void comp_timeliness(comp_page_t *c, Hrss__RegionCompleteness *item,
                            const int64_t *first)
{
    static const Hrss__LateReport init = HRSS__LATE_REPORT__INIT;
    size_t nind = catalog_indicator_count(c->cat);
    const catalog_plan_t *plan = catalog_plan(c->cat);
    Hrss__LateReport *late = (Hrss__LateReport *)c->rp->late + c->n * nind;
    Hrss__LateReport **lp =
        (Hrss__LateReport **)c->rp->late_ptrs + c->n * nind;
    item->has_expected = 1;
    item->has_on_time = 1;
    for (size_t k = 0; k < nind; k++) {
        const indicator_t *ind = catalog_indicator(c->cat, k);
        int64_t days = 0;
        enum deadline_state st =
            deadline_state(plan, ind, c->month, first[k], &days);
        item->expected += st != DEADLINE_NOT_DUE;
        item->on_time += st == DEADLINE_ON_TIME;
        if (st == DEADLINE_LATE) {
            Hrss__LateReport *l = &late[item->n_late];
            *l = init;
            l->indicator = (char *)(uintptr_t)ind->code;
            l->days_late = days > UINT32_MAX ? UINT32_MAX : (uint32_t)days;
            l->received_at = first[k];
            lp[item->n_late++] = l;
        }
    }
    item->late = lp;
}

static int each_region(uint32_t region, const unsigned char *reported,
                       const int64_t *first, void *arg)
{
    static const Hrss__RegionCompleteness init =
        HRSS__REGION_COMPLETENESS__INIT;
    comp_page_t *c = arg;
    if (!reply_page_room(c->rp)) {
        return 1;
    }
    size_t nind = catalog_indicator_count(c->cat);
    char **row = c->rp->strv + c->n * nind;
    size_t count[3] = {0, 0, 0};
    size_t at = 0;
    for (int slot = 0; slot < 3; slot++) {
        for (size_t k = 0; k < nind; k++) {
            if (comp_slot(c, k, reported, first) == slot) {
                row[at++] = (char *)(uintptr_t)
                                catalog_indicator(c->cat, k)->code;
                count[slot]++;
            }
        }
    }
    Hrss__RegionCompleteness *item = &c->items[c->n];
    *item = init;
    item->region = region;
    item->n_reported = count[0];
    item->reported = row;
    item->n_missing = count[1];
    item->missing = row + count[0];
    item->n_not_due = count[2];
    item->not_due = row + count[0] + count[1];
    if (first != NULL) {
        comp_timeliness(c, item, first);
    }
    c->ptrs[c->n] = item;
    reply_key_t k = {.list = REPLY_LIST_COMPLETENESS, .region = c->top,
                     .id = c->pos + 1};
    reply_page_took(c->rp, &k,
                    hrss__region_completeness__get_packed_size(item));
    c->n++;
    c->pos++;
    return 0;
}

/* The month's deadlines, and the plan's zone, into the answer. */
static void comp_deadlines(reply_t *rp, const catalog_t *cat, int32_t month)
{
    static const Hrss__IndicatorDeadline init =
        HRSS__INDICATOR_DEADLINE__INIT;
    size_t nind = catalog_indicator_count(cat);
    const catalog_plan_t *plan = catalog_plan(cat);
    Hrss__IndicatorDeadline *d = xcalloc(nind + 1, sizeof *d);
    Hrss__IndicatorDeadline **dp = xcalloc(nind + 1, sizeof *dp);
    rp->deadlines = d;
    rp->deadline_ptrs = dp;
    size_t n = 0;
    for (size_t k = 0; k < nind; k++) {
        const indicator_t *ind = catalog_indicator(cat, k);
        if (!deadline_due(ind, month)) {
            continue;
        }
        d[n] = init;
        d[n].indicator = (char *)(uintptr_t)ind->code;
        d[n].deadline = deadline_of(plan, ind, month);
        dp[n] = &d[n];
        n++;
    }
    rp->completeness.has_timeliness = 1;
    rp->completeness.timeliness = 1;
    rp->completeness.n_deadlines = n;
    rp->completeness.deadlines = dp;
    rp->completeness.time_zone = (char *)(uintptr_t)plan->time_zone;
    rp->completeness.has_tz_offset = 1;
    rp->completeness.tz_offset = plan->tz_offset;
}

int answer_completeness(store_t *st, const Hrss__CompletenessQ *q,
                        reply_t *rp)
{
    const catalog_t *cat = store_catalog(st);
    period_t p;
    uint32_t code = 0;
    int rc = period_parse(resolve_str(q->period), &p, rp->err);
    if (rc == ERR_OK) {
        rc = resolve_region(cat, q->has_region ? q->region : 0, &code,
                            rp->err);
    }
    if (rc == ERR_OK) {
        rc = reply_page_begin(rp, REPLY_LIST_COMPLETENESS, q->has_after,
                              &q->after, q->has_limit, q->limit);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    int ri = catalog_region_find(cat, code);
    const region_t *top = catalog_region(cat, (size_t)ri);
    size_t nind = catalog_indicator_count(cat);
    size_t nreg = 0;
    int *regs = xcalloc(top->subtree_size, sizeof *regs);
    subtree(cat, ri, &p, regs, &nreg);
    /* A page's position is its place in the subtree's order, which the
     * catalog fixes for the collector's life. */
    uint64_t first = rp->page.has_after ? rp->page.after.id : 0;
    if (first > nreg || (rp->page.has_after &&
                         (rp->page.after.str[0] != '\0' ||
                          rp->page.after.region != top->code))) {
        free(regs);
        snprintf(rp->err, sizeof rp->err,
                 "malformed page position (after): not a `next` of this "
                 "list");
        return ERR_INVAL;
    }
    /* Rows for this page only: at most its limit, and the regions left. */
    size_t left = nreg - (size_t)first;
    size_t cap = left < rp->page.limit ? left : rp->page.limit;
    uint32_t *codes = xcalloc(left + 1, sizeof *codes);
    for (size_t i = 0; i < left; i++) {
        codes[i] = catalog_region(cat, (size_t)regs[first + i])->code;
    }
    free(regs);
    comp_page_t c = {rp, cat, top->code, first, 0, p.first, NULL, NULL};
    c.items = xcalloc(cap + 1, sizeof *c.items);
    c.ptrs = xcalloc(cap + 1, sizeof *c.ptrs);
    rp->items.v = (unsigned char *)c.items;
    rp->ptrs = c.ptrs;
    rp->strv = xcalloc(cap * nind + 1, sizeof *rp->strv);
    if (p.first == p.last) {
        rp->late = xcalloc(cap * nind + 1, sizeof(Hrss__LateReport));
        rp->late_ptrs = xcalloc(cap * nind + 1, sizeof(Hrss__LateReport *));
    }
    /* One transaction for the page (the whole answer when it fits). */
    rc = store_reported(st, codes, left, &p, each_region, &c, rp->err);
    free(codes);
    if (rc == ERR_OK) {
        rc = reply_page_end(rp, &rp->completeness.has_next,
                            &rp->completeness.next);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    period_format(&p, rp->one[0].period, sizeof rp->one[0].period);
    rp->completeness.period = rp->one[0].period;
    rp->completeness.region = top->code;
    rp->completeness.n_regions = c.n;
    rp->completeness.regions = c.ptrs;
    if (p.first == p.last) {
        comp_deadlines(rp, cat, p.first);
    }
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_COMPLETENESS;
    rp->msg.completeness = &rp->completeness;
    return ERR_OK;
}
