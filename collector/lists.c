/* lists.c: the collector's key, key lists and ranges, read at start and
 * again on SIGHUP (lists.h).
 *
 * INVARIANTS: see lists.h.
 */
#include "collector/lists.h"

#include <stdio.h>

#include "collector/ranges.h"
#include "collector/sockets.h"
#include "common/log.h"

int lists_open(const collector_cfg_t *cfg, const catalog_t *cat,
               keys_pair_t *key, auth_t **auth)
{
    char err[ERR_LEN];
    if (cfg->insecure) {
        const char *eps[2] = {cfg->ingest, cfg->query};
        for (size_t i = 0; i < 2; i++) {
            if (!sockets_is_local(eps[i])) {
                log_err("plain mode (--insecure) binds only loopback, ipc:// "
                        "or inproc:// endpoints, not %s: anyone who reaches "
                        "it could send figures as any office; use keys "
                        "(--key, --agents) to listen on a network", eps[i]);
                return -1;
            }
        }
        return 0;
    }
    if (keys_load_secret(cfg->key_path, key, err) != ERR_OK) {
        log_err("key: %s", err);
        return -1;
    }
    if (auth_new(auth, cat, cfg->agents_path, cfg->admins_path, err) !=
        ERR_OK) {
        log_err("%s", err);
        return -1;
    }
    return 0;
}

int lists_load_ranges(const collector_cfg_t *cfg, const catalog_t *cat,
                      store_t *st, store_ranges_t **cur)
{
    char err[ERR_LEN];
    store_ranges_t *r = NULL;
    if (cfg->ranges_path == NULL) {
        return 0;
    }
    if (ranges_load(&r, cfg->ranges_path, cat, err) != ERR_OK) {
        log_err("ranges: %s%s", err, *cur != NULL ? "; the old bounds stay "
                                                    "in force" : "");
        return -1;
    }
    store_set_ranges(st, r);
    ranges_destroy(cur);
    *cur = r;
    log_info("ranges: %zu bounds from %s", r->count, cfg->ranges_path);
    return 0;
}

void lists_reload(const collector_cfg_t *cfg, const catalog_t *cat,
                  store_t *st, auth_t *auth, store_ranges_t **cur)
{
    char err[ERR_LEN];
    (void)lists_load_ranges(cfg, cat, st, cur);
    if (auth == NULL) {
        log_info("SIGHUP: plain mode has no key lists to read");
        return;
    }
    if (auth_reload(auth, err) != ERR_OK) {
        log_err("SIGHUP: %s; the old lists stay in force", err);
        return;
    }
    size_t agents = 0;
    size_t admins = 0;
    auth_counts(auth, &agents, &admins);
    log_info("SIGHUP: %zu agent keys and %zu admin keys listed", agents,
             admins);
}
