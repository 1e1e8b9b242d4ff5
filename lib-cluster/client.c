/* The cluster client: writes through the stream, scatter-gather search,
 * status. */
#include "conn.h"
#include "seen.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SEARCH_OPTIONS_SIZE_1_0 sizeof(hs_cluster_search_options)
#define CANDIDATE_SIZE_1_0 sizeof(hs_watchlist_candidate)
#define SHARD_RESULT_SIZE_1_0 sizeof(hs_cluster_shard_result)
#define REPLICA_INFO_SIZE_1_0 offsetof(hs_cluster_replica_info, duplicates)

struct hs_cluster {
    hsc_conn c;
    uint32_t shards;
    uint64_t last_seq;
    uint64_t *written; /* [shards + 1]: last sequence written to each shard */
    char msgid_base[64];
    uint64_t msgid_next;
    /* bulk load: acknowledgements arrive on a library thread */
    pthread_mutex_t mu;
    uint64_t async_failed;
    uint64_t async_failed_min; /* lowest message-id counter that failed */
};

/* The counter of one of our message ids ("<base>-<counter>"), or 0. */
static uint64_t msgid_counter(natsMsg *msg)
{
    const char *id = NULL;
    if (natsMsgHeader_Get(msg, "Nats-Msg-Id", &id) != NATS_OK || !id)
        return 0;
    const char *dash = strrchr(id, '-');
    return dash ? strtoull(dash + 1, NULL, 10) : 0;
}

/* Acknowledgement of an asynchronous publish (hs_cluster_load): the
 * sequence raises the shard's read-your-writes mark. */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae, void *closure)
{
    (void)js;
    hs_cluster *cl = closure;
    pthread_mutex_lock(&cl->mu);
    if (pa && !pae) {
        const char *subj = natsMsg_GetSubject(msg);
        const char *dot = subj ? strrchr(subj, '.') : NULL;
        unsigned long shard = dot ? strtoul(dot + 1, NULL, 10) : 0;
        if (shard >= 1 && shard <= cl->shards && pa->Sequence > cl->written[shard])
            cl->written[shard] = pa->Sequence;
        if (pa->Sequence > cl->last_seq)
            cl->last_seq = pa->Sequence;
    } else {
        cl->async_failed++;
        uint64_t k = msgid_counter(msg);
        if (k < cl->async_failed_min)
            cl->async_failed_min = k;
    }
    pthread_mutex_unlock(&cl->mu);
    natsMsg_Destroy(msg);
}

hsc_conn *hsc_cluster_conn(hs_cluster *cl) { return &cl->c; }

uint32_t hs_cluster_shards(const hs_cluster *cl) { return cl ? cl->shards : 0; }
uint64_t hs_cluster_last_sequence(const hs_cluster *cl) { return cl ? cl->last_seq : 0; }

static hs_status set_shards(hs_ctx *ctx, hs_cluster *cl, uint32_t n)
{
    if (n == cl->shards)
        return HS_OK;
    uint64_t *w = calloc((size_t)n + 1, sizeof *w);
    if (!w)
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    free(cl->written);
    cl->written = w;
    cl->shards = n;
    return HS_OK;
}

hs_status hs_cluster_connect(hs_ctx *ctx, hs_cluster **out, const char *urls,
                             const hs_cluster_options *opts)
{
    if (out)
        *out = NULL;
    if (!out)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "hs_cluster_connect: out is NULL");
    hs_cluster_options o;
    hs_status s = hsc_options(ctx, &o, opts);
    if (s)
        return s;
    hs_cluster *cl = calloc(1, sizeof *cl);
    if (!cl)
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    pthread_mutex_init(&cl->mu, NULL);
    s = hsc_connect(ctx, &cl->c, urls, &o, on_ack, cl, false);
    if (s) {
        pthread_mutex_destroy(&cl->mu);
        free(cl);
        return s;
    }
    /* message ids for de-duplication: unique per handle (an inbox name is
     * a NUID, 22 random characters) */
    natsInbox *inbox = NULL;
    if (natsInbox_Create(&inbox) != NATS_OK) {
        hs_cluster_free(cl);
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    const char *dot = strrchr(inbox, '.');
    snprintf(cl->msgid_base, sizeof cl->msgid_base, "%s", dot ? dot + 1 : inbox);
    natsInbox_Destroy(inbox);
    uint32_t n = 0;
    s = hsc_stream_info(ctx, &cl->c, &n, NULL);
    if (!s && n)
        s = set_shards(ctx, cl, n);
    if (s) {
        hs_cluster_free(cl);
        return s;
    }
    *out = cl;
    return HS_OK;
}

void hs_cluster_free(hs_cluster *cl)
{
    if (!cl)
        return;
    hsc_disconnect(&cl->c);
    pthread_mutex_destroy(&cl->mu);
    free(cl->written);
    free(cl);
}

