/*
 * libhotspot - face.h: face detection, alignment and embedding (through
 * OpenCV), and embedding comparison, storage and 1:N search (pure C).
 *
 * Two halves:
 *  - Embeddings (always built): cosine similarity, a compact int8 stored
 *    form, a self-describing encoded form ("HSFE" records), a gallery for
 *    1:N search over a contiguous int8 matrix, and FMR-calibrated thresholds.
 *  - The face engine (built with HOTSPOT_WITH_OPENCV): a detector (YuNet
 *    ONNX, an UltraFace ONNX with a 68-point landmark net, or OpenCV's Haar
 *    cascade as a fallback), alignment to the standard 5-point 112x112
 *    template and an embedding network (ONNX or Caffe). With no model
 *    named it loads the default set (see hs_face_engine_options). Without
 *    OpenCV every engine function returns HS_ERR_NOT_BUILT; the exported
 *    symbols are the same either way.
 *
 * Embeddings are arrays of float, L2-normalised, of dimension 1 ..
 * HS_FACE_MAX_DIM. Scores are cosine similarities in [-1, 1]; higher means
 * more alike.
 *
 * Thread-safety (the phrases of docs/conventions.md, section 8): the
 * embedding functions only read their inputs; their one object is the ctx,
 * which records the last error, so they are "One thread per object" (with
 * ctx NULL, any number of threads), as are hs_face_gallery_new() and
 * hs_face_engine_new(); those without a ctx (thresholds, parameter bounds)
 * are "Thread-safe". A gallery is "Concurrent readers" for search, count
 * and dim, and "Exclusive" for add, remove and free. An engine's detect and
 * embed write its scratch and run OpenCV nets that keep per-call state, so
 * they are "One thread per object": create one engine per thread; align
 * and the getters only read it ("Concurrent readers"); setting a parameter
 * and free are "Exclusive".
 */
#ifndef HOTSPOT_FACE_H
#define HOTSPOT_FACE_H

