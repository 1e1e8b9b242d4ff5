/*
 * libhotspot - match.h: 1:1 fingerprint comparison of minutiae templates.
 *
 * The matcher works in two steps, so that a 1:N search does the expensive
 * work once per template:
 *  1. hs_finger_prepare() turns one view of an hs_template into an
 *     immutable hs_finger_prepared: minutiae normalised to 500 ppi plus one
 *     bit-vector local descriptor per minutia (a Minutia Cylinder-Code
 *     variant). A prepared template can be stored (hs_finger_prepared_encode)
 *     and loaded again (hs_finger_prepared_decode) without re-preparation.
 *  2. hs_finger_match() compares two prepared templates with a per-thread
 *     hs_finger_matcher holding scratch space and options.
 * hs_finger_compare() does both for two templates (convenience, slower).
 *
 * Score scale: a float in [0, 1]; higher means more similar; never NaN.
 * It is the squared share of paired minutiae, each pair weighted by how
 * closely it agrees (1 for a template against itself). On the calibration
 * set 99% of impostor comparisons score below 0.053 and 99.99% below 0.102;
 * genuine FVC comparisons typically score 0.1-0.6. Templates with fewer
 * than two minutiae score 0. The score is symmetric (match(a, b) == match(b, a) within float
 * rounding). Use hs_finger_threshold_for_fmr() to turn a target false match
 * rate into a decision threshold; docs/finger-matching.md says how the
 * thresholds were calibrated.
 *
 * Thread-safety (the phrases of docs/conventions.md, section 8): a prepared
 * template is immutable, so every call that reads one is "Concurrent
 * readers". A comparison writes the matcher's scratch, so a matcher is "One
 * thread per object" (keep one per thread); setting its parameters is
 * "Exclusive". Calls taking a ctx need it to themselves: one ctx per thread.
 */
#ifndef HOTSPOT_MATCH_H
#define HOTSPOT_MATCH_H

