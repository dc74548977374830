/* intake.c: CSV files and inbox drops into the spool, all or nothing.
 *
 * A dropped file is identified by "inbox:NAME:SIZE:MTIME_NS". The key is
 * written in the spool transaction that queues its rows, and the file is
 * moved out of the inbox afterwards; after a crash between the two, the
 * next scan finds the key and only moves the file.
 *
 * What csvin warns of (a figure given twice, "typed in 万人?", an "of
 * which" above its whole, ignored columns ...) stays with the file: a
 * queued file's warnings are written to done/NAME.warnings just before
 * NAME moves there, a refused file's follow its errors in
 * failed/NAME.errors. A crash after the queueing and before the move
 * loses the warnings (the next scan only moves the file); the figures are
 * never lost.
 *
 * Whoever may write in the inbox must not make the agent read, copy or
 * write any other file. So an inbox entry is looked at with lstat and
 * taken only when it is a regular file: a symbolic link, FIFO, device,
 * socket or directory is moved (itself, unread) to failed/ with an
 * .errors saying what it is. A regular file is opened once, O_NOFOLLOW
 * (a link swapped in after lstat fails with ELOOP and is refused too) and
 * O_NONBLOCK (a FIFO swapped in does not block); that one descriptor is
 * checked with fstat, asked for a lease and read. Files are moved with
 * RENAME_NOREPLACE under names free_name() found free (lstat: a dangling
 * link counts as taken), and .errors are created by file_write_new(),
 * which never replaces nor follows anything.
 *
 * A file is complete only when its last byte is a newline. No writer
 * having it open says only that nobody is writing now: `cp` on a disk
 * that fills closes a file cut mid-line, and the cut line often parses
 * (1001615 cut to 100). So a file that does not end with a newline,
 * an empty one included, is held: left in the inbox unparsed, neither
 * taken nor refused, and the caller is told (intake_hold_t) to warn; it
 * is looked at again when it changes. The rule is the same however the
 * file came (a rename says where a file is, not that the copy before it
 * succeeded). Names starting with '.', and names not ending in .csv (so
 * NAME.csv.part), are copies in progress and never looked at.
 *
 * INVARIANTS
 *   1. A file's rows are queued in one spool transaction or not at all.
 *   2. A file leaves the inbox only after its rows are durable (done/) or
 *      its errors are written whole beside where it goes (failed/); a
 *      crash in between leaves it in the inbox, to be taken again.
 *   3. A file some process has open for writing is not read (checked with
 *      a read lease; where leases are not allowed, a file must be
 *      min_age_ms old when found by a scan).
 *   4. Only regular files are read, through a descriptor opened with
 *      O_NOFOLLOW; nothing in the inbox is read through a link.
 *   5. Nothing in done/ or failed/ is written through, replaced or
 *      followed: .errors and .warnings are new files (mode 0640 less the
 *      umask), and a file and its .errors or .warnings take a name pair
 *      free of both.
 *   6. An .errors or .warnings is valid UTF-8 with no control character
 *      but LF, however the file was named (text_clean), and cites the
 *      file where it went (failed/NAME or done/NAME), not where it was
 *      read (inbox/NAME).
 *   7. Only bytes ending in '\n' are parsed or queued: a file whose last
 *      byte is not a newline (or that is empty) is held in the inbox,
 *      checked on the open descriptor before reading and again on the
 *      bytes read.
 */
#define _GNU_SOURCE /* F_SETLEASE, renameat2 */
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
#include "common/csv.h"
#include "common/file.h"
#include "common/mem.h"
#include "common/perm.h"
#include "common/text.h"

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

