/* Signed and encrypted watchlist packages for devices (libsodium).
 * Layout and threat model: docs/watchlist-format.md, docs/security.md. */
#include "internal/watchlist.h"

#include <stdint.h>
#include <string.h>

#ifdef HOTSPOT_HAVE_SODIUM
#include <sodium.h>
#endif

#define PKG_MAGIC "HSWP"
#define PKG_VERSION_BASE HS__WL_FORMAT_BASE
#define PKG_HDR 32
#define PKG_KEYID 16
#define PKG_SEALED 80 /* 32-byte content key + crypto_box_SEALBYTES */
#define PKG_RECIPIENT (PKG_KEYID + PKG_SEALED)
#define PKG_NONCE 24
#define PKG_TAG 16
#define PKG_SIG 64
#define PKG_MAX_RECIPIENTS 1024
/* "HSWD" deltas of 0.1 named their base by version number only and are
 * refused; "HSWE" deltas carry the base list's digest. */
#define DELTA_MAGIC "HSWE"
#define DELTA_MAGIC_0_1 "HSWD"
#define DIGEST_BYTES 32

/* Parsed outer layout (no cryptography). */
typedef struct pkg_layout {
    uint32_t delta, format;
    uint64_t version, base_version;
    uint32_t nrec;
    const uint8_t *recipients;
    const uint8_t *nonce;
    uint64_t ct_len;
    const uint8_t *ct;
    size_t signed_len; /* bytes covered by the signature */
    size_t ad_len;     /* bytes authenticated as AEAD associated data */
    const uint8_t *sig;
} pkg_layout;

static hs_status parse_layout(hs_ctx *ctx, const uint8_t *p, size_t size, pkg_layout *l)
{
    if (size < 4 || memcmp(p, PKG_MAGIC, 4) != 0) {
        if (size < 4 && !memcmp(p, PKG_MAGIC, size))
            return hs__error(ctx, HS_ERR_TRUNCATED, "package of %zu bytes", size);
        return hs__error(ctx, HS_ERR_FORMAT, "not a watchlist package (bad magic)");
    }
    if (size < PKG_HDR)
        return hs__error(ctx, HS_ERR_TRUNCATED, "package header truncated");
    uint32_t fv;
    hs_status st = hs__wl_format_version(ctx, p, "package", &fv);
    if (st)
        return st;
    l->format = fv;
    if (p[6] > 1 || p[7] != 0 || hs__get_le32(p + 28) != 0)
        return hs__error(ctx, HS_ERR_CORRUPT, "bad package kind or reserved bytes");
    l->delta = p[6];
    l->version = hs__get_le64(p + 8);
    l->base_version = hs__get_le64(p + 16);
    l->nrec = hs__get_le32(p + 24);
    if (l->nrec < 1 || l->nrec > PKG_MAX_RECIPIENTS)
        return hs__error(ctx, HS_ERR_CORRUPT, "%u recipients (1..%d allowed)", l->nrec,
                         PKG_MAX_RECIPIENTS);
    if (!l->delta && l->base_version)
        return hs__error(ctx, HS_ERR_CORRUPT, "full package with a base version");
    size_t off = PKG_HDR;
    size_t need = off + (size_t)l->nrec * PKG_RECIPIENT + PKG_NONCE + 8;
    if (size < need)
        return hs__error(ctx, HS_ERR_TRUNCATED, "package truncated in its key table");
    l->recipients = p + off;
    off += (size_t)l->nrec * PKG_RECIPIENT;
    l->nonce = p + off;
    off += PKG_NONCE;
    l->ct_len = hs__get_le64(p + off);
    off += 8;
    l->ad_len = off;
    if (l->ct_len < PKG_TAG)
        return hs__error(ctx, HS_ERR_CORRUPT, "ciphertext shorter than its tag");
    if (l->ct_len > size - off || size - off - l->ct_len < PKG_SIG)
        return hs__error(ctx, HS_ERR_TRUNCATED, "package truncated in its ciphertext");
    if (size - off - l->ct_len != PKG_SIG)
        return hs__error(ctx, HS_ERR_CORRUPT, "bytes after the package signature");
    l->ct = p + off;
    off += (size_t)l->ct_len;
    l->signed_len = off;
    l->sig = p + off;
    return HS_OK;
}

