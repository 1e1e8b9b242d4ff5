/* hotspot nist info [--json] FILE...
 * hotspot nist dump FILE
 * hotspot nist validate [--profile base|int-i] FILE
 * hotspot nist convert --to traditional|xml [--allow-loss] IN OUT
 * hotspot nist extract --out DIR FILE
 * hotspot nist build --tot CPS|NPS --ori AGENCY --dai AGENCY [options] OUT
 * Public API only (hotspot/nist.h). */
#include "cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static void usage_text(FILE *f)
{
    fprintf(f,
            "usage: hotspot nist info [--json] [--] FILE...\n"
            "       hotspot nist dump FILE\n"
            "       hotspot nist validate [--profile base|int-i] FILE\n"
            "       hotspot nist convert --to traditional|xml [--allow-loss] IN OUT\n"
            "       hotspot nist extract --out DIR FILE\n"
            "       hotspot nist build --tot CPS|NPS --ori AGENCY --dai AGENCY\n"
            "                [--ori-name NAME] [--dai-name NAME] [--ori-country ISO3]\n"
            "                [--dai-country ISO3] [--tcn-serial N] [--finger POS:IMAGE]...\n"
            "                [--face JPEG] [--minutiae TEMPLATE] [--field N.NNN=VALUE]... OUT\n"
            "ANSI/NIST-ITL 1-2011 transactions, traditional (.an2, .eft) or XML encoding\n"
            "(detected by content; build and convert write XML when OUT ends in .xml).\n"
            "In --field values, %%1E and %%1F stand for the subfield and item separators.\n"
            "validate exits 1 when there are findings. See docs/nist.md.\n"
            "Exit codes: 0 ok, 1 failure or findings, 2 usage error.\n");
}

static hs_ctx *new_ctx(void)
{
    hs_ctx *ctx;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        return NULL;
    }
    return ctx;
}

static const char *compression_name(uint32_t c)
{
    switch (c) {
    case HS_NIST_COMPRESSION_NONE: return "none";
    case HS_NIST_COMPRESSION_WSQ: return "wsq";
    case HS_NIST_COMPRESSION_JPEGB: return "jpegb";
    case HS_NIST_COMPRESSION_JPEGL: return "jpegl";
    case HS_NIST_COMPRESSION_JP2: return "jp2";
    case HS_NIST_COMPRESSION_JP2L: return "jp2l";
    case HS_NIST_COMPRESSION_PNG: return "png";
    default: return "other";
    }
}

static const char *kind_name(uint32_t k)
{
    return k == HS_NIST_IMAGE_FINGER ? "finger"
                                     : k == HS_NIST_IMAGE_FACE ? "face"
                                                               : k == HS_NIST_IMAGE_PALM ? "palm" : "other";
}

static void text(hs_ctx *ctx, const hs_nist *n, hs_nist_text key, char *buf, size_t size)
{
    size_t sz = size;
    if (hs_nist_text_get(ctx, buf, &sz, n, key) != HS_OK)
        buf[0] = 0;
}

