#include "cli/drift_plot.hpp"

#include <cstdio>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <stdexcept>

namespace flashcheck::cli {
namespace {

std::string terminal_for(const std::filesystem::path& image) {
  const std::string ext = image.extension().string();
  if (ext == ".svg") return "svg size 1200,420 dynamic noenhanced font 'sans,11'";
  if (ext == ".png") return "pngcairo size 1500,520 noenhanced font 'sans,10'";
  throw std::runtime_error(fmt::format("plot file '{}' must end in .svg or .png", image.string()));
}

// gnuplot strings are single-quoted; a quote inside one is doubled.
std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("''") : std::string(1, ch);
  return out + "'";
}

}  // namespace

void write_drift_plot(const std::string& backend, const std::vector<DriftSeries>& series, const std::string& image) {
  const std::filesystem::path img(image);
  const std::string terminal = terminal_for(img);
  std::filesystem::path stem = img;
  stem.replace_extension();
  const std::string data = stem.string() + ".dat", script = stem.string() + ".gp";
  {
    std::ofstream d(data);
    if (!d) throw std::runtime_error(fmt::format("cannot write '{}'", data));
    // One block per distribution (separated by two blank lines: gnuplot's index).
    for (const DriftSeries& s : series) {
      d << "# " << s.distribution << ": lk kernel reference budget\n";
      for (const DriftPoint& p : s.points)
        if (p.problem.empty())
          d << fmt::format("{} {:.9e} {:.9e} {:.9e}\n", p.lk, std::max(p.kernel_error, 1e-12),
                           std::max(p.reference_error, 1e-12), p.budget);
      d << "\n\n";
    }
  }
  {
    std::ofstream g(script);
    if (!g) throw std::runtime_error(fmt::format("cannot write '{}'", script));
    g << "set terminal " << terminal << "\n";
    g << "set output " << quoted(img.string()) << "\n";
    g << "set logscale xy 2\nset format y '%.0e'\nset grid\nset key top left\n";
    g << "set xlabel 'Lk (keys)'\nset ylabel 'max |O - exact| / max|V|'\n";
    g << fmt::format("set multiplot layout 1,{} title {}\n", series.size(),
                     quoted("accumulator drift: " + backend + " vs the contract reference"));
    for (size_t i = 0; i < series.size(); ++i) {
      const DriftSeries& s = series[i];
      g << "set title " << quoted(s.distribution + (s.drift ? " (DRIFT)" : "")) << "\n";
      g << fmt::format("plot {0} index {1} using 1:2 with linespoints lw 4 pt 7 ps 1.3 title {2}, "
                       "{0} index {1} using 1:3 with linespoints lw 2 dt 3 pt 5 title 'contract reference', "
                       "{0} index {1} using 1:4 with lines dt 2 lw 2 title 'budget (median)'\n",
                       quoted(data), i, quoted(backend));
    }
    g << "unset multiplot\n";
  }
  const std::string command = fmt::format("gnuplot {} 2>&1", quoted(script));
  std::FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot start gnuplot (install gnuplot-nox: ci/setup.sh)");
  std::string output;
  char buf[256];
  while (std::fgets(buf, sizeof buf, pipe)) output += buf;
  const int status = pclose(pipe);
  if (status != 0)
    throw std::runtime_error(fmt::format("gnuplot failed (status {}) on {}: {}", status, script, output));
}

}  // namespace flashcheck::cli