#include "hotspot/common.h"
#include "hotspot/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup face Faces
 *  @{ */

/** Largest embedding dimension accepted anywhere. */
#define HS_FACE_MAX_DIM 4096

/** Embedding models (model ids). They select the input normalisation preset
 *  of the engine and the calibrated thresholds. Append only. */
#define HS_FACE_MODEL_CUSTOM        0 /**< any net; normalisation set by params */
#define HS_FACE_MODEL_SFACE         1 /**< OpenCV SFace (ONNX, 128-d, raw 0-255 RGB) */
#define HS_FACE_MODEL_MOBILEFACENET 2 /**< MobileFaceNet (Caffe, 128-d, RGB, (x-127.5)/128) */
#define HS_FACE_MODEL_ARCFACE       3 /**< ArcFace-style 512-d ONNX (RGB, (x-127.5)/128) */
/** The default embedder, fr_feature.onnx (512-d ONNX, RGB, (x-127)/128), with
 *  thresholds calibrated on the default pipeline (UltraFace + 68-point
 *  landmarks). An engine made from the default models gets this id.
 *  @since 1.0 */
#define HS_FACE_MODEL_FR_FEATURE    4

/* ==== Embeddings (pure C, always available) ============================ */

/** Check that @p v has a dimension in 1..HS_FACE_MAX_DIM, only finite
 *  values and a non-zero norm, then scale it to unit length in place (use it
 *  to import embeddings computed by another SDK). Errors: HS_ERR_INVALID_ARG
 *  (NULL, dimension, NaN/Inf, zero vector) only; @p v is unchanged on
 *  failure. One thread per object. @since 1.0 */
HS_API hs_status hs_face_embedding_normalize(hs_ctx *ctx, float *v, uint32_t dim);

/** Cosine similarity of two embeddings of the same dimension (they need not
 *  be normalised) into *score, in [-1, 1]; @p a and @p b are only read.
 *  Errors: HS_ERR_INVALID_ARG only (NULL, dimension, NaN/Inf, zero vector).
 *  One thread per object. @since 1.0 */
HS_API hs_status hs_face_similarity(hs_ctx *ctx, float *score, const float *a,
                                    const float *b, uint32_t dim);

/** Compact form: int8 with one scale per vector, q[i] = round(v[i] / scale),
 *  scale = max|v[i]| / 127. A 128-d embedding then takes 132 bytes instead of
 *  512; the cosine error this adds is documented in docs/face.md. The
 *  caller's @p q (room for @p dim values) and *scale receive the result.
 *  Errors: HS_ERR_INVALID_ARG only (NULL, dimension, NaN/Inf, zero vector).
 *  One thread per object. @since 1.0 */
HS_API hs_status hs_face_quantize(hs_ctx *ctx, int8_t *q, float *scale, const float *v,
                                  uint32_t dim);

/** Inverse of hs_face_quantize(): out[i] = q[i] * scale, then L2-normalised,
 *  into the caller's @p out (room for @p dim floats). Errors:
 *  HS_ERR_INVALID_ARG only (NULL, dimension, scale not finite and > 0,
 *  all-zero q). One thread per object. @since 1.0 */
HS_API hs_status hs_face_dequantize(hs_ctx *ctx, float *out, const int8_t *q, float scale,
                                    uint32_t dim);

/** Cosine similarity of two compact embeddings into *score (integer dot
 *  product; the scales cancel out). Errors: HS_ERR_INVALID_ARG only (NULL,
 *  dimension, zero vector). One thread per object. @since 1.0 */
HS_API hs_status hs_face_similarity_q8(hs_ctx *ctx, float *score, const int8_t *a,
                                       const int8_t *b, uint32_t dim);

/** Scan a contiguous int8 matrix: scores[i] = probe_scale * row_scales[i] *
 *  dot(probe, row i) for @p n rows of @p dim values, row i starting at
 *  matrix + i*stride (stride >= dim bytes). With rows and probe made by
 *  hs_face_quantize() from unit-length embeddings this is their cosine
 *  similarity to within the int8 rounding. Uses AVX2 when the CPU has it.
 *  The building block for callers that keep their own storage (watchlists).
 *  The caller's @p scores has room for @p n floats. Errors:
 *  HS_ERR_INVALID_ARG only (NULL, dimension, stride < dim, probe_scale not
 *  finite). One thread per object. @since 1.0 */
HS_API hs_status hs_face_scan_q8(hs_ctx *ctx, float *scores, const int8_t *probe,
                                 float probe_scale, const int8_t *matrix,
                                 const float *row_scales, size_t n, uint32_t dim,
                                 size_t stride);

/** Encoded embedding kinds (hs_face_embedding_encode). */
#define HS_FACE_ENC_F32 1 /**< 4*dim bytes of little-endian float32 */
#define HS_FACE_ENC_Q8  2 /**< float32 scale + dim int8 values */

/** Encode an embedding as a self-describing record: "HSFE", version 1, the
 *  kind, the model id, the dimension, the values and a CRC-32C (format in
 *  docs/face.md), into the caller's @p buf. Two-call size query: buf NULL
 *  sets *size to the size needed; otherwise *size is the capacity on input
 *  and the bytes written on output. The embedding is normalised in the
 *  record (@p v is only read). Errors: HS_ERR_INVALID_ARG (NULL, dimension,
 *  NaN/Inf, zero vector, kind, model id > 65535), HS_ERR_BUFFER_TOO_SMALL
 *  (*size set to the size needed, buf not written). One thread per object.
 *  @since 1.0 */
HS_API hs_status hs_face_embedding_encode(hs_ctx *ctx, void *buf, size_t *size,
                                          const float *v, uint32_t dim, uint32_t model_id,
                                          uint32_t kind);

/** Decode an "HSFE" record into the caller's @p out (room for @p cap
 *  floats), normalised. On success *dim (required) receives the record's
 *  dimension and *model_id (may be NULL) its model. out NULL with cap 0
 *  asks for the dimension only (the record is checked all the same).
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_FORMAT (magic), HS_ERR_VERSION,
 *  HS_ERR_TRUNCATED, HS_ERR_CORRUPT (sizes, kind, trailing bytes, NaN,
 *  zero vector), HS_ERR_CHECKSUM, HS_ERR_BUFFER_TOO_SMALL (cap < dimension;
 *  *dim is not set: ask first with out NULL). One thread per object.
 *  @since 1.0 */
HS_API hs_status hs_face_embedding_decode(hs_ctx *ctx, float *out, uint32_t cap,
                                          uint32_t *dim, uint32_t *model_id,
                                          const void *data, size_t size);

/** Cosine threshold giving a false match rate of about @p fmr for @p model_id,
 *  calibrated on the impostor scores of the AT&T set (40 people, 78,000
 *  all-vs-all impostor pairs; see docs/face.md for how and its limits).
 *  It is written to *out; between calibrated points it is interpolated in
 *  log(fmr). Errors: HS_ERR_INVALID_ARG (out NULL, fmr not in [1e-4, 0.1]: below 1e-4 a
 *  78,000-pair set says nothing), HS_ERR_UNSUPPORTED (model not calibrated:
 *  custom, SFace). Calibrated: MOBILEFACENET and ARCFACE (YuNet alignment),
 *  FR_FEATURE (the default pipeline). Thread-safe. @since 1.0 */
HS_API hs_status hs_face_threshold_for_fmr(float *out, uint32_t model_id, double fmr);

/* ---- Gallery: 1:N search over a contiguous int8 matrix ---------------- */

/** Opaque gallery of compact embeddings of one dimension, each with a
 *  caller-chosen 64-bit label (a subject id; labels need not be unique: a
 *  subject may have several embeddings). */
typedef struct hs_face_gallery hs_face_gallery;

/** One search result. Frozen layout (16 bytes). @since 1.0 */
typedef struct hs_face_hit {
    uint64_t label;  /**< label given to hs_face_gallery_add() */
    uint32_t index;  /**< row in the gallery (changes when rows are removed) */
    float score;     /**< cosine similarity */
} hs_face_hit;

/** Search options. Grows at the end; set struct_size. @since 1.0 */
typedef struct hs_face_search_options {
    uint32_t struct_size; /**< sizeof(hs_face_search_options) */
    uint32_t threads;     /**< worker threads, 0 or 1 = the calling thread only; max 64 */
    float min_score;      /**< hits below this score are dropped (-1 keeps all) */
    uint32_t one_per_label; /**< 1: keep only the best hit of each label */
} hs_face_search_options;

/** Initialiser: calling thread only, keep every score, every hit. @since 1.0 */
#define HS_FACE_SEARCH_OPTIONS_INIT { sizeof(hs_face_search_options), 1, -1.0f, 0 }

/** Create an empty gallery for embeddings of dimension @p dim
 *  (1..HS_FACE_MAX_DIM). *out belongs to the caller (hs_face_gallery_free());
 *  it keeps the ctx's allocator and may outlive ctx; NULL on failure.
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_NOMEM; no other. One thread per
 *  object. @since 1.0 */
HS_API hs_status hs_face_gallery_new(hs_ctx *ctx, hs_face_gallery **out, uint32_t dim);

/** Free a gallery; NULL is accepted. Its embeddings, scales and labels are
 *  wiped first (they are biometric data). Exclusive. @since 1.0 */
HS_API void hs_face_gallery_free(hs_face_gallery *g);

/** Append an embedding (float, any norm; it is normalised and stored in the
 *  compact form). Errors: HS_ERR_INVALID_ARG (NULL, dim different from the
 *  gallery's, NaN/Inf, zero vector), HS_ERR_LIMIT (more than 2^31 rows),
 *  HS_ERR_NOMEM; the gallery is unchanged on failure. The caller keeps
 *  @p v. Exclusive. @since 1.0 */
HS_API hs_status hs_face_gallery_add(hs_ctx *ctx, hs_face_gallery *g, uint64_t label,
                                     const float *v, uint32_t dim);

/** Append a compact embedding as made by hs_face_quantize() from a unit
 *  embedding (no float round trip), e.g. one a watchlist stored; it is
 *  copied. Errors: as hs_face_gallery_add() (scale must be finite and > 0,
 *  q not all zero). Exclusive. @since 1.0 */
HS_API hs_status hs_face_gallery_add_q8(hs_ctx *ctx, hs_face_gallery *g, uint64_t label,
                                        const int8_t *q, float scale, uint32_t dim);

/** Remove every row with @p label, wiping it (the last rows move into the
 *  holes, so hs_face_hit.index values change). *removed (may be NULL)
 *  receives their number, 0 on failure. Errors: HS_ERR_INVALID_ARG (g
 *  NULL), HS_ERR_NOT_FOUND (no such label). Exclusive. @since 1.0 */
HS_API hs_status hs_face_gallery_remove(hs_face_gallery *g, uint32_t *removed, uint64_t label);

/** Number of rows (0 for NULL). Cannot fail. Concurrent readers.
 *  @since 1.0 */
HS_API uint32_t hs_face_gallery_count(const hs_face_gallery *g);
/** Dimension (0 for NULL). Cannot fail. Concurrent readers. @since 1.0 */
HS_API uint32_t hs_face_gallery_dim(const hs_face_gallery *g);

/** Search the @p cap best rows for @p probe (float, dimension of the
 *  gallery), best first, into the caller's @p hits; *count receives how
 *  many were written (<= cap; 0 on failure). opt may be NULL (1 thread,
 *  min_score -1, all rows). Errors: HS_ERR_INVALID_ARG (NULL, dimension,
 *  NaN/Inf or zero probe, cap 0 or > 100000, threads > 64, min_score NaN,
 *  struct_size), HS_ERR_UNSUPPORTED (options from a newer header with a
 *  field set), HS_ERR_THREAD, HS_ERR_NOMEM. Many threads may search one
 *  gallery at once, each with its own ctx. Concurrent readers. @since 1.0 */
HS_API hs_status hs_face_gallery_search(hs_ctx *ctx, hs_face_hit *hits,
                                        uint32_t cap, uint32_t *count,
                                        const hs_face_gallery *g,
                                        const float *probe, uint32_t dim,
                                        const hs_face_search_options *opt);

/* ==== Face engine (OpenCV; HS_ERR_NOT_BUILT without it) ================= */

/** Opaque engine: detector + embedding network + parameters. */
typedef struct hs_face_engine hs_face_engine;

/** Embedding model file formats. */
#define HS_FACE_FORMAT_AUTO  0 /**< from the file name (.onnx, .caffemodel) or content */
#define HS_FACE_FORMAT_ONNX  1
#define HS_FACE_FORMAT_CAFFE 2 /**< needs the prototxt as model_config */

/** File names of the default model set, looked up in a models directory
 *  (see hs_face_engine_options). */
#define HS_FACE_DEFAULT_DETECTOR "fr_detect.onnx"   /**< UltraFace RFB-320 */
#define HS_FACE_DEFAULT_LANDMARK "fr_landmark.onnx" /**< 68 points on a 64x64 grey crop */
#define HS_FACE_DEFAULT_EMBEDDER "fr_feature.onnx"  /**< 512-d, HS_FACE_MODEL_FR_FEATURE */

/** Environment variable naming a directory with the default model set. */
#define HS_FACE_MODELS_ENV "HOTSPOT_FACE_MODELS"

/** Engine options. Each model is given by a path or by a memory buffer
 *  (the buffer wins when both are set; buffers are copied by OpenCV and need
 *  not outlive the call). Grows at the end; set struct_size, zero the rest.
 *
 *  Default models: when the options name no model at all (no path and no
 *  buffer for the detector, cascade, landmark net or embedding net; opt NULL
 *  included), the engine loads the default set (HS_FACE_DEFAULT_DETECTOR,
 *  _LANDMARK and _EMBEDDER, all three required) from the first of:
 *   1. models_dir, when set;
 *   2. the directory in the environment variable HOTSPOT_FACE_MODELS, when
 *      set and not empty (read with secure_getenv() where there is one, so
 *      set-uid programs ignore it);
 *   3. the directory the library was installed with
 *      (<prefix>/share/hotspot/models, compiled in).
 *  The first of these that is given is the only one used: a models_dir or
 *  HOTSPOT_FACE_MODELS that lacks a file is an error (HS_ERR_MODEL naming
 *  the paths tried), never a silent fall-back. model_id 0 then means
 *  HS_FACE_MODEL_FR_FEATURE. When any model is named, nothing is looked up:
 *  the options say everything (no detector: Haar; no embedding net:
 *  detection only), as in 0.1. @since 1.0 */
typedef struct hs_face_engine_options {
    uint32_t struct_size;       /**< sizeof(hs_face_engine_options) */
    uint32_t model_id;          /**< HS_FACE_MODEL_*: normalisation preset */
    uint32_t model_format;      /**< HS_FACE_FORMAT_* */
    uint32_t input_size;        /**< square net input in pixels, 32..512; 0: 112 */
    const char *detector_path;  /**< YuNet or UltraFace ONNX (told apart by the net's
                                     outputs); NULL (and no buffer): Haar fallback */
    const void *detector_data;  /**< detector ONNX in memory (OpenCV 4.6 reads YuNet from a
                                     path only, so YuNet passes through a private mkstemps
                                     file in $TMPDIR, removed at once) */
    size_t detector_size;
    const char *cascade_path;   /**< Haar cascade XML for the fallback; NULL: OpenCV's
                                     haarcascade_frontalface_default.xml from opencv-data */
    const char *model_path;     /**< embedding net (.onnx or .caffemodel); NULL and no
                                     buffer: detection only */
    const void *model_data;
    size_t model_size;
    const char *model_config_path; /**< Caffe prototxt */
    const void *model_config_data;
    size_t model_config_size;
    const char *landmark_path;  /**< 68-point landmark ONNX (input 1x1x64x64 grey box crop,
                                     x/256; output 136 values relative to the box); used
                                     with UltraFace and Haar boxes. NULL: YuNet's own 5
                                     points, or estimated from the box. @since 1.0 */
    const void *landmark_data;  /**< the landmark net in memory @since 1.0 */
    size_t landmark_size;
    const char *models_dir;     /**< directory with the default set, used only when no
                                     model is named (see above) @since 1.0 */
} hs_face_engine_options;

/** Initialiser: every field zero (custom model, format from the file name,
 *  112-pixel input, no model named: the default set). @since 1.0 */
#define HS_FACE_ENGINE_OPTIONS_INIT { sizeof(hs_face_engine_options), 0, 0, 0, NULL, NULL, 0, \
                                      NULL, NULL, NULL, 0, NULL, NULL, 0, NULL, NULL, 0, NULL }

