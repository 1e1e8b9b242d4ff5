/*
 * hotspot match / hotspot eval: 1:1 comparison and the FVC evaluation
 * protocol. Inputs are template files (any format hs_template_decode reads)
 * or fingerprint images (extracted with hs_finger_extract); the format is
 * detected by content.
 */
#include "cli.h"

#include <dirent.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- loading ------------------------------------------------------------ */

/* A perturbation of each image before extraction (hotspot eval --perturb):
 * the robustness check of docs/accuracy.md. */
typedef struct perturb {
    unsigned crop_x, crop_y; /* columns and rows dropped at the left and top */
    unsigned noise;          /* uniform integer noise in [-noise, noise] */
    unsigned seed;           /* of the noise, mixed with the file's name */
} perturb;

typedef struct loader {
    hs_ctx *ctx;
    hs_finger_extractor *ex; /* created on the first image */
    unsigned ppi_hint;       /* for images without a resolution (0: FVC table, else 500) */
    const perturb *pt;       /* NULL: images as they are */
} loader;

/* Apply pt to *img (replaced by the perturbed copy). The noise depends on
 * the seed and the file's name only, so every run draws the same. */
static hs_status perturb_image(hs_ctx *ctx, hs_image **img, const perturb *pt, const char *path)
{
    uint32_t w = hs_image_width(*img), h = hs_image_height(*img);
    if (pt->crop_x >= w || pt->crop_y >= h)
        return cli_fail(HS_ERR_INVALID_ARG, "%s: --perturb crops the whole image", path);
    uint32_t nw = w - pt->crop_x, nh = h - pt->crop_y, stride = hs_image_stride(*img);
    hs_image *out = NULL;
    hs_status s = hs_image_new(ctx, &out, nw, nh, hs_image_ppi(*img), 0);
    if (s != HS_OK)
        return s;
    const uint8_t *src = hs_image_pixels(*img);
    uint8_t *dst = hs_image_pixels_mut(out);
    uint32_t ds = hs_image_stride(out);
    const char *base = strrchr(path, '/');
    uint64_t x = 0xcbf29ce484222325u ^ pt->seed;
    for (const char *c = base ? base + 1 : path; *c; c++)
        x = (x ^ (uint8_t)*c) * 0x100000001b3u;
    for (uint32_t y = 0; y < nh; y++)
        for (uint32_t i = 0; i < nw; i++) {
            int v = src[(size_t)(y + pt->crop_y) * stride + i + pt->crop_x];
            if (pt->noise) {
                /* splitmix64 */
                uint64_t z = (x += 0x9e3779b97f4a7c15u);
                z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
                z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
                z ^= z >> 31;
                v += (int)(z % (2u * pt->noise + 1u)) - (int)pt->noise;
                v = v < 0 ? 0 : v > 255 ? 255 : v;
            }
            dst[(size_t)y * ds + i] = (uint8_t)v;
        }
    hs_image_free(*img);
    *img = out;
    return HS_OK;
}

static double thread_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Load a template or extract one from an image, then prepare view 0.
 * *extract_ms gets the extraction time (0 for templates); *is_image says
 * which it was. Prints the error naming the file. */
static hs_status load_prepared(loader *L, const char *path, hs_finger_prepared **out,
                               double *extract_ms, int *is_image)
{
    *out = NULL;
    *extract_ms = 0;
    *is_image = 0;
    size_t size = 0;
    void *data = NULL;
    hs_status s = hs_file_read(L->ctx, &data, &size, path);
    if (s != HS_OK) {
        cli_error(L->ctx, s, path);
        return s;
    }
    hs_template *t = NULL;
    s = hs_template_decode(L->ctx, &t, NULL, data, size);
    if (s == HS_ERR_FORMAT) {
        hs_image *img = NULL;
        hs_status si = hs_image_decode(L->ctx, &img, data, size, HS_IMAGE_WSQ_RESTORE);
        if (si == HS_OK) {
            *is_image = 1;
            if (hs_image_ppi(img) == 0) {
                unsigned ppi = L->ppi_hint ? L->ppi_hint : cli_fvc_ppi(path);
                hs_image_set_ppi(img, ppi ? ppi : 500);
            }
            s = L->pt ? perturb_image(L->ctx, &img, L->pt, path) : HS_OK;
            if (s == HS_OK && !L->ex)
                s = hs_finger_extractor_new(L->ctx, &L->ex);
            if (s == HS_OK) {
                double t0 = thread_ms();
                s = hs_finger_extract(L->ctx, &t, L->ex, img);
                *extract_ms = thread_ms() - t0;
            }
            hs_image_free(img);
        } else if (si != HS_ERR_FORMAT) {
            s = si;
        }
    }
    hs_file_free(L->ctx, data, size);
    if (s == HS_OK)
        s = hs_finger_prepare(L->ctx, out, t, 0);
    hs_template_free(t);
    if (s != HS_OK)
        cli_error(L->ctx, s, path);
    return s;
}

