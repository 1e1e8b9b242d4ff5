/* Synthetic fingerprints: master generation time and impressions per second
 * (thread CPU time, one core) at 500 ppi and 400x400; then the realism
 * figure of docs/synthetic.md: our extractor's minutia precision and recall
 * against the ground truth (a truth minutia is found when an extracted one
 * of either type lies within 10 px and 20 degrees; one-to-one, greedy by
 * distance), per FVC2004 acquisition condition.
 * usage: bench_synth [masters] [impressions-per-master]
 *        bench_synth scores OUT.svg DIR... : genuine (FVC protocol) and
 *        impostor (all cross-finger pairs) score histograms of FVC-named
 *        sets ({finger}_{impression}.tif or .png), one panel per set.
 *        bench_synth fmr SET... : per set, the empirical false match rate at
 *        the calibrated thresholds (hs_finger_threshold_for_fmr 1e-2, 1e-3,
 *        1e-4), exact impostor and genuine quantiles, the EER, and minutia
 *        statistics. A SET is a directory of FVC-named images (our
 *        extractor), of FVC-named .iso templates, or synth:N:SEED[:FLAGS]
 *        (N fingers x 8 impressions of a generator seeded SEED, 288x384,
 *        ground truth; FLAGS "img": rendered and extracted instead, "fast":
 *        fast masters, "fastimg": both, a suffix "pNN": HS_SYNTH_PRESSURE
 *        NN, e.g. synth:100:7:fastp75). */
#include "benchutil.h"

#include <hotspot/hotspot.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Truth minutiae matched one-to-one by extracted ones. */
static unsigned matched(const hs_minutia *t, uint32_t nt, const hs_minutia *e, uint32_t ne)
{
    unsigned char used[256] = {0};
    unsigned hit = 0;
    for (uint32_t i = 0; i < nt; i++) {
        int best = -1;
        float bd = 1e30f;
        for (uint32_t j = 0; j < ne && j < 256; j++) {
            float dx = t[i].x - e[j].x, dy = t[i].y - e[j].y, d = dx * dx + dy * dy;
            float da = fabsf(t[i].angle - e[j].angle);
            if (da > 3.14159265f)
                da = 6.2831853f - da;
            if (!used[j] && d <= 100.0f && da <= 20 * 3.14159265f / 180 && d < bd) {
                bd = d;
                best = (int)j;
            }
        }
        if (best >= 0) {
            used[best] = 1;
            hit++;
        }
    }
    return hit;
}

static void realism(int nf)
{
    static const char *cond[4] = {"normal", "placement", "dry", "wet"};
    unsigned long nt[4] = {0}, ne[4] = {0}, tp[4] = {0};
    hs_synth *g = NULL;
    hs_finger_extractor *ex = NULL;
    if (hs_synth_new(NULL, &g, 777) || hs_finger_extractor_new(NULL, &ex))
        return;
    for (int f = 0; f < nf; f++) {
        hs_synth_master *m = NULL;
        if (hs_synth_master_new(NULL, &m, g, (uint32_t)f))
            break;
        for (uint32_t k = 0; k < 8; k++) {
            hs_image *img = NULL;
            hs_template *t = NULL, *e = NULL;
            if (hs_synth_impression(NULL, &img, &t, g, m, k) == HS_OK &&
                hs_finger_extract(NULL, &e, ex, img) == HS_OK) {
                uint32_t a, b;
                const hs_minutia *tm = hs_template_minutiae(t, &a, 0);
                const hs_minutia *em = hs_template_minutiae(e, &b, 0);
                int c = (int)k / 2;
                nt[c] += a;
                ne[c] += b;
                tp[c] += matched(tm, a, em, b);
            }
            hs_image_free(img);
            hs_template_free(t);
            hs_template_free(e);
        }
        hs_synth_master_free(m);
    }
    printf("\nextractor vs ground truth (%d fingers x 8, 400x400, 10 px / 20 deg):\n", nf);
    printf("  %-10s %6s %6s %6s %9s %7s\n", "condition", "truth", "found", "match", "precision", "recall");
    unsigned long at = 0, ae = 0, ap = 0;
    for (int c = 0; c < 4; c++) {
        printf("  %-10s %6lu %6lu %6lu %9.3f %7.3f\n", cond[c], nt[c], ne[c], tp[c],
               ne[c] ? (double)tp[c] / (double)ne[c] : 0, nt[c] ? (double)tp[c] / (double)nt[c] : 0);
        at += nt[c];
        ae += ne[c];
        ap += tp[c];
    }
    printf("  %-10s %6lu %6lu %6lu %9.3f %7.3f\n", "all", at, ae, ap,
           ae ? (double)ap / (double)ae : 0, at ? (double)ap / (double)at : 0);
    hs_finger_extractor_free(ex);
    hs_synth_free(g);
}

