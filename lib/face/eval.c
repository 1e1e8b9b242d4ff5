/* Verification figures (EER, TAR at fixed FAR, the thresholds) shared by the
 * CLI's `face eval` and bench_face, so both report the same numbers. */
#include "internal/face.h"

#include <math.h>
#include <stdlib.h>

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y ? 1 : 0;
}

/* Number of values in sorted v[0..n) that are > t. */
static size_t count_above(const float *v, size_t n, double t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] > t)
            hi = mid;
        else
            lo = mid + 1;
    }
    return n - lo;
}

bool hs__face_roc_compute(hs__face_roc *roc, float *gen, size_t ng, float *imp, size_t ni)
{
    if (!roc || !gen || !imp || !ng || !ni)
        return false;
    qsort(gen, ng, sizeof *gen, cmp_float);
    qsort(imp, ni, sizeof *imp, cmp_float);
    static const double fars[4] = {1e-1, 1e-2, 1e-3, 1e-4};
    for (int k = 0; k < 4; k++) {
        size_t allowed = (size_t)floor(fars[k] * (double)ni);
        roc->far_valid[k] = allowed >= 1;
        /* threshold: the (allowed+1)-th highest impostor score */
        size_t idx = allowed < ni ? ni - 1 - allowed : 0;
        roc->thr[k] = imp[idx];
        roc->tar[k] = (double)count_above(gen, ng, roc->thr[k]) / (double)ng;
    }
    /* EER: accept when score > t; scan every score as a candidate. */
    double best = 2, eer = 1, eer_t = 0;
    for (int pass = 0; pass < 2; pass++) {
        const float *v = pass ? imp : gen;
        size_t n = pass ? ni : ng;
        for (size_t i = 0; i < n; i++) {
            double t = v[i];
            double far = (double)count_above(imp, ni, t) / (double)ni;
            double frr = 1.0 - (double)count_above(gen, ng, t) / (double)ng;
            double d = fabs(far - frr);
            if (d < best) {
                best = d;
                eer = (far + frr) / 2;
                eer_t = t;
            }
        }
    }
    roc->eer = eer;
    roc->eer_threshold = eer_t;
    return true;
}
