/** @file ctl.h
 *  @brief What every hrssctl command is given, and the few things every
 *         command does the same way: ask, read a region or period
 *         argument, fail with a message and an exit status, print a
 *         result.
 *
 *  A command handler is int run(ctl_t *x, const ctl_args_t *a): it
 *  prints its answer to stdout and returns the process exit status
 *  (0, 1 for a failed query, CTL_EX_USAGE, CTL_EX_UNAVAILABLE), having
 *  written any error to stderr. main.c calls a handler only with the
 *  positional arguments and options its command table entry asks for.
 *
 *  Owns nothing: a ctl_t borrows the client and the catalog for the run,
 *  a ctl_args_t borrows argv. An answer ctl_ask() returns and a result
 *  ctl_render_new() makes are the caller's.
 *
 *  INVARIANTS
 *    1. Everything written on failure goes to stderr, as "hrssctl:
 *       MESSAGE" (or where ctl_errors_to() says); x->out carries only
 *       answers.
 *    2. A failure's exit status is 1 (a failed query, an argument that
 *       does not parse or names nothing), CTL_EX_USAGE (a usage error) or
 *       CTL_EX_UNAVAILABLE (the collector did not answer) or
 *       CTL_EX_IOERR (the answer could not be written); success is 0.
 *    3. ctl_ask() leaves *resp NULL unless it returns 0.
 *    4. ctl_ask_pages() hands on every page of a list once, in order, and
 *       stops when a page has no `next` (or the same `next` twice).
 */
#ifndef HRSS_CTL_H
#define HRSS_CTL_H
#include <stdint.h>
#include <stdio.h>

#include "admin/client.h"
#include "admin/render.h"
#include "common/catalog.h"
#include "common/period.h"

/** Exit status of a usage error (sysexits EX_USAGE). */
#define CTL_EX_USAGE 64
/** Exit status when the collector did not answer (EX_UNAVAILABLE). */
#define CTL_EX_UNAVAILABLE 69
/** Exit status when stdout could not be written (EX_IOERR). */
#define CTL_EX_IOERR 74
/** Most positional arguments a command line may carry. */
#define CTL_MAX_POS 4

/** The context of one run. Plain value struct; borrowed pointers valid
 *  for the run. */
typedef struct ctl {
    client_t *c;            /**< where questions go */
    const catalog_t *cat;   /**< the catalog the answers were stored with */
    enum render_fmt fmt;    /**< table, --csv or --json */
    long tz;                /**< display offset, seconds east of UTC */
    const char *data_dir;   /**< --data-dir, or NULL */
    const char *catalog_dir; /**< the catalog --data-dir answers use */
    size_t width;           /**< screen tables fit (admin/screen); 0: none,
                                 --wide or a pipe: whole tables */
    FILE *out;              /**< where answers go: stdout for hrssctl, a
                                 request's answer for hrss-web */
    int has_as_of;          /**< --as-of: every total, breakdown, series,
                                 completeness and facts query ctl_ask()
                                 sends is answered as of as_of */
    int64_t as_of;          /**< unix seconds */
    int server_fault;       /**< set by a failure that was the server's,
                                 not the question's: the collector or the
                                 store failed (QUERY_IO, QUERY_NOMEM,
                                 QUERY_CORRUPT, QUERY_VERSION,
                                 QUERY_TIMEOUT; or a garbled answer). Not
                                 for no answer at all (CTL_EX_UNAVAILABLE).
                                 The exit status does not change (1);
                                 hrss-web answers 500 for it. */
} ctl_t;

/** A command's arguments as given (NULL: not given). Plain value struct;
 *  the strings are borrowed from argv. */
typedef struct ctl_args {
    const char *pos[CTL_MAX_POS];
    int npos;
    const char *period;
    const char *region;
    const char *from;
    const char *to;
    const char *by;
    const char *since;
    const char *under;
    const char *format;
    const char *out;       /**< keygen --out NAME */
    const char *as;        /**< approve ... --as NAME (plain collector) */
    const char *text;      /**< comment --text TEXT */
    const char *follow_up; /**< comment --follow-up (non-NULL: given) */
    const char *resolve;   /**< comment --resolve (non-NULL: given) */
    const char *changes;   /**< regions --changes (non-NULL: given) */
    int approved;          /**< progress --approved: approved figures only */
    const char *as_of;     /**< --as-of TIME (admin/when.h) */
    const char *receipts;  /**< audit verify --receipts FILE */
} ctl_args_t;

/** Print "hrssctl: MESSAGE" to this thread's error stream (stderr, or
 *  what ctl_errors_to() set). @return @p code. */
