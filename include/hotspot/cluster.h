/*
 * libhotspot-cluster - cluster.h: one watchlist spread over many machines,
 * searched centrally, on NATS JetStream.
 *
 * A separate, optional library (libhotspot-cluster.so.1, link with
 * -lhotspot-cluster -lhotspot; pkg-config hotspot-cluster), built when the
 * NATS C client (libnats) is found. The core libhotspot does not depend on
 * NATS.
 *
 * Model (docs/cluster.md gives the design, the wire format and the figures):
 *  - A cluster has a name (default "hotspot") and N shards, numbered 1..N.
 *    A subject lives on exactly one shard, hs_cluster_shard_of(id, N), a
 *    stable hash of its id.
 *  - Every change (enrol, replace, remove) is a message of one replicated
 *    JetStream stream, on the subject of its shard, so each shard sees its
 *    changes in order and the stream sequence names a point in the history.
 *  - A shard is served by one or more replicas (hs_cluster_shard_new), each
 *    holding the whole partition in memory, applying the stream through its
 *    own durable consumer and saving the partition with the last applied
 *    sequence. The replicas of a shard share a queue group: a search reaches
 *    one of them, and another takes over when one dies.
 *  - A search (hs_cluster_search) goes to every shard at once, each answers
 *    its own top-K with the fused scores of hs_watchlist_search, and the
 *    client merges them by score. A shard that does not answer by the
 *    deadline is named in the result; without HS_CLUSTER_PARTIAL_OK such a
 *    search fails with HS_ERR_UNAVAILABLE instead of returning a partial
 *    list.
 *  - Read-your-writes: a client remembers the sequence of its last write to
 *    each shard and asks that shard not to answer before it has applied it.
 *
 * Shard numbers are 1-based everywhere (API, wire, NATS subjects, CLI).
 * Biometric payloads are never logged; connections outside the loopback
 * interface must use TLS (see hs_cluster_options).
 *
 * Thread-safety: an hs_cluster handle is used by one thread at a time (open
 * one per thread; the NATS connection behind each is its own). A shard
 * handle serves requests on its own threads; the calls on it are Exclusive.
 */
#ifndef HOTSPOT_CLUSTER_H
#define HOTSPOT_CLUSTER_H

#include "hotspot/common.h"
#include "hotspot/encounter.h"
#include "hotspot/template.h"
#include "hotspot/watchlist.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Export macro of libhotspot-cluster (a library of its own: HS_API marks
 * the core library's exports). */
#if defined(HOTSPOT_STATIC)
#  define HS_CLUSTER_API
#elif defined(_WIN32)
#  if defined(HOTSPOT_CLUSTER_BUILDING)
#    define HS_CLUSTER_API __declspec(dllexport)
#  else
#    define HS_CLUSTER_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__) && __GNUC__ >= 4
#  define HS_CLUSTER_API __attribute__((visibility("default")))
#else
#  define HS_CLUSTER_API
#endif

/** @defgroup cluster Cluster search (libhotspot-cluster)
 *  @{ */

#define HS_CLUSTER_NAME_MAX     32 /**< bytes of a cluster name: [A-Za-z0-9_-] */
#define HS_CLUSTER_REPLICA_MAX  64 /**< bytes of a replica name: [A-Za-z0-9_-] */
#define HS_CLUSTER_SHARDS_MAX  1024 /**< shards of a cluster */
#define HS_CLUSTER_DEFAULT_NAME "hotspot" /**< the cluster name when none is given */

/** Shard (1..shards) of subject @p id in a cluster of @p shards shards:
 *  jump consistent hash (Lamping and Veach) of the 64-bit FNV-1a hash of the
 *  id's bytes, finalised with SplitMix64 (docs/cluster.md, with test
 *  vectors). 0 when id is NULL or shards is 0 or above
 *  HS_CLUSTER_SHARDS_MAX. Thread-safe. @since 1.0 */
HS_CLUSTER_API uint32_t hs_cluster_shard_of(const char *id, uint32_t shards);

/* ---- Connection -------------------------------------------------------- */

/** hs_cluster_options.flags: allow plain-text connections to servers
 *  outside the loopback interface (never for biometric data on a network
 *  you do not control). */
#define HS_CLUSTER_INSECURE 1u

/** Connection options, shared by clients and shards; every path is passed
 *  through to libnats. Grows at the end; set struct_size (use the _INIT
 *  macro). Strings belong to the caller and are read during the call only.
 *  @since 1.0 */
typedef struct hs_cluster_options {
    uint32_t struct_size;     /**< sizeof(hs_cluster_options) */
    uint32_t flags;           /**< HS_CLUSTER_* flags */
    const char *name;         /**< cluster name; NULL = "hotspot" */
    const char *tls_ca_file;  /**< PEM CA certificates: enables TLS */
    const char *tls_cert_file; /**< PEM client certificate (with tls_key_file) */
    const char *tls_key_file; /**< PEM client key */
    const char *creds_file;   /**< NATS user credentials (JWT + NKEY seed) */
    const char *nkey_public;  /**< NKEY public user key (with nkey_seed_file) */
    const char *nkey_seed_file; /**< file holding the NKEY seed */
    uint32_t timeout_ms;      /**< connect, publish-ack and API timeout per try
                                   (100..60000, default 5000) */
    uint32_t write_timeout_ms; /**< how long a write keeps retrying while
                                   the stream has no leader (100..600000,
                                   default 30000) */
} hs_cluster_options;