/** Create an engine. Loads and checks the models (the embedding net is run
 *  once on a blank crop to learn its output dimension). @p opt NULL, or
 *  options naming no model, load the default set (search order in
 *  hs_face_engine_options). The engine owns everything it loaded; options
 *  and buffers need not outlive the call. Errors: HS_ERR_INVALID_ARG,
 *  HS_ERR_MODEL (file missing, unreadable, corrupt, or an output that is
 *  not one vector of 2..HS_FACE_MAX_DIM values; default models not found:
 *  the ctx message names the paths tried), HS_ERR_UNSUPPORTED (options from
 *  a newer header with a field set), HS_ERR_NOT_BUILT, HS_ERR_NOMEM. *out
 *  belongs to the caller (hs_face_engine_free()) and may outlive ctx; NULL
 *  on failure. It reads HOTSPOT_FACE_MODELS: do not call setenv() at the
 *  same time. One thread per object. @since 1.0 */
HS_API hs_status hs_face_engine_new(hs_ctx *ctx, hs_face_engine **out,
                                    const hs_face_engine_options *opt);

/** Free an engine and its nets; NULL is accepted. Its scratch (the last
 *  aligned face crop and detections) is wiped first. Exclusive.
 *  @since 1.0 */
HS_API void hs_face_engine_free(hs_face_engine *e);

