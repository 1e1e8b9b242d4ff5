/*
 * libhotspot - frontline biometric screening
 *
 * eval.h: error rates of a comparison system measured from its scores:
 * the equal error rate, FMR100, FMR1000, ZeroFMR, the threshold for a target
 * false match rate and the points of a DET curve. The functions are generic:
 * they take arrays of genuine scores (comparisons of the same finger or
 * face) and impostor scores (different ones) from any matcher, fingerprint
 * or face, ours or another vendor's.
 *
 * Scores: higher means more alike. A comparison is accepted (declared a
 * match) when its score is at or above the threshold (score >= t); with
 * HS_EVAL_ACCEPT_ABOVE, when it is strictly above (score > t), as
 * hs_face_threshold_for_fmr() thresholds are used. The flag changes only how
 * an operating point's threshold is reported, never the rates:
 *   FMR(t)  = share of impostor scores accepted at t,
 *   FNMR(t) = share of genuine scores rejected at t.
 * The rates only change at a score, so the operating points are the gaps
 * between consecutive distinct scores (of both lists), plus "accept all" and
 * "accept none". A point's threshold is a score from the input, or -INFINITY
 * (accept all, with HS_EVAL_ACCEPT_ABOVE) or +INFINITY (accept none, by
 * default): a threshold taken from float scores converts back to float
 * exactly.
 *
 * Definitions follow the FVC reports (Maio et al., FVC2000/FVC2002):
 *  - EER: with t1 the last point where FNMR <= FMR and t2 the first where
 *    FNMR >= FMR, the EER is the middle of the interval [FNMR(t1), FMR(t1)]
 *    or [FMR(t2), FNMR(t2)], taken at the point with the smaller
 *    FMR + FNMR (t1 when they are equal).
 *  - FMR100, FMR1000, ZeroFMR: the lowest FNMR at a point with FMR <= 1%,
 *    <= 0.1%, = 0.
 *
 * The input arrays are only read (the functions sort copies made with the
 * context's allocator). Scores must be finite: a NaN or an infinity is
 * refused, so that the thresholds -INFINITY and +INFINITY keep their
 * meaning; a comparison that failed gets the score the caller decides on
 * (usually the lowest possible one).
 *
 * Thread-safety (the phrases of docs/conventions.md, section 8): the score
 * arrays are only read, so many threads may evaluate one set at once; the
 * one object each call writes is its ctx (the last error), so every
 * function is "One thread per object" (with ctx NULL, any number of
 * threads).
 */
#ifndef HOTSPOT_EVAL_H
#define HOTSPOT_EVAL_H

#include "hotspot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup eval Evaluation: error rates from score sets
 *  @{ */

/** Flag: a comparison is accepted when score > threshold (instead of >=).
 *  @since 1.0 */
#define HS_EVAL_ACCEPT_ABOVE 0x1u

/** One operating point. The layout is frozen. @since 1.0 */
typedef struct hs_eval_point {
    double threshold; /**< score threshold (see the acceptance rule above) */
    double fmr;       /**< false match rate at the threshold, 0..1 */
    double fnmr;      /**< false non-match rate at the threshold, 0..1 */
} hs_eval_point;

/** The headline error rates of a score set. Output struct: set struct_size
 *  (use HS_EVAL_RESULT_INIT); the library fills the members that fit in it
 *  and sets struct_size to the bytes it filled. Grows at the end.
 *  @since 1.0 */
typedef struct hs_eval_result {
    uint32_t struct_size;   /**< sizeof(hs_eval_result), set by the caller */
    uint32_t reserved;      /**< 0 */
    double eer;             /**< equal error rate (FVC definition), 0..1 */
    double eer_threshold;   /**< threshold of the point the EER was taken at */
    hs_eval_point fmr100;   /**< first point with FMR <= 1%: FMR100 = fmr100.fnmr */
    hs_eval_point fmr1000;  /**< first point with FMR <= 0.1%: FMR1000 = fmr1000.fnmr */
    hs_eval_point zero_fmr; /**< first point with FMR = 0: ZeroFMR = zero_fmr.fnmr */
} hs_eval_result;

/** Initialiser of an hs_eval_result. @since 1.0 */
#define HS_EVAL_RESULT_INIT {sizeof(hs_eval_result), 0, 0.0, 0.0, \
    {0.0, 0.0, 0.0}, {0.0, 0.0, 0.0}, {0.0, 0.0, 0.0}}

/** Compute the EER, FMR100, FMR1000 and ZeroFMR of a score set, with the
 *  threshold of each. @p genuine and @p impostor are only read.
 *  Ownership: @p out is the caller's; it is filled as far as its
 *  struct_size, which becomes the bytes filled. Errors: HS_ERR_INVALID_ARG
 *  (NULL argument, an empty list, a score that is not finite, struct_size
 *  below the 1.0 size or not a multiple of 4, an unknown flag),
 *  HS_ERR_NOMEM (the sorted copies); no other. On failure @p out is
 *  unchanged. One thread per object. @since 1.0 */
HS_API hs_status hs_eval_rates(hs_ctx *ctx, hs_eval_result *out,
                               const double *genuine, size_t genuine_count,
                               const double *impostor, size_t impostor_count,
                               uint32_t flags);

/** The operating point with the lowest FNMR whose FMR is at most @p fmr
 *  (the lowest such threshold): at most floor(fmr * impostor_count)
 *  impostor scores are accepted there. When that floor is 0 (too few
 *  impostor scores to measure @p fmr) the point is the ZeroFMR one.
 *  Ownership: the point is written to the caller's *out. Errors:
 *  HS_ERR_INVALID_ARG (NULL argument, an empty list, a score that is not
 *  finite, @p fmr not in [0, 1], an unknown flag), HS_ERR_NOMEM; no other.
 *  On failure @p out is unchanged. One thread per object. @since 1.0 */
HS_API hs_status hs_eval_threshold_for_fmr(hs_ctx *ctx, hs_eval_point *out,
                                           const double *genuine, size_t genuine_count,
                                           const double *impostor, size_t impostor_count,
                                           double fmr, uint32_t flags);

/** The points of the DET curve (FNMR against FMR): one per operating point,
 *  thresholds ascending (FMR falling, FNMR rising), from "accept all" to
 *  "accept none"; at most genuine_count + impostor_count + 1 points.
 *  Two-call size query: with @p points NULL, *count receives the number of
 *  points and HS_OK is returned; otherwise *count is the capacity of the
 *  caller's @p points on input and the number written on output.
 *  Errors: HS_ERR_BUFFER_TOO_SMALL (*count set to the number needed; the
 *  array is left unwritten), HS_ERR_INVALID_ARG (NULL argument, an empty
 *  list, a score that is not finite, an unknown flag), HS_ERR_NOMEM.
 *  One thread per object. @since 1.0 */
HS_API hs_status hs_eval_det(hs_ctx *ctx, hs_eval_point *points, size_t *count,
                             const double *genuine, size_t genuine_count,
                             const double *impostor, size_t impostor_count,
                             uint32_t flags);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_EVAL_H */
