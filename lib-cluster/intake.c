/* Deferred checks, closed end to end (docs/cluster.md, "Deferred checks"):
 *
 *   device --submit--> stream HOTSPOT_<c>_INTAKE,  subject hs.<c>.intake.<device>
 *   intake worker (durable consumer <c>_intake): open, search, sign
 *          --------> stream HOTSPOT_<c>_RESULTS, subjects
 *                    hs.<c>.results.<device>.<encounter>   signed verdicts (HSCR)
 *                    hs.<c>.results.<device>.ack           acknowledgements
 *                    hs.<c>.results.<device>.batch         a batch refused whole
 *   device --fetch (ephemeral consumer), verify, apply, confirm (delete)
 *
 * <device> is the 64 hex digits of the device's Ed25519 public key,
 * <encounter> the 32 hex digits of the encounter id.
 *
 * Idempotence: a complete verdict is published with Nats-Msg-Id
 * "res-<encounter>" and only then is the encounter added to the seen set;
 * before searching, the worker looks for a stored complete verdict on the
 * encounter's subject. So a batch delivered again (a worker killed before
 * its JetStream acknowledgement) publishes nothing new and searches nothing
 * again; an encounter seen before is acknowledged again (the device may
 * have lost the acknowledgement).
 */
#include "conn.h"

#include <hotspot/finger.h>
#include <hotspot/nist.h>

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HOTSPOT_HAVE_SODIUM
#include <sodium.h>
#endif

#define SUBMIT_INFO_SIZE_1_1 sizeof(hs_cluster_submit_info)
#define INTAKE_OPTIONS_SIZE_1_1 sizeof(hs_cluster_intake_options)
#define INTAKE_STATS_SIZE_1_1 sizeof(hs_cluster_intake_stats)
#define OUTCOME_SIZE_1_1 sizeof(hs_cluster_outcome)
#define VERDICT_SIZE_1_1 sizeof(hs_cluster_verdict)

#define DEDUP_NS ((int64_t)24 * 3600 * 1000000000)       /* de-duplication window: 24 h */
#define RESULTS_MAX_AGE_NS ((int64_t)30 * 24 * 3600 * 1000000000) /* 30 days */

static void wipe(void *p, size_t n)
{
    volatile uint8_t *v = p;
    for (size_t i = 0; i < n; i++)
        v[i] = 0;
}

static void hexs(char *out, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = 0;
}

static int unhex(uint8_t *out, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int v = 0;
        for (int k = 0; k < 2; k++) {
            char c = s[2 * i + k];
            int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (x < 0)
                return 0;
            v = v * 16 + x;
        }
        out[i] = (uint8_t)v;
    }
    return s[2 * n] == 0 || s[2 * n] == '.';
}

/* ---- crypto (libsodium; the core library keeps its own copy hidden) ---------- */

static hs_status need_sodium(hs_ctx *ctx)
{
#ifdef HOTSPOT_HAVE_SODIUM
    if (sodium_init() < 0)
        return hsc_error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    return HS_OK;
#else
    return hsc_error(ctx, HS_ERR_NOT_BUILT, "deferred checks need libsodium");
#endif
}

static void sha256(uint8_t out[32], const void *p, size_t n)
{
#ifdef HOTSPOT_HAVE_SODIUM
    crypto_hash_sha256(out, p, n);
#else
    (void)p, (void)n;
    memset(out, 0, 32);
#endif
}

/* Whether the leader of @p stream holds at @p seq the very message a
 * consumer read there from a server's copy: bytes whose SHA-256 is @p sum
 * and, when @p subject is not NULL, the same subject. A copy can diverge from the leader's
 * (docs/cluster.md, Copies of a write), and a stream can be made anew, so
 * that another message sits at that sequence: deleting by sequence
 * without this check could delete it. 1 it does; 0 it does not (*ns
 * NATS_OK: another message there; else what the leader said, with *je). */
static int leader_holds(jsCtx *js, const char *stream, uint64_t seq, const char *subject,
                        const uint8_t sum[32], jsOptions *jo, natsStatus *ns, jsErrCode *je)
{
    natsMsg *m = NULL;
    *je = 0;
    *ns = js_GetMsg(&m, js, stream, seq, jo, je);
    int same = 0;
    if (*ns == NATS_OK) {
        const char *at = natsMsg_GetSubject(m);
        if (!subject || (at && !strcmp(at, subject))) {
            uint8_t now[32];
            sha256(now, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m));
            same = !memcmp(now, sum, 32);
        }
    }
    natsMsg_Destroy(m);
    return same;
}

static void sign(uint8_t sig[64], const void *p, size_t n, const uint8_t sk[64])
{
#ifdef HOTSPOT_HAVE_SODIUM
    crypto_sign_detached(sig, NULL, p, n, sk);
#else
    (void)p, (void)n, (void)sk;
    memset(sig, 0, 64);
#endif
}

static int verify(const uint8_t sig[64], const void *p, size_t n, const uint8_t pk[32])
{
#ifdef HOTSPOT_HAVE_SODIUM
    return crypto_sign_verify_detached(sig, p, n, pk) == 0;
#else
    (void)sig, (void)p, (void)n, (void)pk;
    return 0;
#endif
}

/* ---- streams ----------------------------------------------------------------- */

void hsc_stream_intake(char *buf, size_t cap, const hsc_conn *c)
{
    snprintf(buf, cap, "%s_INTAKE", c->stream);
}

void hsc_stream_results(char *buf, size_t cap, const hsc_conn *c)
{
    snprintf(buf, cap, "%s_RESULTS", c->stream);
}

static void subject_intake(char *buf, size_t cap, const hsc_conn *c, const uint8_t dev[32])
{
    char h[65];
    hexs(h, dev, 32);
    snprintf(buf, cap, "hs.%s.intake.%s", c->name, h);
}

/* hs.<c>.results.<device>[.<tail>] */
static void subject_results(char *buf, size_t cap, const hsc_conn *c, const uint8_t dev[32],
                            const char *tail)
{
    char h[65];
    hexs(h, dev, 32);
    snprintf(buf, cap, "hs.%s.results.%s.%s", c->name, h, tail);
}

hs_status hsc_deferred_streams(hs_ctx *ctx, hsc_conn *c, int create)
{
    jsStreamInfo *si = NULL;
    jsErrCode je = 0;
    natsStatus s = js_GetStreamInfo(&si, c->js, c->stream, NULL, &je);
    if (s == NATS_NOT_FOUND)
        return hsc_error(ctx, HS_ERR_STATE, "cluster %s is not initialised (hotspot cluster init)",
                         c->name);
    if (s != NATS_OK)
        return hsc_js_error(ctx, s, je, "reading the cluster's stream");
    int64_t replicas = si->Config ? si->Config->Replicas : 1;
    jsStreamInfo_Destroy(si);
    for (int k = 0; k < 2; k++) {
        char name[96], subj[128], desc[128];
        if (k == 0) {
            hsc_stream_intake(name, sizeof name, c);
            snprintf(subj, sizeof subj, "hs.%s.intake.*", c->name);
            snprintf(desc, sizeof desc, "hotspot cluster %s: deferred checks, device batches",
                     c->name);
        } else {
            hsc_stream_results(name, sizeof name, c);
            snprintf(subj, sizeof subj, "hs.%s.results.>", c->name);
            snprintf(desc, sizeof desc, "hotspot cluster %s: deferred checks, signed verdicts",
                     c->name);
        }
        si = NULL;
        s = js_GetStreamInfo(&si, c->js, name, NULL, &je);
        jsStreamInfo_Destroy(si);
        if (s == NATS_OK)
            continue;
        if (s != NATS_NOT_FOUND)
            return hsc_js_error(ctx, s, je, name);
        if (!create)
            return hsc_error(ctx, HS_ERR_STATE,
                             "cluster %s has no stream %s (hotspot cluster init, or start the "
                             "intake worker)",
                             c->name, name);
        const char *subjects[1] = {subj};
        jsStreamConfig sc;
        jsStreamConfig_Init(&sc);
        sc.Name = name;
        sc.Description = desc;
        sc.Subjects = subjects;
        sc.SubjectsLen = 1;
        sc.Storage = js_FileStorage;
        sc.Replicas = replicas;
        /* intake: a batch is removed once the worker acknowledges it;
         * results: kept until the device confirms, at most 30 days */
        sc.Retention = k == 0 ? js_WorkQueuePolicy : js_LimitsPolicy;
        sc.MaxAge = RESULTS_MAX_AGE_NS;
        sc.Duplicates = DEDUP_NS;
        si = NULL;
        s = js_AddStream(&si, c->js, &sc, NULL, &je);
        jsStreamInfo_Destroy(si);
        if (s != NATS_OK) {
            /* another process made it meanwhile */
            si = NULL;
            natsStatus s2 = js_GetStreamInfo(&si, c->js, name, NULL, &je);
            jsStreamInfo_Destroy(si);
            if (s2 != NATS_OK)
                return hsc_js_error(ctx, s, je, name);
        }
    }
    return HS_OK;
}

