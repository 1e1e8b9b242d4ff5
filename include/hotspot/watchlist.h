/*
 * libhotspot - watchlist.h: 1:N search of fingers and faces against a list of
 * subjects, persistent files, and signed + encrypted packages for devices.
 *
 * A watchlist holds subjects. A subject has a caller-chosen id (UTF-8, 1 to
 * HS_WATCHLIST_ID_MAX bytes), up to HS_WATCHLIST_FIELDS_MAX key/value text
 * fields (category, reference, country, expiry, ...), up to ten fingers (one
 * per known ISO finger position, or several of unknown position 0) and up to
 * HS_WATCHLIST_FACES_MAX face embeddings. Subjects are built with
 * hs_watchlist_subject_* and copied into the list by hs_watchlist_add().
 *
 * Storage: each finger keeps at most HS_WATCHLIST_MINUTIAE_MAX minutiae
 * (8 bytes each; the best-quality ones when there are more) plus a filter
 * signature of at most 256 pair codes (2 bytes each, and 2 pose bytes: the
 * direction of the pair and its first minutia) and a 16-byte header: at
 * most 2,048 bytes per finger (about 1,400 bytes for a typical 50-minutia
 * finger). Coordinates are kept to 1/2 pixel and angles to 2*pi/65536.
 * Since 1.1 a finger also keeps its template's ridge orientation field
 * (our extractor's templates; 120-620 bytes on FVC images, at most 4,108),
 * so that the full matcher's orientation anchor works in searches as in
 * 1:1 comparisons; lists holding one are written in format version 3,
 * which 1.0 refuses (docs/watchlist-format.md).
 *
 * Search (hs_watchlist_search): the first stage scores every gallery finger
 * with its signature: each stored pair code found among the probe's votes
 * for the rotation between the two prints, and the score is the largest
 * vote (rotation- and translation-invariant codes, rotation-consistent
 * hits). A second stage re-scores the best of them (at least 16x as many as
 * go on to the matcher, and a twentieth of the list): it finds the pose
 * (rotation, then translation by voting) and counts the stored minutiae that
 * land on probe minutiae under it; the best of those are re-scored by the
 * full matcher (match.h), whose prepared form is built on the fly for those
 * candidates only. HS_WATCHLIST_EXHAUSTIVE skips the filter and re-scores
 * every subject (the accuracy reference). docs/watchlist-search.md gives the
 * details and figures.
 *
 * Fusion: every piece of evidence (each probe finger's best score against
 * the compatible fingers of a subject, and the best face similarity) is
 * turned into an impostor p-value using the calibrated thresholds (p = the
 * false match rate at which that score would just be accepted, interpolated
 * in log(fmr) between hs_finger_threshold_for_fmr / hs_face_threshold_for_fmr
 * points and extrapolated beyond them), multiplied by the number of comparisons it
 * was the best of (Bonferroni). The k p-values are combined with Fisher's
 * method: X = -2 sum ln p_i follows chi-square with 2k degrees of freedom
 * for an impostor, so P = exp(-X/2) sum_{j<k} (X/2)^j / j!. The fused score
 * is -log10(P); a candidate is a hit when P <= the requested false match
 * rate, i.e. when score >= -log10(fmr). The rate is per subject compared:
 * a search of N subjects expects about N*fmr false hits.
 *
 * Files (hs_watchlist_save/load) and packages (hs_watchlist_pack/unpack)
 * are documented byte by byte in docs/watchlist-format.md; the threat model
 * of packages is in docs/security.md.
 *
 * Thread-safety (the phrases of docs/conventions.md, section 8): a
 * watchlist protects itself with a readers-writer lock that prefers writers,
 * so every call on an hs_watchlist is "Locked" except hs_watchlist_free().
 * Calls that read the list (search, get, subject_at, id_at, the counts,
 * encode, save, digest, pack, unpack's installed list) take it as readers
 * and run at the same time as one another, searches included.
 * hs_watchlist_add, replace, remove, set_version and cache_prepared take it
 * as writers: each waits for the running readers to finish, and readers
 * that start after a writer is waiting wait for that writer, so a stream of
 * searches cannot starve an update. No call through the public API can see
 * a half-changed list or use memory another call freed. The one limit: the
 * pointer hs_watchlist_id_at() returns points into the list and stays valid
 * only until the list is next changed, so with concurrent writers use
 * hs_watchlist_subject_at() (a copy). hs_watchlist_free() does not lock: no
 * other call may be running on the list or start after it. Creating a list
 * (new, decode, load) is "One thread per object", the object being the ctx;
 * the key generators are "Thread-safe". Subjects (hs_watchlist_subject) and
 * search results (hs_watchlist_result) are not locked: reading one is
 * "Concurrent readers", changing or freeing one "Exclusive". A ctx records
 * the last error, so threads calling at the same time pass distinct
 * contexts; docs/integrators.md has an example.
 */
