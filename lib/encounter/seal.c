/* Sealing on the device: the plaintext of an encounter, the sealed record
 * and its receipt, batches, acknowledgements and the authority's key files.
 * Byte layouts: docs/encounter-format.md. */
#include "internal/encounter.h"
#include "internal/encounter_wire.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#ifdef HOTSPOT_HAVE_SODIUM
#include <sodium.h>
#endif

/* ---- plaintext ------------------------------------------------------------ */

void hs__enc_write_plain(hs__writer *w, const hs_encounter *e, const uint8_t device_public[32],
                         const uint8_t *tx, size_t tx_size)
{
    hs__wr_bytes(w, HS__ENC_PLAIN_MAGIC, 4);
    hs__wr_le16(w, HS__ENC_VERSION);
    hs__wr_le16(w, 0);
    hs__wr_bytes(w, e->id, HS_ENCOUNTER_ID_BYTES);
    hs__wr_le64(w, (uint64_t)e->time_ms);
    hs__wr_bytes(w, device_public, 32);
    hs__wr_le32(w, (uint32_t)e->decision);
    hs__wr_le32(w, e->ncand);
    uint8_t ntext = 0;
    for (int k = 1; k < HS__ENC_TEXT_KEYS; k++)
        ntext = (uint8_t)(ntext + (e->text[k][0] != 0));
    hs__wr_u8(w, ntext);
    for (int k = 1; k < HS__ENC_TEXT_KEYS; k++) {
        size_t n = strlen(e->text[k]);
        if (!n)
            continue;
        hs__wr_u8(w, (uint8_t)k);
        hs__wr_u8(w, (uint8_t)n);
        hs__wr_bytes(w, e->text[k], n);
    }
    hs__wr_u8(w, (uint8_t)e->nfields);
    for (uint32_t i = 0; i < e->nfields; i++) {
        size_t kl = strlen(e->fkey[i]), vl = strlen(e->fval[i]);
        hs__wr_u8(w, (uint8_t)kl);
        hs__wr_bytes(w, e->fkey[i], kl);
        hs__wr_le16(w, (uint16_t)vl);
        hs__wr_bytes(w, e->fval[i], vl);
    }
    hs__wr_le64(w, e->wl_version);
    for (uint32_t i = 0; i < e->ncand; i++) {
        size_t n = strlen(e->cand[i].subject);
        uint64_t bits;
        memcpy(&bits, &e->cand[i].score, 8);
        hs__wr_u8(w, (uint8_t)n);
        hs__wr_bytes(w, e->cand[i].subject, n);
        hs__wr_le64(w, bits);
        hs__wr_u8(w, (uint8_t)e->cand[i].hit);
    }
    hs__wr_le32(w, (uint32_t)tx_size);
    hs__wr_bytes(w, tx, tx_size);
}

