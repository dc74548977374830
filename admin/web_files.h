/** @file web_files.h
 *  @brief The dashboard's files (admin/www), built into hrss-web.
 *
 *  At configure time CMake lists admin/www/ and writes a C file whose
 *  assembler includes each file's bytes (.incbin) and whose table names
 *  them by their path under admin/www (web_files.cmake): the program
 *  needs no files beside it, and what it serves is what it was built
 *  with. A file's bytes are followed by a NUL that is not counted.
 *
 *  INVARIANTS
 *    1. Paths are unique, start with '/', and are sorted (strcmp), so
 *       web_file_find() can bisect.
 *    2. The table ends with an entry whose path is NULL.
 */
#ifndef HRSS_WEB_FILES_H
#define HRSS_WEB_FILES_H
#include <stddef.h>

typedef struct web_file {
    const char *path;          /**< "/index.html", "/vendor/echarts/..." */
    const char *type;          /**< its Content-Type */
    const unsigned char *data;
    const unsigned char *end;  /**< one past the last byte */
} web_file_t;

extern const web_file_t web_files[];

/** The embedded file at @p path, or NULL. */
const web_file_t *web_file_find(const char *path);

#endif
