/* paths.c: locate installed data files.
 *
 * INVARIANTS
 *   1. paths_catalog_dir always writes a NUL-terminated string.
 */
#include "common/paths.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifndef HRSS_CATALOG_INSTALL_DIR
#define HRSS_CATALOG_INSTALL_DIR "/usr/local/share/hrss/catalog"
#endif

void paths_catalog_dir(char *out, size_t len)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            char probe[PATH_MAX + 64];
            snprintf(probe, sizeof probe,
                     "%s/../share/hrss/catalog/indicators.csv", exe);
            if (access(probe, R_OK) == 0) {
                snprintf(out, len, "%s/../share/hrss/catalog", exe);
                return;
            }
        }
    }
    snprintf(out, len, "%s", HRSS_CATALOG_INSTALL_DIR);
}