static int info(int argc, char **argv)
{
    int json, failed = 0;
    int rc = cli_file_args(argc, argv, "nist info", usage_text, "no transaction files given", &json);
    if (rc >= 0)
        return rc;
    hs_ctx *ctx = new_ctx();
    if (!ctx)
        return CLI_ERR;
    if (json)
        printf("[");
    int first = 1, pos = 1, opts_done = 0;
    const char *a;
    while ((a = cli_next_file(argc, argv, &pos, &opts_done)) != NULL) {
        hs_nist *n;
        uint32_t enc;
        hs_ctx_clear_error(ctx);
        hs_status s = hs_nist_load(ctx, &n, &enc, a, 0);
        if (s) {
            cli_error(ctx, s, a);
            failed++;
            if (json) {
                cli_json_error(ctx, s, a, first);
                first = 0;
            }
            continue;
        }
        char ver[32], tot[32], tcn[64], ori[64], dai[64], dat[32];
        text(ctx, n, HS_NIST_TEXT_VERSION, ver, sizeof ver);
        text(ctx, n, HS_NIST_TEXT_TOT, tot, sizeof tot);
        text(ctx, n, HS_NIST_TEXT_TCN, tcn, sizeof tcn);
        text(ctx, n, HS_NIST_TEXT_ORI, ori, sizeof ori);
        text(ctx, n, HS_NIST_TEXT_DAI, dai, sizeof dai);
        text(ctx, n, HS_NIST_TEXT_DATE, dat, sizeof dat);
        const char *encname = enc == HS_NIST_ENCODING_XML ? "xml" : "traditional";
        if (json) {
            printf("%s{\"path\":", first ? "" : ",");
            cli_json_str(stdout, a);
            printf(",\"encoding\":\"%s\",\"version\":", encname);
            cli_json_str(stdout, ver);
            printf(",\"tot\":");
            cli_json_str(stdout, tot);
            printf(",\"tcn\":");
            cli_json_str(stdout, tcn);
            printf(",\"ori\":");
            cli_json_str(stdout, ori);
            printf(",\"dai\":");
            cli_json_str(stdout, dai);
            printf(",\"date\":");
            cli_json_str(stdout, dat);
            printf(",\"records\":[");
            for (uint32_t r = 0; r < hs_nist_record_count(n); r++)
                printf("%s%u", r ? "," : "", hs_nist_record_type(n, r));
            printf("],\"images\":[");
        } else {
            printf("%s: %s, version %s, TOT %s, TCN %s, ORI %s, DAI %s, date %s\n", a, encname,
                   ver, tot, tcn, ori, dai, dat);
            printf("  records:");
            for (uint32_t r = 0; r < hs_nist_record_count(n); r++)
                printf(" %u", hs_nist_record_type(n, r));
            printf("\n");
        }
        for (uint32_t i = 0; i < hs_nist_image_count(n); i++) {
            hs_nist_image_info ii = HS_NIST_IMAGE_INFO_INIT;
            if (hs_nist_image_info_get(ctx, &ii, n, i) != HS_OK)
                continue;
            if (json)
                printf("%s{\"record\":%u,\"type\":%u,\"kind\":\"%s\",\"position\":%u,"
                       "\"impression\":%u,\"width\":%u,\"height\":%u,\"ppi\":%u,"
                       "\"compression\":\"%s\",\"bits\":%u,\"quality\":%d,\"bytes\":%llu}",
                       i ? "," : "", ii.record + 1, ii.record_type, kind_name(ii.kind), ii.position,
                       ii.impression, ii.width, ii.height, ii.ppi, compression_name(ii.compression),
                       ii.bits_per_pixel, ii.quality, (unsigned long long)ii.data_size);
            else
                printf("  image %u: record %u (Type-%u) %s, position %u, impression %u, %ux%u, "
                       "%u ppi, %s, %llu bytes%s\n",
                       i + 1, ii.record + 1, ii.record_type, kind_name(ii.kind), ii.position,
                       ii.impression, ii.width, ii.height, ii.ppi, compression_name(ii.compression),
                       (unsigned long long)ii.data_size, ii.quality >= 0 ? ", quality given" : "");
        }
        if (json)
            printf("]}");
        first = 0;
        hs_nist_free(n);
    }
    if (json)
        printf("]\n");
    hs_ctx_free(ctx);
    return failed ? CLI_ERR : CLI_OK;
}

static bool is_binary_field(uint32_t type, uint32_t num)
{
    if (type >= 3 && type <= 8)
        return type == 8 ? num == 8 : num == 9;
    return num == 999 && type != 1 && type != 2 && type != 9;
}

