"""A minimal bare-metal runner for the cmsis tests: cross-compile a generated model with
arm-none-eabi-gcc, run it under qemu-system-arm, read its int8 outputs back.

Stand-in until edgec.cortexm's harness lands; `run_model(files, sig, feeds, cpu)` is the whole
interface, so swapping it is one import. No newlib start-up code (its crt0 puts the stack in
the wrong RAM on the an547): our own vector table and reset handler (copy .data, zero .bss,
enable the FPU / Helium coprocessors), and two semihosting calls (SYS_WRITE0, SYS_EXIT) through
`bkpt 0xab`. Outputs come back as hex on the semihosting console. `count=True` also counts the
instructions executed between two marker functions around the inference, from QEMU's own
`-d in_asm,exec,nochain` log (exact, slow: for measurements, not for tests).
"""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

# cpu -> (gcc flags, qemu machine, flash origin/length, ram origin/length)
CPUS = {
    "cortex-m0plus": (["-mcpu=cortex-m0plus"], "mps2-an385", (0x0, 0x400000), (0x20000000, 0x100000)),
    "cortex-m3": (["-mcpu=cortex-m3"], "mps2-an385", (0x0, 0x400000), (0x20000000, 0x100000)),
    "cortex-m4": (["-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"], "mps2-an386",
                  (0x0, 0x400000), (0x20000000, 0x100000)),
    "cortex-m7": (["-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"], "mps2-an500",
                  (0x0, 0x400000), (0x20000000, 0x100000)),
    "cortex-m55": (["-mcpu=cortex-m55", "-mfloat-abi=hard"], "mps3-an547", (0x0, 0x80000), (0x20000000, 0x80000)),
    # the M55 without Helium: the DSP path on the same core, the baseline of the Helium figures
    "cortex-m55+nomve": (["-mcpu=cortex-m55+nomve", "-mfloat-abi=hard"], "mps3-an547", (0x0, 0x80000),
                         (0x20000000, 0x80000)),
}

TIMEOUT_S = 120


def toolchain_available() -> bool:
    return shutil.which("arm-none-eabi-gcc") is not None and shutil.which("qemu-system-arm") is not None


_STARTUP = r"""
#include <stdint.h>
#include <string.h>
extern uint32_t __stack_top, __data_load, __data_start, __data_end, __bss_start, __bss_end;
int main(void);
static void semihost(uint32_t op, const void *arg)
{
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
}
void hx_puts(const char *s) { semihost(0x04, s); }
void hx_exit(int ok) { semihost(0x18, (const void *)(uintptr_t)(ok ? 0x20026u : 0x20024u)); for (;;) {} }
void Reset_Handler(void)
{
    uint32_t *s = &__data_load, *d = &__data_start;
    while (d < &__data_end) { *d++ = *s++; }
    for (d = &__bss_start; d < &__bss_end; ++d) { *d = 0; }
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;   /* CPACR: CP10, CP11 full access */
    __asm__ volatile("dsb\n isb");
#endif
    hx_exit(main() == 0);
}
void Fault_Handler(void) { hx_puts("FAULT\n"); hx_exit(0); }
__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))&__stack_top, Reset_Handler, Fault_Handler, Fault_Handler, Fault_Handler, Fault_Handler,
    Fault_Handler, 0, 0, 0, 0, Fault_Handler, Fault_Handler, 0, Fault_Handler, Fault_Handler};
"""

_LINK = """
MEMORY {{ FLASH (rx) : ORIGIN = {fo:#x}, LENGTH = {fl:#x}
         RAM (rwx) : ORIGIN = {ro:#x}, LENGTH = {rl:#x} }}
SECTIONS {{
  .text : {{ KEEP(*(.vectors)) *(.text*) *(.rodata*) . = ALIGN(4); }} > FLASH
  .ARM.exidx : {{ *(.ARM.exidx*) }} > FLASH
  __data_load = LOADADDR(.data);
  .data : {{ . = ALIGN(8); __data_start = .; *(.data*) . = ALIGN(8); __data_end = .; }} > RAM AT > FLASH
  .bss (NOLOAD) : {{ . = ALIGN(8); __bss_start = .; *(.bss*) *(COMMON) . = ALIGN(8); __bss_end = .; }} > RAM
  __stack_top = ORIGIN(RAM) + LENGTH(RAM);
}}
"""


def _c_bytes(a: np.ndarray) -> str:
    return ", ".join(str(int(v)) for v in np.asarray(a).reshape(-1).view(np.int8)) or "0"


