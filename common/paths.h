/** @file paths.h
 *  @brief Where installed data lives, found relative to the executable.
 *
 *  Owns nothing and keeps no state: the path is written into the caller's
 *  buffer.
 *
 *  INVARIANTS
 *    1. paths_catalog_dir() always writes a NUL-terminated string (when
 *       @p len > 0); a path longer than @p len - 1 bytes is cut, so pass
 *       PATH_MAX bytes.
 *    2. It never fails: without a catalog next to the executable it names
 *       the compiled-in install directory, which may not exist (loading
 *       the catalog reports that).
 */
#ifndef HRSS_PATHS_H
#define HRSS_PATHS_H
#include <stddef.h>

/** The default catalog directory: EXE_DIR/../share/hrss/catalog when it
 *  holds indicators.csv (the build tree and relocatable installs), else the
 *  compiled-in install path. Writes a NUL-terminated path into @p out. */
void paths_catalog_dir(char *out, size_t len);

#endif