/* First published size of hs_watchlist_package_info (1.0). */
#define PACKAGE_INFO_SIZE_1_0 HS__SIZE_TO(hs_watchlist_package_info, reserved)

hs_status hs_watchlist_package_info_get(hs_ctx *ctx, hs_watchlist_package_info *info,
                                        const void *pkg, size_t size)
{
    if (!info || !pkg)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    if (info->struct_size < PACKAGE_INFO_SIZE_1_0)
        return hs__struct_out(ctx, info, info, sizeof *info, PACKAGE_INFO_SIZE_1_0,
                              "hs_watchlist_package_info");
    pkg_layout l;
    memset(&l, 0, sizeof l);
    hs_status st = parse_layout(ctx, pkg, size, &l);
    if (st)
        return st;
    /* hs__struct_out sets struct_size; the struct has no padding */
    const hs_watchlist_package_info all = {
        .delta = l.delta,
        .version = l.version,
        .base_version = l.base_version,
        .recipients = l.nrec,
        .format = l.format,
    };
    return hs__struct_out(ctx, info, &all, sizeof all, PACKAGE_INFO_SIZE_1_0,
                          "hs_watchlist_package_info");
}

/* Apply a delta payload (see docs/watchlist-format.md) to wl. */
hs_status hs__wl_delta_apply(hs_ctx *ctx, hs_watchlist *wl, const uint8_t *p, size_t size,
                             uint32_t fmt)
{
    hs__reader r;
    hs__reader_init(&r, p, size);
    uint8_t magic[4];
    if (!hs__rd_bytes(&r, magic, 4))
        return hs__error(ctx, HS_ERR_CORRUPT, "delta payload truncated");
    if (!memcmp(magic, DELTA_MAGIC_0_1, 4))
        return hs__error(ctx, HS_ERR_VERSION,
                         "delta without a base digest (made by 0.1): pack it again");
    if (memcmp(magic, DELTA_MAGIC, 4))
        return hs__error(ctx, HS_ERR_CORRUPT, "delta payload: bad magic");
    /* The base digest was checked by the caller (hs_watchlist_unpack). */
    hs__skip(&r, DIGEST_BYTES);
    uint32_t nrem = hs__rd_le32(&r), nadd = hs__rd_le32(&r);
    if (r.overrun)
        return hs__error(ctx, HS_ERR_CORRUPT, "delta payload truncated");
    for (uint32_t i = 0; i < nrem; i++) {
        uint8_t n = hs__rd_u8(&r);
        if (r.overrun || n == 0 || n > HS_WATCHLIST_ID_MAX || hs__reader_left(&r) < n)
            return hs__error(ctx, HS_ERR_CORRUPT, "delta removal %u malformed", i);
        long at = hs__wl_find(wl, (const char *)p + r.pos, n);
        if (at < 0)
            return hs__error(ctx, HS_ERR_CORRUPT, "delta removes an absent subject");
        hs__wl_remove_index(wl, (uint32_t)at);
        hs__skip(&r, n);
    }
    for (uint32_t i = 0; i < nadd; i++) {
        uint32_t len = hs__rd_le32(&r);
        if (r.overrun || hs__reader_left(&r) < len)
            return hs__error(ctx, HS_ERR_CORRUPT, "delta addition %u truncated", i);
        const uint8_t *rec = p + r.pos;
        hs__wl_entry e;
        memset(&e, 0, sizeof e);
        const char *why = hs__wl_record_check(rec, len, fmt, &e);
        if (why)
            return hs__error(ctx, HS_ERR_CORRUPT, "delta addition %u: %s", i, why);
        bool present = hs__wl_find(wl, (const char *)rec + 1, e.id_len) >= 0;
        hs_status st = hs__wl_insert_entry(ctx, wl, rec, len, true, present);
        if (st)
            return st;
        hs__skip(&r, len);
    }
    if (hs__reader_left(&r))
        return hs__error(ctx, HS_ERR_CORRUPT, "bytes after the delta payload");
    return HS_OK;
}

