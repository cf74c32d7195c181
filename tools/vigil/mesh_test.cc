#include "tools/vigil/mesh.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;

absl::StatusOr<Mesh> Parse(const std::string& text) {
  return ParseMesh("mesh.yml", text, "/srv/mesh", "/opt/vigil/bin");
}

TEST(MeshTest, ParsesTheExampleShape) {
  auto mesh = Parse(R"(
processes:
  - name: demo-exporter
    binary: vigil-demo-exporter
    args: ["--web.listen-address=127.0.0.1:9400"]
  - name: collector
    binary: vigil-collector
    args: ["--config.file=prometheus.yml", "--grpc.listen-address", "127.0.0.1:9511"]
    http: 127.0.0.1:9401
  - name: notifier
    binary: /usr/bin/vigil-notifier
    grpc: 127.0.0.1:9503
bin_dir: ../../build/bin
working_dir: .
restart: {initial_backoff: 250ms, max_backoff: 1m}
)");
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  ASSERT_EQ(mesh->processes.size(), 3u);
  const ProcessSpec& exporter = mesh->processes[0];
  EXPECT_EQ(exporter.name, "demo-exporter");
  EXPECT_EQ(exporter.binary, "vigil-demo-exporter");
  EXPECT_EQ(exporter.args, std::vector<std::string>{"--web.listen-address=127.0.0.1:9400"});
  EXPECT_EQ(exporter.http, "127.0.0.1:9400");  // from the argument
  EXPECT_EQ(exporter.grpc, "");
  EXPECT_EQ(mesh->processes[1].grpc, "127.0.0.1:9511");  // "--flag value" form
  EXPECT_EQ(mesh->processes[1].http, "127.0.0.1:9401");  // explicit wins
  EXPECT_EQ(mesh->processes[2].grpc, "127.0.0.1:9503");
  EXPECT_EQ(mesh->bin_dir, "/build/bin");  // relative to the file's directory
  EXPECT_EQ(mesh->working_dir, "/srv/mesh");
  EXPECT_EQ(mesh->initial_backoff, absl::Milliseconds(250));
  EXPECT_EQ(mesh->max_backoff, absl::Minutes(1));
}

TEST(MeshTest, Defaults) {
  auto mesh = Parse("processes:\n  - {name: a, binary: sh}\n");
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  EXPECT_EQ(mesh->bin_dir, "/opt/vigil/bin");
  EXPECT_EQ(mesh->working_dir, "/srv/mesh");
  EXPECT_EQ(mesh->initial_backoff, absl::Milliseconds(500));
  EXPECT_EQ(mesh->max_backoff, absl::Seconds(30));
  EXPECT_TRUE(mesh->processes[0].args.empty());
}

TEST(MeshTest, ErrorsPointAtTheProblem) {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      {"processes:\n  - name: a\n    binary: x\n    argz: []\n",
       "mesh.yml:4:5: field argz not found in process"},
      {"processes:\n  - {name: a, binary: x}\nbinn_dir: x\n",
       "mesh.yml:3:1: field binn_dir not found in mesh"},
      {"processes:\n  - name: a\n    binary: x\n  - name: a\n    binary: y\n",
       "mesh.yml:4:11: duplicate process name a"},
      {"processes:\n  - name: a\n", "mesh.yml:2:5: process a has no binary"},
      {"processes:\n  - binary: x\n", "mesh.yml:2:5: process has no name"},
      {"processes:\n  - {name: a, binary: x, args: [[1]]}\n",
       "mesh.yml:2:33: \"args\" must be a list of strings"},
      {"processes:\n  - {name: a, binary: x}\nrestart: {initial_backoff: 5x}\n",
       "mesh.yml:3:28: \"initial_backoff\": "},
      {"processes:\n  - {name: a, binary: x}\nrestart: {initial_backoff: 2s, max_backoff: 1s}\n",
       "mesh.yml:3:10: max_backoff must not be less than initial_backoff"},
      {"processes: []\n", "mesh.yml:1:12: \"processes\" must be a non-empty list"},
      {"bin_dir: x\n", "mesh.yml:1:1: no processes listed"},
      {"processes:\n  - name: [\n", "mesh.yml:3:1: "},
  };
  for (const Case& c : cases) {
    auto mesh = Parse(c.text);
    ASSERT_FALSE(mesh.ok()) << c.text;
    EXPECT_EQ(std::string(mesh.status().message()).rfind(c.error, 0), 0u)
        << "got: " << mesh.status().message() << "\nwant prefix: " << c.error;
  }
}

TEST(MeshTest, LoadsRelativeToTheFileAndResolvesBinaries) {
  fs::path dir = fs::path(testing::TempDir()) / "mesh_test_resolve";
  fs::remove_all(dir);
  fs::create_directories(dir / "bin");
  {
    std::ofstream(dir / "bin" / "vigil-thing") << "#!/bin/sh\n";
    chmod((dir / "bin" / "vigil-thing").c_str(), 0755);
    std::ofstream(dir / "mesh.yml") << "processes:\n"
                                       "  - {name: thing, binary: vigil-thing}\n"
                                       "  - {name: shell, binary: sh}\n"
                                       "  - {name: abs, binary: /bin/sh}\n"
                                       "bin_dir: bin\n";
  }
  auto mesh = LoadMesh((dir / "mesh.yml").string(), "/nowhere");
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  EXPECT_EQ(mesh->bin_dir, (dir / "bin").string());
  ASSERT_TRUE(ResolveBinaries(&*mesh).ok());
  EXPECT_EQ(mesh->processes[0].path, (dir / "bin" / "vigil-thing").string());
  EXPECT_TRUE(fs::path(mesh->processes[1].path).is_absolute());  // from $PATH
  EXPECT_EQ(mesh->processes[2].path, "/bin/sh");

  { std::ofstream(dir / "mesh.yml") << "processes:\n  - name: x\n    binary: vigil-missing\n"; }
  mesh = LoadMesh((dir / "mesh.yml").string(), "/nowhere");
  ASSERT_TRUE(mesh.ok()) << mesh.status();
  absl::Status s = ResolveBinaries(&*mesh);
  EXPECT_EQ(std::string(s.message())
                .rfind((dir / "mesh.yml").string() + ":3:13: process x: "
                                                     "executable vigil-missing not found",
                       0),
            0u)
      << s;

  auto missing = LoadMesh((dir / "nope.yml").string(), "");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
}

TEST(MeshTest, FlagValue) {
  std::vector<std::string> args = {"--a=1", "--b", "2", "--c"};
  EXPECT_EQ(FlagValue(args, "--a"), "1");
  EXPECT_EQ(FlagValue(args, "--b"), "2");
  EXPECT_EQ(FlagValue(args, "--c"), "");
  EXPECT_EQ(FlagValue(args, "--d"), "");
}

}  // namespace
}  // namespace vigil::cli
