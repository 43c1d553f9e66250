// The OpenCL subject's host side, without a device: status names, the flag-set and
// mutant tables, build options, the parameter block, the embedded kernel sources and
// the registration.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <string_view>

#include "core/generator.hpp"
#include "impls/opencl/cl_errors.hpp"
#include "impls/opencl/fa_params.hpp"
#include "impls/opencl/fa_program.hpp"
#include "impls/opencl/kernel_sources.hpp"
#include "impls/opencl/opencl_backend.hpp"
#include "impls/opencl/register_opencl.hpp"

namespace flashcheck {
namespace {

using namespace flashcheck::opencl;

bool contains(std::string_view haystack, std::string_view needle) { return haystack.find(needle) != std::string::npos; }

TEST(OpenClErrors, EveryCoreStatusHasItsName) {
  // Every status of the core API 1.0 - 3.0: 0, -1 .. -19, -30 .. -72.
  std::set<std::string> names;
  for (int32_t code = 0; code >= -72; --code) {
    if (code < -19 && code > -30) continue;  // unassigned
    const std::string name = cl_error_name(code);
    EXPECT_TRUE(name.starts_with("CL_")) << code << " -> " << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), 1u + 19u + 43u);  // all distinct
  EXPECT_EQ(cl_error_name(0), "CL_SUCCESS");
  EXPECT_EQ(cl_error_name(-11), "CL_BUILD_PROGRAM_FAILURE");
  EXPECT_EQ(cl_error_name(-52), "CL_INVALID_KERNEL_ARGS");
  EXPECT_EQ(cl_error_name(-72), "CL_MAX_SIZE_RESTRICTION_EXCEEDED");
}

TEST(OpenClErrors, ExtensionStatusesAndUnknownCodes) {
  EXPECT_EQ(cl_error_name(-1001), "CL_PLATFORM_NOT_FOUND_KHR");
  EXPECT_EQ(cl_error_name(-1000), "CL_INVALID_GL_SHAREGROUP_REFERENCE_KHR");
  EXPECT_EQ(cl_error_name(-1121), "CL_CONTEXT_TERMINATED_KHR");
  EXPECT_EQ(cl_error_name(-25), "unknown OpenCL status -25");
  EXPECT_EQ(cl_error_name(7), "unknown OpenCL status 7");
}

TEST(OpenClErrors, ClCheckThrowsNamingTheCall) {
  EXPECT_NO_THROW(cl_check(0, "clFinish"));
  try {
    cl_check(-5, "clEnqueueNDRangeKernel");
    FAIL() << "no exception";
  } catch (const ClError& e) {
    EXPECT_EQ(e.status(), -5);
    EXPECT_STREQ(e.what(), "clEnqueueNDRangeKernel failed: CL_OUT_OF_RESOURCES (-5)");
  }
}

TEST(OpenClProgram, FlagSetsAreTheThreeBackends) {
  const auto sets = flag_sets();
  ASSERT_EQ(sets.size(), 3u);
  EXPECT_EQ(sets[0].backend_name, "opencl");
  EXPECT_EQ(sets[0].flags, "");
  EXPECT_EQ(sets[1].backend_name, "opencl-finite-math");
  EXPECT_EQ(sets[1].flags, "-cl-finite-math-only");
  EXPECT_EQ(sets[2].backend_name, "opencl-fast-relaxed-math");
  EXPECT_EQ(sets[2].flags, "-cl-fast-relaxed-math");
  EXPECT_EQ(find_flag_set("opencl-finite-math"), &sets[1]);
  EXPECT_EQ(find_flag_set("opencl-fast"), nullptr);
}

TEST(OpenClProgram, MutantsSwitchOnADefine) {
  ASSERT_EQ(opencl_mutants().size(), 2u);
  EXPECT_EQ(find_opencl_mutant("neg-inf-init")->define, "FA_MUTANT_NEG_INF_INIT");
  EXPECT_EQ(find_opencl_mutant("tile-class-off-by-one")->define, "FA_MUTANT_TILE_CLASS_OFF_BY_ONE");
  EXPECT_EQ(find_opencl_mutant("fp16-softmax-stats"), nullptr);
  // Every define is read by the kernel sources.
  for (const OpenClMutant& m : opencl_mutants()) EXPECT_TRUE(contains(flash_attention_program_source(), m.define));
}

TEST(OpenClProgram, KvStorageCodesFollowDtypeOrScheme) {
  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 2, .hkv = 1, .lq = 3, .lk = 9, .dk = 64, .dv = 32};
  r.k_type = DType::bf16;
  r.v_type = DType::f32;
  AttentionCase c = generate(r);
  EXPECT_EQ(kv_storage_code(c.k_type, c.k_quant), StorageCode::bf16);
  EXPECT_EQ(kv_storage_code(c.v_type, c.v_quant), StorageCode::f32);
  r.k_quant = "ggml_q4_0";
  r.v_quant = "ggml_q8_0";
  c = generate(r);
  EXPECT_EQ(kv_storage_code(c.k_type, c.k_quant), StorageCode::q4_0);
  EXPECT_EQ(kv_storage_code(c.v_type, c.v_quant), StorageCode::q8_0);
  r.v_quant = "ggml_mxfp4";
  c = generate(r);
  EXPECT_THROW(kv_storage_code(c.v_type, c.v_quant), std::invalid_argument);
  EXPECT_THROW(make_params(c, 512), std::invalid_argument);
  EXPECT_EQ(storage_code(DType::f16), StorageCode::f16);
}

