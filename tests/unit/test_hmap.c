/* test_hmap.c: common/hmap.c, the one hash map.
 *
 * Collisions are made, not hoped for: keys are chosen whose FNV-1a hashes
 * share their low bits, so they all start probing at the same slot of
 * every table up to 2^12 slots.
 *
 * INVARIANTS
 *   1. Every map a test makes is destroyed in that test.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "common/hash.h"
#include "common/hmap.h"

Test(hmap, empty_map_finds_nothing)
{
    hmap_t *m = hmap_new();
    int64_t v = 42;
    cr_assert_eq(hmap_count(m), 0);
    cr_assert_eq(hmap_get_str(m, "x", &v), 0);
    cr_assert_eq(hmap_get(m, NULL, 0, &v), 0);
    cr_assert_eq(hmap_get_u32(m, 7, &v), 0);
    cr_assert_eq(v, 42, "an absent key leaves *val untouched");
    hmap_destroy(&m);
    cr_assert_null(m);
    hmap_destroy(&m); /* twice is harmless */
    hmap_destroy(NULL);
}

Test(hmap, insert_lookup_overwrite)
{
    hmap_t *m = hmap_new();
    int64_t v = 0;
    cr_assert_eq(hmap_put_str(m, "urban_new_jobs", 3), 1);
    cr_assert_eq(hmap_put_str(m, "城镇新增就业人数", -2), 1);
    cr_assert_eq(hmap_count(m), 2);
    cr_assert_eq(hmap_get_str(m, "urban_new_jobs", &v), 1);
    cr_assert_eq(v, 3);
    cr_assert_eq(hmap_get_str(m, "城镇新增就业人数", &v), 1);
    cr_assert_eq(v, -2);
    /* Overwrite: same count, new value. */
    cr_assert_eq(hmap_put_str(m, "urban_new_jobs", INT64_MAX), 0);
    cr_assert_eq(hmap_count(m), 2);
    cr_assert_eq(hmap_get_str(m, "urban_new_jobs", &v), 1);
    cr_assert_eq(v, INT64_MAX);
    /* A NULL val asks only whether the key is there. */
    cr_assert_eq(hmap_get_str(m, "urban_new_jobs", NULL), 1);
    cr_assert_eq(hmap_get_str(m, "urban_new_job", NULL), 0);
    cr_assert_eq(hmap_get_str(m, "urban_new_jobs ", NULL), 0);
    cr_assert_eq(hmap_get_str(m, "", NULL), 0);
    hmap_destroy(&m);
}

Test(hmap, keys_are_bytes_and_copied)
{
    hmap_t *m = hmap_new();
    char key[8];
    int64_t v = 0;
    memcpy(key, "a\0b", 3);
    cr_assert_eq(hmap_put(m, key, 3, 1), 1);
    cr_assert_eq(hmap_put(m, key, 1, 2), 1); /* "a" is another key */
    cr_assert_eq(hmap_put(m, key, 0, 3), 1); /* so is the empty key */
    memcpy(key, "zzzzzzzz", 8); /* the map kept its own copies */
    cr_assert_eq(hmap_get(m, "a\0b", 3, &v), 1);
    cr_assert_eq(v, 1);
    cr_assert_eq(hmap_get(m, "a", 1, &v), 1);
    cr_assert_eq(v, 2);
    cr_assert_eq(hmap_get(m, NULL, 0, &v), 1);
    cr_assert_eq(v, 3);
    cr_assert_eq(hmap_get(m, "a\0c", 3, NULL), 0);
    cr_assert_eq(hmap_count(m), 3);
    hmap_destroy(&m);
}