hs_status hs_cluster_init(hs_ctx *ctx, hs_cluster *cl, uint32_t shards, uint32_t replicas)
{
    if (!cl || shards < 1 || shards > HS_CLUSTER_SHARDS_MAX || replicas < 1 || replicas > 5)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster init: shards 1..%d, replicas 1..5",
                         HS_CLUSTER_SHARDS_MAX);
    uint32_t have = 0;
    hs_status hs = hsc_stream_info(ctx, &cl->c, &have, NULL);
    if (hs)
        return hs;
    if (have && have != shards)
        return hsc_error(ctx, HS_ERR_EXISTS, "cluster %s exists with %u shards", cl->c.name,
                         have);
    if (!have) {
        char subj[128], desc[128];
        snprintf(subj, sizeof subj, "hs.%s.u.*", cl->c.name);
        snprintf(desc, sizeof desc, "hotspot cluster %s: shards=%u", cl->c.name, shards);
        const char *subjects[1] = {subj};
        jsStreamConfig sc;
        jsStreamConfig_Init(&sc);
        sc.Name = cl->c.stream;
        sc.Description = desc;
        sc.Subjects = subjects;
        sc.SubjectsLen = 1;
        sc.Storage = js_FileStorage;
        sc.Replicas = replicas;
        sc.Retention = js_LimitsPolicy;
        sc.Duplicates = (int64_t)HSC_DEDUP_WINDOW_S * 1000000000;
        sc.MaxMsgSize = 1 << 20;
        jsStreamInfo *si = NULL;
        jsErrCode je = 0;
        natsStatus s = js_AddStream(&si, cl->c.js, &sc, NULL, &je);
        jsStreamInfo_Destroy(si);
        if (s != NATS_OK)
            return hsc_js_error(ctx, s, je, "creating the cluster's stream");
    }
    /* the deferred checks' intake and results streams (1.1): created here
     * too, so that devices can submit before any intake worker runs */
    hs = hsc_deferred_streams(ctx, &cl->c, 1);
    if (hs)
        return hs;
    return set_shards(ctx, cl, shards);
}

static hs_status need_shards(hs_ctx *ctx, hs_cluster *cl)
{
    if (cl->shards)
        return HS_OK;
    uint32_t n = 0;
    hs_status s = hsc_stream_info(ctx, &cl->c, &n, NULL);
    if (!s && !n)
        s = hsc_error(ctx, HS_ERR_STATE, "cluster %s is not initialised (hotspot cluster init)",
                      cl->c.name);
    return s ? s : set_shards(ctx, cl, n);
}

/* Publish one change to JetStream, retrying (same message id: the stream
 * drops duplicates) while the stream has no leader. */
static hs_status publish(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl, uint32_t shard,
                         const hsc_buf *b)
{
    char subj[128], msgid[96];
    hsc_subject_update(subj, sizeof subj, &cl->c, shard);
    snprintf(msgid, sizeof msgid, "%s-%" PRIu64, cl->msgid_base, ++cl->msgid_next);
    double end = hsc_now_ms() + cl->c.opts.write_timeout_ms;
    for (;;) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = msgid;
        double left = end - hsc_now_ms();
        po.MaxWait = (int64_t)fmax(100, fmin(cl->c.opts.timeout_ms, left));
        jsPubAck *pa = NULL;
        jsErrCode je = 0;
        natsStatus s = js_Publish(&pa, cl->c.js, subj, b->p, (int)b->len, &po, &je);
        if (s == NATS_OK) {
            uint64_t q = pa->Sequence;
            jsPubAck_Destroy(pa);
            pthread_mutex_lock(&cl->mu);
            if (q > cl->written[shard])
                cl->written[shard] = q;
            if (q > cl->last_seq)
                cl->last_seq = q;
            pthread_mutex_unlock(&cl->mu);
            if (seq)
                *seq = q;
            return HS_OK;
        }
        if (s == NATS_MAX_PAYLOAD || s == NATS_NO_MEMORY || s == NATS_INVALID_ARG ||
            hsc_now_ms() + 100 >= end)
            return hsc_js_error(ctx, s, je, "writing to the cluster's stream");
        hsc_sleep_ms(100);
    }
}

/* The update message for @p sub into @p b. The subject travels as a
 * one-subject watchlist file: its format is documented, versioned,
 * checksummed and fuzzed already. The intermediate file is wiped. */
