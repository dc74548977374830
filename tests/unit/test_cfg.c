/* test_cfg.c: the INI reader in common/cfg.c.
 *
 * Each test writes its config into a fresh mkdtemp directory under /tmp,
 * which the fixture removes even when an assertion fails, and checks
 * values or the exact "PATH:LINE: reason" message.
 *
 * INVARIANTS
 *   1. Every cfg a test loads is destroyed in that test.
 *   2. Tests leave nothing behind in /tmp (fini unlinks every file that
 *      write_cfg() made, then the directory).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cfg.h"
#include "common/mem.h"

#define MAX_FILES 8

static char tmpdir[64];
static char files[MAX_FILES][128];
static size_t n_files;

static void mk_tmp(void)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/hrss_cfg_XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir));
    n_files = 0;
}

static void rm_tmp(void)
{
    for (size_t i = 0; i < n_files; i++) {
        unlink(files[i]);
    }
    rmdir(tmpdir);
}

/* Write @p len bytes to file @p name in tmpdir (replacing it); returns
 * its path, valid until the test ends. */
static const char *write_bytes(const char *name, const char *data,
                               size_t len)
{
    char want[128];
    char *path = NULL;
    snprintf(want, sizeof want, "%s/%s", tmpdir, name);
    for (size_t i = 0; i < n_files; i++) {
        if (strcmp(files[i], want) == 0) {
            path = files[i];
        }
    }
    if (path == NULL) {
        cr_assert_lt(n_files, MAX_FILES);
        path = files[n_files++];
        memcpy(path, want, sizeof want);
    }
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    cr_assert_eq(fwrite(data, 1, len, f), len);
    cr_assert_eq(fclose(f), 0);
    return path;
}

static const char *write_cfg(const char *text)
{
    return write_bytes("hrss.conf", text, strlen(text));
}

static cfg_t *load_ok(const char *path)
{
    cfg_t *cfg = NULL;
    char err[ERR_LEN] = "";
    int rc = cfg_load(&cfg, path, err);
    cr_assert_eq(rc, ERR_OK, "cfg_load: %d %s", rc, err);
    cr_assert_not_null(cfg);
    return cfg;
}

/* Load @p text, expect ERR_INVAL and the message "PATH:" + @p tail. */
static void expect_error(const char *text, const char *tail)
{
    const char *path = write_cfg(text);
    cfg_t *cfg = (cfg_t *)0x1; /* must stay untouched */
    char err[ERR_LEN] = "";
    char want[ERR_LEN];
    int rc = cfg_load(&cfg, path, err);
    cr_assert_eq(rc, ERR_INVAL);
    cr_assert_eq(cfg, (cfg_t *)0x1);
    snprintf(want, sizeof want, "%s:%s", path, tail);
    cr_assert_str_eq(err, want);
}

TestSuite(cfg, .init = mk_tmp, .fini = rm_tmp);

Test(cfg, sections_and_global_keys)
{
    cfg_t *cfg = load_ok(write_cfg("log-level = info\n"
                                   "data-dir = /var/lib/hrss\n"
                                   "\n"
                                   "[agent]\n"
                                   "collector = tcp://10.0.0.1:5555\n"
                                   "log-level = debug\n"
                                   "[collector]\n"
                                   "bind = tcp://*:5555\n"));
    cr_assert_str_eq(cfg_get(cfg, "agent", "collector"),
                     "tcp://10.0.0.1:5555");
    cr_assert_str_eq(cfg_get(cfg, "agent", "log-level"), "debug");
    cr_assert_str_eq(cfg_get(cfg, "collector", "bind"), "tcp://*:5555");
    /* A section's keys are not visible from another section. */
    cr_assert_null(cfg_get(cfg, "collector", "collector"));
    cr_assert_null(cfg_get(cfg, "agent", "bind"));
    cr_assert_null(cfg_get(cfg, "agent", "missing"));
    cfg_destroy(&cfg);
    cr_assert_null(cfg);
    cfg_destroy(&cfg); /* twice is harmless */
    cfg_destroy(NULL);
}

