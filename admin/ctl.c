/* ctl.c: what every hrssctl command does the same way.
 *
 * Messages name what was wrong and how to find what is right (`hrssctl
 * regions` lists the regions); a query the collector refused keeps the
 * collector's own message, which already suggests the closest indicator
 * codes.
 *
 * INVARIANTS
 *   1. Everything written here on failure goes to stderr; stdout carries
 *      only answers.
 *   2. ctl_ask() leaves *resp NULL unless it returns 0.
 */
#include "admin/ctl.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/text.h"

int ctl_fail(int code, const char *fmt, ...)
{
    /* The message may quote a collector's answer or an argument: shown
     * through the one rule for foreign text (common/text). */
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fputs("hrssctl: ", stderr);
    text_put_clean(stderr, msg, TEXT_KEEP_LF);
    fputc('\n', stderr);
    return code;
}

int ctl_fail_client(int rc, const char *err)
{
    return ctl_fail(rc == ERR_TIMEOUT ? CTL_EX_UNAVAILABLE : 1, "%s", err);
}

int ctl_ask(ctl_t *x, const Hrss__QueryRequest *req,
            Hrss__QueryResponse **resp)
{
    char err[ERR_LEN];
    int rc = client_call(x->c, req, resp, err);
    if (rc != ERR_OK) {
        return ctl_fail_client(rc, err);
    }
    if ((*resp)->code != HRSS__QUERY_STATUS__QUERY_OK) {
        int st = ctl_fail(1, "%s", (*resp)->error != NULL ? (*resp)->error
                                                          : "query failed");
        hrss__query_response__free_unpacked(*resp, NULL);
        *resp = NULL;
        return st;
    }
    return 0;
}

int ctl_region_arg(const ctl_t *x, const char *arg, uint32_t *code)
{
    if (arg == NULL) {
        *code = catalog_region(x->cat,
                               (size_t)catalog_region_root(x->cat))->code;
        return 0;
    }
    int i = catalog_region_find_str(x->cat, arg);
    for (size_t k = 0; i < 0 && k < catalog_region_count(x->cat); k++) {
        if (strcmp(catalog_region(x->cat, k)->name_zh, arg) == 0) {
            i = (int)k;
        }
    }
    if (i < 0) {
        return ctl_fail(1, "unknown region '%s' (`hrssctl regions` lists "
                           "them)", arg);
    }
    *code = catalog_region(x->cat, (size_t)i)->code;
    return 0;
}

int ctl_period_arg(const char *arg, const char *flag, period_t *p)
{
    char err[ERR_LEN];
    if (arg == NULL) {
        return ctl_fail(CTL_EX_USAGE, "%s is required", flag);
    }
    if (period_parse(arg, p, err) != ERR_OK) {
        return ctl_fail(1, "%s: %s", flag, err);
    }
    return 0;
}

int ctl_period_region(const ctl_t *x, const ctl_args_t *a, period_t *p,
                      uint32_t *region)
{
    int st = ctl_period_arg(a->period, "--period", p);
    if (st == 0) {
        st = ctl_region_arg(x, a->region, region);
    }
    return st;
}

const char *ctl_region_name(const ctl_t *x, uint32_t code)
{
    int i = catalog_region_find(x->cat, code);
    return i >= 0 ? catalog_region(x->cat, (size_t)i)->name_zh : "?";
}

const indicator_t *ctl_indicator(const ctl_t *x, const char *key)
{
    int i = catalog_indicator_find(x->cat, key);
    return i >= 0 ? catalog_indicator(x->cat, (size_t)i) : NULL;
}

const char *ctl_kind_word(const indicator_t *ind)
{
    return ind->kind == IND_RATIO ? "ratio" : "count";
}

const char *ctl_over_time_word(const indicator_t *ind)
{
    return ind->over_time == OVER_SUM ? "sum" : "last";
}

const char *ctl_basis_word(const indicator_t *ind)
{
    switch (ind->basis) {
    case BASIS_CUMULATIVE:
        return "cumulative";
    case BASIS_ANNUAL:
        return "annual";
    case BASIS_LEVEL:
        break;
    }
    return "level";
}

const char *ctl_direction_word(const indicator_t *ind)
{
    return ind->direction == DIR_AT_MOST ? "at_most" : "at_least";
}

render_t *ctl_render_new(const ctl_t *x, const render_col_t *cols,
                         size_t ncols)
{
    return render_new(cols, ncols, x->tz);
}

void ctl_print(const ctl_t *x, const render_t *r)
{
    render_print(r, x->fmt, stdout);
}
