/* cmd_chain.c: `hrssctl audit head` and `hrssctl audit verify [--receipts
 * FILE]` (cmd_chain.h).
 *
 * The receipts file is the agent's (README "Receipts"): CSV, a header,
 * then `reporter,seq,indicator,region,month,value,outcome,position,head,
 * acked_at` in any order, unknown columns ignored. Only position and head
 * are needed; a line with both empty (an older collector sent none) is
 * counted and skipped, one with only one of them, or a position that is
 * no number, or a head that is not 64 lowercase hex digits, is an error
 * naming FILE:LINE.
 *
 * INVARIANTS
 *   1. (cmd_chain.h.)
 *   2. Every receipt string is copied out of the CSV reader and freed in
 *      the function that read them.
 */
#include "admin/cmd_chain.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "admin/zone.h"
#include "common/catalog.h"
#include "common/csv.h"
#include "common/json.h"
#include "common/mem.h"
#include "common/pidlock.h"
#include "store/store.h"

static void hex(const uint8_t *h, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[h[i] >> 4];
        out[2 * i + 1] = d[h[i] & 15];
    }
    out[2 * n] = '\0';
}

/* "2025-11-03T10:00:00+08:00" of @p t at the display offset. */
static void when(const ctl_t *x, int64_t t, char *out, size_t cap)
{
    time_t lt = (time_t)(t + x->tz);
    struct tm tm;
    long a = x->tz < 0 ? -x->tz : x->tz;
    if (gmtime_r(&lt, &tm) == NULL) {
        snprintf(out, cap, "%lld", (long long)t);
        return;
    }
    snprintf(out, cap, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d",
             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, x->tz < 0 ? '-' : '+',
             (int)(a / 3600 % 24),
             (int)(a % 3600 / 60));
}

/* The words for a chain built over records already stored
 * (store_chain_head_t.built_over). */
#define BUILT_OVER_NOTE                                                     \
    "positions 1..%llu were chained as found, over records already "       \
    "stored (a store from before the chain, or one that lost its chain "   \
    "table): the chain vouches for them only from then on"

static void print_head(const ctl_t *x, uint64_t pos, const uint8_t *head,
                       int64_t at, uint64_t built_over)
{
    char hx[2 * STORE_HASH_LEN + 1];
    char t[64];
    hex(head, STORE_HASH_LEN, hx);
    if (x->fmt == RENDER_JSON) {
        fprintf(x->out, "{\"position\": %llu, \"head\": \"%s\", \"at\": "
                        "%lld", (unsigned long long)pos, hx,
                (long long)at);
        if (built_over != 0) {
            fprintf(x->out, ", \"built_over\": %llu",
                    (unsigned long long)built_over);
        }
        fprintf(x->out, "}\n");
    } else if (x->fmt == RENDER_CSV) {
        fprintf(x->out, "position,head,at\n%llu,%s,%lld\n",
                (unsigned long long)pos, hx, (long long)at);
    } else {
        fprintf(x->out, "position %llu\nhead %s\n",
                (unsigned long long)pos, hx);
        if (at != 0) {
            when(x, at, t, sizeof t);
            fprintf(x->out, "last record at %s\n", t);
        }
        if (built_over != 0) {
            fprintf(x->out, BUILT_OVER_NOTE "\n",
                    (unsigned long long)built_over);
        }
    }
}

/* Open DIR's store as hrssctl's reads do (read-only), or with @p check
 * for a verification. @return 0 or the exit status after saying why. */
static int open_store(const ctl_t *x, const char *dir, int check,
                      catalog_t **cat, store_t **s)
{
    char err[ERR_LEN];
    int rc = catalog_load_dir(cat, x->catalog_dir, err);
    if (rc == ERR_OK) {
        store_opts_t o = {.readonly = !check, .check = check};
        rc = store_open(s, dir, *cat, &o, err);
    }
    if (rc != ERR_OK) {
        catalog_destroy(cat);
        return ctl_fail(1, "%s", err);
    }
    return 0;
}