static int dump(int argc, char **argv)
{
    if (argc != 2)
        return cli_usage("nist dump", "give one transaction file");
    hs_ctx *ctx = new_ctx();
    if (!ctx)
        return CLI_ERR;
    hs_nist *n;
    hs_status s = hs_nist_load(ctx, &n, NULL, argv[1], 0);
    if (s) {
        cli_error(ctx, s, argv[1]);
        hs_ctx_free(ctx);
        return CLI_ERR;
    }
    /* One line per item, as R.F.S.I [T.NNN]=value (1-based, as NBIS an2k2txt
     * numbers them); binary fields as their size. */
    for (uint32_t r = 0; r < hs_nist_record_count(n); r++) {
        uint32_t t = hs_nist_record_type(n, r);
        for (uint32_t f = 0; f < hs_nist_field_count(n, r); f++) {
            uint32_t num = hs_nist_field_number(n, r, f);
            size_t size;
            const uint8_t *v = hs_nist_field_at(n, &size, r, f);
            if (is_binary_field(t, num)) {
                printf("%u.%u.1.1 [%u.%03u]=<%zu bytes>\n", r + 1, f + 1, t, num, size);
                continue;
            }
            uint32_t sub = 0, item = 0;
            printf("%u.%u.1.1 [%u.%03u]=", r + 1, f + 1, t, num);
            for (size_t i = 0; i < size; i++) {
                if (v[i] == 0x1E || v[i] == 0x1F) {
                    if (v[i] == 0x1E) {
                        sub++;
                        item = 0;
                    } else {
                        item++;
                    }
                    printf("\n%u.%u.%u.%u [%u.%03u]=", r + 1, f + 1, sub + 1, item + 1, t, num);
                } else if (v[i] < 0x20 || v[i] == 0x7F) {
                    printf("\\x%02x", v[i]);
                } else {
                    putchar(v[i]);
                }
            }
            printf("\n");
        }
    }
    hs_nist_free(n);
    hs_ctx_free(ctx);
    return CLI_OK;
}

static int validate(int argc, char **argv)
{
    hs_nist_profile prof = HS_NIST_PROFILE_INT_I;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--profile") && i + 1 < argc) {
            const char *p = argv[++i];
            if (!strcmp(p, "int-i"))
                prof = HS_NIST_PROFILE_INT_I;
            else if (!strcmp(p, "base"))
                prof = HS_NIST_PROFILE_BASE;
            else
                return cli_usage("nist validate", "unknown profile %s (base, int-i)", p);
        } else if (argv[i][0] == '-' && argv[i][1]) {
            return cli_usage("nist validate", "unknown option %s", argv[i]);
        } else if (file) {
            return cli_usage("nist validate", "give one transaction file");
        } else {
            file = argv[i];
        }
    }
    if (!file)
        return cli_usage("nist validate", "give one transaction file");
    hs_ctx *ctx = new_ctx();
    if (!ctx)
        return CLI_ERR;
    hs_nist *n;
    hs_status s = hs_nist_load(ctx, &n, NULL, file, 0);
    hs_nist_findings *f = NULL;
    if (!s)
        s = hs_nist_validate(ctx, &f, n, prof);
    if (s) {
        cli_error(ctx, s, file);
        hs_nist_free(n);
        hs_ctx_free(ctx);
        return CLI_ERR;
    }
    uint32_t c = hs_nist_findings_count(f);
    for (uint32_t i = 0; i < c; i++) {
        uint32_t r, fl;
        const char *msg = hs_nist_finding(f, &r, &fl, i);
        if (r == UINT32_MAX)
            printf("%s: %s\n", file, msg);
        else
            printf("%s: record %u (Type-%u), field %u: %s\n", file, r + 1,
                   hs_nist_record_type(n, r), fl, msg);
    }
    printf("%s: %u finding%s (%s profile)\n", file, c, c == 1 ? "" : "s",
           prof == HS_NIST_PROFILE_INT_I ? "int-i" : "base");
    hs_nist_findings_free(f);
    hs_nist_free(n);
    hs_ctx_free(ctx);
    return c ? CLI_ERR : CLI_OK;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int convert(int argc, char **argv)
{
    const char *to = NULL, *in = NULL, *out = NULL;
    uint32_t flags = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--to") && i + 1 < argc)
            to = argv[++i];
        else if (!strcmp(argv[i], "--allow-loss"))
            flags |= HS_NIST_ALLOW_LOSS;
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("nist convert", "unknown option %s", argv[i]);
        else if (!in)
            in = argv[i];
        else if (!out)
            out = argv[i];
        else
            return cli_usage("nist convert", "give IN and OUT");
    }
    if (!to || !in || !out)
        return cli_usage("nist convert", "give --to traditional|xml, IN and OUT");
    hs_nist_encoding enc;
    if (!strcmp(to, "traditional"))
        enc = HS_NIST_ENCODING_TRADITIONAL;
    else if (!strcmp(to, "xml"))
        enc = HS_NIST_ENCODING_XML;
    else
        return cli_usage("nist convert", "unknown encoding %s (traditional, xml)", to);
    hs_ctx *ctx = new_ctx();
    if (!ctx)
        return CLI_ERR;
    hs_nist *n;
    hs_status s = hs_nist_load(ctx, &n, NULL, in, 0);
    if (!s)
        s = hs_nist_save(ctx, out, n, enc, flags);
    if (s)
        cli_error(ctx, s, s == HS_ERR_IO ? out : in);
    hs_nist_free(n);
    hs_ctx_free(ctx);
    return s ? CLI_ERR : CLI_OK;
}