/* ---- score histograms ------------------------------------------------- */

#define NBIN 100 /* scores 0..1 in bins of 0.01 */

typedef struct set_scores {
    char name[64];
    unsigned long gen[NBIN], imp[NBIN], ng, ni;
} set_scores;

static hs_template *load_extract(hs_finger_extractor *ex, const char *dir, int f, int k, unsigned ppi)
{
    static const char *ext[3] = {"tif", "png", "bmp"};
    char path[1024];
    for (int e = 0; e < 3; e++) {
        snprintf(path, sizeof path, "%s/%d_%d.%s", dir, f, k, ext[e]);
        hs_image *img = NULL;
        if (hs_image_load(NULL, &img, path, 0) != HS_OK)
            continue;
        if (!hs_image_ppi(img))
            hs_image_set_ppi(img, ppi);
        hs_template *t = NULL;
        if (hs_finger_extract(NULL, &t, ex, img) != HS_OK)
            t = NULL;
        hs_image_free(img);
        return t;
    }
    return NULL;
}

static int bin_of(float s)
{
    int b = (int)(s * NBIN);
    return b < 0 ? 0 : (b >= NBIN ? NBIN - 1 : b);
}

static int score_set(const char *dir, set_scores *out)
{
    const char *base = strrchr(dir, '/');
    base = base && base[1] ? base + 1 : dir;
    snprintf(out->name, sizeof out->name, "%s", base);
    unsigned ppi = 500;
    for (int i = 0; i < 8; i++)
        if (strstr(dir, bu_fvc_sets[i].name))
            ppi = bu_fvc_sets[i].ppi;
    hs_finger_extractor *ex = NULL;
    if (hs_finger_extractor_new(NULL, &ex))
        return -1;
    enum { MAXF = 200, K = 8 };
    static hs_finger_prepared *pr[MAXF][K];
    memset(pr, 0, sizeof pr);
    int nf = 0;
    for (; nf < MAXF; nf++) {
        int any = 0;
        for (int k = 0; k < K; k++) {
            hs_template *t = load_extract(ex, dir, 101 + nf, k + 1, ppi);
            if (t && hs_finger_prepare(NULL, &pr[nf][k], t, 0) != HS_OK)
                pr[nf][k] = NULL;
            any |= t != NULL;
            hs_template_free(t);
        }
        if (!any)
            break;
    }
    hs_finger_extractor_free(ex);
    hs_finger_matcher *m = NULL;
    if (hs_finger_matcher_new(NULL, &m))
        return -1;
    for (int f = 0; f < nf; f++)
        for (int a = 0; a < K; a++) {
            if (!pr[f][a])
                continue;
            for (int b = a + 1; b < K; b++) {
                float s = 0;
                if (pr[f][b] && hs_finger_match(m, &s, pr[f][a], pr[f][b]) == HS_OK) {
                    out->gen[bin_of(s)]++;
                    out->ng++;
                }
            }
            for (int g = f + 1; g < nf; g++)
                for (int b = 0; b < K; b++) {
                    float s = 0;
                    if (pr[g][b] && hs_finger_match(m, &s, pr[f][a], pr[g][b]) == HS_OK) {
                        out->imp[bin_of(s)]++;
                        out->ni++;
                    }
                }
        }
    hs_finger_matcher_free(m);
    for (int f = 0; f < nf; f++)
        for (int k = 0; k < K; k++)
            hs_finger_prepared_free(pr[f][k]);
    return nf;
}

