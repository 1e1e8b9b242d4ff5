/* Error-rate metrics of the FVC protocol (Maio et al., FVC2002/FVC2004
 * reports): EER, FMR100, FMR1000, ZeroFMR, DET points. */
#include "internal/eval.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int dcmp(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

static void clean_sort(double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != v[i])
            v[i] = -HUGE_VAL;
    qsort(v, n, sizeof *v, dcmp);
}

/* Number of entries < t in a sorted array. */
static size_t count_below(const double *v, size_t n, double t)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

double hs__eval_fmr(const double *imp, size_t ni, double t)
{
    return ni ? (double)(ni - count_below(imp, ni, t)) / (double)ni : 0.0;
}

double hs__eval_fnmr(const double *gen, size_t ng, double t)
{
    return ng ? (double)count_below(gen, ng, t) / (double)ng : 0.0;
}

/* Candidate thresholds: every distinct score, plus one above all. The rates
 * only change at scores, so these cover every operating point. */
static double next_threshold(const double *g, size_t ng, const double *im, size_t ni,
                             size_t *ig, size_t *ii, bool *done)
{
    double t;
    if (*ig < ng && (*ii >= ni || g[*ig] <= im[*ii]))
        t = g[*ig];
    else if (*ii < ni)
        t = im[*ii];
    else {
        *done = true;
        return HUGE_VAL;
    }
    while (*ig < ng && g[*ig] <= t)
        (*ig)++;
    while (*ii < ni && im[*ii] <= t)
        (*ii)++;
    return t;
}

size_t hs__eval_det(const double *g, size_t ng, const double *im, size_t ni, double *fmr,
                    double *fnmr)
{
    size_t ig = 0, ii = 0, k = 0;
    bool done = false;
    while (!done) {
        size_t g0 = ig, i0 = ii;
        double t = next_threshold(g, ng, im, ni, &ig, &ii, &done);
        (void)t;
        /* at threshold t: genuine below = g0, impostors at or above = ni - i0 */
        fmr[k] = ni ? (double)(ni - i0) / (double)ni : 0.0;
        fnmr[k] = ng ? (double)g0 / (double)ng : 0.0;
        k++;
    }
    return k;
}

double hs__eval_threshold_at(const double *imp, size_t ni, double f)
{
    if (ni == 0)
        return -HUGE_VAL;
    /* FMR(t) <= f  <=>  at most floor(f * ni) impostors >= t */
    size_t allowed = (size_t)floor(f * (double)ni + 1e-9);
    if (allowed >= ni)
        return imp[0];
    /* t must exceed imp[ni - allowed - 1] */
    return nextafter(imp[ni - allowed - 1], HUGE_VAL);
}

hs_status hs__eval_rates(double *g, size_t ng, double *im, size_t ni, hs__eval_result *out)
{
    if (!g || !im || !out || ng == 0 || ni == 0)
        return HS_ERR_INVALID_ARG;
    memset(out, 0, sizeof *out);
    clean_sort(g, ng);
    clean_sort(im, ni);
    out->ngenuine = ng;
    out->nimpostor = ni;
    double sg = 0, si = 0;
    for (size_t i = 0; i < ng; i++)
        sg += isfinite(g[i]) ? g[i] : 0.0;
    for (size_t i = 0; i < ni; i++)
        si += isfinite(im[i]) ? im[i] : 0.0;
    out->genuine_mean = sg / (double)ng;
    out->impostor_mean = si / (double)ni;

    out->fmr100 = out->fmr1000 = out->zero_fmr = 1.0;
    /* EER as in FVC: t1 = last threshold with FNMR <= FMR, t2 = first with
     * FNMR >= FMR; the EER interval is taken at whichever has the smaller
     * sum of rates. */
    double t1_fmr = 1.0, t1_fnmr = 0.0, t1_t = -HUGE_VAL;
    double t2_fmr = 0.0, t2_fnmr = 1.0, t2_t = HUGE_VAL;
    bool have2 = false;
    size_t ig = 0, ii = 0;
    bool done = false;
    while (!done) {
        size_t g0 = ig, i0 = ii;
        double t = next_threshold(g, ng, im, ni, &ig, &ii, &done);
        double fmr = (double)(ni - i0) / (double)ni;
        double fnmr = (double)g0 / (double)ng;
        if (fmr <= 0.01 && fnmr < out->fmr100)
            out->fmr100 = fnmr;
        if (fmr <= 0.001 && fnmr < out->fmr1000)
            out->fmr1000 = fnmr;
        if (fmr <= 0.0 && fnmr < out->zero_fmr)
            out->zero_fmr = fnmr;
        if (fnmr <= fmr) {
            t1_fmr = fmr;
            t1_fnmr = fnmr;
            t1_t = t;
        }
        if (!have2 && fnmr >= fmr) {
            have2 = true;
            t2_fmr = fmr;
            t2_fnmr = fnmr;
            t2_t = t;
        }
    }
    double lo, hi;
    if (t1_fnmr + t1_fmr <= t2_fnmr + t2_fmr) {
        lo = t1_fnmr;
        hi = t1_fmr;
        out->eer_threshold = t1_t;
    } else {
        lo = t2_fmr;
        hi = t2_fnmr;
        out->eer_threshold = t2_t;
    }
    out->eer = 0.5 * (lo + hi);
    return HS_OK;
}

static bool all_digits(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return false;
    return true;
}

bool hs__eval_parse_name(const char *name, char *finger, size_t fsize, unsigned *impression)
{
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    size_t len = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        len = (size_t)(dot - base);
    const char *u1 = memchr(base, '_', len);
    if (!u1)
        return false;
    const char *u2 = memchr(u1 + 1, '_', len - (size_t)(u1 + 1 - base));
    const char *imp = u2 ? u2 + 1 : u1 + 1;
    size_t implen = len - (size_t)(imp - base);
    size_t keylen = (size_t)(imp - 1 - base);
    if (!all_digits(imp, implen) || implen > 4 || keylen == 0 || keylen + 1 > fsize)
        return false;
    if (!all_digits(base, (size_t)(u1 - base)))
        return false;
    if (u2 && !all_digits(u1 + 1, (size_t)(u2 - u1 - 1)))
        return false;
    memcpy(finger, base, keylen);
    finger[keylen] = '\0';
    *impression = (unsigned)strtoul(imp, NULL, 10);
    return true;
}

static const struct {
    const char *name;
    unsigned ppi;
} fvc_sets[] = {
    {"FVC2002_DB1", 500}, {"FVC2002_DB2", 569}, {"FVC2002_DB3", 500}, {"FVC2002_DB4", 500},
    {"FVC2004_DB1", 500}, {"FVC2004_DB2", 500}, {"FVC2004_DB3", 512}, {"FVC2004_DB4", 500},
};

unsigned hs__eval_fvc_ppi(const char *folder)
{
    if (!folder)
        return 0;
    /* last path component that names a set (trailing slashes allowed) */
    unsigned ppi = 0;
    for (size_t k = 0; k < sizeof fvc_sets / sizeof fvc_sets[0]; k++) {
        const char *p = folder, *hit;
        while ((hit = strstr(p, fvc_sets[k].name)) != NULL) {
            ppi = fvc_sets[k].ppi;
            p = hit + 1;
        }
    }
    return ppi;
}
