/* Seeds of fuzz_audit and fuzz_watchlist_encrypted, made by the library
 * with fixed keys (the fuzzers know them): an audit log of a few entries
 * of every kind, with a key change, its torn form, an export and an
 * incremental export; an encrypted list of three subjects. Written to
 * DIR/fuzz_audit/ and DIR/fuzz_watchlist_encrypted/ (test
 * fuzz_device_seeds). */
#include <hotspot/hotspot.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void put(const char *dir, const char *sub, const char *name, const void *d, size_t n)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, sub);
    mkdir(dir, 0755);
    mkdir(p, 0755);
    snprintf(p, sizeof p, "%s/%s/%s", dir, sub, name);
    FILE *f = fopen(p, "wb");
    if (!f || fwrite(d, 1, n, f) != n || fclose(f)) {
        fprintf(stderr, "cannot write %s\n", p);
        exit(1);
    }
}

static void check(hs_status s, const char *what)
{
    if (s) {
        fprintf(stderr, "gen_device_seeds: %s: %s\n", what, hs_status_str(s));
        exit(1);
    }
}

static uint8_t seed_pk[32]; /* the key of the first entry */

static void export(hs_audit *a, uint64_t from, const char *dir, const char *name)
{
    size_t n = 0;
    check(hs_audit_export(NULL, NULL, &n, a, from, UINT64_MAX), "export size");
    uint8_t *x = malloc(n);
    check(hs_audit_export(NULL, x, &n, a, from, UINT64_MAX), "export");
    put(dir, "fuzz_audit", name, x, n);
    hs_audit_verify_info v = HS_AUDIT_VERIFY_INFO_INIT;
    check(hs_audit_verify(NULL, &v, x, n, seed_pk, NULL), "verify export");
    free(x);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen_device_seeds DIR\n");
        return 2;
    }
    const char *dir = argv[1];
    if (sodium_init() < 0)
        return 1;
    uint8_t seed[32], pk[32], sk[64], seed2[32], pk2[32], sk2[64];
    memset(seed, 0x42, 32);
    memset(seed2, 0x43, 32);
    crypto_sign_seed_keypair(pk, sk, seed);
    crypto_sign_seed_keypair(pk2, sk2, seed2);
    memcpy(seed_pk, pk, 32);

    char work[1024];
    snprintf(work, sizeof work, "%s/audit-work", dir);
    mkdir(dir, 0755);
    mkdir(work, 0700);
    char logp[1100];
    snprintf(logp, sizeof logp, "%s/%s", work, HS_AUDIT_FILE_NAME);
    remove(logp);
    hs_audit *a;
    check(hs_audit_open(NULL, &a, work, sk, NULL), "open");
    for (uint32_t ev = 1; ev <= 8; ev++) {
        hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
        e.event = ev;
        e.time_ms = 1765000000000LL + ev;
        e.operator_id = ev % 2 ? "officer-12" : NULL;
        e.ref = ev == 1 ? "list-v42" : ev == 3 ? "0123456789abcdef" : NULL;
        e.decision = ev == 1 ? 2 : -1;
        e.count = ev;
        e.detail = ev == 8 ? "storage key refused" : NULL;
        if (ev == 7)
            continue;
        check(hs_audit_append(NULL, a, &e), "append");
    }
    export(a, 0, dir, "export-full");
    /* a key change to the second key, then one entry signed by it */
    char ref[80] = "ed25519:";
    for (int i = 0; i < 32; i++)
        snprintf(ref + 8 + 2 * i, 3, "%02x", pk2[i]);
    hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
    e.event = HS_AUDIT_KEY_CHANGE;
    e.time_ms = 1765000000100LL;
    e.ref = ref;
    check(hs_audit_append(NULL, a, &e), "key change");
    hs_audit_close(a);
    check(hs_audit_open(NULL, &a, work, sk2, NULL), "reopen");
    e = (hs_audit_entry)HS_AUDIT_ENTRY_INIT;
    e.event = HS_AUDIT_SEARCH;
    e.time_ms = 1765000000200LL;
    e.detail = "Gr\xc3\xbc\xc3\x9f" "e";
    check(hs_audit_append(NULL, a, &e), "append 2");
    export(a, 7, dir, "export-incremental");
    hs_audit_close(a);
    void *d;
    size_t n;
    check(hs_file_read(NULL, &d, &n, logp), "read log");
    put(dir, "fuzz_audit", "log", d, n);
    check(hs_audit_verify(NULL, NULL, d, n, pk, NULL), "verify log");
    put(dir, "fuzz_audit", "log-torn", d, n - 30);
    put(dir, "fuzz_audit", "log-header", d, 72);
    hs_file_free(NULL, d, n);
    remove(logp);
    char lockp[1200];
    snprintf(lockp, sizeof lockp, "%s.lock", logp);
    remove(lockp);
    rmdir(work);

    /* the encrypted list */
    hs_watchlist *wl;
    check(hs_watchlist_new(NULL, &wl), "list");
    for (int i = 0; i < 3; i++) {
        char id[8] = {'S', (char)('0' + i), 0};
        hs_watchlist_subject *s;
        check(hs_watchlist_subject_new(NULL, &s, id), "subject");
        float f[4] = {1.0f, (float)i, 0.0f, 0.5f};
        check(hs_watchlist_subject_add_face(NULL, s, f, 4, 0), "face");
        check(hs_watchlist_add(NULL, wl, s), "add");
        hs_watchlist_subject_free(s);
    }
    uint8_t key[32];
    memset(key, 0x24, 32);
    char encp[1100];
    snprintf(encp, sizeof encp, "%s/list.enc", dir);
    check(hs_watchlist_save_encrypted(NULL, encp, wl, key, 0), "save encrypted");
    hs_watchlist_free(wl);
    check(hs_file_read(NULL, &d, &n, encp), "read list");
    put(dir, "fuzz_watchlist_encrypted", "list", d, n);
    put(dir, "fuzz_watchlist_encrypted", "header", d, 48);
    hs_file_free(NULL, d, n);
    remove(encp);
    return 0;
}
