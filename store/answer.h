/** @file answer.h
 *  @brief Internal to the query server (store/query): the answer to each
 *         kind of hrss.QueryRequest, read from the store into a reply_t.
 *
 *  Each function takes the request's oneof message (never NULL: query.c
 *  checks), fills @p rp and returns ERR_OK, or an ERR_* code with rp->err
 *  set. The store is borrowed for the call; it may be read-only (backup
 *  needs nothing more). Owns nothing: what an answer allocates belongs to
 *  @p rp (reply.h) and is freed by reply_fini().
 *
 *  INVARIANTS
 *    1. ERR_OK: rp->msg's oneof case and payload are those of the
 *       request's kind (none for backup). Failure: rp->err says why; the
 *       payload is discarded by reply_error().
 *    2. Indicators and regions in a response are catalog codes.
 *    3. Pointers into rp->items are taken after the last reply_push().
 *    4. A list (history, rejections, agents, violations, facts,
 *       completeness) holds one page: the items after the request's
 *       `after`, within its `limit` and the reply's byte budget, with
 *       `next` set when more follow (reply.h).
 */
#ifndef HRSS_STORE_ANSWER_H
#define HRSS_STORE_ANSWER_H
#include "proto/hrss.pb-c.h"
#include "store/query.h"
#include "store/reply.h"
#include "store/store.h"

int answer_total(store_t *st, const Hrss__TotalQ *q, reply_t *rp);
/** (answer_map.c) The total is own + sum(children), from the same
 *  snapshot; the children of the period's map, each row with its months
 *  when the period crosses a change of the map. */
int answer_breakdown(store_t *st, const Hrss__TotalQ *q, reply_t *rp);
/** (answer_map.c) The points inside the region's validity, and the
 *  changes of its territory inside the range. */
int answer_series(store_t *st, const Hrss__SeriesQ *q, reply_t *rp);
int answer_history(store_t *st, const Hrss__HistoryQ *q, reply_t *rp);
int answer_rejections(store_t *st, const Hrss__RejectionsQ *q,
                      reply_t *rp);
int answer_agents(store_t *st, const Hrss__AgentsQ *q, reply_t *rp);
int answer_violations(store_t *st, const Hrss__ViolationsQ *q,
                      reply_t *rp);
int answer_facts(store_t *st, const Hrss__FactsQ *q, reply_t *rp);
/** Only for ctx's admin role, into ctx's backup directory (query.h). */
int answer_backup(store_t *st, const query_ctx_t *ctx,
                  const Hrss__BackupQ *q, reply_t *rp);
/** The catalog's CSV files; borrowed from the store's catalog. */
int answer_catalog(store_t *st, reply_t *rp);

/** The audit chain's position, head and time (answer_appr.c). */
int answer_audit_head(store_t *st, reply_t *rp);
int answer_completeness(store_t *st, const Hrss__CompletenessQ *q,
                        reply_t *rp);
/** (answer_appr.c) Who writes @p what ("approvals", "comments"), by
 *  ctx's rules (query.h, 6): on a plain collector the name @p by the
 *  request gives (required), else an admin key's own name and regions
 *  (@p by refused). Sets *@p name and *@p scope (NULL: every region).
 *  @return ERR_OK, or ERR_INVAL / ERR_DENIED with rp->err set. */
int answer_writer(const query_ctx_t *ctx, const char *by, const char *what,
                  const char **name, const unsigned char **scope,
                  reply_t *rp);
/** (answer_appr.c) An approver's action, by ctx's rules (query.h, 6). */
int answer_approve(store_t *st, const query_ctx_t *ctx,
                   const Hrss__ApproveQ *q, reply_t *rp);
/** (answer_appr.c) Each region's state for a month, and its log. */
int answer_approvals(store_t *st, const Hrss__ApprovalsQ *q, reply_t *rp);
/** Figures flagged as outliers (store_outliers()), paged by cell. */
int answer_outliers(store_t *st, const Hrss__OutliersQ *q, reply_t *rp);

/** ReconcileQ (answer_recon.c): store_reconcile() as a Reconciliation. */
int answer_reconcile(store_t *st, const Hrss__ReconcileQ *q, reply_t *rp);
/** (answer_comment.c) A comment on a cell, by ctx's rules (query.h, 6). */
int answer_comment(store_t *st, const query_ctx_t *ctx,
                   const Hrss__CommentQ *q, reply_t *rp);
/** (answer_comment.c) The cells marked for follow-up, in pages. */
int answer_followups(store_t *st, const Hrss__FollowupsQ *q, reply_t *rp);

/** (answer_diff.c) The cells changed between two moments and the totals
 *  before and after (store_diff). */
int answer_diff(store_t *st, const Hrss__DiffQ *q, reply_t *rp);

/** (answer_diff.c) Begin this thread's as-of view for @p q (which has
 *  as_of): ERR_INVAL with rp->err when its kind takes none. The caller
 *  ends it with store_asof_end() after the answer. */
int answer_as_of_begin(store_t *st, const Hrss__QueryRequest *q,
                       reply_t *rp);
/** (answer_comment.c) The size of an item of a history answer (a
 *  Revision or a Comment), and the cell's comments pushed as items, their
 *  size taken from the page's budget. @return ERR_OK or a store failure
 *  (rp->err). */
size_t answer_history_item(void);
int answer_history_comments(store_t *st, const char *code, uint32_t region,
                            int32_t month, reply_t *rp);

#endif
