#include "services/collector/http_client_files.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "lib/base/format.h"

namespace vigil::collector {
namespace {

// The whole file, or Go's os.ReadFile error text: "open PATH: no such file or directory".
absl::StatusOr<std::string> ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::string reason = std::strerror(errno);
    if (!reason.empty()) reason[0] = absl::ascii_tolower(reason[0]);
    return absl::NotFoundError(StrCat("open ", path, ": ", reason));
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::string> ReadSecretFile(const std::string& path, std::string_view what) {
  auto text = ReadWholeFile(path);
  if (!text.ok()) return absl::NotFoundError(StrCat("unable to read ", what, " file ", path));
  return std::string(absl::StripAsciiWhitespace(*text));
}

absl::StatusOr<TlsMaterial> ReadTlsFiles(const promconfig::TlsConfig& tls) {
  TlsMaterial out;
  if (!tls.ca_file.empty()) {
    auto ca = ReadWholeFile(tls.ca_file);
    if (!ca.ok()) {
      return absl::NotFoundError(
          StrCat("unable to load specified CA cert ", tls.ca_file, ": ", ca.status().message()));
    }
    // Go's x509.CertPool.AppendCertsFromPEM fails when no certificate is in the file.
    if (ca->find("-----BEGIN CERTIFICATE-----") == std::string::npos) {
      return absl::InvalidArgumentError(StrCat("unable to use specified CA cert ", tls.ca_file));
    }
    out.ca = std::move(*ca);
  }
  if (!tls.cert_file.empty()) {
    auto cert = ReadWholeFile(tls.cert_file);
    auto key = cert.ok() ? ReadWholeFile(tls.key_file) : cert;
    if (!key.ok()) {
      return absl::NotFoundError(StrCat("unable to use specified client cert (", tls.cert_file,
                                        ") & key (", tls.key_file,
                                        "): ", key.status().message()));
    }
    out.cert = std::move(*cert);
    out.key = std::move(*key);
  }
  return out;
}

}  // namespace vigil::collector
