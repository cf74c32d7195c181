// The libcurl scraper against a real TLS peer: prometheus-node-exporter serving HTTPS with
// a required client certificate, certificates made by the openssl CLI at test time.

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <memory>

#include "services/collector/http_scraper.h"
#include "services/collector/testing/test_pki.h"
#include "tests/support/process.h"

namespace vigil::collector {
namespace {

constexpr char kNodeExporter[] = "/usr/bin/prometheus-node-exporter";

class HttpScraperTlsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access(kNodeExporter, X_OK) != 0 || access("/usr/bin/openssl", X_OK) != 0)
      GTEST_SKIP() << "needs prometheus-node-exporter and openssl";
    dir_ = vigil::testing::MakeTempDir("vigil-tls");
    pki_ = testing::MakeTestPki(dir_);
    ASSERT_EQ(pki_.error, "");
    port_ = vigil::testing::FreePort();
    exporter_ = std::make_unique<vigil::testing::Process>(
        std::vector<std::string>{kNodeExporter, "--collector.disable-defaults",
                                 "--collector.loadavg",
                                 "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                 "--web.config.file=" + pki_.web_config},
        dir_, dir_ + "/exporter.log");
    // Up once it answers a TLS scrape that presents everything it wants.
    ASSERT_TRUE(vigil::testing::WaitFor([&] { return Scrape(GoodTls()).error.empty(); }))
        << exporter_->Log() << Scrape(GoodTls()).error;
  }
  void TearDown() override {
    exporter_.reset();
    if (!dir_.empty()) vigil::testing::RemoveTree(dir_);
  }

  promconfig::TlsConfig GoodTls() const {
    promconfig::TlsConfig tls;
    tls.ca_file = pki_.ca;
    tls.cert_file = pki_.client_cert;
    tls.key_file = pki_.client_key;
    tls.server_name = "node.example";
    return tls;
  }
  std::string Url() const { return "https://127.0.0.1:" + std::to_string(port_) + "/metrics"; }

  ScrapeResult Scrape(const promconfig::TlsConfig& tls) {
    auto http = std::make_shared<promconfig::HttpClientConfig>();
    http->tls = tls;
    HttpScraper s;
    s.Start({"t", Url(), absl::Seconds(5), 0, http}, 1);
    int fd = eventfd(0, EFD_NONBLOCK);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    std::vector<HttpScraper::Completed> done;
    while (done.empty() && std::chrono::steady_clock::now() < deadline) {
      done = s.Collect();
      if (done.empty()) s.Wait(100, fd);
    }
    close(fd);
    if (done.empty()) return ScrapeResult{.error = "no answer"};
    return std::move(done[0].result);
  }
  std::string Prefix() const { return "Get \"" + Url() + "\": "; }

  std::string dir_;
  testing::TestPki pki_;
  int port_ = 0;
  std::unique_ptr<vigil::testing::Process> exporter_;
};

TEST_F(HttpScraperTlsTest, MutualTlsWithServerNameScrapes) {
  ScrapeResult r = Scrape(GoodTls());
  EXPECT_EQ(r.error, "");
  EXPECT_NE(r.body.find("node_load1 "), std::string::npos) << r.body;
  promconfig::TlsConfig tls13 = GoodTls();
  tls13.min_version = 0x0304;
  EXPECT_EQ(Scrape(tls13).error, "");
}

TEST_F(HttpScraperTlsTest, VerificationFailuresAreScrapeErrors) {
  promconfig::TlsConfig wrong_ca = GoodTls();
  wrong_ca.ca_file = pki_.other_ca;
  std::string err = Scrape(wrong_ca).error;
  EXPECT_EQ(err, Prefix() + "x509: certificate signed by unknown authority");  // Go's words

  // The certificate names node.example only: by IP, without server_name, it must fail.
  promconfig::TlsConfig by_ip = GoodTls();
  by_ip.server_name.clear();
  err = Scrape(by_ip).error;
  EXPECT_NE(err.find("127.0.0.1"), std::string::npos) << err;

  promconfig::TlsConfig wrong_name = GoodTls();
  wrong_name.server_name = "other.example";
  err = Scrape(wrong_name).error;
  EXPECT_NE(err.find("other.example"), std::string::npos) << err;

  // insecure_skip_verify accepts any server certificate; the client one is still sent.
  promconfig::TlsConfig insecure = GoodTls();
  insecure.ca_file = pki_.other_ca;
  insecure.server_name.clear();
  insecure.insecure_skip_verify = true;
  EXPECT_EQ(Scrape(insecure).error, "");
}

TEST_F(HttpScraperTlsTest, MissingClientCertificateIsRefusedByTheServer) {
  promconfig::TlsConfig no_client = GoodTls();
  no_client.cert_file.clear();
  no_client.key_file.clear();
  // TLS 1.2, where the server refuses during the handshake; under TLS 1.3 the refusal
  // races with the request and shows as an alert or a reset connection.
  no_client.max_version = 0x0303;
  std::string err = Scrape(no_client).error;
  EXPECT_EQ(err.rfind(Prefix(), 0), 0u) << err;
  EXPECT_NE(err.find("alert bad certificate"), std::string::npos) << err;
  no_client.max_version = 0;
  err = Scrape(no_client).error;
  EXPECT_EQ(err.rfind(Prefix(), 0), 0u) << err;
}

TEST_F(HttpScraperTlsTest, FilesAreReadAtScrapeTimeWithPrometheusErrors) {
  promconfig::TlsConfig tls = GoodTls();
  tls.ca_file = dir_ + "/rotated-ca.pem";
  EXPECT_EQ(Scrape(tls).error, Prefix() + "unable to load specified CA cert " + tls.ca_file +
                                   ": open " + tls.ca_file + ": no such file or directory");
  vigil::testing::WriteFile(tls.ca_file, "not a certificate\n");
  EXPECT_EQ(Scrape(tls).error, Prefix() + "unable to use specified CA cert " + tls.ca_file);
  // A renewed file is used by the next scrape, no reload needed.
  vigil::testing::WriteFile(tls.ca_file, vigil::testing::ReadFile(pki_.ca));
  EXPECT_EQ(Scrape(tls).error, "");

  tls.key_file = dir_ + "/gone.key";
  EXPECT_EQ(Scrape(tls).error, Prefix() + "unable to use specified client cert (" +
                                   tls.cert_file + ") & key (" + tls.key_file + "): open " +
                                   tls.key_file + ": no such file or directory");
}

}  // namespace
}  // namespace vigil::collector
