/* Fingerprint matcher benchmark on the SecuGen ISO templates of the eight
 * FVC2002/2004 B sets (../shared/data/fingerprint/iso19794-2-secugen):
 *  - comparisons per second on one core (thread CPU time, prepared probe
 *    against prepared candidates, all 3,160 pairs of each set, median over
 *    repeats), for the default matcher, HS_MATCH_FAST, a 60-degree bound and
 *    HS_MATCH_THOROUGH (with its ratio to the default);
 *  - preparation time, encoded size, memory and decoding time per template;
 *  - identification: gallery = first impression of the 80 fingers, probes =
 *    the 560 other impressions, rank-1 rate, and rank-1 when the best K = 5
 *    or 10 gallery fingers of each probe are re-scored by a second matcher
 *    in HS_MATCH_THOROUGH mode and ranked by that (public API only);
 *  - with --calibrate: impostor score quantiles and the fitted tail used for
 *    hs_finger_threshold_for_fmr (ISO templates, our extractor on the FVC
 *    images and on the Neurotechnology sample set; see docs/finger-matching.md).
 * With --images the templates come from our extractor on the FVC images
 * instead of the ISO files.
 * With --dump FILE every score of the speed pairs is written to FILE (one
 * per line, fixed order, nine significant digits: every float exactly), so
 * that two builds can be compared score by score.
 * With --pairs N only the first N speed pairs are compared, once, after the
 * templates are loaded (and the dump written), and nothing else is
 * measured: run with N = 0 and N = 25280 under an emulator that counts
 * instructions, the difference is the matcher's count
 * (tools/count-insns-arm64.sh). --fast, --thorough and --max-rotation DEG set the
 * matcher's mode for the dump and the pairs, and imply --pairs 0 unless it
 * is given (the speed figures always cover the four modes).
 * With --calibrate --thorough the calibration (only) runs in HS_MATCH_THOROUGH
 * mode, for the comparison of its impostor quantiles with the default's.
 * --kernels portable|avx2|avx512|neon picks the matcher's kernel set (default: the
 * fastest the CPU runs, and then the slower sets are measured too, in the
 * same run); every set must give the same scores.
 * Usage: bench_match [--repeats N] [--images] [--calibrate] [--dump FILE]
 *                    [--kernels portable|avx2|avx512|neon] [--pairs N]
 *                    [--fast] [--thorough] [--max-rotation DEG] */
#include "benchutil.h"

#include <hotspot/hotspot.h>

#include "internal/match.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NSETS 8
#define NPER 80

static hs_finger_prepared *prep[NSETS][NPER];

static int load_iso(hs_finger_extractor *ex)
{
    double ms[NSETS * NPER];
    int n = 0;
    for (int s = 0; s < NSETS; s++)
        for (int k = 0; k < NPER; k++) {
            hs_template *t = bu_fvc_template(s, 101 + k / 8, 1 + k % 8, ex);
            if (!t) {
                fprintf(stderr, "bench_match: cannot load %s %d_%d\n", bu_fvc_sets[s].name,
                        101 + k / 8, 1 + k % 8);
                return -1;
            }
            double t0 = bu_thread_cpu_ms();
            hs_status st = hs_finger_prepare(NULL, &prep[s][k], t, 0);
            ms[n++] = bu_thread_cpu_ms() - t0;
            hs_template_free(t);
            if (st != HS_OK)
                return -1;
        }
    size_t bytes = 0, mem = 0, mins = 0;
    for (int s = 0; s < NSETS; s++)
        for (int k = 0; k < NPER; k++) {
            size_t sz = 0;
            hs_finger_prepared_encode(NULL, NULL, &sz, prep[s][k]);
            bytes += sz;
            mem += prep[s][k]->block;
            mins += prep[s][k]->count;
        }
    printf("templates: %d, mean minutiae %.1f\n", n, (double)mins / n);
    printf("prepare: median %.1f us per template\n", 1000.0 * bu_median(ms, (size_t)n));
    printf("prepared size: mean %.0f bytes encoded (16 + %u per minutia), %.0f bytes in memory\n",
           (double)bytes / n, (unsigned)(HS__PREPARED_BYTES(1) - HS__PREPARED_BYTES(0)),
           (double)mem / n);
    /* decoding speed: what loading a stored watchlist costs */
    uint8_t *buf = malloc(bytes);
    size_t off[NSETS * NPER + 1];
    off[0] = 0;
    for (int i = 0; i < n; i++) {
        size_t sz = bytes - off[i];
        hs_finger_prepared_encode(NULL, buf + off[i], &sz, prep[i / NPER][i % NPER]);
        off[i + 1] = off[i] + sz;
    }
    double t0 = bu_thread_cpu_ms();
    int reps = 20;
    for (int r = 0; r < reps; r++)
        for (int i = 0; i < n; i++) {
            hs_finger_prepared *p = NULL;
            hs_finger_prepared_decode(NULL, &p, buf + off[i], off[i + 1] - off[i]);
            hs_finger_prepared_free(p);
        }
    printf("decode: %.2f us per template (100,000 in %.2f s)\n",
           1000.0 * (bu_thread_cpu_ms() - t0) / (reps * n),
           100000.0 * (bu_thread_cpu_ms() - t0) / (reps * n) / 1000.0);
    free(buf);
    return 0;
}

