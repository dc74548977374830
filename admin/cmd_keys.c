/* cmd_keys.c: hrssctl keygen.
 *
 * The same key files as `hrss-agent keygen` (common/keys): the collector
 * makes its own pair with it, and so does each administrator.
 *
 * INVARIANTS
 *   1. Nothing is written but NAME.key and NAME.pub, both new.
 */
#include "admin/cmd_keys.h"

#include <stdio.h>

#include "common/keys.h"

int cmd_keys_keygen(ctl_t *x, const ctl_args_t *a)
{
    (void)x;
    char err[ERR_LEN];
    keys_pair_t kp;
    if (keys_generate(a->out, &kp, err) != ERR_OK) {
        return ctl_fail(1, "%s", err);
    }
    fprintf(x->out, "wrote %s.key (secret, mode 0600) and %s.pub\n"
           "public key: %s\n",
           a->out, a->out, kp.public_key);
    return 0;
}