/* ---- hotspot match -------------------------------------------------------- */

typedef struct entry {
    char *path;
    hs_finger_prepared *p;
    hs_status st;
} entry;

/* Open-addressing table of distinct paths. */
typedef struct table {
    entry *e;
    size_t cap, n;
} table;

static size_t hash_str(const char *s)
{
    size_t h = 1469598103934665603u;
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static entry *table_get(table *t, const char *path, int *fresh)
{
    if (2 * (t->n + 1) > t->cap) {
        size_t ncap = t->cap ? 2 * t->cap : 256;
        entry *ne = calloc(ncap, sizeof *ne);
        if (!ne)
            return NULL;
        for (size_t i = 0; i < t->cap; i++)
            if (t->e[i].path) {
                size_t k = hash_str(t->e[i].path) & (ncap - 1);
                while (ne[k].path)
                    k = (k + 1) & (ncap - 1);
                ne[k] = t->e[i];
            }
        free(t->e);
        t->e = ne;
        t->cap = ncap;
    }
    size_t k = hash_str(path) & (t->cap - 1);
    while (t->e[k].path) {
        if (!strcmp(t->e[k].path, path)) {
            *fresh = 0;
            return &t->e[k];
        }
        k = (k + 1) & (t->cap - 1);
    }
    t->e[k].path = strdup(path);
    if (!t->e[k].path)
        return NULL;
    t->n++;
    *fresh = 1;
    return &t->e[k];
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->cap; i++)
        if (t->e[i].path) {
            free(t->e[i].path);
            hs_finger_prepared_free(t->e[i].p);
        }
    free(t->e);
}

static entry *lookup(table *t, loader *L, const char *path)
{
    int fresh = 0;
    entry *e = table_get(t, path, &fresh);
    if (!e) {
        fprintf(stderr, "hotspot: out of memory\n");
        return NULL;
    }
    if (fresh) {
        double ms;
        int img;
        e->st = load_prepared(L, path, &e->p, &ms, &img);
    }
    return e->st == HS_OK ? e : NULL;
}

static void match_usage(FILE *f)
{
    fprintf(f, "usage: hotspot match [options] A B\n"
               "       hotspot match [options] --pairs FILE\n"
               "Compare fingerprints (templates or images, detected by content) and print\n"
               "the similarity score (0..1, higher = more similar); with --pairs, read lines\n"
               "'A B' and print 'A B score' per line, in input order.\n"
               "options:\n"
               "  --max-rotation DEG  largest rotation between prints (0-180, default 180)\n"
               "  --ppi N             resolution of images that carry none (default: FVC\n"
               "                      set table for FVC folder names, else 500)\n"
               "  --thorough          the matcher's thorough mode (HS_MATCH_THOROUGH:\n"
               "                      for re-scoring a short list; several times the time)\n");
}

