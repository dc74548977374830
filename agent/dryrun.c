/* dryrun.c: submit --dry-run (dryrun.h).
 *
 *   rows -> runs of <= WIRE_MAX_BATCH -> DEALER (CURVE or plain) ->
 *   DryRunResult per run -> "FILE:LINE: ..." lines and a summary
 *
 * INVARIANTS: see dryrun.h. The answer of a run is matched to it by
 * order: one run is in flight at a time.
 */
#include "agent/dryrun.h"

#include <stdlib.h>
#include <string.h>
#include <zmq.h>

#include "common/buf.h"
#include "common/mono.h"
#include "common/text.h"
#include "common/wire.h"

#define EX_REFUSED 65
#define EX_NO_ANSWER 69

static void *open_socket(void *zctx, const dryrun_opts_t *o)
{
    void *s = zmq_socket(zctx, ZMQ_DEALER);
    if (s == NULL) {
        return NULL;
    }
    int linger = 0;
    int64_t maxmsg = WIRE_MAX_COLLECTOR_FRAME;
    zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger);
    zmq_setsockopt(s, ZMQ_MAXMSGSIZE, &maxmsg, sizeof maxmsg);
    if (o->key != NULL) {
        zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, o->server_key,
                       KEYS_Z85_LEN - 1);
        zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, o->key->public_key,
                       KEYS_Z85_LEN - 1);
        zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, o->key->secret_key,
                       KEYS_Z85_LEN - 1);
    }
    if (zmq_connect(s, o->endpoint) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* Send rows [from, from + n) as one run. */
static int send_run(void *s, const dryrun_opts_t *o, const csvin_row_t *rows,
                    size_t from, size_t n, buf_t *out)
{
    Hrss__Update *u = calloc(n, sizeof *u);
    Hrss__Ratio *ra = calloc(n, sizeof *ra);
    Hrss__Update **up = calloc(n, sizeof *up);
    if (u == NULL || ra == NULL || up == NULL) {
        free(u);
        free(ra);
        free(up);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        update_t x = rows[from + i].update;
        x.seq = i + 1;
        wire_update_set(&u[i], &ra[i], &x);
        up[i] = &u[i];
    }
    Hrss__Batch b = HRSS__BATCH__INIT;
    b.name = (char *)(uintptr_t)o->name;
    b.region = o->region;
    b.n_updates = n;
    b.updates = up;
    Hrss__AgentMsg m = HRSS__AGENT_MSG__INIT;
    m.body_case = HRSS__AGENT_MSG__BODY_DRY_RUN;
    m.dry_run = &b;
    wire_pack(&m.base, out);
    int rc = zmq_send(s, out->data, out->len, 0) < 0 ? -1 : 0;
    free(up);
    free(ra);
    free(u);
    return rc;
}

/* The answer to the run in flight, or NULL (timeout, garbled). */
static Hrss__CollectorMsg *recv_result(void *s, int timeout_ms,
                                       char err[ERR_LEN])
{
    int64_t deadline = mono_ms() + timeout_ms;
    for (;;) {
        int64_t left = deadline - mono_ms();
        zmq_pollitem_t p = {s, 0, ZMQ_POLLIN, 0};
        if (left <= 0 || zmq_poll(&p, 1, (long)left) <= 0) {
            snprintf(err, ERR_LEN, "no answer in %d s", timeout_ms / 1000);
            return NULL;
        }
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, s, 0) < 0) {
            zmq_msg_close(&msg);
            continue;
        }
        Hrss__CollectorMsg *m = NULL;
        int rc = wire_collector_unpack(zmq_msg_data(&msg),
                                       zmq_msg_size(&msg), &m, err);
        zmq_msg_close(&msg);
        if (rc != ERR_OK) {
            return NULL;
        }
        if (m->body_case == HRSS__COLLECTOR_MSG__BODY_DRY_RUN) {
            return m;
        }
        /* An Ack refusing the run (an unlisted key, say) says why. */
        if (m->body_case == HRSS__COLLECTOR_MSG__BODY_ACK) {
            snprintf(err, ERR_LEN, "the collector refused the dry run: %s",
                     m->ack->message != NULL ? m->ack->message
                                             : "not authorized");
            hrss__collector_msg__free_unpacked(m, NULL);
            return NULL;
        }
        hrss__collector_msg__free_unpacked(m, NULL);
    }
}

