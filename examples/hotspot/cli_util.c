/* Helpers shared by the hotspot subcommands. */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* Per thread: `eval` reports load errors from its worker threads. */
static _Thread_local char pending_detail[512];

hs_status cli_fail(hs_status s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(pending_detail, sizeof pending_detail, fmt, ap);
    va_end(ap);
    return s;
}

const char *cli_detail(hs_ctx *ctx)
{
    return pending_detail[0] ? pending_detail : hs_ctx_last_error(ctx);
}

/* @p what (a file name or a subject id the officer typed or a file held)
 * with control bytes and everything outside printable ASCII as \xNN: a
 * rejected id must not put terminal escapes or a right-to-left override on
 * the screen. */
static const char *printable(const char *what, char *buf, size_t size)
{
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)what; *p && o + 5 < size; p++) {
        if (*p >= 0x20 && *p < 0x7f && *p != '\\')
            buf[o++] = (char)*p;
        else
            o += (size_t)snprintf(buf + o, size - o, "\\x%02x", *p);
    }
    buf[o] = '\0';
    return buf;
}

void cli_error(hs_ctx *ctx, hs_status s, const char *what)
{
    char w[1024];
    const char *detail = cli_detail(ctx);
    if (detail && *detail)
        fprintf(stderr, "hotspot: %s: %s: %s\n", printable(what, w, sizeof w), hs_status_str(s),
                detail);
    else
        fprintf(stderr, "hotspot: %s: %s\n", printable(what, w, sizeof w), hs_status_str(s));
    pending_detail[0] = '\0';
}

int cli_usage(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "hotspot %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n(see 'hotspot help')\n");
    return CLI_USAGE;
}

void cli_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        switch (*p) {
        case '"': fputs("\\\"", f); break;
        case '\\': fputs("\\\\", f); break;
        case '\n': fputs("\\n", f); break;
        case '\r': fputs("\\r", f); break;
        case '\t': fputs("\\t", f); break;
        default:
            if (*p < 0x20)
                fprintf(f, "\\u%04x", *p);
            else
                fputc(*p, f);
        }
    }
    fputc('"', f);
}

bool cli_parse_u32(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
    if (!s || !*s)
        return false;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || s[0] == '-' || v < lo || v > hi)
        return false;
    *out = (unsigned)v;
    return true;
}

double cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void cli_stem(const char *path, char *buf, size_t size)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t n = strlen(base);
    const char *dot = strrchr(base, '.');
    if (dot && dot != base)
        n = (size_t)(dot - base);
    if (n >= size)
        n = size - 1;
    memcpy(buf, base, n);
    buf[n] = '\0';
}

bool cli_mkdirs(const char *path)
{
    char tmp[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof tmp)
        return false;
    memcpy(tmp, path, n + 1);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            mkdir(tmp, 0777);
            *p = '/';
        }
    }
    mkdir(tmp, 0777);
    struct stat st;
    return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode);
}

int cli_file_args(int argc, char **argv, const char *cmd, void (*usage)(FILE *),
                  const char *no_files, int *json)
{
    int nfiles = 0, opts_done = 0;
    *json = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!opts_done && !strcmp(a, "--")) {
            opts_done = 1;
        } else if (!opts_done && !strcmp(a, "--json")) {
            *json = 1;
        } else if (!opts_done && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            usage(stdout);
            return CLI_OK;
        } else if (!opts_done && a[0] == '-' && a[1]) {
            return cli_usage(cmd, "unknown option %s", a);
        } else {
            nfiles++;
        }
    }
    return nfiles ? -1 : cli_usage(cmd, "%s", no_files);
}

const char *cli_next_file(int argc, char **argv, int *pos, int *opts_done)
{
    while (*pos < argc) {
        const char *a = argv[(*pos)++];
        if (!*opts_done && !strcmp(a, "--")) {
            *opts_done = 1;
            continue;
        }
        if (!*opts_done && a[0] == '-' && a[1])
            continue;
        return a;
    }
    return NULL;
}

