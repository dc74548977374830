/* keys.c: CurveZMQ key files (see keys.h for the formats).
 *
 * Keys come from libzmq (zmq_curve_keypair, zmq_curve_public, Z85): the
 * library the sockets use, so a key it makes is a key it takes.
 *
 * A secret key file is checked as ssh checks a private key: a regular
 * file that neither its group nor others may read. The check is on the
 * open descriptor (fstat), so the file checked is the file read.
 *
 * keys_generate() writes each file to a temporary name created with
 * O_EXCL, then link(2)s it to the final name: link fails with EEXIST and
 * never follows a symbolic link, so an existing key is never replaced
 * and a file is never seen half-written.
 *
 * INVARIANTS
 *   1. Every key that leaves this module passed keys_z85_ok().
 *   2. A secret key is never read from a file with any bit of 077 set.
 */
#include "common/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

/* Largest key file read. */
#define KEYFILE_MAX 4096

int keys_z85_ok(const char *s)
{
    uint8_t bin[32];
    return s != NULL && strlen(s) == KEYS_Z85_LEN - 1 &&
           zmq_z85_decode(bin, s) != NULL;
}

/* Write @p text to @p path, created exclusively with @p mode (through a
 * temporary name and link(2), see above). */
static int write_new(const char *path, const char *text, mode_t mode,
                     char err[ERR_LEN])
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                  mode);
    if (fd < 0) {
        snprintf(err, ERR_LEN, "%.400s: %s", tmp, strerror(errno));
        return ERR_IO;
    }
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len);
    const char *why = NULL;
    if (w < 0) {
        why = strerror(errno);
    } else if ((size_t)w != len) {
        why = "short write";
    } else if (fchmod(fd, mode) != 0 || fsync(fd) != 0) {
        why = strerror(errno); /* the umask must not widen or narrow it */
    }
    int rc = ERR_OK;
    if (why != NULL) {
        snprintf(err, ERR_LEN, "%.400s: %s", tmp, why);
        rc = ERR_IO;
    }
    if (close(fd) != 0 && rc == ERR_OK) {
        snprintf(err, ERR_LEN, "%.400s: %s", tmp, strerror(errno));
        rc = ERR_IO;
    }
    if (rc == ERR_OK && link(tmp, path) != 0) {
        snprintf(err, ERR_LEN, "%.400s: %s", path, strerror(errno));
        rc = ERR_IO;
    }
    unlink(tmp);
    return rc;
}

int keys_generate(const char *base, keys_pair_t *pair, char err[ERR_LEN])
{
    keys_pair_t kp;
    char path[4096];
    char text[256];
    if (zmq_curve_keypair(kp.public_key, kp.secret_key) != 0) {
        snprintf(err, ERR_LEN, "cannot make a key pair: %s (libzmq without "
                 "CURVE?)", zmq_strerror(zmq_errno()));
        return ERR_INVAL;
    }
    snprintf(path, sizeof path, "%s.key", base);
    snprintf(text, sizeof text,
             "# hrss CurveZMQ secret key: keep it private (mode 0600)\n"
             "public-key %s\nsecret-key %s\n",
             kp.public_key, kp.secret_key);
    int rc = write_new(path, text, 0600, err);
    if (rc != ERR_OK) {
        return rc;
    }
    snprintf(path, sizeof path, "%s.pub", base);
    snprintf(text, sizeof text, "%s\n", kp.public_key);
    rc = write_new(path, text, 0644, err);
    if (rc != ERR_OK) {
        snprintf(path, sizeof path, "%s.key", base);
        unlink(path); /* a secret without its public half helps no one */
        return rc;
    }
    if (pair != NULL) {
        *pair = kp;
    }
    return ERR_OK;
}

/* Read a key file whole (at most KEYFILE_MAX bytes) from @p fd into @p buf
 * as a string. */
static int read_fd(int fd, const char *path, char *buf, size_t size,
                   char err[ERR_LEN])
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, size - 1 - n);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            snprintf(err, ERR_LEN, "%s: %s", path, strerror(errno));
            return ERR_IO;
        }
        if (r == 0) {
            break;
        }
        n += (size_t)r;
        if (n == size - 1) {
            snprintf(err, ERR_LEN, "%s: larger than a key file", path);
            return ERR_INVAL;
        }
    }
    buf[n] = '\0';
    return ERR_OK;
}

/* The next line of *@p s that is neither blank nor a comment, trimmed,
 * NUL-terminated in place; its number in *@p line. NULL at the end. */
