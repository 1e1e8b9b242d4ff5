/* Fuzz the HSFE face embedding record decoder: whatever it accepts must be
 * a finite unit vector that encodes back (as float32) and decodes to the
 * same values; the decoded vector must also survive a gallery round trip. */
#include <hotspot/hotspot.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static float v[HS_FACE_MAX_DIM], w[HS_FACE_MAX_DIM];
    uint32_t dim = 0, model = 0;
    if (hs_face_embedding_decode(NULL, NULL, 0, &dim, &model, data, size) != HS_OK)
        return 0;
    if (hs_face_embedding_decode(NULL, v, HS_FACE_MAX_DIM, &dim, &model, data, size) != HS_OK)
        abort();
    double n = 0;
    for (uint32_t i = 0; i < dim; i++) {
        if (!isfinite(v[i]))
            abort();
        n += (double)v[i] * v[i];
    }
    if (fabs(n - 1) > 1e-3)
        abort();
    uint8_t buf[12 + 4 * HS_FACE_MAX_DIM + 4];
    size_t m = sizeof buf;
    uint32_t d2 = 0, m2 = 0;
    if (hs_face_embedding_encode(NULL, buf, &m, v, dim, model, HS_FACE_ENC_F32) != HS_OK ||
        hs_face_embedding_decode(NULL, w, HS_FACE_MAX_DIM, &d2, &m2, buf, m) != HS_OK ||
        d2 != dim || m2 != model)
        abort();
    for (uint32_t i = 0; i < dim; i++)
        if (fabsf(v[i] - w[i]) > 1e-5f)
            abort();
    hs_face_gallery *g = NULL;
    hs_face_hit hit;
    uint32_t count = 0;
    if (hs_face_gallery_new(NULL, &g, dim) != HS_OK || hs_face_gallery_add(NULL, g, 7, v, dim) ||
        hs_face_gallery_search(NULL, &hit, 1, &count, g, v, dim, NULL) != HS_OK || count != 1 ||
        hit.label != 7)
        abort();
    hs_face_gallery_free(g);
    return 0;
}