#include "hotspot/common.h"
#include "hotspot/template.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup match Fingerprint matching
 *  @{ */

/** Immutable prepared template (one finger view). */
typedef struct hs_finger_prepared hs_finger_prepared;

/** Prepare view @p view of template @p t for matching: coordinates are
 *  normalised to 500 ppi using the view's resolution, and each minutia gets
 *  its local descriptor. Since 1.1 the view's ridge orientation field (which
 *  hs_finger_extract() stores in its templates and the native format keeps;
 *  the ISO and ANSI encoders carry it as vendor extended data; records from
 *  other extractors have none) is prepared too: the matcher uses it to
 *  find one more alignment when both prints have one (not in
 *  HS_MATCH_FAST). The field of a view whose x and y resolutions differ is
 *  not used. Views with 0 or 1
 *  minutiae are accepted (they match
 *  nothing). *out belongs to the caller (hs_finger_prepared_free()) and does
 *  not refer to @p t; on failure it is NULL. Errors: HS_ERR_INVALID_ARG (NULL
 *  argument), HS_ERR_NOT_FOUND (no such view), HS_ERR_LIMIT (more than 255
 *  minutiae in the view), HS_ERR_CORRUPT (a malformed orientation field
 *  block, since 1.1), HS_ERR_NOMEM. Concurrent readers. @since 1.0 */
HS_API hs_status hs_finger_prepare(hs_ctx *ctx, hs_finger_prepared **out,
                                   const hs_template *t, uint32_t view);

/** Free a prepared template; NULL is accepted. Its minutiae and descriptors
 *  are wiped first. Exclusive. @since 1.0 */
HS_API void hs_finger_prepared_free(hs_finger_prepared *p);

/** Number of minutiae of a prepared template (0 for NULL). Cannot fail.
 *  Concurrent readers. @since 1.0 */
HS_API uint32_t hs_finger_prepared_count(const hs_finger_prepared *p);

/** Finger position (HS_FINGER_*) the prepared view came from (0 for NULL).
 *  Cannot fail. Concurrent readers. @since 1.0 */
HS_API uint32_t hs_finger_prepared_position(const hs_finger_prepared *p);

/** Serialise a prepared template into the caller's @p buf as a compact,
 *  versioned byte string (magic "HSFP", version, CRC-32C; 16 + 48 bytes per
 *  minutia, plus, since 1.1, 12 bytes and one per cell of the ridge
 *  orientation field when the template carried one: our extractor's
 *  templates, typically 120-620 bytes; templates without a field encode as
 *  in 1.0). With @p buf NULL, *size receives the needed size and HS_OK is
 *  returned; with *size too small the call returns HS_ERR_BUFFER_TOO_SMALL,
 *  sets *size to the size needed and leaves buf unwritten. On success *size
 *  is the bytes written. Does not allocate. Errors: HS_ERR_BUFFER_TOO_SMALL.
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_finger_prepared_encode(hs_ctx *ctx, void *buf,
                                           size_t *size, const hs_finger_prepared *p);

/** Load a prepared template written by hs_finger_prepared_encode(). The
 *  input is treated as hostile and fully validated (magic, version, sizes,
 *  CRC, value ranges). *out belongs to the caller (hs_finger_prepared_free())
 *  and does not refer to @p buf; on failure it is NULL. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_FORMAT (magic), HS_ERR_VERSION (newer format),
 *  HS_ERR_TRUNCATED, HS_ERR_CORRUPT, HS_ERR_CHECKSUM, HS_ERR_LIMIT (more
 *  minutiae than HS_LIMIT_MAX_MINUTIAE or 255), HS_ERR_NOMEM. One thread per
 *  object. @since 1.0 */
HS_API hs_status hs_finger_prepared_decode(hs_ctx *ctx, hs_finger_prepared **out,
                                           const void *buf, size_t size);

/** Matcher: scratch space and options. One per thread. */
typedef struct hs_finger_matcher hs_finger_matcher;

/** Matcher parameters (hs_finger_matcher_set / _get). Append only. */
typedef enum hs_finger_matcher_param {
    HS_MATCH_MAX_ROTATION = 1, /**< largest rotation between the two
                                     prints, degrees 0..180 (default 180: any) */
    HS_MATCH_FAST = 2, /**< 1: first-stage filter mode, fewer anchors
                                     (faster, less accurate); default 0 */
    HS_MATCH_KERNELS = 3, /**< implementation of the inner loops, one of
                                     HS_MATCH_KERNELS_*; it changes the speed
                                     only: every set gives bit-identical
                                     scores. hs_finger_matcher_get() on a
                                     matcher returns the set in use, never
                                     AUTO. @since 1.0 */
    HS_MATCH_THOROUGH = 4, /**< 1: second-stage mode, default 0. A
                                     comparison does what the default mode
                                     does and then ranks 16 anchors (default
                                     6) and refines up to 4 more different
                                     alignments among them; when both
                                     prints carry orientation fields (our
                                     extractor's templates) it also runs
                                     the default mode again on local
                                     similarities that add the agreement
                                     of the ridge flow around each
                                     minutia.
                                     The best score counts, so a thorough
                                     score is never below the default score
                                     of the pair. It costs about 1.6 times a
                                     default comparison, about 4 times with
                                     fields; meant for re-scoring the
                                     short list of an identification (the
                                     best 5-10 candidates of a default-mode
                                     search) or a 1:1 check where time
                                     allows. Same scale as the default
                                     scores but not identical: the
                                     thresholds of
                                     hs_finger_threshold_for_fmr() hold
                                     approximately (at its 1e-2 and 1e-3
                                     thresholds about 1.3 times the
                                     default's share of impostors pass
                                     without fields, about 1.9 times with
                                     them; docs/finger-matching.md). Same scores
                                     on every kernel set. With HS_MATCH_FAST
                                     also set, comparisons fail with
                                     HS_ERR_INVALID_ARG. @since 1.1 */
} hs_finger_matcher_param;

/** Kernel sets (values of HS_MATCH_KERNELS). Append only. */
#define HS_MATCH_KERNELS_AUTO     0 /**< the fastest set this CPU runs (default) */
#define HS_MATCH_KERNELS_PORTABLE 1 /**< plain C, every platform */
#define HS_MATCH_KERNELS_AVX2     2 /**< x86-64 with AVX2 */
#define HS_MATCH_KERNELS_AVX512   3 /**< x86-64 with AVX-512 F, DQ, BW, VL and VPOPCNTDQ */
#define HS_MATCH_KERNELS_NEON     4 /**< AArch64 (64-bit ARM) with NEON, which every AArch64
                                         CPU has; HS_ERR_UNSUPPORTED elsewhere. @since 1.0 */

/** Create a matcher with default parameters (kernels: the fastest set this
 *  CPU runs). *out belongs to the caller (hs_finger_matcher_free()) and may
 *  outlive ctx; on failure it is NULL. Errors: HS_ERR_INVALID_ARG,
 *  HS_ERR_NOMEM. One thread per object. @since 1.0 */
HS_API hs_status hs_finger_matcher_new(hs_ctx *ctx, hs_finger_matcher **out);

/** Free a matcher; NULL is accepted. Its scratch (the similarities and
 *  pairings of the last comparison) is wiped first. Exclusive. @since 1.0 */
HS_API void hs_finger_matcher_free(hs_finger_matcher *m);

/** Set parameter @p key to @p value for later comparisons. No output.
 *  Errors: HS_ERR_INVALID_ARG for m NULL, an unknown key or a value outside
 *  hs_finger_matcher_bounds(); HS_ERR_UNSUPPORTED for a kernel set this CPU
 *  or build cannot run (the matcher keeps its set). Exclusive. @since 1.0 */
HS_API hs_status hs_finger_matcher_set(hs_finger_matcher *m, hs_finger_matcher_param key,
                                       int32_t value);

/** Current value of parameter @p key into *value (written only on
 *  success); the default when @p m is NULL (HS_MATCH_KERNELS_AUTO for the
 *  kernels). Errors: HS_ERR_INVALID_ARG (value NULL, unknown key).
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_finger_matcher_get(const hs_finger_matcher *m, int32_t *value,
                                       hs_finger_matcher_param key);

/** Allowed range of parameter @p key into *min_value and *max_value (either
 *  may be NULL; written only on success). Errors: HS_ERR_INVALID_ARG
 *  (unknown key or both outputs NULL). Thread-safe. @since 1.0 */
HS_API hs_status hs_finger_matcher_bounds(int32_t *min_value, int32_t *max_value,
                                          hs_finger_matcher_param key);

/** Compare two prepared templates; *score receives the similarity in [0, 1]
 *  (see the scale above), 0 on failure. Does not allocate. Errors:
 *  HS_ERR_INVALID_ARG (NULL argument; HS_MATCH_FAST and HS_MATCH_THOROUGH
 *  both set, since 1.1). The prepared templates are only read;
 *  the matcher's scratch is written. One thread per object. @since 1.0 */
HS_API hs_status hs_finger_match(hs_finger_matcher *m, float *score,
                                 const hs_finger_prepared *probe,
                                 const hs_finger_prepared *candidate);

/** Convenience: prepare view 0 of @p a and of @p b and compare them with a
 *  temporary matcher of default parameters. *score is written only on
 *  success. Errors: those of hs_finger_prepare() (HS_ERR_NOT_FOUND for a
 *  template without views, HS_ERR_LIMIT). Concurrent readers. @since 1.0 */
HS_API hs_status hs_finger_compare(hs_ctx *ctx, float *score, const hs_template *a,
                                   const hs_template *b);

/** Score threshold giving a false match rate of about @p fmr into
 *  *threshold (written only on success), from a static table. @p fmr must be
 *  finite and in (0, 1); values outside 1e-6 .. 1e-2 are clamped to that
 *  range, where the calibration holds (impostor comparisons: all
 *  cross-finger pairs of the FVC2002/2004 B sets and the Neurotechnology
 *  sample set; values below 1e-4 extrapolate a fitted impostor tail). Errors:
 *  HS_ERR_INVALID_ARG (threshold NULL; fmr NaN, infinite, <= 0 or >= 1).
 *  Thread-safe. @since 1.0 */
HS_API hs_status hs_finger_threshold_for_fmr(float *threshold, double fmr);

/* ---- Multi-finger fusion ---------------------------------------------- */

/** Fusion rules for hs_finger_match_multi(). */
#define HS_FUSION_MAX  0 /**< best pair score */
#define HS_FUSION_MEAN 1 /**< mean of the per-finger scores */
#define HS_FUSION_SUM_TOP2 2 /**< mean of the two best per-finger scores */

/** Compare two sets of prepared fingers and fuse the scores. Fingers are
 *  paired by finger position: a probe finger with a known position (1-10) is
 *  only compared with candidate fingers of the same position; a finger with
 *  unknown position (0) is compared with every finger of the other set and
 *  keeps its best score. Each probe finger contributes one score (0 when it
 *  has no partner); @p rule (HS_FUSION_*) fuses them. *score is in [0, 1],
 *  0 on failure. Does not allocate. Errors: HS_ERR_INVALID_ARG (NULL argument
 *  or array entry, zero counts, unknown rule; HS_MATCH_FAST and
 *  HS_MATCH_THOROUGH both set, since 1.1). Like hs_finger_match(), it
 *  writes the matcher's scratch. One thread per object. @since 1.0 */
HS_API hs_status hs_finger_match_multi(hs_finger_matcher *m,
                                       float *score, const hs_finger_prepared *const *probe,
                                       size_t nprobe,
                                       const hs_finger_prepared *const *candidate,
                                       size_t ncandidate, int rule);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_MATCH_H */
