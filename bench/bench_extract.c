/* Fingerprint extraction speed on the eight FVC2002/2004 B sets: median
 * thread CPU milliseconds per image (decoding excluded), minutia counts,
 * quality and failures (error, no minutiae or quality 0).
 * Usage: bench_extract [SET...]   (default: all eight sets) */
#include "benchutil.h"

#include <hotspot/hotspot.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    const char *root = bu_shared_root();
    hs_finger_extractor *ex;
    if (hs_finger_extractor_new(NULL, &ex) != HS_OK)
        return 1;
    printf("%-14s %6s %9s %9s %9s %8s %8s\n", "set", "images", "median_ms", "p90_ms",
           "minutiae", "quality", "failures");
    int total_fail = 0, total = 0, sets = 0;
    double all[640];
    int nall = 0;
    for (int s = 0; s < 8; s++) {
        const bu_fvc_set *set = &bu_fvc_sets[s];
        if (argc > 1) {
            int want = 0;
            for (int a = 1; a < argc; a++)
                want |= !strcmp(argv[a], set->name);
            if (!want)
                continue;
        }
        double ms[80];
        int n = 0, fail = 0;
        double mins = 0, qual = 0;
        for (int f = 101; f <= 110; f++)
            for (int i = 1; i <= 8; i++) {
                char path[1024];
                snprintf(path, sizeof path, "%s/fingerprint/%s/%d_%d.tif", root, set->name, f, i);
                hs_image *img;
                if (hs_image_load(NULL, &img, path, 0) != HS_OK)
                    continue;
                hs_image_set_ppi(img, set->ppi);
                hs_template *t = NULL;
                double t0 = bu_thread_cpu_ms();
                hs_status st = hs_finger_extract(NULL, &t, ex, img);
                double dt = bu_thread_cpu_ms() - t0;
                ms[n++] = dt;
                if (nall < 640)
                    all[nall++] = dt;
                hs_view_info info;
                memset(&info, 0, sizeof info);
                info.struct_size = sizeof info;
                if (st == HS_OK)
                    hs_template_view_info(t, &info, 0);
                if (st != HS_OK || info.minutia_count == 0 || info.quality == 0) {
                    fail++;
                    printf("  failed: %s (%s)\n", path, hs_status_str(st));
                }
                mins += info.minutia_count;
                qual += info.quality;
                hs_template_free(t);
                hs_image_free(img);
            }
        if (!n) {
            printf("%-14s absent under %s/fingerprint\n", set->name, root);
            continue;
        }
        double med = bu_median(ms, (size_t)n);
        double p90 = ms[(n * 9) / 10 < n ? (n * 9) / 10 : n - 1];
        printf("%-14s %6d %9.2f %9.2f %9.1f %8.1f %8d\n", set->name, n, med, p90, mins / n,
               qual / n, fail);
        total += n;
        total_fail += fail;
        sets++;
    }
    if (sets)
        printf("%-14s %6d %9.2f %9s %9s %8s %8d\n", "all", total, bu_median(all, (size_t)nall),
               "", "", "", total_fail);
    hs_finger_extractor_free(ex);
    return 0;
}
