/* cmd_check.c: `hrssctl --data-dir DIR check`.
 *
 * Takes DIR/collector.lock (without waiting), opens the store with
 * store_opts_t.check and the catalog of --catalog, runs store_check()
 * and prints what it found: the problems as they come (one line each,
 * or gathered into the JSON object), then the summary.
 *
 * INVARIANTS
 *   1. (cmd_check.h.) The lock is held from before the open until after
 *      the close.
 */
#include "admin/cmd_check.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/catalog.h"
#include "common/json.h"
#include "common/pidlock.h"
#include "store/store.h"

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
        fprintf(f->x->out, "%s\n", line);
    }
    f->n++;
}

/* Take DIR/collector.lock: 0, or the exit status after saying why not. */
static int lock_dir(const char *dir, int *fd)
{
    char path[4200];
    char err[ERR_LEN];
    struct stat st;
    long holder = 0;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        return ctl_fail(1, "%s: %s", dir,
                        errno != 0 ? strerror(errno) : "not a directory");
    }
    snprintf(path, sizeof path, "%s/collector.lock", dir);
    int got = pidlock_take(path, 0, NULL, fd, &holder, err);
    if (got < 0) {
        return ctl_fail(1, "%s", err);
    }
    if (got == 0) {
        return ctl_fail(1, "%s is in use by a collector (pid %ld): stop it "
                           "first, or check a backup (hrssctl backup)",
                        dir, holder);
    }
    return 0;
}

static void print_summary(const ctl_t *x, const char *dir, int rc,
                          const store_check_counts_t *n, const char *err)
{
    int sound = rc == 0;
    if (x->fmt == RENDER_JSON) {
        fprintf(x->out, "%s],\n  \"sound\": %s,\n  \"records\": %llu,\n"
               "  \"aggregates_checked\": %s\n}\n",
               n->problems > 0 ? "\n  " : "", sound ? "true" : "false",
               (unsigned long long)n->records,
               n->derived_checked ? "true" : "false");
    } else if (sound) {
        fprintf(x->out, "%s/data.mdb: sound: %llu record%s, every checksum and "
               "aggregate right\n", dir, (unsigned long long)n->records,
               n->records == 1 ? "" : "s");
    } else {
        fprintf(x->out, "%s\n", err);
    }
}

int cmd_check(ctl_t *x, const ctl_args_t *a)
{
    (void)a;
    char err[ERR_LEN];
    int fd = -1;
    int st = lock_dir(x->data_dir, &fd);
    if (st != 0) {
        return st;
    }
    catalog_t *cat = NULL;
    store_t *s = NULL;
    int rc = catalog_load_dir(&cat, x->catalog_dir, err);
    if (rc == ERR_OK) {
        store_opts_t o = {.check = 1};
        rc = store_open(&s, x->data_dir, cat, &o, err);
    }
    if (rc != ERR_OK) {
        st = ctl_fail(1, "%s", err);
    } else {
        found_t f = {x, 0};
        store_check_counts_t n;
        if (x->fmt == RENDER_JSON) {
            fprintf(x->out, "{\n  \"file\": ");
            json_put_str(x->out, x->data_dir);
            fprintf(x->out, ",\n  \"problems\": [");
        }
        rc = store_check(s, on_problem, &f, &n, err);
        if (rc == ERR_OK || rc == ERR_CORRUPT) {
            print_summary(x, x->data_dir, rc, &n, err);
            st = rc == ERR_OK ? 0 : 1;
        } else {
            st = ctl_fail(1, "%s", err);
        }
    }
    store_close(&s);
    catalog_destroy(&cat);
    close(fd);
    return st;
}
