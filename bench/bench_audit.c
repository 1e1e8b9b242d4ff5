/* The device's audit log: durable append latency (write + fdatasync, the
 * file lock taken and released per append, as hs_audit_append does), open
 * of an existing log, export and verification per entry; and the encrypted
 * watchlist save/load against the plain ones.
 *
 *   build/bench/bench_audit [N_APPENDS] [DIR]
 *
 * Prints the median, p90, p99 and maximum append latency, the open time
 * (quick, from the last entry; and after a crash, from the start), export,
 * verify and view times per entry, and encrypted against plain list saves
 * and loads (medians of 5).
 *
 * DIR (default: a new directory under /tmp) should be on the device's real
 * storage: fdatasync dominates and depends on it entirely. */
#include "benchutil.h"

#include <hotspot/hotspot.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(hs_ctx *ctx, hs_status s, const char *what)
{
    if (s) {
        fprintf(stderr, "bench_audit: %s: %s: %s\n", what, hs_status_str(s),
                hs_ctx_last_error(ctx));
        exit(1);
    }
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 500;
    if (n < 10)
        n = 10;
    char dir[512];
    if (argc > 2) {
        snprintf(dir, sizeof dir, "%s", argv[2]);
        mkdir(dir, 0700);
    } else {
        snprintf(dir, sizeof dir, "/tmp/hs-bench-audit-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            return 1;
        }
    }
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL))
        return 1;
    uint8_t pk[32], sk[64], key[32];
    check(ctx, hs_device_keygen(pk, sk, key), "keygen");
    char path[700];
    snprintf(path, sizeof path, "%s/%s", dir, HS_AUDIT_FILE_NAME);
    unlink(path);

    hs_audit *a;
    double t0 = bu_wall_ms();
    check(ctx, hs_audit_open(ctx, &a, dir, sk, NULL), "open (create)");
    double create_ms = bu_wall_ms() - t0;
    double *lat = malloc((size_t)n * sizeof *lat);
    t0 = bu_wall_ms();
    for (int i = 0; i < n; i++) {
        hs_audit_entry e = HS_AUDIT_ENTRY_INIT;
        e.event = HS_AUDIT_SEARCH;
        e.operator_id = "officer-0042";
        e.ref = "list version 1765000000";
        e.decision = i % 3 == 0;
        e.count = (uint32_t)(i % 10);
        e.detail = "checkpoint A7, lane 2";
        double t = bu_wall_ms();
        check(ctx, hs_audit_append(ctx, a, &e), "append");
        lat[i] = bu_wall_ms() - t;
    }
    double total = bu_wall_ms() - t0;
    hs_audit_close(a);
    double med = bu_median(lat, (size_t)n);
    double p90 = lat[(size_t)n * 9 / 10], p99 = lat[(size_t)n * 99 / 100], mx = lat[n - 1];

    t0 = bu_wall_ms();
    check(ctx, hs_audit_open(ctx, &a, dir, sk, NULL), "open (existing)");
    double open_ms = bu_wall_ms() - t0;
    hs_audit_close(a);
    /* open after a crash: one stray byte after the last entry makes open
     * read the log from the start and cut it */
    FILE *f = fopen(path, "ab");
    if (!f || fputc(0x55, f) == EOF || fclose(f))
        return 1;
    t0 = bu_wall_ms();
    check(ctx, hs_audit_open(ctx, &a, dir, sk, NULL), "open (torn tail)");
    double scan_ms = bu_wall_ms() - t0;
    size_t xs = 0;
    t0 = bu_wall_ms();
    check(ctx, hs_audit_export(ctx, NULL, &xs, a, 0, UINT64_MAX), "export size");
    uint8_t *x = malloc(xs);
    check(ctx, hs_audit_export(ctx, x, &xs, a, 0, UINT64_MAX), "export");
    double export_ms = bu_wall_ms() - t0;
    hs_audit_close(a);

    void *d;
    size_t ds;
    check(ctx, hs_file_read(ctx, &d, &ds, path), "read");
    double v[5];
    for (int r = 0; r < 5; r++) {
        t0 = bu_wall_ms();
        check(ctx, hs_audit_verify(ctx, NULL, d, ds, pk, NULL), "verify");
        v[r] = bu_wall_ms() - t0;
    }
    double verify_ms = bu_median(v, 5);
    hs_audit_view *view;
    for (int r = 0; r < 5; r++) {
        t0 = bu_wall_ms();
        check(ctx, hs_audit_view_new(ctx, &view, d, ds), "view");
        v[r] = bu_wall_ms() - t0;
        hs_audit_view_free(view);
    }
    double view_ms = bu_median(v, 5);

    printf("audit log, %d entries of %zu bytes on average, in %s\n", n,
           (ds - 72) / (size_t)n, dir);
    printf("  append (durable: lock, write, fdatasync): median %.3f ms, p90 %.3f, p99 %.3f, "
           "max %.3f; %.0f appends/s in a row\n",
           med, p90, p99, mx, n / (total / 1000.0));
    printf("  create %.2f ms; open an existing log of %d entries %.2f ms (from its last entry); "
           "after a crash (read from the start, tail cut) %.2f ms (%.2f us/entry)\n",
           create_ms, n, open_ms, scan_ms, 1000.0 * scan_ms / n);
    printf("  export %.2f ms; verify %.2f ms (%.1f us/entry); view %.2f ms (%.2f us/entry)\n",
           export_ms, verify_ms, 1000.0 * verify_ms / n, view_ms, 1000.0 * view_ms / n);

    /* encrypted list against the plain one: 2000 subjects with a face */
    hs_watchlist *wl;
    check(ctx, hs_watchlist_new(ctx, &wl), "list");
    float emb[512];
    for (int k = 0; k < 2000; k++) {
        hs_watchlist_subject *s;
        char id[32];
        snprintf(id, sizeof id, "S-%06d", k);
        check(ctx, hs_watchlist_subject_new(ctx, &s, id), "subject");
        for (int i = 0; i < 512; i++)
            emb[i] = (float)((i * 31 + k * 17) % 97) - 48.0f + 0.5f;
        check(ctx, hs_watchlist_subject_add_face(ctx, s, emb, 512, 0), "face");
        check(ctx, hs_watchlist_add(ctx, wl, s), "add");
        hs_watchlist_subject_free(s);
    }
    char lp[700], ep[700];
    snprintf(lp, sizeof lp, "%s/list.hswl", dir);
    snprintf(ep, sizeof ep, "%s/list.enc", dir);
    double ps[5], es[5], pl[5], el[5];
    for (int r = 0; r < 5; r++) {
        hs_watchlist *b;
        t0 = bu_wall_ms();
        check(ctx, hs_watchlist_save(ctx, lp, wl), "save");
        ps[r] = bu_wall_ms() - t0;
        t0 = bu_wall_ms();
        check(ctx, hs_watchlist_save_encrypted(ctx, ep, wl, key, 0), "save encrypted");
        es[r] = bu_wall_ms() - t0;
        t0 = bu_wall_ms();
        check(ctx, hs_watchlist_load(ctx, &b, lp), "load");
        pl[r] = bu_wall_ms() - t0;
        hs_watchlist_free(b);
        t0 = bu_wall_ms();
        check(ctx, hs_watchlist_load_encrypted(ctx, &b, ep, key), "load encrypted");
        el[r] = bu_wall_ms() - t0;
        hs_watchlist_free(b);
    }
    struct stat st;
    stat(ep, &st);
    printf("watchlist of 2000 subjects (%.1f MB): save %.1f ms plain, %.1f ms encrypted; "
           "load %.1f ms plain, %.1f ms encrypted (medians of 5)\n",
           (double)st.st_size / 1e6, bu_median(ps, 5), bu_median(es, 5), bu_median(pl, 5),
           bu_median(el, 5));
    hs_watchlist_free(wl);
    hs_file_free(ctx, d, ds);
    free(x);
    free(lat);
    unlink(lp);
    unlink(ep);
    unlink(path);
    char lock[720];
    snprintf(lock, sizeof lock, "%s.lock", path);
    unlink(lock);
    if (argc <= 2)
        rmdir(dir);
    hs_ctx_free(ctx);
    return 0;
}