/* Publish to JetStream with a message id (may be NULL), retrying with the
 * same id while the stream elects a leader. */
static hs_status js_put(hs_ctx *ctx, hsc_conn *c, const char *subj, const char *msgid,
                        const void *data, size_t len, uint64_t *seq, int *dup,
                        const char *stream)
{
    double end = hsc_now_ms() + c->opts.write_timeout_ms;
    for (;;) {
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MsgId = msgid;
        po.ExpectStream = stream;
        double left = end - hsc_now_ms();
        po.MaxWait = (int64_t)fmax(100, fmin(c->opts.timeout_ms, left));
        jsPubAck *pa = NULL;
        jsErrCode je = 0;
        natsStatus s = js_Publish(&pa, c->js, subj, data, (int)len, &po, &je);
        if (s == NATS_OK) {
            if (seq)
                *seq = pa->Sequence;
            if (dup)
                *dup = pa->Duplicate;
            jsPubAck_Destroy(pa);
            return HS_OK;
        }
        if (s == NATS_NO_RESPONDERS) {
            jsStreamInfo *si = NULL;
            natsStatus s2 = js_GetStreamInfo(&si, c->js, stream, NULL, &je);
            jsStreamInfo_Destroy(si);
            if (s2 == NATS_NOT_FOUND)
                return hsc_error(ctx, HS_ERR_STATE,
                                 "cluster %s has no stream %s (hotspot cluster init)", c->name,
                                 stream);
        }
        if (s == NATS_MAX_PAYLOAD || s == NATS_NO_MEMORY || s == NATS_INVALID_ARG ||
            hsc_now_ms() + 100 >= end)
            return hsc_js_error(ctx, s, je, stream);
        hsc_sleep_ms(100);
    }
}

/* ---- submit -------------------------------------------------------------------- */

static hs_status submit_one(hs_ctx *ctx, hsc_conn *c, const char *subj, const void *data,
                            size_t len, hs_cluster_submit_info *info)
{
    uint8_t d[32];
    char msgid[72];
    sha256(d, data, len);
    hexs(msgid, d, 32);
    char stream[96];
    hsc_stream_intake(stream, sizeof stream, c);
    int dup = 0;
    uint64_t seq = 0;
    hs_status s = js_put(ctx, c, subj, msgid, data, len, &seq, &dup, stream);
    if (s)
        return s;
    info->messages++;
    info->duplicates += dup ? 1 : 0;
    info->sequence = seq;
    return HS_OK;
}

hs_status hs_cluster_submit(hs_ctx *ctx, hs_cluster_submit_info *info, hs_cluster *cl,
                            const void *batch, size_t size)
{
    if (!cl || !batch || !size)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster submit: NULL or empty batch");
    hs_cluster_submit_info all = HS_CLUSTER_SUBMIT_INFO_INIT;
    if (info) {
        hs_status s = hsc_struct_out(ctx, info, &all, sizeof all, SUBMIT_INFO_SIZE_1_1,
                                     "hs_cluster_submit_info");
        if (s)
            return s;
    }
    hs_status s = need_sodium(ctx);
    if (s)
        return s;
    hsc_conn *c = hsc_cluster_conn(cl);
    uint32_t count = 0;
    const uint8_t *rec = NULL;
    size_t rsize = 0;
    s = hs_encounter_batch_record(ctx, &rec, &rsize, &count, batch, size, UINT32_MAX);
    if (s && s != HS_ERR_NOT_FOUND)
        return s;
    if (!count)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster submit: the batch holds no encounter");
    size_t *rs = calloc(count, sizeof *rs);
    const uint8_t **rp = calloc(count, sizeof *rp);
    if (!rs || !rp) {
        free(rs);
        free(rp);
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < count && !s; i++) {
        s = hs_encounter_batch_record(ctx, &rp[i], &rs[i], &count, batch, size, i);
        hs_encounter_receipt r = HS_ENCOUNTER_RECEIPT_INIT;
        if (!s)
            s = hs_encounter_sealed_receipt(ctx, &r, rp[i], rs[i]);
        if (!s && i == 0)
            memcpy(all.device_public, r.device_public, 32);
        else if (!s && memcmp(all.device_public, r.device_public, 32))
            s = hsc_error(ctx, HS_ERR_INVALID_ARG,
                          "cluster submit: record %u is from another device than record 0 "
                          "(submit one device's batch at a time)",
                          i);
    }
    char subj[160];
    subject_intake(subj, sizeof subj, c, all.device_public);
    /* room for the headers (Nats-Msg-Id) and the protocol line */
    int64_t maxp = natsConnection_GetMaxPayload(c->nc) - 1024;
    if (!s && (int64_t)size <= maxp) {
        s = submit_one(ctx, c, subj, batch, size, &all);
    } else if (!s) {
        /* split: consecutive records, as many as fit, each group a batch of
         * its own (deterministic: the same batch splits the same way) */
        uint32_t i = 0;
        while (i < count && !s) {
            uint32_t j = i;
            size_t est = 64;
            while (j < count && (j == i || (int64_t)(est + rs[j] + 16) <= maxp)) {
                est += rs[j] + 16;
                j++;
            }
            if ((int64_t)est > maxp) {
                s = hsc_error(ctx, HS_ERR_LIMIT,
                              "cluster submit: record %u (%zu bytes) is above the server's "
                              "maximum payload",
                              i, rs[i]);
                break;
            }
            size_t bn = 0;
            s = hs_encounter_batch_encode(ctx, NULL, &bn, (const void *const *)(rp + i), rs + i,
                                          j - i);
            uint8_t *bb = s ? NULL : malloc(bn);
            if (!s && !bb)
                s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
            if (!s)
                s = hs_encounter_batch_encode(ctx, bb, &bn, (const void *const *)(rp + i),
                                              rs + i, j - i);
            if (!s)
                s = submit_one(ctx, c, subj, bb, bn, &all);
            free(bb);
            i = j;
        }
    }
    free(rs);
    free(rp);
    if (s)
        return s;
    all.records = count;
    if (info)
        hsc_struct_out(ctx, info, &all, sizeof all, SUBMIT_INFO_SIZE_1_1,
                       "hs_cluster_submit_info");
    return HS_OK;
}

/* ---- the intake worker ------------------------------------------------------------ */

typedef struct dev_ack {
    uint8_t dev[32];
    uint8_t *ids;
    uint32_t n, cap;
} dev_ack;

struct hs_cluster_intake {
    hs_cluster *cl;
    hsc_conn *c;
    uint8_t box_sk[32], sign_sk[64], sign_pk[32];
    const hs_encounter_registry *reg;
    hs_encounter_seen *seen;
    char *seen_path;
    hs_cluster_intake_options o;
    char intake[96], results[96], durable[96];
    natsSubscription *pull;
    hs_finger_extractor *ex;
    hs_ctx *sctx; /* searches: their failures become "incomplete", not errors */
    hs_cluster_outcome *out;
    uint32_t nout, capout;
    natsMsg *cur; /* the message being processed: kept alive with InProgress */
    double next_watch; /* the stall watchdog's next look (hs_cluster_intake_next) */
    int stalled;       /* its looks in a row that found batches it was not given */
    char server[64];   /* the consumer's server, as it last said ("": not known) */
};

