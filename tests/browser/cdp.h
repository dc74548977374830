/** @file cdp.h
 *  @brief A small Chrome DevTools Protocol client for the browser tests:
 *         headless Chromium driven over --remote-debugging-pipe.
 *
 *  No WebSocket and no port: the browser reads commands from its fd 3 and
 *  writes answers and events to its fd 4, each message one JSON text
 *  ended by a NUL byte. The client attaches to one page (flat session)
 *  and sends every command but Browser.close to it.
 *
 *  While it waits for an answer the client reads every event on the way
 *  and keeps, as text lines, the ones that mean the page went wrong: an
 *  uncaught exception (Runtime.exceptionThrown), console.error and
 *  console.assert (Runtime.consoleAPICalled), a browser log entry of
 *  level "error" (Log.entryAdded: failed loads, CSP violations), a
 *  crashed or detached page. cdp_errors() gives them to the test.
 *
 *  Owns: the browser process (its own process group), the two pipes, a
 *  fresh profile directory under the caller's directory, all removed by
 *  cdp_destroy(). Not thread-safe; never use a cdp_t across fork().
 *
 *  Every call takes a timeout in milliseconds: nothing here waits longer.
 */
#ifndef HRSS_TEST_CDP_H
#define HRSS_TEST_CDP_H
#include <stddef.h>

#include "common/err.h"

/** Where the browser is, unless $HRSS_CHROMIUM names another. */
#define CDP_CHROMIUM "/usr/bin/chromium"
/** The Debian package that has it. */
#define CDP_CHROMIUM_PACKAGE "chromium"
/** The viewport every page is shown in (CSS pixels, scale 1). */
#define CDP_WIDTH 1400
#define CDP_HEIGHT 1000

typedef struct cdp cdp_t;

/** The browser's path: $HRSS_CHROMIUM when set and not empty, else
 *  CDP_CHROMIUM. Borrowed; valid until the environment changes. */
const char *cdp_chromium_path(void);

/** Start headless Chromium with a new profile in a directory made under
 *  @p dir, its stderr appended to DIR/chromium.log, and attach to a page
 *  showing about:blank with Page, Runtime and Log events enabled.
 *  @param[out] out  Receives the handle on success; untouched on failure.
 *  @param[in]  dir  An existing directory (the test's own).
 *  @param[out] err  On failure: why.
 *  @return ERR_OK, ERR_NOTFOUND (no browser at cdp_chromium_path()),
 *          ERR_IO, ERR_PROTO, ERR_TIMEOUT. On failure nothing is left
 *          running and the profile is removed.
 *  Caller owns *out and must cdp_destroy() it. */
int cdp_open(cdp_t **out, const char *dir, int timeout_ms,
             char err[ERR_LEN]);

/** Close the browser (Browser.close; SIGKILL to its process group if it
 *  has not exited within a few seconds), reap it, remove the profile and
 *  set *self_p to NULL. No-op when *self_p is NULL. */
void cdp_destroy(cdp_t **self_p);

/** Send one command to the page and read messages until its answer,
 *  keeping the error events read on the way.
 *  @param[in]  method  e.g. "Page.navigate".
 *  @param[in]  params  A JSON object's text, or NULL for none.
 *  @param[out] reply   When not NULL: the whole answer message (with
 *                      "result" or "error"), NUL-terminated. Caller owns
 *                      it and must free() it. NULL on failure.
 *  @return ERR_OK, ERR_PROTO (the answer is an "error"; @p err has its
 *          message), ERR_IO (the browser went away), ERR_TIMEOUT. */
int cdp_call(cdp_t *c, const char *method, const char *params, char **reply,
             int timeout_ms, char err[ERR_LEN]);

/** Evaluate @p expr in the page (Runtime.evaluate, awaiting a promise,
 *  returned by value).
 *  @param[out] value  When not NULL: a string result decoded to UTF-8,
 *                     any other result as its JSON text ("12", "true",
 *                     "null", "{...}"), "undefined" for undefined.
 *                     Caller owns it and must free() it; NULL on failure.
 *  @return ERR_OK; ERR_PROTO when the expression threw (the exception's
 *          text in @p err); cdp_call()'s errors. */
int cdp_eval(cdp_t *c, const char *expr, char **value, int timeout_ms,
             char err[ERR_LEN]);

/** Evaluate @p expr until it gives "true" (a string or a boolean), a few
 *  milliseconds apart, or the timeout passes. An expression that throws
 *  counts as not yet true.
 *  @return ERR_OK, ERR_TIMEOUT (@p err has the last value or exception),
 *          ERR_IO. */
int cdp_wait(cdp_t *c, const char *expr, int timeout_ms, char err[ERR_LEN]);

/** Page.navigate to @p url; returns once the browser has committed the
 *  navigation (not when the page's scripts are done: wait for that).
 *  @return ERR_OK, ERR_PROTO (the answer's errorText, e.g. refused),
 *          cdp_call()'s errors. */
int cdp_navigate(cdp_t *c, const char *url, int timeout_ms,
                 char err[ERR_LEN]);

/** A real left click at viewport point (@p x, @p y): mouse moved there,
 *  pressed, released (Input.dispatchMouseEvent, trusted events).
 *  @return cdp_call()'s codes. */
int cdp_click(cdp_t *c, double x, double y, int timeout_ms,
              char err[ERR_LEN]);

/** Save the viewport as a PNG at @p path (Page.captureScreenshot).
 *  @return ERR_OK, ERR_PROTO (not base64), ERR_IO (cannot write @p path;
 *          errno's text in @p err), cdp_call()'s errors. */
int cdp_screenshot(cdp_t *c, const char *path, int timeout_ms,
                   char err[ERR_LEN]);

/** The error events seen so far, one line each ("" when none). Borrowed;
 *  valid until the next call on @p c. */
const char *cdp_errors(const cdp_t *c);

/** How many error events were seen since the last cdp_clear_errors(). */
size_t cdp_error_count(const cdp_t *c);

/** Forget the error events seen so far. */
void cdp_clear_errors(cdp_t *c);

/* --- the JSON reader and base64 decoder, public for their unit tests --- */

/** The value at @p path in the JSON text @p json: member names and array
 *  indexes separated by dots ("result.result.value", "params.args.0"),
 *  "" for the whole text.
 *  @param[out] value  A string decoded to UTF-8 (escapes, \\uXXXX and
 *                     surrogate pairs; a lone surrogate becomes U+FFFD);
 *                     any other value as its JSON text. Caller owns it and
 *                     must free() it. NULL on failure.
 *  @param[out] type   When not NULL: 's' string, 'n' number, 'o' object,
 *                     'a' array, 't' true, 'f' false, 'z' null.
 *  @return ERR_OK, ERR_NOTFOUND (no such member or index), ERR_INVAL
 *          (the text on the way is not JSON). */
int cdp_json_get(const char *json, const char *path, char **value,
                 char *type);

/** Decode standard base64 (RFC 4648 alphabet, '=' padding optional,
 *  whitespace not allowed) of @p len bytes into @p out[cap].
 *  @return the number of bytes decoded, or -1 when @p in is not base64 or
 *          @p out is too small (then @p out's contents are undefined). */
long cdp_base64_decode(const char *in, size_t len, unsigned char *out,
                       size_t cap);

#endif