int cmd_match(int argc, char **argv)
{
    const char *pairs = NULL;
    unsigned rot = 180, ppi = 0;
    int thorough = 0;
    int ai = 1;
    for (; ai < argc && argv[ai][0] == '-'; ai++) {
        if (!strcmp(argv[ai], "--")) {
            ai++;
            break;
        } else if (!strcmp(argv[ai], "--help") || !strcmp(argv[ai], "-h")) {
            match_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[ai], "--pairs") && ai + 1 < argc) {
            pairs = argv[++ai];
        } else if (!strcmp(argv[ai], "--max-rotation") && ai + 1 < argc) {
            if (!cli_parse_u32(argv[++ai], 0, 180, &rot))
                return cli_usage("match", "--max-rotation must be 0..180 degrees, not '%s'",
                                 argv[ai]);
        } else if (!strcmp(argv[ai], "--ppi") && ai + 1 < argc) {
            if (!cli_parse_u32(argv[++ai], 50, 5000, &ppi))
                return cli_usage("match", "--ppi must be 50..5000, not '%s'", argv[ai]);
        } else if (!strcmp(argv[ai], "--thorough")) {
            thorough = 1;
        } else {
            return cli_usage("match", "unknown option '%s'", argv[ai]);
        }
    }
    if (pairs ? ai != argc : argc - ai != 2)
        return cli_usage("match", pairs ? "--pairs takes no other arguments"
                                        : "expected two files A B");
    hs_ctx *ctx = NULL;
    hs_finger_matcher *m = NULL;
    if (hs_ctx_new(&ctx, NULL) != HS_OK || hs_finger_matcher_new(ctx, &m) != HS_OK) {
        fprintf(stderr, "hotspot: out of memory\n");
        hs_ctx_free(ctx);
        return CLI_ERR;
    }
    hs_finger_matcher_set(m, HS_MATCH_MAX_ROTATION, (int32_t)rot);
    if (thorough)
        hs_finger_matcher_set(m, HS_MATCH_THOROUGH, 1);
    loader L = {ctx, NULL, ppi, NULL};
    table tab = {NULL, 0, 0};
    int rc = CLI_OK;
    if (!pairs) {
        entry *a = lookup(&tab, &L, argv[ai]);
        entry *b = a ? lookup(&tab, &L, argv[ai + 1]) : NULL;
        float s = 0;
        if (!a || !b)
            rc = CLI_ERR;
        else if (hs_finger_match(m, &s, a->p, b->p) == HS_OK)
            printf("%.6f\n", (double)s);
        else
            rc = CLI_ERR;
    } else {
        /* A pairs file is read like every other input: a FIFO, a directory
         * or a device is refused, not waited on or read forever. */
        void *pdata = NULL;
        size_t psize = 0;
        FILE *f = NULL;
        if (!strcmp(pairs, "-")) {
            f = stdin;
        } else {
            hs_status ps = hs_file_read(ctx, &pdata, &psize, pairs);
            if (ps) {
                cli_error(ctx, ps, pairs);
                rc = CLI_ERR;
            } else if (psize && !(f = fmemopen(pdata, psize, "r"))) {
                fprintf(stderr, "hotspot: out of memory\n");
                rc = CLI_ERR;
            }
        }
        char line[8192];
        unsigned long lineno = 0;
        while (rc == CLI_OK && f && fgets(line, sizeof line, f)) {
            lineno++;
            char *save = NULL;
            char *pa = strtok_r(line, " \t\r\n", &save);
            if (!pa || pa[0] == '#')
                continue;
            char *pb = strtok_r(NULL, " \t\r\n", &save);
            if (!pb || strtok_r(NULL, " \t\r\n", &save)) {
                fprintf(stderr, "hotspot: %s:%lu: expected 'A B'\n", pairs, lineno);
                rc = CLI_ERR;
                break;
            }
            entry *a = lookup(&tab, &L, pa);
            entry *b = a ? lookup(&tab, &L, pb) : NULL;
            float s = 0;
            if (!a || !b || hs_finger_match(m, &s, a->p, b->p) != HS_OK) {
                rc = CLI_ERR;
                break;
            }
            printf("%s %s %.6f\n", pa, pb, (double)s);
        }
        if (f && f != stdin)
            fclose(f);
        hs_file_free(ctx, pdata, psize);
    }
    table_free(&tab);
    hs_finger_extractor_free(L.ex);
    hs_finger_matcher_free(m);
    hs_ctx_free(ctx);
    return rc;
}

/* ---- hotspot eval ----------------------------------------------------------- */

typedef struct sample {
    char *path;
    char finger[64];
    unsigned impression;
    hs_finger_prepared *p;
    double extract_ms;
    int is_image;
    int failed;
} sample;

typedef struct folder {
    const char *dir;
    sample *s;
    size_t n;
    double *gen, *imp, *slots; /* slots: every comparison in enumeration order */
    size_t ng, ni;
    double match_ms; /* thread CPU time of all comparisons */
    size_t ncomp;
    hs_eval_result r;
    int fte;
} folder;

static int sample_cmp(const void *pa, const void *pb)
{
    const sample *a = pa, *b = pb;
    int c = strcmp(a->finger, b->finger);
    if (c)
        return c;
    return (a->impression > b->impression) - (a->impression < b->impression);
}

