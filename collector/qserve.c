/* qserve.c: the collector's query thread.
 *
 * The main thread binds the query socket and hands it over; from then on
 * only this thread uses it (a zmq socket is not thread-safe). The thread
 * polls with a short timeout so that qserve_stop() is noticed, reads one
 * [routing id][request] message at a time, and sends back exactly one
 * answer built by query_answer().
 *
 * Roles: the request frame carries the ZAP handler's User-Id when the
 * socket authenticates (CURVE): "admin:NAME" asks as QUERY_ROLE_ADMIN,
 * anything else, or nothing (plain mode), as QUERY_ROLE_READ; so a plain
 * collector takes no backups. The routing id is never a credential: the
 * peer chooses it.
 *
 * INVARIANTS
 *   1. A request of more than one frame after the routing id is answered
 *      from its first frame; the extra frames are read and dropped.
 *   2. Only the service's thread uses the socket between start and stop.
 */
#include "collector/qserve.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/buf.h"
#include "common/mem.h"
#include "store/query.h"

/* How often the thread looks at the stop flag, in ms. */
#define POLL_MS 200

struct qserve {
    void *sock;
    store_t *st;
    char *backup_dir;
    pthread_t thread;
    atomic_int stop;
};

/* Read and drop the rest of a multi-frame message (INVARIANT 1). */
static void drop_rest(void *sock, zmq_msg_t *last)
{
    int more = zmq_msg_more(last);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        if (zmq_msg_recv(&extra, sock, 0) < 0) {
            zmq_msg_close(&extra);
            return;
        }
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
    }
}

/* Who sent @p req: the ZAP handler's User-Id, "admin:NAME" for an admin
 * key (collector/identity.c); anything else, and no ZAP at all (plain
 * mode), is a reader. */
static enum query_role role_of(zmq_msg_t *req)
{
    const char *uid = zmq_msg_gets(req, "User-Id");
    if (uid != NULL && strncmp(uid, "admin:", 6) == 0 && uid[6] != '\0') {
        return QUERY_ROLE_ADMIN;
    }
    return QUERY_ROLE_READ;
}

/* Answer one waiting request, if there is one. */
static void serve_one(qserve_t *q, buf_t *out)
{
    zmq_msg_t rid;
    zmq_msg_t req;
    zmq_msg_init(&rid);
    zmq_msg_init(&req);
    if (zmq_msg_recv(&rid, q->sock, ZMQ_DONTWAIT) < 0) {
        goto out;
    }
    if (!zmq_msg_more(&rid) || zmq_msg_recv(&req, q->sock, 0) < 0) {
        goto out;
    }
    drop_rest(q->sock, &req);
    buf_reset(out);
    query_ctx_t ctx = {.role = role_of(&req), .backup_dir = q->backup_dir};
    query_answer(q->st, &ctx, zmq_msg_data(&req), zmq_msg_size(&req), out);
    if (zmq_send(q->sock, zmq_msg_data(&rid), zmq_msg_size(&rid),
                 ZMQ_SNDMORE | ZMQ_DONTWAIT) >= 0) {
        zmq_send(q->sock, out->data, out->len, ZMQ_DONTWAIT);
    }
out:
    zmq_msg_close(&rid);
    zmq_msg_close(&req);
}

static void *serve(void *arg)
{
    qserve_t *q = arg;
    buf_t out;
    buf_init(&out);
    zmq_pollitem_t item = {q->sock, 0, ZMQ_POLLIN, 0};
    while (!atomic_load(&q->stop)) {
        if (zmq_poll(&item, 1, POLL_MS) > 0) {
            serve_one(q, &out);
        }
    }
    buf_fini(&out);
    return NULL;
}

int qserve_start(qserve_t **out, void *zctx, void *sock, store_t *st,
                 const qserve_opts_t *opts)
{
    (void)zctx;
    qserve_t *q = xcalloc(1, sizeof *q);
    q->sock = sock;
    q->st = st;
    if (opts != NULL && opts->backup_dir != NULL) {
        q->backup_dir = xstrdup(opts->backup_dir);
    }
    atomic_init(&q->stop, 0);
    if (pthread_create(&q->thread, NULL, serve, q) != 0) {
        free(q->backup_dir);
        free(q);
        return ERR_IO;
    }
    *out = q;
    return ERR_OK;
}

void qserve_stop(qserve_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    qserve_t *q = *self_p;
    atomic_store(&q->stop, 1);
    pthread_join(q->thread, NULL);
    zmq_close(q->sock);
    free(q->backup_dir);
    free(q);
    *self_p = NULL;
}
