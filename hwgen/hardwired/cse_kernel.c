/* All-pairs common sub-expression extraction for a constant matrix (hwgen.hardwired.cse).
 *
 * Compiled once per machine by hwgen.native and called through ctypes; the method is the
 * one the Python module's docstring describes. Terms are rows (signal, shift) of a sign
 * matrix S (rows x M neurons); two terms of a neuron name the node they would build,
 * (a, b, d, neg) = a + (-1)^neg (b << d), a's term holding the lower shift (or, at equal
 * shifts, the lower signal). Each node gets a dense id and a count of its occurrences over all
 * neurons and shifts, kept exact as terms are substituted.
 * Each neuron keeps the ids of all its term pairs in a square matrix, so substituting a pair
 * decrements the counts it breaks without hashing, and a scan of every pair reads the matrix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static inline int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }
#define MAX(a, b) max64((a), (b))  /* each argument evaluated once */

/* ---------- working memory kept between calls ---------- */

/* Freed blocks (up to KEEP_BYTES per thread) serve the next call's allocations: a model's
 * matrices are priced one after another, and fresh pages cost a quarter of the time on a
 * 32..64 matrix (the kernel faults them in; glibc returns large blocks to the system). */
#define KEEP_BLOCKS 32
#define KEEP_BYTES ((size_t)64 << 20)
typedef struct { size_t size, pad; } Block;
static _Thread_local struct { Block *b[KEEP_BLOCKS]; int n; size_t bytes; } kept;

static void *k_malloc(size_t size) {
    int best = -1;
    for (int i = 0; i < kept.n; i++)
        if (kept.b[i]->size >= size && (best < 0 || kept.b[i]->size < kept.b[best]->size)) best = i;
    Block *h;
    if (best >= 0) {
        h = kept.b[best];
        kept.bytes -= h->size;
        kept.b[best] = kept.b[--kept.n];
    } else {
        if (!(h = malloc(sizeof(Block) + size))) return NULL;
        h->size = size;
    }
    return h + 1;
}

static void k_free(void *p) {
    if (!p) return;
    Block *h = (Block *)p - 1;
    if (kept.n < KEEP_BLOCKS && kept.bytes + h->size <= KEEP_BYTES) {
        kept.b[kept.n++] = h;
        kept.bytes += h->size;
    } else {
        free(h);
    }
}

static void *k_calloc(size_t n, size_t size) {
    void *p = k_malloc(n * size);
    if (p) memset(p, 0, n * size);
    return p;
}

static void *k_realloc(void *p, size_t size) {
    if (!p) return k_malloc(size);
    Block *h = (Block *)p - 1;
    if (h->size >= size) return p;
    void *q = k_malloc(size);
    if (q) { memcpy(q, p, h->size); k_free(p); }
    return q;
}

/* Grow the array p to n elements; when memory ran out, p stays as it was and ok is cleared. */
#define GROW(p, n, ok)                                                        \
    do {                                                                      \
        void *grown_ = k_realloc((p), (size_t)(n) * sizeof *(p));             \
        if (grown_) (p) = grown_; else (ok) = 0;                              \
    } while (0)

/* ---------- nodes: packed key -> dense id, count per id ---------- */

/* Pairs of two inputs are counted in a direct table (`count_by_table`), or, for a matrix too
 * wide for that table, take their ids from the hash map (open addressing, linear probing, at
 * most half full; a slot holds key and id side by side: one cache line per probe). The nodes a
 * build forms with its new signal get theirs from `Terms.formed`. */
typedef struct { int64_t key; int32_t id, pad; } Slot;

typedef struct {
    Slot *slot;                  /* key -1: empty */
    int64_t cap, used;           /* cap = 2^bits */
    int bits;
    int64_t *key;                /* per id */
    int32_t *count, *cand;       /* per id: occurrences; place in the current list (if listed) */
    int64_t n, ids_cap;
    int32_t *hot;                /* ids whose count reached 2 (with repeats and stale ones) */
    int64_t n_hot, hot_cap;
} Keys;

static int map_init(Keys *k, int bits) {
    k->bits = bits; k->cap = (int64_t)1 << bits;
    if (!(k->slot = k_malloc(k->cap * sizeof(Slot)))) return -1;
    for (int64_t i = 0; i < k->cap; i++) k->slot[i].key = -1;
    return 0;
}

/* The per-id arrays (room for ids), and the map when bits > 0. */
static int keys_init(Keys *k, int bits, int64_t ids) {
    memset(k, 0, sizeof *k);
    k->ids_cap = ids > 1024 ? ids : 1024;
    k->hot_cap = 1024;
    k->key = k_malloc(k->ids_cap * sizeof(int64_t));
    k->count = k_malloc(k->ids_cap * sizeof(int32_t));
    k->cand = k_malloc(k->ids_cap * sizeof(int32_t));
    k->hot = k_malloc(k->hot_cap * sizeof(int32_t));
    if (!k->key || !k->count || !k->cand || !k->hot) return -1;
    return bits ? map_init(k, bits) : 0;
}

static void keys_free(Keys *k) {
    k_free(k->slot); k_free(k->key); k_free(k->count); k_free(k->cand); k_free(k->hot);
}

static inline int64_t find_slot(const Keys *k, int64_t key) {
    int64_t mask = k->cap - 1, i = (int64_t)(((uint64_t)key * 0x9E3779B97F4A7C15ULL) >> (64 - k->bits));
    while (k->slot[i].key != key && k->slot[i].key != -1) i = (i + 1) & mask;
    return i;
}