static int list_folder(folder *fo)
{
    DIR *d = opendir(fo->dir);
    if (!d) {
        fprintf(stderr, "hotspot: %s: cannot open folder\n", fo->dir);
        return -1;
    }
    size_t cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char finger[64];
        unsigned imp;
        if (de->d_name[0] == '.' || !cli_fvc_parse_name(de->d_name, finger, sizeof finger, &imp))
            continue;
        if (fo->n == cap) {
            cap = cap ? 2 * cap : 128;
            sample *ns = realloc(fo->s, cap * sizeof *ns);
            if (!ns) {
                closedir(d);
                return -1;
            }
            fo->s = ns;
        }
        sample *s = &fo->s[fo->n];
        memset(s, 0, sizeof *s);
        size_t len = strlen(fo->dir) + strlen(de->d_name) + 2;
        s->path = malloc(len);
        if (!s->path) {
            closedir(d);
            return -1;
        }
        snprintf(s->path, len, "%s/%s", fo->dir, de->d_name);
        memcpy(s->finger, finger, sizeof finger);
        s->impression = imp;
        fo->n++;
    }
    closedir(d);
    if (fo->n)
        qsort(fo->s, fo->n, sizeof *fo->s, sample_cmp);
    return 0;
}

typedef struct job {
    folder *fo;
    size_t begin, end; /* samples to prepare */
    unsigned ppi;
    const perturb *pt;
    int fvc_impostors;
    int thorough; /* HS_MATCH_THOROUGH for every comparison */
    int phase; /* 0 prepare, 1 compare */
    int threads, index;
    double ms;
    size_t ncomp;
} job;

static int is_genuine(const sample *a, const sample *b) { return !strcmp(a->finger, b->finger); }

/* Comparison k of folder fo in a fixed enumeration (genuine: all pairs of
 * impressions of a finger; impostors: all cross-finger pairs, or only the
 * first impressions for the FVC protocol). */
static void *worker(void *arg)
{
    job *j = arg;
    folder *fo = j->fo;
    if (j->phase == 0) {
        hs_ctx *ctx = NULL;
        hs_ctx_new(&ctx, NULL);
        loader L = {ctx, NULL, j->ppi, j->pt};
        for (size_t i = j->begin; i < j->end; i++) {
            sample *s = &fo->s[i];
            hs_status st = load_prepared(&L, s->path, &s->p, &s->extract_ms, &s->is_image);
            if (st != HS_OK || hs_finger_prepared_count(s->p) == 0)
                s->failed = 1;
        }
        hs_finger_extractor_free(L.ex);
        hs_ctx_free(ctx);
        return NULL;
    }
    hs_finger_matcher *m = NULL;
    if (hs_finger_matcher_new(NULL, &m) != HS_OK)
        return NULL;
    if (j->thorough)
        hs_finger_matcher_set(m, HS_MATCH_THOROUGH, 1);
    double t0 = thread_ms();
    size_t k = 0;
    for (size_t a = 0; a < fo->n; a++) {
        const sample *sa = &fo->s[a];
        for (size_t b = a + 1; b < fo->n; b++) {
            const sample *sb = &fo->s[b];
            if (!is_genuine(sa, sb) && j->fvc_impostors &&
                (sa->impression != fo->s[0].impression || sb->impression != sa->impression))
                continue;
            /* slot k of the genuine or impostor list, computed by one thread */
            size_t slot = k++;
            if ((int)(slot % (size_t)j->threads) != j->index)
                continue;
            float sc = 0.0f;
            if (sa->p && sb->p)
                hs_finger_match(m, &sc, sa->p, sb->p);
            j->ncomp++;
            fo->slots[slot] = sc;
        }
    }
    j->ms = thread_ms() - t0;
    hs_finger_matcher_free(m);
    return NULL;
}

static void run_jobs(job *jobs, int n)
{
    pthread_t th[64];
    int started[64] = {0};
    for (int i = 1; i < n; i++)
        started[i] = pthread_create(&th[i], NULL, worker, &jobs[i]) == 0;
    worker(&jobs[0]);
    for (int i = 1; i < n; i++) {
        if (started[i])
            pthread_join(th[i], NULL);
        else
            worker(&jobs[i]);
    }
}

