#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"
#include "lib/clock/clock.h"
#include "services/notifier/aggregation_group.h"
#include "services/notifier/alert.h"
#include "services/notifier/api_alerts.h"
#include "services/notifier/config.h"
#include "services/notifier/dedup.h"
#include "services/notifier/inhibit.h"
#include "services/notifier/notification.h"
#include "services/notifier/silences.h"
#include "services/notifier/store.h"
#include "services/notifier/store_writer.h"
#include "services/notifier/timer_queue.h"
#include "vigil/v1/alerts.pb.h"
#include "vigil/v1/control.pb.h"

namespace vigil::notifier {

// The notifier's functional core (Alertmanager's dispatcher plus the dedup stage of its
// notification pipeline): keeps alerts by fingerprint, routes them into aggregation
// groups, and on each group's timer decides which receiver integrations need a
// notification. Time comes only from the `now` arguments. Not thread-safe: owned by the
// loop thread.
//
// Durability (with a StoreWriter): alerts are written as they are ingested when they
// changed in what a recovery needs (see AlertRowStale) or their row's last write failed
// (so that the next copy, e.g. a client's retry, is written again); a notification is
// written to the outbox when handed to delivery and moves to the notification log once
// delivered. Writes
// are only queued here, never waited for: the caller hands the notifications returned by
// Tick to delivery once the writer's last() ticket after Tick is durable. After a restart,
// Recover() reloads all three: delivered notifications are not sent again, owed ones are
// re-sent with the same idempotency key, and groups are rebuilt from the alerts (resolved
// ones included, so an owed resolved notification goes out). A failed store write is
// reported in Problems(); the core keeps working.
class Dispatcher {
 public:
  static constexpr size_t kHistorySize = 1000;
  static constexpr TimestampMs kNever = std::numeric_limits<TimestampMs>::max();
  // How long expired silences, acknowledgements and the notification log are kept
  // (Alertmanager's --data.retention default, 120h).
  static constexpr TimestampMs kRetentionMs = 120LL * 60 * 60 * 1000;

  // `store` may be null (nothing persisted); it must outlive the dispatcher.
  explicit Dispatcher(std::shared_ptr<const Config> config, std::string external_url = "",
                      StoreWriter* store = nullptr);
  Dispatcher(const Dispatcher&) = delete;
  Dispatcher& operator=(const Dispatcher&) = delete;

  struct IngestResult {
    int accepted = 0;
    int ignored = 0;  // pending alerts
    int invalid = 0;
    std::string first_error;
  };
  // Applies alert events (state-based, idempotent) and routes them into groups.
  IngestResult OnAlerts(const v1::AlertBatch& batch, TimestampMs now);
  // The same for alerts POSTed to the API (ParsePostableAlerts): one without an end
  // (ends_at_ms 0) fires until resolve_timeout from now.
  IngestResult OnPostedAlerts(std::vector<Alert> alerts, TimestampMs now);

  // Loads the store's alerts, notification log and owed notifications; returns the owed
  // notifications (durable already), to be handed to delivery again. Call once, before
  // anything else; blocks until the writer has read them.
  absl::StatusOr<std::vector<Notification>> Recover(TimestampMs now);

  // Flushes the groups that are due; returns the notifications to deliver.
  std::vector<Notification> Tick(TimestampMs now);
  // When Tick next has work; kNever when there are no groups.
  TimestampMs NextDeadline() const;

  // Records what the delivery worker reports.
  void OnDeliveryResult(const DeliveryResult& result);

  // High availability (see cluster.h): the log entry a notification handed to delivery
  // will become once delivered, or null when it is not in flight.
  const LogEntry* InFlightEntry(uint64_t id) const;
  // A peer replica delivered (or, `delivered` false, gave up on) the stream's
  // notification with `entry.sequence`. Sequences move past it so that both replicas use
  // the same idempotency key next; a delivery is recorded in the log as if it were ours,
  // and our own notifications of the stream up to that sequence are no longer owed.
  void OnPeerLog(const std::string& stream_key, const LogEntry& entry, bool delivered);
  // What was delivered, by stream key: the snapshot a (re)starting peer asks for.
  const NotificationLog& delivered_log() const { return delivered_; }

