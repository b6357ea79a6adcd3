// The text of --help: bench_llama's flags, then the Google Benchmark flags it passes through.
#include "bench/app/cli.hpp"
#include "bench/app/device_kind.hpp"

namespace bench {

std::string help_text() {
  const std::string emulated =
      kEmulatedDevice
          ? "This is bench_llama_emulated: the measured path on the CPU emulator, a test of the harness. Its "
            "times are made\nup, never measurements; its folders go to emulated/<device>/<date>_<commit>/, "
            "never under results/.\n\n"
          : "";
  return emulated + R"(bench_llama: measured roofline points for the operators of an LLM layer

Usage:
  bench_llama [--gpu N|all] [options] [--benchmark_* ...]   measure on a GPU (cuBLAS and hand-written kernels)
  bench_llama --predict --spec NAME [options]               the roofline's prediction, no GPU needed
  bench_llama --list [options]                              print the planned points and exit

What to measure:
  --gpu N|all        CUDA device index, or every device in turn (one result folder each). Default 0.
  --model NAME|PATH  llama-7b, llama-13b, llama-33b (default), llama-65b, or a Hugging Face config.json
                     (hidden_size, num_attention_heads, intermediate_size; num_key_value_heads, head_dim optional).
  --phase LIST       init (prefill), ar (decode, one token per sequence), medusa (decode verifying --candidates
                     tokens per sequence at once, as Medusa does), or all; default init,ar.
  --ops LIST         q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj,qk,pv (default all).
  --impl LIST        hand (the project's kernel picked per shape), cublas, or a kernel variant by name
                     (--list-variants names them all, with the rank hand prefers them by);
                     default hand,cublas.
  --allow-variants LIST|none
                     only these hand-written variants may run: hand picks the one of lowest rank (--list-variants)
                     that supports and suits each shape, a point none of them takes is a skipped
                     row saying so, and --impl may name only these; none: no hand-written kernel runs. env.json
                     records the list. Default: every variant. (The GPU runbook passes the variants whose GPU test
                     passed.)
  --batch LIST       batch sizes b; default 1,2,4,8,16,32,64.
  --seq LIST         sequence lengths s (prefill length, or decode context); default 128,256,...,8192.
  --candidates LIST  candidate tokens q per sequence of the medusa phase (needs medusa in --phase);
                     default 16,32,48,64,80,96,112 (the Medusa paper's range). q = 1 is the ar step.
  --dtype LIST       fp16 (default), bf16; accumulation is always fp32.
  --quick            a small sweep (b 1,16; s 512,4096; q 16,64); --batch, --seq and --candidates override it.

How to measure:
  --l2 cold|warm     cold (default): flush L2 before every timed launch; warm: back-to-back launches.
  --counters         after timing each point, a CUPTI counter pass: measured DRAM and L2 bytes
                     (needs profiling permission; without it the columns stay empty and the run goes on).
  --repetitions N    exactly N timed samples per point and batch (default: until the median's 95 % interval is
                     within 0.5 %: at least 10 samples, at most 0.2 s of sampling for the reported time; see
                     docs/measuring.md).
  --no-gate          do not hold the stream while a sample is queued (samples then include the host's launch
                     latency); the gate turns itself off under a CUDA tool (profiler, sanitizer).
  --spec NAME        datasheet entry for the roofs (default: the one matching the device; `--spec list` shows all).

Output:
  --out DIR          result folder (default results/<gpu>/<date>_<commit>/, or predicted/<spec>/<date>_<commit>/
                     with --predict). It must not exist yet, or be empty.
  --no-plot          do not draw roofline.png (drawing needs python3 with matplotlib; see README).
  --list             print the planned points (operator, setting, shape, cost) and exit.
  --list-variants    print the hand-written variants (name, lowest and highest sm, allowed or not, rank), in the
                     order hand prefers them, and exit; no GPU needed.
  --predict          write the roofline's predicted points (status predicted) for --spec; no GPU needed.
  --schema           print the CSV's columns (name, unit, meaning) as Markdown and exit.
  --log-level LEVEL  trace, debug, info (default), warn, error, off.  --quiet is --log-level warn.
  -h, --help         this text.

Google Benchmark flags (passed through; bench_llama sets repetitions, warm-up, time unit and manual timing itself):
  --benchmark_filter=REGEX            run only benchmarks whose name matches, e.g. 'q_proj/init' (the ceilings
                                      always run)
  --benchmark_repetitions=N           same as --repetitions
  --benchmark_out=FILE, --benchmark_out_format=json|console
                                      Google Benchmark's own report (bench_llama writes gbench.json anyway)
  --benchmark_context=KEY=VALUE,...   extra context in the JSON
  Its other flags are refused, each with what to do instead.

Exit codes: 0 done; 2 bad usage or input (the message names the fix); 3 no usable GPU or a device failure;
1 an internal error. An interrupted run keeps every finished row.
)";
}

}  // namespace bench
