/* store_fixture.h: shared set-up for store tests: a temp dir, the shipped
 * catalog and an open store, plus terse helpers to build batches. */
#ifndef HRSS_STORE_FIXTURE_H
#define HRSS_STORE_FIXTURE_H
#include <stddef.h>
#include <stdint.h>

#include "common/catalog.h"
#include "store/store.h"

extern char fx_dir[256];
extern catalog_t *fx_cat;
extern store_t *fx_store;

/* Criterion .init/.fini: temp dir, catalog, store. */
void fx_setup(void);
void fx_teardown(void);

/* Remove a directory tree (test temp dirs only). */
void fx_rm_rf(const char *path);

/* Current month used by fx_apply: 2026-11. */
#define FX_NOW_MONTH (2026 * 12 + 10)

/* Count update. */
update_t fx_count(uint64_t seq, const char *ind, uint32_t region,
                        uint32_t yyyymm, int64_t v);
/* Ratio update. */
update_t fx_ratio(uint64_t seq, const char *ind, uint32_t region,
                        uint32_t yyyymm, int64_t num, int64_t den);

/* Apply one batch from @p reporter (home -1: every region allowed) and return the
 * result; asserts that store_apply itself succeeded. Caller must
 * store_result_fini() the result. */
store_result_t fx_apply(const char *reporter, const update_t *u,
                        size_t n);

/* Copy the shipped catalog into @p dir, moving 上城区 (330102) from
 * 杭州市 to 宁波市: another region tree, so a writable open rebuilds. */
void fx_write_moved_catalog(const char *dir);

/* Total with the period given as text; asserts success. */
store_total_t fx_total(const char *ind, uint32_t region, const char *period);

#endif
