/* Calibration and fusion of the evidence of a re-scored subject: each
 * probe finger's best matcher score and the best face similarity become
 * impostor p-values, combined by Fisher's method (the rule is documented
 * in watchlist.h). */
#include "internal/match.h"
#include "internal/watchlist_search.h"
#include "hotspot/face.h"
#include "hotspot/match.h"

#include <math.h>
#include <string.h>

#define LN10 2.30258509299404568402

/* log10 of the impostor probability of a score, interpolated between the
 * calibrated points (linear in log10 FMR), linear from (zero, 0) to the
 * first point, and continuing the last slope beyond the last one. */
static double cal_log10p(const hs__wl_calib *c, double s)
{
    if (s <= c->zero)
        return 0.0;
    if (s <= c->thr[0])
        return c->thr[0] > c->zero ? c->lf[0] * (s - c->zero) / (c->thr[0] - c->zero)
                                   : c->lf[0];
    const int nc = c->n;
    for (int k = 0; k + 1 < nc; k++) {
        if (s <= c->thr[k + 1]) {
            double d = c->thr[k + 1] - c->thr[k];
            if (!(d > 0))
                return c->lf[k + 1];
            return c->lf[k] + (c->lf[k + 1] - c->lf[k]) * (s - c->thr[k]) / d;
        }
    }
    /* beyond the last threshold: continue the last slope (per score unit) */
    int L = c->n - 1;
    double d = c->thr[L] - c->thr[L - 1];
    double slope = d > 1e-9 ? (c->lf[L] - c->lf[L - 1]) / d : -25.0;
    if (slope > -1.0)
        slope = -1.0;
    double lp = c->lf[L] + slope * (s - c->thr[L]);
    return lp < -40.0 ? -40.0 : lp;
}

/* Finger calibration: FMR 1e-2 .. 1e-6 in quarter decades. */
static void finger_calib(hs__wl_calib *c)
{
    c->n = HS__WL_NCAL;
    c->zero = 0;
    for (int k = 0; k < HS__WL_NCAL; k++) {
        c->lf[k] = -2.0 - 0.25 * k;
        c->thr[k] = (double)hs__finger_threshold(pow(10.0, c->lf[k]));
    }
}

/* Face calibration of a model from face.h (FMR 1e-1 .. 1e-4 in quarter
 * decades); false for models it has not calibrated. */
static bool face_calib(hs__wl_calib *c, uint32_t model)
{
    c->n = 13;
    for (int k = 0; k < c->n; k++) {
        float t;
        c->lf[k] = -1.0 - 0.25 * k;
        if (hs_face_threshold_for_fmr(&t, model, pow(10.0, c->lf[k])) != HS_OK)
            return false;
        c->thr[k] = t;
    }
    /* p = 1 half-way from the FMR 0.1 threshold down to 0 cosine */
    c->zero = c->thr[0] / 2;
    return true;
}

/* Uncalibrated faces (custom models): cosine of unrelated faces taken as
 * N(0.15, 0.10^2), a conservative fit for 128- to 512-d networks. */
static double face_log10p_default(double cosv)
{
    double z = (cosv - 0.15) / 0.10;
    if (z <= 0)
        return log10(0.5 * erfc(z / sqrt(2.0)));
    double x = z / sqrt(2.0);
    double p = 0.5 * erfc(x);
    if (p > 1e-300)
        return log10(p);
    /* asymptotic erfc(x) ~ exp(-x^2) / (x sqrt(pi)) */
    return (-x * x - log(x * 1.77245385090551602730) - log(2.0)) / LN10;
}

/* Fisher's method: -log10 of the combined p-value of k p-values whose
 * natural logs sum to lnsum (<= 0). */
static double fisher(double lnsum, uint32_t k)
{
    if (k == 0)
        return 0.0;
    double y = -lnsum;
    if (y <= 0)
        return 0.0;
    double t = 1.0, sum = 1.0;
    for (uint32_t j = 1; j < k; j++) {
        t *= y / j;
        sum += t;
    }
    double lp = -y + log(sum);
    double s = -lp / LN10;
    return s > 0 ? s : 0.0;
}

void hs__wl_fusion_init(hs__wl_fusion *fu, bool face, uint32_t face_model, double fmr)
{
    memset(fu, 0, sizeof *fu);
    finger_calib(&fu->finger);
    fu->face_calibrated = face && face_calib(&fu->face, face_model);
    fu->fmr_score = -log10(fmr);
}

void hs__wl_fuse(const hs__wl_fusion *fu, hs__wl_cand *c, uint32_t nprobe, const uint32_t *ncomp)
{
    double lnsum = 0;
    uint32_t k = 0;
    for (uint32_t v = 0; v < nprobe; v++) {
        if (!ncomp[v])
            continue;
        /* Bonferroni: the best of ncomp[v] comparisons */
        double lp = cal_log10p(&fu->finger, c->fsim[v]) * LN10 + log((double)ncomp[v]);
        lnsum += lp < 0 ? lp : 0;
        k++;
    }
    c->finger_score = fisher(lnsum, k);
    if (c->face_sim > -2.0) {
        double lp = (fu->face_calibrated ? cal_log10p(&fu->face, c->face_sim)
                                         : face_log10p_default(c->face_sim)) *
                    LN10;
        c->face_score = fisher(lp, 1);
        lnsum += lp;
        k++;
    }
    c->score = fisher(lnsum, k);
    c->hit = c->score >= fu->fmr_score ? 1u : 0u;
}

double hs__wl_face_best(const hs__wl_face *face, const hs__wl_entry *e)
{
    double best = -2.0;
    for (uint32_t k = 0; k < e->nfaces; k++) {
        uint32_t d, model;
        float scale;
        const int8_t *v;
        hs__wl_face_read(e, k, &d, &model, &scale, &v);
        if (d != face->dim || (model && face->model && model != face->model))
            continue;
        float sc;
        if (hs_face_similarity_q8(NULL, &sc, face->q, v, d) == HS_OK && sc > best)
            best = sc;
    }
    return best;
}