hs_status hs__enc_read_plain(hs_ctx *ctx, hs_encounter *e, uint8_t device_public[32],
                             const uint8_t **tx, size_t *tx_size, const uint8_t *p, size_t size)
{
    hs__reader r;
    hs__reader_init(&r, p, size);
    uint8_t magic[4];
    hs__rd_bytes(&r, magic, 4);
    if (r.overrun || memcmp(magic, HS__ENC_PLAIN_MAGIC, 4))
        return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: wrong magic");
    uint16_t ver = hs__rd_le16(&r);
    if (ver != HS__ENC_VERSION || hs__rd_le16(&r) != 0)
        return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: version %u, reserved not zero", ver);
    hs__rd_bytes(&r, e->id, HS_ENCOUNTER_ID_BYTES);
    e->time_ms = (int64_t)hs__rd_le64(&r);
    hs__rd_bytes(&r, device_public, 32);
    e->decision = (int32_t)hs__rd_le32(&r);
    uint32_t ncand = hs__rd_le32(&r);
    if (r.overrun)
        return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: truncated header");
    if (e->decision < 0 || e->decision > HS_ENCOUNTER_NOT_SEARCHED ||
        ncand > HS_ENCOUNTER_CANDIDATES_MAX)
        return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: decision or candidate count out of range");
    uint8_t ntext = hs__rd_u8(&r);
    int seen_keys = 0;
    for (uint32_t i = 0; i < ntext; i++) {
        uint8_t k = hs__rd_u8(&r), n = hs__rd_u8(&r);
        if (r.overrun || k < 1 || k >= HS__ENC_TEXT_KEYS || (seen_keys & (1 << k)) || !n ||
            hs__reader_left(&r) < n)
            return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: text %u malformed", i);
        const char *v = (const char *)r.p + r.pos;
        if (hs__encounter_text_check(k, v, n))
            return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: text %s invalid",
                             k < HS__ENC_TEXT_KEYS ? "value" : "key");
        memcpy(e->text[k], v, n);
        e->text[k][n] = 0;
        seen_keys |= 1 << k;
        hs__skip(&r, n);
    }
    uint8_t nfields = hs__rd_u8(&r);
    if (nfields > HS_ENCOUNTER_FIELDS_MAX)
        return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: %u free fields", nfields);
    for (uint32_t i = 0; i < nfields; i++) {
        uint8_t kl = hs__rd_u8(&r);
        const char *k = (const char *)r.p + r.pos;
        if (r.overrun || !hs__skip(&r, kl))
            return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: field %u truncated", i);
        uint16_t vl = hs__rd_le16(&r);
        const char *v = (const char *)r.p + r.pos;
        if (r.overrun || !hs__skip(&r, vl))
            return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: field %u truncated", i);
        if (hs__encounter_field_check(k, kl, v, vl))
            return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: field %u invalid", i);
        memcpy(e->fkey[i], k, kl);
        e->fkey[i][kl] = 0;
        memcpy(e->fval[i], v, vl);
        e->fval[i][vl] = 0;
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(e->fkey[j], e->fkey[i]))
                return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: field %u repeated", i);
        e->nfields = i + 1;
    }
    e->wl_version = hs__rd_le64(&r);
    for (uint32_t i = 0; i < ncand; i++) {
        uint8_t n = hs__rd_u8(&r);
        const char *s = (const char *)r.p + r.pos;
        if (r.overrun || !hs__skip(&r, n) || hs__encounter_subject_check(s, n))
            return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: candidate %u subject", i);
        uint64_t bits = hs__rd_le64(&r);
        uint8_t hit = hs__rd_u8(&r);
        double score;
        memcpy(&score, &bits, 8);
        if (r.overrun || hit > 1 || score != score || score - score != 0)
            return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: candidate %u score or hit", i);
        memcpy(e->cand[i].subject, s, n);
        e->cand[i].subject[n] = 0;
        e->cand[i].score = score;
        e->cand[i].hit = hit;
        e->ncand = i + 1;
    }
    uint32_t txn = hs__rd_le32(&r);
    if (r.overrun || hs__reader_left(&r) != txn)
        return hs__error(ctx, HS_ERR_CORRUPT, "plaintext: transaction length %u disagrees", txn);
    *tx = r.p + r.pos;
    *tx_size = txn;
    return HS_OK;
}

/* ---- the plain header ------------------------------------------------------- */

