/* client.c: send query requests to a collector, or answer them locally.
 *
 * Remote: one DEALER socket; a request that gets no answer within the
 * timeout fails, and the socket is replaced (a late answer must not be
 * taken for the next request's). With CurveZMQ a monitor watches the
 * socket's handshakes, so that a key the collector refuses fails the
 * request at once and says so, instead of looking like silence.
 *
 * Local: query_answer() in this process, as the admin role with backups
 * to any path: whoever can open the store read-only can copy its files
 * anyway, so a local backup is not a privilege to guard; it goes where
 * the operator says, relative to the working directory, like cp would.
 * The store is pinned at open (store_pin): every question of the run,
 * every page of a list included, is read from one snapshot, and a page
 * resumes where the last one ended in that snapshot. The catalog is the
 * one the store was opened with, parsed once.
 *
 * INVARIANTS
 *   1. Exactly one of (sock, store) is set.
 *   2. The catalog, once fetched, never changes during the client's life.
 *   3. A local client answers from the snapshot pinned at open (or by the
 *      asking thread's last client_refresh()), until client_release() or
 *      client_destroy() unpins it before closing the store.
 */
#include "admin/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zmq.h>

#include "common/buf.h"
#include "common/mem.h"
#include "common/mono.h"
#include "common/perm.h"
#include "common/wire.h"
#include "store/query.h"
#include "store/store.h"

/* Largest answer taken from a collector: its own cap, and room for a
 * newer collector's. */
#define MAX_ANSWER ((int64_t)QUERY_MAX_ANSWER * 4)

struct client {
    void *zctx;
    void *sock;
    void *mon;                 /* PAIR: sock's handshake events, or NULL */
    unsigned mon_seq;          /* names each monitor's inproc endpoint */
    char *endpoint;
    int timeout_ms;
    catalog_t *local_cat;
    store_t *store;
    catalog_t *cat;
    int curve;                 /* CurveZMQ: key and server_key are set */
    keys_pair_t key;
    char server_key[KEYS_Z85_LEN];
};

/* Watch @p s's CurveZMQ handshakes on c->mon (left NULL on failure: the
 * request then only times out). */
static void watch(client_t *c, void *s)
{
    char ep[64];
    snprintf(ep, sizeof ep, "inproc://hrssctl-monitor-%u", ++c->mon_seq);
    if (zmq_socket_monitor(s, ep,
                           ZMQ_EVENT_HANDSHAKE_FAILED_AUTH |
                               ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL) != 0) {
        return;
    }
    c->mon = zmq_socket(c->zctx, ZMQ_PAIR);
    int linger = 0;
    if (c->mon != NULL) {
        zmq_setsockopt(c->mon, ZMQ_LINGER, &linger, sizeof linger);
    }
    if (c->mon != NULL && zmq_connect(c->mon, ep) != 0) {
        zmq_close(c->mon);
        c->mon = NULL;
    }
}

static void close_socket(client_t *c)
{
    if (c->mon != NULL) {
        zmq_close(c->mon);
        c->mon = NULL;
    }
    if (c->sock != NULL) {
        zmq_close(c->sock);
        c->sock = NULL;
    }
}

static void *new_socket(client_t *c)
{
    void *s = zmq_socket(c->zctx, ZMQ_DEALER);
    int linger = 0;
    int64_t max = MAX_ANSWER;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &max, sizeof max);
    if (c->curve) {
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, c->server_key,
                       KEYS_Z85_LEN - 1);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, c->key.public_key,
                       KEYS_Z85_LEN - 1);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, c->key.secret_key,
                       KEYS_Z85_LEN - 1);
        watch(c, s);
    }
    if (zmq_connect(s, c->endpoint) != 0) {
        zmq_close(s);
        if (c->mon != NULL) {
            zmq_close(c->mon);
            c->mon = NULL;
        }
        return NULL;
    }
    return s;
}

