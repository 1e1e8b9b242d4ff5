/*
 * libhotspot - frontline biometric screening
 *
 * outbox.h: the device's crash-safe store of sealed encounters, kept until
 * the central authority acknowledges them (issue #18).
 *
 * A check made offline is sealed to the authority (encounter.h) and appended
 * here; when a connection returns the app exports the unacknowledged
 * encounters as one batch, the centre opens them and answers with an
 * acknowledgement signed by the authority, and the outbox wipes and
 * compacts away what was acknowledged. Encounters never acknowledged are
 * purged after a retention period. The device cannot read a sealed
 * encounter back: the outbox sees opaque bytes and the readable receipt
 * (id, time, decision, candidate count, the text the app chose to show).
 *
 * On disk (docs/outbox-format.md): one append-only segment file
 * "outbox.seg" in the outbox directory. Each record carries CRC-32C
 * checksums; an append returns only once the record is on disk
 * (write + fdatasync; the directory is flushed when the file is created).
 * A torn last record left by a crash is dropped when the outbox is next
 * opened for writing; a damaged earlier record makes the open fail with
 * the offset named, never silently dropped. Exports, acknowledgements and
 * purges are state records appended the same way; acknowledgements and
 * purges then rewrite the segment through the atomic save and overwrite
 * the old one.
 *
 * Thread-safety: an outbox handle is "One thread per object". Between
 * processes, a handle opened for writing holds the exclusive lock of the
 * segment (hs_file_lock_acquire) until hs_outbox_close(): a second writer
 * waits (or gets HS_ERR_LOCKED with HS_OUTBOX_OPEN_NOWAIT); read-only
 * handles and hs_outbox_verify() take no lock.
 */
#ifndef HOTSPOT_OUTBOX_H
#define HOTSPOT_OUTBOX_H

