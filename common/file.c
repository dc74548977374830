/* file.c: read a whole file into memory, refusing one past a size limit.
 *
 * A regular file whose fstat() size is past the limit is refused without
 * reading it. Otherwise the size only chooses the first buffer: files grow
 * and shrink, and pipes or /proc files report 0, so the loop reads until
 * read() returns 0 and the limit is checked on what was actually read.
 * Reading one byte past the limit tells "too large" from "exactly full"
 * without reading the rest of a huge file.
 *
 * read() is used rather than stdio so that errors keep their errno (fread
 * on a directory fails with EISDIR only through ferror) and EINTR is
 * retried.
 *
 * file_write_atomic() writes PATH.tmp in full, then rename(2)s it over
 * PATH: rename is atomic within a file system, so readers never see a
 * partial file. PATH.tmp is created with O_EXCL | O_NOFOLLOW, so a link
 * planted there is never followed: whoever may write in the directory
 * cannot make the writer fill or truncate another file.
 *
 * file_write_new() ends with link(2) instead of rename: link fails with
 * EEXIST when anything is at PATH (a dangling link included) and follows
 * nothing, so a new file appears whole or not at all and nothing is ever
 * replaced. (renameat2's RENAME_NOREPLACE would do the same, but not on
 * every file system; link works wherever hard links do.)
 *
 * The writers make no fsync: what they write is re-created by the
 * program that writes it (endpoints at each start, .errors with its file).
 *
 * INVARIANTS
 *   1. On ERR_OK, (*data)[*len] == '\0' and *len <= max_bytes.
 *   2. On failure *data == NULL, *len == 0, and a descriptor file_read
 *      opened is closed.
 *   3. n <= cap <= max_bytes + 1, and buf has cap + 1 bytes: room for the
 *      NUL after the byte that proves the limit was passed.
 *   4. Every file the writers open for writing is one they created
 *      (O_EXCL): no link is followed, no existing file written into.
 */
#include "common/file.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/mem.h"

/* First buffer when the size is unknown (pipes, /proc). */
#define FILE_CHUNK ((size_t)64 << 10)

static int io_error(char err[ERR_LEN], const char *path, int errnum)
{
    char why[128];
    if (err != NULL) {
        if (strerror_r(errnum, why, sizeof why) != 0) {
            snprintf(why, sizeof why, "error %d", errnum);
        }
        snprintf(err, ERR_LEN, "%s: %s", path, why);
    }
    return ERR_IO;
}

static int too_large(char err[ERR_LEN], const char *path, size_t max_bytes)
{
    if (err != NULL) {
        snprintf(err, ERR_LEN, "%s: file larger than %zu bytes", path,
                 max_bytes);
    }
    return ERR_INVAL;
}

int file_read_fd(int fd, const char *name, size_t max_bytes, char **data,
                 size_t *len, char err[ERR_LEN])
{
    int rc = ERR_OK;
    char *buf = NULL;
    size_t cap = FILE_CHUNK; /* bytes buf may hold, not counting the NUL */
    size_t n = 0;
    struct stat st;

    assert(name != NULL && data != NULL && len != NULL);
    assert(max_bytes < SIZE_MAX - 1);
    *data = NULL;
    *len = 0;
    if (fstat(fd, &st) != 0) {
        rc = io_error(err, name, errno);
        goto out;
    }
    if (S_ISREG(st.st_mode) && st.st_size > 0) {
        if ((unsigned long long)st.st_size > max_bytes) {
            rc = too_large(err, name, max_bytes); /* known unread */
            goto out;
        }
        /* +1 so a file of the expected size meets EOF without growing. */
        cap = (size_t)st.st_size + 1;
    }
    if (cap > max_bytes + 1) {
        cap = max_bytes + 1;
    }
    buf = xmalloc(cap + 1);
    for (;;) {
        ssize_t got = 0;
        if (n == cap) {
            if (cap > max_bytes) {
                break; /* one byte past the limit: too large */
            }
            cap = cap > (max_bytes + 1) / 2 ? max_bytes + 1 : cap * 2;
            buf = xreallocarray(buf, cap + 1, 1);
        }
        got = read(fd, buf + n, cap - n);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            rc = io_error(err, name, errno);
            goto out;
        }
        if (got == 0) {
            break;
        }
        n += (size_t)got;
    }
    if (n > max_bytes) {
        rc = too_large(err, name, max_bytes);
        goto out;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    buf = NULL;

out:
    free(buf);
    return rc;
}

