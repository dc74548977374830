/* web_users.c: hrss-web's users file and password checks (web_users.h).
 *
 * Why libsodium: argon2id is the password hash to use today (RFC 9106),
 * and libsodium's crypto_pwhash_str() and crypto_pwhash_str_verify() do
 * it, with the salt and limits inside the hash string; libzmq's CURVE
 * already depends on libsodium, so no new library reaches the machine.
 *
 * The remembered pairs: one slot per user, holding the BLAKE2b hash of
 * the last password that verified, keyed with a random key of this
 * process, and when it verified. A check compares the password's keyed
 * hash with the slot's (sodium_memcmp: constant time) before paying for
 * argon2id again.
 *
 * INVARIANTS
 *   1. Users are kept in the file's order, names unique (web_users.h, 1).
 *   2. A slot is set only after crypto_pwhash_str_verify() said yes for
 *      that user's hash.
 */
#include "admin/web_users.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"
#include "common/mem.h"
#include "common/mono.h"

/* Longest line of the file: a name, ':' and a hash. */
#define LINE_MAX_LEN (WEB_USER_MAX + 1 + crypto_pwhash_STRBYTES)
#define FILE_MAX_BYTES ((size_t)WEB_USERS_MAX * (LINE_MAX_LEN + 1))

typedef struct user {
    char name[WEB_USER_MAX + 1];
    char hash[crypto_pwhash_STRBYTES];
    unsigned char seen[crypto_generichash_BYTES]; /* keyed hash of the
                                                      password verified */
    long seen_at;
    int has_seen;
} user_t;

struct web_users {
    user_t *v;
    size_t n;
    unsigned char key[crypto_generichash_KEYBYTES];
    char decoy[crypto_pwhash_STRBYTES]; /* a random password's hash, for
                                           names not in the file; "" until
                                           first needed */
    double budget;     /* verification seconds left (INVARIANT 3) */
    double budget_at;  /* when it was last refilled */
};

static int name_ok(const char *s, size_t n)
{
    if (n == 0 || n > WEB_USER_MAX) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
        if (!ok) {
            return 0;
        }
    }
    return 1;
}

/* One line (without its '\n'): a user into self->v, or why not. */
static const char *parse_line(web_users_t *self, char *line, size_t len)
{
    char *colon = memchr(line, ':', len);
    if (colon == NULL) {
        return "not NAME:HASH (hrss-web --hash-password makes a hash)";
    }
    size_t nlen = (size_t)(colon - line);
    const char *hash = colon + 1;
    size_t hlen = len - nlen - 1;
    if (!name_ok(line, nlen)) {
        return "the name must be 1 to 64 letters, digits, '.', '_' or '-'";
    }
    if (hlen >= crypto_pwhash_STRBYTES ||
        strncmp(hash, "$argon2id$", 10) != 0) {
        return "the hash is not an argon2id hash as hrss-web "
               "--hash-password prints it";
    }
    for (size_t i = 0; i < self->n; i++) {
        if (strlen(self->v[i].name) == nlen &&
            memcmp(self->v[i].name, line, nlen) == 0) {
            return "this user is already given above";
        }
    }
    if (self->n == WEB_USERS_MAX) {
        return "more than 1000 users";
    }
    user_t *u = &self->v[self->n++];
    memset(u, 0, sizeof *u);
    memcpy(u->name, line, nlen);
    memcpy(u->hash, hash, hlen);
    return NULL;
}

static int parse(web_users_t *self, const char *path, char *data,
                 size_t len, char err[ERR_LEN])
{
    size_t lineno = 0;
    char *p = data;
    char *end = data + len;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *stop = nl != NULL ? nl : end;
        lineno++;
        size_t n = (size_t)(stop - p);
        if (n > 0 && p[n - 1] == '\r') {
            n--;
        }
        const char *why = NULL;
        if (memchr(p, '\0', n) != NULL) {
            why = "a NUL byte";
        } else if (n > 0 && p[0] != '#') {
            why = parse_line(self, p, n);
        }
        if (why != NULL) {
            snprintf(err, ERR_LEN, "%s:%zu: %s", path, lineno, why);
            return ERR_INVAL;
        }
        p = stop + 1;
    }
    return ERR_OK;
}

