/* Fuzz the sealed-encounter readers. The first byte picks the target:
 *  0: the rest is a sealed record: hs_encounter_sealed_receipt() and
 *     hs_encounter_open() with the fixed test keys (header, framing and
 *     signature checks; a record that still verifies is decrypted);
 *  1: the rest is a plaintext: the fuzzer seals and signs it with the test
 *     keys, as a device would, so that the central open reaches the
 *     plaintext reader and the transaction decoder behind the crypto. */
#include "encounter_fuzz.h"
#include "internal/encounter_wire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fz_keys K;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        fz_make_keys(&K);
        ready = 1;
    }
    if (size < 1 || size > (1u << 22))
        return 0;
    int mode = data[0] & 1;
    data++;
    size--;
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL))
        abort();
    hs_ctx_set_limit(ctx, HS_LIMIT_MAX_PIXELS, 1u << 20);
    hs_ctx_set_limit(ctx, HS_LIMIT_MAX_DIMENSION, 2048);
    hs_encounter_registry *reg = fz_registry(&K);
    hs_encounter_seen *seen = NULL;
    if (hs_encounter_seen_new(NULL, &seen))
        abort();
    uint8_t *rec = NULL;
    size_t rec_size = size;
    const uint8_t *in = data;
    if (mode == 1) {
        /* a header for the plaintext: id and time from its first bytes when
         * it has them, so that the inner copy can agree */
        size_t clen = size + crypto_box_SEALBYTES;
        rec_size = HS__ENC_HEADER_FIXED + 4 + clen + 64;
        rec = malloc(rec_size);
        if (!rec)
            abort();
        memset(rec, 0, HS__ENC_HEADER_FIXED);
        memcpy(rec, HS__ENC_RECORD_MAGIC, 4);
        rec[4] = HS__ENC_VERSION;
        rec[6] = HS__ENC_HEADER_FIXED;
        if (size >= 72)
            memcpy(rec + 8, data + 8, 64); /* id, time, device, decision, count */
        memcpy(rec + 24 + 8, K.dev_pk, 32);
        rec[72] = 0;
        for (int i = 0; i < 4; i++)
            rec[73 + i] = (uint8_t)(clen >> (8 * i));
        crypto_box_seal(rec + 77, data, size, K.box_pk);
        crypto_sign_detached(rec + 77 + clen, NULL, rec, 77 + clen, K.dev_sk);
        in = rec;
    }
    hs_encounter_receipt r = HS_ENCOUNTER_RECEIPT_INIT;
    hs_status s = hs_encounter_sealed_receipt(ctx, &r, in, rec_size);
    if (s && s != hs_ctx_last_status(ctx))
        abort();
    hs_encounter *e = (hs_encounter *)1;
    hs_nist *n = (hs_nist *)1;
    s = hs_encounter_open(ctx, &e, &n, in, rec_size, K.box_sk, reg, seen);
    if (s) {
        if (e || n || hs_encounter_seen_count(seen))
            abort();
    } else {
        /* what opened reads back */
        size_t js = 0;
        if (hs_encounter_result_json(ctx, NULL, &js, e) || hs_encounter_seen_count(seen) != 1)
            abort();
        hs_encounter *again = NULL;
        if (hs_encounter_open(ctx, &again, NULL, in, rec_size, K.box_sk, reg, seen) !=
                HS_ERR_REPLAY ||
            again)
            abort();
    }
    hs_encounter_free(e == (hs_encounter *)1 ? NULL : e);
    hs_nist_free(n == (hs_nist *)1 ? NULL : n);
    hs_encounter_seen_free(seen);
    hs_encounter_registry_free(reg);
    free(rec);
    hs_ctx_free(ctx);
    return 0;
}
