/* Writes the seeds of fuzz_encounter, fuzz_encounter_batch and fuzz_ack into
 * <dir>/fuzz_<name>/, made with the fixed test keys of encounter_fuzz.h and
 * a deterministic random source (libsodium's randombytes_buf_deterministic
 * behind randombytes_set_implementation), so that every run writes the same
 * bytes: small encounters (a template, a small face, texts, candidates)
 * sealed by the registered device, by the revoked one and by an unknown one;
 * their plaintexts; batches of them; acknowledgements. */
#include "encounter_fuzz.h"
#include "internal/encounter_wire.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

static uint64_t ctr;

static const char *det_name(void) { return "hotspot-fuzz-deterministic"; }
static uint32_t det_random(void)
{
    uint32_t v;
    uint8_t seed[32] = {0};
    uint64_t c = ctr++;
    memcpy(seed, &c, sizeof c);
    randombytes_buf_deterministic(&v, sizeof v, seed);
    return v;
}
static void det_stir(void) {}
static uint32_t det_uniform(const uint32_t upper)
{
    return upper ? det_random() % upper : 0;
}
static void det_buf(void *const buf, const size_t size)
{
    uint8_t seed[32] = {0};
    uint64_t c = ctr++;
    memcpy(seed, &c, sizeof c);
    seed[31] = 1;
    randombytes_buf_deterministic(buf, size, seed);
}
static randombytes_implementation det = {det_name, det_random, det_stir, det_uniform, det_buf,
                                         NULL};

static void put(const char *dir, const char *target, const char *name, uint8_t mode, int moded,
                const void *data, size_t size)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, target);
    if (mkdir(path, 0755) && errno != EEXIST)
        abort();
    snprintf(path, sizeof path, "%s/%s/%s", dir, target, name);
    FILE *f = fopen(path, "wb");
    if (!f || (moded && fwrite(&mode, 1, 1, f) != 1) ||
        (size && fwrite(data, 1, size, f) != size) || fclose(f))
        abort();
}

static hs_encounter *small_encounter(uint8_t tag, const char *shown)
{
    hs_encounter *e = NULL;
    if (hs_encounter_new(NULL, &e))
        abort();
    uint8_t id[16];
    memset(id, tag, sizeof id);
    hs_encounter_set_id(NULL, e, id);
    hs_encounter_set_time(NULL, e, INT64_C(1796558400000) + tag);
    hs_encounter_set_text(NULL, e, HS_ENCOUNTER_TEXT_OPERATOR_ID, "op-1");
    hs_encounter_set_text(NULL, e, HS_ENCOUNTER_TEXT_LOCATION, "CP-1");
    if (shown)
        hs_encounter_set_text(NULL, e, HS_ENCOUNTER_TEXT_SHOWN, shown);
    hs_encounter_set_field(NULL, e, "lane", "2");
    hs_template *t = NULL;
    hs_template_new(NULL, &t);
    hs_view_info vi = HS_VIEW_INFO_INIT;
    vi.width = 200;
    vi.height = 200;
    vi.finger_position = 2;
    hs_minutia m[3];
    memset(m, 0, sizeof m);
    for (int i = 0; i < 3; i++) {
        m[i].x = 20.0f + 40.0f * (float)i;
        m[i].y = 50.0f + 30.0f * (float)i;
        m[i].angle = 0.5f * (float)i;
        m[i].type = 1;
        m[i].quality = 60;
    }
    if (hs_template_add_view(NULL, t, &vi, m, 3) || hs_encounter_add_finger_template(NULL, e, t, 0))
        abort();
    hs_template_free(t);
    hs_image *face = NULL;
    hs_image_new(NULL, &face, 32, 40, 0, 90);
    if (hs_encounter_set_face(NULL, e, face))
        abort();
    hs_image_free(face);
    hs_encounter_add_candidate(NULL, e, "S-1", 2.5, 1);
    hs_encounter_set_decision(NULL, e, HS_ENCOUNTER_HIT);
    return e;
}