static int eval_folder(folder *fo, int threads, int fvc_impostors, int thorough, unsigned ppi,
                       const perturb *pt)
{
    if (list_folder(fo) != 0)
        return -1;
    if (fo->n < 2) {
        fprintf(stderr, "hotspot: %s: no FVC- or Neurotechnology-named samples\n", fo->dir);
        return -1;
    }
    job jobs[64];
    for (int i = 0; i < threads; i++) {
        memset(&jobs[i], 0, sizeof jobs[i]);
        jobs[i].fo = fo;
        jobs[i].begin = fo->n * (size_t)i / (size_t)threads;
        jobs[i].end = fo->n * (size_t)(i + 1) / (size_t)threads;
        jobs[i].ppi = ppi;
        jobs[i].pt = pt;
        jobs[i].fvc_impostors = fvc_impostors;
        jobs[i].thorough = thorough;
        jobs[i].threads = threads;
        jobs[i].index = i;
    }
    run_jobs(jobs, threads);
    for (size_t i = 0; i < fo->n; i++)
        fo->fte += fo->s[i].failed;
    if ((size_t)fo->fte == fo->n) {
        fprintf(stderr, "hotspot: %s: no sample could be read or extracted\n", fo->dir);
        return -1;
    }
    /* count slots */
    size_t total = 0;
    for (size_t a = 0; a < fo->n; a++)
        for (size_t b = a + 1; b < fo->n; b++) {
            int gen = is_genuine(&fo->s[a], &fo->s[b]);
            if (!gen && fvc_impostors &&
                (fo->s[a].impression != fo->s[0].impression ||
                 fo->s[b].impression != fo->s[a].impression))
                continue;
            total++;
        }
    fo->slots = calloc(total ? total : 1, sizeof *fo->slots);
    fo->gen = malloc((total ? total : 1) * sizeof *fo->gen);
    fo->imp = malloc((total ? total : 1) * sizeof *fo->imp);
    if (!fo->slots || !fo->gen || !fo->imp)
        return -1;
    for (int i = 0; i < threads; i++)
        jobs[i].phase = 1;
    run_jobs(jobs, threads);
    size_t k = 0;
    for (size_t a = 0; a < fo->n; a++)
        for (size_t b = a + 1; b < fo->n; b++) {
            int gen = is_genuine(&fo->s[a], &fo->s[b]);
            if (!gen && fvc_impostors &&
                (fo->s[a].impression != fo->s[0].impression ||
                 fo->s[b].impression != fo->s[a].impression))
                continue;
            if (gen)
                fo->gen[fo->ng++] = fo->slots[k];
            else
                fo->imp[fo->ni++] = fo->slots[k];
            k++;
        }
    for (int i = 0; i < threads; i++) {
        fo->match_ms += jobs[i].ms;
        fo->ncomp += jobs[i].ncomp;
    }
    if (fo->ng == 0 || fo->ni == 0) {
        fprintf(stderr, "hotspot: %s: needs genuine and impostor pairs\n", fo->dir);
        return -1;
    }
    hs_eval_result r = HS_EVAL_RESULT_INIT;
    hs_status st = hs_eval_rates(NULL, &r, fo->gen, fo->ng, fo->imp, fo->ni, 0);
    if (st != HS_OK) {
        fprintf(stderr, "hotspot: %s: %s\n", fo->dir, hs_status_str(st));
        return -1;
    }
    fo->r = r;
    return 0;
}

/* ---- DET curve as SVG -------------------------------------------------------- */

static double det_x(double fmr, double lo) /* log10 axis, 0..1 */
{
    double v = fmr < lo ? lo : fmr;
    return (log10(v) - log10(lo)) / (0.0 - log10(lo));
}