static int audit_head(ctl_t *x)
{
    if (x->data_dir == NULL) {
        Hrss__AuditHeadQ q = HRSS__AUDIT_HEAD_Q__INIT;
        Hrss__QueryRequest req = HRSS__QUERY_REQUEST__INIT;
        req.q_case = HRSS__QUERY_REQUEST__Q_AUDIT_HEAD;
        req.audit_head = &q;
        Hrss__QueryResponse *resp = NULL;
        int st = ctl_ask(x, &req, &resp);
        if (st != 0) {
            return st;
        }
        if (resp->r_case != HRSS__QUERY_RESPONSE__R_AUDIT_HEAD ||
            resp->audit_head->head.len != STORE_HASH_LEN) {
            hrss__query_response__free_unpacked(resp, NULL);
            return ctl_fail(1, "the collector's answer holds no audit head "
                               "(an older collector?)");
        }
        print_head(x, resp->audit_head->position,
                   resp->audit_head->head.data,
                   resp->audit_head->has_at ? resp->audit_head->at : 0,
                   resp->audit_head->has_built_over
                       ? resp->audit_head->built_over
                       : 0);
        hrss__query_response__free_unpacked(resp, NULL);
        return 0;
    }
    catalog_t *cat = NULL;
    store_t *s = NULL;
    int st = open_store(x, x->data_dir, 0, &cat, &s);
    if (st != 0) {
        return st;
    }
    char err[ERR_LEN];
    store_chain_head_t h;
    if (store_chain_head(s, &h, err) != ERR_OK) {
        st = ctl_fail(1, "%s", err);
    } else if (!h.present) {
        st = ctl_fail(1, "%s: no audit chain: a store from before it (start "
                         "the collector on it once to build it)",
                      x->data_dir);
    } else {
        print_head(x, h.position, h.head, h.at, h.built_over);
    }
    store_close(&s);
    catalog_destroy(&cat);
    return st;
}

/* ---------------------------------------------------------------------- */
/* the receipts file                                                       */

typedef struct receipts {
    store_receipt_t *v;
    size_t n;
    unsigned long skipped;   /* lines without position and head */
} receipts_t;

static void receipts_fini(receipts_t *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free((char *)(uintptr_t)r->v[i].reporter);
        free((char *)(uintptr_t)r->v[i].acked_at);
    }
    free(r->v);
}

static int unhex(const char *s, uint8_t *out)
{
    if (strlen(s) != 2 * STORE_HASH_LEN) {
        return -1;
    }
    for (size_t i = 0; i < 2 * STORE_HASH_LEN; i++) {
        const char *d = strchr("0123456789abcdef", s[i]);
        if (s[i] == '\0' || d == NULL) {
            return -1;
        }
        int v = (int)(d - "0123456789abcdef");
        out[i / 2] = (uint8_t)(i % 2 == 0 ? v << 4 : out[i / 2] | v);
    }
    return 0;
}

enum { R_POS, R_HEAD, R_REPORTER, R_ACKED, R_NCOLS };

/* One data row into @p r. @return 0 or the exit status. */
static int receipt_row(const char *file, size_t line, char **f, size_t nf,
                       const int col[R_NCOLS], receipts_t *r)
{
    const char *pos = (size_t)col[R_POS] < nf ? f[col[R_POS]] : "";
    const char *head = (size_t)col[R_HEAD] < nf ? f[col[R_HEAD]] : "";
    if (pos[0] == '\0' && head[0] == '\0') {
        r->skipped++;
        return 0;
    }
    store_receipt_t rc = {0};
    char *end = NULL;
    errno = 0;
    unsigned long long p = strtoull(pos, &end, 10);
    if (pos[0] < '0' || pos[0] > '9' || *end != '\0' || errno != 0 ||
        p == 0) {
        return ctl_fail(CTL_EX_DATAERR, "%s:%zu: position: '%.40s' is not "
                                        "a chain position", file, line, pos);
    }
    if (unhex(head, rc.head) != 0) {
        return ctl_fail(CTL_EX_DATAERR, "%s:%zu: head: '%.70s' is not 64 "
                                        "lowercase hex digits", file, line,
                        head);
    }
    rc.position = p;
    rc.line = (unsigned long)line;
    rc.reporter = xstrdup(col[R_REPORTER] >= 0 &&
                                  (size_t)col[R_REPORTER] < nf
                              ? f[col[R_REPORTER]]
                              : "");
    rc.acked_at = xstrdup(col[R_ACKED] >= 0 && (size_t)col[R_ACKED] < nf
                              ? f[col[R_ACKED]]
                              : "");
    r->v = xreallocarray(r->v, r->n + 1, sizeof *r->v);
    r->v[r->n++] = rc;
    return 0;
}