#ifndef HOTSPOT_WATCHLIST_H
#define HOTSPOT_WATCHLIST_H

#include "hotspot/common.h"
#include "hotspot/template.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup watchlist Watchlists
 *  @{ */

#define HS_WATCHLIST_ID_MAX        128 /**< bytes of a subject id (UTF-8) */
#define HS_WATCHLIST_KEY_MAX        32 /**< bytes of a field key */
#define HS_WATCHLIST_VALUE_MAX     256 /**< bytes of a field value */
#define HS_WATCHLIST_FIELDS_MAX     16 /**< fields per subject */
#define HS_WATCHLIST_FINGERS_MAX    10 /**< fingers per subject and per probe */
#define HS_WATCHLIST_MINUTIAE_MAX  128 /**< minutiae kept per stored finger */
#define HS_WATCHLIST_FACES_MAX       4 /**< face embeddings per subject */
#define HS_WATCHLIST_FACE_DIM_MAX 1024 /**< values of one face embedding */

/** Conventional field keys (any key of [a-z0-9_.-] is accepted). */
#define HS_WATCHLIST_FIELD_CATEGORY  "category"  /**< e.g. a notice type */
#define HS_WATCHLIST_FIELD_REFERENCE "reference" /**< case or notice reference */
#define HS_WATCHLIST_FIELD_COUNTRY   "country"   /**< issuing country, ISO 3166 alpha-3 */
#define HS_WATCHLIST_FIELD_EXPIRY    "expiry"    /**< expiry date, YYYY-MM-DD */

/* ---- Subjects ---------------------------------------------------------- */

/** A subject being built or read back (a copy, never a view into a list). */
typedef struct hs_watchlist_subject hs_watchlist_subject;

/** Create an empty subject with id @p id (NUL-terminated UTF-8, 1 to
 *  HS_WATCHLIST_ID_MAX bytes, no control characters), to be filled with the
 *  hs_watchlist_subject_* setters. *out belongs to the caller
 *  (hs_watchlist_subject_free()); it keeps the ctx's allocator and may outlive
 *  ctx. On failure *out is NULL. Errors: HS_ERR_INVALID_ARG (NULL, bad UTF-8,
 *  bad length), HS_ERR_NOMEM; no others. One thread per object. @since 1.0 */
HS_API hs_status hs_watchlist_subject_new(hs_ctx *ctx, hs_watchlist_subject **out,
                                          const char *id);

/** Free a subject; NULL is accepted. Its id, fields, fingers and face
 *  embeddings are wiped first (they are biometric data). Exclusive.
 *  @since 1.0 */
HS_API void hs_watchlist_subject_free(hs_watchlist_subject *s);

/** The subject's id, borrowed from the subject: valid until it is freed; do
 *  not free it. NULL for NULL; no other failure. Concurrent readers.
 *  @since 1.0 */
HS_API const char *hs_watchlist_subject_id(const hs_watchlist_subject *s);

/** Set field @p key to @p value (UTF-8, at most HS_WATCHLIST_VALUE_MAX
 *  bytes, no control characters; copied); @p value NULL removes the field
 *  (later fields move down one index). Keys are 1 to HS_WATCHLIST_KEY_MAX
 *  bytes of [a-z0-9_.-]. Pointers from hs_watchlist_subject_field() and
 *  hs_watchlist_subject_field_at() may then point to other text. No output.
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_LIMIT (more than
 *  HS_WATCHLIST_FIELDS_MAX fields), HS_ERR_NOT_FOUND (removing an absent
 *  field); the subject is unchanged on failure. Exclusive. @since 1.0 */
HS_API hs_status hs_watchlist_subject_set_field(hs_ctx *ctx, hs_watchlist_subject *s,
                                                const char *key, const char *value);

/** Value of field @p key, borrowed from the subject (valid until it is
 *  changed or freed; do not free it), or NULL when absent or for a NULL
 *  argument; no other failure. Concurrent readers. @since 1.0 */
HS_API const char *hs_watchlist_subject_field(const hs_watchlist_subject *s, const char *key);

/** Number of fields (0 for NULL). Cannot fail. Concurrent readers.
 *  @since 1.0 */
HS_API uint32_t hs_watchlist_subject_field_count(const hs_watchlist_subject *s);

/** Field @p index (0..count-1): *key and *value are borrowed from the
 *  subject, valid until it is changed or freed. No ctx, so no message.
 *  Errors: HS_ERR_INVALID_ARG (NULL), HS_ERR_NOT_FOUND (index out of range);
 *  the outputs are untouched on failure. Concurrent readers. @since 1.0 */
HS_API hs_status hs_watchlist_subject_field_at(const hs_watchlist_subject *s, const char **key,
                                               const char **value, uint32_t index);

/** Add a copy of view @p view of template @p t as a finger (the subject
 *  does not refer to @p t); its position is the view's finger_position.
 *  Known positions (1-10) may appear once per subject; position 0 (unknown)
 *  may repeat. More than HS_WATCHLIST_MINUTIAE_MAX minutiae: the best-quality
 *  ones are kept. Coordinates are quantised as stored (see the top). No
 *  output. Errors: HS_ERR_INVALID_ARG (also position beyond 10, image side
 *  beyond 32768 or resolution outside 1..10000 ppi), HS_ERR_NOT_FOUND (no such
 *  view), HS_ERR_EXISTS (position already present), HS_ERR_LIMIT
 *  (HS_WATCHLIST_FINGERS_MAX fingers already), HS_ERR_NOMEM, HS_ERR_CORRUPT
 *  (since 1.1: the view's orientation field is one hs_finger_prepare()
 *  refuses); the subject is unchanged on failure. Since 1.1 the view's
 *  orientation field is stored with the finger, unless the view's two
 *  resolutions differ (the matcher would not use it) or the field has more
 *  than 4,096 cells (more than a finger: the finger is then stored without
 *  it). Exclusive. @since 1.0 */
HS_API hs_status hs_watchlist_subject_add_finger(hs_ctx *ctx, hs_watchlist_subject *s,
                                                 const hs_template *t, uint32_t view);

/** Number of fingers (0 for NULL). Cannot fail. Concurrent readers.
 *  @since 1.0 */
HS_API uint32_t hs_watchlist_subject_finger_count(const hs_watchlist_subject *s);

/** Finger @p index as a new one-view template (the stored, quantised
 *  minutiae; since 1.1 with the stored orientation field). *out belongs to the caller (hs_template_free()), is allocated
 *  with the ctx's allocator and does not refer to the subject; on failure it
 *  is NULL. Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND (no such finger),
 *  HS_ERR_LIMIT (the view beyond the ctx's template limits), HS_ERR_NOMEM.
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_watchlist_subject_finger(hs_ctx *ctx, hs_template **out,
                                             const hs_watchlist_subject *s, uint32_t index);

/** Add a face embedding of @p dim values (1..HS_WATCHLIST_FACE_DIM_MAX,
 *  finite, not all zero) made by model @p model_id (HS_FACE_MODEL_* of
 *  face.h; 0 = custom; at most 65535). It is copied and stored L2-normalised
 *  in face.h's compact int8 form (dim + 4 bytes). No output. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_LIMIT (more than HS_WATCHLIST_FACES_MAX),
 *  HS_ERR_NOMEM; the subject is unchanged on failure. Exclusive. @since 1.0 */
HS_API hs_status hs_watchlist_subject_add_face(hs_ctx *ctx, hs_watchlist_subject *s,
                                               const float *embedding, uint32_t dim,
                                               uint32_t model_id);

/** Number of face embeddings (0 for NULL). Cannot fail. Concurrent
 *  readers. @since 1.0 */
HS_API uint32_t hs_watchlist_subject_face_count(const hs_watchlist_subject *s);

/** Face embedding @p index (unit length, as stored: after int8
 *  quantisation), borrowed from the subject: valid until it is freed; do not
 *  free it. *dim (may be NULL) receives its length and *model_id (may be
 *  NULL) its model. NULL (and *dim 0) when absent; no other failure.
 *  Concurrent readers. @since 1.0 */
HS_API const float *hs_watchlist_subject_face(const hs_watchlist_subject *s, uint32_t *dim,
                                              uint32_t *model_id, uint32_t index);

/* ---- The list ---------------------------------------------------------- */

/** Opaque watchlist. */
typedef struct hs_watchlist hs_watchlist;

/** Create an empty watchlist (version 0) with its lock. *out belongs to the
 *  caller (hs_watchlist_free()); it keeps the ctx's allocator and may outlive
 *  ctx. On failure *out is NULL. Errors: HS_ERR_INVALID_ARG, HS_ERR_NOMEM
 *  (also when the lock cannot be created); no others. One thread per object.
 *  @since 1.0 */
HS_API hs_status hs_watchlist_new(hs_ctx *ctx, hs_watchlist **out);

/** Free a watchlist; NULL is accepted. Every subject record, the file
 *  buffer it was loaded from and the prepared cache are wiped first (they are
 *  biometric data). This is the one call that does not take the list's lock:
 *  no other call may be running on the list or start after it. Exclusive.
 *  @since 1.0 */
HS_API void hs_watchlist_free(hs_watchlist *wl);

/** Number of subjects (0 for NULL). Cannot fail. Locked. @since 1.0 */
HS_API uint64_t hs_watchlist_count(const hs_watchlist *wl);

/** Number of stored fingers over all subjects (0 for NULL). Cannot fail.
 *  Locked. @since 1.0 */
HS_API uint64_t hs_watchlist_finger_count(const hs_watchlist *wl);

/** Bytes of memory used by the list: the subjects' records, the list's
 *  tables and the prepared cache (hs_watchlist_cache_prepared()); 0 for NULL.
 *  Cannot fail. Locked. @since 1.0 */
HS_API uint64_t hs_watchlist_memory_bytes(const hs_watchlist *wl);

/** The list's version, a number chosen by the issuing authority that
 *  packages carry for rollback protection (0 for a new list or NULL). Cannot
 *  fail. Locked. @since 1.0 */
HS_API uint64_t hs_watchlist_version(const hs_watchlist *wl);

/** Format version the list would be written in now by hs_watchlist_save() /
 *  hs_watchlist_encode() (docs/watchlist-format.md): 3 when a stored finger
 *  keeps an orientation field (libhotspot 1.0 refuses such files and
 *  packages with HS_ERR_VERSION), else 2, or 1 for a list loaded from a
 *  version 1 file that has no finger with pose bytes; 0 for NULL. A full
 *  package of the list has the same version (at least 2). Cannot fail.
 *  Locked. @since 1.1 */
HS_API uint32_t hs_watchlist_format_version(const hs_watchlist *wl);

/** Set the version (it changes the digest, not the subjects or the
 *  prepared cache). No output; no ctx, so no message. Errors:
 *  HS_ERR_INVALID_ARG (@p wl NULL) only. Locked. @since 1.0 */
HS_API hs_status hs_watchlist_set_version(hs_watchlist *wl, uint64_t version);

/** Add a copy of subject @p s (the list does not refer to @p s). Drops the
 *  prepared cache, also when it fails after checking the id. No output.
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_EXISTS (the id is present), HS_ERR_LIMIT
 *  (2^31 - 1 subjects), HS_ERR_NOMEM; the subjects are unchanged on failure.
 *  Locked. @since 1.0 */
HS_API hs_status hs_watchlist_add(hs_ctx *ctx, hs_watchlist *wl, const hs_watchlist_subject *s);

/** Replace the subject with the id of @p s by a copy of @p s; its index in
 *  iteration order stays. Drops the prepared cache, also when it fails after
 *  finding the id. No output. Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND
 *  (no subject with that id), HS_ERR_NOMEM; the subjects are unchanged on
 *  failure. Locked. @since 1.0 */
HS_API hs_status hs_watchlist_replace(hs_ctx *ctx, hs_watchlist *wl,
                                      const hs_watchlist_subject *s);

/** Remove subject @p id, wiping its record (the last subject takes its
 *  place in iteration order). Drops the prepared cache. No output. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND (the message names the id); the list
 *  is unchanged on failure. Locked. @since 1.0 */
HS_API hs_status hs_watchlist_remove(hs_ctx *ctx, hs_watchlist *wl, const char *id);

/** Copy of subject @p id into a new subject. *out belongs to the caller
 *  (hs_watchlist_subject_free()), is allocated with the ctx's allocator and
 *  does not refer to the list; on failure it is NULL. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND (the message names the id),
 *  HS_ERR_NOMEM. Locked. @since 1.0 */
HS_API hs_status hs_watchlist_get(hs_ctx *ctx, hs_watchlist_subject **out, const hs_watchlist *wl,
                                  const char *id);

/** Copy of the subject at @p index (0..count-1), for iteration; the order
 *  is unspecified and changes when subjects are removed. *out belongs to the
 *  caller (hs_watchlist_subject_free()) and does not refer to the list, so it
 *  stays valid whatever other threads do to the list; on failure it is NULL.
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND (index out of range),
 *  HS_ERR_NOMEM. Locked. @since 1.0 */
HS_API hs_status hs_watchlist_subject_at(hs_ctx *ctx, hs_watchlist_subject **out,
                                         const hs_watchlist *wl, uint64_t index);

/** Id of the subject at @p index, borrowed from the list: valid only until
 *  the list is next changed (add, replace, remove) or freed; do not free it.
 *  The lock covers the call, not the pointer it returns: with concurrent
 *  writers use hs_watchlist_subject_at() (a copy) instead. NULL when out of
 *  range or for NULL; no other failure. Locked. @since 1.0 */
HS_API const char *hs_watchlist_id_at(const hs_watchlist *wl, uint64_t index);

/* ---- Files ------------------------------------------------------------- */

/** Serialise the list (format in docs/watchlist-format.md) into the
 *  caller's @p buf. Two-call size query: with @p buf NULL, *size receives the
 *  size needed and HS_OK is returned; when *size is too small,
 *  HS_ERR_BUFFER_TOO_SMALL is returned with *size set to the size needed. On
 *  success *size is the number of bytes written. Does not allocate. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_BUFFER_TOO_SMALL, HS_ERR_LIMIT (the encoding
 *  would not fit in a size_t). Locked. @since 1.0 */
HS_API hs_status hs_watchlist_encode(hs_ctx *ctx, void *buf, size_t *size,
                                     const hs_watchlist *wl);

/** Parse a serialised list; the input is treated as hostile and validated
 *  completely (header and payload CRC-32C, every length, count and value)
 *  before anything is returned. On success *out is a new list (version as
 *  stored, no prepared cache) owned by the caller (hs_watchlist_free()),
 *  independent of @p data; on failure *out is NULL and nothing stays
 *  allocated. Errors: HS_ERR_INVALID_ARG, HS_ERR_FORMAT (magic),
 *  HS_ERR_VERSION (newer format or filter code scheme), HS_ERR_TRUNCATED,
 *  HS_ERR_CHECKSUM, HS_ERR_CORRUPT, HS_ERR_NOMEM. One thread per object.
 *  @since 1.0 */
HS_API hs_status hs_watchlist_decode(hs_ctx *ctx, hs_watchlist **out, const void *data,
                                     size_t size);

/** Encode the list and write it to @p path atomically, through the same
 *  routine as hs_file_save() with HS_FILE_PRIVATE (a new temporary file with a
 *  random name beside @p path, mode 0600, flushed, renamed over @p path, then
 *  the directory flushed): a failed save leaves any existing file unchanged
 *  (unless only the final directory flush failed: the new file is then in
 *  place). No output. Errors: HS_ERR_INVALID_ARG, HS_ERR_IO, HS_ERR_NOMEM.
 *  The list is read-locked while the file is written, so writers wait for
 *  the save. Two saves to one path at once are safe (distinct temporaries);
 *  the last rename wins. Locked. @since 1.0 */
HS_API hs_status hs_watchlist_save(hs_ctx *ctx, const char *path, const hs_watchlist *wl);

/** Load a file saved by hs_watchlist_save() with one read (hs_file_read()
 *  rules: a regular file only). Outputs as hs_watchlist_decode(); on failure
 *  the file's bytes are wiped and the ctx message starts with @p path. Errors:
 *  those of hs_watchlist_decode(), HS_ERR_IO, HS_ERR_LIMIT (file larger than
 *  HS_LIMIT_MAX_FILE_BYTES). One thread per object. @since 1.0 */
HS_API hs_status hs_watchlist_load(hs_ctx *ctx, hs_watchlist **out, const char *path);

/* ---- Encrypted storage on the device (libsodium) ----------------------- */

#define HS_WATCHLIST_STORAGE_KEY_BYTES 32 /**< XChaCha20-Poly1305 key (the device's storage key) */

/** Save the list encrypted under the device's @p storage_key (32 bytes, from
 *  hs_device_keygen() or the platform keystore), so that the installed list
 *  is never on the device's storage in the clear. The file is a 48-byte
 *  header (magic "HSWLENC1", format version, flags, a fresh random 24-byte
 *  nonce, the plaintext size) followed by the list's file encoding
 *  (hs_watchlist_encode()) encrypted with XChaCha20-Poly1305, the header
 *  being the associated data (docs/security.md). Written through the atomic
 *  save with mode 0600 (as hs_watchlist_save()); the plaintext is encrypted
 *  in place and never written; the buffer is wiped. @p flags must be 0. No
 *  output. Errors: HS_ERR_INVALID_ARG (NULL, unknown flag), HS_ERR_LIMIT,
 *  HS_ERR_IO, HS_ERR_NOMEM, HS_ERR_NOT_BUILT (no libsodium),
 *  HS_ERR_INTERNAL. The list is read-locked while it is encoded. Locked.
 *  @since 1.1 */
HS_API hs_status hs_watchlist_save_encrypted(hs_ctx *ctx, const char *path,
                                             const hs_watchlist *wl,
                                             const uint8_t storage_key[32], uint32_t flags);

/** Load a file written by hs_watchlist_save_encrypted() with @p storage_key.
 *  The header is checked (HS_ERR_FORMAT, HS_ERR_VERSION, HS_ERR_TRUNCATED,
 *  HS_ERR_CORRUPT: sizes that disagree), then the whole file is
 *  authenticated before anything is decoded: a wrong key or any altered
 *  byte, header included, is HS_ERR_DECRYPT and nothing is returned (log it
 *  as HS_AUDIT_UNLOCK_FAILED). The decrypted bytes are wiped after decoding.
 *  Outputs and the remaining errors as hs_watchlist_load(). One thread per
 *  object. @since 1.1 */
HS_API hs_status hs_watchlist_load_encrypted(hs_ctx *ctx, hs_watchlist **out, const char *path,
                                             const uint8_t storage_key[32]);

/** In-memory form of hs_watchlist_load_encrypted(): decrypt and decode the
 *  bytes of an encrypted list file (@p data is only read; the plaintext
 *  copy is wiped). Errors as hs_watchlist_load_encrypted() without
 *  HS_ERR_IO. One thread per object. @since 1.1 */
HS_API hs_status hs_watchlist_decode_encrypted(hs_ctx *ctx, hs_watchlist **out,
                                               const void *data, size_t size,
                                               const uint8_t storage_key[32]);

/* ---- Search ------------------------------------------------------------ */

/** Prepare every stored finger for the matcher now and keep the prepared
 *  forms in memory (about 48 bytes per minutia plus 100 bytes per finger:
 *  typically 1.3-2.5 KiB more per finger), so that searches, exhaustive ones
 *  above all, skip re-preparing candidates (preparing costs about 3 times a
 *  comparison). Uses @p threads threads (1..64). Any later add, replace or
 *  remove drops the cache. The cache is allocated with the list's allocator
 *  and belongs to the list (hs_watchlist_free() wipes it). It takes the lock
 *  as a writer for the whole preparation: searches that start meanwhile wait.
 *  No output. Errors: HS_ERR_INVALID_ARG, HS_ERR_NOMEM, HS_ERR_THREAD (a
 *  worker thread could not be started); on failure the list has no cache.
 *  Locked. @since 1.0 */
HS_API hs_status hs_watchlist_cache_prepared(hs_ctx *ctx, hs_watchlist *wl, uint32_t threads);

/** hs_watchlist_search_options.flags */
#define HS_WATCHLIST_EXHAUSTIVE 1u /**< no filter: full matcher on every subject */
#define HS_WATCHLIST_HITS_ONLY  2u /**< return only candidates that are hits */

/** Search options. Grows at the end; set struct_size (use the _INIT macro).
 *  @since 1.0 */
typedef struct hs_watchlist_search_options {
    uint32_t struct_size; /**< sizeof(hs_watchlist_search_options) */
    uint32_t max_candidates; /**< K of the top-K list (1..1000, default 10) */
    uint32_t threads;     /**< worker threads (1..64, default 1) */
    uint32_t flags;       /**< HS_WATCHLIST_* flags */
    uint32_t rescore;     /**< subjects the filter passes to the full matcher
                               (its second stage scores max(16 times as
                               many, N/10)); 0 = automatic: 200 + 4.5 sqrt(N),
                               4 times that with the prepared cache (the
                               second stage stays at the uncached share) */
    uint32_t face_model;  /**< model of the probe face (HS_FACE_MODEL_*, 0 =
                               custom); a known model is only compared with
                               gallery faces of the same or custom model,
                               and selects the face calibration */
    double fmr;           /**< decision false match rate per subject,
                               1e-12..0.5 (default 1e-4) */
    uint32_t thorough;    /**< the best N candidates of the full matcher's
                               stage (by fused score, the result's order)
                               re-scored with HS_MATCH_THOROUGH before
                               fusion and ranking: 0 = off (default),
                               1..1000 (above: HS_ERR_INVALID_ARG); min(N,
                               hs_watchlist_result_rescored()) subjects are
                               re-scored, the same for any thread count.
                               About 1.6 times a comparison (4 times for
                               fingers with orientation fields) for each
                               stored finger compared; their finger
                               similarities are never lower, and their fused
                               p-values optimistic by about 1.3 times per
                               finger (1.9 times with fields; the
                               thorough mode's impostor scores are higher
                               too; docs/watchlist-search.md). Ignored
                               without probe fingers. @since 1.1 */
    uint32_t reserved;    /**< zero (the padding made explicit; a non-zero
                               value is HS_ERR_UNSUPPORTED). @since 1.1 */
} hs_watchlist_search_options;

#define HS_WATCHLIST_SEARCH_OPTIONS_INIT \
    { sizeof(hs_watchlist_search_options), 10, 1, 0, 0, 0, 1e-4, 0, 0 }

/** One candidate of a search result. Grows at the end; set struct_size.
 *  @since 1.0 */
typedef struct hs_watchlist_candidate {
    uint32_t struct_size;   /**< sizeof(hs_watchlist_candidate), set by the caller */
    uint32_t hit;           /**< 1 when the fused p-value <= fmr */
    const char *id;         /**< subject id, owned by the result */
    double score;           /**< fused score, -log10 of the combined p-value */
    double finger_score;    /**< fingers only, same scale (0 without fingers) */
    double face_score;      /**< face only, same scale (0 without a face) */
    double face_similarity; /**< best cosine similarity, -2 when not compared */
    uint32_t finger_count;  /**< number of probe fingers (entries below) */
    uint32_t reserved;      /**< zero */
    /** Matcher score (0..1) of probe finger i against its best finger of the
     *  subject, 0 when the subject has no compatible finger. */
    float finger_similarity[HS_WATCHLIST_FINGERS_MAX];
    /** Position (1-10, 0 unknown) of that best gallery finger; 255 when none. */
    uint32_t finger_position[HS_WATCHLIST_FINGERS_MAX];
} hs_watchlist_candidate;

/** Initialiser: sets struct_size, zeroes the rest. @since 1.0 */
#define HS_WATCHLIST_CANDIDATE_INIT { sizeof(hs_watchlist_candidate), 0, NULL, 0, 0, 0, 0, 0, 0, \
                                      {0}, {0} }

