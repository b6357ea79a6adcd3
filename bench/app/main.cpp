// bench_llama: parses the command line and runs one of --help, --list-variants, --spec list, --list, --predict,
// or a measured sweep.
// Every failure becomes an exit code and one message that names the fix (bench/app/errors.hpp).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <iostream>

#include "bench/app/cli.hpp"
#include "bench/app/errors.hpp"
#include "bench/app/measured_run.hpp"
#include "bench/app/predict.hpp"
#include "bench/app/run_folder.hpp"
#include "roofline/csv.hpp"
#include "roofline/model_config.hpp"
#include "roofline/operators.hpp"
#include "roofline/plan.hpp"
#include "roofline/schema.hpp"
#include "roofline/text.hpp"

namespace {

void setup_logging(const std::string& level) {
  auto logger = spdlog::stderr_color_mt("bench_llama");
  logger->set_pattern("[%H:%M:%S] %^%l%$ %v");
  logger->set_level(spdlog::level::from_str(level));
  spdlog::set_default_logger(logger);
}

int run(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  const bench::Options options = bench::parse_cli(args);
  if (options.help) {
    std::cout << bench::help_text();
    return bench::kExitOk;
  }
  if (options.schema) {
    std::cout << roofline::csv_columns_markdown();
    return bench::kExitOk;
  }
  setup_logging(options.log_level);
  if (options.list_variants) {
    bench::print_variants(std::cout, options.allowed_variants);
    return bench::kExitOk;
  }
  if (options.spec == "list") {
    bench::print_specs(std::cout);
    return bench::kExitOk;
  }
  const roofline::ModelConfig model = roofline::resolve_model(options.model);
  const roofline::Plan plan = roofline::make_plan(model, options.sweep);
  if (!options.out.empty() && !options.list) bench::check_run_folder(options.out);  // before any GPU work
  if (options.list) {
    bench::print_plan(std::cout, model, plan);
    return bench::kExitOk;
  }
  if (options.predict) {
    bench::run_predict(options, model, plan);
    return bench::kExitOk;
  }
  return bench::run_measure(options, model, plan, argv[0], args);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const bench::UsageError& e) {
    std::cerr << "bench_llama: " << roofline::printable(e.what()) << '\n';
    return bench::kExitUsage;
  } catch (const roofline::ConfigError& e) {
    std::cerr << "bench_llama: " << roofline::printable(e.what()) << '\n';
    return bench::kExitUsage;
  } catch (const bench::DeviceError& e) {
    std::cerr << "bench_llama: " << roofline::printable(e.what()) << '\n';
    return bench::kExitDevice;
  } catch (const roofline::SizeError& e) {
    std::cerr << "bench_llama: " << roofline::printable(e.what()) << '\n';
    return bench::kExitUsage;
  } catch (const roofline::CsvError& e) {
    std::cerr << "bench_llama: " << roofline::printable(e.what()) << '\n';
    return bench::kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "bench_llama: internal error: " << roofline::printable(e.what()) << '\n';
    return bench::kExitInternal;
  }
}
