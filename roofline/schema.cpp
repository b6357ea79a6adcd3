#include "roofline/schema.hpp"

#include "roofline/csv.hpp"

namespace roofline {
namespace {

std::string as_cell(const std::string& value) { return value; }
std::string as_cell(const std::optional<std::int64_t>& value) { return csv_number(value); }
std::string as_cell(const std::optional<double>& value) { return csv_number(value); }
std::string as_cell(const std::optional<bool>& value) {
  return value ? (*value ? std::string("true") : std::string("false")) : std::string();
}

// A cell made from a field of the row, or of the run it belongs to.
template <class T>
Column::Cell field(T PointRow::*member) {
  return [member](const PointRow& row) { return as_cell(row.*member); };
}
template <class T>
Column::Cell run_field(T RunInfo::*member) {
  return [member](const PointRow& row) { return as_cell(row.run.*member); };
}

// Each column: name, unit, meaning, cell. Order is the file's order.

const std::vector<Column> kColumns = {
    // run
    {"schema_version", "",
     "Version of this schema (5; version 4 lacks the columns after device_kind, version 3 also device_kind, version 2 "
     "also the columns after candidates, version 1 also candidates); a reader refuses versions it does not know.",
     [](const PointRow&) { return std::to_string(kSchemaVersion); }},
    {"run_id", "", "Unique id of the run that wrote the row (UTC time, host and process).",
     run_field(&RunInfo::run_id)},
    {"timestamp_utc", "ISO 8601", "When the run started, UTC.", run_field(&RunInfo::timestamp_utc)},
    {"host", "", "Host name of the machine.", run_field(&RunInfo::host)},
    {"gpu_index", "", "CUDA device index (--gpu); empty for predicted rows.", run_field(&RunInfo::gpu_index)},
    {"gpu_name", "", "Device name as the driver reports it, or the datasheet entry's name when predicted.",
     run_field(&RunInfo::gpu_name)},
    {"gpu_uuid", "", "Device UUID (GPU-...), empty when predicted.", run_field(&RunInfo::gpu_uuid)},
    {"cc", "", "Compute capability, major.minor (8.6 for an A40).", run_field(&RunInfo::cc)},
    {"sm_count", "", "Streaming multiprocessors of the device.", run_field(&RunInfo::sm_count)},
    {"driver_version", "", "NVIDIA driver version string (NVML), e.g. 580.159.04.",
     run_field(&RunInfo::driver_version)},
    {"cuda_runtime_version", "", "CUDA runtime version bench_llama runs with, e.g. 13.0.",
     run_field(&RunInfo::cuda_runtime_version)},
    {"cuda_driver_version", "", "Highest CUDA version the driver supports, e.g. 13.0.",
     run_field(&RunInfo::cuda_driver_version)},
    {"cublas_version", "", "cuBLAS version, e.g. 13.0.0.", run_field(&RunInfo::cublas_version)},
    {"git_commit", "", "bench_llama's commit (12 hex digits, -dirty if the tree had changes).",
     run_field(&RunInfo::git_commit)},
    {"build_archs", "", "CUDA architectures bench_llama was built for, comma-separated.",
     run_field(&RunInfo::build_archs)},
    {"l2_mode", "", "cold: L2 flushed before every timed launch; warm: back-to-back launches.",
     run_field(&RunInfo::l2_mode)},
    // shape
    {"model", "", "Model the shapes come from (llama-33b, or a config.json's name).", field(&PointRow::model)},
    {"series", "", "Legend group: qkv mlp, up/gate/down, qk/pv, or ceiling for a measured roof.",
     field(&PointRow::series)},
    {"op", "",
     "Operator: q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj, qk, pv; for ceilings the "
     "roof kernel's name.",
     field(&PointRow::op)},
    {"phase", "",
     "init (prefill), ar (decode, one new token per sequence) or medusa (a decoding step verifying q candidate "
     "tokens per sequence at once; q is in candidates); empty for ceilings.",
     field(&PointRow::phase)},
    {"impl", "", "hand (the project's kernel picked for the shape), cublas, or a named variant.",
     field(&PointRow::impl)},
    {"dtype", "", "Element type of inputs and outputs (fp16 or bf16); accumulation is fp32.", field(&PointRow::dtype)},
    {"batch", "sequences", "Batch size b.", field(&PointRow::batch)},
    {"seq_len", "tokens", "Prefill length (init) or KV-cache context length (ar, medusa).", field(&PointRow::seq_len)},
    {"m", "", "GEMM rows of the output (b*s, b or b*q for linears; s, 1 or q per head for attention).",
     field(&PointRow::m)},
    {"n", "", "GEMM columns of the output.", field(&PointRow::n)},
    {"k", "", "GEMM reduction length.", field(&PointRow::k)},
    {"batch_count", "", "Matrix products per launch (b*heads for attention, 1 for linears).",
     field(&PointRow::batch_count)},
    // cost
    {"flops", "FLOP", "Floating-point operations: 2*M*N*K*batch_count (softmax not counted).", field(&PointRow::flops)},
    {"bytes_min", "byte", "Minimum DRAM traffic: every input read once, every output written once.",
     field(&PointRow::bytes_min)},
    {"intensity", "FLOP/byte", "Analytic operational intensity, flops / bytes_min.", field(&PointRow::intensity)},
    // measurement
    {"time_us_median", "us",
     "Median time per kernel over the samples (CUDA events). A sample is one launch between two events, or "
     "launches_per_sample launches back to back divided by their number: for a point under 20 us in cold mode (one "
     "flush, then each launch on its own copy of the operands), for every point in warm mode (one CUDA graph).",
     field(&PointRow::time_us_median)},
    {"time_us_min", "us", "Fastest sample.", field(&PointRow::time_us_min)},
    {"time_cv", "", "Coefficient of variation of the samples (stddev / mean).", field(&PointRow::time_cv)},
    {"repetitions", "", "Timed samples behind the median (as many as the stopping rule needed; samples_stop).",
     field(&PointRow::repetitions)},
    {"sm_clock_mhz", "MHz",
     "Mean SM clock over the timed samples: from the clock probe (cycle counter against the global timer on each "
     "SM) or, without it, the mean of NVML readings before and after (sm_clock_source).",
     field(&PointRow::sm_clock_mhz)},
    {"throttled", "",
     "true if NVML reported a clock event reason other than idle at the instants before or after the timed samples "
     "(on an H100 the power cap is set for nearly every compute-bound point; clock_low says whether it mattered).",
     field(&PointRow::throttled)},
    {"dram_bytes_measured", "byte", "DRAM bytes read plus written, from hardware counters (--counters).",
     field(&PointRow::dram_bytes_measured)},
    {"l2_bytes_measured", "byte", "L2 bytes read plus written, from hardware counters (--counters).",
     field(&PointRow::l2_bytes_measured)},
    {"intensity_measured", "FLOP/byte", "flops / dram_bytes_measured.", field(&PointRow::intensity_measured)},
    // roofs
    {"peak_tflops_datasheet", "TFLOP/s", "Datasheet dense tensor peak for dtype (the spec column names the entry).",
     field(&PointRow::peak_tflops_datasheet)},
    {"peak_gbps_datasheet", "GB/s", "Datasheet DRAM bandwidth (1 GB = 1e9 bytes).",
     field(&PointRow::peak_gbps_datasheet)},
    {"peak_tflops_measured", "TFLOP/s",
     "Measured tensor peak of this run for dtype (series ceiling), interpolated in time (measured_at_s) between the "
     "ceilings measured before the points and after them; the start ceilings' alone if the end ones did not run.",
     field(&PointRow::peak_tflops_measured)},
    {"peak_gbps_measured", "GB/s",
     "Measured DRAM bandwidth of this run (series ceiling), interpolated in time like peak_tflops_measured.",
     field(&PointRow::peak_gbps_measured)},
    // result
    {"achieved_tflops", "TFLOP/s", "flops / time_us_median (the predicted value for predicted rows).",
     field(&PointRow::achieved_tflops)},
    {"achieved_gbps", "GB/s", "bytes_min / time_us_median.", field(&PointRow::achieved_gbps)},
    {"attainable_tflops", "TFLOP/s",
     "Roofline limit at intensity: min(peak, intensity * bandwidth), from the roof "
     "named by roof_source.",
     field(&PointRow::attainable_tflops)},
    {"roof_fraction", "", "achieved_tflops / attainable_tflops.", field(&PointRow::roof_fraction)},
    {"bound", "", "memory if intensity is left of the ridge point, else compute.", field(&PointRow::bound)},
    // validity
    {"status", "",
     "ok, invalid (failed validation), skipped (cannot run here; see reason), error (a CUDA/cuBLAS "
     "failure; see reason) or predicted (no measurement: the roofline's attainable value).",
     field(&PointRow::status)},
    {"rel_error", "", "Relative error ||out - ref|| / ||ref|| against cuBLAS (hand kernels only).",
     field(&PointRow::rel_error)},
    {"reason", "",
     "Why a row is not ok, or a note on a predicted row or on how an ok row was measured (e.g. a warm batch that "
     "could not be a CUDA graph).",
     field(&PointRow::reason)},
    // extensions of version 1
    {"buffer_bytes", "byte", "Device memory the point's operand buffers take.", field(&PointRow::buffer_bytes)},
    {"roof_source", "", "measured or datasheet: the roof behind attainable_tflops and roof_fraction.",
     field(&PointRow::roof_source)},
    {"spec", "", "Datasheet entry of the roofs (bench_llama --spec list).", run_field(&RunInfo::spec)},
    {"variant", "",
     "The hand-written kernel variant that ran (impl hand picks one per shape); empty for cuBLAS. On predicted rows, "
     "the variant hand would take on that GPU (the kernel model's choice).",
     field(&PointRow::variant)},
    {"mem_clock_mhz", "MHz", "Mean memory clock while the point was measured (NVML).", field(&PointRow::mem_clock_mhz)},
    {"temperature_c", "degC", "Highest GPU temperature read while the point was measured (NVML).",
     field(&PointRow::temperature_c)},
    {"power_w", "W", "Highest board power read at the instants before and after the timed samples (NVML).",
     field(&PointRow::power_w)},
    {"throttle_reasons", "",
     "NVML clock event reasons seen while measuring, '|'-separated (gpu_idle is not throttling).",
     field(&PointRow::throttle_reasons)},
    {"time_us_counted", "us", "The kernel's duration in the counter pass (gpu__time_duration; --counters).",
     field(&PointRow::time_us_counted)},
    // extensions of version 2
    {"candidates", "tokens",
     "Candidate tokens q verified per sequence in one decoding step: q for medusa, 1 for ar, empty for init and "
     "ceilings (version 2).",
     field(&PointRow::candidates)},
    // extensions of version 3
    {"time_us_single", "us",
     "Median time of one launch alone between two events (after the flush in cold mode); beside time_us_median "
     "when that is batched, equal to it otherwise.",
     field(&PointRow::time_us_single)},
    {"launches_per_sample", "",
     "Kernels behind one sample of time_us_median: 1, or a batch (cold: points under 20 us; warm: every point).",
     field(&PointRow::launches_per_sample)},
    {"median_ci_rel", "",
     "Half-width of the distribution-free 95 % confidence interval of time_us_median, over the median.",
     field(&PointRow::median_ci_rel)},
    {"samples_stop", "",
     "Why sampling stopped: converged (median_ci_rel within 0.5 %), time_cap, sample_cap, or fixed "
     "(--repetitions).",
     field(&PointRow::samples_stop)},
    {"sm_clock_source", "", "probe or nvml: where sm_clock_mhz comes from.", field(&PointRow::sm_clock_source)},
    {"sm_clock_max_mhz", "MHz", "The device's maximum SM clock (NVML).", field(&PointRow::sm_clock_max_mhz)},
    {"clock_low", "", "true if sm_clock_mhz is below 75 % of sm_clock_max_mhz: a point measured at slow clocks.",
     field(&PointRow::clock_low)},
    {"power_w_mean", "W",
     "Mean board power over the samples behind time_us_median (NVML energy counter); empty for intervals under "
     "0.1 s, which the counter's update period would make mostly quantization.",
     field(&PointRow::power_w_mean)},
    {"power_capped_fraction", "",
     "Fraction of the time the clocks were held down by the power cap (NVML violation counter, over the driver's "
     "timestamps of it) around those samples; empty for intervals under 0.1 s.",
     field(&PointRow::power_capped_fraction)},
    {"thermal_capped_fraction", "", "The same for thermal limits.", field(&PointRow::thermal_capped_fraction)},
    {"measured_at_s", "s", "Seconds from the start of the sweep to the point's (or ceiling's) last timed sample.",
     field(&PointRow::measured_at_s)},
    {"ceiling_pass", "",
     "start or end for ceiling rows: the ceilings are measured before the points and again after them.",
     field(&PointRow::ceiling_pass)},
    // extensions of version 4
    {"device_kind", "",
     "gpu: measured on a GPU. emulated: run by bench_llama_emulated on the CPU emulator, a test of the measured path "
     "whose times are made up (never a measurement; the scripts refuse such rows unless asked). Empty for "
     "predicted rows.",
     run_field(&RunInfo::device_kind)},
    // extensions of version 5
    {"time_us_predicted", "us",
     "Predicted rows: the kernel model's time for the variant hand would take on this GPU (named in variant): launch "
     "cost plus the larger of its tensor time (tiles padded, over the wave efficiency) and its DRAM time "
     "(docs/kernel_model.md). Empty where the model has no prediction (reason says why). Beside the roofline's bound, "
     "never instead of it.",
     field(&PointRow::time_us_predicted)},
    {"achieved_tflops_predicted", "TFLOP/s", "flops / time_us_predicted: the predicted achieved point's height.",
     field(&PointRow::achieved_tflops_predicted)},
    {"dram_bytes_predicted", "bytes",
     "The kernel model's estimate of the DRAM bytes the variant moves (its footprint, or per wave of tiles when its "
     "operands do not fit in L2).",
     field(&PointRow::dram_bytes_predicted)},
    {"l2_bytes_predicted", "bytes",
     "The kernel model's global load and store requests in 32-byte sectors, request by request (what reaches L2).",
     field(&PointRow::l2_bytes_predicted)},
    {"wave_efficiency", "",
     "Blocks of the variant's main launch over the resident slots of the waves it needs (1: the last wave is full).",
     field(&PointRow::wave_efficiency)},
    {"bound_predicted", "", "The largest term of time_us_predicted: launch, compute or dram.",
     field(&PointRow::bound_predicted)},
};

}  // namespace

const std::vector<Column>& csv_columns() { return kColumns; }

std::vector<std::string> csv_header() {
  std::vector<std::string> header;
  for (const auto& column : kColumns) header.emplace_back(column.name);
  return header;
}

std::vector<std::string> csv_cells(const PointRow& row) {
  std::vector<std::string> cells;
  cells.reserve(kColumns.size());
  for (const auto& column : kColumns) cells.push_back(column.cell(row));
  return cells;
}

std::string csv_columns_markdown() {
  std::string out = "| column | unit | meaning |\n|---|---|---|\n";
  for (const auto& column : kColumns) {
    out += std::string("| `") + column.name + "` | " + column.unit + " | " + column.meaning + " |\n";
  }
  return out;
}

}  // namespace roofline
