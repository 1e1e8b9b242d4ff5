/* libhotspot-cluster internals: the NATS connection shared by clients and
 * shards, subject names, versioned-struct checks, timing. */
#ifndef HOTSPOT_CLUSTER_CONN_H
#define HOTSPOT_CLUSTER_CONN_H

#include "wire.h"

#include <nats/nats.h>
#include <stdbool.h>
#include <time.h>

typedef struct hsc_conn {
    natsConnection *nc;
    jsCtx *js;
    char name[HS_CLUSTER_NAME_MAX + 1];   /* cluster name */
    char stream[HS_CLUSTER_NAME_MAX + 16]; /* JetStream stream name */
    hs_cluster_options opts;              /* resolved (strings not kept) */
} hsc_conn;

/* Check a versioned input struct as hs__struct_in does in the core
 * (docs/conventions.md, section 6): dst holds the defaults. */
hs_status hsc_struct_in(hs_ctx *ctx, void *dst, size_t cur_size, const void *src,
                        size_t min_size, const char *name);
/* Output struct: fill as far as dst->struct_size reaches, then set it. */
hs_status hsc_struct_out(hs_ctx *ctx, void *dst, const void *src, size_t cur_size,
                         size_t min_size, const char *name);

hs_status hsc_options(hs_ctx *ctx, hs_cluster_options *o, const hs_cluster_options *in);

/* Connect (o already checked); nothing is left open on failure. With
 * send_asap, every message is written to the socket at once instead of
 * being left to libnats's flusher (about 1 ms later): a shard's replies,
 * fetch requests and acknowledgements; a client's bulk publishes are
 * better batched. */
hs_status hsc_connect(hs_ctx *ctx, hsc_conn *c, const char *urls, const hs_cluster_options *o,
                      jsPubAckHandler ack, void *ack_closure, bool send_asap);
void hsc_disconnect(hsc_conn *c);

/* A consumer of one copy in memory (cc) and the same settings for the
 * pull subscription that binds to it (so; libnats checks them against the
 * consumer's). A shard replica resumes from its saved partition and the
 * intake worker's batches stay in their work-queue stream, so neither needs
 * the consumer to survive its server; a replicated consumer's own Raft
 * group, by contrast, was found stalled for good after servers were killed
 * and restarted (nats-server 2.9: "consumer ... has NO quorum, stalled"
 * with every server back; test_cluster_chaos, session 16). A consumer lost
 * with its server is made anew by the owner's stall watchdog. */
void hsc_consumer_in_memory(jsConsumerConfig *cc, jsSubOptions *so);

/* A NATS failure as an hs_status with a message naming what failed. */
hs_status hsc_nats_error(hs_ctx *ctx, natsStatus s, const char *what);
/* The same for a JetStream call that gave the error code je (0: none):
 * JetStream's "not now" answers (no quorum, no leader, offline, no peers)
 * are HS_ERR_UNAVAILABLE too. */
hs_status hsc_js_error(hs_ctx *ctx, natsStatus s, jsErrCode je, const char *what);
/* The message of hsc_nats_error with the status h chosen by the caller. */
hs_status hsc_nats_error_as(hs_ctx *ctx, hs_status h, natsStatus s, const char *what);

/* The cluster's shard count (0 when the stream does not exist) and the
 * stream's last sequence. */
hs_status hsc_stream_info(hs_ctx *ctx, hsc_conn *c, uint32_t *shards, uint64_t *last_seq);

/* Subjects: updates of shard i, searches of shard i, status requests. */
void hsc_subject_update(char *buf, size_t cap, const hsc_conn *c, uint32_t shard);
void hsc_subject_search(char *buf, size_t cap, const hsc_conn *c, uint32_t shard);
void hsc_subject_status(char *buf, size_t cap, const hsc_conn *c);

/* Deferred checks (intake.c): stream names, and their creation with the
 * cluster stream's replication when @p create (else only checked).
 * HS_ERR_STATE when the cluster or, without create, the streams are
 * missing. */
void hsc_stream_intake(char *buf, size_t cap, const hsc_conn *c);
void hsc_stream_results(char *buf, size_t cap, const hsc_conn *c);
hs_status hsc_deferred_streams(hs_ctx *ctx, hsc_conn *c, int create);
/* The connection of a client handle (client.c). */
hsc_conn *hsc_cluster_conn(hs_cluster *cl);

/* Monotonic milliseconds. */
double hsc_now_ms(void);
void hsc_sleep_ms(unsigned ms);
/* The absolute time ms milliseconds from now on clock clk, for
 * pthread_cond_timedwait on a condition variable of that clock. */
void hsc_abstime(struct timespec *ts, clockid_t clk, double ms);

#endif