#ifdef HOTSPOT_HAVE_SODIUM

static bool sodium_ready(void)
{
    /* sodium_init() is thread-safe and idempotent; it only fails when no
     * entropy source is available */
    return sodium_init() >= 0;
}

/* A fresh key pair from libsodium's generator gen (sign or box). */
static hs_status keygen(int (*gen)(unsigned char *, unsigned char *), uint8_t *public_key,
                        uint8_t *secret_key)
{
    if (!public_key || !secret_key)
        return HS_ERR_INVALID_ARG;
    if (!sodium_ready())
        return HS_ERR_INTERNAL;
    gen(public_key, secret_key);
    return HS_OK;
}

hs_status hs_watchlist_keygen_authority(uint8_t public_key[32], uint8_t secret_key[64])
{
    return keygen(crypto_sign_keypair, public_key, secret_key);
}

hs_status hs_watchlist_keygen_device(uint8_t public_key[32], uint8_t secret_key[32])
{
    return keygen(crypto_box_keypair, public_key, secret_key);
}

static void key_id(uint8_t id[PKG_KEYID], const uint8_t pk[32])
{
    crypto_generichash(id, PKG_KEYID, pk, 32, (const unsigned char *)"hotspot-device", 14);
}

/* ---- delta payloads ------------------------------------------------------ */

static bool same_record(const hs__wl_entry *a, const hs__wl_entry *b)
{
    return a->len == b->len && !memcmp(a->rec, b->rec, a->len);
}

/* ---- list digest ------------------------------------------------------------ */

static int cmp_entry_id(const void *a, const void *b, void *wl_)
{
    const hs_watchlist *wl = wl_;
    const hs__wl_entry *x = &wl->e[*(const uint32_t *)a], *y = &wl->e[*(const uint32_t *)b];
    size_t n = x->id_len < y->id_len ? x->id_len : y->id_len;
    int c = memcmp(x->rec + 1, y->rec + 1, n);
    return c ? c : (int)x->id_len - (int)y->id_len;
}

/* Insertion-free merge sort of subject indexes by id (qsort has no context
 * argument in C11, and a global would not be thread-safe). */
static void sort_ids(uint32_t *v, uint32_t *tmp, uint32_t n, const hs_watchlist *wl)
{
    if (n < 2)
        return;
    uint32_t h = n / 2;
    sort_ids(v, tmp, h, wl);
    sort_ids(v + h, tmp, n - h, wl);
    uint32_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_entry_id(&v[j], &v[i], (void *)wl) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, (size_t)n * sizeof *v);
}

/* BLAKE2b-256 of the list's canonical content: its version, then every
 * subject record ordered by id. Iteration order is not part of it (a
 * removal moves the last subject into the hole), so the authority's list
 * and a device's list with the same subjects give the same digest. */
static hs_status list_digest(hs_ctx *ctx, uint8_t out[DIGEST_BYTES], const hs_watchlist *wl)
{
    const hs_allocator *a = hs__ctx_allocator(ctx);
    uint32_t n = wl->n;
    uint32_t *idx = hs__malloc(a, (size_t)(n ? n : 1) * 2 * sizeof *idx);
    if (!idx)
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    for (uint32_t i = 0; i < n; i++)
        idx[i] = i;
    sort_ids(idx, idx + n, n, wl);
    crypto_generichash_state st;
    crypto_generichash_init(&st, (const unsigned char *)"hotspot-list-v1", 15, DIGEST_BYTES);
    uint8_t hdr[12];
    for (int i = 0; i < 8; i++)
        hdr[i] = (uint8_t)(wl->version >> (8 * i));
    for (int i = 0; i < 4; i++)
        hdr[8 + i] = (uint8_t)(n >> (8 * i));
    crypto_generichash_update(&st, hdr, sizeof hdr);
    for (uint32_t i = 0; i < n; i++) {
        const hs__wl_entry *e = &wl->e[idx[i]];
        uint8_t len[4] = {(uint8_t)e->len, (uint8_t)(e->len >> 8), (uint8_t)(e->len >> 16),
                          (uint8_t)(e->len >> 24)};
        crypto_generichash_update(&st, len, 4);
        crypto_generichash_update(&st, e->rec, e->len);
    }
    crypto_generichash_final(&st, out, DIGEST_BYTES);
    hs__free(a, idx);
    return HS_OK;
}

