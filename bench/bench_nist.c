/* Rank-1 of the FVC sets through ANSI/NIST-ITL transactions against the
 * same figure from the raw images (issue 17: "enrolling the 80 first
 * impressions of the eight FVC sets from transactions built this way and
 * searching the 560 others gives the same rank-1 as enrolling the images
 * directly").
 *
 *   bench_nist [--bitrate B] [--threads T] [--minutiae] [--thorough N]
 *
 * For each of the 640 images of the eight FVC2002/2004 B sets
 * (../shared/data/fingerprint, resolution from the data README):
 *  - raw: the image's minutiae (hs_finger_extract at its own resolution);
 *  - transaction: a CPS transaction built by hs_nist_build_search from the
 *    image (brought to 500 ppi and WSQ-coded at B bits per pixel, default
 *    0.75, as `hotspot nist build` does), encoded (gallery: traditional,
 *    probes: XML), decoded again, and its fingers taken by hs_nist_fingers
 *    (the WSQ image decoded and extracted).
 * Both galleries enrol the first impression of the 80 fingers (position 1,
 * so that the comparisons counted are the same) in a watchlist; the 560
 * other impressions search it (filter and exhaustive). Prints rank-1 of each,
 * how many probes have the same top candidate, the mean transaction size and
 * the time per transaction. With --thorough N (up to 4 times) the searches
 * run again with hs_watchlist_search_options.thorough = N (the best N
 * re-scored in the matcher's thorough mode): rank-1 and the median time per
 * search, with and without, in the same run. Exits 0 with "SKIP" when the data is absent. */
#include "benchutil.h"

#include <hotspot/hotspot.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETS 8
#define FINGERS 10
#define IMPR 8

static hs_template *raw[SETS][FINGERS][IMPR], *txn[SETS][FINGERS][IMPR];

static void die(hs_ctx *ctx, const char *what, hs_status s)
{
    fprintf(stderr, "bench_nist: %s: %s: %s\n", what, hs_status_str(s),
            ctx ? hs_ctx_last_error(ctx) : "");
    exit(1);
}

/* A one-view copy of t with the finger position set. */
static hs_template *at_position(hs_ctx *ctx, const hs_template *t, uint32_t pos)
{
    hs_view_info vi = HS_VIEW_INFO_INIT;
    hs_template_view_info(t, &vi, 0);
    vi.finger_position = pos;
    uint32_t n;
    const hs_minutia *m = hs_template_minutiae(t, &n, 0);
    hs_template *u = NULL;
    hs_status s = hs_template_new(ctx, &u);
    if (!s)
        s = hs_template_add_view(ctx, u, &vi, m, n);
    if (s)
        die(ctx, "template", s);
    return u;
}

/* Rank-1 of the 560 probes against the 80 first impressions. top[] gets
 * each probe's top candidate (index of the finger, -1 none); *ms the median
 * wall time of a search (options.thorough = thorough). */
static int rank1(hs_template *t[SETS][FINGERS][IMPR], uint32_t flags, uint32_t threads,
                 uint32_t thorough, int *top, double *ms)
{
    static double times[560];
    hs_ctx *ctx = NULL;
    hs_ctx_new(&ctx, NULL);
    hs_watchlist *wl = NULL;
    hs_status s = hs_watchlist_new(ctx, &wl);
    char id[64];
    for (int g = 0; !s && g < SETS * FINGERS; g++) {
        hs_watchlist_subject *sub = NULL;
        snprintf(id, sizeof id, "%d", g);
        s = hs_watchlist_subject_new(ctx, &sub, id);
        if (!s)
            s = hs_watchlist_subject_add_finger(ctx, sub, t[g / FINGERS][g % FINGERS][0], 0);
        if (!s)
            s = hs_watchlist_add(ctx, wl, sub);
        hs_watchlist_subject_free(sub);
    }
    if (s)
        die(ctx, "enrol", s);
    hs_watchlist_search_options o = HS_WATCHLIST_SEARCH_OPTIONS_INIT;
    o.flags = flags;
    o.threads = threads;
    o.thorough = thorough;
    int ok = 0, k = 0;
    for (int g = 0; g < SETS * FINGERS; g++)
        for (int i = 1; i < IMPR; i++, k++) {
            hs_watchlist_result *r = NULL;
            double t0 = bu_wall_ms();
            s = hs_watchlist_search(ctx, &r, wl, t[g / FINGERS][g % FINGERS][i], NULL, 0, &o);
            times[k] = bu_wall_ms() - t0;
            if (s)
                die(ctx, "search", s);
            hs_watchlist_candidate c = HS_WATCHLIST_CANDIDATE_INIT;
            top[k] = hs_watchlist_result_candidate(r, &c, 0) == HS_OK ? atoi(c.id) : -1;
            ok += top[k] == g;
            hs_watchlist_result_free(r);
        }
    hs_watchlist_free(wl);
    hs_ctx_free(ctx);
    *ms = bu_median(times, 560);
    return ok;
}