/** Opaque search result. */
typedef struct hs_watchlist_result hs_watchlist_result;

/** Search the list. The probe is every view of @p fingers (may be NULL; at
 *  most HS_WATCHLIST_FINGERS_MAX views; a view of known position is compared
 *  with the subject's finger of that position and its fingers of unknown
 *  position; a view of unknown position with all its fingers) and/or the
 *  face embedding @p face of @p face_dim values (may be NULL; compared by
 *  cosine similarity with embeddings of the same dimension; opts->face_model
 *  names its model). @p opts may be NULL for the defaults. The result lists
 *  up to max_candidates subjects by decreasing fused score (an empty list
 *  gives an empty result). *out belongs to the caller
 *  (hs_watchlist_result_free()); it copies the subject ids, does not refer to
 *  the list and may outlive it. Memory comes from @p ctx's allocator, also in
 *  the worker threads, and the result keeps a copy of it. The list is
 *  read-locked for the whole search: other searches run at the same time,
 *  writers wait. Errors: HS_ERR_INVALID_ARG (no probe, bad options),
 *  HS_ERR_UNSUPPORTED (options from a newer header with a field this library
 *  does not know set), HS_ERR_LIMIT (more than HS_WATCHLIST_FINGERS_MAX
 *  views), HS_ERR_NOMEM, HS_ERR_THREAD (a worker thread could not be
 *  started); on failure *out is NULL. Locked. @since 1.0 */
