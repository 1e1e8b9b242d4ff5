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

/* Words of a bit-vector cylinder: the validity mask of the 64 cells, then
 * one value word per direction section (values are a subset of the mask). */
#define HS__CYL_WORDS (1 + HS__CYL_ND)

struct hs_finger_prepared {
    hs_allocator alloc;
    uint32_t count;
    uint32_t position;
    hs__pmin *min; /* count entries, same block as the struct */
    /* Cylinders, word-major (structure of arrays, so that the matcher loads
     * the same word of consecutive minutiae at once): cyl[w * count + i] is
     * word w of minutia i, w = 0 the mask, w = 1 + k section k. Same block. */
    uint64_t *cyl;
    size_t block;  /* bytes of the whole allocation (for wiping) */
};

/* Bytes of an encoded prepared template with n minutiae. */
#define HS__PREPARED_HEADER 12u
#define HS__PREPARED_BYTES(n) (HS__PREPARED_HEADER + (size_t)(n) * (8u + 8u * (1u + HS__CYL_ND)) + 4u)

/* Allocate an empty prepared template for n minutiae (arrays zeroed). */
hs_status hs__prepared_alloc(hs_ctx *ctx, hs_finger_prepared **out, uint32_t n);

#ifdef HOTSPOT_TESTING
/* Tuning hook for experiments (HOTSPOT_TESTING builds only): set an
 * internal matcher parameter by name ("tol_base", "tol_slope", "tol_max",
 * "angle_tol", "overlap", "min_norm", "anchors", "refine"). False for an
 * unknown name. */
bool hs__matcher_tune(hs_finger_matcher *m, const char *name, float value);
#endif

/* Threshold for a false match rate, without argument checks (callers pass
 * rates they validated; the public hs_finger_threshold_for_fmr() checks). */
float hs__finger_threshold(double fmr);

#endif