#define HS_CLUSTER_OPTIONS_INIT \
    { sizeof(hs_cluster_options), 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 5000, 30000 }

/** A client's connection to a cluster. */
typedef struct hs_cluster hs_cluster;

/** Connect to the NATS servers @p urls (comma-separated, e.g.
 *  "nats://10.0.0.1:4222,nats://10.0.0.2:4222"; tls:// selects TLS) and
 *  read the cluster's shard count if it has been initialised. The client
 *  reconnects by itself to any of the servers. Ownership: *out is freed with
 *  hs_cluster_free. Errors: HS_ERR_INVALID_ARG (bad URL list, cluster name
 *  or options; a non-loopback server without TLS and without
 *  HS_CLUSTER_INSECURE), HS_ERR_UNAVAILABLE (no server reachable),
 *  HS_ERR_IO (TLS or credential files), HS_ERR_NOMEM. One thread per
 *  object. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_connect(hs_ctx *ctx, hs_cluster **out, const char *urls,
                                            const hs_cluster_options *opts);

/** Close the connection and free the handle (NULL accepted). Exclusive.
 *  @since 1.0 */
HS_CLUSTER_API void hs_cluster_free(hs_cluster *cl);

/** Number of shards of the connected cluster (0 before hs_cluster_init,
 *  0 for NULL). Cannot fail. One thread per object. @since 1.0 */
HS_CLUSTER_API uint32_t hs_cluster_shards(const hs_cluster *cl);

/** Highest stream sequence this handle has written (0 before any write,
 *  0 for NULL); searches on this handle wait for it. Cannot fail. One
 *  thread per object. @since 1.0 */
HS_CLUSTER_API uint64_t hs_cluster_last_sequence(const hs_cluster *cl);

/** Create the cluster's stream: @p shards shards (1..HS_CLUSTER_SHARDS_MAX)
 *  and @p replicas copies of the stream (1..5, at most the number of NATS
 *  servers with JetStream). Errors: HS_ERR_EXISTS (the cluster exists with
 *  another shard count; the same count is accepted), HS_ERR_UNAVAILABLE,
 *  HS_ERR_STATE (JetStream refused, message from the server). Exclusive.
 *  @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_init(hs_ctx *ctx, hs_cluster *cl, uint32_t shards,
                                         uint32_t replicas);

/* ---- Writes ------------------------------------------------------------ */

/** Enrol a copy of subject @p s on its shard; *seq (may be NULL) receives
 *  the stream sequence of the change once JetStream has stored it on a
 *  quorum. A subject whose id is already on the shard is not changed (the
 *  shard counts the change as refused: hs_cluster_replace overwrites).
 *  Retries, without duplicates, until write_timeout_ms while the stream
 *  elects a leader. Errors: HS_ERR_STATE (cluster not initialised),
 *  HS_ERR_UNAVAILABLE, HS_ERR_LIMIT (message above the server's maximum
 *  payload), HS_ERR_NOMEM. One thread per object. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_enrol(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl,
                                          const hs_watchlist_subject *s);

/** As hs_cluster_enrol, but the subject replaces one with the same id (or
 *  is added when there is none). Errors: as hs_cluster_enrol. One thread
 *  per object. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_replace(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl,
                                            const hs_watchlist_subject *s);

/** Remove subject @p id from its shard (a removal of an absent id is
 *  counted as refused by the shard). *seq as in hs_cluster_enrol. Errors:
 *  HS_ERR_INVALID_ARG (id), HS_ERR_STATE, HS_ERR_UNAVAILABLE. One thread per
 *  object. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_remove(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl,
                                           const char *id);

/** Enrol every subject of @p wl (bulk load), many in flight at once; *seq
 *  (may be NULL) receives the highest sequence written. On failure some
 *  subjects may already be enrolled: loading again with @p flags
 *  HS_CLUSTER_LOAD_REPLACE is safe. Errors: as hs_cluster_enrol. One thread
 *  per object (concurrent readers of wl). @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_load(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl,
                                         const hs_watchlist *wl, uint32_t flags);

/** hs_cluster_load flags: replace subjects already present. */
#define HS_CLUSTER_LOAD_REPLACE 1u

/* ---- Search ------------------------------------------------------------ */

/** hs_cluster_search_options.flags, beside HS_WATCHLIST_EXHAUSTIVE and
 *  HS_WATCHLIST_HITS_ONLY (same values, passed on to the shards): return
 *  a result even when shards are missing (named in the result). */
#define HS_CLUSTER_PARTIAL_OK 0x100u

/** Search options. Grows at the end; set struct_size (use the _INIT macro).
 *  @since 1.0 */
