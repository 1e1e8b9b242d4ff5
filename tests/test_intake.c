/* Deferred checks closed end to end (docs/cluster.md, "Deferred checks"),
 * against a real nats-server on 127.0.0.1 and 2 shards x 1 replica
 * (`hotspot shard`) holding a synthetic gallery:
 *  - a device seals encounters (mates of gallery subjects as templates,
 *    strangers, and finger images the centre must extract), keeps them in
 *    its outbox, exports and submits; a re-sent batch is stored once; the
 *    intake worker searches each; the device fetches: every encounter has a
 *    verdict, mates are found at rank 1, the acknowledgement empties the
 *    outbox, a confirmed fetch does not come back;
 *  - a batch of an unknown device is refused with its reason, and the
 *    device is told;
 *  - verdicts checked with the wrong key, or altered on the way, are refused;
 *  - the intake worker (`hotspot cluster intake`) killed with SIGKILL in the
 *    middle of a batch and started again: every encounter gets exactly one
 *    verdict, those published before the kill are not searched again;
 *  - a shard missing: "incomplete" verdicts, no acknowledgement, the batch
 *    retried and completed once the shard is back.
 * Skips (with the reason printed) when nats-server is not installed. */
#include "clusterutil.h"
#include "testutil.h"

#include <hotspot/cluster.h>
#include <hotspot/device.h>
#include <hotspot/outbox.h>

#include <nats/nats.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MASTERS 24 /* gallery: G00.. (impression 0, ground-truth template) */

static cu_cluster clu;
static hs_cluster *cl;
static hs_synth *gen;
static cu_authority au;
static hs_encounter_registry *reg;
static int ready;

#define CHECK CU_CHECK

/* Impression k of master m: its ground-truth template, or its image. */
static hs_template *truth(uint32_t m, uint32_t k)
{
    hs_template *t = NULL;
    assert_int_equal(cu_impression(NULL, gen, m, k, &t, NULL), HS_OK);
    return t;
}

static hs_image *image(uint32_t m, uint32_t k)
{
    hs_image *img = NULL;
    assert_int_equal(cu_impression(NULL, gen, m, k, NULL, &img), HS_OK);
    return img;
}

static uint8_t *seal(size_t *size, uint32_t m, int with_image, const uint8_t sk[64],
                     uint8_t id[16])
{
    hs_ctx *ctx = tu_ctx();
    hs_encounter *e = NULL;
    CHECK(ctx, hs_encounter_new(ctx, &e));
    if (with_image) {
        hs_image *img = image(m, 1);
        CHECK(ctx, hs_encounter_add_finger_image(ctx, e, img, 2, 255));
        hs_image_free(img);
    } else {
        hs_template *t = truth(m, 1);
        hs_view_info vi;
        memset(&vi, 0, sizeof vi);
        vi.struct_size = sizeof vi;
        assert_int_equal(hs_template_view_info(t, &vi, 0), HS_OK);
        if (vi.finger_position < 1 || vi.finger_position > 10) {
            /* a position is needed: copy the view with position 2 */
            hs_template *p = NULL;
            uint32_t n = 0;
            const hs_minutia *mi = hs_template_minutiae(t, &n, 0);
            vi.finger_position = 2;
            CHECK(ctx, hs_template_new(ctx, &p));
            CHECK(ctx, hs_template_add_view(ctx, p, &vi, mi, n));
            hs_template_free(t);
            t = p;
        }
        CHECK(ctx, hs_encounter_add_finger_template(ctx, e, t, 0));
        hs_template_free(t);
    }
    CHECK(ctx, hs_encounter_set_text(ctx, e, HS_ENCOUNTER_TEXT_LOCATION, "TEST-1"));
    size_t n = 0;
    CHECK(ctx, hs_encounter_seal(ctx, NULL, &n, e, au.box_pk, sk, NULL));
    uint8_t *buf = malloc(n);
    assert_non_null(buf);
    CHECK(ctx, hs_encounter_seal(ctx, buf, &n, e, au.box_pk, sk, NULL));
    if (id)
        memcpy(id, hs_encounter_id(e), 16);
    hs_encounter_free(e);
    hs_ctx_free(ctx);
    *size = n;
    return buf;
}

/* A batch of sealed records (hs_encounter_batch_encode). */
static uint8_t *batch_of(size_t *size, uint8_t **rec, size_t *rs, uint32_t n)
{
    hs_ctx *ctx = tu_ctx();
    size_t bn = 0;
    CHECK(ctx, hs_encounter_batch_encode(ctx, NULL, &bn, (const void *const *)rec, rs, n));
    uint8_t *b = malloc(bn);
    assert_non_null(b);
    CHECK(ctx, hs_encounter_batch_encode(ctx, b, &bn, (const void *const *)rec, rs, n));
    hs_ctx_free(ctx);
    *size = bn;
    return b;
}

static hs_outbox *outbox_open(const char *name)
{
    char path[700];
    snprintf(path, sizeof path, "%s/%s", au.dir, name);
    mkdir(path, 0700);
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    memcpy(o.device_public, au.dev_pk, 32);
    memcpy(o.authority_sign_public, au.sign_pk, 32);
    hs_ctx *ctx = tu_ctx();
    hs_outbox *ob = NULL;
    CHECK(ctx, hs_outbox_open(ctx, &ob, path, &o));
    hs_ctx_free(ctx);
    return ob;
}

