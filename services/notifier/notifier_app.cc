#include "services/notifier/notifier_app.h"

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <poll.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <utility>
#include <zmq.hpp>

#include "absl/synchronization/mutex.h"
#include "lib/base/format.h"
#include "lib/bus/publisher.h"
#include "lib/bus/subscriber.h"
#include "lib/bus/topics.h"
#include "lib/service/runtime.h"
#include "prometheus/counter.h"
#include "services/notifier/api_alerts.h"
#include "services/notifier/api_change.h"
#include "services/notifier/cluster_node.h"
#include "services/notifier/config.h"
#include "services/notifier/delivery.h"
#include "services/notifier/dispatcher.h"
#include "services/notifier/go_json.h"
#include "services/notifier/matchers.h"
#include "services/notifier/postable_alerts.h"
#include "services/notifier/resync.h"
#include "services/notifier/silences.h"
#include "services/notifier/store.h"
#include "services/notifier/store_writer.h"
#include "vigil/v1/control.grpc.pb.h"

namespace vigil::notifier {

namespace {

using namespace std::chrono_literals;

// How long after start failed resyncs are retried before groups flush without them.
constexpr TimestampMs kResyncGraceMs = 10'000;

grpc::Status ToGrpc(const absl::Status& s) {
  const grpc::StatusCode code = absl::IsInvalidArgument(s) ? grpc::StatusCode::INVALID_ARGUMENT
                                : absl::IsNotFound(s)      ? grpc::StatusCode::NOT_FOUND
                                : absl::IsUnavailable(s)   ? grpc::StatusCode::UNAVAILABLE
                                : absl::IsFailedPrecondition(s)
                                    ? grpc::StatusCode::FAILED_PRECONDITION
                                    : grpc::StatusCode::INTERNAL;
  return grpc::Status(code, std::string(s.message()));
}

v1::Silence ToProto(const Silence& s, TimestampMs now) {
  v1::Silence out;
  out.set_id(s.id);
  for (const labels::Matcher& m : s.matchers) out.add_matchers(m.ToString());
  out.set_starts_at_ms(s.starts_at_ms);
  out.set_ends_at_ms(s.ends_at_ms);
  out.set_created_by(s.created_by);
  out.set_comment(s.comment);
  out.set_updated_at_ms(s.updated_at_ms);
  out.set_state(s.State(now));
  return out;
}

// Blocks an API handler's thread (never the loop) until the writes its request queued are
// durable, so that an answered request survives a crash; an error when they were not
// stored (DeadlineExceeded when the store did not commit in time).
absl::Status WaitStored(StoreWriter* writer, const StoreWriter::Claim& claim) {
  if (writer == nullptr) return absl::OkStatus();
  return writer->WaitStored(claim, absl::Seconds(10));
}

// The HTTP status of a change's error (MakeChange); `refused` for one the dispatcher
// refused for another reason than an unknown id or a bad request.
int HttpStatus(const absl::Status& s, int refused) {
  if (absl::IsNotFound(s)) return 404;
  if (absl::IsInvalidArgument(s)) return 400;
  if (absl::IsUnavailable(s)) return 503;
  if (absl::IsInternal(s)) return 500;
  return refused;
}

void LogSilenceChange(const Silence& s) {
  spdlog::info("silence {} {} by {}: {}", s.id, s.State(SystemClock().NowMs()), s.created_by,
               s.comment);
}

// vigil.v1.Notifier: answers from the loop thread.
class NotifierServiceImpl final : public v1::Notifier::Service {
 public:
  NotifierServiceImpl(service::Runtime& rt, Dispatcher& dispatcher, StoreWriter* writer)
      : rt_(rt), dispatcher_(dispatcher), writer_(writer) {}

  grpc::Status ListNotifications(grpc::ServerContext*, const v1::ListNotificationsRequest* req,
                                 v1::ListNotificationsResponse* resp) override {
    const size_t limit = req->limit();
    auto recent =
        rt_.tasks().Call([this, limit] { return dispatcher_.RecentNotifications(limit); }, 5s);
    if (!recent) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "notifier loop busy");
    for (v1::Notification& n : *recent) *resp->add_notifications() = std::move(n);
    return grpc::Status::OK;
  }

