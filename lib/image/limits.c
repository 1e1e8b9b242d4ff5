/* Input bounds shared by the decoders: how many pixels a file of a given
 * size can honestly describe. */
#include "internal/image.h"

hs_status hs__image_check_ratio(hs_ctx *ctx, const char *format, uint64_t w, uint64_t h,
                                uint64_t sample_bits, size_t input_size, uint64_t max_ratio)
{
    /* Raw sample bytes the header promises, against what the file can hold
     * at the format's highest possible compression ratio (plus 4 KiB for
     * headers and tables). A file that promises more is incomplete: it is
     * refused before a single row is allocated, so memory stays bounded by
     * a multiple of the input size and not of what a hostile header asks. */
    uint64_t raw = (w * h * sample_bits + 7) / 8;
    uint64_t can = ((uint64_t)input_size + 4096u) * max_ratio;
    if (raw > can)
        return hs__error(ctx, HS_ERR_TRUNCATED,
                         "%s: header declares %llux%llu (%llu bytes of samples), more than a "
                         "complete file of %zu bytes can hold (at most %llu:1)",
                         format, (unsigned long long)w, (unsigned long long)h,
                         (unsigned long long)raw, input_size, (unsigned long long)max_ratio);
    return HS_OK;
}