/* The outbox's export as bytes. */
static uint8_t *export(hs_outbox *ob, size_t *size, uint32_t want)
{
    char path[700];
    snprintf(path, sizeof path, "%s/export.batch", au.dir);
    unlink(path);
    hs_ctx *ctx = tu_ctx();
    uint32_t n = 0;
    CHECK(ctx, hs_outbox_export(ctx, ob, &n, path, 0));
    assert_int_equal(n, want);
    void *data = NULL;
    CHECK(ctx, hs_file_read(ctx, &data, size, path));
    uint8_t *copy = malloc(*size);
    memcpy(copy, data, *size);
    hs_file_free(ctx, data, *size);
    hs_ctx_free(ctx);
    return copy;
}

static hs_cluster_intake *intake_new(uint32_t deadline_ms, uint32_t retry_ms)
{
    hs_cluster_intake_options o = HS_CLUSTER_INTAKE_OPTIONS_INIT;
    o.deadline_ms = deadline_ms;
    o.retry_ms = retry_ms;
    o.ack_wait_ms = 5000;
    hs_ctx *ctx = tu_ctx();
    hs_cluster_intake *in = NULL;
    CHECK(ctx, hs_cluster_intake_new(ctx, &in, cl, au.box_sk, au.sign_sk, reg, au.seen, &o));
    hs_ctx_free(ctx);
    return in;
}

static hs_cluster_intake_stats next(hs_cluster_intake *in, uint32_t wait_ms)
{
    hs_cluster_intake_stats st = HS_CLUSTER_INTAKE_STATS_INIT;
    hs_ctx *ctx = tu_ctx();
    CHECK(ctx, hs_cluster_intake_next(ctx, &st, in, wait_ms));
    hs_ctx_free(ctx);
    return st;
}

static hs_cluster_inbox *fetch(const uint8_t dev[32], const uint8_t auth[32])
{
    hs_ctx *ctx = tu_ctx();
    hs_cluster_inbox *ib = NULL;
    CHECK(ctx, hs_cluster_fetch(ctx, &ib, cl, dev, auth));
    hs_ctx_free(ctx);
    return ib;
}

static void confirm(hs_cluster_inbox *ib)
{
    hs_ctx *ctx = tu_ctx();
    CHECK(ctx, hs_cluster_fetch_confirm(ctx, cl, ib));
    hs_ctx_free(ctx);
}

/* Apply every acknowledgement of ib to ob; returns the encounters removed. */
static uint32_t apply(hs_outbox *ob, hs_cluster_inbox *ib)
{
    uint32_t total = 0;
    hs_ctx *ctx = tu_ctx();
    for (uint32_t k = 0; k < hs_cluster_inbox_acks(ib); k++) {
        size_t n = 0;
        const uint8_t *a = hs_cluster_inbox_ack(ib, &n, k);
        assert_non_null(a);
        uint32_t got = 0;
        CHECK(ctx, hs_outbox_ack(ctx, ob, &got, a, n));
        total += got;
    }
    hs_ctx_free(ctx);
    return total;
}

static int setup(void **state)
{
    (void)state;
    const char *cli = cu_cli();
    if (!cli)
        return 0;
    char d[512];
    snprintf(d, sizeof d, "%s/intake", tu_tmpdir());
    hs_ctx *ctx = tu_ctx();
    hs_status s = cu_intake_setup(ctx, &au, d, &gen);
    if (s == HS_ERR_NOT_BUILT) {
        hs_ctx_free(ctx);
        return 0;
    }
    CHECK(ctx, s);
    CHECK(ctx, hs_encounter_registry_new(ctx, &reg));
    CHECK(ctx, hs_encounter_registry_add(ctx, reg, au.dev_pk, "dev"));

    char cdir[600];
    snprintf(cdir, sizeof cdir, "%s/cluster", au.dir);
    mkdir(cdir, 0755);
    /* a small maximum payload, so that a batch of image encounters is split */
    clu.max_payload = 128 * 1024;
    assert_true(cu_start_servers(&clu, cdir, 1, cli));
    clu.shards = 2;
    clu.replicas = 1;
    s = cu_cluster_init(ctx, &clu, &cl, NULL, 2, 1, 30000);
    if (s)
        fail_msg("cluster init: %s: %s", hs_status_str(s), hs_ctx_last_error(ctx));
    assert_true(cu_start_shard(&clu, 1, 1));
    assert_true(cu_start_shard(&clu, 2, 1));
    CHECK(ctx, cu_load_gallery(ctx, cl, gen, MASTERS));
    hs_ctx_free(ctx);
    ready = 1;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    hs_cluster_free(cl);
    cu_stop_all();
    hs_encounter_registry_free(reg);
    hs_synth_free(gen);
    return 0;
}

#define NEED_CLUSTER() CU_NEED(ready)

/* The whole loop: seal, outbox, export, submit (twice), intake, fetch,
 * apply, confirm. */
