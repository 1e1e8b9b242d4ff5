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

#endif