int intake_file(spool_t *sp, const update_scope_t *o,
                const csvin_opts_t *opts, const char *path,
                const char *source, size_t *n, char **errors,
                char **warnings)
{
    csvin_row_t *rows = NULL;
    *n = 0;
    *errors = NULL;
    int rc = csvin_read_file_ex(path, o, opts, &rows, n, errors, warnings);
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
    char why[ERR_LEN];
    for (size_t i = 0; i < 4; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s%s", state_dir, sub[i]);
        if (mkdir(path, 0750) != 0 && errno != EEXIST) {
            int e = errno;
            perm_why(path, PERM_CREATE, why, sizeof why);
            snprintf(err, ERR_LEN, "cannot create %.200s: %s%s%.250s%s",
                     path, perm_errno(e) ? "permission denied" : strerror(e),
                     why[0] != '\0' ? " (" : "", why,
                     why[0] != '\0' ? ")" : "");
            return ERR_IO;
        }
        /* One that exists must be ours to write in (sender.lock, files
         * moved in and out), or the agent fails later, and less clearly. */
        if (access(path, W_OK | X_OK) != 0 && perm_errno(errno) &&
            perm_why(path, PERM_WRITE, why, sizeof why)[0] != '\0') {
            snprintf(err, ERR_LEN, "cannot use %.200s: permission denied "
                                   "(%.250s)", path, why);
            return ERR_IO;
        }
    }
    return ERR_OK;
}

/* Whether @p name is an inbox file to take: NAME.csv, not hidden. A
 * leading '.' or any other ending (NAME.csv.part) marks a copy in
 * progress, left alone. */
static int is_csv(const char *name)
{
    size_t n = strlen(name);
    return name[0] != '.' && n > 4 && strcasecmp(name + n - 4, ".csv") == 0;
}

/* DIR/NAME (i == 0) or DIR/NAME.I into @p dest. */
static void nth_name(const char *dir, const char *name, int i, char *dest,
                     size_t dlen)
{
    if (i == 0) {
        snprintf(dest, dlen, "%s/%s", dir, name);
    } else {
        snprintf(dest, dlen, "%s/%s.%d", dir, name, i);
    }
}

/* Whether nothing at all, not even a dangling link, is at @p path. */
static int name_free(const char *path)
{
    struct stat st;
    return lstat(path, &st) != 0 && errno == ENOENT;
}

/* A name in DIR for NAME that is not taken: DIR/NAME, or DIR/NAME.N. With
 * a @p suffix (".errors", ".warnings"), DEST + suffix must be free too. */
static int free_name(const char *dir, const char *name, const char *suffix,
                     char *dest, size_t dlen)
{
    for (int i = 0; i < 1000; i++) {
        char beside[4500];
        nth_name(dir, name, i, dest, dlen);
        snprintf(beside, sizeof beside, "%s%s", dest,
                 suffix != NULL ? suffix : "");
        if (name_free(dest) && (suffix == NULL || name_free(beside))) {
            return ERR_OK;
        }
    }
    errno = EEXIST;
    return ERR_IO;
}

/* rename(2) @p from to @p dest, which free_name() found free, without
 * replacing what may have appeared there since: RENAME_NOREPLACE where the
 * file system has it, else plain rename (which replaces a link at @p dest
 * itself, never following it). */
static int move_noreplace(const char *from, const char *dest)
{
    if (renameat2(AT_FDCWD, from, AT_FDCWD, dest, RENAME_NOREPLACE) == 0) {
        return 0;
    }
    if (errno != EINVAL && errno != ENOSYS) {
        return -1;
    }
    return rename(from, dest);
}

/* Move @p from to DIR/NAME, or DIR/NAME.N when that exists. */
static int move_to(const char *from, const char *dir, const char *name,
                   char *dest, size_t dlen)
{
    int rc = free_name(dir, name, NULL, dest, dlen);
    if (rc == ERR_OK && move_noreplace(from, dest) != 0) {
        rc = ERR_IO;
    }
    return rc;
}

/* @p errors with every mention of @p from (the file's inbox path) made
 * @p dest, where the file goes: the .errors beside it must name the file
 * where the reader finds it. Caller frees. */
static char *cite_dest(const char *errors, const char *from, const char *dest)
{
    buf_t b;
    buf_init(&b);
    size_t flen = strlen(from);
    const char *s = errors;
    const char *hit = NULL;
    while (flen > 0 && (hit = strstr(s, from)) != NULL) {
        buf_put(&b, s, (size_t)(hit - s));
        buf_put(&b, dest, strlen(dest));
        s = hit + flen;
    }
    buf_put(&b, s, strlen(s) + 1);
    char *out = xstrdup((const char *)b.data);
    buf_fini(&b);
    return out;
}