static const char *extension(uint32_t c)
{
    switch (c) {
    case HS_NIST_COMPRESSION_WSQ: return "wsq";
    case HS_NIST_COMPRESSION_JPEGB:
    case HS_NIST_COMPRESSION_JPEGL: return "jpg";
    case HS_NIST_COMPRESSION_JP2:
    case HS_NIST_COMPRESSION_JP2L: return "jp2";
    case HS_NIST_COMPRESSION_PNG: return "png";
    default: return "raw";
    }
}

static int extract(int argc, char **argv)
{
    const char *dir = NULL, *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc)
            dir = argv[++i];
        else if (argv[i][0] == '-' && argv[i][1])
            return cli_usage("nist extract", "unknown option %s", argv[i]);
        else if (!file)
            file = argv[i];
        else
            return cli_usage("nist extract", "give one transaction file");
    }
    if (!dir || !file)
        return cli_usage("nist extract", "give --out DIR and a transaction file");
    if (!cli_mkdirs(dir)) {
        fprintf(stderr, "hotspot: cannot create %s\n", dir);
        return CLI_ERR;
    }
    hs_ctx *ctx = new_ctx();
    if (!ctx)
        return CLI_ERR;
    hs_nist *n;
    hs_status s = hs_nist_load(ctx, &n, NULL, file, 0);
    if (s) {
        cli_error(ctx, s, file);
        hs_ctx_free(ctx);
        return CLI_ERR;
    }
    int failed = 0;
    char stem[256];
    cli_stem(file, stem, sizeof stem);
    /* Images as stored (the compressed stream or raw pixels). */
    for (uint32_t i = 0; i < hs_nist_image_count(n); i++) {
        hs_nist_image_info ii = HS_NIST_IMAGE_INFO_INIT;
        size_t size;
        const uint8_t *d = hs_nist_image_data(n, &size, i);
        if (hs_nist_image_info_get(ctx, &ii, n, i) != HS_OK || !d)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s-r%02u-t%u-%s-p%u.%s", dir, stem, ii.record + 1,
                 ii.record_type, kind_name(ii.kind), ii.position, extension(ii.compression));
        s = hs_file_save(ctx, path, d, size, HS_FILE_PRIVATE);
        if (s) {
            cli_error(ctx, s, path);
            failed++;
        } else {
            printf("%s\n", path);
        }
    }
    /* Minutiae of Type-9 records as ISO/IEC 19794-2 templates. */
    for (uint32_t r = 0; r < hs_nist_record_count(n); r++) {
        if (hs_nist_record_type(n, r) != 9)
            continue;
        hs_template *t;
        if (hs_nist_minutiae(ctx, &t, n, r) != HS_OK)
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s-r%02u-t9.iso", dir, stem, r + 1);
        s = hs_template_save(ctx, path, t, HS_TEMPLATE_FORMAT_ISO19794_2_2005);
        if (s) {
            cli_error(ctx, s, path);
            failed++;
        } else {
            printf("%s\n", path);
        }
        hs_template_free(t);
    }
    hs_nist_free(n);
    hs_ctx_free(ctx);
    return failed ? CLI_ERR : CLI_OK;
}

