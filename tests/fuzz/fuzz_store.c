/* fuzz_store.c: throw-away stores for the fuzz targets that need one
 * (ingest, query); see fuzz_common.h.
 *
 * A target's store lives in a temporary directory whose files are
 * unlinked as soon as LMDB has opened them: the environment keeps its
 * descriptors and map, and a crash (which libFuzzer ends with _Exit,
 * running no cleanup) leaves nothing behind. The store never opens its
 * files by name again after store_open() (store/env.c); backup, which
 * writes by name, is kept from the fuzzers, and the map never grows
 * (map_max == map_size).
 *
 * INVARIANTS
 *   1. A store handed out has no directory entry left on disk.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "fuzz_common.h"

static const char *tmp_base(void)
{
    if (access("/dev/shm", W_OK) == 0) {
        return "/dev/shm";
    }
    const char *t = getenv("TMPDIR");
    return t != NULL && t[0] != '\0' ? t : "/tmp";
}

store_t *fuzz_store_new(const catalog_t *cat, size_t map_size)
{
    char dir[4096];
    char path[4200];
    char err[ERR_LEN] = "";
    store_t *st = NULL;
    /* A small rejection cap, so that trimming is reached. */
    store_opts_t opts = {.map_size = map_size, .map_max = map_size,
                         .max_rejections = 8};
    snprintf(dir, sizeof dir, "%s/hrss-fuzz-XXXXXX", tmp_base());
    if (mkdtemp(dir) == NULL) {
        fuzz_fail("mkdtemp %s failed", dir);
    }
    snprintf(path, sizeof path, "%s/db", dir);
    if (store_open(&st, path, cat, &opts, err) != ERR_OK) {
        fuzz_fail("store_open %s: %s", path, err);
    }
    /* INVARIANT 1: the open environment no longer needs the names. */
    static const char *const files[] = {"db/data.mdb", "db/lock.mdb"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/db", dir);
    rmdir(path);
    rmdir(dir);
    return st;
}
