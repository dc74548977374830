/* usage.c: hrss-agent --help, the text of every command and option.
 *
 * Design
 * ------
 * One fprintf of one string, so the text is written whole or not at all
 * (main.c's flush_stdout() reports a write that failed). Kept well under
 * the 64 KiB stdout buffer of file_stdout_init() (4.5 KiB now):
 * file_flush_stdout() reports a full disk only for what stdio still holds
 * when it flushes, and a text longer than the buffer would be written in
 * pieces before that.
 * Every line fits 80 columns (test_office checks it).
 *
 * INVARIANTS
 *   1. The text says what main.c does: each command, flag and exit status
 *      it has, and no other.
 */
#include "agent/usage.h"

void usage_print(FILE *f)
{
    fprintf(f,
        "usage: hrss-agent --state-dir DIR [--collector ENDPOINT] "
        "[--region CODE]\n"
        "                  [--name NAME] [--insecure] [--config FILE]\n"
        "                  [--catalog DIR] [--spool-max-mib N] "
        "[--tz-offset-hours H]\n"
        "                  [--metrics ADDR:PORT] [--verbose] COMMAND\n"
        "\n"
        "An office's agent: keeps figures in a durable spool in DIR and\n"
        "sends them to the collector until it confirms them.\n"
        "\n"
        "Commands:\n"
        "  submit FILE.csv      validate the file and queue all its rows, or\n"
        "                       none (every bad row is listed as\n"
        "                       FILE:LINE: FIELD: reason); UTF-8, GBK\n"
        "                       or UTF-16 CSV as Excel saves it\n"
        "  submit --indicator CODE --period YYYY-MM (--value N |\n"
        "         --numerator N --denominator D) [--region CODE]\n"
        "                       queue one figure\n"
        "  submit --wait [--timeout S] ...\n"
        "                       queue, then flush (below)\n"
        "  submit --allow-before-plan ...  take months before the plan\n"
        "  submit --dry-run FILE.csv\n"
        "                       ask the collector what it would do with\n"
        "                       each row (refuse: why; take with a flag);\n"
        "                       nothing is queued or stored. Exit 65 when\n"
        "                       a row would be refused\n"
        "  run                  the daemon: send the spool, take CSV files\n"
        "                       dropped in DIR/inbox (to DIR/done, or to\n"
        "                       DIR/failed with NAME.errors). Copy a file\n"
        "                       in as .NAME.csv.part, then mv it to\n"
        "                       NAME.csv; a file that does not end with a\n"
        "                       newline is left in the inbox\n"
        "  flush [--timeout S]  send everything queued and exit 0 once the\n"
        "                       collector confirmed it (default 60 s); with\n"
        "                       `run` active, wait for it to deliver; exit\n"
        "                       65 listing each rejection not shown before\n"
        "  status [--json] [--due-days N]\n"
        "                       queue, acknowledgements, rejections (new\n"
        "                       ones apart; the text form marks them seen),\n"
        "                       figures of --region never queued: due in\n"
        "                       N days (default 14) or overdue\n"
        "  receipts [--period P] [--json | --csv]\n"
        "                       what the collector acknowledged, per month:\n"
        "                       submitted, accepted, rejected, the newest\n"
        "                       audit position and head; --csv prints the\n"
        "                       receipts file (one line per update) that\n"
        "                       `hrssctl audit verify --receipts` checks\n"
        "  check [--json]       verify the whole spool, read-only (also\n"
        "                       beside `run`): every record's checksum and\n"
        "                       layout, the queue's numbering; one line per\n"
        "                       problem (table, key, file); exit 0 sound,\n"
        "                       1 damaged\n"
        "  keygen --out NAME    make this office's CurveZMQ key pair:\n"
        "                       NAME.key (secret, mode 0600) and NAME.pub\n"
        "                       (send it to the collector's operator)\n"
        "  indicators           the indicators a file may name\n"
        "  regions              the regions a file may name (at and below\n"
        "                       --region when given)\n"
        "\n"
        "Options:\n"
        "  --state-dir DIR      spool, inbox, done, failed (created)\n"
        "  --collector ENDPOINT the collector's ingest endpoint, e.g.\n"
        "                       tcp://collector.example:7801 (run, flush)\n"
        "  --region CODE        the office's GB/T 2260 region code; figures\n"
        "                       may be for it or regions below it\n"
        "  --name NAME          the agent's name (default: the region code)\n"
        "  --key FILE           this office's secret key (hrss-agent\n"
        "                       keygen; mode 0600) (run, flush)\n"
        "  --collector-key FILE the collector's public key (run, flush)\n"
        "  --insecure           plain mode: no keys, for a collector on\n"
        "                       this machine only (run, flush)\n"
        "  --config FILE        INI file with these settings (section\n"
        "                       [agent], keys are the flag names); flags win\n"
        "  --catalog DIR        the catalog's CSV files (default: the\n"
        "                       installed catalog)\n"
        "  --spool-max-mib N    the spool's size limit (default 1024): a\n"
        "                       submit past it fails and queues nothing\n"
        "  --tz-offset-hours H  time zone of the current month (default 8)\n"
        "  --metrics ADDR:PORT  (run) serve Prometheus metrics (backlog,\n"
        "                       last acknowledgement) at\n"
        "                       http://ADDR:PORT/metrics, e.g.\n"
        "                       127.0.0.1:9465; port 0 picks a free one,\n"
        "                       DIR/endpoints says which; off unless given\n"
        "  --version            print the version and exit\n"
        "\n"
        "Exit status: 0 done, 64 usage, 65 bad data (submit: nothing\n"
        "queued; flush: the collector rejected updates, listed), 69\n"
        "collector not reached in time (nothing lost), 74 output not\n"
        "written, 130 flush (nothing lost) or check interrupted, 1 other\n"
        "errors (check: damage found).\n");
}
