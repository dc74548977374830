/* test_cdp.c: the browser tests' CDP client (tests/browser/cdp.c): its
 * JSON reader and base64 decoder, then the client itself on a page of
 * its own (a data: URL): eval, a real click, console errors and uncaught
 * exceptions caught, a screenshot that is a PNG. */
#define _GNU_SOURCE /* nftw */
#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cdp.h"

/* ---------------------------------------------------------------------- */
/* JSON reader                                                             */

static char *get(const char *json, const char *path, char *type)
{
    char *v = NULL;
    int rc = cdp_json_get(json, path, &v, type);
    cr_assert_eq(rc, ERR_OK, "%s in %s: %d", path, json, rc);
    cr_assert_not_null(v);
    return v;
}

Test(cdp_json, paths_types_and_raw_text)
{
    const char *j = " {\"id\": 7, \"result\": {\"result\": {\"type\": "
                    "\"string\", \"value\": \"ok\"}}, \"a\": [1, -2.5e3, "
                    "{\"b\": [true, false, null]}], \"o\": {}, \"e\": []}";
    char t = 0;
    char *v = get(j, "id", &t);
    cr_expect_str_eq(v, "7");
    cr_expect_eq(t, 'n');
    free(v);
    v = get(j, "result.result.value", &t);
    cr_expect_str_eq(v, "ok");
    cr_expect_eq(t, 's');
    free(v);
    v = get(j, "a.1", &t);
    cr_expect_str_eq(v, "-2.5e3");
    free(v);
    v = get(j, "a.2.b.0", &t);
    cr_expect_eq(t, 't');
    free(v);
    v = get(j, "a.2.b.2", &t);
    cr_expect_str_eq(v, "null");
    cr_expect_eq(t, 'z');
    free(v);
    v = get(j, "a.2", &t);
    cr_expect_str_eq(v, "{\"b\": [true, false, null]}");
    cr_expect_eq(t, 'o');
    free(v);
    v = get(j, "e", &t);
    cr_expect_str_eq(v, "[]");
    cr_expect_eq(t, 'a');
    free(v);
    v = get(j, "", &t);
    cr_expect_eq(t, 'o');
    free(v);
}

Test(cdp_json, absent_is_notfound)
{
    const char *j = "{\"a\": {\"b\": 1}, \"c\": [0, 1], \"o\": {}}";
    char *v = (char *)1;
    cr_expect_eq(cdp_json_get(j, "x", &v, NULL), ERR_NOTFOUND);
    cr_expect_null(v);
    cr_expect_eq(cdp_json_get(j, "a.c", &v, NULL), ERR_NOTFOUND);
    cr_expect_eq(cdp_json_get(j, "a.b.c", &v, NULL), ERR_NOTFOUND);
    cr_expect_eq(cdp_json_get(j, "c.2", &v, NULL), ERR_NOTFOUND);
    cr_expect_eq(cdp_json_get(j, "c.x", &v, NULL), ERR_NOTFOUND);
    cr_expect_eq(cdp_json_get(j, "c.-1", &v, NULL), ERR_NOTFOUND);
    cr_expect_eq(cdp_json_get(j, "o.a", &v, NULL), ERR_NOTFOUND);
    /* A member's name is matched whole, not as a prefix. */
    cr_expect_eq(cdp_json_get("{\"ab\": 1}", "a", &v, NULL), ERR_NOTFOUND);
}

Test(cdp_json, broken_text_is_inval)
{
    static const char *const bad[] = {
        "{\"a\": 1, \"b\": ",    "{\"a\" 1, \"b\": 2}",
        "{\"a\": tru, \"b\": 2}", "{\"a\": \"x, \"b\": 2}",
        "{\"a\": [1, 2, \"b\": 2}", "{\"a\": \"\\q\", \"b\": 2}",
        "{\"a\": \"\\u12G4\", \"b\": 1}", "{\"a\": -, \"b\": 2}",
        "{\"a\": \"tab\there\", \"b\": 2}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *v = NULL;
        cr_expect_eq(cdp_json_get(bad[i], "b", &v, NULL), ERR_INVAL, "%s",
                     bad[i]);
        cr_expect_null(v);
    }
    char *v = NULL;
    cr_expect_eq(cdp_json_get("{\"a\": \"x", "a", &v, NULL), ERR_INVAL);
    cr_expect_eq(cdp_json_get("", "", &v, NULL), ERR_INVAL);
}