  grpc::Status Acknowledge(grpc::ServerContext*, const v1::AcknowledgeRequest* req,
                           v1::Acknowledgement* resp) override {
    auto ack = MakeChange(rt_.tasks(), writer_, [this, req = *req] {
      return dispatcher_.Acknowledge(req, SystemClock().NowMs());
    });
    if (!ack.ok()) return ToGrpc(ack.status());
    spdlog::info("acknowledged by {}: {}{} ({})", req->who(), req->fingerprint(), req->group_key(),
                 req->comment());
    *resp = std::move(*ack);
    return grpc::Status::OK;
  }

  grpc::Status SetSilence(grpc::ServerContext*, const v1::Silence* req,
                          v1::Silence* resp) override {
    Silence s;
    s.id = req->id();
    for (const std::string& text : req->matchers()) {
      auto m = ParseMatcher(text);
      if (!m.ok()) return ToGrpc(m.status());
      s.matchers.push_back(std::move(*m));
    }
    s.starts_at_ms = req->starts_at_ms();
    s.ends_at_ms = req->ends_at_ms();
    s.created_by = req->created_by();
    s.comment = req->comment();
    return ChangeSilence(
        [this, s = std::move(s)]() mutable {
          const TimestampMs now = SystemClock().NowMs();
          if (s.starts_at_ms == 0) s.starts_at_ms = now;
          return dispatcher_.SetSilence(std::move(s), now);
        },
        resp);
  }

  grpc::Status ListSilences(grpc::ServerContext*, const v1::ListSilencesRequest*,
                            v1::ListSilencesResponse* resp) override {
    auto list = rt_.tasks().Call(
        [this] {
          std::vector<v1::Silence> out;
          const TimestampMs now = SystemClock().NowMs();
          std::vector<Silence> silences = dispatcher_.silences().List();
          SortSilences(&silences, now);  // as GET /api/v2/silences lists them
          for (const Silence& s : silences) out.push_back(ToProto(s, now));
          return out;
        },
        5s);
    if (!list) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "notifier loop busy");
    for (v1::Silence& s : *list) *resp->add_silences() = std::move(s);
    return grpc::Status::OK;
  }

  grpc::Status ExpireSilence(grpc::ServerContext*, const v1::ExpireSilenceRequest* req,
                             v1::Silence* resp) override {
    return ChangeSilence(
        [this, id = req->id()] { return dispatcher_.ExpireSilence(id, SystemClock().NowMs()); },
        resp);
  }

  grpc::Status ListAcknowledgements(grpc::ServerContext*,
                                    const v1::ListAcknowledgementsRequest* req,
                                    v1::ListAcknowledgementsResponse* resp) override {
    const size_t limit = req->limit();
    auto acks = rt_.tasks().Call([this, limit] { return dispatcher_.Acknowledgements(limit); }, 5s);
    if (!acks) return grpc::Status(grpc::StatusCode::UNAVAILABLE, "notifier loop busy");
    for (v1::Acknowledgement& a : *acks) *resp->add_acknowledgements() = std::move(a);
    return grpc::Status::OK;
  }

 private:
  // Makes a silence change (`prepare` on the loop, see MakeChange) and answers it.
  template <typename Fn>
  grpc::Status ChangeSilence(Fn prepare, v1::Silence* resp) {
    auto s = MakeChange(rt_.tasks(), writer_, std::move(prepare));
    if (!s.ok()) return ToGrpc(s.status());
    LogSilenceChange(*s);
    *resp = ToProto(*s, SystemClock().NowMs());
    return grpc::Status::OK;
  }

  service::Runtime& rt_;
  Dispatcher& dispatcher_;
  StoreWriter* writer_;  // null without --storage.path
};

int Fail(const std::string& what) {
  std::fprintf(stderr, "error: %s\n", what.c_str());
  return 1;
}

}  // namespace