hs_status hs__enc_parse_header(hs_ctx *ctx, hs__enc_header *h, const uint8_t *p, size_t size)
{
    memset(h, 0, sizeof *h);
    if (size < 4 || memcmp(p, HS__ENC_RECORD_MAGIC, 4))
        return hs__error(ctx, size < 4 ? HS_ERR_TRUNCATED : HS_ERR_FORMAT,
                         "sealed encounter: %s", size < 4 ? "shorter than its magic"
                                                          : "wrong magic (not a sealed encounter)");
    hs__reader r;
    hs__reader_init(&r, p, size);
    hs__skip(&r, 4);
    uint16_t ver = hs__rd_le16(&r);
    uint16_t hsize = hs__rd_le16(&r);
    if (r.overrun)
        return hs__error(ctx, HS_ERR_TRUNCATED, "sealed encounter: truncated at byte %zu", size);
    if (ver > HS__ENC_VERSION)
        return hs__error(ctx, HS_ERR_VERSION, "sealed encounter: version %u, this library reads 1",
                         ver);
    if (ver != HS__ENC_VERSION)
        return hs__error(ctx, HS_ERR_CORRUPT, "sealed encounter: version %u", ver);
    if (hsize < HS__ENC_HEADER_FIXED || hsize > HS__ENC_HEADER_FIXED + HS_ENCOUNTER_SHOWN_MAX)
        return hs__error(ctx, HS_ERR_CORRUPT, "sealed encounter: header size %u outside %d-%d",
                         hsize, HS__ENC_HEADER_FIXED,
                         HS__ENC_HEADER_FIXED + HS_ENCOUNTER_SHOWN_MAX);
    if (size < (size_t)hsize + 4 + HS__ENC_SIG)
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "sealed encounter: %zu bytes, shorter than its header and signature", size);
    hs__rd_bytes(&r, h->id, HS_ENCOUNTER_ID_BYTES);
    h->time_ms = (int64_t)hs__rd_le64(&r);
    hs__rd_bytes(&r, h->device_public, 32);
    h->decision = (int32_t)hs__rd_le32(&r);
    h->candidate_count = hs__rd_le32(&r);
    uint8_t sl = hs__rd_u8(&r);
    if ((size_t)HS__ENC_HEADER_FIXED + sl != hsize)
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "sealed encounter: shown text of %u bytes disagrees with header size %u",
                         sl, hsize);
    hs__rd_bytes(&r, h->shown, sl);
    h->shown[sl] = 0;
    if (h->decision < 0 || h->decision > HS_ENCOUNTER_NOT_SEARCHED)
        return hs__error(ctx, HS_ERR_CORRUPT, "sealed encounter: decision %d outside 0-3",
                         (int)h->decision);
    if (h->candidate_count > HS_ENCOUNTER_CANDIDATES_MAX)
        return hs__error(ctx, HS_ERR_CORRUPT, "sealed encounter: %u candidates, at most %d",
                         h->candidate_count, HS_ENCOUNTER_CANDIDATES_MAX);
    if (hs__encounter_text_check(HS_ENCOUNTER_TEXT_SHOWN, h->shown, sl))
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "sealed encounter: shown text not printable ASCII");
    uint32_t clen = hs__rd_le32(&r);
    if ((uint64_t)hsize + 4 + clen + HS__ENC_SIG != size) {
        if ((uint64_t)hsize + 4 + clen + HS__ENC_SIG > size)
            return hs__error(ctx, HS_ERR_TRUNCATED,
                             "sealed encounter: ciphertext of %u bytes needs %llu bytes, %zu "
                             "present",
                             clen, (unsigned long long)hsize + 4 + clen + HS__ENC_SIG, size);
        return hs__error(ctx, HS_ERR_CORRUPT,
                         "sealed encounter: %zu bytes after the signature",
                         size - (size_t)(hsize + 4 + clen + HS__ENC_SIG));
    }
    if (clen < HS__ENC_SEALBYTES)
        return hs__error(ctx, HS_ERR_CORRUPT, "sealed encounter: ciphertext of %u bytes", clen);
    h->cipher = p + hsize + 4;
    h->cipher_size = clen;
    h->signed_size = size - HS__ENC_SIG;
    h->sig = p + h->signed_size;
    return HS_OK;
}

#ifdef HOTSPOT_HAVE_SODIUM

static bool sodium_ok(void) { return sodium_init() >= 0; }

hs_status hs__enc_verify(hs_ctx *ctx, const hs__enc_header *h, const uint8_t *p)
{
    if (crypto_sign_verify_detached(h->sig, p, h->signed_size, h->device_public))
        return hs__error(ctx, HS_ERR_SIGNATURE,
                         "sealed encounter: the device signature does not verify");
    return HS_OK;
}

hs_status hs_encounter_keygen_authority(uint8_t box_public[32], uint8_t box_secret[32],
                                        uint8_t sign_public[32], uint8_t sign_secret[64])
{
    if (!box_public || !box_secret || !sign_public || !sign_secret)
        return HS_ERR_INVALID_ARG;
    if (!sodium_ok())
        return HS_ERR_INTERNAL;
    crypto_box_keypair(box_public, box_secret);
    crypto_sign_keypair(sign_public, sign_secret);
    return HS_OK;
}