hs_status hs_watchlist_digest(hs_ctx *ctx, uint8_t digest[32], const hs_watchlist *wl)
{
    if (!digest || !wl)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    if (!sodium_ready())
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    hs__wl_rdlock(wl);
    hs_status st = list_digest(ctx, digest, wl);
    hs__wl_unlock(wl);
    return st;
}

/* Write the delta from base to wl; returns the package format version its
 * records need (at least PKG_VERSION_BASE). */
static uint32_t delta_write(hs__writer *w, const hs_watchlist *wl, const hs_watchlist *base,
                            const uint8_t base_digest[DIGEST_BYTES])
{
    uint32_t fmt = PKG_VERSION_BASE;
    uint32_t nrem = 0, nadd = 0;
    for (uint32_t i = 0; i < base->n; i++)
        if (hs__wl_find(wl, (const char *)base->e[i].rec + 1, base->e[i].id_len) < 0)
            nrem++;
    for (uint32_t i = 0; i < wl->n; i++) {
        long b = hs__wl_find(base, (const char *)wl->e[i].rec + 1, wl->e[i].id_len);
        if (b < 0 || !same_record(&wl->e[i], &base->e[b]))
            nadd++;
    }
    hs__wr_bytes(w, DELTA_MAGIC, 4);
    hs__wr_bytes(w, base_digest, DIGEST_BYTES);
    hs__wr_le32(w, nrem);
    hs__wr_le32(w, nadd);
    for (uint32_t i = 0; i < base->n; i++) {
        const hs__wl_entry *e = &base->e[i];
        if (hs__wl_find(wl, (const char *)e->rec + 1, e->id_len) < 0) {
            hs__wr_u8(w, e->id_len);
            hs__wr_bytes(w, e->rec + 1, e->id_len);
        }
    }
    for (uint32_t i = 0; i < wl->n; i++) {
        const hs__wl_entry *e = &wl->e[i];
        long b = hs__wl_find(base, (const char *)e->rec + 1, e->id_len);
        if (b < 0 || !same_record(e, &base->e[b])) {
            hs__wr_le32(w, e->len);
            hs__wr_bytes(w, e->rec, e->len);
            uint32_t r = hs__wl_record_format(e);
            fmt = r > fmt ? r : fmt;
        }
    }
    return fmt;
}

/* ---- pack ------------------------------------------------------------------ */

static hs_status pack_unlocked(hs_ctx *ctx, void *buf, size_t *size, const hs_watchlist *wl,
                               const hs_watchlist *base, const uint8_t sign_secret[64],
                               const uint8_t *recipients, uint32_t nrecipients);

hs_status hs_watchlist_pack(hs_ctx *ctx, void *buf, size_t *size,
                            const hs_watchlist *wl, const hs_watchlist *base,
                            const uint8_t sign_secret[64], const uint8_t *recipients, uint32_t nrecipients)
{
    if (!wl)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    /* Both lists are read under their locks (once when they are the same:
     * a second read lock behind a waiting writer would deadlock). */
    const hs_watchlist *first = wl, *second = base && base != wl ? base : NULL;
    if (second && (uintptr_t)second < (uintptr_t)first) {
        /* one global order (by address): two packs with the lists swapped
         * cannot each hold one lock and wait for the other */
        first = second;
        second = wl;
    }
    hs__wl_rdlock(first);
    if (second)
        hs__wl_rdlock(second);
    hs_status st = pack_unlocked(ctx, buf, size, wl, base, sign_secret, recipients, nrecipients);
    if (second)
        hs__wl_unlock(second);
    hs__wl_unlock(first);
    return st;
}

