/** @file keys.h
 *  @brief CurveZMQ keys on disk: making a key pair, reading a secret key
 *         (refused when others can read it) and a public key.
 *
 *  Concern: the files that carry the keys of hrss's CurveZMQ sockets. A
 *  key pair NAME is two files: NAME.key, the secret (mode 0600), and
 *  NAME.pub, the public key, which is what an office sends to the
 *  collector's operator and what the collector's agents and admins files
 *  list. Keys are 40-character Z85 text (ZeroMQ's encoding of 32 bytes).
 *
 *  File formats (text, `#` comments and blank lines ignored):
 *    NAME.key:  public-key <Z85>
 *               secret-key <Z85>
 *    NAME.pub:  <Z85>     (one line: paste it into an agents file)
 *
 *  Owns nothing beyond the call: keys are copied into the caller's
 *  keys_pair_t or buffer.
 *
 *  INVARIANTS
 *    1. A key handed out is 40 Z85 characters that decode to 32 bytes,
 *       NUL-terminated.
 *    2. keys_load_secret() never returns a key from a file that its group
 *       or others may read (as ssh refuses private keys), nor one whose
 *       public key does not match the secret.
 *    3. keys_generate() never replaces an existing file: both files are
 *       created exclusively, the secret one mode 0600.
 */
#ifndef HRSS_KEYS_H
#define HRSS_KEYS_H

#include "common/err.h"

/** Z85 text of a 32-byte key, with its NUL. */
#define KEYS_Z85_LEN 41

/** A key pair. Plain value struct. */
typedef struct keys_pair {
    char public_key[KEYS_Z85_LEN];
    char secret_key[KEYS_Z85_LEN];
} keys_pair_t;

/** Make a new key pair and write it to @p base.key (mode 0600) and
 *  @p base.pub (mode 0644). Neither file may exist yet.
 *  @param[out] pair  The pair written (may be NULL).
 *  @param[out] err   On failure "PATH: reason".
 *  @return ERR_OK, ERR_IO (cannot create or write; an existing file is
 *          "File exists"), ERR_INVAL (the key generator failed: libzmq
 *          without CURVE). On failure no file is left half-written. */
int keys_generate(const char *base, keys_pair_t *pair, char err[ERR_LEN]);

/** Read the secret key file @p path.
 *  @param[out] out  On ERR_OK the pair; untouched on failure.
 *  @param[out] err  On failure "PATH: reason" (for a file others may read,
 *                   the reason says to chmod 600 it).
 *  @return ERR_OK, ERR_IO (cannot read), ERR_DENIED (group or others may
 *          read it, or it is not a regular file), ERR_INVAL (not a key
 *          file, a bad key, or a public key that does not match). */
int keys_load_secret(const char *path, keys_pair_t *out, char err[ERR_LEN]);

/** Read the public key file @p path: the first line that is not a
 *  comment must be one Z85 key.
 *  @param[out] z85  On ERR_OK the key; untouched on failure.
 *  @return ERR_OK, ERR_IO, ERR_INVAL ("PATH:LINE: reason"). */
int keys_load_public(const char *path, char z85[KEYS_Z85_LEN],
                     char err[ERR_LEN]);

/** 1 when @p s is a Z85 key: 40 characters that decode to 32 bytes. */
int keys_z85_ok(const char *s);

#endif
