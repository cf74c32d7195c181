// Runs the real `vigil up` binary on a mesh of /bin/sh scripts.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "tools/vigil/test_process.h"

namespace vigil::cli {
namespace {

namespace fs = std::filesystem;
using testing_util::Child;
using testing_util::ReadFile;
using testing_util::WaitFor;

// The pids a script appended to `path`, one a line.
std::vector<pid_t> Pids(const std::string& path) {
  std::vector<pid_t> pids;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    int pid;
    if (absl::SimpleAtoi(line, &pid)) pids.push_back(pid);
  }
  return pids;
}

bool Alive(pid_t pid) { return kill(pid, 0) == 0; }

class UpTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ =
        fs::path(testing::TempDir()) /
        ("up_test_" + std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "run");
  }
  std::string Path(const std::string& name) const { return (dir_ / name).string(); }
  std::unique_ptr<Child> StartUp(const std::string& mesh_text) {
    std::ofstream(Path("mesh.yml")) << mesh_text;
    return std::make_unique<Child>(std::vector<std::string>{std::string(VIGIL_BIN_DIR) + "/vigil",
                                                            "up", "--config", Path("mesh.yml")},
                                   Path("up.out"), Path("up.err"));
  }

  fs::path dir_;
};

// A script that records its pid, says hello on stdout and stderr, notes each SIGHUP and
// otherwise waits. It runs in the mesh's working_dir (run/).
constexpr char kMesh[] = R"(
processes:
  - name: sleeper
    binary: /bin/sh
    args:
      - -c
      - |
        trap 'echo hup >> hups' HUP
        echo $$ >> pids
        echo "hello from $$"
        echo "complaint from $$" >&2
        while true; do sleep 0.05; done
    grpc: 127.0.0.1:9599
    http: 127.0.0.1:9499
  - name: other
    binary: sh
    args: ["-c", "trap '' HUP; echo $$ >> other_pids; exec sleep 1000"]
working_dir: run
restart: {initial_backoff: 100ms, max_backoff: 1s}
)";

TEST_F(UpTest, RestartsKilledChildForwardsHupAndStopsCleanly) {
  auto up = StartUp(kMesh);
  ASSERT_GT(up->pid(), 0);
  std::string pids_file = Path("run/pids");
  ASSERT_TRUE(WaitFor([&] { return Pids(pids_file).size() == 1; })) << up->out() << up->err();
  ASSERT_TRUE(WaitFor([&] { return Pids(Path("run/other_pids")).size() == 1; }));
  pid_t first = Pids(pids_file)[0];

  // Output is passed through, prefixed; the start table says where everything is.
  ASSERT_TRUE(WaitFor([&] {
    return up->out().find("[sleeper] hello from " + std::to_string(first)) != std::string::npos &&
           up->err().find("[sleeper] complaint from " + std::to_string(first)) != std::string::npos;
  })) << up->out()
      << up->err();
  std::string out = up->out();
  EXPECT_NE(out.find("sleeper"), std::string::npos);
  EXPECT_NE(out.find(std::to_string(first)), std::string::npos) << out;
  EXPECT_NE(out.find("127.0.0.1:9499"), std::string::npos) << out;
  EXPECT_NE(out.find("127.0.0.1:9599"), std::string::npos) << out;

  // SIGHUP reaches the children.
  ASSERT_EQ(kill(up->pid(), SIGHUP), 0);
  EXPECT_TRUE(WaitFor([&] { return ReadFile(Path("run/hups")).find("hup") != std::string::npos; }))
      << up->out();

  // A killed child is started again.
  ASSERT_EQ(kill(first, SIGKILL), 0);
  ASSERT_TRUE(WaitFor([&] { return Pids(pids_file).size() == 2; })) << up->out() << up->err();
  pid_t second = Pids(pids_file)[1];
  EXPECT_NE(second, first);
  EXPECT_TRUE(Alive(second));
  EXPECT_TRUE(WaitFor([&] { return up->out().find("sleeper restarted") != std::string::npos; }))
      << up->out();
  EXPECT_EQ(Pids(Path("run/other_pids")).size(), 1u);  // the other one was left alone

  // SIGTERM stops everything and exits 0.
  pid_t other = Pids(Path("run/other_pids"))[0];
  ASSERT_EQ(kill(up->pid(), SIGTERM), 0);
  int status = up->Wait();
  ASSERT_NE(status, -1) << "vigil up did not exit\n" << up->out();
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << up->out() << up->err();
  EXPECT_FALSE(Alive(second));
  EXPECT_FALSE(Alive(other));
  EXPECT_NE(up->out().find("all processes stopped"), std::string::npos) << up->out();
}

TEST_F(UpTest, ChildIgnoringSigtermIsKilledAfterGrace) {
  // Checks only that a stubborn child does not keep `vigil up` alive forever and that
  // `vigil up` still exits 0; the 10 s grace makes this the slow test.
  auto up = StartUp(R"(
processes:
  - name: stubborn
    binary: /bin/sh
    args: ["-c", "trap '' TERM; echo $$ > pid; while true; do sleep 0.05; done"]
working_dir: run
)");
  ASSERT_TRUE(WaitFor([&] { return Pids(Path("run/pid")).size() == 1; })) << up->err();
  pid_t pid = Pids(Path("run/pid"))[0];
  ASSERT_EQ(kill(up->pid(), SIGTERM), 0);
  int status = up->Wait(std::chrono::seconds(25));
  ASSERT_NE(status, -1) << up->out();
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_FALSE(Alive(pid));
  EXPECT_NE(up->out().find("SIGKILL"), std::string::npos) << up->out();
}

TEST_F(UpTest, BadMeshFileExitsOneBeforeStartingAnything) {
  auto up = StartUp("processes:\n  - name: a\n    binary: vigil-no-such-binary\n");
  int status = up->Wait();
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_NE(up->err().find("error: " + Path("mesh.yml") +
                           ":3:13: process a: executable "
                           "vigil-no-such-binary not found"),
            std::string::npos)
      << up->err();
}

}  // namespace
}  // namespace vigil::cli
