# Mutants of real kernels: each must be caught by the emulated tests, with the diagnostic expected of it (a test of
# the tests). Cases are emulated_cases.cpp's, in fp16.

# A barrier removed: the next stage's copies overwrite what other warps still read.
bench_llama_emu_mutant(NAME gemm_mma_barrier_removed FILE kernels/gemm_mma.cu
  FROM "    __syncthreads();\n    const int next = kt + Cfg::STAGES - 1;"
  TO "    const int next = kt + Cfg::STAGES - 1;"
  VARIANT gemm_mma_64x64 CASE 300x392x200 EXPECT race)

# A wait count off by one: ldmatrix reads a stage whose copies have not landed.
bench_llama_emu_mutant(NAME gemm_mma_wait_off_by_one FILE kernels/gemm_mma.cu
  FROM "    cp_async_wait<Cfg::STAGES - 2>();"
  TO "    cp_async_wait<Cfg::STAGES - 1>();"
  VARIANT gemm_mma_128x128 CASE 256x256x128 EXPECT pending-access)

# The same in the decode pipeline, whose lanes read their own copies with plain loads (seen through the hooks).
bench_llama_emu_mutant(NAME decode_pipeline_wait_off_by_one FILE kernels/decode_pipeline.cuh TU kernels/gemv_mma_pipe.cu
  FROM "      cp_async_wait<S - 1>();"
  TO "      cp_async_wait<S>();"
  VARIANT gemv_mma_pipe CASE "down_proj ar b16" EXPECT pending-access)

# The barrier before the accumulator stash removed: warps 4-7 write the stash over rings warps 0-3 still read.
bench_llama_emu_mutant(NAME decode_pipeline_stash_barrier_removed FILE kernels/decode_pipeline.cuh
  TU kernels/pv_decode_fused.cu
  FROM "    __syncthreads();  // every warp is done with its ring\n"
  TO ""
  VARIANT pv_decode_fused CASE "pv ar b1 s1000" EXPECT race|pending-access)

# A static shared array read before the barrier that orders its writes.
bench_llama_emu_mutant(NAME pv_decode_split_barrier_removed FILE kernels/pv_decode_split.cu
  FROM "  __syncthreads();\n  if (group != 0) return;"
  TO "  if (group != 0) return;"
  VARIANT pv_decode_split CASE "pv ar b3 s200" EXPECT race)

# Threads leave before the barrier the others wait at (the K-split reduction of gemv_mma).
bench_llama_emu_mutant(NAME gemv_mma_exit_before_barrier FILE kernels/gemv_mma.cu
  FROM "  __syncthreads();\n  if (wk != 0) return;"
  TO "  if (wk != 0) return;\n  __syncthreads();"
  VARIANT gemv_mma_splitk CASE "q_proj ar b1" EXPECT barrier)

# A divergent warp collective: half the lanes skip the MMA that needs all 32.
bench_llama_emu_mutant(NAME qk_decode_pipe_divergent_mma FILE kernels/qk_decode_pipe.cu
  FROM "          mma_16816<T>(acc, af, bf);"
  TO "          if (lane < 16) mma_16816<T>(acc, af, bf);"
  VARIANT qk_decode_pipe CASE "qk ar b2 s200" EXPECT deadlock|warp-collective)

# An out-of-bounds copy: rows of A past M are copied instead of zero-filled.
bench_llama_emu_mutant(NAME gemm_mma_copy_out_of_bounds FILE kernels/gemm_mma.cu
  FROM "valid ? a + 2 * (gm * p.a.ld + gk) : a, valid);"
  TO "a + 2 * (gm * p.a.ld + gk), true);"
  VARIANT gemm_mma_64x64 CASE 77x200x136 EXPECT global-bounds)

# A split counter off by one: the last contributor never knows it is last, so split tiles are never stored.
bench_llama_emu_mutant(NAME split_counter_off_by_one FILE kernels/split_counter.cuh TU kernels/gemv_mma_pipe.cu
  FROM "  const bool last = count + 1 >= static_cast<std::uint64_t>(contributors);"
  TO "  const bool last = count >= static_cast<std::uint64_t>(contributors);"
  VARIANT gemv_mma_pipe CASE "down_proj ar b16" EXPECT wrong-values)

# A reduction that reads one warp too far: past the static shared array.
bench_llama_emu_mutant(NAME gemv_mma_reads_past_its_partials FILE kernels/gemv_mma.cu
  FROM "sum[i] += partial[warp + w][(mt * S::NT + nt) * 4 + i][lane];"
  TO "sum[i] += partial[warp + w + 1][(mt * S::NT + nt) * 4 + i][lane];"
  VARIANT gemv_mma_splitk CASE "q_proj ar b1" EXPECT shared-bounds|unwritten-read)

# A wrong swizzle on the ldmatrix side only: fragments come from the wrong chunks.
bench_llama_emu_mutant(NAME gemm_mma_ldmatrix_wrong_chunk FILE kernels/gemm_mma.cu
  FROM "ldmatrix_x4(af[mt], sa + swizzle_k<4>(row, ks * 2 + (lane >> 4)));"
  TO "ldmatrix_x4(af[mt], sa + swizzle_k<4>(row, ks * 2 + 1 - (lane >> 4)));"
  VARIANT gemm_mma_64x64 CASE 128x128x64 EXPECT wrong-values)

# The control: the same driver on a kernel that is not mutated must report no defect (the mutants' passes mean
# something only if this fails).
add_executable(mutant_control mutant_driver.cpp)
target_link_libraries(mutant_control PRIVATE kernels_emulated_support)
add_test(NAME Mutant.control_unmutated_gemm_mma COMMAND mutant_control gemm_mma_64x64 300x392x200 race|wrong-values)
set_tests_properties(Mutant.control_unmutated_gemm_mma PROPERTIES LABELS emu WILL_FAIL TRUE)
