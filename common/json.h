/** @file json.h
 *  @brief Writing JSON strings safely (the CLI tools' --json output).
 *
 *  Owns nothing: writes to the caller's stream; @p s is only read.
 *
 *  INVARIANTS
 *    1. json_put_str() writes one complete string literal: quotes,
 *       backslashes and every byte below 0x20 are escaped, so no input
 *       can end the literal early or break the line.
 *    2. Bytes from 0x80 up are copied as they are: the literal is valid
 *       JSON when @p s is valid UTF-8.
 *    3. Stream errors are not reported: check ferror(@p f) after writing.
 */
#ifndef HRSS_JSON_H
#define HRSS_JSON_H
#include <stdio.h>

/** Write @p s as a JSON string literal (quotes included) to @p f, escaping
 *  quotes, backslashes and control characters; UTF-8 passes through. */
void json_put_str(FILE *f, const char *s);

#endif