/* Double the map. */
static int map_grow(Keys *k) {
    Slot *old = k->slot;
    int64_t old_cap = k->cap;
    if (map_init(k, k->bits + 1)) { k_free(old); return -1; }
    for (int64_t i = 0; i < old_cap; i++)
        if (old[i].key != -1) k->slot[find_slot(k, old[i].key)] = old[i];
    k_free(old);
    return 0;
}

/* Room for `more` ids beyond those given (0, or -1 when memory ran out). */
static int reserve_ids(Keys *k, int64_t more) {
    if (k->n + more <= k->ids_cap) return 0;
    int64_t cap = MAX(2 * k->ids_cap, k->n + more);
    int ok = 1;
    GROW(k->key, cap, ok); GROW(k->count, cap, ok); GROW(k->cand, cap, ok);
    if (!ok) return -1;
    k->ids_cap = cap;
    return 0;
}

/* A new id for a node's key (count 0); -1 when memory ran out. */
static int32_t new_id(Keys *k, int64_t key) {
    if (reserve_ids(k, 1)) return -1;
    int32_t id = (int32_t)k->n++;
    k->key[id] = key; k->count[id] = 0;
    return id;
}

/* The id of a node's key through the map, a new one (count 0) the first time; -1 when memory
 * ran out. */
static inline int32_t key_id(Keys *k, int64_t key) {
    int64_t i = find_slot(k, key);
    if (k->slot[i].key != -1) return k->slot[i].id;
    if (2 * (k->used + 1) > k->cap) {
        if (map_grow(k)) return -1;
        i = find_slot(k, key);
    }
    int32_t id = new_id(k, key);
    if (id < 0) return -1;
    k->slot[i] = (Slot){key, id, 0};
    k->used++;
    return id;
}

/* Add delta to a node's count (listed as hot when it reaches 2); return the new count (-1: out
 * of memory). */
static inline int32_t count_add(Keys *k, int32_t id, int32_t delta) {
    int32_t c = k->count[id] += delta;
    if (delta > 0 && c >= 2 && c - delta < 2) {
        if (k->n_hot == k->hot_cap) {
            int ok = 1;
            GROW(k->hot, 2 * k->hot_cap, ok);
            if (!ok) return -1;
            k->hot_cap *= 2;
        }
        k->hot[k->n_hot++] = id;
    }
    return c;
}

/* ---------- the terms ---------- */

/* A term of a neuron: its row, and the row's signal and shift with the term's sign (copied, so
 * that pairing terms reads only the neuron's own list). */
typedef struct { int32_t row, sig; int16_t sh; int8_t sign; } Held;

typedef struct {
    int M, span;              /* neurons; shifts 0 .. span-1 */
    int64_t ns;               /* signal id bound (key packing) */
    int n_inputs;
    int8_t *S;                /* rows_cap x M */
    int32_t *sig, *sh, *nz;   /* per row: signal (-1 free), shift, non-zeros */
    int32_t *row_at;          /* (signal, shift) -> row or -1 */
    int32_t *free_rows;
    int rows_cap, rows_top, n_free;
    Held *terms;              /* per neuron j, its terms from terms + toff[j] */
    int32_t *n_terms, *cap;   /* per neuron: terms now, capacity (its first count: never grows) */
    int32_t most;             /* the largest capacity */
    int64_t *toff, *poff;     /* per neuron: offset of its terms, of its pair matrix */
    int32_t *pid;             /* per neuron, cap x cap: the node id of each pair of its terms */
    Keys keys;
    /* the nodes a build forms, by partner (signal, shift relative to the new one, relation),
     * valid while `formed_at` holds the build's epoch: a node with the new signal is formed
     * only in its build, so these name it without the map (and recur in every neuron and at
     * every shift of the build) */
    int32_t *formed, *formed_at, epoch;
    int deltas;               /* relative shifts: 2 span - 1 */
    /* nodes: signals n_inputs.., as (left, right, lshift, rshift, rsign, level), bounds per signal */
    int64_t *left, *right, *lo, *hi;
    int8_t *lsh, *rsh, *rsign;
    int32_t *level;           /* per signal */
    int32_t *match;           /* M: the neurons a build substitutes at one shift */
    int64_t n_nodes;
    int oom;
} Terms;

/* The node two terms would build, packed with signal ids below ns: a's term holds the lower
 * shift (or, at equal shifts, the lower signal). */
static inline int64_t pair_code(const Held *p, const Held *q, int64_t ns, int span) {
    const Held *x = p, *y = q;
    if (p->sh > q->sh || (p->sh == q->sh && p->sig > q->sig)) { x = q; y = p; }
    return (((int64_t)x->sig * ns + y->sig) * span + (y->sh - x->sh)) * 2 + (p->sign != q->sign);
}

/* The node two terms of a neuron would build: its key. */
static inline int64_t pair_key(const Terms *s, const Held *p, const Held *q) {
    return pair_code(p, q, s->ns, s->span);
}

static inline Held held_term(const Terms *s, int r, int8_t sign) {
    return (Held){r, s->sig[r], (int16_t)s->sh[r], sign};
}

