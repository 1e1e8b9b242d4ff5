/* Internal helpers of the face module shared between its C files. */
#ifndef HOTSPOT_INTERNAL_FACE_H
#define HOTSPOT_INTERNAL_FACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* scores[i] = ps * rs[i] * dot(probe, m + i*stride) for i < n (AVX2 when the
 * CPU has it). No argument checks: callers validate. */
void hs__face_scan(float *scores, const int8_t *probe, float ps, const int8_t *m,
                   const float *rs, size_t n, uint32_t dim, size_t stride);

/* Verification figures from genuine and impostor scores (higher = more
 * alike). FAR points: 1e-1, 1e-2, 1e-3, 1e-4. thr[k] is the score an
 * impostor must exceed to be accepted at that point (at most far*Ni impostor
 * scores are above it); tar[k] the fraction of genuine scores above thr[k];
 * far_valid[k] is 0 when Ni*far < 1 (the set cannot measure it). */
typedef struct hs__face_roc {
    double eer, eer_threshold;
    double thr[4], tar[4];
    int far_valid[4];
} hs__face_roc;

/* Sorts both arrays in place (ascending). Returns false when either is
 * empty or allocation fails. */
bool hs__face_roc_compute(hs__face_roc *roc, float *gen, size_t ng, float *imp, size_t ni);

#endif