static int read_receipts(const char *file, receipts_t *r)
{
    static const char *const names[R_NCOLS] = {"position", "head",
                                               "reporter", "acked_at"};
    char err[ERR_LEN];
    csv_reader_t *csv = NULL;
    memset(r, 0, sizeof *r);
    if (csv_open_file(&csv, file, err) != ERR_OK) {
        return ctl_fail(CTL_EX_NOINPUT, "--receipts: %s", err);
    }
    int col[R_NCOLS] = {-1, -1, -1, -1};
    size_t nf = 0;
    char **f = NULL;
    size_t line = 0;
    int st = 0;
    int got = csv_next(csv, &nf, &f, &line, err);
    if (got == 1) {
        for (size_t i = 0; i < nf; i++) {
            for (int k = 0; k < R_NCOLS; k++) {
                if (strcmp(f[i], names[k]) == 0 && col[k] < 0) {
                    col[k] = (int)i;
                }
            }
        }
        if (col[R_POS] < 0 || col[R_HEAD] < 0) {
            st = ctl_fail(CTL_EX_DATAERR, "%s:%zu: the header has no "
                                          "'position' and 'head' columns",
                          file, line);
        }
    } else if (got == 0) {
        st = ctl_fail(CTL_EX_DATAERR, "%s: empty: no header line", file);
    }
    while (st == 0 && got == 1) {
        got = csv_next(csv, &nf, &f, &line, err);
        if (got == 1) {
            st = receipt_row(file, line, f, nf, col, r);
        }
    }
    if (st == 0 && got < 0) {
        st = ctl_fail(CTL_EX_DATAERR, "%s", err);
    }
    csv_destroy(&csv);
    if (st != 0) {
        receipts_fini(r);
    }
    return st;
}

/* ---------------------------------------------------------------------- */
/* verify                                                                  */

typedef struct found {
    const ctl_t *x;
    unsigned long n;
} found_t;

static void on_problem(const char *line, void *arg)
{
    found_t *f = arg;
    if (f->x->fmt == RENDER_JSON) {
        fputs(f->n == 0 ? "\n    " : ",\n    ", f->x->out);
        json_put_str(f->x->out, line);
    } else {
        fprintf(f->x->out, "audit verify: %s\n", line);
    }
    f->n++;
}

static void summary(const ctl_t *x, int sound, const store_audit_counts_t *n,
                    const receipts_t *r, uint64_t built_over)
{
    char hx[2 * STORE_HASH_LEN + 1];
    hex(n->head, STORE_HASH_LEN, hx);
    if (x->fmt == RENDER_JSON) {
        fprintf(x->out, "%s],\n  \"sound\": %s,\n  \"position\": %llu,\n"
                "  \"head\": \"%s\",\n  \"records\": %llu,\n"
                "  \"receipts\": %llu,\n  \"receipts_skipped\": %lu",
                n->problems > 0 ? "\n  " : "", sound ? "true" : "false",
                (unsigned long long)n->position, hx,
                (unsigned long long)n->records,
                (unsigned long long)n->receipts, r->skipped);
        if (built_over != 0) {
            fprintf(x->out, ",\n  \"built_over\": %llu",
                    (unsigned long long)built_over);
        }
        fprintf(x->out, "\n}\n");
        return;
    }
    if (built_over != 0) {
        fprintf(x->out, "audit verify: note: " BUILT_OVER_NOTE "\n",
                (unsigned long long)built_over);
    }
    fprintf(x->out, "audit verify: %s: position %llu, head %s; %llu record%s"
            ", %llu fact%s, %llu receipt%s checked",
            sound ? "sound" : "DOES NOT MATCH",
            (unsigned long long)n->position, hx,
            (unsigned long long)n->records, n->records == 1 ? "" : "s",
            (unsigned long long)n->facts, n->facts == 1 ? "" : "s",
            (unsigned long long)n->receipts, n->receipts == 1 ? "" : "s");
    if (r->skipped > 0) {
        fprintf(x->out, " (%lu without position and head skipped)",
                r->skipped);
    }
    fprintf(x->out, "%s\n", sound ? "" : "; the lines above say where");
}

/* The directory to verify: DIR itself when its collector lock is free
 * (held in *@p fd), else a hot copy of it in $TMPDIR (*@p tmp, to
 * remove). @return 0 or the exit status. */