static double speed(hs_finger_matcher *m, int repeats)
{
    double rate[16];
    float sink = 0;
    for (int r = 0; r < repeats; r++) {
        long nc = 0;
        double t0 = bu_thread_cpu_ms();
        for (int s = 0; s < NSETS; s++)
            for (int a = 0; a < NPER; a++)
                for (int b = a + 1; b < NPER; b++) {
                    float sc;
                    hs_finger_match(m, &sc, prep[s][a], prep[s][b]);
                    sink += sc;
                    nc++;
                }
        rate[r] = (double)nc / ((bu_thread_cpu_ms() - t0) / 1000.0);
    }
    if (sink < 0)
        printf("?");
    return bu_median(rate, (size_t)repeats);
}

static const char *kernel_name(int32_t k)
{
    return k == HS_MATCH_KERNELS_AVX512 ? "AVX-512"
           : k == HS_MATCH_KERNELS_AVX2 ? "AVX2"
           : k == HS_MATCH_KERNELS_NEON ? "NEON"
           : k == HS_MATCH_KERNELS_PORTABLE ? "portable"
                                            : "auto";
}

static int dump(hs_finger_matcher *m, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    for (int s = 0; s < NSETS; s++)
        for (int a = 0; a < NPER; a++)
            for (int b = a + 1; b < NPER; b++) {
                float sc;
                hs_finger_match(m, &sc, prep[s][a], prep[s][b]);
                fprintf(f, "%d %d %d %.9g\n", s, a, b, (double)sc);
            }
    return fclose(f);
}

/* The first n speed pairs, compared once (for instruction counts). */
static float match_pairs(hs_finger_matcher *m, long n)
{
    float sink = 0;
    long done = 0;
    for (int s = 0; s < NSETS; s++)
        for (int a = 0; a < NPER; a++)
            for (int b = a + 1; b < NPER; b++) {
                if (done++ >= n)
                    return sink;
                float sc;
                hs_finger_match(m, &sc, prep[s][a], prep[s][b]);
                sink += sc;
            }
    return sink;
}

#define RERANK_MAX 10

/* Rank-1 of the identification protocol with m, and with the best K (5 and
 * 10) of each probe's 80 gallery scores re-scored by mt (a matcher in
 * HS_MATCH_THOROUGH mode) and ranked by that: rerank[0] for K = 5,
 * rerank[1] for K = 10 (when mt is not NULL). Ties keep the gallery order. */
