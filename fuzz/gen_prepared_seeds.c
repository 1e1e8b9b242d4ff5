/* Writes the seed corpus of fuzz_prepared from synthetic minutiae (no real
 * biometric data). Build and run from the source tree:
 *   cc -Iinclude fuzz/gen_prepared_seeds.c build/libhotspot.a -lpng -ljpeg \
 *      -ltiff -lsodium -lm -lpthread -o /tmp/gen && /tmp/gen fuzz/corpus/fuzz_prepared
 */
#include <hotspot/hotspot.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int write_seed(const char *dir, const char *name, int n, unsigned seed)
{
    hs_minutia m[64];
    memset(m, 0, sizeof m);
    for (int i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        m[i].x = (float)(50 + (seed >> 8) % 250);
        seed = seed * 1664525u + 1013904223u;
        m[i].y = (float)(50 + (seed >> 8) % 300);
        seed = seed * 1664525u + 1013904223u;
        m[i].angle = (float)((seed >> 8) % 628) / 100.0f;
        m[i].type = (uint8_t)(1 + i % 2);
        m[i].quality = 50;
    }
    hs_template *t = NULL;
    hs_view_info vi = {sizeof vi, 400, 400, 500, 500, 2, 0, 0, 60, 0};
    hs_finger_prepared *p = NULL;
    if (hs_template_new(NULL, &t) || hs_template_add_view(NULL, t, &vi, m, (uint32_t)n) ||
        hs_finger_prepare(NULL, &p, t, 0))
        return 1;
    size_t size = 0;
    hs_finger_prepared_encode(NULL, NULL, &size, p);
    unsigned char *buf = malloc(size);
    hs_finger_prepared_encode(NULL, buf, &size, p);
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    fwrite(buf, 1, size, f);
    fclose(f);
    free(buf);
    hs_finger_prepared_free(p);
    hs_template_free(t);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    return write_seed(argv[1], "empty.hsfp", 0, 1) || write_seed(argv[1], "two.hsfp", 2, 2) ||
           write_seed(argv[1], "twelve.hsfp", 12, 3) || write_seed(argv[1], "forty.hsfp", 40, 4);
}
