/* hmap.c: open-addressing hash map, byte-string keys, int64_t values.
 *
 * Entries live in a dense array in insertion order; their key bytes live
 * back to back in one growing byte pool, addressed by offset so that
 * growing the pool moves nothing that is referenced. The slot table holds
 * 1 + an entry index (0 = empty) and is probed linearly from the key's
 * FNV-1a hash (common/hash, the project's one byte hash). Each entry keeps
 * its full hash, so a rehash never touches key bytes and a probe compares
 * bytes only when the hashes agree.
 *
 * The table is at most half full: it doubles before an insert would pass
 * that, which keeps probe runs short even for keys that share low hash
 * bits. Keys that collide in the table simply probe on.
 *
 * INVARIANTS
 *   1. nslots is 0 or a power of two >= MIN_SLOTS, and n * 2 <= nslots.
 *   2. Exactly n slots are non-zero; each holds 1 + the index of a
 *      distinct entry, and every entry is found by probing from
 *      hash & (nslots - 1) without meeting an empty slot.
 *   3. Entry keys are pairwise different; entry i's key is
 *      keys[e[i].off, e[i].off + e[i].len), and keys_len is the sum of
 *      the entries' lengths.
 *   4. A live map carries magic HMAP_MAGIC; hmap_destroy() overwrites it.
 */
#include "common/hmap.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "common/hash.h"
#include "common/mem.h"

#define HMAP_MAGIC 0x484D4150u /* "HMAP" */
#define HMAP_DEAD 0xDEADBEEFu
#define MIN_SLOTS 16

struct hmap_entry {
    uint64_t hash;
    size_t off; /* into keys */
    size_t len;
    int64_t val;
};

struct hmap {
    uint32_t magic;
    struct hmap_entry *e; /* insertion order */
    size_t n;
    size_t cap;
    char *keys; /* key bytes, back to back */
    size_t keys_len;
    size_t keys_cap;
    size_t *slots; /* 1 + entry index; 0 = empty */
    size_t nslots;
};

#ifndef NDEBUG
static void check_invariants(const hmap_t *self)
{
    assert(self != NULL);
    assert(self->magic == HMAP_MAGIC);
    assert(self->n <= self->cap);
    assert(self->keys_len <= self->keys_cap);
    assert((self->nslots & (self->nslots - 1)) == 0);
    assert(self->nslots == 0 || self->nslots >= MIN_SLOTS);
    assert(self->n * 2 <= self->nslots);
}
#else
#define check_invariants(self) ((void)0)
#endif

hmap_t *hmap_new(void)
{
    hmap_t *self = xcalloc(1, sizeof *self);
    self->magic = HMAP_MAGIC;
    check_invariants(self);
    return self;
}

void hmap_destroy(hmap_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    hmap_t *self = *self_p;
    check_invariants(self);
    free(self->e);
    free(self->keys);
    free(self->slots);
    self->magic = HMAP_DEAD;
    free(self);
    *self_p = NULL;
}

/* Slot holding the key, or the empty slot where it would go. nslots > 0
 * and the table is never full (invariant 1), so the probe ends. */
static size_t find_slot(const hmap_t *self, uint64_t hash, const void *key,
                        size_t len)
{
    size_t mask = self->nslots - 1;
    size_t i = (size_t)hash & mask;
    while (self->slots[i] != 0) {
        const struct hmap_entry *e = &self->e[self->slots[i] - 1];
        if (e->hash == hash && e->len == len &&
            (len == 0 || memcmp(self->keys + e->off, key, len) == 0)) {
            break;
        }
        i = (i + 1) & mask;
    }
    return i;
}

/* Double the slot table (or make the first one) and re-place entries. */
static void grow_slots(hmap_t *self)
{
    size_t nslots = self->nslots ? self->nslots * 2 : MIN_SLOTS;
    size_t mask = nslots - 1;
    free(self->slots);
    self->slots = xcalloc(nslots, sizeof *self->slots);
    self->nslots = nslots;
    for (size_t j = 0; j < self->n; j++) {
        /* Keys are distinct: the first empty slot is the place. */
        size_t i = (size_t)self->e[j].hash & mask;
        while (self->slots[i] != 0) {
            i = (i + 1) & mask;
        }
        self->slots[i] = j + 1;
    }
}

/* Copy @p len key bytes into the pool; returns their offset. */
static size_t keep_key(hmap_t *self, const void *key, size_t len)
{
    size_t off = self->keys_len;
    if (len > self->keys_cap - self->keys_len) {
        size_t need = self->keys_len + len;
        size_t cap = self->keys_cap ? self->keys_cap : 256;
        while (cap < need) {
            cap = cap > SIZE_MAX / 2 ? need : cap * 2;
        }
        self->keys = xreallocarray(self->keys, cap, 1);
        self->keys_cap = cap;
    }
    if (len > 0) {
        memcpy(self->keys + off, key, len);
    }
    self->keys_len += len;
    return off;
}

int hmap_put(hmap_t *self, const void *key, size_t len, int64_t val)
{
    check_invariants(self);
    assert(key != NULL || len == 0);
    uint64_t hash = hash_fnv1a(HASH_FNV_BASIS, key, len);
    size_t i = 0;
    if (self->nslots > 0) {
        i = find_slot(self, hash, key, len);
        if (self->slots[i] != 0) {
            self->e[self->slots[i] - 1].val = val;
            return 0;
        }
    }
    if ((self->n + 1) * 2 > self->nslots) {
        grow_slots(self);
        i = find_slot(self, hash, key, len);
    }
    if (self->n == self->cap) {
        self->cap = self->cap ? self->cap * 2 : MIN_SLOTS / 2;
        self->e = xreallocarray(self->e, self->cap, sizeof *self->e);
    }
    struct hmap_entry *e = &self->e[self->n];
    e->hash = hash;
    e->off = keep_key(self, key, len);
    e->len = len;
    e->val = val;
    self->n++;
    self->slots[i] = self->n;
    check_invariants(self);
    return 1;
}

int hmap_get(const hmap_t *self, const void *key, size_t len, int64_t *val)
{
    check_invariants(self);
    assert(key != NULL || len == 0);
    if (self->n == 0) {
        return 0;
    }
    uint64_t hash = hash_fnv1a(HASH_FNV_BASIS, key, len);
    size_t i = find_slot(self, hash, key, len);
    if (self->slots[i] == 0) {
        return 0;
    }
    if (val != NULL) {
        *val = self->e[self->slots[i] - 1].val;
    }
    return 1;
}

size_t hmap_count(const hmap_t *self)
{
    check_invariants(self);
    return self->n;
}

int hmap_put_str(hmap_t *self, const char *key, int64_t val)
{
    assert(key != NULL);
    return hmap_put(self, key, strlen(key), val);
}

int hmap_get_str(const hmap_t *self, const char *key, int64_t *val)
{
    assert(key != NULL);
    return hmap_get(self, key, strlen(key), val);
}

static void u32_bytes(uint32_t k, unsigned char be[4])
{
    be[0] = (unsigned char)(k >> 24);
    be[1] = (unsigned char)(k >> 16);
    be[2] = (unsigned char)(k >> 8);
    be[3] = (unsigned char)k;
}

int hmap_put_u32(hmap_t *self, uint32_t key, int64_t val)
{
    unsigned char be[4];
    u32_bytes(key, be);
    return hmap_put(self, be, sizeof be, val);
}

int hmap_get_u32(const hmap_t *self, uint32_t key, int64_t *val)
{
    unsigned char be[4];
    u32_bytes(key, be);
    return hmap_get(self, be, sizeof be, val);
}
