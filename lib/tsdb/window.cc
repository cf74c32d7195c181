#include "lib/tsdb/window.h"

#include "lib/codec/samples.h"
#include "lib/tsdb/mem_series.h"

namespace vigil::tsdb {

namespace {

void AddNewest(WindowState& w, const Point& p) {
  w.newest_is_stale = codec::IsStaleNaN(p.v);
  if (w.newest_is_stale) return;
  if (w.tracks_resets && w.count > 0 && p.v < w.last.v) {
    if (w.resets == nullptr) w.resets = std::make_unique<WindowState::Resets>();
    w.resets->times.push_back(w.last.t);
    w.resets->values.push_back(w.last.v);
  }
  if (w.count == 0) w.first = p;
  w.before_last = w.last;
  w.last = p;
  ++w.count;
}

void RemoveOldest(WindowState& w, const Point& p) {
  if (codec::IsStaleNaN(p.v)) return;
  --w.count;
  WindowState::Resets* r = w.resets.get();
  if (r == nullptr) return;
  if (r->times[r->head] == p.t) ++r->head;
  if (r->head == r->times.size()) {
    w.resets.reset();
  } else if (r->head > 32 && r->head * 2 > r->times.size()) {
    r->times.erase(r->times.begin(), r->times.begin() + static_cast<ptrdiff_t>(r->head));
    r->values.erase(r->values.begin(), r->values.begin() + static_cast<ptrdiff_t>(r->head));
    r->head = 0;
  }
}

// Adds the samples after w.end up to maxt.
void AdvanceEnd(const MemSeries& s, WindowState& w, TimestampMs maxt) {
  Point p;
  SeriesReader end(s, w.end);
  for (ChunkPos before = end.pos();; before = end.pos()) {
    if (!end.Next(&p) || p.t > maxt) {
      w.end = before;
      return;
    }
    AddNewest(w, p);
  }
}

// Removes the samples before mint (all of them were added by AdvanceEnd already). The
// first sample read that stays is the window's oldest, unless it is a stale marker.
void AdvanceStart(const MemSeries& s, WindowState& w, TimestampMs mint) {
  Point p;
  SeriesReader start(s, w.start);
  for (ChunkPos before = start.pos();; before = start.pos()) {
    if (!start.Next(&p)) {
      w.start = before;
      return;
    }
    if (p.t >= mint) {
      w.start = before;
      break;
    }
    RemoveOldest(w, p);
  }
  if (w.count == 0) return;
  while (codec::IsStaleNaN(p.v) && start.Next(&p)) {
  }
  w.first = p;
}

}  // namespace

WindowSummary MemSeries::Window(int64_t range, TimestampMs maxt, bool with_resets) const {
  WindowState* w = nullptr;
  for (uint32_t i = 0; i < num_windows_; ++i) {
    if (windows_[i].range == range) w = &windows_[i];
  }
  const bool fresh = w == nullptr;
  if (fresh) {
    ResizeWindows(num_windows_ + 1);
    w = &windows_[num_windows_ - 1];
  }
  const TimestampMs mint = maxt - range;
  // The state can move forward unless it is new, the window went back in time, it lacks
  // the counter drops now asked for, or truncation took samples from under its start.
  bool valid = !fresh && maxt >= w->maxt && (w->tracks_resets || !with_resets) &&
               w->start.seq >= first_seq() &&
               (w->start.seq > first_seq() ||
                w->start.cursor.num_read >= first_visible_.num_read);
  if (!valid) {
    bool tracks_resets = with_resets || w->tracks_resets;
    *w = WindowState{};
    w->range = range;
    w->tracks_resets = tracks_resets;
    w->start = w->end = PositionBefore(mint);
  }
  // Samples may have been appended at or before maxt since the last call even when maxt
  // did not move; the start moves only with maxt.
  if (w->end.seq != last_seq() || w->end.cursor.num_read != head_.num_samples()) {
    AdvanceEnd(*this, *w, maxt);
  }
  if (!valid || maxt > w->maxt) AdvanceStart(*this, *w, mint);
  w->maxt = maxt;
  WindowSummary out;
  out.count = w->count;
  out.newest_is_stale = w->newest_is_stale;
  if (w->count == 0) return out;
  out.first = w->first;
  out.last = w->last;
  out.before_last = w->before_last;
  if (w->resets != nullptr) {
    out.reset_prev_values = std::span<const double>(w->resets->values).subspan(w->resets->head);
  }
  return out;
}

}  // namespace vigil::tsdb
