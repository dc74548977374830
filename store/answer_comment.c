/* answer_comment.c: the query server's answers about comments (answer.h):
 * CommentQ adds a comment to a cell (store_comment_add), FollowupsQ
 * lists the cells marked for follow-up, in pages, and a history answer
 * carries the cell's comments (answer_history_comments).
 *
 * Who may comment is decided as for approvals (answer_appr.c; query.h,
 * invariant 6): on a plain collector anyone, under the name the request
 * gives; under CURVE only an admin key, under its own name and within
 * its scope; nobody else (a reader's key, the fuzz target's nameless
 * admin). The store checks the text and the marks (comment.c).
 *
 * A Followup points at its two Comments: each list item holds all three,
 * and the pointers are set once the last item is pushed (reply.h,
 * INVARIANT 2). A history answer's items are Revisions or Comments (a
 * union), the comments first.
 *
 * INVARIANTS
 *   1. A name a request gives is used only on a plain collector.
 *   2. A history answer carries the cell's comments (all, at most
 *      STORE_COMMENTS_PER_CELL) in its first page only, oldest first,
 *      and their bytes count against that page's budget.
 *   3. A FollowupsQ answer holds the marked cells after the request's
 *      position, in key order, within its page (reply.h INVARIANT 5).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "store/answer.h"
#include "store/resolve.h"

typedef union history_item {
    Hrss__Revision r;
    Hrss__Comment c;
} history_item_t;

typedef struct followup_item {
    Hrss__Followup f;
    Hrss__Comment marked;
    Hrss__Comment newest;
} followup_item_t;

static void put_comment(reply_t *rp, Hrss__Comment *m,
                        const store_comment_t *c)
{
    hrss__comment__init(m);
    m->id = c->id;
    m->indicator = reply_dup(rp, c->indicator);
    m->region = c->region;
    m->month = month_to_yyyymm(c->month);
    m->at = c->at;
    m->by = reply_dup(rp, c->by);
    m->text = reply_dup(rp, c->text);
    m->mark = reply_dup(rp, store_comment_mark_name(c->mark));
}

/* "follow-up", "resolve" (or none: a note) into *out. */
static int parse_mark(const char *s, enum store_comment_mark *out)
{
    if (s == NULL) {
        *out = STORE_NOTE;
        return 0;
    }
    static const enum store_comment_mark all[] = {STORE_FOLLOW_UP,
                                                  STORE_RESOLVE};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        if (strcmp(s, store_comment_mark_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    }
    return -1;
}

int answer_comment(store_t *st, const query_ctx_t *ctx,
                   const Hrss__CommentQ *q, reply_t *rp)
{
    store_comment_req_t rq = {.at = (int64_t)time(NULL), .text = q->text};
    resolve_target_t t;
    if (parse_mark(q->mark, &rq.mark) != 0) {
        snprintf(rp->err, sizeof rp->err,
                 "'%.40s' is not a mark: follow-up or resolve (or none)",
                 q->mark);
        return ERR_INVAL;
    }
    int rc = resolve_target(store_catalog(st), q->indicator, q->region, &t,
                            rp->err);
    if (rc == ERR_OK) {
        rc = period_parse_month(q->month, &rq.month, rp->err);
    }
    if (rc == ERR_OK) {
        rc = answer_writer(ctx, q->by, "comments", &rq.by, &rq.allowed,
                           rp);
    }
    store_comment_t c;
    if (rc == ERR_OK) {
        rq.indicator = t.code;
        rq.region = t.region;
        rc = store_comment_add(st, &rq, &c, rp->err);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    rp->items.size = sizeof(Hrss__Comment);
    put_comment(rp, reply_push(rp), &c);
    Hrss__CommentList *l = &rp->comment_list;
    hrss__comment_list__init(l);
    l->n_comments = 1;
    l->comments = (Hrss__Comment **)reply_ptrs(rp);
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_COMMENTS;
    rp->msg.comments = l;
    return ERR_OK;
}

static int each_followup(const store_followup_t *f, void *arg)
{
    reply_t *rp = arg;
    reply_key_t k = {.list = REPLY_LIST_FOLLOWUPS, .region = f->newest.region,
                     .month = f->newest.month};
    reply_key_str(&k, f->newest.indicator);
    if (!reply_page_wants(rp, &k)) {
        return 0;
    }
    if (!reply_page_room(rp)) {
        return 1;
    }
    followup_item_t *it = reply_push(rp);
    hrss__followup__init(&it->f);
    put_comment(rp, &it->marked, &f->marked);
    put_comment(rp, &it->newest, &f->newest);
    it->f.marked = &it->marked; /* for the size; set again below */
    it->f.newest = &it->newest;
    reply_page_took(rp, &k, hrss__followup__get_packed_size(&it->f));
    return 0;
}

int answer_followups(store_t *st, const Hrss__FollowupsQ *q, reply_t *rp)
{
    period_t p;
    const period_t *pp_period = NULL;
    uint32_t region = 0;
    int rc = ERR_OK;
    if (q->period != NULL) {
        rc = period_parse(q->period, &p, rp->err);
        pp_period = &p;
    }
    if (rc == ERR_OK && q->has_region && q->region != 0) {
        rc = resolve_region(store_catalog(st), q->region, &region, rp->err);
    }
    if (rc == ERR_OK) {
        rc = reply_page_begin(rp, REPLY_LIST_FOLLOWUPS, q->has_after,
                              &q->after, q->has_limit, q->limit);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    Hrss__CommentList *l = &rp->comment_list;
    hrss__comment_list__init(l);
    rp->items.size = sizeof(followup_item_t);
    rc = store_followups(st, pp_period, region, each_followup, rp, rp->err);
    if (rc == ERR_OK) {
        rc = reply_page_end(rp, &l->has_next, &l->next);
    }
    if (rc != ERR_OK) {
        return rc;
    }
    void **pp = reply_ptrs(rp);
    for (size_t i = 0; i < rp->items.n; i++) {
        followup_item_t *it = reply_item(rp, i);
        it->f.marked = &it->marked;
        it->f.newest = &it->newest;
    }
    l->n_followups = rp->items.n;
    l->followups = (Hrss__Followup **)pp;
    rp->msg.r_case = HRSS__QUERY_RESPONSE__R_COMMENTS;
    rp->msg.comments = l;
    return ERR_OK;
}

size_t answer_history_item(void)
{
    return sizeof(history_item_t);
}

typedef struct history_acc {
    reply_t *rp;
    size_t bytes;
} history_acc_t;

static int each_comment(const store_comment_t *c, void *arg)
{
    history_acc_t *acc = arg;
    history_item_t *it = reply_push(acc->rp);
    put_comment(acc->rp, &it->c, c);
    acc->bytes += hrss__comment__get_packed_size(&it->c) + 4;
    return 0;
}

int answer_history_comments(store_t *st, const char *code, uint32_t region,
                            int32_t month, reply_t *rp)
{
    history_acc_t acc = {rp, 0};
    int rc = store_comments(st, code, region, month, each_comment, &acc,
                            rp->err);
    rp->page.budget = rp->page.budget > acc.bytes
                          ? rp->page.budget - acc.bytes
                          : 0;
    return rc;
}
