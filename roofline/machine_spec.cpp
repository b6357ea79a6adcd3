#include "roofline/machine_spec.hpp"

#include <algorithm>
#include <cctype>

namespace roofline {
namespace {

// Dense numbers only: where a datasheet leads with "with sparsity", the dense figure is half of it. GeForce cards run
// fp16 with fp32 accumulation at half the rate of fp16 accumulation; the number here is the fp32-accumulate one.
const std::vector<MachineSpec> kSpecs = {
    {"a40",
     {"NVIDIA A40"},
     8,
     6,
     696,
     149.7,
     149.7,
     84,
     6,
     48,
     1024,
     "NVIDIA A40 datasheet (2020): 696 GB/s, FP16/BF16 tensor 149.7 TFLOPS dense; GA102 whitepaper: 6 MB L2"},
    {"a100-pcie-40gb",
     {"NVIDIA A100-PCIE-40GB"},
     8,
     0,
     1555,
     312,
     312,
     108,
     40,
     40,
     2048,
     "NVIDIA A100 datasheet (2021): 1,555 GB/s, FP16/BF16 tensor 312 TFLOPS dense; A100 whitepaper: 40 MB L2"},
    {"a100-pcie-80gb",
     {"NVIDIA A100 80GB PCIe"},
     8,
     0,
     1935,
     312,
     312,
     108,
     40,
     80,
     2048,
     "NVIDIA A100 datasheet (2021): 1,935 GB/s, FP16/BF16 tensor 312 TFLOPS dense; A100 whitepaper: 40 MB L2"},
    {"a100-sxm-40gb",
     {"NVIDIA A100-SXM4-40GB"},
     8,
     0,
     1555,
     312,
     312,
     108,
     40,
     40,
     2048,
     "NVIDIA A100 datasheet (2021): 1,555 GB/s, FP16/BF16 tensor 312 TFLOPS dense; A100 whitepaper: 40 MB L2"},
    {"a100-sxm-80gb",
     {"NVIDIA A100-SXM4-80GB"},
     8,
     0,
     2039,
     312,
     312,
     108,
     40,
     80,
     2048,
     "NVIDIA A100 datasheet (2021): 2,039 GB/s, FP16/BF16 tensor 312 TFLOPS dense; A100 whitepaper: 40 MB L2"},
    {"rtx-a6000",
     {"NVIDIA RTX A6000"},
     8,
     6,
     768,
     154.8,
     154.8,
     84,
     6,
     48,
     1024,
     "NVIDIA RTX A6000 datasheet (2021): 768 GB/s, tensor 309.7 TFLOPS with sparsity (154.8 dense); GA102 "
     "whitepaper: 6 MB L2"},
    {"l4",
     {"NVIDIA L4"},
     8,
     9,
     300,
     121,
     121,
     58,
     48,
     24,
     1024,
     "NVIDIA L4 datasheet (2023): 300 GB/s, FP16/BF16 tensor 242 TFLOPS with sparsity (121 dense), 48 MB L2"},
    {"l40s",
     {"NVIDIA L40S"},
     8,
     9,
     864,
     362.05,
     362.05,
     142,
     96,
     48,
     1024,
     "NVIDIA L40S datasheet (2023): 864 GB/s, FP16/BF16 tensor 733 TFLOPS with sparsity (362 dense); Ada "
     "whitepaper: 96 MB L2"},
    {"rtx-4090",
     {"NVIDIA GeForce RTX 4090"},
     8,
     9,
     1008,
     165.2,
     165.2,
     128,
     72,
     24,
     512,
     "NVIDIA Ada Lovelace whitepaper v2.1, appendix A: 1,008 GB/s, FP16/BF16 tensor with FP32 accumulate 165.2 "
     "TFLOPS dense, 72 MB L2"},
    {"h100-pcie",
     {"NVIDIA H100 PCIe"},
     9,
     0,
     2000,
     756,
     756,
     114,
     50,
     80,
     4096,
     "NVIDIA H100 datasheet (2023): PCIe 2.0 TB/s, FP16/BF16 tensor 1,513 TFLOPS with sparsity (756 dense); H100 "
     "whitepaper: 50 MB L2"},
    {"h100-sxm",
     {"NVIDIA H100 80GB HBM3", "NVIDIA H100 SXM5 80GB"},
     9,
     0,
     3350,
     989.4,
     989.4,
     132,
     50,
     80,
     4096,
     "NVIDIA H100 datasheet (2023): SXM 3.35 TB/s, FP16/BF16 tensor 1,979 TFLOPS with sparsity (989.4 dense); H100 "
     "whitepaper: 50 MB L2"},
    {"h200",
     {"NVIDIA H200"},
     9,
     0,
     4800,
     989.4,
     989.4,
     132,
     0,
     141,
     4096,
     "NVIDIA H200 datasheet (2024): SXM 4.8 TB/s, FP16/BF16 tensor 1,979 TFLOPS with sparsity (989.4 dense); L2 "
     "not published"},
    {"b200",
     {"NVIDIA B200"},
     10,
     0,
     8000,
     2250,
     2250,
     148,
     0,
     180,
     0,
     "NVIDIA DGX/HGX B200 datasheet (2024): 8 TB/s per GPU, FP16/BF16 tensor 4.5 PFLOPS with sparsity (2.25 "
     "dense); L2 and tensor clock not published"},
};

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char ch) { return std::tolower(ch); });
  return text;
}

}  // namespace

const std::vector<MachineSpec>& machine_specs() { return kSpecs; }

const MachineSpec* find_machine_spec(const std::string& name) {
  const std::string wanted = lower(name);
  for (const auto& spec : kSpecs) {
    if (wanted == spec.short_name) return &spec;
    for (const char* driver_name : spec.driver_names) {
      if (wanted == lower(driver_name)) return &spec;
    }
  }
  return nullptr;
}

std::string machine_spec_names() {
  std::string names;
  for (const auto& spec : kSpecs) names += (names.empty() ? "" : ", ") + std::string(spec.short_name);
  return names;
}

}  // namespace roofline