static int write_det(const char *path, folder *fos, int nf)
{
    cli_out out;
    if (cli_out_open(&out) != 0)
        return -1;
    FILE *f = out.f;
    static const char *colours[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
    const double W = 640, H = 520, L = 70, T = 20, PW = 540, PH = 420, lo = 1e-4;
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" height=\"%.0f\" "
               "font-family=\"sans-serif\" font-size=\"11\">\n", W, H);
    fprintf(f, "<rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\" fill=\"white\" "
               "stroke=\"black\"/>\n", L, T, PW, PH);
    for (int e = -4; e <= 0; e++) {
        double x = L + PW * det_x(pow(10, e), lo), y = T + PH * (1 - det_x(pow(10, e), lo));
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#ddd\"/>\n", x, T,
                x, T + PH);
        fprintf(f, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>\n", L, y,
                L + PW, y);
        fprintf(f, "<text x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">1e%d</text>\n", x,
                T + PH + 15, e);
        fprintf(f, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">1e%d</text>\n", L - 5, y + 4,
                e);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">FMR</text>\n", L + PW / 2,
            T + PH + 32);
    fprintf(f, "<text x=\"15\" y=\"%.0f\" transform=\"rotate(-90 15 %.0f)\" "
               "text-anchor=\"middle\">FNMR</text>\n", T + PH / 2, T + PH / 2);
    for (int i = 0; i < nf; i++) {
        folder *fo = &fos[i];
        size_t n = 0;
        hs_eval_point *pt = NULL;
        if (hs_eval_det(NULL, NULL, &n, fo->gen, fo->ng, fo->imp, fo->ni, 0) != HS_OK ||
            !(pt = malloc(n * sizeof *pt)) ||
            hs_eval_det(NULL, pt, &n, fo->gen, fo->ng, fo->imp, fo->ni, 0) != HS_OK) {
            free(pt);
            continue;
        }
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\" points=\"",
                colours[i % 10]);
        for (size_t k = 0; k < n; k++)
            fprintf(f, "%.1f,%.1f ", L + PW * det_x(pt[k].fmr, lo),
                    T + PH * (1 - det_x(pt[k].fnmr, lo)));
        fprintf(f, "\"/>\n");
        const char *name = strrchr(fo->dir, '/');
        name = name && name[1] ? name + 1 : fo->dir;
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" fill=\"%s\">", L + PW - 150, T + 16 + 14.0 * i,
                colours[i % 10]);
        for (const char *c = name; *c; c++) {
            if (*c == '<')
                fputs("&lt;", f);
            else if (*c == '&')
                fputs("&amp;", f);
            else
                fputc(*c, f);
        }
        fprintf(f, "</text>\n");
        free(pt);
    }
    fprintf(f, "</svg>\n");
    if (ferror(f)) {
        cli_out_drop(&out);
        fprintf(stderr, "hotspot: %s: write failed\n", path);
        return -1;
    }
    hs_ctx *ctx = NULL;
    if (hs_ctx_new(&ctx, NULL) != HS_OK) {
        cli_out_drop(&out);
        fprintf(stderr, "hotspot: out of memory\n");
        return -1;
    }
    int rc = cli_out_save(ctx, &out, path, 0);
    hs_ctx_free(ctx);
    return rc;
}

/* Rank-1 identification over all folders: the gallery is the first
 * impression of every finger of every folder, each other sample a probe
 * searched against the whole gallery. A probe is a hit when its finger's
 * gallery entry scores highest (ties go to the earlier gallery entry, the
 * rule of bench_match); a probe or gallery entry that failed to extract
 * matches nothing. Every comparison in thorough mode with thorough, as
 * eval's others. Returns -1 when the folders hold no probe. */
static int eval_rank1(const folder *fos, int nf, int thorough, size_t *hits, size_t *probes,
                      size_t *gallery)
{
    size_t ng = 0, cap = 0;
    const sample **gal = NULL;
    for (int i = 0; i < nf; i++)
        for (size_t k = 0; k < fos[i].n; k++)
            if (k == 0 || strcmp(fos[i].s[k].finger, fos[i].s[k - 1].finger)) {
                if (ng == cap) {
                    cap = cap ? 2 * cap : 256;
                    const sample **ng2 = realloc(gal, cap * sizeof *gal);
                    if (!ng2) {
                        free(gal);
                        return -1;
                    }
                    gal = ng2;
                }
                gal[ng++] = &fos[i].s[k];
            }
    hs_finger_matcher *m = NULL;
    if (hs_finger_matcher_new(NULL, &m) != HS_OK) {
        free(gal);
        return -1;
    }
    if (thorough)
        hs_finger_matcher_set(m, HS_MATCH_THOROUGH, 1);
    size_t h = 0, np = 0, gi = 0;
    for (int i = 0; i < nf; i++)
        for (size_t k = 0; k < fos[i].n; k++) {
            const sample *pr = &fos[i].s[k];
            if (gi < ng && gal[gi] == pr) {
                gi++; /* a gallery entry, not a probe */
                continue;
            }
            np++;
            if (!pr->p)
                continue;
            const sample *best = NULL;
            float bs = -1.0f;
            for (size_t g = 0; g < ng; g++) {
                float sc = 0.0f;
                if (!gal[g]->p)
                    continue; /* failed to extract: never the best */
                hs_finger_match(m, &sc, pr->p, gal[g]->p);
                if (sc > bs) {
                    bs = sc;
                    best = gal[g];
                }
            }
            /* the finger's gallery entry is the last one before this probe */
            h += best == gal[gi - 1];
        }
    hs_finger_matcher_free(m);
    free(gal);
    *hits = h;
    *probes = np;
    *gallery = ng;
    return np ? 0 : -1;
}

