/** @file fast.h
 *  @brief The fastest ingest client: speaks the wire protocol to a
 *         collector directly, with pre-packed batches and several in
 *         flight, so that what is measured is the collector.
 *
 *  Owns nothing between calls: each call makes its own ZeroMQ context and
 *  sockets and closes them before it returns.
 */
#ifndef HRSS_BENCH_FAST_H
#define HRSS_BENCH_FAST_H
#include <stddef.h>

#include "common/catalog.h"

/** Send figures 0..n-1 of bx_cell(@p cat) to the collector at @p ingest
 *  (plain mode) and wait for every ack: @p conns connections, reporters
 *  "fast-0", "fast-1", ... (each with its own sequence numbers, claiming
 *  the catalog's root region), batches of @p batch (at most 2,000).
 *  Pipelined (@p sync 0): each connection keeps @p window batches
 *  unanswered. Synchronous (@p sync 1): each connection sends @p window
 *  batches, waits for all their acks, then sends the next ones (a client
 *  that waits for each request's answer).
 *  The batches are packed before the clock starts.
 *  @param[out] rejected  figures the collector rejected.
 *  @return figures/s from the first send to the last ack, or -1 (a
 *          refused batch, or no ack within 30 s; stderr says which). */
double fast_client(const catalog_t *cat, const char *ingest, size_t n,
                   size_t batch, int conns, int window, int sync,
                   size_t *rejected);

#endif