hs_status hs_encounter_seal(hs_ctx *ctx, void *buf, size_t *size, const hs_encounter *e,
                            const uint8_t authority_box_public[32],
                            const uint8_t device_sign_secret[64],
                            const hs_encounter_seal_options *opts)
{
    if (!size || !e || !authority_box_public || !device_sign_secret)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_seal: NULL argument");
    hs_encounter_seal_options o = HS_ENCOUNTER_SEAL_OPTIONS_INIT;
    if (opts) {
        hs_status s = hs__struct_in(ctx, &o, sizeof o, opts, sizeof o, "hs_encounter_seal_options");
        if (s)
            return s;
        if (memchr(o.tot, 0, sizeof o.tot) == NULL)
            return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_seal: tot not NUL-terminated");
    }
    if (!sodium_ok())
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    /* the public half must be the seed's: a damaged key file would
     * otherwise give records that no one can ever verify */
    uint8_t device_public[32], derived_pk[32], derived_sk[64];
    crypto_sign_ed25519_sk_to_pk(device_public, device_sign_secret);
    crypto_sign_seed_keypair(derived_pk, derived_sk, device_sign_secret);
    sodium_memzero(derived_sk, sizeof derived_sk);
    if (sodium_memcmp(derived_pk, device_public, 32))
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_seal: the device secret key's halves disagree");
    hs_nist *tx = NULL;
    hs_status s = hs_encounter_transaction(ctx, &tx, e, o.tot);
    if (s)
        return s;
    const hs_allocator *a = &e->alloc;
    size_t txn = 0;
    uint8_t *txb = NULL, *plain = NULL;
    size_t plain_size = 0;
    s = hs_nist_encode(ctx, NULL, &txn, tx, HS_NIST_ENCODING_TRADITIONAL, 0);
    if (!s && txn > HS__ENC_PLAIN_MAX)
        s = hs__error(ctx, HS_ERR_LIMIT, "hs_encounter_seal: transaction of %zu bytes", txn);
    if (!s && !(txb = hs__malloc(a, txn)))
        s = hs__error(ctx, HS_ERR_NOMEM, "out of memory for the transaction");
    if (!s)
        s = hs_nist_encode(ctx, txb, &txn, tx, HS_NIST_ENCODING_TRADITIONAL, 0);
    hs_nist_free(tx);
    if (!s) {
        /* size first, then one exact allocation: the writer never
         * reallocates, so no unwiped copy of the plaintext is left behind */
        hs__writer cw;
        hs__writer_init(&cw, NULL);
        hs__enc_write_plain(&cw, e, device_public, txb, txn);
        plain_size = cw.len;
        hs__writer w;
        hs__writer_init(&w, a);
        w.buf = plain = hs__malloc(a, plain_size);
        w.cap = plain_size;
        if (!plain)
            s = hs__error(ctx, HS_ERR_NOMEM, "out of memory for the plaintext");
        else {
            hs__enc_write_plain(&w, e, device_public, txb, txn);
            if (w.len != plain_size || w.failed)
                s = hs__error(ctx, HS_ERR_INTERNAL, "hs_encounter_seal: plaintext size");
        }
    }
    if (txb) {
        sodium_memzero(txb, txn);
        hs__free(a, txb);
    }
    if (s) {
        if (plain) {
            sodium_memzero(plain, plain_size);
            hs__free(a, plain);
        }
        return s;
    }
    size_t sl = strlen(e->text[HS_ENCOUNTER_TEXT_SHOWN]);
    size_t hsize = HS__ENC_HEADER_FIXED + sl;
    size_t clen = plain_size + HS__ENC_SEALBYTES;
    size_t total = hsize + 4 + clen + HS__ENC_SIG;
    if (clen > HS__ENC_PLAIN_MAX + 4096) {
        sodium_memzero(plain, plain_size);
        hs__free(a, plain);
        return hs__error(ctx, HS_ERR_LIMIT, "hs_encounter_seal: record beyond 2^31 bytes");
    }
    if (!buf || *size < total) {
        sodium_memzero(plain, plain_size);
        hs__free(a, plain);
        *size = total;
        return buf ? hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL,
                               "hs_encounter_seal: %zu bytes needed", total)
                   : HS_OK;
    }
    uint8_t *out = buf;
    /* write the header straight into the caller's buffer */
    uint8_t hdr[HS__ENC_HEADER_FIXED + HS_ENCOUNTER_SHOWN_MAX + 4];
    size_t o2 = 0;
    memcpy(hdr + o2, HS__ENC_RECORD_MAGIC, 4), o2 += 4;
    hdr[o2++] = HS__ENC_VERSION & 0xff, hdr[o2++] = HS__ENC_VERSION >> 8;
    hdr[o2++] = (uint8_t)(hsize & 0xff), hdr[o2++] = (uint8_t)(hsize >> 8);
    memcpy(hdr + o2, e->id, 16), o2 += 16;
    for (int i = 0; i < 8; i++)
        hdr[o2++] = (uint8_t)((uint64_t)e->time_ms >> (8 * i));
    memcpy(hdr + o2, device_public, 32), o2 += 32;
    for (int i = 0; i < 4; i++)
        hdr[o2++] = (uint8_t)((uint32_t)e->decision >> (8 * i));
    for (int i = 0; i < 4; i++)
        hdr[o2++] = (uint8_t)(e->ncand >> (8 * i));
    hdr[o2++] = (uint8_t)sl;
    memcpy(hdr + o2, e->text[HS_ENCOUNTER_TEXT_SHOWN], sl), o2 += sl;
    for (int i = 0; i < 4; i++)
        hdr[o2++] = (uint8_t)(clen >> (8 * i));
    memcpy(out, hdr, o2);
    int rc = crypto_box_seal(out + o2, plain, plain_size, authority_box_public);
    sodium_memzero(plain, plain_size);
    hs__free(a, plain);
    if (rc)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_seal: the authority's box key is not a valid X25519 key");
    crypto_sign_detached(out + o2 + clen, NULL, out, o2 + clen, device_sign_secret);
    *size = total;
    return HS_OK;
}