static void test_loop(void **state)
{
    (void)state;
    NEED_CLUSTER();
    enum { N = 8 }; /* 0..5 mates (templates), 6 a stranger, 7 a mate as an image */
    const uint32_t master[N] = {0, 3, 5, 8, 13, 21, MASTERS + 4, 2};
    uint8_t ids[N][16];
    hs_outbox *ob = outbox_open("box");
    hs_ctx *ctx = tu_ctx();
    for (int i = 0; i < N; i++) {
        size_t n = 0;
        uint8_t *rec = seal(&n, master[i], i == 7, au.dev_sk, ids[i]);
        CHECK(ctx, hs_outbox_append(ctx, ob, rec, n));
        free(rec);
    }
    size_t bn = 0;
    uint8_t *b = export(ob, &bn, N);
    hs_cluster_submit_info info = HS_CLUSTER_SUBMIT_INFO_INIT;
    CHECK(ctx, hs_cluster_submit(ctx, &info, cl, b, bn));
    assert_int_equal(info.records, N);
    assert_int_equal(info.messages, 1);
    assert_int_equal(info.duplicates, 0);
    assert_memory_equal(info.device_public, au.dev_pk, 32);
    uint64_t seq = info.sequence;
    /* sent again (the device did not see the first acknowledgement) */
    CHECK(ctx, hs_cluster_submit(ctx, &info, cl, b, bn));
    assert_int_equal(info.duplicates, 1);
    assert_int_equal(info.sequence, seq);

    hs_cluster_intake *in = intake_new(8000, 1000);
    hs_cluster_intake_stats st = next(in, 10000);
    assert_int_equal(st.messages, 1);
    assert_int_equal(st.records, N);
    assert_int_equal(st.searched, N);
    assert_int_equal(st.refused + st.incomplete + st.stored + st.replayed, 0);
    assert_int_equal(st.acks, 1);
    printf("intake: %u encounters (one extracted from its image) in %.1f ms: %.1f per second\n",
           st.records, st.ms, st.records * 1000.0 / st.ms);
    assert_int_equal(hs_cluster_intake_outcomes(in), N);
    hs_cluster_outcome oc = HS_CLUSTER_OUTCOME_INIT;
    assert_int_equal(hs_cluster_intake_outcome(in, &oc, 0), HS_OK);
    assert_int_equal(oc.outcome, HS_CLUSTER_OUTCOME_SEARCHED);
    assert_memory_equal(oc.id, ids[0], 16);
    assert_int_equal(oc.decision, HS_ENCOUNTER_HIT);
    /* the duplicate was never delivered */
    st = next(in, 500);
    assert_int_equal(st.messages, 0);

    hs_cluster_inbox *ib = fetch(au.dev_pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_refused(ib), 0);
    assert_int_equal(hs_cluster_inbox_verdicts(ib), N);
    assert_int_equal(hs_cluster_inbox_acks(ib), 1);
    for (uint32_t i = 0; i < N; i++) {
        hs_cluster_verdict v = HS_CLUSTER_VERDICT_INIT;
        assert_int_equal(hs_cluster_inbox_verdict(ib, &v, i), HS_OK);
        assert_memory_equal(v.id, ids[i], 16);
        assert_memory_equal(v.device_public, au.dev_pk, 32);
        assert_int_equal(v.kind, HS_CLUSTER_VERDICT_COMPLETE);
        assert_int_equal(v.missing, 0);
        assert_int_equal(v.shards, 2);
        assert_int_equal(v.fingers, 1);
        assert_true(v.gallery_sequence >= MASTERS);
        const char *top = NULL;
        double score = 0;
        uint32_t hit = 0;
        assert_int_equal(hs_cluster_inbox_candidate(ib, &top, &score, &hit, i, 0), HS_OK);
        char want[16];
        snprintf(want, sizeof want, "G%02u", master[i]);
        if (i == 7) {
            printf("image encounter: rank 1 %s (%.2f, hit %u), mate %s\n", top, score, hit, want);
            assert_string_equal(top, want);
        } else if (master[i] < MASTERS) {
            assert_string_equal(top, want);
            assert_int_equal(hit, 1);
            assert_int_equal(v.decision, HS_ENCOUNTER_HIT);
        } else {
            assert_int_equal(v.decision, HS_ENCOUNTER_NO_HIT);
            assert_int_equal(hit, 0);
        }
    }
    assert_int_equal(hs_outbox_count(ob), N);
    assert_int_equal(apply(ob, ib), N);
    assert_int_equal(hs_outbox_count(ob), 0);
    /* the same acknowledgement again: refused by the outbox as a replay */
    size_t an = 0;
    const uint8_t *a = hs_cluster_inbox_ack(ib, &an, 0);
    assert_int_equal(hs_outbox_ack(ctx, ob, NULL, a, an), HS_ERR_REPLAY);
    confirm(ib);
    confirm(ib); /* again, as after a lost answer: deleted already is fine */
    hs_cluster_inbox_free(ib);
    ib = fetch(au.dev_pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_verdicts(ib) + hs_cluster_inbox_acks(ib), 0);
    hs_cluster_inbox_free(ib);

    /* the same batch once more, after the de-duplication window (directly):
     * answered from the seen ids, acknowledged again, nothing searched */
    st = (hs_cluster_intake_stats)HS_CLUSTER_INTAKE_STATS_INIT;
    CHECK(ctx, hs_cluster_intake_process(ctx, &st, in, b, bn));
    assert_int_equal(st.replayed, N);
    assert_int_equal(st.searched + st.stored + st.refused, 0);
    assert_int_equal(st.acks, 1);
    /* the acknowledgement names the same ids as the first one, which the
     * device applied and confirmed: the stream drops it as a duplicate */
    ib = fetch(au.dev_pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_verdicts(ib) + hs_cluster_inbox_acks(ib), 0);
    hs_cluster_inbox_free(ib);
    /* a batch whose framing is broken: refused whole, with the reason */
    b[bn - 1] ^= 1;
    CHECK(ctx, hs_cluster_intake_process(ctx, &st, in, b, bn));
    assert_int_equal(st.refused, 1);
    assert_int_equal(st.records + st.searched, 0);
    assert_int_equal(hs_cluster_intake_outcomes(in), 1);
    assert_int_equal(hs_cluster_intake_outcome(in, &oc, 0), HS_OK);
    assert_int_equal(oc.outcome, HS_CLUSTER_OUTCOME_REFUSED);
    assert_int_not_equal(oc.status, HS_OK);
    assert_non_null(strstr(oc.reason, "batch refused"));
    free(b);
    hs_cluster_intake_free(in);
    hs_outbox_close(ob);
    hs_ctx_free(ctx);
}