int ctl_fail(int code, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/** Send this thread's ctl_fail() messages to @p f, bare (without the
 *  "hrssctl: " prefix), one per line; NULL: back to stderr, prefixed.
 *  hrss-web collects a request's errors this way. */
void ctl_errors_to(FILE *f);

/** Flush stdout at the end of a run: output that could not be written
 *  (a full disk, a closed pipe) is an error with a message, never a
 *  silent success.
 *  @return @p st, or CTL_EX_IOERR when @p st is 0 and writing failed. */
int ctl_flush_output(int st);

/** Send @p req and check the answer's status.
 *  @param[out] resp  On 0: the answer. Caller frees it with
 *                    hrss__query_response__free_unpacked(*resp, NULL).
 *  @return 0, or the exit status after printing why (1 for a failed
 *          query, CTL_EX_UNAVAILABLE when nobody answered). */
int ctl_ask(ctl_t *x, const Hrss__QueryRequest *req,
            Hrss__QueryResponse **resp);

/** Called with each page of a list answer, in order. Borrowed: @p page
 *  is freed after the call. @return 0 to go on, or an exit status (after
 *  printing why) to stop. */
typedef int (*ctl_page_fn)(const Hrss__QueryResponse *page, void *arg);

/** Ask for the list @p req names (history, rejections, agents,
 *  violations, facts or completeness) page after page, following each
 *  answer's `next`, and hand every page to @p each; the pages together
 *  are the whole list. Pages of at most @p req's `limit` items when the
 *  caller set it, else of QUERY_PAGE_MAX_ITEMS (sets and leaves set
 *  `limit`); sets `after`: the caller keeps @p req alive for the call.
 *  @return 0, or the exit status after printing why (ctl_ask(), or 1 when
 *          the collector's pages do not move on). */
int ctl_ask_pages(ctl_t *x, Hrss__QueryRequest *req, ctl_page_fn each,
                  void *arg);

/** A client error code as an exit status, with @p err printed; sets
 *  x->server_fault when @p rc is the server's fault (ERR_IO, ERR_NOMEM,
 *  ERR_CORRUPT, ERR_VERSION, ERR_PROTO). */
int ctl_fail_client(ctl_t *x, int rc, const char *err);

/** --as-of TIME (admin/when.h, dates in the plan's zone) into
 *  x->has_as_of and x->as_of; @p name is what the user wrote it as
 *  ("--as-of" for hrssctl, "as_of" for hrss-web's parameter).
 *  @return 0, or CTL_EX_USAGE after printing "NAME: 'TIME' why" (x
 *          unchanged). */
int ctl_as_of_arg(ctl_t *x, const char *name, const char *arg);

/** When x->has_as_of, print `, "as_of": "2025-11-26T23:59:59+08:00"` (the
 *  moment at the display offset x->tz) to @p f: the member a --json
 *  answer ends its top-level object with. Nothing otherwise. */
void ctl_json_as_of(const ctl_t *x, FILE *f);

/** The same moment as ctl_json_as_of() prints, "2025-11-26T23:59:59+08:00",
 *  into @p buf (ZONE_ISO_LEN bytes). */
void ctl_as_of_iso(const ctl_t *x, char *buf, size_t len);

/** Region argument: a GB/T code or a Chinese name; NULL is the root.
 *  @return 0 with *@p code set, or 1 after printing why. */
int ctl_region_arg(const ctl_t *x, const char *arg, uint32_t *code);

/** Period argument @p arg of option @p flag.
 *  @return 0 with *@p p set; CTL_EX_USAGE when it is missing, 1 when it
 *          does not parse (message printed). */
int ctl_period_arg(const char *arg, const char *flag, period_t *p);

/** The optional pair of the list questions: --period P and --region CODE,
 *  each checked when given, into a request's fields (@p period borrows
 *  the argument; *@p has_region and *@p region only when --region).
 *  @return 0, or the exit status after printing why. */
int ctl_list_scope(const ctl_t *x, const ctl_args_t *a, char **period,
                   protobuf_c_boolean *has_region, uint32_t *region);

/** The usual pair: --period P (required) and --region CODE (the root when
 *  not given). @return 0, or the exit status after printing why. */
int ctl_period_region(const ctl_t *x, const ctl_args_t *a, period_t *p,
                      uint32_t *region);

/** Chinese name of region @p code, or "?". Borrowed from the catalog. */
const char *ctl_region_name(const ctl_t *x, uint32_t code);

/** The indicator whose code or Chinese name is @p key, or NULL.
 *  Borrowed from the catalog. */
const indicator_t *ctl_indicator(const ctl_t *x, const char *key);

/** Words for an indicator's catalog fields, as the JSON output and the
 *  tables spell them: "count"/"ratio", "sum"/"last",
 *  "cumulative"/"annual"/"level", "at_least"/"at_most". Static strings. */
const char *ctl_kind_word(const indicator_t *ind);
const char *ctl_over_time_word(const indicator_t *ind);
const char *ctl_basis_word(const indicator_t *ind);
const char *ctl_direction_word(const indicator_t *ind);

/** A new result for this run's display offset and screen width. Caller
 *  owns return value and must render_destroy() it. */
render_t *ctl_render_new(const ctl_t *x, const render_col_t *cols,
                         size_t ncols);

/** Print @p r to stdout in this run's form. */
void ctl_print(const ctl_t *x, const render_t *r);

#endif
