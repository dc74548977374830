/** @file file.h
 *  @brief Whole files: the one reader with a size limit, the one writer
 *         that replaces a file atomically, and the one that creates a
 *         new file whole.
 *
 *  Catalogs, config files and offices' CSV files are read whole and parsed
 *  in memory. Each caller passes its own limit; a file past it is refused
 *  as malformed input (ERR_INVAL), never cut short. Small files others
 *  read while hrss runs are written whole to PATH.tmp first, so a reader
 *  never sees half of one: DATA_DIR/endpoints is renamed over PATH
 *  (file_write_atomic), an inbox file's .errors is linked to a PATH that
 *  must not exist yet (file_write_new). PATH.tmp is always created new
 *  (O_EXCL | O_NOFOLLOW), so a link planted in the directory is never
 *  written through.
 *
 *  Owns nothing and keeps no state: file_read() hands the caller a block
 *  the caller owns; paths and bytes passed in are only read by the call.
 *
 *  INVARIANTS
 *    1. On ERR_OK, (*data)[*len] == '\0' and *len <= max_bytes: a file is
 *       read whole or not at all.
 *    2. On failure *data == NULL and *len == 0. No descriptor is left
 *       open (file_read_fd leaves the caller's as it was), and the
 *       writers leave no PATH.tmp behind.
 *    3. The writers make no fsync: a crash may lose the new file (its
 *       writers re-create it). Give each PATH one writer: two would share
 *       PATH.tmp.
 *    4. The writers open no existing file for writing: a link at PATH.tmp
 *       or at PATH is never followed; file_write_new() never replaces
 *       anything at PATH.
 */
#ifndef HRSS_FILE_H
#define HRSS_FILE_H
#include <stddef.h>
#include <sys/types.h>

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

/** The same for the open descriptor @p fd (read from where it stands, to
 *  its end; left open): for a caller that chose how to open the file
 *  (O_NOFOLLOW, say) and checked what it is. @p name is used in @p err
 *  ("NAME: strerror", "NAME: file larger than N bytes").
 *  @return ERR_OK, ERR_IO, ERR_INVAL, as file_read(). */
int file_read_fd(int fd, const char *name, size_t max_bytes, char **data,
                 size_t *len, char err[ERR_LEN]);

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

/** Create the new file @p path holding @p len bytes at @p data, whole:
 *  written to PATH.tmp (created as file_write_atomic() does), then
 *  link(2)ed to PATH and PATH.tmp removed. Nothing at PATH is ever
 *  replaced or written through: a file, a directory or a link there
 *  (even a dangling one) makes the call fail.
 *  @param mode  Of the new file, less the umask (0640 for .errors).
 *  @param[out] err  On failure "PATH: File exists", "PATH: strerror" or
 *                   "PATH.tmp: strerror"; not NULL.
 *  @return ERR_OK or ERR_IO; on failure PATH is as it was and no PATH.tmp
 *          is left behind. The file system must support hard links. */
int file_write_new(const char *path, const void *data, size_t len,
                   mode_t mode, char err[ERR_LEN]);

/** Call first in main(): give stdout, when it is not a terminal, a
 *  64 KiB buffer, so that any output up to that size is written at
 *  file_flush_stdout(), which then knows why a write failed (a longer
 *  one that fails midway loses errno by then: stdio keeps only its
 *  error flag). A terminal stays line-buffered. */
void file_stdout_init(void);

/** Flush stdout at the end of a command: output that could not be
 *  written (a full disk, a closed pipe) is an error, never a silent
 *  success.
 *  @param[out] err  On failure "cannot write the output: strerror".
 *  @return ERR_OK, or ERR_IO when a write to stdout failed, now or
 *          earlier. */
int file_flush_stdout(char err[ERR_LEN]);

#endif
