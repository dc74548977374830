/** @file web_users.h
 *  @brief hrss-web's users file: who may read the dashboard, each with
 *         an argon2id password hash (libsodium's crypto_pwhash_str).
 *
 *  The file has one user a line, "NAME:HASH", where HASH is what
 *  `hrss-web --hash-password` prints ("$argon2id$v=19$m=...,t=...,p=1$
 *  SALT$HASH"); blank lines and lines starting with '#' are skipped.
 *  NAME is 1 to WEB_USER_MAX bytes of letters, digits, '.', '_', '-'.
 *
 *  Verifying a password costs what the hash says (64 MiB and a few
 *  tenths of a second at the interactive limits), and a page asks for a
 *  few dozen answers: so a good (name, password) pair is remembered for
 *  WEB_USERS_CACHE_S seconds as a keyed BLAKE2b hash of the password
 *  (key random per process), compared in constant time. A wrong password
 *  is never remembered: each costs a full verification, and those are
 *  rationed (INVARIANT 3): beyond the budget a check answers
 *  WEB_USERS_BUSY at once (hrss-web: 429 with Retry-After).
 *
 *  Owns: the users' names and hashes, and the remembered pairs, from
 *  web_users_load() to web_users_destroy(). Not thread-safe: one thread
 *  checks (hrss-web's server thread).
 *
 *  INVARIANTS
 *    1. A file with a line that does not parse, an unknown hash kind or a
 *       name given twice is refused whole, naming the file and line.
 *    2. web_users_check() says yes only for a name in the file whose hash
 *       the password verifies, now or within the last WEB_USERS_CACHE_S
 *       seconds against the same hash.
 *    3. A check that is not a remembered pair costs one argon2id
 *       verification, also for a name not in the file (against a hash
 *       of a random password: the answer takes as long as for a known
 *       name), and is made only while the budget is above 0; each costs
 *       the budget the time it took. So wrong passwords, however many
 *       and however fast, take at most about WEB_USERS_VERIFY_SHARE of
 *       the server's thread (after a burst of WEB_USERS_VERIFY_BURST s),
 *       and remembered pairs are answered all the while.
 */
#ifndef HRSS_WEB_USERS_H
#define HRSS_WEB_USERS_H
#include <stddef.h>

#include "common/err.h"

#define WEB_USER_MAX 64
#define WEB_PASSWORD_MAX 256
#define WEB_USERS_MAX 1000
#define WEB_USERS_CACHE_S 300

typedef struct web_users web_users_t;

/** Read the users file @p path. The file must not be readable by
 *  others than its owner and group (it holds hashes).
 *  @return ERR_OK, ERR_NOTFOUND, ERR_IO, or ERR_INVAL with "FILE:LINE:
 *          why" in @p err. Caller owns *out; web_users_destroy() it. */
int web_users_load(web_users_t **out, const char *path, char err[ERR_LEN]);

void web_users_destroy(web_users_t **self_p);

/** Number of users. */
size_t web_users_count(const web_users_t *self);

/** Seconds of argon2id verification the server may spend, refilled at
 *  WEB_USERS_VERIFY_SHARE seconds a second up to WEB_USERS_VERIFY_BURST
 *  (INVARIANT 3). */
#define WEB_USERS_VERIFY_SHARE 0.5
#define WEB_USERS_VERIFY_BURST 2.0

/** web_users_check(): the sign-in budget is spent; retry in a second. */
#define WEB_USERS_BUSY (-1)

/** 1 when @p pass is @p user's password (INVARIANT 2), 0 when it is not
 *  (or there is no such user), WEB_USERS_BUSY when it cannot say now:
 *  verifying would pass the budget (INVARIANT 3). @p now in seconds of a
 *  monotonic clock. */
int web_users_check(web_users_t *self, const char *user, const char *pass,
                    double now);

/** The argon2id hash of @p pass (libsodium's interactive limits), into
 *  @p out (at least 128 bytes). @return ERR_OK, or ERR_NOMEM. */
int web_users_hash(const char *pass, char *out, size_t len);

#endif
