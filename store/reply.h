/** @file reply.h
 *  @brief Internal to the query server (store/query): the one response
 *         being built, and the memory everything in it points to.
 *
 *  Concern: ownership of a hrss.QueryResponse under construction. A
 *  reply_t lives on query_answer()'s stack and owns every protobuf-c
 *  structure and every string the response points to: fixed slots for
 *  single totals, one growable item array for list answers, the pointer
 *  array a repeated field wants, and a pool of string copies. The answer_*
 *  functions (answer.c) fill it; reply_pack() serializes it; reply_fini()
 *  frees all of it at once.
 *
 *  Owns: all of the above, from reply_init() to reply_fini(). Borrows the
 *  store's catalog: catalog codes and the catalog's files a response
 *  points to are valid as long as the store (store_catalog()).
 *
 *  INVARIANTS
 *    1. Every pointer in `msg` points into this reply_t, into its pool or
 *       items, or into the catalog the store holds; nothing is freed
 *       before reply_fini().
 *    2. Pointers into `items` are taken only after the last reply_push()
 *       of the answer (the array may move while it grows).
 *    3. No required string of the response is NULL: reply_dup() copies
 *       NULL as "".
 *    4. After reply_fini() nothing the reply allocated is left, and it may
 *       be reply_init()ed again.
 */
#ifndef HRSS_STORE_REPLY_H
#define HRSS_STORE_REPLY_H
#include <stddef.h>

#include "common/buf.h"
#include "common/err.h"
#include "common/period.h"
#include "proto/hrss.pb-c.h"
#include "store/store.h"

/** Owned string copies. */
typedef struct reply_pool {
    char **v;
    size_t n;
    size_t cap;
} reply_pool_t;

/** Array of fixed-size items that grows by doubling. */
typedef struct reply_vec {
    unsigned char *v;
    size_t n;
    size_t cap;
    size_t size; /**< bytes per item; set before the first push */
} reply_vec_t;

/** A Total and the text of its period. */
typedef struct reply_total {
    Hrss__Total msg;
    char period[PERIOD_STR_LEN];
} reply_total_t;

typedef struct reply {
    Hrss__QueryResponse msg;
    char err[ERR_LEN];      /**< the error message when code != 0 */
    reply_pool_t pool;      /**< every string the response points to */
    reply_vec_t items;      /**< list answers: one item per entry */
    void *ptrs;             /**< the repeated field's pointer array */
    reply_total_t one[2];   /**< total; breakdown own and total */
    reply_total_t *many;    /**< breakdown children, series points */
    Hrss__Breakdown breakdown;
    Hrss__TotalList total_list;
    Hrss__RevisionList revision_list;
    Hrss__RejectionList rejection_list;
    Hrss__AgentList agent_list;
    Hrss__ViolationList violation_list;
    Hrss__FactList fact_list;
    Hrss__CatalogFiles catalog;
    Hrss__Completeness completeness;
    char **strv;            /**< completeness: indicator pointer arrays */
} reply_t;

/** Start an empty reply (every message at its protobuf-c INIT value). */
void reply_init(reply_t *rp);

/** Free everything the reply owns; it may be reply_init()ed again. */
void reply_fini(reply_t *rp);

/** Owned copy of @p s (NULL is copied as ""), valid until reply_fini().
 *  Equal consecutive strings share one copy. */
char *reply_dup(reply_t *rp, const char *s);

/** Append one zeroed item of rp->items.size bytes; earlier items may move
 *  (INVARIANT 2). */
void *reply_push(reply_t *rp);

/** Item @p i of rp->items. */
void *reply_item(const reply_t *rp, size_t i);

/** The array of pointers to the collected items that a repeated field
 *  needs; owned by the reply (rp->ptrs). Call after the last push. */
void *reply_ptrs(reply_t *rp);

/** Fill @p it with a Total: @p code is borrowed (pool or catalog). */
void reply_total(reply_total_t *it, char *code, uint32_t region,
                 const period_t *p, const store_total_t *t);

/** Make the reply an error response: code from @p rc, message from
 *  rp->err (or err_str(rc) when empty), no payload. */
void reply_error(reply_t *rp, int rc);

/** Append the packed response to @p out. */
void reply_pack(const reply_t *rp, buf_t *out);

#endif