void cli_json_error(hs_ctx *ctx, hs_status s, const char *path, int first)
{
    printf("%s\n {\"path\": ", first ? "" : ",");
    cli_json_str(stdout, path);
    printf(", \"error\": ");
    cli_json_str(stdout, hs_status_str(s));
    printf(", \"status\": %d, \"detail\": ", s);
    cli_json_str(stdout, cli_detail(ctx));
    printf("}");
    pending_detail[0] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

char **cli_list_dir(const char *dir, size_t *n)
{
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    size_t cap = 64;
    char **v = malloc(cap * sizeof *v);
    struct dirent *de;
    while (v && (de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        if (*n == cap) {
            char **nv = realloc(v, 2 * cap * sizeof *v);
            if (!nv)
                break;
            v = nv;
            cap *= 2;
        }
        v[(*n)++] = strdup(de->d_name);
    }
    closedir(d);
    if (v)
        qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

void cli_free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int cli_out_open(cli_out *o)
{
    o->buf = NULL;
    o->len = 0;
    o->f = open_memstream(&o->buf, &o->len);
    if (!o->f) {
        fprintf(stderr, "hotspot: out of memory\n");
        return -1;
    }
    return 0;
}

void cli_out_drop(cli_out *o)
{
    if (o->f)
        fclose(o->f);
    free(o->buf);
    o->f = NULL;
    o->buf = NULL;
}

int cli_out_save(hs_ctx *ctx, cli_out *o, const char *path, uint32_t flags)
{
    int bad = fclose(o->f) != 0;
    o->f = NULL;
    hs_status s = bad ? HS_ERR_NOMEM : hs_file_save(ctx, path, o->buf, o->len, flags);
    free(o->buf);
    o->buf = NULL;
    if (s) {
        fprintf(stderr, "hotspot: %s: cannot write: %s\n", path,
                bad ? "out of memory" : cli_detail(ctx));
        return -1;
    }
    return 0;
}

void cli_print_candidate(const hs_watchlist_candidate *c, uint32_t rank, uint32_t nprobe,
                         int json, int details)
{
    if (json) {
        printf("%s\n {\"rank\": %u, \"id\": ", rank > 1 ? "," : "", rank);
        cli_json_str(stdout, c->id);
        printf(", \"score\": %.3f, \"hit\": %s, \"finger_score\": %.3f, \"face_score\": %.3f",
               c->score, c->hit ? "true" : "false", c->finger_score, c->face_score);
        if (c->face_similarity > -2)
            printf(", \"face_similarity\": %.4f", c->face_similarity);
        printf(", \"fingers\": [");
        for (uint32_t v = 0; v < nprobe; v++) {
            printf("%s{\"probe\": %u, \"position\": ", v ? ", " : "", v);
            if (c->finger_position[v] == 255)
                printf("null, \"similarity\": null}");
            else
                printf("%u, \"similarity\": %.4f}", c->finger_position[v],
                       (double)c->finger_similarity[v]);
        }
        printf("]}");
        return;
    }
    char fs[16] = "-", fc[16] = "-";
    if (nprobe)
        snprintf(fs, sizeof fs, "%.2f", c->finger_score);
    if (c->face_similarity > -2)
        snprintf(fc, sizeof fc, "%.2f", c->face_score);
    printf("%4u  %-24s %7.2f %4s %7s %7s", rank, c->id, c->score, c->hit ? "HIT" : "-", fs, fc);
    if (details) {
        printf(" ");
        for (uint32_t v = 0; v < nprobe; v++) {
            if (c->finger_position[v] == 255)
                printf(" %u:-", v);
            else
                printf(" %u:%u %.3f", v, c->finger_position[v], (double)c->finger_similarity[v]);
        }
        if (c->face_similarity > -2)
            printf("  face cos %.3f", c->face_similarity);
    }
    printf("\n");
}

/* Read a template or extract one from an image; POS (when >= 0) overrides
 * the finger position of a one-view template. */
hs_status cli_load_finger(hs_ctx *ctx, const char *spec, unsigned ppi, hs_template **out)
{
    *out = NULL;
    int pos = -1;
    const char *path = spec;
    const char *colon = strchr(spec, ':');
    if (colon && colon - spec <= 2 && colon > spec) {
        char num[3] = {0, 0, 0};
        memcpy(num, spec, (size_t)(colon - spec));
        unsigned p;
        if (!cli_parse_u32(num, 0, 10, &p))
            return cli_fail(HS_ERR_INVALID_ARG, "finger position '%s' not 0..10", num);
        pos = (int)p;
        path = colon + 1;
    }
    hs_template *t = NULL;
    hs_status s = hs_template_load(ctx, &t, NULL, path);
    if (s == HS_ERR_FORMAT) {
        hs_image *img = NULL;
        s = hs_image_load(ctx, &img, path, HS_IMAGE_WSQ_RESTORE);
        if (s == HS_OK) {
            hs_finger_extractor *ex = NULL;
            s = hs_finger_extractor_new(ctx, &ex);
            if (!s && ppi)
                s = hs_finger_extractor_set(ex, HS_FINGER_PARAM_PPI, (int32_t)ppi);
            if (!s)
                s = hs_finger_extract(ctx, &t, ex, img);
            hs_finger_extractor_free(ex);
            hs_image_free(img);
        }
    }
    if (s)
        return s;
    if (pos >= 0) {
        if (hs_template_view_count(t) != 1) {
            hs_template_free(t);
            return cli_fail(HS_ERR_INVALID_ARG,
                            "%s: a position can only be given for a one-view template", path);
        }
        hs_view_info info;
        memset(&info, 0, sizeof info);
        info.struct_size = sizeof info;
        hs_template_view_info(t, &info, 0);
        info.finger_position = (uint32_t)pos;
        /* a copy with the new position that keeps the view's extended data
         * (the orientation field the matcher uses) */
        hs_template *u = NULL;
        s = hs_template_new(ctx, &u);
        if (!s)
            s = hs_template_copy_view(ctx, u, t, 0, &info);
        hs_template_free(t);
        if (s) {
            hs_template_free(u);
            return s;
        }
        t = u;
    }
    *out = t;
    return HS_OK;
}

bool cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || !*s || s[0] == '-')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

hs_status cli_seal(hs_ctx *ctx, uint8_t **out, size_t *size, const hs_encounter *e,
                   const uint8_t box_public[32], const uint8_t device_secret[64],
                   const hs_encounter_seal_options *opts)
{
    size_t n = (size_t)4 << 20;
    uint8_t *buf = malloc(n);
    hs_status s = buf ? hs_encounter_seal(ctx, buf, &n, e, box_public, device_secret, opts)
                      : HS_ERR_NOMEM;
    if (s == HS_ERR_BUFFER_TOO_SMALL) {
        uint8_t *bigger = realloc(buf, n);
        if (bigger)
            buf = bigger;
        s = bigger ? hs_encounter_seal(ctx, buf, &n, e, box_public, device_secret, opts)
                   : HS_ERR_NOMEM;
    }
    if (s) {
        free(buf);
        return s;
    }
    *out = buf;
    *size = n;
    return HS_OK;
}

void cli_hex(char *out, const uint8_t *p, size_t n)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[p[i] >> 4];
        out[2 * i + 1] = d[p[i] & 15];
    }
    out[2 * n] = 0;
}

