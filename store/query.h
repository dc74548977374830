/** @file query.h
 *  @brief The protobuf query server: a packed hrss.QueryRequest answered
 *         from the store with a packed hrss.QueryResponse.
 *
 *  Used by the collector's query socket (collector/qserve.c) and by
 *  `hrssctl --data-dir` (admin/client.c), so the answers are the same
 *  either way. Input and output are packed protobuf bytes: the caller
 *  moves frames, this module owns every protobuf-c structure it builds.
 *  Its own library, hrss_query (store/query.c, answer.c, reply.c,
 *  resolve.c), on top of hrss_store.
 *
 *  Owns, for one call only: the unpacked request and the response under
 *  construction (store/reply.h), every structure and string of it; all
 *  are freed before query_answer() returns. Borrows the store (and its
 *  catalog) and the request bytes for the call; @p out is the caller's.
 *
 *  INVARIANTS
 *    1. Each call appends exactly one packed QueryResponse to @p out:
 *       code QUERY_OK (0) with the payload of the request's kind (none
 *       for backup), or a negative QueryStatus, `error` set and no
 *       payload. Nothing else of the call outlives it.
 *    2. No required string of a response is NULL.
 *    3. Every indicator in a response is a catalog code (never a Chinese
 *       name) and every region a catalog code (0 resolved to the root).
 *    4. A request over QUERY_MAX_REQUEST bytes is refused unread, and
 *       unpacking one allocates at most 16 times that: a request that
 *       would need more is malformed.
 *    5. A backup is made only for the admin role, and only as a new
 *       directory with a plain name inside ctx->backup_dir (or, for a
 *       local operator, ctx->backup_any_path, at the path given).
 *    6. An approval is taken only for the admin role within its key's
 *       scope (ctx->who, ctx->scope), or on a plain collector
 *       (ctx->plain) under the name the request gives; it is written
 *       only where the store is open writable (the collector).
 */
#ifndef HRSS_QUERY_H
#define HRSS_QUERY_H
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "store/store.h"

/** Largest request accepted (bytes). */
#define QUERY_MAX_REQUEST 65536

/** Largest answer, packed (bytes): an answer that would be larger is an
 *  error (QUERY_FULL) that says so, never a cut one. */
#define QUERY_MAX_ANSWER ((size_t)1 << 20)

/** A page of a list ends after the item that takes it past this many
 *  bytes of items. */
#define QUERY_PAGE_BYTES ((size_t)256 << 10)

/** Most items in one page (a larger or zero `limit` is cut to this). */
#define QUERY_PAGE_MAX_ITEMS 10000

/** Longest backup name a client may give (bytes). */
#define QUERY_BACKUP_NAME_MAX 64

/** Who is asking. */
enum query_role {
    QUERY_ROLE_READ,  /**< every query but backup */
    QUERY_ROLE_ADMIN, /**< every query */
};

/** What the caller of query_answer() knows about the request: who sent it
 *  and where a backup may go. Plain value struct; its strings are
 *  borrowed for the call. */
typedef struct query_ctx {
    enum query_role role;
    const char *backup_dir;  /**< backups are written only in here, under
                                  a plain name (QUERY_BACKUP_NAME_MAX
                                  bytes of [A-Za-z0-9._-], not starting
                                  with '.'); NULL: backups refused */
    int backup_any_path;     /**< with backup_dir NULL and the admin
                                  role: DEST is a path, as given (for
                                  `hrssctl --data-dir`, whose operator
                                  has the store's files anyway) */
    size_t max_answer;       /**< 0: QUERY_MAX_ANSWER */
    size_t page_bytes;       /**< 0: QUERY_PAGE_BYTES */
    /* Approvals (ApproveQ): */
    int plain;               /**< a plain collector: anyone may approve,
                                  named by the request's `by` */
    const char *who;         /**< else the admin key's name (the admin
                                  role only); NULL: approvals refused */
    const unsigned char *scope; /**< that key's regions, one byte per
                                     catalog region index; NULL: all */
} query_ctx_t;

/** Answer the packed hrss.QueryRequest in @p req (@p len bytes) and append
 *  a packed hrss.QueryResponse to @p out. Never fails as a function: a
 *  malformed request (garbage, empty oneof, oversized, bad period, unknown
 *  indicator or region) becomes a response with code != 0 and an error
 *  message that says what was wrong, and so does a query @p ctx does not
 *  allow (QUERY_DENIED, "not authorized"). Names and codes are resolved
 *  against the store's catalog (store_catalog()).
 *  A region code of 0 in a request means the catalog's root (province).
 *  @param[in] st   Borrowed for the call; may be read-only (backup needs
 *                  nothing more). Callable from any thread that may read
 *                  the store (store.h).
 *  @param[in] ctx  Borrowed for the call; NULL is the read role with no
 *                  backup directory.
 *  @param[in] req  Borrowed for the call; may be NULL when @p len is 0. */
void query_answer(store_t *st, const query_ctx_t *ctx, const uint8_t *req,
                  size_t len, buf_t *out);

#endif
