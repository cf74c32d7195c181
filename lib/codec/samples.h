#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "lib/clock/clock.h"
#include "lib/codec/symbol_table.h"
#include "lib/labels/labels.h"
#include "vigil/v1/labels.pb.h"
#include "vigil/v1/samples.pb.h"

namespace vigil::codec {

// Prometheus's staleness marker: a NaN with this exact bit pattern (value.StaleNaN).
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
double StaleNaN();
bool IsStaleNaN(double v);

struct Point {
  TimestampMs t;
  double v;
};

struct DecodedSeries {
  labels::Labels labels;
  std::vector<Point> points;
};

// Builds a SampleBatch with the symbol-table label encoding (samples.proto). Not
// thread-safe; reusable after Take().
class SampleBatchBuilder {
 public:
  void Add(const labels::Labels& series, TimestampMs t, double v);
  // One series with all its points (labels encoded once, not once per sample).
  void AddSeries(const labels::Labels& series, const std::vector<Point>& points);
  size_t series_count() const { return static_cast<size_t>(batch_.series_size()); }
  v1::SampleBatch Take();

 private:
  v1::Series* NewSeries(const labels::Labels& series);

  v1::SampleBatch batch_;
  SymbolTable symbols_;
};

// Decodes a batch; rejects out-of-range symbol references and odd label_refs (a
// malformed message from the bus), so callers can count and drop it.
absl::StatusOr<std::vector<DecodedSeries>> DecodeSampleBatch(const v1::SampleBatch& batch);

// What DecodeSampleBatch accepts, series by series, without the vector: `fn` gets each
// series' labels and points in turn (both reused for the next series; copy what you keep).
// The whole batch is checked first, so on an error (the same ones) `fn` was not called.
absl::Status ForEachSeries(
    const v1::SampleBatch& batch,
    absl::FunctionRef<void(const labels::Labels&, std::span<const Point>)> fn);

labels::Labels FromProto(const google::protobuf::RepeatedPtrField<v1::Label>& in);
void ToProto(const labels::Labels& in, google::protobuf::RepeatedPtrField<v1::Label>* out);

}  // namespace vigil::codec
