/* The hotspot command-line tool: shared declarations for its subcommands.
 * Exit codes: 0 ok, 1 runtime error (named on stderr), 2 usage error. */
#ifndef HOTSPOT_CLI_H
#define HOTSPOT_CLI_H

#include <hotspot/hotspot.h>
#include <stdbool.h>
#include <stdio.h>

#define CLI_OK 0
#define CLI_ERR 1
#define CLI_USAGE 2

typedef int (*cli_fn)(int argc, char **argv);

/* Subcommands: argv[0] is the subcommand name. */
int cmd_image_info(int argc, char **argv);
int cmd_image(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_watchlist(int argc, char **argv);
int cmd_face(int argc, char **argv);
int cmd_nist(int argc, char **argv);
int cmd_device(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_authority(int argc, char **argv);
int cmd_encounter(int argc, char **argv);
int cmd_check(int argc, char **argv);  /* cmd_outbox.c */
int cmd_outbox(int argc, char **argv); /* cmd_outbox.c */
/* hs_encounter_seal into a new malloc'd buffer (*out, *size; the caller
 * wipes and frees it): one pass into a generous buffer, the size query only
 * when that is not enough, since each call builds the whole transaction
 * (WSQ-encoding every finger). */
hs_status cli_seal(hs_ctx *ctx, uint8_t **out, size_t *size, const hs_encounter *e,
                   const uint8_t box_public[32], const uint8_t device_secret[64],
                   const hs_encounter_seal_options *opts);

#ifdef HOTSPOT_HAVE_CLUSTER
int cmd_cluster(int argc, char **argv);
int cmd_shard(int argc, char **argv);
#endif

/* Print "hotspot: <what>: <status text>[: <detail>]" to stderr. */
void cli_error(hs_ctx *ctx, hs_status s, const char *what);
/* Print a usage error and return CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Parse the arguments of a command taking `[--json] [--help] [--] FILE...`
 * (options anywhere before "--"). Returns -1 when the command should go on
 * (*json set), else the exit code to return (help printed, or usage error). */
int cli_file_args(int argc, char **argv, const char *cmd, void (*usage)(FILE *),
                  const char *no_files, int *json);
/* The next file operand at or after *pos (skipping options before "--"), or
 * NULL at the end; start with *pos = 1 and *opts_done = 0. */
const char *cli_next_file(int argc, char **argv, int *pos, int *opts_done);
/* Print a JSON array entry for a file that failed: path, error, status,
 * detail (with a leading comma unless first). */
void cli_json_error(hs_ctx *ctx, hs_status s, const char *path, int first);
/* Write s as a JSON string (with quotes) to f. */
void cli_json_str(FILE *f, const char *s);
/* A decimal uint64 with nothing after it (no sign, no overflow). */
bool cli_parse_u64(const char *s, uint64_t *out);
/* Parse an unsigned integer option value in [lo, hi]; false on error. */
bool cli_parse_u32(const char *s, unsigned lo, unsigned hi, unsigned *out);
/* Milliseconds of monotonic time. */
double cli_now_ms(void);
/* Base name without directory and extension, into buf. */
void cli_stem(const char *path, char *buf, size_t size);
/* Create a directory (and parents); true if it exists afterwards. */
bool cli_mkdirs(const char *path);
/* Record a detail message for the next cli_error() (the tool's own errors,
 * which have no library context to carry them) and return s. */
hs_status cli_fail(hs_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* The detail of the last error: cli_fail's message if one is pending,
 * else the context's last error. */
const char *cli_detail(hs_ctx *ctx);

/* FVC protocol (fvc.c). Parse a sample file name: FVC
 * "{finger}_{impression}.ext" or Neurotechnology
 * "{person}_{finger}_{impression}.ext"; finger receives a key unique per
 * finger ("101" or "012_3"). False for names that fit neither. */
bool cli_fvc_parse_name(const char *name, char *finger, size_t fsize, unsigned *impression);
/* Resolution of a known FVC set from its folder name (e.g. "FVC2002_DB2_B"
 * -> 569), 0 when unknown. */
unsigned cli_fvc_ppi(const char *folder);
/* Sorted entry names of dir (without names starting with '.'), *n of them;
 * NULL when dir cannot be read. Free with cli_free_list(). */
char **cli_list_dir(const char *dir, size_t *n);
void cli_free_list(char **v, size_t n);

/* A finger from "[POS:]FILE": a template file, or an image the extractor
 * reads (at @p ppi when not 0); POS (0-10) sets the position of a one-view
 * template. Used by watchlist and cluster commands alike. */
hs_status cli_load_finger(hs_ctx *ctx, const char *spec, unsigned ppi, hs_template **out);

/* One candidate of a search, as `watchlist search` and `cluster search`
 * print it: a JSON object (preceded by a comma unless it is the first), or
 * a table row; @p details adds the per-finger similarities and the face
 * cosine to the row. */
void cli_print_candidate(const hs_watchlist_candidate *c, uint32_t rank, uint32_t nprobe,
                         int json, int details);

/* The watchlist commands' transactions (cmd_watchlist_nist.c): enrol the
 * fingers and face of transaction @p path into @p sub; add its fingers to
 * @p probe, its face to *face (face NULL: not used) and keep it in *txn;
 * write the SRE answer to @p path. Each prints its error and returns
 * CLI_OK or CLI_ERR. */
int cli_wl_nist_add(hs_ctx *ctx, hs_watchlist_subject *sub, const char *path);
int cli_wl_nist_probe(hs_ctx *ctx, hs_nist **txn, hs_template *probe, float **face,
                      uint32_t *face_dim, uint32_t *face_model, const char *path);
int cli_wl_nist_answer(hs_ctx *ctx, const char *path, const hs_nist *search,
                       const hs_watchlist_result *r);

/* Text output to a file through the library's one atomic save: write to
 * o->f (a memory stream), then cli_out_save() saves it (mode 0600 with
 * HS_FILE_PRIVATE) and frees it; cli_out_drop() discards it. Both return
 * 0 or -1 with a message printed. */
typedef struct cli_out {
    FILE *f;
    char *buf;
    size_t len;
} cli_out;
int cli_out_open(cli_out *o);
int cli_out_save(hs_ctx *ctx, cli_out *o, const char *path, uint32_t flags);
void cli_out_drop(cli_out *o);

/* Device options of the commands that read or write the installed list
 * (cmd_device.c): --storage-key FILE (the list is stored encrypted),
 * --audit DIR with --device PREFIX (log installs and failed unlocks, signed
 * with PREFIX.sign.sec; HOTSPOT_OPERATOR names the operator). */
typedef struct cli_device_opts {
    const char *storage_key, *audit_dir, *device;
} cli_device_opts;
/* Consume argv[*i] if it is a device option (advancing *i past its value):
 * 1 consumed, 0 not one, -1 usage error printed (return CLI_USAGE). */
int cli_device_opt(cli_device_opts *d, int argc, char **argv, int *i);
/* -1 (usage error printed) when the options do not go together. */
int cli_device_check(const cli_device_opts *d);
/* hs_watchlist_load / save, encrypted with --storage-key; a failed unlock
 * is logged (HS_AUDIT_UNLOCK_FAILED) when --audit is given. */
hs_status cli_list_load(hs_ctx *ctx, hs_watchlist **out, const char *path,
                        const cli_device_opts *d);
hs_status cli_list_save(hs_ctx *ctx, const char *path, const hs_watchlist *wl,
                        const cli_device_opts *d);
/* Append one entry to the --audit log (nothing without --audit); a failure
 * is printed, not fatal. */
void cli_audit_note(const cli_device_opts *d, uint32_t event, const char *ref, int32_t decision,
                    uint32_t count, const char *detail);

/* Lower-case hex of n bytes into out (2n + 1 chars with the NUL). */
void cli_hex(char *out, const uint8_t *p, size_t n);
/* Exactly 2n hex digits (either case) and the end of s into n bytes; false
 * otherwise (out then unspecified). */
bool cli_unhex(uint8_t *out, const char *s, size_t n);
/* Zeroes n bytes in a way the compiler keeps (keys, sealed data). */
void cli_wipe(void *p, size_t n);
/* "no_hit", "hit", "possible_hit", "not_searched", or "?" for a decision
 * code of encounter.h. */
const char *cli_decision_name(int32_t d);

/* Append every view of src to dst. */
hs_status cli_append_views(hs_ctx *ctx, hs_template *dst, const hs_template *src);
/* A face embedding file (hs_face_embedding_encode) into a new malloc'd
 * vector *out of *dim values, with its model in *model. */
hs_status cli_load_face(hs_ctx *ctx, const char *path, float **out, uint32_t *dim,
                        uint32_t *model);

#endif