static int new_row(Terms *s, int signal, int shift) {
    int r;
    if (s->n_free) r = s->free_rows[--s->n_free];
    else {
        if (s->rows_top == s->rows_cap) {
            int cap = s->rows_cap + s->rows_cap / 2 + 16, ok = 1;
            GROW(s->S, (size_t)cap * s->M, ok);
            GROW(s->sig, cap, ok); GROW(s->sh, cap, ok); GROW(s->nz, cap, ok); GROW(s->free_rows, cap, ok);
            if (!ok) { s->oom = 1; return -1; }
            memset(s->S + (size_t)s->rows_cap * s->M, 0, (size_t)(cap - s->rows_cap) * s->M);
            s->rows_cap = cap;
        }
        r = s->rows_top++;
    }
    s->sig[r] = signal; s->sh[r] = shift; s->nz[r] = 0;
    s->row_at[(int64_t)signal * s->span + shift] = r;
    return r;
}

static void drop_if_empty(Terms *s, int r) {
    if (s->nz[r] || s->sig[r] < 0) return;
    s->row_at[(int64_t)s->sig[r] * s->span + s->sh[r]] = -1;
    s->sig[r] = -1;
    s->free_rows[s->n_free++] = r;
}

/* A node's signal: its operands, level and interval bounds. */
static int64_t add_node(Terms *s, int64_t l, int64_t r, int dl, int dr, int rel) {
    int64_t id = s->n_inputs + s->n_nodes++;
    int64_t k = id - s->n_inputs;
    s->left[k] = l; s->right[k] = r; s->lsh[k] = (int8_t)dl; s->rsh[k] = (int8_t)dr; s->rsign[k] = (int8_t)rel;
    s->level[id] = 1 + MAX(s->level[l], s->level[r]);
    int64_t llo = s->lo[l] * ((int64_t)1 << dl), lhi = s->hi[l] * ((int64_t)1 << dl);
    int64_t rlo = s->lo[r] * ((int64_t)1 << dr), rhi = s->hi[r] * ((int64_t)1 << dr);
    s->lo[id] = llo + (rel > 0 ? rlo : -rhi);
    s->hi[id] = lhi + (rel > 0 ? rhi : -rlo);
    return id;
}

/* Remove neuron j's term at position x: the last term (and its row and column of pair ids)
 * takes its place. */
static void remove_term(Terms *s, int j, int x) {
    Held *list = s->terms + s->toff[j];
    int32_t *P = s->pid + s->poff[j];
    int c = s->cap[j], last = --s->n_terms[j];
    if (x == last) return;
    list[x] = list[last];
    memcpy(P + (int64_t)x * c, P + (int64_t)last * c, last * sizeof(int32_t));
    for (int y = 0; y < last; y++) P[(int64_t)y * c + x] = P[(int64_t)y * c + last];
}

/* In neuron j, replace the terms of rows t and u by one of row v (sign st); the counts of
 * every pair they form change. Returns the largest count of a node with v. */
static int32_t substitute(Terms *s, int j, int t, int u, int v) {
    int M = s->M, c = s->cap[j];
    Held *list = s->terms + s->toff[j];
    int32_t *P = s->pid + s->poff[j];
    int n = s->n_terms[j], it = -1, iu = -1;
    for (int x = 0; x < n; x++) {
        if (list[x].row == t) it = x;
        else if (list[x].row == u) iu = x;
    }
    const int32_t *pt = P + (int64_t)it * c, *pu = P + (int64_t)iu * c;
    for (int x = 0; x < n; x++)
        if (x != it && x != iu) { s->keys.count[pt[x]]--; s->keys.count[pu[x]]--; }
    s->keys.count[pt[iu]]--;
    int8_t st = list[it].sign;
    int at = it < iu ? it : iu;  /* v takes the lower place; the last term fills the other */
    remove_term(s, j, it + iu - at);
    n = s->n_terms[j];
    Held hv = held_term(s, v, st);
    list[at] = hv;
    if (reserve_ids(&s->keys, n)) { s->oom = 1; return 0; }
    int32_t most = 0, *Pv = P + (int64_t)at * c;
    for (int x = 0; x < n; x++) {
        if (x == at) continue;
        /* keyed by the partner's shift relative to v's: a partner that is v itself (v substituted
         * at another shift of this neuron earlier in the build) always sits at a lower shift, as
         * build walks shifts upwards, so one node never gets two keys here */
        int64_t slot = ((int64_t)list[x].sig * s->deltas + list[x].sh - hv.sh + s->span - 1) * 2 + (st != list[x].sign);
        int32_t id, k;
        if (s->formed_at[slot] == s->epoch) {
            id = s->formed[slot];
            if ((k = count_add(&s->keys, id, 1)) < 0) { s->oom = 1; return 0; }
            if (k == 2) s->keys.key[id] = pair_key(s, &hv, &list[x]);  /* read only once listed */
        } else {  /* a new node (the ids are reserved): its key waits until it recurs */
            id = (int32_t)s->keys.n++;
            s->keys.count[id] = k = 1;
            s->formed[slot] = id; s->formed_at[slot] = s->epoch;
        }
        most = (int32_t)MAX(most, k);
        Pv[x] = P[(int64_t)x * c + at] = id;
    }
    s->S[(int64_t)t * M + j] = 0; s->S[(int64_t)u * M + j] = 0; s->S[(int64_t)v * M + j] = st;
    s->nz[t]--; s->nz[u]--; s->nz[v]++;
    return most;
}

static inline void unpack(const Terms *s, int64_t key, int64_t *a, int64_t *b, int *d, int *rel) {
    *rel = (key & 1) ? -1 : 1;
    int64_t rest = key >> 1;
    *d = (int)(rest % s->span);
    int64_t ab = rest / s->span;
    *a = ab / s->ns; *b = ab % s->ns;
}

