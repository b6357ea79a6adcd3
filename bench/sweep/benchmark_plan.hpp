// Which Google Benchmark benchmarks a sweep registers, and their names: one per (distinct problem, implementation).
// Pure (no CUDA), so that the CPU tests can show for any sweep that names are unique and that every planned point
// belongs to exactly one benchmark per implementation.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "roofline/plan.hpp"

namespace bench {

struct BenchmarkEntry {
  std::string name;                 // unique within the sweep
  std::string impl;                 // cublas, hand, or a variant's name
  std::size_t measurement = 0;      // index into Plan::measurements
  std::vector<std::size_t> points;  // the plan's points this benchmark's measurement stands for
};

// The name of measurement `mi` of the plan (without the implementation): what it stands for, compactly, so that
// --benchmark_filter finds it, and its GEMM shape, which tells apart measurements that stand for the same operators
// and settings (prefill linears with the same b*s but other b), e.g.
//   q_proj+k_proj+v_proj+o_proj/init/b2/s256/512x6656x6656/fp16
//   gate_proj+up_proj/ar/b4/s*/4x17920x6656/fp16          (s*: every context length of the sweep)
//   qk/init/b2/s256/256x256x128x104/fp16                   (x104: matrix products per launch)
//   qk/medusa/b1/s2048/q64/64x2048x128x52/fp16             (q: Medusa candidates per sequence; q* for several)
std::string measurement_name(const roofline::Plan& plan, std::size_t mi, const std::vector<std::size_t>& points);

// Every benchmark of the plan, measurement by measurement, implementation by implementation, names made unique:
// should two measurements still read alike, each gets its index appended ("~17"). Filtering, variant choice and
// memory checks are the caller's.
std::vector<BenchmarkEntry> benchmark_entries(const roofline::Plan& plan, const std::vector<std::string>& impls);

}  // namespace bench