int web_users_load(web_users_t **out, const char *path, char err[ERR_LEN])
{
    if (sodium_init() < 0) {
        snprintf(err, ERR_LEN, "cannot start libsodium");
        return ERR_IO;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, ERR_LEN, "users file %s: %s", path, strerror(errno));
        int rc = errno == ENOENT ? ERR_NOTFOUND : ERR_IO;
        if (fd >= 0) {
            close(fd);
        }
        return rc;
    }
    if (!S_ISREG(st.st_mode) || (st.st_mode & S_IROTH) != 0) {
        snprintf(err, ERR_LEN,
                 "users file %s: %s", path,
                 !S_ISREG(st.st_mode)
                     ? "not a regular file"
                     : "readable by every user of this machine: it holds "
                       "password hashes (chmod 640 or 600)");
        close(fd);
        return ERR_INVAL;
    }
    char *data = NULL;
    size_t len = 0;
    int rc = file_read_fd(fd, path, FILE_MAX_BYTES, &data, &len, err);
    close(fd);
    if (rc != ERR_OK) {
        return rc;
    }
    web_users_t *self = xcalloc(1, sizeof *self);
    self->v = xcalloc(WEB_USERS_MAX, sizeof *self->v);
    randombytes_buf(self->key, sizeof self->key);
    self->budget = WEB_USERS_VERIFY_BURST;
    self->budget_at = -1; /* the first check sets it */
    rc = parse(self, path, data, len, err);
    sodium_memzero(data, len);
    free(data);
    if (rc == ERR_OK && self->n == 0) {
        snprintf(err, ERR_LEN, "users file %s: no user in it", path);
        rc = ERR_INVAL;
    }
    if (rc != ERR_OK) {
        web_users_destroy(&self);
        return rc;
    }
    *out = self;
    return ERR_OK;
}

void web_users_destroy(web_users_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    web_users_t *self = *self_p;
    sodium_memzero(self->v, WEB_USERS_MAX * sizeof *self->v);
    sodium_memzero(self->key, sizeof self->key);
    free(self->v);
    free(self);
    *self_p = NULL;
}

size_t web_users_count(const web_users_t *self)
{
    return self->n;
}

/* The budget refilled up to @p now (INVARIANT 3). */
static void refill(web_users_t *self, double now)
{
    if (self->budget_at >= 0 && now > self->budget_at) {
        self->budget += (now - self->budget_at) * WEB_USERS_VERIFY_SHARE;
        if (self->budget > WEB_USERS_VERIFY_BURST) {
            self->budget = WEB_USERS_VERIFY_BURST;
        }
    }
    if (now > self->budget_at) {
        self->budget_at = now;
    }
}

/* The hash a name not in the file is checked against (INVARIANT 3). */
static const char *decoy(web_users_t *self)
{
    if (self->decoy[0] == '\0') {
        unsigned char r[32];
        char pw[2 * sizeof r + 1];
        randombytes_buf(r, sizeof r);
        sodium_bin2hex(pw, sizeof pw, r, sizeof r);
        if (web_users_hash(pw, self->decoy, sizeof self->decoy) != ERR_OK) {
            self->decoy[0] = '\0';
        }
        sodium_memzero(pw, sizeof pw);
    }
    return self->decoy;
}

int web_users_check(web_users_t *self, const char *user, const char *pass,
                    double now)
{
    user_t *u = NULL;
    for (size_t i = 0; i < self->n && u == NULL; i++) {
        if (strcmp(self->v[i].name, user) == 0) {
            u = &self->v[i];
        }
    }
    unsigned char h[crypto_generichash_BYTES];
    size_t plen = strlen(pass);
    crypto_generichash(h, sizeof h, (const unsigned char *)pass, plen,
                       self->key, sizeof self->key);
    long secs = (long)now;
    if (u != NULL && u->has_seen && secs - u->seen_at < WEB_USERS_CACHE_S &&
        secs >= u->seen_at && sodium_memcmp(h, u->seen, sizeof h) == 0) {
        return 1;
    }
    refill(self, now);
    if (self->budget <= 0) {
        return WEB_USERS_BUSY;
    }
    double t0 = mono_s();
    const char *hash = u != NULL ? u->hash : decoy(self);
    int good = hash[0] != '\0' &&
               crypto_pwhash_str_verify(hash, pass, plen) == 0;
    self->budget -= mono_s() - t0;
    if (u == NULL || !good) {
        return 0;
    }
    memcpy(u->seen, h, sizeof h);
    u->seen_at = secs;
    u->has_seen = 1;
    return 1;
}

int web_users_hash(const char *pass, char *out, size_t len)
{
    char h[crypto_pwhash_STRBYTES];
    if (sodium_init() < 0 || len < sizeof h ||
        crypto_pwhash_str(h, pass, strlen(pass),
                          crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
        return ERR_NOMEM;
    }
    memcpy(out, h, sizeof h);
    return ERR_OK;
}