/* Write @p errors, ending in a newline, to the new file DEST + @p suffix
 * (".errors", ".warnings"), whole (never seen half-written), mode 0640;
 * never through a link, never over an existing file. The text is cleaned
 * (common/text): it quotes the file's name, which whoever dropped the
 * file chose, and operators read it on a terminal. Mentions of @p from,
 * the inbox path, cite DEST. */
static int write_beside(const char *dest, const char *suffix,
                        const char *from,
                        const char *errors, char err[ERR_LEN])
{
    char path[4500];
    buf_t b;
    snprintf(path, sizeof path, "%s%s", dest, suffix);
    buf_init(&b);
    char *cited = cite_dest(errors, from, dest);
    size_t n = text_clean(NULL, 0, cited, TEXT_KEEP_LF);
    char *clean = xmalloc(n + 1);
    text_clean(clean, n + 1, cited, TEXT_KEEP_LF);
    free(cited);
    buf_put(&b, clean, n);
    free(clean);
    if (b.len > 0 && b.data[b.len - 1] != '\n') {
        buf_put_u8(&b, '\n');
    }
    int rc = file_write_new(path, b.data, b.len, 0640, err);
    buf_fini(&b);
    return rc;
}

/* Refuse inbox entry @p path: its errors first, then the entry itself
 * (for a link, the link), into failed/ (INVARIANT 2: it never sits there
 * without its reasons). */
static int refuse(const char *path, const char *failed, const char *name,
                  const char *errors, char err[ERR_LEN])
{
    char dest[4400];
    int rc = free_name(failed, name, ".errors", dest, sizeof dest);
    if (rc != ERR_OK) {
        snprintf(err, ERR_LEN, "no free name for %.150s in %.200s: %s",
                 name, failed, strerror(errno));
        return rc;
    }
    rc = write_beside(dest, ".errors", path, errors, err);
    if (rc == ERR_OK && move_noreplace(path, dest) != 0) {
        snprintf(err, ERR_LEN, "cannot move %.200s to %.200s: %s", path,
                 dest, strerror(errno));
        rc = ERR_IO;
    }
    return rc;
}

/* What a file that is not a regular one is, for its .errors. */
static const char *kind_of(mode_t mode)
{
    if (S_ISLNK(mode)) {
        return "a symbolic link";
    }
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
        return "a device";
    }
    return "not a file";
}

/* Refuse the inbox entry @p name, which is not a regular file (@p mode
 * says what it is), unread. */
static int refuse_entry(const char *state, const char *name, mode_t mode,
                        intake_stats_t *st, char err[ERR_LEN])
{
    char path[4400];
    char failed[4200];
    char why[4600];
    snprintf(path, sizeof path, "%s/inbox/%s", state, name);
    snprintf(failed, sizeof failed, "%s/failed", state);
    snprintf(why, sizeof why,
             "%s: not a regular file (%s): refused unread; drop a copy of "
             "the file itself",
             path, kind_of(mode));
    int rc = refuse(path, failed, name, why, err);
    st->files_failed += rc == ERR_OK;
    return rc;
}

/* Whether some process has the file open for writing: a read lease is
 * granted only when nobody does (fcntl(2), F_SETLEASE). @p fd is ours,
 * opened read-only. @return 1 being written, 0 not, -1 cannot tell
 * (leases need the file's owner or CAP_LEASE; then the caller falls back
 * on the file's age). */
static int being_written(int fd)
{
    int r = -1;
    if (fcntl(fd, F_SETLEASE, F_RDLCK) == 0) {
        fcntl(fd, F_SETLEASE, F_UNLCK);
        r = 0;
    } else if (errno == EAGAIN || errno == EBUSY) {
        r = 1;
    }
    return r;
}

/* Validate the bytes of the inbox file open at @p fd and queue them. The
 * same outcomes as intake_file(). */
