// Shared by every flash-attention kernel: storage codes, the parameter block the host
// fills, the finite sentinels, and the loaders that decode each storage format.
//
// The host defines per program build (one program per flag set and seeded bug):
//   FA_MAX_D                         capacity of the private Q row and accumulator
//   FA_BLOCK_M, FA_BLOCK_N           query rows per prefill work-group, keys per KV tile
//   FA_DECODE_WG                     work-items of a single-query (decode) work-group
// and, for a seeded bug, FA_MUTANT_NEG_INF_INIT or FA_MUTANT_TILE_CLASS_OFF_BY_ONE.
// Storage types and head dimensions are runtime values in fa_params (uniform branches),
// so one build serves every case: a build costs seconds on PoCL.

#define FA_T_F32 0
#define FA_T_F16 1
#define FA_T_BF16 2
#define FA_T_Q8_0 3
#define FA_T_Q4_0 4
#define FA_T_NONE (-1)

#define FA_MASK_NONE 0
#define FA_MASK_CAUSAL 1
#define FA_MASK_WINDOW 2

// What the prepass says about one (query tile, KV tile) pair.
#define FA_TILE_MASKED 0    // every key hidden from every row: skipped
#define FA_TILE_MIXED 1     // visibility and explicit bias read per element
#define FA_TILE_UNMASKED 2  // every key visible with zero explicit bias: no mask reads

// ggml's AoS blocks of 32 values: an fp16 scale, then the codes.
#define FA_QBLOCK 32
#define FA_Q8_0_BLOCK_BYTES 34
#define FA_Q4_0_BLOCK_BYTES 18

// Running-max start, masked-score and split-merge sentinel (the seed-004 fix). An
// infinity is undefined under -cl-finite-math-only and -cl-fast-relaxed-math (the
// compiler may fold arithmetic and tests on it away), so the correct kernels use a
// finite value below any real score, with headroom under FLT_MAX so differences of
// real scores cannot overflow.
#ifdef FA_MUTANT_NEG_INF_INIT
#define FA_M_INIT (-INFINITY)
#else
#define FA_M_INIT (-3.0e38f)
#endif
// A running max (or score) still at the sentinel: nothing visible seen (a hidden key).
#define FA_IS_EMPTY(x) ((x) == FA_M_INIT)

// -inf for an empty row's LSE and hidden-mask detection, handled as bits: no float
// operation may produce or test an infinity under the finite-math flag sets.
#define FA_NEG_INF_BITS 0xff800000u

// Mirrors OpenClParams in fa_params.hpp field for field: only 4-byte members, so the
// host and device layouts agree without padding.
typedef struct {
  int batch, hq, hkv, lq, lk, gqa_ratio, dk, dv;
  int q_type, o_type;  // FA_T_F32, FA_T_F16 or FA_T_BF16
  int k_type, v_type;  // those, or FA_T_Q8_0 / FA_T_Q4_0 (quantized rows)
  int q_stride[4];  // element strides of Q [batch][head][row][dim]
  int k_stride[4];  // of unquantized K
  int v_stride[4];  // of unquantized V
  int k_row_bytes;  // quantized K: bytes per (batch, token) row of every head
  int v_row_bytes;
  int mask_kind;    // FA_MASK_*
  int window;
  int offset;       // Lk - Lq: absolute position of query row 0
  int mask_type;    // FA_T_F32, FA_T_F16 or FA_T_NONE (no explicit mask)
  int mask_stride_i, mask_stride_j;
  int has_alibi, has_sinks, has_softcap;
  float scale, softcap;
  int n_q_tiles, n_kv_tiles;
  int split_keys, n_splits;
} fa_params;

inline float fa_load_elem(__global const uchar* base, long idx, int type) {
  if (type == FA_T_F32) return ((__global const float*)base)[idx];
  if (type == FA_T_F16) return vload_half(idx, (__global const half*)base);
  return as_float((uint)((__global const ushort*)base)[idx] << 16);  // bf16: the top half of an f32
}

// Value `d` of head `head` in one quantized token row (heads * dim values, head-major).
inline float fa_load_q8_0(__global const uchar* row, int head, int dim, int d) {
  const int idx = head * dim + d;
  __global const uchar* blk = row + (idx / FA_QBLOCK) * FA_Q8_0_BLOCK_BYTES;
  const float scale = vload_half(0, (__global const half*)blk);
  return (float)as_char(blk[2 + idx % FA_QBLOCK]) * scale;
}

inline float fa_load_q4_0(__global const uchar* row, int head, int dim, int d) {
  const int idx = head * dim + d;
  __global const uchar* blk = row + (idx / FA_QBLOCK) * FA_Q4_0_BLOCK_BYTES;
  const float scale = vload_half(0, (__global const half*)blk);
  const int e = idx % FA_QBLOCK;
  const uint byte = blk[2 + (e & 15)];  // element e low nibble, e + 16 high nibble
  const int code = (int)(e < 16 ? (byte & 15u) : (byte >> 4));
  return (float)(code - 8) * scale;
}

inline float fa_load_q(__global const uchar* q, const fa_params* p, int b, int h, int i, int d) {
  const long idx = (long)b * p->q_stride[0] + (long)h * p->q_stride[1] + (long)i * p->q_stride[2] +
                   (long)d * p->q_stride[3];
  return fa_load_elem(q, idx, p->q_type);
}

