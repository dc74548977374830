/** @file json.h
 *  @brief Writing JSON strings safely (the CLI tools' --json output).
 */
#ifndef HRSS_JSON_H
#define HRSS_JSON_H
#include <stdio.h>

/** Write @p s as a JSON string literal (quotes included) to @p f, escaping
 *  quotes, backslashes and control characters; UTF-8 passes through. */
void json_put_str(FILE *f, const char *s);

#endif