Test(cfg, global_keys_are_the_fallback)
{
    cfg_t *cfg = load_ok(write_cfg("log-level = info\n"
                                   "data-dir = /var/lib/hrss\n"
                                   "[agent]\n"
                                   "log-level = debug\n"));
    cr_assert_str_eq(cfg_get(cfg, "collector", "log-level"), "info");
    cr_assert_str_eq(cfg_get(cfg, "agent", "data-dir"), "/var/lib/hrss");
    cr_assert_str_eq(cfg_get(cfg, "nosuch", "data-dir"), "/var/lib/hrss");
    cr_assert_str_eq(cfg_get(cfg, NULL, "log-level"), "info");
    cr_assert_str_eq(cfg_get(cfg, "", "log-level"), "info");
    /* Section keys never leak into the global section. */
    cfg_destroy(&cfg);
    cfg = load_ok(write_cfg("[agent]\nregion = 330100\n"));
    cr_assert_null(cfg_get(cfg, NULL, "region"));
    cr_assert_str_eq(cfg_get(cfg, "agent", "region"), "330100");
    cfg_destroy(&cfg);
}

Test(cfg, spaces_trimmed_and_empty_values)
{
    cfg_t *cfg = load_ok(write_cfg("  a=1\n"
                                   "b\t=\t two words \t\n"
                                   "empty =\n"
                                   "empty2=   \n"
                                   "[ agent ]\n"
                                   "c = 3\n"));
    cr_assert_str_eq(cfg_get(cfg, NULL, "a"), "1");
    cr_assert_str_eq(cfg_get(cfg, NULL, "b"), "two words");
    cr_assert_str_eq(cfg_get(cfg, NULL, "empty"), "");
    cr_assert_str_eq(cfg_get(cfg, NULL, "empty2"), "");
    cr_assert_str_eq(cfg_get(cfg, "agent", "c"), "3");
    cfg_destroy(&cfg);
}

Test(cfg, quoted_values)
{
    cfg_t *cfg = load_ok(write_cfg("name = \"  padded  \"\n"
                                   "esc = \"say \\\"hi\\\" \\\\ ok\"\n"
                                   "none = \"\"\n"
                                   "hash = \"a # b ; c\"  \n"
                                   "inner = a \"b\" c\n"));
    cr_assert_str_eq(cfg_get(cfg, NULL, "name"), "  padded  ");
    cr_assert_str_eq(cfg_get(cfg, NULL, "esc"), "say \"hi\" \\ ok");
    cr_assert_str_eq(cfg_get(cfg, NULL, "none"), "");
    cr_assert_str_eq(cfg_get(cfg, NULL, "hash"), "a # b ; c");
    /* Only a value that starts with a quote is unquoted. */
    cr_assert_str_eq(cfg_get(cfg, NULL, "inner"), "a \"b\" c");
    cfg_destroy(&cfg);
}

Test(cfg, comments_and_crlf)
{
    cfg_t *cfg = load_ok(write_cfg("# leading comment\r\n"
                                   "; another\r\n"
                                   "   # indented comment\r\n"
                                   "\r\n"
                                   "[agent]\r\n"
                                   "password = s3cr#t;x\r\n"
                                   "#port = 1\r\n"
                                   "port = 2\r\n"));
    /* No inline comments: '#' and ';' inside a value are kept. */
    cr_assert_str_eq(cfg_get(cfg, "agent", "password"), "s3cr#t;x");
    cr_assert_str_eq(cfg_get(cfg, "agent", "port"), "2");
    cr_assert_null(cfg_get(cfg, "agent", "#port"));
    cfg_destroy(&cfg);
}

Test(cfg, empty_file_and_last_line_without_newline)
{
    cfg_t *cfg = load_ok(write_cfg(""));
    cr_assert_null(cfg_get(cfg, NULL, "x"));
    cfg_destroy(&cfg);
    cfg = load_ok(write_cfg("[a]\nx = 1"));
    cr_assert_str_eq(cfg_get(cfg, "a", "x"), "1");
    cfg_destroy(&cfg);
}