static hs_status pack_unlocked(hs_ctx *ctx, void *buf, size_t *size, const hs_watchlist *wl,
                               const hs_watchlist *base, const uint8_t sign_secret[64],
                               const uint8_t *recipients, uint32_t nrecipients)
{
    if (!wl || !sign_secret || !recipients || !size)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    if (nrecipients < 1 || nrecipients > PKG_MAX_RECIPIENTS)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "%u recipients (1..%d allowed)", nrecipients,
                         PKG_MAX_RECIPIENTS);
    if (base && base->version >= wl->version)
        return hs__error(ctx, HS_ERR_STATE,
                         "delta base version %llu is not lower than the list's %llu",
                         (unsigned long long)base->version, (unsigned long long)wl->version);
    if (!sodium_ready())
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    const hs_allocator *a = hs__ctx_allocator(ctx);
    hs__writer plain;
    hs__writer_init(&plain, a);
    /* the oldest version that holds the content, so that devices of 1.0
     * keep taking packages without orientation fields */
    uint32_t fmt = PKG_VERSION_BASE;
    if (base) {
        uint8_t d[DIGEST_BYTES];
        hs_status ds = list_digest(ctx, d, base);
        if (ds) {
            hs__writer_free(&plain);
            return ds;
        }
        fmt = delta_write(&plain, wl, base, d);
    } else {
        uint32_t lf = hs__wl_list_format(wl);
        fmt = lf > fmt ? lf : fmt;
        size_t n = 0;
        hs__wl_encode(ctx, NULL, &n, wl);
        uint8_t *tmp = hs__malloc(a, n);
        if (tmp && hs__wl_encode(ctx, tmp, &n, wl) == HS_OK)
            hs__wr_bytes(&plain, tmp, n);
        else
            plain.failed = true;
        if (tmp) {
            sodium_memzero(tmp, n);
            hs__free(a, tmp);
        }
    }
    if (plain.failed) {
        if (plain.buf)
            sodium_memzero(plain.buf, plain.len);
        hs__writer_free(&plain);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    size_t need = PKG_HDR + (size_t)nrecipients * PKG_RECIPIENT + PKG_NONCE + 8 + plain.len +
                  PKG_TAG + PKG_SIG;
    hs_status st = HS_OK;
    if (!buf || *size < need) {
        st = buf ? hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "need %zu bytes", need) : HS_OK;
        *size = need;
        sodium_memzero(plain.buf, plain.len);
        hs__writer_free(&plain);
        return st;
    }
    uint8_t *p = buf;
    memset(p, 0, PKG_HDR);
    memcpy(p, PKG_MAGIC, 4);
    p[4] = (uint8_t)fmt;
    p[6] = base ? 1 : 0;
    for (int i = 0; i < 8; i++) {
        p[8 + i] = (uint8_t)(wl->version >> (8 * i));
        p[16 + i] = (uint8_t)((base ? base->version : 0) >> (8 * i));
    }
    for (int i = 0; i < 4; i++)
        p[24 + i] = (uint8_t)(nrecipients >> (8 * i));
    uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    crypto_aead_xchacha20poly1305_ietf_keygen(key);
    size_t off = PKG_HDR;
    for (uint32_t i = 0; i < nrecipients; i++) {
        const uint8_t *pk = recipients + (size_t)i * 32;
        key_id(p + off, pk);
        if (crypto_box_seal(p + off + PKG_KEYID, key, sizeof key, pk) != 0) {
            st = hs__error(ctx, HS_ERR_INVALID_ARG, "recipient %u: unusable public key", i);
            goto out;
        }
        off += PKG_RECIPIENT;
    }
    randombytes_buf(p + off, PKG_NONCE);
    const uint8_t *nonce = p + off;
    off += PKG_NONCE;
    uint64_t ct_len = plain.len + PKG_TAG;
    for (int i = 0; i < 8; i++)
        p[off + (size_t)i] = (uint8_t)(ct_len >> (8 * i));
    off += 8;
    unsigned long long clen = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(p + off, &clen, plain.buf, plain.len, p, off,
                                               NULL, nonce, key);
    off += (size_t)clen;
    crypto_sign_detached(p + off, NULL, p, off, sign_secret);
    off += PKG_SIG;
    *size = off;
