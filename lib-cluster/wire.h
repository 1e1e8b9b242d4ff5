/*
 * libhotspot-cluster internals: the wire format of updates, probes,
 * answers and status reports (docs/cluster.md, "Wire format"), and the
 * shared helpers. Nothing here depends on NATS, so that the fuzz target
 * links it alone. Internal names carry the hsc_ prefix and are not
 * exported.
 */
#ifndef HOTSPOT_CLUSTER_WIRE_H
#define HOTSPOT_CLUSTER_WIRE_H

#include "hotspot/cluster.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HSC_WIRE_VERSION 1

/* Update operations (HSCU). */
#define HSC_OP_ENROL   1
#define HSC_OP_REPLACE 2
#define HSC_OP_REMOVE  3

/* Answer states (HSCA); the public HS_CLUSTER_SHARD_* mirror 0, 2 and 3. */
#define HSC_ANSWER_OK      0
#define HSC_ANSWER_BEHIND  2
#define HSC_ANSWER_FAILED  3

/* Record an error on ctx with a printf-style message; returns status. */
hs_status hsc_error(hs_ctx *ctx, hs_status status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Names: cluster [A-Za-z0-9_-]{1,32}, replica [A-Za-z0-9_-]{1,64}. */
bool hsc_name_ok(const char *s, size_t max);

/* ---- growable little-endian writer ------------------------------------ */
typedef struct hsc_buf {
    uint8_t *p;
    size_t len, cap;
    bool failed;
} hsc_buf;

void hsc_put(hsc_buf *b, const void *src, size_t n);
void hsc_put_u8(hsc_buf *b, uint8_t v);
void hsc_put_u16(hsc_buf *b, uint16_t v);
void hsc_put_u32(hsc_buf *b, uint32_t v);
void hsc_put_u64(hsc_buf *b, uint64_t v);
void hsc_put_f32(hsc_buf *b, float v);
void hsc_put_f64(hsc_buf *b, double v);
/* Free the buffer, wiping it first (it may hold biometric data). */
void hsc_buf_free(hsc_buf *b);

/* ---- messages ---------------------------------------------------------- */

typedef struct hsc_update {
    uint32_t op;                          /* HSC_OP_* */
    char id[HS_WATCHLIST_ID_MAX + 1];
    const uint8_t *subject;               /* view into the message: a watchlist
                                             file holding this one subject */
    size_t subject_size;                  /* 0 for a removal */
} hsc_update;

typedef struct hsc_probe {
    uint32_t shard, shards;               /* 1..shards */
    uint64_t min_sequence;
    uint32_t wait_ms;                     /* how long the replica may wait */
    uint32_t max_candidates, flags, rescore, face_model;
    double fmr;
    const uint8_t *fingers;               /* view: native template, or NULL */
    size_t fingers_size;
    uint32_t face_dim;
    float face[HS_WATCHLIST_FACE_DIM_MAX];
} hsc_probe;

typedef struct hsc_cand {
    char id[HS_WATCHLIST_ID_MAX + 1];
    uint32_t hit;
    double score, finger_score, face_score, face_similarity;
    uint32_t finger_count;
    float finger_similarity[HS_WATCHLIST_FINGERS_MAX];
    uint32_t finger_position[HS_WATCHLIST_FINGERS_MAX];
} hsc_cand;

typedef struct hsc_answer {
    uint32_t state;                       /* HSC_ANSWER_* */
    uint32_t shard, shards;
    uint64_t sequence, subjects, rescored;
    uint32_t search_us;
    char replica[HS_CLUSTER_REPLICA_MAX + 1];
    char message[256];                    /* FAILED: the replica's error */
    uint32_t count;
    hsc_cand *cand;                       /* count entries (malloc) */
} hsc_answer;

/* A replica's status. The header's field holds flags: with
 * HSC_STATE_DUPLICATES (set by every replica since 1.1, session 18) the
 * count of skipped copies follows the replica name; without it (earlier
 * replicas) the message ends there. */
#define HSC_STATE_DUPLICATES 1u
/* With HSC_STATE_LEADER_READS (replicas since session 20), the count of
 * changes read from the stream leader follows the skipped copies (it needs
 * HSC_STATE_DUPLICATES). */
#define HSC_STATE_LEADER_READS 2u
typedef struct hsc_state {
    uint32_t flags; /* HSC_STATE_* */
    uint32_t shard, shards;
    uint64_t sequence, subjects, fingers, refused, saved_sequence, duplicates, leader_reads;
    char replica[HS_CLUSTER_REPLICA_MAX + 1];
} hsc_state;

/* Encoders append to b (check b->failed). */
void hsc_update_encode(hsc_buf *b, uint32_t op, const char *id, const void *subject,
                       size_t subject_size);
void hsc_probe_encode(hsc_buf *b, const hsc_probe *p);
void hsc_answer_encode(hsc_buf *b, const hsc_answer *a);
void hsc_state_encode(hsc_buf *b, const hsc_state *s);

/* Parsers: the input is hostile. Every length, count and value is checked,
 * trailing bytes are refused, and nothing is returned on failure (errors:
 * HS_ERR_FORMAT, HS_ERR_VERSION, HS_ERR_TRUNCATED, HS_ERR_CORRUPT,
 * HS_ERR_NOMEM), the message naming the field and its offset. */
hs_status hsc_update_parse(hs_ctx *ctx, hsc_update *u, const void *data, size_t size);
hs_status hsc_probe_parse(hs_ctx *ctx, hsc_probe *p, const void *data, size_t size);
/* a->cand is allocated with malloc; free with hsc_answer_clear. */
hs_status hsc_answer_parse(hs_ctx *ctx, hsc_answer *a, const void *data, size_t size);
void hsc_answer_clear(hsc_answer *a);
hs_status hsc_state_parse(hs_ctx *ctx, hsc_state *s, const void *data, size_t size);

/* Merge order of candidates, as hs_watchlist_search orders them: fused
 * score, then the sum of finger similarities, then face similarity, all
 * decreasing, then id. */
int hsc_cand_cmp(const hsc_cand *a, const hsc_cand *b);

/* ---- verdicts (HSCR): the centre's signed answer to one deferred check --- */

#define HSC_VERDICT_CANDIDATES_MAX 1000
#define HSC_VERDICT_SIG_BYTES 64

typedef struct hsc_vcand {
    char id[HS_WATCHLIST_ID_MAX + 1];
    double score;
    uint32_t hit;
} hsc_vcand;

typedef struct hsc_verdict {
    uint32_t kind;                        /* HS_CLUSTER_VERDICT_* */
    uint8_t id[16];                       /* encounter id; zero: the whole batch */
    uint8_t device[32];                   /* device's Ed25519 public key */
    int64_t time_ms;
    int32_t decision, status;
    uint64_t gallery_sequence;
    uint32_t shards, missing, fingers;
    char reason[256];
    uint32_t count;
    hsc_vcand *cand;                      /* count entries (malloc) */
} hsc_verdict;

/* The signed part (everything before the 64-byte signature). */
void hsc_verdict_encode(hsc_buf *b, const hsc_verdict *v);
/* Parse a whole record: the body, then exactly 64 signature bytes, whose
 * offset goes to *signed_size (the signature is not checked here). */
hs_status hsc_verdict_parse(hs_ctx *ctx, hsc_verdict *v, size_t *signed_size, const void *data,
                            size_t size);
void hsc_verdict_clear(hsc_verdict *v);


#endif
