/* A local cluster for the cluster test and benchmark: nats-server processes
 * with JetStream on 127.0.0.1 (free ports, store dirs under a scratch
 * directory) and `hotspot shard` replicas, each started, killed and
 * restarted one by one. Every process started here is stopped by
 * cu_stop_all (also registered with atexit), every wait is bounded. */
#ifndef HOTSPOT_CLUSTERUTIL_H
#define HOTSPOT_CLUSTERUTIL_H

#include <hotspot/cluster.h>
#include <hotspot/synth.h>
#include <nats/nats.h>

#include <stdbool.h>
#include <sys/types.h>

#define CU_SERVERS_MAX 5
#define CU_SHARDS_MAX 16
#define CU_REPLICAS_MAX 4

typedef struct cu_cluster {
    char dir[512];
    const char *cli; /* the hotspot command-line tool */
    int nservers;
    pid_t server[CU_SERVERS_MAX];
    int port[CU_SERVERS_MAX], cport[CU_SERVERS_MAX];
    char urls[512];
    int shards, replicas, threads;
    int max_payload; /* the servers' max_payload in bytes; 0 = NATS's default (1 MiB) */
    bool frozen[CU_SERVERS_MAX]; /* stopped with SIGSTOP by cu_fault (a pause, a partition) */
    pid_t shard[CU_SHARDS_MAX + 1][CU_REPLICAS_MAX + 1]; /* [1..shards][1..replicas] */
} cu_cluster;

/* Path of nats-server, or NULL (with the reason printed) when absent. */
const char *cu_nats_server(void);
/* The hotspot tool that runs the shards (HS_CLI) when it and nats-server
 * are there, else NULL with the reason printed: the test skips. */
const char *cu_cli(void);

/* Write the configurations and start n servers (a JetStream cluster when
 * n > 1) under dir; returns false on failure. */
bool cu_start_servers(cu_cluster *c, const char *dir, int n, const char *cli);
/* (Re)start server i (0-based) with its configuration and store; a frozen
 * one is continued (SIGCONT). */
bool cu_start_server(cu_cluster *c, int i);
/* Start replica r (1-based) of shard s (1-based), data in dir/s<s>r<r>. */
bool cu_start_shard(cu_cluster *c, int s, int r);
/* Send sig to a process and reap it (bounded wait; SIGKILL after 10 s). */
void cu_kill_server(cu_cluster *c, int i, int sig);
void cu_kill_shard(cu_cluster *c, int s, int r, int sig);
/* Stop everything (shards with SIGTERM first, then the servers). */
void cu_stop_all(void);
/* cu_stop_all (LeakSanitizer reports at exit), then print every sanitizer
 * report (AddressSanitizer, LeakSanitizer, ThreadSanitizer,
 * UndefinedBehaviorSanitizer) the shard processes wrote to their logs and
 * return how many there were. A replica that a sanitizer stops is replaced
 * by its sibling and the cluster still answers, so the tests look at the
 * logs instead of relying on a failure. */
int cu_stop_and_scan_logs(const cu_cluster *c);

/* Print every sanitizer report (AddressSanitizer, LeakSanitizer,
 * ThreadSanitizer, UndefinedBehaviorSanitizer) in the log at path and
 * return how many there were (0 when there is no such file). */
int cu_scan_log(const char *path);

/* The chaos tests' seeded generator (SplitMix64 on *state), and n > 0
 * values from it. */
uint64_t cu_rnd(uint64_t *state);
int cu_rnd_below(uint64_t *state, int n);
/* Servers of c not running, or frozen. */
int cu_servers_down(const cu_cluster *c);
/* One random fault from rng, printed with cu_say: a server killed (SIGKILL)
 * or frozen (SIGSTOP: a pause or a network partition, its connections left
 * open), while fewer than two are down; a dead server started or a frozen
 * one continued; a replica killed (SIGKILL) or stopped (SIGTERM); or a dead
 * replica started. False when a process could not be started. */
bool cu_fault(cu_cluster *c, uint64_t *rng, double t0_ms);
/* Start every dead server, wait 2 s (their routes form before the replicas
 * join), then every dead replica; printed with cu_say. */
bool cu_heal(cu_cluster *c, double t0_ms);

/* fork and exec argv[0] with stdout and stderr appended to log; the pid
 * (the caller reaps it), or -1. */
pid_t cu_spawn(char *const argv[], const char *log);

/* The chaos tests' cluster under dir: 3 servers, the stream replicated 3
 * times, 2 shards x 2 replicas started; *cl connected with a 2 s request
 * timeout and an 8 s write timeout (a write without quorum fails then).
 * False (the reason in ctx when the init failed) on failure. */
bool cu_chaos_start(hs_ctx *ctx, cu_cluster *c, const char *dir, hs_cluster **cl);

/* The intake tests' authority and one registered device: fresh keys, and
 * under dir (made) auth.pub, auth.sec, devices/dev.pub; seen names the
 * worker's seen file. HS_ERR_NOT_BUILT without libsodium. */
typedef struct cu_authority {
    uint8_t box_pk[32], box_sk[32], sign_pk[32], sign_sk[64];
    uint8_t dev_pk[32], dev_sk[64];
    char dir[512], seen[600], auth_sec[600], devices[600];
} cu_authority;
hs_status cu_authority_make(hs_ctx *ctx, cu_authority *a, const char *dir);
/* The intake tests' setup: cu_authority_make under dir, and into *gen the
 * synthetic generator (seed 20261207, fast mode). HS_ERR_NOT_BUILT, with
 * "SKIP: ..." printed, without libsodium. */
