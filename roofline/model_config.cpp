#include "roofline/model_config.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "roofline/text.hpp"

namespace roofline {
namespace {

// LLaMA-1 (Touvron et al. 2023, Table 2 and the released params.json). FFN widths are the released ones.
const std::vector<ModelConfig> kBuiltins = {
    {"llama-7b", 4096, 32, 32, 128, 11008, 32},
    {"llama-13b", 5120, 40, 40, 128, 13824, 40},
    {"llama-33b", 6656, 52, 52, 128, 17920, 60},
    {"llama-65b", 8192, 64, 64, 128, 22016, 80},
};

std::string builtin_names() {
  std::string names;
  for (const auto& m : kBuiltins) names += (names.empty() ? "" : ", ") + m.name;
  return names;
}

// Reads an integer field. Required fields must be present; every present field must be a positive whole number.
std::int64_t read_positive(const nlohmann::json& doc, const char* key, bool required, const std::string& origin) {
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) {
    if (required) {
      throw ConfigError(origin + ": missing field \"" + key +
                        "\"; add it (a positive integer), as in a Hugging Face "
                        "config.json");
    }
    return 0;
  }
  double value = 0;
  if (it->is_number_integer()) {  // signed or unsigned
    value = it->is_number_unsigned() ? static_cast<double>(it->get<std::uint64_t>())
                                     : static_cast<double>(it->get<std::int64_t>());
  } else if (it->is_number_float()) {
    value = it->get<double>();
    if (!std::isfinite(value) || value != std::floor(value)) {
      throw ConfigError(origin + ": field \"" + key + "\" must be a whole number, got " + printable(it->dump()));
    }
  } else {
    throw ConfigError(origin + ": field \"" + key + "\" must be a number, got " + printable(it->dump()) +
                      "; write it without quotes, e.g. \"" + key + "\": 4096");
  }
  if (value <= 0) {
    throw ConfigError(origin + ": field \"" + key + "\" must be positive, got " + printable(it->dump()));
  }
  if (value > static_cast<double>(std::int64_t{1} << 40)) {
    throw ConfigError(origin + ": field \"" + key + "\" is too large (" + printable(it->dump()) +
                      "); use a realistic positive integer");
  }
  return static_cast<std::int64_t>(value);
}

}  // namespace

const std::vector<ModelConfig>& builtin_models() { return kBuiltins; }

void validate(const ModelConfig& c) {
  const std::string who = "model \"" + c.name + "\"";
  if (c.hidden <= 0 || c.heads <= 0 || c.kv_heads <= 0 || c.head_dim <= 0 || c.intermediate <= 0) {
    throw ConfigError(who +
                      ": hidden_size, num_attention_heads, num_key_value_heads, head_dim and "
                      "intermediate_size must all be positive");
  }
  if (c.heads % c.kv_heads != 0) {
    throw ConfigError(who + ": num_key_value_heads (" + std::to_string(c.kv_heads) +
                      ") must divide num_attention_heads (" + std::to_string(c.heads) +
                      "); fix one of them (grouped-query attention shares each KV head among a whole group)");
  }
  // Overflow guard: the largest buffer of a sweep is b * n * s^2; keep the model's own products far from 2^63.
  constexpr std::int64_t kLimit = std::int64_t{1} << 24;
  if (c.hidden > kLimit || c.intermediate > kLimit || c.heads * c.head_dim > kLimit) {
    throw ConfigError(who + ": sizes above 16,777,216 are not supported; check the config for a typo");
  }
}

ModelConfig parse_model_config(const std::string& json_text, const std::string& origin) {
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(json_text);
  } catch (const nlohmann::json::exception& e) {  // parse errors, and out_of_range for numbers such as 1e309
    throw ConfigError(origin + ": not valid JSON (" + printable(e.what()) +
                      "); fix the file or pass a built-in model (" + builtin_names() + ")");
  }
  if (!doc.is_object()) {
    throw ConfigError(origin +
                      ": expected a JSON object with hidden_size, num_attention_heads and "
                      "intermediate_size");
  }
  ModelConfig c;
  c.name = origin;
  if (auto it = doc.find("_name_or_path"); it != doc.end() && it->is_string() && !it->get<std::string>().empty()) {
    c.name = printable(it->get<std::string>());  // it goes into messages, the CSV and the plot's title
  }
  c.hidden = read_positive(doc, "hidden_size", true, origin);
  c.heads = read_positive(doc, "num_attention_heads", true, origin);
  c.intermediate = read_positive(doc, "intermediate_size", true, origin);
  c.kv_heads = read_positive(doc, "num_key_value_heads", false, origin);
  c.head_dim = read_positive(doc, "head_dim", false, origin);
  c.layers = read_positive(doc, "num_hidden_layers", false, origin);
  if (c.kv_heads == 0) c.kv_heads = c.heads;
  if (c.head_dim == 0) {
    if (c.hidden % c.heads != 0) {
      throw ConfigError(origin + ": num_attention_heads (" + std::to_string(c.heads) +
                        ") does not divide hidden_size (" + std::to_string(c.hidden) +
                        "); fix one of them, or give head_dim explicitly");
    }
    c.head_dim = c.hidden / c.heads;
  }
  validate(c);
  return c;
}

ModelConfig load_model_config(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    throw ConfigError("cannot read model config \"" + path + "\": it is a folder; give the config.json inside it");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw ConfigError("cannot read model config \"" + path + "\"; give a readable config.json or a built-in model (" +
                      builtin_names() + ")");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) throw ConfigError("error while reading model config \"" + path + "\"");
  return parse_model_config(text.str(), path);
}

ModelConfig resolve_model(const std::string& name_or_path) {
  for (const auto& m : kBuiltins) {
    if (m.name == name_or_path) return m;
  }
  const bool looks_like_path =
      name_or_path.find('/') != std::string::npos || name_or_path.find(".json") != std::string::npos;
  if (!looks_like_path) {
    throw ConfigError("unknown model \"" + name_or_path + "\"; use one of " + builtin_names() +
                      ", or a path to a Hugging Face config.json");
  }
  return load_model_config(name_or_path);
}

}  // namespace roofline