typedef struct hs_cluster_search_options {
    uint32_t struct_size;    /**< sizeof(hs_cluster_search_options) */
    uint32_t max_candidates; /**< K of the merged top-K (1..1000, default 10);
                                  each shard returns its own top K */
    uint32_t flags;          /**< HS_WATCHLIST_EXHAUSTIVE, HS_WATCHLIST_HITS_ONLY,
                                  HS_CLUSTER_PARTIAL_OK */
    uint32_t rescore;        /**< as hs_watchlist_search_options.rescore,
                                  per shard (0 = automatic) */
    uint32_t face_model;     /**< model of the probe face (HS_FACE_MODEL_*) */
    uint32_t deadline_ms;    /**< answers arriving later are not waited
                                  for (10..600000, default 5000) */
    double fmr;              /**< decision false match rate per subject,
                                  1e-12..0.5 (default 1e-4) */
    uint64_t min_sequence;   /**< each shard answers only once it has applied
                                  every change up to this stream sequence
                                  (besides this handle's own writes, which
                                  are always waited for); 0 = none */
} hs_cluster_search_options;

#define HS_CLUSTER_SEARCH_OPTIONS_INIT \
    { sizeof(hs_cluster_search_options), 10, 0, 0, 0, 5000, 1e-4, 0 }

/** What became of one shard in a search (hs_cluster_result_shard). */
#define HS_CLUSTER_SHARD_ANSWERED 0u /**< answered; its candidates are merged */
#define HS_CLUSTER_SHARD_MISSING  1u /**< no replica answered by the deadline */
#define HS_CLUSTER_SHARD_BEHIND   2u /**< replicas answered, none had reached
                                          the minimum sequence */
#define HS_CLUSTER_SHARD_FAILED   3u /**< the replica reported an error */

/** One shard's part in a search result. Grows at the end; set struct_size.
 *  @since 1.0 */
typedef struct hs_cluster_shard_result {
    uint32_t struct_size;    /**< sizeof(hs_cluster_shard_result) */
    uint32_t shard;          /**< shard number, 1..N */
    uint32_t state;          /**< HS_CLUSTER_SHARD_* */
    uint32_t candidates;     /**< candidates it returned */
    uint64_t sequence;       /**< stream sequence it had applied */
    uint64_t subjects;       /**< subjects it holds */
    uint64_t rescored;       /**< subjects its full matcher scored */
    double search_ms;        /**< its time at the replica, a wait for the min. sequence included */
    char replica[HS_CLUSTER_REPLICA_MAX + 1]; /**< replica that answered ("" if none) */
    char reserved[3];
} hs_cluster_shard_result;

#define HS_CLUSTER_SHARD_RESULT_INIT { sizeof(hs_cluster_shard_result), 0, 0, 0, 0, 0, 0, 0, {0}, {0} }

/** Opaque cluster search result. */
typedef struct hs_cluster_result hs_cluster_result;

/** Search the whole cluster: the probe is as in hs_watchlist_search (every
 *  view of @p fingers and/or the face @p face of @p face_dim values). Each
 *  shard searches its partition with the same options and fusion; the
 *  merged list holds the best max_candidates subjects by decreasing fused
 *  score (ties broken as hs_watchlist_search breaks them), so it equals a
 *  search of one list holding every shard's subjects. Ownership: *out is
 *  freed with hs_cluster_result_free. Errors: HS_ERR_INVALID_ARG (no probe,
 *  bad options), HS_ERR_STATE (cluster not initialised), HS_ERR_UNAVAILABLE
 *  (a shard did not answer by the deadline and HS_CLUSTER_PARTIAL_OK is not
 *  set: the message names the shards), HS_ERR_LIMIT (probe larger than the
 *  server's maximum payload), HS_ERR_NOMEM, HS_ERR_THREAD. One thread per
 *  object. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_search(hs_ctx *ctx, hs_cluster_result **out, hs_cluster *cl,
                                           const hs_template *fingers, const float *face,
                                           uint32_t face_dim,
                                           const hs_cluster_search_options *opts);

/** Number of merged candidates (0 for NULL). Concurrent readers.
 *  @since 1.0 */
HS_CLUSTER_API uint32_t hs_cluster_result_count(const hs_cluster_result *r);

/** Candidate @p index (0 = best), in the struct of hs_watchlist_search
 *  (set c->struct_size first; c->id is owned by the result). Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND. Concurrent readers. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_result_candidate(const hs_cluster_result *r,
                                                     hs_watchlist_candidate *c, uint32_t index);

/** Number of shards the search went to (0 for NULL). Concurrent readers.
 *  @since 1.0 */
HS_CLUSTER_API uint32_t hs_cluster_result_shards(const hs_cluster_result *r);

/** Number of shards that did not answer (state other than ANSWERED): the
 *  result is complete when this is 0 (0 for NULL: check the search's
 *  status first). Cannot fail. Concurrent readers. @since 1.0 */
HS_CLUSTER_API uint32_t hs_cluster_result_missing(const hs_cluster_result *r);