hs_status hs_encounter_sealed_receipt(hs_ctx *ctx, hs_encounter_receipt *receipt,
                                      const void *sealed, size_t size)
{
    if (!receipt || (!sealed && size))
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_sealed_receipt: NULL argument");
    /* new in 1.1: the first published size is the current one */
    if (receipt->struct_size < sizeof *receipt || receipt->struct_size % 4)
        return hs__error(ctx, HS_ERR_INVALID_ARG,
                         "hs_encounter_receipt: struct_size %u below %zu or not a multiple of 4",
                         receipt->struct_size, sizeof *receipt);
    if (!sodium_ok())
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    hs__enc_header h;
    hs_status s = hs__enc_parse_header(ctx, &h, sealed, size);
    if (!s)
        s = hs__enc_verify(ctx, &h, sealed);
    if (s)
        return s;
    return hs__enc_receipt_out(ctx, receipt, &h);
}

hs_status hs__enc_receipt_out(hs_ctx *ctx, hs_encounter_receipt *receipt, const hs__enc_header *h)
{
    hs_encounter_receipt r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    memcpy(r.id, h->id, sizeof r.id);
    r.time_ms = h->time_ms;
    memcpy(r.device_public, h->device_public, 32);
    r.decision = h->decision;
    r.candidate_count = h->candidate_count;
    memcpy(r.shown, h->shown, sizeof r.shown);
    return hs__struct_out(ctx, receipt, &r, sizeof r, sizeof r, "hs_encounter_receipt");
}

/* ---- acknowledgements ------------------------------------------------------ */

struct hs_encounter_ack {
    hs_allocator alloc;
    uint8_t nonce[16];
    int64_t time_ms;
    uint8_t device[32];
    uint32_t count;
    uint8_t *ids;
};

hs_status hs_encounter_ack_make(hs_ctx *ctx, void *buf, size_t *size,
                                const uint8_t device_public[32], const uint8_t *ids, uint32_t count,
                                const uint8_t authority_sign_secret[64])
{
    if (!size || !device_public || !ids || !authority_sign_secret)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_ack_make: NULL argument");
    if (count < 1 || count > HS_ENCOUNTER_ACK_IDS_MAX)
        return hs__error(ctx, count ? HS_ERR_LIMIT : HS_ERR_INVALID_ARG,
                         "hs_encounter_ack_make: %u ids, 1 to %d", count,
                         HS_ENCOUNTER_ACK_IDS_MAX);
    size_t total = HS__ACK_FIXED + (size_t)count * HS_ENCOUNTER_ID_BYTES + HS__ENC_SIG;
    if (!buf) {
        *size = total;
        return HS_OK;
    }
    if (*size < total) {
        *size = total;
        return hs__error(ctx, HS_ERR_BUFFER_TOO_SMALL, "hs_encounter_ack_make: %zu bytes needed",
                         total);
    }
    if (!sodium_ok())
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    uint8_t *p = buf;
    memcpy(p, HS__ACK_MAGIC, 4);
    p[4] = HS__ENC_VERSION & 0xff;
    p[5] = HS__ENC_VERSION >> 8;
    p[6] = p[7] = 0;
    randombytes_buf(p + 8, 16);
    uint64_t t = (uint64_t)hs__encounter_now_ms();
    for (int i = 0; i < 8; i++)
        p[24 + i] = (uint8_t)(t >> (8 * i));
    memcpy(p + 32, device_public, 32);
    for (int i = 0; i < 4; i++)
        p[64 + i] = (uint8_t)(count >> (8 * i));
    memcpy(p + HS__ACK_FIXED, ids, (size_t)count * HS_ENCOUNTER_ID_BYTES);
    size_t signed_size = total - HS__ENC_SIG;
    crypto_sign_detached(p + signed_size, NULL, p, signed_size, authority_sign_secret);
    *size = total;
    return HS_OK;
}

