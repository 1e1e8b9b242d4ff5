/* Internal interface of the fingerprint extractor: the pipeline state shared
 * by lib/finger/extract*.c and the debug-stage hook. Never installed. */
#ifndef HOTSPOT_INTERNAL_FINGER_H
#define HOTSPOT_INTERNAL_FINGER_H

#include "hotspot/finger.h"
#include "internal/core.h"

/* The stage-picture hook (hs_finger_extractor_set_debug, testing.h) exists
 * only in HOTSPOT_TESTING builds; elsewhere the picture code is dead and
 * the compiler drops it. */
typedef void (*hs__finger_debug_fn)(void *user, const char *stage, const uint8_t *pixels,
                                    uint32_t width, uint32_t height);
#ifdef HOTSPOT_TESTING
#include "hotspot/testing.h"
#define HS__FX_DEBUGGING(ex) ((ex)->debug_fn != NULL)
#else
#define HS__FX_DEBUGGING(ex) ((void)(ex), 0)
#endif

/* ---- Pipeline internals (lib/finger/extract*.c) ------------------------ */

#define HS__FX_PAD 16      /* border around the padded float images */
#define HS__FX_BLOCK 8     /* block size of the fields, pixels at 500 ppi */
#define HS__FX_CELL 4      /* cell size of the per-pixel filter choice */
#define HS__FX_NORI 32     /* orientation bins over [0, pi) */
#define HS__FX_NPER 23     /* ridge period bins: 4.0 .. 15.0 px in 0.5 steps */
#define HS__FX_PER_MIN 4.0f
#define HS__FX_PER_STEP 0.5f
#define HS__FX_ALONG_R 10  /* along-ridge taps each side */
#define HS__FX_ACROSS_R 9  /* across-ridge taps each side */
#define HS__FX_MAX_CAND 6000
#define HS__FX_NPARAMS 5

typedef struct hs__fx_cand {
    float x, y;        /* working frame */
    float dx, dy;      /* unit direction, image frame (y down) */
    float quality;     /* 0..1 */
    float lp;          /* local ridge period at the candidate, px (5..14) */
    int32_t px, py;    /* skeleton pixel */
    uint8_t type;      /* HS_MINUTIA_ENDING / _BIFURCATION */
    uint8_t alive;
    uint8_t cn;        /* crossing number */
    uint8_t mark;      /* scratch flag of the filters */
} hs__fx_cand;

struct hs_finger_extractor {
    hs_allocator alloc;
    int32_t params[HS__FX_NPARAMS];
    hs__finger_debug_fn debug_fn; /* HOTSPOT_TESTING builds only; else NULL */
    void *debug_user;

    uint8_t *arena;
    size_t arena_cap;

    /* Per-image state, carved from the arena. */
    int w, h;            /* working image (500 ppi) */
    int pw, ph;          /* padded float image size: w + 2*PAD, h + 2*PAD */
    float *img;          /* padded working grey, 0..255 */
    float *tmp;          /* padded scratch (gradients, along-ridge pass) */
    float *enh;          /* padded enhanced image */
    uint8_t *mask;       /* w*h foreground */
    uint8_t *dist;       /* w*h distance to background, pixels, clipped */
    uint8_t *skel;       /* (w+2)*(h+2), binary then skeleton, 1-pixel border */
    int32_t *label;      /* w*h candidate index or -1 */
    uint8_t *dbg;        /* w*h debug picture */
    uint8_t *cell_ori;   /* cw*ch orientation bin per cell, +128: long smoothing */
    uint8_t *cell_per;   /* cw*ch period bin per cell */
    int cw, ch;
    int bw, bh;          /* block grid */
    float *b_a, *b_b, *b_e;   /* block tensor: sxx-syy, 2sxy, sxx+syy */
    float *b_ox, *b_oy;       /* smoothed doubled-angle ridge-normal vector */
    float *b_coh;             /* coherence 0..1 */
    float *b_energy;          /* mean squared gradient */
    float *b_std;             /* grey standard deviation */
    float *b_mean;            /* grey mean, smoothed */
    float *b_lstd;            /* grey deviation, smoothed (local normalisation) */
    float *b_per;             /* ridge period, pixels */
    float *b_pw;              /* period confidence */
    float *b_t1, *b_t2, *b_t3; /* block scratch */
    uint8_t *b_mask;
    uint8_t *b_m2;
    hs__fx_cand *cand;
    int ncand;
    float med_std;            /* median block grey std over the foreground */
    int fg_blocks;
    float mean_coh;
    float mean_per;

    /* Filter tables, rebuilt when pw changes (offsets depend on the stride). */
    int tab_pw;
    int32_t off_along[HS__FX_NORI][2 * HS__FX_ALONG_R + 1];
    float w_along[2][HS__FX_NORI][2 * HS__FX_ALONG_R + 1]; /* short, long */
    int32_t off_across[HS__FX_NORI][2 * HS__FX_ACROSS_R + 1];
    float w_across[HS__FX_NORI][HS__FX_NPER][2 * HS__FX_ACROSS_R + 1];
};

/* Stages; each works on ex's per-image state. */
void hs__fx_fields(hs_finger_extractor *ex);        /* orientation, mask, frequency */
void hs__fx_enhance(hs_finger_extractor *ex);       /* enhancement, binarisation */
void hs__fx_thin(hs_finger_extractor *ex);          /* thinning */
void hs__fx_minutiae(hs_finger_extractor *ex);      /* detection, filtering, quality */

/* Emit a debug picture when a hook is installed (HOTSPOT_TESTING builds). */
void hs__fx_debug(hs_finger_extractor *ex, const char *stage, const uint8_t *pix);

/* Bilinear position of pixel coordinate c among the block centres of a field
 * n blocks long: the two blocks to blend (*b0, *b1) and the weight of *b1,
 * clamped at the field's edges. */
static inline float hs__fx_block_pos(float c, int n, int *b0, int *b1)
{
    float f = (c + 0.5f) / HS__FX_BLOCK - 0.5f;
    if (f < 0.0f)
        f = 0.0f;
    int b = (int)f;
    if (b > n - 1)
        b = n - 1;
    *b0 = b;
    *b1 = b + 1 < n ? b + 1 : b;
    float a = f - (float)b;
    return a > 1.0f ? 1.0f : a;
}

/* Padded index of working pixel (x, y). */
static inline int hs__fx_pidx(const hs_finger_extractor *ex, int x, int y)
{
    return (y + HS__FX_PAD) * ex->pw + x + HS__FX_PAD;
}

#endif
