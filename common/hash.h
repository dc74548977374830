/** @file hash.h
 *  @brief The project's one byte hash: 64-bit FNV-1a.
 *
 *  Used for hash map slots (common/hmap) and for fingerprints kept on disk
 *  (the catalog's region and rules fingerprints, which the store keeps),
 *  so its output must never change.
 *
 *  Owns nothing: pure functions.
 *
 *  INVARIANTS
 *    1. The output for given bytes and start value never changes.
 *    2. hash_fnv1a(HASH_FNV_BASIS, p, n) is standard 64-bit FNV-1a, and a
 *       hash continues: hashing A, then B from that result, equals hashing
 *       the bytes of A and B at once.
 */
#ifndef HRSS_HASH_H
#define HRSS_HASH_H
#include <stddef.h>
#include <stdint.h>

/** The FNV-1a offset basis: the value to start a hash with. */
#define HASH_FNV_BASIS UINT64_C(0xcbf29ce484222325)

/** Continue FNV-1a hash @p h over @p len bytes at @p data. */
uint64_t hash_fnv1a(uint64_t h, const void *data, size_t len);

/** Continue FNV-1a hash @p h over the bytes of string @p s (no NUL). */
uint64_t hash_fnv1a_str(uint64_t h, const char *s);

#endif
