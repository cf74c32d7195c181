#include "lib/promconfig/http_client_config.h"

#include "absl/strings/ascii.h"
#include "lib/base/format.h"
#include "lib/config/yaml.h"

namespace vigil::promconfig {
namespace {

using config::ErrorAt;

absl::Status ReadStrings(const std::string& file, const YAML::Node& map,
                         std::initializer_list<std::pair<const char*, std::string*>> keys) {
  for (auto [key, out] : keys) {
    if (auto s = config::ReadString(file, map, key, out); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ParseTlsConfig(const std::string& file, const YAML::Node& t, TlsConfig* out) {
  if (auto s = config::ExpectMap(file, t, "tls_config"); !s.ok()) return s;
  if (auto s = config::CheckKeys(file, t,
                                 {"ca_file", "cert_file", "key_file", "server_name",
                                  "insecure_skip_verify", "min_version", "max_version"},
                                 "tls_config");
      !s.ok()) {
    return s;
  }
  if (auto s = ReadStrings(file, t,
                           {{"ca_file", &out->ca_file},
                            {"cert_file", &out->cert_file},
                            {"key_file", &out->key_file},
                            {"server_name", &out->server_name}});
      !s.ok()) {
    return s;
  }
  if (auto s = config::ReadBool(file, t, "insecure_skip_verify", &out->insecure_skip_verify);
      !s.ok()) {
    return s;
  }
  for (auto [key, version] : {std::pair<const char*, int*>{"min_version", &out->min_version},
                              {"max_version", &out->max_version}}) {
    std::string name;
    if (auto s = config::ReadString(file, t, key, &name); !s.ok()) return s;
    if (!t[key]) continue;
    *version = TlsVersionFromName(name);
    if (*version == 0) return ErrorAt(file, t[key], StrCat("unknown TLS version: ", name));
  }
  // config.TLSConfig.Validate.
  if (!out->cert_file.empty() && out->key_file.empty()) {
    return ErrorAt(file, t,
                   StrCat("client cert file \"", out->cert_file,
                          "\" specified without client key file"));
  }
  if (!out->key_file.empty() && out->cert_file.empty()) {
    return ErrorAt(file, t,
                   StrCat("client key file \"", out->key_file,
                          "\" specified without client cert file"));
  }
  // Checked by Prometheus when it builds the scrape pool's client (config.NewTLSConfig);
  // there a failure silently drops the whole job, so vigil rejects the config instead.
  if (out->min_version != 0 && out->max_version != 0 && out->max_version < out->min_version) {
    return ErrorAt(file, t,
                   "tls_config.max_version must be greater than or equal to "
                   "tls_config.min_version if both are specified");
  }
  return absl::OkStatus();
}

}  // namespace

int TlsVersionFromName(std::string_view name) {
  if (name == "TLS10") return 0x0301;
  if (name == "TLS11") return 0x0302;
  if (name == "TLS12") return 0x0303;
  if (name == "TLS13") return 0x0304;
  return 0;
}

absl::Status ParseHttpClientConfig(const std::string& file, const std::string& dir,
                                   const YAML::Node& n, HttpClientConfig* out) {
  auto resolve = [&](std::string* name) {
    if (!name->empty() && (*name)[0] != '/') *name = StrCat(dir, "/", *name);
  };
  const YAML::Node ba = n["basic_auth"];
  if (ba && !ba.IsNull()) {
    if (auto s = config::ExpectMap(file, ba, "basic_auth"); !s.ok()) return s;
    if (auto s = config::CheckKeys(file, ba, {"username", "password", "password_file"},
                                   "basic_auth");
        !s.ok())
      return s;
    out->basic_auth = true;
    if (auto s = ReadStrings(file, ba,
                             {{"username", &out->username},
                              {"password", &out->password},
                              {"password_file", &out->password_file}});
        !s.ok())
      return s;
  }
  const YAML::Node au = n["authorization"];
  if (au && !au.IsNull()) {
    if (auto s = config::ExpectMap(file, au, "authorization"); !s.ok()) return s;
    if (auto s = config::CheckKeys(file, au, {"type", "credentials", "credentials_file"},
                                   "authorization");
        !s.ok())
      return s;
    out->authorization = true;
    if (auto s = ReadStrings(file, au,
                             {{"type", &out->auth_type},
                              {"credentials", &out->credentials},
                              {"credentials_file", &out->credentials_file}});
        !s.ok())
      return s;
  }
  std::string bearer_token, bearer_token_file;
  if (auto s = ReadStrings(file, n,
                           {{"bearer_token", &bearer_token},
                            {"bearer_token_file", &bearer_token_file}});
      !s.ok())
    return s;
  const YAML::Node bearer = n[bearer_token_file.empty() ? "bearer_token" : "bearer_token_file"];
  // config.HTTPClientConfig.Validate, in its order.
  if (!bearer_token.empty() && !bearer_token_file.empty()) {
    return ErrorAt(file, bearer,
                   "at most one of bearer_token & bearer_token_file must be configured");
  }
  bool has_bearer = !bearer_token.empty() || !bearer_token_file.empty();
  if (out->basic_auth && has_bearer) {
    return ErrorAt(file, bearer,
                   "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be "
                   "configured");
  }
  if (out->basic_auth && !out->password.empty() && !out->password_file.empty()) {
    return ErrorAt(file, ba,
                   "at most one of basic_auth password & password_file must be configured");
  }
  if (out->authorization) {
    if (has_bearer) {
      return ErrorAt(file, au,
                     "authorization is not compatible with bearer_token & bearer_token_file");
    }
    if (!out->credentials.empty() && !out->credentials_file.empty()) {
      return ErrorAt(file, au,
                     "at most one of authorization credentials & credentials_file must be "
                     "configured");
    }
    out->auth_type = std::string(absl::StripAsciiWhitespace(out->auth_type));
    if (out->auth_type.empty()) out->auth_type = "Bearer";
    if (absl::AsciiStrToLower(out->auth_type) == "basic") {
      return ErrorAt(file, au,
                     "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
    if (out->basic_auth) {
      return ErrorAt(file, au,
                     "at most one of basic_auth, oauth2 & authorization must be configured");
    }
  } else if (has_bearer) {
    // Prometheus turns the legacy fields into an authorization of type Bearer.
    out->authorization = true;
    out->auth_type = "Bearer";
    out->credentials = bearer_token;
    out->credentials_file = bearer_token_file;
  }
  if (const YAML::Node t = n["tls_config"]; t && !t.IsNull()) {
    if (auto s = ParseTlsConfig(file, t, &out->tls); !s.ok()) return s;
  }
  for (std::string* name : {&out->password_file, &out->credentials_file, &out->tls.ca_file,
                            &out->tls.cert_file, &out->tls.key_file}) {
    resolve(name);
  }
  return absl::OkStatus();
}

}  // namespace vigil::promconfig
