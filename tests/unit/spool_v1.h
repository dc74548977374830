/* spool_v1.h: a spool written in the old layout (spool format 1: no
 * seals, meta counters only once they moved), straight through LMDB, for
 * the tests of the upgrade to format 2. The bytes are those format 1
 * wrote (agent/spool_rec.c describes both formats). */
#ifndef HRSS_TEST_SPOOL_V1_H
#define HRSS_TEST_SPOOL_V1_H
#include <stddef.h>
#include <stdint.h>

#include "agent/spool.h"

typedef struct spool_v1 {
    uint64_t acked_next; /* first queued seq; 0: no acked_next key */
    size_t queued;       /* updates from acked_next (or 1) on */
    size_t rejections;   /* seqs 1..rejections; every other with update */
    size_t sources;      /* "inbox:fN.csv:N:N", N = 1..sources */
    const char *identity; /* NULL: none recorded */
    size_t map_size;     /* 0: 64 MiB */
} spool_v1_t;

/* The update format 1 holds for @p seq (the same for every test). */
void spool_v1_update(uint64_t seq, spool_update_t *u);

/* The rejection recorded for @p seq. */
void spool_v1_rejection(uint64_t seq, spool_rejection_t *r);

/* Make directory @p dir holding a format-1 spool as @p spec says, in one
 * transaction (Criterion asserts on failure). */
void spool_v1_write(const char *dir, const spool_v1_t *spec);

#endif