hs_status hs_encounter_ack_verify(hs_ctx *ctx, hs_encounter_ack **out, const void *data,
                                  size_t size, const uint8_t authority_sign_public[32],
                                  const uint8_t device_public[32])
{
    if (!out)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_ack_verify: out is NULL");
    *out = NULL;
    if ((!data && size) || !authority_sign_public || !device_public)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_ack_verify: NULL argument");
    const uint8_t *p = data;
    if (size < 4)
        return hs__error(ctx, HS_ERR_TRUNCATED, "acknowledgement: %zu bytes", size);
    if (memcmp(p, HS__ACK_MAGIC, 4))
        return hs__error(ctx, HS_ERR_FORMAT, "acknowledgement: wrong magic");
    if (size < HS__ACK_FIXED + HS__ENC_SIG)
        return hs__error(ctx, HS_ERR_TRUNCATED, "acknowledgement: %zu bytes, at least %d", size,
                         HS__ACK_FIXED + HS__ENC_SIG);
    unsigned ver = (unsigned)p[4] | (unsigned)p[5] << 8;
    if (ver > HS__ENC_VERSION)
        return hs__error(ctx, HS_ERR_VERSION, "acknowledgement: version %u, this library reads 1",
                         ver);
    if (ver != HS__ENC_VERSION || p[6] || p[7])
        return hs__error(ctx, HS_ERR_CORRUPT, "acknowledgement: version %u or reserved bytes",
                         ver);
    uint32_t count = (uint32_t)p[64] | (uint32_t)p[65] << 8 | (uint32_t)p[66] << 16 |
                     (uint32_t)p[67] << 24;
    if (count < 1 || count > HS_ENCOUNTER_ACK_IDS_MAX)
        return hs__error(ctx, HS_ERR_CORRUPT, "acknowledgement: %u ids, 1 to %d", count,
                         HS_ENCOUNTER_ACK_IDS_MAX);
    size_t total = HS__ACK_FIXED + (size_t)count * HS_ENCOUNTER_ID_BYTES + HS__ENC_SIG;
    if (size != total)
        return hs__error(ctx, size < total ? HS_ERR_TRUNCATED : HS_ERR_CORRUPT,
                         "acknowledgement: %zu bytes, %u ids need %zu", size, count, total);
    if (!sodium_ok())
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    if (crypto_sign_verify_detached(p + total - HS__ENC_SIG, p, total - HS__ENC_SIG,
                                    authority_sign_public))
        return hs__error(ctx, HS_ERR_SIGNATURE,
                         "acknowledgement: the authority's signature does not verify");
    if (sodium_memcmp(p + 32, device_public, 32))
        return hs__error(ctx, HS_ERR_SIGNATURE, "acknowledgement: for another device");
    hs_status st;
    hs_encounter_ack *k = HS__OBJECT_ALLOC(ctx, &st, hs_encounter_ack);
    if (!k)
        return st;
    uint8_t *ids = hs__malloc(&k->alloc, (size_t)count * HS_ENCOUNTER_ID_BYTES);
    if (!ids) {
        hs__free(&k->alloc, k);
        return hs__error(ctx, HS_ERR_NOMEM, "out of memory for the acknowledgement");
    }
    memcpy(k->nonce, p + 8, 16);
    uint64_t t = 0;
    for (int i = 7; i >= 0; i--)
        t = t << 8 | p[24 + i];
    k->time_ms = (int64_t)t;
    memcpy(k->device, p + 32, 32);
    k->count = count;
    memcpy(ids, p + HS__ACK_FIXED, (size_t)count * HS_ENCOUNTER_ID_BYTES);
    k->ids = ids;
    *out = k;
    return HS_OK;
}

uint32_t hs_encounter_ack_count(const hs_encounter_ack *a) { return a ? a->count : 0; }

const uint8_t *hs_encounter_ack_id(const hs_encounter_ack *a, uint32_t index)
{
    return a && index < a->count ? a->ids + (size_t)index * HS_ENCOUNTER_ID_BYTES : NULL;
}

