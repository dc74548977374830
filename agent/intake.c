/* intake.c: CSV files and inbox drops into the spool, all or nothing.
 *
 * A dropped file is identified by "inbox:NAME:SIZE:MTIME_NS". The key is
 * written in the spool transaction that queues its rows, and the file is
 * moved out of the inbox afterwards; after a crash between the two, the
 * next scan finds the key and only moves the file.
 *
 * INVARIANTS
 *   1. A file's rows are queued in one spool transaction or not at all.
 *   2. A file leaves the inbox only after its rows are durable (done/) or
 *      its errors are written whole beside where it goes (failed/); a
 *      crash in between leaves it in the inbox, to be taken again.
 *   3. A file some process has open for writing is not read (checked with
 *      a read lease; where leases are not allowed, a file must be
 *      min_age_ms old when found by a scan).
 */
#define _GNU_SOURCE /* F_SETLEASE */
#include "agent/intake.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/buf.h"
#include "common/file.h"
#include "common/mem.h"

/* The spool's record of one validated update. */
static void to_spool(const update_t *u, int64_t now, spool_update_t *out)
{
    memset(out, 0, sizeof *out);
    snprintf(out->indicator, sizeof out->indicator, "%s", u->indicator);
    out->region = u->region;
    out->yyyymm = u->yyyymm;
    out->is_ratio = u->value.is_ratio;
    out->num = u->value.num;
    out->den = u->value.den;
    out->submitted_at = now;
}

static int queue_rows(spool_t *sp, const csvin_row_t *rows, size_t n,
                      const char *source, char **errors)
{
    char err[ERR_LEN];
    spool_update_t *u = xcalloc(n ? n : 1, sizeof *u);
    int64_t now = (int64_t)time(NULL);
    for (size_t i = 0; i < n; i++) {
        to_spool(&rows[i].update, now, &u[i]);
    }
    int rc = spool_append(sp, u, n, source, NULL, err);
    free(u);
    if (rc != ERR_OK) {
        *errors = xstrdup(err);
    }
    return rc;
}

int intake_file(spool_t *sp, const update_scope_t *o, const char *path,
                const char *source, size_t *n, char **errors)
{
    csvin_row_t *rows = NULL;
    *n = 0;
    *errors = NULL;
    int rc = csvin_read_file(path, o, &rows, n, errors);
    if (rc == ERR_OK) {
        rc = queue_rows(sp, rows, *n, source, errors);
    }
    free(rows);
    if (rc != ERR_OK) {
        *n = 0;
    }
    return rc;
}

int intake_update(spool_t *sp, const update_t *u, char err[ERR_LEN])
{
    spool_update_t su;
    to_spool(u, (int64_t)time(NULL), &su);
    return spool_append(sp, &su, 1, NULL, NULL, err);
}

int intake_dirs(const char *state_dir, char err[ERR_LEN])
{
    const char *sub[] = {"", "/inbox", "/done", "/failed"};
    for (size_t i = 0; i < 4; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s%s", state_dir, sub[i]);
        if (mkdir(path, 0750) != 0 && errno != EEXIST) {
            snprintf(err, ERR_LEN, "cannot create %.400s: %s", path,
                     strerror(errno));
            return ERR_IO;
        }
    }
    return ERR_OK;
}

static int is_csv(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcasecmp(name + n - 4, ".csv") == 0;
}

/* A name in DIR for NAME that is not taken: DIR/NAME, or DIR/NAME.N. */
static int free_name(const char *dir, const char *name, char *dest,
                     size_t dlen)
{
    for (int i = 0; i < 1000; i++) {
        if (i == 0) {
            snprintf(dest, dlen, "%s/%s", dir, name);
        } else {
            snprintf(dest, dlen, "%s/%s.%d", dir, name, i);
        }
        struct stat st;
        if (lstat(dest, &st) != 0 && errno == ENOENT) {
            return ERR_OK;
        }
    }
    errno = EEXIST;
    return ERR_IO;
}

/* Move @p from to DIR/NAME, or DIR/NAME.N when that exists. */
static int move_to(const char *from, const char *dir, const char *name,
                   char *dest, size_t dlen)
{
    int rc = free_name(dir, name, dest, dlen);
    if (rc == ERR_OK && rename(from, dest) != 0) {
        rc = ERR_IO;
    }
    return rc;
}

/* Write @p errors, ending in a newline, to DEST.errors whole (never
 * seen half-written). */
static int write_errors(const char *dest, const char *errors)
{
    char path[4500];
    char err[ERR_LEN];
    buf_t b;
    snprintf(path, sizeof path, "%s.errors", dest);
    buf_init(&b);
    buf_put(&b, errors, strlen(errors));
    if (b.len > 0 && b.data[b.len - 1] != '\n') {
        buf_put_u8(&b, '\n');
    }
    int rc = file_write_atomic(path, b.data, b.len, err);
    buf_fini(&b);
    return rc;
}

/* Refuse inbox file @p path: its errors first, then the file, into
 * failed/ (INVARIANT 2: it never sits there without its reasons). */
