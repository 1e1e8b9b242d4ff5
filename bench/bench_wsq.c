/* WSQ codec figures on the 18 images of ../shared/data/fingerprint/wsq-nbis
 * at 0.75 and 2.25 bit/pixel:
 *  - encode and decode time: thread CPU milliseconds per image and
 *    nanoseconds per pixel, median of PASSES runs per image, then the median
 *    and the total over the images (one core, one thread);
 *  - peak memory the codec takes through the context allocator, in bytes
 *    per megapixel (largest over the images);
 *  - our file size and PSNR against NBIS cwsq's (the README table), and
 *    how far our decoder's output is from NBIS dwsq's on NBIS's files.
 * Usage: bench_wsq [PASSES]   (default 15) */
#include "benchutil.h"

#include <hotspot/hotspot.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[] = {
    "FVC2002_DB1_B_101_1", "FVC2002_DB1_B_105_3", "FVC2002_DB2_B_101_1",
    "FVC2002_DB2_B_105_3", "FVC2002_DB3_B_101_1", "FVC2002_DB3_B_105_3",
    "FVC2002_DB4_B_101_1", "FVC2002_DB4_B_105_3", "FVC2004_DB1_B_101_1",
    "FVC2004_DB1_B_105_3", "FVC2004_DB2_B_101_1", "FVC2004_DB2_B_105_3",
    "FVC2004_DB3_B_101_1", "FVC2004_DB3_B_105_3", "FVC2004_DB4_B_101_1",
    "FVC2004_DB4_B_105_3", "NEUROTECH_CROSSMATCH_012_3_1", "NEUROTECH_CROSSMATCH_045_7_5",
};
#define N (sizeof names / sizeof names[0])

/* An allocator that records the peak of live bytes. */
struct peak {
    size_t live, peak;
};
static void *p_malloc(void *o, size_t n)
{
    struct peak *p = o;
    size_t *b = malloc(n + sizeof(size_t) * 2);
    if (!b)
        return NULL;
    b[0] = n;
    p->live += n;
    if (p->live > p->peak)
        p->peak = p->live;
    return b + 2;
}
static void p_free(void *o, void *q)
{
    if (!q)
        return;
    size_t *b = (size_t *)q - 2;
    ((struct peak *)o)->live -= b[0];
    free(b);
}
static void *p_realloc(void *o, void *q, size_t n)
{
    if (!q)
        return p_malloc(o, n);
    size_t *b = (size_t *)q - 2;
    size_t old = b[0];
    void *nq = p_malloc(o, n);
    if (!nq)
        return NULL;
    memcpy(nq, q, old < n ? old : n);
    p_free(o, q);
    return nq;
}

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(sz > 0 ? (size_t)sz : 1);
    if (b && sz > 0 && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = sz > 0 ? (size_t)sz : 0;
    return b;
}

static double psnr(const uint8_t *a, const uint8_t *b, size_t n)
{
    double e = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        e += d * d;
    }
    return e == 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 * (double)n / e);
}