Test(cfg, same_key_in_other_sections_and_reopened_section)
{
    cfg_t *cfg = load_ok(write_cfg("port = 1\n"
                                   "[agent]\n"
                                   "port = 2\n"
                                   "[collector]\n"
                                   "port = 3\n"
                                   "[agent]\n"
                                   "region = 330100\n"));
    cr_assert_str_eq(cfg_get(cfg, NULL, "port"), "1");
    cr_assert_str_eq(cfg_get(cfg, "agent", "port"), "2");
    cr_assert_str_eq(cfg_get(cfg, "collector", "port"), "3");
    cr_assert_str_eq(cfg_get(cfg, "agent", "region"), "330100");
    cfg_destroy(&cfg);
}

Test(cfg, many_keys)
{
    /* Enough keys to grow the index several times. */
    char *text = xcalloc(1, 64 * 1000 + 1);
    size_t len = 0;
    char key[32];
    for (int i = 0; i < 1000; i++) {
        len += (size_t)snprintf(text + len, 64, "k%d = v%d\n", i, i);
    }
    cfg_t *cfg = load_ok(write_cfg(text));
    for (int i = 0; i < 1000; i += 37) {
        char want[32];
        snprintf(key, sizeof key, "k%d", i);
        snprintf(want, sizeof want, "v%d", i);
        cr_assert_str_eq(cfg_get(cfg, NULL, key), want);
    }
    cr_assert_null(cfg_get(cfg, NULL, "k1000"));
    cfg_destroy(&cfg);
    free(text);
}

/* The index keys (section, key) pairs: a pair that spells the same
 * letters as another is still another key. */
Test(cfg, section_and_key_pairs_stay_apart)
{
    cfg_t *cfg = load_ok(write_cfg("[ab]\nc = 1\n[a]\nbc = 2\n"
                                   "[abc]\nx = 3\n"));
    cr_assert_str_eq(cfg_get(cfg, "ab", "c"), "1");
    cr_assert_str_eq(cfg_get(cfg, "a", "bc"), "2");
    cr_assert_null(cfg_get(cfg, "a", "c"));
    cr_assert_null(cfg_get(cfg, "ab", "bc"));
    cr_assert_null(cfg_get(cfg, "abc", "c"));
    cr_assert_str_eq(cfg_get(cfg, "abc", "x"), "3");
    cfg_destroy(&cfg);
}

Test(cfg, duplicate_key_is_an_error_with_its_line)
{
    expect_error("[agent]\n"
                 "region = 330100\n"
                 "\n"
                 "region = 330200\n",
                 "4: duplicate key 'region' in section [agent] "
                 "(first on line 2)");
    expect_error("a = 1\n# c\na = 2\n",
                 "3: duplicate key 'a' in the global section "
                 "(first on line 1)");
    /* Reopening a section does not make a key new again. */
    expect_error("[agent]\nport = 1\n[collector]\n[agent]\nport = 2\n",
                 "5: duplicate key 'port' in section [agent] "
                 "(first on line 2)");
}

Test(cfg, bad_lines)
{
    expect_error("a = 1\njust some text\n", "2: expected key = value");
    expect_error("= value\n", "1: expected key = value");
    expect_error("[agent\nx = 1\n", "1: unterminated section header");
    expect_error("x = 1\n\n[agent] extra\n", "3: text after section header");
    expect_error("[]\n",
                 "1: bad section name '' (expected letters, digits, '_', "
                 "'.', '-')");
    expect_error("[a b]\n",
                 "1: bad section name 'a b' (expected letters, digits, "
                 "'_', '.', '-')");
    expect_error("bad key = 1\n",
                 "1: bad key 'bad key' (expected letters, digits, '_', "
                 "'.', '-')");
    expect_error("k = \"open\n", "1: unterminated quoted value");
    expect_error("k = \"a\" b\n", "1: text after closing quote");
}

