#include "services/notifier/dispatcher.h"

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <optional>
#include <span>

#include "absl/strings/numbers.h"
#include "lib/base/format.h"
#include "services/notifier/payload.h"

namespace vigil::notifier {

namespace {

// Resolved alerts are kept this long for status and re-routing on reload.
constexpr TimestampMs kResolvedRetentionMs = 15 * 60 * 1000;
constexpr TimestampMs kGcIntervalMs = 60 * 1000;

}  // namespace

Dispatcher::Dispatcher(std::shared_ptr<const Config> config, std::string external_url,
                       StoreWriter* store)
    : config_(std::move(config)), external_url_(std::move(external_url)), store_(store) {}

void Dispatcher::Persist(StoreWriter::Op op) {
  if (store_ != nullptr) store_->Write(std::move(op));
}

void Dispatcher::PersistAlert(const Alert& a) {
  if (store_ == nullptr) return;
  // Assumed stored from now on, so that re-sent copies queue nothing; a failure undoes it.
  stored_ends_at_[a.fingerprint] = a.ends_at_ms;
  row_writes_[a.fingerprint] =
      store_->Write([a](Store& s) { return s.PutAlert(a); },
                    [failed = failed_rows_, fp = a.fingerprint](const absl::Status& s) {
                      if (s.ok()) return;
                      absl::MutexLock lock(&failed->mu);
                      failed->fingerprints.push_back(fp);
                    });
}

void Dispatcher::FollowRowWrite(const Alert& a) {
  auto it = row_writes_.find(a.fingerprint);
  if (it == row_writes_.end()) return;
  if (store_->Reach(it->second)) return;  // pending: the request is told how it goes
  row_writes_.erase(it);
  // Done already, and its failure (if any) reported before it was: rewrite a failed row.
  ForgetUnstoredAlerts();
  if (stored_ends_at_[a.fingerprint] == kRowUnstored) PersistAlert(a);
}

void Dispatcher::ForgetUnstoredAlerts() {
  std::vector<uint64_t> failed;
  {
    absl::MutexLock lock(&failed_rows_->mu);
    failed.swap(failed_rows_->fingerprints);
  }
  // A later write of the same alert may have succeeded meanwhile: one write too many.
  for (uint64_t fp : failed) {
    auto it = stored_ends_at_.find(fp);
    if (it != stored_ends_at_.end()) it->second = kRowUnstored;
  }
}

absl::StatusOr<std::vector<Notification>> Dispatcher::Recover(TimestampMs now) {
  std::vector<Notification> owed;
  if (store_ == nullptr) return owed;
  std::vector<Alert> alerts;
  std::map<std::string, LogEntry> log;
  std::vector<Store::OutboxRow> outbox;
  std::vector<std::string> silences;
  std::vector<v1::Acknowledgement> acks;
  absl::Status read = store_->Read([&](Store& s) -> absl::Status {
    auto a = s.LoadAlerts();
    if (!a.ok()) return a.status();
    auto l = s.LoadLog();
    if (!l.ok()) return l.status();
    auto o = s.LoadOutbox();
    if (!o.ok()) return o.status();
    auto si = s.LoadSilences();
    if (!si.ok()) return si.status();
    auto ac = s.LoadAcks();
    if (!ac.ok()) return ac.status();
    alerts = std::move(*a);
    log = std::move(*l);
    outbox = std::move(*o);
    silences = std::move(*si);
    acks = std::move(*ac);
    return absl::OkStatus();
  });
  if (!read.ok()) return read;
  for (const std::string& json : silences) {
    auto sil = ParseSilenceJson(json);
    if (sil.ok() && !sil->id.empty()) silences_.Restore(std::move(*sil));
  }
  for (v1::Acknowledgement& ack : acks) {
    next_ack_id_ = std::max(next_ack_id_, ack.id() + 1);
    HoldAck(std::move(ack));
  }
  for (Alert& a : alerts) {
    stored_ends_at_[a.fingerprint] = a.ends_at_ms;
    alerts_[a.fingerprint] = std::move(a);
  }
  for (const auto& [key, entry] : log) {
    delivered_.Set(key, entry);
    nflog_.Set(key, entry);
    uint64_t& seq = SequenceOf(key);
    seq = std::max(seq, entry.sequence);
  }
  for (Store::OutboxRow& row : outbox) {
    Notification& n = row.notification;
    const std::string key = n.StreamKey();
    nflog_.Set(key, row.entry);
    uint64_t& seq = SequenceOf(key);
    seq = std::max(seq, n.sequence);
    n.id = next_id_++;
    // The outbox keeps no secrets: the http_config comes from the current configuration.
    if (const Receiver* r = config_->FindReceiver(n.receiver)) {
      for (const Integration& i : r->Integrations()) {
        if (i.Name() == n.integration.Name()) n.integration.http = i.http;
      }
    }
    in_flight_[n.id] = InFlight{key, row.entry};
    Record(n);
    owed.push_back(std::move(n));
  }
  for (const auto& [fp, alert] : alerts_) RouteAlert(alert, now);
  return owed;
}

Dispatcher::IngestResult Dispatcher::OnAlerts(const v1::AlertBatch& batch, TimestampMs now) {
  ForgetUnstoredAlerts();
  IngestResult result;
  for (const v1::AlertEvent& event : batch.alerts()) {
    auto alert = AlertFromEvent(event, now, config_->resolve_timeout);
    if (!alert.ok()) {
      if (absl::IsFailedPrecondition(alert.status())) {
        ++result.ignored;
      } else {
        ++result.invalid;
        if (result.first_error.empty()) result.first_error = std::string(alert.status().message());
      }
      continue;
    }
    ++result.accepted;
    Ingest(std::move(*alert), now);
  }
  return result;
}

Dispatcher::IngestResult Dispatcher::OnPostedAlerts(std::vector<Alert> alerts, TimestampMs now) {
  ForgetUnstoredAlerts();
  IngestResult result;
  for (Alert& a : alerts) {
    // No endsAt: firing until resolve_timeout after receipt, as Alertmanager.
    if (a.ends_at_ms == 0) {
      a.ends_at_ms = now + absl::ToInt64Milliseconds(config_->resolve_timeout);
      a.timeout = true;
    }
    ++result.accepted;
    Ingest(std::move(a), now);
  }
  return result;
}

void Dispatcher::Ingest(Alert alert, TimestampMs now) {
  auto [it, inserted] = alerts_.try_emplace(alert.fingerprint);
  Alert& held = it->second;
  bool changed = inserted;
  if (inserted) {
    held = std::move(alert);
  } else {
    if (alert.updated_at_ms < held.updated_at_ms) return;  // stale event
    // `alert` becomes what MergeAlertInto(&held, alert) would make of `held`.
    alert.starts_at_ms = MergedStart(held, alert, now);
    // Re-sent and unchanged (the common case): the row is left as it is.
    changed = store_ != nullptr && AlertRowStale(held, stored_ends_at_[it->first], alert, now);
    held = std::move(alert);
    if (!changed && store_ != nullptr) FollowRowWrite(held);
  }
  if (changed) PersistAlert(held);
  RouteAlert(held, now);
}

void Dispatcher::RouteAlert(const Alert& alert, TimestampMs now) {
  auto [targets, fresh] = routes_.try_emplace(alert.fingerprint);
  if (fresh) {
    for (const Route* route : config_->route->Match(alert.labels)) {
      targets->second.push_back(
          {route, route->id() + '\x1f' + route->GroupLabels(alert.labels).ToString()});
    }
  }
  for (RouteTarget& target : targets->second) {
    const std::string& id = target.group_id;
    bool created = false;
    if (target.group_epoch != groups_epoch_) {
      auto it = groups_.find(id);
      if (it == groups_.end()) {
        auto group = std::make_unique<AggregationGroup>(
            id, *target.route, target.route->GroupLabels(alert.labels), now);
        const std::string_view key = group->id();
        it = groups_.emplace(key, std::move(group)).first;
        created = true;
      }
      target.group = it->second.get();
      target.group_epoch = groups_epoch_;
    }
    AggregationGroup& group = *target.group;
    const TimestampMs before = group.next_flush_ms();
    group.Insert(alert, now);
    // An insert may only bring the first flush forward.
    if (created || group.next_flush_ms() != before) timers_.Schedule(&group, group.next_flush_ms());
  }
}

std::vector<Notification> Dispatcher::Tick(TimestampMs now) {
  std::vector<Notification> out;
  std::optional<Inhibitor> inhibitor;  // built when the first group is due
  // Only the due groups are visited; only a flush can leave a group empty.
  for (AggregationGroup* due : timers_.PopDue(now)) {
    AggregationGroup& group = *due;
    if (!inhibitor) inhibitor.emplace(config_->inhibit_rules, alerts_, now);
    Flush(group, *inhibitor, now, &out);
    if (group.empty()) {
      auto it = groups_.find(group.id());
      if (it == groups_.end()) std::abort();  // a scheduled group must be held
      groups_.erase(it);  // `group` is gone from here on
      ++groups_epoch_;
    } else {
      timers_.Schedule(due, group.next_flush_ms());
    }
  }
  if (now - last_gc_ms_ >= kGcIntervalMs) {
    last_gc_ms_ = now;
    nflog_.GC(now);
    delivered_.GC(now);
    const TimestampMs cutoff = now - kRetentionMs;
    silences_.GC(cutoff);
    // One pass (acks are held in time order, so this could stop at the first recent one;
    // there are few).
    std::erase_if(acks_, [&](const v1::Acknowledgement& ack) {
      if (ack.at_ms() >= cutoff) return false;
      ack_keys_.erase(AckKey(ack));
      return true;
    });
    Persist([cutoff](Store& s) {
      absl::Status st = s.DeleteLogBefore(cutoff);
      st.Update(s.DeleteSilencesEndedBefore(cutoff));
      st.Update(s.DeleteAcksBefore(cutoff));
      return st;
    });
    for (auto it = alerts_.begin(); it != alerts_.end();) {
      const Alert& a = it->second;
      if (a.Resolved(now) && a.ends_at_ms + kResolvedRetentionMs < now) {
        Persist([fp = a.fingerprint](Store& s) { return s.DeleteAlert(fp); });
        stored_ends_at_.erase(a.fingerprint);
        row_writes_.erase(a.fingerprint);
        routes_.erase(a.fingerprint);
        alerts_.erase(it++);
      } else {
        ++it;
      }
    }
  }
  return out;
}

Dispatcher::StreamHash Dispatcher::HashStream(std::string_view stream_key) {
  return {absl::HashOf(stream_key), std::hash<std::string_view>()(stream_key)};
}

void Dispatcher::Flush(AggregationGroup& group, const Inhibitor& inhibitor, TimestampMs now,
                       std::vector<Notification>* out) {
  std::vector<Alert> flushed = group.Flush(now);
  ++flushes_;
  // Alertmanager's stages in order: inhibit, then silence (time intervals come later);
  // muted alerts are left out. With nothing left the pipeline stops here, the
  // notification log untouched.
  // Views of the flushed alerts; a copy only of what is left when some are muted.
  auto muted = [&](const Alert& a) {
    return !inhibitor.InhibitedBy(a).empty() || !silences_.Mutes(a.labels, now).empty();
  };
  std::vector<Alert> unmuted;
  std::span<const Alert> alerts = flushed;
  if (std::any_of(flushed.begin(), flushed.end(), muted)) {
    for (const Alert& a : flushed) {
      if (!muted(a)) unmuted.push_back(a);
    }
    alerts = unmuted;
  }
  // Then the route's time intervals: muted inside a mute interval, and outside all of its
  // active intervals when it has any.
  const RouteOptions& route_opts = group.route().options();
  const TimeIntervals& intervals = config_->time_intervals;
  auto inside = [&](const std::string& name) { return InTimeInterval(intervals, name, now); };
  if (std::any_of(route_opts.mute_time_intervals.begin(), route_opts.mute_time_intervals.end(),
                  inside) ||
      (!route_opts.active_time_intervals.empty() &&
       std::none_of(route_opts.active_time_intervals.begin(),
                    route_opts.active_time_intervals.end(), inside))) {
    alerts = {};
  }
  if (alerts.empty()) {
    group.DeleteResolved(flushed, now);
    return;
  }
  const RouteOptions& opts = group.route().options();
  const Receiver* receiver = config_->FindReceiver(opts.receiver);
  FingerprintSet firing, resolved;
  for (const Alert& a : alerts) (a.Resolved(now) ? resolved : firing).insert(a.fingerprint);
  std::vector<uint64_t> handed;  // this flush's notifications

  for (const Integration& integration : receiver->Integrations()) {
    const std::string log_key =
        NotificationLog::Key(group.key(), receiver->name, integration.Name());
    if (!NeedsUpdate(nflog_.Get(log_key), firing, resolved, integration.send_resolved,
                     opts.repeat_interval, now)) {
      continue;
    }
    const uint64_t sequence = ++SequenceOf(log_key);
    LogEntry entry{firing, resolved, now, sequence};
    nflog_.Set(log_key, entry);
    std::vector<Alert> unresolved;
    std::span<const Alert> sent = alerts;
    if (!integration.send_resolved && !resolved.empty()) {
      for (const Alert& a : alerts) {
        if (!a.Resolved(now)) unresolved.push_back(a);
      }
      sent = unresolved;
    }
    if (sent.empty()) {
      // Nothing to tell this integration (resolved alerts without send_resolved): like
      // Alertmanager, log it as notified so the firing set is cleared.
      delivered_.Set(log_key, entry);
      Persist([log_key, entry](Store& s) { return s.PutLog(log_key, entry); });
      continue;
    }

    Notification n;
    n.id = next_id_++;
    n.receiver = receiver->name;
    n.integration = integration;
    n.group_key = group.key();
    n.sequence = sequence;
    n.status = GroupStatus(sent, now);
    for (const Alert& a : sent) n.fingerprints.push_back(a.FingerprintHex());
    n.body = WebhookMessage({.receiver = receiver->name,
                             .group_key = group.key(),
                             .group_labels = &group.group_labels(),
                             .alerts = sent,
                             .external_url = external_url_,
                             .max_alerts = integration.max_alerts,
                             .now = now});
    n.created_ms = now;
    // Owed from now on: written before delivery starts (the caller waits for this write),
    // deleted once it is done.
    if (store_ != nullptr) {
      store_->Write([row = n, entry](Store& s) { return s.PutOutbox(row, entry); });
    }
    in_flight_[n.id] = InFlight{log_key, std::move(entry)};
    handed.push_back(n.id);
    Record(n);
    out->push_back(std::move(n));
  }
  std::vector<Alert> resolved_flushed;
  for (const Alert& a : flushed) {
    if (a.Resolved(now)) resolved_flushed.push_back(a);
  }
  if (handed.empty() || resolved_flushed.empty()) {
    group.DeleteResolved(flushed, now);
    return;
  }
  // Deleted once delivered (SettleFlush), not now.
  const uint64_t flush = next_flush_++;
  for (uint64_t id : handed) in_flight_[id].flush = flush;
  pending_flushes_[flush] = PendingFlush{.group_id = group.id(),
                                         .resolved = std::move(resolved_flushed),
                                         .at = now,
                                         .outstanding = static_cast<int>(handed.size())};
}

void Dispatcher::SettleFlush(uint64_t flush, bool delivered) {
  auto it = pending_flushes_.find(flush);
  if (it == pending_flushes_.end()) return;
  PendingFlush& f = it->second;
  if (!delivered) f.keep = true;
  if (--f.outstanding > 0) return;
  if (!f.keep) {
    // The group may be gone (a new configuration); then so are its alerts.
    if (auto g = groups_.find(f.group_id); g != groups_.end()) {
      g->second->DeleteResolved(f.resolved, f.at);
    }
  }
  pending_flushes_.erase(it);
}

void Dispatcher::Record(const Notification& n) {
  v1::Notification record;
  record.set_receiver(n.receiver);
  record.set_group_key(n.group_key);
  record.set_status(n.status);
  for (const std::string& fp : n.fingerprints) record.add_fingerprints(fp);
  record.set_sent_at_ms(n.created_ms);
  history_.emplace_back(n.id, std::move(record));
  while (history_.size() > kHistorySize) history_.pop_front();
}

TimestampMs Dispatcher::NextDeadline() const { return timers_.Next(kNever); }

v1::Notification* Dispatcher::FindHistory(uint64_t id) {
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (it->first == id) return &it->second;
  }
  return nullptr;
}

