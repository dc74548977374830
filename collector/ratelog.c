/* ratelog.c: the collector's rate-limited log lines (ratelog.h). */
#include "collector/ratelog.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"

static enum log_level cause_level(enum cause k)
{
    return k == CAUSE_BAD_MESSAGE ? LOG_LVL_WARN : LOG_LVL_ERR;
}

/* Log a line of cause @p k: at once when the cause was quiet, else count
 * it for ratelog_tick(). */
void ratelog(ratelog_t *rl, enum cause k, time_t now, const char *fmt, ...)
{
    ratelog_t *r = &rl[k];
    char line[ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (r->since == 0) {
        log_msg(cause_level(k), "%s", line);
        r->since = now;
        return;
    }
    r->more++;
    memcpy(r->last, line, sizeof r->last);
}

/* Close the windows that are RATELOG_WINDOW old (all of them when @p stop):
 * say how many lines each held back, and keep a window open while its
 * cause goes on. */
void ratelog_tick(ratelog_t *rl, time_t now, int stop)
{
    for (int k = 0; k < CAUSE_N; k++) {
        ratelog_t *r = &rl[k];
        if (r->since == 0 || (!stop && now - r->since < RATELOG_WINDOW)) {
            continue;
        }
        if (r->more > 0) {
            log_msg(cause_level((enum cause)k),
                    "%s (%lu more like this in the last minute)", r->last,
                    r->more);
            r->more = 0;
            r->since = stop ? 0 : now;
        } else {
            r->since = 0;
        }
    }
}
