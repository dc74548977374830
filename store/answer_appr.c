/* answer_appr.c: the query server's answers about approvals (answer.h), and
 * the audit chain's head (answer_audit_head, one read of store/chain.c):
 * ApproveQ takes an approver's action (store_approval_act), ApprovalsQ
 * lists a month's states and its log.
 *
 * Who may approve is decided here from the query's context (query.h,
 * invariant 6): on a plain collector anyone, under the name the request
 * gives; under CURVE only an admin key, under its own name and within
 * its scope. The store checks the rules of the levels (approve.c).
 *
 * Both answers are an ApprovalList: its items are the reply's one item
 * vector, Approval records first, then ApprovalEvent records (each item
 * the size of the larger), so one pointer array serves both fields.
 *
 * INVARIANTS
 *   1. A name a request gives is used only on a plain collector.
 *   2. An ApprovalList's `approvals` are the subtree in catalog order;
 *      its `log` the month's actions oldest first.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/answer.h"
#include "store/resolve.h"

typedef union appr_item {
    Hrss__Approval a;
    Hrss__ApprovalEvent e;
} appr_item_t;

/* "approve" ... into *out. @return 0, or -1 for another word. */
static int parse_action(const char *s, enum store_approval_action *out)
{
    static const enum store_approval_action all[] = {
        STORE_APPROVE, STORE_UNAPPROVE, STORE_ACCEPT, STORE_UNACCEPT,
        STORE_EXCEPT, STORE_UNEXCEPT};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(s, store_approval_action_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return -1;
}

static void put_approval(reply_t *rp, const store_approval_t *a)
{
    appr_item_t *it = reply_push(rp);
    hrss__approval__init(&it->a);
    it->a.region = a->region;
    it->a.state = reply_dup(rp, store_approval_state_name(a->state));
    it->a.has_exception = 1;
    it->a.exception = a->exception != 0;
    if (a->state != STORE_OPEN) {
        it->a.by = reply_dup(rp, a->by);
        it->a.has_at = 1;
        it->a.at = a->at;
    }
}

static int each_state(const store_approval_t *a, void *arg)
{
    put_approval(arg, a);
    return 0;
}

static int each_event(const store_approval_event_t *e, void *arg)
{
    reply_t *rp = arg;
    appr_item_t *it = reply_push(rp);
    hrss__approval_event__init(&it->e);
    it->e.id = e->id;
    it->e.region = e->region;
    it->e.action = reply_dup(rp, store_approval_action_name(e->action));
    it->e.by = reply_dup(rp, e->by);
    it->e.at = e->at;
    return 0;
}

/* The ApprovalList of the items pushed: @p n_states Approvals, then
 * events. */
static void finish(reply_t *rp, const char *month, size_t n_states)
{
    void **pp = reply_ptrs(rp);
    Hrss__ApprovalList *l = &rp->approval_list;
    hrss__approval_list__init(l);
    l->month = reply_dup(rp, month);
    l->n_approvals = n_states;
    l->approvals = (Hrss__Approval **)pp;
    l->n_log = rp->items.n - n_states;
    l->log = (Hrss__ApprovalEvent **)(pp + n_states);
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_APPROVALS;
    rp->msg.approvals = l;
}

int answer_writer(const query_ctx_t *ctx, const char *by, const char *what,
                  const char **name, const unsigned char **scope,
                  reply_t *rp)
{
    if (ctx->plain) {
        if (by == NULL || by[0] == '\0') {
            snprintf(rp->err, sizeof rp->err,
                     "a plain collector takes %s under a name: give --as "
                     "NAME", what);
            return ERR_INVAL;
        }
        *name = by;
        *scope = NULL;
        return ERR_OK;
    }
    if (by != NULL) {
        snprintf(rp->err, sizeof rp->err,
                 "--as NAME is for a plain collector: this one takes the "
                 "admin key's own name");
        return ERR_INVAL;
    }
    if (ctx->role != QUERY_ROLE_ADMIN || ctx->who == NULL) {
        snprintf(rp->err, sizeof rp->err,
                 "%s need an admin key whose regions cover the region (the "
                 "collector's admins file)", what);
        return ERR_DENIED;
    }
    *name = ctx->who;
    *scope = ctx->scope;
    return ERR_OK;
}

int answer_approve(store_t *st, const query_ctx_t *ctx,
                   const Hrss__ApproveQ *q, reply_t *rp)
{
    store_approval_req_t rq = {.at = (int64_t)time(NULL)};
    uint32_t region = 0;
    int rc = ERR_OK;
    if (parse_action(q->action, &rq.action) != 0) {
        snprintf(rp->err, sizeof rp->err,
                 "'%.40s' is not an approval action: approve, unapprove, "
                 "accept, unaccept, except or unexcept", q->action);
        return ERR_INVAL;
    }
    rc = period_parse_month(q->month, &rq.month, rp->err);
    if (rc == ERR_OK) {
        rc = resolve_region(store_catalog(st), q->region, &region, rp->err);
    }
    if (rc == ERR_OK) {
        rc = answer_writer(ctx, q->by, "approvals", &rq.by, &rq.allowed,
                           rp);
    }
    store_approval_t a;
    if (rc == ERR_OK) {
        rq.region = region;
        rc = store_approval_act(st, &rq, &a, rp->err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    rp->items.size = sizeof(appr_item_t);
    put_approval(rp, &a);
    char month[PERIOD_STR_LEN];
    month_format(rq.month, month, sizeof month);
    finish(rp, month, 1);
    return ERR_OK;
}

int answer_approvals(store_t *st, const Hrss__ApprovalsQ *q, reply_t *rp)
{
    int32_t m = 0;
    uint32_t region = 0;
    int rc = period_parse_month(q->month, &m, rp->err);
    if (rc == ERR_OK && q->has_region && q->region != 0) {
        rc = resolve_region(store_catalog(st), q->region, &region, rp->err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    rp->items.size = sizeof(appr_item_t);
    rc = store_approvals(st, m, region, each_state, rp, rp->err);
    size_t n_states = rp->items.n;
    if (rc == ERR_OK) {
        rc = store_approval_log(st, m, each_event, rp, rp->err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    char month[PERIOD_STR_LEN];
    month_format(m, month, sizeof month);
    finish(rp, month, n_states);
    return ERR_OK;
}

int answer_audit_head(store_t *st, reply_t *rp)
{
    store_chain_head_t h;
    int rc = store_chain_head(st, &h, rp->err);
    if (rc != ERR_OK) {
        return rc;
    }
    memcpy(rp->head, h.head, sizeof rp->head);
    rp->audit_head.position = h.position;
    rp->audit_head.head.len = sizeof rp->head;
    rp->audit_head.head.data = rp->head;
    rp->audit_head.has_at = h.at != 0;
    rp->audit_head.at = h.at;
    rp->audit_head.has_built_over = h.built_over != 0;
    rp->audit_head.built_over = h.built_over;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_AUDIT_HEAD;
    rp->msg.audit_head = &rp->audit_head;
    return ERR_OK;
}
