/* csv.c: RFC 4180 reader over a byte buffer it owns.
 *
 * The whole input is held in one buffer and parsed in place: unescaping
 * never writes past the byte being read (a quoted field loses at least its
 * two quotes, an unquoted field is copied onto itself), and each field's
 * terminating NUL goes where its separator was. The buffer has one spare
 * byte so the last field of an input without a final newline can be
 * terminated too. Fields handed out therefore point into the buffer and
 * stay valid until the next csv_next() overwrites the following row.
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
 *   1. pos <= len, and buf[len] is a writable spare byte.
 *   2. line is 1 + the number of LF bytes in buf[0, pos).
 *   3. failed == 1 implies pos == len (end of input after an error).
 *   4. Every field pointer handed out lies inside buf[0, len] and is
 *      NUL-terminated within buf[0, len].
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
    size_t len;
    size_t pos;  /* next byte to parse */
    size_t line; /* line number of buf[pos] */
    int failed;  /* an error was reported; stay at end of input */
    char *field[CSV_MAX_FIELDS];
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

/* Take ownership of @p buf (len bytes + 1 spare) and build a reader. */
static csv_reader_t *reader_new(const char *name, char *buf, size_t len)
{
    csv_reader_t *self = xcalloc(1, sizeof *self);
    self->name = xstrdup(name);
    self->buf = buf;
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
    *out = reader_new(path, buf, len);
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
    *out = reader_new(name, buf, len);
    return rc;
}

void csv_destroy(csv_reader_t **self_p)
{
    if (self_p == NULL || *self_p == NULL) {
        return;
    }
    csv_reader_t *self = *self_p;
    free(self->buf);
    free(self->name);
    free(self);
    *self_p = NULL;
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
        } else if (c == '\n') {
            self->line++;
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
 * input; as scan_quoted(). */
static const char *scan_plain(csv_reader_t *self, size_t start, size_t *end,
                              size_t *at)
{
    char *b = self->buf;
    size_t out = start;

    *at = self->line; /* an unquoted field never spans lines */
    while (self->pos < self->len && b[self->pos] != ',' &&
           b[self->pos] != '\n') {
        char c = b[self->pos];
        if (c == '\r') {
            if (self->pos + 1 < self->len && b[self->pos + 1] == '\n') {
                break;
            }
            return "carriage return not followed by line feed";
        }
        if (c == '"') {
            return "quote inside an unquoted field";
        }
        if (c == '\0') {
            return "NUL byte";
        }
        if (out - start == CSV_MAX_FIELD) {
            return FIELD_TOO_LONG;
        }
        b[out++] = c;
        self->pos++;
    }
    *end = out;
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
            self->field[n++] = b + start;
            break;
        }
        if (b[self->pos] == ',') {
            b[out] = '\0';
            self->field[n++] = b + start;
            self->pos++;
            continue;
        }
        if (b[self->pos] == '\n') {
            b[out] = '\0';
            self->field[n++] = b + start;
            self->pos++;
            self->line++;
            break;
        }
        if (b[self->pos] == '\r' && self->pos + 1 < self->len &&
            b[self->pos + 1] == '\n') {
            b[out] = '\0';
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
