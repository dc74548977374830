/* csv.c: RFC 4180 reader over a byte buffer it owns or borrows.
 *
 * The whole input is held in one buffer and parsed in place: unescaping
 * never writes past the byte being read (a quoted field loses at least its
 * two quotes, an unquoted field is already where it belongs and is not
 * moved), and each field's terminating NUL goes where its separator was.
 * The buffer has one spare byte so the last field of an input without a
 * final newline can be terminated too. Fields handed out therefore point
 * into the buffer; a row writes only from its own first byte on, so the
 * text of a row handed out is never written again, and a caller that lent
 * the buffer (csv_open_buf) may keep the fields as long as the buffer.
 * Only the array of field pointers is reused by the next csv_next().
 *
 * Fields are scanned a run of ordinary bytes at a time (a table of the
 * bytes that end a run), not byte by byte: a 180 kB catalog file was most
 * of a one-figure hrssctl query's time. The result, errors and their lines
 * included, is the byte-by-byte rule's.
 *
 * Accepted: fields separated by ',', optionally enclosed in '"' with '""'
 * for a quote; quoted fields may hold ',', CR and LF (kept as they are);
 * rows end in LF or CRLF or at the end of input; a leading UTF-8 BOM and
 * physically blank lines are skipped. Nothing is trimmed.
 * Rejected (ERR_INVAL, reader then stays at end of input): an unterminated
 * quoted field, text after a closing quote, a '"' inside an unquoted field,
 * a CR not followed by LF outside quotes, a NUL byte, a field longer than
 * CSV_MAX_FIELD bytes (after unescaping), more than CSV_MAX_FIELDS fields.
 *
 * Lines are counted by LF bytes, so a row whose quoted field spans lines
 * moves the next row's line number on by as many lines.
 *
 * INVARIANTS
 *   1. pos <= len, and buf[len] is a writable spare byte holding a NUL
 *      (set at open; every later write lands before it, or is a NUL).
 *   2. line is 1 + the number of LF bytes in buf[0, pos).
 *   3. failed == 1 implies pos == len (end of input after an error).
 *   4. Every field pointer handed out lies inside buf[0, len] and is
 *      NUL-terminated within buf[0, len].
 *   5. csv_next() writes only into buf[start of its row, len]: the bytes
 *      of rows already handed out stay as they were handed out.
 *   6. buf is freed by csv_destroy() iff own_buf.
 */
#include "common/csv.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/file.h"
#include "common/mem.h"

struct csv_reader {
    char *name;  /* for messages */
    char *buf;   /* len bytes of input plus one spare byte */
    int own_buf; /* buf is freed with the reader (not csv_open_buf's) */
    size_t len;
    size_t pos;  /* next byte to parse */
    size_t line; /* line number of buf[pos] */
    int failed;  /* an error was reported; stay at end of input */
    char *field[CSV_MAX_FIELDS];
    size_t flen[CSV_MAX_FIELDS]; /* strlen of each field[] */
};

#ifndef NDEBUG
static void check_invariants(const csv_reader_t *self)
{
    assert(self != NULL);
    assert(self->buf != NULL);
    assert(self->pos <= self->len);
    assert(self->line >= 1);
    assert(!self->failed || self->pos == self->len);
}
#else
#define check_invariants(self) ((void)0)
#endif

/* Build a reader over @p buf (len bytes + 1 spare), freeing it at the
 * end when @p own. */
static csv_reader_t *reader_new(const char *name, char *buf, size_t len,
                                int own)
{
    csv_reader_t *self = xcalloc(1, sizeof *self);
    self->name = xstrdup(name);
    self->buf = buf;
    self->own_buf = own;
    self->buf[len] = '\0';
    self->len = len;
    self->line = 1;
    if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
        self->pos = 3;
    }
    return self;
}

int csv_open_file(csv_reader_t **out, const char *path, char err[ERR_LEN])
{
    char *buf = NULL;
    size_t len = 0;

    assert(out != NULL);
    assert(path != NULL);
    /* file_read leaves a NUL after the bytes: the reader's spare byte. */
    int rc = file_read(path, CSV_MAX_FILE, &buf, &len, err);
    if (rc != ERR_OK) {
        return rc;
    }
    *out = reader_new(path, buf, len, 1);
    return ERR_OK;
}