int RunNotifier(const service::CommonFlags& flags, const NotifierOptions& options) {
  auto loaded = LoadConfig(flags.config_file);
  if (!loaded.ok()) return Fail(std::string(loaded.status().message()));
  const Clock& clock = SystemClock();
  // Owns the SQLite connection and commits off the loop thread; null without storage.
  std::unique_ptr<StoreWriter> writer;
  if (!flags.storage_path.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(flags.storage_path, ec);
    if (ec) return Fail(StrCat("--storage.path ", flags.storage_path, ": ", ec.message()));
    auto opened = Store::Open(flags.storage_path + "/notifier.db");
    if (!opened.ok()) return Fail(std::string(opened.status().message()));
    writer = std::make_unique<StoreWriter>(std::move(*opened));
  }
  Dispatcher dispatcher(std::make_shared<const Config>(std::move(*loaded)), "", writer.get());
  // Alerts, the notification log and the notifications still owed, from the last run.
  auto owed = dispatcher.Recover(clock.NowMs());
  if (!owed.ok()) return Fail(std::string(owed.status().message()));

  zmq::context_t ctx;
  service::Runtime rt("notifier", flags, clock);
  // Changes made through the API go live on the loop once stored (the writer tells).
  dispatcher.set_loop([&rt](std::function<void()> task) { rt.tasks().Post(std::move(task)); });
  prometheus::Counter& invalid = prometheus::BuildCounter()
                                     .Name("vigil_notifier_alerts_invalid_total")
                                     .Help("Alert events and payloads rejected as malformed.")
                                     .Register(rt.registry())
                                     .Add({});
  prometheus::Counter& received = prometheus::BuildCounter()
                                      .Name("vigil_notifier_alerts_received_total")
                                      .Help("Alert events accepted, from the bus and the API.")
                                      .Register(rt.registry())
                                      .Add({});

  // HA: replicas name their publishers apart, so that bus subscribers keep their streams.
  const bool clustered = !options.cluster_peers.empty();
  const std::string publisher_name =
      clustered ? StrCat("notifier-", options.cluster_position) : std::string("notifier");
  bus::Publisher publisher(ctx, publisher_name, rt.registry(), clock);
  std::unique_ptr<ClusterNode> cluster;  // HA; null for a single notifier (made below)
  // Runs on a delivery thread; the result goes to the loop, which owns the core. Results
  // reach the loop in batches: the first of a batch posts the task that takes them all,
  // so that one wake-up of the loop serves every answer that came meanwhile.
  struct DeliveredResult {
    DeliveryResult result;
    v1::Notification event;  // to publish, when delivered
    std::string stream_key;
  };
  absl::Mutex results_mu;
  std::vector<DeliveredResult> results;  // guarded by results_mu
  auto handle_results = [&] {
    std::vector<DeliveredResult> batch;
    {
      absl::MutexLock lock(&results_mu);
      batch.swap(results);
    }
    for (const DeliveredResult& d : batch) {
      if (cluster) cluster->PublishResult(d.stream_key, d.result);
      dispatcher.OnDeliveryResult(d.result);
      if (d.result.final && d.result.delivered) {
        publisher.Publish(bus::kTopicNotifications, d.event);
      }
    }
  };
  auto on_result = [&](const Notification& n, const DeliveryResult& r) {
    if (!r.delivered && !r.superseded) {
      spdlog::warn("notify {} {} for {} failed (attempt {}{}): {}", n.receiver,
                   n.integration.Name(), n.group_key, r.attempts, r.final ? ", giving up" : "",
                   r.error);
    }
    v1::Notification event;
    if (r.final && r.delivered) {
      event.set_receiver(n.receiver);
      event.set_group_key(n.group_key);
      event.set_status(n.status);
      for (const std::string& fp : n.fingerprints) event.add_fingerprints(fp);
      event.set_sent_at_ms(n.created_ms);
      event.set_delivered(true);
      event.set_attempts(r.attempts);
    }
    bool first;
    {
      absl::MutexLock lock(&results_mu);
      first = results.empty();
      results.push_back({r, std::move(event), n.StreamKey()});
    }
    if (first) rt.tasks().Post(handle_results);
  };
  Deliverer deliverer(rt.registry(), on_result);
  auto init_metrics = [&] {
    for (const Receiver& r : dispatcher.config().receivers) deliverer.InitReceiverMetrics(r.name);
  };
  init_metrics();
  if (clustered) {
    cluster = std::make_unique<ClusterNode>(options.cluster_position, options.cluster_peer_timeout,
                                            dispatcher, deliverer, publisher);
  }
  // An acknowledgement made here goes to the reporter's record, and to the peers. One
  // merged from a peer was published by the replica it was made at.
  dispatcher.set_on_local_ack([&](const v1::Acknowledgement& ack) {
    publisher.Publish(bus::kTopicAcknowledgements, ack);
    if (cluster) cluster->PublishAck(ack);
  });
  // Hands a due notification to delivery; with peers, through the cluster gate first.
  auto submit = [&](Notification n) {
    if (cluster) return cluster->Submit(std::move(n), clock.NowMs());
    deliverer.Submit(std::move(n));
  };
  if (!owed->empty())
    spdlog::info("re-sending {} notification(s) owed from the last run", owed->size());
  for (Notification& n : *owed) submit(std::move(n));
  // The notifications of a Tick, once their outbox rows (queued by Tick) are durable: a
  // notification is never attempted before a crash would leave it owed. The loop does not
  // wait; the writer hands them over after its commit (to the deliverer, which is
  // thread-safe, or through the loop to the cluster gate, which is the loop's).
  auto submit_when_stored = [&](std::vector<Notification> due) {
    if (due.empty()) return;
    if (!writer) {
      for (Notification& n : due) submit(std::move(n));
      return;
    }
    auto batch = std::make_shared<std::vector<Notification>>(std::move(due));
    writer->WhenDurable(writer->last(), [&rt, &deliverer, &cluster, &clock, batch] {
      if (!cluster) {
        for (Notification& n : *batch) deliverer.Submit(std::move(n));
        return;
      }
      rt.tasks().Post([&cluster, &clock, batch] {
        for (Notification& n : *batch) cluster->Submit(std::move(n), clock.NowMs());
      });
    });
  };

  auto ingest = [&](const v1::AlertBatch& batch, TimestampMs now) {
    Dispatcher::IngestResult r = dispatcher.OnAlerts(batch, now);
    received.Increment(r.accepted);
    if (r.invalid > 0) {
      invalid.Increment(r.invalid);
      spdlog::debug("dropped {} invalid alert events: {}", r.invalid, r.first_error);
    }
    return r;
  };

  // Alerts recovered from the store may have passed their stored end only because nobody
  // could refresh them while the notifier was down: no group is flushed until the
  // evaluator's first resync has answered (or failed), so that such an alert, still
  // firing, is not notified as resolved and then as firing again.
  // An evaluator that starts with the notifier (compose, a pod) may refuse the first
  // attempts: failed resyncs are retried every second for kResyncGraceMs before the
  // groups are flushed without its word.
  bool awaiting_resync = !options.evaluator_grpc_address.empty();
  const TimestampMs resync_grace_until = clock.NowMs() + kResyncGraceMs;
  TimestampMs resync_retry_at = 0;  // 0: none scheduled

  rt.SetHooks({
      .reload = [&]() -> absl::Status {
        auto cfg = LoadConfig(flags.config_file);
        if (!cfg.ok()) return cfg.status();
        dispatcher.ApplyConfig(std::make_shared<const Config>(std::move(*cfg)), clock.NowMs());
        init_metrics();
        return absl::OkStatus();
      },
      .status =
          [&](v1::ServiceStatus* s) {
            auto& stats = *s->mutable_stats();
            stats["alerts_active"] = static_cast<double>(dispatcher.ActiveAlerts(clock.NowMs()));
            stats["groups"] = static_cast<double>(dispatcher.Groups());
            stats["notifications_sent"] = static_cast<double>(dispatcher.notifications_sent());
            stats["notifications_failed"] = static_cast<double>(dispatcher.notifications_failed());
            stats["group_flushes"] = static_cast<double>(dispatcher.group_flushes());
            stats["queue_length"] = static_cast<double>(deliverer.QueueLength());
            stats["awaiting_resync"] = awaiting_resync ? 1 : 0;
            if (cluster) cluster->AddStats(&stats, clock.NowMs());
            for (const std::string& p : dispatcher.Problems()) s->add_problems(p);
          },
  });

  NotifierServiceImpl notifier_service(rt, dispatcher, writer.get());
  rt.AddGrpcService(&notifier_service);

  // Alertmanager's API: alerts POSTed here are parsed on the HTTP thread, straight into
  // alerts, and join those from the bus in the dispatcher.
  rt.http().Post("/api/v2/alerts", [&](const httplib::Request& req, httplib::Response& res) {
    auto posted = ParsePostableAlerts(req.body, clock.NowMs());
    if (!posted.ok()) {
      invalid.Increment();
      auto [status, body] = PostableAlertsRefusal(posted.status());
      res.status = status;
      res.set_content(std::move(body), "application/json");
      return;
    }
    // As Alertmanager: the valid alerts are taken, then the invalid ones answered 400 with
    // its errors as a JSON string.
    auto refuse_invalid = [&res, &invalid, &posted] {
      if (posted->invalid.empty()) return false;
      invalid.Increment();
      res.status = 400;
      res.set_content(StrCat(ErrorJson(posted->invalid), "\n"), "application/json");
      return true;
    };
    if (posted->alerts.empty()) {
      refuse_invalid();
      return;
    }
    auto done = CallWriting(
        rt.tasks(), writer.get(),
        [&dispatcher, &received, &clock, a = std::move(posted->alerts)]() mutable {
          received.Increment(dispatcher.OnPostedAlerts(std::move(a), clock.NowMs()).accepted);
          return true;
        },
        10s);
    if (!done) {
      res.status = 503;
      res.set_content("notifier loop busy\n", "text/plain");
      return;
    }
    // Accepted means stored (when anything changed: a re-sent alert queues no write).
    if (absl::Status stored = WaitStored(writer.get(), done->second); !stored.ok()) {
      res.status = absl::IsDeadlineExceeded(stored) ? 503 : 500;
      res.set_content(ErrorJson(StrCat("not stored: ", stored.message())), "application/json");
      return;
    }
    refuse_invalid();
  });

  // The rest of Alertmanager's API v2, enough for amtool: answered from the loop thread.
  const TimestampMs started_ms = clock.NowMs();
  auto reply = [](httplib::Response& res, const std::optional<std::pair<int, std::string>>& r) {
    if (!r) {
      res.status = 503;
      res.set_content(ErrorJson("notifier loop busy"), "application/json");
      return;
    }
    res.status = r->first;
    // go-openapi's producer (json.Encoder) ends each body with a newline; an empty one stays.
    res.set_content(r->second.empty() ? r->second : StrCat(r->second, "\n"), "application/json");
  };
  using Answer = std::pair<int, std::string>;
  // A silence change (`prepare` on the loop, see MakeChange), answered with `ok`'s body.
  // `not_found` is the status of an unknown id (Alertmanager: 404 to a POST, 500 to a
  // DELETE, both with the body "silence not found"), `refused` that of a change refused for
  // another reason than a bad request.
  using PrepareSilence = std::function<absl::StatusOr<Silence>()>;
  auto change_silence = [&](httplib::Response& res, PrepareSilence prepare, int not_found,
                            int refused, const std::function<std::string(const Silence&)>& ok) {
    auto s = MakeChange(rt.tasks(), writer.get(), std::move(prepare));
    if (absl::IsNotFound(s.status())) {
      return reply(res, Answer{not_found, ErrorJson("silence not found")});
    }
    if (!s.ok()) {
      return reply(res, Answer{HttpStatus(s.status(), refused),
                               ErrorJson(std::string(s.status().message()))});
    }
    LogSilenceChange(*s);
    reply(res, Answer{200, ok(*s)});
  };
  auto params = [](const httplib::Request& req) {
    std::vector<std::pair<std::string, std::string>> out(req.params.begin(), req.params.end());
    return out;
  };

  rt.http().Get("/api/v2/alerts", [&](const httplib::Request& req, httplib::Response& res) {
    auto filter = ParseAlertFilter(params(req));
    if (!filter.ok())
      return reply(res, Answer{400, ErrorJson(std::string(filter.status().message()))});
    reply(res, rt.tasks().Call(
                   [&dispatcher, &clock, filter = std::move(*filter)] {
                     std::vector<RoutedAlert> kept;
                     for (RoutedAlert& a : dispatcher.ListAlerts(clock.NowMs())) {
                       if (filter.Keep(a)) kept.push_back(std::move(a));
                     }
                     return Answer{200, GettableAlertsJson(kept)};
                   },
                   10s));
  });

  rt.http().Get("/api/v2/alerts/groups", [&](const httplib::Request& req, httplib::Response& res) {
    auto filter = ParseAlertFilter(params(req));
    if (!filter.ok())
      return reply(res, Answer{400, ErrorJson(std::string(filter.status().message()))});
    reply(res, rt.tasks().Call(
                   [&dispatcher, &clock, filter = std::move(*filter)] {
                     std::vector<AlertGroupView> groups;
                     for (AlertGroupView& g : dispatcher.ListGroups(clock.NowMs())) {
                       std::vector<RoutedAlert> kept;
                       for (RoutedAlert& a : g.alerts) {
                         if (filter.Keep(a)) kept.push_back(std::move(a));
                       }
                       if (kept.empty()) continue;
                       g.alerts = std::move(kept);
                       groups.push_back(std::move(g));
                     }
                     return Answer{200, AlertGroupsJson(groups)};
                   },
                   10s));
  });

  rt.http().Get("/api/v2/silences", [&](const httplib::Request& req, httplib::Response& res) {
    std::vector<labels::Matcher> filter;
    for (const auto& [name, value] : req.params) {
      if (name != "filter") continue;
      auto m = ParseMatcher(value);
      if (!m.ok()) return reply(res, Answer{400, ErrorJson(std::string(m.status().message()))});
      filter.push_back(std::move(*m));
    }
    reply(res, rt.tasks().Call(
                   [&dispatcher, &clock, filter = std::move(filter)] {
                     std::vector<Silence> out;
                     for (Silence& s : dispatcher.silences().List()) {
                       // Alertmanager: the filter matches the silence's own name=value pairs.
                       std::vector<labels::Label> pairs;
                       for (const labels::Matcher& m : s.matchers) {
                         pairs.push_back({m.name(), m.value()});
                       }
                       if (labels::MatchesAll(filter, labels::Labels(std::move(pairs)))) {
                         out.push_back(std::move(s));
                       }
                     }
                     const TimestampMs now = clock.NowMs();
                     SortSilences(&out, now);
                     return Answer{200, GettableSilencesJson(out, now)};
                   },
                   10s));
  });

  rt.http().Post("/api/v2/silences", [&](const httplib::Request& req, httplib::Response& res) {
    auto silence = ParseSilenceJson(req.body);
    if (!silence.ok()) {
      invalid.Increment();
      return reply(res, Answer{400, ErrorJson(std::string(silence.status().message()))});
    }
    change_silence(
        res,
        [&dispatcher, &clock, silence = std::move(*silence)]() mutable {
          return dispatcher.SetSilence(std::move(silence), clock.NowMs());
        },
        404, 400,
        [](const Silence& s) {
          return DumpGoJson(nlohmann::ordered_json{{"silenceID", s.id}}, /*escape_html=*/false);
        });
  });

  // go-openapi refuses a silenceID that is not a UUID before Alertmanager's handler runs.
  auto bad_silence_id = [](const std::string& id, httplib::Response& res) {
    std::string error = SilenceIdParamError(id);
    if (error.empty()) return false;
    res.status = 422;
    res.set_content(std::move(error), "application/json");
    return true;
  };

  rt.http().Get(R"(/api/v2/silence/([^/]+))",
                [&](const httplib::Request& req, httplib::Response& res) {
                  const std::string id = req.matches[1];
                  if (bad_silence_id(id, res)) return;
                  reply(res, rt.tasks().Call(
                                 [&dispatcher, &clock, id] {
                                   const Silence* s = dispatcher.silences().Get(id);
                                   if (s == nullptr) return Answer{404, ""};  // as Alertmanager
                                   return Answer{200, GettableSilenceJson(*s, clock.NowMs())};
                                 },
                                 10s));
                });

  rt.http().Delete(
      R"(/api/v2/silence/([^/]+))", [&](const httplib::Request& req, httplib::Response& res) {
        const std::string id = req.matches[1];
        if (bad_silence_id(id, res)) return;
        // Alertmanager 0.25 answers 200 to expiring an expired silence, changing nothing.
        change_silence(
            res,
            [&dispatcher, &clock, id]() -> absl::StatusOr<Silence> {
              auto expired = dispatcher.ExpireSilence(id, clock.NowMs());
              if (absl::IsFailedPrecondition(expired.status())) {
                return *dispatcher.silences().Get(id);
              }
              return expired;
            },
            500, 500, [](const Silence&) { return std::string(); });
      });

  rt.http().Get("/api/v2/status", [&](const httplib::Request&, httplib::Response& res) {
    reply(res, rt.tasks().Call(
                   [&] {
                     return Answer{200, StatusJson(dispatcher.config().original, started_ms)};
                   },
                   10s));
  });

  rt.http().Get("/api/v2/receivers", [&](const httplib::Request&, httplib::Response& res) {
    reply(res, rt.tasks().Call(
                   [&] {
                     std::vector<std::string> names;
                     for (const Receiver& r : dispatcher.config().receivers)
                       names.push_back(r.name);
                     return Answer{200, ReceiversJson(names)};
                   },
                   10s));
  });

  auto external_url = service::ExternalUrl(flags.web_external_url, flags.web_listen_address);
  if (!external_url.ok()) {
    return Fail(StrCat("--web.external-url: ", external_url.status().message()));
  }
  dispatcher.set_external_url(*std::move(external_url));
  if (auto s = rt.Start(); !s.ok()) return Fail(std::string(s.message()));

  auto bound = publisher.Bind(flags.bus_publish_address);
  if (!bound.ok()) {
    rt.Shutdown();
    return Fail(std::string(bound.status().message()));
  }
  rt.AddEndpoint("bus", *bound);

  bus::Subscriber subscriber(ctx, rt.registry());
  for (const std::string& endpoint : flags.bus_connect) subscriber.Connect(endpoint);
  subscriber.Subscribe(std::string(bus::kTopicAlerts));
  if (cluster) {
    for (const std::string& peer : options.cluster_peers) subscriber.Connect(peer);
    subscriber.Subscribe(std::string(bus::kTopicNotificationLog));
    // Only from here can it hear its peers (and they it): the wait for them starts now, not
    // when the node was made, before the servers started (a slow start must not use it up).
    cluster->Start(clock.NowMs());
  }

  // Resync from the evaluator: the answer goes through `ingest`, like a bus batch.
  prometheus::Family<prometheus::Counter>& resyncs =
      prometheus::BuildCounter()
          .Name("vigil_notifier_resyncs_total")
          .Help("Resyncs of the active alerts from the evaluator, by result.")
          .Register(rt.registry());
  prometheus::Counter& resync_ok = resyncs.Add({{"result", "ok"}});
  prometheus::Counter& resync_failed = resyncs.Add({{"result", "failed"}});
  std::unique_ptr<EvaluatorResync> resync;
  if (!options.evaluator_grpc_address.empty()) {
    resync = std::make_unique<EvaluatorResync>(
        options.evaluator_grpc_address, std::chrono::seconds(5),
        [&](absl::StatusOr<v1::AlertBatch> batch) {
          if (!batch.ok()) {
            resync_failed.Increment();
            spdlog::info("{}", std::string(batch.status().message()));
            rt.tasks().Post([&] {
              const TimestampMs now = clock.NowMs();
              if (awaiting_resync && now < resync_grace_until) {
                resync_retry_at = now + 1000;
              } else {
                awaiting_resync = false;
              }
            });
            return;
          }
          rt.tasks().Post([&, batch = std::move(*batch)] {
            resync_ok.Increment();
            auto r = ingest(batch, clock.NowMs());
            awaiting_resync = false;
            spdlog::info("resynced {} alert(s) from the evaluator at {}", r.accepted,
                         options.evaluator_grpc_address);
          });
        });
    resync->Request();
  }

  rt.SetReady(true);
  spdlog::info("notifier ready: bus={} subscribed to {} publisher(s)", *bound,
               flags.bus_connect.size());
  if (cluster) {
    spdlog::info("HA: position {} of a cluster with {} peer(s), peer timeout {}",
                 options.cluster_position, options.cluster_peers.size(),
                 absl::FormatDuration(options.cluster_peer_timeout));
  }

  // The loop waits on the bus socket's ZMQ_FD with poll(2), not with zmq_poll: zmq_poll
  // asks the socket for its events (a getpid and a poll each) before and after every wait,
  // and the loop wakes about once per delivery result. ZMQ_FD signals that the socket has
  // commands to process, not that a message waits: after it signals, Receive() runs until
  // the socket has nothing left, and only then may the loop wait on the descriptor again.
  const int bus_fd = subscriber.socket().get(zmq::sockopt::fd);
  bool bus_drained = false;  // Connect and Subscribe above may have taken its signal
  while (!rt.stopping()) {
    const TimestampMs now = clock.NowMs();
    if (resync_retry_at != 0 && now >= resync_retry_at) {
      resync_retry_at = 0;
      resync->Request();
    }
    if (cluster) cluster->Heartbeat(now);
    // While awaiting the resync, its answer (a task) is what wakes the loop.
    TimestampMs next = awaiting_resync ? Dispatcher::kNever : dispatcher.NextDeadline();
    if (cluster) next = std::min(next, cluster->NextDeadline(now));
    const int64_t wait_ms =
        std::clamp<int64_t>(next == Dispatcher::kNever ? 1000 : next - now, 0, 1000);
    pollfd fds[] = {{bus_fd, POLLIN, 0}, {rt.tasks().fd(), POLLIN, 0}};
    ::poll(fds, 2, bus_drained ? static_cast<int>(wait_ms) : 0);
    rt.tasks().RunAll();
    if (fds[0].revents != 0) bus_drained = false;
    while (!bus_drained) {
      std::optional<bus::Message> m = subscriber.Receive();
      if (!m) {
        bus_drained = true;
        continue;
      }
      if (m->topic == bus::kTopicNotificationLog) {
        if (cluster && !cluster->OnPeerMessage(*m, clock.NowMs())) invalid.Increment();
        continue;
      }
      if (resync && m->topic == bus::kTopicAlerts && (m->gap_before || m->publisher_restarted)) {
        spdlog::info("alert events lost on the bus (gap or publisher restart): resyncing");
        resync->Request();
      }
      v1::AlertBatch batch;
      if (m->topic != bus::kTopicAlerts || !m->ParseAs(&batch)) {
        invalid.Increment();
        continue;
      }
      ingest(batch, clock.NowMs());
    }
    if (!awaiting_resync) submit_when_stored(dispatcher.Tick(clock.NowMs()));
    if (cluster) cluster->Release(clock.NowMs());
  }
  resync.reset();  // joins its thread before the runtime's task queue goes away
  rt.Shutdown();
  // Commits what is queued; its last hand-overs reach the deliverer, which is still alive.
  writer.reset();
  return 0;
}

}  // namespace vigil::notifier