void Dispatcher::OnDeliveryResult(const DeliveryResult& result) {
  if (result.final) {
    auto it = in_flight_.find(result.id);
    if (it != in_flight_.end()) {
      InFlight done = std::move(it->second);
      in_flight_.erase(it);
      if (done.flush != 0) SettleFlush(done.flush, result.delivered);
      // What the store learns: the log's new entry, if any, and that the notification is
      // no longer owed (a superseded one's row was already replaced by the newer one's).
      // One write, so that both or neither are stored.
      std::optional<LogEntry> log;
      if (result.delivered) {
        const LogEntry* prev = delivered_.Get(done.stream_key);
        if (prev == nullptr || prev->sequence < done.entry.sequence) {
          delivered_.Set(done.stream_key, done.entry);
          log = done.entry;
        }
      } else if (!result.superseded) {
        // Failed for good: back to what was delivered, so the next flush tries again.
        // The log keeps the sequence, so that attempt's idempotency key is not reused.
        LogEntry back;
        if (const LogEntry* d = delivered_.Get(done.stream_key)) {
          back = *d;
        } else {
          back.timestamp_ms = done.entry.timestamp_ms;
        }
        back.sequence = std::max(back.sequence, done.entry.sequence);
        delivered_.Set(done.stream_key, back);
        log = back;
        const LogEntry* handed = nflog_.Get(done.stream_key);
        if (handed != nullptr && handed->sequence == done.entry.sequence) {
          nflog_.Set(done.stream_key, back);
        }
      }
      const bool owed = !result.superseded;
      if (log.has_value() || owed) {
        Persist([key = std::move(done.stream_key), log = std::move(log),
                 seq = done.entry.sequence, owed](Store& s) {
          if (log.has_value()) {
            if (absl::Status st = s.PutLog(key, *log); !st.ok()) return st;
          }
          return owed ? s.DeleteOutbox(key, seq) : absl::OkStatus();
        });
      }
    }
  }
  v1::Notification* record = FindHistory(result.id);
  if (record == nullptr) return;  // fell out of the history
  record->set_attempts(result.attempts);
  record->set_delivered(result.delivered);
  if (!result.error.empty()) record->set_last_error(result.error);
  if (result.superseded) record->set_last_error("superseded by a newer notification");
  // The integration is named in the problem; the history entry itself has no field for it.
  const std::string who = StrCat("receiver \"", record->receiver(), "\"");
  if (result.delivered) {
    failing_.erase(who);
  } else if (!result.superseded && !result.error.empty()) {
    failing_[who] = result.error;
  }
  if (!result.final) return;
  if (result.delivered) {
    ++sent_;
  } else if (!result.superseded) {
    ++failed_;
  }
}