/* Build the node a + rel (b << d), substitute it at every shift where it occurs; return the
 * largest count of a node the new one now forms (no unlisted node can exceed it). */
static int32_t build(Terms *s, int64_t key) {
    int64_t a, b; int d, rel;
    unpack(s, key, &a, &b, &d, &rel);
    int64_t node = add_node(s, a, b, 0, d, rel);
    /* the node is a partner in later builds: its row of `formed` names nothing yet */
    memset(s->formed_at + node * s->deltas * 2, 0xff, s->deltas * 2 * sizeof(int32_t));
    s->epoch++;
    int32_t most = 0;
    int M = s->M;
    for (int k = 0; k + d < s->span; k++) {
        int t = s->row_at[a * s->span + k], u = s->row_at[b * s->span + k + d];
        if (t < 0 || u < 0) continue;
        /* the neurons holding both terms, listed first (branch-free: which do is data) */
        const int8_t *St = s->S + (int64_t)t * M, *Su = s->S + (int64_t)u * M;
        int n_match = 0;
        for (int j = 0; j < M; j++) {
            s->match[n_match] = j;
            n_match += (St[j] != 0) & (Su[j] == rel * St[j]);
        }
        int v = n_match ? new_row(s, (int)node, k) : -1;
        if (n_match && v < 0) return 0;
        for (int x = 0; x < n_match; x++) {
            most = (int32_t)MAX(most, substitute(s, s->match[x], t, u, v));
            if (s->oom) return 0;
        }
        drop_if_empty(s, t);
        drop_if_empty(s, u);
    }
    return most;
}

/* ---------- candidates: every node occurring twice, by count, then least conflict ---------- */

typedef struct { int64_t key, conflict; int32_t count, id; } Cand;

static inline int ranks_before(const Cand *p, const Cand *q) {
    if (p->count != q->count) return p->count > q->count;
    /* branch-free: a list's equal counts are ordered by conflict, then key */
    return (p->conflict < q->conflict) | ((p->conflict == q->conflict) & (p->key < q->key));
}

/* The waiting heap's order: its entries hold their list place in `conflict`; equal places keep
 * the heap's own order (no key tie-break: the greedy's outcome depends on it). */
static inline int waits_before(const Cand *p, const Cand *q) {
    return p->count != q->count ? p->count > q->count : p->conflict < q->conflict;
}

typedef int (*Before)(const Cand *, const Cand *);

/* Restore a heap (first `before` the others) below h[i]. */
static inline void sift_down(Cand *h, int64_t n, int64_t i, Before before) {
    Cand x = h[i];
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= n) break;
        c += c + 1 < n && before(&h[c + 1], &h[c]);
        if (!before(&h[c], &x)) break;
        h[i] = h[c]; i = c;
    }
    h[i] = x;
}

/* The list of a scan, read in rank order: one count at a time (the counting sort's buckets),
 * each bucket a heap by rank, so only what the greedy reads is ordered. */
typedef struct { Cand *c; int64_t n, head, end, next; } List;

/* The best listed candidate not yet read, or NULL. */
static const Cand *list_peek(List *l) {
    if (l->head == l->end && l->next < l->n) {
        int64_t start = l->next, end = start;
        while (end < l->n && l->c[end].count == l->c[start].count) end++;
        for (int64_t i = (end - start) / 2; i-- > 0;) sift_down(l->c + start, end - start, i, ranks_before);
        l->head = start; l->end = l->next = end;
    }
    return l->head < l->end ? &l->c[l->head] : NULL;
}

static Cand list_pop(List *l) {
    Cand top = l->c[l->head];
    l->c[l->head] = l->c[--l->end];
    if (l->end > l->head) sift_down(l->c + l->head, l->end - l->head, 0, ranks_before);
    return top;
}

/* Every node occurring at least twice (listed: its id marked with its place), by count, each
 * with its conflict: over its occurrences, the listed pairs holding one of the occurrence's two
 * terms (the builds it would rule out). Per neuron: each term's listed partners, then each
 * listed pair's two sums. The order among equal counts is settled when the greedy reaches them. */
