/* libFuzzer target: template decoding of ISO/IEC 19794-2:2005 and :2011 records. */
#include "fuzz_template_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_fmr_target(data, size, HS_TEMPLATE_FORMAT_ISO19794_2_2005, HS_TEMPLATE_FORMAT_ISO19794_2_2011);
    return 0;
}