static int intake_fd(spool_t *sp, const update_scope_t *o, int fd,
                     const char *path, const char *source, size_t *n,
                     char **errors, char **warnings)
{
    char err[ERR_LEN];
    char *data = NULL;
    size_t len = 0;
    csvin_row_t *rows = NULL;
    *n = 0;
    *errors = NULL;
    /* A file past the limit is ERR_INVAL, refused data like a bad row. */
    int rc = file_read_fd(fd, path, CSV_MAX_FILE, &data, &len, err);
    if (rc != ERR_OK) {
        *errors = xstrdup(err);
        return rc;
    }
    if (len == 0 || data[len - 1] != '\n') {
        /* It ended with a newline a moment ago (ends_with_newline()):
         * written since. Look again later; never parse a cut file. */
        free(data);
        snprintf(err, ERR_LEN, "%.400s changed while being read", path);
        *errors = xstrdup(err);
        return ERR_IO;
    }
    rc = csvin_parse_ex(path, data, len, o, NULL, &rows, n, errors,
                        warnings);
    free(data);
    if (rc == ERR_OK) {
        rc = queue_rows(sp, rows, *n, source, errors);
    }
    free(rows);
    if (rc != ERR_OK) {
        *n = 0;
    }
    return rc;
}

/* Queue the inbox file @p name, open at @p fd, and move it to done/ or
 * failed/. */
static int take_file(spool_t *sp, const update_scope_t *o, const char *state,
                     const char *name, int fd, const struct stat *sb,
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
        char *warnings = NULL;
        int frc = intake_fd(sp, o, fd, path, source, &n, &errors, &warnings);
        if (frc == ERR_OK && warnings != NULL) {
            /* Queued: the warnings go beside it in done/, written before
             * it moves there (so done/NAME never lacks them). */
            rc = free_name(done, name, ".warnings", dest, sizeof dest);
            if (rc == ERR_OK) {
                rc = write_beside(dest, ".warnings", path, warnings, err);
            }
            if (rc == ERR_OK && move_noreplace(path, dest) != 0) {
                rc = ERR_IO;
            }
            st->files_done += rc == ERR_OK;
            st->files_warned += rc == ERR_OK;
            st->rows += rc == ERR_OK ? n : 0;
        } else if (frc == ERR_OK) {
            rc = move_to(path, done, name, dest, sizeof dest);
            st->files_done++;
            st->rows += n;
        } else if (frc == ERR_INVAL) {
            /* Refused: its warnings follow its errors in NAME.errors. */
            buf_t all;
            buf_init(&all);
            const char *e = errors != NULL ? errors : "invalid file";
            buf_put(&all, e, strlen(e));
            if (warnings != NULL) {
                buf_put(&all, "\n", 1);
                buf_put(&all, warnings, strlen(warnings));
            }
            buf_put(&all, "", 1);
            rc = refuse(path, failed, name, (const char *)all.data, err);
            buf_fini(&all);
            st->files_failed += rc == ERR_OK;
        } else {
            snprintf(err, ERR_LEN, "%s", errors != NULL ? errors : "spool");
            rc = frc;
        }
        free(errors);
        free(warnings);
    }
    if (rc == ERR_IO && err[0] == '\0') {
        snprintf(err, ERR_LEN, "cannot move %.400s: %s", path,
                 strerror(errno));
    }
    return rc;
}

/* One call's look at the inbox: what each of its files is taken with. */
struct inbox {
    spool_t *sp;
    const update_scope_t *o;
    const char *state;
    const intake_hold_t *hold; /* may be NULL */
    intake_stats_t *st;
    long min_age_ms; /* < 0: the writer closed the file, no age needed */
    size_t young;    /* files deferred as being written */
};

/* Whether the file open at @p fd, @p size bytes long, ends with a newline
 * (INVARIANT 7): 1 yes, 0 no (an empty file included), -1 unreadable
 * (errno set). */
static int ends_with_newline(int fd, off_t size)
{
    char last = 0;
    if (size <= 0) {
        return 0;
    }
    ssize_t r = pread(fd, &last, 1, size - 1);
    if (r < 0) {
        return -1;
    }
    return r == 1 && last == '\n';
}

/* The regular inbox file @p name, open at @p fd: deferred while it is
 * being written (when it cannot be leased: while younger than
 * in->min_age_ms), held when it does not end with a newline, else taken. */