static double rank1(hs_finger_matcher *m, hs_finger_matcher *mt, double *rerank)
{
    int hits = 0, probes = 0, rhits[2] = {0, 0};
    static const int kk[2] = {5, RERANK_MAX};
    for (int s = 0; s < NSETS; s++)
        for (int k = 0; k < NPER; k++) {
            if (k % 8 == 0)
                continue;
            float sc[NSETS * 10];
            int top[RERANK_MAX], ntop = 0;
            for (int s2 = 0; s2 < NSETS; s2++)
                for (int f = 0; f < 10; f++) {
                    int g = s2 * 10 + f;
                    hs_finger_match(m, &sc[g], prep[s][k], prep[s2][f * 8]);
                    /* the best RERANK_MAX so far, by score, then gallery order */
                    int pos = ntop;
                    while (pos > 0 && sc[g] > sc[top[pos - 1]])
                        pos--;
                    if (pos >= RERANK_MAX)
                        continue;
                    for (int q = ntop < RERANK_MAX ? ntop : RERANK_MAX - 1; q > pos; q--)
                        top[q] = top[q - 1];
                    top[pos] = g;
                    if (ntop < RERANK_MAX)
                        ntop++;
                }
            const int truth = s * 10 + k / 8;
            probes++;
            hits += top[0] == truth;
            if (!mt)
                continue;
            float ts[RERANK_MAX];
            for (int q = 0; q < ntop; q++)
                hs_finger_match(mt, &ts[q], prep[s][k], prep[top[q] / 10][top[q] % 10 * 8]);
            for (int r = 0; r < 2; r++) {
                int bq = 0;
                for (int q = 1; q < kk[r] && q < ntop; q++)
                    if (ts[q] > ts[bq])
                        bq = q;
                rhits[r] += top[bq] == truth;
            }
        }
    for (int r = 0; r < 2 && mt; r++)
        rerank[r] = 100.0 * rhits[r] / probes;
    return 100.0 * hits / probes;
}

/* ---- calibration ------------------------------------------------------- */

static double *imp;
static size_t nimp, capimp;

static void add_imp(double v)
{
    if (nimp == capimp) {
        capimp = capimp ? 2 * capimp : 65536;
        imp = realloc(imp, capimp * sizeof *imp);
        if (!imp)
            exit(1);
    }
    imp[nimp++] = v;
}

/* Impostors of the FVC sources by the smaller template's minutia count
 * (<15, 15-19, 20-24, 25-29, 30-39, >= 40): pairs, and pairs at or above the
 * library's 1e-2 and 1e-3 thresholds. */
static long size_n[6], size_hit2[6], size_hit3[6];
static int size_bucket_on;

/* Cross-finger scores of n prepared samples with finger keys. */
static void impostors(hs_finger_matcher *m, hs_finger_prepared **p, const int *finger, int n)
{
    const float t2 = bu_thr(1e-2), t3 = bu_thr(1e-3);
    for (int a = 0; a < n; a++)
        for (int b = a + 1; b < n; b++) {
            if (finger[a] == finger[b] || !p[a] || !p[b])
                continue;
            float sc;
            hs_finger_match(m, &sc, p[a], p[b]);
            add_imp(sc);
            if (size_bucket_on) {
                uint32_t na = hs_finger_prepared_count(p[a]), nb = hs_finger_prepared_count(p[b]);
                uint32_t mn = na < nb ? na : nb;
                int k = mn < 15 ? 0 : mn < 20 ? 1 : mn < 25 ? 2 : mn < 30 ? 3 : mn < 40 ? 4 : 5;
                size_n[k]++;
                size_hit2[k] += sc >= t2;
                size_hit3[k] += sc >= t3;
            }
        }
}

static int extract_folder(hs_finger_extractor *ex, const char *dir, int nt, unsigned ppi,
                          hs_finger_prepared **p, int *finger, int nfingers, int nimp_per)
{
    int n = 0;
    for (int f = 0; f < nfingers; f++)
        for (int i = 1; i <= nimp_per; i++) {
            char path[1200];
            if (nt)
                snprintf(path, sizeof path, "%s/%03d_%d_%d.tif", dir, 1 + f / 10, f % 10 + 1, i);
            else
                snprintf(path, sizeof path, "%s/%d_%d.tif", dir, 101 + f, i);
            hs_image *img = NULL;
            hs_template *t = NULL;
            p[n] = NULL;
            finger[n] = f;
            if (hs_image_load(NULL, &img, path, 0) == HS_OK) {
                if (ppi)
                    hs_image_set_ppi(img, ppi);
                if (hs_finger_extract(NULL, &t, ex, img) == HS_OK)
                    hs_finger_prepare(NULL, &p[n], t, 0);
            }
            hs_template_free(t);
            hs_image_free(img);
            if (p[n] || !nt)
                n++;
        }
    return n;
}