hs_status cu_intake_setup(hs_ctx *ctx, cu_authority *a, const char *dir, hs_synth **gen);
/* Impression k of synthetic master m: its ground-truth template into *t
 * and/or its image into *img (either may be NULL). */
hs_status cu_impression(hs_ctx *ctx, hs_synth *gen, uint32_t m, uint32_t k, hs_template **t,
                        hs_image **img);
/* The gallery G00..: impression 0 of masters 0 to n - 1, loaded into cl. */
hs_status cu_load_gallery(hs_ctx *ctx, hs_cluster *cl, hs_synth *gen, uint32_t n);
/* `hotspot cluster intake` for a's authority, devices and seen file on c's
 * servers, with --ack-wait-ms and the NULL-terminated arguments more (may
 * be NULL), output appended to log; its pid, or -1. */
pid_t cu_start_worker(const cu_cluster *c, const cu_authority *a, const char *log,
                      const char *ack_wait_ms, const char *more[]);

/* Stream @p stream's state: its leader ("" when it cannot tell now), the
 * state of the copy on server @p server (current: caught up, when it is a
 * follower), whether every other follower is caught up (others), and a
 * description for messages. */
typedef struct cu_stream_view {
    char leader[64];
    bool current, others;
    char text[512];
} cu_stream_view;
void cu_view_stream(jsCtx *js, const char *stream, const char *server, cu_stream_view *v);

/* The name of the server consumer @p durable of @p stream lives on into
 * server ("" when it does not answer or has no leader). */
void cu_consumer_server(jsCtx *js, const char *stream, const char *durable, char server[64]);
/* The server that consumer @p durable of @p stream lives on, once that
 * server leads neither that stream nor the streams of the NULL-terminated
 * list also (may be NULL; each leader there is asked to step down) and
 * every copy of those streams is current, so that the two others keep a
 * quorum of each when it is frozen (cu_freeze_server). Tries for at most
 * limit_ms; the server's index, or -1 with the last state in v. Its name
 * (n1, n2, ...) into server. */
int cu_consumer_off_leader(cu_cluster *c, jsCtx *js, natsConnection *nc, const char *stream,
                           const char *durable, const char *const *also, char server[64],
                           cu_stream_view *v, double limit_ms);
/* Wait at most limit_ms until every copy of each stream of the
 * NULL-terminated list is current; false (the last state in v) if not. */
bool cu_streams_current(jsCtx *js, const char *const *streams, cu_stream_view *v,
                        double limit_ms);
/* Connect *nc and *js to the servers of c that run and are not frozen (a
 * connection to a frozen server would wait for the client's pings to give
 * it up); false when there is none or the connection fails. */
bool cu_connect_live(const cu_cluster *c, natsConnection **nc, jsCtx **js);
/* Freeze server i (SIGSTOP: a pause, or a partition with its connections
 * left open); cu_start_server continues it. */
void cu_freeze_server(cu_cluster *c, int i);

/* In a cmocka test: a call that must return HS_OK, else the test fails
 * with the status and ctx's message. */
#define CU_CHECK(ctx, call)                                                                      \
    do {                                                                                         \
        hs_status s_ = (call);                                                                   \
        if (s_)                                                                                  \
            fail_msg("%s: %s: %s", #call, hs_status_str(s_), hs_ctx_last_error(ctx));            \
    } while (0)

/* Connect *cl (when NULL) to c's servers with options o (NULL: defaults)
 * and create the cluster's stream, retrying every 200 ms for at most
 * limit_ms: JetStream answers once its metadata leader is elected and every
 * peer has joined, seconds, but on a slow machine once more than 30 s ("no
 * suitable peers for placement", session 15). Returns the last status (the
 * reason in ctx); *cl may be set on failure too (the caller frees it). */
hs_status cu_cluster_init(hs_ctx *ctx, const cu_cluster *c, hs_cluster **cl,
                          const hs_cluster_options *o, uint32_t shards, uint32_t replicas,
                          double limit_ms);

/* Print "[  12.3 s] " (seconds since t0_ms, cu_now_ms's clock) and the
 * message on a line of its own, flushed: where a test's time goes. */
void cu_say(double t0_ms, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Search the cluster and the single list wl for probe (top 10, flags,
 * deadline): true when the cluster's answer is complete and equals the
 * list's candidate by candidate (ids, exact scores, hits, finger counts,
 * the first finger's similarity and position). Else false with the reason
 * in why (the cluster's error, or the first difference; both lists are
 * printed then). */
bool cu_same_as_list(hs_cluster *cl, const hs_watchlist *wl, const hs_template *probe,
                     uint32_t flags, uint32_t deadline_ms, char *why, size_t why_size);

/* In a cmocka test: skip unless the cluster of the setup is ready. */
#define CU_NEED(ready)                                                                           \
    do {                                                                                         \
        if (!(ready))                                                                            \
            skip();                                                                              \
    } while (0)

/* Milliseconds of monotonic time. */
double cu_now_ms(void);
void cu_sleep_ms(int ms);

#endif