/** Embedding dimension of the engine's net (0 without one, or for NULL).
 *  Cannot fail. Concurrent readers. @since 1.0 */
HS_API uint32_t hs_face_engine_dim(const hs_face_engine *e);
/** Model id given at creation (HS_FACE_MODEL_*; 0 for NULL). Cannot fail.
 *  Concurrent readers. @since 1.0 */
HS_API uint32_t hs_face_engine_model_id(const hs_face_engine *e);
/** 1 when the engine finds real landmarks (YuNet, or a landmark net on
 *  UltraFace or Haar boxes), 0 when they are estimated from the box, or for
 *  NULL. Cannot fail. Concurrent readers. @since 1.0 */
HS_API uint32_t hs_face_engine_has_landmarks(const hs_face_engine *e);

/** Engine parameters (hs_face_engine_set_param). Append only. */
typedef enum hs_face_param {
    HS_FACE_PARAM_SCORE_THRESHOLD = 1, /**< detector confidence, 0..1 (0.6; UltraFace 0.7) */
    HS_FACE_PARAM_NMS_THRESHOLD = 2, /**< detector NMS IoU, 0..1 (0.3) */
    HS_FACE_PARAM_MAX_SIDE = 3, /**< downscale so the long side <= this, 160..4096 (640) */
    HS_FACE_PARAM_UPSCALE_BELOW = 4, /**< upscale x2 when the long side < this, 0..1024 (200) */
    HS_FACE_PARAM_INPUT_SIZE = 5, /**< square net input, 32..512 (options.input_size;
                                             read-only when the engine has a net) */
    HS_FACE_PARAM_INPUT_SCALE = 6, /**< pixel multiplier, 1e-6..1e3 (preset) */
    HS_FACE_PARAM_INPUT_MEAN = 7, /**< subtracted before scaling, 0..255 (preset) */
    HS_FACE_PARAM_INPUT_RGB = 8, /**< channel order: 1 RGB, 0 BGR (preset) */
    HS_FACE_PARAM_MIN_FACE = 9, /**< smallest face kept, pixels of the input, 0..4096 (0) */
} hs_face_param;

