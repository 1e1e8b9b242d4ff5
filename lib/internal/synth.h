/* Internal layout of the synthetic fingerprint generator (lib/synth). */
#ifndef HOTSPOT_INTERNAL_SYNTH_H
#define HOTSPOT_INTERNAL_SYNTH_H

#include "hotspot/synth.h"
#include "internal/core.h"

#include <math.h>
#include <stdint.h>

/* Master canvas at 500 ppi. */
#define HS__SYNTH_MW 400
#define HS__SYNTH_MH 512
/* Gabor filter bank: orientations x ridge periods, (2R+1)^2 taps. */
#define HS__SYNTH_NORI 24
#define HS__SYNTH_NPER 8
#define HS__SYNTH_PER0 6.0f  /* period of bank entry 0, px; step 1 px */
#define HS__SYNTH_R 6
#define HS__SYNTH_K (2 * HS__SYNTH_R + 1)
/* kernel rows padded to 16 floats so that the inner loop vectorises */
#define HS__SYNTH_KS 16
#define HS__SYNTH_TAPS (HS__SYNTH_K * HS__SYNTH_KS)
/* Half-resolution bank for fast masters (HS_SYNTH_FAST): periods 3.0-6.5 px
 * in steps of 0.5, 7x7 taps in rows of 8. */
#define HS__SYNTH_PER0_H 3.0f
#define HS__SYNTH_PSTEP_H 0.5f
#define HS__SYNTH_R_H 3
#define HS__SYNTH_K_H (2 * HS__SYNTH_R_H + 1)
#define HS__SYNTH_KS_H 8
#define HS__SYNTH_TAPS_H (HS__SYNTH_K_H * HS__SYNTH_KS_H)
/* Tiled smooth noise texture used for skin and background variation. */
#define HS__SYNTH_TEX 128

#define HS__SYNTH_NPARAMS 14
#define HS__SYNTH_ITERS 14
#define HS__SYNTH_MAXCREASE 10
#define HS__PI 3.14159265358979323846

struct hs_synth {
    hs_allocator alloc;
    uint64_t seed;
    int32_t params[HS__SYNTH_NPARAMS]; /* indexed by HS_SYNTH_* key */
    float *bank;  /* NORI*NPER kernels of TAPS floats */
    float *bank_h; /* NORI*NPER kernels of TAPS_H floats (half resolution) */
    float *tex;   /* TEX*TEX smooth noise in [-1, 1] */
    int iters;    /* ridge growth passes (tests lower it for speed) */
};

typedef struct hs__synth_minutia {
    float x, y, angle; /* master pixels; ISO angle */
    uint8_t type;      /* HS_MINUTIA_ENDING or _BIFURCATION */
} hs__synth_minutia;

struct hs_synth_master {
    hs_allocator alloc;
    uint64_t key;      /* seeds the impressions */
    uint32_t cls;
    int w, h;          /* 500 ppi frame of all master coordinates */
    int scale;         /* 1, or 2 for a fast (250 ppi) master */
    int rw, rh;        /* ridge grid: w/scale x h/scale */
    float *ridge;      /* rw*rh, about [-1, 1]; > 0 on ridges */
    /* finger shape: half-ellipse top, half-ellipse bottom */
    float fx, fy, fa, fbt, fbb;
    float core_x, core_y; /* centre of the pattern, for placing impressions */
    hs__synth_minutia *min;
    uint32_t nmin;
    /* creases: white lines that cross the ridges in every impression */
    uint32_t ncrease;
    struct {
        float x0, y0, x1, y1, width;
    } crease[HS__SYNTH_MAXCREASE];
};

/* ---- random numbers (splitmix64: small state, good mixing) ---------- */
typedef struct hs__rng {
    uint64_t s;
} hs__rng;

static inline uint64_t hs__mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
static inline uint64_t hs__rng_next(hs__rng *r)
{
    r->s += 0x9e3779b97f4a7c15ULL;
    return hs__mix64(r->s);
}
/* Uniform in [0, 1). */
static inline double hs__rng_unif(hs__rng *r)
{
    return (double)(hs__rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}
static inline double hs__rng_range(hs__rng *r, double lo, double hi)
{
    return lo + (hi - lo) * hs__rng_unif(r);
}
static inline double hs__rng_normal(hs__rng *r)
{
    double u = hs__rng_unif(r), v = hs__rng_unif(r);
    return sqrt(-2.0 * log(1.0 - u)) * cos(6.283185307179586 * v);
}

/* Minutiae of a binary ridge map (1 = ridge) of w x h, sampled at 500/scale
 * ppi (lengths in the rules scale with it; output coordinates are at 500 ppi): thin it, find endings
 * and bifurcations by crossing number, drop spurs, short breaks and points
 * outside `inside` (NULL = everywhere; else w*h, non-zero where allowed).
 * Directions in the ISO convention. *out is allocated with a. */
hs_status hs__synth_minutiae(const hs_allocator *a, const uint8_t *bin, int w, int h,
                             const uint8_t *inside, int scale, hs__synth_minutia **out,
                             uint32_t *count);

/* Thin a binary image in place (Zhang-Suen); scratch of w*h bytes. */
void hs__synth_thin(uint8_t *img, int w, int h, uint8_t *scratch);

/* Ridge value of a master at (x, y) in its 500 ppi frame (bilinear); -1
 * outside. */
float hs__synth_ridge_at(const hs_synth_master *m, float x, float y);

/* Sample the tiled noise texture at (x, y) texels (bilinear, wraps). */
float hs__synth_tex(const hs_synth *g, float x, float y);

#endif