/** Part of shard @p index (0..shards-1, i.e. shard index+1); set
 *  s->struct_size first. Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND.
 *  Concurrent readers. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_result_shard(const hs_cluster_result *r,
                                                 hs_cluster_shard_result *s, uint32_t index);

/** Free a result (NULL accepted). Exclusive. @since 1.0 */
HS_CLUSTER_API void hs_cluster_result_free(hs_cluster_result *r);

/* ---- Status ------------------------------------------------------------ */

/** One replica as it reported itself to hs_cluster_status. @since 1.0 */
typedef struct hs_cluster_replica_info {
    uint32_t struct_size;    /**< sizeof(hs_cluster_replica_info) */
    uint32_t shard;          /**< its shard, 1..N */
    uint64_t sequence;       /**< last stream sequence applied */
    uint64_t subjects;       /**< subjects held */
    uint64_t fingers;        /**< fingers held */
    uint64_t refused;        /**< changes refused (enrol of a present id,
                                  removal of an absent one) */
    uint64_t saved_sequence; /**< sequence of its last saved partition */
    char replica[HS_CLUSTER_REPLICA_MAX + 1]; /**< its name */
    char reserved[7];
    /** Copies of changes it had applied already (the same writer's message
     *  id, stored again by the stream within its 10-minute de-duplication
     *  window) that it skipped; 0 from a replica older than 1.1. A 1.0-size
     *  struct ends before it. @since 1.1 */
    uint64_t duplicates;
    /** Changes it read from the stream's leader rather than through its
     *  consumer, because the consumer delivered nothing while the leader
     *  had changes it lacked (the consumer's copy of the stream lagging, or
     *  its server frozen or gone): a count that keeps rising points at a
     *  JetStream server that does not keep up. 0 from a replica that
     *  predates it (1.1 development builds before it, and 1.0). @since 1.1 */
    uint64_t leader_reads;
} hs_cluster_replica_info;

#define HS_CLUSTER_REPLICA_INFO_INIT                                                              \
    { sizeof(hs_cluster_replica_info), 0, 0, 0, 0, 0, 0, {0}, {0}, 0, 0 }

/** Opaque status report. */
typedef struct hs_cluster_status_report hs_cluster_status_report;

/** Ask every replica of every shard for its state, waiting @p wait_ms
 *  (10..60000) for their answers, and read the stream's last sequence.
 *  Ownership: *out is freed with hs_cluster_status_free. Errors:
 *  HS_ERR_STATE (not initialised), HS_ERR_UNAVAILABLE, HS_ERR_NOMEM. One
 *  thread per object. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_status(hs_ctx *ctx, hs_cluster_status_report **out,
                                           hs_cluster *cl, uint32_t wait_ms);

/** Last sequence of the stream when the report was made (0 for NULL).
 *  Cannot fail. Concurrent readers. @since 1.0 */
HS_CLUSTER_API uint64_t hs_cluster_status_sequence(const hs_cluster_status_report *st);

/** Number of replicas that answered, sorted by shard then name (0 for
 *  NULL). Cannot fail. Concurrent readers. @since 1.0 */
HS_CLUSTER_API uint32_t hs_cluster_status_replicas(const hs_cluster_status_report *st);

/** Replica @p index; set info->struct_size first. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND. Concurrent readers. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_status_replica(const hs_cluster_status_report *st,
                                                   hs_cluster_replica_info *info, uint32_t index);

/** Free a status report (NULL accepted). Exclusive. @since 1.0 */
HS_CLUSTER_API void hs_cluster_status_free(hs_cluster_status_report *st);

/* ---- Shard server ------------------------------------------------------ */

/** Shard server options. Grows at the end; set struct_size. @since 1.0 */
typedef struct hs_cluster_shard_options {
    uint32_t struct_size;     /**< sizeof(hs_cluster_shard_options) */
    uint32_t threads;         /**< threads per search (1..64, default 1) */
    const char *replica;      /**< replica name ([A-Za-z0-9_-], 1..64 bytes);
                                   NULL = "r" + 16 hex digits derived from
                                   the host's name and the data directory's
                                   device and inode, the same at every
                                   start on one file system (1.0: "r" + the
                                   process id) */
    uint32_t save_interval_ms; /**< save the partition at most this often
                                   while changes arrive (100..3600000,
                                   default 5000); always on free */
    uint32_t reserved;        /**< zero */
} hs_cluster_shard_options;

#define HS_CLUSTER_SHARD_OPTIONS_INIT { sizeof(hs_cluster_shard_options), 1, NULL, 5000, 0 }

/** A running replica of one shard. */
typedef struct hs_cluster_shard hs_cluster_shard;

