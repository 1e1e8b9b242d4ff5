/* Synthetic fingerprints: master generation time and impressions per second
 * (thread CPU time, one core), at 500 ppi and 400x400 unless told otherwise.
 * usage: bench_synth [masters] [impressions-per-master] */
#include "benchutil.h"

#include <hotspot/hotspot.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
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
    free(tm);
    free(ti);
    free(tt);
    hs_synth_free(g);
    return 0;
}