/* %1E / %1F / %25 escapes of --field values. */
static size_t unescape(char *s)
{
    size_t k = 0;
    for (size_t i = 0; s[i]; i++) {
        if (s[i] == '%' && s[i + 1] && s[i + 2]) {
            char hex[3] = { s[i + 1], s[i + 2], 0 };
            char *end;
            long v = strtol(hex, &end, 16);
            if (!*end && (v == 0x1E || v == 0x1F || v == 0x25)) {
                s[k++] = (char)v;
                i += 2;
                continue;
            }
        }
        s[k++] = s[i];
    }
    s[k] = 0;
    return k;
}

#define MAX_FIELDS 64

static int build(int argc, char **argv)
{
    const char *tot = NULL, *ori = NULL, *dai = NULL, *ori_name = NULL, *dai_name = NULL;
    const char *face = NULL, *out = NULL, *minutiae = NULL;
    const char *ori_c = "", *dai_c = "";
    unsigned long long serial = 0;
    hs_nist_finger fingers[14];
    const char *finger_paths[14];
    unsigned finger_pos[14];
    uint32_t nf = 0;
    char *fields[MAX_FIELDS];
    int nfields = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--tot") && v)
            tot = argv[++i];
        else if (!strcmp(a, "--ori") && v)
            ori = argv[++i];
        else if (!strcmp(a, "--dai") && v)
            dai = argv[++i];
        else if (!strcmp(a, "--ori-name") && v)
            ori_name = argv[++i];
        else if (!strcmp(a, "--dai-name") && v)
            dai_name = argv[++i];
        else if (!strcmp(a, "--ori-country") && v)
            ori_c = argv[++i];
        else if (!strcmp(a, "--dai-country") && v)
            dai_c = argv[++i];
        else if (!strcmp(a, "--tcn-serial") && v) {
            char *end;
            serial = strtoull(argv[++i], &end, 10);
            if (*end || serial > 999999999999ull)
                return cli_usage("nist build", "--tcn-serial takes 0-999999999999");
        } else if (!strcmp(a, "--face") && v)
            face = argv[++i];
        else if (!strcmp(a, "--minutiae") && v)
            minutiae = argv[++i];
        else if (!strcmp(a, "--finger") && v) {
            const char *colon = strchr(v, ':');
            unsigned pos;
            char num[8];
            if (!colon || (size_t)(colon - v) >= sizeof num || nf == 14)
                return cli_usage("nist build", "--finger POS:IMAGE (at most 14)");
            memcpy(num, v, (size_t)(colon - v));
            num[colon - v] = 0;
            if (!cli_parse_u32(num, 1, 14, &pos))
                return cli_usage("nist build", "finger position %s is not 1-14", num);
            finger_pos[nf] = pos;
            finger_paths[nf++] = colon + 1;
            i++;
        } else if (!strcmp(a, "--field") && v) {
            if (nfields == MAX_FIELDS)
                return cli_usage("nist build", "at most %d --field options", MAX_FIELDS);
            fields[nfields++] = argv[++i];
        } else if (!strcmp(a, "--help")) {
            usage_text(stdout);
            return CLI_OK;
        } else if (a[0] == '-' && a[1]) {
            return cli_usage("nist build", "unknown option or missing value: %s", a);
        } else if (!out) {
            out = a;
        } else {
            return cli_usage("nist build", "give one output file");
        }
    }
    if (!tot || !ori || !dai || !out)
        return cli_usage("nist build", "give --tot, --ori, --dai and OUT");
    if (strlen(ori_c) > 3 || strlen(dai_c) > 3)
        return cli_usage("nist build", "countries are ISO 3166 alpha-3 codes");
    hs_ctx *ctx = new_ctx();
    if (!ctx)
        return CLI_ERR;
    int rc = CLI_ERR;
    hs_image *imgs[14] = { NULL };
    uint8_t *jpeg = NULL;
    size_t jpeg_size = 0;
    hs_nist *n = NULL;
    hs_template *mt = NULL;
    hs_status s = HS_OK;
    if (minutiae) {
        uint32_t fmt;
        s = hs_template_load(ctx, &mt, &fmt, minutiae);
        if (s) {
            cli_error(ctx, s, minutiae);
            goto done;
        }
    }
    for (uint32_t i = 0; i < nf && !s; i++) {
        s = hs_image_load(ctx, &imgs[i], finger_paths[i], 0);
        if (s) {
            cli_error(ctx, s, finger_paths[i]);
            goto done;
        }
        if (hs_image_ppi(imgs[i]) == 0)
            hs_image_set_ppi(imgs[i], 500);
        fingers[i].image = imgs[i];
        fingers[i].position = finger_pos[i];
        fingers[i].quality = 255;
    }
    if (face) {
        void *buf = NULL;
        s = hs_file_read(ctx, &buf, &jpeg_size, face);
        if (s) {
            cli_error(ctx, s, face);
            goto done;
        }
        jpeg = buf;
    }
    hs_nist_build_options o = HS_NIST_BUILD_OPTIONS_INIT;
    snprintf(o.ori_country, sizeof o.ori_country, "%s", ori_c);
    snprintf(o.dai_country, sizeof o.dai_country, "%s", dai_c);
    s = hs_nist_build_search(ctx, &n, tot, ori, ori_name ? ori_name : ori, dai,
                             dai_name ? dai_name : dai, serial, (int64_t)time(NULL),
                             nf ? fingers : NULL, nf, jpeg, jpeg_size, mt, &o);
    if (s) {
        cli_error(ctx, s, out);
        goto done;
    }
    for (int i = 0; i < nfields; i++) {
        char *eq = strchr(fields[i], '=');
        unsigned rt, fn;
        char dummy;
        if (!eq || sscanf(fields[i], "%u.%u%c", &rt, &fn, &dummy) != 3 || dummy != '=') {
            rc = cli_usage("nist build", "--field N.NNN=VALUE, not %s", fields[i]);
            goto done;
        }
        size_t len = unescape(eq + 1);
        uint32_t rec = UINT32_MAX;
        for (uint32_t r = 0; r < hs_nist_record_count(n) && rec == UINT32_MAX; r++)
            if (hs_nist_record_type(n, r) == rt)
                rec = r;
        if (rec == UINT32_MAX)
            s = hs_nist_record_add(ctx, &rec, n, rt);
        if (!s)
            s = hs_nist_field_set(ctx, n, rec, fn, eq + 1, len);
        if (s) {
            cli_error(ctx, s, fields[i]);
            goto done;
        }
    }
    s = hs_nist_save(ctx, out, n,
                     ends_with(out, ".xml") ? HS_NIST_ENCODING_XML : HS_NIST_ENCODING_TRADITIONAL, 0);
    if (s) {
        cli_error(ctx, s, out);
        goto done;
    }
    rc = CLI_OK;
done:
    hs_nist_free(n);
    hs_template_free(mt);
    hs_file_free(ctx, jpeg, jpeg_size);
    for (uint32_t i = 0; i < nf; i++)
        hs_image_free(imgs[i]);
    hs_ctx_free(ctx);
    return rc;
}

int cmd_nist(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage_text(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_USAGE : CLI_OK;
    }
    const char *sub = argv[1];
    if (!strcmp(sub, "info"))
        return info(argc - 1, argv + 1);
    if (!strcmp(sub, "dump"))
        return dump(argc - 1, argv + 1);
    if (!strcmp(sub, "validate"))
        return validate(argc - 1, argv + 1);
    if (!strcmp(sub, "convert"))
        return convert(argc - 1, argv + 1);
    if (!strcmp(sub, "extract"))
        return extract(argc - 1, argv + 1);
    if (!strcmp(sub, "build"))
        return build(argc - 1, argv + 1);
    return cli_usage("nist", "unknown command %s (info, dump, validate, convert, extract, build)",
                     sub);
}
