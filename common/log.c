/* log.c: one line per event, "2026-11-28T22:40:01.123Z prog[pid] LEVEL msg".
 *
 * The line is formatted into one buffer and written with a single write()
 * so that lines from several processes sharing a terminal do not interleave.
 *
 * INVARIANTS
 *   1. A line is at most LINE_MAX_LEN bytes; longer messages are cut, never
 *      split over two lines.
 *   2. Nothing here allocates.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 1024

static const char *prog = "hrss";
static enum log_level max_lvl = LOG_LVL_INFO;

static const char *const lvl_name[] = {"ERROR", "WARN", "INFO", "DEBUG"};

void log_init(const char *progname, enum log_level max_level)
{
    prog = progname;
    max_lvl = max_level;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
    if (lvl > max_lvl) {
        return;
    }
    char line[LINE_MAX_LEN];
    va_list ap;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    int n = snprintf(line, sizeof line,
                     "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ %s[%ld] %s ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                     tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000L, prog,
                     (long)getpid(), lvl_name[lvl]);
    if (n < 0 || (size_t)n >= sizeof line) {
        return;
    }
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n;
    if (m > 0) {
        size_t room = sizeof line - (size_t)n - 1; /* keep one for '\n' */
        len += (size_t)m < room ? (size_t)m : room;
    }
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