static int64_t candidates(Terms *s, Cand **out, int64_t *out_cap) {
    Keys *k = &s->keys;
    int32_t most = s->most;
    /* per neuron: its terms' listed partners (`held`), then the listed pairs (found in the
     * same pass, `found`) add their terms' to their node's conflict; a byte per id says listed */
    int32_t *held = k_malloc(((int64_t)most + 1) * sizeof(int32_t));
    int32_t (*found)[2] = k_malloc(((int64_t)most * most / 2 + 1) * sizeof *found);
    uint8_t *listed = k_calloc(k->n + 1, 1);
    int64_t *at = NULL;
    int64_t n = 0;  /* keep each id at 2 or more once, in the hot list's order (branch-free: */
    int32_t top = 0;  /* which entries are stale or repeated is data) */
    if (!held || !found || !listed) goto oom;
    for (int64_t h = 0; h < k->n_hot; h++) {
        int32_t id = k->hot[h], c = k->count[id], keep = (c >= 2) & !listed[id];
        listed[id] |= (uint8_t)keep;
        k->hot[n] = id;
        n += keep;
        top = (int32_t)MAX(top, keep ? c : 0);
    }
    k->n_hot = n;
    if (n > *out_cap) {
        int ok = 1;
        GROW(*out, n, ok);
        if (!ok) goto oom;
        *out_cap = n;
    }
    /* placed by count (a counting sort; each id's place in `cand`); a count's candidates are
     * ordered when the greedy reaches them */
    if (!(at = k_calloc(top + 2, sizeof(int64_t)))) goto oom;
    for (int64_t h = 0; h < n; h++) at[top - k->count[k->hot[h]] + 1]++;
    for (int32_t x = 1; x <= top + 1; x++) at[x] += at[x - 1];
    Cand *c = *out;
    for (int64_t h = 0; h < n; h++) {
        int32_t id = k->hot[h];
        int64_t i = at[top - k->count[id]]++;
        c[i] = (Cand){k->key[id], 0, k->count[id], id};
        k->cand[id] = (int32_t)i;
    }
    for (int j = 0; j < s->M; j++) {
        const int32_t *P = s->pid + s->poff[j];
        int nt = s->n_terms[j], cj = s->cap[j], na = 0;
        memset(held, 0, nt * sizeof(int32_t));
        for (int x = 0; x < nt; x++) {
            const int32_t *row = P + (int64_t)x * cj;
            int hx = 0;
            for (int y = x + 1; y < nt; y++) {  /* branch-free: whether a pair is listed is data */
                int l = listed[row[y]];
                hx += l; held[y] += l;
                found[na][0] = x; found[na][1] = y; na += l;
            }
            held[x] += hx;
        }
        for (int a = 0; a < na; a++) {
            int x = found[a][0], y = found[a][1];
            c[k->cand[P[(int64_t)x * cj + y]]].conflict += held[x] + held[y];
        }
    }
    k_free(held); k_free(found); k_free(listed); k_free(at);
    return n;
oom:
    k_free(held); k_free(found); k_free(listed); k_free(at);
    s->oom = 1;
    return 0;
}

/* ---------- the waiting heap: listed nodes whose count fell, by count then list place ---------- */

typedef struct { Cand *c; int64_t n, cap; } Heap;

static int heap_push(Heap *hp, Cand x) {
    if (hp->n == hp->cap) {
        int64_t cap = 2 * hp->cap + 64;
        int ok = 1;
        GROW(hp->c, cap, ok);
        if (!ok) return -1;
        hp->cap = cap;
    }
    Cand *h = hp->c;
    int64_t i = hp->n++;
    while (i > 0) {
        int64_t up = (i - 1) / 2;
        if (!waits_before(&x, &h[up])) break;
        h[i] = h[up]; i = up;
    }
    h[i] = x;
    return 0;
}

static Cand heap_pop(Heap *hp) {
    Cand top = hp->c[0];
    hp->c[0] = hp->c[--hp->n];
    if (hp->n) sift_down(hp->c, hp->n, 0, waits_before);
    return top;
}

/* Strict greedy: the most frequent node first, until no node repeats. One scan lists every
 * candidate by count, least conflict first among equal counts; counts of listed nodes only
 * fall (a fallen one waits in a heap at its new count), and no unlisted node occurs more often
 * than the largest count a build since the scan created, so the list is exact down to that
 * bound; below it, or after building `refresh` of the list (the conflict order goes stale),
 * scan again. */
static void extract(Terms *s, double refresh) {
    Cand *cand = NULL;
    int64_t cand_cap = 0;
    Heap waiting = {0};
    const int32_t *count = NULL;
    for (;;) {
        int64_t n = candidates(s, &cand, &cand_cap);
        if (s->oom || n == 0) break;
        List list = {cand, n, 0, 0, 0};
        int64_t i = 0, built = 0;  /* i: candidates read from the list */
        int32_t bound = 0;
        waiting.n = 0;
        for (;;) {
            const Cand *head = list_peek(&list);
            if (!head && !waiting.n) break;
            int from_wait = waiting.n && (!head || waiting.c[0].count > head->count);
            int32_t listed = from_wait ? waiting.c[0].count : head->count;
            if (listed < MAX(bound, 2)) break;
            Cand next = from_wait ? heap_pop(&waiting) : list_pop(&list);
            i += !from_wait;
            count = s->keys.count;  /* builds may move the array */
            if (count[next.id] < listed) {
                if (count[next.id] >= 2 && heap_push(&waiting, (Cand){next.key, i, count[next.id], next.id})) {
                    s->oom = 1;
                    break;
                }
                continue;
            }
            bound = (int32_t)MAX(bound, build(s, next.key));
            if (s->oom || ++built > refresh * n) break;
        }
        if (s->oom || !built) break;
    }
    k_free(cand); k_free(waiting.c);
}

/* ---------- the residual: each neuron's remaining terms summed as soon as they are ready ---------- */

typedef struct { int64_t id; int32_t shift, top, level, sign, at; } Term;  /* at: place in its neuron */
typedef struct { int64_t id0, id1; int32_t dl, dr, rel, col, first, second; } Pair;

static int64_t bits_of(int64_t lo, int64_t hi) {
    int64_t m = MAX(MAX(hi, -lo), 1), b = 0;
    while (m) { b++; m >>= 1; }  /* ceil(log2(m + 1)) */
    return b;
}

static int by_ready(const void *x, const void *y) {
    const Term *p = x, *q = y;
    if (p->shift != q->shift) return p->shift < q->shift ? -1 : 1;
    if (p->top != q->top) return p->top < q->top ? -1 : 1;
    return (p->id > q->id) - (p->id < q->id);
}

static int by_node(const void *x, const void *y) {
    const Pair *p = x, *q = y;
    if (p->id0 != q->id0) return p->id0 < q->id0 ? -1 : 1;
    if (p->id1 != q->id1) return p->id1 < q->id1 ? -1 : 1;
    if (p->dl != q->dl) return p->dl < q->dl ? -1 : 1;
    if (p->dr != q->dr) return p->dr < q->dr ? -1 : 1;
    return (p->rel > q->rel) - (p->rel < q->rel);
}

