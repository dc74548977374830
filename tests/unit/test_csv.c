/* test_csv.c: the RFC 4180 reader in common/csv.c.
 *
 * Each test parses an in-memory string unless it is about files; file
 * tests make their own directory under /tmp and remove it.
 *
 * INVARIANTS
 *   1. Every reader opened in a test is destroyed in that test.
 *   2. File tests leave nothing behind in /tmp (fini removes the files).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/csv.h"
#include "common/mem.h"

static char tmpdir[64];
static char tmpfile_path[128];

static void mk_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hrss_csv_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    snprintf(tmpfile_path, sizeof tmpfile_path, "%s/data.csv", tmpdir);
}

static void rm_tmp(void)
{
    unlink(tmpfile_path);
    rmdir(tmpdir);
}

static csv_reader_t *open_str(const char *s)
{
    csv_reader_t *rd = NULL;
    int rc = csv_open_mem(&rd, "mem.csv", s, strlen(s));
    cr_assert_eq(rc, ERR_OK);
    cr_assert_not_null(rd);
    return rd;
}

/* Read one row and check it is a row (return value 1). */
static char **row(csv_reader_t *rd, size_t *n, size_t *line)
{
    char **f = NULL;
    char err[ERR_LEN] = "";
    int rc = csv_next(rd, n, &f, line, err);
    cr_assert_eq(rc, 1, "csv_next returned %d: %s", rc, err);
    cr_assert_not_null(f);
    return f;
}

static void expect_end(csv_reader_t *rd)
{
    char **f = NULL;
    size_t n = 99;
    size_t line = 99;
    char err[ERR_LEN] = "";
    cr_assert_eq(csv_next(rd, &n, &f, &line, err), 0);
    cr_assert_eq(n, 0);
    cr_assert_null(f);
}

/* Expect ERR_INVAL whose message holds @p where and @p word. */
static void expect_error(csv_reader_t *rd, const char *where,
                         const char *word)
{
    char **f = NULL;
    size_t n = 0;
    size_t line = 0;
    char err[ERR_LEN] = "";
    int rc = csv_next(rd, &n, &f, &line, err);
    cr_assert_eq(rc, ERR_INVAL, "rc %d, err '%s'", rc, err);
    cr_assert_not_null(strstr(err, where), "'%s' lacks '%s'", err, where);
    cr_assert_not_null(strstr(err, word), "'%s' lacks '%s'", err, word);
    cr_assert_null(f);
    /* The reader stays at end of input after an error. */
    expect_end(rd);
}

Test(csv, plain_rows_and_lines)
{
    csv_reader_t *rd = open_str("a,b,c\n1,2,3\n");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(n, 3);
    cr_assert_eq(line, 1);
    cr_assert_str_eq(f[0], "a");
    cr_assert_str_eq(f[2], "c");
    f = row(rd, &n, &line);
    cr_assert_eq(n, 3);
    cr_assert_eq(line, 2);
    cr_assert_str_eq(f[1], "2");
    expect_end(rd);
    expect_end(rd);
    cr_assert_str_eq(csv_name(rd), "mem.csv");
    csv_destroy(&rd);
    cr_assert_null(rd);
    csv_destroy(&rd); /* harmless twice */
}

Test(csv, quoted_fields_with_commas)
{
    csv_reader_t *rd = open_str("x,\"a,b\",\"\",y\n");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(n, 4);
    cr_assert_str_eq(f[0], "x");
    cr_assert_str_eq(f[1], "a,b");
    cr_assert_str_eq(f[2], "");
    cr_assert_str_eq(f[3], "y");
    expect_end(rd);
    csv_destroy(&rd);
}

Test(csv, doubled_quote_escapes)
{
    csv_reader_t *rd = open_str("\"he said \"\"hi\"\"\",\"\"\"\"\n");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(f[0], "he said \"hi\"");
    cr_assert_str_eq(f[1], "\"");
    csv_destroy(&rd);
}

Test(csv, embedded_newline_keeps_line_numbers)
{
    csv_reader_t *rd = open_str("k,\"two\nlines\"\n"
                                "next,row\n"
                                "\"three\r\nline\nfield\",z\n"
                                "last,one\n");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(line, 1);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(f[1], "two\nlines");
    f = row(rd, &n, &line);
    cr_assert_eq(line, 3);
    cr_assert_str_eq(f[0], "next");
    f = row(rd, &n, &line);
    cr_assert_eq(line, 4);
    cr_assert_str_eq(f[0], "three\r\nline\nfield"); /* kept verbatim */
    f = row(rd, &n, &line);
    cr_assert_eq(line, 7);
    cr_assert_str_eq(f[0], "last");
    expect_end(rd);
    csv_destroy(&rd);
}

