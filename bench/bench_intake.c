/* Deferred checks through the centre (docs/cluster.md, "Deferred checks"):
 * encounters per second through the intake worker, and the time of each
 * step of the loop, medians over several batches.
 *
 *   bench_intake [--gallery N] [--encounters E] [--batches B] [--shards S]
 *                [--images] [--deadline-ms D]
 *
 * One nats-server on 127.0.0.1 and S shards x 1 replica (`hotspot shard`),
 * a synthetic gallery of N subjects (ground-truth templates). Each batch:
 * E encounters sealed by one device (half of them mates of gallery
 * subjects; with --images they carry a finger image the centre extracts,
 * else the template), submitted (hs_cluster_submit), processed by an
 * in-process intake worker (hs_cluster_intake_next: open, search, sign,
 * publish, acknowledge), fetched and confirmed by the device. */
#include "benchutil.h"
#include "clusterutil.h"

#include <hotspot/cluster.h>
#include <hotspot/device.h>
#include <hotspot/synth.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(hs_ctx *ctx, hs_status s, const char *what)
{
    fprintf(stderr, "bench_intake: %s: %s: %s\n", what, hs_status_str(s),
            ctx ? hs_ctx_last_error(ctx) : "");
    cu_stop_all();
    exit(1);
}

#define TRY(what, call)                                                                          \
    do {                                                                                         \
        hs_status s_ = (call);                                                                   \
        if (s_)                                                                                  \
            die(ctx, s_, what);                                                                  \
    } while (0)

