/* The device's keys: Ed25519 signing pair, storage key, raw key files. */
#include "internal/core.h"
#include "hotspot/device.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef HOTSPOT_HAVE_SODIUM
#include <sodium.h>
#endif

#define KEY_MAX 64

hs_status hs_device_keygen(uint8_t sign_public[32], uint8_t sign_secret[64],
                           uint8_t storage_key[32])
{
    if (!sign_public || !sign_secret || !storage_key)
        return HS_ERR_INVALID_ARG;
#ifdef HOTSPOT_HAVE_SODIUM
    if (sodium_init() < 0)
        return HS_ERR_INTERNAL;
    crypto_sign_keypair(sign_public, sign_secret);
    crypto_aead_xchacha20poly1305_ietf_keygen(storage_key);
    return HS_OK;
#else
    return HS_ERR_NOT_BUILT;
#endif
}

hs_status hs_device_sign_public(hs_ctx *ctx, uint8_t sign_public[32],
                                const uint8_t sign_secret[64])
{
    if (!sign_public || !sign_secret)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "device key: NULL argument");
#ifdef HOTSPOT_HAVE_SODIUM
    if (sodium_init() < 0)
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    uint8_t pk[32], sk[64];
    crypto_sign_seed_keypair(pk, sk, sign_secret);
    int same = sodium_memcmp(pk, sign_secret + 32, 32) == 0;
    sodium_memzero(sk, sizeof sk);
    if (!same)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "device signing key: the public half does not match the seed");
    memcpy(sign_public, pk, 32);
    return HS_OK;
#else
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
#endif
}

hs_status hs_device_key_save(hs_ctx *ctx, const char *path, const uint8_t *key, size_t size,
                             uint32_t flags)
{
    if (!path || !*path || !key || size < 1 || size > KEY_MAX ||
        (flags & ~(HS_DEVICE_KEY_SECRET | HS_DEVICE_KEY_REPLACE)))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "key save: NULL path or key, size %zu (1..%d) or unknown flag", size,
                         KEY_MAX);
    struct stat st;
    if (!(flags & HS_DEVICE_KEY_REPLACE) && lstat(path, &st) == 0)
        return hs__error(ctx, HS_ERR_EXISTS, "%s: exists; refusing to replace a key", path);
    return hs__write_file_atomic(ctx, path, key, size,
                                 (flags & HS_DEVICE_KEY_SECRET) ? HS_FILE_PRIVATE : 0);
}

typedef struct key_out {
    uint8_t *key;
    size_t size;
    const char *path;
} key_out;

static hs_status copy_key(hs_ctx *ctx, void *out, const uint8_t *data, size_t n, const void *arg)
{
    (void)arg;
    key_out *k = out;
    if (n != k->size)
        return hs__error(ctx, HS_ERR_CORRUPT, "%s: %zu bytes, a key of %zu expected", k->path, n,
                         k->size);
    memcpy(k->key, data, n);
    return HS_OK;
}

hs_status hs_device_key_load(hs_ctx *ctx, uint8_t *key, size_t size, const char *path,
                             uint32_t flags)
{
    if (!path || !key || size < 1 || size > KEY_MAX || (flags & ~HS_DEVICE_KEY_SECRET))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "key load: NULL path or key, size %zu (1..%d) or unknown flag", size,
                         KEY_MAX);
    if (flags & HS_DEVICE_KEY_SECRET) {
        /* Checked by name before the read: a file swapped in between by
         * someone who can write the directory could pass, but such a
         * person can read the key anyway. */
        struct stat st;
        if (stat(path, &st) == 0 && (st.st_mode & 077))
            return hs__error(ctx, HS_ERR_IO,
                             "%s: a secret key file must not be accessible to group or others "
                             "(mode %03o; chmod 600)",
                             path, (unsigned)(st.st_mode & 0777));
    }
    /* into a local copy first: key is written only on success */
    uint8_t tmp[KEY_MAX];
    key_out k = {tmp, size, path};
    hs_status s = hs__load_file(ctx, &k, path, copy_key, NULL);
    if (!s)
        memcpy(key, tmp, size);
    hs__memzero(tmp, sizeof tmp);
    return s;
}
