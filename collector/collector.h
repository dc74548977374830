/** @file collector.h
 *  @brief The central daemon: ingest with group commit, query service.
 */
#ifndef HRSS_COLLECTOR_H
#define HRSS_COLLECTOR_H
#include <signal.h>
#include <stddef.h>

/** Settings, from flags and the config file. Plain value struct. */
typedef struct collector_cfg {
    const char *data_dir;
    const char *ingest;      /**< ZeroMQ endpoint for agents */
    const char *query;       /**< ZeroMQ endpoint for hrssctl */
    const char *catalog_dir;
    int insecure;
    long tz_offset;          /**< seconds east of UTC for "current month" */
    size_t map_max;          /**< largest LMDB map, bytes (0: default) */
    int wake_fd;             /**< readable when *stop was set, or -1 */
} collector_cfg_t;

/** Run until *stop becomes nonzero (set by a signal handler), then finish
 *  the batches in hand, ack them, close everything.
 *  @return 0 on a clean stop, 1 on a start-up or fatal error (logged). */
int collector_run(const collector_cfg_t *cfg, volatile sig_atomic_t *stop);

#endif
