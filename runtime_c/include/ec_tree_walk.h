/* edgec runtime: the packed-table tree walker, specialised per model at compile time.
 *
 * A model's generated <name>_<node>_walk.c defines the node word type, its bit layout and the
 * leaf encoding as constants (see ec_trees.h for the meaning of each field) and includes this
 * file, so every shift and mask is an immediate and only one leaf encoding is compiled in:
 *   EC_TREE_FN      the walker's name          EC_TREE_WORD  uint16_t / uint32_t / uint64_t
 *   EC_TREE_RB      ref bits                   EC_TREE_FS, EC_TREE_FM  feature shift, mask
 *   EC_TREE_TS, EC_TREE_TM  threshold index shift, mask (TM 0: one threshold per node)
 *   EC_TREE_MS, EC_TREE_MM  missing-left bit shift, mask (MM 0: no node sends NaN left)
 *   EC_TREE_NI      internal nodes: a child >= NI ends the walk at leaf row child - NI
 *   EC_TREE_NT      targets; EC_TREE_ACC 1: sums kept in local accumulators, 0: in y
 *   EC_TREE_LEAF    0 direct, 1 palette, 2 sparse, 3 votes (the leaf is the class, counted in
 *                   integers: exact as every row is one-hot 1.0 and base holds integers, see
 *                   vote_classes in edgec/backend/tree_table.py); EC_TREE_ENTRY, EC_TREE_ROW
 *                   entry/row_start types; EC_TREE_VB, EC_TREE_VT  bits of each class's count in
 *                   one unsigned register of type VT
 *   EC_TREE_KM, EC_TREE_VS, EC_TREE_VM, EC_TREE_LS  sparse entry target mask, value shift/mask, last bit
 * (The if-else form does not use this header: its leaves add constants in its own code.)
 * Elsewhere (a model .c including every kernel header) this header declares nothing. */
#include "ec_trees.h"

#if defined(EC_TREE_LEAF) && EC_TREE_LEAF != 3

/* With EC_TREE_NT (the walker) up to 8 targets are added without a loop, each at a constant
 * index, so the compiler keeps the walker's sums in registers. */
#if defined(EC_TREE_NT) && EC_TREE_NT <= 8
#define EC_TREE_K(L) EC_TREE_NT
#define EC_TREE_ADD_K(k, v) if ((k) < EC_TREE_NT) { y[k] += (v); }
#define EC_TREE_EACH(v)                                                                         \
    EC_TREE_ADD_K(0, v(0)) EC_TREE_ADD_K(1, v(1)) EC_TREE_ADD_K(2, v(2)) EC_TREE_ADD_K(3, v(3))  \
    EC_TREE_ADD_K(4, v(4)) EC_TREE_ADD_K(5, v(5)) EC_TREE_ADD_K(6, v(6)) EC_TREE_ADD_K(7, v(7))
#else
#define EC_TREE_K(L) (L)->n_targets
#define EC_TREE_EACH(v)                                                                         \
    do {                                                                                        \
        int32_t k;                                                                              \
        for (k = 0; k < EC_TREE_K(L); ++k) {                                                    \
            y[k] += v(k);                                                                       \
        }                                                                                       \
    } while (0)
#endif
#define EC_TREE_DIRECT(k) v[k]
#define EC_TREE_PALETTE(k) L->palette[e[k]]

static void ec_tree_add_row(const ec_tree_leaves *L, uint32_t row, float *y)
{
#if EC_TREE_LEAF == 0
    const float *v = L->values + (size_t)row * (size_t)EC_TREE_K(L);
    EC_TREE_EACH(EC_TREE_DIRECT);
#elif EC_TREE_LEAF == 1
    const EC_TREE_ENTRY *e = (const EC_TREE_ENTRY *)L->entries + (size_t)row * (size_t)EC_TREE_K(L);
    EC_TREE_EACH(EC_TREE_PALETTE);
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
#define EC_TREE_M ((1u << EC_TREE_RB) - 1u)

/* One node: left when x <= t, or when x is NaN at a missing-left node (tested only on the rare
 * right-hand path); a child >= EC_TREE_NI is a leaf. */
#define EC_TREE_NODE()                                                                          \
    do {                                                                                        \
        const EC_TREE_WORD w = nodes[i];                                                        \
        const float xv = xs[(uint32_t)(w >> EC_TREE_FS) & EC_TREE_FM];                          \
        if (xv <= EC_TREE_THR(w, i)                                                             \
            || (EC_TREE_MM && xv != xv && ((uint32_t)(w >> EC_TREE_MS) & EC_TREE_MM) != 0u)) {  \
            i = (uint32_t)w & EC_TREE_M;                                                        \
        } else {                                                                                \
            i = (uint32_t)(w >> EC_TREE_RB) & EC_TREE_M;                                        \
        }                                                                                       \
        if (i >= EC_TREE_NI) {                                                                  \
            goto leaf;                                                                          \
        }                                                                                       \
    } while (0)

/* Each tree is walked with a branch per node: the branch predictor learns the hot paths, as it
 * does for if-else code, and a walk runs ahead of the loads it waits on. Leaf rows are added as
 * each walk ends, in tree order, to accumulators the compiler keeps in registers when it can. */
void EC_TREE_FN(const ec_tree_table_params *p, const float *x, int32_t n_samples, int32_t n_features,
                float *y)
{
    const EC_TREE_WORD *nodes = (const EC_TREE_WORD *)p->nodes;
    const float *thr = p->thresholds;
    int32_t s, t, k;
    for (s = 0; s < n_samples; ++s) {
        const float *xs = x + (size_t)s * (size_t)n_features;
        float *ys = y + (size_t)s * (size_t)EC_TREE_NT;
#if EC_TREE_LEAF == 3
        EC_TREE_VT votes = 0u;
#elif EC_TREE_ACC
        float acc[EC_TREE_NT];
        for (k = 0; k < EC_TREE_NT; ++k) {
            acc[k] = p->base[k];
        }
#else
        float *acc = ys;
        for (k = 0; k < EC_TREE_NT; ++k) {
            acc[k] = p->base[k];
        }
#endif
        for (t = 0; t < p->n_trees; ++t) {
            uint32_t i = p->roots[t];
            /* unrolled by levels: each level's test is its own branch for the predictor */
            for (;;) {
                EC_TREE_NODE(); EC_TREE_NODE(); EC_TREE_NODE(); EC_TREE_NODE();
                EC_TREE_NODE(); EC_TREE_NODE(); EC_TREE_NODE(); EC_TREE_NODE();
            }
        leaf:
#if EC_TREE_LEAF == 3
            votes += (EC_TREE_VT)1u << ((i - EC_TREE_NI) * EC_TREE_VB);
#else
            ec_tree_add_row(&p->leaves, i - EC_TREE_NI, acc);
#endif
        }
#if EC_TREE_LEAF == 3
        for (k = 0; k < EC_TREE_NT; ++k) {
            const uint32_t count = (uint32_t)(votes >> (k * EC_TREE_VB)) & ((1u << EC_TREE_VB) - 1u);
            ys[k] = p->base[k] + (float)count;
        }
#elif EC_TREE_ACC
        for (k = 0; k < EC_TREE_NT; ++k) {
            ys[k] = acc[k];
        }
#endif
    }
}

#undef EC_TREE_THR
#undef EC_TREE_M
#undef EC_TREE_NODE
#endif /* EC_TREE_FN */