static int snapshot_dir(const ctl_t *x, int *fd, char *tmp, size_t cap,
                        char *copy, size_t ccap)
{
    char path[4200];
    char err[ERR_LEN];
    long holder = 0;
    struct stat st;
    if (stat(x->data_dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return ctl_fail(1, "%s: %s", x->data_dir,
                        errno != 0 ? strerror(errno) : "not a directory");
    }
    snprintf(path, sizeof path, "%s/collector.lock", x->data_dir);
    int got = pidlock_take(path, 0, NULL, fd, &holder, err);
    if (got < 0) {
        return ctl_fail(1, "%s", err);
    }
    if (got == 1) {
        snprintf(copy, ccap, "%s", x->data_dir);
        return 0;
    }
    /* A collector runs: verify a consistent copy, not under its feet. */
    const char *td = getenv("TMPDIR");
    snprintf(tmp, cap, "%s/hrss-audit-XXXXXX",
             td != NULL && td[0] != '\0' ? td : "/tmp");
    if (mkdtemp(tmp) == NULL) {
        int e = errno;
        tmp[0] = '\0';
        return ctl_fail(1, "cannot make a directory for the copy: %s",
                        strerror(e));
    }
    snprintf(copy, ccap, "%s/copy", tmp);
    catalog_t *cat = NULL;
    store_t *s = NULL;
    int rc = open_store(x, x->data_dir, 0, &cat, &s);
    if (rc != 0) {
        return rc;
    }
    int brc = store_backup(s, copy, err);
    store_close(&s);
    catalog_destroy(&cat);
    return brc == ERR_OK ? 0 : ctl_fail(1, "%s", err);
}

static void remove_copy(const char *tmp)
{
    char p[4300];
    const char *const files[] = {"copy/data.mdb", "copy/lock.mdb", "copy"};
    for (size_t i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", tmp, files[i]);
        if (i < 2) {
            unlink(p);
        } else {
            rmdir(p);
        }
    }
    rmdir(tmp);
}

static int audit_verify(ctl_t *x, const ctl_args_t *a)
{
    if (x->data_dir == NULL) {
        return ctl_fail(CTL_EX_USAGE, "audit verify reads the store file "
                                      "itself: give --data-dir DIR");
    }
    receipts_t r = {0};
    int st = a->receipts != NULL ? read_receipts(a->receipts, &r) : 0;
    if (st != 0) {
        return st;
    }
    int fd = -1;
    char tmp[4096] = "";
    char copy[4200] = "";
    catalog_t *cat = NULL;
    store_t *s = NULL;
    st = snapshot_dir(x, &fd, tmp, sizeof tmp, copy, sizeof copy);
    if (st == 0) {
        st = open_store(x, copy, 1, &cat, &s);
    }
    if (st == 0) {
        char err[ERR_LEN];
        found_t f = {x, 0};
        store_audit_counts_t n;
        store_audit_opts_t o = {x->tz, r.v, r.n};
        if (x->fmt == RENDER_JSON) {
            fprintf(x->out, "{\n  \"file\": ");
            json_put_str(x->out, x->data_dir);
            fprintf(x->out, ",\n  \"problems\": [");
        }
        int rc = store_audit_verify(s, &o, on_problem, &f, &n, err);
        store_chain_head_t h;
        memset(&h, 0, sizeof h);
        if ((rc == ERR_OK || rc == ERR_CORRUPT) &&
            store_chain_head(s, &h, err) != ERR_OK) {
            rc = ERR_IO; /* err says why */
        }
        if (rc == ERR_OK || rc == ERR_CORRUPT) {
            summary(x, rc == ERR_OK, &n, &r, h.built_over);
            st = rc == ERR_OK ? 0 : CTL_EX_MISMATCH;
        } else {
            st = ctl_fail(1, "%s", err);
        }
    }
    store_close(&s);
    catalog_destroy(&cat);
    if (tmp[0] != '\0') {
        remove_copy(tmp);
    }
    if (fd >= 0) {
        close(fd);
    }
    receipts_fini(&r);
    return st;
}

int cmd_chain(ctl_t *x, const ctl_args_t *a)
{
    if (strcmp(a->pos[0], "verify") == 0) {
        return audit_verify(x, a);
    }
    if (a->receipts != NULL) {
        return ctl_fail(CTL_EX_USAGE, "--receipts goes with audit verify");
    }
    if (strcmp(a->pos[0], "head") == 0) {
        return audit_head(x);
    }
    return ctl_fail(CTL_EX_USAGE, "audit takes head or verify, not '%s'",
                    a->pos[0]);
}