const uint8_t *hs_encounter_ack_nonce(const hs_encounter_ack *a) { return a ? a->nonce : NULL; }

int64_t hs_encounter_ack_time(const hs_encounter_ack *a) { return a ? a->time_ms : 0; }

const uint8_t *hs_encounter_ack_device(const hs_encounter_ack *a) { return a ? a->device : NULL; }

void hs_encounter_ack_free(hs_encounter_ack *a)
{
    if (!a)
        return;
    hs__free(&a->alloc, a->ids);
    HS__OBJECT_FREE(a, hs_encounter_ack, sizeof *a);
}

/* ---- authority key files ------------------------------------------------------ */

static int path_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 || errno != ENOENT;
}

hs_status hs_encounter_authority_save(hs_ctx *ctx, const char *public_path,
                                      const char *secret_path, const uint8_t box_public[32],
                                      const uint8_t box_secret[32], const uint8_t sign_public[32],
                                      const uint8_t sign_secret[64])
{
    if (!public_path || !secret_path || !box_public || !box_secret || !sign_public ||
        !sign_secret)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_authority_save: NULL argument");
    char q[96];
    if (path_exists(public_path) || path_exists(secret_path))
        return hs__error(ctx, HS_ERR_EXISTS, "%s exists: refusing to overwrite authority keys",
                         hs__quote(q, sizeof q, path_exists(public_path) ? public_path
                                                                         : secret_path));
    uint8_t sec[8 + 32 + 64];
    uint8_t pub[8 + 32 + 32];
    memcpy(pub, HS__AUTH_PUBLIC_MAGIC, 8);
    memcpy(pub + 8, box_public, 32);
    memcpy(pub + 40, sign_public, 32);
    memcpy(sec, HS__AUTH_SECRET_MAGIC, 8);
    memcpy(sec + 8, box_secret, 32);
    memcpy(sec + 40, sign_secret, 64);
    hs_status s = hs__write_file_atomic(ctx, secret_path, sec, sizeof sec, HS_FILE_PRIVATE);
    sodium_memzero(sec, sizeof sec);
    if (!s)
        s = hs__write_file_atomic(ctx, public_path, pub, sizeof pub, 0);
    return s;
}

static hs_status read_key_file(hs_ctx *ctx, uint8_t *dst, size_t n, const char *magic,
                               const char *path, const char *what)
{
    uint8_t *data = NULL;
    size_t size = 0;
    hs_status s = hs__read_file(ctx, path, &data, &size);
    if (s)
        return s;
    char q[96];
    if (size != n || memcmp(data, magic, 8))
        s = hs__error(ctx, HS_ERR_FORMAT, "%s: not an authority %s key file (%zu bytes)",
                      hs__quote(q, sizeof q, path), what, size);
    else
        memcpy(dst, data, n);
    sodium_memzero(data, size);
    hs__free(hs__ctx_allocator(ctx), data);
    return s;
}

hs_status hs_encounter_authority_load_public(hs_ctx *ctx, uint8_t box_public[32],
                                             uint8_t sign_public[32], const char *path)
{
    if (!path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_authority_load_public: no path");
    uint8_t pub[72];
    hs_status s = read_key_file(ctx, pub, sizeof pub, HS__AUTH_PUBLIC_MAGIC, path, "public");
    if (s)
        return s;
    if (box_public)
        memcpy(box_public, pub + 8, 32);
    if (sign_public)
        memcpy(sign_public, pub + 40, 32);
    return HS_OK;
}

hs_status hs_encounter_authority_load_secret(hs_ctx *ctx, uint8_t box_secret[32],
                                             uint8_t sign_secret[64], const char *path)
{
    if (!path)
        return hs__error(ctx, HS_ERR_INVALID_ARG, "hs_encounter_authority_load_secret: no path");
    if (!sodium_ok())
        return hs__error(ctx, HS_ERR_INTERNAL, "libsodium failed to initialise");
    char q[96];
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 077))
        return hs__error(ctx, HS_ERR_IO, "%s: mode %03o lets others read the secret keys",
                         hs__quote(q, sizeof q, path), (unsigned)(st.st_mode & 0777));
    uint8_t sec[104];
    hs_status s = read_key_file(ctx, sec, sizeof sec, HS__AUTH_SECRET_MAGIC, path, "secret");
    if (s)
        return s;
    uint8_t pk[32];
    crypto_sign_ed25519_sk_to_pk(pk, sec + 40);
    uint8_t seed_pk[32], seed_sk[64];
    crypto_sign_seed_keypair(seed_pk, seed_sk, sec + 40);
    if (sodium_memcmp(seed_pk, pk, 32))
        s = hs__error(ctx, HS_ERR_CORRUPT, "%s: the signing key's halves disagree",
                      hs__quote(q, sizeof q, path));
    else {
        if (box_secret)
            memcpy(box_secret, sec + 8, 32);
        if (sign_secret)
            memcpy(sign_secret, sec + 40, 64);
    }
    sodium_memzero(seed_sk, sizeof seed_sk);
    sodium_memzero(sec, sizeof sec);
    return s;
}