/* An unknown device: refused with the reason, told so, nothing acknowledged. */
static void test_unknown_device(void **state)
{
    (void)state;
    NEED_CLUSTER();
    uint8_t pk[32], sk[64], storage[32];
    assert_int_equal(hs_device_keygen(pk, sk, storage), HS_OK);
    size_t n = 0, bn = 0;
    uint8_t id[16];
    uint8_t *rec = seal(&n, 1, 0, sk, id);
    uint8_t *b = batch_of(&bn, &rec, &n, 1);
    hs_ctx *ctx = tu_ctx();
    CHECK(ctx, hs_cluster_submit(ctx, NULL, cl, b, bn));
    hs_cluster_intake *in = intake_new(8000, 1000);
    hs_cluster_intake_stats st = next(in, 10000);
    assert_int_equal(st.records, 1);
    assert_int_equal(st.refused, 1);
    assert_int_equal(st.searched + st.acks, 0);
    hs_cluster_outcome oc = HS_CLUSTER_OUTCOME_INIT;
    assert_int_equal(hs_cluster_intake_outcome(in, &oc, 0), HS_OK);
    assert_int_equal(oc.outcome, HS_CLUSTER_OUTCOME_REFUSED);
    assert_int_equal(oc.status, HS_ERR_REVOKED);
    assert_non_null(strstr(oc.reason, "unknown device"));
    hs_cluster_intake_free(in);
    hs_cluster_inbox *ib = fetch(pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_verdicts(ib), 1);
    assert_int_equal(hs_cluster_inbox_acks(ib), 0);
    hs_cluster_verdict v = HS_CLUSTER_VERDICT_INIT;
    assert_int_equal(hs_cluster_inbox_verdict(ib, &v, 0), HS_OK);
    assert_int_equal(v.kind, HS_CLUSTER_VERDICT_REFUSED);
    assert_int_equal(v.status, HS_ERR_REVOKED);
    assert_memory_equal(v.id, id, 16);
    assert_non_null(strstr(v.reason, "unknown device"));
    assert_int_equal(hs_cluster_inbox_candidate(ib, NULL, NULL, NULL, 0, 0), HS_ERR_NOT_FOUND);
    confirm(ib);
    hs_cluster_inbox_free(ib);
    /* records of two au.devices in one batch are not submitted */
    size_t n2 = 0;
    uint8_t *rec2 = seal(&n2, 2, 0, au.dev_sk, NULL);
    uint8_t *recs[2] = {rec, rec2};
    size_t rs[2] = {n, n2};
    free(b);
    b = batch_of(&bn, recs, rs, 2);
    assert_int_equal(hs_cluster_submit(ctx, NULL, cl, b, bn), HS_ERR_INVALID_ARG);
    /* nor a damaged batch */
    b[bn / 2] ^= 1;
    assert_int_not_equal(hs_cluster_submit(ctx, NULL, cl, b, bn), HS_OK);
    free(b);
    free(rec);
    free(rec2);
    hs_ctx_free(ctx);
}

/* One encounter of the registered device (master @p m, a template)
 * submitted and answered by a worker made for it. */
static void answer_one(uint32_t m)
{
    size_t n = 0, bn = 0;
    uint8_t *rec = seal(&n, m, 0, au.dev_sk, NULL);
    uint8_t *b = batch_of(&bn, &rec, &n, 1);
    hs_ctx *ctx = tu_ctx();
    CHECK(ctx, hs_cluster_submit(ctx, NULL, cl, b, bn));
    hs_cluster_intake *in = intake_new(8000, 1000);
    hs_cluster_intake_stats st = next(in, 10000);
    assert_int_equal(st.searched, 1);
    hs_cluster_intake_free(in);
    free(b);
    free(rec);
    hs_ctx_free(ctx);
}

