/** @file query.h
 *  @brief The protobuf query server: a packed hrss.QueryRequest answered
 *         from the store with a packed hrss.QueryResponse.
 *
 *  Used by the collector's query socket (collector/collector.c) and by
 *  `hrssctl --data-dir` (admin/client.c), so the answers are the same
 *  either way. Input and output are packed protobuf bytes: the caller
 *  moves frames, this module owns every protobuf-c structure it builds.
 *  Its own library, hrss_query (store/query.c, answer.c, reply.c,
 *  resolve.c), on top of hrss_store.
 */
#ifndef HRSS_QUERY_H
#define HRSS_QUERY_H
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "store/store.h"

/** Largest request accepted (bytes). */
#define QUERY_MAX_REQUEST 65536

/** Answer the packed hrss.QueryRequest in @p req (@p len bytes) and append
 *  a packed hrss.QueryResponse to @p out. Never fails as a function: a
 *  malformed request (garbage, empty oneof, oversized, bad period, unknown
 *  indicator or region) becomes a response with code != 0 and an error
 *  message that says what was wrong. Names and codes are resolved against
 *  the store's catalog (store_catalog()).
 *  A region code of 0 in a request means the catalog's root (province).
 *  @param[in] st   Borrowed for the call; may be read-only (backup needs
 *                  nothing more). Callable from any thread that may read
 *                  the store (store.h).
 *  @param[in] req  Borrowed for the call; may be NULL when @p len is 0. */
void query_answer(store_t *st, const uint8_t *req, size_t len, buf_t *out);

#endif
