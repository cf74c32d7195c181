#include "tools/vigil/tap.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>
#include <google/protobuf/util/json_util.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <zmq.hpp>

#include "lib/base/format.h"
#include "lib/codec/samples.h"
#include "lib/config/duration.h"
#include "lib/json/go_string.h"
#include "lib/promql/parser.h"
#include "lib/rules/template.h"
#include "lib/service/signals.h"
#include "prometheus/registry.h"
#include "vigil/v1/alerts.pb.h"
#include "vigil/v1/control.pb.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::cli {
namespace {

// A JSON string's contents (without the quotes), escaped as Go's encoding/json does.
std::string JsonEscape(std::string_view s) {
  std::string out;
  json::AppendGoJsonString(s, &out);
  return out.substr(1, out.size() - 2);
}

// The payload as JSON through the generated descriptor pool, or null when the type is
// unknown or the bytes do not parse.
std::string PayloadJson(const bus::Message& m) {
  const auto* desc =
      google::protobuf::DescriptorPool::generated_pool()->FindMessageTypeByName(m.header.payload_type());
  if (desc == nullptr) return "null";
  google::protobuf::DynamicMessageFactory factory;
  std::unique_ptr<google::protobuf::Message> msg(factory.GetPrototype(desc)->New());
  if (!msg->ParseFromString(m.payload)) return "null";
  std::string json;
  google::protobuf::util::JsonPrintOptions opts;
  opts.preserve_proto_field_names = true;
  if (!google::protobuf::util::MessageToJsonString(*msg, &json, opts).ok()) return "null";
  return json;
}

}  // namespace

CLI::App* AddTapCommand(CLI::App& app, TapOptions* o) {
  CLI::App* cmd = app.add_subcommand("tap", "Print what flows on bus endpoints, one line each");
  cmd->add_option("--bus.connect", o->connect, "Bus endpoint to subscribe to (repeatable)")
      ->required();
  cmd->add_option("--topic", o->topics, "Topic prefix (repeatable; default: all)");
  cmd->add_option("--match", o->match, "Only samples of series matching this selector");
  cmd->add_option("--duration", o->duration, "Stop after this long, e.g. 30s");
  cmd->add_option("--count", o->count, "Stop after this many lines");
  return cmd;
}

absl::StatusOr<std::vector<labels::Matcher>> ParseSeriesSelector(const std::string& selector) {
  if (selector.empty()) return std::vector<labels::Matcher>{};
  auto expr = promql::ParseExpr(selector);
  if (!expr.ok()) return expr.status();
  if ((*expr)->kind != promql::Expr::Kind::kVectorSelector) {
    return absl::InvalidArgumentError(StrCat("--match: not a series selector: ", selector));
  }
  return (*expr)->selector.matchers;
}

std::vector<std::string> FormatBusMessage(const bus::Message& m,
                                          const std::vector<labels::Matcher>& matchers) {
  std::vector<std::string> lines;
  v1::SampleBatch batch;
  if (m.ParseAs(&batch)) {
    auto decoded = codec::DecodeSampleBatch(batch);
    if (decoded.ok()) {
      for (const codec::DecodedSeries& s : *decoded) {
        if (!labels::MatchesAll(matchers, s.labels)) continue;
        std::string series = s.labels.ToExposition();
        for (const codec::Point& p : s.points) {
          std::string value = codec::IsStaleNaN(p.v) ? "stale" : rules::FormatGoFloat(p.v);
          lines.push_back(StrCat(series, " ", value, " ", p.t));
        }
      }
      return lines;
    }
  }
  if (!matchers.empty()) return lines;  // --match selects samples only
  lines.push_back(StrCat("{\"topic\":\"", JsonEscape(m.topic), "\",\"publisher\":\"",
                         JsonEscape(m.header.publisher()), "\",\"sequence\":", m.header.sequence(),
                         ",\"type\":\"", JsonEscape(m.header.payload_type()),
                         "\",\"payload\":", PayloadJson(m), "}"));
  return lines;
}

int RunTap(const TapOptions& o) {
  auto matchers = ParseSeriesSelector(o.match);
  if (!matchers.ok()) {
    std::fprintf(stderr, "error: %s\n", std::string(matchers.status().message()).c_str());
    return 2;
  }
  std::optional<std::chrono::steady_clock::time_point> deadline;
  if (!o.duration.empty()) {
    auto d = config::ParseDuration(o.duration);
    if (!d.ok()) {
      std::fprintf(stderr, "error: --duration: %s\n", std::string(d.status().message()).c_str());
      return 2;
    }
    deadline = std::chrono::steady_clock::now() + absl::ToChronoMilliseconds(*d);
  }
  service::BlockTerminationSignals();
  std::atomic<bool> stop{false};
  service::SignalWatcher signals([&] { stop = true; }, [] {});

  zmq::context_t ctx;
  prometheus::Registry registry;
  bus::Subscriber sub(ctx, registry);
  for (const std::string& c : o.connect) sub.Connect(c);
  if (o.topics.empty()) sub.Subscribe("");
  for (const std::string& t : o.topics) sub.Subscribe(t);

  int64_t printed = 0;
  while (!stop) {
    if (deadline && std::chrono::steady_clock::now() >= *deadline) break;
    zmq::pollitem_t item{sub.socket().handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, std::chrono::milliseconds(100));
    while (auto m = sub.Receive()) {
      for (const std::string& line : FormatBusMessage(*m, *matchers)) {
        std::fwrite(line.data(), 1, line.size(), stdout);
        std::fputc('\n', stdout);
        if (o.count > 0 && ++printed >= o.count) {
          std::fflush(stdout);
          return 0;
        }
      }
      std::fflush(stdout);
    }
  }
  return 0;
}

}  // namespace vigil::cli
