// Quantiles over plain values (quantile, quantile_over_time) and over histogram buckets
// (histogram_quantile), as Prometheus's promql/quantile.go computes them.

#include <algorithm>
#include <cmath>

#include "lib/promql/engine_internal.h"

namespace vigil::promql::internal {

// Prometheus's quantile over a set of values (aggregation and quantile_over_time).
double Quantile(double q, std::vector<double> values) {
  if (values.empty()) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(values.begin(), values.end(), [](double a, double b) {
    if (std::isnan(a)) return !std::isnan(b);
    return a < b;
  });
  double n = static_cast<double>(values.size());
  double rank = q * (n - 1);
  double lower = std::max(0.0, std::floor(rank));
  double upper = std::min(n - 1, lower + 1);
  double weight = rank - std::floor(rank);
  return values[static_cast<size_t>(lower)] * (1 - weight) +
         values[static_cast<size_t>(upper)] * weight;
}

double BucketQuantile(double q, std::vector<Bucket> b) {
  if (std::isnan(q)) return kNaN;
  if (q < 0) return -kInf;
  if (q > 1) return kInf;
  std::sort(b.begin(), b.end(), [](const Bucket& x, const Bucket& y) { return x.upper < y.upper; });
  if (!(std::isinf(b.back().upper) && b.back().upper > 0)) return kNaN;
  // coalesceBuckets
  std::vector<Bucket> c;
  for (const Bucket& x : b) {
    if (!c.empty() && c.back().upper == x.upper) {
      c.back().count += x.count;
    } else {
      c.push_back(x);
    }
  }
  // ensureMonotonic
  double max = -kInf;
  for (Bucket& x : c) {
    if (x.count > max) {
      max = x.count;
    } else if (x.count < max) {
      x.count = max;
    }
  }
  if (c.size() < 2) return kNaN;
  double observations = c.back().count;
  if (observations == 0) return kNaN;
  double rank = q * observations;
  size_t i = 0;
  size_t n = c.size() - 1;
  {  // sort.Search(n, count >= rank)
    size_t lo = 0, hi = n;
    while (lo < hi) {
      size_t h = (lo + hi) / 2;
      if (!(c[h].count >= rank))
        lo = h + 1;
      else
        hi = h;
    }
    i = lo;
  }
  if (i == c.size() - 1) return c[c.size() - 2].upper;
  if (i == 0 && c[0].upper <= 0) return c[0].upper;
  double start = 0, end = c[i].upper, count = c[i].count;
  if (i > 0) {
    start = c[i - 1].upper;
    count -= c[i - 1].count;
    rank -= c[i - 1].count;
  }
  return start + (end - start) * (rank / count);
}

}  // namespace vigil::promql::internal
