#include "roofline/model_config.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace roofline {
namespace {

// Expects parse_model_config to throw a ConfigError whose message contains `needle`.
void expect_error(const std::string& json, const std::string& needle) {
  try {
    parse_model_config(json, "cfg.json");
    FAIL() << "accepted: " << json;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

TEST(ModelConfig, BuiltinsAreTheLlamaFamily) {
  const ModelConfig m = resolve_model("llama-33b");
  EXPECT_EQ(m.hidden, 6656);
  EXPECT_EQ(m.heads, 52);
  EXPECT_EQ(m.kv_heads, 52);
  EXPECT_EQ(m.head_dim, 128);
  EXPECT_EQ(m.intermediate, 17920);
  EXPECT_EQ(m.layers, 60);
  for (const char* name : {"llama-7b", "llama-13b", "llama-65b"}) {
    const ModelConfig b = resolve_model(name);
    EXPECT_EQ(b.heads * b.head_dim, b.hidden) << name;
  }
}

TEST(ModelConfig, HuggingFaceConfigWithExtraKeys) {
  const ModelConfig m = parse_model_config(R"({"architectures": ["LlamaForCausalLM"], "hidden_size": 4096,
      "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336, "rope_theta": 500000.0,
      "num_hidden_layers": 32, "_name_or_path": "llama-3-8b"})",
                                           "cfg.json");
  EXPECT_EQ(m.name, "llama-3-8b");
  EXPECT_EQ(m.kv_heads, 8);
  EXPECT_EQ(m.head_dim, 128);
  EXPECT_EQ(m.kv_width(), 1024);
}

TEST(ModelConfig, ExplicitHeadDim) {
  const ModelConfig m = parse_model_config(
      R"({"hidden_size": 3072, "num_attention_heads": 16, "head_dim": 256, "intermediate_size": 24576})", "g.json");
  EXPECT_EQ(m.head_dim, 256);
  EXPECT_EQ(m.q_width(), 4096);
}

TEST(ModelConfig, ClearErrors) {
  expect_error(R"({"num_attention_heads": 32, "intermediate_size": 11008})", "missing field \"hidden_size\"");
  expect_error(R"({"hidden_size": "4096", "num_attention_heads": 32, "intermediate_size": 11008})", "must be a number");
  expect_error(R"({"hidden_size": 4096.5, "num_attention_heads": 32, "intermediate_size": 11008})", "whole number");
  expect_error(R"({"hidden_size": 0, "num_attention_heads": 32, "intermediate_size": 11008})", "must be positive");
  expect_error(R"({"hidden_size": -4096, "num_attention_heads": 32, "intermediate_size": 11008})", "must be positive");
  expect_error(R"({"hidden_size": 4096, "num_attention_heads": 30, "intermediate_size": 11008})",
               "does not divide hidden_size");
  expect_error(R"({"hidden_size": 4096, "num_attention_heads": 32, "num_key_value_heads": 6,
      "intermediate_size": 11008})",
               "must divide num_attention_heads");
  expect_error(R"({"hidden_size": 4096, "num_attention_heads": 32, "intermediate_size": 1e30})", "too large");
  expect_error(R"({"hidden_size": 4096, "num_attention_heads": 32, "intermediate_size": null})",
               "missing field \"intermediate_size\"");
  expect_error(R"({"hidden_size": 4096, "num_attention_heads": 32, "intermediate_size": true})", "must be a number");
  expect_error(R"([4096, 32])", "expected a JSON object");
  expect_error(R"({"hidden_size": 4096, "num_attention)", "not valid JSON");
  expect_error("", "not valid JSON");
  expect_error(R"({"hidden_size": 1e309, "num_attention_heads": 32, "intermediate_size": 11008})", "not valid JSON");
}

TEST(ModelConfig, UnknownNameAndMissingFile) {
  try {
    resolve_model("llama-34b");
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("llama-33b"), std::string::npos) << "should list the built-ins";
  }
  EXPECT_THROW(resolve_model("/nonexistent/config.json"), ConfigError);
}

TEST(ModelConfig, LoadsAFile) {
  const std::string path = testing::TempDir() + "/bench_llama_cfg.json";
  {
    std::ofstream out(path);
    out << R"({"hidden_size": 5120, "num_attention_heads": 40, "intermediate_size": 13824})";
  }
  const ModelConfig m = resolve_model(path);
  EXPECT_EQ(m.hidden, 5120);
  EXPECT_EQ(m.name, path);
  std::remove(path.c_str());
}

}  // namespace
}  // namespace roofline
