#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "lib/labels/labels.h"
#include "lib/labels/matcher.h"

namespace vigil::notifier {

// An Alertmanager silence: mutes the alerts its matchers all match between starts_at and
// ends_at.
struct Silence {
  std::string id;
  std::vector<labels::Matcher> matchers;
  TimestampMs starts_at_ms = 0;
  TimestampMs ends_at_ms = 0;
  TimestampMs updated_at_ms = 0;
  std::string created_by;
  std::string comment;

  // "pending", "active" or "expired".
  std::string State(TimestampMs now) const;
  bool Active(TimestampMs now) const { return starts_at_ms <= now && now < ends_at_ms; }
  bool Matches(const labels::Labels& ls) const { return labels::MatchesAll(matchers, ls); }
};

// Alertmanager's API v2 JSON for silences. GettableJson: {id, status: {state}, updatedAt,
// comment, createdBy, endsAt, matchers: [{isEqual, isRegex, name, value}], startsAt}, as
// Go orders the fields.
std::string GettableSilenceJson(const Silence& s, TimestampMs now);
std::string GettableSilencesJson(const std::vector<Silence>& silences, TimestampMs now);
// Alertmanager's order for listed silences (its api/v2 SortSilences): active ones by end,
// then pending ones by start, then expired ones by end, latest first; ties by id.
void SortSilences(std::vector<Silence>* silences, TimestampMs now);
// Parses a postable silence ({id?, matchers, startsAt, endsAt, createdBy, comment}), also
// what GettableSilenceJson wrote (the store keeps that). Checks the shape only.
absl::StatusOr<Silence> ParseSilenceJson(const std::string& body);

// The silences (Alertmanager's silence.Silences) in memory; the Dispatcher persists them.
// Loop thread only; time comes from `now`.
class Silences {
 public:
  // Creates a silence, or updates silence `s.id` (Alertmanager's rules: an active one with
  // the same matchers is changed in place, otherwise the old one is expired and a new id
  // given; a start in the past becomes `now`). Returns the stored silence.
  // InvalidArgument for bad silences (no matchers, all matching the empty string, end
  // not after start, end in the past); NotFound for an unknown id.
  absl::StatusOr<Silence> Set(Silence s, TimestampMs now);
  // Ends the silence at `now`. NotFound, or FailedPrecondition when already expired.
  absl::StatusOr<Silence> Expire(const std::string& id, TimestampMs now);
  // What Set and Expire would do, changing nothing: the silences to take (Take), in order
  // (an update that needs a new id first expires the old silence); the result is back().
  absl::StatusOr<std::vector<Silence>> PlanSet(Silence s, TimestampMs now) const;
  absl::StatusOr<Silence> PlanExpire(const std::string& id, TimestampMs now) const;
  // Takes `s` unless the copy held was updated later; true when taken.
  bool Take(Silence s);
  // Loads a stored silence as it is.
  void Restore(Silence s) { silences_[s.id] = std::move(s); }
  const Silence* Get(const std::string& id) const;
  std::vector<Silence> List() const;
  // The ids of the active silences matching `ls`, sorted.
  std::vector<std::string> Mutes(const labels::Labels& ls, TimestampMs now) const;
  // Drops silences expired before `cutoff`; returns how many.
  size_t GC(TimestampMs cutoff);
  size_t size() const { return silences_.size(); }

 private:
  std::map<std::string, Silence> silences_;  // by id
};

// A random UUID (version 4), as Alertmanager's silence ids.
std::string NewSilenceId();

}  // namespace vigil::notifier
