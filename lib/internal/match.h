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

/* The coarse ridge orientation field (HS__TBLOCK_FIELD) of a prepared
 * template in its frame (500 ppi, y up); it lives in the prepared block.
 * Cell (i, j) of the gw x gh grid covers x in [(x0 + i) c, (x0 + i + 1) c)
 * and -y in [(y0 + j) c, ...); the cells are square, c = c64 / 64 px.
 * Sampled cells (every HS__FIELD_STEP-th, staggered) for the matcher's
 * agreement: centres sx, sy and doubled ridge angles sd (2 pi / 256); the
 * arrays hold a multiple of 16 entries (zeros past ns), and 3 readable
 * bytes follow the grid (the kernels' 32-bit gathers). */
typedef struct hs__pfield {
    const uint8_t *grid;
    const int16_t *sx, *sy;
    const uint8_t *sd;
    uint32_t ns;
    uint16_t gw, gh, x0, y0;
    uint16_t c64;
    float c;
} hs__pfield;

struct hs_finger_prepared {
    hs_allocator alloc;
    hs__pmin *min; /* count entries, same block as the struct */
    /* Cylinders, word-major (structure of arrays, so that the matcher loads
     * the same word of consecutive minutiae at once): cyl[w * count + i] is
     * word w of minutia i, w = 0 the mask, w = 1 + k section k. Same block. */
    uint64_t *cyl;
    /* The orientation field, NULL when the template had none (other
     * extractors' records, older templates); same block. */
    const hs__pfield *fd;
    uint32_t block;    /* bytes of the whole allocation (for wiping) */
    uint16_t count;    /* minutiae, at most HS__PREPARED_MAX */
    uint8_t position;  /* finger position 0-10 */
    uint8_t reserved;
};
/* 64 bytes on LP64: the cylinders start at the next cache line. */

#define HS__FIELD_STEP 4

/* A prepared template of n minutiae (their values still to be written) and,
 * when grid is not NULL, the field of that gw x gh grid (validated by the
 * caller with hs__field_check) at offset x0, y0 with cells of c64 / 64 px,
 * copied and sampled; NULL when out of memory. */
hs_finger_prepared *hs__prepared_new_field(const hs_allocator *a, uint32_t n, const uint8_t *grid,
                                           uint32_t gw, uint32_t gh, uint32_t x0, uint32_t y0,
                                           uint32_t c64);
/* Bounds of a cell's size in the prepared frame, 1/64 px: 8-64 px (the
 * extractor's are 16 px). */
#define HS__FIELD_CELL64_MIN (8u * 64u)
#define HS__FIELD_CELL64_MAX (64u * 64u)
/* The checks of a field shared by hs_finger_prepare() and the codec (square
 * cells of fc64 / 64 px): NULL when it is acceptable, else the reason. */
const char *hs__field_check(const uint8_t *grid, uint32_t gw, uint32_t gh, uint32_t x0,
                            uint32_t y0, uint32_t fc64);

/* The checks of a whole HS__TBLOCK_FIELD block (internal/template.h) of n
 * bytes at b for a view of horizontal resolution ppi_x (0: 500): NULL when
 * hs_finger_prepare() accepts it, with its header's five u16 in h and the
 * cell size in the prepared frame (1/64 px) in *c64; else the reason. */
const char *hs__field_block_check(const uint8_t *b, size_t n, uint32_t ppi_x, uint32_t h[5],
                                  uint32_t *c64);
/* Its first part alone, for a block that passed it before: the framing,
 * the header into h and the cell size into *c64; false when the framing is
 * wrong. The cells are not looked at. */
bool hs__field_geometry(const uint8_t *b, size_t n, uint32_t ppi_x, uint32_t h[5],
                        uint32_t *c64);
/* The grid of a field block that passed hs__field_block_check() before, when
 * the matcher uses it for a view of resolutions ppi_x, ppi_y: the header in
 * h and the cell size in *c64 as hs__field_geometry() gives them. NULL (h
 * and *c64 zeroed) when there is no block, its framing is wrong, or the two
 * resolutions differ (the field's angles would need turning as the
 * minutiae's are). hs_finger_prepare(), the watchlist's cache and its
 * per-search scratch all decide with it, so a stored finger scores alike on
 * every path. */