static int refuse(const char *path, const char *failed, const char *name,
                  const char *errors)
{
    char dest[4400];
    int rc = free_name(failed, name, dest, sizeof dest);
    if (rc == ERR_OK) {
        rc = write_errors(dest, errors);
    }
    if (rc == ERR_OK && rename(path, dest) != 0) {
        rc = ERR_IO;
    }
    return rc;
}

/* Whether some process has @p path open for writing: a read lease is
 * granted only when nobody does (fcntl(2), F_SETLEASE). @return 1 being
 * written, 0 not, -1 cannot tell (leases need the file's owner or
 * CAP_LEASE; then the caller falls back on the file's age). */
static int being_written(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return -1;
    }
    int r = -1;
    if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
        fcntl(fd, F_SETLEASE, F_UNLCK);
        r = 0;
    } else if (errno == EAGAIN || errno == EBUSY) {
        r = 1;
    }
    close(fd);
    return r;
}

/* Queue one inbox file and move it to done/ or failed/. */
static int take_file(spool_t *sp, const update_scope_t *o, const char *state,
                     const char *name, const struct stat *sb,
                     intake_stats_t *st, char err[ERR_LEN])
{
    char path[4400];
    char dest[4400];
    char done[4200];
    char failed[4200];
    snprintf(path, sizeof path, "%s/inbox/%s", state, name);
    snprintf(done, sizeof done, "%s/done", state);
    snprintf(failed, sizeof failed, "%s/failed", state);
    char source[600];
    snprintf(source, sizeof source, "inbox:%.400s:%lld:%lld.%09ld", name,
             (long long)sb->st_size, (long long)sb->st_mtim.tv_sec,
             sb->st_mtim.tv_nsec);
    int rc = ERR_OK;
    if (spool_has_source(sp, source)) {
        rc = move_to(path, done, name, dest, sizeof dest);
        st->files_done += rc == ERR_OK;
    } else {
        size_t n = 0;
        char *errors = NULL;
        int frc = intake_file(sp, o, path, source, &n, &errors);
        if (frc == ERR_OK) {
            rc = move_to(path, done, name, dest, sizeof dest);
            st->files_done++;
            st->rows += n;
        } else if (frc == ERR_INVAL) {
            rc = refuse(path, failed, name,
                        errors != NULL ? errors : "invalid file");
            st->files_failed += rc == ERR_OK;
        } else {
            snprintf(err, ERR_LEN, "%s", errors != NULL ? errors : "spool");
            rc = frc;
        }
        free(errors);
    }
    if (rc == ERR_IO && err[0] == '\0') {
        snprintf(err, ERR_LEN, "cannot move %.400s: %s", path,
                 strerror(errno));
    }
    return rc;
}

int intake_inbox_file(spool_t *sp, const update_scope_t *o,
                      const char *state_dir, const char *name,
                      intake_stats_t *st, char err[ERR_LEN])
{
    intake_stats_t dummy;
    if (st == NULL) {
        st = &dummy;
    }
    memset(st, 0, sizeof *st);
    err[0] = '\0';
    if (!is_csv(name) || strchr(name, '/') != NULL) {
        return ERR_OK;
    }
    char path[4400];
    snprintf(path, sizeof path, "%s/inbox/%s", state_dir, name);
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        return ERR_OK; /* already taken, or renamed away */
    }
    if (being_written(path) == 1) {
        return ERR_OK; /* its writer's close brings another event */
    }
    return take_file(sp, o, state_dir, name, &sb, st, err);
}

int intake_inbox(spool_t *sp, const update_scope_t *o, const char *state_dir,
                 long min_age_ms, size_t *deferred, intake_stats_t *st,
                 char err[ERR_LEN])
{
    char inbox[4096];
    intake_stats_t dummy;
    size_t young = 0;
    if (st == NULL) {
        st = &dummy;
    }
    memset(st, 0, sizeof *st);
    err[0] = '\0';
    snprintf(inbox, sizeof inbox, "%s/inbox", state_dir);
    DIR *d = opendir(inbox);
    if (d == NULL) {
        snprintf(err, ERR_LEN, "cannot read %.400s: %s", inbox,
                 strerror(errno));
        return ERR_IO;
    }
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int rc = ERR_OK;
    struct dirent *de;
    while (rc == ERR_OK && (de = readdir(d)) != NULL) {
        if (!is_csv(de->d_name)) {
            continue;
        }
        char path[4400];
        snprintf(path, sizeof path, "%s/%s", inbox, de->d_name);
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            continue;
        }
        long age_ms = (long)(now.tv_sec - sb.st_mtim.tv_sec) * 1000 +
                      (now.tv_nsec - sb.st_mtim.tv_nsec) / 1000000;
        int writing = being_written(path);
        if (writing == 1 || (writing < 0 && age_ms < min_age_ms)) {
            young++;
            continue;
        }
        rc = take_file(sp, o, state_dir, de->d_name, &sb, st, err);
    }
    closedir(d);
    if (deferred != NULL) {
        *deferred = young;
    }
    return rc;
}
