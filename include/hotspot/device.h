/*
 * libhotspot - frontline biometric screening
 *
 * device.h: the keys of an officer's device. Each device has
 *  - an Ed25519 signing key pair: it signs the device's audit log
 *    (audit.h) and the encounters it seals to the authority, so that the
 *    centre knows which device wrote them;
 *  - a 32-byte storage key (XChaCha20-Poly1305) under which the installed
 *    watchlist is saved (hs_watchlist_save_encrypted() in watchlist.h), so
 *    that a lost device holds no biometric data in the clear.
 * The app keeps the secret key and the storage key in the platform keystore
 * where there is one; hs_device_key_save() / hs_device_key_load() write and
 * read them as raw key files (mode 0600 for secrets) where there is none,
 * as the `hotspot device keygen` command does. Guide: docs/audit.md and
 * docs/security.md.
 *
 * Needs libsodium: without it every function here returns HS_ERR_NOT_BUILT.
 */
#ifndef HOTSPOT_DEVICE_H
#define HOTSPOT_DEVICE_H

#include "hotspot/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/** @defgroup device Device keys
 *  @{ */

#define HS_DEVICE_SIGN_PUBLIC_BYTES 32 /**< Ed25519 public key */
#define HS_DEVICE_SIGN_SECRET_BYTES 64 /**< Ed25519 secret key (seed + public key) */
#define HS_DEVICE_STORAGE_KEY_BYTES 32 /**< XChaCha20-Poly1305 key */

/** Generate a device's keys into the caller's arrays: a fresh Ed25519
 *  signing key pair (@p sign_public, @p sign_secret) and a random storage
 *  key (@p storage_key), all from the operating system's random source.
 *  The caller keeps the secrets secret and wipes them when done. No ctx,
 *  so no message. Errors: HS_ERR_INVALID_ARG (a NULL array),
 *  HS_ERR_NOT_BUILT (no libsodium), HS_ERR_INTERNAL (libsodium failed to
 *  initialise); the arrays are unchanged on failure. Thread-safe.
 *  @since 1.1 */
HS_API hs_status hs_device_keygen(uint8_t sign_public[32], uint8_t sign_secret[64],
                                  uint8_t storage_key[32]);

/** Derive the Ed25519 public key of @p sign_secret into @p sign_public,
 *  recomputing it from the secret's seed and checking it against the copy
 *  the secret carries (its last 32 bytes), so that a damaged secret key
 *  file is caught before anything is signed with it. Errors:
 *  HS_ERR_INVALID_ARG (NULL), HS_ERR_CORRUPT (the two halves of the secret
 *  disagree; @p sign_public unchanged), HS_ERR_NOT_BUILT, HS_ERR_INTERNAL.
 *  One thread per object (the ctx). @since 1.1 */
HS_API hs_status hs_device_sign_public(hs_ctx *ctx, uint8_t sign_public[32],
                                       const uint8_t sign_secret[64]);

/** Flag of hs_device_key_save() and hs_device_key_load(): the key is a
 *  secret (a signing secret key or a storage key). Saving creates the file
 *  with mode 0600; loading refuses a file that its group or others may
 *  read or write (as ssh does). @since 1.1 */
#define HS_DEVICE_KEY_SECRET 0x1u

/** Flag of hs_device_key_save(): replace an existing file (key rotation).
 *  Without it an existing @p path is refused, so that a second keygen
 *  cannot destroy a key still in use. @since 1.1 */
#define HS_DEVICE_KEY_REPLACE 0x2u

/** Write @p size bytes of @p key (1..64) to @p path as a raw key file,
 *  through the atomic save (hs_file_save(); HS_FILE_PRIVATE with
 *  HS_DEVICE_KEY_SECRET). Without HS_DEVICE_KEY_REPLACE an existing path
 *  (also a dangling symlink) is refused with HS_ERR_EXISTS; the check runs
 *  just before the save, so two processes creating one key at the same
 *  moment are not told apart: serialise them yourself. No output. Errors:
 *  HS_ERR_INVALID_ARG (NULL, size out of range, unknown flag),
 *  HS_ERR_EXISTS, HS_ERR_IO, HS_ERR_NOMEM. One thread per object (the
 *  ctx). @since 1.1 */
HS_API hs_status hs_device_key_save(hs_ctx *ctx, const char *path, const uint8_t *key,
                                    size_t size, uint32_t flags);

/** Read a raw key file of exactly @p size bytes (1..64) from @p path into
 *  the caller's @p key (hs_file_read() rules: a regular file only). With
 *  HS_DEVICE_KEY_SECRET a file whose mode lets its group or others read or
 *  write it is refused (HS_ERR_IO, the message says which mode). The file's
 *  bytes are wiped after the copy; @p key is written only on success.
 *  Errors: HS_ERR_INVALID_ARG (NULL, size out of range, unknown flag),
 *  HS_ERR_IO, HS_ERR_CORRUPT (the file is not exactly @p size bytes),
 *  HS_ERR_NOMEM. One thread per object (the ctx). @since 1.1 */
HS_API hs_status hs_device_key_load(hs_ctx *ctx, uint8_t *key, size_t size, const char *path,
                                    uint32_t flags);

/** @} */

#ifdef __cplusplus
}
#endif
#endif /* HOTSPOT_DEVICE_H */