int file_read(const char *path, size_t max_bytes, char **data, size_t *len,
              char err[ERR_LEN])
{
    assert(path != NULL && data != NULL && len != NULL);
    *data = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return io_error(err, path, errno);
    }
    int rc = file_read_fd(fd, path, max_bytes, data, len, err);
    close(fd);
    return rc;
}

/* Create @p tmp for writing, never through a link: O_EXCL fails on any
 * existing name, a symbolic link included, so the file opened is always
 * a new one of ours. A PATH.tmp left by a crash (or planted) is removed
 * (unlink removes a link itself, never its target) and the create tried
 * once more; if something is there again, the write fails. */
static int open_tmp(const char *tmp, mode_t mode, char err[ERR_LEN])
{
    for (int tries = 0;; tries++) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
                               O_CLOEXEC, mode);
        if (fd >= 0) {
            return fd;
        }
        if (errno != EEXIST || tries > 0 ||
            (unlink(tmp) != 0 && errno != ENOENT)) {
            snprintf(err, ERR_LEN, "%.400s: %s", tmp, strerror(errno));
            return -1;
        }
    }
}

/* Write @p len bytes to @p fd, then close it; on failure say why (naming
 * @p tmp) and remove @p tmp. */
static int write_close(int fd, const char *tmp, const void *data, size_t len,
                       char err[ERR_LEN])
{
    const unsigned char *p = data;
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, p + done, len - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            snprintf(err, ERR_LEN, "%.400s: %s", tmp,
                     w < 0 ? strerror(errno) : "short write");
            close(fd);
            unlink(tmp);
            return ERR_IO;
        }
        done += (size_t)w;
    }
    if (close(fd) != 0) {
        snprintf(err, ERR_LEN, "%.400s: %s", tmp, strerror(errno));
        unlink(tmp);
        return ERR_IO;
    }
    return ERR_OK;
}

/* PATH.tmp into @p tmp. */
static int tmp_name(const char *path, char *tmp, size_t cap,
                    char err[ERR_LEN])
{
    int n = snprintf(tmp, cap, "%s.tmp", path);
    if (n < 0 || (size_t)n >= cap) {
        snprintf(err, ERR_LEN, "%.200s: path too long", path);
        return ERR_IO;
    }
    return ERR_OK;
}

int file_write_atomic(const char *path, const void *data, size_t len,
                      char err[ERR_LEN])
{
    char tmp[4200];
    int rc = tmp_name(path, tmp, sizeof tmp, err);
    if (rc != ERR_OK) {
        return rc;
    }
    int fd = open_tmp(tmp, 0644, err);
    if (fd < 0) {
        return ERR_IO;
    }
    rc = write_close(fd, tmp, data, len, err);
    if (rc != ERR_OK) {
        return rc;
    }
    /* rename replaces whatever PATH is, a link included, without
     * following it. */
    if (rename(tmp, path) != 0) {
        snprintf(err, ERR_LEN, "%s: %s", path, strerror(errno));
        unlink(tmp);
        return ERR_IO;
    }
    return ERR_OK;
}

int file_write_new(const char *path, const void *data, size_t len,
                   mode_t mode, char err[ERR_LEN])
{
    char tmp[4200];
    int rc = tmp_name(path, tmp, sizeof tmp, err);
    if (rc != ERR_OK) {
        return rc;
    }
    int fd = open_tmp(tmp, mode, err);
    if (fd < 0) {
        return ERR_IO;
    }
    rc = write_close(fd, tmp, data, len, err);
    if (rc != ERR_OK) {
        return rc;
    }
    /* link(2) makes PATH name the complete file, or fails with EEXIST
     * when any name is there, a dangling link included: it never
     * follows one and never replaces anything. */
    if (link(tmp, path) != 0) {
        snprintf(err, ERR_LEN, "%s: %s", path, strerror(errno));
        rc = ERR_IO;
    }
    unlink(tmp);
    return rc;
}

void file_stdout_init(void)
{
    static char buf[1 << 16];
    if (!isatty(STDOUT_FILENO)) {
        setvbuf(stdout, buf, _IOFBF, sizeof buf);
    }
}

int file_flush_stdout(char err[ERR_LEN])
{
    int failed = ferror(stdout);
    errno = 0;
    if (fflush(stdout) == 0 && !failed) {
        return ERR_OK;
    }
    int e = errno;
    snprintf(err, ERR_LEN, "cannot write the output%s%s", e != 0 ? ": " : "",
             e != 0 ? strerror(e) : "");
    return ERR_IO;
}
