/** @file lists.h
 *  @brief What the collector reads from files besides its store, and
 *         reads again on SIGHUP: its key and the key lists (CURVE), and
 *         the hand-set bounds of --ranges.
 *
 *  Owns nothing: what it makes is handed to the caller (the collector),
 *  which destroys it. Runs in the collector's main thread only.
 *
 *  INVARIANTS
 *    1. A file that does not read keeps what was in force (a reload), or
 *       stops the start (the first read), always saying why in the log.
 *    2. Plain mode binds only endpoints others cannot reach.
 */
#ifndef HRSS_COLLECTOR_LISTS_H
#define HRSS_COLLECTOR_LISTS_H

#include "collector/auth.h"
#include "collector/collector.h"
#include "common/catalog.h"
#include "common/keys.h"
#include "store/store.h"

/** CURVE: read the collector's key into @p key and the key lists into
 *  *@p auth; plain mode: refuse any endpoint others could reach.
 *  @return 0, or -1 after logging why. */
int lists_open(const collector_cfg_t *cfg, const catalog_t *cat,
               keys_pair_t *key, auth_t **auth);

/** Read cfg->ranges_path (if any) and hand it to @p st
 *  (store_set_ranges); *@p cur, the bounds in force, is replaced and
 *  destroyed only when the file reads. @return 0, or -1 after logging. */
int lists_load_ranges(const collector_cfg_t *cfg, const catalog_t *cat,
                      store_t *st, store_ranges_t **cur);

/** SIGHUP: read the ranges and the key lists (@p auth, NULL in plain
 *  mode) again; a bad file keeps the old one. */
void lists_reload(const collector_cfg_t *cfg, const catalog_t *cat,
                  store_t *st, auth_t *auth, store_ranges_t **cur);

#endif
