/** @file log.h
 *  @brief Leveled, timestamped log lines to stderr.
 *
 *  Only the daemon layer logs; lower modules return error codes and fill
 *  a caller's err[] buffer instead. Never log payloads or secrets.
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
