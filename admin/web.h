/** @file web.h
 *  @brief hrss-web's answers: the dashboard's files and the JSON API,
 *         one request at a time, read-only.
 *
 *  Concern: turning one GET request (a path and its query arguments)
 *  into one answer: an embedded file (admin/www, web_files.h), or under
 *  /api/ the output of the hrssctl command of the same name with --json,
 *  run in this process through the same command code (admin/cmd_*), so
 *  every number is the one `hrssctl --json` prints for the same store.
 *  It does not listen: admin/web_main.c hands it requests from
 *  common/httpd (web_handle), and the fuzz target hands it requests
 *  directly (web_answer).
 *
 *  Owns: nothing between requests. A web_t borrows the client, its
 *  catalog and the users (web_users.h) for the server's life.
 *
 *  INVARIANTS
 *    1. Nothing a request asks changes anything: only the read-only
 *       commands are routed (no backup, check, export or keygen).
 *    2. Every API answer is JSON: the command's output with status 200,
 *       or {"error": MESSAGE} with 400 (the request's fault: a bad,
 *       missing, repeated or unknown parameter, or what the command
 *       refused), 404 (no such path), 413 (the answer would exceed
 *       max_answer bytes), 503 (the collector did not answer) or 500
 *       (the server's fault: the collector or the store failed,
 *       ctl_t.server_fault).
 *    3. No answer is longer than max_answer bytes: a command's output is
 *       written into a stream that refuses the byte past the cap, and the
 *       command stops at its first refused write.
 *    4. With users set, nothing but 401 is answered to a request without
 *       valid credentials.
 *    5. A local client answers each request from a snapshot taken for it
 *       and released after it (client_refresh, client_release): the
 *       answers follow the store, and no snapshot is held between them.
 */
#ifndef HRSS_WEB_H
#define HRSS_WEB_H
#include <stddef.h>

#include "admin/client.h"
#include "admin/web_users.h"
#include "common/buf.h"
#include "common/catalog.h"
#include "common/httpd.h"

/** Largest answer of the API, by default (bytes). */
#define WEB_MAX_ANSWER ((size_t)4 << 20)
/** Most query arguments a request may carry. */
#define WEB_MAX_ARGS 8
/** Longest value of a query argument (bytes). */
#define WEB_MAX_ARG_LEN 256

/** The server's state: borrowed pointers, valid for the server's life. */
typedef struct web {
    client_t *c;              /**< where questions go */
    const catalog_t *cat;     /**< the catalog the answers use */
    const char *catalog_dir;  /**< for commands that name it */
    web_users_t *users;       /**< NULL: no authentication */
    long tz;                  /**< display offset (seconds east of UTC) */
    size_t max_answer;        /**< WEB_MAX_ANSWER unless a test says */
} web_t;

/** One query argument as received: @p value NULL for a bare "?key";
 *  @p vlen bytes (a NUL byte inside is refused). Borrowed. */
typedef struct web_arg {
    const char *key;
    const char *value;
    size_t vlen;
} web_arg_t;

/** An answer: status, Content-Type, and the body in @p body or (an
 *  embedded file) @p fixed. */
typedef struct web_reply {
    unsigned status;
    const char *type;        /**< a literal */
    const char *cache;       /**< Cache-Control, a literal, or NULL */
    const void *fixed;       /**< an embedded file, or NULL: body */
    size_t fixed_len;
} web_reply_t;

/** Answer GET @p path with @p args (@p nargs of them; more than
 *  WEB_MAX_ARGS is a 400): the body is appended to @p body (unless the
 *  answer is a file, then rp->fixed). Credentials are not checked here.
 *  Runs the command in the calling thread. */
void web_answer(const web_t *w, const char *path, const web_arg_t *args,
                size_t nargs, web_reply_t *rp, buf_t *body);

/** common/httpd's handler (@p arg: a web_t): credentials (INVARIANT 4),
 *  then web_answer(). */
void web_handle(const httpd_req_t *req, httpd_resp_t *resp, void *arg);

/** The headers every answer carries (name, value, ..., NULL): a content
 *  security policy that allows only this origin (no inline script), no
 *  MIME sniffing, no framing, no referrer. */
extern const char *const web_headers[];

#endif