  // Switches to a new configuration: groups are rebuilt from the alerts held (their
  // timers restart; the notification log keeps them from re-sending what was sent).
  void ApplyConfig(std::shared_ptr<const Config> config, TimestampMs now);

  // Silences (Alertmanager API v2), persisted with the store. A change through the API is
  // made only once stored, so that one the store did not keep is nowhere, neither live here
  // nor sent to the HA peers (an error means "not done", as Alertmanager's users read it,
  // and a retry does not make a second silence); and one stored is always made, however
  // late the request that asked for it was answered. So SetSilence and ExpireSilence check
  // the change against the silences held (Silences::Set/Expire's rules) and queue its store
  // write, changing nothing else; once that write is stored, the change is made on the loop
  // (through set_loop's `post`: the writer thread tells, the loop thread changes) and
  // on_local_silence_ is told. Without a store, at once. They return the silence as the
  // change makes it.
  absl::StatusOr<Silence> SetSilence(Silence s, TimestampMs now);
  absl::StatusOr<Silence> ExpireSilence(const std::string& id, TimestampMs now);
  const Silences& silences() const { return silences_; }
  // A peer replica's silence, taken (and persisted) when it is new here or updated later
  // than ours, as Alertmanager merges gossiped silences; one that expired more than the
  // retention ago is not taken (it would come back after our GC dropped it). True when
  // taken.
  bool MergeSilence(Silence s, TimestampMs now);

  // Acknowledgements, made as silence changes are: Acknowledge checks the request (see
  // vigil.v1.Notifier.Acknowledge for the rules), gives the id and queues the write; once it
  // is stored, the acknowledgement is recorded on the loop and on_local_ack_ is told.
  // Kept for kRetentionMs after they were given, like expired silences.
  absl::StatusOr<v1::Acknowledgement> Acknowledge(const v1::AcknowledgeRequest& req,
                                                  TimestampMs now);
  // Newest first (by at_ms, then by what they say: the same order on every replica);
  // limit 0 means all.
  std::vector<v1::Acknowledgement> Acknowledgements(size_t limit) const;
  // A peer replica's acknowledgement, recorded (with an id of ours) unless one with the
  // same who, time, comment and alert or group is held already, or it is past the
  // retention. True when recorded.
  bool MergeAcknowledgement(v1::Acknowledgement ack, TimestampMs now);

  // Hands work to the loop thread that owns this dispatcher, from any thread (the store
  // writer's, once a change is stored). Required with a store; the loop must outlive it.
  using Post = std::function<void(std::function<void()>)>;
  void set_loop(Post post) { post_ = std::move(post); }

  // Called with each silence and acknowledgement changed through this replica's API (not
  // with merged ones): HA replicas publish them to their peers, and the app publishes
  // acknowledgements for the reporter too.
  void set_on_local_silence(std::function<void(const Silence&)> fn) {
    on_local_silence_ = std::move(fn);
  }
  void set_on_local_ack(std::function<void(const v1::Acknowledgement&)> fn) {
    on_local_ack_ = std::move(fn);
  }

  // Observers for status, metrics and the API.
  size_t ActiveAlerts(TimestampMs now) const;
  // The alerts not resolved at `now`, in notification order, with their receivers.
  // Each carries its silences and inhibiting alerts.
  std::vector<RoutedAlert> ListAlerts(TimestampMs now) const;
  // Alertmanager's alert groups: the aggregation groups and their unresolved alerts.
  using GroupView = AlertGroupView;
  std::vector<GroupView> ListGroups(TimestampMs now) const;
  size_t Groups() const { return groups_.size(); }
  uint64_t notifications_sent() const { return sent_; }
  uint64_t notifications_failed() const { return failed_; }
  uint64_t group_flushes() const { return flushes_; }
  uint64_t store_errors() const { return store_ ? store_->errors() : 0; }
  // Newest first; limit 0 means all kept.
  std::vector<v1::Notification> RecentNotifications(size_t limit) const;
  // One sentence per receiver integration whose last delivery attempt failed.
  std::vector<std::string> Problems() const;
  const Config& config() const { return *config_; }
  // Alertmanager's externalURL in payloads (--web.external-url).
  void set_external_url(std::string url) { external_url_ = std::move(url); }