TEST(OpenClProgram, OptionsCarryTheWorkShapeTheFlagsAndTheMutant) {
  const std::string plain = program_options(*find_flag_set("opencl"), nullptr);
  EXPECT_EQ(plain, "-cl-std=CL1.2 -DFA_MAX_D=256 -DFA_BLOCK_M=32 -DFA_BLOCK_N=32 -DFA_DECODE_WG=32");
  const std::string mutant =
      program_options(*find_flag_set("opencl-fast-relaxed-math"), find_opencl_mutant("neg-inf-init"));
  EXPECT_TRUE(mutant.starts_with(plain));
  EXPECT_TRUE(mutant.ends_with(" -DFA_MUTANT_NEG_INF_INIT -cl-fast-relaxed-math"));
}

TEST(OpenClProgram, LocalMemoryCoversTheLargestKernel) {
  // prefill: 32 keys of K and V in floats; decode: 32 partial rows of V plus the merge.
  EXPECT_EQ(local_mem_needed(1, 64), (32u + 32u + 32u * 64 + 64u) * 4);
  EXPECT_EQ(local_mem_needed(256, 64), 32u * (256 + 64) * 4);
}

TEST(OpenClParams, MirrorTheCase) {
  CaseRecipe r;
  r.shape = {.batch = 2, .hq = 6, .hkv = 2, .lq = 40, .lk = 100, .dk = 64, .dv = 32};
  r.q_type = DType::bf16;
  r.o_type = DType::f16;
  r.mask = "tile_edges";
  r.layout = Layout::seq_major;
  r.softcap = 30.0f;
  r.max_bias = 8.0f;
  r.sinks = true;
  const AttentionCase c = generate(r);
  const OpenClParams p = make_params(c, 64);
  EXPECT_EQ(p.batch, 2);
  EXPECT_EQ(p.hq, 6);
  EXPECT_EQ(p.gqa_ratio, 3);
  EXPECT_EQ(p.dk, 64);
  EXPECT_EQ(p.dv, 32);
  EXPECT_EQ(p.q_type, static_cast<int32_t>(StorageCode::bf16));
  EXPECT_EQ(p.o_type, static_cast<int32_t>(StorageCode::f16));
  EXPECT_EQ(p.k_type, static_cast<int32_t>(StorageCode::f16));
  EXPECT_EQ(p.v_type, static_cast<int32_t>(StorageCode::f16));
  for (int d = 0; d < 4; ++d) {
    EXPECT_EQ(p.q_stride[d], c.q.strides[static_cast<size_t>(d)]);
    EXPECT_EQ(p.k_stride[d], c.k.strides[static_cast<size_t>(d)]);
    EXPECT_EQ(p.v_stride[d], c.v.strides[static_cast<size_t>(d)]);
  }
  EXPECT_EQ(p.mask_kind, 1);  // causal
  EXPECT_EQ(p.offset, 60);
  EXPECT_EQ(p.mask_type, static_cast<int32_t>(StorageCode::f16));
  EXPECT_EQ(p.mask_stride_i, c.mask->strides[2]);
  EXPECT_EQ(p.mask_stride_j, c.mask->strides[3]);
  EXPECT_EQ(p.has_alibi, 1);
  EXPECT_EQ(p.has_sinks, 1);
  EXPECT_EQ(p.has_softcap, 1);
  EXPECT_EQ(p.softcap, 30.0f);
  EXPECT_EQ(p.scale, c.scale);
  EXPECT_EQ(p.n_q_tiles, 2);
  EXPECT_EQ(p.n_kv_tiles, 4);
  EXPECT_EQ(p.split_keys, 64);
  EXPECT_EQ(p.n_splits, 2);
  EXPECT_EQ(p.k_row_bytes, 0);

  r.mask = "none";
  r.k_quant = "ggml_q8_0";
  r.v_quant = "ggml_q4_0";
  const AttentionCase q = generate(r);
  const OpenClParams pq = make_params(q, 512);
  EXPECT_EQ(pq.k_type, static_cast<int32_t>(StorageCode::q8_0));
  EXPECT_EQ(pq.v_type, static_cast<int32_t>(StorageCode::q4_0));
  EXPECT_EQ(pq.k_row_bytes, 2 * 64 / 32 * 34);
  EXPECT_EQ(pq.v_row_bytes, 2 * 32 / 32 * 18);
  EXPECT_EQ(pq.mask_kind, 0);
  EXPECT_EQ(pq.mask_type, -1);
  EXPECT_EQ(pq.n_splits, 1);
}

