/* A qemu TCG plugin (user mode) that counts the guest instructions executed,
 * in total and per symbol of the main executable. Debian's qemu-user is
 * built with plugin support but packages neither the contrib plugins
 * (libinsn.so) nor qemu-plugin.h, so this file declares the few calls of
 * plugin API version 1 (qemu 4.2 - 8.x) that it uses. Built and run by
 * tools/count-insns-arm64.sh:
 *   gcc -O2 -shared -fPIC -o qemu_insn.so tools/qemu_insn.c
 *   qemu-aarch64 -plugin file=./qemu_insn.so -d plugin -D counts.txt ./program
 * The output lists "N (all)", the total, and then "N symbol" lines, largest
 * first.
 * Instructions outside the executable's symbol table (libc, the dynamic
 * loader) count under "?". Each instruction is counted once per execution,
 * whatever its width or latency: a proxy for work, not for time. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
const char *qemu_plugin_insn_symbol(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn,
                                                enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb,
                                    void *userdata);
void qemu_plugin_outs(const char *string);

#define EXPORT __attribute__((visibility("default")))

EXPORT int qemu_plugin_version = 1;
EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc,
                               char **argv);

#define SLOTS 8192 /* open addressing; far more than the symbols a run meets */

typedef struct slot {
    const char *name; /* qemu's string, stable for the run */
    uint64_t count;
} slot;

static slot table[SLOTS];

static uint64_t *counter(const char *name)
{
    if (!name)
        name = "?";
    uint32_t h = 2166136261u;
    for (const char *p = name; *p; p++)
        h = (h ^ (uint8_t)*p) * 16777619u;
    for (uint32_t k = 0; k < SLOTS; k++) {
        slot *s = &table[(h + k) & (SLOTS - 1)];
        if (!s->name) {
            s->name = name;
            return &s->count;
        }
        if (s->name == name || !strcmp(s->name, name))
            return &s->count;
    }
    return &table[0].count; /* full: never with real programs */
}

static void on_tb(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64,
                                                   counter(qemu_plugin_insn_symbol(insn)), 1);
    }
}

static int by_count(const void *a, const void *b)
{
    const slot *x = a, *y = b;
    return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static void at_end(qemu_plugin_id_t id, void *p)
{
    (void)id;
    (void)p;
    uint64_t total = 0;
    for (int k = 0; k < SLOTS; k++)
        total += table[k].count;
    qsort(table, SLOTS, sizeof table[0], by_count);
    char line[512];
    snprintf(line, sizeof line, "%llu (all)\n", (unsigned long long)total);
    qemu_plugin_outs(line);
    for (int k = 0; k < SLOTS && table[k].count; k++) {
        snprintf(line, sizeof line, "%llu %s\n", (unsigned long long)table[k].count,
                 table[k].name);
        qemu_plugin_outs(line);
    }
}

int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
    (void)info;
    (void)argc;
    (void)argv;
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_tb);
    qemu_plugin_register_atexit_cb(id, at_end, NULL);
    return 0;
}
