/** @file endpoint.h
 *  @brief ZeroMQ endpoints given on a command line, checked before use.
 *
 *  libzmq says only "Invalid argument" of `127.0.0.1:7801` (no
 *  transport), and a connect to it never fails loudly: the agent would
 *  wait out its timeout. So every endpoint a person types (the agent's
 *  --collector, hrssctl's --connect, the collector's --ingest and
 *  --query) is checked here at start, and a bad one is a usage error
 *  naming the flag, the value and the form expected.
 *
 *  Owns nothing: pure functions on the caller's strings.
 *
 *  INVARIANTS
 *    1. Accepted: tcp://HOST:PORT (HOST a name, an IPv4 address or a
 *       bracketed IPv6 one; PORT 1..65535, or `*` or 0 when binding),
 *       ipc://PATH and inproc://NAME with a non-empty rest. Nothing else.
 *    2. A refusal's message names the flag and the value (cleaned of
 *       control characters) and says `tcp://HOST:PORT`.
 */
#ifndef HRSS_ENDPOINT_H
#define HRSS_ENDPOINT_H

#include "common/err.h"

/** Whether @p value is an endpoint the program may @p bind (1) or
 *  connect to (0) (INVARIANT 1).
 *  @param flag  The flag it came from, for the message ("--collector").
 *  @return ERR_OK, or ERR_INVAL with @p err: "--collector: '127.0.0.1:
 *          7801' is not an endpoint: expected tcp://HOST:PORT (did you
 *          mean tcp://127.0.0.1:7801?)". */
int endpoint_check(const char *flag, const char *value, int bind,
                   char err[ERR_LEN]);

#endif
