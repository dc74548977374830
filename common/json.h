/** @file json.h
 *  @brief Writing JSON strings safely (the CLI tools' --json output).
 *
 *  Owns nothing: writes to the caller's stream; @p s is only read.
 *
 *  INVARIANTS
 *    1. json_put_str() writes one complete string literal: quotes,
 *       backslashes and every control (C0 below 0x20, DEL, C1 U+0080..
 *       U+009F) are escaped, so no input can end the literal early, break
 *       the line or reach a terminal as an escape sequence.
 *    2. The literal is valid JSON in valid UTF-8 whatever bytes @p s
 *       holds: each ill-formed UTF-8 sequence (maximal subpart) is
 *       written as \ufffd, the rule of common/text's text_clean(); valid
 *       UTF-8 otherwise passes through unchanged.
 *    3. Stream errors are not reported: check ferror(@p f) after writing.
 */
#ifndef HRSS_JSON_H
#define HRSS_JSON_H
#include <stdio.h>

/** Write @p s as a JSON string literal (quotes included) to @p f, escaping
 *  quotes, backslashes and control characters (C0, DEL, C1) and writing
 *  \ufffd for ill-formed UTF-8; valid UTF-8 passes through. */
void json_put_str(FILE *f, const char *s);

#endif
