/* Template codec speed on the 640 SecuGen ISO 19794-2:2005 templates: thread
 * CPU microseconds per template (median over 20 passes of the whole set) to
 * decode ISO, encode ISO, encode native and decode native, and the encoded
 * sizes. Usage: bench_template */
#include "benchutil.h"

#include <dirent.h>
#include <hotspot/hotspot.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXT 640
#define PASSES 20

static uint8_t *read_all(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(sz > 0 ? (size_t)sz : 1);
    if (b && sz > 0 && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        free(b);
        b = NULL;
    }
    fclose(f);
    *n = sz > 0 ? (size_t)sz : 0;
    return b;
}

int main(void)
{
    static uint8_t *iso[MAXT], *hst[MAXT];
    static size_t iso_n[MAXT], hst_n[MAXT];
    static hs_template *tpl[MAXT];
    size_t count = 0, iso_bytes = 0, hst_bytes = 0;
    char dir[1024];
    for (int s = 0; s < 8 && count < MAXT; s++) {
        snprintf(dir, sizeof dir, "%s/fingerprint/iso19794-2-secugen/%s", bu_shared_root(),
                 bu_fvc_sets[s].name);
        DIR *d = opendir(dir);
        if (!d)
            continue;
        struct dirent *e;
        while ((e = readdir(d)) && count < MAXT) {
            size_t l = strlen(e->d_name);
            if (l < 4 || strcmp(e->d_name + l - 4, ".iso"))
                continue;
            char path[1400];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            iso[count] = read_all(path, &iso_n[count]);
            if (iso[count])
                iso_bytes += iso_n[count++];
        }
        closedir(d);
    }
    if (!count) {
        printf("SKIP: no SecuGen templates under %s\n", bu_shared_root());
        return 0;
    }
    for (size_t i = 0; i < count; i++) {
        if (hs_template_decode(NULL, &tpl[i], NULL, iso[i], iso_n[i]) != HS_OK)
            return 1;
        hs_template_encode(NULL, NULL, &hst_n[i], tpl[i], HS_TEMPLATE_FORMAT_HST);
        hst[i] = malloc(hst_n[i]);
        hs_template_encode(NULL, hst[i], &hst_n[i], tpl[i], HS_TEMPLATE_FORMAT_HST);
        hst_bytes += hst_n[i];
    }
    const char *names[4] = {"decode iso", "encode iso", "encode hst", "decode hst"};
    double med[4];
    static uint8_t out[1 << 16];
    for (int op = 0; op < 4; op++) {
        double v[PASSES];
        for (int p = 0; p < PASSES; p++) {
            double t0 = bu_thread_cpu_ms();
            for (size_t i = 0; i < count; i++) {
                hs_template *t = NULL;
                size_t n = sizeof out;
                switch (op) {
                case 0: hs_template_decode(NULL, &t, NULL, iso[i], iso_n[i]); break;
                case 1: hs_template_encode(NULL, out, &n, tpl[i], HS_TEMPLATE_FORMAT_ISO19794_2_2005); break;
                case 2: hs_template_encode(NULL, out, &n, tpl[i], HS_TEMPLATE_FORMAT_HST); break;
                default: hs_template_decode(NULL, &t, NULL, hst[i], hst_n[i]); break;
                }
                hs_template_free(t);
            }
            v[p] = (bu_thread_cpu_ms() - t0) * 1000.0 / (double)count;
        }
        med[op] = bu_median(v, PASSES);
    }
    printf("%zu templates, mean size: iso %.0f bytes, hst %.0f bytes\n", count,
           (double)iso_bytes / (double)count, (double)hst_bytes / (double)count);
    for (int op = 0; op < 4; op++)
        printf("%-11s %8.2f us/template\n", names[op], med[op]);
    for (size_t i = 0; i < count; i++) {
        hs_template_free(tpl[i]);
        free(iso[i]);
        free(hst[i]);
    }
    return 0;
}
