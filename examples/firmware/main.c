/* Runs the generated model once on the bundled digit and prints the predicted class through
 * semihosting (the debugger's or QEMU's console); the exit status is 0 when the prediction
 * matches the label. Replace ec_sh_puts with your board's UART to run without a debugger. */
#include <stdint.h>

#include "ec_semihost.h"
#include "model.h"
#include "sample_input.h"

/* the model's working memory: the caller owns it, 8-byte aligned */
static uint64_t arena[(MODEL_FLOAT_ARENA_SIZE + 7u) / 8u];
static float scores[MODEL_OUT_LOGITS_SIZE];

static void put_int(int32_t v)
{
    char buf[12];
    int i = 11;
    const int neg = v < 0;
    uint32_t u = neg ? 0u - (uint32_t)v : (uint32_t)v;
    buf[i] = '\0';
    do {
        buf[--i] = (char)('0' + u % 10u);
        u /= 10u;
    } while (u != 0u);
    if (neg) {
        buf[--i] = '-';
    }
    ec_sh_puts(&buf[i]);
}

int main(void)
{
    int32_t best = 0, k;
    if (model_run_float(sample_input, scores, arena) != 0) {
        ec_sh_puts("model: bad arena\n");
        return 1;
    }
    for (k = 1; k < (int32_t)MODEL_OUT_LOGITS_SIZE; ++k) {
        if (scores[k] > scores[best]) {
            best = k;
        }
    }
    ec_sh_puts("predicted class ");
    put_int(best);
    ec_sh_puts(" (label ");
    put_int(SAMPLE_LABEL);
    ec_sh_puts("), score x1000 ");
    put_int((int32_t)(scores[best] * 1000.0f));
    ec_sh_puts("\n");
    return best == SAMPLE_LABEL ? 0 : 2;
}