Test(hmap, u32_keys)
{
    hmap_t *m = hmap_new();
    int64_t v = 0;
    cr_assert_eq(hmap_put_u32(m, 330100, 0), 1);
    cr_assert_eq(hmap_put_u32(m, 0, 1), 1);
    cr_assert_eq(hmap_put_u32(m, UINT32_MAX, 2), 1);
    cr_assert_eq(hmap_put_u32(m, 330100, 5), 0);
    cr_assert_eq(hmap_get_u32(m, 330100, &v), 1);
    cr_assert_eq(v, 5);
    cr_assert_eq(hmap_get_u32(m, 0, &v), 1);
    cr_assert_eq(v, 1);
    cr_assert_eq(hmap_get_u32(m, UINT32_MAX, &v), 1);
    cr_assert_eq(v, 2);
    cr_assert_eq(hmap_get_u32(m, 330101, NULL), 0);
    /* The key is its 4 big-endian bytes. */
    cr_assert_eq(hmap_get(m, "\x00\x05\x09\x74", 4, &v), 1);
    cr_assert_eq(v, 5);
    hmap_destroy(&m);
}

/* Enough keys to double the table many times; every one stays found and
 * keeps its own value, and neighbours of the keys stay absent. */
Test(hmap, growth_with_many_keys)
{
    enum { N = 100000 };
    hmap_t *m = hmap_new();
    char key[32];
    int64_t v = 0;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        cr_assert_eq(hmap_put_str(m, key, i), 1);
    }
    cr_assert_eq(hmap_count(m), N);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%d", i);
        cr_assert_eq(hmap_get_str(m, key, &v), 1, "%s", key);
        cr_assert_eq(v, i);
    }
    for (int i = N; i < N + 1000; i++) {
        snprintf(key, sizeof key, "k%d", i);
        cr_assert_eq(hmap_get_str(m, key, NULL), 0, "%s", key);
    }
    for (uint32_t i = 0; i < 1000; i++) {
        cr_assert_eq(hmap_put_u32(m, i, -(int64_t)i), 1);
    }
    cr_assert_eq(hmap_count(m), N + 1000);
    cr_assert_eq(hmap_get_u32(m, 999, &v), 1);
    cr_assert_eq(v, -999);
    hmap_destroy(&m);
}

/* Keys whose hashes agree in the low 12 bits share one probe run in every
 * table of up to 4096 slots; each must still be told apart. */
Test(hmap, colliding_keys)
{
    enum { N = 40 };
    char keys[N][16];
    int found = 0;
    uint64_t low = 0;
    int64_t v = 0;
    for (int i = 0; found < N; i++) {
        char k[16];
        snprintf(k, sizeof k, "c%d", i);
        uint64_t h = hash_fnv1a_str(HASH_FNV_BASIS, k) & 0xFFFu;
        if (found == 0) {
            low = h;
        }
        if (h == low) {
            memcpy(keys[found++], k, sizeof k);
        }
    }
    hmap_t *m = hmap_new();
    for (int i = 0; i < N; i++) {
        cr_assert_eq(hmap_put_str(m, keys[i], i), 1);
        /* Every key so far is still found while the run grows. */
        for (int j = 0; j <= i; j++) {
            cr_assert_eq(hmap_get_str(m, keys[j], &v), 1);
            cr_assert_eq(v, j);
        }
    }
    for (int i = 0; i < N; i++) {
        cr_assert_eq(hmap_put_str(m, keys[i], 100 + i), 0);
    }
    cr_assert_eq(hmap_count(m), N);
    for (int i = 0; i < N; i++) {
        cr_assert_eq(hmap_get_str(m, keys[i], &v), 1);
        cr_assert_eq(v, 100 + i);
    }
    /* An absent key that starts in the same run ends at its empty slot. */
    char absent[16];
    for (int i = 0;; i++) {
        snprintf(absent, sizeof absent, "x%d", i);
        if ((hash_fnv1a_str(HASH_FNV_BASIS, absent) & 0xFFFu) == low) {
            break;
        }
    }
    cr_assert_eq(hmap_get_str(m, absent, NULL), 0);
    hmap_destroy(&m);
}