static int take_regular(struct inbox *in, const char *name, int fd,
                        const struct stat *sb, char err[ERR_LEN])
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long age_ms = (long)(now.tv_sec - sb->st_mtim.tv_sec) * 1000 +
                  (now.tv_nsec - sb->st_mtim.tv_nsec) / 1000000;
    int writing = being_written(fd);
    if (writing == 1 || (writing < 0 && age_ms < in->min_age_ms)) {
        in->young++;
        return ERR_OK;
    }
    int whole = ends_with_newline(fd, sb->st_size);
    if (whole < 0) {
        snprintf(err, ERR_LEN, "cannot read %.200s in the inbox: %s", name,
                 strerror(errno));
        return ERR_IO;
    }
    if (whole == 0) {
        in->st->files_held++;
        if (in->hold != NULL && in->hold->fn != NULL) {
            in->hold->fn(in->hold->arg, name, (int64_t)sb->st_size,
                         (int64_t)sb->st_mtim.tv_sec * 1000000000 +
                             sb->st_mtim.tv_nsec);
        }
        return ERR_OK;
    }
    return take_file(in->sp, in->o, in->state, name, fd, sb, in->st, err);
}

/* Take inbox entry @p name: refuse it unread when it is not a regular
 * file; else take_regular() it. The file is opened once, O_NOFOLLOW, and
 * that descriptor is leased, checked for its final newline and read, so
 * what is read is the regular file that was checked. */
static int take_entry(struct inbox *in, const char *name, char err[ERR_LEN])
{
    char path[4400];
    struct stat sb;
    snprintf(path, sizeof path, "%s/inbox/%s", in->state, name);
    if (lstat(path, &sb) != 0) {
        return ERR_OK; /* already taken, or renamed away */
    }
    if (!S_ISREG(sb.st_mode)) {
        return refuse_entry(in->state, name, sb.st_mode, in->st, err);
    }
    /* O_NONBLOCK: should a FIFO have taken the file's place since lstat,
     * opening it must not wait for a writer. */
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY |
                            O_CLOEXEC);
    if (fd < 0 && errno == ELOOP) {
        return refuse_entry(in->state, name, S_IFLNK, in->st, err);
    }
    if (fd < 0) {
        if (errno == ENOENT) {
            return ERR_OK;
        }
        snprintf(err, ERR_LEN, "cannot open %.400s: %s", path,
                 strerror(errno));
        return ERR_IO;
    }
    int rc = ERR_OK;
    if (fstat(fd, &sb) != 0) {
        snprintf(err, ERR_LEN, "cannot stat %.400s: %s", path,
                 strerror(errno));
        rc = ERR_IO;
    } else if (!S_ISREG(sb.st_mode)) {
        rc = refuse_entry(in->state, name, sb.st_mode, in->st, err);
    } else {
        rc = take_regular(in, name, fd, &sb, err);
    }
    close(fd);
    return rc;
}

int intake_inbox_file(spool_t *sp, const update_scope_t *o,
                      const char *state_dir, const char *name,
                      const intake_hold_t *hold, intake_stats_t *st,
                      char err[ERR_LEN])
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
    /* A file still being written is left: its writer's close brings
     * another event. */
    struct inbox in = {sp, o, state_dir, hold, st, -1, 0};
    return take_entry(&in, name, err);
}

int intake_inbox_created(const char *state_dir, const char *name,
                         intake_stats_t *st, char err[ERR_LEN])
{
    intake_stats_t dummy;
    char path[4400];
    struct stat sb;
    if (st == NULL) {
        st = &dummy;
    }
    memset(st, 0, sizeof *st);
    err[0] = '\0';
    if (!is_csv(name) || strchr(name, '/') != NULL) {
        return ERR_OK;
    }
    snprintf(path, sizeof path, "%s/inbox/%s", state_dir, name);
    if (lstat(path, &sb) != 0 || S_ISREG(sb.st_mode)) {
        return ERR_OK;
    }
    return refuse_entry(state_dir, name, sb.st_mode, st, err);
}

int intake_inbox(spool_t *sp, const update_scope_t *o, const char *state_dir,
                 long min_age_ms, const intake_hold_t *hold, size_t *deferred,
                 intake_stats_t *st, char err[ERR_LEN])
{
    char inbox[4096];
    intake_stats_t dummy;
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
    int rc = ERR_OK;
    struct inbox in = {sp, o, state_dir, hold, st, min_age_ms, 0};
    struct dirent *de;
    while (rc == ERR_OK && (de = readdir(d)) != NULL) {
        if (!is_csv(de->d_name)) {
            continue;
        }
        rc = take_entry(&in, de->d_name, err);
    }
    closedir(d);
    if (deferred != NULL) {
        *deferred = in.young;
    }
    return rc;
}
