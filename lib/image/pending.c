/* PNM and BMP decoders are being written (issue 2); until then these
 * formats are refused with a clear status. */
#include "internal/image.h"

hs_status hs__decode_pnm(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size, uint32_t flags)
{
    (void)data; (void)size; (void)flags;
    *out = NULL;
    return hs__error(ctx, HS_ERR_UNSUPPORTED, "PNM decoding is not available yet");
}

hs_status hs__decode_bmp(hs_ctx *ctx, hs_image **out, const uint8_t *data, size_t size, uint32_t flags)
{
    (void)data; (void)size; (void)flags;
    *out = NULL;
    return hs__error(ctx, HS_ERR_UNSUPPORTED, "BMP decoding is not available yet");
}