/** Start serving shard @p shard of @p shards: load the partition saved in
 *  directory @p data_dir (file shard-I-of-N.hswl, whose watchlist version
 *  is the last applied stream sequence; an empty partition when absent),
 *  connect as hs_cluster_connect, check that the cluster has @p shards
 *  shards, apply the changes after the saved sequence through the durable
 *  consumer of this replica, and answer searches in the shard's queue group
 *  and status requests, on threads of its own, until hs_cluster_shard_free.
 *  A search whose minimum sequence the replica has not applied waits for it
 *  up to the probe's deadline, then answers "behind"; since 1.1 it waits
 *  parked, holding up no other search. Ownership: *out is
 *  freed with hs_cluster_shard_free. Errors: as hs_cluster_connect and
 *  hs_watchlist_load, HS_ERR_STATE (cluster not initialised or with another
 *  shard count; since 1.1 also a partition saved past the stream's end,
 *  i.e. from a stream since made anew: remove it to start empty),
 *  HS_ERR_THREAD. One thread per object (the new shard runs on threads of
 *  its own). @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_shard_new(hs_ctx *ctx, hs_cluster_shard **out,
                                              const char *urls, uint32_t shard, uint32_t shards,
                                              const char *data_dir,
                                              const hs_cluster_options *opts,
                                              const hs_cluster_shard_options *shard_opts);

/** Save the partition now (atomically, with its sequence). Errors:
 *  HS_ERR_IO, HS_ERR_NOMEM. Exclusive. @since 1.0 */
HS_CLUSTER_API hs_status hs_cluster_shard_save(hs_ctx *ctx, hs_cluster_shard *sh);

/** Last stream sequence the replica has applied (0 for NULL). Cannot
 *  fail. Concurrent readers. @since 1.0 */
HS_CLUSTER_API uint64_t hs_cluster_shard_sequence(const hs_cluster_shard *sh);

/** Number of subjects of the partition (0 for NULL). Cannot fail.
 *  Concurrent readers. @since 1.0 */
HS_CLUSTER_API uint64_t hs_cluster_shard_count(const hs_cluster_shard *sh);

/** Stop answering (searches already queued are answered for up to 5 s,
 *  then those waiting for a sequence answer "behind"; nothing is freed
 *  before every search handler has returned: should one still run after 2
 *  minutes, the replica's memory and connection are left allocated rather
 *  than freed under it), finish the change being
 *  applied, save the partition, disconnect and free (NULL accepted). A
 *  failed save is not reported here: call hs_cluster_shard_save() first to
 *  know. Exclusive. @since 1.0 */
HS_CLUSTER_API void hs_cluster_shard_free(hs_cluster_shard *sh);

/* ---- Deferred checks: device -> centre -> device ------------------------ */
/* A device checks people offline, seals each encounter to the authority and
 * keeps it in its outbox (encounter.h, outbox.h). When it is online it
 * submits the exported batch to the cluster's intake stream
 * (hs_cluster_submit); the centre's intake worker (hs_cluster_intake_*)
 * opens the batch, searches each encounter against the cluster, and
 * publishes per device a verdict signed by the authority for each
 * encounter and an acknowledgement of those fully searched; the device
 * fetches them (hs_cluster_fetch), applies the acknowledgement to its
 * outbox and confirms (hs_cluster_fetch_confirm). Streams, subjects,
 * formats and guarantees: docs/cluster.md, "Deferred checks". */

/** What hs_cluster_submit did. Output struct: set struct_size (use the
 *  _INIT macro). @since 1.1 */
typedef struct hs_cluster_submit_info {
    uint32_t struct_size;   /**< sizeof(hs_cluster_submit_info), set by the caller */
    uint32_t records;       /**< sealed encounters submitted */
    uint32_t messages;      /**< intake messages published (a batch larger than the
                                 server's maximum payload is split) */
    uint32_t duplicates;    /**< of which the stream held already (a re-sent batch:
                                 stored once, processed once) */
    uint64_t sequence;      /**< intake stream sequence of the last message */
    uint8_t device_public[32]; /**< the device whose encounters they are */
} hs_cluster_submit_info;

#define HS_CLUSTER_SUBMIT_INFO_INIT { sizeof(hs_cluster_submit_info), 0, 0, 0, 0, {0} }

/** Submit batch @p batch of @p size bytes (hs_encounter_batch_encode()
 *  output, as `hotspot outbox export` writes it) to the cluster's intake
 *  stream, on the subject of its device, and return once JetStream has
 *  stored it (on a quorum of its replicas): from then on the centre has it,
 *  even if this device never connects again. Every record's framing,
 *  checksum and device signature are checked first, and all must be signed
 *  by one device. Each message's Nats-Msg-Id is the SHA-256 of its bytes:
 *  a batch sent again (a lost acknowledgement, a retry) within the
 *  de-duplication window (24 h) is stored once (counted in
 *  info->duplicates); later, the centre's record of seen encounters still
 *  keeps it from being searched twice. A batch above the server's maximum
 *  payload is split into batches that fit, in order. Retries while the
 *  stream elects a leader, as writes do. @p info may be NULL. Errors:
 *  HS_ERR_INVALID_ARG (records of several devices, an empty batch), the
 *  batch errors of hs_encounter_batch_record() and
 *  hs_encounter_sealed_receipt(), HS_ERR_LIMIT (one record above the
 *  maximum payload), HS_ERR_STATE (no intake stream: `hotspot cluster
 *  init`), HS_ERR_UNAVAILABLE, HS_ERR_NOT_BUILT (no libsodium),
 *  HS_ERR_NOMEM. One thread per object. @since 1.1 */
