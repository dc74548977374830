/* sockets.c: the collector's listening sockets (sockets.h). */
#include "collector/sockets.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <zmq.h>

#include "collector/collector.h"
#include "common/file.h"
#include "common/log.h"
#include "common/wire.h"

/* Plain mode binds only where no one else can reach: loopback TCP, ipc://
 * or inproc://. */
int sockets_is_local(const char *ep)
{
    static const char *const local[] = {
        "ipc://", "inproc://", "tcp://127.", "tcp://localhost:",
        "tcp://[::1]:"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++) {
        if (strncmp(ep, local[i], strlen(local[i])) == 0) {
            return 1;
        }
    }
    return 0;
}

/* A bound ROUTER on @p endpoint; with @p key a CurveZMQ server in ZAP
 * domain @p domain (the ZAP handler must be running). @p prepare (may be
 * NULL) sets the socket's own options last. Every option is set before
 * the bind: libzmq copies them into the listener then. */
void *sockets_bind_router(void *zctx, const char *endpoint, int mandatory,
                         const keys_pair_t *key, const char *domain,
                         int heartbeat_ms, void (*prepare)(void *sock))
{
    void *s = zmq_socket(zctx, ZMQ_ROUTER);
    /* Dead peers (a partition, a frozen or powered-off office) are
     * noticed and their connections closed: without heartbeats each one
     * left a connection and its descriptor behind. The TTL asks the peer
     * to do the same for us. */
    int hb = heartbeat_ms > 0 ? heartbeat_ms : COLLECTOR_HEARTBEAT_MS;
    int hb_timeout = 3 * hb;
    zmq_setsockopt(s, ZMQ_HEARTBEAT_IVL, &hb, sizeof hb);
    zmq_setsockopt(s, ZMQ_HEARTBEAT_TIMEOUT, &hb_timeout, sizeof hb_timeout);
    zmq_setsockopt(s, ZMQ_HEARTBEAT_TTL, &hb_timeout, sizeof hb_timeout);
    if (key != NULL) {
        int server = 1;
        zmq_setsockopt(s, ZMQ_CURVE_SERVER, &server, sizeof server);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, key->secret_key,
                       KEYS_Z85_LEN - 1);
        zmq_setsockopt(s, ZMQ_ZAP_DOMAIN, domain, strlen(domain));
    }
    int64_t maxmsg = WIRE_MAX_MSG;
    int linger = 2000;
    int hwm = 10000;
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_SNDHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_RCVHWM, &hwm, sizeof hwm);
    zmq_setsockopt(s, ZMQ_ROUTER_MANDATORY, &mandatory, sizeof mandatory);
    if (prepare != NULL) {
        prepare(s);
    }
    if (zmq_bind(s, endpoint) != 0) {
        log_err("cannot bind %s: %s", endpoint, zmq_strerror(zmq_errno()));
        zmq_close(s);
        return NULL;
    }
    return s;
}

void sockets_last_endpoint(void *s, char *buf, size_t len)
{
    size_t n = len;
    if (zmq_getsockopt(s, ZMQ_LAST_ENDPOINT, buf, &n) != 0) {
        snprintf(buf, len, "?");
    }
}

/* Write DATA_DIR/endpoints so that tools and tests can find ephemeral
 * ports ("tcp://127.0.0.1:*", --metrics 127.0.0.1:0): KEY=VALUE lines,
 * ingest and query always, metrics (the page's URL) with --metrics. */
void sockets_write_endpoints(const char *dir, const char *ingest,
                            const char *query, const char *metrics)
{
    char path[4096];
    char text[800];
    char err[ERR_LEN];
    snprintf(path, sizeof path, "%s/endpoints", dir);
    int n = snprintf(text, sizeof text, "ingest=%s\nquery=%s\n%s%s%s",
                     ingest, query, metrics != NULL ? "metrics=" : "",
                     metrics != NULL ? metrics : "",
                     metrics != NULL ? "\n" : "");
    if (n < 0 || (size_t)n >= sizeof text ||
        file_write_atomic(path, text, (size_t)n, err) != ERR_OK) {
        log_warn("cannot write %s: %s", path,
                 n < 0 || (size_t)n >= sizeof text ? "endpoints too long"
                                                   : err);
    }
}
