/** @file ratelog.h
 *  @brief The collector's rate-limited log lines: the first line of a
 *         cause at once, then one line a minute saying how many more.
 *
 *  A hostile or broken client can make the same error happen thousands of
 *  times a second; the log gets one line per cause per RATELOG_WINDOW
 *  seconds, with a count and the latest text.
 *
 *  Owns nothing: the caller keeps an array ratelog_t[CAUSE_N], zeroed.
 *
 *  INVARIANTS
 *    1. since == 0 exactly when the cause has been quiet for a window;
 *       more counts the lines held back since the last one logged.
 *    2. With stop set, ratelog_tick() says every count held back and
 *       leaves every cause quiet.
 */
#ifndef HRSS_RATELOG_H
#define HRSS_RATELOG_H
#include <time.h>

#include "common/err.h"

/** Seconds: one line a cause, then a count. */
#define RATELOG_WINDOW 60

/** The rate-limited causes of log lines. */
enum cause {
    CAUSE_BAD_MESSAGE,   /* WARN: a message that could not be taken */
    CAUSE_STORE_FAILED,  /* ERROR: a group the store could not take */
    CAUSE_WELCOME,       /* ERROR: a hello or ping that found no seq */
    CAUSE_N
};

/** One cause's window. Plain value struct. */
typedef struct ratelog {
    time_t since;         /* when its last line was logged; 0: quiet */
    unsigned long more;   /* lines held back since */
    char last[ERR_LEN];   /* the latest of them */
} ratelog_t;

/** Log a line of cause @p k (of the array @p rl): at once when the
 *  cause was quiet, else count it for ratelog_tick(). */
void ratelog(ratelog_t *rl, enum cause k, time_t now, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Close the windows that are RATELOG_WINDOW old (all of them when
 *  @p stop): say how many lines each held back. */
void ratelog_tick(ratelog_t *rl, time_t now, int stop);

#endif