int csv_open_mem(csv_reader_t **out, const char *name, const char *data,
                 size_t len)
{
    int rc = ERR_OK;
    char *buf = NULL;

    assert(out != NULL);
    assert(name != NULL);
    assert(data != NULL || len == 0);
    buf = xmalloc(len + 1);
    if (len > 0) {
        memcpy(buf, data, len);
    }
    *out = reader_new(name, buf, len, 1);
    return rc;
}

int csv_open_buf(csv_reader_t **out, const char *name, char *buf,
                 size_t len)
{
    assert(out != NULL);
    assert(name != NULL);
    assert(buf != NULL);
    *out = reader_new(name, buf, len, 0);
    return ERR_OK;
}

void csv_destroy(csv_reader_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    csv_reader_t *self = *self_p;
    if (self->own_buf) {
        free(self->buf);
    }
    free(self->name);
    free(self);
    *self_p = NULL;
}

const size_t *csv_lengths(const csv_reader_t *self)
{
    assert(self != NULL);
    return self->flen;
}

const char *csv_name(const csv_reader_t *self)
{
    assert(self != NULL);
    return self->name;
}

/* Report a malformed row at @p line and park the reader at end of input. */
static int bad_row(csv_reader_t *self, size_t line, const char *why,
                   size_t *line_out, char err[ERR_LEN])
{
    if (err != NULL) {
        snprintf(err, ERR_LEN, "%s:%zu: %s", self->name, line, why);
    }
    *line_out = line;
    self->pos = self->len;
    self->failed = 1;
    return ERR_INVAL;
}

/* Skip physically blank lines (LF or CRLF alone). */
static void skip_blank_lines(csv_reader_t *self)
{
    const char *b = self->buf;
    while (self->pos < self->len) {
        if (b[self->pos] == '\n') {
            self->pos++;
            self->line++;
        } else if (b[self->pos] == '\r' && self->pos + 1 < self->len &&
                   b[self->pos + 1] == '\n') {
            self->pos += 2;
            self->line++;
        } else {
            break;
        }
    }
}

/* Messages with the limits in them, fixed at compile time. */
#define STR_(x) #x
#define STR(x) STR_(x)
#define TOO_MANY_FIELDS "too many fields (more than " STR(CSV_MAX_FIELDS) ")"
#define FIELD_TOO_LONG "field longer than " STR(CSV_MAX_FIELD) " bytes"

/* Bytes that end a run of ordinary text: in an unquoted field (a
 * separator, a row end, or a byte it may not hold) and in a quoted one
 * (its closing quote or a "" escape, a NUL, an LF to count). The scans
 * skip every other byte a run at a time, which is where reading a large
 * file spends its time; what they do at a stop byte is the byte-by-byte
 * rule. */
#define STOP_PLAIN 1
#define STOP_QUOTED 2
static const unsigned char stop[256] = {
    ['\0'] = STOP_PLAIN | STOP_QUOTED, ['\n'] = STOP_PLAIN | STOP_QUOTED,
    ['"'] = STOP_PLAIN | STOP_QUOTED,   ['\r'] = STOP_PLAIN,
    [','] = STOP_PLAIN,
};

/* The first position from @p p (<= len) on holding a byte of class
 * @p cls, or len: buf[len] is a NUL, which ends a run of either class
 * (invariant 1), so the loop needs no bounds test. */
static size_t run_end(const csv_reader_t *self, size_t p, unsigned cls)
{
    const unsigned char *b = (const unsigned char *)self->buf;
    assert(p <= self->len && b[self->len] == '\0');
    while ((stop[b[p]] & cls) == 0) {
        p++;
    }
    return p;
}

/* Scan the quoted field at pos (its opening quote), unescaping it onto
 * buf from @p start; *end is where its text ends.
 * @return NULL, or why the row is malformed, with its line in *at. */