/* Verdicts checked with another key, or altered on the way: refused. */
static void test_forged(void **state)
{
    (void)state;
    NEED_CLUSTER();
    answer_one(4);
    /* another authority's key: nothing verifies */
    uint8_t bp[32], bs[32], fp[32], fs[64];
    assert_int_equal(hs_encounter_keygen_authority(bp, bs, fp, fs), HS_OK);
    hs_cluster_inbox *ib = fetch(au.dev_pk, fp);
    assert_int_equal(hs_cluster_inbox_verdicts(ib) + hs_cluster_inbox_acks(ib), 0);
    assert_int_equal(hs_cluster_inbox_refused(ib), 2);
    assert_non_null(strstr(hs_cluster_inbox_refusal(ib, 0), "signature"));
    hs_cluster_inbox_free(ib);
    /* a verdict altered in the stream: copy the genuine one with a score
     * changed onto the device's subject */
    ib = fetch(au.dev_pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_verdicts(ib), 1);
    hs_cluster_verdict v = HS_CLUSTER_VERDICT_INIT;
    assert_int_equal(hs_cluster_inbox_verdict(ib, &v, 0), HS_OK);
    hs_cluster_inbox_free(ib);
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    assert_int_equal(natsConnection_ConnectTo(&nc, clu.urls), NATS_OK);
    assert_int_equal(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    char subj[256], dev[65], idh[33];
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++)
        dev[2 * i] = hx[au.dev_pk[i] >> 4], dev[2 * i + 1] = hx[au.dev_pk[i] & 15];
    dev[64] = 0;
    for (int i = 0; i < 16; i++)
        idh[2 * i] = hx[v.id[i] >> 4], idh[2 * i + 1] = hx[v.id[i] & 15];
    idh[32] = 0;
    snprintf(subj, sizeof subj, "hs.hotspot.results.%s.%s", dev, idh);
    natsMsg *m = NULL;
    assert_int_equal(js_GetLastMsg(&m, js, "HOTSPOT_hotspot_RESULTS", subj, NULL, NULL), NATS_OK);
    int len = natsMsg_GetDataLength(m);
    uint8_t *copy = malloc((size_t)len);
    memcpy(copy, natsMsg_GetData(m), (size_t)len);
    natsMsg_Destroy(m);
    copy[len - 64 - 3] ^= 0x40; /* inside the last candidate's score */
    jsPubAck *pa = NULL;
    assert_int_equal(js_Publish(&pa, js, subj, copy, len, NULL, NULL), NATS_OK);
    uint64_t altered = pa->Sequence;
    jsPubAck_Destroy(pa);
    free(copy);
    ib = fetch(au.dev_pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_verdicts(ib), 1); /* the genuine one */
    assert_int_equal(hs_cluster_inbox_acks(ib), 1);
    assert_int_equal(hs_cluster_inbox_refused(ib), 1); /* the altered copy */
    confirm(ib);
    hs_cluster_inbox_free(ib);
    /* the refused copy is not confirmed: it stays for the operators */
    ib = fetch(au.dev_pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_verdicts(ib) + hs_cluster_inbox_acks(ib), 0);
    assert_int_equal(hs_cluster_inbox_refused(ib), 1);
    hs_cluster_inbox_free(ib);
    /* the operators remove it */
    assert_int_equal(js_DeleteMsg(js, "HOTSPOT_hotspot_RESULTS", altered, NULL, NULL), NATS_OK);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

/* n encounters of the registered device with finger images (masters 0 to
 * n - 1; the worker extracts each, which takes a while) into ob, their ids
 * into ids. */
static void fill(hs_outbox *ob, uint8_t (*ids)[16], uint32_t n)
{
    hs_ctx *ctx = tu_ctx();
    for (uint32_t i = 0; i < n; i++) {
        size_t size = 0;
        uint8_t *rec = seal(&size, i, 1, au.dev_sk, ids[i]);
        CHECK(ctx, hs_outbox_append(ctx, ob, rec, size));
        free(rec);
    }
    hs_ctx_free(ctx);
}

/* The inbox holds exactly one complete verdict for each of the n
 * encounters ids, and no refusal; the device applies them (its outbox
 * empties), confirms, and the inbox is freed. */
static void complete_once(hs_cluster_inbox *ib, hs_outbox *ob, uint8_t (*ids)[16],
                          uint32_t n)
{
    assert_int_equal(hs_cluster_inbox_refused(ib), 0);
    assert_int_equal(hs_cluster_inbox_verdicts(ib), n);
    for (uint32_t i = 0; i < n; i++) {
        hs_cluster_verdict v = HS_CLUSTER_VERDICT_INIT;
        assert_int_equal(hs_cluster_inbox_verdict(ib, &v, i), HS_OK);
        assert_int_equal(v.kind, HS_CLUSTER_VERDICT_COMPLETE);
        int found = 0;
        for (uint32_t k = 0; k < n; k++)
            found += !memcmp(v.id, ids[k], 16);
        assert_int_equal(found, 1);
        for (uint32_t j = 0; j < i; j++) {
            hs_cluster_verdict u = HS_CLUSTER_VERDICT_INIT;
            hs_cluster_inbox_verdict(ib, &u, j);
            assert_memory_not_equal(u.id, v.id, 16); /* one verdict per encounter */
        }
    }
    assert_int_equal(apply(ob, ib), n);
    assert_int_equal(hs_outbox_count(ob), 0);
    confirm(ib);
    hs_cluster_inbox_free(ib);
}

static pid_t start_worker(const char *log)
{
    const char *more[] = {"--until-idle", "6000", NULL};
    return cu_start_worker(&clu, &au, log, "2000", more);
}

/* The worker killed mid-batch and restarted: nothing lost, nothing twice. */
static void test_worker_killed(void **state)
{
    (void)state;
    NEED_CLUSTER();
    enum { N = 40 }; /* finger images: the worker extracts each, which takes a while */
    hs_ctx *ctx = tu_ctx();
    hs_outbox *ob = outbox_open("box-kill");
    uint8_t ids[N][16];
    fill(ob, ids, N);
    size_t bn = 0;
    uint8_t *b = export(ob, &bn, N);
    char log1[700], log2[700];
    snprintf(log1, sizeof log1, "%s/worker1.log", au.dir);
    snprintf(log2, sizeof log2, "%s/worker2.log", au.dir);
    hs_cluster_submit_info info = HS_CLUSTER_SUBMIT_INFO_INIT;
    CHECK(ctx, hs_cluster_submit(ctx, &info, cl, b, bn));
    printf("%u encounters, %zu bytes: %u intake messages\n", info.records, bn, info.messages);
    assert_int_equal(info.records, N);
    assert_true(bn > 128 * 1024 && info.messages >= 2); /* split to fit the maximum payload */
    /* sent again, split the same way: every part held already */
    uint32_t parts = info.messages;
    CHECK(ctx, hs_cluster_submit(ctx, &info, cl, b, bn));
    assert_int_equal(info.messages, parts);
    assert_int_equal(info.duplicates, parts);
    free(b);
    pid_t w = start_worker(log1);
    /* kill it once some verdicts are out and others are not */
    uint32_t before = 0;
    double end = cu_now_ms() + 60000;
    while (cu_now_ms() < end) {
        hs_cluster_inbox *ib = fetch(au.dev_pk, au.sign_pk);
        before = hs_cluster_inbox_verdicts(ib);
        hs_cluster_inbox_free(ib);
        if (before >= 1)
            break;
    }
    kill(w, SIGKILL);
    waitpid(w, NULL, 0);
    printf("worker killed with %u of %u verdicts published\n", before, N);
    assert_true(before >= 1);
    hs_cluster_inbox *ib = fetch(au.dev_pk, au.sign_pk);
    uint32_t at_kill = hs_cluster_inbox_verdicts(ib);
    uint32_t acks_at_kill = hs_cluster_inbox_acks(ib);
    hs_cluster_inbox_free(ib);
    if (at_kill == N)
        fail_msg("the worker finished all %u encounters before the kill (%u acks): the "
                 "batch is too small for this machine",
                 N, acks_at_kill);
    /* restarted: the batch comes again after the ack wait (2 s) */
    w = start_worker(log2);
    int status = 0;
    assert_int_equal(waitpid(w, &status, 0), w);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    ib = fetch(au.dev_pk, au.sign_pk);
    complete_once(ib, ob, ids, N);
    /* the restarted worker found the verdicts published before the kill */
    FILE *f = fopen(log2, "r");
    assert_non_null(f);
    char line[1024];
    uint32_t searched = 0, stored = 0, seen = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned a, b2, c;
        const char *p = strstr(line, " encounters: ");
        if (p && sscanf(p, " encounters: %u searched, %u stored, %u replayed", &a, &b2, &c) == 3) {
            searched += a;
            stored += b2;
            seen += c;
        }
    }
    fclose(f);
    printf("restarted worker: %u searched, %u stored, %u replayed\n", searched, stored, seen);
    assert_int_equal(searched + stored + seen, N);
    assert_true(stored + seen >= at_kill);
    hs_outbox_close(ob);
    hs_ctx_free(ctx);
}

