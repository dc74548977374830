/* test_endpoint.c: endpoints typed on a command line, checked at start. */
#include <criterion/criterion.h>
#include <string.h>

#include "common/endpoint.h"

static int ok(const char *v, int bind)
{
    char err[ERR_LEN];
    return endpoint_check("--x", v, bind, err) == ERR_OK;
}

Test(endpoint, accepts_what_zeromq_takes)
{
    cr_expect(ok("tcp://127.0.0.1:7801", 0));
    cr_expect(ok("tcp://collector.example:7801", 0));
    cr_expect(ok("tcp://[::1]:7801", 0));
    cr_expect(ok("tcp://0.0.0.0:7801", 1));
    cr_expect(ok("tcp://*:7801", 1));
    cr_expect(ok("tcp://127.0.0.1:*", 1));
    cr_expect(ok("tcp://127.0.0.1:0", 1));
    cr_expect(ok("ipc:///run/hrss/ingest", 0));
    cr_expect(ok("inproc://x", 1));
}

Test(endpoint, refuses_what_libzmq_calls_invalid_argument)
{
    cr_expect(!ok("127.0.0.1:46007", 0));
    cr_expect(!ok("tcp://127.0.0.1", 0));
    cr_expect(!ok("tcp://127.0.0.1:", 0));
    cr_expect(!ok("tcp://:7801", 0));
    cr_expect(!ok("tcp://127.0.0.1:*", 0), "* only when binding");
    cr_expect(!ok("tcp://127.0.0.1:0", 0));
    cr_expect(!ok("tcp://127.0.0.1:65536", 0));
    cr_expect(!ok("tcp://127.0.0.1:78a1", 0));
    cr_expect(!ok("tcp://::1:7801", 0), "IPv6 needs brackets");
    cr_expect(!ok("udp://127.0.0.1:7801", 0));
    cr_expect(!ok("ipc://", 0));
    cr_expect(!ok("", 0));
}

Test(endpoint, the_message_names_flag_value_and_form)
{
    char err[ERR_LEN];
    cr_assert_eq(endpoint_check("--collector", "127.0.0.1:46007", 0, err),
                 ERR_INVAL);
    cr_expect(strstr(err, "--collector: '127.0.0.1:46007'") != NULL, "%s",
              err);
    cr_expect(strstr(err, "tcp://HOST:PORT") != NULL, "%s", err);
    cr_expect(strstr(err, "did you mean tcp://127.0.0.1:46007?") != NULL,
              "%s", err);
    cr_assert_eq(endpoint_check("--ingest", "x\x1b[2J", 1, err), ERR_INVAL);
    cr_expect(strchr(err, '\x1b') == NULL, "%s", err);
}
