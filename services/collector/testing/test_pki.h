#pragma once

// A throw-away PKI for TLS tests, made with the openssl CLI at test time: a CA, a server
// certificate for "node.example" only (so a scrape by IP must set server_name), a client
// certificate from the same CA, and an unrelated CA to fail verification with. Plus a
// node-exporter web config that requires a client certificate (exporter-toolkit's
// tls_server_config).

#include <string>
#include <vector>

#include "tests/support/process.h"

namespace vigil::collector::testing {

struct TestPki {
  std::string dir;
  std::string ca, other_ca;               // PEM files
  std::string server_cert, server_key;
  std::string client_cert, client_key;
  std::string web_config;                 // for prometheus-node-exporter --web.config.file
  std::string error;                      // empty when every command succeeded
};

inline bool RunOpenssl(std::vector<std::string> args, std::string* error) {
  args.insert(args.begin(), "/usr/bin/openssl");
  auto [code, out] = vigil::testing::RunCommand(args);
  if (code != 0 && error->empty()) *error = out;
  return code == 0;
}

inline TestPki MakeTestPki(const std::string& dir) {
  TestPki p;
  p.dir = dir;
  auto path = [&](const char* name) { return dir + "/" + name; };
  auto new_key = [&](const std::string& key) {
    RunOpenssl({"genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
                key},
               &p.error);
  };
  auto self_signed = [&](const std::string& key, const std::string& pem, const char* cn) {
    new_key(key);
    RunOpenssl({"req", "-x509", "-new", "-key", key, "-out", pem, "-days", "2", "-subj",
                std::string("/CN=") + cn},
               &p.error);
  };
  auto issue = [&](const std::string& key, const std::string& pem, const char* cn,
                   const std::string& ext, int serial) {
    new_key(key);
    std::string csr = pem + ".csr", extfile = pem + ".ext";
    vigil::testing::WriteFile(extfile, ext);
    RunOpenssl({"req", "-new", "-key", key, "-out", csr, "-subj", std::string("/CN=") + cn},
               &p.error);
    RunOpenssl({"x509", "-req", "-in", csr, "-CA", path("ca.pem"), "-CAkey", path("ca.key"),
                "-set_serial", std::to_string(serial), "-days", "2", "-extfile", extfile,
                "-out", pem},
               &p.error);
  };
  p.ca = path("ca.pem");
  self_signed(path("ca.key"), p.ca, "vigil test CA");
  p.other_ca = path("other_ca.pem");
  self_signed(path("other_ca.key"), p.other_ca, "unrelated CA");
  p.server_cert = path("server.pem");
  p.server_key = path("server.key");
  issue(p.server_key, p.server_cert, "node.example",
        "subjectAltName=DNS:node.example\nextendedKeyUsage=serverAuth\n", 2);
  p.client_cert = path("client.pem");
  p.client_key = path("client.key");
  issue(p.client_key, p.client_cert, "vigil collector", "extendedKeyUsage=clientAuth\n", 3);
  p.web_config = path("web.yml");
  vigil::testing::WriteFile(p.web_config,
                            "tls_server_config:\n  cert_file: " + p.server_cert +
                                "\n  key_file: " + p.server_key +
                                "\n  client_auth_type: RequireAndVerifyClientCert\n"
                                "  client_ca_file: " + p.ca + "\n");
  return p;
}

}  // namespace vigil::collector::testing
