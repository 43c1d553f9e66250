#pragma once
// The drift plot: log-log error against Lk for the kernel, the contract reference and
// the budget, one panel per distribution, drawn by gnuplot from a data file.
#include <string>
#include <vector>

#include "verdict/drift.hpp"

namespace flashcheck::cli {

// Writes <stem>.dat and <stem>.gp next to `image` (.svg or .png) and runs gnuplot on
// them. Throws std::runtime_error with gnuplot's failure when it cannot draw.
void write_drift_plot(const std::string& backend, const std::vector<DriftSeries>& series, const std::string& image);

}  // namespace flashcheck::cli
