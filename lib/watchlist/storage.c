/* The installed watchlist encrypted under the device's storage key
 * (XChaCha20-Poly1305, the header as associated data). Layout in
 * docs/security.md ("Encrypted storage"):
 *
 *   0  8  magic "HSWLENC1"
 *   8  2  format version (1), little-endian
 *  10  2  header size (48)
 *  12  4  flags (0)
 *  16 24  nonce (random per save)
 *  40  8  plaintext size
 *  48  .  ciphertext (plaintext size bytes) + 16-byte tag
 */
#include "internal/watchlist.h"

#include <stdio.h>
#include <string.h>

#ifdef HOTSPOT_HAVE_SODIUM
#include <sodium.h>
#endif

#define ENC_MAGIC "HSWLENC1"
#define ENC_VERSION 1
#define ENC_HDR 48
#define ENC_TAG 16

#ifdef HOTSPOT_HAVE_SODIUM

hs_status hs_watchlist_save_encrypted(hs_ctx *ctx, const char *path, const hs_watchlist *wl,
                                      const uint8_t storage_key[32], uint32_t flags)
{
    if (!path || !*path || !wl || !storage_key)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "save_encrypted: NULL argument");
    if (flags)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "save_encrypted: unknown flags 0x%x",
                         (unsigned)flags);
    if (sodium_init() < 0)
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    const hs_allocator *a = hs__ctx_allocator(ctx);
    /* The list is read-locked across the size query and the encoding, so
     * the two agree. */
    hs__wl_rdlock(wl);
    size_t plain = 0, total = 0;
    hs_status st = hs__wl_encode(ctx, NULL, &plain, wl);
    uint8_t *buf = NULL;
    if (!st) {
        if (plain > SIZE_MAX - ENC_HDR - ENC_TAG ||
            (uint64_t)plain > (uint64_t)crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
            st = hs__error(ctx, HS_ERR_LIMIT, "list of %zu bytes too large to encrypt", plain);
        else if (!(buf = hs__malloc(a, total = ENC_HDR + plain + ENC_TAG)))
            st = hs__error(ctx, HS_ERR_NOMEM, "out of memory (%zu bytes)", total);
    }
    size_t got = plain;
    if (!st)
        st = hs__wl_encode(ctx, buf + ENC_HDR, &got, wl);
    hs__wl_unlock(wl);
    if (!st) {
        memcpy(buf, ENC_MAGIC, 8);
        buf[8] = ENC_VERSION;
        buf[9] = 0;
        buf[10] = ENC_HDR;
        buf[11] = 0;
        memset(buf + 12, 0, 4);
        randombytes_buf(buf + 16, 24);
        hs__put_le64(buf + 40, (uint64_t)plain);
        unsigned long long clen;
        /* in place: the plaintext is overwritten by its ciphertext */
        crypto_aead_xchacha20poly1305_ietf_encrypt(buf + ENC_HDR, &clen, buf + ENC_HDR, plain,
                                                   buf, ENC_HDR, NULL, buf + 16, storage_key);
        st = hs__write_file_atomic(ctx, path, buf, total, HS_FILE_PRIVATE);
    }
    hs__free_wiped(a, buf, total);
    return st;
}

hs_status hs_watchlist_decode_encrypted(hs_ctx *ctx, hs_watchlist **out, const void *data,
                                        size_t size, const uint8_t storage_key[32])
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if ((!data && size) || !storage_key)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "decode_encrypted: NULL argument");
    const uint8_t *p = data;
    if (size < 8 || memcmp(p, ENC_MAGIC, 8) != 0) {
        if (size < 8 && size && !memcmp(p, ENC_MAGIC, size))
            return hs__error(ctx, HS_ERR_TRUNCATED, "encrypted list: %zu bytes", size);
        return hs__error(ctx, HS_ERR_FORMAT, "not an encrypted watchlist (bad magic)");
    }
    if (size < ENC_HDR)
        return hs__error(ctx, HS_ERR_TRUNCATED, "encrypted list: header truncated (%zu of %d bytes)",
                         size, ENC_HDR);
    unsigned ver = (unsigned)p[8] | ((unsigned)p[9] << 8);
    if (ver != ENC_VERSION)
        return hs__error(ctx, ver > ENC_VERSION ? HS_ERR_VERSION : HS_ERR_CORRUPT,
                         "encrypted list: format version %u (this library reads %d)", ver,
                         ENC_VERSION);
    unsigned hsz = (unsigned)p[10] | ((unsigned)p[11] << 8);
    if (hsz != ENC_HDR || p[12] | p[13] | p[14] | p[15])
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "encrypted list: header size %u (expected %d) or flags not 0", hsz,
                         ENC_HDR);
    uint64_t plain = hs__get_le64(p + 40);
    uint64_t body = (uint64_t)(size - ENC_HDR);
    if (body < ENC_TAG || plain != body - ENC_TAG)
        return hs__error(ctx, (body < ENC_TAG || plain > body - ENC_TAG) ? HS_ERR_TRUNCATED : HS_ERR_CORRUPT,
                         "encrypted list: %llu ciphertext bytes for a plaintext of %llu",
                         (unsigned long long)body, (unsigned long long)plain);
    if (sodium_init() < 0)
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    const hs_allocator *a = hs__ctx_allocator(ctx);
    size_t n = (size_t)plain;
    uint8_t *m = hs__malloc(a, n ? n : 1);
    if (!m)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory (%zu bytes)", n);
    unsigned long long mlen;
    hs_status st = HS_OK;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(m, &mlen, NULL, p + ENC_HDR, body, p, ENC_HDR,
                                                   p + 16, storage_key) != 0)
        st = hs__error(ctx, HS_ERR_DECRYPT,
                       "encrypted list: wrong storage key, or the file was altered");
    else
        st = hs_watchlist_decode(ctx, out, m, n);
    hs__free_wiped(a, m, n);
    return st;
}

#else /* !HOTSPOT_HAVE_SODIUM */

hs_status hs_watchlist_save_encrypted(hs_ctx *ctx, const char *path, const hs_watchlist *wl,
                                      const uint8_t storage_key[32], uint32_t flags)
{
    (void)path, (void)wl, (void)storage_key, (void)flags;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}

hs_status hs_watchlist_decode_encrypted(hs_ctx *ctx, hs_watchlist **out, const void *data,
                                        size_t size, const uint8_t storage_key[32])
{
    (void)data, (void)size, (void)storage_key;
    if (out)
        *out = NULL;
    (void)get_le64;
    (void)put_le64;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}

#endif

static hs_status decode_file(hs_ctx *ctx, void *out, const uint8_t *data, size_t size,
                             const void *key)
{
    return hs_watchlist_decode_encrypted(ctx, out, data, size, key);
}

hs_status hs_watchlist_load_encrypted(hs_ctx *ctx, hs_watchlist **out, const char *path,
                                      const uint8_t storage_key[32])
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!storage_key)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "storage key is NULL");
    hs_status st = hs__load_file(ctx, out, path, decode_file, storage_key);
    if (st && st != HS_ERR_IO && st != HS_ERR_LIMIT) {
        /* the file layer's messages name the path already */
        hs__error_prefix(ctx, st, path);
    }
    return st;
}