static void eval_usage(FILE *f)
{
    fprintf(f, "usage: hotspot eval [options] DIR...\n"
               "FVC protocol on folders of FVC-named ({finger}_{impression}) or\n"
               "Neurotechnology-named ({person}_{finger}_{impression}) images or templates.\n"
               "Genuine: all same-finger pairs; impostors: all cross-finger pairs (all) or\n"
               "first impressions only (fvc). Prints EER, FMR100, FMR1000, ZeroFMR (percent),\n"
               "failures to extract, extraction and comparison times per folder and the mean.\n"
               "options:\n"
               "  --impostors all|fvc  impostor pairs (default all)\n"
               "  --det FILE.svg       write the DET curves (FNMR vs FMR, log axes)\n"
               "  --threads N          worker threads (default 1)\n"
               "  --rank1              also rank-1 identification over all folders: the\n"
               "                       first impression of every finger is the gallery,\n"
               "                       every other sample a probe searched against it\n"
               "  --thorough           every comparison in the matcher's thorough mode\n"
               "                       (HS_MATCH_THOROUGH; 1.6-4 times the time)\n"
               "  --ppi N              resolution of images that carry none (default:\n"
               "                       the FVC set table by folder name, else 500)\n"
               "  --perturb SPEC       change every image a little before extraction, to see\n"
               "                       how much the figures owe to the exact pixels:\n"
               "                       crop:X,Y drops X columns at the left and Y rows at\n"
               "                       the top; noise:A,SEED adds uniform integer noise in\n"
               "                       [-A, A] (the same for every run with SEED)\n");
}