static int dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void calibrate(const char *root, hs_finger_matcher *m)
{
    int finger[1024];
    hs_finger_prepared *p[1024];
    size_bucket_on = 1;
    for (int s = 0; s < NSETS; s++) {
        for (int k = 0; k < NPER; k++)
            finger[k] = k / 8;
        impostors(m, prep[s], finger, NPER);
    }
    size_t src_end[3];
    src_end[0] = nimp;
    printf("calibration: %zu impostor scores from the ISO templates\n", nimp);
    hs_finger_extractor *ex = NULL;
    hs_finger_extractor_new(NULL, &ex);
    for (int s = 0; s < NSETS; s++) {
        char dir[900];
        snprintf(dir, sizeof dir, "%s/fingerprint/%s", root, bu_fvc_sets[s].name);
        int n = extract_folder(ex, dir, 0, bu_fvc_sets[s].ppi, p, finger, 10, 8);
        impostors(m, p, finger, n);
        for (int i = 0; i < n; i++)
            hs_finger_prepared_free(p[i]);
    }
    src_end[1] = nimp;
    size_bucket_on = 0;
    printf("calibration: %zu with our extractor on the FVC images\n", nimp);
    {
        static const char *lab[6] = {"<15", "15-19", "20-24", "25-29", "30-39", ">=40"};
        printf("FVC impostors (ISO and our extractor) by the smaller minutia count:\n");
        for (int k = 0; k < 6; k++)
            if (size_n[k])
                printf("  %-5s %6ld pairs, FMR at the library's 1e-2 / 1e-3 thresholds %.4f / "
                       "%.5f\n",
                       lab[k], size_n[k], (double)size_hit2[k] / (double)size_n[k],
                       (double)size_hit3[k] / (double)size_n[k]);
    }
    {
        /* Neurotechnology names: {person}_{finger}_{impression}; walk the
         * ids that exist (persons 1-..., fingers 1-10). */
        char dir[900];
        snprintf(dir, sizeof dir, "%s/fingerprint/NEUROTECH_CROSSMATCH", root);
        int n = extract_folder(ex, dir, 1, 0, p, finger, 800, 8);
        impostors(m, p, finger, n);
        for (int i = 0; i < n; i++)
            hs_finger_prepared_free(p[i]);
        printf("calibration: %zu with the Neurotechnology set (%d samples)\n", nimp, n);
    }
    src_end[2] = nimp;
    /* Each source counts equally, however many pairs it has (the
     * Neurotechnology set has 3.5 times the pairs of an FVC source and
     * lower impostor scores, so a pooled quantile would favour it):
     * FMR(t) = mean over the sources of the share of their impostors >= t. */
    {
        size_t b0[3] = {0, src_end[0], src_end[1]};
        for (int k = 0; k < 3; k++)
            qsort(imp + b0[k], src_end[k] - b0[k], sizeof *imp, dcmp);
        printf("equal-weight thresholds (ISO, our extractor, Neurotechnology):\n");
        for (double f = 1e-2; f >= 1e-4 * 0.99; f /= 10) {
            /* smallest t among the scores with mixture FMR(t) <= f */
            double best = 1.0;
            for (int k = 0; k < 3; k++)
                for (size_t i = b0[k]; i < src_end[k]; i++) {
                    double t = imp[i], fm = 0;
                    for (int q = 0; q < 3; q++) {
                        size_t n = src_end[q] - b0[q], lo = b0[q], hi = src_end[q];
                        while (lo < hi) { /* first index with score >= t */
                            size_t mid = lo + (hi - lo) / 2;
                            if (imp[mid] < t)
                                lo = mid + 1;
                            else
                                hi = mid;
                        }
                        fm += (double)(src_end[q] - lo) / (double)n / 3.0;
                    }
                    if (fm <= f && t < best)
                        best = t;
                }
            double per[3];
            for (int k = 0; k < 3; k++) {
                size_t n = src_end[k] - b0[k], allowed = (size_t)floor(f * (double)n);
                per[k] = allowed >= 1 ? imp[src_end[k] - allowed] : NAN;
            }
            printf("  FMR %.0e: t = %.4f (per source %.4f %.4f %.4f)\n", f, best, per[0], per[1],
                   per[2]);
        }
        printf("  largest impostor score per source: %.4f %.4f %.4f\n", imp[src_end[0] - 1],
               imp[src_end[1] - 1], imp[src_end[2] - 1]);
    }
    hs_finger_extractor_free(ex);
    qsort(imp, nimp, sizeof *imp, dcmp);
    printf("empirical thresholds (FMR(t) = share of impostors >= t):\n");
    for (double f = 1e-2; f >= 1e-5 * 0.99; f /= 10) {
        size_t allowed = (size_t)floor(f * (double)nimp);
        if (allowed < 1) {
            printf("  FMR %.0e: too few impostors\n", f);
            continue;
        }
        printf("  FMR %.0e: t = %.4f (%zu of %zu above)\n", f, imp[nimp - allowed], allowed,
               nimp);
    }
    /* exponential tail above the 1e-3 quantile: P(S >= t) = 1e-3 exp(-(t - t0) / beta) */
    size_t k = (size_t)(1e-3 * (double)nimp);
    double t0 = imp[nimp - k], mean = 0;
    for (size_t i = nimp - k; i < nimp; i++)
        mean += imp[i] - t0;
    double beta = mean / (double)k;
    printf("tail fit: t0 = %.4f at FMR 1e-3, beta = %.4f (%zu exceedances)\n", t0, beta, k);
    for (double f = 1e-2; f >= 1e-6 * 0.99; f /= 10)
        printf("  FMR %.0e: fitted t = %.4f, library t = %.4f\n", f,
               f >= 1e-3 ? imp[nimp - (size_t)(f * (double)nimp)] : t0 + beta * log(1e-3 / f),
               (double)bu_thr(f));
    printf("max impostor score %.4f\n", imp[nimp - 1]);
}

