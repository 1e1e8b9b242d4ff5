/*
 * libhotspot - frontline biometric screening
 *
 * audit.h: the device's tamper-evident audit log. Every search, package
 * install, outbox append/export/acknowledgement/purge, key change and failed
 * unlock is appended as one entry: time, operator, a reference (list
 * version, encounter id, package digest), decision and count; never
 * biometric data. Entries are hash-chained (each carries the BLAKE2b-256
 * hash of the one before; the first carries the hash of the file header)
 * and each is signed with the device's Ed25519 key (device.h), so that a
 * changed, removed, reordered or inserted entry breaks the chain or a
 * signature, and hs_audit_verify() says where.
 *
 * Truncation (entries cut off the end) leaves a shorter, valid chain; it is
 * caught against an anchor, a head (hs_audit_head: log id, entry count,
 * hash of the last entry) that someone other than the device kept: the
 * export the device sends to the centre carries its signed head, and the
 * centre keeps the last head it saw and verifies the next export against
 * it. What was never exported before a device was lost or wiped cannot be
 * proven to have existed; what was exported can never silently vanish.
 * docs/audit.md gives the file formats and the threat model.
 *
 * Files: the log is the single file "audit.log" (HS_AUDIT_FILE_NAME) in the
 * device's data directory, with its writer lock "audit.log.lock" beside it;
 * the outbox keeps its own files in the same directory.
 *
 * Needs libsodium: without it hs_audit_open(), hs_audit_export() and
 * hs_audit_verify() return HS_ERR_NOT_BUILT.
 *
 * Thread-safety: a log handle is used by one thread at a time; appenders in
 * other handles or other processes are serialised through the file's lock.
 * A view is immutable once made (concurrent readers).
 */
#ifndef HOTSPOT_AUDIT_H
#define HOTSPOT_AUDIT_H