Test(csv, crlf_line_ends)
{
    csv_reader_t *rd = open_str("a,b\r\n\"q\",d\r\ne,\r\n");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(f[1], "b");
    f = row(rd, &n, &line);
    cr_assert_eq(line, 2);
    cr_assert_str_eq(f[0], "q");
    cr_assert_str_eq(f[1], "d");
    f = row(rd, &n, &line);
    cr_assert_eq(line, 3);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(f[1], "");
    expect_end(rd);
    csv_destroy(&rd);
}

Test(csv, bom_is_skipped)
{
    csv_reader_t *rd = open_str("\xEF\xBB\xBF" "code,name\n1,浙江\n");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(line, 1);
    cr_assert_str_eq(f[0], "code");
    f = row(rd, &n, &line);
    cr_assert_str_eq(f[1], "浙江");
    csv_destroy(&rd);
}

Test(csv, blank_lines_skipped)
{
    csv_reader_t *rd = open_str("\n\na\n\r\n\nb,c\n\n");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(line, 3);
    cr_assert_eq(n, 1);
    cr_assert_str_eq(f[0], "a");
    f = row(rd, &n, &line);
    cr_assert_eq(line, 6);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(f[1], "c");
    expect_end(rd);
    csv_destroy(&rd);
}

Test(csv, last_row_without_newline_and_empty_fields)
{
    csv_reader_t *rd = open_str(",x,\n\"\"");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(f[0], "");
    cr_assert_str_eq(f[1], "x");
    cr_assert_str_eq(f[2], "");
    f = row(rd, &n, &line);
    cr_assert_eq(n, 1); /* a quoted empty field is a row, not a blank */
    cr_assert_eq(line, 2);
    cr_assert_str_eq(f[0], "");
    expect_end(rd);
    csv_destroy(&rd);
}

Test(csv, whitespace_is_kept)
{
    csv_reader_t *rd = open_str(" a , b\t\n");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(n, 2);
    cr_assert_str_eq(f[0], " a ");
    cr_assert_str_eq(f[1], " b\t");
    csv_destroy(&rd);
}

Test(csv, empty_input)
{
    csv_reader_t *rd = NULL;
    cr_assert_eq(csv_open_mem(&rd, "empty", NULL, 0), ERR_OK);
    expect_end(rd);
    csv_destroy(&rd);
    rd = open_str("\xEF\xBB\xBF\n\r\n");
    expect_end(rd);
    csv_destroy(&rd);
}

Test(csv, unterminated_quote_error)
{
    csv_reader_t *rd = open_str("a,b\nc,\"never\nclosed\n");
    size_t n = 0;
    size_t line = 0;
    (void)row(rd, &n, &line);
    expect_error(rd, "mem.csv:2:", "unterminated");
    csv_destroy(&rd);
}

Test(csv, text_after_closing_quote_error)
{
    csv_reader_t *rd = open_str("ok\n\n\"abc\"d,e\n");
    size_t n = 0;
    size_t line = 0;
    (void)row(rd, &n, &line);
    expect_error(rd, "mem.csv:3:", "after closing quote");
    csv_destroy(&rd);
}

Test(csv, quote_in_unquoted_field_error)
{
    csv_reader_t *rd = open_str("ab\"c\n");
    expect_error(rd, "mem.csv:1:", "quote");
    csv_destroy(&rd);
}

Test(csv, bare_cr_error)
{
    csv_reader_t *rd = open_str("a\rb\n");
    expect_error(rd, "mem.csv:1:", "carriage return");
    csv_destroy(&rd);
}

Test(csv, nul_byte_error)
{
    static const char data[] = "a,b\nc\0d,e\n";
    csv_reader_t *rd = NULL;
    size_t n = 0;
    size_t line = 0;
    cr_assert_eq(csv_open_mem(&rd, "nul.csv", data, sizeof data - 1),
                 ERR_OK);
    (void)row(rd, &n, &line);
    expect_error(rd, "nul.csv:2:", "NUL");
    csv_destroy(&rd);
}

/* A row of @p nfields one-letter fields. Caller frees. */
static char *fields_row(size_t nfields)
{
    char *s = xmalloc(nfields * 2 + 1);
    for (size_t i = 0; i < nfields; i++) {
        s[i * 2] = 'x';
        s[i * 2 + 1] = i + 1 < nfields ? ',' : '\n';
    }
    s[nfields * 2] = '\0';
    return s;
}

