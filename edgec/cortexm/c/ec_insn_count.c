/* A QEMU TCG plugin that counts guest instructions executed between two marker functions.
 *
 * QEMU ships no plugin headers on Debian, so the few API declarations used here are written out
 * below. Their API version is 1 up to QEMU 8.1 and 2 from 8.2 on (the functions used here exist
 * in both); the build passes the running QEMU's as EC_QEMU_PLUGIN_VERSION.
 * Arguments: begin=ADDR,end=ADDR,out=PATH[,profile=PATH2]. Every translated block that starts at
 * `begin` switches counting on, every one that starts at `end` switches it off and appends the
 * count since `begin` to PATH as one decimal line; with profile=, it also rewrites PATH2 with the
 * executions of every block counted so far (for instructions per function). A marker function is a call target, so it always starts a block;
 * blocks end at every branch, so whole blocks are the exact unit of counting (no interrupts run
 * in the harness). */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef struct {
    const char *target_name;
    struct { int min; int cur; } version;
    int system_emulation;
    union { int smp_vcpus; int max_vcpus; } system;
} qemu_info_t;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);

#ifndef EC_QEMU_PLUGIN_VERSION
#define EC_QEMU_PLUGIN_VERSION 1
#endif
__attribute__((visibility("default"))) int qemu_plugin_version = EC_QEMU_PLUGIN_VERSION;

static uint64_t begin_addr = UINT64_MAX, end_addr = UINT64_MAX;
static int counting;
static uint64_t count;
static FILE *out;
static char *profile_path;

/* One translated block: the callback's user data. Blocks retranslated later get a new record;
 * the profile adds records of the same address together. */
typedef struct block {
    uint64_t pc;
    uint64_t insns;
    uint64_t execs;   /* executions while counting (profile) */
    int kind;         /* 0: plain, 1: begin marker, 2: end marker */
    struct block *next;
} block;

static block *blocks;

/* Writes "pc instructions-per-execution executions" per block executed while counting. */
static void write_profile(void)
{
    FILE *f = fopen(profile_path, "w");
    const block *b;
    if (f == NULL) {
        return;
    }
    for (b = blocks; b != NULL; b = b->next) {
        if (b->execs != 0) {
            fprintf(f, "%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", b->pc, b->insns, b->execs);
        }
    }
    fclose(f);
}

static void on_exec(unsigned int vcpu, void *udata)
{
    block *b = (block *)udata;
    (void)vcpu;
    if (b->kind == 1) {
        counting = 1;
        count = 0;
        return;
    }
    if (b->kind == 2) {
        if (counting && out != NULL) {
            fprintf(out, "%" PRIu64 "\n", count);
            fflush(out);
            if (profile_path != NULL) {
                write_profile();
            }
        }
        counting = 0;
        return;
    }
    if (counting) {
        count += b->insns;
        b->execs += 1;
    }
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
    block *b = (block *)calloc(1, sizeof(block));
    (void)id;
    if (b == NULL) {
        abort();
    }
    b->pc = qemu_plugin_tb_vaddr(tb);
    b->insns = (uint64_t)qemu_plugin_tb_n_insns(tb);
    b->kind = b->pc == begin_addr ? 1 : (b->pc == end_addr ? 2 : 0);
    b->next = blocks;
    blocks = b;
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_exec, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void on_plugin_exit(qemu_plugin_id_t id, void *p)
{
    (void)id;
    (void)p;
    if (out != NULL) {
        fclose(out);
        out = NULL;
    }
}

__attribute__((visibility("default"))) int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info,
                                                               int argc, char **argv)
{
    int i;
    (void)info;
    for (i = 0; i < argc; ++i) {
        const char *a = argv[i];
        if (strncmp(a, "begin=", 6) == 0) {
            begin_addr = strtoull(a + 6, NULL, 0) & ~1ull;
        } else if (strncmp(a, "end=", 4) == 0) {
            end_addr = strtoull(a + 4, NULL, 0) & ~1ull;
        } else if (strncmp(a, "profile=", 8) == 0) {
            profile_path = strdup(a + 8);
        } else if (strncmp(a, "out=", 4) == 0) {
            out = fopen(a + 4, "w");
            if (out == NULL) {
                return -1;
            }
        } else {
            return -1;
        }
    }
    if (begin_addr == UINT64_MAX || end_addr == UINT64_MAX || out == NULL) {
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
    return 0;
}
