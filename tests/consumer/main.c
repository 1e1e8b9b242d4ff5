#include <hotspot/hotspot.h>
#include <stdio.h>
#include <string.h>

int main(void)
{
    if (hs_version_number() != HS_VERSION_NUMBER ||
        strcmp(hs_version_string(), HS_VERSION_STRING) != 0)
        return 1;
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL) != HS_OK)
        return 1;
    hs_image *img = NULL;
    hs_status s = hs_image_new(ctx, &img, 8, 8, 500, 128);
    int ok = s == HS_OK && hs_image_width(img) == 8 && hs_image_ppi(img) == 500;
    hs_image_free(img);
    hs_ctx_free(ctx);
    printf("consumer: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
