#include "tools/vigil/probe.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/wire_format_lite.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <future>
#include <memory>

#include "lib/base/format.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::cli {
namespace {

// grpc.health.v1.HealthCheckResponse.ServingStatus
constexpr uint64_t kHealthServing = 1;

// Debian's libgrpc++-dev ships no generated grpc.health.v1 stubs, so the check goes through
// the generic stub with the (tiny) messages encoded by hand: the request is empty (all
// services), the response is field 1, a varint enum.
grpc::Status CheckHealth(const std::shared_ptr<grpc::Channel>& channel, absl::Duration timeout,
                         uint64_t* serving_status) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::Slice empty;
  grpc::ByteBuffer request(&empty, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  grpc::Status status = done.get_future().get();
  if (!status.ok()) return status;
  std::vector<grpc::Slice> slices;
  if (!response.Dump(&slices).ok()) {
    return grpc::Status(grpc::StatusCode::INTERNAL, "unreadable health response");
  }
  std::string bytes;
  for (const grpc::Slice& s : slices) {
    bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                                            static_cast<int>(bytes.size()));
  *serving_status = 0;
  while (uint32_t tag = in.ReadTag()) {
    if (tag == (1 << 3)) {  // field 1, varint
      if (!in.ReadVarint64(serving_status)) break;
    } else if (!google::protobuf::internal::WireFormatLite::SkipField(&in, tag)) {
      break;
    }
  }
  return grpc::Status::OK;
}

}  // namespace

const char* HealthName(Health h) {
  switch (h) {
    case Health::kServing:
      return "SERVING";
    case Health::kNotServing:
      return "NOT_SERVING";
    case Health::kUnreachable:
      return "UNREACHABLE";
  }
  return "UNREACHABLE";
}

std::string DialAddress(const std::string& listen_address) {
  if (listen_address.rfind(':', 0) == 0) return StrCat("127.0.0.1", listen_address);
  if (listen_address.rfind("0.0.0.0:", 0) == 0) {
    return StrCat("127.0.0.1", listen_address.substr(7));
  }
  return listen_address;
}

ServiceReport Probe(const std::string& name, const std::string& address, absl::Duration timeout) {
  ServiceReport report;
  report.name = name;
  report.address = address;
  auto channel = grpc::CreateChannel(DialAddress(address), grpc::InsecureChannelCredentials());

  uint64_t serving = 0;
  grpc::Status health = CheckHealth(channel, timeout, &serving);
  bool health_known = health.ok();
  if (health.ok()) {
    report.health = serving == kHealthServing ? Health::kServing : Health::kNotServing;
  } else if (health.error_code() != grpc::StatusCode::UNIMPLEMENTED) {
    report.health = Health::kUnreachable;
    report.error = health.error_message();
    return report;
  }

  auto stub = v1::Control::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
  grpc::Status s = stub->GetStatus(&ctx, v1::GetStatusRequest(), &report.status);
  if (s.ok()) {
    report.has_status = true;
    if (report.name.empty()) report.name = report.status.service();
    if (!health_known)
      report.health = report.status.ready() ? Health::kServing : Health::kNotServing;
  } else {
    report.error = StrCat("GetStatus: ", s.error_message());
    if (!health_known) report.health = Health::kUnreachable;
  }
  return report;
}

}  // namespace vigil::cli
