/** @file cmd_keys.h
 *  @brief hrssctl keygen: a CurveZMQ key pair for the collector, an
 *         administrator or an office (common/keys).
 *
 *  Handlers as described in admin/ctl.h; keygen needs no collector and no
 *  store (its ctl_t has no client).
 *
 *  Owns nothing beyond a call.
 *
 *  INVARIANTS
 *    1. keygen never replaces an existing key file (common/keys).
 *    2. Errors go to stderr and come back as the exit status; stdout says
 *       which files were written and the public key.
 */
#ifndef HRSS_CMD_KEYS_H
#define HRSS_CMD_KEYS_H

#include "admin/ctl.h"

/** `keygen --out NAME`: write NAME.key (secret, 0600) and NAME.pub. */
int cmd_keys_keygen(ctl_t *x, const ctl_args_t *a);

#endif
