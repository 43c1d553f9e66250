/* See example_kernel.h. The score of query i (head h) against key j is
 *   s = scale * dot(q_i, k_j);  s = softcap * tanh(s / softcap) when softcap > 0;
 *   s += slope(h) * bias[i][j]
 * and keys whose bias is -inf are skipped without reading K or V, so a masked key can
 * never leak into O (flashcheck checks that with NaN written at masked keys). */
#include "example_kernel.h"

#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define EXAMPLE_MAX_THREADS 64

void example_set_error(fc_output* out, const char* message) {
  size_t n;
  if (!out->error || out->error_size == 0) return;
  n = strlen(message);
  if (n >= out->error_size) n = out->error_size - 1;
  memcpy(out->error, message, n);
  out->error[n] = '\0';
}

static float f16_to_f32(uint16_t h) {
  const uint32_t sign = (uint32_t)(h >> 15) << 31;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  const uint32_t mantissa = h & 0x3ffu;
  float magnitude;
  uint32_t bits;
  if (exponent == 0x1fu) { /* infinity or NaN */
    bits = sign | 0x7f800000u | (mantissa << 13);
    memcpy(&magnitude, &bits, sizeof magnitude);
    return magnitude;
  }
  magnitude = exponent == 0 ? ldexpf((float)mantissa, -24) : ldexpf((float)(mantissa | 0x400u), (int)exponent - 25);
  return sign ? -magnitude : magnitude;
}

static float bf16_to_f32(uint16_t b) {
  const uint32_t bits = (uint32_t)b << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* Round to nearest even; NaN stays NaN. */
static uint16_t f32_to_bf16(float f) {
  uint32_t bits;
  memcpy(&bits, &f, sizeof bits);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40u);
  bits += 0x7fffu + ((bits >> 16) & 1u);
  return (uint16_t)(bits >> 16);
}

/* Round to nearest even, through the exact double value. */
static uint16_t f32_to_f16(float f) {
  uint32_t bits, sign, mantissa;
  double a, scaled, rounded;
  int exponent;
  memcpy(&bits, &f, sizeof bits);
  sign = (bits >> 16) & 0x8000u;
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)(sign | 0x7e00u);
  a = fabs((double)f);
  if (a >= 65520.0) return (uint16_t)(sign | 0x7c00u); /* rounds to infinity */
  if (a < ldexp(1.0, -14)) {                           /* subnormal: units of 2^-24 */
    rounded = nearbyint(a * ldexp(1.0, 24));
    return (uint16_t)(sign | (uint32_t)rounded);
  }
  frexp(a, &exponent);                    /* a = m * 2^exponent, m in [0.5, 1) */
  scaled = ldexp(a, 11 - exponent);       /* 11 significant bits */
  rounded = nearbyint(scaled);            /* default rounding mode: to nearest even */
  if (rounded >= 2048.0) {
    rounded /= 2.0;
    ++exponent;
  }
  mantissa = (uint32_t)rounded - 1024u;
  if (exponent + 14 >= 31) return (uint16_t)(sign | 0x7c00u);
  return (uint16_t)(sign | ((uint32_t)(exponent + 14) << 10) | mantissa);
}

static float load(const fc_tensor* t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
  const int64_t at = i0 * t->strides[0] + i1 * t->strides[1] + i2 * t->strides[2] + i3 * t->strides[3];
  float f;
  uint16_t h;
  switch (t->dtype) {
    case FC_DTYPE_F32: memcpy(&f, (const float*)t->data + at, sizeof f); return f;
    case FC_DTYPE_F16: memcpy(&h, (const uint16_t*)t->data + at, sizeof h); return f16_to_f32(h);
    default: memcpy(&h, (const uint16_t*)t->data + at, sizeof h); return bf16_to_f32(h);
  }
}

static void store(void* o, int32_t dtype, int64_t at, float value) {
  uint16_t h;
  switch (dtype) {
    case FC_DTYPE_F32: memcpy((float*)o + at, &value, sizeof value); return;
    case FC_DTYPE_F16: h = f32_to_f16(value); break;
    default: h = f32_to_bf16(value); break;
  }
  memcpy((uint16_t*)o + at, &h, sizeof h);
}

/* ggml's ALiBi slopes, computed in double and rounded once. */
static float alibi_slope(const fc_case* c, int64_t h) {
  int64_t n_head_log2 = 1;
  double m0, m1;
  if (!(c->max_bias > 0.0f)) return 1.0f;
  while (n_head_log2 * 2 <= c->hq) n_head_log2 *= 2;
  m0 = exp2(-(double)c->max_bias / (double)n_head_log2);
  m1 = exp2(-(double)c->max_bias / 2.0 / (double)n_head_log2);
  return (float)(h < n_head_log2 ? pow(m0, (double)(h + 1)) : pow(m1, (double)(2 * (h - n_head_log2) + 1)));
}

