/** @file wire.h
 *  @brief Validated packing and unpacking of the ingest protocol messages,
 *         and the mapping of every protocol number to and from the C enums.
 *
 *  protobuf-c accepts garbage that happens to parse and an empty buffer as
 *  a default message, and has no size cap; every message from the network
 *  goes through here: the unpack is capped, then its meaning is checked.
 *
 *  Owns nothing and keeps no state. The caller owns each unpacked message
 *  and must free it with its *__free_unpacked(msg, NULL); the bytes given
 *  to an unpack or a pack are only read by the call. A wire_cap_t is only
 *  needed while the unpack it caps runs.
 *
 *  Strings: protobuf-c hands back NUL-terminated strings without their
 *  lengths, so a NUL inside one would hide its tail from every check
 *  ("urban_new_jobs\0tail" read as urban_new_jobs). An agent message is
 *  therefore accepted only in its canonical encoding: packing what was
 *  unpacked must give back exactly the bytes received. protobuf-c (our
 *  agents) and every mainstream protobuf library write that encoding
 *  (each field once, in field order, shortest varints); an embedded NUL,
 *  an overlong varint, a repeated singular field or a second oneof member
 *  break it, and unknown fields are refused outright (a new field comes
 *  with a new WIRE_VERSION).
 *
 *  INVARIANTS
 *    1. An unpacked agent message was 1..WIRE_MAX_AGENT_MSG bytes (a
 *       collector message 1..WIRE_MAX_COLLECTOR_MSG) and took at most 16
 *       times that plus 4 KiB of memory to unpack.
 *    2. It has its body set and every string and submessage it needs
 *       non-NULL and bounded: a valid agent name (wire_name_ok()) in every
 *       agent message, version WIRE_VERSION in a Hello, at most
 *       WIRE_MAX_BATCH updates in a Batch, with nonzero consecutive seqs,
 *       each with an indicator of 1 to CATALOG_CODE_MAX bytes of clean
 *       text (common/text) and a count or a ratio, and a message and a
 *       reason_name in each rejection of an Ack. Regions and values are
 *       left to the collector (common/update).
 *    3. An accepted agent message is the canonical encoding of what was
 *       unpacked, with no unknown field: every string is whole (no NUL
 *       inside) and clean text.
 *    4. On failure *out is NULL and nothing leaks.
 *    5. Each protocol number maps to exactly one C value and back; a
 *       number this version does not know is refused (0, or ERR_PROTO),
 *       never cast.
 *    6. WIRE_MAX_AGENT_MSG is the size of the largest agent message that
 *       can pass these checks, and WIRE_MAX_COLLECTOR_MSG at least that
 *       of the largest Ack a collector sends (test_wire builds both).
 */
#ifndef HRSS_WIRE_H
#define HRSS_WIRE_H
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/catalog.h"
#include "common/err.h"
#include "common/update.h"
#include "proto/hrss.pb-c.h"

#define WIRE_VERSION 1
/** Most updates in one batch. */
#define WIRE_MAX_BATCH 2000
/** Longest agent name, in bytes. */
#define WIRE_NAME_MAX 64

/* ---------------------------------------------------------------- limits
 * ZMQ_MAXMSGSIZE on each end is the largest message the other end may
 * legally send, plus WIRE_CURVE_MARGIN for CurveZMQ, which counts the
 * encrypted frame (LIBRARY-NOTES: about 64 bytes more; its MESSAGE
 * command adds 8 + 8 + 16 + 1 = 33). Sizes are of the protobuf encoding,
 * every number at its widest varint (a uint64 or a negative int64: 10
 * bytes; a uint32: 5) and every string at its longest.
 *
 * The largest Update, as it sits in a Batch:
 *     field tag and length                      1 + 1 =   2
 *     seq        uint64                          1 + 10 =  11
 *     indicator  1 + 1 + CATALOG_CODE_MAX (63)          =  65
 *     region     uint32                          1 + 5  =   6
 *     month      uint32                          1 + 5  =   6
 *     ratio      1 + 1 + 2 * (1 + 10)  (a count: 11)    =  24
 *                                                         ---
 *                                                         114
 * The largest AgentMsg is a Batch:
 *     AgentMsg tag and length (3-byte varint)        1 + 3 =      4
 *     name       1 + 1 + WIRE_NAME_MAX (64)                =     66
 *     region     uint32                                    =      6
 *     updates    WIRE_MAX_BATCH (2000) * 114               = 228000
 *                                                            ------
 *                                                            228076 bytes
 * (a Hello is at most 1 + 1 + 6 + 66 + 6 = 80). An agent sends at most
 * 500 updates a batch (agent/delivery.h): at most 57,076 bytes. */
