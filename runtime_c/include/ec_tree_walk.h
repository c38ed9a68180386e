/* edgec runtime: the packed-table tree walker, specialised per model at compile time.
 *
 * A model's generated <name>_<node>_walk.c defines the node word type, its bit layout and the
 * leaf encoding as constants (see ec_trees.h for the meaning of each field) and includes this
 * file, so every shift and mask is an immediate and only one leaf encoding is compiled in:
 *   EC_TREE_FN      the walker's name          EC_TREE_WORD  uint16_t / uint32_t / uint64_t
 *   EC_TREE_RB      ref bits                   EC_TREE_FS, EC_TREE_FM  feature shift, mask
 *   EC_TREE_TS, EC_TREE_TM  threshold index shift, mask (TM 0: one threshold per node)
 *   EC_TREE_MS, EC_TREE_MM  missing-left bit shift, mask (MM 0: no node sends NaN left)
 *   EC_TREE_LEAF    0 direct, 1 palette, 2 sparse; EC_TREE_ENTRY, EC_TREE_ROW entry/row_start types
 *   EC_TREE_KM, EC_TREE_VS, EC_TREE_VM, EC_TREE_LS  sparse entry target mask, value shift/mask, last bit
 *   EC_TREE_LANES   1: walk four trees at a time, without branches (needs depth[]); 0: one, branching
 * The if-else form defines only the EC_TREE_LEAF group, for ec_tree_add_row. Elsewhere (a model
 * .c including every kernel header) this header declares nothing. */
#include "ec_trees.h"

#ifdef EC_TREE_LEAF

static void ec_tree_add_row(const ec_tree_leaves *L, uint32_t row, float *y)
{
#if EC_TREE_LEAF == 0
    const float *v = L->values + (size_t)row * (size_t)L->n_targets;
    int32_t k;
    for (k = 0; k < L->n_targets; ++k) {
        y[k] += v[k];
    }
#elif EC_TREE_LEAF == 1
    const EC_TREE_ENTRY *e = (const EC_TREE_ENTRY *)L->entries + (size_t)row * (size_t)L->n_targets;
    int32_t k;
    for (k = 0; k < L->n_targets; ++k) {
        y[k] += L->palette[e[k]];
    }
#else
    const EC_TREE_ENTRY *e = (const EC_TREE_ENTRY *)L->entries + ((const EC_TREE_ROW *)L->row_start)[row];
    for (;; ++e) {
        y[*e & EC_TREE_KM] += L->palette[(*e >> EC_TREE_VS) & EC_TREE_VM];
        if ((*e >> EC_TREE_LS) != 0u) {
            break;
        }
    }
#endif
}
#endif /* EC_TREE_LEAF */

#ifdef EC_TREE_FN

#if EC_TREE_TM
#define EC_TREE_THR(w, i) thr[(uint32_t)((w) >> EC_TREE_TS) & EC_TREE_TM]
#else
#define EC_TREE_THR(w, i) thr[i]
#endif
#define EC_TREE_REF(v) ((uint32_t)(v) & ((1u << EC_TREE_RB) - 1u))

/* One node: left when x <= t, or when x is NaN at a missing-left node (tested only on the rare
 * right-hand path); a left internal child is the next node; a ref with bit 0 set is a leaf row. */
#define EC_TREE_NODE()                                                                          \
    do {                                                                                        \
        const EC_TREE_WORD w = nodes[i];                                                        \
        const float xv = xs[(uint32_t)(w >> EC_TREE_FS) & EC_TREE_FM];                          \
        if (xv <= EC_TREE_THR(w, i)                                                             \
            || (EC_TREE_MM && xv != xv && ((uint32_t)(w >> EC_TREE_MS) & EC_TREE_MM) != 0u)) {  \
            ref = EC_TREE_REF(w);                                                               \
            if (ref & 1u) {                                                                     \
                goto leaf;                                                                      \
            }                                                                                   \
            i += 1u;                                                                            \
        } else {                                                                                \
            ref = EC_TREE_REF(w >> EC_TREE_RB);                                                 \
            if (ref & 1u) {                                                                     \
                goto leaf;                                                                      \
            }                                                                                   \
            i += ref >> 1;                                                                      \
        }                                                                                       \
    } while (0)

