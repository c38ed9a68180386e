/* Semihosting calls (Arm semihosting over BKPT 0xAB on M-profile): file I/O on the host and the
 * exit status, with no C library. Used by edgec's Cortex-M harness and the firmware example. */
#ifndef EC_SEMIHOST_H
#define EC_SEMIHOST_H

#include <stdint.h>

#define EC_SH_OPEN 0x01
#define EC_SH_CLOSE 0x02
#define EC_SH_WRITE0 0x04
#define EC_SH_WRITE 0x05
#define EC_SH_READ 0x06
#define EC_SH_FLEN 0x0C
#define EC_SH_EXIT_EXTENDED 0x20
#define EC_SH_MODE_RB 1
#define EC_SH_MODE_WB 5

static inline int32_t ec_semihost(int32_t op, const void *arg)
{
    register int32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

/* Opens a host file; mode EC_SH_MODE_RB or EC_SH_MODE_WB. Returns a handle, or -1. */
static inline int32_t ec_sh_open(const char *path, int32_t mode)
{
    int32_t len = 0;
    uint32_t block[3];
    while (path[len] != '\0') {
        ++len;
    }
    block[0] = (uint32_t)(uintptr_t)path;
    block[1] = (uint32_t)mode;
    block[2] = (uint32_t)len;
    return ec_semihost(EC_SH_OPEN, block);
}

/* Reads or writes `n` bytes; returns 0 when all of them were transferred. */
static inline int32_t ec_sh_read(int32_t h, void *buf, uint32_t n)
{
    uint32_t block[3];
    block[0] = (uint32_t)h;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = n;
    return ec_semihost(EC_SH_READ, block);
}

static inline int32_t ec_sh_write(int32_t h, const void *buf, uint32_t n)
{
    uint32_t block[3];
    block[0] = (uint32_t)h;
    block[1] = (uint32_t)(uintptr_t)buf;
    block[2] = n;
    return ec_semihost(EC_SH_WRITE, block);
}

static inline int32_t ec_sh_flen(int32_t h)
{
    uint32_t block[1];
    block[0] = (uint32_t)h;
    return ec_semihost(EC_SH_FLEN, block);
}

static inline void ec_sh_close(int32_t h)
{
    uint32_t block[1];
    block[0] = (uint32_t)h;
    (void)ec_semihost(EC_SH_CLOSE, block);
}

/* Writes a NUL-terminated string to the debugger console (QEMU: its standard output or error). */
static inline void ec_sh_puts(const char *s)
{
    (void)ec_semihost(EC_SH_WRITE0, s);
}

/* Ends the program; QEMU exits with `code` as its own status. */
static inline void ec_sh_exit(int32_t code)
{
    uint32_t block[2];
    block[0] = 0x20026u; /* ADP_Stopped_ApplicationExit */
    block[1] = (uint32_t)code;
    (void)ec_semihost(EC_SH_EXIT_EXTENDED, block);
    for (;;) {
    }
}

#endif /* EC_SEMIHOST_H */
