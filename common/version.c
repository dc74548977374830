/* version.c: the version of this build.
 *
 * HRSS_VERSION comes from CMake's project(); version_git.h is written at
 * each build by common/version.cmake (HRSS_GIT_COMMIT empty outside a
 * git checkout), and rewritten only when the commit changes, so an
 * unchanged tree recompiles nothing.
 */
#include "common/version.h"

#include "version_git.h"

#ifndef HRSS_VERSION
#error "HRSS_VERSION is set by CMakeLists.txt"
#endif

const char *version_string(void)
{
    return sizeof HRSS_GIT_COMMIT > 1
               ? HRSS_VERSION " (git " HRSS_GIT_COMMIT ")"
               : HRSS_VERSION;
}

void version_print(FILE *f, const char *prog)
{
    fprintf(f, "%s %s\n", prog, version_string());
}