static hs_status subject_update(hs_ctx *ctx, hsc_buf *b, uint32_t op,
                                const hs_watchlist_subject *sub)
{
    hs_watchlist *one = NULL;
    uint8_t *file = NULL;
    size_t size = 0;
    hs_status s = hs_watchlist_new(ctx, &one);
    if (!s)
        s = hs_watchlist_add(ctx, one, sub);
    if (!s)
        s = hs_watchlist_encode(ctx, NULL, &size, one);
    if (!s && !(file = malloc(size)))
        s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    if (!s)
        s = hs_watchlist_encode(ctx, file, &size, one);
    if (!s) {
        hsc_update_encode(b, op, hs_watchlist_subject_id(sub), file, size);
        if (b->failed)
            s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    if (file) {
        memset(file, 0, size);
        free(file);
    }
    hs_watchlist_free(one);
    return s;
}

static hs_status write_subject(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl,
                               const hs_watchlist_subject *sub, uint32_t op)
{
    if (!cl || !sub)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster write: NULL argument");
    hs_status s = need_shards(ctx, cl);
    if (s)
        return s;
    hsc_buf b = {0};
    s = subject_update(ctx, &b, op, sub);
    if (!s)
        s = publish(ctx, seq, cl, hs_cluster_shard_of(hs_watchlist_subject_id(sub), cl->shards),
                    &b);
    hsc_buf_free(&b);
    return s;
}

hs_status hs_cluster_enrol(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl,
                           const hs_watchlist_subject *s)
{
    return write_subject(ctx, seq, cl, s, HSC_OP_ENROL);
}

hs_status hs_cluster_replace(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl,
                             const hs_watchlist_subject *s)
{
    return write_subject(ctx, seq, cl, s, HSC_OP_REPLACE);
}

hs_status hs_cluster_remove(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl, const char *id)
{
    if (!cl || !id || !*id || strlen(id) > HS_WATCHLIST_ID_MAX)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster remove: id missing or too long");
    hs_status s = need_shards(ctx, cl);
    if (s)
        return s;
    hsc_buf b = {0};
    hsc_update_encode(&b, HSC_OP_REMOVE, id, NULL, 0);
    s = b.failed ? hsc_error(ctx, HS_ERR_NOMEM, "out of memory")
                 : publish(ctx, seq, cl, hs_cluster_shard_of(id, cl->shards), &b);
    hsc_buf_free(&b);
    return s;
}

hs_status hs_cluster_load(hs_ctx *ctx, uint64_t *seq, hs_cluster *cl, const hs_watchlist *wl,
                          uint32_t flags)
{
    if (!cl || !wl || (flags & ~HS_CLUSTER_LOAD_REPLACE))
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster load: bad argument");
    hs_status s = need_shards(ctx, cl);
    if (s)
        return s;
    /* Asynchronous publishes, many in flight, each with its message id;
     * whatever failed is published again synchronously (the stream drops
     * a copy that had arrived after all). */
    uint64_t n = hs_watchlist_count(wl);
    pthread_mutex_lock(&cl->mu);
    cl->async_failed = 0;
    cl->async_failed_min = UINT64_MAX;
    pthread_mutex_unlock(&cl->mu);
    uint64_t first_id = cl->msgid_next + 1;
    cl->msgid_next += n;
    uint64_t failed_from = UINT64_MAX;
    for (uint64_t i = 0; i < n && !s; i++) {
        hs_watchlist_subject *sub = NULL;
        s = hs_watchlist_subject_at(ctx, &sub, wl, i);
        if (s)
            break;
        hsc_buf b = {0};
        s = subject_update(ctx, &b, flags ? HSC_OP_REPLACE : HSC_OP_ENROL, sub);
        if (!s) {
            const char *id = hs_watchlist_subject_id(sub);
            uint32_t shard = hs_cluster_shard_of(id, cl->shards);
            char subj[128], msgid[96];
            hsc_subject_update(subj, sizeof subj, &cl->c, shard);
            snprintf(msgid, sizeof msgid, "%s-%" PRIu64, cl->msgid_base, first_id + i);
            jsPubOptions po;
            jsPubOptions_Init(&po);
            po.MsgId = msgid;
            natsStatus ns = js_PublishAsync(cl->c.js, subj, b.p, (int)b.len, &po);
            if (ns != NATS_OK) {
                if (ns == NATS_NO_MEMORY || ns == NATS_MAX_PAYLOAD)
                    s = hsc_nats_error(ctx, ns, "bulk load");
                else if (failed_from == UINT64_MAX)
                    failed_from = i;
            }
        }
        hsc_buf_free(&b);
        hs_watchlist_subject_free(sub);
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = cl->c.opts.write_timeout_ms;
    natsStatus ns = js_PublishAsyncComplete(cl->c.js, &po);
    /* The lowest message whose publish failed at once, whose
     * acknowledgement failed, or that is still waiting for one (any
     * earlier than a later publish that failed at once): published again
     * from there, synchronously, with the same message ids (the stream
     * answers the copies it already has with their original sequence). A
     * failure that cannot be placed sends everything again. */
    uint64_t low = UINT64_MAX;
    natsMsgList pending = {0};
    if (js_PublishAsyncGetPendingList(&pending, cl->c.js) == NATS_OK) {
        for (int i = 0; i < pending.Count; i++) {
            uint64_t k = msgid_counter(pending.Msgs[i]);
            if (k < low)
                low = k;
        }
        natsMsgList_Destroy(&pending);
    }
    pthread_mutex_lock(&cl->mu);
    const uint64_t nfail = cl->async_failed, fmin = cl->async_failed_min;
    cl->async_failed = 0;
    pthread_mutex_unlock(&cl->mu);
    if (s)
        return s;
    if (nfail && fmin < low)
        low = fmin;
    if (low != UINT64_MAX) {
        /* an id of another load (a late answer) cannot be placed: all */
        const uint64_t k = low >= first_id && low < first_id + n ? low - first_id : 0;
        if (k < failed_from)
            failed_from = k;
    }
    if (ns != NATS_OK && !nfail && low == UINT64_MAX)
        failed_from = 0; /* the wait failed, naming nothing */
    uint64_t save_next = cl->msgid_next;
    for (uint64_t i = failed_from; failed_from != UINT64_MAX && i < n && !s; i++) {
        hs_watchlist_subject *sub = NULL;
        s = hs_watchlist_subject_at(ctx, &sub, wl, i);
        if (s)
            break;
        cl->msgid_next = first_id + i - 1; /* publish() reuses the async id */
        s = write_subject(ctx, NULL, cl, sub, flags ? HSC_OP_REPLACE : HSC_OP_ENROL);
        hs_watchlist_subject_free(sub);
    }
    cl->msgid_next = save_next;
    if (!s && seq)
        *seq = cl->last_seq;
    return s;
}

/* ---- search --------------------------------------------------------------- */

struct hs_cluster_result {
    uint32_t n, nprobe, nshards, missing;
    hsc_cand *c;
    hs_cluster_shard_result *sh;
};

uint32_t hs_cluster_result_count(const hs_cluster_result *r) { return r ? r->n : 0; }
uint32_t hs_cluster_result_shards(const hs_cluster_result *r) { return r ? r->nshards : 0; }
uint32_t hs_cluster_result_missing(const hs_cluster_result *r) { return r ? r->missing : 0; }

void hs_cluster_result_free(hs_cluster_result *r)
{
    if (!r)
        return;
    free(r->c);
    free(r->sh);
    free(r);
}

hs_status hs_cluster_result_candidate(const hs_cluster_result *r, hs_watchlist_candidate *c,
                                      uint32_t index)
{
    if (!r || !c)
        return HS_ERR_INVALID_ARG;
    if (index >= r->n)
        return HS_ERR_NOT_FOUND;
    const hsc_cand *x = &r->c[index];
    hs_watchlist_candidate all;
    memset(&all, 0, sizeof all);
    all.struct_size = sizeof all;
    all.hit = x->hit;
    all.id = x->id;
    all.score = x->score;
    all.finger_score = x->finger_score;
    all.face_score = x->face_score;
    all.face_similarity = x->face_similarity;
    all.finger_count = r->nprobe;
    for (uint32_t i = 0; i < HS_WATCHLIST_FINGERS_MAX; i++) {
        all.finger_similarity[i] = i < r->nprobe ? x->finger_similarity[i] : 0.0f;
        all.finger_position[i] = i < r->nprobe ? x->finger_position[i] : 255;
    }
    return hsc_struct_out(NULL, c, &all, sizeof all, CANDIDATE_SIZE_1_0,
                          "hs_watchlist_candidate");
}

hs_status hs_cluster_result_shard(const hs_cluster_result *r, hs_cluster_shard_result *s,
                                  uint32_t index)
{
    if (!r || !s)
        return HS_ERR_INVALID_ARG;
    if (index >= r->nshards)
        return HS_ERR_NOT_FOUND;
    return hsc_struct_out(NULL, s, &r->sh[index], sizeof *s, SHARD_RESULT_SIZE_1_0,
                          "hs_cluster_shard_result");
}

static int cand_qsort(const void *a, const void *b) { return hsc_cand_cmp(a, b); }

/* Per-shard progress of a scatter-gather. */
typedef struct leg {
    double sent, retry_at; /* retry_at 0: no retry planned */
    int done;              /* answered (OK), or final */
    hsc_answer ans;
} leg;

/* The replies of one scatter-gather, queued by its subscription's delivery
 * thread. An asynchronous subscription, because a synchronous one's NextMsg
 * turns the server's "no responders" status into NATS_NO_RESPONDERS and
 * drops the message with its subject, which names the shard: the shard
 * would then wait half the time left for a resend instead of 25 ms (a
 * replica restarted in the failure test was reached after 90 s of a 180 s
 * deadline, session 16). */
typedef struct rxq {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    natsMsg **m;
    size_t head, n, cap; /* queued: m[head..n) */
    int lost;            /* a reply dropped for want of memory: resend all */
    int complete;        /* the subscription will deliver nothing more */
} rxq;

static void rx_on_msg(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc;
    (void)sub;
    rxq *q = closure;
    pthread_mutex_lock(&q->mu);
    if (q->n == q->cap && q->head) {
        memmove(q->m, q->m + q->head, (q->n - q->head) * sizeof *q->m);
        q->n -= q->head;
        q->head = 0;
    }
    if (q->n == q->cap) {
        size_t cap = q->cap ? 2 * q->cap : 16;
        natsMsg **g = realloc(q->m, cap * sizeof *g);
        if (g) {
            q->m = g;
            q->cap = cap;
        }
    }
    if (q->n < q->cap) {
        q->m[q->n++] = msg;
    } else {
        q->lost = 1;
        natsMsg_Destroy(msg);
    }
    pthread_cond_signal(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

static void rx_on_complete(void *closure)
{
    rxq *q = closure;
    pthread_mutex_lock(&q->mu);
    q->complete = 1;
    pthread_cond_broadcast(&q->cv);
    pthread_mutex_unlock(&q->mu);
}

/* The next reply, waiting until the monotonic time `until` (ms); NULL at
 * that time. *lost is set (and the flag cleared) when a reply was dropped. */
static natsMsg *rx_next(rxq *q, double until, int *lost)
{
    natsMsg *m = NULL;
    pthread_mutex_lock(&q->mu);
    while (q->head == q->n && !q->lost) {
        double left = until - hsc_now_ms();
        if (left <= 0)
            break;
        struct timespec ts;
        hsc_abstime(&ts, CLOCK_MONOTONIC, left);
        pthread_cond_timedwait(&q->cv, &q->mu, &ts);
    }
    if (q->head < q->n)
        m = q->m[q->head++];
    *lost = q->lost;
    q->lost = 0;
    pthread_mutex_unlock(&q->mu);
    return m;
}

static hs_status rx_init(hs_ctx *ctx, rxq **out)
{
    rxq *q = calloc(1, sizeof *q);
    if (!q)
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    pthread_condattr_t ca;
    int e = pthread_condattr_init(&ca);
    if (!e) {
        if (!(e = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC)) &&
            !(e = pthread_cond_init(&q->cv, &ca)) && (e = pthread_mutex_init(&q->mu, NULL)))
            pthread_cond_destroy(&q->cv);
        pthread_condattr_destroy(&ca);
    }
    if (e) {
        free(q);
        return hsc_error(ctx, HS_ERR_NOMEM, "cluster search: cannot make a reply queue");
    }
    *out = q;
    return HS_OK;
}

/* Close the subscription and free the queue once its delivery thread has
 * let go of it. Should that never be confirmed (it always is with this
 * client library), the queue is left allocated rather than freed under a
 * running callback: it lives on the heap for that reason. */
static void rx_close(natsSubscription *sub, rxq *q)
{
    int complete = 1;
    if (sub) {
        natsSubscription_Unsubscribe(sub);
        struct timespec ts;
        hsc_abstime(&ts, CLOCK_MONOTONIC, 10000); /* rx_on_complete broadcasts */
        pthread_mutex_lock(&q->mu);
        while (!q->complete && pthread_cond_timedwait(&q->cv, &q->mu, &ts) != ETIMEDOUT)
            ;
        complete = q->complete;
        pthread_mutex_unlock(&q->mu);
        natsSubscription_Destroy(sub);
    }
    if (!complete)
        return;
    for (size_t i = q->head; i < q->n; i++)
        natsMsg_Destroy(q->m[i]);
    free(q->m);
    pthread_cond_destroy(&q->cv);
    pthread_mutex_destroy(&q->mu);
    free(q);
}

hs_status hs_cluster_search(hs_ctx *ctx, hs_cluster_result **out, hs_cluster *cl,
                            const hs_template *fingers, const float *face, uint32_t face_dim,
                            const hs_cluster_search_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || !cl)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster search: NULL argument");
    hs_cluster_search_options o = HS_CLUSTER_SEARCH_OPTIONS_INIT;
    hs_status s = hsc_struct_in(ctx, &o, sizeof o, opts, SEARCH_OPTIONS_SIZE_1_0,
                                "hs_cluster_search_options");
    if (s)
        return s;
    uint32_t nprobe = fingers ? hs_template_view_count(fingers) : 0;
    if (o.max_candidates < 1 || o.max_candidates > 1000 || o.deadline_ms < 10 ||
        o.deadline_ms > 600000 || !(o.fmr >= 1e-12 && o.fmr <= 0.5) || o.face_model > 65535 ||
        (o.flags & ~(HS_WATCHLIST_EXHAUSTIVE | HS_WATCHLIST_HITS_ONLY | HS_CLUSTER_PARTIAL_OK)))
        return hsc_error(ctx, HS_ERR_INVALID_ARG,
                         "cluster search options: top 1..1000, deadline 10..600000 ms, fmr "
                         "1e-12..0.5, face model 0..65535, known flags");
    if ((!nprobe && !(face && face_dim)) || nprobe > HS_WATCHLIST_FINGERS_MAX ||
        face_dim > HS_WATCHLIST_FACE_DIM_MAX || (face_dim && !face))
        return hsc_error(ctx, HS_ERR_INVALID_ARG,
                         "cluster search: give 1..%d finger views and/or a face of 1..%d values",
                         HS_WATCHLIST_FINGERS_MAX, HS_WATCHLIST_FACE_DIM_MAX);
    for (uint32_t i = 0; face && i < face_dim; i++)
        if (!isfinite(face[i]))
            return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster search: face value %u not finite",
                             i);
    if ((s = need_shards(ctx, cl)) != HS_OK)
        return s;
    double t0 = hsc_now_ms(), end = t0 + o.deadline_ms;
    uint32_t N = cl->shards;

    /* the probe: fingers in the native template format */
    hsc_probe *p = calloc(1, sizeof *p);
    uint8_t *tbuf = NULL;
    size_t tsize = 0;
    leg *legs = calloc(N + 1, sizeof *legs);
    hs_cluster_result *r = calloc(1, sizeof *r);
    hsc_buf b = {0};
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    rxq *rx = NULL; /* on the heap: see rx_close */
    if (!p || !legs || !r) {
        s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (nprobe) {
        s = hs_template_encode(ctx, NULL, &tsize, fingers, HS_TEMPLATE_FORMAT_HST);
        if (!s && !(tbuf = malloc(tsize)))
            s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
        if (!s)
            s = hs_template_encode(ctx, tbuf, &tsize, fingers, HS_TEMPLATE_FORMAT_HST);
        if (s)
            goto out;
    }
    p->shards = N;
    p->max_candidates = o.max_candidates;
    p->flags = o.flags & (HS_WATCHLIST_EXHAUSTIVE | HS_WATCHLIST_HITS_ONLY);
    p->rescore = o.rescore;
    p->face_model = o.face_model;
    p->fmr = o.fmr;
    p->fingers = tbuf;
    p->fingers_size = tsize;
    p->face_dim = face ? face_dim : 0;
    if (p->face_dim)
        memcpy(p->face, face, face_dim * sizeof *face);

    if ((s = rx_init(ctx, &rx)) != HS_OK)
        goto out;
    natsStatus ns = natsInbox_Create(&inbox);
    char wild[128];
    if (ns == NATS_OK) {
        snprintf(wild, sizeof wild, "%s.*", inbox);
        ns = natsConnection_Subscribe(&sub, cl->c.nc, wild, rx_on_msg, rx);
    }
    if (ns == NATS_OK)
        ns = natsSubscription_SetOnCompleteCB(sub, rx_on_complete, rx);
    if (ns == NATS_OK)
        ns = natsSubscription_SetPendingLimits(sub, -1, -1);
    if (ns != NATS_OK) {
        s = hsc_nats_error(ctx, ns, "cluster search");
        goto out;
    }
    /* a replica waits for the minimum sequence at most 3/4 of the time left,
     * so that its "behind" arrives before the deadline */
    for (uint32_t i = 1; i <= N; i++)
        legs[i].retry_at = t0;
    uint32_t pending = N;
    while (pending) {
        double now = hsc_now_ms();
        if (now >= end)
            break;
        double next = end;
        for (uint32_t i = 1; i <= N; i++) {
            leg *L = &legs[i];
            if (L->done)
                continue;
            /* resend: planned retry, or no answer in half the time left
             * (the replica it reached may have died meanwhile) */
            if ((L->retry_at > 0 && now >= L->retry_at) ||
                (L->retry_at <= 0 && now - L->sent >= (end - L->sent) / 2 && now - L->sent > 50)) {
                pthread_mutex_lock(&cl->mu);
                uint64_t mine = cl->written[i];
                pthread_mutex_unlock(&cl->mu);
                p->shard = i;
                p->min_sequence = o.min_sequence > mine ? o.min_sequence : mine;
                p->wait_ms = (uint32_t)((end - now) * 0.75);
                b.len = 0;
                hsc_probe_encode(&b, p);
                if (b.failed) {
                    s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
                    goto out;
                }
                char subj[128], reply[160];
                hsc_subject_search(subj, sizeof subj, &cl->c, i);
                snprintf(reply, sizeof reply, "%s.%u", inbox, i);
                ns = natsConnection_PublishRequest(cl->c.nc, subj, reply, b.p, (int)b.len);
                if (ns == NATS_MAX_PAYLOAD) {
                    s = hsc_nats_error(ctx, ns, "cluster search probe");
                    goto out;
                }
                L->sent = now;
                L->retry_at = 0;
            }
            double t = L->retry_at > 0 ? L->retry_at : L->sent + fmax((end - L->sent) / 2, 50);
            if (t < next)
                next = t;
        }
        int lost = 0;
        natsMsg *m = rx_next(rx, fmin(next, end), &lost);
        if (lost) /* a reply was dropped (no memory): ask every shard again */
            for (uint32_t i = 1; i <= N; i++)
                if (!legs[i].done)
                    legs[i].retry_at = hsc_now_ms();
        if (!m)
            continue;
        const char *subj = natsMsg_GetSubject(m);
        const char *dot = subj ? strrchr(subj, '.') : NULL;
        unsigned long i = dot ? strtoul(dot + 1, NULL, 10) : 0;
        if (i >= 1 && i <= N && !legs[i].done) {
            leg *L = &legs[i];
            hsc_answer a;
            memset(&a, 0, sizeof a);
            if (natsMsg_IsNoResponders(m)) {
                /* no replica subscribed right now: one may come back */
                L->retry_at = hsc_now_ms() + 25;
            } else if (hsc_answer_parse(NULL, &a, natsMsg_GetData(m),
                                        (size_t)natsMsg_GetDataLength(m)) == HS_OK &&
                       a.shard == i && a.shards == N) {
                hsc_answer_clear(&L->ans);
                L->ans = a;
                if (a.state == HSC_ANSWER_OK) {
                    L->done = 1;
                    pending--;
                } else {
                    L->retry_at = hsc_now_ms() + 25;
                }
            } else {
                hsc_answer_clear(&a);
            }
        }
        natsMsg_Destroy(m);
    }

    /* gather, merge, name the missing */
    r->nprobe = nprobe;
    r->nshards = N;
    r->sh = calloc(N, sizeof *r->sh);
    size_t total = 0;
    for (uint32_t i = 1; i <= N; i++)
        if (legs[i].done)
            total += legs[i].ans.count;
    r->c = calloc(total ? total : 1, sizeof *r->c);
    if (!r->sh || !r->c) {
        s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
        goto out;
    }
    char missing[512] = "";
    size_t k = 0;
    for (uint32_t i = 1; i <= N; i++) {
        hs_cluster_shard_result *sr = &r->sh[i - 1];
        const hsc_answer *a = &legs[i].ans;
        sr->struct_size = sizeof *sr;
        sr->shard = i;
        if (a->shard) {
            sr->sequence = a->sequence;
            sr->subjects = a->subjects;
            sr->rescored = a->rescored;
            sr->search_ms = a->search_us / 1000.0;
            snprintf(sr->replica, sizeof sr->replica, "%s", a->replica);
        }
        if (legs[i].done) {
            sr->state = HS_CLUSTER_SHARD_ANSWERED;
            sr->candidates = a->count;
            memcpy(r->c + k, a->cand, a->count * sizeof *a->cand);
            k += a->count;
        } else {
            sr->state = !a->shard                      ? HS_CLUSTER_SHARD_MISSING
                        : a->state == HSC_ANSWER_BEHIND ? HS_CLUSTER_SHARD_BEHIND
                                                        : HS_CLUSTER_SHARD_FAILED;
            r->missing++;
            size_t len = strlen(missing);
            /* a replica's reason for failing is said (the last answer's) */
            snprintf(missing + len, sizeof missing - len, "%s%u (%s%s%s)", len ? ", " : "", i,
                     sr->state == HS_CLUSTER_SHARD_MISSING  ? "no answer"
                     : sr->state == HS_CLUSTER_SHARD_BEHIND ? "behind"
                                                            : "failed",
                     sr->state == HS_CLUSTER_SHARD_FAILED && a->message[0] ? ": " : "",
                     sr->state == HS_CLUSTER_SHARD_FAILED ? a->message : "");
        }
    }
    qsort(r->c, k, sizeof *r->c, cand_qsort);
    r->n = k < o.max_candidates ? (uint32_t)k : o.max_candidates;
    if (r->missing && !(o.flags & HS_CLUSTER_PARTIAL_OK)) {
        s = hsc_error(ctx, HS_ERR_UNAVAILABLE, "cluster %s: %u of %u shards missing after %u ms: %s",
                      cl->c.name, r->missing, N, o.deadline_ms, missing);
        goto out;
    }
    *out = r;
    r = NULL;
out:
    if (rx) /* sub is made after rx */
        rx_close(sub, rx);
    natsInbox_Destroy(inbox);
    hsc_buf_free(&b);
    for (uint32_t i = 0; legs && i <= N; i++)
        hsc_answer_clear(&legs[i].ans);
    free(legs);
    if (tbuf) {
        memset(tbuf, 0, tsize);
        free(tbuf);
    }
    if (p) {
        memset(p, 0, sizeof *p);
        free(p);
    }
    hs_cluster_result_free(r);
    return s;
}

/* ---- status --------------------------------------------------------------- */

struct hs_cluster_status_report {
    uint64_t last_seq;
    uint32_t n;
    hsc_state *st;
};

uint64_t hs_cluster_status_sequence(const hs_cluster_status_report *st)
{
    return st ? st->last_seq : 0;
}

uint32_t hs_cluster_status_replicas(const hs_cluster_status_report *st) { return st ? st->n : 0; }

void hs_cluster_status_free(hs_cluster_status_report *st)
{
    if (st) {
        free(st->st);
        free(st);
    }
}

hs_status hs_cluster_status_replica(const hs_cluster_status_report *st,
                                    hs_cluster_replica_info *info, uint32_t index)
{
    if (!st || !info)
        return HS_ERR_INVALID_ARG;
    if (index >= st->n)
        return HS_ERR_NOT_FOUND;
    const hsc_state *x = &st->st[index];
    hs_cluster_replica_info all = HS_CLUSTER_REPLICA_INFO_INIT;
    all.shard = x->shard;
    all.sequence = x->sequence;
    all.subjects = x->subjects;
    all.fingers = x->fingers;
    all.refused = x->refused;
    all.saved_sequence = x->saved_sequence;
    all.duplicates = x->duplicates;
    all.leader_reads = x->leader_reads;
    snprintf(all.replica, sizeof all.replica, "%s", x->replica);
    return hsc_struct_out(NULL, info, &all, sizeof all, REPLICA_INFO_SIZE_1_0,
                          "hs_cluster_replica_info");
}

static int state_cmp(const void *pa, const void *pb)
{
    const hsc_state *a = pa, *b = pb;
    if (a->shard != b->shard)
        return a->shard < b->shard ? -1 : 1;
    return strcmp(a->replica, b->replica);
}

hs_status hs_cluster_status(hs_ctx *ctx, hs_cluster_status_report **out, hs_cluster *cl,
                            uint32_t wait_ms)
{
    if (out)
        *out = NULL;
    if (!out || !cl || wait_ms < 10 || wait_ms > 60000)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster status: bad argument (wait 10..60000)");
    uint32_t shards = 0;
    uint64_t last = 0;
    hs_status s = hsc_stream_info(ctx, &cl->c, &shards, &last);
    if (s)
        return s;
    if (!shards)
        return hsc_error(ctx, HS_ERR_STATE, "cluster %s is not initialised", cl->c.name);
    if ((s = set_shards(ctx, cl, shards)) != HS_OK)
        return s;
    hs_cluster_status_report *st = calloc(1, sizeof *st);
    if (!st)
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    st->last_seq = last;
    natsInbox *inbox = NULL;
    natsSubscription *sub = NULL;
    natsStatus ns = natsInbox_Create(&inbox);
    if (ns == NATS_OK)
        ns = natsConnection_SubscribeSync(&sub, cl->c.nc, inbox);
    char subj[128];
    hsc_subject_status(subj, sizeof subj, &cl->c);
    if (ns == NATS_OK)
        ns = natsConnection_PublishRequest(cl->c.nc, subj, inbox, "", 0);
    double end = hsc_now_ms() + wait_ms;
    uint32_t cap = 0;
    while (ns == NATS_OK) {
        double left = end - hsc_now_ms();
        if (left <= 0)
            break;
        natsMsg *m = NULL;
        natsStatus r = natsSubscription_NextMsg(&m, sub, (int64_t)ceil(left));
        if (r != NATS_OK)
            continue;
        hsc_state x;
        if (hsc_state_parse(NULL, &x, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m)) ==
                HS_OK &&
            st->n < 65536) {
            if (st->n == cap) {
                cap = cap ? 2 * cap : 16;
                hsc_state *q = realloc(st->st, cap * sizeof *q);
                if (!q) {
                    natsMsg_Destroy(m);
                    ns = NATS_NO_MEMORY;
                    break;
                }
                st->st = q;
            }
            st->st[st->n++] = x;
        }
        natsMsg_Destroy(m);
    }
    if (sub) {
        natsSubscription_Unsubscribe(sub);
        natsSubscription_Destroy(sub);
    }
    natsInbox_Destroy(inbox);
    if (ns != NATS_OK) {
        hs_cluster_status_free(st);
        return hsc_nats_error(ctx, ns, "cluster status");
    }
    if (st->n)
        qsort(st->st, st->n, sizeof *st->st, state_cmp);
    *out = st;
    return HS_OK;
}
