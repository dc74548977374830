/* fuzz_config.c: libFuzzer target for the INI reader (common/cfg): the
 * input is a whole --config file, loaded with cfg_load_mem(), then read
 * the way common/flags reads it: unknown keys for the collector's and the
 * agent's sections, each known key's value, switches through cfg_bool().
 *
 * INVARIANTS (checked; a break aborts, and libFuzzer keeps the input)
 *   1. A failed load says why, as "fuzz.ini:LINE: reason" or
 *      "fuzz.ini: reason", and gives no cfg.
 *   2. A loaded cfg's unknown key, when there is one, is a valid name
 *      with a line number inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/cfg.h"
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The daemons' option names (collector/main.c, agent/main.c). */
static const char *const collector_keys[] = {
    "data-dir", "ingest", "query", "insecure", "key", "agents", "admins",
    "catalog", "backup-dir", "map-max-mib", "max-rejections",
    "heartbeat-s", "metrics", "tz-offset-hours", "verbose", NULL};
static const char *const agent_keys[] = {
    "state-dir", "collector", "region", "name", "insecure", "key",
    "collector-key", "catalog", "spool-max-mib", "tz-offset-hours",
    "metrics", "verbose", NULL};

static void read_like_flags(const cfg_t *cfg, const char *section,
                            const char *const *known, size_t lines)
{
    int line = -1;
    const char *bad = cfg_unknown_key(cfg, section, known, &line);
    if (bad != NULL &&
        (bad[0] == '\0' || line < 1 || (size_t)line > lines ||
         strspn(bad, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789_.-") != strlen(bad))) {
        fuzz_fail("unknown key '%s' on line %d of %zu", bad, line, lines);
    }
    for (size_t i = 0; known[i] != NULL; i++) {
        const char *v = cfg_get(cfg, section, known[i]);
        int b = cfg_bool(v);
        if (b < -1 || b > 1 || (v == NULL && b != -1)) {
            fuzz_fail("cfg_bool gave %d", b);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cfg_t *cfg = NULL;
    char err[ERR_LEN] = "";
    int rc = cfg_load_mem(&cfg, "fuzz.ini", data, size, err);
    if (rc != ERR_OK) {
        if (cfg != NULL || strncmp(err, "fuzz.ini:", 9) != 0) {
            fuzz_fail("failed load (%d): cfg %p, err '%s'", rc,
                      (void *)cfg, err);
        }
        return 0;
    }
    size_t lines = 1;
    for (size_t i = 0; i < size; i++) {
        lines += data[i] == '\n';
    }
    read_like_flags(cfg, "collector", collector_keys, lines);
    read_like_flags(cfg, "agent", agent_keys, lines);
    read_like_flags(cfg, NULL, agent_keys, lines);
    cfg_destroy(&cfg);
    return 0;
}
