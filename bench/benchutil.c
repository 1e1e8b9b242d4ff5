#include "benchutil.h"
#include <hotspot/hotspot.h>
#include <stdio.h>

#include <stdlib.h>
#include <time.h>

#ifndef HS_SOURCE_DIR
#define HS_SOURCE_DIR "."
#endif

const bu_fvc_set bu_fvc_sets[8] = {
    {"FVC2002_DB1_B", 500}, {"FVC2002_DB2_B", 569}, {"FVC2002_DB3_B", 500},
    {"FVC2002_DB4_B", 500}, {"FVC2004_DB1_B", 500}, {"FVC2004_DB2_B", 500},
    {"FVC2004_DB3_B", 512}, {"FVC2004_DB4_B", 500},
};

double bu_thread_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

double bu_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bu_median(double *v, size_t n)
{
    if (n == 0)
        return 0.0;
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

const char *bu_shared_root(void)
{
    const char *e = getenv("HS_SHARED_DATA");
    return e && *e ? e : HS_SOURCE_DIR "/../shared/data";
}

#ifndef BU_NO_LIBRARY /* bench_match_ab loads its libraries at run time */
float bu_thr(double fmr)
{
    float t = 0.0f;
    if (hs_finger_threshold_for_fmr(&t, fmr) != HS_OK) {
        fprintf(stderr, "bench: no threshold for FMR %g\n", fmr);
        exit(2);
    }
    return t;
}

hs_template *bu_fvc_template(int set, int finger, int impression, hs_finger_extractor *ex)
{
    char path[4096];
    hs_template *t = NULL;
    if (!ex) {
        snprintf(path, sizeof path, "%s/fingerprint/iso19794-2-secugen/%s/%d_%d.iso",
                 bu_shared_root(), bu_fvc_sets[set].name, finger, impression);
        return hs_template_load(NULL, &t, NULL, path) == HS_OK ? t : NULL;
    }
    snprintf(path, sizeof path, "%s/fingerprint/%s/%d_%d.tif", bu_shared_root(),
             bu_fvc_sets[set].name, finger, impression);
    hs_image *img = NULL;
    if (hs_image_load(NULL, &img, path, 0) != HS_OK)
        return NULL;
    hs_image_set_ppi(img, bu_fvc_sets[set].ppi);
    hs_status st = hs_finger_extract(NULL, &t, ex, img);
    hs_image_free(img);
    if (st != HS_OK) {
        /* a failure to extract stays in the protocol as an empty view */
        hs_view_info vi = {sizeof vi, 1, 1, 500, 500, 0, 0, 0, 0, 0};
        if (hs_template_new(NULL, &t) != HS_OK)
            return NULL;
        if (hs_template_add_view(NULL, t, &vi, NULL, 0) != HS_OK) {
            hs_template_free(t);
            return NULL;
        }
    }
    return t;
}
#endif