HS_API hs_status hs_watchlist_search(hs_ctx *ctx, hs_watchlist_result **out,
                                     const hs_watchlist *wl, const hs_template *fingers,
                                     const float *face, uint32_t face_dim,
                                     const hs_watchlist_search_options *opts);

/** Number of candidates (0 for NULL). Cannot fail. Concurrent readers.
 *  @since 1.0 */
HS_API uint32_t hs_watchlist_result_count(const hs_watchlist_result *r);

/** Candidate @p index (0 = best) into the caller's *c: set c->struct_size
 *  first; it is filled as far as that size, which becomes the bytes filled.
 *  c->id is borrowed from the result: valid until it is freed. No ctx, so no
 *  message. Errors: HS_ERR_INVALID_ARG (NULL, or struct_size below the 1.0
 *  size or not a multiple of 4), HS_ERR_NOT_FOUND (index out of range).
 *  Concurrent readers. @since 1.0 */
HS_API hs_status hs_watchlist_result_candidate(const hs_watchlist_result *r,
                                               hs_watchlist_candidate *c, uint32_t index);

/** Subjects scored by the full matcher in this search (filter statistics);
 *  0 for NULL. Cannot fail. Concurrent readers. @since 1.0 */
HS_API uint64_t hs_watchlist_result_rescored(const hs_watchlist_result *r);

