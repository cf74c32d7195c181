#include "services/notifier/annotations.h"

#include <algorithm>

namespace vigil::notifier {

Annotations::Annotations(std::vector<labels::Label> items) : items_(std::move(items)) {
  std::stable_sort(items_.begin(), items_.end(),
                   [](const labels::Label& a, const labels::Label& b) { return a.name < b.name; });
  // Of equal names, keep the last given.
  auto last =
      std::unique(items_.rbegin(), items_.rend(),
                  [](const labels::Label& a, const labels::Label& b) { return a.name == b.name; });
  items_.erase(items_.begin(), last.base());
}

Annotations::Annotations(std::initializer_list<std::pair<std::string_view, std::string_view>> items)
    : Annotations([&] {
        std::vector<labels::Label> v;
        v.reserve(items.size());
        for (const auto& [name, value] : items)
          v.push_back({std::string(name), std::string(value)});
        return v;
      }()) {}

std::string_view Annotations::Get(std::string_view name) const {
  auto it = std::lower_bound(items_.begin(), items_.end(), name,
                             [](const labels::Label& l, std::string_view n) { return l.name < n; });
  return it != items_.end() && it->name == name ? std::string_view(it->value) : std::string_view();
}

}  // namespace vigil::notifier
