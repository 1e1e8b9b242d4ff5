/* Fuzz the acknowledgement reader: hs_encounter_ack_verify() with the fixed
 * test authority and device keys, and the accessors on what verifies. */
#include "encounter_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static fz_keys K;
static int ready;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!ready) {
        fz_make_keys(&K);
        ready = 1;
    }
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL))
        abort();
    hs_encounter_ack *a = (hs_encounter_ack *)1;
    hs_status s = hs_encounter_ack_verify(ctx, &a, data, size, K.asig_pk, K.dev_pk);
    if (s) {
        if (a || s != hs_ctx_last_status(ctx))
            abort();
    } else {
        uint32_t n = hs_encounter_ack_count(a);
        if (!n || !hs_encounter_ack_id(a, n - 1) || hs_encounter_ack_id(a, n) ||
            memcmp(hs_encounter_ack_device(a), K.dev_pk, 32))
            abort();
        hs_encounter_ack_free(a);
    }
    /* the same bytes for another device never verify */
    a = NULL;
    if (hs_encounter_ack_verify(ctx, &a, data, size, K.asig_pk, K.dev2_pk) == HS_OK)
        abort();
    hs_ctx_free(ctx);
    return 0;
}
