#include "services/notifier/route.h"

#include <algorithm>

#include "services/notifier/matchers.h"

namespace vigil::notifier {

namespace {

std::string MatchersString(const std::vector<labels::Matcher>& matchers) {
  std::string out = "{";
  for (size_t i = 0; i < matchers.size(); ++i) {
    if (i > 0) out += ",";
    out += matchers[i].ToString();
  }
  return out + "}";
}

}  // namespace

Route::Route(const Route* parent, RouteOptions options, std::vector<labels::Matcher> matchers,
             bool continue_matching)
    : parent_(parent),
      options_(std::move(options)),
      matchers_(std::move(matchers)),
      continue_(continue_matching) {
  std::sort(matchers_.begin(), matchers_.end(), MatcherLess);
  key_ = parent_ ? parent_->key() + "/" + MatchersString(matchers_) : MatchersString(matchers_);
}

Route* Route::AddChild(std::unique_ptr<Route> child) {
  child->id_ = id_ + "." + std::to_string(routes_.size());
  routes_.push_back(std::move(child));
  return routes_.back().get();
}

std::vector<const Route*> Route::Match(const labels::Labels& ls) const {
  if (!labels::MatchesAll(matchers_, ls)) return {};
  std::vector<const Route*> all;
  for (const auto& child : routes_) {
    std::vector<const Route*> matches = child->Match(ls);
    all.insert(all.end(), matches.begin(), matches.end());
    if (!matches.empty() && !child->continue_matching()) break;
  }
  if (all.empty()) all.push_back(this);
  return all;
}

labels::Labels Route::GroupLabels(const labels::Labels& ls) const {
  if (options_.group_by_all) return ls;
  std::vector<labels::Label> out;
  for (const std::string& name : options_.group_by) {
    if (ls.Has(name)) out.push_back({name, std::string(ls.Get(name))});
  }
  return labels::Labels(std::move(out));
}

}  // namespace vigil::notifier