static char *next_line(char **s, int *line)
{
    while (**s != '\0') {
        char *start = *s;
        char *nl = strchr(start, '\n');
        if (nl != NULL) {
            *nl = '\0';
            *s = nl + 1;
        } else {
            *s = start + strlen(start);
        }
        (*line)++;
        while (*start == ' ' || *start == '\t') {
            start++;
        }
        size_t len = strlen(start);
        while (len > 0 && (start[len - 1] == ' ' || start[len - 1] == '\t' ||
                           start[len - 1] == '\r')) {
            start[--len] = '\0';
        }
        if (len > 0 && start[0] != '#') {
            return start;
        }
    }
    return NULL;
}

/* Parse "public-key Z85" / "secret-key Z85" lines into @p kp. */
static int parse_secret(char *text, const char *path, keys_pair_t *kp,
                        char err[ERR_LEN])
{
    int line = 0;
    int have_pub = 0;
    int have_sec = 0;
    char *l;
    while ((l = next_line(&text, &line)) != NULL) {
        char name[16] = "";
        char value[64] = "";
        if (sscanf(l, "%15s %63s", name, value) != 2 ||
            (strcmp(name, "public-key") != 0 &&
             strcmp(name, "secret-key") != 0)) {
            snprintf(err, ERR_LEN, "%s:%d: expected 'public-key Z85' or "
                     "'secret-key Z85'", path, line);
            return ERR_INVAL;
        }
        if (!keys_z85_ok(value)) {
            snprintf(err, ERR_LEN, "%s:%d: %s is not a 40-character Z85 key",
                     path, line, name);
            return ERR_INVAL;
        }
        int sec = strcmp(name, "secret-key") == 0;
        memcpy(sec ? kp->secret_key : kp->public_key, value, KEYS_Z85_LEN);
        *(sec ? &have_sec : &have_pub) = 1;
    }
    if (!have_sec) {
        snprintf(err, ERR_LEN, "%s: no secret-key line", path);
        return ERR_INVAL;
    }
    char derived[KEYS_Z85_LEN];
    if (zmq_curve_public(derived, kp->secret_key) != 0) {
        snprintf(err, ERR_LEN, "%s: cannot derive the public key", path);
        return ERR_INVAL;
    }
    if (have_pub && strcmp(derived, kp->public_key) != 0) {
        snprintf(err, ERR_LEN, "%s: the public-key line does not belong to "
                 "the secret key", path);
        return ERR_INVAL;
    }
    memcpy(kp->public_key, derived, KEYS_Z85_LEN);
    return ERR_OK;
}

int keys_load_secret(const char *path, keys_pair_t *out, char err[ERR_LEN])
{
    char text[KEYFILE_MAX];
    keys_pair_t kp;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, ERR_LEN, "%s: %s", path, strerror(errno));
        return ERR_IO;
    }
    struct stat st;
    int rc = ERR_OK;
    if (fstat(fd, &st) != 0) {
        snprintf(err, ERR_LEN, "%s: %s", path, strerror(errno));
        rc = ERR_IO;
    } else if (!S_ISREG(st.st_mode)) {
        snprintf(err, ERR_LEN, "%s: not a regular file", path);
        rc = ERR_DENIED;
    } else if ((st.st_mode & 077) != 0) {
        snprintf(err, ERR_LEN, "%s: a secret key must not be readable by "
                 "group or others (mode %03o): chmod 600 %s", path,
                 (unsigned)(st.st_mode & 0777), path);
        rc = ERR_DENIED;
    }
    if (rc == ERR_OK) {
        rc = read_fd(fd, path, text, sizeof text, err);
    }
    close(fd);
    if (rc == ERR_OK) {
        memset(&kp, 0, sizeof kp);
        rc = parse_secret(text, path, &kp, err);
    }
    if (rc == ERR_OK) {
        *out = kp;
    }
    return rc;
}

int keys_load_public(const char *path, char z85[KEYS_Z85_LEN],
                     char err[ERR_LEN])
{
    char text[KEYFILE_MAX];
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        snprintf(err, ERR_LEN, "%s: %s", path, strerror(errno));
        return ERR_IO;
    }
    int rc = read_fd(fd, path, text, sizeof text, err);
    close(fd);
    if (rc != ERR_OK) {
        return rc;
    }
    char *s = text;
    int line = 0;
    char *l = next_line(&s, &line);
    if (l == NULL) {
        snprintf(err, ERR_LEN, "%s: no key in the file", path);
        return ERR_INVAL;
    }
    if (!keys_z85_ok(l)) {
        snprintf(err, ERR_LEN, "%s:%d: not a 40-character Z85 public key",
                 path, line);
        return ERR_INVAL;
    }
    memcpy(z85, l, KEYS_Z85_LEN);
    return ERR_OK;
}
