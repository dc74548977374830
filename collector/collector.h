/** @file collector.h
 *  @brief The central daemon: ingest with group commit, query service.
 *
 *  collector_run() takes agents' batches on the ingest ROUTER socket,
 *  applies the batches drained after each poll in one store transaction
 *  (group commit) and acks them after the commit; a thread of its own
 *  answers hrssctl on the query ROUTER socket through store/query. Who
 *  sent a message is collector/identity's decision.
 *
 *  Owns, for one collector_run(): the catalog (loaded from catalog_dir),
 *  the store, the identity context, the zmq context, both sockets, the
 *  query thread, and with --metrics the HTTP server of /metrics
 *  (collector/cmetrics, common/httpd). Borrows the settings (collector_cfg_t) and the stop flag
 *  for the run.
 *
 *  INVARIANTS
 *    1. A batch is acked only after store_apply() returned ERR_OK for the
 *       group holding it, so whatever an agent sees acknowledged is
 *       durable. When the store cannot take a group, every batch of it
 *       gets ACK_RETRY and the agents keep their data.
 *    2. Each zmq socket is used by one thread only.
 *    3. A stop finishes the batches in hand and acks them before
 *       collector_run() returns.
 *    4. The /metrics thread reads only the published metrics snapshot:
 *       never a zmq socket, the store or the ingest loop's state.
 */
#ifndef HRSS_COLLECTOR_H
#define HRSS_COLLECTOR_H
#include <signal.h>
#include <stddef.h>

/** Settings, from flags and the config file. Plain value struct. */
/** Default heartbeat interval of both sockets (--heartbeat-s). */
#define COLLECTOR_HEARTBEAT_MS 10000

typedef struct collector_cfg {
    const char *data_dir;
    const char *ingest;      /**< ZeroMQ endpoint for agents */
    const char *query;       /**< ZeroMQ endpoint for hrssctl */
    const char *catalog_dir;
    const char *backup_dir;  /**< where admins' backups go (--backup-dir);
                                  NULL: the query socket takes none */
    int insecure;            /**< plain mode: no keys, loopback only */
    const char *key_path;    /**< the collector's secret key (CURVE) */
    const char *agents_path; /**< the agents file (CURVE) */
    const char *admins_path; /**< the admins file, or NULL (CURVE) */
    long clock_offset;       /**< seconds added to the clock for the time
                                  of receipt and the current month: 0,
                                  but for demos and tests of timeliness
                                  (HRSS_CLOCK_OFFSET_S, collector/main.c)
                                  */
    int lock_after_days;     /**< a month locks this many days after its
                                  deadline (store_set_lock_after); 0:
                                  never */
    const char *ranges_path; /**< bounds set by hand that flag a figure
                                  as an outlier (collector/ranges.h), or
                                  NULL; reread on SIGHUP */
    volatile sig_atomic_t *reload; /**< set by SIGHUP: reread both
                                        files; may be NULL */
    long tz_offset;          /**< seconds east of UTC for "current month" */
    size_t map_max;          /**< largest LMDB map, bytes (0: default) */
    size_t max_rejections;   /**< rejection records the store keeps per
                                  agent, its newest (0: the store's
                                  default, 1000; store_opts_t) */
    int heartbeat_ms;        /**< ZMQ_HEARTBEAT_IVL of both sockets; a
                                  peer silent 3 times as long is dropped
                                  (0: COLLECTOR_HEARTBEAT_MS) */
    int wake_fd;             /**< readable when *stop was set, or -1 */
    const char *metrics;     /**< --metrics ADDR:PORT: serve /metrics
                                  there (common/httpd); NULL: none */
} collector_cfg_t;

/** Run until *stop becomes nonzero (set by a signal handler), then finish
 *  the batches in hand, ack them, close everything.
 *  @return 0 on a clean stop, 1 on a start-up or fatal error (logged). */
int collector_run(const collector_cfg_t *cfg, volatile sig_atomic_t *stop);

#endif
