/* Internal layout of prepared fingerprints, shared by the matcher, its codec,
 * the evaluation code and the watchlist (read-only use). */
#ifndef HOTSPOT_INTERNAL_MATCH_H
#define HOTSPOT_INTERNAL_MATCH_H

#include "hotspot/match.h"
#include "internal/core.h"

/* Direction sections of a cylinder; each section is one 64-bit word holding
 * an 8 x 8 grid of spatial cells. */
#define HS__CYL_ND 4

/* One minutia of a prepared template, at 500 ppi. The y axis points up
 * (y = -image y), so that angles are plain counter-clockwise angles. */
typedef struct hs__pmin {
    int16_t x;
    int16_t y;
    uint8_t angle; /* units of 2*pi/256 */
    uint8_t type;
    uint8_t nvalid; /* popcount of the cylinder mask (derived) */
    uint8_t quality;
} hs__pmin;

/* Bit-vector cylinder: validity mask of the 64 cells and one value word per
 * direction section (values are a subset of the mask). */
typedef struct hs__cyl {
    uint64_t mask;
    uint64_t bits[HS__CYL_ND];
} hs__cyl;

struct hs_finger_prepared {
    hs_allocator alloc;
    uint32_t count;
    uint32_t position;
    hs__pmin *min; /* count entries, same block as the struct */
    hs__cyl *cyl;  /* count entries, same block */
    size_t block;  /* bytes of the whole allocation (for wiping) */
};

/* Bytes of an encoded prepared template with n minutiae. */
#define HS__PREPARED_HEADER 12u
#define HS__PREPARED_BYTES(n) (HS__PREPARED_HEADER + (size_t)(n) * (8u + 8u * (1u + HS__CYL_ND)) + 4u)

/* Allocate an empty prepared template for n minutiae (arrays zeroed). */
hs_status hs__prepared_alloc(hs_ctx *ctx, hs_finger_prepared **out, uint32_t n);

/* Tuning hook for experiments and benchmarks: set an internal matcher
 * parameter by name ("tol_base", "tol_slope", "tol_max", "angle_tol",
 * "overlap", "min_norm", "anchors", "refine"). False for an unknown name. */
bool hs__matcher_tune(hs_finger_matcher *m, const char *name, float value);

#endif
