/* A local cluster for the cluster test and benchmark: nats-server processes
 * with JetStream on 127.0.0.1 (free ports, store dirs under a scratch
 * directory) and `hotspot shard` replicas, each started, killed and
 * restarted one by one. Every process started here is stopped by
 * cu_stop_all (also registered with atexit), every wait is bounded. */
#ifndef HOTSPOT_CLUSTERUTIL_H
#define HOTSPOT_CLUSTERUTIL_H

#include <hotspot/cluster.h>

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
/* (Re)start server i (0-based) with its configuration and store. */
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
