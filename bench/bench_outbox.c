/* Outbox benchmark: what queuing an offline check costs on the device.
 *
 *   bench_outbox [--appends N] [--list N] [--checks K] [--dir DIR]
 *
 * The encounter is what a checkpoint captures: two synthetic finger images
 * (400x400, 500 ppi, WSQ in the transaction) and a face-size image
 * (480x640 grey, JPEG), sealed to an authority key with a device key.
 * Prints, in one run:
 *  1. durable appends (write + fdatasync; with the audit entry each append
 *     logs, also durable): appends per second and the latency distribution
 *     (median, p90, p99) over N appends of distinct sealed encounters, with
 *     and without the audit log;
 *  2. the check itself (extract the two fingers + search a list of --list
 *     synthetic subjects, default 10,000) against what the device adds per
 *     check: sealing (transaction with WSQ and JPEG, sealed box, signature),
 *     and append + audit (search entry + append entry); medians over K
 *     checks, each also as a percentage of the check's own time.
 * DIR (default $TMPDIR or /tmp) is where the outbox and audit log are
 * written: durability costs what that file system's flush costs, so run it
 * where the device keeps its data. */
#include "benchutil.h"

#include <hotspot/hotspot.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void die(hs_ctx *ctx, hs_status s, const char *what)
{
    fprintf(stderr, "bench_outbox: %s: %s: %s\n", what, hs_status_str(s), hs_ctx_last_error(ctx));
    exit(1);
}

#define CK(ctx, call, what)                                                                     \
    do {                                                                                        \
        hs_status s_ = (call);                                                                  \
        if (s_)                                                                                 \
            die(ctx, s_, what);                                                                 \
    } while (0)

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_d);
    size_t i = (size_t)(p * (double)(n - 1) + 0.5);
    return v[i < n ? i : n - 1];
}

static uint8_t box_pk[32], box_sk[32], auth_pk[32], auth_sk[64], dev_pk[32], dev_sk[64], skey[32];

static uint8_t *seal(hs_ctx *ctx, size_t *size, hs_image *const fingers[2], const hs_image *face)
{
    hs_encounter *e = NULL;
    CK(ctx, hs_encounter_new(ctx, &e), "encounter");
    CK(ctx, hs_encounter_add_finger_image(ctx, e, fingers[0], 2, 255), "finger");
    CK(ctx, hs_encounter_add_finger_image(ctx, e, fingers[1], 7, 255), "finger");
    CK(ctx, hs_encounter_set_face(ctx, e, face), "face");
    CK(ctx, hs_encounter_set_decision(ctx, e, HS_ENCOUNTER_NO_HIT), "decision");
    CK(ctx, hs_encounter_set_text(ctx, e, HS_ENCOUNTER_TEXT_SHOWN, "no hit"), "shown");
    CK(ctx, hs_encounter_seal(ctx, NULL, size, e, box_pk, dev_sk, NULL), "seal size");
    uint8_t *b = malloc(*size);
    if (!b)
        exit(1);
    CK(ctx, hs_encounter_seal(ctx, b, size, e, box_pk, dev_sk, NULL), "seal");
    hs_encounter_free(e);
    return b;
}

static void rmrf(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "bench_outbox: cannot remove %s\n", dir);
}

