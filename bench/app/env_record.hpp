// The environment record of a run: the run columns of every CSV row, and env.json beside the CSV.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "roofline/model_config.hpp"
#include "roofline/schema.hpp"

namespace bench {

// Host, time, run id and build facts; device fields are left for the device module to fill in.
roofline::RunInfo host_run_info();

// The UTC date of a run's timestamp ("2026-11-24"), for the folder name.
std::string run_date(const roofline::RunInfo& run);

// The run columns as JSON, the start of env.json; callers add what else they know (device, sweep).
nlohmann::json run_info_json(const roofline::RunInfo& run);

// The model's shape, as env.json records it.
nlohmann::json model_json(const roofline::ModelConfig& model);

// Writes `record` to <folder>/env.json (pretty-printed). Throws std::runtime_error naming the file.
void write_env_json(const std::string& folder, const nlohmann::json& record);

}  // namespace bench