/* JetStream options for a request whose answer may come from a server that
 * stalled: waited for a second at most (the client's timeout if shorter). */
static void short_wait(const hs_cluster_intake *in, jsOptions *jo)
{
    jsOptions_Init(jo);
    jo->Wait = in->c->opts.timeout_ms < 1000 ? in->c->opts.timeout_ms : 1000;
}

/* Make (or keep) the shared durable consumer of the intake stream and bind
 * a pull subscription to it. One copy in memory (hsc_consumer_in_memory):
 * losing it with its server only loses acknowledgements of batches still in
 * the work-queue stream, which then come again and are replayed (every step
 * is idempotent). With
 * `anew`, or when it exists with settings that cannot be updated (an older
 * release's replicated consumer), it is deleted and made again. *jeo (may
 * be NULL) receives JetStream's error code of the last step. */
static natsStatus intake_bind(hs_cluster_intake *in, int anew, jsErrCode *jeo)
{
    if (in->pull) {
        natsSubscription_Unsubscribe(in->pull);
        natsSubscription_Destroy(in->pull);
        in->pull = NULL;
    }
    char filter[128];
    snprintf(filter, sizeof filter, "hs.%s.intake.*", in->c->name);
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = in->durable;
    cc.FilterSubject = filter;
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = (int64_t)in->o.ack_wait_ms * 1000000;
    cc.MaxDeliver = -1;
    cc.MaxAckPending = 1000;
    cc.DeliverPolicy = js_DeliverAll;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    hsc_consumer_in_memory(&cc, &so);
    jsConsumerInfo *ci = NULL;
    jsErrCode je = 0;
    if (anew) {
        /* the answer comes from the consumer's server, which may be the
         * one that stalled: not waited for long (the removal goes ahead) */
        jsOptions jo;
        short_wait(in, &jo);
        js_DeleteConsumer(in->c->js, in->intake, in->durable, &jo, &je);
    }
    natsStatus ns = js_AddConsumer(&ci, in->c->js, in->intake, &cc, NULL, &je);
    if (ns != NATS_OK && !anew) {
        /* it exists with other settings (another ack wait): update it, or
         * when that cannot be (an older release's replicated one) make it
         * again */
        jsConsumerInfo_Destroy(ci);
        ci = NULL;
        ns = js_UpdateConsumer(&ci, in->c->js, in->intake, &cc, NULL, &je);
        if (ns != NATS_OK) {
            jsConsumerInfo_Destroy(ci);
            ci = NULL;
            js_DeleteConsumer(in->c->js, in->intake, in->durable, NULL, &je);
            ns = js_AddConsumer(&ci, in->c->js, in->intake, &cc, NULL, &je);
        }
    }
    in->server[0] = 0;
    if (ns == NATS_OK && ci && ci->Cluster && ci->Cluster->Leader)
        snprintf(in->server, sizeof in->server, "%s", ci->Cluster->Leader);
    jsConsumerInfo_Destroy(ci);
    if (ns == NATS_OK) {
        so.Stream = in->intake;
        so.Consumer = in->durable;
        so.ManualAck = true;
        ns = js_PullSubscribe(&in->pull, in->c->js, filter, in->durable, NULL, &so, &je);
    }
    if (jeo)
        *jeo = je;
    return ns;
}

/* Remove batch @p done, acknowledged, stored at @p seq, from the intake
 * stream through its leader. The work queue should drop it on the
 * acknowledgement, but nats-server 2.9 does so only on the server of the
 * consumer: with the consumer on a follower of the stream the leader and
 * the other copies keep it, for the stream's 30 days, and every consumer
 * made anew (a server lost, the watchdog) delivers it again, to be
 * replayed. Deleted only when the leader holds the same batch at that
 * sequence: the consumer read a server's copy of the stream, and a copy
 * can diverge from the leader's (docs/cluster.md, Copies of a write), where
 * another device's batch, not answered yet, may sit at that sequence.
 * Deleted already (the consumer on the leader), or a deletion that fails
 * (the leader away): the batch is replayed if it comes again, which is
 * harmless. */
static void intake_remove(hs_cluster_intake *in, uint64_t seq, natsMsg *done)
{
    jsOptions jo;
    short_wait(in, &jo);
    jsErrCode je = 0;
    natsStatus ns = NATS_OK;
    const char *subject = natsMsg_GetSubject(done);
    uint8_t sum[32]; /* (the worker needs libsodium: need_sodium) */
    sha256(sum, natsMsg_GetData(done), (size_t)natsMsg_GetDataLength(done));
    if (subject && leader_holds(in->c->js, in->intake, seq, subject, sum, &jo, &ns, &je))
        js_DeleteMsg(in->c->js, in->intake, seq, &jo, &je);
}

/* Make the consumer anew (intake_bind) because the one on server `from`
 * stalled; one that JetStream places on that server again is made anew
 * again, up to three times (JetStream has placed remade consumers on one
 * server many times in a row, docs/cluster.md). */
static natsStatus intake_remake(hs_cluster_intake *in, const char *from)
{
    natsStatus ns = NATS_ERR;
    for (int k = 0; k < 3; k++) {
        ns = intake_bind(in, 1, NULL);
        if (ns != NATS_OK || !from[0] || strcmp(in->server, from))
            break;
    }
    return ns;
}

/* The stall watchdog, after a fetch that brought nothing: at most every
 * second, the stream's leader is asked how many batches it holds (its
 * work queue keeps them until they are acknowledged). When it holds some,
 * they wait for this worker while the consumer
 *  - does not answer within a second (its server frozen, gone, electing),
 *  - is gone (deleted, lost with its server),
 *  - has some it has not delivered, or
 *  - counts fewer than the leader holds, undelivered and unacknowledged
 *    together: its server's copy of the stream lags the leader (for
 *    minutes, with nats-server 2.9 after a restart), so it cannot deliver
 *    them.
 * Three looks in a row that find batches waiting make the consumer anew,
 * elsewhere when JetStream allows (intake_remake). A leader that does not
 * answer tells nothing: the look does not count. */
static void intake_watch(hs_cluster_intake *in)
{
    if (hsc_now_ms() < in->next_watch)
        return;
    in->next_watch = hsc_now_ms() + 1000;
    jsErrCode je = 0;
    jsStreamInfo *si = NULL;
    if (js_GetStreamInfo(&si, in->c->js, in->intake, NULL, &je) != NATS_OK) {
        jsStreamInfo_Destroy(si);
        return;
    }
    const uint64_t held = si->State.Msgs;
    jsStreamInfo_Destroy(si);
    int waiting = 0;
    char from[64];
    snprintf(from, sizeof from, "%s", in->server);
    if (held > 0) {
        jsOptions jo;
        short_wait(in, &jo);
        jsConsumerInfo *ci = NULL;
        if (js_GetConsumerInfo(&ci, in->c->js, in->intake, in->durable, &jo, &je) == NATS_OK) {
            waiting = ci->NumPending > 0 || held > ci->NumPending + (uint64_t)ci->NumAckPending;
            if (ci->Cluster && ci->Cluster->Leader)
                snprintf(in->server, sizeof in->server, "%s", ci->Cluster->Leader);
        } else {
            waiting = 1;
        }
        jsConsumerInfo_Destroy(ci);
    }
    in->stalled = waiting ? in->stalled + 1 : 0;
    if (in->stalled >= 3 && intake_remake(in, from) == NATS_OK)
        in->stalled = 0;
}

uint32_t hs_cluster_intake_outcomes(const hs_cluster_intake *in) { return in ? in->nout : 0; }

hs_status hs_cluster_intake_outcome(const hs_cluster_intake *in, hs_cluster_outcome *o,
                                    uint32_t index)
{
    if (!in || !o)
        return HS_ERR_INVALID_ARG;
    if (index >= in->nout)
        return HS_ERR_NOT_FOUND;
    return hsc_struct_out(NULL, o, &in->out[index], sizeof *o, OUTCOME_SIZE_1_1,
                          "hs_cluster_outcome");
}