/* Print the lines of one run's result; count refused and flagged. */
static void report(const Hrss__DryRunResult *r, const char *file,
                   const csvin_row_t *rows, size_t from, size_t n,
                   FILE *out, size_t *refused, size_t *flagged)
{
    for (size_t i = 0; i < r->n_rejections; i++) {
        const Hrss__Rejection *x = r->rejections[i];
        if (x->seq < 1 || x->seq > n) {
            continue;
        }
        fprintf(out, "%s:%zu: would be refused: ", file,
                rows[from + x->seq - 1].line);
        text_put_clean(out, x->message, 0);
        fputs(" [", out);
        text_put_clean(out, x->reason_name, 0);
        fputs("]\n", out);
        (*refused)++;
    }
    for (size_t i = 0; i < r->n_notes; i++) {
        const Hrss__Rejection *x = r->notes[i];
        if (x->seq < 1 || x->seq > n) {
            continue;
        }
        fprintf(out, "%s:%zu: would be taken, flagged: ", file,
                rows[from + x->seq - 1].line);
        text_put_clean(out, x->message, 0);
        fputc('\n', out);
        (*flagged)++;
    }
}

int dryrun_rows(const dryrun_opts_t *o, const char *file,
                const csvin_row_t *rows, size_t n, FILE *out)
{
    void *zctx = zmq_ctx_new();
    void *s = zctx != NULL ? open_socket(zctx, o) : NULL;
    if (s == NULL) {
        fprintf(stderr, "hrss-agent: cannot connect to %s: %s\n",
                o->endpoint, zmq_strerror(zmq_errno()));
        if (zctx != NULL) {
            zmq_ctx_term(zctx);
        }
        return 1;
    }
    buf_t buf;
    buf_init(&buf);
    size_t refused = 0;
    size_t flagged = 0;
    int st = 0;
    char err[ERR_LEN];
    for (size_t from = 0; from < n && st == 0; from += WIRE_MAX_BATCH) {
        size_t k = n - from < WIRE_MAX_BATCH ? n - from : WIRE_MAX_BATCH;
        Hrss__CollectorMsg *m = NULL;
        if (send_run(s, o, rows, from, k, &buf) != 0) {
            snprintf(err, ERR_LEN, "cannot send: %s",
                     zmq_strerror(zmq_errno()));
        } else {
            m = recv_result(s, o->timeout_ms, err);
        }
        if (m == NULL) {
            fprintf(stderr, "hrss-agent: dry run at %s: %s\n", o->endpoint,
                    err);
            st = strncmp(err, "no answer", 9) == 0 ? EX_NO_ANSWER : 1;
        } else if (m->dry_run->message != NULL) {
            fprintf(stderr, "hrss-agent: dry run: the collector could not "
                            "try it: %s\n", m->dry_run->message);
            st = 1;
        } else {
            report(m->dry_run, file, rows, from, k, out, &refused, &flagged);
        }
        if (m != NULL) {
            hrss__collector_msg__free_unpacked(m, NULL);
        }
    }
    buf_fini(&buf);
    zmq_close(s);
    zmq_ctx_term(zctx);
    if (st != 0) {
        return st;
    }
    fprintf(out, "dry run: %zu row%s would be taken (%zu flagged), %zu "
                 "refused; nothing was queued or stored\n",
            n - refused, n - refused == 1 ? "" : "s", flagged, refused);
    return refused > 0 ? EX_REFUSED : 0;
}

int dryrun_file(const dryrun_opts_t *o, const update_scope_t *scope,
                const csvin_opts_t *copts, const char *path, FILE *out)
{
    csvin_row_t *rows = NULL;
    size_t n = 0;
    char *errors = NULL;
    char *warnings = NULL;
    int rc = csvin_read_file_ex(path, scope, copts, &rows, &n, &errors,
                                &warnings);
    if (warnings != NULL) {
        text_put_clean(stderr, warnings, TEXT_KEEP_LF);
        fputc('\n', stderr);
        free(warnings);
    }
    if (rc != ERR_OK) {
        text_put_clean(stderr, errors != NULL ? errors : "failed",
                       TEXT_KEEP_LF);
        fputs("\nhrss-agent: the file does not read: nothing was tried\n",
              stderr);
        free(errors);
        return rc == ERR_INVAL ? EX_REFUSED : 1;
    }
    int st = dryrun_rows(o, path, rows, n, out);
    free(rows);
    return st;
}
