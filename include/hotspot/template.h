/*
 * libhotspot - template.h: finger minutiae templates.
 *
 * An hs_template holds one or more finger views (as an ISO/IEC 19794-2
 * record does); each view has the size and resolution of its image, the ISO
 * finger position, impression type, a quality, and its minutiae.
 *
 * Minutia conventions (the same as ISO/IEC 19794-2 and ANSI/INCITS 378):
 *  - x, y in pixels of the original image, origin at the top-left pixel
 *    centre, y pointing down; stored as float for sub-pixel precision.
 *  - angle in radians in [0, 2*pi), measured counter-clockwise from the
 *    positive x axis as seen on screen (the direction vector in image
 *    coordinates is (cos a, -sin a)).
 *  - a ridge ending points from the ending into its ridge; a bifurcation
 *    points from the fork into the gap between its two branches.
 *
 * Thread-safety (the phrases of docs/conventions.md, section 8): functions
 * taking a const template are "Concurrent readers" (one template may be read
 * by many threads at once); functions that modify or free one are
 * "Exclusive"; those that only create one (new, decode, load) are "One
 * thread per object", the object being their ctx; the format-name lookups
 * are "Thread-safe". A ctx records the last error, so threads calling at the
 * same time pass distinct contexts.
 */
#ifndef HOTSPOT_TEMPLATE_H
#define HOTSPOT_TEMPLATE_H

