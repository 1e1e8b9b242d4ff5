/*
 * libhotspot - encounter.h: one capture at the frontline, sealed to the
 * central authority.
 *
 * An encounter (hs_encounter) is what a frontline device records when an
 * officer checks a person: the finger images and/or templates with their
 * positions, an optional face image, the capture metadata (UTC time, device,
 * operator, location, reason, free key=value fields) and the result of the
 * offline search against the installed watchlist (list version, candidates,
 * decision, and the text the app showed the officer).
 *
 * Its content is an INT-I search transaction (hs_encounter_transaction(),
 * built with hs_nist_build_search()) plus the offline result. The device
 * seals it (hs_encounter_seal()): the content is encrypted to the central
 * authority's X25519 key with an ephemeral key (libsodium's sealed box), so
 * the device itself cannot read it back, and the whole record is signed with
 * the device's Ed25519 key. Only the receipt (hs_encounter_receipt: id,
 * time, device key, decision, candidate count, the shown text) stays
 * readable without the authority's key; it holds no biometric data.
 *
 * Sealed records travel to the centre in batches (hs_encounter_batch_encode),
 * where hs_encounter_batch_open() checks each record against a registry of
 * device keys (hs_encounter_registry) and the ids seen before
 * (hs_encounter_seen), opens the accepted ones and gives the reason for each
 * refusal; hs_encounter_ack_make() then signs an acknowledgement naming the
 * accepted ids of one device, which the device checks with
 * hs_encounter_ack_verify().
 *
 * Byte layouts of the sealed record, the plaintext, the batch, the
 * acknowledgement and the key files: docs/encounter-format.md.
 *
 * Builds without libsodium (HOTSPOT_WITH_SODIUM=OFF) keep the encounter
 * object and its transaction; the functions that need cryptography return
 * HS_ERR_NOT_BUILT.
 */
#ifndef HOTSPOT_ENCOUNTER_H
#define HOTSPOT_ENCOUNTER_H