int client_connect(client_t **out, const char *endpoint, int timeout_ms,
                   const keys_pair_t *key, const char *server_key,
                   char err[ERR_LEN])
{
    client_t *c = xcalloc(1, sizeof *c);
    c->zctx = zmq_ctx_new();
    c->endpoint = xstrdup(endpoint);
    c->timeout_ms = timeout_ms;
    if (key != NULL) {
        c->curve = 1;
        c->key = *key;
        snprintf(c->server_key, sizeof c->server_key, "%s", server_key);
    }
    c->sock = new_socket(c);
    if (c->sock == NULL) {
        snprintf(err, ERR_LEN, "cannot connect to %s: %s", endpoint,
                 zmq_strerror(zmq_errno()));
        client_destroy(&c);
        return ERR_INVAL;
    }
    *out = c;
    return ERR_OK;
}

int client_open_local(client_t **out, const char *data_dir,
                      const char *catalog_dir, char err[ERR_LEN])
{
    client_t *c = xcalloc(1, sizeof *c);
    int rc = catalog_load_dir(&c->local_cat, catalog_dir, err);
    if (rc == ERR_OK) {
        store_opts_t o = {.readonly = 1};
        rc = store_open(&c->store, data_dir, c->local_cat, &o, err);
        char why[ERR_LEN];
        if (rc == ERR_IO &&
            perm_why_lmdb(data_dir, 1, why, sizeof why)[0] != '\0') {
            /* LMDB says only "Permission denied": say where, for whom. */
            snprintf(err, ERR_LEN, "cannot open the store in %.150s: "
                                   "permission denied (%.240s; run as the "
                                   "store's owner, or read a backup copy)",
                     data_dir, why);
        }
    }
    if (rc == ERR_OK) {
        /* Every question of this run from one snapshot (INVARIANT 3). */
        rc = store_pin(c->store, err);
    }
    if (rc != ERR_OK) {
        client_destroy(&c);
        return rc;
    }
    *out = c;
    return ERR_OK;
}

int client_open(client_t **out, const client_spec_t *spec,
                char err[ERR_LEN])
{
    if (spec->connect == NULL) {
        return client_open_local(out, spec->data_dir, spec->catalog_dir,
                                 err);
    }
    if (spec->key == NULL) {
        return client_connect(out, spec->connect, spec->timeout_ms, NULL,
                              NULL, err);
    }
    keys_pair_t key;
    char server[KEYS_Z85_LEN];
    int rc = keys_load_secret(spec->key, &key, err);
    if (rc == ERR_OK) {
        rc = keys_load_public(spec->collector_key, server, err);
    }
    if (rc == ERR_OK) {
        rc = client_connect(out, spec->connect, spec->timeout_ms, &key,
                            server, err);
    }
    return rc;
}

int client_refresh(client_t *self, char err[ERR_LEN])
{
    if (self->store == NULL) {
        return ERR_OK;
    }
    store_unpin(self->store);
    return store_pin(self->store, err);
}

void client_release(client_t *self)
{
    if (self->store != NULL) {
        store_unpin(self->store);
    }
}

void client_destroy(client_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    client_t *c = *self_p;
    close_socket(c);
    if (c->zctx != NULL) {
        zmq_ctx_term(c->zctx);
    }
    if (c->store != NULL) {
        store_unpin(c->store);
    }
    store_close(&c->store);
    catalog_destroy(&c->local_cat);
    catalog_destroy(&c->cat);
    free(c->endpoint);
    free(c);
    *self_p = NULL;
}

/* A handshake event from c->mon: 0 if none is waiting, else the event
 * (ZMQ_EVENT_HANDSHAKE_FAILED_*). Monitor messages are [u16 event, u32
 * value][endpoint]. */
static int handshake_failed(client_t *c)
{
    zmq_msg_t ev;
    zmq_msg_init(&ev);
    if (zmq_msg_recv(&ev, c->mon, ZMQ_DONTWAIT) < 0) {
        zmq_msg_close(&ev);
        return 0;
    }
    uint16_t event = 0;
    if (zmq_msg_size(&ev) >= sizeof event) {
        memcpy(&event, zmq_msg_data(&ev), sizeof event);
    }
    while (zmq_msg_more(&ev) && zmq_msg_recv(&ev, c->mon, 0) >= 0) {
    }
    zmq_msg_close(&ev);
    return event;
}