HS_CLUSTER_API hs_status hs_cluster_submit(hs_ctx *ctx, hs_cluster_submit_info *info,
                                           hs_cluster *cl, const void *batch, size_t size);

/** Intake worker options. Grows at the end; set struct_size (use the _INIT
 *  macro). @since 1.1 */
typedef struct hs_cluster_intake_options {
    uint32_t struct_size;    /**< sizeof(hs_cluster_intake_options) */
    uint32_t max_candidates; /**< candidates per verdict (1..1000, default 10) */
    uint32_t deadline_ms;    /**< per search, as hs_cluster_search (default 5000) */
    uint32_t retry_ms;       /**< a batch with an incomplete search (a shard
                                  missing) is delivered again after this long
                                  (100..86400000, default 30000) */
    uint32_t ack_wait_ms;    /**< a batch whose worker died is delivered again
                                  after this long (1000..3600000, default 60000);
                                  a live worker extends it while it works */
    uint32_t flags;          /**< HS_WATCHLIST_EXHAUSTIVE */
    double fmr;              /**< decision FMR per subject (default 1e-4) */
} hs_cluster_intake_options;

#define HS_CLUSTER_INTAKE_OPTIONS_INIT \
    { sizeof(hs_cluster_intake_options), 10, 5000, 30000, 60000, 0, 1e-4 }

/** A central intake worker. */
typedef struct hs_cluster_intake hs_cluster_intake;

/** Start an intake worker on client @p cl (borrowed, used for the searches;
 *  keep it until hs_cluster_intake_free and use it from this worker's
 *  thread only): create the intake and results streams if absent (with the
 *  cluster stream's replication) and the durable consumer
 *  "<cluster>_intake" of the intake stream, load the set of encounter ids
 *  already answered from @p seen_path (created when absent: the first run),
 *  and copy the authority's keys (@p authority_box_secret opens the
 *  encounters, @p authority_sign_secret signs verdicts and
 *  acknowledgements; wiped on free). @p registry (borrowed) holds the
 *  device keys. One worker per seen file: several workers on one cluster
 *  need their own files and share the consumer (each batch goes to one),
 *  and then the stored verdicts, not the seen files, keep a re-delivered
 *  batch from being searched twice. Ownership: *out is freed with
 *  hs_cluster_intake_free. Errors: HS_ERR_INVALID_ARG, the errors of
 *  hs_encounter_seen_load(), HS_ERR_STATE (cluster not initialised),
 *  HS_ERR_UNAVAILABLE (JetStream did not answer within the client's
 *  write_timeout_ms: try again later), HS_ERR_NOT_BUILT, HS_ERR_NOMEM.
 *  One thread per object. @since 1.1 */
HS_CLUSTER_API hs_status hs_cluster_intake_new(hs_ctx *ctx, hs_cluster_intake **out,
                                               hs_cluster *cl,
                                               const uint8_t authority_box_secret[32],
                                               const uint8_t authority_sign_secret[64],
                                               const hs_encounter_registry *registry,
                                               const char *seen_path,
                                               const hs_cluster_intake_options *opts);

/** Free a worker (NULL accepted); a batch taken but not finished is
 *  delivered again later. Keys wiped. Exclusive. @since 1.1 */
HS_CLUSTER_API void hs_cluster_intake_free(hs_cluster_intake *in);

/** What one intake message gave. Output struct: set struct_size. @since 1.1 */
typedef struct hs_cluster_intake_stats {
    uint32_t struct_size;  /**< sizeof(hs_cluster_intake_stats), set by the caller */
    uint32_t messages;     /**< 1 when a batch was processed, 0 when none came */
    uint32_t records;      /**< encounters in the batch */
    uint32_t searched;     /**< searched now: complete verdict published */
    uint32_t stored;       /**< complete verdict found stored already (a batch
                                delivered again after a crash): not searched again */
    uint32_t replayed;     /**< answered before (seen): acknowledged again, no new verdict */
    uint32_t refused;      /**< refused (reason in the outcome and a verdict) */
    uint32_t incomplete;   /**< a shard missing: "incomplete" verdict, not acknowledged;
                                the batch is delivered again after retry_ms */
    uint32_t acks;         /**< acknowledgements published (one naming the same ids as
                                one stored in the last 24 h is stored once) */
    uint32_t delivery;     /**< delivery count of the message (1 = first) */
    uint64_t sequence;     /**< its intake stream sequence (0: hs_cluster_intake_process) */
    double ms;             /**< processing time */
} hs_cluster_intake_stats;

#define HS_CLUSTER_INTAKE_STATS_INIT { sizeof(hs_cluster_intake_stats), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Take the next batch from the intake stream (waiting up to @p wait_ms,
 *  1..600000) and process it as hs_cluster_intake_process, then
 *  acknowledge it to JetStream, only after every verdict and
 *  acknowledgement is stored in the results stream and the seen ids are
 *  saved; with an incomplete search, ask for it again after retry_ms
 *  instead. A worker that dies before that gets the batch again after
 *  ack_wait_ms (at-least-once); the stored verdicts and the seen ids make
 *  the second processing publish nothing new and search nothing again.
 *  *stats (may be NULL) says what happened; messages is 0 when nothing
 *  came. Errors: those of hs_cluster_intake_process, HS_ERR_UNAVAILABLE.
 *  One thread per object. @since 1.1 */