/* Upper edge of the bin holding quantile q (bins of 1/NBIN). */
static double quant(const unsigned long *h, unsigned long n, double q)
{
    unsigned long acc = 0;
    for (int b = 0; b < NBIN; b++) {
        acc += h[b];
        if (n && (double)acc >= q * (double)n)
            return (double)(b + 1) / NBIN;
    }
    return 1.0;
}

static int scores_main(int argc, char **argv)
{
    int n = argc - 3;
    if (n < 1) {
        fprintf(stderr, "usage: bench_synth scores OUT.svg DIR...\n");
        return 2;
    }
    set_scores *ss = calloc((size_t)n, sizeof *ss);
    if (!ss)
        return 1;
    for (int i = 0; i < n; i++) {
        int nf = score_set(argv[3 + i], &ss[i]);
        printf("%-24s fingers %3d genuine %6lu (p5 %.3f median %.3f) impostor %7lu (median %.3f "
               "p99 %.3f max %.3f)\n", ss[i].name, nf, ss[i].ng, quant(ss[i].gen, ss[i].ng, 0.05),
               quant(ss[i].gen, ss[i].ng, 0.5), ss[i].ni, quant(ss[i].imp, ss[i].ni, 0.5),
               quant(ss[i].imp, ss[i].ni, 0.99), quant(ss[i].imp, ss[i].ni, 1.0));
    }
    FILE *f = fopen(argv[2], "w");
    if (!f)
        return 1;
    const int pw = 220, ph = 130, cols = 4, rows = (n + cols - 1) / cols;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "font-family=\"sans-serif\" font-size=\"10\">\n", cols * pw + 10, rows * ph + 30);
    fprintf(f, "<text x=\"10\" y=\"14\">Score histograms (share of comparisons per 0.01 bin, "
               "square-root scale): genuine (blue), impostor (red); dashed: thresholds for "
               "FMR 1e-2, 1e-3, 1e-4</text>\n");
    for (int i = 0; i < n; i++) {
        int ox = 10 + (i % cols) * pw, oy = 24 + (i / cols) * ph;
        int w = pw - 20, h = ph - 30;
        fprintf(f, "<g transform=\"translate(%d,%d)\"><rect width=\"%d\" height=\"%d\" "
                   "fill=\"none\" stroke=\"#888\"/>\n", ox, oy + 12, w, h);
        fprintf(f, "<text x=\"0\" y=\"9\">%s</text>\n", ss[i].name);
        for (int pass = 0; pass < 2; pass++) {
            const unsigned long *hv = pass ? ss[i].imp : ss[i].gen;
            unsigned long tot = pass ? ss[i].ni : ss[i].ng;
            if (!tot)
                continue;
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" points=\"", pass ? "#c22" : "#23b");
            for (int b = 0; b < NBIN; b++) {
                double v = sqrt((double)hv[b] / (double)tot);
                double x0 = (double)w * b / NBIN, x1 = (double)w * (b + 1) / NBIN;
                double y = 12 + h - v * h;
                fprintf(f, "%.1f,%.1f %.1f,%.1f ", x0, y, x1, y);
            }
            fprintf(f, "\"/>\n");
        }
        /* the matcher's calibrated thresholds for FMR 1e-2, 1e-3, 1e-4 */
        for (int e = 2; e <= 4; e++) {
            double tx = w * (double)bu_thr(pow(10, -e));
            fprintf(f, "<line x1=\"%.1f\" y1=\"12\" x2=\"%.1f\" y2=\"%d\" stroke=\"#999\" "
                       "stroke-dasharray=\"2,2\"/>\n", tx, tx, h + 12);
        }
        fprintf(f, "<text x=\"0\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\">1</text></g>\n",
                h + 22, w - 5, h + 22);
    }
    fprintf(f, "</svg>\n");
    fclose(f);
    free(ss);
    return 0;
}