 private:
  // Merges one valid alert into those held, persists it when a recovery needs it, routes it.
  void Ingest(Alert alert, TimestampMs now);
  void RouteAlert(const Alert& alert, TimestampMs now);
  void Flush(AggregationGroup& group, const Inhibitor& inhibitor, TimestampMs now,
             std::vector<Notification>* out);
  RoutedAlert Describe(const Alert& a, const Inhibitor& inhibitor, TimestampMs now) const;
  // The store write of `silences`, one op (its error: one of them was not stored).
  static StoreWriter::Op SilencesWrite(const std::vector<Silence>& silences, TimestampMs now);
  // Queues `op`; once it is stored, `apply` runs on the loop (never if it failed). Without
  // a store, `apply` runs at once.
  void WriteThenApply(StoreWriter::Op op, std::function<void()> apply);
  // Queues the write of `silences`, one change, and makes them live once it is stored.
  void ChangeSilences(std::vector<Silence> silences, TimestampMs now);
  void ApplySilences(const std::vector<Silence>& silences);
  // Records an acknowledgement made through the API and tells on_local_ack_.
  void ApplyAcknowledgement(const v1::Acknowledgement& ack);
  // Gives `ack` the next id (given here, on the loop, so that it does not wait for the store
  // to hand one out; one whose write fails is not given again).
  void GiveAckId(v1::Acknowledgement& ack) { ack.set_id(next_ack_id_++); }
  static StoreWriter::Op AckWrite(const v1::Acknowledgement& ack);
  // Holds `ack` (its id given), in id order.
  void HoldAck(v1::Acknowledgement ack);
  // What identifies an acknowledgement across replicas (ids are each replica's own).
  static std::string AckKey(const v1::Acknowledgement& ack);
  v1::Notification* FindHistory(uint64_t id);
  void Record(const Notification& n);
  // Queues a write (nothing without a store).
  void Persist(StoreWriter::Op op);
  void PersistAlert(const Alert& a);
  // A re-sent alert that found its row as it needs it, but perhaps only queued: the
  // request that sent it answers for that write too (StoreWriter::Reach), or writes the
  // row again if it has failed meanwhile.
  void FollowRowWrite(const Alert& a);
  // Marks the alerts whose row write failed as unstored (see failed_rows_).
  void ForgetUnstoredAlerts();

  // A notification handed to delivery and not finished yet.
  struct InFlight {
    std::string stream_key;
    LogEntry entry;
    uint64_t flush = 0;  // its flush in pending_flushes_, if that flush had resolved alerts
  };
  // A flush's resolved alerts, kept in their group until every notification of the flush
  // is delivered, as Alertmanager deletes them only after a successful notify: one that
  // failed for good (or was superseded by a later flush's) leaves them for the next flush.
  struct PendingFlush {
    std::string group_id;
    std::vector<Alert> resolved;
    TimestampMs at = 0;
    int outstanding = 0;  // notifications not finished
    bool keep = false;    // one of them was not delivered
  };
  // One of flush `flush`'s notifications finished; deletes its resolved alerts from their
  // group when it was the last and all were delivered.
  void SettleFlush(uint64_t flush, bool delivered);

