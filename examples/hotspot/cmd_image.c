/* hotspot image-info FILE... [--json] [--ppi N] */
#include "cli.h"

#include <string.h>

static const char *color_name(uint32_t c)
{
    switch (c) {
    case HS_IMAGE_COLOR_GREY: return "grey";
    case HS_IMAGE_COLOR_PALETTE: return "palette";
    case HS_IMAGE_COLOR_RGB: return "rgb";
    case HS_IMAGE_COLOR_GREY_ALPHA: return "grey+alpha";
    case HS_IMAGE_COLOR_RGB_ALPHA: return "rgb+alpha";
    default: return "unknown";
    }
}

int cmd_image_info(int argc, char **argv)
{
    int json = 0, nfiles = 0, failed = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = 1;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("image-info", "unknown option %s", argv[i]);
        else
            nfiles++;
    }
    if (!nfiles)
        return cli_usage("image-info", "no image files given");
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    if (json)
        printf("[");
    int first = 1;
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] == '-' && argv[i][1])
            continue;
        hs_image *img;
        hs_status s = hs_image_load(ctx, &img, argv[i], 0);
        if (s) {
            cli_error(ctx, s, argv[i]);
            failed++;
            continue;
        }
        hs_image_info info = {sizeof info, 0, 0, 0, 0, 0, 0, 0};
        hs_image_get_info(img, &info);
        if (json) {
            printf("%s\n {\"path\": ", first ? "" : ",");
            cli_json_str(stdout, argv[i]);
            printf(", \"format\": \"%s\", \"width\": %u, \"height\": %u, \"ppi\": %u, "
                   "\"color\": \"%s\", \"bits\": %u}",
                   hs_image_format_name(info.format), info.width, info.height, info.ppi,
                   color_name(info.color), info.bits_per_sample);
        } else {
            char ppi[32];
            if (info.ppi)
                snprintf(ppi, sizeof ppi, "%u ppi", info.ppi);
            else
                snprintf(ppi, sizeof ppi, "ppi unknown");
            printf("%s: %s %ux%u %s %u-bit, %s\n", argv[i], hs_image_format_name(info.format),
                   info.width, info.height, color_name(info.color), info.bits_per_sample, ppi);
        }
        first = 0;
        hs_image_free(img);
    }
    if (json)
        printf("\n]\n");
    hs_ctx_free(ctx);
    return failed ? CLI_ERR : CLI_OK;
}