Test(csv, max_fields_accepted)
{
    char *s = fields_row(CSV_MAX_FIELDS);
    csv_reader_t *rd = open_str(s);
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_eq(n, CSV_MAX_FIELDS);
    cr_assert_str_eq(f[CSV_MAX_FIELDS - 1], "x");
    csv_destroy(&rd);
    free(s);
}

Test(csv, too_many_fields_error)
{
    char *body = fields_row(CSV_MAX_FIELDS + 1);
    size_t len = strlen(body) + 3;
    char *s = xmalloc(len);
    snprintf(s, len, "h\n%s", body);
    csv_reader_t *rd = open_str(s);
    size_t n = 0;
    size_t line = 0;
    (void)row(rd, &n, &line);
    expect_error(rd, "mem.csv:2:", "too many fields");
    csv_destroy(&rd);
    free(s);
    free(body);
}

/* "h\n" + a field of @p len 'y' bytes, quoted or not, + "\n". */
static char *big_field(size_t len, int quoted)
{
    char *s = xmalloc(len + 8);
    size_t k = 0;
    s[k++] = 'h';
    s[k++] = '\n';
    if (quoted) {
        s[k++] = '"';
    }
    memset(s + k, 'y', len);
    k += len;
    if (quoted) {
        s[k++] = '"';
    }
    s[k++] = '\n';
    s[k] = '\0';
    return s;
}

Test(csv, max_field_accepted)
{
    char *s = big_field(CSV_MAX_FIELD, 1);
    csv_reader_t *rd = open_str(s);
    size_t n = 0;
    size_t line = 0;
    (void)row(rd, &n, &line);
    char **f = row(rd, &n, &line);
    cr_assert_eq(strlen(f[0]), CSV_MAX_FIELD);
    csv_destroy(&rd);
    free(s);
}

Test(csv, field_too_large_error)
{
    for (int quoted = 0; quoted <= 1; quoted++) {
        char *s = big_field(CSV_MAX_FIELD + 1, quoted);
        csv_reader_t *rd = open_str(s);
        size_t n = 0;
        size_t line = 0;
        (void)row(rd, &n, &line);
        expect_error(rd, "mem.csv:2:", "longer than");
        csv_destroy(&rd);
        free(s);
    }
}

/* At the limit, what ends a field is judged as it would be anywhere:
 * the runs the reader skips at a time stop exactly there. */
Test(csv, stop_byte_at_the_field_limit)
{
    static const struct {
        int quoted;
        const char *tail; /* after CSV_MAX_FIELD 'y' bytes */
        const char *where;
        const char *word; /* NULL: the row is read */
    } cases[] = {
        {0, "\r\n", NULL, NULL},
        {0, ",z\n", NULL, NULL},
        {0, "\rz\n", "mem.csv:2:", "carriage return"},
        {0, "\"\n", "mem.csv:2:", "quote inside"},
        {0, "y\"\n", "mem.csv:2:", "longer than"},
        {1, "\"\"\"\n", "mem.csv:2:", "longer than"},
        {1, "\n\"\n", "mem.csv:2:", "longer than"},
        {1, "", "mem.csv:2:", "unterminated"},
        {1, "y", "mem.csv:2:", "longer than"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t tl = strlen(cases[i].tail);
        char *s = xmalloc(CSV_MAX_FIELD + tl + 8);
        size_t k = 0;
        s[k++] = 'h';
        s[k++] = '\n';
        if (cases[i].quoted) {
            s[k++] = '"';
        }
        memset(s + k, 'y', CSV_MAX_FIELD);
        k += CSV_MAX_FIELD;
        memcpy(s + k, cases[i].tail, tl + 1);
        csv_reader_t *rd = open_str(s);
        size_t n = 0;
        size_t line = 0;
        (void)row(rd, &n, &line);
        if (cases[i].word == NULL) {
            char **f = row(rd, &n, &line);
            cr_assert_eq(strlen(f[0]), CSV_MAX_FIELD, "case %zu", i);
        } else {
            expect_error(rd, cases[i].where, cases[i].word);
        }
        csv_destroy(&rd);
        free(s);
    }
}

/* csv_open_buf parses the caller's bytes in place: every row's text
 * stays there, unescaped, after later rows and after the reader. */
Test(csv, open_buf_fields_outlive_the_reader)
{
    char buf[] = "a,\"b\"\"c\"\n\"d\ne\",f\ng,h";
    csv_reader_t *rd = NULL;
    cr_assert_eq(csv_open_buf(&rd, "buf.csv", buf, sizeof buf - 1),
                 ERR_OK);
    const char *kept[6];
    size_t nk = 0;
    size_t n = 0;
    size_t line = 0;
    for (int r = 0; r < 3; r++) {
        char **f = row(rd, &n, &line);
        cr_assert_eq(n, 2);
        kept[nk++] = f[0];
        kept[nk++] = f[1];
    }
    expect_end(rd);
    csv_destroy(&rd);
    static const char *const want[6] = {"a", "b\"c", "d\ne", "f", "g",
                                        "h"};
    for (size_t i = 0; i < 6; i++) {
        cr_assert_str_eq(kept[i], want[i]);
        cr_assert(kept[i] >= buf && kept[i] < buf + sizeof buf);
    }
}

/* csv_lengths() gives each field's strlen, unescaped, quoted or not. */
Test(csv, lengths_of_the_last_row)
{
    csv_reader_t *rd = open_str("ab,\"c\"\"d\",,\" e \"\r\nx\n");
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    const size_t *len = csv_lengths(rd);
    cr_assert_eq(n, 4);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(len[i], strlen(f[i]), "field %zu", i);
    }
    cr_assert_eq(len[1], 3);
    f = row(rd, &n, &line);
    cr_assert_eq(n, 1);
    cr_assert_eq(csv_lengths(rd)[0], 1);
    expect_end(rd);
    csv_destroy(&rd);
}

