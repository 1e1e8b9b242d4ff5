/* hotspot image-info [--json] [--] FILE...
 *
 * Prints format, size, colour type, bit depth and resolution of each image.
 * A file that cannot be read or decoded is named on stderr and makes the
 * exit code 1; the other files are still reported (in JSON as an entry with
 * an "error" member). */
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

static void usage(FILE *f)
{
    fprintf(f, "usage: hotspot image-info [--json] [--] FILE...\n"
               "Print format, size, colour type, bits per sample and resolution (ppi,\n"
               "0 or 'unknown' when the file does not say) of each image file.\n"
               "Formats: PNG, JPEG, TIFF, PGM/PPM/PBM, BMP (detected by content).\n"
               "Exit codes: 0 all files read, 1 some file failed, 2 usage error.\n");
}

int cmd_image_info(int argc, char **argv)
{
    int json, failed = 0;
    int rc = cli_file_args(argc, argv, "image-info", usage, "no image files given", &json);
    if (rc >= 0)
        return rc;
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    if (json)
        printf("[");
    int first = 1;
    int pos = 1, opts_done = 0;
    const char *a;
    while ((a = cli_next_file(argc, argv, &pos, &opts_done)) != NULL) {
        hs_image *img;
        hs_ctx_clear_error(ctx);
        hs_status s = hs_image_load(ctx, &img, a, 0);
        if (s) {
            cli_error(ctx, s, a);
            failed++;
            if (json) {
                cli_json_error(ctx, s, a, first);
                first = 0;
            }
            continue;
        }
        hs_image_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        hs_image_get_info(img, &info);
        if (json) {
            printf("%s\n {\"path\": ", first ? "" : ",");
            cli_json_str(stdout, a);
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
            printf("%s: %s %ux%u %s %u-bit, %s\n", a, hs_image_format_name(info.format),
                   info.width, info.height, color_name(info.color), info.bits_per_sample, ppi);
        }
        first = 0;
        hs_image_free(img);
    }
    if (json)
        printf("\n]\n");
    hs_ctx_free(ctx);
    if (fflush(stdout) != 0) {
        fprintf(stderr, "hotspot: image-info: cannot write output\n");
        return CLI_ERR;
    }
    return failed ? CLI_ERR : CLI_OK;
}