const LogEntry* Dispatcher::InFlightEntry(uint64_t id) const {
  auto it = in_flight_.find(id);
  return it == in_flight_.end() ? nullptr : &it->second.entry;
}

void Dispatcher::OnPeerLog(const std::string& stream_key, const LogEntry& entry, bool delivered) {
  uint64_t& seq = SequenceOf(stream_key);
  seq = std::max(seq, entry.sequence);
  if (!delivered) return;
  const LogEntry* prev = delivered_.Get(stream_key);
  if (prev == nullptr || prev->sequence < entry.sequence) {
    delivered_.Set(stream_key, entry);
    Persist([stream_key, entry](Store& s) { return s.PutLog(stream_key, entry); });
  }
  const LogEntry* handed = nflog_.Get(stream_key);
  if (handed == nullptr || handed->sequence <= entry.sequence) nflog_.Set(stream_key, entry);
  for (auto it = in_flight_.begin(); it != in_flight_.end();) {
    const InFlight& f = it->second;
    if (f.stream_key != stream_key || f.entry.sequence > entry.sequence) {
      ++it;
      continue;
    }
    Persist(
        [stream_key, seq = f.entry.sequence](Store& s) { return s.DeleteOutbox(stream_key, seq); });
    if (v1::Notification* record = FindHistory(it->first)) {
      record->set_last_error("delivered by a peer replica");
    }
    if (f.flush != 0) SettleFlush(f.flush, true);
    in_flight_.erase(it++);
  }
}

