/** @file file.h
 *  @brief Whole-file reads with a size limit: the one file reader of hrss.
 *
 *  Catalogs, config files and offices' CSV files are read whole and parsed
 *  in memory. Each caller passes its own limit; a file past it is refused
 *  as malformed input (ERR_INVAL), never cut short.
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

#endif