#define WIRE_UPDATE_MAX (2 + 11 + (2 + CATALOG_CODE_MAX) + 6 + 6 + 24)
#define WIRE_MAX_AGENT_MSG                                                   \
    (4 + (2 + WIRE_NAME_MAX) + 6 + WIRE_MAX_BATCH * WIRE_UPDATE_MAX)
/** Room for CurveZMQ's framing on top of a message. */
#define WIRE_CURVE_MARGIN 64
/** ZMQ_MAXMSGSIZE of the collector's ingest socket: 228,140 bytes. */
#define WIRE_MAX_AGENT_FRAME (WIRE_MAX_AGENT_MSG + WIRE_CURVE_MARGIN)

/* The collector's side. Its longest strings: */
/** A rejection's message ("FIELD: reason"), in bytes. */
#define WIRE_REJECTION_MSG_MAX 255
/** A rejection's reason_name ("numerator_gt_denominator"), in bytes. */
#define WIRE_REASON_NAME_MAX 31
/** An Ack's message, in bytes. */
#define WIRE_ACK_MSG_MAX (ERR_LEN - 1)
/* The largest Rejection, as it sits in an Ack:
 *     field tag and length (2-byte varint)      1 + 2          =   3
 *     seq 1 + 10, reason (an enum) 1 + 10                      =  22
 *     reason_name  1 + 1 + 31                                  =  33
 *     message      1 + 2 + 255                                 = 258
 *                                                                ---
 *                                                                316
 * The largest CollectorMsg is an Ack rejecting a whole batch:
 *     CollectorMsg tag and length (3-byte varint)  1 + 3 =      4
 *     status 1 + 10, next_seq, first_seq, last_seq 3 * 11 =     44
 *     message      1 + 2 + 511                            =    514
 *     audit_position 1 + 10, audit_head 1 + 1 + 32         =     45
 *     rejections   WIRE_MAX_BATCH (2000) * 316            = 632000
 *                                                           ------
 *                                                           632607 bytes */
#define WIRE_REJECTION_MAX                                                   \
    (3 + 22 + (2 + WIRE_REASON_NAME_MAX) + (3 + WIRE_REJECTION_MSG_MAX))
#define WIRE_MAX_COLLECTOR_MSG                                               \
    (4 + 44 + (3 + WIRE_ACK_MSG_MAX) + 45 +                                \
     WIRE_MAX_BATCH * WIRE_REJECTION_MAX)
/** ZMQ_MAXMSGSIZE of an agent's socket: 632,671 bytes. */
#define WIRE_MAX_COLLECTOR_FRAME (WIRE_MAX_COLLECTOR_MSG + WIRE_CURVE_MARGIN)
/** The old name, 4 MiB until these limits: agent/sender.c's limit (the
 *  agent's socket) and collector.c's default before a socket's own
 *  options (the ingest socket takes WIRE_MAX_AGENT_FRAME, the query
 *  socket qserve's). New code names the limit it means. */
#define WIRE_MAX_MSG WIRE_MAX_COLLECTOR_FRAME

/** A protobuf-c allocator that hands out at most @p limit bytes in all, so
 *  that a small hostile buffer cannot expand into gigabytes (protobuf-c
 *  has no cap of its own). Pass &cap->base to *__unpack; free the result
 *  with the same allocator or with NULL (both use free()). Plain value
 *  struct; initialise with wire_cap_init(). */