static int call_remote(client_t *c, const buf_t *req, zmq_msg_t *ans,
                       char err[ERR_LEN])
{
    if (c->sock == NULL) {
        c->sock = new_socket(c);
    }
    if (c->sock == NULL ||
        zmq_send(c->sock, req->data, req->len, 0) < 0) {
        snprintf(err, ERR_LEN, "cannot send to %s: %s", c->endpoint,
                 zmq_strerror(zmq_errno()));
        return ERR_IO;
    }
    int64_t deadline = mono_ms() + c->timeout_ms;
    int failed = 0;
    for (;;) {
        zmq_pollitem_t items[2] = {{c->sock, 0, ZMQ_POLLIN, 0},
                                   {c->mon, 0, ZMQ_POLLIN, 0}};
        int64_t left = deadline - mono_ms();
        if (left <= 0) {
            break;
        }
        int n = zmq_poll(items, c->mon != NULL ? 2 : 1, (long)left);
        if (n < 0 && zmq_errno() != EINTR) {
            break;
        }
        if (n > 0 && (items[0].revents & ZMQ_POLLIN) &&
            zmq_msg_recv(ans, c->sock, ZMQ_DONTWAIT) >= 0) {
            return ERR_OK;
        }
        if (n > 0 && c->mon != NULL && (items[1].revents & ZMQ_POLLIN)) {
            failed = handshake_failed(c);
            if (failed != 0) {
                break;
            }
        }
    }
    /* A late answer must not be taken for the next request's. */
    close_socket(c);
    if (failed == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH) {
        snprintf(err, ERR_LEN,
                 "the collector at %s refused this key: its public key is "
                 "not in the collector's admins file",
                 c->endpoint);
        return ERR_DENIED;
    }
    if (failed != 0) {
        snprintf(err, ERR_LEN,
                 "the CurveZMQ handshake with %s failed: is "
                 "--collector-key the collector's public key?",
                 c->endpoint);
        return ERR_DENIED;
    }
    snprintf(err, ERR_LEN,
             "the collector at %s did not answer within %d s (is it "
             "running? is this its --query endpoint?%s)",
             c->endpoint, c->timeout_ms / 1000,
             c->curve ? " is --collector-key its public key?" : "");
    return ERR_TIMEOUT;
}

int client_call(client_t *self, const Hrss__QueryRequest *req,
                Hrss__QueryResponse **resp, char err[ERR_LEN])
{
    buf_t in;
    buf_t out;
    buf_init(&in);
    buf_init(&out);
    *resp = NULL;
    size_t n = hrss__query_request__get_packed_size(req);
    uint8_t *packed = xmalloc(n);
    hrss__query_request__pack(req, packed);
    buf_put(&in, packed, n);
    free(packed);
    int rc = ERR_OK;
    const uint8_t *data = NULL;
    size_t len = 0;
    zmq_msg_t ans;
    zmq_msg_init(&ans);
    if (self->store != NULL) {
        /* The operator of --data-dir reads the store's files already: the
         * admin role, and a backup goes to the path given (query.h). */
        static const query_ctx_t local = {.role = QUERY_ROLE_ADMIN,
                                          .plain = 1,
                                          .backup_any_path = 1};
        query_answer(self->store, &local, in.data, in.len, &out);
        data = out.data;
        len = out.len;
    } else {
        rc = call_remote(self, &in, &ans, err);
        data = zmq_msg_data(&ans);
        len = zmq_msg_size(&ans);
    }
    if (rc == ERR_OK) {
        *resp = hrss__query_response__unpack(NULL, len, data);
        if (*resp == NULL) {
            snprintf(err, ERR_LEN, "garbled answer (%zu bytes)", len);
            rc = ERR_PROTO;
        }
    }
    zmq_msg_close(&ans);
    buf_fini(&in);
    buf_fini(&out);
    return rc;
}

int client_is_local(const client_t *self)
{
    return self->store != NULL;
}

