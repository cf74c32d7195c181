#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "lib/labels/labels.h"

namespace vigil::notifier {

// An alert's annotations: name/value pairs sorted by name, names unique. Unlike
// labels::Labels, empty values are kept: Alertmanager 0.25 drops empty label values of
// posted alerts (removeEmptyLabels) but not empty annotations, and writes `"x": ""` in
// webhook payloads (template.Data) and API v2 output; Prometheus sends them too.
class Annotations {
 public:
  Annotations() = default;
  // Sorts; on a duplicate name the last one wins (as Go's JSON decoding into a map).
  explicit Annotations(std::vector<labels::Label> items);
  Annotations(std::initializer_list<std::pair<std::string_view, std::string_view>> items);

  bool empty() const { return items_.empty(); }
  size_t size() const { return items_.size(); }
  auto begin() const { return items_.begin(); }
  auto end() const { return items_.end(); }
  // The value of `name`, or "" when absent (as a Go map reads).
  std::string_view Get(std::string_view name) const;

  bool operator==(const Annotations&) const = default;

 private:
  std::vector<labels::Label> items_;
};

}  // namespace vigil::notifier