/* One query row: online softmax over the visible keys, in fp32. acc holds dv floats. */
static void attend_row(const fc_case* c, fc_output* out, int fill_lse, int64_t b, int64_t h, int64_t i, float* acc) {
  const int64_t kvh = h / (c->hq / c->hkv);
  const float slope = alibi_slope(c, h);
  const int64_t row = (b * c->hq + h) * c->lq + i;
  float m = -INFINITY, l = 0.0f;
  int64_t j, d;
  for (d = 0; d < c->dv; ++d) acc[d] = 0.0f;
  if (c->sinks) { /* the sink is one more logit in the denominator, with no value */
    m = c->sinks[h];
    l = 1.0f;
  }
  for (j = 0; j < c->lk; ++j) {
    const float bias = c->bias[i * c->lk + j];
    float s = 0.0f, p;
    if (bias == -INFINITY) continue; /* hidden key: K and V are never read */
    for (d = 0; d < c->dk; ++d) s += load(&c->q, b, h, i, d) * load(&c->k, b, kvh, j, d);
    s *= c->scale;
    if (c->softcap > 0.0f) s = c->softcap * tanhf(s / c->softcap);
    s += slope * bias;
    if (s == -INFINITY) continue;
    if (s > m) { /* a new maximum rescales what was accumulated */
      const float correction = expf(m - s);
      for (d = 0; d < c->dv; ++d) acc[d] *= correction;
      l *= correction;
      m = s;
    }
    p = expf(s - m);
    l += p;
    for (d = 0; d < c->dv; ++d) acc[d] += p * load(&c->v, b, kvh, j, d);
  }
  for (d = 0; d < c->dv; ++d) store(out->o, c->o_dtype, row * c->dv + d, l > 0.0f ? acc[d] / l : 0.0f);
  if (fill_lse) out->lse[row] = l > 0.0f ? m + logf(l) : -INFINITY;
}

typedef struct row_job {
  const fc_case* c;
  fc_output* out;
  int fill_lse;
  int64_t first, step;
  int failed;
} row_job;

static void* run_rows(void* arg) {
  row_job* job = (row_job*)arg;
  const fc_case* c = job->c;
  int64_t r;
  float* acc = (float*)malloc((size_t)c->dv * sizeof(float));
  if (!acc) {
    job->failed = 1;
    return NULL;
  }
  for (r = job->first; r < c->batch * c->hq * c->lq; r += job->step)
    attend_row(c, job->out, job->fill_lse, r / (c->hq * c->lq), (r / c->lq) % c->hq, r % c->lq, acc);
  free(acc);
  return NULL;
}

int example_attention(const fc_case* c, fc_output* out, int fill_lse) {
  row_job jobs[EXAMPLE_MAX_THREADS];
  pthread_t threads[EXAMPLE_MAX_THREADS];
  int started[EXAMPLE_MAX_THREADS];
  const int64_t rows = c->batch * c->hq * c->lq;
  int64_t n = c->n_threads > 0 ? c->n_threads : 1; /* 0: our choice, one thread */
  int64_t t;
  int failed = 0;
  if (c->struct_size < sizeof(fc_case) || out->struct_size < sizeof(fc_output)) {
    example_set_error(out, "the host's fc_case or fc_output is older than this plugin");
    return FC_STATUS_ERROR;
  }
  if (n > EXAMPLE_MAX_THREADS) n = EXAMPLE_MAX_THREADS;
  if (n > rows) n = rows > 0 ? rows : 1;
  for (t = 0; t < n; ++t) {
    jobs[t].c = c;
    jobs[t].out = out;
    jobs[t].fill_lse = fill_lse;
    jobs[t].first = t;
    jobs[t].step = n;
    jobs[t].failed = 0;
  }
  /* Thread 0 is this one; a thread that cannot be started has its rows run here. */
  for (t = 1; t < n; ++t) {
    started[t] = pthread_create(&threads[t], NULL, run_rows, &jobs[t]) == 0;
    if (!started[t]) run_rows(&jobs[t]);
  }
  run_rows(&jobs[0]);
  for (t = 1; t < n; ++t) {
    if (started[t]) pthread_join(threads[t], NULL);
    if (jobs[t].failed) failed = 1;
  }
  if (failed || jobs[0].failed) {
    example_set_error(out, "out of memory");
    return FC_STATUS_ERROR;
  }
  return FC_STATUS_OK;
}