static const char *scan_quoted(csv_reader_t *self, size_t start,
                               size_t *end, size_t *at)
{
    char *b = self->buf;
    size_t out = start;
    size_t field_line = self->line;

    self->pos++;
    for (;;) {
        char c = 0;
        size_t p = run_end(self, self->pos, STOP_QUOTED);
        size_t run = p - self->pos;
        /* An ordinary byte past the limit is reported before any stop
         * byte after it. */
        if (run > CSV_MAX_FIELD - (out - start)) {
            *at = field_line;
            return FIELD_TOO_LONG;
        }
        if (out != self->pos) {
            memmove(b + out, b + self->pos, run);
        }
        out += run;
        self->pos = p;
        if (self->pos >= self->len) {
            *at = field_line;
            return "unterminated quoted field";
        }
        c = b[self->pos];
        if (c == '"') {
            if (self->pos + 1 < self->len && b[self->pos + 1] == '"') {
                self->pos++; /* "" stands for one quote */
            } else {
                self->pos++;
                break;
            }
        } else if (c == '\0') {
            *at = self->line;
            return "NUL byte";
        } else {
            self->line++; /* an LF, kept in the field */
        }
        if (out - start == CSV_MAX_FIELD) {
            *at = field_line;
            return FIELD_TOO_LONG;
        }
        b[out++] = c;
        self->pos++;
    }
    *end = out;
    return NULL;
}

/* Scan the unquoted field at pos up to a ',', a row end or the end of
 * input; as scan_quoted(). Its text is already where it belongs (@p start
 * is pos): nothing moves. */
static const char *scan_plain(csv_reader_t *self, size_t start, size_t *end,
                              size_t *at)
{
    const char *b = self->buf;

    *at = self->line; /* an unquoted field never spans lines */
    self->pos = run_end(self, start, STOP_PLAIN);
    /* Every byte before pos is ordinary: one past the limit is reported
     * before the stop byte. */
    if (self->pos - start > CSV_MAX_FIELD) {
        return FIELD_TOO_LONG;
    }
    if (self->pos < self->len) {
        char c = b[self->pos];
        if (c == '\r' &&
            !(self->pos + 1 < self->len && b[self->pos + 1] == '\n')) {
            return "carriage return not followed by line feed";
        }
        if (c == '"') {
            return "quote inside an unquoted field";
        }
        if (c == '\0') {
            return "NUL byte";
        }
    }
    *end = self->pos;
    return NULL;
}

int csv_next(csv_reader_t *self, size_t *nfields, char ***fields,
             size_t *line, char err[ERR_LEN])
{
    char *b = NULL;
    size_t n = 0;
    size_t row_line = 0;

    check_invariants(self);
    assert(nfields != NULL && fields != NULL && line != NULL);
    *nfields = 0;
    *fields = NULL;
    *line = 0;
    skip_blank_lines(self);
    if (self->failed || self->pos >= self->len) {
        return 0;
    }
    b = self->buf;
    row_line = self->line;
    for (;;) {
        size_t start = self->pos; /* unescaped text is written from here */
        size_t out = start;
        size_t at = 0;
        const char *why = NULL;

        if (n == CSV_MAX_FIELDS) {
            return bad_row(self, row_line, TOO_MANY_FIELDS, line, err);
        }
        if (self->pos < self->len && b[self->pos] == '"') {
            why = scan_quoted(self, start, &out, &at);
        } else {
            why = scan_plain(self, start, &out, &at);
        }
        if (why != NULL) {
            return bad_row(self, at, why, line, err);
        }

        /* At a separator, a row end or the end of input. Read the
         * separator before the NUL may overwrite it. */
        if (self->pos >= self->len) {
            b[out] = '\0';
            self->flen[n] = out - start;
            self->field[n++] = b + start;
            break;
        }
        if (b[self->pos] == ',') {
            b[out] = '\0';
            self->flen[n] = out - start;
            self->field[n++] = b + start;
            self->pos++;
            continue;
        }
        if (b[self->pos] == '\n') {
            b[out] = '\0';
            self->flen[n] = out - start;
            self->field[n++] = b + start;
            self->pos++;
            self->line++;
            break;
        }
        if (b[self->pos] == '\r' && self->pos + 1 < self->len &&
            b[self->pos + 1] == '\n') {
            b[out] = '\0';
            self->flen[n] = out - start;
            self->field[n++] = b + start;
            self->pos += 2;
            self->line++;
            break;
        }
        return bad_row(self, self->line, "text after closing quote", line,
                       err);
    }
    *nfields = n;
    *fields = self->field;
    *line = row_line;
    return 1;
}