/** Set parameter @p key to @p value for later calls. No output. Errors:
 *  HS_ERR_INVALID_ARG (NULL, unknown key, value outside
 *  hs_face_param_bounds(), or a new INPUT_SIZE for an engine with a net:
 *  give it in the options instead), HS_ERR_NOT_BUILT; the engine is
 *  unchanged on failure. Exclusive. @since 1.0 */
HS_API hs_status hs_face_engine_set_param(hs_face_engine *e, hs_face_param key, double value);

/** Current value of parameter @p key into *value. Errors:
 *  HS_ERR_INVALID_ARG (e or value NULL, unknown key), HS_ERR_NOT_BUILT
 *  (*value set to 0). Concurrent readers. @since 1.0 */
HS_API hs_status hs_face_engine_get_param(const hs_face_engine *e, double *value,
                                          hs_face_param key);

/** Allowed range of parameter @p key into *min_value and *max_value
 *  (either may be NULL; written only on success); available without OpenCV.
 *  Errors: HS_ERR_INVALID_ARG only (unknown key or both outputs NULL).
 *  Thread-safe. @since 1.0 */
HS_API hs_status hs_face_param_bounds(double *min_value, double *max_value, hs_face_param key);

/** hs_face.flags */
#define HS_FACE_LANDMARKS_ESTIMATED 0x1u /**< no landmark source: landmarks from the box */

