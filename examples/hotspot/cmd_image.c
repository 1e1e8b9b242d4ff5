/* hotspot image-info [--json] [--] FILE...       (also: hotspot image info)
 * hotspot image convert [--bitrate R] [--ppi N] [--lossy RATIO] [--quality Q] IN OUT
 *
 * image-info prints format, size, colour type, bit depth and resolution of
 * each image, and for compressed formats (WSQ, JPEG 2000, JPEG) the file
 * size, bit rate and compression ratio. A file that cannot be read or
 * decoded is named on stderr and makes the exit code 1; the other files are
 * still reported (in JSON as an entry with an "error" member).
 *
 * image convert decodes IN (any format read) and writes its grey plane to
 * OUT in the format of OUT's extension (.wsq .jp2 .j2k .png .pgm .bmp .jpg). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
               "0 or 'unknown' when the file does not say) of each image file; for\n"
               "WSQ, JPEG 2000 and JPEG also the file size, bits per pixel and the\n"
               "compression ratio against 8-bit grey.\n"
               "Formats: PNG, JPEG, TIFF, PGM/PPM/PBM, BMP, WSQ, JPEG 2000 (detected by\n"
               "content).\n"
               "Exit codes: 0 all files read, 1 some file failed, 2 usage error.\n");
}

static int compressed(uint32_t format)
{
    return format == HS_IMAGE_FORMAT_WSQ || format == HS_IMAGE_FORMAT_JP2 ||
           format == HS_IMAGE_FORMAT_JPEG;
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
        struct stat st;
        double bytes = stat(a, &st) == 0 ? (double)st.st_size : 0.0;
        double pixels = (double)info.width * info.height;
        double bpp = bytes * 8.0 / pixels, ratio = bytes > 0 ? pixels / bytes : 0.0;
        if (json) {
            printf("%s\n {\"path\": ", first ? "" : ",");
            cli_json_str(stdout, a);
            printf(", \"format\": \"%s\", \"width\": %u, \"height\": %u, \"ppi\": %u, "
                   "\"color\": \"%s\", \"bits\": %u, \"bytes\": %.0f, \"bpp\": %.3f, "
                   "\"ratio\": %.2f}",
                   hs_image_format_name(info.format), info.width, info.height, info.ppi,
                   color_name(info.color), info.bits_per_sample, bytes, bpp, ratio);
        } else {
            char ppi[32], extra[96] = "";
            if (info.ppi)
                snprintf(ppi, sizeof ppi, "%u ppi", info.ppi);
            else
                snprintf(ppi, sizeof ppi, "ppi unknown");
            if (compressed(info.format))
                snprintf(extra, sizeof extra, ", %.0f bytes, %.3f bpp, %.1f:1", bytes, bpp,
                         ratio);
            printf("%s: %s %ux%u %s %u-bit, %s%s\n", a, hs_image_format_name(info.format),
                   info.width, info.height, color_name(info.color), info.bits_per_sample, ppi,
                   extra);
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

/* ---- image convert ---------------------------------------------------------- */

static void convert_usage(FILE *f)
{
    fprintf(f, "usage: hotspot image convert [--bitrate R] [--ppi N] [--lossy RATIO]\n"
               "                             [--quality Q] IN OUT\n"
               "Decode IN (any format image-info reads) and write its 8-bit grey plane\n"
               "to OUT, in the format of OUT's extension: .wsq (FBI WSQ), .jp2 (JPEG 2000\n"
               "file), .j2k (codestream), .png, .pgm, .bmp, .jpg.\n"
               "  --bitrate R    WSQ bits per pixel, 0.1 to 8 (default 0.75, about 15:1;\n"
               "                 2.25 is about 5:1)\n"
               "  --ppi N        resolution to record, overriding IN's (1 to 10000)\n"
               "  --lossy RATIO  JPEG 2000 lossy at RATIO:1 (default lossless)\n"
               "  --quality Q    JPEG quality 1 to 100 (default 90)\n"
               "Exit codes: 0 written, 1 read/write error, 2 usage error.\n");
}

static int cmd_image_convert(int argc, char **argv)
{
    hs_image_encode_options o = HS_IMAGE_ENCODE_OPTIONS_INIT;
    unsigned ppi = 0;
    const char *files[2];
    int nfiles = 0, opts_done = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && !strcmp(a, "--")) {
            opts_done = 1;
        } else if (!opts_done && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            convert_usage(stdout);
            return CLI_OK;
        } else if (!opts_done && !strcmp(a, "--ppi")) {
            if (i + 1 >= argc || !cli_parse_u32(argv[++i], 1, 10000, &ppi))
                return cli_usage("image convert", "--ppi needs a value from 1 to 10000");
        } else if (!opts_done && (!strcmp(a, "--bitrate") || !strcmp(a, "--lossy"))) {
            char *end = NULL;
            double v = i + 1 < argc ? strtod(argv[i + 1], &end) : 0.0;
            if (i + 1 >= argc || !end || *end || end == argv[i + 1])
                return cli_usage("image convert", "%s needs a number", a);
            i++;
            if (!strcmp(a, "--bitrate")) {
                if (!(v >= 0.1 && v <= 8.0))
                    return cli_usage("image convert", "--bitrate %g outside 0.1 to 8", v);
                o.wsq_bitrate = (float)v;
            } else {
                if (!(v >= 1.0 && v <= 1000.0))
                    return cli_usage("image convert", "--lossy %g outside 1 to 1000", v);
                o.jp2_lossless = 0;
                o.jp2_ratio = (float)v;
            }
        } else if (!opts_done && !strcmp(a, "--quality")) {
            unsigned q;
            if (i + 1 >= argc || !cli_parse_u32(argv[++i], 1, 100, &q))
                return cli_usage("image convert", "--quality needs a value from 1 to 100");
            o.jpeg_quality = q;
        } else if (!opts_done && a[0] == '-' && a[1]) {
            return cli_usage("image convert", "unknown option %s", a);
        } else if (nfiles < 2) {
            files[nfiles++] = a;
        } else {
            return cli_usage("image convert", "more than two files given");
        }
    }
    if (nfiles != 2)
        return cli_usage("image convert", "needs IN and OUT");
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    hs_image *img = NULL;
    hs_status s = hs_image_load(ctx, &img, files[0], 0);
    if (s) {
        cli_error(ctx, s, files[0]);
        hs_ctx_free(ctx);
        return CLI_ERR;
    }
    if (ppi)
        hs_image_set_ppi(img, ppi);
    s = hs_image_save(ctx, files[1], img, 0, &o);
    if (s)
        cli_error(ctx, s, files[1]);
    hs_image_free(img);
    hs_ctx_free(ctx);
    return s ? CLI_ERR : CLI_OK;
}

/* hotspot image info|convert ... */
int cmd_image(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        FILE *f = argc < 2 ? stderr : stdout;
        fprintf(f, "usage: hotspot image info [--json] FILE...\n"
                   "       hotspot image convert [--bitrate R] [--ppi N] [--lossy RATIO] "
                   "[--quality Q] IN OUT\n");
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    if (!strcmp(argv[1], "info"))
        return cmd_image_info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "convert"))
        return cmd_image_convert(argc - 1, argv + 1);
    return cli_usage("image", "unknown subcommand '%s' (info, convert)", argv[1]);
}