int main(int argc, char **argv)
{
    int passes = argc > 1 ? atoi(argv[1]) : 15;
    if (passes < 1)
        passes = 1;
    char dir[1024], path[1400];
    snprintf(dir, sizeof dir, "%s/fingerprint/wsq-nbis", bu_shared_root());
    printf("WSQ codec on %s, %d passes per image, thread CPU time\n\n", dir, passes);
    const float rates[2] = {0.75f, 2.25f};
    for (int r = 0; r < 2; r++) {
        const char *tag = r ? "b225" : "b075";
        double enc_ms[N], dec_ms[N], enc_ns[N], dec_ns[N], size_ratio[N], dpsnr[N];
        double enc_total = 0, dec_total = 0, worst_size = 0, worst_psnr = 0;
        double enc_peak = 0, dec_peak = 0, mad_worst = 0;
        int max_worst = 0;
        size_t count = 0;
        printf("bit rate %.2f\n", (double)rates[r]);
        printf("%-30s %7s %7s %6s %6s %8s %8s %6s %6s\n", "image", "enc ms", "dec ms", "ours",
               "NBIS", "size", "PSNR", "PSNR", "dPSNR");
        for (size_t i = 0; i < N; i++) {
            unsigned w = 0, h = 0, ppi = 0;
            snprintf(path, sizeof path, "%s/%s.txt", dir, names[i]);
            size_t tn;
            char *txt = (char *)read_all(path, &tn);
            if (!txt) {
                printf("%s: absent, skipped\n", path);
                continue;
            }
            txt = realloc(txt, tn + 1);
            txt[tn] = 0;
            if (sscanf(strstr(txt, "width:"), "width: %u", &w) != 1 ||
                sscanf(strstr(txt, "height:"), "height: %u", &h) != 1 ||
                sscanf(strstr(txt, "ppi:"), "ppi: %u", &ppi) != 1)
                return 1;
            free(txt);
            size_t rn, nn, dn;
            snprintf(path, sizeof path, "%s/%s.raw", dir, names[i]);
            uint8_t *raw = read_all(path, &rn);
            snprintf(path, sizeof path, "%s/%s.%s.wsq", dir, names[i], tag);
            uint8_t *nbis = read_all(path, &nn);
            snprintf(path, sizeof path, "%s/%s.%s.dec.raw", dir, names[i], tag);
            uint8_t *nbis_dec = read_all(path, &dn);
            if (!raw || !nbis || !nbis_dec || rn != (size_t)w * h)
                return 1;
            struct peak pk = {0, 0};
            hs_allocator al = {p_malloc, p_realloc, p_free, &pk};
            hs_ctx *ctx = NULL;
            hs_ctx_new(&ctx, &al);
            hs_image *src = NULL;
            hs_image_wrap(ctx, &src, raw, w, h, w, ppi);
            hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
            o.wsq_bitrate = rates[r];
            size_t n = 0;
            if (hs_image_encode(ctx, NULL, &n, src, HS_IMAGE_FORMAT_WSQ, &o))
                return 1;
            uint8_t *ours = malloc(n);
            double t[64];
            int np = passes > 64 ? 64 : passes;
            for (int k = 0; k < np; k++) {
                size_t cap = n;
                pk.peak = pk.live;
                size_t base = pk.live;
                double t0 = bu_thread_cpu_ms();
                hs_image_encode(ctx, ours, &cap, src, HS_IMAGE_FORMAT_WSQ, &o);
                t[k] = bu_thread_cpu_ms() - t0;
                double mb = (double)(pk.peak - base) / ((double)w * h / 1e6);
                if (mb > enc_peak)
                    enc_peak = mb;
            }
            enc_ms[count] = bu_median(t, (size_t)np);
            hs_image *dec = NULL;
            for (int k = 0; k < np; k++) {
                pk.peak = pk.live;
                size_t base = pk.live;
                double t0 = bu_thread_cpu_ms();
                hs_image_decode(ctx, &dec, ours, n, 0);
                t[k] = bu_thread_cpu_ms() - t0;
                double mb = (double)(pk.peak - base) / ((double)w * h / 1e6);
                if (mb > dec_peak)
                    dec_peak = mb;
                if (k + 1 < np)
                    hs_image_free(dec);
            }
            dec_ms[count] = bu_median(t, (size_t)np);
            double p_ours = psnr(hs_image_pixels(dec), raw, rn);
            double p_nbis = psnr(nbis_dec, raw, rn);
            hs_image_free(dec);
            /* our decoder on NBIS's file against NBIS's decode */
            hs_image_decode(ctx, &dec, nbis, nn, 0);
            double mad = 0;
            for (size_t k = 0; k < rn; k++) {
                int d = abs((int)hs_image_pixels(dec)[k] - nbis_dec[k]);
                mad += d;
                if (d > max_worst)
                    max_worst = d;
            }
            mad /= (double)rn;
            if (mad > mad_worst)
                mad_worst = mad;
            hs_image_free(dec);
            enc_ns[count] = enc_ms[count] * 1e6 / ((double)w * h);
            dec_ns[count] = dec_ms[count] * 1e6 / ((double)w * h);
            size_ratio[count] = (double)n / (double)nn;
            dpsnr[count] = p_ours - p_nbis;
            enc_total += enc_ms[count];
            dec_total += dec_ms[count];
            if (fabs(size_ratio[count] - 1) > fabs(worst_size))
                worst_size = size_ratio[count] - 1;
            if (fabs(dpsnr[count]) > fabs(worst_psnr))
                worst_psnr = dpsnr[count];
            printf("%-30s %7.2f %7.2f %6zu %6zu %+7.2f%% %8.2f %6.2f %+6.2f\n", names[i],
                   enc_ms[count], dec_ms[count], n, nn, 100.0 * (size_ratio[count] - 1), p_ours,
                   p_nbis, dpsnr[count]);
            count++;
            free(ours);
            hs_image_free(src);
            hs_ctx_free(ctx);
            free(raw);
            free(nbis);
            free(nbis_dec);
        }
        if (!count) {
            printf("no images: shared data absent\n");
            return 0;
        }
        printf("median per image: encode %.2f ms (%.1f ns/pixel), decode %.2f ms (%.1f "
               "ns/pixel); total %.1f / %.1f ms over %zu images\n",
               bu_median(enc_ms, count), bu_median(enc_ns, count), bu_median(dec_ms, count),
               bu_median(dec_ns, count), enc_total, dec_total, count);
        printf("vs NBIS whole-process (cwsq ~14 ms, dwsq ~12 ms per image): encode %.1fx, "
               "decode %.1fx faster\n",
               14.0 / bu_median(enc_ms, count), 12.0 / bu_median(dec_ms, count));
        printf("peak memory through the context: encode %.1f MB, decode %.1f MB per megapixel\n",
               enc_peak / 1e6, dec_peak / 1e6);
        printf("size vs NBIS: worst %+.2f%%, median %+.2f%%; PSNR vs NBIS: worst %+.2f dB, "
               "median %+.3f dB\n",
               100 * worst_size, 100 * (bu_median(size_ratio, count) - 1), worst_psnr,
               bu_median(dpsnr, count));
        printf("our decode of NBIS's files vs dwsq: max difference %d, worst mean %.4f\n\n",
               max_worst, mad_worst);
    }
    return 0;
}