bool cli_unhex(uint8_t *out, const char *s, size_t n)
{
    if (strlen(s) != 2 * n)
        return false;
    for (size_t i = 0; i < 2 * n; i++) {
        char c = s[i];
        int x = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (x < 0)
            return false;
        out[i / 2] = (uint8_t)(i % 2 ? (out[i / 2] << 4) | x : x);
    }
    return true;
}

static void *(*const volatile wipe_memset)(void *, int, size_t) = memset;

void cli_wipe(void *p, size_t n)
{
    wipe_memset(p, 0, n);
}

const char *cli_decision_name(int32_t d)
{
    switch (d) {
    case HS_ENCOUNTER_NO_HIT: return "no_hit";
    case HS_ENCOUNTER_HIT: return "hit";
    case HS_ENCOUNTER_POSSIBLE_HIT: return "possible_hit";
    case HS_ENCOUNTER_NOT_SEARCHED: return "not_searched";
    default: return "?";
    }
}

hs_status cli_append_views(hs_ctx *ctx, hs_template *dst, const hs_template *src)
{
    for (uint32_t v = 0; v < hs_template_view_count(src); v++) {
        hs_status s = hs_template_copy_view(ctx, dst, src, v, NULL);
        if (s)
            return s;
    }
    return HS_OK;
}

hs_status cli_load_face(hs_ctx *ctx, const char *path, float **out, uint32_t *dim,
                        uint32_t *model)
{
    *out = NULL;
    void *data = NULL;
    size_t size = 0;
    hs_status s = hs_file_read(ctx, &data, &size, path);
    if (s)
        return s;
    s = hs_face_embedding_decode(ctx, NULL, 0, dim, model, data, size);
    if (s == HS_ERR_BUFFER_TOO_SMALL || (s == HS_OK && *dim)) {
        float *v = malloc((size_t)*dim * sizeof *v);
        s = v ? hs_face_embedding_decode(ctx, v, *dim, dim, model, data, size) : HS_ERR_NOMEM;
        if (s)
            free(v);
        else
            *out = v;
    }
    hs_file_free(ctx, data, size);
    return s;
}
