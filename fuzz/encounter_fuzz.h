/* Fixed test keys shared by the encounter fuzz targets and their seed
 * generator (gen_encounter_seeds): derived from constant seeds, so that the
 * generated records verify and decrypt inside the fuzzers. Test keys only. */
#ifndef HOTSPOT_FUZZ_ENCOUNTER_H
#define HOTSPOT_FUZZ_ENCOUNTER_H

#include <hotspot/hotspot.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

typedef struct fz_keys {
    uint8_t box_pk[32], box_sk[32];     /* authority box */
    uint8_t asig_pk[32], asig_sk[64];   /* authority signing */
    uint8_t dev_pk[32], dev_sk[64];     /* the registered device */
    uint8_t dev2_pk[32], dev2_sk[64];   /* a revoked device */
} fz_keys;

static inline void fz_seed(uint8_t seed[32], char tag)
{
    memset(seed, 0, 32);
    memcpy(seed, "hotspot-fuzz-key-", 17);
    seed[17] = (uint8_t)tag;
}

static inline void fz_make_keys(fz_keys *k)
{
    if (sodium_init() < 0)
        abort();
    uint8_t seed[32];
    fz_seed(seed, 'b');
    crypto_box_seed_keypair(k->box_pk, k->box_sk, seed);
    fz_seed(seed, 'a');
    crypto_sign_seed_keypair(k->asig_pk, k->asig_sk, seed);
    fz_seed(seed, 'd');
    crypto_sign_seed_keypair(k->dev_pk, k->dev_sk, seed);
    fz_seed(seed, 'r');
    crypto_sign_seed_keypair(k->dev2_pk, k->dev2_sk, seed);
}

static inline hs_encounter_registry *fz_registry(const fz_keys *k)
{
    hs_encounter_registry *r = NULL;
    if (hs_encounter_registry_new(NULL, &r) || hs_encounter_registry_add(NULL, r, k->dev_pk, "dev") ||
        hs_encounter_registry_add(NULL, r, k->dev2_pk, "lost") ||
        hs_encounter_registry_revoke(NULL, r, k->dev2_pk))
        abort();
    return r;
}

#endif
