// Small kernels written to have (or, the clean ones, not to have) each finding the emulator reports
// (finding_kernels.cu, compiled for the emulator). Each function launches one and returns the launch's status; the
// findings are in cuda_emu::diagnostics().
#pragma once

#include <cuda_runtime_api.h>

#include <cstdint>
#include <vector>

namespace findings {

// Whether these kernels were compiled for the emulator's checks of plain loads and stores (ThreadSanitizer's hooks:
// not in the AddressSanitizer build, which sees only the emulated instructions' accesses).
bool plain_accesses_checked();

cudaError_t clean_pipeline();                // cp.async, wait, barrier, reads, barrier, writes: nothing to report
cudaError_t write_read_race();               // thread 1 reads what thread 0 wrote, no barrier between
cudaError_t read_write_race();               // thread 1 overwrites what thread 0 read, no barrier between
cudaError_t warp_race(bool syncwarp);        // lane 1 reads lane 0's write, with or without a __syncwarp between
cudaError_t syncwarp_without_writer();       // lane 20 writes; lanes 0-15 __syncwarp; lane 3 reads: not ordered
cudaError_t shuffle_outside_mask();          // lanes 0-15 read lane 16 + l with a mask of lanes 0-15
cudaError_t mma_in_partial_warp();           // a 48-thread block: its second warp has 16 lanes
cudaError_t unwritten_read();                // a read of shared memory nobody wrote
cudaError_t read_before_wait();              // a thread reads its own cp.async destination before the wait
cudaError_t wait_keeps_newest(int pending);  // two groups; wait_group `pending`; then read the older, then the newer
cudaError_t uncommitted_copy();              // cp.async never committed, wait_group 0, read
cudaError_t barrier_after_exit();            // half the block returns, the other half waits at __syncthreads
cudaError_t barriers_at_two_sites();         // the two halves of the block wait at different __syncthreads
cudaError_t divergent_shuffle();             // lanes 0-30 shuffle with the full mask; lane 31 waits at a barrier
cudaError_t collective_with_ended_lane();    // lane 31 returns; the others shuffle with the full mask
cudaError_t ldmatrix_out_of_bounds();        // a row address past the block's shared memory
cudaError_t copy_out_of_bounds();            // cp.async from past the end of an allocation
cudaError_t null_store(int* out_first);      // thread 3 stores through a null pointer; every thread then writes out
cudaError_t trap();
cudaError_t spin_forever();  // waits (with __nanosleep) for a flag nobody sets
cudaError_t too_much_shared_memory(bool opt_in);
cudaError_t cluster_launch();

// Runs a grid of `blocks` one-thread blocks (and a block of `threads` threads) that record the order they ran in.
std::vector<int> block_order(int blocks);
std::vector<int> thread_order(int threads);

}  // namespace findings
