/** @file paths.h
 *  @brief Where installed data lives, found relative to the executable.
 */
#ifndef HRSS_PATHS_H
#define HRSS_PATHS_H
#include <stddef.h>

/** The default catalog directory: EXE_DIR/../share/hrss/catalog when it
 *  holds indicators.csv (the build tree and relocatable installs), else the
 *  compiled-in install path. Writes a NUL-terminated path into @p out. */
void paths_catalog_dir(char *out, size_t len);

#endif
