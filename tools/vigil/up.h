#pragma once

#include <CLI/CLI.hpp>
#include <string>

namespace vigil::cli {

struct UpOptions {
  std::string config_file;
  // Where binaries named without a path are looked for when the mesh names no bin_dir:
  // the directory of the running `vigil`.
  std::string default_bin_dir;
};

// Registers `vigil up` on `app`; when chosen, *run is set to call RunUp.
CLI::App* AddUpCommand(CLI::App& app, UpOptions* options);

// `vigil up`: starts every process of the mesh file as a child with its output prefixed
// by "[name] ", restarts those that exit (with backoff), forwards SIGHUP, and on
// SIGINT/SIGTERM stops them all (SIGTERM, SIGKILL after 10 s). Each child leads its own
// process group and signals go to the group; when a child exits, whatever it left in its
// group is killed, so a restart never leaves strays. Returns the exit code:
// 0 after a clean stop, 1 on a bad mesh file.
int RunUp(const UpOptions& options);

}  // namespace vigil::cli