typedef struct wire_cap {
    ProtobufCAllocator base;
    size_t used;
    size_t limit;
} wire_cap_t;

void wire_cap_init(wire_cap_t *cap, size_t limit);

/** Unpack and validate an agent message (INVARIANTS 1 to 3).
 *  @param[out] out  On ERR_OK the message; caller owns it and must free it
 *                   with hrss__agent_msg__free_unpacked(*out, NULL).
 *  @return ERR_OK, ERR_PROTO (with @p err saying what was wrong: it
 *          quotes no byte of the message). */
int wire_agent_unpack(const void *data, size_t len, Hrss__AgentMsg **out,
                      char err[ERR_LEN]);

/** What could be read of an agent message, also of one that is refused,
 *  so that the answer can name the batch. Plain value struct. */
typedef struct wire_agent_info {
    int body;            /**< HRSS__AGENT_MSG__BODY_* when the bytes
                              unpacked as an AgentMsg (valid or not),
                              else 0 */
    uint64_t first_seq;  /**< a Batch's first and last update's seq when
                              it unpacked with updates, else 0 */
    uint64_t last_seq;
} wire_agent_info_t;

/** wire_agent_unpack(), filling @p info (always written) as well. */
int wire_agent_unpack_info(const void *data, size_t len,
                           Hrss__AgentMsg **out, wire_agent_info_t *info,
                           char err[ERR_LEN]);

/** Unpack and validate a collector message; free with
 *  hrss__collector_msg__free_unpacked(*out, NULL). */
int wire_collector_unpack(const void *data, size_t len,
                          Hrss__CollectorMsg **out, char err[ERR_LEN]);

/** Append the packed form of any message to @p out (after buf_reset). */
void wire_pack(const ProtobufCMessage *msg, buf_t *out);

/** What the collector answers to a Batch. The protocol's numbers are
 *  hrss.AckStatus; these C values are mapped to and from them only by
 *  wire_ack_to_proto() and wire_ack_from_proto(). */
enum wire_ack {
    WIRE_ACK_OK,           /**< applied or a replay: next_seq decides */
    WIRE_ACK_GAP,          /**< resend from next_seq */
    WIRE_ACK_MALFORMED,    /**< refused whole: nothing applied */
    WIRE_ACK_UNAUTHORIZED, /**< the sender may not send batches */
    WIRE_ACK_RETRY,        /**< could not be stored now: back off */
};

Hrss__AckStatus wire_ack_to_proto(enum wire_ack a);
/** @return 1 with *@p out set, or 0 for a number this version does not
 *  know (a newer or hostile peer). */
int wire_ack_from_proto(Hrss__AckStatus p, enum wire_ack *out);

/** The domain update of wire update @p w (a message that passed
 *  wire_agent_unpack); @p u borrows w's indicator string. */
void wire_update_get(const Hrss__Update *w, update_t *u);

/** The wire form of @p u into @p w (and @p ratio, for a ratio's value);
 *  @p w borrows @p u's indicator string. */
void wire_update_set(Hrss__Update *w, Hrss__Ratio *ratio, const update_t *u);

Hrss__RejectReason wire_reason_to_proto(enum update_reason r);
/** @return 1 with *@p out set, or 0 for an unknown number. */
int wire_reason_from_proto(Hrss__RejectReason p, enum update_reason *out);

/** The QueryStatus for an ERR_* code (common/err.h); a code the protocol
 *  has no number for travels as QUERY_IO. */
Hrss__QueryStatus wire_status_to_proto(int err_code);
/** The ERR_* code for a QueryStatus; ERR_PROTO for an unknown number. */
int wire_status_from_proto(Hrss__QueryStatus p);

/** 1 when @p name is a valid agent name: 1..WIRE_NAME_MAX bytes of clean
 *  text (common/text: valid UTF-8, no control character), no ASCII
 *  space. */
int wire_name_ok(const char *name);

#endif