static void residual(Terms *s, int64_t *out_id, int64_t *out_sign, int64_t *out_shift) {
    int M = s->M;
    int64_t total = 0;
    for (int j = 0; j < M; j++) total += s->n_terms[j];
    Term *term = k_malloc((total + 1) * sizeof(Term));
    int64_t *start = k_malloc((M + 1) * sizeof(int64_t));
    int32_t *count = k_malloc((M + 1) * sizeof(int32_t));
    Pair *pair = k_malloc((total / 2 + 1) * sizeof(Pair));
    Term *ready = k_malloc((total + 1) * sizeof(Term));
    if (!term || !start || !count || !pair || !ready) { s->oom = 1; goto done; }
    int64_t p = 0;
    for (int j = 0; j < M; j++) {
        start[j] = p;
        const Held *list = s->terms + s->toff[j];
        for (int x = 0; x < s->n_terms[j]; x++, p++) {
            term[p].id = list[x].sig; term[p].shift = list[x].sh; term[p].sign = list[x].sign;
            term[p].level = s->level[list[x].sig];
        }
        count[j] = s->n_terms[j];
    }
    start[M] = p;
    for (int step = 1;; step++) {
        int more = 0;
        for (int j = 0; j < M; j++) more |= count[j] > 1;
        if (!more) break;
        int64_t np = 0;
        for (int j = 0; j < M; j++) {
            if (count[j] < 2) continue;
            Term *col = term + start[j];
            int nr = 0;
            for (int x = 0; x < count[j]; x++)
                if (col[x].level < step) {
                    col[x].top = (int32_t)(bits_of(s->lo[col[x].id], s->hi[col[x].id]) + col[x].shift);
                    ready[nr] = col[x]; ready[nr].at = x; nr++;
                }
            for (int x = 1; x < nr; x++) {  /* insertion sort: a neuron has few ready terms */
                Term t = ready[x];
                int y = x;
                for (; y > 0 && by_ready(&ready[y - 1], &t) > 0; y--) ready[y] = ready[y - 1];
                ready[y] = t;
            }
            for (int x = 0; x + 1 < nr; x += 2) {
                Term *f = &ready[x], *g = &ready[x + 1];
                if (f->sign < 0 && g->sign > 0) { Term *z = f; f = g; g = z; }
                int s0 = f->shift < g->shift ? f->shift : g->shift;
                pair[np] = (Pair){f->id, g->id, f->shift - s0, g->shift - s0, f->sign * g->sign, j, f->at, g->at};
                np++;
            }
        }
        if (np == 0) continue;
        qsort(pair, np, sizeof(Pair), by_node);
        int64_t id = -1;
        for (int64_t x = 0; x < np; x++) {
            Pair *q = &pair[x];
            if (x == 0 || by_node(q, &pair[x - 1]) != 0)
                id = add_node(s, q->id0, q->id1, q->dl, q->dr, q->rel);
            Term *col = term + start[q->col];
            Term *f = &col[q->first];
            f->id = id; f->shift -= q->dl; f->level = s->level[id];
            col[q->second].id = -1;  /* removed below */
        }
        for (int j = 0; j < M; j++) {  /* close the gaps the second terms left */
            Term *col = term + start[j];
            int k = 0;
            for (int x = 0; x < count[j]; x++)
                if (col[x].id >= 0) col[k++] = col[x];
            count[j] = k;
        }
    }
    for (int j = 0; j < M; j++) {
        Term *col = term + start[j];
        out_id[j] = count[j] ? col[0].id : -1;
        out_sign[j] = count[j] ? col[0].sign : 1;
        out_shift[j] = count[j] ? col[0].shift : 0;
    }
done:
    k_free(term); k_free(start); k_free(count); k_free(pair); k_free(ready);
}

/* ---------- the inputs' pairs, counted ---------- */

/* Each neuron's pairs of input terms by the direct table: the table first counts each node's
 * occurrences (the neurons' pair matrices holding table places), then ids are given to the
 * nodes that occur, and the matrices take them: no step waits on whether a node is new. */
static int count_by_table(Terms *s, int32_t *direct, int64_t n_direct) {
    int n = s->n_inputs, span = s->span, most = s->most;
    int64_t *lower = k_malloc((most + 1) * sizeof(int64_t)), *upper = k_malloc((most + 1) * sizeof(int64_t));
    uint8_t *neg = k_malloc(most + 1);
    if (!lower || !upper || !neg) { k_free(lower); k_free(upper); k_free(neg); return -1; }
    for (int j = 0; j < s->M; j++) {
        const Held *list = s->terms + s->toff[j];
        int32_t *P = s->pid + s->poff[j];
        int c = s->cap[j];
        for (int y = 0; y < c; y++) {  /* a pair's place is a sum: see pair_code */
            lower[y] = 2 * ((int64_t)list[y].sig * n * span - list[y].sh);
            upper[y] = 2 * ((int64_t)list[y].sig * span + list[y].sh);
            neg[y] = list[y].sign < 0;
        }
        for (int x = 0; x < c; x++)  /* the terms are in (shift, signal) order: x's term first */
            for (int y = x + 1; y < c; y++) {
                int32_t at = (int32_t)(lower[x] + upper[y] + (neg[x] ^ neg[y]));
                direct[at]++;
                P[(int64_t)x * c + y] = at;
            }
    }
    k_free(lower); k_free(upper); k_free(neg);
    for (int64_t at = 0; at < n_direct; at++) {
        if (!direct[at]) continue;
        int64_t rest = at >> 1, ab = rest / span;
        int64_t key = ((ab / n * s->ns + ab % n) * span + rest % span) * 2 + (at & 1);
        int32_t id = new_id(&s->keys, key);
        if (id < 0 || count_add(&s->keys, id, direct[at]) < 0) return -1;
        direct[at] = id;
    }
    for (int j = 0; j < s->M; j++) {
        int32_t *P = s->pid + s->poff[j];
        int c = s->cap[j];
        for (int x = 0; x < c; x++)
            for (int y = x + 1; y < c; y++)
                P[(int64_t)x * c + y] = P[(int64_t)y * c + x] = direct[P[(int64_t)x * c + y]];
    }
    return 0;
}