const catalog_t *client_catalog(client_t *self, char err[ERR_LEN])
{
    if (self->cat != NULL) {
        return self->cat;
    }
    if (self->store != NULL) {
        /* The catalog the store was opened with: the one its answers use,
         * parsed once (the catalog answer would be its own files). */
        return self->local_cat;
    }
    Hrss__CatalogQ q = HRSS__CATALOG_Q__INIT;
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_CATALOG;
    req.catalog = &q;
    Hrss__QueryResponse *r = NULL;
    int rc = client_call(self, &req, &r, err);
    if (rc == ERR_OK && (r->code != HRSS__QUERY_STATUS__QUERY_OK ||
                         r->r_case != HRSS__QUERY_RESPONSE__R_CATALOG)) {
        snprintf(err, ERR_LEN, "catalog: %s",
                 r->error != NULL ? r->error : "no catalog in the answer");
        rc = ERR_PROTO;
    } else if (rc == ERR_OK && !r->catalog->has_plan_csv) {
        snprintf(err, ERR_LEN, "catalog: the collector sent no plan.csv "
                               "(it runs an older version)");
        rc = ERR_PROTO;
    }
    if (rc == ERR_OK) {
        const ProtobufCBinaryData *in[CATALOG_NFILES] = {
            &r->catalog->indicators_csv, &r->catalog->regions_csv,
            &r->catalog->plan_csv, &r->catalog->targets_csv,
            &r->catalog->region_changes_csv};
        catalog_bytes_t files[CATALOG_NFILES];
        char names[CATALOG_NFILES][64];
        for (size_t i = 0; i < CATALOG_NFILES; i++) {
            snprintf(names[i], sizeof names[i], "collector:%s",
                     catalog_file_name((enum catalog_file)i));
            files[i].name = names[i];
            files[i].data = in[i]->data;
            files[i].len = in[i]->len;
        }
        /* No targets.csv (an older collector, or none in its catalog):
         * the province's targets are indicators.csv's. An empty one is
         * sent with data NULL by protobuf-c: still a file. */
        if (!r->catalog->has_targets_csv) {
            files[CATALOG_TARGETS].data = NULL;
            files[CATALOG_TARGETS].len = 0;
        } else if (files[CATALOG_TARGETS].data == NULL) {
            files[CATALOG_TARGETS].data = "";
        }
        /* Likewise region-changes.csv: absent, the catalog has none. */
        if (!r->catalog->has_region_changes_csv) {
            files[CATALOG_REGION_CHANGES].data = NULL;
            files[CATALOG_REGION_CHANGES].len = 0;
        } else if (files[CATALOG_REGION_CHANGES].data == NULL) {
            files[CATALOG_REGION_CHANGES].data = "";
        }
        rc = catalog_load_mem(&self->cat, files, err);
    }
    if (r != NULL) {
        hrss__query_response__free_unpacked(r, NULL);
    }
    return rc == ERR_OK ? self->cat : NULL;
}

int client_total(client_t *self, const char *indicator, uint32_t region,
                 const period_t *p, store_total_t *out, char err[ERR_LEN])
{
    return client_total_q(self, indicator, region, p, 0, out, err);
}

int client_total_q(client_t *self, const char *indicator, uint32_t region,
                   const period_t *p, int approved_only, store_total_t *out,
                   char err[ERR_LEN])
{
    char per[PERIOD_STR_LEN];
    period_format(p, per, sizeof per);
    Hrss__TotalQ q = HRSS__TOTAL_Q__INIT;
    q.indicator = (char *)(uintptr_t)indicator;
    q.region = region;
    q.period = per;
    if (approved_only) {
        q.has_approved_only = 1;
        q.approved_only = 1;
    }
    Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
    req.q_case = HRSS__QUERY_REQUEST__Q_TOTAL;
    req.total = &q;
    Hrss__QueryResponse *r = NULL;
    memset(out, 0, sizeof *out);
    int rc = client_call(self, &req, &r, err);
    if (rc != ERR_OK) {
        return rc;
    }
    if (r->code != HRSS__QUERY_STATUS__QUERY_OK ||
        r->r_case != HRSS__QUERY_RESPONSE__R_TOTAL) {
        snprintf(err, ERR_LEN, "%s", r->error != NULL ? r->error : "error");
        rc = r->code != HRSS__QUERY_STATUS__QUERY_OK
                 ? wire_status_from_proto(r->code)
                 : ERR_PROTO;
    } else if (approved_only && !r->total->has_approved) {
        /* It ignored approved_only: its total is of every figure. */
        snprintf(err, ERR_LEN, "the collector is too old for approved-only "
                               "totals");
        rc = ERR_VERSION;
    } else {
        out->is_ratio = r->total->is_ratio;
        out->num = r->total->numerator;
        out->den = r->total->denominator;
        out->reporting = r->total->reporting;
        out->expected = r->total->expected;
        out->approved = r->total->approved;
    }
    hrss__query_response__free_unpacked(r, NULL);
    return rc;
}
