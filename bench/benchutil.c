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
#endif