TEST(OpenClKernelSources, AreEmbeddedInProgramOrder) {
  const auto files = kernel_source_files();
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0].name, "fa_common.cl");
  EXPECT_EQ(files[1].name, "fa_mask_prepass.cl");
  EXPECT_EQ(files[2].name, "fa_prefill.cl");
  EXPECT_EQ(files[3].name, "fa_decode.cl");
  const std::string& program = flash_attention_program_source();
  size_t last = 0;
  for (const KernelSourceFile& f : files) {
    EXPECT_GT(f.text.size(), 500u) << f.name;
    const size_t at = program.find(f.text);
    ASSERT_NE(at, std::string::npos) << f.name;
    EXPECT_GE(at, last) << f.name;
    last = at;
  }
  for (const char* kernel : {"__kernel void fa_classify_tiles", "void fa_prefill(", "void fa_decode_q1(",
                             "void fa_decode_split(", "void fa_decode_merge("})
    EXPECT_TRUE(contains(program, kernel)) << kernel;
  EXPECT_TRUE(contains(program, "typedef struct"));  // fa_params, mirrored by OpenClParams
}

TEST(OpenClRegistration, RegistersOneBackendPerFlagSet) {
  Registry r;
  register_opencl_backends(r);
  const std::vector<std::string> expected{"opencl", "opencl-finite-math", "opencl-fast-relaxed-math"};
  EXPECT_EQ(r.names(), expected);
  EXPECT_EQ(r.make("opencl-finite-math@neg-inf-init")->name(), "opencl-finite-math@neg-inf-init");
  EXPECT_EQ(r.make("opencl")->name(), "opencl");
  EXPECT_THROW(r.make("opencl@no-such-bug"), std::invalid_argument);
  EXPECT_THROW(make_opencl_backend("opencl-O3"), std::invalid_argument);
}

TEST(OpenClRegistration, CapabilitiesAreWhatTheKernelsRead) {
  auto b = make_opencl_backend("opencl");
  const Capabilities caps = b->capabilities();
  EXPECT_EQ(caps.q_types.size(), 3u);
  EXPECT_EQ(caps.kv_types.size(), 3u);
  EXPECT_EQ(caps.o_types.size(), 3u);
  EXPECT_EQ(caps.kv_schemes, (std::vector<std::string>{"ggml_q8_0", "ggml_q4_0"}));
  EXPECT_EQ(caps.kv_layouts, std::vector<KvRowLayout>{KvRowLayout::aos});
  EXPECT_FALSE(caps.hadamard);
  EXPECT_EQ(caps.max_head_dim, 256);
  EXPECT_TRUE(caps.causal && caps.window && caps.explicit_mask && caps.alibi && caps.softcap && caps.sinks &&
              caps.gqa && caps.strided && caps.dk_ne_dv && caps.lse);
  EXPECT_TRUE(contains(b->description(), "OpenCL"));
  EXPECT_TRUE(contains(make_opencl_backend("opencl-fast-relaxed-math")->description(), "-cl-fast-relaxed-math"));
}

}  // namespace
}  // namespace flashcheck
