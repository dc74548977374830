/** @file hmap.h
 *  @brief Hash map from byte-string keys to integers (open addressing).
 *
 *  The one map of hrss: the catalog's lookups by indicator code and
 *  name, and the config file's (section, key) index. (The catalog's
 *  region codes have a smaller index of their own, catalog_reg.c: a
 *  national catalog's 3,112 rows in 32 kB.) Keys are any
 *  bytes, NULs included; hmap_put_str() and hmap_put_u32() cover the two
 *  common kinds. Values are int64_t, usually an index into the caller's
 *  own array. There is no removal; the users build a map, then only look
 *  up.
 *
 *  Owns: the map's slots, its entries and a copy of every key it stores.
 *  Borrows nothing: the caller keeps ownership of the key it passes,
 *  which is only read by the call and may be a stack buffer.
 *
 *  Not thread-safe while written. Lookups do not modify the map, so a
 *  map no longer written may be read from several threads.
 *
 *  INVARIANTS
 *    1. Keys are unique: a put of a present key replaces its value.
 *    2. A key put is found, with its latest value, until hmap_destroy();
 *       hmap_count() is the number of distinct keys put.
 *    3. The slot table is at most half full, so a lookup ends after a
 *       short probe, even for keys whose hashes share low bits.
 */
#ifndef HRSS_HMAP_H
#define HRSS_HMAP_H
#include <stddef.h>
#include <stdint.h>

typedef struct hmap hmap_t;

/** An empty map. Caller owns return value and must destroy it with
 *  hmap_destroy(). Never NULL (allocation failure aborts, common/mem). */
hmap_t *hmap_new(void);

/** Destroy the map and set *self_p to NULL; no-op if *self_p is NULL. */
void hmap_destroy(hmap_t **self_p);

/** Map the @p len bytes at @p key to @p val, replacing any earlier value.
 *  @p key is copied (borrowed for the call); it may be NULL when @p len
 *  is 0. @return 1 when the key is new, 0 when its value was replaced. */
int hmap_put(hmap_t *self, const void *key, size_t len, int64_t val);

/** Look up the @p len bytes at @p key.
 *  @param[out] val  The value when found (may be NULL); untouched when
 *                   absent.
 *  @return 1 when found, 0 when absent. */
int hmap_get(const hmap_t *self, const void *key, size_t len, int64_t *val);

/** Number of keys in the map. */
size_t hmap_count(const hmap_t *self);

/** hmap_put() with the bytes of string @p key (without its NUL). */
int hmap_put_str(hmap_t *self, const char *key, int64_t val);
/** hmap_get() with the bytes of string @p key (without its NUL). */
int hmap_get_str(const hmap_t *self, const char *key, int64_t *val);

/** hmap_put() with @p key as 4 bytes, big-endian. */
int hmap_put_u32(hmap_t *self, uint32_t key, int64_t val);
/** hmap_get() with @p key as 4 bytes, big-endian. */
int hmap_get_u32(const hmap_t *self, uint32_t key, int64_t *val);

#endif
