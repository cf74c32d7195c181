#include "lib/service/flags.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include "lib/base/format.h"

namespace vigil::service {
namespace {

TEST(FlagsTest, DefaultsFollowTheContracts) {
  CLI::App app;
  CommonFlags f;
  AddCommonFlags(app, ReporterDefaults(), &f);
  const char* argv[] = {"vigil-reporter"};
  EXPECT_EQ(ParseFlags(app, 1, const_cast<char**>(argv)), -1);
  EXPECT_EQ(f.web_listen_address, "127.0.0.1:9404");
  EXPECT_EQ(f.grpc_listen_address, "127.0.0.1:9504");
  EXPECT_EQ(f.bus_publish_address, "tcp://127.0.0.1:9604");
  EXPECT_EQ(f.bus_connect.size(), 3u);
}

TEST(FlagsTest, PrometheusStyleFlags) {
  CLI::App app;
  CommonFlags f;
  AddCommonFlags(app, EvaluatorDefaults(), &f);
  const char* argv[] = {"vigil-evaluator", "--config.file", "x.yml", "--web.listen-address=:0",
                        "--bus.connect", "tcp://a:1", "--bus.connect", "tcp://b:2",
                        "--log.format", "json"};
  EXPECT_EQ(ParseFlags(app, 10, const_cast<char**>(argv)), -1);
  EXPECT_EQ(f.config_file, "x.yml");
  EXPECT_EQ(f.web_listen_address, ":0");
  EXPECT_EQ(f.bus_connect, (std::vector<std::string>{"tcp://a:1", "tcp://b:2"}));
  EXPECT_EQ(f.log_format, "json");
}

TEST(FlagsTest, BadFlagExitsNonZero) {
  CLI::App app;
  CommonFlags f;
  AddCommonFlags(app, CollectorDefaults(), &f);
  const char* argv[] = {"vigil-collector", "--log.level", "loud"};
  EXPECT_NE(ParseFlags(app, 3, const_cast<char**>(argv)), 0);
}

}  // namespace
}  // namespace vigil::service

namespace vigil::service {
namespace {

TEST(ExternalUrlTest, AsPrometheusAndAlertmanagerComputeIt) {
  EXPECT_EQ(*ExternalUrl("http://h:9093/", "0.0.0.0:9093"), "http://h:9093");
  EXPECT_EQ(*ExternalUrl("https://proxy.example/am//", ""), "https://proxy.example/am");
  EXPECT_EQ(*ExternalUrl("HTTP://h/p/?x=1#f", ""), "http://h/p?x=1#f");
  char host[256] = {};
  ASSERT_EQ(gethostname(host, sizeof(host) - 1), 0);
  EXPECT_EQ(*ExternalUrl("", "127.0.0.1:9402"), StrCat("http://", host, ":9402"));
  auto bad = ExternalUrl("ftp://h/", "");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "\"ftp://h/\": invalid \"ftp\" scheme, only 'http' and 'https' are supported");
  EXPECT_FALSE(ExternalUrl("h:9093", "").ok());
}

}  // namespace
}  // namespace vigil::service