  absl::flat_hash_map<uint64_t, PendingFlush> pending_flushes_;
  uint64_t next_flush_ = 1;
  std::shared_ptr<const Config> config_;
  std::string external_url_;
  AlertsByFingerprint alerts_;  // by fingerprint
  // By id (route id and group labels; the key views the group's own id()), ordered so
  // that ticks are deterministic.
  std::map<std::string_view, std::unique_ptr<AggregationGroup>> groups_;
  struct ById {
    bool operator()(const AggregationGroup* a, const AggregationGroup* b) const {
      return a->id() < b->id();
    }
  };
  // Every group's next flush; due groups in id order. Pointers: a group erased from
  // groups_ is no longer scheduled (it is erased only once popped, or with all timers).
  TimerQueue<AggregationGroup*, ById> timers_;
  // By fingerprint: the routes an alert matches under config_ and its group's id on each
  // (the labels of a fingerprint never change), so that a re-sent alert is not matched and
  // its group key not rebuilt again. Cleared with the configuration.
  struct RouteTarget {
    const Route* route;
    std::string group_id;
    // The group, while groups_epoch_ is `group_epoch` (no group erased since): a re-sent
    // alert then reaches its group without hashing the id.
    AggregationGroup* group = nullptr;
    uint64_t group_epoch = 0;
  };
  absl::flat_hash_map<uint64_t, std::vector<RouteTarget>> routes_;
  uint64_t groups_epoch_ = 1;  // bumped whenever a group is erased
  StoreWriter* store_;
  // By fingerprint: the ends_at of the alert's row, which re-sent alerts leave behind;
  // kRowUnstored once its last write failed.
  absl::flat_hash_map<uint64_t, TimestampMs> stored_ends_at_;
  static constexpr TimestampMs kRowUnstored = std::numeric_limits<TimestampMs>::min();
  // The fingerprints of failed alert row writes: added by the writer thread (before the
  // request that queued them is answered), taken by the loop before it next ingests.
  struct FailedRows {
    absl::Mutex mu;
    std::vector<uint64_t> fingerprints ABSL_GUARDED_BY(mu);
  };
  std::shared_ptr<FailedRows> failed_rows_ = std::make_shared<FailedRows>();
  // By fingerprint: the ticket of the alert's last row write, until seen done.
  absl::flat_hash_map<uint64_t, StoreWriter::Ticket> row_writes_;
  Post post_;
  Silences silences_;
  std::deque<v1::Acknowledgement> acks_;       // by time (HoldAck)
  absl::flat_hash_set<std::string> ack_keys_;  // AckKey of each of acks_
  int64_t next_ack_id_ = 1;
  std::function<void(const Silence&)> on_local_silence_;
  std::function<void(const v1::Acknowledgement&)> on_local_ack_;
  NotificationLog nflog_;                                 // handed to delivery (dedup decisions)
  NotificationLog delivered_;                             // delivered (what the store's log holds)
  absl::flat_hash_map<uint64_t, InFlight> in_flight_;     // by notification id
  // The last sequence of each stream, kept for the process's life: a replica that forgot
  // one would count from 1 again while its peer goes on, and the replicas' comparisons of
  // sequences would let a page through twice. So a stream costs only its key's two 64-bit
  // hashes (absl's and libstdc++'s, independent: a collision of both, which would make two
  // streams share a counter, is ~2^-128) and the counter, not the key itself.
  struct StreamHash {
    uint64_t a, b;
    bool operator==(const StreamHash&) const = default;
    template <typename H>
    friend H AbslHashValue(H h, const StreamHash& k) {
      return H::combine(std::move(h), k.a);
    }
  };
  static StreamHash HashStream(std::string_view stream_key);
  uint64_t& SequenceOf(std::string_view stream_key) {
    return sequences_[HashStream(stream_key)];
  }
  absl::flat_hash_map<StreamHash, uint64_t> sequences_;
  uint64_t next_id_ = 1;
  std::deque<std::pair<uint64_t, v1::Notification>> history_;  // oldest first
  std::map<std::string, std::string> failing_;  // "receiver/integration" -> last error
  uint64_t sent_ = 0;
  uint64_t failed_ = 0;
  uint64_t flushes_ = 0;
  TimestampMs last_gc_ms_ = 0;
};

}  // namespace vigil::notifier