HS_CLUSTER_API hs_status hs_cluster_intake_next(hs_ctx *ctx, hs_cluster_intake_stats *stats,
                                                hs_cluster_intake *in, uint32_t wait_ms);

/** Process one batch (the bytes of one intake message): open it with
 *  hs_encounter_batch_open(); for each encounter not answered before,
 *  search its fingers (the templates it carries, else the minutiae
 *  extracted from its images) with hs_cluster_search, and publish its
 *  signed verdict to the results stream; acknowledge per device the
 *  encounters answered completely (hs_encounter_ack_make(), published
 *  too); report every refusal (unknown or revoked device, bad signature,
 *  a record that does not open) as a verdict to the device it names and in
 *  the outcomes; save the seen ids. A batch whose framing is broken is
 *  refused as a whole (one outcome; through hs_cluster_intake_next also a
 *  verdict with a zero id to the device named by the intake subject). *stats may be NULL. Errors (a refusal is
 *  not an error): HS_ERR_IO (the seen file), HS_ERR_UNAVAILABLE (the
 *  results stream did not store a verdict: nothing acknowledged),
 *  HS_ERR_NOMEM. One thread per object. @since 1.1 */
HS_CLUSTER_API hs_status hs_cluster_intake_process(hs_ctx *ctx, hs_cluster_intake_stats *stats,
                                                   hs_cluster_intake *in, const void *batch,
                                                   size_t size);

/** Outcomes of hs_cluster_intake_outcome. @since 1.1 */
#define HS_CLUSTER_OUTCOME_SEARCHED   1u /**< searched now, complete verdict published */
#define HS_CLUSTER_OUTCOME_STORED     2u /**< complete verdict stored before: not searched again */
#define HS_CLUSTER_OUTCOME_REPLAYED   3u /**< answered before: acknowledged again */
#define HS_CLUSTER_OUTCOME_INCOMPLETE 4u /**< a shard missing: retried later */
#define HS_CLUSTER_OUTCOME_REFUSED    5u /**< refused; status and reason say why */

/** One encounter of the last batch processed. Output struct: set
 *  struct_size. @since 1.1 */
typedef struct hs_cluster_outcome {
    uint32_t struct_size;      /**< sizeof(hs_cluster_outcome), set by the caller */
    uint32_t outcome;          /**< HS_CLUSTER_OUTCOME_* */
    int32_t status;            /**< HS_OK, or the refusal's status */
    int32_t decision;          /**< HS_ENCOUNTER_HIT or NO_HIT when searched or
                                    stored, else HS_ENCOUNTER_NOT_SEARCHED */
    uint8_t id[16];            /**< encounter id (zero when its header did not parse) */
    uint8_t device_public[32]; /**< its device (zero when unknown) */
    uint32_t candidates;       /**< candidates of the verdict */
    uint32_t missing;          /**< shards that did not answer */
    char reason[256];          /**< the refusal's reason, or the missing shards */
} hs_cluster_outcome;

#define HS_CLUSTER_OUTCOME_INIT { sizeof(hs_cluster_outcome), 0, 0, 0, {0}, {0}, 0, 0, "" }

/** Number of encounters of the last batch processed (0 for NULL).
 *  Concurrent readers. @since 1.1 */
HS_CLUSTER_API uint32_t hs_cluster_intake_outcomes(const hs_cluster_intake *in);

/** Outcome of encounter @p index of the last batch processed. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND. Concurrent readers. @since 1.1 */
HS_CLUSTER_API hs_status hs_cluster_intake_outcome(const hs_cluster_intake *in,
                                                   hs_cluster_outcome *o, uint32_t index);

/** Kinds of a verdict (hs_cluster_verdict.kind). @since 1.1 */
#define HS_CLUSTER_VERDICT_COMPLETE   1u /**< searched against every shard */
#define HS_CLUSTER_VERDICT_INCOMPLETE 2u /**< a shard did not answer: to be retried */
#define HS_CLUSTER_VERDICT_REFUSED    3u /**< the centre refused the encounter (or batch) */

/** The centre's verdict on one deferred check, as the device reads it
 *  after its signature by the authority checked. Output struct: set
 *  struct_size. @since 1.1 */
typedef struct hs_cluster_verdict {
    uint32_t struct_size;      /**< sizeof(hs_cluster_verdict), set by the caller */
    uint32_t kind;             /**< HS_CLUSTER_VERDICT_* */
    uint8_t id[16];            /**< encounter id (all zero: the whole batch was refused) */
    uint8_t device_public[32]; /**< the device it answers */
    int64_t time_ms;           /**< when the centre made it (UTC ms) */
    int32_t decision;          /**< HS_ENCOUNTER_HIT or NO_HIT (complete), else
                                    HS_ENCOUNTER_NOT_SEARCHED */
    int32_t status;            /**< HS_OK (complete), HS_ERR_UNAVAILABLE
                                    (incomplete), the refusal's status */
    uint64_t gallery_sequence; /**< the stream's last sequence when the search
                                    began; every shard that answered had
                                    applied it */
    uint32_t shards;           /**< shards searched */
    uint32_t missing;          /**< of which did not answer */
    uint32_t fingers;          /**< probe finger views searched */
    uint32_t candidates;       /**< candidates (hs_cluster_inbox_candidate) */
    char reason[256];          /**< why refused or incomplete ("" when complete) */
} hs_cluster_verdict;