/** Free a result; NULL is accepted. Its candidates (ids and scores) are
 *  wiped first. Exclusive. @since 1.0 */
HS_API void hs_watchlist_result_free(hs_watchlist_result *r);

/* ---- Packages for devices (libsodium) ---------------------------------- */

#define HS_WATCHLIST_SIGN_PUBLIC_BYTES  32 /**< Ed25519 public key */
#define HS_WATCHLIST_SIGN_SECRET_BYTES  64 /**< Ed25519 secret key */
#define HS_WATCHLIST_BOX_PUBLIC_BYTES   32 /**< X25519 device public key */
#define HS_WATCHLIST_BOX_SECRET_BYTES   32 /**< X25519 device secret key */

/** Generate the authority's Ed25519 signing key pair into the caller's
 *  arrays (keep the secret key secret; wipe it when done). No ctx, so no
 *  message. Errors: HS_ERR_INVALID_ARG, HS_ERR_NOT_BUILT (no libsodium),
 *  HS_ERR_INTERNAL (libsodium failed to initialise). Thread-safe.
 *  @since 1.0 */
HS_API hs_status hs_watchlist_keygen_authority(uint8_t public_key[32], uint8_t secret_key[64]);

/** Generate a device's X25519 key pair into the caller's arrays (packages
 *  are encrypted to device public keys). No ctx, so no message. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_NOT_BUILT (no libsodium), HS_ERR_INTERNAL
 *  (libsodium failed to initialise). Thread-safe. @since 1.0 */
