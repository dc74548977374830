/** @file query.h
 *  @brief Query requests (proto QueryRequest) answered from the store.
 *
 *  The collector's query socket and `hrssctl --data-dir` both go through
 *  query_answer(), so the answers are the same either way. Input and output
 *  are packed protobuf bytes: the caller moves frames, this module owns
 *  every protobuf-c structure it builds.
 */
#ifndef HRSS_QUERY_H
#define HRSS_QUERY_H
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "store/store.h"

/** Largest request accepted (bytes). */
#define QUERY_MAX_REQUEST 65536

/** Answer the packed hrss.QueryRequest in @p req (@p len bytes) and append
 *  a packed hrss.QueryResponse to @p out. Never fails as a function: a
 *  malformed request (garbage, empty oneof, oversized, bad period, unknown
 *  indicator or region) becomes a response with code != 0 and an error
 *  message that says what was wrong.
 *  A region code of 0 in a request means the catalog's root (province).
 *  @param[in] st   Borrowed; may be read-only (backup needs nothing more).
 *  @param[in] cat  Borrowed; the catalog the store was opened with. */
void query_answer(store_t *st, const catalog_t *cat, const uint8_t *req,
                  size_t len, buf_t *out);

#endif