Test(cdp_json, string_escapes_to_utf8)
{
    const char *j = "{\"s\": \"q\\\"b\\\\s\\/n\\nt\\tr\\rb\\bf\\f\", "
                    "\"u\": \"\\u00e9\\u676d\\u5dde\", "
                    "\"raw\": \"杭州市\", "
                    "\"pair\": \"\\ud83d\\ude00!\", "
                    "\"lone\": \"a\\ud83db\\ude00c\", "
                    "\"nul\": \"x\\u0000y\"}";
    char *v = get(j, "s", NULL);
    cr_expect_str_eq(v, "q\"b\\s/n\nt\tr\rb\bf\f");
    free(v);
    v = get(j, "u", NULL);
    cr_expect_str_eq(v, "é杭州");
    free(v);
    v = get(j, "raw", NULL);
    cr_expect_str_eq(v, "杭州市");
    free(v);
    v = get(j, "pair", NULL);
    cr_expect_str_eq(v, "\xF0\x9F\x98\x80!");
    free(v);
    v = get(j, "lone", NULL);
    cr_expect_str_eq(v, "a\xEF\xBF\xBD" "b\xEF\xBF\xBD" "c");
    free(v);
    /* Escapes in member names are decoded before matching. */
    v = get("{\"\\u0061b\": 3}", "ab", NULL);
    cr_expect_str_eq(v, "3");
    free(v);
    v = get(j, "nul", NULL);
    cr_expect_str_eq(v, "x"); /* a NUL ends the C string */
    free(v);
}

/* ---------------------------------------------------------------------- */
/* base64                                                                  */

static void b64_is(const char *in, const char *want)
{
    unsigned char out[64];
    long n = cdp_base64_decode(in, strlen(in), out, sizeof out);
    cr_assert_eq(n, (long)strlen(want), "%s: %ld", in, n);
    cr_expect_eq(memcmp(out, want, (size_t)n), 0, "%s", in);
}

Test(cdp_base64, rfc4648_vectors)
{
    b64_is("", "");
    b64_is("Zg==", "f");
    b64_is("Zm8=", "fo");
    b64_is("Zm9v", "foo");
    b64_is("Zm9vYg==", "foob");
    b64_is("Zm9vYmE=", "fooba");
    b64_is("Zm9vYmFy", "foobar");
    b64_is("Zm9vYg", "foob"); /* padding is optional */
    unsigned char out[8];
    long n = cdp_base64_decode("iVBORw0KGgo=", 12, out, sizeof out);
    cr_assert_eq(n, 8);
    cr_expect_eq(memcmp(out, "\x89PNG\r\n\x1a\n", 8), 0);
    n = cdp_base64_decode("+/+/", 4, out, sizeof out);
    cr_assert_eq(n, 3);
    cr_expect_eq(memcmp(out, "\xfb\xff\xbf", 3), 0);
}

Test(cdp_base64, refuses_what_is_not_base64)
{
    static const char *const bad[] = {"Zg=", "Z", "Zm9vY", "Zm9v!A==",
                                      "Zm 9v", "Zh==", "Zm9=", "Z===",
                                      "=Zm9v", "Zg==Zg=="};
    unsigned char out[64];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        cr_expect_eq(cdp_base64_decode(bad[i], strlen(bad[i]), out,
                                       sizeof out),
                     -1, "%s", bad[i]);
    }
    /* Too small a buffer. */
    cr_expect_eq(cdp_base64_decode("Zm9vYmFy", 8, out, 5), -1);
}

