#pragma once

#include <string>

#include "absl/time/time.h"
#include "vigil/v1/control.pb.h"

namespace vigil::cli {

// What one service answered to `vigil status`.
enum class Health { kServing, kNotServing, kUnreachable };
const char* HealthName(Health h);  // "SERVING", "NOT_SERVING", "UNREACHABLE"

struct ServiceReport {
  std::string name;     // from the mesh file, else what the service calls itself
  std::string address;  // the gRPC address asked
  Health health = Health::kUnreachable;
  std::string error;  // why UNREACHABLE, or why GetStatus failed
  bool has_status = false;
  v1::ServiceStatus status;  // vigil.v1.Control/GetStatus, when has_status
};

// Asks `address` grpc.health.v1.Health/Check (overall server health) and
// vigil.v1.Control/GetStatus, each within `timeout`. A server without the health service
// counts as SERVING when GetStatus says ready.
ServiceReport Probe(const std::string& name, const std::string& address, absl::Duration timeout);

// "0.0.0.0:9501" and ":9501" (listen addresses) become "127.0.0.1:9501" (somewhere to dial).
std::string DialAddress(const std::string& listen_address);

}  // namespace vigil::cli