#include "hotspot/common.h"
#include "hotspot/audit.h"
#include "hotspot/encounter.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup outbox Outbox: crash-safe store of sealed encounters
 *  @{ */

/** Opaque outbox handle. */
typedef struct hs_outbox hs_outbox;

/** States of an encounter in the outbox (hs_outbox_entry.state). Append
 *  only, never renumbered. @since 1.1 */
typedef enum hs_outbox_state {
    HS_OUTBOX_QUEUED = 1,       /**< appended, not yet in an export */
    HS_OUTBOX_EXPORTED = 2,     /**< written to at least one export batch */
    HS_OUTBOX_ACKNOWLEDGED = 3, /**< acknowledged, waiting for its wipe (only
                                     seen when a compaction could not run) */
    HS_OUTBOX_PURGED = 4        /**< purged, waiting for its wipe (idem) */
} hs_outbox_state;

/** hs_outbox_options.flags: open without changing anything (no lock, no
 *  repair of a torn tail, no compaction); append, export, ack and purge
 *  then fail with HS_ERR_STATE. @since 1.1 */
#define HS_OUTBOX_OPEN_READONLY 0x1u
/** hs_outbox_options.flags: fail at once with HS_ERR_LOCKED when another
 *  process holds the outbox, instead of waiting. @since 1.1 */
#define HS_OUTBOX_OPEN_NOWAIT 0x2u

/** Default limits of an outbox. */
#define HS_OUTBOX_DEFAULT_MAX_BYTES (256ull * 1024 * 1024)
#define HS_OUTBOX_DEFAULT_MAX_COUNT 10000u
/** Default retention: 30 days in milliseconds. */
#define HS_OUTBOX_DEFAULT_RETENTION_MS (30ll * 24 * 3600 * 1000)

/** Options of hs_outbox_open(). Grows at the end; set struct_size (use the
 *  _INIT macro). @since 1.1 */
typedef struct hs_outbox_options {
    uint32_t struct_size;  /**< sizeof(hs_outbox_options) */
    uint32_t flags;        /**< HS_OUTBOX_OPEN_* */
    uint64_t max_bytes;    /**< size limit of the segment file, 64 KiB..1 TiB
                                (0 = HS_OUTBOX_DEFAULT_MAX_BYTES) */
    uint32_t max_count;    /**< encounters held at most, 1..10,000,000
                                (0 = HS_OUTBOX_DEFAULT_MAX_COUNT) */
    uint32_t reserved;     /**< zero */
    int64_t retention_ms;  /**< hs_outbox_purge() removes encounters appended
                                longer ago than this, 1 ms..100 years
                                (0 = HS_OUTBOX_DEFAULT_RETENTION_MS) */
    /** Audit log that every append, export, ack and purge is recorded in
     *  (ids, counts and decisions only), or NULL for none. Borrowed: it
     *  must stay open until hs_outbox_close(). */
    hs_audit *audit;
    /** Operator named in the audit entries the outbox writes, or NULL;
     *  copied. */
    const char *operator_id;
    /** The device's Ed25519 public key (from hs_device_keygen). All zero:
     *  taken from an existing outbox (a new one cannot be created without
     *  it). Otherwise it must equal the key the outbox was created with,
     *  and every appended encounter must be signed by it. */
    uint8_t device_public[32];
    /** The authority's Ed25519 signing public key, that acknowledgements
     *  must be signed with; all zero: hs_outbox_ack() refuses every
     *  acknowledgement (HS_ERR_STATE). */
    uint8_t authority_sign_public[32];
} hs_outbox_options;

/** Initialiser: defaults, no audit log, no keys. @since 1.1 */
#define HS_OUTBOX_OPTIONS_INIT \
    { sizeof(hs_outbox_options), 0, 0, 0, 0, 0, NULL, NULL, {0}, {0} }

/** Open the outbox in directory @p dir (which must exist), creating an
 *  empty one when it has none and opts->device_public is set. Unless
 *  HS_OUTBOX_OPEN_READONLY: takes the outbox's lock (held until
 *  hs_outbox_close), drops a torn last record left by a crash (its size in
 *  hs_outbox_info.dropped_bytes) and finishes a compaction that a crash
 *  interrupted. Every record header is checked; the encounter bodies are
 *  checked by hs_outbox_verify() and before each export.
 *  Ownership: *out belongs to the caller (hs_outbox_close()); NULL on
 *  failure. Errors: HS_ERR_NOT_FOUND (no outbox and no device key to
 *  create one), HS_ERR_FORMAT (not an outbox), HS_ERR_VERSION (newer
 *  format), HS_ERR_CHECKSUM or HS_ERR_CORRUPT (a damaged record before the
 *  last one; the message gives its offset), HS_ERR_STATE (the outbox
 *  belongs to another device key), HS_ERR_LOCKED, HS_ERR_IO, HS_ERR_NOMEM,
 *  HS_ERR_UNSUPPORTED (options from a newer header). One thread per object.
 *  @since 1.1 */
HS_API hs_status hs_outbox_open(hs_ctx *ctx, hs_outbox **out, const char *dir,
                                const hs_outbox_options *opts);

/** Close an outbox and release its lock; NULL is accepted. The receipts
 *  held in memory are wiped. Exclusive. @since 1.1 */
HS_API void hs_outbox_close(hs_outbox *ob);

/** Append the sealed encounter @p sealed (from hs_encounter_seal) of
 *  @p size bytes. Its receipt is read and its device signature checked
 *  (hs_encounter_sealed_receipt); it must be signed by the outbox's device.
 *  Returns only when the record is on disk (write + fdatasync), then logs
 *  HS_AUDIT_OUTBOX_APPEND (id, decision, candidate count) when an audit log
 *  was given; an audit failure is returned (the encounter stays appended).
 *  Errors: HS_ERR_FULL (the count or size limit would be passed; the
 *  message gives the fill level: export, acknowledge or purge first),
 *  HS_ERR_EXISTS (an encounter with this id is in the outbox or was
 *  acknowledged or purged), HS_ERR_SIGNATURE, HS_ERR_FORMAT,
 *  HS_ERR_CORRUPT (not a sealed encounter), HS_ERR_STATE (signed by
 *  another device; read-only handle), HS_ERR_IO, HS_ERR_NOMEM; on failure
 *  the outbox is unchanged. One thread per object. @since 1.1 */
HS_API hs_status hs_outbox_append(hs_ctx *ctx, hs_outbox *ob, const void *sealed, size_t size);

/** One encounter of the outbox, its receipt and state: no biometric data.
 *  Grows at the end; set struct_size. @since 1.1 */
typedef struct hs_outbox_entry {
    uint32_t struct_size;     /**< sizeof(hs_outbox_entry), set by the caller */
    uint32_t state;           /**< hs_outbox_state */
    uint8_t id[16];           /**< encounter id (HS_ENCOUNTER_ID_BYTES) */
    int64_t time_ms;          /**< capture time of the encounter (UTC ms) */
    int64_t appended_ms;      /**< when it was appended (device clock, UTC ms) */
    int64_t exported_ms;      /**< last export that included it, 0 if none */
    int32_t decision;         /**< offline decision, as in the receipt */
    uint32_t candidate_count; /**< offline candidates, as in the receipt */
    uint32_t sealed_bytes;    /**< size of the sealed encounter */
    uint32_t reserved;        /**< zero */
    char shown[128];          /**< text the app chose to show (NUL-terminated) */
} hs_outbox_entry;

/** Initialiser: sets struct_size, zeroes the rest. @since 1.1 */
#define HS_OUTBOX_ENTRY_INIT { sizeof(hs_outbox_entry), 0, {0}, 0, 0, 0, 0, 0, 0, 0, {0} }

/** Number of encounters in the outbox (queued and exported, plus any
 *  acknowledged or purged ones still waiting for their wipe); 0 for NULL.
 *  Cannot fail. One thread per object. @since 1.1 */
HS_API uint32_t hs_outbox_count(const hs_outbox *ob);

/** Encounter @p index (0 = oldest append) into the caller's *e: set
 *  e->struct_size first; filled as far as that size, which becomes the
 *  bytes filled. No ctx, so no message. Errors: HS_ERR_INVALID_ARG (NULL,
 *  bad struct_size), HS_ERR_NOT_FOUND (index out of range). One thread per
 *  object. @since 1.1 */
HS_API hs_status hs_outbox_entry_at(const hs_outbox *ob, hs_outbox_entry *e, uint32_t index);

/** The sealed bytes of encounter @p index, with the two-call size query
 *  (buf NULL: *size receives the size). They are read from disk and their
 *  checksum checked. Errors: HS_ERR_NOT_FOUND (index out of range, or an
 *  acknowledged or purged encounter), HS_ERR_BUFFER_TOO_SMALL,
 *  HS_ERR_CHECKSUM (the record is damaged; the message gives its offset),
 *  HS_ERR_IO. One thread per object. @since 1.1 */
HS_API hs_status hs_outbox_sealed(hs_ctx *ctx, void *buf, size_t *size, const hs_outbox *ob,
                                  uint32_t index);

/** Fill level and counters of an outbox. Grows at the end; set
 *  struct_size. @since 1.1 */
typedef struct hs_outbox_info {
    uint32_t struct_size;   /**< sizeof(hs_outbox_info), set by the caller */
    uint32_t count;         /**< encounters held (hs_outbox_count) */
    uint32_t queued;        /**< of which never exported */
    uint32_t exported;      /**< of which exported, not yet acknowledged */
    uint32_t max_count;     /**< count limit */
    uint32_t fill_permille; /**< max of count/max_count and bytes/max_bytes,
                                 in thousandths: warn the officer above,
                                 say, 800 */
    uint64_t bytes;         /**< size of the segment file */
    uint64_t max_bytes;     /**< size limit */
    int64_t oldest_ms;      /**< append time of the oldest encounter, 0 if none */
    uint64_t dropped_bytes; /**< torn tail dropped by this open (0 if none) */
    uint32_t acks_applied;  /**< acknowledgements applied (remembered for replay) */
    uint32_t forgotten;     /**< ids acknowledged or purged (refused on append) */
} hs_outbox_info;

/** Initialiser: sets struct_size, zeroes the rest. @since 1.1 */
#define HS_OUTBOX_INFO_INIT { sizeof(hs_outbox_info), 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 }

/** Fill level of @p ob into *info (set info->struct_size first; filled as
 *  far as that size). No ctx, so no message. Errors: HS_ERR_INVALID_ARG
 *  only. One thread per object. @since 1.1 */
HS_API hs_status hs_outbox_info_get(const hs_outbox *ob, hs_outbox_info *info);

/** hs_outbox_export() flag: only encounters never exported before (by
 *  default every unacknowledged one is exported again, in case an earlier
 *  batch was lost). @since 1.1 */
#define HS_OUTBOX_EXPORT_NEW_ONLY 0x1u

/** Write the unacknowledged encounters as one batch
 *  (hs_encounter_batch_encode) to @p path through the atomic save (mode
 *  0600), then record them as exported (durable) and log
 *  HS_AUDIT_OUTBOX_EXPORT with the count. *exported (may be NULL) receives
 *  the number of encounters written; with none to export, nothing is
 *  written and *exported is 0. Each body's checksum is checked first.
 *  Errors: HS_ERR_CHECKSUM (a damaged record: nothing written), HS_ERR_IO,
 *  HS_ERR_STATE (read-only handle), HS_ERR_NOMEM. If the batch was written
 *  but the state record could not be, the call fails and the encounters
 *  stay queued (a later export sends them again). One thread per object.
 *  @since 1.1 */
HS_API hs_status hs_outbox_export(hs_ctx *ctx, hs_outbox *ob, uint32_t *exported,
                                  const char *path, uint32_t flags);

/** Apply the acknowledgement @p data of @p size bytes from the authority
 *  (hs_encounter_ack_verify with the outbox's authority and device keys).
 *  Every encounter it names that is in the outbox is marked acknowledged
 *  (durable), HS_AUDIT_OUTBOX_ACK is logged, and the segment is rewritten
 *  without them through the atomic save, the old one overwritten before it
 *  is closed. The acknowledgement's nonce and the ids are remembered: the
 *  same acknowledgement is refused later, and an acknowledged id never
 *  comes back. *acknowledged (may be NULL) receives the number of
 *  encounters it removed. Errors: HS_ERR_REPLAY (this acknowledgement was
 *  applied before), HS_ERR_SIGNATURE (not signed by the authority, altered,
 *  or made for another device: the message says "for another device"),
 *  HS_ERR_STATE (no authority key in the options; read-only handle),
 *  HS_ERR_FORMAT, HS_ERR_CORRUPT, HS_ERR_TRUNCATED (not
 *  an acknowledgement), HS_ERR_IO, HS_ERR_NOMEM. A failure of the final
 *  rewrite leaves the acknowledgement applied (the encounters are listed as
 *  acknowledged and wiped at the next open). One thread per object.
 *  @since 1.1 */
HS_API hs_status hs_outbox_ack(hs_ctx *ctx, hs_outbox *ob, uint32_t *acknowledged,
                               const void *data, size_t size);

/** Purge the encounters not acknowledged within the retention period
 *  (opts->retention_ms): those appended before @p now_ms less the period
 *  (@p now_ms 0 = the system clock). Each purge is logged
 *  (HS_AUDIT_OUTBOX_PURGE, one entry per encounter with its id and
 *  decision), then the segment is rewritten without them as for an
 *  acknowledgement. *purged (may be NULL) receives the number removed.
 *  Errors: HS_ERR_STATE (read-only handle), HS_ERR_CHECKSUM, HS_ERR_IO,
 *  HS_ERR_NOMEM. One thread per object. @since 1.1 */
HS_API hs_status hs_outbox_purge(hs_ctx *ctx, hs_outbox *ob, uint32_t *purged, int64_t now_ms);

/** What hs_outbox_verify() found. Grows at the end; set struct_size.
 *  @since 1.1 */
typedef struct hs_outbox_verify_info {
    uint32_t struct_size;  /**< sizeof(hs_outbox_verify_info), set by the caller */
    uint32_t records;      /**< records that check */
    uint32_t encounters;   /**< of which sealed encounters */
    uint32_t reserved;     /**< zero */
    uint64_t bytes;        /**< size of the segment file */
    uint64_t bad_offset;   /**< offset of the first bad byte range (the
                                record or header that fails), UINT64_MAX
                                when all is well */
} hs_outbox_verify_info;

/** Initialiser: sets struct_size, zeroes the rest. @since 1.1 */
#define HS_OUTBOX_VERIFY_INFO_INIT { sizeof(hs_outbox_verify_info), 0, 0, 0, 0, 0 }

/** Check every byte of the outbox in @p dir without changing it: the file
 *  header, every record's header and body checksums, the structure of
 *  every state record, and every sealed encounter's device signature and
 *  receipt against the one stored beside it (the signatures only in builds
 *  with libsodium). @p info (may be NULL) receives
 *  the counts and the offset of the first failure. Takes no lock.
 *  Errors (the message names the offset and record number):
 *  HS_ERR_CHECKSUM (a flipped bit), HS_ERR_TRUNCATED (the file ends inside
 *  a record: a torn or cut tail), HS_ERR_CORRUPT (impossible lengths or
 *  states, a receipt that differs from its sealed encounter),
 *  HS_ERR_SIGNATURE, HS_ERR_FORMAT, HS_ERR_VERSION, HS_ERR_NOT_FOUND (no
 *  outbox), HS_ERR_IO, HS_ERR_NOMEM. One thread per object (the ctx).
 *  @since 1.1 */
HS_API hs_status hs_outbox_verify(hs_ctx *ctx, hs_outbox_verify_info *info, const char *dir);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_OUTBOX_H */