/* ---------------------------------------------------------------------- */
/* the client, on a page of its own                                        */

static char dir[256];

static int rm_one(const char *path, const struct stat *sb, int flag,
                  struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/hrss-cdp-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    if (getenv("HRSS_KEEP_TEST_DIRS") == NULL) {
        nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    }
}

/* A button that counts real clicks; a script that logs an error and
 * throws when asked. */
static const char page[] =
    "data:text/html;charset=utf-8,"
    "<!doctype html><title>t</title>"
    "<button id=b style='position:absolute;left:100px;top:200px;"
    "width:80px;height:40px'>杭州</button>"
    "<script>var n=0;"
    "document.getElementById('b').addEventListener('click',function(e){"
    "n+=e.isTrusted?1:100;});"
    "document.body.dataset.ready='t';</script>";

#define MS 30000

Test(cdp_client, eval_click_errors_screenshot, .init = setup,
     .fini = teardown, .timeout = 120)
{
    char err[ERR_LEN];
    cdp_t *c = NULL;
    int rc = cdp_open(&c, dir, MS, err);
    cr_assert_eq(rc, ERR_OK, "%s", err);
    cr_assert_eq(cdp_navigate(c, page, MS, err), ERR_OK, "%s", err);
    cr_assert_eq(cdp_wait(c, "document.body.dataset.ready === 't'", MS, err),
                 ERR_OK, "%s", err);
    char *v = NULL;
    cr_assert_eq(cdp_eval(c, "document.getElementById('b').textContent", &v,
                          MS, err),
                 ERR_OK, "%s", err);
    cr_expect_str_eq(v, "杭州");
    free(v);
    cr_assert_eq(cdp_eval(c, "Promise.resolve(6 * 7)", &v, MS, err), ERR_OK,
                 "%s", err);
    cr_expect_str_eq(v, "42");
    free(v);
    cr_assert_eq(cdp_eval(c, "undefined", &v, MS, err), ERR_OK, "%s", err);
    cr_expect_str_eq(v, "undefined");
    free(v);
    cr_expect_eq(cdp_eval(c, "nope.x", &v, MS, err), ERR_PROTO);
    cr_expect(strstr(err, "nope") != NULL, "%s", err);
    cr_expect_null(v);
    cr_expect_eq(cdp_wait(c, "false", 200, err), ERR_TIMEOUT);
    cr_expect_eq(cdp_error_count(c), 0, "%s", cdp_errors(c));

    /* A click on the button's middle, one trusted click. */
    cr_assert_eq(cdp_click(c, 140, 220, MS, err), ERR_OK, "%s", err);
    cr_assert_eq(cdp_wait(c, "n === 1", MS, err), ERR_OK, "%s", err);
    /* Outside it: nothing. */
    cr_assert_eq(cdp_click(c, 10, 10, MS, err), ERR_OK, "%s", err);
    cr_assert_eq(cdp_eval(c, "String(n)", &v, MS, err), ERR_OK, "%s", err);
    cr_expect_str_eq(v, "1");
    free(v);

    /* console.error and an uncaught exception, from a later task. */
    cr_assert_eq(cdp_eval(c,
                          "setTimeout(function(){console.error('bad', 3);"
                          "throw new Error('boom');}, 0); 'ok'",
                          NULL, MS, err),
                 ERR_OK, "%s", err);
    cr_assert_eq(cdp_wait(c, "true", MS, err), ERR_OK, "%s", err);
    /* The events may trail the answer: wait on the count itself. */
    for (int i = 0; i < 300 && cdp_error_count(c) < 2; i++) {
        cr_assert_eq(cdp_eval(c, "1", NULL, MS, err), ERR_OK, "%s", err);
    }
    cr_expect_eq(cdp_error_count(c), 2, "%s", cdp_errors(c));
    cr_expect(strstr(cdp_errors(c), "console.error: bad 3") != NULL, "%s",
              cdp_errors(c));
    cr_expect(strstr(cdp_errors(c), "exception: ") != NULL &&
                  strstr(cdp_errors(c), "boom") != NULL,
              "%s", cdp_errors(c));
    cdp_clear_errors(c);
    cr_expect_eq(cdp_error_count(c), 0);
    cr_expect_str_eq(cdp_errors(c), "");

    char png[300];
    snprintf(png, sizeof png, "%s/shot.png", dir);
    cr_assert_eq(cdp_screenshot(c, png, MS, err), ERR_OK, "%s", err);
    FILE *f = fopen(png, "rb");
    cr_assert_not_null(f);
    unsigned char head[24];
    cr_assert_eq(fread(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    cr_expect_eq(memcmp(head, "\x89PNG\r\n\x1a\n", 8), 0);
    /* IHDR: width and height, big-endian, at 16 and 20. */
    unsigned w = (unsigned)head[16] << 24 | (unsigned)head[17] << 16 |
                 (unsigned)head[18] << 8 | head[19];
    unsigned h = (unsigned)head[20] << 24 | (unsigned)head[21] << 16 |
                 (unsigned)head[22] << 8 | head[23];
    cr_expect_eq(w, CDP_WIDTH);
    cr_expect_eq(h, CDP_HEIGHT);
    cdp_destroy(&c);
    cr_expect_null(c);
    cdp_destroy(&c); /* twice is harmless */
    /* The profile is gone with the browser. */
    char cmd[400];
    snprintf(cmd, sizeof cmd, "ls -d %s/chromium-* >/dev/null 2>&1", dir);
    cr_expect_neq(system(cmd), 0, "a profile directory was left in %s", dir);
}

/* What the dashboard's server forbids (WEB-SPEC.md's CSP: no inline
 * script) must show up as an error: test_dashboard relies on it. */
static const char csp_page[] =
    "data:text/html;charset=utf-8,"
    "<!doctype html><meta http-equiv='Content-Security-Policy' "
    "content=\"default-src 'self' data:\">"
    "<script>document.title='ran';</script>";

Test(cdp_client, csp_violation_is_an_error, .init = setup,
     .fini = teardown, .timeout = 120)
{
    char err[ERR_LEN];
    cdp_t *c = NULL;
    int rc = cdp_open(&c, dir, MS, err);
    cr_assert_eq(rc, ERR_OK, "%s", err);
    cr_assert_eq(cdp_navigate(c, csp_page, MS, err), ERR_OK, "%s", err);
    cr_assert_eq(cdp_wait(c, "document.readyState === 'complete'", MS, err),
                 ERR_OK, "%s", err);
    for (int i = 0; i < 300 && cdp_error_count(c) < 1; i++) {
        cr_assert_eq(cdp_eval(c, "1", NULL, MS, err), ERR_OK, "%s", err);
    }
    char *v = NULL;
    cr_assert_eq(cdp_eval(c, "document.title", &v, MS, err), ERR_OK);
    cr_expect_str_neq(v, "ran", "the inline script ran despite the CSP");
    free(v);
    cr_expect_geq(cdp_error_count(c), 1, "no error for the CSP violation");
    cr_expect(strstr(cdp_errors(c), "Content Security Policy") != NULL, "%s",
              cdp_errors(c));
    cdp_destroy(&c);
}

Test(cdp_client, no_browser_names_the_package, .init = setup,
     .fini = teardown)
{
    setenv("HRSS_CHROMIUM", "/nonexistent/chromium", 1);
    char err[ERR_LEN];
    cdp_t *c = NULL;
    cr_expect_eq(cdp_open(&c, dir, MS, err), ERR_NOTFOUND);
    cr_expect_null(c);
    cr_expect(strstr(err, "/nonexistent/chromium") != NULL, "%s", err);
    cr_expect(strstr(err, "package chromium") != NULL, "%s", err);
}