/* The nats-server killed while the worker is in a batch, and started
 * again (its file store keeps the streams; the consumers, in memory, are
 * gone, and the worker's and the replicas' watchdogs make them anew):
 * every encounter gets one complete verdict, none is lost. */
static void test_server_killed(void **state)
{
    (void)state;
    NEED_CLUSTER();
    enum { N = 20 };
    hs_ctx *ctx = tu_ctx();
    hs_outbox *ob = outbox_open("box-server");
    uint8_t ids[N][16];
    fill(ob, ids, N);
    size_t bn = 0;
    uint8_t *b = export(ob, &bn, N);
    CHECK(ctx, hs_cluster_submit(ctx, NULL, cl, b, bn));
    free(b);
    char log[700];
    snprintf(log, sizeof log, "%s/worker-server.log", au.dir);
    pid_t w = start_worker(log);
    uint32_t before = 0;
    double end = cu_now_ms() + 60000;
    while (before < 1 && cu_now_ms() < end) {
        hs_cluster_inbox *ib = fetch(au.dev_pk, au.sign_pk);
        before = hs_cluster_inbox_verdicts(ib);
        hs_cluster_inbox_free(ib);
    }
    assert_true(before >= 1);
    cu_kill_server(&clu, 0, SIGKILL);
    double t0 = cu_now_ms();
    cu_sleep_ms(1000);
    assert_true(cu_start_server(&clu, 0));
    /* the worker goes on (or, idle for 6 s while the server was away, has
     * stopped and is started again) until every encounter has its verdict */
    uint32_t have = 0, workers = 1;
    hs_cluster_inbox *ib = NULL;
    end = cu_now_ms() + 120000;
    while (cu_now_ms() < end) {
        int status = 0;
        if (waitpid(w, &status, WNOHANG) == w) {
            w = start_worker(log);
            workers++;
        }
        hs_cluster_inbox_free(ib);
        ib = NULL;
        hs_ctx *fctx = tu_ctx();
        if (hs_cluster_fetch(fctx, &ib, cl, au.dev_pk, au.sign_pk) == HS_OK)
            have = hs_cluster_inbox_verdicts(ib);
        hs_ctx_free(fctx);
        if (have >= N)
            break;
        cu_sleep_ms(500);
    }
    printf("server killed with %u of %u verdicts out; all %u %.0f ms after the kill (%u worker "
           "runs)\n",
           before, N, have, cu_now_ms() - t0, workers);
    kill(w, SIGTERM);
    waitpid(w, NULL, 0);
    assert_non_null(ib);
    complete_once(ib, ob, ids, N);
    hs_outbox_close(ob);
    hs_ctx_free(ctx);
}

/* A shard missing: incomplete verdicts, no acknowledgement, the batch
 * retried and answered once the shard is back. Last: it kills a shard. */
