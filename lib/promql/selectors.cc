#include "lib/promql/selectors.h"

#include <algorithm>

namespace vigil::promql {
namespace {

bool SameMatchers(const std::vector<labels::Matcher>& a, const std::vector<labels::Matcher>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const labels::Matcher& x, const labels::Matcher& y) {
                      return x.type() == y.type() && x.name() == y.name() &&
                             x.value() == y.value();
                    });
}

void Collect(const Expr& e, std::vector<std::vector<labels::Matcher>>* out) {
  if (e.kind == Expr::Kind::kVectorSelector) {
    const auto& ms = e.selector.matchers;
    if (std::none_of(out->begin(), out->end(), [&](const auto& o) { return SameMatchers(o, ms); }))
      out->push_back(ms);
    return;
  }
  // An aggregation's parameter (rhs) is written before its expression (lhs).
  bool param_first = e.kind == Expr::Kind::kAggregate;
  for (const Expr* c : {param_first ? e.rhs.get() : e.lhs.get(),
                        param_first ? e.lhs.get() : e.rhs.get()}) {
    if (c != nullptr) Collect(*c, out);
  }
  for (const ExprPtr& a : e.args) Collect(*a, out);
}

}  // namespace

std::vector<std::vector<labels::Matcher>> ExtractSelectors(const Expr& e) {
  std::vector<std::vector<labels::Matcher>> out;
  Collect(e, &out);
  return out;
}

}  // namespace vigil::promql
