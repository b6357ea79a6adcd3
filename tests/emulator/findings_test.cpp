// Each finding the emulator reports, on a small kernel written to have it: the launch fails, the finding is the
// expected kind, and its message names the kernel, the block, the thread or lane and the source line. The clean
// kernels report nothing, and the schedules really vary with the seed.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <string>

#include "emulator/emulator.hpp"
#include "finding_kernels.hpp"

namespace {

using cuda_emu::Finding;

class Findings : public testing::Test {
 protected:
  void SetUp() override {
    cuda_emu::reset();
    cuda_emu::options().print_limit = 0;  // the tests read them
  }
  void TearDown() override { cuda_emu::reset(); }

  // The findings of the last launch, which must all be of `kind`, the first naming `kernel` and finding_kernels.cu.
  void expect_only(Finding kind, const std::string& kernel) {
    const auto found = cuda_emu::take_diagnostics();
    ASSERT_FALSE(found.empty()) << "no finding; expected " << cuda_emu::finding_name(kind);
    for (const auto& d : found) {
      EXPECT_EQ(d.finding, kind) << d.message;
    }
    const std::string& first = found.front().message;
    EXPECT_NE(first.find(kernel), std::string::npos) << first;
    EXPECT_NE(first.find("finding_kernels.cu"), std::string::npos) << first;
    EXPECT_NE(first.find("block (0,0,0)"), std::string::npos) << first;
  }
  void expect_none() {
    for (const auto& d : cuda_emu::take_diagnostics()) ADD_FAILURE() << d.message;
  }
};

// A test that needs plain loads and stores checked skips (it must return from the test itself) in a build without.
#define NEED_PLAIN_ACCESSES()                                                                                   \
  if (!findings::plain_accesses_checked())                                                                      \
  GTEST_SKIP() << "this build checks only the emulated instructions' shared-memory accesses (AddressSanitizer " \
                  "cannot be combined with the hooks that show plain loads and stores); the emu preset runs it"

TEST_F(Findings, ACleanPipelineHasNone) {
  EXPECT_EQ(findings::clean_pipeline(), cudaSuccess);
  expect_none();
}

TEST_F(Findings, AReadOfAnotherThreadsWriteWithoutABarrierIsARace) {
  NEED_PLAIN_ACCESSES();
  EXPECT_EQ(findings::write_read_race(), cudaErrorLaunchFailure);
  expect_only(Finding::kRace, "write_read_race_kernel");
}

TEST_F(Findings, AWriteOverAnotherThreadsReadWithoutABarrierIsARace) {
  NEED_PLAIN_ACCESSES();
  EXPECT_EQ(findings::read_write_race(), cudaErrorLaunchFailure);
  expect_only(Finding::kRace, "read_write_race_kernel");
}

TEST_F(Findings, LanesOfOneWarpAreOrderedBySyncwarpOnly) {
  NEED_PLAIN_ACCESSES();
  EXPECT_EQ(findings::warp_race(true), cudaSuccess);
  expect_none();
  EXPECT_EQ(findings::warp_race(false), cudaErrorLaunchFailure);
  expect_only(Finding::kRace, "warp_race_kernel");
}

TEST_F(Findings, ASyncwarpTheWriterTakesNoPartInOrdersNothing) {
  NEED_PLAIN_ACCESSES();
  EXPECT_EQ(findings::syncwarp_without_writer(), cudaErrorLaunchFailure);
  expect_only(Finding::kRace, "syncwarp_without_writer_kernel");
}

TEST_F(Findings, AShuffleFromALaneOutsideItsMaskIsReported) {
  EXPECT_EQ(findings::shuffle_outside_mask(), cudaErrorLaunchFailure);
  expect_only(Finding::kWarpCollective, "shuffle_outside_mask_kernel");
}

TEST_F(Findings, AnMmaInAPartialWarpIsReportedNotRun) {
  EXPECT_EQ(findings::mma_in_partial_warp(), cudaErrorLaunchFailure);
  expect_only(Finding::kWarpCollective, "mma_in_partial_warp_kernel");
}

TEST_F(Findings, AReadOfSharedMemoryNeverWrittenIsReported) {
  NEED_PLAIN_ACCESSES();
  EXPECT_EQ(findings::unwritten_read(), cudaErrorLaunchFailure);
  expect_only(Finding::kUnwrittenRead, "unwritten_read_kernel");
}

TEST_F(Findings, AReadBeforeTheCopysWaitIsReported) {
  NEED_PLAIN_ACCESSES();
  EXPECT_EQ(findings::read_before_wait(), cudaErrorLaunchFailure);
  expect_only(Finding::kPendingAccess, "read_before_wait_kernel");
}

// cp.async.wait_group N leaves the N most recent groups pending: with two groups, wait_group 1 delivers the older.
TEST_F(Findings, WaitGroupLeavesTheNewestGroupsPending) {
  NEED_PLAIN_ACCESSES();
  EXPECT_EQ(findings::wait_keeps_newest(0), cudaSuccess);
  expect_none();
  EXPECT_EQ(findings::wait_keeps_newest(1), cudaErrorLaunchFailure);
  const auto found = cuda_emu::take_diagnostics();
  ASSERT_EQ(found.size(), 1u);  // only the newer group's read
  EXPECT_EQ(found[0].finding, Finding::kPendingAccess) << found[0].message;
}

TEST_F(Findings, ACopyNeverCommittedIsNotWaitedFor) {
  NEED_PLAIN_ACCESSES();
  EXPECT_EQ(findings::uncommitted_copy(), cudaErrorLaunchFailure);
  expect_only(Finding::kPendingAccess, "uncommitted_copy_kernel");
}

// Ended threads count as arrived on sm_70 and newer, so the barrier completes; the emulator reports it, since the
// barrier orders nothing for them.
TEST_F(Findings, ABarrierSomeThreadsHaveLeftIsReportedAndCompletes) {
  EXPECT_EQ(findings::barrier_after_exit(), cudaErrorLaunchFailure);
  expect_only(Finding::kBarrier, "barrier_after_exit_kernel");
}

TEST_F(Findings, ThreadsWaitingAtDifferentBarriersAreReported) {
  EXPECT_EQ(findings::barriers_at_two_sites(), cudaErrorLaunchFailure);
  expect_only(Finding::kBarrier, "barriers_at_two_sites_kernel");
}

TEST_F(Findings, AShuffleALaneSkipsForABarrierIsADeadlockThatSaysWhereEveryThreadWaits) {
  for (std::uint64_t seed : {1, 2, 3}) {
    SetUp();  // a deadlock ends the context, as on a GPU: each seed starts on a fresh one
    cuda_emu::options().seed = seed;
    EXPECT_EQ(findings::divergent_shuffle(), cudaErrorLaunchTimeout);
    const auto found = cuda_emu::take_diagnostics();
    ASSERT_EQ(found.size(), 1u);
    EXPECT_EQ(found[0].finding, Finding::kDeadlock) << found[0].message;
    for (const char* part :
         {"threads 0-30: shfl.sync at", "threads 31: __syncthreads at", "waits for lanes 31", "finding_kernels.cu"}) {
      EXPECT_NE(found[0].message.find(part), std::string::npos) << part << " in " << found[0].message;
    }
  }
}

// Legal on sm_70 and newer (only the ended lane's value is undefined), but a collective some lanes skip: reported,
// and the others go on.
TEST_F(Findings, ACollectiveNamingAnEndedLaneIsReportedAndCompletes) {
  EXPECT_EQ(findings::collective_with_ended_lane(), cudaErrorLaunchFailure);
  const auto found = cuda_emu::take_diagnostics();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].finding, Finding::kWarpCollective) << found[0].message;
  EXPECT_NE(found[0].message.find("lanes that have ended (31)"), std::string::npos) << found[0].message;
}

