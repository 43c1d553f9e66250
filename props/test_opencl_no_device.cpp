// Without any OpenCL platform the subject says so: available() is false with the
// reason, and a run is "unsupported" with the same reason. The ICD loader is pointed
// at an empty vendor directory before this process touches OpenCL.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "core/generator.hpp"
#include "impls/opencl/opencl_backend.hpp"

namespace flashcheck {
namespace {

TEST(OpenClWithoutDevice, ReportsWhyItIsUnavailable) {
  ASSERT_EQ(setenv("OCL_ICD_VENDORS", "/nonexistent/flashcheck-no-opencl-vendors", 1), 0);
  ASSERT_EQ(setenv("OCL_ICD_FILENAMES", "", 1), 0);
  auto b = opencl::make_opencl_backend("opencl");
  std::string why;
  EXPECT_FALSE(b->available(&why));
  EXPECT_NE(why.find("no OpenCL platform"), std::string::npos) << why;

  CaseRecipe r;
  r.shape = {.batch = 1, .hq = 1, .hkv = 1, .lq = 2, .lk = 5, .dk = 16, .dv = 16};
  const RunResult result = run_checked(*b, generate(r));
  EXPECT_EQ(result.status, RunResult::Status::unsupported);
  EXPECT_NE(result.message.find(why), std::string::npos) << result.message;
}

}  // namespace
}  // namespace flashcheck
