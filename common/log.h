/** @file log.h
 *  @brief Leveled, timestamped log lines to stderr.
 *
 *  Only the daemon layer logs; lower modules return error codes and fill
 *  a caller's err[] buffer instead. Never log payloads or secrets.
 *
 *  Owns nothing: the program name is borrowed from log_init() and must
 *  stay valid while anything logs (pass a string literal). Before
 *  log_init() the name is "hrss" and the level LOG_LVL_INFO.
 *
 *  INVARIANTS
 *    1. A message less urgent than log_init()'s level is dropped; any
 *       other is one line, "2026-11-28T22:40:01.123Z prog[pid] LEVEL msg"
 *       (UTC), written with a single write(2), so lines from several
 *       threads or processes do not interleave.
 *    2. A line is at most 1024 bytes; a longer message is cut, never
 *       split over two lines.
 *    3. Nothing here allocates, and a failed write is ignored: logging
 *       never fails its caller.
 */
#ifndef HRSS_LOG_H
#define HRSS_LOG_H

enum log_level { LOG_LVL_ERR = 0, LOG_LVL_WARN, LOG_LVL_INFO, LOG_LVL_DEBUG };

/** Set the program name shown on each line and the most verbose level
 *  printed. Call once at start-up, before any thread starts. */
void log_init(const char *progname, enum log_level max_level);

void log_msg(enum log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) log_msg(LOG_LVL_ERR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LVL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LVL_DEBUG, __VA_ARGS__)

#endif