int main(int argc, char **argv)
{
    int repeats = 3, cal = 0, images = 0;
    const char *dumpfile = NULL;
    int32_t kernels = HS_MATCH_KERNELS_AUTO;
    long pairs = -1;
    int fast = 0, thorough = 0, max_rot = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--repeats") && i + 1 < argc)
            repeats = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--calibrate"))
            cal = 1;
        else if (!strcmp(argv[i], "--images"))
            images = 1;
        else if (!strcmp(argv[i], "--dump") && i + 1 < argc)
            dumpfile = argv[++i];
        else if (!strcmp(argv[i], "--pairs") && i + 1 < argc)
            pairs = atol(argv[++i]);
        else if (!strcmp(argv[i], "--fast"))
            fast = 1;
        else if (!strcmp(argv[i], "--thorough"))
            thorough = 1;
        else if (!strcmp(argv[i], "--max-rotation") && i + 1 < argc)
            max_rot = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--kernels") && i + 1 < argc) {
            i++;
            kernels = !strcmp(argv[i], "portable") ? HS_MATCH_KERNELS_PORTABLE
                      : !strcmp(argv[i], "avx2")   ? HS_MATCH_KERNELS_AVX2
                      : !strcmp(argv[i], "avx512") ? HS_MATCH_KERNELS_AVX512
                      : !strcmp(argv[i], "neon")   ? HS_MATCH_KERNELS_NEON
                                                   : HS_MATCH_KERNELS_AUTO;
        }
    }
    if (repeats < 1 || repeats > 16)
        repeats = 3;
    const char *root = bu_shared_root();
    hs_finger_extractor *ex = NULL;
    if (images && hs_finger_extractor_new(NULL, &ex) != HS_OK)
        return 1;
    printf("templates: %s\n", images ? "our extractor on the FVC images" : "SecuGen ISO");
    int lrc = load_iso(ex);
    hs_finger_extractor_free(ex);
    if (lrc != 0) {
        printf("SKIP: shared data absent or unreadable under %s\n", root);
        return 0;
    }
    hs_finger_matcher *m = NULL;
    if (hs_finger_matcher_new(NULL, &m) != HS_OK)
        return 1;
    if (kernels != HS_MATCH_KERNELS_AUTO &&
        hs_finger_matcher_set(m, HS_MATCH_KERNELS, kernels) != HS_OK) {
        fprintf(stderr, "bench_match: this CPU cannot run kernel set %s\n", kernel_name(kernels));
        return 1;
    }
    if (fast)
        hs_finger_matcher_set(m, HS_MATCH_FAST, 1);
    if (thorough && !cal) /* with --calibrate: the calibration only */
        hs_finger_matcher_set(m, HS_MATCH_THOROUGH, 1);
    if (max_rot >= 0 && hs_finger_matcher_set(m, HS_MATCH_MAX_ROTATION, max_rot) != HS_OK) {
        fprintf(stderr, "bench_match: --max-rotation takes 0..180\n");
        return 1;
    }
    if (dumpfile) {
        if (dump(m, dumpfile) != 0) {
            fprintf(stderr, "bench_match: cannot write %s\n", dumpfile);
            return 1;
        }
        printf("scores written to %s\n", dumpfile);
    }
    if (pairs >= 0 || fast || (thorough && !cal) || max_rot >= 0) {
        float sink = match_pairs(m, pairs < 0 ? 0 : pairs);
        printf("compared %ld pairs (score sum %.6f)\n", pairs < 0 ? 0 : pairs, (double)sink);
        hs_finger_matcher_free(m);
        return 0;
    }
    int32_t used = HS_MATCH_KERNELS_PORTABLE;
    hs_finger_matcher_get(m, &used, HS_MATCH_KERNELS);
    double first = speed(m, repeats);
    printf("speed (one core, thread CPU, median of %d), %s kernels: default %.0f/s", repeats,
           kernel_name(used), first);
    hs_finger_matcher_set(m, HS_MATCH_FAST, 1);
    printf(", fast %.0f/s", speed(m, repeats));
    hs_finger_matcher_set(m, HS_MATCH_FAST, 0);
    hs_finger_matcher_set(m, HS_MATCH_MAX_ROTATION, 60);
    printf(", max-rotation 60: %.0f/s", speed(m, repeats));
    hs_finger_matcher_set(m, HS_MATCH_MAX_ROTATION, 180);
    hs_finger_matcher_set(m, HS_MATCH_THOROUGH, 1);
    double th = speed(m, repeats);
    printf(", thorough %.0f/s (%.2f x default)\n", th, th / first);
    hs_finger_matcher_set(m, HS_MATCH_THOROUGH, 0);
    if (kernels == HS_MATCH_KERNELS_AUTO && used != HS_MATCH_KERNELS_PORTABLE) {
        /* the other kernel sets in the same run, the portable one as the
         * baseline of the ratios (every set gives the same scores) */
        double rate[HS_MATCH_KERNELS_NEON + 1] = {0};
        rate[used] = first;
        for (int32_t k = HS_MATCH_KERNELS_PORTABLE; k < used; k++)
            if (hs_finger_matcher_set(m, HS_MATCH_KERNELS, k) == HS_OK)
                rate[k] = speed(m, repeats);
        hs_finger_matcher_set(m, HS_MATCH_KERNELS, used);
        for (int32_t k = HS_MATCH_KERNELS_NEON; k >= HS_MATCH_KERNELS_PORTABLE; k--)
            if (rate[k] > 0)
                printf("  %-8s default %7.0f/s  %.2f x portable\n", kernel_name(k), rate[k],
                       rate[k] / rate[HS_MATCH_KERNELS_PORTABLE]);
    }
    {
        hs_finger_matcher *mt = NULL;
        double rr[2] = {0, 0};
        if (hs_finger_matcher_new(NULL, &mt) != HS_OK ||
            hs_finger_matcher_set(mt, HS_MATCH_THOROUGH, 1) != HS_OK)
            return 1;
        printf("rank-1 (80 gallery, 560 probes): %.2f%%\n", rank1(m, mt, rr));
        printf("rank-1 with the best K re-scored in thorough mode: K = 5 %.2f%%, K = 10 %.2f%%\n",
               rr[0], rr[1]);
        hs_finger_matcher_free(mt);
    }
    if (cal && thorough) {
        hs_finger_matcher_set(m, HS_MATCH_THOROUGH, 1);
        printf("calibration in thorough mode\n");
    }
    if (cal)
        calibrate(root, m);
    hs_finger_matcher_free(m);
    for (int s = 0; s < NSETS; s++)
        for (int k = 0; k < NPER; k++)
            hs_finger_prepared_free(prep[s][k]);
    free(imp);
    return 0;
}