#include "hotspot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup template Templates
 *  @{ */

/** Minutia types (hs_minutia.type), as in ISO/IEC 19794-2. */
#define HS_MINUTIA_OTHER       0
#define HS_MINUTIA_ENDING      1
#define HS_MINUTIA_BIFURCATION 2

/** One minutia. This layout is frozen (16 bytes). @since 1.0 */
typedef struct hs_minutia {
    float x;          /**< pixels, original image frame */
    float y;          /**< pixels, original image frame, y down */
    float angle;      /**< radians in [0, 2*pi), see the header comment */
    uint8_t type;     /**< HS_MINUTIA_* */
    uint8_t quality;  /**< 0 (unknown/worst) .. 100 (best) */
    uint8_t reserved[2]; /**< zero */
} hs_minutia;

/** ISO/IEC 19794-2 finger positions (hs_view_info.finger_position). */
#define HS_FINGER_UNKNOWN       0
#define HS_FINGER_RIGHT_THUMB   1
#define HS_FINGER_RIGHT_INDEX   2
#define HS_FINGER_RIGHT_MIDDLE  3
#define HS_FINGER_RIGHT_RING    4
#define HS_FINGER_RIGHT_LITTLE  5
#define HS_FINGER_LEFT_THUMB    6
#define HS_FINGER_LEFT_INDEX    7
#define HS_FINGER_LEFT_MIDDLE   8
#define HS_FINGER_LEFT_RING     9
#define HS_FINGER_LEFT_LITTLE  10

/** ISO impression types (hs_view_info.impression_type). */
#define HS_IMPRESSION_LIVE_PLAIN    0
#define HS_IMPRESSION_LIVE_ROLLED   1
#define HS_IMPRESSION_NONLIVE_PLAIN 2
#define HS_IMPRESSION_NONLIVE_ROLLED 3
#define HS_IMPRESSION_SWIPE         8

/** Description of one finger view. Grows at the end; set struct_size.
 *  @since 1.0 */
typedef struct hs_view_info {
    uint32_t struct_size;     /**< sizeof(hs_view_info), set by the caller */
    uint32_t width;           /**< image width in pixels */
    uint32_t height;          /**< image height in pixels */
    uint32_t ppi_x;           /**< horizontal resolution, pixels per inch */
    uint32_t ppi_y;           /**< vertical resolution, pixels per inch */
    uint32_t finger_position; /**< HS_FINGER_* (0-10) */
    uint32_t view_number;     /**< 0-15, several views of one finger */
    uint32_t impression_type; /**< HS_IMPRESSION_* */
    uint32_t quality;         /**< 0-100 overall view quality */
    uint32_t minutia_count;   /**< output only (ignored by add_view) */
} hs_view_info;

/** Initialiser: 500 ppi, unknown finger, live-scan plain impression, every
 *  other field zero. @since 1.0 */
#define HS_VIEW_INFO_INIT { sizeof(hs_view_info), 0, 0, 500, 500, 0, 0, 0, 0, 0 }

/** Opaque template. */
typedef struct hs_template hs_template;

/** Create an empty template (no views), to be filled with
 *  hs_template_add_view(). *out belongs to the caller (hs_template_free());
 *  it keeps the ctx's allocator and may outlive ctx. On failure *out is NULL.
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_NOMEM. One thread per object.
 *  @since 1.0 */
HS_API hs_status hs_template_new(hs_ctx *ctx, hs_template **out);

/** Free a template; NULL is accepted. Its minutiae and extended data blocks
 *  are wiped first (they are biometric data). Exclusive. @since 1.0 */
HS_API void hs_template_free(hs_template *t);

/** Deep copy of @p t, extended data included, allocated with the ctx's
 *  allocator. *out belongs to the caller (hs_template_free()); NULL on
 *  failure. The views are added under the ctx's limits, so a stricter ctx
 *  than the one @p t was made with can refuse it. Errors: HS_ERR_INVALID_ARG,
 *  HS_ERR_LIMIT (a view beyond the ctx's minutiae, views or dimension
 *  limits), HS_ERR_NOMEM. Concurrent readers. @since 1.0 */
HS_API hs_status hs_template_clone(hs_ctx *ctx, hs_template **out, const hs_template *t);

/** Append a view holding a copy of @p count minutiae (the caller keeps
 *  @p info and @p minutiae). Checks: finite values, angles in [0, 2*pi),
 *  coordinates inside the image, types 0-2, qualities 0-100, position 0-10,
 *  view number 0-15, impression type 0-3 or 8, resolution 1..10000 ppi.
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_LIMIT (count beyond HS_LIMIT_MAX_MINUTIAE,
 *  views beyond HS_LIMIT_MAX_VIEWS, image side beyond HS_LIMIT_MAX_DIMENSION),
 *  HS_ERR_UNSUPPORTED (info from a newer header with a field this library does
 *  not know set), HS_ERR_NOMEM; the template is unchanged on failure.
 *  Exclusive. @since 1.0 */
HS_API hs_status hs_template_add_view(hs_ctx *ctx, hs_template *t, const hs_view_info *info,
                                      const hs_minutia *minutiae, uint32_t count);

/** Remove view @p view, wiping its minutiae; later views move down one
 *  index. Pointers from hs_template_minutiae() become invalid. Errors:
 *  HS_ERR_INVALID_ARG (t NULL), HS_ERR_NOT_FOUND. Exclusive. @since 1.0 */
HS_API hs_status hs_template_remove_view(hs_template *t, uint32_t view);

/** Append a copy of view @p view of @p src to @p dst: its minutiae and its
 *  extended data (among them our extractor's ridge orientation field, which
 *  the matcher's orientation anchor and the watchlist use), described by
 *  *info when @p info is not NULL (checked as by hs_template_add_view(),
 *  whose rules the minutiae must meet; its minutia_count is ignored), else
 *  by the source view's information. Use it instead of
 *  hs_template_add_view() with the source's minutiae, which loses the
 *  extended data, to gather fingers into one probe or set a view's finger
 *  position. No output. Errors: HS_ERR_INVALID_ARG (NULL, @p dst the same
 *  template as @p src, or a bad *info or minutia for it), HS_ERR_NOT_FOUND
 *  (no such view), HS_ERR_LIMIT (the ctx's template limits), HS_ERR_NOMEM;
 *  @p dst is unchanged on failure. Exclusive on @p dst, concurrent readers
 *  on @p src. @since 1.1 */
HS_API hs_status hs_template_copy_view(hs_ctx *ctx, hs_template *dst, const hs_template *src,
                                       uint32_t view, const hs_view_info *info);

/** Number of views (0 for NULL). Cannot fail. Concurrent readers.
 *  @since 1.0 */
HS_API uint32_t hs_template_view_count(const hs_template *t);

/** Describe view @p view in the caller's *info (set info->struct_size
 *  first): filled as far as that size, which becomes the bytes filled.
 *  Errors: HS_ERR_INVALID_ARG (NULL, or struct_size below the 1.0 size or
 *  not a multiple of 4), HS_ERR_NOT_FOUND. Concurrent readers. @since 1.0 */
HS_API hs_status hs_template_view_info(const hs_template *t, hs_view_info *info, uint32_t view);

/** Minutiae of view @p view, borrowed from the template: valid until it is
 *  modified or freed; do not free them. *count (if not NULL) receives their
 *  number. NULL when the view does not exist (with *count 0) or has no
 *  minutiae; no other failure. Concurrent readers. @since 1.0 */
HS_API const hs_minutia *hs_template_minutiae(const hs_template *t, uint32_t *count,
                                              uint32_t view);

/* ---- Serialization ------------------------------------------------------ */

/** Template formats (hs_template_encode/decode). Values are stable and only
 *  ever appended. See docs/template-format.md. */
#define HS_TEMPLATE_FORMAT_HST              1 /**< native .hst (read+write) */
#define HS_TEMPLATE_FORMAT_ISO19794_2_2005  2 /**< ISO/IEC 19794-2:2005 (read+write) */
#define HS_TEMPLATE_FORMAT_ANSI378_2004     3 /**< ANSI/INCITS 378-2004 (read+write) */
/** ANSI/INCITS 378-2009, version "030" (read+write) */
#define HS_TEMPLATE_FORMAT_ANSI378_2009     4
/** ISO/IEC 19794-2:2011, version "030" (read only) */
#define HS_TEMPLATE_FORMAT_ISO19794_2_2011  5

/** Encode @p t in @p format into the caller's @p buf. Two-call size query:
 *  with buf NULL, *size receives the size needed and HS_OK is returned; when
 *  *size is too small, HS_ERR_BUFFER_TOO_SMALL is returned with *size set to
 *  the size needed and buf not written. On success *size is the number of
 *  bytes written. Conversions round coordinates to whole pixels and angles to
 *  the format's unit (ISO 360/256 degrees, ANSI 2 degrees); see
 *  docs/template-format.md. Errors: HS_ERR_INVALID_ARG (also an unknown
 *  format), HS_ERR_UNSUPPORTED (format cannot hold the template: views of
 *  different image sizes or resolutions in one ISO 2005 or ANSI 2004 record,
 *  more than 255 views or minutiae, sizes beyond 16 bits, coordinates beyond
 *  14 bits; or a read-only format), HS_ERR_LIMIT (beyond
 *  HS_LIMIT_MAX_TEMPLATE_BYTES), HS_ERR_BUFFER_TOO_SMALL, HS_ERR_NOMEM.
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_template_encode(hs_ctx *ctx, void *buf, size_t *size,
                                    const hs_template *t, uint32_t format);

/** Decode one template record from memory, detecting its format by content
 *  (native, ISO/IEC 19794-2:2005/2011, ANSI/INCITS 378-2004/2009). On
 *  success *out is a new template owned by the caller (hs_template_free()),
 *  independent of @p data, and *format (if not NULL) the format found; on
 *  failure *out is NULL and nothing stays allocated. The input is treated as
 *  hostile. Errors: HS_ERR_INVALID_ARG, HS_ERR_FORMAT (not a template),
 *  HS_ERR_TRUNCATED, HS_ERR_CORRUPT (lengths that disagree, reserved values,
 *  minutiae outside the image), HS_ERR_CHECKSUM (native CRC), HS_ERR_VERSION
 *  (native version newer than this library), HS_ERR_LIMIT (views, minutiae or
 *  bytes beyond the ctx limits), HS_ERR_UNSUPPORTED (unknown FMR version or
 *  required native flag, resolution beyond 10000 ppi), HS_ERR_NOMEM; the ctx
 *  message says what and where. One thread per object. @since 1.0 */
HS_API hs_status hs_template_decode(hs_ctx *ctx, hs_template **out, uint32_t *format,
                                    const void *data, size_t size);

/** Read a template file (any format hs_template_decode() knows). Outputs as
 *  hs_template_decode(); the file's bytes are wiped after decoding. Errors:
 *  as hs_template_decode() (HS_ERR_LIMIT also for a file beyond
 *  HS_LIMIT_MAX_FILE_BYTES), plus HS_ERR_IO. One thread per object.
 *  @since 1.0 */
HS_API hs_status hs_template_load(hs_ctx *ctx, hs_template **out, uint32_t *format,
                                  const char *path);

/** Encode @p t in @p format and write it to @p path through the atomic save
 *  of hs_file_save() (a private, mode 0600 temporary with a random name,
 *  synced and renamed over the target, so readers never see half a file; on
 *  failure the target is unchanged). Two saves to one path at once each
 *  write their own temporary and the last rename wins; use
 *  hs_file_lock_acquire() to serialise read-modify-write. Errors: as
 *  hs_template_encode() except HS_ERR_BUFFER_TOO_SMALL, plus HS_ERR_IO.
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_template_save(hs_ctx *ctx, const char *path, const hs_template *t,
                                  uint32_t format);

/** Short name of a format ("hst", "iso19794-2", "ansi378", "ansi378-2009",
 *  "iso19794-2-2011"); "unknown" for other values. The text is static: never
 *  free it. Cannot fail. Thread-safe. @since 1.0 */
HS_API const char *hs_template_format_name(uint32_t format);

/** Format for a name as printed by hs_template_format_name(), also accepting
 *  "iso19794-2-2005", "ansi378-2004", "iso", "ansi" and "native"
 *  (case-insensitive); 0 when unknown or NULL, its only failure.
 *  Thread-safe. @since 1.0 */
HS_API uint32_t hs_template_format_from_name(const char *name);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_TEMPLATE_H */
