/* Sealed encounters: the device's seal and the centre's open.
 *  - seal: median wall time of hs_encounter_seal() for a two-finger encounter
 *    (two synthetic 500 ppi impressions, WSQ at 0.75 bit/pixel) with a
 *    480x640 face (JPEG), texts and two candidates: the INT-I transaction is
 *    built, encoded, encrypted and signed each time;
 *  - open: median wall time per encounter of hs_encounter_open() (registry
 *    lookup, signature, decryption, plaintext and transaction decoding,
 *    seen-id check) over COUNT distinct encounters, and the time per
 *    encounter of one hs_encounter_batch_open() over all of them.
 * No shared data needed. One thread.
 * Usage: bench_encounter [COUNT]   (default 1000) */
#include "benchutil.h"

#include <hotspot/hotspot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, hs_status s)
{
    fprintf(stderr, "bench_encounter: %s: %s\n", what, hs_status_str(s));
    exit(1);
}

int main(int argc, char **argv)
{
    unsigned count = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1000;
    if (count < 1 || count > 100000)
        count = 1000;
    hs_status s;
    uint8_t box_pk[32], box_sk[32], asp[32], ass[64], dpk[32], dsk[64];
    if ((s = hs_encounter_keygen_authority(box_pk, box_sk, asp, ass)) != HS_OK)
        die("keygen", s);
    uint8_t storage[32];
    if ((s = hs_device_keygen(dpk, dsk, storage)) != HS_OK)
        die("device keygen", s);
    hs_synth *gen = NULL;
    hs_image *finger[2] = {NULL, NULL};
    if ((s = hs_synth_new(NULL, &gen, 11)) != HS_OK)
        die("synth", s);
    for (int i = 0; i < 2; i++) {
        hs_synth_master *m = NULL;
        if ((s = hs_synth_master_new(NULL, &m, gen, (uint32_t)i)) != HS_OK ||
            (s = hs_synth_impression(NULL, &finger[i], NULL, gen, m, 0)) != HS_OK)
            die("impression", s);
        hs_synth_master_free(m);
    }
    hs_synth_free(gen);
    hs_image *face = NULL;
    if ((s = hs_image_new(NULL, &face, 480, 640, 0, 0)) != HS_OK)
        die("face", s);
    uint8_t *px = hs_image_pixels_mut(face);
    for (uint32_t y = 0; y < 640; y++)
        for (uint32_t x = 0; x < 480; x++) {
            int dx = (int)x - 240, dy = (int)y - 300;
            px[(size_t)y * 480 + x] =
                (uint8_t)(50 + (dx * dx * 4 + dy * dy * 3 < 200 * 200 * 3 ? 110 : 0) +
                          (int)((x * 7 + y * 13) % 40));
        }
    hs_encounter *e = NULL;
    if ((s = hs_encounter_new(NULL, &e)) != HS_OK)
        die("encounter", s);
    hs_encounter_set_text(NULL, e, HS_ENCOUNTER_TEXT_OPERATOR_ID, "officer-7");
    hs_encounter_set_text(NULL, e, HS_ENCOUNTER_TEXT_LOCATION, "CP-3");
    hs_encounter_set_text(NULL, e, HS_ENCOUNTER_TEXT_SHOWN, "no match");
    if ((s = hs_encounter_add_finger_image(NULL, e, finger[0], 2, 255)) != HS_OK ||
        (s = hs_encounter_add_finger_image(NULL, e, finger[1], 7, 255)) != HS_OK ||
        (s = hs_encounter_set_face(NULL, e, face)) != HS_OK)
        die("encounter content", s);
    hs_encounter_add_candidate(NULL, e, "S-0001", 3.5, 0);
    hs_encounter_add_candidate(NULL, e, "S-0002", 1.2, 0);
    hs_encounter_set_decision(NULL, e, HS_ENCOUNTER_NO_HIT);

    size_t need = 0;
    if ((s = hs_encounter_seal(NULL, NULL, &need, e, box_pk, dsk, NULL)) != HS_OK)
        die("seal size", s);
    uint8_t **rec = calloc(count, sizeof *rec);
    size_t *sizes = calloc(count, sizeof *sizes);
    double *t = calloc(count, sizeof *t), *c = calloc(count, sizeof *c);
    if (!rec || !sizes || !t || !c)
        die("memory", HS_ERR_NOMEM);
    for (unsigned i = 0; i < count; i++) {
        uint8_t id[16] = {0};
        memcpy(id, &i, sizeof i);
        id[15] = 1;
        hs_encounter_set_id(NULL, e, id);
        rec[i] = malloc(need);
        sizes[i] = need;
        double t0 = bu_wall_ms(), c0 = bu_thread_cpu_ms();
        s = hs_encounter_seal(NULL, rec[i], &sizes[i], e, box_pk, dsk, NULL);
        t[i] = bu_wall_ms() - t0;
        c[i] = bu_thread_cpu_ms() - c0;
        if (s)
            die("seal", s);
    }
    double seal_med = bu_median(t, count), seal_cpu = bu_median(c, count);
    printf("sealed record: %zu bytes (two 500 ppi fingers as WSQ, 480x640 face as JPEG)\n",
           sizes[0]);
    printf("seal:  median %.2f ms wall, %.2f ms CPU per encounter (%u seals)\n", seal_med,
           seal_cpu, count);

    hs_encounter_registry *reg = NULL;
    hs_encounter_seen *seen = NULL;
    if ((s = hs_encounter_registry_new(NULL, &reg)) != HS_OK ||
        (s = hs_encounter_registry_add(NULL, reg, dpk, "dev")) != HS_OK ||
        (s = hs_encounter_seen_new(NULL, &seen)) != HS_OK)
        die("registry", s);
    for (unsigned i = 0; i < count; i++) {
        hs_encounter *o = NULL;
        hs_nist *n = NULL;
        double t0 = bu_wall_ms(), c0 = bu_thread_cpu_ms();
        s = hs_encounter_open(NULL, &o, &n, rec[i], sizes[i], box_sk, reg, seen);
        t[i] = bu_wall_ms() - t0;
        c[i] = bu_thread_cpu_ms() - c0;
        if (s)
            die("open", s);
        hs_encounter_free(o);
        hs_nist_free(n);
    }
    double open_med = bu_median(t, count), open_cpu = bu_median(c, count);
    printf("open:  median %.3f ms wall, %.3f ms CPU per encounter (%u encounters, "
           "hs_encounter_open)\n",
           open_med, open_cpu, count);
    hs_encounter_seen_free(seen);
    seen = NULL;
    size_t bn = 0;
    if ((s = hs_encounter_batch_encode(NULL, NULL, &bn, (const void *const *)rec, sizes, count)) !=
        HS_OK)
        die("batch size", s);
    uint8_t *batch = malloc(bn);
    if (!batch || (s = hs_encounter_batch_encode(NULL, batch, &bn, (const void *const *)rec, sizes,
                                                 count)) != HS_OK)
        die("batch", s);
    if ((s = hs_encounter_seen_new(NULL, &seen)) != HS_OK)
        die("seen", s);
    hs_encounter_batch *b = NULL;
    double t0 = bu_wall_ms(), c0 = bu_thread_cpu_ms();
    s = hs_encounter_batch_open(NULL, &b, batch, bn, box_sk, reg, seen, 0);
    double total = bu_wall_ms() - t0, cpu = bu_thread_cpu_ms() - c0;
    if (s || hs_encounter_seen_count(seen) != count)
        die("batch open", s ? s : HS_ERR_INTERNAL);
    printf("batch: %.3f ms per encounter wall, %.3f ms CPU (one batch of %u, %.1f MB, %.0f ms "
           "in all; every opened transaction held in memory)\n",
           total / count, cpu / count, count, (double)bn / 1e6, total);
    hs_encounter_batch_free(b);
    hs_encounter_seen_free(seen);
    hs_encounter_registry_free(reg);
    free(batch);
    for (unsigned i = 0; i < count; i++)
        free(rec[i]);
    free(rec);
    free(sizes);
    free(t);
    free(c);
    hs_encounter_free(e);
    hs_image_free(face);
    hs_image_free(finger[0]);
    hs_image_free(finger[1]);
    return 0;
}
