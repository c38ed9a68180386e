/* Bare-metal start-up for Cortex-M (v6-M, v7-M, v8-M, v8.1-M): the vector table, a reset handler
 * that sets up .data and .bss, turns the FPU (and so MVE) on when the build uses it, calls main
 * and reports its return value as the exit status through semihosting. Faults exit with status
 * 100 so that a crashed run never hangs. The linker script provides the symbols below. */
#include <stdint.h>

#include "ec_semihost.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[];
extern uint32_t __stack_top[];
extern int main(void);

void ec_reset_handler(void);
void ec_fault_handler(void);

__attribute__((section(".vectors"), used)) static void (*const ec_vectors[16])(void) = {
    (void (*)(void))(uintptr_t)__stack_top,
    ec_reset_handler,
    ec_fault_handler, /* NMI */
    ec_fault_handler, /* HardFault */
    ec_fault_handler, /* MemManage */
    ec_fault_handler, /* BusFault */
    ec_fault_handler, /* UsageFault */
    ec_fault_handler, /* SecureFault */
    0, 0, 0,
    ec_fault_handler, /* SVCall */
    ec_fault_handler, /* DebugMonitor */
    0,
    ec_fault_handler, /* PendSV */
    ec_fault_handler, /* SysTick */
};

void ec_fault_handler(void)
{
    ec_sh_puts("edgec harness: fault\n");
    ec_sh_exit(100);
}

void ec_reset_handler(void)
{
    volatile uint32_t *dst = __data_start;
    const volatile uint32_t *src = __data_load;
    while (dst < __data_end) {
        *dst++ = *src++;
    }
    for (dst = __bss_start; dst < __bss_end; ++dst) {
        *dst = 0u;
    }
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CPACR: full access to coprocessors 10 and 11 (FPU, and MVE on v8.1-M) */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    ec_sh_exit(main());
}
