/* libFuzzer target for the TIFF decoder (see image_fuzz.h). The first byte
 * chooses the byte order, so both little- and big-endian files are reached. */
#include "image_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const int big = size > 0 && data[0] == 'M';
    return hs_fuzz_image(data, size, (const uint8_t *)(big ? "MM\0*" : "II*\0"), 4);
}
