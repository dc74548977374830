/** @file fuzz_common.h
 *  @brief What the libFuzzer targets share: the shipped catalog, a
 *         throw-away store, and a loud stop for a broken invariant.
 *
 *  Owns: nothing between calls. fuzz_catalog() hands out one catalog per
 *  process (loaded once, never destroyed: libFuzzer ends with exit()).
 *  fuzz_common.c is in every target, fuzz_store.c (fuzz_store_new) only in
 *  those that link the store.
 */
#ifndef HRSS_FUZZ_COMMON_H
#define HRSS_FUZZ_COMMON_H
#include <stddef.h>

#include "common/catalog.h"
#include "store/store.h"

/** The shipped catalog (catalog/ of the source tree, or
 *  $HRSS_FUZZ_CATALOG_DIR). Loaded on the first call; aborts when it
 *  cannot be. Borrowed; valid until the process ends. */
const catalog_t *fuzz_catalog(void);

/** Read catalog file @p which of the shipped catalog.
 *  @param[out] data  Caller owns and must free(); aborts on failure. */
void fuzz_catalog_file(enum catalog_file which, char **data, size_t *len);

/** Open a new, empty store over @p cat with map size @p map_size (and no
 *  growth) in a fresh temporary directory, and unlink its files at once:
 *  LMDB keeps using them, and nothing is left behind however the process
 *  ends. Uses /dev/shm when there is one (commits cost no disk flush).
 *  Caller owns the result and must store_close() it. Aborts on failure. */
store_t *fuzz_store_new(const catalog_t *cat, size_t map_size);

/** Report @p what (printf format) on stderr and abort(): libFuzzer records
 *  the input as a crash. For invariants the code under test promises. */
__attribute__((format(printf, 1, 2), noreturn)) void
fuzz_fail(const char *what, ...);

#endif