#else /* no libsodium */

#define NO_SODIUM(ctx) hs__error(ctx, HS_ERR_NOT_BUILT, "built without libsodium")

hs_status hs_encounter_keygen_authority(uint8_t box_public[32], uint8_t box_secret[32],
                                        uint8_t sign_public[32], uint8_t sign_secret[64])
{
    (void)box_public, (void)box_secret, (void)sign_public, (void)sign_secret;
    return HS_ERR_NOT_BUILT;
}
hs_status hs_encounter_seal(hs_ctx *ctx, void *buf, size_t *size, const hs_encounter *e,
                            const uint8_t authority_box_public[32],
                            const uint8_t device_sign_secret[64],
                            const hs_encounter_seal_options *opts)
{
    (void)buf, (void)size, (void)e, (void)authority_box_public, (void)device_sign_secret,
        (void)opts;
    return NO_SODIUM(ctx);
}
hs_status hs_encounter_sealed_receipt(hs_ctx *ctx, hs_encounter_receipt *receipt,
                                      const void *sealed, size_t size)
{
    (void)receipt, (void)sealed, (void)size;
    return NO_SODIUM(ctx);
}
hs_status hs_encounter_ack_make(hs_ctx *ctx, void *buf, size_t *size,
                                const uint8_t device_public[32], const uint8_t *ids, uint32_t count,
                                const uint8_t authority_sign_secret[64])
{
    (void)buf, (void)size, (void)device_public, (void)ids, (void)count, (void)authority_sign_secret;
    return NO_SODIUM(ctx);
}
hs_status hs_encounter_ack_verify(hs_ctx *ctx, hs_encounter_ack **out, const void *data,
                                  size_t size, const uint8_t authority_sign_public[32],
                                  const uint8_t device_public[32])
{
    if (out)
        *out = NULL;
    (void)data, (void)size, (void)authority_sign_public, (void)device_public;
    return NO_SODIUM(ctx);
}
uint32_t hs_encounter_ack_count(const hs_encounter_ack *a) { (void)a; return 0; }
const uint8_t *hs_encounter_ack_id(const hs_encounter_ack *a, uint32_t index)
{
    (void)a, (void)index;
    return NULL;
}
const uint8_t *hs_encounter_ack_nonce(const hs_encounter_ack *a) { (void)a; return NULL; }
int64_t hs_encounter_ack_time(const hs_encounter_ack *a) { (void)a; return 0; }
const uint8_t *hs_encounter_ack_device(const hs_encounter_ack *a) { (void)a; return NULL; }
void hs_encounter_ack_free(hs_encounter_ack *a) { (void)a; }
hs_status hs_encounter_authority_save(hs_ctx *ctx, const char *public_path,
                                      const char *secret_path, const uint8_t box_public[32],
                                      const uint8_t box_secret[32], const uint8_t sign_public[32],
                                      const uint8_t sign_secret[64])
{
    (void)public_path, (void)secret_path, (void)box_public, (void)box_secret, (void)sign_public,
        (void)sign_secret;
    return NO_SODIUM(ctx);
}
hs_status hs_encounter_authority_load_public(hs_ctx *ctx, uint8_t box_public[32],
                                             uint8_t sign_public[32], const char *path)
{
    (void)box_public, (void)sign_public, (void)path;
    return NO_SODIUM(ctx);
}
hs_status hs_encounter_authority_load_secret(hs_ctx *ctx, uint8_t box_secret[32],
                                             uint8_t sign_secret[64], const char *path)
{
    (void)box_secret, (void)sign_secret, (void)path;
    return NO_SODIUM(ctx);
}
#endif
