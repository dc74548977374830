/** @file csv.h
 *  @brief RFC 4180 CSV reader: quotes, "" escapes, CRLF or LF, UTF-8 BOM.
 *
 *  The reader works on a byte buffer it owns (read whole from a file, or
 *  copied from memory), so a caller can convert an encoding first, or on
 *  one the caller lends (csv_open_buf), parsed in place. Hostile
 *  input is bounded: a field longer than CSV_MAX_FIELD bytes or a row with
 *  more than CSV_MAX_FIELDS fields is an error naming the line.
 *
 *  Owns: a reader owns a copy of its name, and of its input except after
 *  csv_open_buf(); the caller's path, name and bytes are otherwise only
 *  read by the open call. Rows and csv_name() are borrowed from the
 *  reader; the text of a row lies in the input buffer and is never written
 *  again by a later csv_next().
 *
 *  INVARIANTS
 *    1. A row has 1..CSV_MAX_FIELDS fields; each is NUL-terminated, holds
 *       no NUL byte and at most CSV_MAX_FIELD bytes after unescaping.
 *    2. Fields are unquoted and unescaped, otherwise exactly as written:
 *       nothing is trimmed, and CR and LF inside quotes are kept.
 *    3. Line numbers count LF bytes from 1; a row's line is the one it
 *       starts on, and rows come in file order.
 *    4. After ERR_INVAL the reader stays at end of input: every later
 *       csv_next() returns 0.
 */
#ifndef HRSS_CSV_H
#define HRSS_CSV_H
#include <stddef.h>

#include "common/err.h"

#define CSV_MAX_FIELD 4096
#define CSV_MAX_FIELDS 64
/** Largest file csv_open_file() reads (64 MiB). */
#define CSV_MAX_FILE ((size_t)64 << 20)

typedef struct csv_reader csv_reader_t;

/** Read the whole file at @p path (common/file) and prepare to parse it.
 *  @param[out] out  Receives the reader on success; untouched on failure.
 *  @param[out] err  On failure "PATH: strerror" or "PATH: file larger
 *                   than N bytes".
 *  @return ERR_OK, ERR_IO (cannot open/read), ERR_INVAL (more than
 *          CSV_MAX_FILE bytes).
 *  Caller owns *out and must csv_destroy() it. */
int csv_open_file(csv_reader_t **out, const char *path, char err[ERR_LEN]);

/** Parse a copy of @p data (@p len bytes). @p name is used in messages.
 *  Caller owns *out and must csv_destroy() it. @return ERR_OK. */
int csv_open_mem(csv_reader_t **out, const char *name, const char *data,
                 size_t len);

/** Parse @p len bytes at @p buf in place, without copying them: fields
 *  are unquoted and NUL-terminated inside @p buf. @p name is used in
 *  messages. Borrowed: @p buf must hold len + 1 writable bytes (the last
 *  a spare for a final NUL) and outlive the reader; it stays the caller's,
 *  and the text of every row handed out stays valid in it after
 *  csv_destroy(), as long as the caller keeps @p buf.
 *  Caller owns *out and must csv_destroy() it. @return ERR_OK. */
int csv_open_buf(csv_reader_t **out, const char *name, char *buf,
                 size_t len);

/** Destroy the reader and set *self_p to NULL; no-op on NULL. */
void csv_destroy(csv_reader_t **self_p);

/** Parse the next row. Rows that are entirely empty (a blank line) are
 *  skipped. A leading UTF-8 byte order mark is skipped.
 *  @param[out] nfields  Number of fields in the row.
 *  @param[out] fields   Array of NUL-terminated fields. Borrowed: the
 *                       array until the next csv_next() or
 *                       csv_destroy(), the text as long as the input
 *                       buffer (after csv_open_buf(), the caller's).
 *  @param[out] line     1-based line number where the row starts.
 *  @param[out] err      On ERR_INVAL: "NAME:LINE: reason".
 *  @return 1 when a row was read, 0 at end of input, ERR_INVAL on a
 *          malformed row (unterminated quote, text after a closing quote,
 *          a quote inside an unquoted field, a CR not followed by LF,
 *          field or row too large, NUL byte). After an error the reader
 *          stays at end of input. */
int csv_next(csv_reader_t *self, size_t *nfields, char ***fields,
             size_t *line, char err[ERR_LEN]);

/** The length (strlen) of each field of the row csv_next() last handed
 *  out, in the same order: a caller that trims or copies fields need not
 *  measure them again. Borrowed; valid until the next csv_next() or
 *  csv_destroy(), and meaningful only after csv_next() returned 1. */
const size_t *csv_lengths(const csv_reader_t *self);

/** Name given at open (the path for files). Borrowed; valid until
 *  csv_destroy(). */
const char *csv_name(const csv_reader_t *self);

#endif
