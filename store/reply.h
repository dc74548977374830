/** @file reply.h
 *  @brief Internal to the query server (store/query): the one response
 *         being built, and the memory everything in it points to.
 *
 *  Concern: ownership of a hrss.QueryResponse under construction. A
 *  reply_t lives on query_answer()'s stack and owns every protobuf-c
 *  structure and every string the response points to: fixed slots for
 *  single totals, one growable item array for list answers, the pointer
 *  array a repeated field wants, a pool of string copies, and the page of
 *  a list answer (its bounds and its position, `next`). The answer_*
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
 *    5. A list answer holds the items after page.after in the store's
 *       order, at most page.limit of them and no more bytes than
 *       page.budget plus one item; next is set iff an item was left out
 *       (paged), and a list that does not fit unpaged is an error.
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

/** Longest text in a list position: an indicator code or a reporter id
 *  (CATALOG_CODE_MAX, STORE_REPORTER_MAX). */
#define REPLY_KEY_STR 64

/** Which list a position belongs to. */
enum reply_list {
    REPLY_LIST_HISTORY = 'H',      /**< by audit id */
    REPLY_LIST_REJECTIONS = 'R',   /**< by rejection id */
    REPLY_LIST_AGENTS = 'A',       /**< by reporter id */
    REPLY_LIST_VIOLATIONS = 'V',   /**< by (indicator, region, month) */
    REPLY_LIST_FACTS = 'F',        /**< by (indicator, region, month) */
    REPLY_LIST_COMPLETENESS = 'C', /**< by place in the subtree */
    REPLY_LIST_OUTLIERS = 'O',     /**< by (indicator, region, month) */
    REPLY_LIST_FOLLOWUPS = 'U',    /**< by (indicator, region, month) */
};

/** A position in a list: the key of one item, compared in the order the
 *  store lists them (str, then region, then month, then id; a list uses
 *  only some and leaves the others zero). Plain value struct. */
typedef struct reply_key {
    enum reply_list list;
    char str[REPLY_KEY_STR + 1];
    uint32_t region;
    int32_t month;
    uint64_t id;
} reply_key_t;

/** The page of a list answer under construction (query.h: pages). */
typedef struct reply_page {
    int paged;           /**< the request set `limit` or `after` */
    size_t limit;        /**< most items in this answer */
    size_t budget;       /**< most bytes of items: a page's, or (not
                              paged) the whole answer's */
    size_t n;            /**< items taken */
    size_t bytes;        /**< their packed size, with their framing */
    int full;            /**< an item was left out: more follow */
    int has_after;
    reply_key_t after;   /**< items up to this one are skipped */
    reply_key_t last;    /**< the last item taken */
} reply_page_t;

typedef struct reply {
    Hrss__QueryResponse msg;
    size_t max_answer;      /**< the answer's size cap (query_answer) */
    size_t page_bytes;      /**< a page's budget (query_answer) */
    reply_page_t page;      /**< list answers: the page being built */
    buf_t next;             /**< the encoded `next` of a list answer */
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
    Hrss__ApprovalList approval_list;
    Hrss__OutlierList outlier_list;
    Hrss__CommentList comment_list;
    Hrss__Reconciliation recon; /**< answer_recon.c */
    Hrss__AuditHead audit_head;
    uint8_t head[STORE_HASH_LEN]; /**< audit_head's bytes */
    char **strv;            /**< completeness: indicator pointer arrays */
    void *late;             /**< completeness: its LateReport items */
    void *late_ptrs;        /**< and their pointer arrays */
    void *deadlines;        /**< completeness: IndicatorDeadline items */
    void *deadline_ptrs;    /**< and their pointers */
    void *extra;            /**< an answer's own block (a diff) */
    void (*extra_free)(void *); /**< frees extra in reply_fini() */
    void *changes;          /**< series: its RegionChange items */
    void *change_ptrs;      /**< and their pointers */
    void *change_succ;      /**< and their successors' codes */
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

/** Set @p k's text to @p s (at most REPLY_KEY_STR bytes are kept: codes
 *  and reporter ids are never longer). */
void reply_key_str(reply_key_t *k, const char *s);

/** Start the page of a list of kind @p list from the request's paging
 *  fields: paged when @p has_limit or @p has_after, then at most @p limit
 *  items (0 or over QUERY_PAGE_MAX_ITEMS: that) and rp->page_bytes of
 *  them; not paged, the whole list within rp->max_answer.
 *  @return ERR_OK, or ERR_INVAL (rp->err says so) when @p after is not a
 *          position of this kind of list. */
int reply_page_begin(reply_t *rp, enum reply_list list, int has_after,
                     const ProtobufCBinaryData *after, int has_limit,
                     uint32_t limit);

/** 1 when item @p k comes after the request's `after` (or there is
 *  none): the item belongs in this page or a later one; 0: skip it. */
int reply_page_wants(const reply_t *rp, const reply_key_t *k);

/** 1 when one more item fits; 0 when the page is full (rp->page.full is
 *  then set): stop listing. Always 1 for the first item. */
int reply_page_room(reply_t *rp);

/** Count the item just added: its key and its packed size. */
void reply_page_took(reply_t *rp, const reply_key_t *k, size_t packed);

/** End the list. Paged and full: *has_next = 1 and *next points to the
 *  encoded position of the last item (owned by the reply). Not paged and
 *  full: ERR_FULL, rp->err says to ask in pages. @return ERR_OK or
 *  ERR_FULL. */
int reply_page_end(reply_t *rp, protobuf_c_boolean *has_next,
                   ProtobufCBinaryData *next);

/** Append the packed response to @p out. */
void reply_pack(const reply_t *rp, buf_t *out);

#endif
