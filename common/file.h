/** @file file.h
 *  @brief Whole files: the one reader with a size limit, and the one
 *         writer that replaces a file atomically.
 *
 *  Catalogs, config files and offices' CSV files are read whole and parsed
 *  in memory. Each caller passes its own limit; a file past it is refused
 *  as malformed input (ERR_INVAL), never cut short. Small files others
 *  read while hrss runs (DATA_DIR/endpoints, an inbox file's .errors) are
 *  written whole to PATH.tmp and renamed over PATH, so a reader sees the
 *  old file or the new one, never half of one.
 *
 *  Owns nothing and keeps no state: file_read() hands the caller a block
 *  the caller owns; paths and bytes passed in are only read by the call.
 *
 *  INVARIANTS
 *    1. On ERR_OK, (*data)[*len] == '\0' and *len <= max_bytes: a file is
 *       read whole or not at all.
 *    2. On failure *data == NULL and *len == 0. No descriptor is left
 *       open, and file_write_atomic() leaves no PATH.tmp behind.
 *    3. file_write_atomic() makes no fsync: a crash may lose the new file
 *       (its writers re-create it). Give each PATH one writer: two would
 *       share PATH.tmp.
 */
#ifndef HRSS_FILE_H
#define HRSS_FILE_H
#include <stddef.h>

#include "common/err.h"

/** Read the whole file at @p path, at most @p max_bytes bytes.
 *  The bytes are followed by one NUL that *len does not count, so a text
 *  file can be used as a string and a parser has one spare byte.
 *  @param[out] data  On ERR_OK the bytes; NULL on failure. Caller owns
 *                    *data and must free() it.
 *  @param[out] len   On ERR_OK the number of bytes read; 0 on failure.
 *  @param[out] err   On failure "PATH: strerror" (ERR_IO) or
 *                    "PATH: file larger than N bytes" (ERR_INVAL).
 *  @return ERR_OK, ERR_IO (cannot open or read, a directory included),
 *          ERR_INVAL (more than @p max_bytes bytes). */
int file_read(const char *path, size_t max_bytes, char **data, size_t *len,
              char err[ERR_LEN]);

/** Replace the file at @p path with @p len bytes at @p data: written to
 *  PATH.tmp, then renamed over PATH (mode 0644 less the umask). PATH.tmp
 *  is created new (O_EXCL | O_NOFOLLOW): one left over, or a link planted
 *  there, is removed first and never followed; whatever PATH was, a link
 *  included, is replaced, not written through.
 *  @param[out] err  On failure "PATH: strerror" or "PATH.tmp: strerror";
 *                   not NULL.
 *  @return ERR_OK or ERR_IO; on failure PATH is unchanged and no PATH.tmp
 *          is left behind. */
int file_write_atomic(const char *path, const void *data, size_t len,
                      char err[ERR_LEN]);

#endif