HS_API hs_status hs_watchlist_keygen_device(uint8_t public_key[32], uint8_t secret_key[32]);

/** Build a package: the list (full package when @p base is NULL) or the
 *  changes from @p base to @p wl (delta: removed ids, added or changed
 *  subjects, and the digest of @p base (hs_watchlist_digest), so that it
 *  applies to that exact list only; base must have a lower version),
 *  encrypted with a fresh key (XChaCha20-Poly1305) that is sealed to each of
 *  the @p nrecipients device public keys (1..1024, 32 bytes each,
 *  concatenated), and signed with the authority's @p sign_secret. The package
 *  carries wl's version. Size query as in hs_watchlist_encode() (the size
 *  does not depend on the random parts); the plaintext and content key are
 *  wiped. Both lists are read-locked (in one fixed order, so two packs with
 *  the lists swapped cannot deadlock). Errors: HS_ERR_INVALID_ARG (also an
 *  unusable recipient key), HS_ERR_STATE (base version not lower),
 *  HS_ERR_BUFFER_TOO_SMALL, HS_ERR_NOMEM, HS_ERR_NOT_BUILT (no libsodium),
 *  HS_ERR_INTERNAL (libsodium failed to initialise). Locked. @since 1.0 */
HS_API hs_status hs_watchlist_pack(hs_ctx *ctx, void *buf, size_t *size,
                                   const hs_watchlist *wl, const hs_watchlist *base,
                                   const uint8_t sign_secret[64], const uint8_t *recipients,
                                   uint32_t nrecipients);