void Dispatcher::ApplyConfig(std::shared_ptr<const Config> config, TimestampMs now) {
  config_ = std::move(config);
  groups_.clear();
  ++groups_epoch_;
  timers_.Clear();
  routes_.clear();
  failing_.clear();
  // Resolved alerts too: their resolution may not have been notified yet; the log keeps
  // those already notified from being sent again.
  for (const auto& [fp, alert] : alerts_) RouteAlert(alert, now);
}

size_t Dispatcher::ActiveAlerts(TimestampMs now) const {
  size_t n = 0;
  for (const auto& [fp, a] : alerts_) n += a.Resolved(now) ? 0 : 1;
  return n;
}

RoutedAlert Dispatcher::Describe(const Alert& a, const Inhibitor& inhibitor,
                                 TimestampMs now) const {
  RoutedAlert r{a, {}, silences_.Mutes(a.labels, now), inhibitor.InhibitedBy(a)};
  for (const Route* route : config_->route->Match(a.labels)) {
    const std::string& name = route->options().receiver;
    if (std::find(r.receivers.begin(), r.receivers.end(), name) == r.receivers.end()) {
      r.receivers.push_back(name);
    }
  }
  return r;
}

std::vector<RoutedAlert> Dispatcher::ListAlerts(TimestampMs now) const {
  const Inhibitor inhibitor(config_->inhibit_rules, alerts_, now);
  std::vector<RoutedAlert> out;
  for (const auto& [fp, a] : alerts_) {
    if (a.Resolved(now)) continue;
    out.push_back(Describe(a, inhibitor, now));
  }
  // By fingerprint, as Alertmanager 0.25's API lists them (its fixed-width hex strings
  // sort as the numbers do).
  std::sort(out.begin(), out.end(), [](const RoutedAlert& a, const RoutedAlert& b) {
    return a.alert.fingerprint < b.alert.fingerprint;
  });
  return out;
}

