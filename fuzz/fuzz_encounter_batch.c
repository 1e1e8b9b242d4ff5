/* Fuzz the batch reader and the central open of every record it holds,
 * with the fixed test keys: hs_encounter_batch_record() over each index and
 * hs_encounter_batch_open() with a registry and a seen set. */
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
    if (size > (1u << 22))
        return 0;
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL))
        abort();
    hs_ctx_set_limit(ctx, HS_LIMIT_MAX_PIXELS, 1u << 20);
    hs_ctx_set_limit(ctx, HS_LIMIT_MAX_DIMENSION, 2048);
    uint32_t count = 0;
    hs_status s = hs_encounter_batch_record(ctx, NULL, NULL, &count, data, size, UINT32_MAX);
    if (!s) {
        for (uint32_t i = 0; i < count; i++) {
            const uint8_t *rec = NULL;
            size_t n = 0;
            if (hs_encounter_batch_record(ctx, &rec, &n, &count, data, size, i))
                abort();
            if (rec < data || rec + n > data + size)
                abort();
        }
    }
    hs_encounter_registry *reg = fz_registry(&K);
    hs_encounter_seen *seen = NULL;
    if (hs_encounter_seen_new(NULL, &seen))
        abort();
    hs_encounter_batch *b = (hs_encounter_batch *)1;
    s = hs_encounter_batch_open(ctx, &b, data, size, K.box_sk, reg, seen, 0);
    if (s) {
        if (b || hs_encounter_seen_count(seen))
            abort();
    } else {
        uint32_t ok = 0;
        for (uint32_t i = 0; i < hs_encounter_batch_count(b); i++) {
            const char *why = NULL;
            hs_status st = hs_encounter_batch_status(b, &why, i);
            if (!why || (st == HS_OK) != (hs_encounter_batch_encounter(b, i) != NULL))
                abort();
            ok += st == HS_OK;
        }
        if (ok != hs_encounter_seen_count(seen))
            abort();
        hs_encounter_batch_free(b);
    }
    hs_encounter_seen_free(seen);
    hs_encounter_registry_free(reg);
    hs_ctx_free(ctx);
    return 0;
}