TEST_F(Findings, AnLdmatrixPastSharedMemoryIsAnIllegalAddress) {
  EXPECT_EQ(findings::ldmatrix_out_of_bounds(), cudaErrorIllegalAddress);
  expect_only(Finding::kSharedBounds, "ldmatrix_out_of_bounds_kernel");
}

TEST_F(Findings, ACopyFromPastAnAllocationIsAnIllegalAddress) {
  EXPECT_EQ(findings::copy_out_of_bounds(), cudaErrorIllegalAddress);
  expect_only(Finding::kGlobalBounds, "copy_out_of_bounds_kernel");
}

TEST_F(Findings, AStoreThroughANullPointerIsAnIllegalAddressAndTheProcessLives) {
  NEED_PLAIN_ACCESSES();
  int first = -1;
  EXPECT_EQ(findings::null_store(&first), cudaErrorIllegalAddress);
  expect_only(Finding::kGlobalBounds, "null_store_kernel");
  EXPECT_EQ(first, 0) << "the launch went on past the fault";
  // As on a GPU, the fault ends the context: every later launch fails with it, until the emulator is reset.
  EXPECT_EQ(findings::clean_pipeline(), cudaErrorIllegalAddress);
  cuda_emu::reset();
  EXPECT_EQ(findings::clean_pipeline(), cudaSuccess);
  expect_none();
}

