/*
 * hotspot: the libhotspot command-line tool.
 *
 * Each subcommand lives in its own cmd_*.c file; this file only dispatches.
 * Exit codes: 0 ok, 1 runtime error, 2 usage error.
 */
#include "cli.h"

#include <string.h>

struct command {
    const char *name;
    cli_fn fn;
    const char *summary;
};

/* One line per subcommand, kept in the order `hotspot help` lists them. */
static const struct command commands[] = {
    {"demo", cmd_demo, "                   end-to-end check on synthetic people [--people N --seed S]"},
    {"image-info", cmd_image_info, "FILE...            format, size and resolution of images [--json]"},
    {"image", cmd_image, "info|convert ...   image info FILE..., convert [--bitrate R --ppi N] IN OUT (.wsq .jp2 .png ...)"},
    {"extract", cmd_extract, "--out DIR IMAGE...  fingerprint minutiae templates [--ppi N --format F --debug-dir D]"},
    {"template", cmd_template, "info|convert ...   template formats: info [--json] FILE..., convert --to F IN OUT"},
    {"match", cmd_match, "A B | --pairs FILE similarity score of fingerprints (templates or images)"},
    {"eval", cmd_eval, "DIR...             FVC protocol: EER, FMR100, FMR1000 [--impostors --det --threads]"},
    {"synth", cmd_synth, "--out DIR          synthetic fingerprints + truth [--fingers N --impressions K --seed S --size WxH --ppi P --threads T]"},
    {"watchlist", cmd_watchlist, "CMD ...            1:N watchlists: create add remove list info search pack unpack keygen"},
    {"face", cmd_face, "detect|embed|compare|eval  face detection, embeddings, verification (docs/face.md)"},
    {"device", cmd_device, "keygen PREFIX      the device's signing and storage keys (docs/audit.md)"},
    {"audit", cmd_audit, "show|verify|export DIR  the device's tamper-evident audit log (docs/audit.md)"},
    {"nist", cmd_nist, "info|dump|validate|convert|extract|build  ANSI/NIST-ITL transactions (docs/nist.md)"},
    {"authority", cmd_authority, "keygen PREFIX      the central authority's keys for sealed encounters"},
    {"encounter", cmd_encounter, "make|batch|show|open|ack-verify  sealed encounters (docs/encounter-format.md)"},
    {"check", cmd_check, "LIST --outbox DIR ...  offline check: search, seal, queue (docs/device.md)"},
    {"outbox", cmd_outbox, "list|export|ack|purge|verify DIR  the device's sealed encounters (docs/device.md)"},
#ifdef HOTSPOT_HAVE_CLUSTER
    {"cluster", cmd_cluster, "CMD ...            central search on NATS: init enrol remove search status load submit intake fetch"},
    {"shard", cmd_shard, "--shard I/N --data DIR  serve one shard replica of a cluster (docs/cluster.md)"},
#endif
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void help(FILE *f)
{
    fprintf(f, "hotspot %s - frontline biometric screening\n\n", hs_version_string());
    fprintf(f, "usage: hotspot <command> [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-12s %s\n", "help", "                   this text");
    fprintf(f, "\noptions: --version, --help\n");
    fprintf(f, "exit codes: 0 ok, 1 runtime error, 2 usage error\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        help(stderr);
        return CLI_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("hotspot %s (library %s)\n", HS_VERSION_STRING, hs_version_string());
        hs_finger_matcher *m = NULL;
        if (hs_finger_matcher_new(NULL, &m) == HS_OK) {
            int32_t k = HS_MATCH_KERNELS_PORTABLE;
            hs_finger_matcher_get(m, &k, HS_MATCH_KERNELS);
            printf("matcher kernels: %s\n", k == HS_MATCH_KERNELS_AVX512 ? "AVX-512"
                                            : k == HS_MATCH_KERNELS_AVX2 ? "AVX2"
                                            : k == HS_MATCH_KERNELS_NEON ? "NEON"
                                                                         : "portable");
            hs_finger_matcher_free(m);
        }
        return CLI_OK;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        help(stdout);
        return CLI_OK;
    }
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "hotspot: unknown command '%s'\n\n", cmd);
    help(stderr);
    return CLI_USAGE;
}