#include "hotspot/common.h"
#include "hotspot/image.h"
#include "hotspot/nist.h"
#include "hotspot/template.h"
#include "hotspot/watchlist.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup encounter Encounters, sealed to the central authority
 *  @{ */

/** Bytes of an encounter id (random, chosen by hs_encounter_new()). */
#define HS_ENCOUNTER_ID_BYTES 16

/** Key sizes. */
#define HS_ENCOUNTER_BOX_PUBLIC_BYTES  32 /**< X25519 public key of the authority */
#define HS_ENCOUNTER_BOX_SECRET_BYTES  32 /**< X25519 secret key of the authority */
#define HS_ENCOUNTER_SIGN_PUBLIC_BYTES 32 /**< Ed25519 public key */
#define HS_ENCOUNTER_SIGN_SECRET_BYTES 64 /**< Ed25519 secret key (libsodium layout) */

/** Decisions of the offline search (hs_encounter_set_decision(), the
 *  receipt). Appended only. */
#define HS_ENCOUNTER_NO_HIT       0 /**< no candidate reached the decision threshold */
#define HS_ENCOUNTER_HIT          1 /**< a candidate is a hit */
#define HS_ENCOUNTER_POSSIBLE_HIT 2 /**< candidates for a human to review */
#define HS_ENCOUNTER_NOT_SEARCHED 3 /**< no offline search (no list, no usable probe) */

/** Limits of the encounter's content. */
#define HS_ENCOUNTER_TEXT_MAX       128 /**< bytes of a metadata text, NUL excluded */
#define HS_ENCOUNTER_SHOWN_MAX      127 /**< bytes of the shown text, NUL excluded */
#define HS_ENCOUNTER_KEY_MAX         32 /**< bytes of a free field's key */
#define HS_ENCOUNTER_VALUE_MAX      256 /**< bytes of a free field's value */
#define HS_ENCOUNTER_FIELDS_MAX      32 /**< free fields per encounter */
#define HS_ENCOUNTER_FINGERS_MAX     10 /**< finger images, and template views, per encounter */
#define HS_ENCOUNTER_CANDIDATES_MAX 100 /**< candidates of the offline result */
#define HS_ENCOUNTER_SUBJECT_MAX    128 /**< bytes of a candidate's subject id */
#define HS_ENCOUNTER_BATCH_MAX    65536 /**< sealed records per batch */
#define HS_ENCOUNTER_ACK_IDS_MAX  65536 /**< ids per acknowledgement */

/** One capture at the frontline. */
typedef struct hs_encounter hs_encounter;

/* ---- The encounter object ------------------------------------------------ */

/** Create an empty encounter with a fresh random id and the current UTC time
 *  (milliseconds) as its capture time, decision HS_ENCOUNTER_NOT_SEARCHED,
 *  no metadata, images or candidates. *out belongs to the caller
 *  (hs_encounter_free()); it keeps the ctx's allocator. On failure *out is
 *  NULL. Errors: HS_ERR_NOT_BUILT (no random source: built without
 *  libsodium), HS_ERR_NOMEM. One thread per object. @since 1.1 */
HS_API hs_status hs_encounter_new(hs_ctx *ctx, hs_encounter **out);

/** Free an encounter (NULL accepted). Its images, templates, metadata and
 *  candidates are wiped first. Exclusive. @since 1.1 */
HS_API void hs_encounter_free(hs_encounter *e);

/** The encounter's id, HS_ENCOUNTER_ID_BYTES bytes borrowed from @p e (valid
 *  until it is changed or freed); NULL for NULL. Cannot fail. Concurrent
 *  readers. @since 1.1 */
HS_API const uint8_t *hs_encounter_id(const hs_encounter *e);

/** Replace the id (for an app that numbers encounters itself, or for
 *  reproducible tests). An all-zero id is refused. No output. Errors:
 *  HS_ERR_INVALID_ARG only. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_set_id(hs_ctx *ctx, hs_encounter *e,
                                     const uint8_t id[HS_ENCOUNTER_ID_BYTES]);

/** Capture time, UTC milliseconds since the epoch (0 for NULL). Cannot
 *  fail. Concurrent readers. @since 1.1 */
HS_API int64_t hs_encounter_time(const hs_encounter *e);

/** Set the capture time, UTC milliseconds since the epoch, from
 *  2000-01-01 to 9999-12-31 (the transaction's DAT). No output. Errors:
 *  HS_ERR_INVALID_ARG only (range given in the message). Exclusive.
 *  @since 1.1 */
HS_API hs_status hs_encounter_set_time(hs_ctx *ctx, hs_encounter *e, int64_t time_ms);

/** Metadata texts of an encounter. Appended only. @since 1.1 */
typedef enum hs_encounter_text {
    HS_ENCOUNTER_TEXT_DEVICE_ID = 1,   /**< the device's name or serial */
    HS_ENCOUNTER_TEXT_OPERATOR_ID = 2, /**< the officer's id */
    HS_ENCOUNTER_TEXT_LOCATION = 3,    /**< location code (checkpoint) */
    HS_ENCOUNTER_TEXT_REASON = 4,      /**< reason for the check */
    HS_ENCOUNTER_TEXT_SHOWN = 5,       /**< what the app showed the officer (at most
                                            HS_ENCOUNTER_SHOWN_MAX bytes; readable
                                            in the receipt without the authority's key) */
    HS_ENCOUNTER_TEXT_ORI = 6,         /**< transaction 1.008 ORI (default "HOTSPOT") */
    HS_ENCOUNTER_TEXT_ORI_NAME = 7,    /**< originating agency name (default = ORI) */
    HS_ENCOUNTER_TEXT_DAI = 8,         /**< transaction 1.007 DAI (default "INTERPOL") */
    HS_ENCOUNTER_TEXT_DAI_NAME = 9,    /**< destination agency name (default = DAI) */
    HS_ENCOUNTER_TEXT_ORI_COUNTRY = 10, /**< ISO 3166 alpha-3 of the originating agency */
    HS_ENCOUNTER_TEXT_DAI_COUNTRY = 11  /**< ISO 3166 alpha-3 of the destination ("XPO") */
} hs_encounter_text;

/** Set metadata text @p key to @p value (printable ASCII 0x20-0x7e, at
 *  most HS_ENCOUNTER_TEXT_MAX bytes, HS_ENCOUNTER_SHOWN_MAX for the shown
 *  text, exactly three letters A-Z for the countries; copied). NULL or ""
 *  clears it. No output. Errors: HS_ERR_INVALID_ARG (unknown key, a value
 *  too long or with another byte; the message names the key and the rule);
 *  the encounter is unchanged on failure. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_set_text(hs_ctx *ctx, hs_encounter *e, hs_encounter_text key,
                                       const char *value);

/** Metadata text @p key into *value: borrowed from @p e, valid until it is
 *  changed or freed, "" when not set (never NULL on success). Errors:
 *  HS_ERR_INVALID_ARG (NULL, unknown key); *value untouched on failure.
 *  Concurrent readers. @since 1.1 */
HS_API hs_status hs_encounter_get_text(const hs_encounter *e, const char **value,
                                       hs_encounter_text key);

/** Set free field @p key to @p value: keys are 1 to HS_ENCOUNTER_KEY_MAX
 *  bytes of [a-z0-9_.-], values printable ASCII up to HS_ENCOUNTER_VALUE_MAX
 *  bytes; NULL removes the field (later fields move down one index).
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_LIMIT (HS_ENCOUNTER_FIELDS_MAX fields
 *  already), HS_ERR_NOT_FOUND (removing an absent field), HS_ERR_NOMEM; the
 *  encounter is unchanged on failure. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_set_field(hs_ctx *ctx, hs_encounter *e, const char *key,
                                        const char *value);

/** Value of free field @p key, borrowed (valid until @p e is changed or
 *  freed), NULL when absent or for NULL arguments. Concurrent readers.
 *  @since 1.1 */
HS_API const char *hs_encounter_field(const hs_encounter *e, const char *key);

/** Number of free fields (0 for NULL). Concurrent readers. @since 1.1 */
HS_API uint32_t hs_encounter_field_count(const hs_encounter *e);

/** Free field @p index, in the order set: *key and *value borrowed as for
 *  hs_encounter_field(). Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND (index
 *  out of range). Concurrent readers. @since 1.1 */
HS_API hs_status hs_encounter_field_at(const hs_encounter *e, const char **key,
                                       const char **value, uint32_t index);

/** Add a copy of finger image @p img (8-bit grey; at 500 ppi, or resampled
 *  to it when the transaction is built) at ANSI/NIST finger position
 *  @p position (1-10) with quality @p quality (0-100, or 255 for none, as
 *  NQM). A position may appear once. The image is wiped when the encounter
 *  is freed. Errors: HS_ERR_INVALID_ARG (position, quality, an image side
 *  outside 32-65535 pixels as WSQ needs), HS_ERR_EXISTS (position already
 *  has an image), HS_ERR_LIMIT (HS_ENCOUNTER_FINGERS_MAX images),
 *  HS_ERR_NOMEM; unchanged on failure. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_add_finger_image(hs_ctx *ctx, hs_encounter *e, const hs_image *img,
                                               uint32_t position, uint32_t quality);

/** Add a copy of view @p view of template @p t (its finger_position 1-10
 *  is the position; one view per position). Errors: HS_ERR_INVALID_ARG
 *  (position 0 or beyond 10), HS_ERR_NOT_FOUND (no such view),
 *  HS_ERR_EXISTS (a view at that position already), HS_ERR_LIMIT,
 *  HS_ERR_NOMEM; unchanged on failure. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_add_finger_template(hs_ctx *ctx, hs_encounter *e,
                                                  const hs_template *t, uint32_t view);

/** Number of finger images (0 for NULL). Concurrent readers. @since 1.1 */
HS_API uint32_t hs_encounter_finger_count(const hs_encounter *e);

/** Finger image @p index (in the order added) and its position into
 *  *position (if not NULL): borrowed until @p e is changed or freed; NULL
 *  when out of range. An opened encounter (hs_encounter_batch_encounter())
 *  has none: its images are in the transaction. Concurrent readers.
 *  @since 1.1 */
HS_API const hs_image *hs_encounter_finger_image(const hs_encounter *e, uint32_t *position,
                                                 uint32_t index);

/** The finger templates added, as one template with a view per finger:
 *  borrowed until @p e is changed or freed; NULL when none. Concurrent
 *  readers. @since 1.1 */
HS_API const hs_template *hs_encounter_templates(const hs_encounter *e);

/** Set the face from image @p img, encoded at once as a JPEG (the grey
 *  plane, quality 90; use hs_encounter_set_face_jpeg() to keep colour).
 *  Replaces any face. Errors: HS_ERR_INTERNAL (the JPEG codec failed),
 *  HS_ERR_NOMEM; unchanged on failure. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_set_face(hs_ctx *ctx, hs_encounter *e, const hs_image *img);

/** Set the face from JPEG bytes (copied as they are; they become the
 *  Type-10 record). NULL removes the face. Errors: HS_ERR_FORMAT (not a
 *  JPEG: no SOI marker), HS_ERR_LIMIT (beyond HS_LIMIT_MAX_FILE_BYTES),
 *  HS_ERR_NOMEM; unchanged on failure. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_set_face_jpeg(hs_ctx *ctx, hs_encounter *e, const void *jpeg,
                                            size_t size);

/** The face JPEG, borrowed until @p e is changed or freed, *size its bytes;
 *  NULL (and *size 0) when none. An opened encounter has none (the face is
 *  in the transaction). Concurrent readers. @since 1.1 */
HS_API const uint8_t *hs_encounter_face_jpeg(const hs_encounter *e, size_t *size);

/* ---- The offline result -------------------------------------------------- */

/** Set the offline decision (HS_ENCOUNTER_*). Errors: HS_ERR_INVALID_ARG
 *  only. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_set_decision(hs_ctx *ctx, hs_encounter *e, int32_t decision);

/** Offline decision (HS_ENCOUNTER_NOT_SEARCHED for NULL). Concurrent
 *  readers. @since 1.1 */
HS_API int32_t hs_encounter_decision(const hs_encounter *e);

/** Set the version of the watchlist searched (hs_watchlist_version()).
 *  Errors: HS_ERR_INVALID_ARG only. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_set_watchlist_version(hs_ctx *ctx, hs_encounter *e,
                                                    uint64_t version);

/** Version of the watchlist searched (0 = none, and for NULL). Concurrent
 *  readers. @since 1.1 */
HS_API uint64_t hs_encounter_watchlist_version(const hs_encounter *e);

/** Append a candidate: subject id @p subject (1 to HS_ENCOUNTER_SUBJECT_MAX
 *  printable ASCII bytes), fused @p score (finite), @p hit 0 or 1.
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_LIMIT (HS_ENCOUNTER_CANDIDATES_MAX),
 *  HS_ERR_NOMEM; unchanged on failure. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_add_candidate(hs_ctx *ctx, hs_encounter *e, const char *subject,
                                            double score, uint32_t hit);

/** Record the offline result of a watchlist search in one call: the list
 *  version, every candidate of @p result (up to HS_ENCOUNTER_CANDIDATES_MAX:
 *  more is HS_ERR_LIMIT), replacing any candidates, and the decision
 *  (HS_ENCOUNTER_HIT when a candidate is a hit, else NO_HIT). Errors: as
 *  hs_encounter_add_candidate(); unchanged on failure. Exclusive.
 *  @since 1.1 */
HS_API hs_status hs_encounter_set_result(hs_ctx *ctx, hs_encounter *e,
                                         const hs_watchlist_result *result, uint64_t version);

/** Number of candidates (0 for NULL). Concurrent readers. @since 1.1 */
HS_API uint32_t hs_encounter_candidate_count(const hs_encounter *e);

/** Candidate @p index: *subject borrowed (valid until @p e is changed or
 *  freed), *score, *hit; any output may be NULL. Errors: HS_ERR_INVALID_ARG,
 *  HS_ERR_NOT_FOUND. Concurrent readers. @since 1.1 */
HS_API hs_status hs_encounter_candidate(const hs_encounter *e, const char **subject,
                                        double *score, uint32_t *hit, uint32_t index);

/** The offline result and metadata as one JSON object (UTF-8, no trailing
 *  NUL counted: *size is the bytes; with buf large enough a NUL follows
 *  when room remains), two-call size query: id (hex), time_ms, texts, free
 *  fields, watchlist_version, decision, candidates. No biometric data.
 *  Layout in docs/encounter-format.md. Errors: HS_ERR_BUFFER_TOO_SMALL,
 *  HS_ERR_NOMEM. Concurrent readers. @since 1.1 */
HS_API hs_status hs_encounter_result_json(hs_ctx *ctx, char *buf, size_t *size,
                                          const hs_encounter *e);

/* ---- The INT-I transaction ----------------------------------------------- */

/** Build the encounter's INT-I search transaction with hs_nist_build_search():
 *  @p tot "CPS" or "NPS" (NULL = "CPS"); DAT/GMT from the capture time;
 *  ORI, DAI, their names and countries from the metadata texts (defaults
 *  above); TCN serial from the first bytes of the id; each finger image as
 *  a Type-14 WSQ record at 500 ppi (bit rate 0.75); the face as a Type-10
 *  JPEG record; the finger templates as Type-9 records. *out belongs to the
 *  caller (hs_nist_free()); NULL on failure. Errors: HS_ERR_STATE (no
 *  finger image, template or face), HS_ERR_UNSUPPORTED (tot), the errors
 *  of hs_nist_build_search(). One thread per object. @since 1.1 */
HS_API hs_status hs_encounter_transaction(hs_ctx *ctx, hs_nist **out, const hs_encounter *e,
                                          const char *tot);

/* ---- Keys of the central authority --------------------------------------- */

/** Make the authority's keys: an X25519 box key pair (encounters are sealed
 *  to box_public) and an Ed25519 signing pair (acknowledgements). Every
 *  output is written. Errors: HS_ERR_NOT_BUILT (no libsodium), HS_ERR_INTERNAL
 *  (libsodium failed to initialise). Thread-safe. @since 1.1 */
HS_API hs_status hs_encounter_keygen_authority(uint8_t box_public[32], uint8_t box_secret[32],
                                               uint8_t sign_public[32], uint8_t sign_secret[64]);

/** Write the authority's keys to @p public_path (72 bytes: magic
 *  "HSAUTHP1", box and signing public keys; shared with devices) and
 *  @p secret_path (104 bytes: magic "HSAUTHS1", box secret key, signing
 *  secret key; mode 0600), both through the atomic save (secret first);
 *  formats in docs/encounter-format.md. Neither file may exist already. Errors:
 *  HS_ERR_EXISTS (a file exists; nothing written), HS_ERR_IO. One thread
 *  per object. @since 1.1 */
HS_API hs_status hs_encounter_authority_save(hs_ctx *ctx, const char *public_path,
                                             const char *secret_path,
                                             const uint8_t box_public[32],
                                             const uint8_t box_secret[32],
                                             const uint8_t sign_public[32],
                                             const uint8_t sign_secret[64]);

/** Read an authority public key file: *box_public and *sign_public (either
 *  may be NULL). Errors: HS_ERR_IO, HS_ERR_FORMAT (not such a file; the
 *  message names the line). Outputs untouched on failure. One thread per
 *  object. @since 1.1 */
HS_API hs_status hs_encounter_authority_load_public(hs_ctx *ctx, uint8_t box_public[32],
                                                    uint8_t sign_public[32], const char *path);

/** Read an authority secret key file (either output may be NULL). A file
 *  its group or others may access is refused (HS_ERR_IO, as ssh does); the
 *  signing secret key's seed and public half are checked against each
 *  other, and the buffers holding the file wiped. Errors: HS_ERR_IO,
 *  HS_ERR_FORMAT, HS_ERR_CORRUPT (the signing key's halves disagree). Outputs untouched on failure. One thread per
 *  object. @since 1.1 */
HS_API hs_status hs_encounter_authority_load_secret(hs_ctx *ctx, uint8_t box_secret[32],
                                                    uint8_t sign_secret[64], const char *path);

/* ---- Sealing on the device ----------------------------------------------- */

/** Options of hs_encounter_seal(). @since 1.1 */
typedef struct hs_encounter_seal_options {
    uint32_t struct_size; /**< sizeof(hs_encounter_seal_options) */
    char tot[4];          /**< transaction type "CPS" or "NPS", NUL-terminated; "" = "CPS" */
} hs_encounter_seal_options;

/** Initialiser. @since 1.1 */
#define HS_ENCOUNTER_SEAL_OPTIONS_INIT { sizeof(hs_encounter_seal_options), "" }

/** Seal @p e for the authority, two-call size query (buf NULL: *size gets
 *  the exact size; the transaction is built for it, so a size query costs
 *  about as much as the seal; the size is the same on the second call, the
 *  bytes are not, as the ephemeral key is fresh). To seal in one pass, pass
 *  a buffer of generous capacity (a few MiB for fingers and a face) and
 *  fall back to the size query only on HS_ERR_BUFFER_TOO_SMALL. The record: a plain header holding exactly the receipt
 *  fields; the plaintext (transaction in the traditional encoding, offline
 *  result, metadata, device key) encrypted to @p authority_box_public with
 *  libsodium's crypto_box_seal (a fresh X25519 key per record, thrown away:
 *  the device cannot decrypt what it sealed); an Ed25519 signature by
 *  @p device_sign_secret (from hs_device_keygen()) over header and
 *  ciphertext. Every plaintext buffer is wiped. Layout:
 *  docs/encounter-format.md. Errors: HS_ERR_INVALID_ARG also for a
 *  device secret key whose public half is not its seed's; as
 *  hs_encounter_transaction(),
 *  HS_ERR_BUFFER_TOO_SMALL, HS_ERR_NOT_BUILT (no libsodium), HS_ERR_LIMIT
 *  (record beyond 2^31 bytes). One thread per object (the ctx).
 *  @since 1.1 */
HS_API hs_status hs_encounter_seal(hs_ctx *ctx, void *buf, size_t *size, const hs_encounter *e,
                                   const uint8_t authority_box_public[32],
                                   const uint8_t device_sign_secret[64],
                                   const hs_encounter_seal_options *opts);

/** The part of a sealed encounter readable without the authority's key: no
 *  biometric data. Output struct: set struct_size (HS_ENCOUNTER_RECEIPT_INIT).
 *  @since 1.1 */
typedef struct hs_encounter_receipt {
    uint32_t struct_size;               /**< sizeof(hs_encounter_receipt), set by the caller */
    uint8_t id[HS_ENCOUNTER_ID_BYTES];  /**< encounter id */
    int64_t time_ms;                    /**< capture time, UTC ms since the epoch */
    uint8_t device_public[32];          /**< Ed25519 key of the device that sealed it */
    int32_t decision;                   /**< HS_ENCOUNTER_* */
    uint32_t candidate_count;           /**< candidates of the offline search */
    char shown[128];                    /**< what the app chose to show the officer
                                             (may be empty); NUL-terminated */
} hs_encounter_receipt;

/** Initialiser. @since 1.1 */
#define HS_ENCOUNTER_RECEIPT_INIT { sizeof(hs_encounter_receipt), {0}, 0, {0}, 0, 0, "" }

/** Parse the plain header of sealed record @p sealed (@p size bytes, the
 *  whole record) into *receipt and check the device signature against the
 *  device_public in it (this proves the record is whole and unchanged since
 *  that key signed it, not that the key is trusted: the centre's registry
 *  decides that). Filled as far as receipt->struct_size. Errors:
 *  HS_ERR_FORMAT (wrong magic), HS_ERR_VERSION (newer record version),
 *  HS_ERR_TRUNCATED, HS_ERR_CORRUPT (lengths, decision or shown text out of
 *  range), HS_ERR_SIGNATURE, HS_ERR_NOT_BUILT; *receipt untouched on
 *  failure. One thread per object (the ctx). @since 1.1 */
HS_API hs_status hs_encounter_sealed_receipt(hs_ctx *ctx, hs_encounter_receipt *receipt,
                                             const void *sealed, size_t size);

/* ---- Batches ------------------------------------------------------------- */

/** Encode @p count sealed records (@p sealed[i] of @p sizes[i] bytes, each
 *  checked as by hs_encounter_sealed_receipt()) as one batch file, two-call
 *  size query: magic, version, count, length-prefixed records each with a
 *  CRC-32C, and a CRC-32C of the whole file. Errors: HS_ERR_LIMIT (more
 *  than HS_ENCOUNTER_BATCH_MAX records, or beyond 2^32 bytes), the errors of
 *  hs_encounter_sealed_receipt() naming the record, HS_ERR_BUFFER_TOO_SMALL.
 *  One thread per object (the ctx). @since 1.1 */
HS_API hs_status hs_encounter_batch_encode(hs_ctx *ctx, void *buf, size_t *size,
                                           const void *const *sealed, const size_t *sizes,
                                           uint32_t count);

/** Walk batch @p data without any key: *count receives the number of
 *  records, and for @p index < count *record and *record_size the bytes of
 *  record @p index (borrowed from @p data). Checks the framing and
 *  checksums. Errors: HS_ERR_FORMAT, HS_ERR_VERSION, HS_ERR_TRUNCATED,
 *  HS_ERR_CORRUPT, HS_ERR_CHECKSUM (the message names the record and its
 *  offset), HS_ERR_NOT_FOUND (index beyond the count: *count is still
 *  set). Pass index UINT32_MAX to get only the count. One thread per
 *  object (the ctx). @since 1.1 */
HS_API hs_status hs_encounter_batch_record(hs_ctx *ctx, const uint8_t **record,
                                           size_t *record_size, uint32_t *count,
                                           const void *data, size_t size, uint32_t index);

/* ---- Acknowledgements ---------------------------------------------------- */

/** A verified acknowledgement: signed by the authority, names one device and
 *  the encounter ids the centre accepted. */
typedef struct hs_encounter_ack hs_encounter_ack;

/** Make an acknowledgement for the device @p device_public naming @p count
 *  ids (@p ids: count * HS_ENCOUNTER_ID_BYTES bytes; count 1 to
 *  HS_ENCOUNTER_ACK_IDS_MAX), with a fresh random 16-byte nonce and the
 *  current time, signed with @p authority_sign_secret; two-call size query
 *  (the size depends only on count; each call makes a new nonce). Errors:
 *  HS_ERR_BUFFER_TOO_SMALL, HS_ERR_LIMIT, HS_ERR_NOT_BUILT. One thread per
 *  object (the ctx). @since 1.1 */
HS_API hs_status hs_encounter_ack_make(hs_ctx *ctx, void *buf, size_t *size,
                                       const uint8_t device_public[32], const uint8_t *ids,
                                       uint32_t count, const uint8_t authority_sign_secret[64]);

/** Parse and verify an acknowledgement: the authority's signature against
 *  @p authority_sign_public, then that it names @p device_public. *out
 *  belongs to the caller (hs_encounter_ack_free()); NULL on failure.
 *  Errors: HS_ERR_SIGNATURE (wrong authority, altered bytes, and also an
 *  acknowledgement for another device: the message then says "for another
 *  device"), HS_ERR_FORMAT, HS_ERR_VERSION, HS_ERR_TRUNCATED,
 *  HS_ERR_CORRUPT (count disagreeing with the size), HS_ERR_NOT_BUILT,
 *  HS_ERR_NOMEM. Replays are the caller's to refuse (compare the nonce and
 *  ids with those already applied). One thread per object (the ctx).
 *  @since 1.1 */
HS_API hs_status hs_encounter_ack_verify(hs_ctx *ctx, hs_encounter_ack **out, const void *data,
                                         size_t size, const uint8_t authority_sign_public[32],
                                         const uint8_t device_public[32]);

/** Number of ids (0 for NULL). Concurrent readers. @since 1.1 */
HS_API uint32_t hs_encounter_ack_count(const hs_encounter_ack *a);

/** Id @p index (16 bytes borrowed from @p a, valid until freed); NULL past
 *  the end. Concurrent readers. @since 1.1 */
HS_API const uint8_t *hs_encounter_ack_id(const hs_encounter_ack *a, uint32_t index);

/** The acknowledgement's nonce, 16 random bytes unique per acknowledgement
 *  (borrowed; NULL for NULL). Concurrent readers. @since 1.1 */
HS_API const uint8_t *hs_encounter_ack_nonce(const hs_encounter_ack *a);

/** When the centre made it, UTC ms since the epoch (0 for NULL).
 *  Concurrent readers. @since 1.1 */
HS_API int64_t hs_encounter_ack_time(const hs_encounter_ack *a);

/** The device it names (32 bytes borrowed; NULL for NULL). Concurrent
 *  readers. @since 1.1 */
HS_API const uint8_t *hs_encounter_ack_device(const hs_encounter_ack *a);

/** Free an acknowledgement (NULL accepted). Exclusive. @since 1.1 */
HS_API void hs_encounter_ack_free(hs_encounter_ack *a);

/* ---- The central side ---------------------------------------------------- */

/** Registry of device public keys known to the centre. */
typedef struct hs_encounter_registry hs_encounter_registry;

/** Create an empty registry. *out belongs to the caller
 *  (hs_encounter_registry_free()). Errors: HS_ERR_NOMEM. One thread per
 *  object. @since 1.1 */
HS_API hs_status hs_encounter_registry_new(hs_ctx *ctx, hs_encounter_registry **out);

/** Load a registry from directory @p dir: every regular file named
 *  NAME.pub holds one device's Ed25519 public key (32 raw bytes, or text
 *  with a line "sign <64 hex digits>" or a single 64-hex-digit line), the
 *  device being named NAME; the file "revoked", when present, lists
 *  revoked keys, one per line as 64 hex digits or a device NAME, '#'
 *  comments. Files are read with the library's file layer; other entries
 *  are ignored. *out belongs to the caller (hs_encounter_registry_free());
 *  NULL on failure. Errors: HS_ERR_IO (the directory cannot be read),
 *  HS_ERR_FORMAT (a file that holds no key, or a revoked line naming
 *  nothing known: the message names it), HS_ERR_LIMIT (more than 100,000
 *  keys), HS_ERR_NOMEM. One thread per object. @since 1.1 */
HS_API hs_status hs_encounter_registry_load(hs_ctx *ctx, hs_encounter_registry **out,
                                            const char *dir);

/** Free a registry (NULL accepted). Exclusive. @since 1.1 */
HS_API void hs_encounter_registry_free(hs_encounter_registry *r);

/** Add device key @p device_public named @p name (1 to 64 bytes of
 *  [A-Za-z0-9_.-]). Errors: HS_ERR_EXISTS (key or name already present),
 *  HS_ERR_LIMIT, HS_ERR_NOMEM. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_registry_add(hs_ctx *ctx, hs_encounter_registry *r,
                                           const uint8_t device_public[32], const char *name);

/** Mark key @p device_public revoked (it stays known, so that a refusal
 *  says "revoked"; a key not present is added as revoked, named by its hex).
 *  Errors: HS_ERR_NOMEM. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_registry_revoke(hs_ctx *ctx, hs_encounter_registry *r,
                                              const uint8_t device_public[32]);

/** State of @p device_public: 1 known and valid, 0 unknown, -1 revoked;
 *  *name (if not NULL) the device's name, borrowed until @p r is changed or
 *  freed, or NULL when unknown. Concurrent readers. @since 1.1 */
HS_API int32_t hs_encounter_registry_lookup(const hs_encounter_registry *r, const char **name,
                                            const uint8_t device_public[32]);

/** Set of encounter ids the centre has opened, for refusing replays. */
typedef struct hs_encounter_seen hs_encounter_seen;

/** Flag of hs_encounter_seen_load(): an absent file gives an empty set
 *  (the first run); without it an absent file is HS_ERR_IO, so that a lost
 *  file does not silently open replays. */
#define HS_ENCOUNTER_SEEN_CREATE 0x1u

/** Create an empty set. *out belongs to the caller
 *  (hs_encounter_seen_free()); NULL on failure. Errors: HS_ERR_NOMEM. One
 *  thread per object. @since 1.1 */
HS_API hs_status hs_encounter_seen_new(hs_ctx *ctx, hs_encounter_seen **out);

/** Free a set (NULL accepted). Exclusive. @since 1.1 */
HS_API void hs_encounter_seen_free(hs_encounter_seen *s);

/** Load a set saved by hs_encounter_seen_save(). flags: 0 or
 *  HS_ENCOUNTER_SEEN_CREATE. *out belongs to the caller
 *  (hs_encounter_seen_free()); NULL on failure. Errors: HS_ERR_IO, HS_ERR_FORMAT,
 *  HS_ERR_CHECKSUM, HS_ERR_CORRUPT, HS_ERR_LIMIT, HS_ERR_NOMEM. One thread
 *  per object. @since 1.1 */
HS_API hs_status hs_encounter_seen_load(hs_ctx *ctx, hs_encounter_seen **out, const char *path,
                                        uint32_t flags);

/** Save the set to @p path through the atomic save (mode 0600). Errors:
 *  HS_ERR_IO, HS_ERR_NOMEM. Concurrent readers. @since 1.1 */
HS_API hs_status hs_encounter_seen_save(hs_ctx *ctx, const char *path,
                                        const hs_encounter_seen *s);

/** 1 when @p id is in the set, else 0 (0 for NULL). Cannot fail.
 *  Concurrent readers. @since 1.1 */
HS_API int32_t hs_encounter_seen_contains(const hs_encounter_seen *s,
                                          const uint8_t id[HS_ENCOUNTER_ID_BYTES]);

/** Add @p id. Errors: HS_ERR_EXISTS (already in), HS_ERR_LIMIT (more than
 *  2^26 ids), HS_ERR_NOMEM. Exclusive. @since 1.1 */
HS_API hs_status hs_encounter_seen_add(hs_ctx *ctx, hs_encounter_seen *s,
                                       const uint8_t id[HS_ENCOUNTER_ID_BYTES]);

/** Number of ids (0 for NULL). Concurrent readers. @since 1.1 */
HS_API uint32_t hs_encounter_seen_count(const hs_encounter_seen *s);

/** Open one sealed record at the centre: the device key in its header must
 *  be in @p registry (else HS_ERR_REVOKED "unknown device") and not
 *  revoked (HS_ERR_REVOKED "revoked"); the signature must verify
 *  (HS_ERR_SIGNATURE); the ciphertext must decrypt with
 *  @p authority_box_secret (HS_ERR_DECRYPT) and its inner copy of the
 *  header must agree (HS_ERR_CORRUPT); the id must not be in @p seen
 *  (HS_ERR_REPLAY; @p seen may be NULL to skip the check). On success the
 *  id is added to @p seen, *encounter (metadata and offline result, no
 *  images) and *transaction (the decoded INT-I transaction, may be NULL
 *  when not wanted) belong to the caller. On failure both are NULL and
 *  @p seen is unchanged. Errors: also those of hs_encounter_sealed_receipt()
 *  and hs_nist_decode(), HS_ERR_NOMEM. One thread per object (the ctx and
 *  @p seen). @since 1.1 */
HS_API hs_status hs_encounter_open(hs_ctx *ctx, hs_encounter **encounter, hs_nist **transaction,
                                   const void *sealed, size_t size,
                                   const uint8_t authority_box_secret[32],
                                   const hs_encounter_registry *registry, hs_encounter_seen *seen);

/** An opened batch: per record, the opened content or the refusal. */
typedef struct hs_encounter_batch hs_encounter_batch;

/** Open every record of batch @p data as hs_encounter_open() does. The
 *  framing must be whole (errors of hs_encounter_batch_record(): nothing is
 *  opened); a record whose own checksum fails is refused (HS_ERR_CHECKSUM)
 *  and the others are opened. Ids accepted are added to @p seen (which may
 *  be NULL); an id twice in one batch is a replay the second time. *out
 *  belongs to the caller (hs_encounter_batch_free()); the refusals are in
 *  it, not errors of the call. Save @p seen after the opened content is
 *  stored. flags: 0. Errors: the framing errors, HS_ERR_NOT_BUILT,
 *  HS_ERR_NOMEM; *out NULL and @p seen unchanged on failure. One thread per
 *  object. @since 1.1 */
HS_API hs_status hs_encounter_batch_open(hs_ctx *ctx, hs_encounter_batch **out, const void *data,
                                         size_t size, const uint8_t authority_box_secret[32],
                                         const hs_encounter_registry *registry,
                                         hs_encounter_seen *seen, uint32_t flags);

/** Free an opened batch (NULL accepted); its content is wiped. Exclusive.
 *  @since 1.1 */
HS_API void hs_encounter_batch_free(hs_encounter_batch *b);

/** Number of records (0 for NULL). Concurrent readers. @since 1.1 */
HS_API uint32_t hs_encounter_batch_count(const hs_encounter_batch *b);

/** Outcome of record @p index: HS_OK (opened) or the refusal's status;
 *  HS_ERR_NOT_FOUND past the end. *reason (if not NULL) receives the
 *  refusal's message (no biometric data; "" when opened), borrowed until
 *  @p b is freed. Concurrent readers. @since 1.1 */
HS_API hs_status hs_encounter_batch_status(const hs_encounter_batch *b, const char **reason,
                                           uint32_t index);

/** Receipt of record @p index into *receipt (as far as its struct_size)
 *  when its header could be read, also for most refusals (its device key
 *  says which device to tell). Errors: HS_ERR_INVALID_ARG,
 *  HS_ERR_NOT_FOUND (past the end, or a header that could not be read).
 *  Concurrent readers. @since 1.1 */
HS_API hs_status hs_encounter_batch_receipt(const hs_encounter_batch *b,
                                            hs_encounter_receipt *receipt, uint32_t index);

/** Opened content of record @p index, borrowed until @p b is freed; NULL
 *  when refused or past the end. Concurrent readers. @since 1.1 */
HS_API const hs_encounter *hs_encounter_batch_encounter(const hs_encounter_batch *b,
                                                        uint32_t index);

/** Transaction of record @p index, borrowed until @p b is freed; NULL when
 *  refused or past the end. Concurrent readers. @since 1.1 */
HS_API const hs_nist *hs_encounter_batch_transaction(const hs_encounter_batch *b,
                                                     uint32_t index);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_ENCOUNTER_H */
