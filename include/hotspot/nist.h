/*
 * libhotspot - nist.h: ANSI/NIST-ITL 1-2011 (Update 2015) transactions in
 * the traditional and the XML encodings, and INTERPOL's INT-I profile.
 *
 * An hs_nist holds a transaction as records (type and order) of fields
 * (tag "T.NNN"), each field a list of subfields (separated by RS in the
 * traditional encoding), each subfield a list of information items
 * (separated by US). Image and other binary data are one item holding the
 * bytes. The binary records (Types 3-8) appear as fields numbered as
 * an2k2txt numbers them (4.001 LEN, 4.002 IDC, 4.003 IMP, 4.004 FGP with six
 * items, 4.005 ISR, 4.006 HLL, 4.007 VLL, 4.008 GCA, 4.009 DATA; Type-8:
 * 8.003 SIG, 8.004 SRT, 8.005 ISR, 8.006 HLL, 8.007 VLL, 8.008 DATA).
 *
 * Record types and fields the library does not interpret are kept and
 * written back unchanged; a conforming traditional transaction re-encodes to
 * the same bytes (see docs/nist.md for the exceptions). The XML encoding
 * covers the record types INT-I uses (1, 2, 4, 9, 10, 13, 14, 15, 17, 98,
 * 99) and Type-20, including INT-I's Type-2 descriptive detail and the
 * INCITS and EFS minutiae blocks of Type-9; XML elements without a
 * traditional field (docs/nist.md lists them) are kept for writing XML back
 * and are reported when a conversion to the traditional encoding would drop
 * them.
 *
 * Input is treated as hostile: every length and count is checked against
 * the bytes present and the ctx limits (HS_LIMIT_MAX_FILE_BYTES bounds a
 * transaction); XML is parsed without network access, entity substitution or
 * DTD loading, with a depth limit.
 *
 * Thread-safety: an hs_nist is not modified by any function taking it as
 * const, so one transaction may be read by many threads at once.
 */
#ifndef HOTSPOT_NIST_H
#define HOTSPOT_NIST_H