std::vector<Dispatcher::GroupView> Dispatcher::ListGroups(TimestampMs now) const {
  const Inhibitor inhibitor(config_->inhibit_rules, alerts_, now);
  std::vector<GroupView> out;
  for (const auto& [id, group] : groups_) {
    GroupView view{group->group_labels(), group->route().options().receiver, {}};
    for (const Alert& a : group->Alerts()) {
      if (a.Resolved(now)) continue;
      auto held = alerts_.find(a.fingerprint);
      view.alerts.push_back(Describe(held == alerts_.end() ? a : held->second, inhibitor, now));
    }
    if (!view.alerts.empty()) out.push_back(std::move(view));
  }
  return out;
}

StoreWriter::Op Dispatcher::SilencesWrite(const std::vector<Silence>& silences, TimestampMs now) {
  std::vector<Store::SilenceRow> rows;
  for (const Silence& s : silences) {
    rows.push_back({s.id, GettableSilenceJson(s, now), s.ends_at_ms, s.updated_at_ms});
  }
  return [rows = std::move(rows)](Store& st) {
    for (const Store::SilenceRow& row : rows) {
      if (absl::Status s = st.PutSilence(row); !s.ok()) return s;
    }
    return absl::OkStatus();
  };
}

void Dispatcher::WriteThenApply(StoreWriter::Op op, std::function<void()> apply) {
  if (store_ == nullptr) return apply();
  if (!post_) std::abort();  // set_loop is required with a store
  store_->Write(std::move(op), [post = post_, apply = std::move(apply)](const absl::Status& s) {
    if (s.ok()) post(std::move(apply));
  });
}

