/** @file screen.h
 *  @brief How wide hrssctl's tables may be: the width of the terminal
 *         they are printed on, or none.
 *
 *  COLUMNS, when it holds a width (a decimal number 1..SCREEN_MAX), wins,
 *  as POSIX says it overrides what the terminal reports: a script or a
 *  test can ask for a width. Otherwise the terminal's width
 *  (TIOCGWINSZ) when the descriptor is a terminal that knows it. A pipe
 *  or a file without COLUMNS has no screen: it gets every table whole,
 *  as before hrssctl looked at widths.
 *
 *  Owns nothing: a function of its arguments and the descriptor.
 *
 *  INVARIANTS
 *    1. screen_width() returns 0 or a width 1..SCREEN_MAX.
 *    2. A descriptor that is not a terminal, without COLUMNS, gives 0.
 */
#ifndef HRSS_SCREEN_H
#define HRSS_SCREEN_H
#include <stddef.h>

/** The widest screen believed: a COLUMNS beyond it is ignored. */
#define SCREEN_MAX 10000

/** The width to fit tables printed on descriptor @p fd to.
 *  @param[in] columns  the value of COLUMNS, or NULL when unset.
 *  @return @p columns when it is a number 1..SCREEN_MAX; else the
 *          terminal's columns when @p fd is a terminal reporting them;
 *          else 0 (no screen: whole tables). */
size_t screen_width(int fd, const char *columns);

#endif