out:
    sodium_memzero(key, sizeof key);
    sodium_memzero(plain.buf, plain.len);
    hs__writer_free(&plain);
    return st;
}

/* ---- unpack ------------------------------------------------------------------ */

static hs_status unpack_unlocked(hs_ctx *ctx, hs_watchlist **out, const hs_watchlist *installed,
                                 uint64_t installed_version, const void *pkg, size_t size,
                                 const uint8_t authority_public[32],
                                 const uint8_t device_public[32], const uint8_t device_secret[32]);

hs_status hs_watchlist_unpack(hs_ctx *ctx, hs_watchlist **out, const hs_watchlist *installed,
                              uint64_t installed_version, const void *pkg, size_t size,
                              const uint8_t authority_public[32], const uint8_t device_public[32],
                              const uint8_t device_secret[32])
{
    if (installed)
        hs__wl_rdlock(installed);
    hs_status st = unpack_unlocked(ctx, out, installed, installed_version, pkg, size,
                                   authority_public, device_public, device_secret);
    if (installed)
        hs__wl_unlock(installed);
    return st;
}

static hs_status unpack_unlocked(hs_ctx *ctx, hs_watchlist **out, const hs_watchlist *installed,
                                 uint64_t installed_version, const void *pkg, size_t size,
                                 const uint8_t authority_public[32],
                                 const uint8_t device_public[32], const uint8_t device_secret[32])
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "out is NULL");
    *out = NULL;
    if (!pkg || !authority_public || !device_public || !device_secret)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "NULL argument");
    if (!sodium_ready())
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    const uint8_t *p = pkg;
    pkg_layout l;
    memset(&l, 0, sizeof l);
    hs_status st = parse_layout(ctx, p, size, &l);
    if (st)
        return st;
    if (crypto_sign_verify_detached(l.sig, p, l.signed_len, authority_public) != 0)
        return hs__error(ctx, HS_ERR_SIGNATURE,
                         "package signature does not verify with the authority key");
    uint64_t have = installed_version;
    if (installed && installed->version > have)
        have = installed->version;
    if (l.version <= have)
        return hs__error(ctx, HS_ERR_ROLLBACK,
                         "package version %llu is not newer than the installed %llu",
                         (unsigned long long)l.version, (unsigned long long)have);
    if (l.delta && (!installed || installed->version != l.base_version))
        return hs__error(ctx, HS_ERR_STATE,
                         "delta package applies to version %llu, installed is %llu",
                         (unsigned long long)l.base_version,
                         (unsigned long long)(installed ? installed->version : 0));
    uint8_t id[PKG_KEYID];
    key_id(id, device_public);
    const uint8_t *sealed = NULL;
    for (uint32_t i = 0; i < l.nrec; i++) {
        const uint8_t *rcp = l.recipients + (size_t)i * PKG_RECIPIENT;
        if (!memcmp(rcp, id, PKG_KEYID)) {
            sealed = rcp + PKG_KEYID;
            break;
        }
    }
    if (!sealed)
        return hs__error(ctx, HS_ERR_DECRYPT, "package is not addressed to this device");
    uint8_t key[crypto_aead_xchacha20poly1305_ietf_KEYBYTES];
    if (crypto_box_seal_open(key, sealed, PKG_SEALED, device_public, device_secret) != 0) {
        sodium_memzero(key, sizeof key);
        return hs__error(ctx, HS_ERR_DECRYPT, "wrong device key: content key does not open");
    }
    const hs_allocator *a = hs__ctx_allocator(ctx);
    size_t plen = (size_t)l.ct_len - PKG_TAG;
    uint8_t *plain = hs__malloc(a, plen ? plen : 1);
    if (!plain) {
        sodium_memzero(key, sizeof key);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory");
    }
    unsigned long long got = 0;
    int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(plain, &got, NULL, l.ct, l.ct_len, p,
                                                        l.ad_len, l.nonce, key);
    sodium_memzero(key, sizeof key);
    if (rc != 0) {
        st = hs__error(ctx, HS_ERR_DECRYPT, "package does not decrypt (altered or wrong key)");
        goto out;
    }
    hs_watchlist *wl = NULL;
    if (l.delta) {
        /* Applies only to the exact list it was made from: not to another
         * list of the same version, nor to one changed on the device. */
        uint8_t have_digest[DIGEST_BYTES];
        if (plen >= 4 + DIGEST_BYTES && !memcmp(plain, DELTA_MAGIC, 4)) {
            st = list_digest(ctx, have_digest, installed);
            if (!st && sodium_memcmp(have_digest, plain + 4, DIGEST_BYTES) != 0)
                st = hs__error(ctx, HS_ERR_STATE,
                               "delta was made for another base list: the installed version "
                               "%llu differs in content (changed on the device, or not the "
                               "list the authority holds); install a full package",
                               (unsigned long long)installed->version);
            if (st)
                goto out;
        }
        st = hs__wl_clone(ctx, installed, &wl);
        if (!st)
            st = hs__wl_delta_apply(ctx, wl, plain, plen, l.format);
    } else {
        st = hs_watchlist_decode(ctx, &wl, plain, plen);
        /* the header says which readers can take the package: its list may
         * not need a newer one */
        uint32_t need = wl ? hs__wl_list_format(wl) : 0;
        if (!st && need > l.format && need > PKG_VERSION_BASE)
            st = hs__error(ctx, HS_ERR_CORRUPT,
                           "package of format %u holds a list of format %u", l.format, need);
    }
    if (st) {
        hs_watchlist_free(wl);
        goto out;
    }
    wl->version = l.version;
    *out = wl;
