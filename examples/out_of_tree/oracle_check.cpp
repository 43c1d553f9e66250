// my_attention graded in-process through the harness libraries (flashcheck::harness):
// generate a case, run the kernel on it through its plugin entry point, compute the
// exact answer, judge the output under the kernel's contract.
#include <cstdio>
#include <vector>

#include <flashcheck/backend.h>

#include "core/generator.hpp"
#include "oracle/attention_oracle.hpp"
#include "verdict/verdict.hpp"

namespace fc = flashcheck;

static_assert(static_cast<int>(fc::DType::f32) == FC_DTYPE_F32 && static_cast<int>(fc::DType::f16) == FC_DTYPE_F16,
              "the harness's dtypes and the ABI's are numbered alike");
static_assert(static_cast<int>(fc::MaskKind::causal) == FC_MASK_CAUSAL, "and so are the mask kinds");

static fc_tensor view_of(const fc::Tensor& t) {
  fc_tensor view{};
  view.dtype = static_cast<int32_t>(t.dtype);
  for (int axis = 0; axis < 4; ++axis) {
    view.shape[axis] = t.shape[static_cast<size_t>(axis)];
    view.strides[axis] = t.strides[static_cast<size_t>(axis)];
  }
  view.data = t.data();
  return view;
}

// Runs the kernel on c; false (with the kernel's message printed) when it declines or errs.
static bool run_kernel(const fc_subject& subject, const fc::AttentionCase& c, fc::RunOutput& out) {
  const fc::CaseShape& s = c.shape;
  const std::vector<float> bias = c.materialized_mask();
  fc_case in{};
  in.struct_size = sizeof(fc_case);
  in.batch = s.batch, in.hq = s.hq, in.hkv = s.hkv, in.lq = s.lq, in.lk = s.lk, in.dk = s.dk, in.dv = s.dv;
  in.q = view_of(c.q), in.k = view_of(c.k), in.v = view_of(c.v);
  in.scale = c.scale;
  in.mask_kind = static_cast<int32_t>(c.mask_kind);
  in.bias = bias.data();
  in.o_dtype = static_cast<int32_t>(c.o_type);

  out.o = fc::Tensor::make(c.o_type, {s.batch, s.hq, s.lq, s.dv});
  out.lse.assign(static_cast<size_t>(s.batch * s.hq * s.lq), 0.0f);
  char error[256] = "";
  fc_output result{sizeof(fc_output), 0, out.o.data(), out.lse.data(), error, sizeof error};
  if (subject.run(&in, &result) != FC_STATUS_OK) {
    std::printf("kernel declined or failed: %s\n", error);
    return false;
  }
  return true;
}

int main() {
  const fc_plugin* plugin = flashcheck_plugin(FC_PLUGIN_ABI_VERSION);
  const fc_subject& subject = plugin->subjects[0];
  int failures = 0;
  for (const char* mask : {"none", "causal"}) {
    for (fc::DType kv_type : {fc::DType::f32, fc::DType::f16}) {
      fc::CaseRecipe recipe;
      recipe.shape = {.batch = 1, .hq = 4, .hkv = 2, .lq = 7, .lk = 50, .dk = 64, .dv = 64};
      recipe.k_type = recipe.v_type = kv_type;
      recipe.mask = mask;
      recipe.seed = 11;
      const fc::AttentionCase c = fc::generate(recipe);
      fc::RunOutput out;
      if (!run_kernel(subject, c, out)) {
        ++failures;
        continue;
      }
      const fc::Verdict verdict = fc::judge(c, fc::run_oracle(c), out);
      std::printf("%s\n  %s\n", fc::describe(recipe).c_str(), verdict.summary().c_str());
      if (!verdict.pass) ++failures;
    }
  }
  std::printf("%s: %d of 4 cases failed\n", subject.name, failures);
  return failures == 0 ? 0 : 1;
}
