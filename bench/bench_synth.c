/* Synthetic fingerprints: master generation time and impressions per second
 * (thread CPU time, one core) at 500 ppi and 400x400; then the realism
 * figure of docs/synthetic.md: our extractor's minutia precision and recall
 * against the ground truth (a truth minutia is found when an extracted one
 * of either type lies within 10 px and 20 degrees; one-to-one, greedy by
 * distance), per FVC2004 acquisition condition.
 * usage: bench_synth [masters] [impressions-per-master]
 *        bench_synth scores OUT.svg DIR... : genuine (FVC protocol) and
 *        impostor (all cross-finger pairs) score histograms of FVC-named
 *        sets ({finger}_{impression}.tif or .png), one panel per set. */
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
            if (hs_synth_impression(NULL, g, m, k, &img, &t) == HS_OK &&
                hs_finger_extract(ex, NULL, img, &e) == HS_OK) {
                uint32_t a, b;
                const hs_minutia *tm = hs_template_minutiae(t, 0, &a);
                const hs_minutia *em = hs_template_minutiae(e, 0, &b);
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
        if (hs_finger_extract(ex, NULL, img, &t) != HS_OK)
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
                if (pr[f][b] && hs_finger_match(m, pr[f][a], pr[f][b], &s) == HS_OK) {
                    out->gen[bin_of(s)]++;
                    out->ng++;
                }
            }
            for (int g = f + 1; g < nf; g++)
                for (int b = 0; b < K; b++) {
                    float s = 0;
                    if (pr[g][b] && hs_finger_match(m, pr[f][a], pr[g][b], &s) == HS_OK) {
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
               "square-root scale): genuine (blue), impostor (red)</text>\n");
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
        fprintf(f, "<text x=\"0\" y=\"%d\">0</text><text x=\"%d\" y=\"%d\">1</text></g>\n",
                h + 22, w - 5, h + 22);
    }
    fprintf(f, "</svg>\n");
    fclose(f);
    free(ss);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "scores"))
        return scores_main(argc, argv);
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
            if (hs_synth_impression(NULL, g, m, (uint32_t)k, &img, &t) != HS_OK)
                return 1;
            double t2 = bu_thread_cpu_ms();
            ti[f * ni + k] = t2 - t1;
            total += t2 - t1;
            uint32_t n;
            hs_template_minutiae(t, 0, &n);
            nmin += n;
            hs_image_free(img);
            hs_template_free(t);
            hs_template *tr = NULL;
            double t3 = bu_thread_cpu_ms();
            if (hs_synth_impression(NULL, g, m, (uint32_t)k, NULL, &tr) != HS_OK)
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