#include "hotspot/common.h"
#include "hotspot/face.h"
#include "hotspot/finger.h"
#include "hotspot/image.h"
#include "hotspot/template.h"
#include "hotspot/watchlist.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup nist ANSI/NIST-ITL transactions
 *  @{ */

/** Opaque transaction. */
typedef struct hs_nist hs_nist;

/** Encodings. @since 1.0 */
typedef enum hs_nist_encoding {
    HS_NIST_ENCODING_TRADITIONAL = 1, /**< tagged fields, FS/GS/RS/US, binary Types 3-8 */
    HS_NIST_ENCODING_XML = 2          /**< ANSI/NIST-ITL XML (NIEM), INT-I elements */
} hs_nist_encoding;

/** Flags of hs_nist_encode() / hs_nist_save(). */
#define HS_NIST_ALLOW_LOSS 0x1u /**< drop what the target encoding cannot hold
                                     instead of failing with HS_ERR_UNSUPPORTED */

/** Create an empty transaction (no records); the caller frees it with
 *  hs_nist_free(). Errors: HS_ERR_INVALID_ARG, HS_ERR_NOMEM. One thread per
 *  object. @since 1.0 */
HS_API hs_status hs_nist_new(hs_ctx *ctx, hs_nist **out);

/** Free a transaction (NULL accepted); every field value is wiped first.
 *  Exclusive. @since 1.0 */
HS_API void hs_nist_free(hs_nist *n);

/** Decode a transaction from memory, detecting the encoding (traditional
 *  when the data begins "1.0", XML when it begins with '<' after optional
 *  white space or a UTF-8 byte order mark; XML is read as UTF-8 whatever
 *  its declaration says). The caller frees *out with hs_nist_free(). *encoding (if not NULL)
 *  receives the HS_NIST_ENCODING_* found. @p data is not kept. flags: 0.
 *  On failure *out is NULL and nothing stays allocated.
 *  Errors: HS_ERR_FORMAT (neither encoding), HS_ERR_TRUNCATED (record
 *  longer than the data), HS_ERR_CORRUPT (lengths that disagree with the
 *  content, missing separators, CNT (1.003) disagreeing with the records,
 *  malformed XML), HS_ERR_UNSUPPORTED (a binary record type CNT names that
 *  has no layout), HS_ERR_LIMIT (beyond HS_LIMIT_MAX_FILE_BYTES, or XML
 *  deeper than 256 elements). The ctx message names the record, field and
 *  byte offset. One thread per object. @since 1.0 */
HS_API hs_status hs_nist_decode(hs_ctx *ctx, hs_nist **out, uint32_t *encoding,
                                const void *data, size_t size, uint32_t flags);

/** Read a transaction file (either encoding). Outputs as hs_nist_decode():
 *  *out belongs to the caller (hs_nist_free()), NULL on failure. Errors: as
 *  hs_nist_decode(), plus HS_ERR_IO. One thread per object. @since 1.0 */
HS_API hs_status hs_nist_load(hs_ctx *ctx, hs_nist **out, uint32_t *encoding,
                              const char *path, uint32_t flags);

/** Encode @p n with the two-call size query (buf NULL: *size receives the
 *  size needed). The traditional encoding recomputes every LEN field and
 *  1.003 CNT is written as the records are. flags: 0 or
 *  HS_NIST_ALLOW_LOSS. Errors: HS_ERR_UNSUPPORTED (a record or field the
 *  encoding cannot hold, named in the message; record types other than
 *  1, 2, 4, 9, 10, 13, 14, 15, 17, 98, 99 in XML), HS_ERR_CORRUPT (a binary
 *  record field out of its byte range, a separator inside a value),
 *  HS_ERR_BUFFER_TOO_SMALL (*size set to the size needed); HS_ERR_UNSUPPORTED
 *  also for values the XML writer could not read back the same (docs/nist.md).
 *  Each thread passes its own context. Concurrent readers. @since 1.0 */
HS_API hs_status hs_nist_encode(hs_ctx *ctx, void *buf, size_t *size, const hs_nist *n,
                                hs_nist_encoding encoding, uint32_t flags);

/** Encode @p n and write it to @p path atomically, mode 0600 (as
 *  hs_file_save() with HS_FILE_PRIVATE: transactions hold biometric data).
 *  Errors: as
 *  hs_nist_encode(), plus HS_ERR_IO. Concurrent readers. @since 1.0 */
HS_API hs_status hs_nist_save(hs_ctx *ctx, const char *path, const hs_nist *n,
                              hs_nist_encoding encoding, uint32_t flags);

/* ---- Records and fields ------------------------------------------------ */

/** Number of records, Type-1 included (0 for NULL). Concurrent readers.
 *  @since 1.0 */
HS_API uint32_t hs_nist_record_count(const hs_nist *n);

/** Type of record @p record (0-based), or 0 when there is none.
 *  Concurrent readers. @since 1.0 */
HS_API uint32_t hs_nist_record_type(const hs_nist *n, uint32_t record);

/** Number of fields of record @p record (0 when there is none).
 *  Concurrent readers. @since 1.0 */
HS_API uint32_t hs_nist_field_count(const hs_nist *n, uint32_t record);

/** Field number (NNN of tag T.NNN) of the @p index-th field of @p record,
 *  in file order; 0 when there is none. Concurrent readers. @since 1.0 */
HS_API uint32_t hs_nist_field_number(const hs_nist *n, uint32_t record, uint32_t index);

/** Raw value of the first field numbered @p field in @p record: the bytes
 *  after "T.NNN:" up to the field separator, subfields separated by RS
 *  (0x1E) and items by US (0x1F). Borrowed: valid until @p n is changed or
 *  freed. NULL (with *size 0) when absent. Concurrent readers. @since 1.0 */
HS_API const uint8_t *hs_nist_field(const hs_nist *n, size_t *size, uint32_t record,
                                    uint32_t field);

/** Raw value of the @p index-th field of @p record in file order (as
 *  hs_nist_field(), also reaching repeated tags). NULL when absent.
 *  Concurrent readers. @since 1.0 */
HS_API const uint8_t *hs_nist_field_at(const hs_nist *n, size_t *size, uint32_t record,
                                       uint32_t index);

/** Number of subfields of the first field numbered @p field (a binary
 *  data field counts as one); 0 when absent. Concurrent readers.
 *  @since 1.0 */
HS_API uint32_t hs_nist_subfield_count(const hs_nist *n, uint32_t record, uint32_t field);
/** Number of items of subfield @p subfield (0-based) of that field; 0 when
 *  absent. Concurrent readers. @since 1.0 */
HS_API uint32_t hs_nist_item_count(const hs_nist *n, uint32_t record, uint32_t field,
                                   uint32_t subfield);

/** Copy one information item as NUL-terminated text with the two-call size
 *  query (*size counts the NUL). Errors: HS_ERR_NOT_FOUND (no such record,
 *  field, subfield or item), HS_ERR_BUFFER_TOO_SMALL. Concurrent readers.
 *  @since 1.0 */
HS_API hs_status hs_nist_item(hs_ctx *ctx, char *buf, size_t *size, const hs_nist *n,
                              uint32_t record, uint32_t field, uint32_t subfield,
                              uint32_t item);

/** Append a record of @p type (1-99) and write its index to *record (if not
 *  NULL). A new tagged record gets its LEN and IDC fields (IDC the next
 *  free number; Type-1 none); a binary record (Types 3-8) gets all its
 *  fields as zeros. Errors: HS_ERR_EXISTS (a second Type-1), HS_ERR_LIMIT
 *  (more than 999 records). Exclusive. @since 1.0 */
HS_API hs_status hs_nist_record_add(hs_ctx *ctx, uint32_t *record, hs_nist *n, uint32_t type);

/** Set field @p field of @p record to @p size raw bytes (separators as in
 *  hs_nist_field()), replacing the first field with that number or adding
 *  one in field-number order. LEN (.001) is computed by the encoder and
 *  cannot be set; in binary records only the fields of the layout, and
 *  decimal values within the byte range, are accepted. Errors:
 *  HS_ERR_NOT_FOUND (no such record), HS_ERR_CORRUPT (FS or GS inside a
 *  text value, a value that does not fit a binary field). Exclusive.
 *  @since 1.0 */
HS_API hs_status hs_nist_field_set(hs_ctx *ctx, hs_nist *n, uint32_t record, uint32_t field,
                                   const void *data, size_t size);

/** Remove every field numbered @p field from @p record. Errors:
 *  HS_ERR_NOT_FOUND. Exclusive. @since 1.0 */
HS_API hs_status hs_nist_field_remove(hs_ctx *ctx, hs_nist *n, uint32_t record, uint32_t field);

/* ---- Typed access ------------------------------------------------------ */

/** Transaction-level values (Type-1). Append only. @since 1.0 */
typedef enum hs_nist_text {
    HS_NIST_TEXT_VERSION = 1,     /**< 1.002 VER, e.g. "0502" */
    HS_NIST_TEXT_TOT = 2,         /**< 1.004 type of transaction, e.g. "CPS" */
    HS_NIST_TEXT_DATE = 3,        /**< 1.005 DAT as YYYYMMDD */
    HS_NIST_TEXT_DAI = 4,         /**< 1.007 destination agency identifier */
    HS_NIST_TEXT_ORI = 5,         /**< 1.008 originating agency identifier */
    HS_NIST_TEXT_TCN = 6,         /**< 1.009 transaction control number */
    HS_NIST_TEXT_TCR = 7,         /**< 1.010 transaction control reference */
    HS_NIST_TEXT_DOMAIN = 8,      /**< 1.013 DOM, first item (domain name) */
    HS_NIST_TEXT_GMT = 9,         /**< 1.014 GMT as YYYYMMDDhhmmssZ */
    HS_NIST_TEXT_DAI_NAME = 10,   /**< 1.017 ANM, first item */
    HS_NIST_TEXT_ORI_NAME = 11    /**< 1.017 ANM, second item */
} hs_nist_text;

/** Copy a Type-1 value as NUL-terminated text, two-call size query.
 *  Errors: HS_ERR_NOT_FOUND (no Type-1 record or field absent),
 *  HS_ERR_BUFFER_TOO_SMALL. Concurrent readers. @since 1.0 */
HS_API hs_status hs_nist_text_get(hs_ctx *ctx, char *buf, size_t *size, const hs_nist *n,
                                  hs_nist_text key);

/** Image kinds (hs_nist_image_info.kind). */
#define HS_NIST_IMAGE_FINGER 1 /**< Types 3-6, 13, 14 */
#define HS_NIST_IMAGE_FACE   2 /**< Type-10 with IMT FACE */
#define HS_NIST_IMAGE_PALM   3 /**< Type-15 */
#define HS_NIST_IMAGE_OTHER  4 /**< Types 7, 8, 10 (non-face), 16, 17, 19, 20 */

/** Compression (hs_nist_image_info.compression). */
#define HS_NIST_COMPRESSION_NONE     0 /**< uncompressed (binary 0, NONE) */
#define HS_NIST_COMPRESSION_WSQ      1 /**< WSQ20 (binary 1) */
#define HS_NIST_COMPRESSION_JPEGB    2 /**< baseline JPEG */
#define HS_NIST_COMPRESSION_JPEGL    3 /**< lossless JPEG */
#define HS_NIST_COMPRESSION_JP2      4 /**< JPEG 2000 lossy */
#define HS_NIST_COMPRESSION_JP2L     5 /**< JPEG 2000 lossless */
#define HS_NIST_COMPRESSION_PNG      6
#define HS_NIST_COMPRESSION_OTHER  255 /**< anything else */

/** One image of a transaction. Output struct: set struct_size. @since 1.0 */
typedef struct hs_nist_image_info {
    uint32_t struct_size;    /**< sizeof(hs_nist_image_info), set by the caller */
    uint32_t record;         /**< record index (0-based) */
    uint32_t record_type;    /**< 3-8, 10, 13-17, 19, 20 */
    uint32_t kind;           /**< HS_NIST_IMAGE_* */
    uint32_t position;       /**< first FGP/PLP code (0 = unknown/none) */
    uint32_t impression;     /**< IMP code */
    uint32_t width;          /**< HLL, pixels */
    uint32_t height;         /**< VLL, pixels */
    uint32_t ppi;            /**< pixels per inch from SLC/THPS (binary: 1.011/1.012
                                  and ISR), 0 = unknown */
    uint32_t compression;    /**< HS_NIST_COMPRESSION_* */
    uint32_t bits_per_pixel; /**< BPX (binary records: 8, Type-8/5/6: 1) */
    int32_t quality;         /**< first NQM/FQM quality value 0-100 (254/255 as
                                  given), -1 when none */
    uint64_t data_size;      /**< bytes of image data */
} hs_nist_image_info;

/** Initialiser. @since 1.0 */
#define HS_NIST_IMAGE_INFO_INIT { sizeof(hs_nist_image_info), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0 }

/** Number of image records (0 for NULL). Concurrent readers. @since 1.0 */
HS_API uint32_t hs_nist_image_count(const hs_nist *n);

/** Describe image @p index (0-based, file order). Errors: HS_ERR_NOT_FOUND.
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_nist_image_info_get(hs_ctx *ctx, hs_nist_image_info *info,
                                        const hs_nist *n, uint32_t index);

/** Bytes of image @p index as stored (compressed stream or raw pixels).
 *  Borrowed until @p n is changed or freed; NULL when absent. Concurrent
 *  readers. @since 1.0 */
HS_API const uint8_t *hs_nist_image_data(const hs_nist *n, size_t *size, uint32_t index);

/** Decode image @p index into a new hs_image (*out belongs to the caller,
 *  hs_image_free(); NULL on failure): WSQ, JPEG, JPEG 2000 and PNG
 *  streams through hs_image_decode(), uncompressed 8-bit grey from
 *  HLL x VLL bytes. The image's ppi is set from the record. flags as for
 *  hs_image_decode(). Errors: HS_ERR_NOT_FOUND, HS_ERR_UNSUPPORTED
 *  (compression or bit depth the library cannot decode), HS_ERR_CORRUPT
 *  (raw data shorter than HLL x VLL), the decoder's errors. One thread per
 *  object. @since 1.0 */
HS_API hs_status hs_nist_image_decode(hs_ctx *ctx, hs_image **out, const hs_nist *n,
                                      uint32_t index, uint32_t flags);

/** Minutiae of Type-9 record @p record as a one-view template (*out
 *  belongs to the caller, hs_template_free(); NULL on failure): the
 *  standard-format block (9.004 FMT "S": 9.010 NMN, 9.012 MRC; X/Y in
 *  0.01 mm from the bottom-left corner, converted to 500 ppi pixels from the
 *  top-left), or an ISO/IEC 19794-2 / ANSI 378 record held in a field of
 *  the record (hs_template_decode()). Errors: HS_ERR_NOT_FOUND (not a
 *  Type-9 record, or no minutiae it knows), HS_ERR_CORRUPT (malformed MRC
 *  items, NMN disagreeing with the items), HS_ERR_LIMIT. One thread per
 *  object. @since 1.0 */
HS_API hs_status hs_nist_minutiae(hs_ctx *ctx, hs_template **out, const hs_nist *n,
                                  uint32_t record);

/* ---- Builders ---------------------------------------------------------- */

/** Options of hs_nist_build_search(). @since 1.0 */
typedef struct hs_nist_build_options {
    uint32_t struct_size; /**< sizeof(hs_nist_build_options) */
    uint32_t priority;    /**< 1.006 PRY 1-9, 0 = absent */
    float wsq_bitrate;    /**< WSQ bit rate for finger images, 0 = 0.75 */
    uint32_t impression;  /**< IMP of the finger images (default 0 live plain) */
    char dai_country[4];  /**< ISO 3166 alpha-3 of the destination ("XPO" for
                               INTERPOL), NUL-terminated; "" = none */
    char ori_country[4];  /**< ISO 3166 alpha-3 of the originating agency; "" = none */
    /* The fields below are read by hs_nist_build_result_hit() only. @since 1.1 */
    uint32_t result_flags;      /**< HS_NIST_RESULT_* (0 = none). @since 1.1 */
    char subject_country[4];    /**< ISO 3166 alpha-3 owning the subject ids (2.010 CRN
                                     item 1); "" = the search's destination country
                                     (1.017 ANM item 3). @since 1.1 */
    const char *contact_phone;  /**< 2.063 INF telephone number (digits, at most 64);
                                     NULL = none. Borrowed for the call. @since 1.1 */
    const char *contact_org;    /**< 2.063 INF organisation name (1-64); NULL = none. @since 1.1 */
    const char *contact_person; /**< 2.063 INF person's full name (1-64); NULL = none. @since 1.1 */
    const char *contact_text;   /**< 2.063 INF additional text (1-64); NULL = none. @since 1.1 */
} hs_nist_build_options;

/** Initialiser. @since 1.0 (the 1.1 fields zero / NULL) */
#define HS_NIST_BUILD_OPTIONS_INIT \
    { sizeof(hs_nist_build_options), 0, 0.0f, 0, "", "", 0, "", NULL, NULL, NULL, NULL }

/** hs_nist_build_options.result_flags: the subject id goes into 2.090 IRN
 *  (INTERPOL reference number) instead of 2.010 CRN. @since 1.1 */
#define HS_NIST_RESULT_IRN 0x1u
/** hs_nist_build_options.result_flags: 2.064 MVI "true" (the candidate was
 *  verified by an examiner), else "false". @since 1.1 */
#define HS_NIST_RESULT_VERIFIED 0x2u

/** One finger for hs_nist_build_search(): frozen layout. @since 1.0 */
typedef struct hs_nist_finger {
    const hs_image *image; /**< 500 ppi grey image (resampled if not 500) */
    uint32_t position;     /**< FGP 1-10 (or 11-14 for plain thumbs/slaps) */
    uint32_t quality;      /**< NFIQ-style 1-5 or 0-100 written to NQM; 255 = none */
} hs_nist_finger;

/** Build an INT-I search transaction (@p tot "CPS" or "NPS"): Type-1 with
 *  VER 0502, TOT, DAT and GMT from @p when (seconds since 1970, UTC), DAI
 *  and ORI, TCN (@p tcn_serial as YY + 12 digits + check character),
 *  NSR/NTR 00.00, DOM "INT-I" 6.00, ANM (with the agencies' countries from
 *  @p opts as items 3 and 4, which the INT-I XML encoding requires), DCS
 *  3 UTF-8; a Type-2; one
 *  Type-14 per finger (WSQ 3.1 at 500 ppi, NQM), the face as a Type-10
 *  JPEGB sRGB record when @p face_jpeg is given (the JPEG bytes are
 *  stored as they are), and the minutiae of @p minutiae (optional) as
 *  Type-9 standard-format records. The inputs are copied; *out belongs to
 *  the caller (hs_nist_free()), NULL on failure. Errors: HS_ERR_UNSUPPORTED (tot not CPS
 *  or NPS; no WSQ encoder in this build), HS_ERR_FORMAT (face_jpeg not a
 *  JPEG). One thread per object. @since 1.0 */
HS_API hs_status hs_nist_build_search(hs_ctx *ctx, hs_nist **out, const char *tot,
                                      const char *ori, const char *ori_name,
                                      const char *dai, const char *dai_name,
                                      uint64_t tcn_serial, int64_t when,
                                      const hs_nist_finger *fingers, uint32_t finger_count,
                                      const void *face_jpeg, size_t face_size,
                                      const hs_template *minutiae,
                                      const hs_nist_build_options *opts);

/** Build an INT-I search result (TOT SRE) answering @p search with the
 *  candidates of @p result: Type-1 with DAI/ORI and the ANM names swapped
 *  from the search, TCR = the search's TCN, a new TCN from @p tcn_serial,
 *  DAT/GMT from @p when; a Type-2 with 2.064 RLS = candidate sequence 1,
 *  manual verification "false", the candidate count, the search's TOT and
 *  "I" when a candidate is a hit, else "N"; the hit candidates' subject
 *  ids go into 2.065 (one subfield per hit, a field without an XML element:
 *  the XML encoding needs HS_NIST_ALLOW_LOSS for it). The inputs are only
 *  read; *out belongs to the caller (hs_nist_free()), NULL on failure.
 *  Errors: HS_ERR_NOT_FOUND (the search lacks TOT, TCN, ORI or DAI). One thread per
 *  object. @since 1.0 */
HS_API hs_status hs_nist_build_result(hs_ctx *ctx, hs_nist **out, const hs_nist *search,
                                      const hs_watchlist_result *result,
                                      uint64_t tcn_serial, int64_t when);

/** Build the INT-I search result detailing hit @p hit (0-based among the
 *  hit candidates of @p result, in its order: best first). INT-I carries
 *  one candidate per SRE ("as many SRE messages as candidates"), so a
 *  service answering N hits builds N of these. Type-1 as for
 *  hs_nist_build_result(); the Type-2 holds 2.010 CRN (the country of
 *  @p opts subject_country, else the search's destination country, and the
 *  candidate's subject id; with HS_NIST_RESULT_IRN the id goes into 2.090
 *  IRN instead), 2.063 INF when @p opts gives a contact item (telephone,
 *  organisation, person, text), and 2.064 RLS with CSI = @p hit + 1, MVI
 *  (HS_NIST_RESULT_VERIFIED), CTQ = the number of hits, the search's TOT and
 *  "I". Every field has its INT-I XML element, so the XML encoding is
 *  lossless. The candidate's score has no INT-I field and is not written.
 *  Of @p opts (NULL = defaults) only the 1.1 fields are read. *out belongs
 *  to the caller (hs_nist_free()); NULL on failure. Errors:
 *  HS_ERR_NOT_FOUND (the search lacks TOT, TCN, ORI or DAI; @p hit not
 *  below the number of hits), HS_ERR_INVALID_ARG (no country for CRN;
 *  subject id over 32 bytes; contact items not 1-64 characters, with
 *  separators, control characters or white space at an end; telephone not
 *  digits), HS_ERR_CORRUPT (a separator inside a subject id), HS_ERR_NOMEM.
 *  One thread per object. @since 1.1 */
HS_API hs_status hs_nist_build_result_hit(hs_ctx *ctx, hs_nist **out, const hs_nist *search,
                                          const hs_watchlist_result *result, uint32_t hit,
                                          uint64_t tcn_serial, int64_t when,
                                          const hs_nist_build_options *opts);

/** Compute the TCN check character of @p digits (YY + serial, decimal
 *  digits only, at most 18), the INT-I check character: the number modulo
 *  23 indexes "ZABCDEFGHJKLMNPQRTUVWXY". Returns 0 for bad input. Thread-safe.
 *  @since 1.0 */
HS_API char hs_nist_tcn_check(const char *digits);

/* ---- Transactions and watchlists --------------------------------------- */

/** Flags of hs_nist_fingers(). @since 1.1 */
#define HS_NIST_FINGERS_NO_MINUTIAE 0x1u /**< ignore Type-9 records: extract every image */
#define HS_NIST_FINGERS_NO_IMAGES   0x2u /**< Type-9 minutiae only: extract no image */
#define HS_NIST_FINGERS_SKIP_BAD    0x4u /**< pass over a finger whose image cannot be
                                              decoded or shows no fingerprint, or whose
                                              minutiae are malformed, instead of failing */

/** The fingers of transaction @p n as one template for the watchlist
 *  (hs_watchlist_subject_add_finger() per view to enrol, or the whole
 *  template as the probe of hs_watchlist_search()): one view per finger, at
 *  most HS_WATCHLIST_FINGERS_MAX. First the minutiae of every Type-9 record
 *  (hs_nist_minutiae(); records without a standard-format block or an
 *  embedded ISO/ANSI template, such as EFS-only ones, are passed over),
 *  then, for every finger image (Types 3-6, 13, 14) whose IDC has no Type-9
 *  minutiae, the image decoded (hs_nist_image_decode(): WSQ, JPEG 2000, ...;
 *  WSQ below 0.75 bit/pixel with HS_IMAGE_WSQ_RESTORE since 1.1)
 *  and its minutiae extracted with @p ex (NULL: a default extractor for the
 *  call). Positions come from the records' FGP: 1-10 as they are, 11 and 12
 *  (plain thumbs) as 1 and 6, several candidate codes (latents) or none as 0
 *  (unknown); images of several fingers (slaps 13-15) and other codes are
 *  passed over. A known position is taken once, from the first record that
 *  gives it in that order. Impression codes 0-3 are kept. *out belongs to
 *  the caller (hs_template_free()); NULL on failure. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND (no finger at all), HS_ERR_LIMIT
 *  (more than HS_WATCHLIST_FINGERS_MAX fingers), HS_ERR_NOMEM, and without
 *  HS_NIST_FINGERS_SKIP_BAD those of hs_nist_minutiae(),
 *  hs_nist_image_decode() and hs_finger_extract() (HS_ERR_UNSUPPORTED for a
 *  1-bit image, HS_ERR_NO_FINGERPRINT, ...). It writes the extractor's
 *  scratch. One thread per object. @since 1.1 */
HS_API hs_status hs_nist_fingers(hs_ctx *ctx, hs_template **out, const hs_nist *n,
                                 hs_finger_extractor *ex, uint32_t flags);

/** Embed the first face of transaction @p n (the first Type-10 record with
 *  IMT FACE, decoded with its colour) with engine @p e, as hs_face_embed()
 *  does for the largest face found: hs_face_engine_dim() floats into the
 *  caller's @p out (room for @p cap), *dim the dimension (0 on failure).
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND (no face record), the
 *  decoder's errors and those of hs_face_embed() (HS_ERR_NO_FACE,
 *  HS_ERR_NOT_BUILT without OpenCV, ...). It writes the engine's scratch.
 *  One thread per object. @since 1.1 */
HS_API hs_status hs_nist_face_embed(hs_ctx *ctx, float *out, uint32_t cap, uint32_t *dim,
                                    hs_face_engine *e, const hs_nist *n);

/* ---- Validation ---------------------------------------------------------- */

/** Profiles of hs_nist_validate(). @since 1.0 */
typedef enum hs_nist_profile {
    HS_NIST_PROFILE_BASE = 1, /**< ANSI/NIST-ITL 1-2011 structure and formats */
    HS_NIST_PROFILE_INT_I = 2 /**< BASE plus INTERPOL INT-I 6.00 */
} hs_nist_profile;

/** Opaque list of findings. */
typedef struct hs_nist_findings hs_nist_findings;

/** Check @p n against @p profile; *out receives the findings (possibly
 *  none: the transaction conforms to what the library checks), which belong
 *  to the caller (hs_nist_findings_free()); NULL on failure. The rules
 *  are listed in docs/nist.md. Errors: HS_ERR_NOMEM only; findings are not
 *  errors. Concurrent readers. @since 1.0 */
HS_API hs_status hs_nist_validate(hs_ctx *ctx, hs_nist_findings **out, const hs_nist *n,
                                  hs_nist_profile profile);

/** Free findings (NULL accepted). Exclusive. @since 1.0 */
HS_API void hs_nist_findings_free(hs_nist_findings *f);

/** Number of findings (0 for NULL). Concurrent readers. @since 1.0 */
HS_API uint32_t hs_nist_findings_count(const hs_nist_findings *f);

/** Finding @p index: *record (0-based record index, or UINT32_MAX for the
 *  transaction), *field (field number, 0 for the record) and the message,
 *  static until the findings are freed. NULL when @p index is out of range.
 *  Any output pointer may be NULL. Concurrent readers. @since 1.0 */
HS_API const char *hs_nist_finding(const hs_nist_findings *f, uint32_t *record,
                                   uint32_t *field, uint32_t index);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_NIST_H */
