/* libFuzzer target for the JPEG 2000 decoder (OpenJPEG behind our checks;
 * see image_fuzz.h). An input starting with 0x00 is read as a JP2 file,
 * anything else as a raw J2K codestream. Seeds: files made by our own
 * encoder (gen_codec_seeds). */
#include "image_fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size && data[0] == 0)
        return hs_fuzz_image(data, size, (const uint8_t *)"\0\0\0\x0cjP  \r\n\x87\n", 12);
    return hs_fuzz_image(data, size, (const uint8_t *)"\xff\x4f\xff\x51", 4);
}