void Dispatcher::ChangeSilences(std::vector<Silence> silences, TimestampMs now) {
  // One write: the change (an update that needs a new id also expires the old silence) is
  // made only if all of it was stored.
  StoreWriter::Op write = SilencesWrite(silences, now);
  WriteThenApply(std::move(write),
                 [this, silences = std::move(silences)] { ApplySilences(silences); });
}

void Dispatcher::ApplySilences(const std::vector<Silence>& silences) {
  for (const Silence& s : silences) {
    // A peer's later update that came in meanwhile stays; ours still goes to the peers,
    // where it loses the same way.
    silences_.Take(s);
    if (on_local_silence_) on_local_silence_(s);
  }
}

absl::StatusOr<Silence> Dispatcher::SetSilence(Silence s, TimestampMs now) {
  auto plan = silences_.PlanSet(std::move(s), now);
  if (!plan.ok()) return plan.status();
  Silence result = plan->back();
  ChangeSilences(std::move(*plan), now);
  return result;
}

absl::StatusOr<Silence> Dispatcher::ExpireSilence(const std::string& id, TimestampMs now) {
  auto expired = silences_.PlanExpire(id, now);
  if (!expired.ok()) return expired.status();
  ChangeSilences({*expired}, now);
  return expired;
}

bool Dispatcher::MergeSilence(Silence s, TimestampMs now) {
  if (s.id.empty()) return false;
  // Past retention: our GC dropped (or would drop) it; a peer's snapshot must not bring it
  // back, as Alertmanager's merge ignores such silences.
  if (s.ends_at_ms < now - kRetentionMs) return false;
  const Silence* ours = silences_.Get(s.id);
  // Alertmanager's merge: an update no newer than what we hold changes nothing.
  if (ours != nullptr && ours->updated_at_ms >= s.updated_at_ms) return false;
  if (store_ != nullptr) Persist(SilencesWrite({s}, now));
  silences_.Restore(std::move(s));
  return true;
}