Test(csv, open_file_reads_rows, .init = mk_tmp, .fini = rm_tmp)
{
    FILE *fp = fopen(tmpfile_path, "wb");
    cr_assert_not_null(fp);
    fputs("\xEF\xBB\xBFk,v\r\nx,\"1,2\"\r\n", fp);
    cr_assert_eq(fclose(fp), 0);

    csv_reader_t *rd = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(csv_open_file(&rd, tmpfile_path, err), ERR_OK, "%s", err);
    cr_assert_str_eq(csv_name(rd), tmpfile_path);
    size_t n = 0;
    size_t line = 0;
    char **f = row(rd, &n, &line);
    cr_assert_str_eq(f[0], "k");
    f = row(rd, &n, &line);
    cr_assert_eq(line, 2);
    cr_assert_str_eq(f[1], "1,2");
    expect_end(rd);
    csv_destroy(&rd);
}

Test(csv, open_file_errors_name_the_file, .init = mk_tmp, .fini = rm_tmp)
{
    FILE *fp = fopen(tmpfile_path, "wb");
    cr_assert_not_null(fp);
    fputs("a\n\"b\n", fp);
    cr_assert_eq(fclose(fp), 0);

    csv_reader_t *rd = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(csv_open_file(&rd, tmpfile_path, err), ERR_OK, "%s", err);
    size_t n = 0;
    size_t line = 0;
    (void)row(rd, &n, &line);
    char want[160];
    snprintf(want, sizeof want, "%s:2:", tmpfile_path);
    expect_error(rd, want, "unterminated");
    csv_destroy(&rd);
}

Test(csv, open_missing_file_is_io_error, .init = mk_tmp, .fini = rm_tmp)
{
    csv_reader_t *rd = NULL;
    char err[ERR_LEN] = "";
    char path[160];
    snprintf(path, sizeof path, "%s/no-such.csv", tmpdir);
    cr_assert_eq(csv_open_file(&rd, path, err), ERR_IO);
    cr_assert_null(rd);
    cr_assert_not_null(strstr(err, path), "err: %s", err);
}

Test(csv, open_directory_is_io_error, .init = mk_tmp, .fini = rm_tmp)
{
    csv_reader_t *rd = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(csv_open_file(&rd, tmpdir, err), ERR_IO);
    cr_assert_null(rd);
    cr_assert_not_null(strstr(err, tmpdir), "err: %s", err);
}

/* Past CSV_MAX_FILE is malformed input (ERR_INVAL), like every file read
 * through common/file; a sparse file costs no disk. */
Test(csv, open_file_too_large_is_inval, .init = mk_tmp, .fini = rm_tmp)
{
    FILE *fp = fopen(tmpfile_path, "wb");
    cr_assert_not_null(fp);
    cr_assert_eq(ftruncate(fileno(fp), (off_t)CSV_MAX_FILE + 1), 0);
    cr_assert_eq(fclose(fp), 0);

    csv_reader_t *rd = NULL;
    char err[ERR_LEN] = "";
    char want[ERR_LEN];
    cr_assert_eq(csv_open_file(&rd, tmpfile_path, err), ERR_INVAL);
    cr_assert_null(rd);
    snprintf(want, sizeof want, "%s: file larger than %zu bytes",
             tmpfile_path, CSV_MAX_FILE);
    cr_assert_str_eq(err, want);
}
