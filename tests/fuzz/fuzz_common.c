/* fuzz_common.c: the shipped catalog and fuzz_fail() for the libFuzzer
 * targets in tests/fuzz/ (fuzz_store.c has their throw-away stores).
 *
 * The catalog's directory is compiled in (the source tree's catalog/),
 * so that a target runs from anywhere; $HRSS_FUZZ_CATALOG_DIR overrides
 * it.
 *
 * INVARIANTS
 *   1. One catalog per process, loaded once and never freed.
 */
#include "fuzz_common.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"

#ifndef HRSS_FUZZ_CATALOG_DIR
#error "HRSS_FUZZ_CATALOG_DIR must name the shipped catalog directory"
#endif

static const char *catalog_dir(void)
{
    const char *dir = getenv("HRSS_FUZZ_CATALOG_DIR");
    return dir != NULL && dir[0] != '\0' ? dir : HRSS_FUZZ_CATALOG_DIR;
}

void fuzz_fail(const char *what, ...)
{
    va_list ap;
    fputs("hrss fuzz: invariant broken: ", stderr);
    va_start(ap, what);
    vfprintf(stderr, what, ap);
    va_end(ap);
    fputc('\n', stderr);
    abort();
}

const catalog_t *fuzz_catalog(void)
{
    static catalog_t *cat;
    char err[ERR_LEN] = "";
    if (cat == NULL && catalog_load_dir(&cat, catalog_dir(), err) != ERR_OK) {
        fuzz_fail("shipped catalog in %s: %s", catalog_dir(), err);
    }
    return cat;
}

void fuzz_catalog_file(enum catalog_file which, char **data, size_t *len)
{
    char path[4096];
    char err[ERR_LEN] = "";
    snprintf(path, sizeof path, "%s/%s", catalog_dir(),
             catalog_file_name(which));
    if (file_read(path, (size_t)1 << 24, data, len, err) != ERR_OK) {
        fuzz_fail("%s", err);
    }
}
