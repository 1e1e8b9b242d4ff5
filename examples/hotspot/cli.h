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
int cmd_extract(int argc, char **argv);
int cmd_template(int argc, char **argv);
int cmd_match(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_synth(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_watchlist(int argc, char **argv);
int cmd_face(int argc, char **argv);
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
/* Parse an unsigned integer option value in [lo, hi]; false on error. */
bool cli_parse_u32(const char *s, unsigned lo, unsigned hi, unsigned *out);
/* Milliseconds of monotonic time. */
double cli_now_ms(void);
/* Base name without directory and extension, into buf. */
void cli_stem(const char *path, char *buf, size_t size);
/* Create a directory (and parents); true if it exists afterwards. */
bool cli_mkdirs(const char *path);

#endif
