#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "lib/labels/labels.h"
#include "lib/labels/matcher.h"

namespace vigil::notifier {

// How alerts reaching a route are grouped and notified (Alertmanager's RouteOpts).
struct RouteOptions {
  std::string receiver;
  std::vector<std::string> group_by;  // sorted, unique
  bool group_by_all = false;          // group_by: ['...']
  absl::Duration group_wait = absl::Seconds(30);
  absl::Duration group_interval = absl::Minutes(5);
  absl::Duration repeat_interval = absl::Hours(4);
  // Names from the config's time_intervals. Unlike the fields above, not inherited by
  // child routes (as in Alertmanager).
  std::vector<std::string> mute_time_intervals;
  std::vector<std::string> active_time_intervals;
};

// A node of the routing tree (Alertmanager `dispatch/route.go`). Children have inherited
// their parent's options when the config was parsed. Immutable once built; the tree is
// owned by its Config.
class Route {
 public:
  Route(const Route* parent, RouteOptions options, std::vector<labels::Matcher> matchers,
        bool continue_matching);

  // Depth-first: a route matches when its matchers do; then the first matching child
  // wins unless it has `continue: true`; with no matching child the route itself is the
  // match. Empty when the route does not match.
  std::vector<const Route*> Match(const labels::Labels& ls) const;

  // Alertmanager's Route.Key(): the parent's key, "/", then the matchers, e.g.
  // `{}/{severity="P0"}`.
  const std::string& key() const { return key_; }
  // Unique among siblings with equal keys: the path of child indexes, e.g. "0.2".
  const std::string& id() const { return id_; }

  const RouteOptions& options() const { return options_; }
  const std::vector<labels::Matcher>& matchers() const { return matchers_; }
  bool continue_matching() const { return continue_; }
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

  Route* AddChild(std::unique_ptr<Route> child);

  // The labels of `ls` an aggregation group is keyed by (all of them for `...`).
  labels::Labels GroupLabels(const labels::Labels& ls) const;

  // Calls fn on this route and every descendant, parents first.
  template <typename Fn>
  void Walk(Fn&& fn) const {
    fn(*this);
    for (const auto& r : routes_) r->Walk(fn);
  }

 private:
  const Route* parent_;
  RouteOptions options_;
  std::vector<labels::Matcher> matchers_;  // sorted by name, type, value
  bool continue_;
  std::vector<std::unique_ptr<Route>> routes_;
  std::string key_;
  std::string id_ = "0";
};

}  // namespace vigil::notifier