/** One detected face, in pixels of the original image. Frozen layout.
 *  Landmarks are (x, y) pairs in YuNet order: right eye, left eye (as seen in
 *  the image: the subject's right eye is on the image's left), nose tip,
 *  right mouth corner, left mouth corner. From a 68-point landmark net the
 *  eyes are the centres of the four eyelid points of each eye (37, 38, 40,
 *  41 and 43, 44, 46, 47, 0-based), the nose tip is point 30 and the mouth
 *  corners the means of the outer and inner lip corners (48+60, 54+64).
 *  @since 1.0 */
typedef struct hs_face {
    float x, y, width, height; /**< box */
    float landmarks[10];       /**< 5 points */
    float score;               /**< detector confidence 0..1 (Haar: 1) */
    float quality;             /**< 0..100 overall (min of the parts below, weighted) */
    float quality_size;        /**< 0..100 from the inter-eye distance (100 at >= 60 px) */
    float quality_sharpness;   /**< 0..100 from the Laplacian variance of the aligned crop */
    float quality_pose;        /**< 0..100 from landmark symmetry (100 = frontal) */
    uint32_t flags;            /**< HS_FACE_LANDMARKS_ESTIMATED */
    uint32_t reserved[4];      /**< zero */
} hs_face;

/** Detect faces in @p img (its RGB plane when present, else grey replicated
 *  into 3 channels), largest first (ties: higher score). Up to @p cap faces
 *  are written to the caller's @p faces (NULL with cap 0 counts only);
 *  *count receives the number found (which may exceed cap; 0 on failure).
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_NO_FACE, HS_ERR_LIMIT (image under 16
 *  or over 32768 px a side), HS_ERR_NOT_BUILT, HS_ERR_INTERNAL (OpenCV
 *  failure, message in ctx), HS_ERR_NOMEM. It writes the engine's scratch.
 *  One thread per object. @since 1.0 */