Test(cfg, nul_byte_is_an_error)
{
    const char *path = write_bytes("nul.conf", "a = 1\nb = x\0y\n", 13);
    cfg_t *cfg = NULL;
    char err[ERR_LEN] = "";
    char want[ERR_LEN];
    cr_assert_eq(cfg_load(&cfg, path, err), ERR_INVAL);
    cr_assert_null(cfg);
    snprintf(want, sizeof want, "%s:2: NUL byte", path);
    cr_assert_str_eq(err, want);
}

Test(cfg, line_length_limit)
{
    char *text = xcalloc(1, 4200);
    memcpy(text, "k = ", 4);
    memset(text + 4, 'v', 4092); /* exactly 4096 bytes */
    memcpy(text + 4096, "\r\n", 2);
    cfg_t *cfg = load_ok(write_cfg(text));
    cr_assert_eq(strlen(cfg_get(cfg, NULL, "k")), 4092);
    cfg_destroy(&cfg);

    memset(text, 0, 4200);
    memcpy(text, "a = 1\nk = ", 10);
    memset(text + 10, 'v', 4093); /* line 2 is 4097 bytes */
    text[10 + 4093] = '\n';
    expect_error(text, "2: line longer than 4096 bytes");
    free(text);
}

Test(cfg, file_size_limit)
{
    size_t big = (1u << 20) + 1;
    char *text = xmalloc(big);
    memset(text, '\n', big);
    const char *path = write_bytes("big.conf", text, big);
    cfg_t *cfg = NULL;
    char err[ERR_LEN] = "";
    char want[ERR_LEN];
    cr_assert_eq(cfg_load(&cfg, path, err), ERR_INVAL);
    cr_assert_null(cfg);
    snprintf(want, sizeof want, "%s: file larger than 1048576 bytes", path);
    cr_assert_str_eq(err, want);

    /* Exactly 1 MiB is fine. */
    path = write_bytes("max.conf", text, big - 1);
    cr_assert_eq(cfg_load(&cfg, path, err), ERR_OK, "%s", err);
    cfg_destroy(&cfg);
    free(text);
}

Test(cfg, missing_file_is_io_error)
{
    cfg_t *cfg = (cfg_t *)0x1;
    char err[ERR_LEN] = "";
    char path[128];
    char want[ERR_LEN];
    snprintf(path, sizeof path, "%s/nope.conf", tmpdir);
    cr_assert_eq(cfg_load(&cfg, path, err), ERR_IO);
    cr_assert_eq(cfg, (cfg_t *)0x1);
    snprintf(want, sizeof want, "%s: No such file or directory", path);
    cr_assert_str_eq(err, want);
}

Test(cfg, unknown_key)
{
    static const char *const known[] = {"collector", "region", "log-level",
                                        NULL};
    int line = -1;
    cfg_t *cfg = load_ok(write_cfg("log-level = info\n"
                                   "[collector]\n"
                                   "bind = tcp://*:5555\n"
                                   "[agent]\n"
                                   "collector = tcp://h:5555\n"
                                   "regoin = 330100\n"
                                   "also-bad = 1\n"));
    cr_assert_str_eq(cfg_unknown_key(cfg, "agent", known, &line), "regoin");
    cr_assert_eq(line, 6);
    /* Keys of other sections are not checked; global ones are. */
    static const char *const known2[] = {"bind", NULL};
    line = -1;
    cr_assert_str_eq(cfg_unknown_key(cfg, "collector", known2, &line),
                     "log-level");
    cr_assert_eq(line, 1);
    static const char *const known3[] = {"bind", "log-level", NULL};
    line = -1;
    cr_assert_null(cfg_unknown_key(cfg, "collector", known3, &line));
    cr_assert_eq(line, 0);
    /* The global section alone. */
    static const char *const none[] = {NULL};
    cr_assert_str_eq(cfg_unknown_key(cfg, NULL, none, NULL), "log-level");
    cfg_destroy(&cfg);
}