/* Each neuron's pairs of input terms through the hash map (a matrix too wide for the table). */
static int count_by_map(Terms *s) {
    for (int j = 0; j < s->M; j++) {
        const Held *list = s->terms + s->toff[j];
        int32_t *P = s->pid + s->poff[j];
        int c = s->cap[j];
        for (int x = 0; x < c; x++)
            for (int y = x + 1; y < c; y++) {
                int32_t id = key_id(&s->keys, pair_key(s, &list[x], &list[y]));
                if (id < 0 || count_add(&s->keys, id, 1) < 0) return -1;
                P[(int64_t)x * c + y] = P[(int64_t)y * c + x] = id;
            }
    }
    return 0;
}

/* ---------- entry point ---------- */

/* Write the adders by level (stable: in the order they were made within a level), renumbered
 * to match, as rows node = (left, right, lshift, rshift, rsign, level, lo, hi); the outputs
 * renumbered; and each signal's last use (the level of the last adder reading it, or levels + 1
 * for an output): what a register cut after each level must hold. */
static int write_by_level(const Terms *s, int64_t *node, int64_t *out, int64_t *last_use) {
    int64_t n = s->n_nodes, base = s->n_inputs;
    int32_t levels = 0;
    for (int64_t k = 0; k < n; k++) levels = (int32_t)MAX(levels, s->level[base + k]);
    int64_t *at = k_calloc(levels + 2, sizeof(int64_t)), *renum = k_malloc((base + n + 1) * sizeof(int64_t));
    if (!at || !renum) { k_free(at); k_free(renum); return -1; }
    for (int64_t k = 0; k < n; k++) at[s->level[base + k]]++;
    int64_t sum = 0;
    for (int32_t l = 0; l <= levels; l++) { int64_t c = at[l]; at[l] = sum; sum += c; }
    for (int64_t i = 0; i < base; i++) renum[i] = i;
    for (int64_t k = 0; k < n; k++) renum[base + k] = base + at[s->level[base + k]]++;
    for (int64_t i = 0; i < base + n; i++) last_use[i] = 0;
    for (int64_t k = 0; k < n; k++) {
        int64_t id = base + k, *row = node + 8 * (renum[id] - base);
        row[0] = renum[s->left[k]]; row[1] = renum[s->right[k]];
        row[2] = s->lsh[k]; row[3] = s->rsh[k]; row[4] = s->rsign[k];
        row[5] = s->level[id]; row[6] = s->lo[id]; row[7] = s->hi[id];
        last_use[row[0]] = MAX(last_use[row[0]], row[5]);
        last_use[row[1]] = MAX(last_use[row[1]], row[5]);
    }
    for (int j = 0; j < s->M; j++)
        if (out[j] >= 0) { out[j] = renum[out[j]]; last_use[out[j]] = levels + 1; }
    k_free(at); k_free(renum);
    return 0;
}

/* Adders of Y = A @ W from the signed digits of W (n_inputs x M x span: digit k of weight (i, j)
 * at (i M + j) span + k, the term of input i shifted by k), signals 0 .. n_inputs-1 the inputs in
 * [in_lo, in_hi]: see `write_by_level` for what goes into
 * node (cap_nodes rows), out (per output: id, sign, shift) and last_use (per signal). Returns
 * the adder count; -1 when memory ran out, -2 (nothing done) when the neurons hold more than
 * max_pairs pairs of terms. */