/** BLAKE2b-256 digest of the list's content (its version and every subject
 *  record, in id order: iteration order does not count) into the caller's
 *  @p digest. A delta package carries the digest of the list it was made
 *  from and applies only to a list with that digest, so an authority and its
 *  devices can compare this value to know they hold the same list. Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_NOMEM, HS_ERR_NOT_BUILT (no libsodium),
 *  HS_ERR_INTERNAL (libsodium failed to initialise). Locked. @since 1.0 */
HS_API hs_status hs_watchlist_digest(hs_ctx *ctx, uint8_t digest[32], const hs_watchlist *wl);

/** Package header, read without keys (hs_watchlist_package_info).
 *  @since 1.0 */
typedef struct hs_watchlist_package_info {
    uint32_t struct_size;   /**< sizeof(hs_watchlist_package_info) */
    uint32_t delta;         /**< 1 for a delta package */
    uint64_t version;       /**< version of the list it gives */
    uint64_t base_version;  /**< delta: the version it applies to; else 0 */
    uint32_t recipients;    /**< number of device keys it is sealed to */
    uint32_t reserved;
    /** Package format version (1.1): 3 when its content holds an orientation
     *  field (libhotspot 1.0 devices refuse it), else 2 or 1. @since 1.1 */
    uint32_t format;
    uint32_t reserved2;     /**< zero (1.1) */
} hs_watchlist_package_info;

