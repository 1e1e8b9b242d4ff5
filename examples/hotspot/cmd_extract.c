/* hotspot extract [--ppi N] [--format hst|iso19794-2|ansi378] [--debug-dir DIR]
 *                 --out DIR IMAGE...
 * Writes DIR/<stem>.<hst|iso|ansi> per image and prints
 * "path minutiae quality milliseconds". */
#include "cli.h"
#ifdef HOTSPOT_TESTING
#include <hotspot/testing.h>
#endif

#include <stdlib.h>
#include <string.h>

/* The stage pictures come from a hook that only libraries configured with
 * -DHOTSPOT_TESTING=ON have (hotspot/testing.h). */
struct debug_ctx {
    hs_ctx *ctx;
    const char *dir;
    const char *stem;
    int failed;
};

#ifdef HOTSPOT_TESTING
static void write_stage(void *user, const char *stage, const uint8_t *pixels, uint32_t width,
                        uint32_t height)
{
    struct debug_ctx *d = user;
    hs_image *img;
    if (hs_image_wrap(d->ctx, &img, pixels, width, height, width, 500) != HS_OK) {
        d->failed = 1;
        return;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/%s_%s.png", d->dir, d->stem, stage);
    if (hs_image_save(d->ctx, path, img, HS_IMAGE_FORMAT_PNG, NULL) != HS_OK)
        d->failed = 1;
    hs_image_free(img);
}
#endif

#define USAGE "usage: hotspot extract [--ppi N] [--format hst|iso19794-2|ansi378] " \
              "[--debug-dir DIR] --out DIR IMAGE..."

static int usage(void)
{
    return cli_usage("extract", USAGE);
}

int cmd_extract(int argc, char **argv)
{
    unsigned ppi = 0;
    const char *out_dir = NULL, *debug_dir = NULL, *format = "hst";
    int first_file = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            first_file = i + 1;
            break;
        }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            printf("%s\n\nWrites OUT/<image name>.<hst|iso|ansi> per image and prints\n"
                   "'path minutiae quality milliseconds'. --ppi overrides the images' resolution\n"
                   "(FVC TIFFs carry none: 500 is assumed). --debug-dir writes the pipeline\n"
                   "stages as PNG (<name>_<stage>.png; builds configured with\n"
                   "-DHOTSPOT_TESTING=ON only). Exit 1 if any image failed.\n", USAGE);
            return CLI_OK;
        }
        if (a[0] != '-' || !a[1]) {
            first_file = i;
            break;
        }
        if (i + 1 >= argc)
            return cli_usage("extract", "option %s needs a value", a);
        const char *v = argv[++i];
        if (!strcmp(a, "--ppi")) {
            if (!cli_parse_u32(v, 150, 2000, &ppi))
                return cli_usage("extract", "--ppi must be 150..2000, not '%s'", v);
        } else if (!strcmp(a, "--out")) {
            out_dir = v;
        } else if (!strcmp(a, "--debug-dir")) {
#ifndef HOTSPOT_TESTING
            return cli_usage("extract", "--debug-dir needs a build configured with "
                                        "-DHOTSPOT_TESTING=ON (debug stage pictures)");
#endif
            debug_dir = v;
        } else if (!strcmp(a, "--format")) {
            format = v;
        } else {
            return cli_usage("extract", "unknown option %s", a);
        }
    }
    if (!first_file || first_file >= argc)
        return usage();
    /* Options after the first image are not accepted: images come last. */
    for (int i = first_file; i < argc; i++)
        if (argv[i][0] == '-' && argv[i][1] && strcmp(argv[i - 1], "--"))
            return cli_usage("extract", "options must come before the images (%s)", argv[i]);
    if (!out_dir)
        return cli_usage("extract", "--out DIR is required");
    const char *ext;
    uint32_t fmt;
    if (!strcmp(format, "hst")) {
        ext = "hst";
        fmt = HS_TEMPLATE_FORMAT_HST;
    } else if (!strcmp(format, "iso19794-2") || !strcmp(format, "iso")) {
        ext = "iso";
        fmt = HS_TEMPLATE_FORMAT_ISO19794_2_2005;
    } else if (!strcmp(format, "ansi378") || !strcmp(format, "ansi")) {
        ext = "ansi";
        fmt = HS_TEMPLATE_FORMAT_ANSI378_2004;
    } else {
        return cli_usage("extract", "unknown format '%s' (hst, iso19794-2, ansi378)", format);
    }
    if (!cli_mkdirs(out_dir)) {
        fprintf(stderr, "hotspot: cannot create directory %s\n", out_dir);
        return CLI_ERR;
    }
    if (debug_dir && !cli_mkdirs(debug_dir)) {
        fprintf(stderr, "hotspot: cannot create directory %s\n", debug_dir);
        return CLI_ERR;
    }
    hs_ctx *ctx;
    hs_finger_extractor *ex;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    if (hs_finger_extractor_new(ctx, &ex) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        hs_ctx_free(ctx);
        return CLI_ERR;
    }
    if (ppi)
        hs_finger_extractor_set(ex, HS_FINGER_PARAM_PPI, (int32_t)ppi);
    struct debug_ctx dbg = {ctx, debug_dir, NULL, 0};
#ifdef HOTSPOT_TESTING
    if (debug_dir)
        hs_finger_extractor_set_debug(ex, write_stage, &dbg);
#endif
    int failed = 0;
    for (int i = first_file; i < argc; i++) {
        const char *path = argv[i];
        char stem[1024], outp[4096];
        cli_stem(path, stem, sizeof stem);
        dbg.stem = stem;
        hs_image *img;
        hs_status s = hs_image_load(ctx, &img, path, HS_IMAGE_WSQ_RESTORE);
        if (s) {
            cli_error(ctx, s, path);
            failed++;
            continue;
        }
        hs_template *t = NULL;
        double t0 = cli_now_ms();
        s = hs_finger_extract(ctx, &t, ex, img);
        double ms = cli_now_ms() - t0;
        hs_image_free(img);
        if (s) {
            cli_error(ctx, s, path);
            failed++;
            continue;
        }
        snprintf(outp, sizeof outp, "%s/%s.%s", out_dir, stem, ext);
        s = hs_template_save(ctx, outp, t, fmt);
        if (s) {
            cli_error(ctx, s, outp);
            hs_template_free(t);
            failed++;
            continue;
        }
        hs_view_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        hs_template_view_info(t, &info, 0);
        printf("%s %u %u %.1f\n", path, info.minutia_count, info.quality, ms);
        hs_template_free(t);
    }
    if (dbg.failed)
        fprintf(stderr, "hotspot: some debug images could not be written to %s\n", debug_dir);
    hs_finger_extractor_free(ex);
    hs_ctx_free(ctx);
    return failed ? CLI_ERR : CLI_OK;
}