int main(int argc, char **argv)
{
    float bitrate = 0.75f;
    uint32_t threads = 1, thorough[4], nthorough = 0;
    int with_minutiae = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--minutiae"))
            with_minutiae = 1;
        else if (!strcmp(argv[i], "--bitrate") && i + 1 < argc)
            bitrate = (float)atof(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--thorough") && i + 1 < argc && nthorough < 4)
            thorough[nthorough++] = (uint32_t)atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_nist [--bitrate B] [--threads T] [--minutiae] "
                            "[--thorough N]\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    char path[4096];
    snprintf(path, sizeof path, "%s/fingerprint/%s/101_1.tif", bu_shared_root(),
             bu_fvc_sets[0].name);
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        printf("SKIP: %s is absent (set HS_SHARED_DATA)\n", path);
        return 0;
    }
    fclose(probe);
    hs_ctx *ctx = NULL;
    hs_ctx_new(&ctx, NULL);
    hs_finger_extractor *ex = NULL;
    hs_status s = hs_finger_extractor_new(ctx, &ex);
    if (s)
        die(ctx, "extractor", s);
    hs_nist_build_options bo = HS_NIST_BUILD_OPTIONS_INIT;
    bo.wsq_bitrate = bitrate;
    memcpy(bo.dai_country, "XPO", 4);
    memcpy(bo.ori_country, "DEU", 4);
    double bytes = 0, txn_ms = 0, raw_ms = 0;
    for (int st = 0; st < SETS; st++)
        for (int f = 0; f < FINGERS; f++)
            for (int i = 0; i < IMPR; i++) {
                snprintf(path, sizeof path, "%s/fingerprint/%s/%d_%d.tif", bu_shared_root(),
                         bu_fvc_sets[st].name, 101 + f, i + 1);
                hs_image *img = NULL;
                if ((s = hs_image_load(ctx, &img, path, 0)) != HS_OK)
                    die(ctx, path, s);
                hs_image_set_ppi(img, bu_fvc_sets[st].ppi);
                double t0 = bu_thread_cpu_ms();
                hs_template *t = NULL;
                if ((s = hs_finger_extract(ctx, &t, ex, img)) != HS_OK)
                    die(ctx, path, s);
                raw[st][f][i] = at_position(ctx, t, 1);
                hs_template_free(t);
                double t1 = bu_thread_cpu_ms();
                raw_ms += t1 - t0;
                /* The transaction: built, encoded, read back, its fingers. */
                hs_nist_finger fg = {img, 1, 255};
                hs_nist *n = NULL, *back = NULL;
                s = hs_nist_build_search(ctx, &n, "CPS", "BKA", "Bundeskriminalamt", "INT",
                                         "INTERPOL", (uint64_t)(st * 100 + f * 10 + i),
                                         1796558400, &fg, 1, NULL, 0,
                                         with_minutiae ? raw[st][f][i] : NULL, &bo);
                if (s)
                    die(ctx, "build", s);
                hs_nist_encoding enc = i ? HS_NIST_ENCODING_XML : HS_NIST_ENCODING_TRADITIONAL;
                size_t size = 0;
                uint8_t *buf = NULL;
                s = hs_nist_encode(ctx, NULL, &size, n, enc, 0);
                if (!s && !(buf = malloc(size)))
                    s = HS_ERR_NOMEM;
                if (!s)
                    s = hs_nist_encode(ctx, buf, &size, n, enc, 0);
                if (!s)
                    s = hs_nist_decode(ctx, &back, NULL, buf, size, 0);
                if (!s)
                    s = hs_nist_fingers(ctx, &txn[st][f][i], back, ex, 0);
                if (s)
                    die(ctx, path, s);
                txn_ms += bu_thread_cpu_ms() - t1;
                bytes += (double)size;
                free(buf);
                hs_nist_free(n);
                hs_nist_free(back);
                hs_image_free(img);
            }
    printf("640 FVC images: raw extraction %.0f ms each; transaction (build with WSQ at %.2f "
           "bpp, encode, decode, hs_nist_fingers) %.0f ms each, %.0f bytes on average\n",
           raw_ms / 640, bitrate, txn_ms / 640, bytes / 640);
    static int top_raw[560], top_txn[560];
    for (int exh = 0; exh < 2; exh++) {
        uint32_t flags = exh ? HS_WATCHLIST_EXHAUSTIVE : 0;
        double ma, mb;
        int a = rank1(raw, flags, threads, 0, top_raw, &ma);
        int b = rank1(txn, flags, threads, 0, top_txn, &mb);
        int same = 0;
        for (int k = 0; k < 560; k++)
            same += top_raw[k] == top_txn[k];
        printf("watchlist (%s), 80 enrolled, 560 probes: rank-1 raw images %.2f%% (%d/560), "
               "from transactions %.2f%% (%d/560), difference %+d probes; same top candidate "
               "for %d/560\n",
               exh ? "exhaustive" : "filter", 100.0 * a / 560, a, 100.0 * b / 560, b, b - a,
               same);
        for (uint32_t q = 0; q < nthorough; q++) {
            static int top2[560];
            double ta, tb;
            int a2 = rank1(raw, flags, threads, thorough[q], top2, &ta);
            int b2 = rank1(txn, flags, threads, thorough[q], top2, &tb);
            printf("  thorough %u: rank-1 raw %.2f%% (%d/560, %+d), transactions %.2f%% "
                   "(%d/560, %+d); median ms per search raw %.3f -> %.3f (x%.2f), "
                   "transactions %.3f -> %.3f (x%.2f)\n",
                   thorough[q], 100.0 * a2 / 560, a2, a2 - a, 100.0 * b2 / 560, b2, b2 - b, ma, ta,
                   ta / ma, mb, tb, tb / mb);
        }
        if (exh)
            continue;
        printf("  per set (raw / transactions, of 70):");
        for (int st = 0; st < SETS; st++) {
            int ra = 0, rb = 0;
            for (int k = st * 70; k < st * 70 + 70; k++) {
                ra += top_raw[k] == k / 7;
                rb += top_txn[k] == k / 7;
            }
            printf(" %s %d/%d", bu_fvc_sets[st].name + 3, ra, rb);
        }
        printf("\n");
    }
    for (int st = 0; st < SETS; st++)
        for (int f = 0; f < FINGERS; f++)
            for (int i = 0; i < IMPR; i++) {
                hs_template_free(raw[st][f][i]);
                hs_template_free(txn[st][f][i]);
            }
    hs_finger_extractor_free(ex);
    hs_ctx_free(ctx);
    return 0;
}