static void test_shard_missing(void **state)
{
    (void)state;
    NEED_CLUSTER();
    hs_ctx *ctx = tu_ctx();
    hs_outbox *ob = outbox_open("box-missing");
    for (uint32_t i = 0; i < 2; i++) {
        size_t n = 0;
        uint8_t *rec = seal(&n, 6 + i, 0, au.dev_sk, NULL);
        CHECK(ctx, hs_outbox_append(ctx, ob, rec, n));
        free(rec);
    }
    size_t bn = 0;
    uint8_t *b = export(ob, &bn, 2);
    cu_kill_shard(&clu, 2, 1, SIGKILL);
    CHECK(ctx, hs_cluster_submit(ctx, NULL, cl, b, bn));
    free(b);
    hs_cluster_intake *in = intake_new(500, 1000);
    hs_cluster_intake_stats st = next(in, 10000);
    assert_int_equal(st.records, 2);
    assert_int_equal(st.incomplete, 2);
    assert_int_equal(st.searched + st.acks, 0);
    hs_cluster_inbox *ib = fetch(au.dev_pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_verdicts(ib), 2);
    assert_int_equal(hs_cluster_inbox_acks(ib), 0);
    hs_cluster_verdict v = HS_CLUSTER_VERDICT_INIT;
    assert_int_equal(hs_cluster_inbox_verdict(ib, &v, 0), HS_OK);
    assert_int_equal(v.kind, HS_CLUSTER_VERDICT_INCOMPLETE);
    assert_int_equal(v.status, HS_ERR_UNAVAILABLE);
    assert_int_equal(v.missing, 1);
    assert_non_null(strstr(v.reason, "2 (no answer)"));
    assert_int_equal(apply(ob, ib), 0);
    /* not confirmed: the retry must not be confused by them */
    hs_cluster_inbox_free(ib);
    assert_int_equal(hs_outbox_count(ob), 2);
    /* the shard comes back; the batch is delivered again after retry_ms */
    assert_true(cu_start_shard(&clu, 2, 1));
    uint32_t searched = 0;
    double end = cu_now_ms() + 60000;
    while (searched < 2 && cu_now_ms() < end) {
        st = next(in, 3000);
        searched += st.searched;
        if (st.messages)
            printf("after the shard's restart: delivery %u: %u searched, %u incomplete\n",
                   st.delivery, st.searched, st.incomplete);
    }
    assert_int_equal(searched, 2);
    hs_cluster_intake_free(in);
    ib = fetch(au.dev_pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_verdicts(ib), 4); /* 2 incomplete, then 2 complete */
    for (uint32_t i = 2; i < 4; i++) {
        assert_int_equal(hs_cluster_inbox_verdict(ib, &v, i), HS_OK);
        assert_int_equal(v.kind, HS_CLUSTER_VERDICT_COMPLETE);
        assert_int_equal(v.missing, 0);
        assert_string_equal(v.reason, ""); /* nothing left of the incomplete try */
    }
    assert_int_equal(apply(ob, ib), 2);
    assert_int_equal(hs_outbox_count(ob), 0);
    confirm(ib);
    hs_cluster_inbox_free(ib);
    hs_outbox_close(ob);
    hs_ctx_free(ctx);
}

/* The intake consumer lost behind the worker's back (its server gone, or
 * deleted): the worker's watchdog makes it anew and the batch submitted
 * meanwhile is processed. */
