/* hotspot template info [--json] FILE...
 * hotspot template convert --to FORMAT IN OUT */
#include "cli.h"

#include <string.h>

static void usage_text(FILE *f)
{
    fprintf(f, "usage: hotspot template info [--json] [--] FILE...\n"
               "       hotspot template convert --to hst|iso19794-2|ansi378|ansi378-2009 [--] IN OUT\n"
               "Formats read (detected by content): hst, iso19794-2 (2005), iso19794-2-2011,\n"
               "ansi378 (2004), ansi378-2009. Coordinates are rounded to whole pixels and\n"
               "angles to the target's unit (docs/template-format.md).\n"
               "Exit codes: 0 ok, 1 some file failed, 2 usage error.\n");
}

/* The format's own version field, read from the first bytes of the file:
 * "2005"-style names for the standard records, the number for .hst. */
static void format_version(const unsigned char *h, size_t n, uint32_t format, char *buf,
                           size_t size)
{
    snprintf(buf, size, "?");
    if (n < 8)
        return;
    switch (format) {
    case HS_TEMPLATE_FORMAT_HST:
        snprintf(buf, size, "%u", (unsigned)(h[4] | (h[5] << 8)));
        break;
    case HS_TEMPLATE_FORMAT_ISO19794_2_2005: snprintf(buf, size, "2005"); break;
    case HS_TEMPLATE_FORMAT_ANSI378_2004: snprintf(buf, size, "2004"); break;
    case HS_TEMPLATE_FORMAT_ANSI378_2009: snprintf(buf, size, "2009"); break;
    case HS_TEMPLATE_FORMAT_ISO19794_2_2011: snprintf(buf, size, "2011"); break;
    default: break;
    }
}


static int info(int argc, char **argv)
{
    int json, failed = 0;
    int rc = cli_file_args(argc, argv, "template info", usage_text, "no template files given", &json);
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
        hs_template *t = NULL;
        uint32_t format;
        hs_ctx_clear_error(ctx);
        /* Read once: the version bytes and the size come from what was decoded. */
        void *data = NULL;
        size_t fsize = 0;
        hs_status s = hs_file_read(ctx, &data, &fsize, a);
        if (!s)
            s = hs_template_decode(ctx, &t, &format, data, fsize);
        char version[32];
        if (!s)
            format_version(data, fsize, format, version, sizeof version);
        hs_file_free(ctx, data, fsize);
        if (s) {
            cli_error(ctx, s, a);
            failed++;
            if (json) {
                cli_json_error(ctx, s, a, first);
                first = 0;
            }
            continue;
        }
        uint32_t nv = hs_template_view_count(t);
        if (json) {
            printf("%s\n {\"path\": ", first ? "" : ",");
            cli_json_str(stdout, a);
            printf(", \"format\": \"%s\", \"version\": ", hs_template_format_name(format));
            cli_json_str(stdout, version);
            printf(", \"size\": %zu, \"views\": [", fsize);
        } else {
            printf("%s: %s, version %s, %zu bytes, %u view%s\n", a, hs_template_format_name(format),
                   version, fsize, nv, nv == 1 ? "" : "s");
        }
        for (uint32_t v = 0; v < nv; v++) {
            hs_view_info vi = {sizeof vi, 0, 0, 0, 0, 0, 0, 0, 0, 0};
            hs_template_view_info(t, &vi, v);
            if (json)
                printf("%s{\"finger\": %u, \"view\": %u, \"impression\": %u, \"quality\": %u, "
                       "\"minutiae\": %u, \"width\": %u, \"height\": %u, \"ppi_x\": %u, "
                       "\"ppi_y\": %u}",
                       v ? ", " : "", vi.finger_position, vi.view_number, vi.impression_type,
                       vi.quality, vi.minutia_count, vi.width, vi.height, vi.ppi_x, vi.ppi_y);
            else
                printf("  view %u: finger %u, view number %u, impression %u, quality %u, "
                       "%u minutiae, %ux%u px, %ux%u ppi\n",
                       v, vi.finger_position, vi.view_number, vi.impression_type, vi.quality,
                       vi.minutia_count, vi.width, vi.height, vi.ppi_x, vi.ppi_y);
        }
        if (json)
            printf("]}");
        first = 0;
        hs_template_free(t);
    }
    if (json)
        printf("%s]\n", first ? "" : "\n");
    hs_ctx_free(ctx);
    return failed ? CLI_ERR : CLI_OK;
}

static int convert(int argc, char **argv)
{
    const char *to = NULL, *in = NULL, *out = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--to")) {
            if (++i >= argc)
                return cli_usage("template convert", "--to needs a format");
            to = argv[i];
        } else if (!strncmp(argv[i], "--to=", 5)) {
            to = argv[i] + 5;
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usage_text(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[i], "--")) {
            for (i++; i < argc; i++) {
                if (!in)
                    in = argv[i];
                else if (!out)
                    out = argv[i];
                else
                    return cli_usage("template convert", "too many arguments");
            }
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("template convert", "unknown option %s", argv[i]);
        } else if (!in) {
            in = argv[i];
        } else if (!out) {
            out = argv[i];
        } else {
            return cli_usage("template convert", "too many arguments");
        }
    }
    if (!to || !in || !out)
        return cli_usage("template convert", "needs --to FORMAT, IN and OUT");
    uint32_t format = hs_template_format_from_name(to);
    if (!format)
        return cli_usage("template convert", "unknown format '%s' (hst, iso19794-2, ansi378, "
                         "ansi378-2009)", to);
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return CLI_ERR;
    }
    hs_template *t;
    hs_status s = hs_template_load(ctx, &t, NULL, in);
    if (s) {
        cli_error(ctx, s, in);
        hs_ctx_free(ctx);
        return CLI_ERR;
    }
    s = hs_template_save(ctx, out, t, format);
    if (s)
        cli_error(ctx, s, out);
    hs_template_free(t);
    hs_ctx_free(ctx);
    return s ? CLI_ERR : CLI_OK;
}

int cmd_template(int argc, char **argv)
{
    if (argc < 2) {
        usage_text(stderr);
        return CLI_USAGE;
    }
    if (!strcmp(argv[1], "info"))
        return info(argc - 1, argv + 1);
    if (!strcmp(argv[1], "convert"))
        return convert(argc - 1, argv + 1);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage_text(stdout);
        return CLI_OK;
    }
    return cli_usage("template", "unknown subcommand '%s' (info, convert)", argv[1]);
}
