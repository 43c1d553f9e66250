// register_model_backends(): the three models and every mutant build under their specs.
#include <gtest/gtest.h>

#include <stdexcept>

#include "impls/models/register_models.hpp"

namespace flashcheck {
namespace {

TEST(ModelsRegistry, RegistersTheThreeModels) {
  Registry r;
  register_model_backends(r);
  EXPECT_EQ(r.names(), (std::vector<std::string>{"model-metal-steel", "model-esimd-splitkv", "model-hexagon-hmx"}));
}

TEST(ModelsRegistry, EveryMutantBuildsUnderItsSpec) {
  Registry r;
  register_model_backends(r);
  int mutants = 0;
  for (const std::string& subject : r.names()) {
    const auto correct = r.make(subject);
    ASSERT_NE(correct, nullptr);
    EXPECT_EQ(correct->name(), subject);
    for (const MutantInfo& m : correct->mutants()) {
      ++mutants;
      const std::string spec = backend_spec(subject, m.name);
      EXPECT_EQ(r.make(spec)->name(), spec);
      EXPECT_FALSE(m.description.empty());
    }
  }
  EXPECT_EQ(mutants, 4);
}

TEST(ModelsRegistry, UnknownMutantIsRefused) {
  Registry r;
  register_model_backends(r);
  EXPECT_THROW(r.make("model-metal-steel@no-such-bug"), std::invalid_argument);
  EXPECT_THROW(r.make("model-esimd-splitkv@lse-log2"), std::invalid_argument);
}

}  // namespace
}  // namespace flashcheck