#define EC_TREE_BATCH 32

#if EC_TREE_LANES
/* One branch-free step of walk l, for tables too big for L1 where load latency dominates: four
 * walks advance together, each taking depth[t] steps; a walk that reached its leaf re-reads its
 * last node, whose test gives the same leaf ref again. */
#define EC_TREE_STEP(l)                                                                         \
    do {                                                                                        \
        const EC_TREE_WORD w = nodes[i##l];                                                     \
        const float xv = xs[(uint32_t)(w >> EC_TREE_FS) & EC_TREE_FM];                          \
        const uint32_t right = (uint32_t)!(xv <= EC_TREE_THR(w, i##l))                          \
            & ~((uint32_t)(xv != xv) & (uint32_t)(w >> EC_TREE_MS) & EC_TREE_MM);               \
        ref##l = EC_TREE_REF(w >> (right * EC_TREE_RB));                                        \
        i##l += (ref##l & 1u) ? 0u : (ref##l >> 1);                                             \
    } while (0)
#endif

/* Each tree is walked with a branch per node: the branch predictor learns the hot paths, as it
 * does for if-else code. With EC_TREE_LANES, four trees at a time without branches. */
void EC_TREE_FN(const ec_tree_table_params *p, const float *x, int32_t n_samples, int32_t n_features,
                float *y)
{
    const EC_TREE_WORD *nodes = (const EC_TREE_WORD *)p->nodes;
    const float *thr = p->thresholds;
    const int32_t n_targets = p->leaves.n_targets;
    int32_t s, t;
    ec_tree_set_base(y, p->base, n_samples, n_targets);
    for (s = 0; s < n_samples; ++s) {
        const float *xs = x + (size_t)s * (size_t)n_features;
        float *ys = y + (size_t)s * (size_t)n_targets;
#if EC_TREE_LANES
        for (t = 0; t + 4 <= p->n_trees; t += 4) {
            uint32_t i0 = p->roots[t], i1 = p->roots[t + 1], i2 = p->roots[t + 2], i3 = p->roots[t + 3];
            uint32_t ref0 = 0u, ref1 = 0u, ref2 = 0u, ref3 = 0u, d, steps = p->depth[t];
            steps = p->depth[t + 1] > steps ? p->depth[t + 1] : steps;
            steps = p->depth[t + 2] > steps ? p->depth[t + 2] : steps;
            steps = p->depth[t + 3] > steps ? p->depth[t + 3] : steps;
            for (d = 0; d < steps; ++d) {
                EC_TREE_STEP(0);
                EC_TREE_STEP(1);
                EC_TREE_STEP(2);
                EC_TREE_STEP(3);
            }
            ec_tree_add_row(&p->leaves, ref0 >> 1, ys);
            ec_tree_add_row(&p->leaves, ref1 >> 1, ys);
            ec_tree_add_row(&p->leaves, ref2 >> 1, ys);
            ec_tree_add_row(&p->leaves, ref3 >> 1, ys);
        }
#else
        t = 0;
#endif
        /* walks first, leaf rows after: the walks never wait behind the float sums */
        for (; t < p->n_trees; t += EC_TREE_BATCH) {
            const int32_t n = p->n_trees - t < EC_TREE_BATCH ? p->n_trees - t : EC_TREE_BATCH;
            uint32_t rows[EC_TREE_BATCH];
            int32_t c;
            for (c = 0; c < n; ++c) {
                uint32_t i = p->roots[t + c], ref;
                /* unrolled by levels: each level's test is its own branch for the predictor */
                for (;;) {
                    EC_TREE_NODE(); EC_TREE_NODE(); EC_TREE_NODE(); EC_TREE_NODE();
                    EC_TREE_NODE(); EC_TREE_NODE(); EC_TREE_NODE(); EC_TREE_NODE();
                }
            leaf:
                rows[c] = ref >> 1;
            }
            for (c = 0; c < n; ++c) {
                ec_tree_add_row(&p->leaves, rows[c], ys);
            }
        }
    }
}

#undef EC_TREE_THR
#undef EC_TREE_REF
#undef EC_TREE_NODE
#undef EC_TREE_BATCH
#undef EC_TREE_STEP
#endif /* EC_TREE_FN */