out:
    sodium_memzero(plain, plen ? plen : 1);
    hs__free(a, plain);
    return st;
}

#else /* !HOTSPOT_HAVE_SODIUM */

hs_status hs_watchlist_digest(hs_ctx *ctx, uint8_t digest[32], const hs_watchlist *wl)
{
    (void)digest;
    (void)wl;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}

hs_status hs_watchlist_keygen_authority(uint8_t public_key[32], uint8_t secret_key[64])
{
    (void)public_key;
    (void)secret_key;
    return HS_ERR_NOT_BUILT;
}

hs_status hs_watchlist_keygen_device(uint8_t public_key[32], uint8_t secret_key[32])
{
    (void)public_key;
    (void)secret_key;
    return HS_ERR_NOT_BUILT;
}

hs_status hs_watchlist_pack(hs_ctx *ctx, void *buf, size_t *size,
                            const hs_watchlist *wl, const hs_watchlist *base,
                            const uint8_t sign_secret[64], const uint8_t *recipients, uint32_t nrecipients)
{
    (void)wl;
    (void)base;
    (void)sign_secret;
    (void)recipients;
    (void)nrecipients;
    (void)buf;
    (void)size;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}

hs_status hs_watchlist_unpack(hs_ctx *ctx, hs_watchlist **out, const hs_watchlist *installed,
                              uint64_t installed_version, const void *pkg, size_t size,
                              const uint8_t authority_public[32], const uint8_t device_public[32],
                              const uint8_t device_secret[32])
{
    if (out)
        *out = NULL;
    (void)installed;
    (void)installed_version;
    (void)pkg;
    (void)size;
    (void)authority_public;
    (void)device_public;
    (void)device_secret;
    return hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium");
}

#endif