TEST_F(Findings, ATrapEndsTheLaunch) {
  EXPECT_EQ(findings::trap(), cudaErrorLaunchFailure);
  expect_only(Finding::kTrap, "trap_kernel");
}

TEST_F(Findings, AKernelThatNeverEndsStopsAtTheStepLimit) {
  cuda_emu::options().step_limit = 10'000;
  EXPECT_EQ(findings::spin_forever(), cudaErrorLaunchTimeout);
  const auto found = cuda_emu::take_diagnostics();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].finding, Finding::kLimit) << found[0].message;
}

TEST_F(Findings, DynamicSharedMemoryAboveTheDefaultNeedsTheOptIn) {
  EXPECT_EQ(findings::too_much_shared_memory(false), cudaErrorInvalidConfiguration);
  const auto found = cuda_emu::take_diagnostics();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].finding, Finding::kLaunch);
  EXPECT_NE(found[0].message.find("MaxDynamicSharedMemorySize"), std::string::npos) << found[0].message;
  EXPECT_EQ(findings::too_much_shared_memory(true), cudaSuccess);
  expect_none();
}

TEST_F(Findings, ClustersAreNotEmulatedAndSaySo) {
  EXPECT_EQ(findings::cluster_launch(), cudaErrorInvalidConfiguration);
  const auto found = cuda_emu::take_diagnostics();
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found[0].finding, Finding::kUnimplemented) << found[0].message;
}

bool is_permutation_of_iota(std::vector<int> v) {
  std::sort(v.begin(), v.end());
  std::vector<int> iota(v.size());
  std::iota(iota.begin(), iota.end(), 0);
  return v == iota;
}

TEST_F(Findings, BlocksRunInAnOrderDrawnFromTheSeed) {
  std::vector<std::vector<int>> orders;
  for (std::uint64_t seed : {1, 2, 3}) {
    cuda_emu::options().seed = seed;
    cuda_emu::reset_launch_count();
    orders.push_back(findings::block_order(64));
    EXPECT_TRUE(is_permutation_of_iota(orders.back()));
  }
  EXPECT_NE(orders[0], orders[1]);
  EXPECT_NE(orders[1], orders[2]);
  cuda_emu::options().seed = 1;
  cuda_emu::reset_launch_count();
  EXPECT_EQ(findings::block_order(64), orders[0]) << "the same seed gives the same order";
  cuda_emu::options().shuffle_blocks = false;
  std::vector<int> in_order(64);
  std::iota(in_order.begin(), in_order.end(), 0);
  EXPECT_EQ(findings::block_order(64), in_order);
}

TEST_F(Findings, ThreadsOfAnEpochRunInAnOrderDrawnFromTheSeed) {
  const std::vector<int> first = findings::thread_order(128);
  const std::vector<int> second = findings::thread_order(128);  // the next launch: another draw
  EXPECT_TRUE(is_permutation_of_iota(first));
  EXPECT_NE(first, second);
  expect_none();
}

}  // namespace
