// Transformer model shapes: the built-in LLaMA family and Hugging Face style config.json files.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace roofline {

struct ModelConfig {
  std::string name;
  std::int64_t hidden = 0;        // h (hidden_size)
  std::int64_t heads = 0;         // n (num_attention_heads)
  std::int64_t kv_heads = 0;      // num_key_value_heads; equals heads for multi-head attention
  std::int64_t head_dim = 0;      // d; hidden / heads unless the config says otherwise
  std::int64_t intermediate = 0;  // i (intermediate_size, the FFN width)
  std::int64_t layers = 0;        // num_hidden_layers; informational, 0 when unknown

  std::int64_t q_width() const { return heads * head_dim; }
  std::int64_t kv_width() const { return kv_heads * head_dim; }
};

// A config that cannot be used. what() names the problem and the fix.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

const std::vector<ModelConfig>& builtin_models();

// Checks the relations a config must satisfy; throws ConfigError naming the field and the fix.
void validate(const ModelConfig& config);

// Parses the text of a Hugging Face style config.json. `origin` names the file in messages.
ModelConfig parse_model_config(const std::string& json_text, const std::string& origin);

// Reads and parses a config.json file.
ModelConfig load_model_config(const std::string& path);

// A built-in name (llama-33b, ...) or a path to a config.json.
ModelConfig resolve_model(const std::string& name_or_path);

}  // namespace roofline