#define HS_CLUSTER_VERDICT_INIT { sizeof(hs_cluster_verdict), 0, {0}, {0}, 0, 0, 0, 0, 0, 0, 0, 0, "" }

/** What a device fetched from the centre. */
typedef struct hs_cluster_inbox hs_cluster_inbox;

/** Fetch every verdict and acknowledgement waiting for device
 *  @p device_public, and check each against the authority's signing key
 *  @p authority_sign_public: verdicts and acknowledgements that verify
 *  (and name this device) are kept, in the order the centre stored them;
 *  anything else (a wrong key, altered bytes, another device) is refused,
 *  counted and described (hs_cluster_inbox_refusal) and never confirmed.
 *  Fetching changes nothing: the same messages come again until
 *  hs_cluster_fetch_confirm. Ownership: *out is freed with
 *  hs_cluster_inbox_free. Errors: HS_ERR_INVALID_ARG, HS_ERR_STATE (no
 *  results stream), HS_ERR_UNAVAILABLE, HS_ERR_NOT_BUILT, HS_ERR_NOMEM.
 *  One thread per object. @since 1.1 */
HS_CLUSTER_API hs_status hs_cluster_fetch(hs_ctx *ctx, hs_cluster_inbox **out, hs_cluster *cl,
                                          const uint8_t device_public[32],
                                          const uint8_t authority_sign_public[32]);

/** Delete from the results stream what @p ib holds that verified (its
 *  verdicts and acknowledgements), so that they are not fetched again.
 *  Call it once the acknowledgements are applied to the outbox
 *  (hs_outbox_ack(); HS_ERR_REPLAY there means applied before): a crash in
 *  between fetches them again, which is harmless. Messages deleted
 *  already (a confirmation made again after its answer was lost) are
 *  fine. Each is deleted by its stream sequence only when the stream's
 *  leader holds the same bytes there as were fetched: another message at
 *  that sequence (a server's copy of the stream that diverged, the stream
 *  made anew) is left alone. Errors: HS_ERR_UNAVAILABLE (no server, or JetStream without
 *  quorum or leader: try again), HS_ERR_STATE. One thread per object.
 *  @since 1.1 */
HS_CLUSTER_API hs_status hs_cluster_fetch_confirm(hs_ctx *ctx, hs_cluster *cl,
                                                  const hs_cluster_inbox *ib);

/** Free an inbox (NULL accepted). Exclusive. @since 1.1 */
HS_CLUSTER_API void hs_cluster_inbox_free(hs_cluster_inbox *ib);

/** Number of verified verdicts (0 for NULL). Concurrent readers. @since 1.1 */
HS_CLUSTER_API uint32_t hs_cluster_inbox_verdicts(const hs_cluster_inbox *ib);

/** Verdict @p index. Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND.
 *  Concurrent readers. @since 1.1 */
HS_CLUSTER_API hs_status hs_cluster_inbox_verdict(const hs_cluster_inbox *ib,
                                                  hs_cluster_verdict *v, uint32_t index);

/** Candidate @p index (0 = best) of verdict @p verdict: *id borrowed until
 *  @p ib is freed, *score the fused score, *hit 0 or 1; outputs may be
 *  NULL. Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND. Concurrent readers.
 *  @since 1.1 */
HS_CLUSTER_API hs_status hs_cluster_inbox_candidate(const hs_cluster_inbox *ib, const char **id,
                                                    double *score, uint32_t *hit,
                                                    uint32_t verdict, uint32_t index);

/** Number of verified acknowledgements (0 for NULL). Concurrent readers.
 *  @since 1.1 */
HS_CLUSTER_API uint32_t hs_cluster_inbox_acks(const hs_cluster_inbox *ib);

/** Acknowledgement @p index as the authority signed it (the bytes for
 *  hs_outbox_ack()), *size its length; borrowed until @p ib is freed; NULL
 *  past the end. Concurrent readers. @since 1.1 */
HS_CLUSTER_API const uint8_t *hs_cluster_inbox_ack(const hs_cluster_inbox *ib, size_t *size,
                                                   uint32_t index);

/** Number of messages refused by the fetch (0 for NULL). Concurrent
 *  readers. @since 1.1 */
HS_CLUSTER_API uint32_t hs_cluster_inbox_refused(const hs_cluster_inbox *ib);

/** Why refused message @p index was refused (borrowed until @p ib is
 *  freed; NULL past the end). Concurrent readers. @since 1.1 */
HS_CLUSTER_API const char *hs_cluster_inbox_refusal(const hs_cluster_inbox *ib, uint32_t index);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_CLUSTER_H */
