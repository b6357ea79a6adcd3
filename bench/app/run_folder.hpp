// The result folder of a run: results/<gpu>/<date>_<commit>/ by default, with roofline.csv, samples.csv,
// gbench.json, env.json and roofline.png (docs/output.md).
#pragma once

#include <string>

namespace bench {

// "NVIDIA H100 80GB HBM3" -> "nvidia-h100-80gb-hbm3": lower case, runs of other characters become one '-'.
std::string slug(const std::string& text);

// <root>/<gpu_slug>/<YYYY-MM-DD>_<commit>, with "_2", "_3", ... appended if that folder already has files.
std::string default_run_folder(const std::string& root, const std::string& gpu_slug, const std::string& date,
                               const std::string& commit);

// Checks, leaving nothing behind, that `path` could become a result folder: new, or an empty folder, under a folder
// that can be written. Throws UsageError naming the fix. (Run before anything is measured, so a bad --out costs
// nothing.)
void check_run_folder(const std::string& path);

// Whether a folder path lies in a folder named results (relative or absolute): where measured runs are committed.
bool under_results(const std::string& path);

// Creates the folder (and parents). It must be new or empty, and writable; throws UsageError naming the fix.
void prepare_run_folder(const std::string& path);

}  // namespace bench
