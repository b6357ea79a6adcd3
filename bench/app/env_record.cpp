#include "bench/app/env_record.hpp"

#include <unistd.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <stdexcept>

#include "bench/app/build_info.hpp"

namespace bench {

roofline::RunInfo host_run_info() {
  roofline::RunInfo run;
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm utc{};
  gmtime_r(&now, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &utc);
  run.timestamp_utc = stamp;
  char host[256] = {};
  if (gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  run.host = host[0] ? host : "unknown";
  char compact[32];
  std::strftime(compact, sizeof compact, "%Y%m%dT%H%M%SZ", &utc);
  run.run_id = std::string(compact) + "-" + run.host + "-" + std::to_string(getpid());
  run.git_commit = build_git_commit();
  run.build_archs = build_cuda_archs();
  return run;
}

std::string run_date(const roofline::RunInfo& run) { return run.timestamp_utc.substr(0, 10); }

nlohmann::json run_info_json(const roofline::RunInfo& run) {
  nlohmann::json j;
  j["schema_version"] = roofline::kSchemaVersion;
  j["run_id"] = run.run_id;
  j["timestamp_utc"] = run.timestamp_utc;
  j["host"] = run.host;
  j["git_commit"] = run.git_commit;
  j["build_archs"] = run.build_archs;
  j["bench_llama_version"] = build_project_version();
  j["cuda_toolkit_at_build"] = build_cuda_toolkit_version();
  j["l2_mode"] = run.l2_mode;
  j["spec"] = run.spec;
  return j;
}

nlohmann::json model_json(const roofline::ModelConfig& model) {
  return {{"name", model.name},
          {"hidden_size", model.hidden},
          {"num_attention_heads", model.heads},
          {"num_key_value_heads", model.kv_heads},
          {"head_dim", model.head_dim},
          {"intermediate_size", model.intermediate}};
}

void write_env_json(const std::string& folder, const nlohmann::json& record) {
  const std::string path = folder + "/env.json";
  std::ofstream out(path);
  out << record.dump(2) << '\n';
  if (!out) throw std::runtime_error("cannot write " + path);
}

}  // namespace bench