HS_API hs_status hs_face_detect(hs_ctx *ctx, hs_face *faces, uint32_t cap,
                                uint32_t *count, hs_face_engine *e, const hs_image *img);

/** Align @p face (from hs_face_detect() on the same image) to the standard
 *  5-point template and write the crop (size HS_FACE_PARAM_INPUT_SIZE,
 *  interleaved RGB, size*size*3 bytes) into the caller's @p rgb of
 *  @p rgb_size bytes. Errors: HS_ERR_INVALID_ARG (also landmarks not finite
 *  or degenerate), HS_ERR_BUFFER_TOO_SMALL, HS_ERR_LIMIT (image under 16 or
 *  over 32768 px a side), HS_ERR_NOT_BUILT, HS_ERR_INTERNAL, HS_ERR_NOMEM.
 *  It only reads the engine's parameters. Concurrent readers. @since 1.0 */
HS_API hs_status hs_face_align(hs_ctx *ctx, uint8_t *rgb, size_t rgb_size,
                               hs_face_engine *e, const hs_image *img, const hs_face *face);

/** Embed @p face of @p img (face NULL: detect and use the largest face),
 *  writing hs_face_engine_dim() L2-normalised floats into the caller's
 *  @p out (room for @p cap). On success *dim receives the dimension (0 on
 *  failure) and *used (may be NULL) the face used. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_STATE (engine without an embedding net),
 *  HS_ERR_BUFFER_TOO_SMALL, HS_ERR_NO_FACE, HS_ERR_LIMIT (as
 *  hs_face_detect()), HS_ERR_MODEL (the net fails on the crop, e.g. an
 *  INPUT_SIZE it was not made for, or its output is not finite),
 *  HS_ERR_NOT_BUILT, HS_ERR_INTERNAL, HS_ERR_NOMEM. It writes the engine's
 *  scratch. One thread per object. @since 1.0 */
HS_API hs_status hs_face_embed(hs_ctx *ctx, float *out, uint32_t cap,
                               uint32_t *dim, hs_face *used, hs_face_engine *e, const hs_image *img,
                               const hs_face *face);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_FACE_H */
