/* Evaluation metrics for biometric comparison scores (FVC protocol), used
 * by the `hotspot eval` command, the benchmarks and the calibration. */
#ifndef HOTSPOT_INTERNAL_EVAL_H
#define HOTSPOT_INTERNAL_EVAL_H

#include "internal/core.h"

/* Error rates of one genuine/impostor score set (higher = more similar).
 * FMR(t) = impostors scoring >= t, FNMR(t) = genuine scoring < t. All rates
 * are fractions (0..1). */
typedef struct hs__eval_result {
    double eer;      /* equal error rate, FVC definition ((low + high) / 2) */
    double eer_threshold;
    double fmr100;   /* lowest FNMR with FMR <= 1% */
    double fmr1000;  /* lowest FNMR with FMR <= 0.1% */
    double zero_fmr; /* lowest FNMR with FMR = 0 */
    double genuine_mean, impostor_mean;
    size_t ngenuine, nimpostor;
} hs__eval_result;

/* Compute the rates. The arrays are sorted in place (ascending). NaN scores
 * are treated as the lowest possible score. Errors: HS_ERR_INVALID_ARG when
 * either list is empty or NULL. */
hs_status hs__eval_rates(double *genuine, size_t ng, double *impostor, size_t ni,
                         hs__eval_result *out);

/* FMR and FNMR at threshold t on sorted arrays. */
double hs__eval_fmr(const double *impostor_sorted, size_t ni, double t);
double hs__eval_fnmr(const double *genuine_sorted, size_t ng, double t);

/* DET curve points (fmr[i], fnmr[i]) at every distinct score, thresholds
 * ascending; the caller gives arrays of ng + ni + 1 entries. Returns the
 * number of points written. Inputs must be sorted (hs__eval_rates does). */
size_t hs__eval_det(const double *genuine_sorted, size_t ng, const double *impostor_sorted,
                    size_t ni, double *fmr, double *fnmr);

/* Score threshold giving at most FMR f on a sorted impostor list (the
 * smallest t with FMR(t) <= f). */
double hs__eval_threshold_at(const double *impostor_sorted, size_t ni, double f);

/* Parse a sample file name: FVC "{finger}_{impression}.ext" or
 * Neurotechnology "{person}_{finger}_{impression}.ext". finger receives a
 * string key unique per finger ("101" or "012_3"), impression the impression
 * number. Returns false for names that fit neither. */
bool hs__eval_parse_name(const char *name, char *finger, size_t fsize, unsigned *impression);

/* Resolution of a known FVC set from its folder name (e.g. "FVC2002_DB2_B"
 * -> 569), 0 when unknown. */
unsigned hs__eval_fvc_ppi(const char *folder);

#endif