static uint8_t *seal(const hs_encounter *e, const uint8_t *box_pk, const uint8_t *dev_sk,
                     size_t *n)
{
    *n = 0;
    if (hs_encounter_seal(NULL, NULL, n, e, box_pk, dev_sk, NULL))
        abort();
    uint8_t *b = malloc(*n);
    if (!b || hs_encounter_seal(NULL, b, n, e, box_pk, dev_sk, NULL))
        abort();
    return b;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_encounter_seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    if (mkdir(dir, 0755) && errno != EEXIST)
        return 1;
    if (randombytes_set_implementation(&det))
        return 1;
    fz_keys K;
    fz_make_keys(&K);
    uint8_t rogue_pk[32], rogue_sk[64], seed[32];
    fz_seed(seed, 'u');
    crypto_sign_seed_keypair(rogue_pk, rogue_sk, seed);

    hs_encounter *e1 = small_encounter(1, "hit: S-1");
    hs_encounter *e2 = small_encounter(2, NULL);
    size_t n1, n2, n3, n4;
    uint8_t *r1 = seal(e1, K.box_pk, K.dev_sk, &n1);
    uint8_t *r2 = seal(e2, K.box_pk, K.dev_sk, &n2);
    uint8_t *r3 = seal(e1, K.box_pk, K.dev2_sk, &n3);   /* revoked device */
    uint8_t *r4 = seal(e2, K.box_pk, rogue_sk, &n4);    /* unknown device */
    put(dir, "fuzz_encounter", "sealed_hit", 0, 1, r1, n1);
    put(dir, "fuzz_encounter", "sealed_plain", 0, 1, r2, n2);
    put(dir, "fuzz_encounter", "sealed_revoked", 0, 1, r3, n3);

    /* plaintexts (mode 1): the fuzzer seals them with the device key */
    hs_nist *tx = NULL;
    if (hs_encounter_transaction(NULL, &tx, e2, NULL))
        abort();
    size_t txn = 0;
    hs_nist_encode(NULL, NULL, &txn, tx, HS_NIST_ENCODING_TRADITIONAL, 0);
    uint8_t *txb = malloc(txn);
    if (!txb || hs_nist_encode(NULL, txb, &txn, tx, HS_NIST_ENCODING_TRADITIONAL, 0))
        abort();
    hs_nist_free(tx);
    hs__writer w;
    hs__writer_init(&w, hs__ctx_allocator(NULL));
    hs__enc_write_plain(&w, e2, K.dev_pk, txb, txn);
    if (w.failed)
        abort();
    put(dir, "fuzz_encounter", "plain", 1, 1, w.buf, w.len);
    hs__writer_free(&w);
    hs__writer_init(&w, hs__ctx_allocator(NULL));
    hs__enc_write_plain(&w, e2, K.dev_pk, (const uint8_t *)"", 0);
    put(dir, "fuzz_encounter", "plain_no_transaction", 1, 1, w.buf, w.len);
    hs__writer_free(&w);
    free(txb);

    /* batches */
    const void *recs[4] = {r1, r2, r3, r4};
    size_t sizes[4] = {n1, n2, n3, n4};
    size_t bn = 0;
    for (uint32_t count = 0; count <= 4; count += 2) {
        if (hs_encounter_batch_encode(NULL, NULL, &bn, recs, sizes, count))
            abort();
        uint8_t *b = malloc(bn);
        if (!b || hs_encounter_batch_encode(NULL, b, &bn, recs, sizes, count))
            abort();
        char name[32];
        snprintf(name, sizeof name, "batch_%u", count);
        put(dir, "fuzz_encounter_batch", name, 0, 0, b, bn);
        free(b);
    }
    const void *dup[2] = {r1, r1};
    size_t dsz[2] = {n1, n1};
    hs_encounter_batch_encode(NULL, NULL, &bn, dup, dsz, 2);
    uint8_t *b = malloc(bn);
    if (!b || hs_encounter_batch_encode(NULL, b, &bn, dup, dsz, 2))
        abort();
    put(dir, "fuzz_encounter_batch", "batch_replay", 0, 0, b, bn);
    free(b);

    /* acknowledgements, their time fixed and signed again */
    uint8_t ids[3 * 16];
    memcpy(ids, hs_encounter_id(e1), 16);
    memcpy(ids + 16, hs_encounter_id(e2), 16);
    memset(ids + 32, 0x5a, 16);
    for (uint32_t count = 1; count <= 3; count += 2) {
        size_t an = 0;
        hs_encounter_ack_make(NULL, NULL, &an, K.dev_pk, ids, count, K.asig_sk);
        uint8_t *a = malloc(an);
        if (!a || hs_encounter_ack_make(NULL, a, &an, K.dev_pk, ids, count, K.asig_sk))
            abort();
        for (int i = 0; i < 8; i++)
            a[24 + i] = (uint8_t)((UINT64_C(1796558400000) >> (8 * i)) & 0xff);
        crypto_sign_detached(a + an - 64, NULL, a, an - 64, K.asig_sk);
        char name[32];
        snprintf(name, sizeof name, "ack_%u", count);
        put(dir, "fuzz_ack", name, 0, 0, a, an);
        free(a);
    }
    free(r1);
    free(r2);
    free(r3);
    free(r4);
    hs_encounter_free(e1);
    hs_encounter_free(e2);
    return 0;
}
