/* Fuzz the audit log readers: hs_audit_view_new (framing, strings) and
 * hs_audit_verify (hash links, signatures, export heads, anchors) on log
 * files and exports. The device key is fixed (seed 0x42...), the one
 * gen_device_seeds signs its seed logs with, so that valid inputs reach
 * the signature and anchor checks. Invariants: a log that verifies can be
 * viewed, with the same number of entries; the view's strings are
 * printable. A log file is also opened for appending (written to a scratch
 * directory, in /dev/shm where there is one): whatever verifies with the
 * fixed key in force at its end opens, takes one more entry and verifies
 * again with one entry more (an incomplete tail cut on open). */
#include <hotspot/hotspot.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64]; /* scratch directory of the open/append part */

static void remove_dir(void)
{
    rmdir(dir);
}

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

    if (size >= 8 && !memcmp(data, "HSAUDIT1", 8)) {
        if (!dir[0]) {
            snprintf(dir, sizeof dir, "%s/hs-fuzz-audit-XXXXXX",
                     access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
            if (!mkdtemp(dir))
                abort();
            atexit(remove_dir);
        }
        char path[128], lock[160];
        snprintf(path, sizeof path, "%s/audit.log", dir);
        snprintf(lock, sizeof lock, "%s.lock", path);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(data, 1, size, f) != size || fclose(f))
            abort();
        hs_audit *a = NULL;
        hs_status so = hs_audit_open(NULL, &a, dir, sk, NULL);
        if (s == HS_OK && !info.exported && !memcmp(info.key_public, pk, 32) && so != HS_OK)
            abort(); /* a log that verifies, with this key in force, opens */
        if (so == HS_OK) {
            hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
            e.event = HS_AUDIT_SEARCH;
            e.time_ms = 1;
            hs_status sa = hs_audit_append(NULL, a, &e);
            hs_audit_close(a);
            if (s == HS_OK) {
                if (sa != HS_OK)
                    abort();
                void *d = NULL;
                size_t n = 0;
                hs_audit_verify_info i2 = HS_AUDIT_VERIFY_INFO_INIT;
                if (hs_file_read(NULL, &d, &n, path) ||
                    hs_audit_verify(NULL, &i2, d, n, pk, &info.head) != HS_OK ||
                    i2.count != info.count + 1 || i2.torn_bytes)
                    abort();
                hs_file_free(NULL, d, n);
            }
        }
        unlink(path);
        unlink(lock);
    }
    return 0;
}