void hs_cluster_intake_free(hs_cluster_intake *in)
{
    if (!in)
        return;
    if (in->pull) {
        /* not Unsubscribe: that would delete the durable consumer */
        natsSubscription_Destroy(in->pull);
    }
    hs_encounter_seen_free(in->seen);
    hs_finger_extractor_free(in->ex);
    hs_ctx_free(in->sctx);
    free(in->seen_path);
    free(in->out);
    wipe(in, sizeof *in);
    free(in);
}

hs_status hs_cluster_intake_new(hs_ctx *ctx, hs_cluster_intake **out, hs_cluster *cl,
                                const uint8_t authority_box_secret[32],
                                const uint8_t authority_sign_secret[64],
                                const hs_encounter_registry *registry, const char *seen_path,
                                const hs_cluster_intake_options *opts)
{
    if (out)
        *out = NULL;
    if (!out || !cl || !authority_box_secret || !authority_sign_secret || !registry ||
        !seen_path || !*seen_path)
        return hsc_error(ctx, HS_ERR_INVALID_ARG,
                         "cluster intake: client, keys, registry and seen file are required");
    hs_cluster_intake_options o = HS_CLUSTER_INTAKE_OPTIONS_INIT;
    hs_status s = hsc_struct_in(ctx, &o, sizeof o, opts, INTAKE_OPTIONS_SIZE_1_1,
                                "hs_cluster_intake_options");
    if (s)
        return s;
    if (o.max_candidates < 1 || o.max_candidates > 1000 || o.deadline_ms < 10 ||
        o.deadline_ms > 600000 || o.retry_ms < 100 || o.retry_ms > 86400000 ||
        o.ack_wait_ms < 1000 || o.ack_wait_ms > 3600000 || (o.flags & ~HS_WATCHLIST_EXHAUSTIVE) ||
        !(o.fmr >= 1e-12 && o.fmr <= 0.5))
        return hsc_error(ctx, HS_ERR_INVALID_ARG,
                         "cluster intake options: top 1..1000, deadline 10..600000 ms, retry "
                         "100..86400000 ms, ack wait 1000..3600000 ms, fmr 1e-12..0.5, flags "
                         "HS_WATCHLIST_EXHAUSTIVE");
    if ((s = need_sodium(ctx)) != HS_OK)
        return s;
    hs_cluster_intake *in = calloc(1, sizeof *in);
    if (!in)
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    in->cl = cl;
    in->c = hsc_cluster_conn(cl);
    in->reg = registry;
    in->o = o;
    memcpy(in->box_sk, authority_box_secret, 32);
    memcpy(in->sign_sk, authority_sign_secret, 64);
#ifdef HOTSPOT_HAVE_SODIUM
    crypto_sign_ed25519_sk_to_pk(in->sign_pk, in->sign_sk);
#endif
    hsc_stream_intake(in->intake, sizeof in->intake, in->c);
    hsc_stream_results(in->results, sizeof in->results, in->c);
    snprintf(in->durable, sizeof in->durable, "%s_intake", in->c->name);
    if (!(in->seen_path = strdup(seen_path))) {
        s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((s = hs_ctx_new(&in->sctx, NULL)) != HS_OK)
        goto fail;
    if ((s = hs_encounter_seen_load(ctx, &in->seen, seen_path, HS_ENCOUNTER_SEEN_CREATE)) !=
        HS_OK)
        goto fail;
    /* JetStream may not answer at once (a server down or restarting, its
     * groups electing leaders): retried, as a write is, until
     * write_timeout_ms */
    const double end = hsc_now_ms() + in->c->opts.write_timeout_ms;
    for (;;) {
        s = hsc_deferred_streams(ctx, in->c, 1);
        if (s == HS_OK) {
            jsErrCode je = 0;
            natsStatus ns = intake_bind(in, 0, &je);
            if (ns != NATS_OK)
                s = hsc_js_error(ctx, ns, je, "intake consumer");
        }
        if (s != HS_ERR_UNAVAILABLE || hsc_now_ms() + 200 >= end)
            break;
        hsc_sleep_ms(200);
    }
    if (s)
        goto fail;
    *out = in;
    return HS_OK;
fail:
    hs_cluster_intake_free(in);
    return s;
}

static hs_cluster_outcome *outcome_push(hs_cluster_intake *in)
{
    if (in->nout == in->capout) {
        uint32_t cap = in->capout ? 2 * in->capout : 16;
        hs_cluster_outcome *q = realloc(in->out, cap * sizeof *q);
        if (!q)
            return NULL;
        in->out = q;
        in->capout = cap;
    }
    hs_cluster_outcome *o = &in->out[in->nout++];
    hs_cluster_outcome init = HS_CLUSTER_OUTCOME_INIT;
    *o = init;
    return o;
}

/* Sign and publish verdict v on its subject. */
static hs_status publish_verdict(hs_ctx *ctx, hs_cluster_intake *in, const hsc_verdict *v,
                                 const char *tail, const char *msgid)
{
    hsc_buf b = {0};
    hsc_verdict_encode(&b, v);
    uint8_t sig[64];
    if (!b.failed)
        sign(sig, b.p, b.len, in->sign_sk);
    hsc_put(&b, sig, 64);
    if (b.failed) {
        hsc_buf_free(&b);
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    char subj[256];
    subject_results(subj, sizeof subj, in->c, v->device, tail);
    hs_status s = js_put(ctx, in->c, subj, msgid, b.p, b.len, NULL, NULL, in->results);
    hsc_buf_free(&b);
    return s;
}

/* A complete verdict already stored for this encounter (signed by us). */
static int stored_verdict(hs_cluster_intake *in, hsc_verdict *v, const uint8_t dev[32],
                          const uint8_t id[16], const char *idhex)
{
    char subj[256];
    subject_results(subj, sizeof subj, in->c, dev, idhex);
    natsMsg *m = NULL;
    jsErrCode je = 0;
    if (js_GetLastMsg(&m, in->c->js, in->results, subj, NULL, &je) != NATS_OK)
        return 0;
    size_t n = (size_t)natsMsg_GetDataLength(m), signed_size = 0;
    const uint8_t *d = (const uint8_t *)natsMsg_GetData(m);
    int ok = hsc_verdict_parse(NULL, v, &signed_size, d, n) == HS_OK;
    if (ok && !(verify(d + signed_size, d, signed_size, in->sign_pk) &&
                v->kind == HS_CLUSTER_VERDICT_COMPLETE && !memcmp(v->device, dev, 32) &&
                !memcmp(v->id, id, 16))) {
        hsc_verdict_clear(v);
        ok = 0;
    }
    if (!ok)
        memset(v, 0, sizeof *v);
    natsMsg_Destroy(m);
    return ok;
}

/* The probe of an opened encounter: the Type-9 minutiae it carries, else
 * minutiae extracted from its Type-14/4 finger images. */
static hs_status probe_of(hs_ctx *ctx, hs_cluster_intake *in, const hs_nist *tx,
                          hs_template **out)
{
    *out = NULL;
    hs_template *p = NULL;
    hs_status s = hs_template_new(ctx, &p);
    uint32_t nrec = hs_nist_record_count(tx);
    for (uint32_t r = 0; !s && r < nrec && hs_template_view_count(p) < HS_WATCHLIST_FINGERS_MAX;
         r++) {
        if (hs_nist_record_type(tx, r) != 9)
            continue;
        hs_template *t = NULL;
        if (hs_nist_minutiae(NULL, &t, tx, r) == HS_OK && hs_template_view_count(t) > 0) {
            s = hs_template_copy_view(ctx, p, t, 0, NULL);
        }
        hs_template_free(t);
    }
    uint32_t nimg = hs_nist_image_count(tx);
    for (uint32_t i = 0; !s && hs_template_view_count(p) == 0 && i < nimg; i++) {
        hs_nist_image_info ii = HS_NIST_IMAGE_INFO_INIT;
        if (hs_nist_image_info_get(NULL, &ii, tx, i) != HS_OK ||
            (ii.record_type != 14 && ii.record_type != 4))
            continue;
        if (!in->ex && (s = hs_finger_extractor_new(ctx, &in->ex)) != HS_OK)
            break;
        hs_image *img = NULL;
        hs_template *t = NULL;
        if (hs_nist_image_decode(NULL, &img, tx, i, 0) == HS_OK &&
            hs_finger_extract(NULL, &t, in->ex, img) == HS_OK && hs_template_view_count(t)) {
            hs_view_info info;
            memset(&info, 0, sizeof info);
            info.struct_size = sizeof info;
            hs_template_view_info(t, &info, 0);
            if (ii.position >= 1 && ii.position <= 10)
                info.finger_position = ii.position;
            /* with the orientation field, which the shards' matcher uses */
            s = hs_template_copy_view(ctx, p, t, 0, &info);
        }
        hs_template_free(t);
        hs_image_free(img);
        if (hs_template_view_count(p) >= HS_WATCHLIST_FINGERS_MAX)
            break;
    }
    if (s) {
        hs_template_free(p);
        return s;
    }
    *out = p;
    return HS_OK;
}

static hs_status ack_add(hs_ctx *ctx, dev_ack **acks, uint32_t *nacks, const uint8_t dev[32],
                         const uint8_t id[16])
{
    uint32_t d = 0;
    while (d < *nacks && memcmp((*acks)[d].dev, dev, 32))
        d++;
    if (d == *nacks) {
        dev_ack *q = realloc(*acks, (*nacks + 1) * sizeof *q);
        if (!q)
            return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
        *acks = q;
        memset(&q[d], 0, sizeof q[d]);
        memcpy(q[d].dev, dev, 32);
        (*nacks)++;
    }
    dev_ack *a = &(*acks)[d];
    for (uint32_t k = 0; k < a->n; k++)
        if (!memcmp(a->ids + 16 * k, id, 16))
            return HS_OK;
    if (a->n == a->cap) {
        uint32_t cap = a->cap ? 2 * a->cap : 16;
        uint8_t *q = realloc(a->ids, (size_t)cap * 16);
        if (!q)
            return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
        a->ids = q;
        a->cap = cap;
    }
    memcpy(a->ids + 16 * a->n++, id, 16);
    return HS_OK;
}

/* Search one opened encounter and fill v (kind COMPLETE or INCOMPLETE). */
static hs_status search_encounter(hs_ctx *ctx, hs_cluster_intake *in, const hs_nist *tx,
                                  hsc_verdict *v)
{
    hs_template *probe = NULL;
    hs_status s = probe_of(ctx, in, tx, &probe);
    if (s)
        return s;
    v->fingers = hs_template_view_count(probe);
    if (!v->fingers) {
        hs_template_free(probe);
        v->kind = HS_CLUSTER_VERDICT_REFUSED;
        v->status = HS_ERR_NO_FINGERPRINT;
        v->decision = HS_ENCOUNTER_NOT_SEARCHED;
        snprintf(v->reason, sizeof v->reason,
                 "no finger to search (no minutiae record, no usable finger image)");
        return HS_OK;
    }
    /* The gallery as the stream holds it now: every shard answers only once
     * it has applied the changes up to here (a lagging replica waits, within
     * the deadline), so the verdict's gallery_sequence is what was searched. */
    uint64_t last = 0;
    uint32_t shards = 0;
    if (hsc_stream_info(NULL, in->c, &shards, &last) == HS_OK)
        v->gallery_sequence = last;
    hs_cluster_search_options so = HS_CLUSTER_SEARCH_OPTIONS_INIT;
    so.max_candidates = in->o.max_candidates;
    so.deadline_ms = in->o.deadline_ms;
    so.fmr = in->o.fmr;
    so.min_sequence = last;
    so.flags = HS_CLUSTER_PARTIAL_OK | (in->o.flags & HS_WATCHLIST_EXHAUSTIVE);
    hs_cluster_result *r = NULL;
    hs_status ss = hs_cluster_search(in->sctx, &r, in->cl, probe, NULL, 0, &so);
    hs_template_free(probe);
    if (ss == HS_ERR_NOMEM) {
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    if (ss) {
        v->kind = HS_CLUSTER_VERDICT_INCOMPLETE;
        v->status = HS_ERR_UNAVAILABLE;
        v->decision = HS_ENCOUNTER_NOT_SEARCHED;
        v->shards = shards;
        v->missing = shards;
        snprintf(v->reason, sizeof v->reason, "search failed: %s", hs_ctx_last_error(in->sctx));
        return HS_OK;
    }
    v->shards = hs_cluster_result_shards(r);
    v->missing = hs_cluster_result_missing(r);
    if (v->missing) {
        v->kind = HS_CLUSTER_VERDICT_INCOMPLETE;
        v->status = HS_ERR_UNAVAILABLE;
        v->decision = HS_ENCOUNTER_NOT_SEARCHED;
        size_t len = (size_t)snprintf(v->reason, sizeof v->reason, "shards missing:");
        for (uint32_t i = 0; i < v->shards && len < sizeof v->reason; i++) {
            hs_cluster_shard_result sr = HS_CLUSTER_SHARD_RESULT_INIT;
            if (hs_cluster_result_shard(r, &sr, i) == HS_OK &&
                sr.state != HS_CLUSTER_SHARD_ANSWERED)
                len += (size_t)snprintf(v->reason + len, sizeof v->reason - len, " %u (%s)",
                                        sr.shard,
                                        sr.state == HS_CLUSTER_SHARD_BEHIND   ? "behind"
                                        : sr.state == HS_CLUSTER_SHARD_FAILED ? "failed"
                                                                             : "no answer");
        }
        hs_cluster_result_free(r);
        return HS_OK;
    }
    uint32_t n = hs_cluster_result_count(r);
    v->kind = HS_CLUSTER_VERDICT_COMPLETE;
    v->status = HS_OK;
    v->decision = HS_ENCOUNTER_NO_HIT;
    v->cand = n ? calloc(n, sizeof *v->cand) : NULL;
    if (n && !v->cand) {
        hs_cluster_result_free(r);
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    v->count = n;
    for (uint32_t i = 0; i < n; i++) {
        hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
        hs_cluster_result_candidate(r, &c, i);
        snprintf(v->cand[i].id, sizeof v->cand[i].id, "%s", c.id ? c.id : "");
        v->cand[i].score = c.score;
        v->cand[i].hit = c.hit ? 1 : 0;
        if (c.hit)
            v->decision = HS_ENCOUNTER_HIT;
    }
    hs_cluster_result_free(r);
    return HS_OK;
}

static int64_t now_utc_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void keep_alive(hs_cluster_intake *in)
{
    if (in->cur)
        natsMsg_InProgress(in->cur, NULL);
}

/* process one batch; subj_dev (may be NULL) is the device named by the
 * intake subject, told when the batch is refused whole */
static hs_status process(hs_ctx *ctx, hs_cluster_intake_stats *st, hs_cluster_intake *in,
                         const void *batch, size_t size, const uint8_t *subj_dev)
{
    in->nout = 0;
    hs_encounter_batch *b = NULL;
    hs_ctx *bctx = NULL;
    hs_status s = hs_ctx_new(&bctx, NULL);
    if (s)
        return s;
    hs_status bs = hs_encounter_batch_open(bctx, &b, batch, size, in->box_sk, in->reg, NULL, 0);
    dev_ack *acks = NULL;
    uint32_t nacks = 0;
    int seen_changed = 0;
    if (bs == HS_ERR_NOMEM) {
        s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (bs) {
        /* the batch is refused whole: tell the device that sent it */
        hs_cluster_outcome *o = outcome_push(in);
        if (!o) {
            s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
            goto out;
        }
        o->outcome = HS_CLUSTER_OUTCOME_REFUSED;
        o->status = bs;
        o->decision = HS_ENCOUNTER_NOT_SEARCHED;
        snprintf(o->reason, sizeof o->reason, "batch refused: %s", hs_ctx_last_error(bctx));
        st->refused++;
        if (subj_dev) {
            memcpy(o->device_public, subj_dev, 32);
            hsc_verdict v;
            memset(&v, 0, sizeof v);
            v.kind = HS_CLUSTER_VERDICT_REFUSED;
            memcpy(v.device, subj_dev, 32);
            v.time_ms = now_utc_ms();
            v.decision = HS_ENCOUNTER_NOT_SEARCHED;
            v.status = bs;
            snprintf(v.reason, sizeof v.reason, "%s", o->reason);
            uint8_t d[32];
            char msgid[80];
            sha256(d, batch, size);
            memcpy(msgid, "bat-", 4);
            hexs(msgid + 4, d, 32);
            s = publish_verdict(ctx, in, &v, "batch", msgid);
        }
        goto out;
    }
    uint32_t count = hs_encounter_batch_count(b);
    st->records = count;
    for (uint32_t i = 0; i < count && !s; i++) {
        keep_alive(in);
        const char *why = NULL;
        hs_status rs = hs_encounter_batch_status(b, &why, i);
        hs_encounter_receipt r = HS_ENCOUNTER_RECEIPT_INIT;
        int has_receipt = hs_encounter_batch_receipt(b, &r, i) == HS_OK;
        hs_cluster_outcome *o = outcome_push(in);
        if (!o) {
            s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
            break;
        }
        o->decision = HS_ENCOUNTER_NOT_SEARCHED;
        if (has_receipt) {
            memcpy(o->id, r.id, 16);
            memcpy(o->device_public, r.device_public, 32);
        }
        char idhex[33];
        hexs(idhex, r.id, 16);
        hsc_verdict v;
        memset(&v, 0, sizeof v);
        memcpy(v.id, r.id, 16);
        memcpy(v.device, r.device_public, 32);
        v.decision = HS_ENCOUNTER_NOT_SEARCHED;
        if (rs) {
            o->outcome = HS_CLUSTER_OUTCOME_REFUSED;
            o->status = rs;
            snprintf(o->reason, sizeof o->reason, "%s", why ? why : hs_status_str(rs));
            st->refused++;
            /* told to the device the record names, unless its signature
             * failed: then nothing says that device sent it */
            if (has_receipt && rs != HS_ERR_SIGNATURE) {
                v.kind = HS_CLUSTER_VERDICT_REFUSED;
                v.time_ms = now_utc_ms();
                v.status = rs;
                snprintf(v.reason, sizeof v.reason, "%s", o->reason);
                char msgid[64];
                snprintf(msgid, sizeof msgid, "ref-%s-%d", idhex, (int)-rs);
                s = publish_verdict(ctx, in, &v, idhex, msgid);
            }
            continue;
        }
        if (hs_encounter_seen_contains(in->seen, r.id)) {
            o->outcome = HS_CLUSTER_OUTCOME_REPLAYED;
            snprintf(o->reason, sizeof o->reason, "answered before: acknowledged again");
            st->replayed++;
            s = ack_add(ctx, &acks, &nacks, r.device_public, r.id);
            continue;
        }
        hsc_verdict sv; /* a stored verdict, read into its own struct */
        if (stored_verdict(in, &sv, r.device_public, r.id, idhex)) {
            o->outcome = HS_CLUSTER_OUTCOME_STORED;
            o->decision = sv.decision;
            o->candidates = sv.count;
            hsc_verdict_clear(&sv);
            st->stored++;
        } else {
            v.time_ms = now_utc_ms();
            s = search_encounter(ctx, in, hs_encounter_batch_transaction(b, i), &v);
            if (s)
                break;
            o->decision = v.decision;
            o->candidates = v.count;
            o->missing = v.missing;
            o->status = v.status;
            snprintf(o->reason, sizeof o->reason, "%s", v.reason);
            char msgid[64];
            if (v.kind == HS_CLUSTER_VERDICT_INCOMPLETE) {
                o->outcome = HS_CLUSTER_OUTCOME_INCOMPLETE;
                st->incomplete++;
                s = publish_verdict(ctx, in, &v, idhex, NULL);
                hsc_verdict_clear(&v);
                continue;
            }
            snprintf(msgid, sizeof msgid, "res-%s", idhex);
            s = publish_verdict(ctx, in, &v, idhex, msgid);
            hsc_verdict_clear(&v);
            if (s)
                break;
            if (v.kind == HS_CLUSTER_VERDICT_REFUSED) {
                /* authentic but never searchable: answered, acknowledged */
                o->outcome = HS_CLUSTER_OUTCOME_REFUSED;
                st->refused++;
            } else {
                o->outcome = HS_CLUSTER_OUTCOME_SEARCHED;
                st->searched++;
            }
        }
        /* the verdict is stored: answered */
        hs_status as = hs_encounter_seen_add(ctx, in->seen, r.id);
        if (as && as != HS_ERR_EXISTS) {
            s = as;
            break;
        }
        seen_changed = 1;
        s = ack_add(ctx, &acks, &nacks, r.device_public, r.id);
    }
    if (s)
        goto out;
    /* acknowledgements, one per device, with a message id made of the ids
     * it names: the same set acknowledged again is stored once */
    for (uint32_t d = 0; d < nacks && !s; d++) {
        keep_alive(in);
        size_t an = 0;
        s = hs_encounter_ack_make(ctx, NULL, &an, acks[d].dev, acks[d].ids, acks[d].n,
                                  in->sign_sk);
        uint8_t *ack = s ? NULL : malloc(an);
        if (!s && !ack)
            s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
        if (!s)
            s = hs_encounter_ack_make(ctx, ack, &an, acks[d].dev, acks[d].ids, acks[d].n,
                                      in->sign_sk);
        if (!s) {
            uint8_t *all = malloc(32 + (size_t)acks[d].n * 16);
            if (!all) {
                s = hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
            } else {
                memcpy(all, acks[d].dev, 32);
                memcpy(all + 32, acks[d].ids, (size_t)acks[d].n * 16);
                uint8_t h[32];
                sha256(h, all, 32 + (size_t)acks[d].n * 16);
                free(all);
                char msgid[80], subj[256];
                memcpy(msgid, "ack-", 4);
                hexs(msgid + 4, h, 32);
                subject_results(subj, sizeof subj, in->c, acks[d].dev, "ack");
                s = js_put(ctx, in->c, subj, msgid, ack, an, NULL, NULL, in->results);
                if (!s)
                    st->acks++;
            }
        }
        free(ack);
    }
    if (!s && seen_changed)
        s = hs_encounter_seen_save(ctx, in->seen_path, in->seen);
out:
    for (uint32_t d = 0; d < nacks; d++)
        free(acks[d].ids);
    free(acks);
    hs_encounter_batch_free(b);
    hs_ctx_free(bctx);
    return s;
}

static hs_status stats_out(hs_ctx *ctx, hs_cluster_intake_stats *dst,
                           const hs_cluster_intake_stats *all)
{
    if (!dst)
        return HS_OK;
    return hsc_struct_out(ctx, dst, all, sizeof *all, INTAKE_STATS_SIZE_1_1,
                          "hs_cluster_intake_stats");
}

hs_status hs_cluster_intake_process(hs_ctx *ctx, hs_cluster_intake_stats *stats,
                                    hs_cluster_intake *in, const void *batch, size_t size)
{
    if (!in || !batch || !size)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster intake: NULL or empty batch");
    hs_cluster_intake_stats all = HS_CLUSTER_INTAKE_STATS_INIT;
    hs_status s = stats_out(ctx, stats, &all);
    if (s)
        return s;
    double t0 = hsc_now_ms();
    all.messages = 1;
    s = process(ctx, &all, in, batch, size, NULL);
    all.ms = hsc_now_ms() - t0;
    stats_out(ctx, stats, &all);
    return s;
}

hs_status hs_cluster_intake_next(hs_ctx *ctx, hs_cluster_intake_stats *stats,
                                 hs_cluster_intake *in, uint32_t wait_ms)
{
    if (!in || wait_ms < 1 || wait_ms > 600000)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster intake: wait 1..600000 ms");
    hs_cluster_intake_stats all = HS_CLUSTER_INTAKE_STATS_INIT;
    hs_status s = stats_out(ctx, stats, &all);
    if (s)
        return s;
    natsMsgList list = {0};
    natsStatus ns = in->pull ? natsSubscription_Fetch(&list, in->pull, 1, (int64_t)wait_ms, NULL)
                             : NATS_NOT_FOUND;
    if (ns == NATS_TIMEOUT || ns == NATS_NOT_FOUND || ns == NATS_NO_RESPONDERS ||
        (ns == NATS_OK && list.Count == 0)) {
        natsMsgList_Destroy(&list);
        if (!in->pull) /* a failed rebinding: the watchdog tries again */
            hsc_sleep_ms(wait_ms < 200 ? wait_ms : 200);
        intake_watch(in);
        return HS_OK;
    }
    if (ns != NATS_OK) {
        /* the consumer deleted or its leader changing (JetStream's 409
         * answers), the connection reconnecting: not now; the watchdog
         * remakes a consumer that is gone */
        natsMsgList_Destroy(&list);
        intake_watch(in);
        return hsc_nats_error_as(ctx, ns == NATS_NO_MEMORY ? HS_ERR_NOMEM : HS_ERR_UNAVAILABLE,
                                 ns, "intake fetch");
    }
    double t0 = hsc_now_ms();
    natsMsg *m = list.Msgs[0];
    jsMsgMetaData *md = NULL;
    if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
        all.sequence = md->Sequence.Stream;
        all.delivery = (uint32_t)md->NumDelivered;
        jsMsgMetaData_Destroy(md);
    }
    /* the device named by the subject hs.<c>.intake.<hex> */
    const char *subj = natsMsg_GetSubject(m);
    const char *dot = subj ? strrchr(subj, '.') : NULL;
    uint8_t dev[32];
    int have_dev = dot && strlen(dot + 1) == 64 && unhex(dev, dot + 1, 32);
    all.messages = 1;
    in->cur = m;
    s = process(ctx, &all, in, natsMsg_GetData(m), (size_t)natsMsg_GetDataLength(m),
                have_dev ? dev : NULL);
    in->cur = NULL;
    if (s) {
        natsMsg_NakWithDelay(m, (int64_t)in->o.retry_ms, NULL);
    } else if (all.incomplete) {
        ns = natsMsg_NakWithDelay(m, (int64_t)in->o.retry_ms, NULL);
    } else {
        jsErrCode je = 0;
        ns = natsMsg_AckSync(m, NULL, &je);
        if (ns != NATS_OK)
            s = hsc_js_error(ctx, ns, je, "acknowledging the intake message (it will come again)");
        else if (all.sequence)
            intake_remove(in, all.sequence, m);
    }
    natsMsgList_Destroy(&list);
    all.ms = hsc_now_ms() - t0;
    stats_out(ctx, stats, &all);
    return s;
}

/* ---- fetch (the device) ------------------------------------------------------------ */

typedef struct inbox_ack {
    uint8_t *p;
    size_t n;
    uint64_t seq;
    uint8_t sum[32]; /* SHA-256 of the message as fetched */
} inbox_ack;

typedef struct {
    uint64_t seq;
    uint8_t sum[32];
} inbox_ref;

struct hs_cluster_inbox {
    uint32_t nv, na, nr;
    hsc_verdict *v;
    inbox_ref *vref; /* where each verdict was fetched from */
    inbox_ack *a;
    char **why;
};

void hs_cluster_inbox_free(hs_cluster_inbox *ib)
{
    if (!ib)
        return;
    for (uint32_t i = 0; i < ib->nv; i++)
        hsc_verdict_clear(&ib->v[i]);
    for (uint32_t i = 0; i < ib->na; i++)
        free(ib->a[i].p);
    for (uint32_t i = 0; i < ib->nr; i++)
        free(ib->why[i]);
    free(ib->v);
    free(ib->vref);
    free(ib->a);
    free(ib->why);
    free(ib);
}

uint32_t hs_cluster_inbox_verdicts(const hs_cluster_inbox *ib) { return ib ? ib->nv : 0; }
uint32_t hs_cluster_inbox_acks(const hs_cluster_inbox *ib) { return ib ? ib->na : 0; }
uint32_t hs_cluster_inbox_refused(const hs_cluster_inbox *ib) { return ib ? ib->nr : 0; }

const char *hs_cluster_inbox_refusal(const hs_cluster_inbox *ib, uint32_t index)
{
    return ib && index < ib->nr ? ib->why[index] : NULL;
}

const uint8_t *hs_cluster_inbox_ack(const hs_cluster_inbox *ib, size_t *size, uint32_t index)
{
    if (size)
        *size = 0;
    if (!ib || index >= ib->na)
        return NULL;
    if (size)
        *size = ib->a[index].n;
    return ib->a[index].p;
}

hs_status hs_cluster_inbox_verdict(const hs_cluster_inbox *ib, hs_cluster_verdict *v,
                                   uint32_t index)
{
    if (!ib || !v)
        return HS_ERR_INVALID_ARG;
    if (index >= ib->nv)
        return HS_ERR_NOT_FOUND;
    const hsc_verdict *x = &ib->v[index];
    hs_cluster_verdict all = HS_CLUSTER_VERDICT_INIT;
    all.kind = x->kind;
    memcpy(all.id, x->id, 16);
    memcpy(all.device_public, x->device, 32);
    all.time_ms = x->time_ms;
    all.decision = x->decision;
    all.status = x->status;
    all.gallery_sequence = x->gallery_sequence;
    all.shards = x->shards;
    all.missing = x->missing;
    all.fingers = x->fingers;
    all.candidates = x->count;
    snprintf(all.reason, sizeof all.reason, "%s", x->reason);
    return hsc_struct_out(NULL, v, &all, sizeof all, VERDICT_SIZE_1_1, "hs_cluster_verdict");
}

hs_status hs_cluster_inbox_candidate(const hs_cluster_inbox *ib, const char **id, double *score,
                                     uint32_t *hit, uint32_t verdict, uint32_t index)
{
    if (!ib)
        return HS_ERR_INVALID_ARG;
    if (verdict >= ib->nv || index >= ib->v[verdict].count)
        return HS_ERR_NOT_FOUND;
    const hsc_vcand *c = &ib->v[verdict].cand[index];
    if (id)
        *id = c->id;
    if (score)
        *score = c->score;
    if (hit)
        *hit = c->hit;
    return HS_OK;
}

static int refuse(hs_cluster_inbox *ib, uint64_t seq, const char *fmt, const char *detail)
{
    char buf[400];
    snprintf(buf, sizeof buf, "message %" PRIu64 ": %s%s%s", seq, fmt, detail ? ": " : "",
             detail ? detail : "");
    char **q = realloc(ib->why, (ib->nr + 1) * sizeof *q);
    if (!q)
        return 0;
    ib->why = q;
    if (!(q[ib->nr] = strdup(buf)))
        return 0;
    ib->nr++;
    return 1;
}

/* Take one fetched message into the inbox; 0 on allocation failure. */
static int take_msg(hs_cluster_inbox *ib, natsMsg *m, const uint8_t dev[32],
                    const uint8_t auth[32], hs_ctx *vctx)
{
    uint64_t seq = 0;
    jsMsgMetaData *md = NULL;
    if (natsMsg_GetMetaData(&md, m) == NATS_OK) {
        seq = md->Sequence.Stream;
        jsMsgMetaData_Destroy(md);
    }
    const char *subj = natsMsg_GetSubject(m);
    const char *dot = subj ? strrchr(subj, '.') : NULL;
    const uint8_t *d = (const uint8_t *)natsMsg_GetData(m);
    size_t n = (size_t)natsMsg_GetDataLength(m);
    if (dot && !strcmp(dot + 1, "ack")) {
        hs_encounter_ack *a = NULL;
        hs_status s = hs_encounter_ack_verify(vctx, &a, d, n, auth, dev);
        hs_encounter_ack_free(a);
        if (s == HS_ERR_NOMEM)
            return 0;
        if (s)
            return refuse(ib, seq, "acknowledgement refused", hs_ctx_last_error(vctx));
        inbox_ack *q = realloc(ib->a, (ib->na + 1) * sizeof *q);
        if (!q)
            return 0;
        ib->a = q;
        q[ib->na].p = malloc(n ? n : 1);
        if (!q[ib->na].p)
            return 0;
        memcpy(q[ib->na].p, d, n);
        q[ib->na].n = n;
        q[ib->na].seq = seq;
        sha256(q[ib->na].sum, d, n);
        ib->na++;
        return 1;
    }
    hsc_verdict v;
    size_t signed_size = 0;
    hs_status s = hsc_verdict_parse(vctx, &v, &signed_size, d, n);
    if (s == HS_ERR_NOMEM)
        return 0;
    if (s)
        return refuse(ib, seq, "verdict refused", hs_ctx_last_error(vctx));
    if (!verify(d + signed_size, d, signed_size, auth)) {
        hsc_verdict_clear(&v);
        return refuse(ib, seq, "verdict refused",
                      "signature does not verify with the authority's key");
    }
    if (memcmp(v.device, dev, 32)) {
        hsc_verdict_clear(&v);
        return refuse(ib, seq, "verdict refused", "it answers another device");
    }
    hsc_verdict *q = realloc(ib->v, (ib->nv + 1) * sizeof *q);
    inbox_ref *qs = q ? realloc(ib->vref, (ib->nv + 1) * sizeof *qs) : NULL;
    if (q)
        ib->v = q;
    if (qs)
        ib->vref = qs;
    if (!q || !qs) {
        hsc_verdict_clear(&v);
        return 0;
    }
    ib->v[ib->nv] = v;
    ib->vref[ib->nv].seq = seq;
    sha256(ib->vref[ib->nv].sum, d, n);
    ib->nv++;
    return 1;
}

hs_status hs_cluster_fetch(hs_ctx *ctx, hs_cluster_inbox **out, hs_cluster *cl,
                           const uint8_t device_public[32],
                           const uint8_t authority_sign_public[32])
{
    if (out)
        *out = NULL;
    if (!out || !cl || !device_public || !authority_sign_public)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster fetch: NULL argument");
    hs_status s = need_sodium(ctx);
    if (s)
        return s;
    hsc_conn *c = hsc_cluster_conn(cl);
    char stream[96], filter[256];
    hsc_stream_results(stream, sizeof stream, c);
    subject_results(filter, sizeof filter, c, device_public, ">");
    jsStreamInfo *si = NULL;
    jsErrCode je = 0;
    natsStatus ns = js_GetStreamInfo(&si, c->js, stream, NULL, &je);
    jsStreamInfo_Destroy(si);
    if (ns == NATS_NOT_FOUND)
        return hsc_error(ctx, HS_ERR_STATE, "cluster %s has no stream %s (hotspot cluster init)",
                         c->name, stream);
    if (ns != NATS_OK)
        return hsc_js_error(ctx, ns, je, stream);
    hs_cluster_inbox *ib = calloc(1, sizeof *ib);
    hs_ctx *vctx = NULL;
    if (!ib || hs_ctx_new(&vctx, NULL)) {
        free(ib);
        return hsc_error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    /* an ephemeral consumer of this device's subjects, from the start,
     * without acknowledgements: fetching changes nothing */
    natsSubscription *sub = NULL;
    jsSubOptions so;
    jsSubOptions_Init(&so);
    so.Stream = stream;
    so.Config.AckPolicy = js_AckNone;
    so.Config.DeliverPolicy = js_DeliverAll;
    ns = js_PullSubscribe(&sub, c->js, filter, NULL, NULL, &so, &je);
    /* exactly what is waiting now: a fetch asking for more would wait for
     * its expiry */
    uint64_t pending = 0;
    if (ns == NATS_OK) {
        jsConsumerInfo *ci = NULL;
        ns = natsSubscription_GetConsumerInfo(&ci, sub, NULL, &je);
        if (ns == NATS_OK)
            pending = ci->NumPending;
        jsConsumerInfo_Destroy(ci);
    }
    while (ns == NATS_OK && pending > 0) {
        natsMsgList list = {0};
        jsFetchRequest fr;
        jsFetchRequest_Init(&fr);
        fr.Batch = pending < 256 ? (int)pending : 256;
        fr.Expires = (int64_t)c->opts.timeout_ms * 1000000;
        natsStatus fs = natsSubscription_FetchRequest(&list, sub, &fr);
        if (fs == NATS_OK && list.Count == 0)
            fs = NATS_TIMEOUT;
        if (fs == NATS_TIMEOUT || fs == NATS_NOT_FOUND) {
            /* fewer than counted: removed meanwhile (a confirmation) */
            natsMsgList_Destroy(&list);
            break;
        }
        if (fs != NATS_OK) {
            natsMsgList_Destroy(&list);
            ns = fs;
            break;
        }
        for (int i = 0; i < list.Count; i++)
            if (!take_msg(ib, list.Msgs[i], device_public, authority_sign_public, vctx))
                ns = NATS_NO_MEMORY;
        pending -= (uint64_t)list.Count < pending ? (uint64_t)list.Count : pending;
        natsMsgList_Destroy(&list);
    }
    if (sub) {
        natsSubscription_Unsubscribe(sub); /* deletes the ephemeral consumer */
        natsSubscription_Destroy(sub);
    }
    hs_ctx_free(vctx);
    if (ns != NATS_OK) {
        hs_cluster_inbox_free(ib);
        return hsc_js_error(ctx, ns, je, "cluster fetch");
    }
    *out = ib;
    return HS_OK;
}

hs_status hs_cluster_fetch_confirm(hs_ctx *ctx, hs_cluster *cl, const hs_cluster_inbox *ib)
{
    if (!cl || !ib)
        return hsc_error(ctx, HS_ERR_INVALID_ARG, "cluster fetch confirm: NULL argument");
    hsc_conn *c = hsc_cluster_conn(cl);
    char stream[96];
    hsc_stream_results(stream, sizeof stream, c);
    for (uint32_t i = 0; i < ib->nv + ib->na; i++) {
        const uint64_t seq = i < ib->nv ? ib->vref[i].seq : ib->a[i - ib->nv].seq;
        const uint8_t *sum = i < ib->nv ? ib->vref[i].sum : ib->a[i - ib->nv].sum;
        if (!seq)
            continue;
        /* Deleted by its sequence, through the stream's leader, only when
         * the leader holds the very message fetched there. The fetch
         * reads the copy of the stream on its consumer's server, and a
         * copy can diverge from the leader's (nats-server 2.9 after a
         * server froze: docs/cluster.md); the results stream may also
         * have been made anew since. Another message at that sequence
         * (another device's verdict) is left alone; the one fetched, if
         * the leader holds it elsewhere, comes again at the next fetch. */
        jsErrCode je = 0;
        natsStatus ns = NATS_OK;
        const int same = leader_holds(c->js, stream, seq, NULL, sum, NULL, &ns, &je);
        if (ns == NATS_NOT_FOUND || je == JSNoMessageFoundErr)
            continue; /* deleted already */
        if (ns != NATS_OK)
            return hsc_js_error(ctx, ns, je, "cluster fetch confirm");
        if (!same)
            continue;
        je = 0;
        ns = js_DeleteMsg(c->js, stream, seq, NULL, &je);
        /* deleted already (a confirmation that crashed half-way, or whose
         * answer was lost with a server) is fine; nats-server 2.9 says so
         * with its generic deletion error and "no message found" */
        const char *detail = ns != NATS_OK ? nats_GetLastError(NULL) : NULL;
        if (ns != NATS_OK && ns != NATS_NOT_FOUND && je != JSSequenceNotFoundErr &&
            je != JSNoMessageFoundErr &&
            !(je == JSStreamMsgDeleteFailed && detail && strstr(detail, "no message found")))
            return hsc_js_error(ctx, ns, je, "cluster fetch confirm");
    }
    return HS_OK;
}