int main(int argc, char **argv)
{
    unsigned gallery = 2000, enc = 20, batches = 5, shards = 2, images = 0, deadline = 10000;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--gallery") && v)
            gallery = (unsigned)atoi(argv[++i]);
        else if (!strcmp(a, "--encounters") && v)
            enc = (unsigned)atoi(argv[++i]);
        else if (!strcmp(a, "--batches") && v)
            batches = (unsigned)atoi(argv[++i]);
        else if (!strcmp(a, "--shards") && v)
            shards = (unsigned)atoi(argv[++i]);
        else if (!strcmp(a, "--deadline-ms") && v)
            deadline = (unsigned)atoi(argv[++i]);
        else if (!strcmp(a, "--images"))
            images = 1;
        else {
            fprintf(stderr, "usage: bench_intake [--gallery N] [--encounters E] [--batches B] "
                            "[--shards S] [--images] [--deadline-ms D]\n");
            return 2;
        }
    }
    if (!gallery || !enc || !batches || !shards || shards > CU_SHARDS_MAX || enc > 1000 ||
        batches > 1000)
        return 2;
    if (!cu_nats_server())
        return 0;
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL))
        return 1;
    uint8_t box_pk[32], box_sk[32], sign_pk[32], sign_sk[64], dev_pk[32], dev_sk[64], st[32];
    TRY("authority keys", hs_encounter_keygen_authority(box_pk, box_sk, sign_pk, sign_sk));
    TRY("device keys", hs_device_keygen(dev_pk, dev_sk, st));
    hs_encounter_registry *reg = NULL;
    TRY("registry", hs_encounter_registry_new(ctx, &reg));
    TRY("registry", hs_encounter_registry_add(ctx, reg, dev_pk, "bench"));

    char dir[] = "/tmp/hs-bench-intake-XXXXXX";
    if (!mkdtemp(dir))
        return 1;
    cu_cluster c;
    memset(&c, 0, sizeof c);
    if (!cu_start_servers(&c, dir, 1, HS_CLI_PATH))
        die(NULL, HS_ERR_IO, "nats-server");
    c.shards = (int)shards;
    c.replicas = 1;
    hs_cluster *cl = NULL;
    hs_status s = cu_cluster_init(ctx, &c, &cl, NULL, shards, 1, 30000);
    if (s)
        die(ctx, s, "cluster init");
    for (unsigned i = 1; i <= shards; i++)
        cu_start_shard(&c, (int)i, 1);

    hs_synth *gen = NULL;
    TRY("synth", hs_synth_new(ctx, &gen, 4242));
    hs_synth_set(gen, HS_SYNTH_FAST, 1);
    hs_watchlist *wl = NULL;
    TRY("list", hs_watchlist_new(ctx, &wl));
    double t0 = bu_wall_ms();
    for (unsigned m = 0; m < gallery; m++) {
        hs_synth_master *ms = NULL;
        hs_template *t = NULL;
        hs_watchlist_subject *sub = NULL;
        char id[24];
        snprintf(id, sizeof id, "G%06u", m);
        TRY("master", hs_synth_master_new(ctx, &ms, gen, m));
        TRY("impression", hs_synth_impression(ctx, NULL, &t, gen, ms, 0));
        TRY("subject", hs_watchlist_subject_new(ctx, &sub, id));
        TRY("subject", hs_watchlist_subject_add_finger(ctx, sub, t, 0));
        TRY("add", hs_watchlist_add(ctx, wl, sub));
        hs_watchlist_subject_free(sub);
        hs_template_free(t);
        hs_synth_master_free(ms);
    }
    TRY("load", hs_cluster_load(ctx, NULL, cl, wl, 0));
    printf("gallery: %u subjects on %u shards, generated and loaded in %.1f s\n", gallery, shards,
           (bu_wall_ms() - t0) / 1000);
    hs_watchlist_free(wl);

    char seen[600];
    snprintf(seen, sizeof seen, "%s/seen.ids", dir);
    hs_cluster_intake_options io = HS_CLUSTER_INTAKE_OPTIONS_INIT;
    io.deadline_ms = deadline;
    hs_cluster_intake *in = NULL;
    TRY("intake", hs_cluster_intake_new(ctx, &in, cl, box_sk, sign_sk, reg, seen, &io));

    double *seal_ms = calloc(batches, sizeof *seal_ms), *sub_ms = calloc(batches, sizeof *sub_ms),
           *in_ms = calloc(batches, sizeof *in_ms), *fe_ms = calloc(batches, sizeof *fe_ms),
           *rate = calloc(batches, sizeof *rate);
    uint8_t **rec = calloc(enc, sizeof *rec);
    size_t *rs = calloc(enc, sizeof *rs);
    unsigned found = 0, mates = 0;
    for (unsigned b = 0; b < batches; b++) {
        t0 = bu_wall_ms();
        for (unsigned i = 0; i < enc; i++) {
            /* even: a mate of a gallery subject; odd: a stranger */
            unsigned m = i % 2 == 0 ? (unsigned)((b * 7919u + i * 104729u) % gallery)
                                    : gallery + b * enc + i;
            hs_synth_master *ms = NULL;
            hs_template *t = NULL;
            hs_image *img = NULL;
            hs_encounter *e = NULL;
            TRY("master", hs_synth_master_new(ctx, &ms, gen, m));
            TRY("impression", hs_synth_impression(ctx, images ? &img : NULL, &t, gen, ms, 1));
            TRY("encounter", hs_encounter_new(ctx, &e));
            if (images) {
                TRY("image", hs_encounter_add_finger_image(ctx, e, img, 2, 255));
            } else {
                hs_view_info vi;
                memset(&vi, 0, sizeof vi);
                vi.struct_size = sizeof vi;
                hs_template_view_info(t, &vi, 0);
                if (vi.finger_position < 1 || vi.finger_position > 10) {
                    uint32_t n = 0;
                    const hs_minutia *mi = hs_template_minutiae(t, &n, 0);
                    hs_template *p = NULL;
                    vi.finger_position = 2;
                    TRY("template", hs_template_new(ctx, &p));
                    TRY("template", hs_template_add_view(ctx, p, &vi, mi, n));
                    hs_template_free(t);
                    t = p;
                }
                TRY("template", hs_encounter_add_finger_template(ctx, e, t, 0));
            }
            char want[24];
            snprintf(want, sizeof want, "G%06u", m);
            TRY("field", hs_encounter_set_field(ctx, e, "bench.mate", m < gallery ? want : "-"));
            TRY("seal", hs_encounter_seal(ctx, NULL, &rs[i], e, box_pk, dev_sk, NULL));
            rec[i] = malloc(rs[i]);
            TRY("seal", hs_encounter_seal(ctx, rec[i], &rs[i], e, box_pk, dev_sk, NULL));
            hs_encounter_free(e);
            hs_template_free(t);
            hs_image_free(img);
            hs_synth_master_free(ms);
        }
        size_t bn = 0;
        TRY("batch", hs_encounter_batch_encode(ctx, NULL, &bn, (const void *const *)rec, rs, enc));
        uint8_t *batch = malloc(bn);
        TRY("batch", hs_encounter_batch_encode(ctx, batch, &bn, (const void *const *)rec, rs, enc));
        seal_ms[b] = bu_wall_ms() - t0;

        t0 = bu_wall_ms();
        TRY("submit", hs_cluster_submit(ctx, NULL, cl, batch, bn));
        sub_ms[b] = bu_wall_ms() - t0;
        hs_cluster_intake_stats ist = HS_CLUSTER_INTAKE_STATS_INIT;
        TRY("intake", hs_cluster_intake_next(ctx, &ist, in, 30000));
        if (ist.searched != enc)
            fprintf(stderr, "batch %u: %u of %u searched (%u incomplete, %u refused)\n", b,
                    ist.searched, enc, ist.incomplete, ist.refused);
        in_ms[b] = ist.ms;
        rate[b] = enc * 1000.0 / ist.ms;
        t0 = bu_wall_ms();
        hs_cluster_inbox *ib = NULL;
        TRY("fetch", hs_cluster_fetch(ctx, &ib, cl, dev_pk, sign_pk));
        TRY("confirm", hs_cluster_fetch_confirm(ctx, cl, ib));
        fe_ms[b] = bu_wall_ms() - t0;
        for (uint32_t i = 0; i < hs_cluster_inbox_verdicts(ib) && i < enc; i++) {
            if (i % 2)
                continue;
            mates++;
            const char *top = NULL;
            unsigned m = (unsigned)((b * 7919u + i * 104729u) % gallery);
            char want[24];
            snprintf(want, sizeof want, "G%06u", m);
            if (hs_cluster_inbox_candidate(ib, &top, NULL, NULL, i, 0) == HS_OK &&
                !strcmp(top, want))
                found++;
        }
        hs_cluster_inbox_free(ib);
        for (unsigned i = 0; i < enc; i++)
            free(rec[i]);
        free(batch);
        printf("batch %u: seal %.0f ms, submit %.1f ms, intake %.0f ms (%.1f encounters/s), "
               "fetch+confirm %.1f ms\n",
               b + 1, seal_ms[b], sub_ms[b], in_ms[b], rate[b], fe_ms[b]);
    }
    printf("median over %u batches of %u encounters (%s, gallery %u, %u shards):\n"
           "  device seal of a batch     %.0f ms\n"
           "  submit (stored on stream)  %.1f ms\n"
           "  intake (open, search, sign, publish, ack) %.0f ms = %.1f ms per encounter, "
           "%.1f encounters/s\n"
           "  fetch + confirm            %.1f ms\n"
           "  mates at rank 1: %u of %u\n",
           batches, enc, images ? "finger images, extracted centrally" : "templates", gallery,
           shards, bu_median(seal_ms, batches), bu_median(sub_ms, batches),
           bu_median(in_ms, batches), bu_median(in_ms, batches) / enc, bu_median(rate, batches),
           bu_median(fe_ms, batches), found, mates);
    hs_cluster_intake_free(in);
    hs_cluster_free(cl);
    cu_stop_all();
    hs_synth_free(gen);
    hs_encounter_registry_free(reg);
    hs_ctx_free(ctx);
    free(rec);
    free(rs);
    free(seal_ms);
    free(sub_ms);
    free(in_ms);
    free(fe_ms);
    free(rate);
    return 0;
}
