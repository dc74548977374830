/* hash.c: 64-bit FNV-1a (Fowler, Noll, Vo), byte at a time.
 *
 * INVARIANTS
 *   1. The output for given bytes never changes: fingerprints computed
 *      with it are stored on disk.
 */
#include "common/hash.h"

#include <string.h>

#define FNV_PRIME UINT64_C(0x100000001b3)

uint64_t hash_fnv1a(uint64_t h, const void *data, size_t len)
{
    const unsigned char *p = data;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= FNV_PRIME;
    }
    return h;
}

uint64_t hash_fnv1a_str(uint64_t h, const char *s)
{
    return hash_fnv1a(h, s, strlen(s));
}
