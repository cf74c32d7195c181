#include "lib/codec/samples.h"

#include <cstring>

#include "absl/status/status.h"
#include "lib/base/format.h"

namespace vigil::codec {

double StaleNaN() {
  double v;
  uint64_t bits = kStaleNaNBits;
  std::memcpy(&v, &bits, sizeof v);
  return v;
}

bool IsStaleNaN(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == kStaleNaNBits;
}

v1::Series* SampleBatchBuilder::NewSeries(const labels::Labels& series) {
  v1::Series* s = batch_.add_series();
  for (const labels::LabelView& l : series) {
    s->add_label_refs(symbols_.Ref(l.name));
    s->add_label_refs(symbols_.Ref(l.value));
  }
  return s;
}

void SampleBatchBuilder::Add(const labels::Labels& series, TimestampMs t, double v) {
  v1::Sample* sample = NewSeries(series)->add_samples();
  sample->set_timestamp_ms(t);
  sample->set_value(v);
}

void SampleBatchBuilder::AddSeries(const labels::Labels& series, const std::vector<Point>& points) {
  v1::Series* s = NewSeries(series);
  s->mutable_samples()->Reserve(static_cast<int>(points.size()));
  for (const Point& p : points) {
    v1::Sample* sample = s->add_samples();
    sample->set_timestamp_ms(p.t);
    sample->set_value(p.v);
  }
}

v1::SampleBatch SampleBatchBuilder::Take() {
  v1::SampleBatch out = std::move(batch_);
  batch_ = v1::SampleBatch();
  for (std::string& s : symbols_.Take()) out.add_symbols(std::move(s));
  return out;
}

absl::StatusOr<std::vector<DecodedSeries>> DecodeSampleBatch(const v1::SampleBatch& batch) {
  std::vector<DecodedSeries> out;
  out.reserve(batch.series_size());
  absl::Status s = ForEachSeries(batch, [&](const labels::Labels& ls, std::span<const Point> ps) {
    out.push_back(DecodedSeries{ls, std::vector<Point>(ps.begin(), ps.end())});
  });
  if (!s.ok()) return s;
  return out;
}

absl::Status ForEachSeries(
    const v1::SampleBatch& batch,
    absl::FunctionRef<void(const labels::Labels&, std::span<const Point>)> fn) {
  const auto& symbols = batch.symbols();
  const uint32_t num_symbols = static_cast<uint32_t>(symbols.size());
  for (int i = 0; i < batch.series_size(); ++i) {
    const v1::Series& s = batch.series(i);
    if (s.label_refs_size() % 2 != 0) {
      return absl::InvalidArgumentError(StrCat("series ", i, ": odd number of label refs"));
    }
    for (uint32_t ref : s.label_refs()) {
      if (ref >= num_symbols) {
        return absl::InvalidArgumentError(StrCat("series ", i, ": symbol out of range"));
      }
    }
  }
  labels::Labels ls;
  std::vector<labels::LabelView> views;
  std::vector<Point> points;
  for (const v1::Series& s : batch.series()) {
    views.clear();
    bool sorted = true;
    for (int j = 0; j < s.label_refs_size(); j += 2) {
      views.push_back({symbols[s.label_refs(j)], symbols[s.label_refs(j + 1)]});
      sorted = sorted && (j == 0 || views[views.size() - 2].name < views.back().name);
    }
    if (sorted) {
      ls.AssignSorted(views.begin(), views.end());  // what publishers send: no copy
    } else {
      std::vector<labels::Label> owned;  // out of order or a name twice: sorted, last wins
      for (const labels::LabelView& l : views) owned.push_back(l.Owned());
      ls = labels::Labels(std::move(owned));
    }
    points.clear();
    for (const v1::Sample& p : s.samples()) points.push_back(Point{p.timestamp_ms(), p.value()});
    fn(ls, points);
  }
  return absl::OkStatus();
}

labels::Labels FromProto(const google::protobuf::RepeatedPtrField<v1::Label>& in) {
  std::vector<labels::Label> ls;
  ls.reserve(in.size());
  for (const v1::Label& l : in) ls.push_back(labels::Label{l.name(), l.value()});
  return labels::Labels(std::move(ls));
}

void ToProto(const labels::Labels& in, google::protobuf::RepeatedPtrField<v1::Label>* out) {
  out->Clear();
  for (const labels::LabelView& l : in) {
    v1::Label* p = out->Add();
    p->set_name(std::string(l.name));
    p->set_value(std::string(l.value));
  }
}

}  // namespace vigil::codec