static void test_consumer_lost(void **state)
{
    (void)state;
    NEED_CLUSTER();
    hs_cluster_intake *in = intake_new(8000, 1000);
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    assert_int_equal(natsConnection_ConnectTo(&nc, clu.urls), NATS_OK);
    assert_int_equal(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    assert_int_equal(js_DeleteConsumer(js, "HOTSPOT_hotspot_INTAKE", "hotspot_intake", NULL, NULL),
                     NATS_OK);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    /* a record of an unknown device: refused, no search needed */
    uint8_t pk[32], sk[64], storage[32];
    assert_int_equal(hs_device_keygen(pk, sk, storage), HS_OK);
    size_t n = 0, bn = 0;
    uint8_t *rec = seal(&n, 1, 0, sk, NULL);
    uint8_t *b = batch_of(&bn, &rec, &n, 1);
    hs_ctx *ctx = tu_ctx();
    CHECK(ctx, hs_cluster_submit(ctx, NULL, cl, b, bn));
    double t0 = cu_now_ms(), end = t0 + 60000;
    hs_cluster_intake_stats st = HS_CLUSTER_INTAKE_STATS_INIT;
    while (!st.records && cu_now_ms() < end)
        st = next(in, 500);
    printf("batch processed %.0f ms after its submission, the consumer having been deleted\n",
           cu_now_ms() - t0);
    assert_int_equal(st.records, 1);
    assert_int_equal(st.refused, 1);
    hs_cluster_intake_free(in);
    hs_cluster_inbox *ib = fetch(pk, au.sign_pk);
    assert_int_equal(hs_cluster_inbox_verdicts(ib), 1);
    confirm(ib);
    hs_cluster_inbox_free(ib);
    free(b);
    free(rec);
    hs_ctx_free(ctx);
}

/* A confirmation deletes only what the leader holds as fetched: the device
 * deletes by sequence, and the sequences it fetched may hold other
 * messages at the leader (a copy of the stream that diverged, nats-server
 * 2.9; here the results stream made anew between the fetch and the
 * confirmation, and other devices' messages stored at those sequences). */
static void test_confirm_guarded(void **state)
{
    (void)state;
    NEED_CLUSTER();
    answer_one(5);
    hs_cluster_inbox *ib = fetch(au.dev_pk, au.sign_pk);
    assert_true(hs_cluster_inbox_verdicts(ib) >= 1);
    assert_true(hs_cluster_inbox_acks(ib) >= 1);
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    assert_int_equal(natsConnection_ConnectTo(&nc, clu.urls), NATS_OK);
    assert_int_equal(natsConnection_JetStream(&js, nc, NULL), NATS_OK);
    const char *rs = "HOTSPOT_hotspot_RESULTS";
    jsStreamInfo *si = NULL, *si2 = NULL;
    jsErrCode je = 0;
    assert_int_equal(js_GetStreamInfo(&si, js, rs, NULL, &je), NATS_OK);
    const uint64_t last = si->State.LastSeq; /* every sequence fetched is at most this */
    assert_int_equal(js_DeleteStream(js, rs, NULL, &je), NATS_OK);
    natsStatus ns = NATS_ERR;
    for (int tries = 0; tries < 20 && ns != NATS_OK; tries++) { /* a leader electing */
        if (tries)
            cu_sleep_ms(500);
        jsStreamInfo_Destroy(si2);
        si2 = NULL;
        ns = js_AddStream(&si2, js, si->Config, NULL, &je);
    }
    if (ns != NATS_OK)
        fail_msg("the results stream made anew: %s (JetStream error %d)",
                 natsStatus_GetText(ns), (int)je);
    jsStreamInfo_Destroy(si2);
    jsStreamInfo_Destroy(si);
    for (uint64_t q = 1; q <= last; q++) {
        char subj[128], body[64];
        snprintf(subj, sizeof subj, "hs.hotspot.results.another-device.%llu",
                 (unsigned long long)q);
        snprintf(body, sizeof body, "another device's message %llu", (unsigned long long)q);
        jsPubAck *pa = NULL;
        jsPubOptions po; /* a message id: a retry after a lost answer is stored once */
        jsPubOptions_Init(&po);
        po.MsgId = body;
        ns = NATS_ERR;
        for (int tries = 0; tries < 20 && ns != NATS_OK; tries++) { /* the new leader settling */
            if (tries)
                cu_sleep_ms(500);
            ns = js_Publish(&pa, js, subj, body, (int)strlen(body), &po, &je);
        }
        if (ns != NATS_OK)
            fail_msg("storing message %llu: %s (JetStream error %d)", (unsigned long long)q,
                     natsStatus_GetText(ns), (int)je);
        assert_int_equal(pa->Sequence, q);
        jsPubAck_Destroy(pa);
    }
    confirm(ib);
    hs_cluster_inbox_free(ib);
    si = NULL;
    assert_int_equal(js_GetStreamInfo(&si, js, rs, NULL, &je), NATS_OK);
    if (si->State.Msgs != last)
        fail_msg("the confirmation deleted %llu of the %llu other messages at the sequences "
                 "it had fetched", (unsigned long long)(last - si->State.Msgs),
                 (unsigned long long)last);
    jsStreamInfo_Destroy(si);
    printf("a confirmation after the results stream was made anew: %llu other messages at "
           "the fetched sequences left alone\n", (unsigned long long)last);
    assert_int_equal(js_PurgeStream(js, rs, NULL, &je), NATS_OK);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
}

/* Bad arguments never reach the network. */
static void test_arguments(void **state)
{
    (void)state;
    hs_ctx *ctx = tu_ctx();
    hs_cluster_intake *in = NULL;
    uint8_t k[64] = {0};
    assert_int_equal(hs_cluster_intake_new(ctx, &in, NULL, k, k, NULL, "x", NULL),
                     HS_ERR_INVALID_ARG);
    assert_null(in);
    assert_int_equal(hs_cluster_submit(ctx, NULL, NULL, "x", 1), HS_ERR_INVALID_ARG);
    hs_cluster_inbox *ib = NULL;
    assert_int_equal(hs_cluster_fetch(ctx, &ib, NULL, k, k), HS_ERR_INVALID_ARG);
    assert_null(ib);
    assert_int_equal(hs_cluster_inbox_verdicts(NULL), 0);
    assert_null(hs_cluster_inbox_ack(NULL, NULL, 0));
    assert_null(hs_cluster_inbox_refusal(NULL, 0));
    assert_int_equal(hs_cluster_intake_outcomes(NULL), 0);
    hs_cluster_intake_free(NULL);
    hs_cluster_inbox_free(NULL);
    hs_ctx_free(ctx);
}

/* Last: stop the shard processes (LeakSanitizer reports at exit) and fail
 * on any sanitizer report in their logs, which the answers alone would not
 * show (a replica a sanitizer stops is replaced by its sibling). */
static void test_shard_logs_clean(void **state)
{
    (void)state;
    NEED_CLUSTER();
    assert_int_equal(cu_stop_and_scan_logs(&clu), 0); /* the reports are printed above */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arguments),
        cmocka_unit_test(test_loop),
        cmocka_unit_test(test_unknown_device),
        cmocka_unit_test(test_forged),
        cmocka_unit_test(test_worker_killed),
        cmocka_unit_test(test_server_killed),
        cmocka_unit_test(test_shard_missing),
        cmocka_unit_test(test_consumer_lost),
        cmocka_unit_test(test_confirm_guarded),
        cmocka_unit_test(test_shard_logs_clean),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