int cmd_eval(int argc, char **argv)
{
    int fvc = 0, thorough = 0, rank1 = 0;
    unsigned threads = 1, ppi = 0;
    const char *det = NULL;
    perturb pt = {0, 0, 0, 0};
    int use_pt = 0;
    int ai = 1;
    for (; ai < argc && argv[ai][0] == '-'; ai++) {
        if (!strcmp(argv[ai], "--")) {
            ai++;
            break;
        } else if (!strcmp(argv[ai], "--help") || !strcmp(argv[ai], "-h")) {
            eval_usage(stdout);
            return CLI_OK;
        } else if (!strcmp(argv[ai], "--impostors") && ai + 1 < argc) {
            ai++;
            if (!strcmp(argv[ai], "fvc"))
                fvc = 1;
            else if (strcmp(argv[ai], "all"))
                return cli_usage("eval", "--impostors takes all or fvc");
        } else if (!strcmp(argv[ai], "--det") && ai + 1 < argc) {
            det = argv[++ai];
        } else if (!strcmp(argv[ai], "--thorough")) {
            thorough = 1;
        } else if (!strcmp(argv[ai], "--rank1")) {
            rank1 = 1;
        } else if (!strcmp(argv[ai], "--threads") && ai + 1 < argc) {
            if (!cli_parse_u32(argv[++ai], 1, 64, &threads))
                return cli_usage("eval", "--threads must be 1..64, not '%s'", argv[ai]);
        } else if (!strcmp(argv[ai], "--ppi") && ai + 1 < argc) {
            if (!cli_parse_u32(argv[++ai], 50, 5000, &ppi))
                return cli_usage("eval", "--ppi must be 50..5000, not '%s'", argv[ai]);
        } else if (!strcmp(argv[ai], "--perturb") && ai + 1 < argc) {
            const char *v = argv[++ai];
            char a[16], b[16];
            const char *comma = strchr(v, ',');
            int crop = !strncmp(v, "crop:", 5), noise = !strncmp(v, "noise:", 6);
            const char *num = v + (crop ? 5 : 6);
            if ((!crop && !noise) || !comma || comma - num <= 0 || comma - num >= 16 ||
                strlen(comma + 1) >= 16)
                return cli_usage("eval", "--perturb takes crop:X,Y or noise:A,SEED, not '%s'", v);
            memcpy(a, num, (size_t)(comma - num));
            a[comma - num] = 0;
            strcpy(b, comma + 1);
            unsigned x, y;
            if (!cli_parse_u32(a, 0, crop ? 4096 : 255, &x) ||
                !cli_parse_u32(b, 0, crop ? 4096 : UINT32_MAX, &y))
                return cli_usage("eval", "--perturb: bad numbers in '%s'", v);
            if (crop) {
                pt.crop_x = x;
                pt.crop_y = y;
            } else {
                pt.noise = x;
                pt.seed = y;
            }
            use_pt = 1;
        } else {
            return cli_usage("eval", "unknown option '%s'", argv[ai]);
        }
    }
    int nf = argc - ai;
    if (nf < 1)
        return cli_usage("eval", "expected at least one folder");
    folder *fos = calloc((size_t)nf, sizeof *fos);
    if (!fos)
        return CLI_ERR;
    int rc = CLI_OK;
    printf("%-24s %7s %7s %7s %7s %8s %5s %10s %10s\n", "folder", "EER%", "FMR100", "FMR1000",
           "ZeroFMR", "pairs", "FTE", "extract_ms", "compare_us");
    double s_eer = 0, s_100 = 0, s_1000 = 0, s_zero = 0;
    for (int i = 0; i < nf; i++) {
        folder *fo = &fos[i];
        fo->dir = argv[ai + i];
        if (eval_folder(fo, (int)threads, fvc, thorough, ppi, use_pt ? &pt : NULL) != 0) {
            rc = CLI_ERR;
            break;
        }
        double ext = 0;
        int nimg = 0;
        for (size_t k = 0; k < fo->n; k++)
            if (fo->s[k].is_image) {
                ext += fo->s[k].extract_ms;
                nimg++;
            }
        const char *name = strrchr(fo->dir, '/');
        name = name && name[1] ? name + 1 : fo->dir;
        printf("%-24s %7.2f %7.2f %7.2f %7.2f %4zu/%-4zu %4d %10.2f %10.2f\n", name,
               100 * fo->r.eer, 100 * fo->r.fmr100.fnmr, 100 * fo->r.fmr1000.fnmr,
               100 * fo->r.zero_fmr.fnmr,
               fo->ng, fo->ni, fo->fte, nimg ? ext / nimg : 0.0,
               fo->ncomp ? 1000.0 * fo->match_ms / (double)fo->ncomp : 0.0);
        fflush(stdout);
        s_eer += fo->r.eer;
        s_100 += fo->r.fmr100.fnmr;
        s_1000 += fo->r.fmr1000.fnmr;
        s_zero += fo->r.zero_fmr.fnmr;
    }
    if (rc == CLI_OK && nf > 1)
        printf("%-24s %7.2f %7.2f %7.2f %7.2f\n", "mean", 100 * s_eer / nf, 100 * s_100 / nf,
               100 * s_1000 / nf, 100 * s_zero / nf);
    if (rc == CLI_OK && rank1) {
        size_t hits = 0, probes = 0, gallery = 0;
        if (eval_rank1(fos, nf, thorough, &hits, &probes, &gallery) != 0) {
            fprintf(stderr, "hotspot: eval --rank1: no probes (every finger has one sample)\n");
            rc = CLI_ERR;
        } else {
            printf("rank-1 (%zu gallery, %zu probes): %.2f%% (%zu hits)\n", gallery, probes,
                   100.0 * (double)hits / (double)probes, hits);
        }
    }
    if (rc == CLI_OK && det && write_det(det, fos, nf) != 0)
        rc = CLI_ERR;
    for (int i = 0; i < nf; i++) {
        for (size_t k = 0; k < fos[i].n; k++) {
            free(fos[i].s[k].path);
            hs_finger_prepared_free(fos[i].s[k].p);
        }
        free(fos[i].s);
        free(fos[i].gen);
        free(fos[i].imp);
        free(fos[i].slots);
    }
    free(fos);
    return rc;
}