def _main_c(sig, feeds: dict[str, np.ndarray]) -> str:
    lines = ["#include <stdint.h>", f'#include "{sig.name}.h"',
             "void hx_puts(const char *s);",
             "__attribute__((noinline)) void hx_mark_begin(void) { __asm__ volatile(\"\" ::: \"memory\"); }",
             "__attribute__((noinline)) void hx_mark_end(void) { __asm__ volatile(\"\" ::: \"memory\"); }"]
    for k, p in enumerate(sig.inputs):
        lines.append(f"static const int8_t in{k}[] = {{{_c_bytes(feeds[p.name])}}};")
    for k, p in enumerate(sig.outputs):
        lines.append(f"static int8_t out{k}[{int(np.prod(p.shape))}];")
    lines.append("static uint64_t arena[(%d + 7) / 8 + 1];" % sig.arena_bytes)
    lines.append("static void dump(const int8_t *y, int n) { static const char hx[] = \"0123456789abcdef\";"
                 " char buf[66]; int i, j = 0; for (i = 0; i < n; ++i) { buf[j++] = hx[(uint8_t)y[i] >> 4];"
                 " buf[j++] = hx[(uint8_t)y[i] & 15]; if (j == 64 || i == n - 1) { buf[j++] = '\\n'; buf[j] = 0;"
                 " hx_puts(buf); j = 0; } } }")
    args = [f"(const {p.ctype} *)in{k}" for k, p in enumerate(sig.inputs)] + \
           [f"({p.ctype} *)out{k}" for k, p in enumerate(sig.outputs)] + ["arena"]
    body = [f"    rc = {sig.name}_run({', '.join(args)});"]
    for k, p in enumerate(sig.outputs):
        body.append(f'    hx_puts("OUT {k}\\n"); dump(out{k}, {int(np.prod(p.shape))});')
    lines += ["int main(void) {", "    int rc;", "    hx_mark_begin();", body[0], "    hx_mark_end();", *body[1:],
              "    return rc;", "}"]
    return "\n".join(lines) + "\n"


@dataclass
class RunResult:
    outputs: dict[str, np.ndarray]
    instructions: int | None
    elf: Path


def build(files: dict[str, str], sig, feeds: dict[str, np.ndarray], cpu: str, work: Path) -> Path:
    flags, _, (fo, fl), (ro, rl) = CPUS[cpu]
    for k, text in files.items():
        (work / k).write_text(text)
    (work / "hx_main.c").write_text(_main_c(sig, feeds))
    (work / "hx_startup.c").write_text(_STARTUP)
    (work / "link.ld").write_text(_LINK.format(fo=fo, fl=fl, ro=ro, rl=rl))
    srcs = sorted(str(p) for p in work.glob("*.c"))
    elf = work / "model.elf"
    cmd = ["arm-none-eabi-gcc", "-mthumb", *flags, "-O2", "-std=c99", "-Wall", "-Wextra", "-Werror",
           "-ffunction-sections", "-fdata-sections", "-I", str(work), "--specs=nano.specs", "-nostartfiles",
           "-T", str(work / "link.ld"), "-Wl,--gc-sections", "-o", str(elf), *srcs, "-lc", "-lgcc"]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"arm-none-eabi-gcc failed:\n{r.stderr[-3000:]}")
    return elf


def _symbol(elf: Path, name: str) -> int:
    out = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True).stdout
    m = re.search(rf"^([0-9a-f]+) T {name}$", out, re.M)
    return int(m.group(1), 16) & ~1


def _count(log: Path, begin: int, end: int) -> int:
    """Instructions executed from the TB at `begin` to the TB at `end`, from in_asm + exec logs."""
    sizes: dict[int, int] = {}
    total, counting, cur, n = 0, False, None, 0
    tb_re = re.compile(r"Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
    with open(log, errors="replace") as f:
        for line in f:
            if line.startswith("IN:"):
                cur, n = None, 0
                continue
            if line.startswith("0x") and ":" in line[:12]:
                pc = int(line.split(":")[0], 16)
                if cur is None:
                    cur = pc
                n += 1
                sizes[cur] = n
                continue
            m = tb_re.match(line)
            if m:
                pc = int(m.group(1), 16)
                if pc == begin:
                    counting = True
                elif pc == end:
                    counting = False
                if counting:
                    total += sizes.get(pc, 0)
    return total


def run_model(files: dict[str, str], sig, feeds: dict[str, np.ndarray], cpu: str, count: bool = False,
              keep: Path | None = None) -> RunResult:
    """Builds `files` (a generated int8 model) with a harness for `cpu`, runs one inference under
    QEMU, returns the outputs by name (and the instruction count when `count`)."""
    work = Path(tempfile.mkdtemp(prefix="cmsis-qemu-")) if keep is None else keep
    work.mkdir(parents=True, exist_ok=True)
    elf = build(files, sig, feeds, cpu, work)
    machine = CPUS[cpu][1]
    cmd = ["qemu-system-arm", "-M", machine, "-nographic", "-monitor", "none", "-serial", "none",
           "-semihosting-config", "enable=on,target=native", "-kernel", str(elf)]
    log = work / "qemu.log"
    if count:
        cmd += ["-d", "in_asm,exec,nochain", "-D", str(log)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S * (10 if count else 1))
    if r.returncode != 0 or "FAULT" in r.stdout + r.stderr:
        raise RuntimeError(f"qemu {machine} failed ({r.returncode}): {r.stdout[-2000:]} {r.stderr[-2000:]}")
    outputs = {}
    sections = re.split(r"^OUT (\d+)$", (r.stdout + r.stderr).replace("\r", ""), flags=re.M)
    for k in range(1, len(sections), 2):
        p = sig.outputs[int(sections[k])]
        data = bytes.fromhex("".join(sections[k + 1].split()))
        outputs[p.name] = np.frombuffer(data, np.int8).reshape(p.shape).copy()
    n = None
    if count:
        n = _count(log, _symbol(elf, "hx_mark_begin"), _symbol(elf, "hx_mark_end"))
        log.unlink()
    if keep is None:
        shutil.rmtree(work, ignore_errors=True)
    return RunResult(outputs, n, elf)