int main(int argc, char **argv)
{
    unsigned nappend = 200, nlist = 10000, nchecks = 15;
    const char *base = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--appends") && i + 1 < argc)
            nappend = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--list") && i + 1 < argc)
            nlist = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--checks") && i + 1 < argc)
            nchecks = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--dir") && i + 1 < argc)
            base = argv[++i];
        else {
            fprintf(stderr, "usage: bench_outbox [--appends N] [--list N] [--checks K] "
                            "[--dir DIR]\n");
            return 2;
        }
    }
    if (nappend < 10 || nchecks < 3 || nlist < 10) {
        fprintf(stderr, "bench_outbox: at least 10 appends, 3 checks, 10 subjects\n");
        return 2;
    }
    hs_ctx *ctx = NULL;
    CK(ctx, hs_ctx_new(&ctx, NULL), "ctx");
    hs_status ks = hs_device_keygen(dev_pk, dev_sk, skey);
    if (ks == HS_ERR_NOT_BUILT) {
        printf("SKIP: built without libsodium\n");
        return 0;
    }
    CK(ctx, ks, "device keygen");
    CK(ctx, hs_encounter_keygen_authority(box_pk, box_sk, auth_pk, auth_sk), "authority keygen");

    /* the captures: two synthetic fingers, a face-size picture */
    hs_synth *gen = NULL;
    CK(ctx, hs_synth_new(ctx, &gen, 2026), "synth");
    hs_synth_master *pm[2] = {NULL, NULL};
    hs_image *fingers[2] = {NULL, NULL};
    for (int f = 0; f < 2; f++) {
        hs_template *truth = NULL;
        CK(ctx, hs_synth_master_new(ctx, &pm[f], gen, 900000u + (unsigned)f), "master");
        CK(ctx, hs_synth_impression(ctx, &fingers[f], &truth, gen, pm[f], 1), "impression");
        hs_template_free(truth);
    }
    hs_image *face = NULL;
    CK(ctx, hs_image_new(ctx, &face, 480, 640, 0, 0), "face image");
    {
        uint8_t *px = hs_image_pixels_mut(face);
        uint32_t st = hs_image_stride(face), s = 12345;
        for (uint32_t y = 0; y < 640; y++)
            for (uint32_t x = 0; x < 480; x++) {
                s = s * 1103515245u + 12345u;
                px[(size_t)y * st + x] = (uint8_t)(((x / 8 + y / 8) * 9 + (s >> 28)) & 255);
            }
    }

    char dir[1024];
    snprintf(dir, sizeof dir, "%s/bench-outbox-%d", base, (int)getpid());
    rmrf(dir);
    if (mkdir(dir, 0700) != 0) {
        perror(dir);
        return 1;
    }

    /* 1. durable appends */
    printf("outbox in %s\n", dir);
    printf("sealing %u encounters (2 fingers WSQ + face JPEG)...\n", nappend);
    uint8_t **sealed = calloc(nappend, sizeof *sealed);
    size_t *sizes = calloc(nappend, sizeof *sizes);
    double *seal_ms = calloc(nappend, sizeof *seal_ms);
    double *lat = calloc(nappend, sizeof *lat);
    if (!sealed || !sizes || !seal_ms || !lat)
        return 1;
    double total_bytes = 0;
    for (unsigned i = 0; i < nappend; i++) {
        double t0 = bu_wall_ms();
        sealed[i] = seal(ctx, &sizes[i], fingers, face);
        seal_ms[i] = bu_wall_ms() - t0;
        total_bytes += (double)sizes[i];
    }
    printf("sealed encounter: %.0f bytes on average; seal median %.1f ms\n",
           total_bytes / nappend, bu_median(seal_ms, nappend));
    for (int with_audit = 0; with_audit <= 1; with_audit++) {
        char sub[1100];
        snprintf(sub, sizeof sub, "%s/%s", dir, with_audit ? "audit" : "plain");
        mkdir(sub, 0700);
        hs_audit *log = NULL;
        if (with_audit)
            CK(ctx, hs_audit_open(ctx, &log, sub, dev_sk, NULL), "audit open");
        hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
        memcpy(o.device_public, dev_pk, 32);
        o.audit = log;
        hs_outbox *ob = NULL;
        CK(ctx, hs_outbox_open(ctx, &ob, sub, &o), "outbox open");
        double t0 = bu_wall_ms();
        for (unsigned i = 0; i < nappend; i++) {
            double a = bu_wall_ms();
            CK(ctx, hs_outbox_append(ctx, ob, sealed[i], sizes[i]), "append");
            lat[i] = bu_wall_ms() - a;
        }
        double total = bu_wall_ms() - t0;
        printf("%-22s %u appends: %.1f appends/s; latency median %.2f ms, p90 %.2f ms, "
               "p99 %.2f ms\n",
               with_audit ? "append + audit entry" : "append", nappend, nappend * 1000.0 / total,
               pct(lat, nappend, 0.5), pct(lat, nappend, 0.9), pct(lat, nappend, 0.99));
        hs_outbox_close(ob);
        hs_audit_close(log);
    }

    /* 2. the check and what the device adds to it */
    printf("building a list of %u synthetic subjects...\n", nlist);
    hs_watchlist *wl = NULL;
    CK(ctx, hs_watchlist_new(ctx, &wl), "list");
    unsigned per = nlist / 200 ? nlist / 200 : 1;
    unsigned masters = (nlist + per - 1) / per, added = 0;
    for (unsigned m = 0; m < masters && added < nlist; m++) {
        hs_synth_master *sm = NULL;
        CK(ctx, hs_synth_master_new(ctx, &sm, gen, m), "master");
        for (unsigned k = 0; k < per && added < nlist; k++) {
            hs_image *img = NULL;
            hs_template *truth = NULL;
            CK(ctx, hs_synth_impression(ctx, &img, &truth, gen, sm, k + 1), "impression");
            hs_image_free(img);
            char id[32];
            snprintf(id, sizeof id, "S-%u", added);
            hs_watchlist_subject *s = NULL;
            CK(ctx, hs_watchlist_subject_new(ctx, &s, id), "subject");
            CK(ctx, hs_watchlist_subject_add_finger(ctx, s, truth, 0), "add finger");
            CK(ctx, hs_watchlist_add(ctx, wl, s), "add");
            hs_watchlist_subject_free(s);
            hs_template_free(truth);
            added++;
        }
        hs_synth_master_free(sm);
    }
    hs_finger_extractor *ex = NULL;
    CK(ctx, hs_finger_extractor_new(ctx, &ex), "extractor");
    char sub[1100];
    snprintf(sub, sizeof sub, "%s/checks", dir);
    mkdir(sub, 0700);
    hs_audit *log = NULL;
    CK(ctx, hs_audit_open(ctx, &log, sub, dev_sk, NULL), "audit open");
    hs_outbox_options o = HS_OUTBOX_OPTIONS_INIT;
    memcpy(o.device_public, dev_pk, 32);
    o.audit = log;
    hs_outbox *ob = NULL;
    CK(ctx, hs_outbox_open(ctx, &ob, sub, &o), "outbox open");
    double *t_check = calloc(nchecks, sizeof(double)), *t_seal = calloc(nchecks, sizeof(double));
    double *t_queue = calloc(nchecks, sizeof(double)), *r_seal = calloc(nchecks, sizeof(double));
    double *r_queue = calloc(nchecks, sizeof(double));
    if (!t_check || !t_seal || !t_queue || !r_seal || !r_queue)
        return 1;
    for (unsigned c = 0; c < nchecks; c++) {
        /* the check: extract two fingers, search */
        double t0 = bu_wall_ms();
        hs_template *probe = NULL;
        CK(ctx, hs_template_new(ctx, &probe), "probe");
        for (int f = 0; f < 2; f++) {
            hs_template *t = NULL;
            CK(ctx, hs_finger_extract(ctx, &t, ex, fingers[f]), "extract");
            hs_view_info vi;
            memset(&vi, 0, sizeof vi);
            vi.struct_size = sizeof vi;
            hs_template_view_info(t, &vi, 0);
            vi.finger_position = f ? 7 : 2;
            uint32_t n;
            const hs_minutia *mm = hs_template_minutiae(t, &n, 0);
            CK(ctx, hs_template_add_view(ctx, probe, &vi, mm, n), "view");
            hs_template_free(t);
        }
        hs_watchlist_result *r = NULL;
        CK(ctx, hs_watchlist_search(ctx, &r, wl, probe, NULL, 0, NULL), "search");
        uint32_t ncand = hs_watchlist_result_count(r);
        double t1 = bu_wall_ms();
        /* what the device adds: seal (encounter, transaction, crypto) ... */
        size_t n = 0;
        uint8_t *b = seal(ctx, &n, fingers, face);
        double t2 = bu_wall_ms();
        /* ... and queue it: the search entry, the append and its entry */
        hs_audit_entry ae = HS_AUDIT_ENTRY_INIT;
        ae.event = HS_AUDIT_SEARCH;
        ae.ref = "1";
        ae.decision = 0;
        ae.count = ncand;
        CK(ctx, hs_audit_append(ctx, log, &ae), "audit search");
        CK(ctx, hs_outbox_append(ctx, ob, b, n), "append");
        double t3 = bu_wall_ms();
        free(b);
        hs_watchlist_result_free(r);
        hs_template_free(probe);
        t_check[c] = t1 - t0;
        t_seal[c] = t2 - t1;
        t_queue[c] = t3 - t2;
        r_seal[c] = 100.0 * t_seal[c] / t_check[c];
        r_queue[c] = 100.0 * t_queue[c] / t_check[c];
    }
    printf("check (extract 2 fingers + search %u subjects): median %.1f ms over %u checks\n",
           nlist, bu_median(t_check, nchecks), nchecks);
    printf("  seal the encounter (transaction, WSQ, JPEG, sealed box, signature): median "
           "%.1f ms = %.1f%% of the check\n",
           bu_median(t_seal, nchecks), bu_median(r_seal, nchecks));
    printf("  queue it (audit search entry + durable append + its audit entry): median "
           "%.2f ms = %.2f%% of the check\n",
           bu_median(t_queue, nchecks), bu_median(r_queue, nchecks));
    hs_outbox_close(ob);
    hs_audit_close(log);
    hs_finger_extractor_free(ex);
    hs_watchlist_free(wl);
    for (unsigned i = 0; i < nappend; i++)
        free(sealed[i]);
    free(sealed);
    free(sizes);
    free(seal_ms);
    free(lat);
    free(t_check);
    free(t_seal);
    free(t_queue);
    free(r_seal);
    free(r_queue);
    for (int f = 0; f < 2; f++) {
        hs_image_free(fingers[f]);
        hs_synth_master_free(pm[f]);
    }
    hs_image_free(face);
    hs_synth_free(gen);
    hs_ctx_free(ctx);
    rmrf(dir);
    return 0;
}
