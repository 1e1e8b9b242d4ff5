/* Byte layouts of lib/encounter (docs/encounter-format.md). Never installed. */
#ifndef HOTSPOT_INTERNAL_ENCOUNTER_WIRE_H
#define HOTSPOT_INTERNAL_ENCOUNTER_WIRE_H

#include "internal/encounter.h"

#define HS__ENC_VERSION 1
#define HS__ENC_RECORD_MAGIC "HSEN"     /* sealed record */
#define HS__ENC_PLAIN_MAGIC "HSEP"      /* plaintext inside it */
#define HS__ENC_BATCH_MAGIC "HSEB"      /* batch file */
#define HS__ACK_MAGIC "HSEA"            /* acknowledgement */
#define HS__SEEN_MAGIC "HSES"           /* the centre's seen-ids file */
#define HS__AUTH_PUBLIC_MAGIC "HSAUTHP1" /* authority public key file */
#define HS__AUTH_SECRET_MAGIC "HSAUTHS1" /* authority secret key file */

/* magic 4, version 2, header size 2, id 16, time 8, device key 32,
 * decision 4, candidate count 4, shown length 1 (then the shown text) */
#define HS__ENC_HEADER_FIXED 73
#define HS__ENC_SIG 64        /* Ed25519 signature */
#define HS__ENC_SEALBYTES 48  /* crypto_box_SEALBYTES: ephemeral key + MAC */
#define HS__ENC_PLAIN_MAX ((size_t)1 << 31) /* bytes of a transaction / plaintext */
/* magic 4, version 2, reserved 2, nonce 16, time 8, device 32, count 4 */
#define HS__ACK_FIXED 68
#define HS__BATCH_HEADER 12   /* magic 4, version 2, reserved 2, count 4 */

typedef struct hs__enc_header {
    uint8_t id[HS_ENCOUNTER_ID_BYTES];
    int64_t time_ms;
    uint8_t device_public[32];
    int32_t decision;
    uint32_t candidate_count;
    char shown[HS_ENCOUNTER_SHOWN_MAX + 1];
    const uint8_t *cipher;
    size_t cipher_size;
    size_t signed_size; /* bytes covered by the signature */
    const uint8_t *sig;
} hs__enc_header;

/* Parse the plain header and framing of a sealed record (no signature check). */
hs_status hs__enc_parse_header(hs_ctx *ctx, hs__enc_header *h, const uint8_t *p, size_t size);
/* Check the device signature of a parsed record. */
hs_status hs__enc_verify(hs_ctx *ctx, const hs__enc_header *h, const uint8_t *p);
/* Copy a parsed header into a caller's receipt (versioned struct). */
hs_status hs__enc_receipt_out(hs_ctx *ctx, hs_encounter_receipt *receipt, const hs__enc_header *h);

/* The plaintext: write (a counting or pre-sized writer) and read (into a
 * fresh encounter; *tx points into p). */
void hs__enc_write_plain(hs__writer *w, const hs_encounter *e, const uint8_t device_public[32],
                         const uint8_t *tx, size_t tx_size);
hs_status hs__enc_read_plain(hs_ctx *ctx, hs_encounter *e, uint8_t device_public[32],
                             const uint8_t **tx, size_t *tx_size, const uint8_t *p, size_t size);

#endif