#include "hotspot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup audit Audit log
 *  @{ */

/** Name of the log file inside the data directory. @since 1.1 */
#define HS_AUDIT_FILE_NAME "audit.log"

#define HS_AUDIT_OPERATOR_MAX 64  /**< bytes of an operator id */
#define HS_AUDIT_REF_MAX     128  /**< bytes of a reference */
#define HS_AUDIT_DETAIL_MAX  256  /**< bytes of a detail text */
#define HS_AUDIT_HASH_BYTES   32  /**< BLAKE2b-256 entry hash */
#define HS_AUDIT_LOG_ID_BYTES 16  /**< random id of one log file */

/** What an entry records. Values are appended, never renumbered; readers
 *  show unknown values as numbers. @since 1.1 */
typedef enum hs_audit_event {
    HS_AUDIT_SEARCH = 1,          /**< a search: ref = list version, decision, count = candidates */
    HS_AUDIT_PACKAGE_INSTALL = 2, /**< a watchlist package installed: ref = version or digest */
    HS_AUDIT_OUTBOX_APPEND = 3,   /**< an encounter queued: ref = encounter id */
    HS_AUDIT_OUTBOX_EXPORT = 4,   /**< encounters exported: count */
    HS_AUDIT_OUTBOX_ACK = 5,      /**< encounters acknowledged: count */
    HS_AUDIT_OUTBOX_PURGE = 6,    /**< encounters purged unacknowledged: count */
    HS_AUDIT_KEY_CHANGE = 7,      /**< device key changed: ref "ed25519:<64 hex>" = the new key */
    HS_AUDIT_UNLOCK_FAILED = 8    /**< a stored list or key failed to decrypt */
} hs_audit_event;

/** One entry to append (input of hs_audit_append()). Strings are UTF-8
 *  without control characters (C0, DEL, C1), at most HS_AUDIT_*_MAX bytes;
 *  NULL and "" both mean none. Never put biometric data or names of
 *  searched persons in them. Set struct_size (HS_AUDIT_ENTRY_INIT).
 *  @since 1.1 */
typedef struct hs_audit_entry {
    uint32_t struct_size;    /**< sizeof(hs_audit_entry) */
    uint32_t event;          /**< hs_audit_event */
    int64_t time_ms;         /**< UTC ms since the epoch; 0 = now */
    const char *operator_id; /**< NULL = none */
    const char *ref;         /**< encounter id (hex), list version, package digest; NULL = none */
    int32_t decision;        /**< the search decision, or -1 */
    uint32_t count;          /**< candidates, or encounters exported / acknowledged / purged */
    const char *detail;      /**< short printable text, never biometric data; NULL = none */
} hs_audit_entry;

/** Initialiser of hs_audit_entry. @since 1.1 */
#define HS_AUDIT_ENTRY_INIT { sizeof(hs_audit_entry), 0, 0, NULL, NULL, -1, 0, NULL }

/** Flag of hs_audit_options.flags: fail with HS_ERR_LOCKED instead of
 *  waiting when another appender holds the log's lock. @since 1.1 */
#define HS_AUDIT_NOWAIT 0x1u

/** Options of hs_audit_open(); NULL = defaults. @since 1.1 */
typedef struct hs_audit_options {
    uint32_t struct_size; /**< sizeof(hs_audit_options) */
    uint32_t flags;       /**< HS_AUDIT_NOWAIT; default 0 */
    uint64_t max_bytes;   /**< refuse appends past this file size (HS_ERR_FULL); 0 = no limit */
} hs_audit_options;

/** Initialiser of hs_audit_options (the defaults). @since 1.1 */
#define HS_AUDIT_OPTIONS_INIT { sizeof(hs_audit_options), 0, 0 }

/** An appending handle on a device's log. */
typedef struct hs_audit hs_audit;

/** Open the log in directory @p dir (which must exist) for appending,
 *  creating "audit.log" (mode 0600, a fresh random log id, the directory
 *  flushed) if it is not there. An existing log's tail is checked: the last
 *  entry is found from the end of the file, and its framing, sequence
 *  number and signature (with this key) are checked, without reading the
 *  rest (hs_audit_verify() checks the whole log). When that fails, the log
 *  is read from the start (framing, sequence numbers and hash links of
 *  every entry): an incomplete last entry (a crash in the middle of an
 *  append, which never returned) is cut off, never an earlier one, and
 *  anything else is refused. The chain then continues from the last entry. @p device_sign_secret must be the key in
 *  force for the log: the one of its last HS_AUDIT_KEY_CHANGE entry, or the
 *  header's. The secret is copied into the handle and wiped on close.
 *  Ownership: *out belongs to the caller (hs_audit_close()); NULL on failure.
 *  Errors: HS_ERR_IO (dir missing, not a regular file, read/write/flush
 *  failure), HS_ERR_FORMAT (not an audit log), HS_ERR_VERSION,
 *  HS_ERR_CORRUPT (a complete entry that does not parse, a sequence gap:
 *  run hs_audit_verify() to see where), HS_ERR_SIGNATURE (the last entry
 *  does not verify), HS_ERR_STATE (the log is signed by another device key),
 *  HS_ERR_LOCKED (HS_AUDIT_NOWAIT), HS_ERR_UNSUPPORTED (options from a newer
 *  library), HS_ERR_NOMEM, HS_ERR_NOT_BUILT, HS_ERR_INTERNAL. One thread per
 *  object (the ctx). @since 1.1 */
HS_API hs_status hs_audit_open(hs_ctx *ctx, hs_audit **out, const char *dir,
                               const uint8_t device_sign_secret[64],
                               const hs_audit_options *opts);

/** Append one signed, chained entry; durable when it returns (written with
 *  one write() on the O_APPEND file, then fdatasync). The log's file lock is
 *  held during the call, so appenders in other processes are serialised;
 *  entries they appended since this handle's last call are read first and
 *  the chain continues after them. Errors: HS_ERR_INVALID_ARG (unknown
 *  event, negative time, a string too long, invalid UTF-8 or with a control
 *  character: the message names the field), HS_ERR_FULL (the file would pass
 *  max_bytes), HS_ERR_STATE (another appender changed the device key, or
 *  the log file was removed or replaced since the open: reopen),
 *  HS_ERR_CORRUPT (the file shrank or another appender's entry does not
 *  parse), HS_ERR_IO (the write or flush failed; the entry may be absent: it
 *  is never half there for a later reader, as an incomplete tail is cut
 *  off), HS_ERR_LOCKED, HS_ERR_NOMEM. On failure nothing is appended except
 *  possibly an incomplete tail. One thread per object. @since 1.1 */
HS_API hs_status hs_audit_append(hs_ctx *ctx, hs_audit *log, const hs_audit_entry *entry);

/** Close the handle and wipe the key it holds; NULL is accepted. The log's
 *  entries are already durable. Exclusive. @since 1.1 */
HS_API void hs_audit_close(hs_audit *log);

/* ---- Heads and anchors ------------------------------------------------- */

/** The head of a log: which log, how many entries, the hash of the last
 *  one. Kept outside the device (by the centre, from each export), it is
 *  the anchor against which hs_audit_verify() detects truncation and
 *  replacement. An output and an input struct: set struct_size
 *  (HS_AUDIT_HEAD_INIT). @since 1.1 */
typedef struct hs_audit_head {
    uint32_t struct_size;     /**< sizeof(hs_audit_head) */
    uint32_t reserved;        /**< 0 */
    uint64_t count;           /**< number of entries (the next sequence number) */
    uint8_t log_id[16];       /**< random id of the log file */
    uint8_t last_hash[32];    /**< hash of entry count-1; with count 0 the header's hash */
    int64_t time_ms;          /**< time of the last entry (0 when count is 0) */
} hs_audit_head;

/** Initialiser of hs_audit_head. @since 1.1 */
#define HS_AUDIT_HEAD_INIT { sizeof(hs_audit_head), 0, 0, {0}, {0}, 0 }

/** The head of the log as this handle last saw it (after its open or its
 *  last append; entries other processes appended since are not counted)
 *  into the caller's *head (filled as far as head->struct_size). Errors:
 *  HS_ERR_INVALID_ARG only. One thread per object. @since 1.1 */
HS_API hs_status hs_audit_head_get(hs_ctx *ctx, hs_audit_head *head, const hs_audit *log);

/* ---- Export ------------------------------------------------------------ */

/** Write the entries with sequence numbers @p from .. @p to - 1 as an
 *  export for the centre into the caller's @p buf: the log's header, those
 *  entries as stored, and a head signed by the device (log id, @p to, hash
 *  of entry to - 1, time), which the centre keeps as its next anchor. Pass
 *  @p to = UINT64_MAX for every entry the handle has seen (use
 *  hs_audit_head_get() first and pass its count when the size query and the
 *  export must agree while other processes append). Two-call size query (as
 *  hs_watchlist_encode()). The file is read under the log's lock. The head
 *  is signed with the handle's key, which must be the key in force after
 *  entry to - 1 (after logging a key change, reopen with the new key).
 *  Errors: HS_ERR_INVALID_ARG (from > to, to beyond the entries),
 *  HS_ERR_BUFFER_TOO_SMALL, HS_ERR_IO, HS_ERR_CORRUPT (the file changed
 *  under the handle), HS_ERR_STATE (the file was removed or replaced, or
 *  another key is in force at @p to),
 *  HS_ERR_LOCKED, HS_ERR_LIMIT (larger than HS_LIMIT_MAX_FILE_BYTES),
 *  HS_ERR_NOMEM, HS_ERR_NOT_BUILT.
 *  One thread per object. @since 1.1 */
HS_API hs_status hs_audit_export(hs_ctx *ctx, void *buf, size_t *size, hs_audit *log,
                                 uint64_t from, uint64_t to);

/* ---- Verification ------------------------------------------------------ */

/** What hs_audit_verify() found (output struct: set struct_size,
 *  HS_AUDIT_VERIFY_INFO_INIT). Filled on success and on failure; on failure
 *  bad_index and bad_offset say where the log broke. @since 1.1 */
typedef struct hs_audit_verify_info {
    uint32_t struct_size;  /**< sizeof(hs_audit_verify_info) */
    uint32_t exported;     /**< 1 if the input was an export (with a signed head) */
    uint64_t first_seq;    /**< sequence number of the first entry (0 for a whole log) */
    uint64_t count;        /**< entries that verified, from first_seq on */
    uint64_t bad_index;    /**< failure: sequence number of the bad entry; else UINT64_MAX */
    uint64_t bad_offset;   /**< failure: byte offset of the bad entry or field; else UINT64_MAX */
    uint64_t torn_bytes;   /**< bytes of an incomplete last entry ignored (a log file only) */
    hs_audit_head head;    /**< the head of what verified (the next anchor) */
    uint8_t key_public[32]; /**< the device key in force after the last entry (key changes followed) */
} hs_audit_verify_info;

/** Initialiser of hs_audit_verify_info. @since 1.1 */
#define HS_AUDIT_VERIFY_INFO_INIT \
    { sizeof(hs_audit_verify_info), 0, 0, 0, 0, 0, 0, HS_AUDIT_HEAD_INIT, {0} }

/** Verify a log file's bytes (read with hs_file_read()) or an export from
 *  hs_audit_export(), treated as hostile input, with the device's Ed25519
 *  public key @p device_sign_public (which the verifier knows from
 *  enrolment, not from the log): the header, the framing and sequence
 *  number of every entry, every hash link and every signature (following
 *  HS_AUDIT_KEY_CHANGE entries to the new key), and an export's signed
 *  head. With an @p anchor (a head kept from an earlier export; NULL =
 *  none): the log id must be the anchor's (else HS_ERR_STATE: the log was
 *  replaced), the log must reach the anchor's count (else
 *  HS_ERR_TRUNCATED) and its entry count-1 must have the anchor's hash
 *  (else HS_ERR_CORRUPT); an export starting after the anchor's count is
 *  refused (HS_ERR_STATE: entries missing between). An incomplete last
 *  entry of a log file is reported in info->torn_bytes, not an error (its
 *  append never returned); a torn export is HS_ERR_TRUNCATED. Without an
 *  anchor, entries cut off the end of a log file cannot be detected: keep
 *  and pass the last head. The ctx message names the entry and byte
 *  offset. @p info may be NULL. Errors: HS_ERR_FORMAT, HS_ERR_VERSION,
 *  HS_ERR_TRUNCATED, HS_ERR_CORRUPT (framing, sequence, hash link),
 *  HS_ERR_SIGNATURE, HS_ERR_STATE, HS_ERR_NOT_BUILT, HS_ERR_INTERNAL.
 *  One thread per object (the ctx). @since 1.1 */
HS_API hs_status hs_audit_verify(hs_ctx *ctx, hs_audit_verify_info *info, const void *data,
                                 size_t size, const uint8_t device_sign_public[32],
                                 const hs_audit_head *anchor);

/* ---- Reading ----------------------------------------------------------- */

/** A parsed, read-only copy of a log file or an export, for display. */
typedef struct hs_audit_view hs_audit_view;

/** One entry as read (output of hs_audit_view_entry()): set struct_size
 *  (HS_AUDIT_RECORD_INIT). The strings are borrowed from the view (valid
 *  until hs_audit_view_free()); NULL when absent. @since 1.1 */
typedef struct hs_audit_record {
    uint32_t struct_size;    /**< sizeof(hs_audit_record) */
    uint32_t event;          /**< hs_audit_event (possibly a newer value) */
    uint64_t seq;            /**< sequence number */
    uint64_t offset;         /**< byte offset of the entry in the input */
    int64_t time_ms;         /**< UTC ms since the epoch */
    const char *operator_id; /**< NULL = none */
    const char *ref;         /**< NULL = none */
    const char *detail;      /**< NULL = none */
    int32_t decision;        /**< -1 = none */
    uint32_t count;
    uint8_t hash[32];        /**< BLAKE2b-256 of the entry as stored */
} hs_audit_record;

/** Initialiser of hs_audit_record. @since 1.1 */
#define HS_AUDIT_RECORD_INIT \
    { sizeof(hs_audit_record), 0, 0, 0, 0, NULL, NULL, NULL, -1, 0, {0} }

/** Parse a log file's bytes or an export into a view: the header and the
 *  framing of every entry (lengths, sequence numbers, string rules), not the
 *  hashes and signatures (hs_audit_verify() checks those; show and verify
 *  are separate so that a broken log can still be read). An incomplete last
 *  entry of a log file is left out. The view copies what it needs: @p data
 *  may be freed afterwards. Ownership: *out belongs to the caller
 *  (hs_audit_view_free()); NULL on failure. Works without libsodium (the
 *  entry hashes are then zero). Errors: HS_ERR_FORMAT, HS_ERR_VERSION,
 *  HS_ERR_TRUNCATED, HS_ERR_CORRUPT, HS_ERR_LIMIT (more than
 *  HS_LIMIT_MAX_FILE_BYTES), HS_ERR_NOMEM. One thread per object (the ctx).
 *  @since 1.1 */
HS_API hs_status hs_audit_view_new(hs_ctx *ctx, hs_audit_view **out, const void *data,
                                   size_t size);

/** Number of complete entries in the view; 0 for NULL. Cannot fail.
 *  Concurrent readers. @since 1.1 */
HS_API uint64_t hs_audit_view_count(const hs_audit_view *view);

/** Log id and first sequence number of the view (an export may start after
 *  0) into the caller's arrays (either may be NULL). Cannot fail for a
 *  non-NULL view. Concurrent readers. @since 1.1 */
HS_API void hs_audit_view_ident(const hs_audit_view *view, uint8_t log_id[16],
                                uint64_t *first_seq);

/** Entry @p index (0 .. count-1, counted from the view's first entry) into
 *  the caller's *rec (filled as far as rec->struct_size). Errors:
 *  HS_ERR_INVALID_ARG, HS_ERR_NOT_FOUND (index out of range). Concurrent
 *  readers (a ctx per thread). @since 1.1 */
HS_API hs_status hs_audit_view_entry(hs_ctx *ctx, hs_audit_record *rec,
                                     const hs_audit_view *view, uint64_t index);

/** Name of an event ("search", "package_install", ...; "unknown" for other
 *  values). Static text. Cannot fail. Thread-safe. @since 1.1 */
HS_API const char *hs_audit_event_name(uint32_t event);

/** Free a view; NULL is accepted. Exclusive. @since 1.1 */
HS_API void hs_audit_view_free(hs_audit_view *view);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_AUDIT_H */