int64_t cse_all_pairs(const int8_t *digits, int64_t n_inputs, int64_t M, int64_t span, int64_t in_lo,
                      int64_t in_hi, double refresh, int64_t max_pairs, int64_t cap_nodes, int64_t *node,
                      int64_t *out, int64_t *last_use) {
    Terms s;
    memset(&s, 0, sizeof s);
    s.M = (int)M; s.n_inputs = (int)n_inputs;
    s.ns = n_inputs + cap_nodes + 1;
    s.span = (int)span;
    int64_t rows = n_inputs * span;
    int64_t signals = s.ns;
    int64_t result = -1;
    s.row_at = k_malloc(signals * span * sizeof(int32_t));
    s.level = k_calloc(signals, sizeof(int32_t));
    s.lo = k_malloc(signals * sizeof(int64_t)); s.hi = k_malloc(signals * sizeof(int64_t));
    s.left = k_malloc((cap_nodes + 1) * sizeof(int64_t)); s.right = k_malloc((cap_nodes + 1) * sizeof(int64_t));
    s.lsh = k_malloc(cap_nodes + 1); s.rsh = k_malloc(cap_nodes + 1); s.rsign = k_malloc(cap_nodes + 1);
    s.n_terms = k_calloc(M + 1, sizeof(int32_t));
    s.match = k_malloc((M + 1) * sizeof(int32_t));
    if (!s.row_at || !s.level || !s.lo || !s.hi || !s.left || !s.right || !s.lsh || !s.rsh || !s.rsign || !s.n_terms || !s.match)
        goto done;
    memset(s.row_at, 0xff, signals * span * sizeof(int32_t));
    for (int64_t i = 0; i < n_inputs; i++) { s.lo[i] = in_lo; s.hi[i] = in_hi; }
    /* rows with a non-zero, and each neuron's terms and pair matrix */
    s.cap = k_calloc(M + 1, sizeof(int32_t));
    s.toff = k_malloc((M + 1) * sizeof(int64_t)); s.poff = k_malloc((M + 1) * sizeof(int64_t));
    if (!s.cap || !s.toff || !s.poff) goto done;
    for (int64_t i = 0; i < n_inputs; i++)
        for (int64_t j = 0; j < M; j++)
            for (int64_t k = 0; k < span; k++) s.cap[j] += digits[(i * M + j) * span + k] != 0;
    int64_t pairs = 0;
    s.toff[0] = s.poff[0] = 0;
    for (int64_t j = 0; j < M; j++) {
        pairs += (int64_t)s.cap[j] * (s.cap[j] - 1) / 2;
        s.most = (int32_t)MAX(s.most, s.cap[j]);
        s.toff[j + 1] = s.toff[j] + s.cap[j];
        s.poff[j + 1] = s.poff[j] + (int64_t)s.cap[j] * s.cap[j];
    }
    if (pairs > max_pairs) { result = -2; goto done; }
    s.terms = k_malloc((s.toff[M] + 1) * sizeof(Held));
    s.pid = k_malloc((s.poff[M] + 1) * sizeof(int32_t));
    s.rows_cap = (int)rows + 16;
    s.S = k_calloc((size_t)s.rows_cap * M, 1);
    s.sig = k_malloc(s.rows_cap * sizeof(int32_t)); s.sh = k_malloc(s.rows_cap * sizeof(int32_t));
    s.nz = k_malloc(s.rows_cap * sizeof(int32_t)); s.free_rows = k_malloc(s.rows_cap * sizeof(int32_t));
    s.deltas = 2 * span - 1;
    s.formed = k_malloc(signals * s.deltas * 2 * sizeof(int32_t));
    s.formed_at = k_malloc(signals * s.deltas * 2 * sizeof(int32_t));
    /* the inputs' pairs recur over neurons and shifts: while a direct table of their nodes (by
     * signals, shift difference and relation) is not larger than the pairs, it names them and no
     * map is made; else the map does, sized for about as many nodes as there are pairs */
    int64_t n_direct = 2 * (int64_t)n_inputs * n_inputs * span;
    int32_t *direct = n_direct <= 2 * pairs + 4096 ? k_malloc(n_direct * sizeof(int32_t)) : NULL;
    int bits = 0;
    if (!direct)
        for (bits = 10; bits < 24 && ((int64_t)1 << bits) < 2 * pairs;) bits++;
    if (!s.terms || !s.pid || !s.S || !s.sig || !s.sh || !s.nz || !s.free_rows || !s.formed || !s.formed_at ||
        !direct != (n_direct > 2 * pairs + 4096) || keys_init(&s.keys, bits, pairs + 1)) {
        k_free(direct);
        goto done;
    }
    if (direct) memset(direct, 0, n_direct * sizeof(int32_t));
    memset(s.formed_at, 0xff, n_inputs * s.deltas * 2 * sizeof(int32_t));  /* a built node's: in build */
    /* rows in (shift, signal) order, so that of two terms of a neuron the first listed holds
     * the lower shift (or, at equal shifts, the lower signal): the order of a pair's key */
    for (int64_t k = 0; k < span; k++)
        for (int64_t i = 0; i < n_inputs; i++) {
            const int8_t *d = digits + i * M * span + k;
            int any = 0;
            for (int64_t j = 0; j < M; j++) any |= d[j * span] != 0;
            if (!any) continue;
            int v = new_row(&s, (int)i, (int)k);
            for (int64_t j = 0; j < M; j++) {
                int8_t x = d[j * span];
                if (!x) continue;
                s.S[(int64_t)v * M + j] = x;
                s.nz[v]++;
                s.terms[s.toff[j] + s.n_terms[j]++] = held_term(&s, v, x);
            }
        }
    if (direct ? count_by_table(&s, direct, n_direct) : count_by_map(&s)) { k_free(direct); goto done; }
    k_free(direct);
    extract(&s, refresh);
    if (s.oom) goto done;
    residual(&s, out, out + M, out + 2 * M);
    if (s.oom) goto done;
    if (write_by_level(&s, node, out, last_use)) goto done;
    result = s.n_nodes;
done:
    k_free(s.row_at); k_free(s.level); k_free(s.lo); k_free(s.hi); k_free(s.left); k_free(s.right);
    k_free(s.lsh); k_free(s.rsh); k_free(s.rsign); k_free(s.n_terms); k_free(s.match); k_free(s.terms); k_free(s.S);
    k_free(s.sig); k_free(s.sh); k_free(s.nz); k_free(s.free_rows); k_free(s.cap); k_free(s.toff); k_free(s.poff);
    k_free(s.pid); keys_free(&s.keys); k_free(s.formed); k_free(s.formed_at);
    return result;
}
