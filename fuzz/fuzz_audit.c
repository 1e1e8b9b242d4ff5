/* Fuzz the audit log readers: hs_audit_view_new (framing, strings) and
 * hs_audit_verify (hash links, signatures, export heads, anchors) on log
 * files and exports. The device key is fixed (seed 0x42...), the one
 * gen_device_seeds signs its seed logs with, so that valid inputs reach
 * the signature and anchor checks. Invariants: a log that verifies can be
 * viewed, with the same number of entries; the view's strings are
 * printable. */
#include <hotspot/hotspot.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t seed[32], pk[32], sk[64];
    memset(seed, 0x42, sizeof seed);
    if (sodium_init() < 0)
        abort();
    crypto_sign_seed_keypair(pk, sk, seed);

    hs_audit_view *v = NULL;
    hs_status sv = hs_audit_view_new(NULL, &v, data, size);
    uint64_t n = hs_audit_view_count(v);
    for (uint64_t i = 0; i < n; i++) {
        hs_audit_record r = HS_AUDIT_RECORD_INIT;
        if (hs_audit_view_entry(NULL, &r, v, i) != HS_OK)
            abort();
        const char *s[3] = {r.operator_id, r.ref, r.detail};
        for (int k = 0; k < 3; k++)
            for (const char *p = s[k]; p && *p; p++)
                if ((unsigned char)*p < 0x20 || *p == 0x7f)
                    abort();
        (void)hs_audit_event_name(r.event);
    }

    hs_audit_verify_info info = HS_AUDIT_VERIFY_INFO_INIT;
    hs_status s = hs_audit_verify(NULL, &info, data, size, pk, NULL);
    if (s == HS_OK && (sv != HS_OK || n != info.count))
        abort();
    /* against an anchor at the middle of what verified, and one past it */
    if (s == HS_OK) {
        hs_audit_head a = info.head;
        if (hs_audit_verify(NULL, NULL, data, size, pk, &a) != HS_OK)
            abort();
        a.count++;
        if (hs_audit_verify(NULL, NULL, data, size, pk, &a) == HS_OK)
            abort();
    }
    hs_audit_view_free(v);
    return 0;
}