// Element d of key/value row j of head kvh: quantized rows are [batch][token] with
// every head's blocks, the others strided [batch][head][token][dim] tensors.
inline float fa_load_kv(__global const uchar* base, int type, const int* stride, int row_bytes, int dim,
                        const fa_params* p, int b, int kvh, int j, int d) {
  if (type == FA_T_Q8_0) return fa_load_q8_0(base + ((long)b * p->lk + j) * row_bytes, kvh, dim, d);
  if (type == FA_T_Q4_0) return fa_load_q4_0(base + ((long)b * p->lk + j) * row_bytes, kvh, dim, d);
  const long idx = (long)b * stride[0] + (long)kvh * stride[1] + (long)j * stride[2] + (long)d * stride[3];
  return fa_load_elem(base, idx, type);
}

inline float fa_load_k(__global const uchar* k, const fa_params* p, int b, int kvh, int j, int d) {
  return fa_load_kv(k, p->k_type, p->k_stride, p->k_row_bytes, p->dk, p, b, kvh, j, d);
}

inline float fa_load_v(__global const uchar* v, const fa_params* p, int b, int kvh, int j, int d) {
  return fa_load_kv(v, p->v_type, p->v_stride, p->v_row_bytes, p->dv, p, b, kvh, j, d);
}

// Whether key j is hidden from query row i (structural mask, or -inf in the explicit
// mask); otherwise *bias is the explicit mask value (0 without one).
#ifndef FA_MUTANT_NEG_INF_INIT
inline bool fa_hidden(const fa_params* p, __global const uchar* mask, int i, int j, float* bias) {
  const int pos = i + p->offset;
  if (p->mask_kind != FA_MASK_NONE && j > pos) return true;
  if (p->mask_kind == FA_MASK_WINDOW && pos - j >= p->window) return true;
  *bias = 0.0f;
  if (p->mask_type == FA_T_NONE) return false;
  const long idx = (long)i * p->mask_stride_i + (long)j * p->mask_stride_j;
  const float mv = fa_load_elem(mask, idx, p->mask_type);
  if (as_uint(mv) == FA_NEG_INF_BITS) return true;  // a bit test: no float compare with an infinity
  *bias = mv;
  return false;
}
#else
// The pre-fix form: the structural mask is an additive -INFINITY and hidden keys are
// found with == -INFINITY. Under the finite-math flag sets the compiler may fold the
// infinite addend away, and structurally hidden keys come back visible.
inline bool fa_hidden(const fa_params* p, __global const uchar* mask, int i, int j, float* bias) {
  const int pos = i + p->offset;
  float b = 0.0f;
  if (p->mask_type != FA_T_NONE)
    b = fa_load_elem(mask, (long)i * p->mask_stride_i + (long)j * p->mask_stride_j, p->mask_type);
  if (p->mask_kind != FA_MASK_NONE && (j > pos || (p->mask_kind == FA_MASK_WINDOW && pos - j >= p->window)))
    b += -INFINITY;
  if (b == -INFINITY) return true;
  *bias = b;
  return false;
}
#endif

// The score of a visible key from its dot product: scale, soft-capping, then the
// explicit bias and the ALiBi distance term, both multiplied by the head's slope.
inline float fa_score(const fa_params* p, float dot, float bias, float slope, int i, int j) {
  float s = dot * p->scale;
  if (p->has_softcap) s = p->softcap * tanh(s / p->softcap);
  if (p->has_alibi) bias -= (float)abs(i + p->offset - j);
  return s + slope * bias;
}

// Folds a head's sink (a denominator-only term) into the row state; returns the
// factor the accumulator must be scaled by.
inline float fa_fold_sink(float* m, float* l, float sink) {
  const float m_new = fmax(*m, sink);
  const float alpha = FA_IS_EMPTY(*m) ? 0.0f : exp(*m - m_new);
  *l = *l * alpha + exp(sink - m_new);
  *m = m_new;
  return alpha;
}

// Round to nearest even into bf16; infinities and NaNs keep their class.
inline ushort fa_bf16_rne(float x) {
  const uint u = as_uint(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return (ushort)((u >> 16) | ((u & 0xffffu) != 0u ? 0x40u : 0u));
  return (ushort)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

inline void fa_store_o(__global uchar* o, int o_type, long idx, float x) {
  if (o_type == FA_T_F32)
    ((__global float*)o)[idx] = x;
  else if (o_type == FA_T_F16)
    vstore_half_rte(x, idx, (__global half*)o);
  else
    ((__global ushort*)o)[idx] = fa_bf16_rne(x);
}

// Writes one finished row: O = acc * alpha / l and LSE = m + log(l), or the empty-row
// contract (O = 0, LSE = -inf) when no key and no sink was visible.
inline void fa_store_row_value(__global uchar* o, int o_type, long o_idx, float acc, float alpha, float m, float l) {
  fa_store_o(o, o_type, o_idx, FA_IS_EMPTY(m) ? 0.0f : (acc * alpha) / l);
}

// LSE goes out as bits: a select between a float and an infinity could be folded away
// under the finite-math flag sets.
inline void fa_store_row_lse(__global uint* lse_bits, long row, float m, float l) {
  lse_bits[row] = FA_IS_EMPTY(m) ? FA_NEG_INF_BITS : as_uint(m + log(l));
}