absl::StatusOr<v1::Acknowledgement> Dispatcher::Acknowledge(const v1::AcknowledgeRequest& req,
                                                            TimestampMs now) {
  if (req.who().empty()) return absl::InvalidArgumentError("who is required");
  if (req.fingerprint().empty() == req.group_key().empty()) {
    return absl::InvalidArgumentError("give exactly one of fingerprint and group_key");
  }
  v1::Acknowledgement ack;
  const labels::Labels* ls = nullptr;
  if (!req.fingerprint().empty()) {
    uint64_t fp = 0;
    auto it = absl::SimpleHexAtoi(req.fingerprint(), &fp) ? alerts_.find(fp) : alerts_.end();
    if (it == alerts_.end()) {
      return absl::NotFoundError(StrCat("no alert with fingerprint ", req.fingerprint()));
    }
    ls = &it->second.labels;
    ack.set_fingerprint(it->second.FingerprintHex());
  } else {
    for (const auto& [id, group] : groups_) {
      if (group->key() == req.group_key()) ls = &group->group_labels();
    }
    if (ls == nullptr) return absl::NotFoundError(StrCat("no group ", req.group_key()));
    ack.set_group_key(req.group_key());
  }
  for (const labels::LabelView& l : *ls) {
    v1::Label* p = ack.add_labels();
    p->set_name(std::string(l.name));
    p->set_value(std::string(l.value));
  }
  ack.set_who(req.who());
  ack.set_comment(req.comment());
  ack.set_at_ms(now);
  GiveAckId(ack);
  WriteThenApply(AckWrite(ack), [this, ack] { ApplyAcknowledgement(ack); });
  return ack;
}