/* ---- false match rate at the calibrated thresholds --------------------- */

enum { FM_MAXF = 200, FM_K = 8 };

typedef struct fm_set {
    hs_template *t[FM_MAXF][FM_K];
    uint32_t cls[FM_MAXF]; /* synthetic sets: HS_SYNTH_CLASS_* of each finger */
    int nf;
} fm_set;

/* Templates of one SET argument (see the header comment). */
static int fm_load(const char *spec, fm_set *s)
{
    memset(s, 0, sizeof *s);
    unsigned n = 0, seed = 0;
    char mode[16] = "";
    if (sscanf(spec, "synth:%u:%u:%15s", &n, &seed, mode) >= 2) {
        int img = strstr(mode, "img") != NULL;
        hs_synth *g = NULL;
        hs_finger_extractor *ex = NULL;
        if (n > FM_MAXF || hs_synth_new(NULL, &g, seed) || hs_finger_extractor_new(NULL, &ex))
            return -1;
        hs_synth_set(g, HS_SYNTH_WIDTH, 288);
        hs_synth_set(g, HS_SYNTH_HEIGHT, 384);
        hs_synth_set(g, HS_SYNTH_FAST, strstr(mode, "fast") != NULL);
        if (strchr(mode, 'p'))
            hs_synth_set(g, HS_SYNTH_PRESSURE, atoi(strchr(mode, 'p') + 1));
        for (unsigned f = 0; f < n; f++) {
            hs_synth_master *m = NULL;
            if (hs_synth_master_new(NULL, &m, g, 101 + f))
                return -1;
            s->cls[f] = hs_synth_master_class(m);
            for (uint32_t k = 0; k < FM_K; k++) {
                hs_image *im = NULL;
                hs_template *t = NULL;
                if (hs_synth_impression(NULL, img ? &im : NULL, img ? NULL : &t, g, m, k))
                    return -1;
                if (img && hs_finger_extract(NULL, &t, ex, im))
                    t = NULL;
                s->t[f][k] = t;
                hs_image_free(im);
            }
            hs_synth_master_free(m);
        }
        s->nf = (int)n;
        hs_finger_extractor_free(ex);
        hs_synth_free(g);
        return 0;
    }
    unsigned ppi = 500;
    for (int i = 0; i < 8; i++)
        if (strstr(spec, bu_fvc_sets[i].name))
            ppi = bu_fvc_sets[i].ppi;
    hs_finger_extractor *ex = NULL;
    if (hs_finger_extractor_new(NULL, &ex))
        return -1;
    for (int f = 0; f < FM_MAXF; f++) {
        int any = 0;
        for (int k = 0; k < FM_K; k++) {
            char path[1024];
            snprintf(path, sizeof path, "%s/%d_%d.iso", spec, 101 + f, k + 1);
            hs_template *t = NULL;
            if (hs_template_load(NULL, &t, 0, path) != HS_OK)
                t = load_extract(ex, spec, 101 + f, k + 1, ppi);
            s->t[f][k] = t;
            any |= t != NULL;
        }
        if (!any)
            break;
        s->nf = f + 1;
    }
    hs_finger_extractor_free(ex);
    return 0;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Value at quantile q of n sorted scores (nearest rank). */
static float fm_q(const float *v, size_t n, double q)
{
    if (!n)
        return 0;
    size_t i = (size_t)ceil(q * (double)n);
    return v[i ? i - 1 : 0];
}

/* Share of sorted scores >= t. */
static double fm_above(const float *v, size_t n, float t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return n ? (double)(n - lo) / (double)n : 0;
}

/* Equal error rate of sorted genuine and impostor scores. */
static double fm_eer(const float *gv, size_t ng, const float *iv, size_t ni)
{
    double best = 1, eer = 0;
    for (int i = 0; i <= 1000; i++) {
        float t = (float)i / 1000;
        double fnmr = 1 - fm_above(gv, ng, t), fmr = fm_above(iv, ni, t);
        double d = fabs(fnmr - fmr);
        if (d < best) {
            best = d;
            eer = (fnmr + fmr) / 2;
        }
    }
    return eer;
}

/* Minutia statistics at 500 ppi: count per template, share of endings,
 * nearest-neighbour distance (p10, median) and the share of minutiae whose
 * nearest neighbour points the same way (within 30 degrees) or the opposite
 * way (within 30 degrees of opposite). */
static void fm_stats(const fm_set *s, double out[6])
{
    double nt = 0, nm = 0, ne = 0, par = 0, anti = 0, cnt = 0;
    static float nn[FM_MAXF * FM_K * 256];
    size_t nnn = 0;
    for (int f = 0; f < s->nf; f++)
        for (int k = 0; k < FM_K; k++) {
            const hs_template *t = s->t[f][k];
            if (!t)
                continue;
            uint32_t n;
            const hs_minutia *m = hs_template_minutiae(t, &n, 0);
            hs_view_info vi = {sizeof vi, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            hs_template_view_info(t, &vi, 0);
            float sc = vi.ppi_x ? 500.0f / (float)vi.ppi_x : 1.0f;
            nt++;
            nm += n;
            for (uint32_t i = 0; i < n && i < 256; i++) {
                ne += m[i].type == HS_MINUTIA_ENDING;
                float bd = 1e30f;
                uint32_t bj = i;
                for (uint32_t j = 0; j < n && j < 256; j++) {
                    float dx = m[i].x - m[j].x, dy = m[i].y - m[j].y, d = dx * dx + dy * dy;
                    if (j != i && d < bd) {
                        bd = d;
                        bj = j;
                    }
                }
                if (bj == i)
                    continue;
                nn[nnn++] = sqrtf(bd) * sc;
                float da = fabsf(m[i].angle - m[bj].angle);
                if (da > 3.14159265f)
                    da = 6.2831853f - da;
                par += da < 0.5236f;
                anti += da > 3.14159265f - 0.5236f;
                cnt++;
            }
        }
    qsort(nn, nnn, sizeof *nn, cmp_float);
    out[0] = nt ? nm / nt : 0;
    out[1] = nm ? ne / nm : 0;
    out[2] = fm_q(nn, nnn, 0.1);
    out[3] = fm_q(nn, nnn, 0.5);
    out[4] = cnt ? par / cnt : 0;
    out[5] = cnt ? anti / cnt : 0;
}

static int fmr_main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_synth fmr SET... (DIR of images or .iso, or synth:N:SEED[:img|fast|fastimg][pNN])\n");
        return 2;
    }
    const double fmrs[3] = {1e-2, 1e-3, 1e-4};
    float thr[3];
    for (int i = 0; i < 3; i++)
        thr[i] = bu_thr(fmrs[i]);
    printf("FMR at the calibrated thresholds %.4f (1e-2) %.4f (1e-3) %.4f (1e-4); genuine: all\n"
           "pairs of a finger's 8 impressions; impostors: all cross-finger pairs.\n",
           (double)thr[0], (double)thr[1], (double)thr[2]);
    printf("%-26s %4s %7s %8s %8s %8s %6s %6s %6s %6s %6s %6s %6s %5s | %5s %5s %5s %5s %5s %5s\n",
           "set", "fing", "imp", "FMR@1e-2", "FMR@1e-3", "FMR@1e-4", "i.med", "i.p99", "i.p999",
           "i.max", "g.p5", "g.med", "EER%", "gen", "min", "end", "nn10", "nn50", "par", "anti");
    static fm_set s;
    hs_finger_matcher *mt = NULL;
    if (hs_finger_matcher_new(NULL, &mt))
        return 1;
    for (int a = 2; a < argc; a++) {
        if (fm_load(argv[a], &s)) {
            fprintf(stderr, "bench_synth: cannot load %s\n", argv[a]);
            return 1;
        }
        static hs_finger_prepared *pr[FM_MAXF][FM_K];
        for (int f = 0; f < s.nf; f++)
            for (int k = 0; k < FM_K; k++)
                if (!s.t[f][k] || hs_finger_prepare(NULL, &pr[f][k], s.t[f][k], 0))
                    pr[f][k] = NULL;
        size_t maxi = (size_t)s.nf * FM_K * (size_t)s.nf * FM_K / 2 + 1;
        float *iv = malloc(sizeof(float) * maxi), *gv = malloc(sizeof(float) * (size_t)s.nf * 28 + 1);
        size_t ni = 0, ng = 0;
        unsigned long cn[2] = {0, 0}, ca[2] = {0, 0}; /* cross, same class: pairs, above */
        if (!iv || !gv)
            return 1;
        for (int f = 0; f < s.nf; f++)
            for (int i = 0; i < FM_K; i++) {
                if (!pr[f][i])
                    continue;
                for (int j = i + 1; j < FM_K; j++)
                    if (pr[f][j] && hs_finger_match(mt, &gv[ng], pr[f][i], pr[f][j]) == HS_OK)
                        ng++;
                for (int g = f + 1; g < s.nf; g++)
                    for (int j = 0; j < FM_K; j++)
                        if (pr[g][j] && hs_finger_match(mt, &iv[ni], pr[f][i], pr[g][j]) == HS_OK) {
                            int same = s.cls[f] == s.cls[g];
                            cn[same]++;
                            ca[same] += iv[ni] >= thr[0];
                            ni++;
                        }
            }
        qsort(iv, ni, sizeof *iv, cmp_float);
        qsort(gv, ng, sizeof *gv, cmp_float);
        double st[6];
        fm_stats(&s, st);
        const char *name = argv[a];
        if (strncmp(name, "synth:", 6)) {
            const char *b = strrchr(name, '/');
            while (b && !b[1] && b > name) /* trailing slash */
                for (b--; b > name && *b != '/'; b--)
                    ;
            name = b && b[1] ? b + 1 : name;
        }
        printf("%-26.26s %4d %7zu %8.2e %8.2e %8.2e %6.3f %6.3f %6.3f %6.3f %6.3f %6.3f %6.2f %5zu | "
               "%5.1f %5.2f %5.1f %5.1f %5.2f %5.2f\n",
               name, s.nf, ni, fm_above(iv, ni, thr[0]), fm_above(iv, ni, thr[1]),
               fm_above(iv, ni, thr[2]), (double)fm_q(iv, ni, 0.5), (double)fm_q(iv, ni, 0.99),
               (double)fm_q(iv, ni, 0.999), (double)(ni ? iv[ni - 1] : 0), (double)fm_q(gv, ng, 0.05),
               (double)fm_q(gv, ng, 0.5), 100 * fm_eer(gv, ng, iv, ni), ng, st[0], st[1], st[2],
               st[3], st[4], st[5]);
        if (s.cls[0]) /* synthetic: the share above the 1e-2 threshold by class relation */
            printf("%-26s same class %.2e (%lu pairs), different classes %.2e (%lu pairs)\n", "",
                   cn[1] ? (double)ca[1] / (double)cn[1] : 0, cn[1],
                   cn[0] ? (double)ca[0] / (double)cn[0] : 0, cn[0]);
        fflush(stdout);
        for (int f = 0; f < s.nf; f++)
            for (int k = 0; k < FM_K; k++) {
                hs_finger_prepared_free(pr[f][k]);
                pr[f][k] = NULL;
                hs_template_free(s.t[f][k]);
            }
        free(iv);
        free(gv);
    }
    hs_finger_matcher_free(mt);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "scores"))
        return scores_main(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "fmr"))
        return fmr_main(argc, argv);
    int nm = argc > 1 ? atoi(argv[1]) : 20;
    int ni = argc > 2 ? atoi(argv[2]) : 8;
    if (nm < 1 || ni < 1 || nm > 100000 || ni > 1000) {
        fprintf(stderr, "usage: bench_synth [masters 1..100000] [impressions 1..1000]\n");
        return 2;
    }
    hs_synth *g = NULL;
    if (hs_synth_new(NULL, &g, 12345) != HS_OK)
        return 1;
    double *tm = malloc(sizeof(double) * (size_t)nm);
    double *ti = malloc(sizeof(double) * (size_t)nm * (size_t)ni);
    double *tt = malloc(sizeof(double) * (size_t)nm * (size_t)ni);
    if (!tm || !ti || !tt)
        return 1;
    double total = 0, mins = 0;
    unsigned long nmin = 0;
    for (int f = 0; f < nm; f++) {
        hs_synth_master *m = NULL;
        double t0 = bu_thread_cpu_ms();
        if (hs_synth_master_new(NULL, &m, g, (uint32_t)f) != HS_OK)
            return 1;
        tm[f] = bu_thread_cpu_ms() - t0;
        total += tm[f];
        for (int k = 0; k < ni; k++) {
            hs_image *img = NULL;
            hs_template *t = NULL;
            double t1 = bu_thread_cpu_ms();
            if (hs_synth_impression(NULL, &img, &t, g, m, (uint32_t)k) != HS_OK)
                return 1;
            double t2 = bu_thread_cpu_ms();
            ti[f * ni + k] = t2 - t1;
            total += t2 - t1;
            uint32_t n;
            hs_template_minutiae(t, &n, 0);
            nmin += n;
            hs_image_free(img);
            hs_template_free(t);
            hs_template *tr = NULL;
            double t3 = bu_thread_cpu_ms();
            if (hs_synth_impression(NULL, NULL, &tr, g, m, (uint32_t)k) != HS_OK)
                return 1;
            tt[f * ni + k] = bu_thread_cpu_ms() - t3;
            mins += tt[f * ni + k];
            hs_template_free(tr);
        }
        hs_synth_master_free(m);
    }
    size_t n = (size_t)nm * (size_t)ni;
    printf("bench_synth: %d masters x %d impressions, 400x400 at 500 ppi, thread CPU time\n", nm, ni);
    printf("  master generation      median %7.1f ms\n", bu_median(tm, (size_t)nm));
    printf("  impression (pixels)    median %7.2f ms\n", bu_median(ti, n));
    printf("  impression (truth only) median %6.3f ms\n", bu_median(tt, n));
    printf("  mean truth minutiae per impression: %.1f\n", (double)nmin / (double)n);
    printf("  impressions per second, masters included (%d per master): %.1f\n", ni,
           (double)n / (total / 1000));
    printf("  truth-only impressions per second, masters excluded: %.0f\n", (double)n / (mins / 1000));
    /* fast masters (HS_SYNTH_FAST, 250 ppi growth) for truth-only galleries */
    hs_synth_set(g, HS_SYNTH_FAST, 1);
    for (int f = 0; f < nm; f++) {
        hs_synth_master *m = NULL;
        double t0 = bu_thread_cpu_ms();
        if (hs_synth_master_new(NULL, &m, g, (uint32_t)f) != HS_OK)
            return 1;
        tm[f] = bu_thread_cpu_ms() - t0;
        hs_synth_master_free(m);
    }
    double fm = bu_median(tm, (size_t)nm);
    printf("  fast master (HS_SYNTH_FAST) median %7.1f ms: %.0f new fingers (truth only) per second\n",
           fm, 1000 / (fm + 0.033));
    free(tm);
    free(ti);
    free(tt);
    hs_synth_free(g);
    realism(nm);
    return 0;
}
