/*
 * libhotspot - image.h: decoded images (8-bit grey, optionally RGB) with
 * their resolution.
 *
 * Formats read: PNG (libpng), JPEG (libjpeg-turbo), TIFF (libtiff: grey,
 * palette, RGB; uncompressed, LZW, Deflate, PackBits; strips and tiles),
 * PGM/PPM/PBM (binary and ASCII), BMP (1/4/8/24/32-bit, uncompressed and
 * RLE8/RLE4). Formats are detected by content, never by file name.
 *
 * Colour to grey: ITU-R BT.601 luma, Y = (299 R + 587 G + 114 B + 500) / 1000,
 * computed in integers; alpha is ignored. 16-bit samples keep their high byte.
 *
 * Damaged data is refused, never patched: a JPEG with corrupt entropy data,
 * a TIFF strip that cannot be read or a file that ends early gives an error
 * (HS_ERR_CORRUPT / HS_ERR_TRUNCATED) rather than an image with grey fill.
 * Colour management is not applied (PNG gAMA/iCCP, JPEG/TIFF ICC profiles
 * and EXIF orientation are ignored); only the first TIFF directory is read.
 *
 * Resolution: read from the file when it says (PNG pHYs, JPEG JFIF density,
 * TIFF X/YResolution with ResolutionUnit, BMP pels-per-metre) and rounded to
 * whole pixels per inch; 0 means "unknown". Callers may override it.
 *
 * Thread-safety: an hs_image is not modified by any function taking it as
 * const, so one image may be read by many threads at once.
 */
#ifndef HOTSPOT_IMAGE_H
#define HOTSPOT_IMAGE_H