Test(cfg, bool_values)
{
    cr_assert_eq(cfg_bool("1"), 1);
    cr_assert_eq(cfg_bool("true"), 1);
    cr_assert_eq(cfg_bool("yes"), 1);
    cr_assert_eq(cfg_bool("on"), 1);
    cr_assert_eq(cfg_bool("TRUE"), 1);
    cr_assert_eq(cfg_bool("Yes"), 1);
    cr_assert_eq(cfg_bool("0"), 0);
    cr_assert_eq(cfg_bool("false"), 0);
    cr_assert_eq(cfg_bool("no"), 0);
    cr_assert_eq(cfg_bool("off"), 0);
    cr_assert_eq(cfg_bool("OFF"), 0);
    cr_assert_eq(cfg_bool(""), -1);
    cr_assert_eq(cfg_bool("2"), -1);
    cr_assert_eq(cfg_bool("yess"), -1);
    cr_assert_eq(cfg_bool(" yes"), -1);
    cr_assert_eq(cfg_bool(NULL), -1);
}

/* cfg_load_mem() parses bytes as cfg_load() parses the file holding them,
 * with the given name in messages, and never writes to the caller's
 * bytes. */
Test(cfg, load_mem_same_as_file)
{
    static const char text[] = "log-level = info\r\n"
                               "[agent]\n"
                               "name = \"a \\\"b\\\"\"\n"
                               "region = 330100"; /* no final newline */
    char copy[sizeof text];
    memcpy(copy, text, sizeof text);
    cfg_t *cfg = NULL;
    char err[ERR_LEN] = "";
    cr_assert_eq(cfg_load_mem(&cfg, "mem.ini", copy, sizeof text - 1, err),
                 ERR_OK, "%s", err);
    cr_assert_str_eq(cfg_get(cfg, "agent", "log-level"), "info");
    cr_assert_str_eq(cfg_get(cfg, "agent", "name"), "a \"b\"");
    cr_assert_str_eq(cfg_get(cfg, "agent", "region"), "330100");
    cr_assert_eq(memcmp(copy, text, sizeof text), 0);
    cfg_destroy(&cfg);

    /* Nothing at all is an empty config. */
    cr_assert_eq(cfg_load_mem(&cfg, "empty", NULL, 0, err), ERR_OK);
    cr_assert_null(cfg_get(cfg, NULL, "x"));
    cfg_destroy(&cfg);
}

Test(cfg, load_mem_errors)
{
    cfg_t *cfg = (cfg_t *)0x1; /* must stay untouched */
    char err[ERR_LEN] = "";
    static const char nul[] = "a = 1\nb = x\0y\n";
    cr_assert_eq(cfg_load_mem(&cfg, "mem.ini", nul, sizeof nul - 1, err),
                 ERR_INVAL);
    cr_assert_eq(cfg, (cfg_t *)0x1);
    cr_assert_str_eq(err, "mem.ini:2: NUL byte");

    static const char dup[] = "[s]\nk = 1\nk = 2\n";
    cr_assert_eq(cfg_load_mem(&cfg, "d", dup, sizeof dup - 1, err),
                 ERR_INVAL);
    cr_assert_str_eq(err, "d:3: duplicate key 'k' in section [s] "
                          "(first on line 2)");

    /* A line that ends exactly at the end of the bytes, with no room
     * after it in the caller's buffer, is read without overrun (ASan). */
    char *tight = xmalloc(5);
    memcpy(tight, "[a b]", 5);
    cr_assert_eq(cfg_load_mem(&cfg, "t", tight, 5, err), ERR_INVAL);
    cr_assert_str_eq(err, "t:1: bad section name 'a b' (expected letters, "
                          "digits, '_', '.', '-')");
    free(tight);

    size_t big = ((size_t)1 << 20) + 1;
    char *huge = xcalloc(big, 1);
    memset(huge, '#', big);
    cr_assert_eq(cfg_load_mem(&cfg, "big.ini", huge, big, err), ERR_INVAL);
    cr_assert_str_eq(err, "big.ini: file larger than 1048576 bytes");
    cr_assert_eq(cfg, (cfg_t *)0x1);
    free(huge);
}
