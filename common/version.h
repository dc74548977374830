/** @file version.h
 *  @brief What `--version` prints: the release from CMake's project()
 *         and, when built from a git checkout, the commit.
 *
 *  Owns nothing; the strings are static.
 *
 *  INVARIANTS
 *    1. version_string() is the same for every binary of one build:
 *       "0.1.0" or "0.1.0 (git 1a2b3c4d5e6f)" ("-dirty" appended when
 *       the checkout had uncommitted changes).
 */
#ifndef HRSS_VERSION_H
#define HRSS_VERSION_H
#include <stdio.h>

/** The version of this build. Static; never NULL. */
const char *version_string(void);

/** Print "PROG VERSION\n" to @p f. */
void version_print(FILE *f, const char *prog);

#endif