/** Initialiser: sets struct_size, zeroes the rest. @since 1.0 */
#define HS_WATCHLIST_PACKAGE_INFO_INIT { sizeof(hs_watchlist_package_info), 0, 0, 0, 0, 0, 0, 0 }

/** Read the unauthenticated header of a package into the caller's *info
 *  (set info->struct_size first; filled as far as that size, which becomes
 *  the bytes filled). For display only: nothing in it is trusted until
 *  hs_watchlist_unpack() verifies the signature. Works without libsodium.
 *  Errors: HS_ERR_INVALID_ARG, HS_ERR_FORMAT, HS_ERR_VERSION,
 *  HS_ERR_TRUNCATED, HS_ERR_CORRUPT. One thread per object. @since 1.0 */
HS_API hs_status hs_watchlist_package_info_get(hs_ctx *ctx, hs_watchlist_package_info *info,
                                               const void *pkg, size_t size);

/** Verify, decrypt and apply a package on a device. Checks, in order: the
 *  package's layout (HS_ERR_FORMAT, HS_ERR_VERSION, HS_ERR_TRUNCATED,
 *  HS_ERR_CORRUPT); the Ed25519 signature over the whole package against
 *  @p authority_public (HS_ERR_SIGNATURE); the version against
 *  @p installed_version and the version of @p installed (not newer ->
 *  HS_ERR_ROLLBACK); for a delta, that @p installed has the base version
 *  (HS_ERR_STATE); that the package is sealed to this device and decrypts
 *  (HS_ERR_DECRYPT); for a delta, that @p installed has the content the delta
 *  was made from, by its digest (HS_ERR_STATE: another list of the same
 *  version, or one changed on the device); the payload (decode errors;
 *  HS_ERR_VERSION for a 0.1 delta, which names its base by version only). On
 *  success *out is a new list owned by the caller (hs_watchlist_free()),
 *  allocated with the ctx's allocator and independent of @p installed and
 *  @p pkg (a full package's list, or @p installed with the delta applied);
 *  on failure *out is NULL. @p installed is never modified; it is read-locked
 *  during the call. Decrypted plaintext and the content key are wiped.
 *  Errors: as above, HS_ERR_INVALID_ARG, HS_ERR_NOMEM, HS_ERR_NOT_BUILT (no
 *  libsodium), HS_ERR_INTERNAL (libsodium failed to initialise). Locked.
 *  @since 1.0 */
HS_API hs_status hs_watchlist_unpack(hs_ctx *ctx, hs_watchlist **out,
                                     const hs_watchlist *installed, uint64_t installed_version,
                                     const void *pkg, size_t size,
                                     const uint8_t authority_public[32],
                                     const uint8_t device_public[32],
                                     const uint8_t device_secret[32]);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_WATCHLIST_H */
