// The emulator's traffic counts on kernels whose traffic is known by hand: sectors per global request for coalesced
// and strided lanes, shared wavefronts for conflict-free, conflicting, padded and broadcast words, and the traffic of
// cp.async and ldmatrix at both kinds of row layout. Requests are per warp and per execution, summed over blocks.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "emulator/emulator.hpp"
#include "traffic_kernels.hpp"

namespace {

using cuda_emu::TrafficCount;

class Traffic : public testing::Test {
 protected:
  void SetUp() override {
    cuda_emu::reset();
    cuda_emu::options().print_limit = 0;
  }
  void TearDown() override {
    for (const auto& d : cuda_emu::take_diagnostics()) ADD_FAILURE() << d.message;
    cuda_emu::reset();
  }
};

#define NEED_PLAIN_ACCESSES()                                                                              \
  if (!traffic::plain_accesses_counted())                                                                  \
  GTEST_SKIP() << "this build counts only the emulated instructions' traffic (AddressSanitizer cannot be " \
                  "combined with the hooks that show plain loads and stores); the emu preset runs it"

// The one count of `instruction` in `memory` (global or shared) that reads or writes, as asked.
TrafficCount only(const std::vector<TrafficCount>& counts, const std::string& instruction, bool shared, bool write) {
  std::vector<TrafficCount> found;
  for (const TrafficCount& c : counts) {
    if (c.instruction == instruction && c.shared == shared && c.write == write) found.push_back(c);
  }
  EXPECT_EQ(found.size(), 1u) << instruction << (shared ? " shared" : " global") << (write ? " write" : " read");
  return found.empty() ? TrafficCount{} : found.front();
}

TEST_F(Traffic, CoalescedLanesNeedFourSectorsARequestStridedOnesThirtyTwo) {
  NEED_PLAIN_ACCESSES();
  // 2 blocks of 2 warps: 4 requests per site, each of 32 lanes of 4 bytes.
  const auto coalesced = traffic::copy_floats(1, 2, 64);
  const TrafficCount load = only(coalesced, "load", false, false), store = only(coalesced, "store", false, true);
  EXPECT_EQ(load.requests, 4u);
  EXPECT_EQ(load.lane_accesses, 128u);
  EXPECT_EQ(load.bytes, 512u);
  EXPECT_EQ(load.sectors, 16u);
  EXPECT_EQ(store.requests, 4u);
  EXPECT_EQ(store.sectors, 16u);
  EXPECT_NE(load.kernel.find("copy_kernel"), std::string::npos) << load.kernel;
  EXPECT_NE(load.where.find("traffic_kernels.cu"), std::string::npos) << load.where;

  const auto strided = traffic::copy_floats(8, 2, 64);  // 32 bytes apart: every lane its own sector
  EXPECT_EQ(only(strided, "load", false, false).sectors, 128u);
  EXPECT_EQ(only(strided, "store", false, true).sectors, 16u);
  const auto pairs = traffic::copy_floats(2, 1, 32);  // 8 bytes apart: 256 bytes, 8 sectors
  EXPECT_EQ(only(pairs, "load", false, false).sectors, 8u);
}

TEST_F(Traffic, TheFootprintCountsEachSectorOnceHoweverOftenItIsRequested) {
  NEED_PLAIN_ACCESSES();
  const auto same = traffic::copy_floats(0, 2, 64);  // every lane of every warp reads in[0]
  EXPECT_EQ(only(same, "load", false, false).requests, 4u);
  EXPECT_EQ(only(same, "load", false, false).sectors, 4u);  // one sector a request
  auto footprint = cuda_emu::take_footprints();
  ASSERT_EQ(footprint.size(), 1u);
  EXPECT_EQ(footprint[0].sectors_read, 1u);  // and one in all
  EXPECT_EQ(footprint[0].sectors_written, 16u);
  traffic::copy_floats(8, 2, 64);
  footprint = cuda_emu::take_footprints();
  ASSERT_EQ(footprint.size(), 1u);
  EXPECT_EQ(footprint[0].sectors_read, 128u);
  EXPECT_NE(footprint[0].kernel.find("copy_kernel"), std::string::npos);
}

TEST_F(Traffic, SharedWordsInOneBankAreServedOneAPass) {
  NEED_PLAIN_ACCESSES();
  // Each kernel stores s[lane * stride], then loads s[lane * stride] and s[0] (a broadcast: one pass).
  for (const auto& [stride, passes] : std::vector<std::pair<int, std::uint64_t>>{{1, 1}, {2, 2}, {32, 32}, {33, 1}}) {
    const auto counts = traffic::shared_words(stride);
    EXPECT_EQ(only(counts, "store", true, true).wavefronts, passes) << "stride " << stride;
    std::uint64_t loads = 0, requests = 0;
    for (const TrafficCount& c : counts) {
      if (c.instruction == "load" && c.shared) {
        loads += c.wavefronts;
        requests += c.requests;
      }
    }
    EXPECT_EQ(requests, 2u) << "stride " << stride;
    EXPECT_EQ(loads, passes + 1) << "stride " << stride;
  }
}

TEST_F(Traffic, CpAsyncCountsItsGlobalReadAndItsSharedWrite) {
  // 32 lanes of 16 contiguous bytes: one request of 16 sectors; the shared side is served 8 lanes a pass.
  const auto dense = traffic::cp_async_rows(16);
  const TrafficCount read = only(dense, "cp.async", false, false), write = only(dense, "cp.async", true, true);
  EXPECT_EQ(read.requests, 1u);
  EXPECT_EQ(read.bytes, 512u);
  EXPECT_EQ(read.sectors, 16u);
  EXPECT_EQ(write.requests, 1u);
  EXPECT_EQ(write.wavefronts, 4u);
  EXPECT_NE(read.where.find("traffic_kernels.cu"), std::string::npos) << read.where;
  // Rows 128 bytes apart: the 8 lanes of a pass all land on banks 0-3.
  EXPECT_EQ(only(traffic::cp_async_rows(128), "cp.async", true, true).wavefronts, 32u);
  EXPECT_EQ(only(traffic::cp_async_rows(144), "cp.async", true, true).wavefronts, 4u);  // padded by 16 bytes
}

TEST_F(Traffic, AZeroSizeCopyTakesItsTurnAtTheSiteAndMovesNothing) {
  // Lanes 7-31 copy nothing from `a`; their copy of `b` is still the site's second request, as on a GPU, where each
  // call is its own instruction. Grouped by each lane's own count of real copies, lane 7's piece of `b` would join
  // the first request and its sector (shared with lane 6's piece) be counted twice: 21 sectors, not 20.
  const TrafficCount read = only(traffic::cp_async_shared_site(), "cp.async", false, false);
  EXPECT_EQ(read.requests, 2u);  // the third call, every lane off, reaches no memory
  EXPECT_EQ(read.bytes, 7u * 16 + 32 * 16);
  EXPECT_EQ(read.lane_accesses, 7u + 32);
  EXPECT_EQ(read.sectors, 4u + 16);
}

TEST_F(Traffic, LdmatrixIsFourPassesWhenEachMatrixCoversTheBanks) {
  const TrafficCount dense = only(traffic::ldmatrix_rows(16), "ldmatrix", true, false);
  EXPECT_EQ(dense.requests, 1u);
  EXPECT_EQ(dense.lane_accesses, 32u);
  EXPECT_EQ(dense.wavefronts, 4u);
  EXPECT_EQ(only(traffic::ldmatrix_rows(128), "ldmatrix", true, false).wavefronts, 32u);
  EXPECT_EQ(only(traffic::ldmatrix_rows(144), "ldmatrix", true, false).wavefronts, 4u);
}

TEST_F(Traffic, NothingIsCountedUnlessAsked) {
  cuda_emu::options().count_traffic = false;
  cuda_emu::take_traffic();
  EXPECT_TRUE(traffic::ldmatrix_rows(16).size() > 0);  // counted() turns counting on for its launch
  EXPECT_FALSE(cuda_emu::options().count_traffic);     // and restores what it found
  EXPECT_TRUE(cuda_emu::take_traffic().empty());
}

}  // namespace