const uint8_t *hs__field_grid(const uint8_t *b, size_t n, uint32_t ppi_x, uint32_t ppi_y,
                              uint32_t h[5], uint32_t *c64);

/* Bytes of an encoded prepared template with n minutiae. */
#define HS__PREPARED_HEADER 12u
#define HS__PREPARED_BYTES(n) (HS__PREPARED_HEADER + (size_t)(n) * (8u + 8u * (1u + HS__CYL_ND)) + 4u)

/* Allocate an empty prepared template for n minutiae (arrays zeroed) with
 * allocator a; NULL when out of memory. hs__prepared_alloc does the same
 * with ctx's allocator and records the error in ctx. */
hs_finger_prepared *hs__prepared_new(const hs_allocator *a, uint32_t n);
hs_status hs__prepared_alloc(hs_ctx *ctx, hs_finger_prepared **out, uint32_t n);

/* Most minutiae the matcher prepares (one less than its index range). */
#define HS__PREPARED_MAX 255

/* Prepare minutiae m[0..n) of a finger scanned at ppi_x x ppi_y (0: 500)
 * at position `position` into p, whose arrays have room for n minutiae
 * (n <= HS__PREPARED_MAX). Allocates nothing and checks nothing: the
 * caller has validated the minutiae (hs_finger_prepare does, a watchlist
 * did when the finger entered it). hs_finger_prepare gives the same bytes. */
void hs__finger_prepare_into(hs_finger_prepared *p, const hs_minutia *m, uint32_t n,
                             uint32_t ppi_x, uint32_t ppi_y, uint32_t position);

/* Most cells of a field a scratch holds (a watchlist's largest), and its
 * most samples: at most ceil(gh / 4) ceil(gw / 4) <= (4096 + 3 (256 + 16)
 * + 9) / 16 < 308 for gw gh <= 4096 and gw, gh <= 256, rounded up to 16. */
#define HS__SCRATCH_FIELD_CELLS 4096u
#define HS__SCRATCH_FIELD_SAMPLES 320u

/* Room for one prepared finger, owned by its user (one per thread): a
 * search prepares each stored finger it re-scores into it instead of
 * allocating a prepared template per finger. About 18 KiB. */
typedef struct hs__prepared_scratch {
    hs_finger_prepared p;
    uint64_t cyl[HS__PREPARED_MAX * HS__CYL_WORDS];
    hs__pmin min[HS__PREPARED_MAX];
    uint64_t field[(sizeof(hs__pfield) + 5u * HS__SCRATCH_FIELD_SAMPLES +
                    HS__SCRATCH_FIELD_CELLS + 3u + 7u) / 8u];
} hs__prepared_scratch;

/* Prepare a finger into s (at most HS__PREPARED_MAX minutiae are used) and
 * return it; valid until the next fill of s. field (field_len bytes, NULL
 * for none) is its HS__TBLOCK_FIELD block, which passed
 * hs__field_block_check() (a watchlist's records did when they entered the
 * list: the cells are not checked again for every search); it is used when
 * the two resolutions are equal, as hs_finger_prepare() does, and it fits
 * the scratch (at most HS__SCRATCH_FIELD_CELLS cells). Never fails, never allocates. The caller wipes s (hs__memzero)
 * when done: it holds biometric data. */
const hs_finger_prepared *hs__prepared_scratch_fill(hs__prepared_scratch *s, const hs_minutia *m,
                                                    uint32_t n, uint32_t ppi_x, uint32_t ppi_y,
                                                    uint32_t position, const uint8_t *field,
                                                    size_t field_len);

/* The candidate-key sort of m's kernel set: in[0..n-1] into out in
 * decreasing order, equal keys included (the matcher makes none, but every
 * set must still give the same permutation). in must be readable up to n
 * rounded up to a multiple of 8 (the AVX2 kernel loads whole vectors; the
 * matcher's key arrays have that room). test_match compares every set with
 * the portable one. */
void hs__match_sort_keys(const hs_finger_matcher *m, const uint32_t *in, uint32_t *out, int n);

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
