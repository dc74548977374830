/** @file hash.h
 *  @brief The project's one byte hash: 64-bit FNV-1a.
 *
 *  Used for hash map slots and for fingerprints kept on disk (the store's
 *  rules fingerprint), so its output must never change.
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