#include "hotspot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup image Image input
 *  @{ */

/** Opaque decoded image. */
typedef struct hs_image hs_image;

/** Source file formats (hs_image_info.format). Append only. */
#define HS_IMAGE_FORMAT_NONE 0 /**< wrapped or created in memory */
#define HS_IMAGE_FORMAT_PNG  1
#define HS_IMAGE_FORMAT_JPEG 2
#define HS_IMAGE_FORMAT_TIFF 3
#define HS_IMAGE_FORMAT_PNM  4
#define HS_IMAGE_FORMAT_BMP  5
#define HS_IMAGE_FORMAT_WSQ  6 /**< FBI WSQ (IAFIS-IC-0110 v3.1) */
#define HS_IMAGE_FORMAT_JP2  7 /**< JPEG 2000: JP2 file or raw J2K codestream */

/** Source colour types (hs_image_info.color). Append only. */
#define HS_IMAGE_COLOR_GREY    1
#define HS_IMAGE_COLOR_PALETTE 2
#define HS_IMAGE_COLOR_RGB     3
#define HS_IMAGE_COLOR_GREY_ALPHA 4
#define HS_IMAGE_COLOR_RGB_ALPHA  5

/** Decode flags. */
#define HS_IMAGE_KEEP_COLOR 0x1u /**< also keep an RGB copy of colour sources */

/** What is known about an image. Grows at the end; set struct_size. */
typedef struct hs_image_info {
    uint32_t struct_size;      /**< sizeof(hs_image_info), set by the caller */
    uint32_t width;            /**< pixels */
    uint32_t height;           /**< pixels */
    uint32_t ppi;              /**< pixels per inch, 0 = unknown */
    uint32_t format;           /**< HS_IMAGE_FORMAT_* of the source */
    uint32_t color;            /**< HS_IMAGE_COLOR_* of the source */
    uint32_t bits_per_sample;  /**< of the source (1, 2, 4, 8, 16) */
    uint32_t has_rgb;          /**< 1 if hs_image_rgb() returns pixels */
} hs_image_info;

/** Decode an image file. flags: 0 or HS_IMAGE_KEEP_COLOR.
 *  Errors: HS_ERR_IO (cannot read), HS_ERR_FORMAT (not a known image),
 *  HS_ERR_TRUNCATED, HS_ERR_CORRUPT, HS_ERR_UNSUPPORTED (bit depth,
 *  compression), HS_ERR_LIMIT (size beyond the ctx limits), HS_ERR_NOMEM.
 *  On failure *out is NULL and nothing is left allocated. @since 0.1 */
HS_API hs_status hs_image_load(hs_ctx *ctx, hs_image **out, const char *path,
                               uint32_t flags);

/** Decode an image held in memory; @p data is not kept. Errors as for
 *  hs_image_load(). @since 0.1 */
HS_API hs_status hs_image_decode(hs_ctx *ctx, hs_image **out, const void *data,
                                 size_t size, uint32_t flags);

/** Wrap a caller's 8-bit grey buffer without copying. The buffer must stay
 *  valid and unchanged while the image lives; hs_image_free() does not free
 *  it. stride >= width (bytes between rows). ppi 0 = unknown.
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_LIMIT, HS_ERR_NOMEM. @since 0.1 */
HS_API hs_status hs_image_wrap(hs_ctx *ctx, hs_image **out, const uint8_t *pixels,
                               uint32_t width, uint32_t height, uint32_t stride,
                               uint32_t ppi);

/** Create an owned grey image filled with @p fill. Errors: HS_ERR_INVALID_ARG
 *  (zero side, ppi above 10000), HS_ERR_LIMIT, HS_ERR_NOMEM. @since 0.1 */
HS_API hs_status hs_image_new(hs_ctx *ctx, hs_image **out, uint32_t width,
                              uint32_t height, uint32_t ppi, uint8_t fill);

/** Create an owned image from interleaved 8-bit RGB (copied). The grey plane
 *  is computed with the BT.601 formula above. @since 0.1 */
HS_API hs_status hs_image_from_rgb(hs_ctx *ctx, hs_image **out, const uint8_t *rgb,
                                   uint32_t width, uint32_t height, uint32_t stride,
                                   uint32_t ppi);

/** Free an image (NULL accepted). Never frees a wrapped caller buffer. */
HS_API void hs_image_free(hs_image *img);

/** Width in pixels (0 for NULL). */
HS_API uint32_t hs_image_width(const hs_image *img);
/** Height in pixels (0 for NULL). */
HS_API uint32_t hs_image_height(const hs_image *img);
/** Bytes between the starts of two grey rows. */
HS_API uint32_t hs_image_stride(const hs_image *img);
/** Resolution in pixels per inch; 0 = unknown. */
HS_API uint32_t hs_image_ppi(const hs_image *img);
/** Override the resolution (0..10000 ppi). Not thread-safe for the image.
 *  Errors: HS_ERR_INVALID_ARG. */
HS_API hs_status hs_image_set_ppi(hs_image *img, uint32_t ppi);
/** Grey pixels, row-major with hs_image_stride(). */
HS_API const uint8_t *hs_image_pixels(const hs_image *img);
/** Writable grey pixels of an owned image; NULL for a wrapped one. */
HS_API uint8_t *hs_image_pixels_mut(hs_image *img);
/** Interleaved RGB pixels (stride 3*width), or NULL when not kept. */
HS_API const uint8_t *hs_image_rgb(const hs_image *img);
/** Fill @p info. Set info->struct_size first (sizeof(hs_image_info), at
 *  least the 0.1 size of 32 bytes): the members that fit are filled and
 *  struct_size becomes the number of bytes filled. Thread-safe for a const
 *  image. Errors: HS_ERR_INVALID_ARG (NULL, struct_size too small).
 *  @since 0.1 */
HS_API hs_status hs_image_get_info(const hs_image *img, hs_image_info *info);

/** Static name of an HS_IMAGE_FORMAT_* value ("png", "tiff", ...). */
HS_API const char *hs_image_format_name(uint32_t format);

/** Encode the grey plane as PNG (8-bit grey, pHYs from ppi) with the two-call
 *  size query: buf NULL sets *size to the size needed. Errors:
 *  HS_ERR_BUFFER_TOO_SMALL (*size set to the size needed), HS_ERR_NOMEM.
 *  @since 0.1 */
HS_API hs_status hs_image_encode_png(hs_ctx *ctx, const hs_image *img, void *buf,
                                     size_t *size);

/** Write the grey plane to a PNG file. Errors: HS_ERR_IO, HS_ERR_NOMEM. */
HS_API hs_status hs_image_save_png(hs_ctx *ctx, const hs_image *img, const char *path);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_IMAGE_H */
