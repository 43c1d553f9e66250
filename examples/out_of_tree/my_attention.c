/*
 * my_attention.c - a small attention kernel as a flashcheck plugin, in plain C99.
 *
 * One pass over the keys with an online softmax in fp32 (the flash-attention
 * recurrence): Q f32/f16, K/V f32/f16, O f32, no mask or a causal one, grouped-query
 * heads, and the log-sum-exp. Everything else it declares unsupported, so flashcheck
 * reports those cases as unsupported instead of sending them here.
 *
 * Build with -DMY_ATTENTION_DROP_NORMALISATION to get a wrong kernel that forgets to
 * divide by the softmax denominator: flashcheck must fail it.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <flashcheck/backend.h>

/* IEEE binary16 bits to float, exactly (subnormals, infinities and NaN included). */
static float half_to_float(uint16_t bits) {
  const uint32_t sign = (uint32_t)(bits >> 15) << 31;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  uint32_t out;
  float value;
  if (exponent == 0x1fu) {
    out = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    out = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else {
    /* zero or subnormal: mantissa * 2^-24, exact in float */
    value = ldexpf((float)mantissa, -24);
    return sign ? -value : value;
  }
  memcpy(&value, &out, sizeof value);
  return value;
}

/* Element (b, h, s, d) of a view, as float. */
static float element(const fc_tensor* t, int64_t b, int64_t h, int64_t s, int64_t d) {
  const int64_t at = b * t->strides[0] + h * t->strides[1] + s * t->strides[2] + d * t->strides[3];
  if (t->dtype == FC_DTYPE_F16) return half_to_float(((const uint16_t*)t->data)[at]);
  return ((const float*)t->data)[at];
}

static int refuse(fc_output* out, int status, const char* why) {
  if (out->error && out->error_size > 0) snprintf(out->error, out->error_size, "%s", why);
  return status;
}

enum { MAX_HEAD_DIM = 256 };

static int run(const fc_case* c, fc_output* out) {
  /* The host never sends a case needing an undeclared feature; checked anyway so a
   * newer host or a hand-written case cannot get a silently wrong answer. */
  if (c->mask_kind != FC_MASK_NONE && c->mask_kind != FC_MASK_CAUSAL)
    return refuse(out, FC_STATUS_UNSUPPORTED, "only no mask or a causal mask");
  if (c->mask || c->sinks || c->max_bias > 0.0f || c->softcap > 0.0f)
    return refuse(out, FC_STATUS_UNSUPPORTED, "no explicit mask, sinks, ALiBi or softcap");
  if (c->dk != c->dv || c->dv > MAX_HEAD_DIM || c->hkv <= 0 || c->hq % c->hkv != 0)
    return refuse(out, FC_STATUS_UNSUPPORTED, "needs dk == dv <= 256 and hq a multiple of hkv");
  if (c->o_dtype != FC_DTYPE_F32) return refuse(out, FC_STATUS_UNSUPPORTED, "O is f32 only");

  const int64_t group = c->hq / c->hkv;
  const int64_t offset = c->lk - c->lq; /* decode: the queries are the last lq positions */
  float* o = (float*)out->o;
  float acc[MAX_HEAD_DIM];

  for (int64_t b = 0; b < c->batch; ++b)
    for (int64_t h = 0; h < c->hq; ++h)
      for (int64_t i = 0; i < c->lq; ++i) {
        const int64_t kv_head = h / group;
        /* Causal: key j is visible to query i iff j <= i + offset; masked keys are never read. */
        int64_t visible = c->mask_kind == FC_MASK_CAUSAL ? i + offset + 1 : c->lk;
        if (visible > c->lk) visible = c->lk;
        float m = -INFINITY; /* running maximum score */
        float l = 0.0f;      /* running denominator, relative to exp(m) */
        for (int64_t d = 0; d < c->dv; ++d) acc[d] = 0.0f;

        for (int64_t j = 0; j < visible; ++j) {
          float dot = 0.0f;
          for (int64_t d = 0; d < c->dk; ++d)
            dot += element(&c->q, b, h, i, d) * element(&c->k, b, kv_head, j, d);
          const float score = c->scale * dot;
          const float m_new = score > m ? score : m;
          const float alpha = expf(m - m_new); /* rescales what was summed under the old maximum */
          const float p = expf(score - m_new);
          l = l * alpha + p;
          for (int64_t d = 0; d < c->dv; ++d) acc[d] = acc[d] * alpha + p * element(&c->v, b, kv_head, j, d);
          m = m_new;
        }

        float* row = o + ((b * c->hq + h) * c->lq + i) * c->dv;
        for (int64_t d = 0; d < c->dv; ++d) {
#ifdef MY_ATTENTION_DROP_NORMALISATION
          row[d] = acc[d];
#else
          row[d] = l > 0.0f ? acc[d] / l : 0.0f; /* a row with no visible key gives O = 0 */
#endif
        }
        if (out->lse) out->lse[(b * c->hq + h) * c->lq + i] = l > 0.0f ? m + logf(l) : -INFINITY;
      }
  return FC_STATUS_OK;
}

static const fc_subject subjects[] = {{
    "my-attention",
    "plain C online-softmax attention: f32/f16 Q/K/V, causal or no mask, GQA, LSE",
    FC_DTYPE_BIT(FC_DTYPE_F32) | FC_DTYPE_BIT(FC_DTYPE_F16), /* Q */
    FC_DTYPE_BIT(FC_DTYPE_F32) | FC_DTYPE_BIT(FC_DTYPE_F16), /* K, V */
    FC_DTYPE_BIT(FC_DTYPE_F32),                              /* O */
    FC_FEATURE_CAUSAL | FC_FEATURE_GQA | FC_FEATURE_STRIDED | FC_FEATURE_LSE,
    MAX_HEAD_DIM,
    "", /* no block-quantized K/V */
    0,
    "fp32",
    "fp32 accumulation throughout",
    run,
}};

static const fc_plugin plugin = {
    FC_PLUGIN_ABI_VERSION, sizeof(fc_plugin), "my-attention-kernels", "1.0", 1, subjects, sizeof(fc_subject),
};

FC_PLUGIN_EXPORT const fc_plugin* flashcheck_plugin(uint32_t host_abi_version) {
  return host_abi_version == FC_PLUGIN_ABI_VERSION ? &plugin : NULL;
}
