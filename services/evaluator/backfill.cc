#include "services/evaluator/backfill.h"

#include <grpcpp/grpcpp.h>

#include <utility>

#include "absl/container/flat_hash_map.h"
#include "lib/base/format.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::evaluator {
namespace {

// Batches are ~0.4 MiB (the reporter bounds their samples); room for long label sets.
constexpr int kMaxMessageBytes = 64 << 20;

v1::LabelMatcher::Type MatchTypeToProto(labels::MatchType t) {
  switch (t) {
    case labels::MatchType::kEqual:
      return v1::LabelMatcher::EQUAL;
    case labels::MatchType::kNotEqual:
      return v1::LabelMatcher::NOT_EQUAL;
    case labels::MatchType::kRegex:
      return v1::LabelMatcher::REGEX;
    case labels::MatchType::kNotRegex:
      return v1::LabelMatcher::NOT_REGEX;
  }
  return v1::LabelMatcher::EQUAL;
}

absl::Status FromGrpc(const grpc::Status& s, const std::string& address) {
  return absl::Status(
      static_cast<absl::StatusCode>(s.error_code()),
      StrCat("reading samples from the reporter at ", address, ": ", s.error_message()));
}

}  // namespace

absl::StatusOr<std::vector<codec::DecodedSeries>> Backfill(
    const std::string& reporter_grpc_address, TimestampMs start, TimestampMs end,
    const std::vector<std::vector<labels::Matcher>>& selectors, absl::Duration deadline) {
  v1::ReadSamplesRequest req;
  req.set_start_ms(start);
  req.set_end_ms(end);
  for (const auto& matchers : selectors) {
    v1::Selector* sel = req.add_selectors();
    for (const labels::Matcher& m : matchers) {
      v1::LabelMatcher* p = sel->add_matchers();
      p->set_type(MatchTypeToProto(m.type()));
      p->set_name(m.name());
      p->set_value(m.value());
    }
  }

  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxMessageBytes);
  auto channel =
      grpc::CreateCustomChannel(reporter_grpc_address, grpc::InsecureChannelCredentials(), args);
  auto stub = v1::Reporter::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  auto stream = stub->ReadSamples(&ctx, req);

  // A long series may continue in the next batch: merge by labels.
  std::vector<codec::DecodedSeries> out;
  absl::flat_hash_map<labels::Labels, size_t, labels::LabelsHash> index;
  v1::SampleBatch batch;
  absl::Status decode_error;
  while (stream->Read(&batch)) {
    auto decoded = codec::DecodeSampleBatch(batch);
    if (!decoded.ok()) {
      decode_error = absl::DataLossError(
          StrCat("reporter sent a malformed batch: ", std::string(decoded.status().message())));
      ctx.TryCancel();
      break;
    }
    for (codec::DecodedSeries& s : *decoded) {
      auto [it, inserted] = index.try_emplace(s.labels, out.size());
      if (inserted) {
        out.push_back(std::move(s));
      } else {
        auto& points = out[it->second].points;
        points.insert(points.end(), s.points.begin(), s.points.end());
      }
    }
  }
  grpc::Status status = stream->Finish();
  if (!decode_error.ok()) return decode_error;
  if (!status.ok()) return FromGrpc(status, reporter_grpc_address);
  return out;
}

}  // namespace vigil::evaluator
