/** @file usage.h
 *  @brief hrss-agent's --help text.
 */
#ifndef HRSS_AGENT_USAGE_H
#define HRSS_AGENT_USAGE_H
#include <stdio.h>

/** Write hrss-agent's usage text to @p f. */
void usage_print(FILE *f);

#endif