StoreWriter::Op Dispatcher::AckWrite(const v1::Acknowledgement& ack) {
  return [ack](Store& s) { return s.AddAck(ack).status(); };
}

void Dispatcher::ApplyAcknowledgement(const v1::Acknowledgement& ack) {
  HoldAck(ack);
  if (on_local_ack_) on_local_ack_(ack);
}

std::string Dispatcher::AckKey(const v1::Acknowledgement& ack) {
  // Length-prefixed, so that no field's bytes can pass for another's.
  return StrCat(ack.at_ms(), ":", ack.who().size(), ":", ack.who(), ack.comment().size(), ":",
                ack.comment(), ack.fingerprint().size(), ":", ack.fingerprint(), ack.group_key());
}

void Dispatcher::HoldAck(v1::Acknowledgement ack) {
  std::string key = AckKey(ack);
  // In time order, then by what they say: the order every replica lists them in, whatever
  // order they reached it in (ids are each replica's own, given on arrival). Nearly always
  // the newest: found from the back. A key is built only for a tie in time.
  auto after = [&](const v1::Acknowledgement& held) {
    return held.at_ms() != ack.at_ms() ? held.at_ms() > ack.at_ms() : AckKey(held) > key;
  };
  auto it = acks_.end();
  while (it != acks_.begin() && after(*std::prev(it))) --it;
  acks_.insert(it, std::move(ack));
  ack_keys_.insert(std::move(key));
}

bool Dispatcher::MergeAcknowledgement(v1::Acknowledgement ack, TimestampMs now) {
  // Past retention: dropped here already, or about to be; a snapshot must not bring it back.
  if (ack.at_ms() < now - kRetentionMs) return false;
  // Ids are each replica's own; what identifies an acknowledgement is what it says.
  if (ack_keys_.contains(AckKey(ack))) return false;
  GiveAckId(ack);
  Persist(AckWrite(ack));
  HoldAck(std::move(ack));
  return true;
}

std::vector<v1::Acknowledgement> Dispatcher::Acknowledgements(size_t limit) const {
  std::vector<v1::Acknowledgement> out;
  for (auto it = acks_.rbegin(); it != acks_.rend() && (limit == 0 || out.size() < limit); ++it) {
    out.push_back(*it);
  }
  return out;
}

std::vector<v1::Notification> Dispatcher::RecentNotifications(size_t limit) const {
  std::vector<v1::Notification> out;
  for (auto it = history_.rbegin(); it != history_.rend(); ++it) {
    if (limit > 0 && out.size() >= limit) break;
    out.push_back(it->second);
  }
  return out;
}

std::vector<std::string> Dispatcher::Problems() const {
  std::vector<std::string> out;
  if (const uint64_t errors = store_errors(); errors > 0) {
    out.push_back(StrCat(errors, " storage write(s) failed, last: ", store_->last_error()));
  }
  for (const auto& [who, error] : failing_) {
    out.push_back(StrCat(who, ": last delivery failed: ", error));
  }
  return out;
}

}  // namespace vigil::notifier
