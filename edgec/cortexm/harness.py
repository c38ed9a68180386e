"""The main() of the bare-metal harness around one generated model.

It reads samples from the host file ec_in.bin through semihosting (every input of one sample,
back to back, in the model's argument order), runs the model once per sample between the two
marker functions that the instruction-counting plugin watches, and appends the outputs to
ec_out.bin. A last 4-byte word there is the deepest stack the inferences used, measured by
painting the free stack before the first one. Exit status: 0, or 2-6 for an I/O or model error.
"""
from __future__ import annotations

import numpy as np

from edgec.backend.signature import PortSig, Signature

IN_FILE, OUT_FILE = "ec_in.bin", "ec_out.bin"
MARK_BEGIN, MARK_END = "ec_mark_begin", "ec_mark_end"
PAINT_WORD = 0x5EC5EC5E


def port_bytes(p: PortSig) -> int:
    return int(np.prod(p.shape, dtype=np.int64)) * np.dtype(p.dtype).itemsize


def _buffers(sig: Signature) -> list[str]:
    lines = []
    for kind, ports in (("in", sig.inputs), ("out", sig.outputs)):
        for k, p in enumerate(ports):
            n = (port_bytes(p) + 7) // 8
            lines.append(f"static uint64_t ec_{kind}{k}[{max(n, 1)}]; /* {p.name}: {p.ctype}[{'x'.join(map(str, p.shape))}] */")
    return lines


def harness_main(sig: Signature) -> str:
    """C source of the harness main for the model `sig` describes."""
    ins = [f"(const {p.ctype} *)ec_in{k}" for k, p in enumerate(sig.inputs)]
    outs = [f"({p.ctype} *)ec_out{k}" for k, p in enumerate(sig.outputs)]
    sample_bytes = sum(port_bytes(p) for p in sig.inputs)
    reads = "\n".join(f"        if (ec_sh_read(hin, ec_in{k}, {port_bytes(p)}u) != 0) {{\n            return 3;\n        }}"
                      for k, p in enumerate(sig.inputs))
    writes = "\n".join(f"        if (ec_sh_write(hout, ec_out{k}, {port_bytes(p)}u) != 0) {{\n            return 5;\n        }}"
                       for k, p in enumerate(sig.outputs))
    return f"""/* edgec Cortex-M harness for model {sig.name} (generated). */
#include <stdint.h>

#include "{sig.name}.h"
#include "ec_semihost.h"

extern uint32_t __stack_limit[];

{chr(10).join(_buffers(sig))}

/* The instruction-counting plugin counts from the entry of the first to the entry of the second;
 * noipa keeps both as distinct, real calls. */
__attribute__((noipa)) void {MARK_BEGIN}(void)
{{
    __asm__ volatile("" ::: "memory");
}}

__attribute__((noipa)) void {MARK_END}(void)
{{
    __asm__ volatile("" ::: "memory");
}}

static uint32_t *ec_sp(void)
{{
    uint32_t *sp;
    __asm__ volatile("mov %0, sp" : "=r"(sp));
    return sp;
}}

/* Fills the free stack from `top` (a little below the caller's stack pointer) down to the end of
 * .bss (at most 1 MB) with a known word, so that the deepest use can be found afterwards. */
__attribute__((noipa)) static void ec_paint_stack(uint32_t *top)
{{
    uint32_t *p = __stack_limit;
    if (top - p > 262144) {{
        p = top - 262144;
    }}
    for (; p < top; ++p) {{
        *p = {PAINT_WORD:#x}u;
    }}
}}

/* Bytes between `sp` and the lowest word below it that is no longer painted. */
static uint32_t ec_stack_used(const uint32_t *sp)
{{
    const uint32_t *p = __stack_limit;
    if (sp - p > 262144) {{
        p = sp - 262144;
    }}
    while (p < sp && *p == {PAINT_WORD:#x}u) {{
        ++p;
    }}
    return (uint32_t)((uintptr_t)sp - (uintptr_t)p);
}}

int main(void)
{{
    const int32_t hin = ec_sh_open("{IN_FILE}", EC_SH_MODE_RB);
    const int32_t hout = ec_sh_open("{OUT_FILE}", EC_SH_MODE_WB);
    int32_t n, s;
    uint32_t *sp, used;
    if (hin < 0 || hout < 0) {{
        return 2;
    }}
    n = ec_sh_flen(hin) / {max(sample_bytes, 1)};
    sp = ec_sp();
    ec_paint_stack(sp - 16);
    for (s = 0; s < n; ++s) {{
        int rc;
{reads}
        {MARK_BEGIN}();
        rc = {sig.name}_run({", ".join(ins + outs + ["0"])});
        {MARK_END}();
        if (rc != 0) {{
            return 4;
        }}
{writes}
    }}
    used = ec_stack_used(sp);
    if (ec_sh_write(hout, &used, 4u) != 0) {{
        return 6;
    }}
    ec_sh_close(hin);
    ec_sh_close(hout);
    return 0;
}}
"""
