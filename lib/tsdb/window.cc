#include "lib/tsdb/window.h"

#include <cstring>
#include <new>
#include <type_traits>

#include "lib/codec/samples.h"
#include "lib/tsdb/mem_series.h"

namespace vigil::tsdb {

// WindowStates lays the ends out before the states in one allocation.
static_assert(std::is_trivially_destructible_v<WindowEnd>);
static_assert(sizeof(WindowEnd) % alignof(WindowState) == 0);
static_assert(alignof(WindowEnd) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
static_assert(alignof(WindowState) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);

void WindowStates::Resize(size_t num_ends, size_t num_states) {
  const size_t bytes = num_ends * sizeof(WindowEnd) + num_states * sizeof(WindowState);
  std::byte* mem = bytes == 0 ? nullptr : static_cast<std::byte*>(::operator new(bytes));
  auto* ends = reinterpret_cast<WindowEnd*>(mem);
  auto* states = reinterpret_cast<WindowState*>(mem + num_ends * sizeof(WindowEnd));
  std::span<WindowEnd> old_ends = this->ends();
  std::span<WindowState> old_states = this->states();
  for (size_t i = 0; i < num_ends; ++i) {
    new (&ends[i]) WindowEnd(i < old_ends.size() ? old_ends[i] : WindowEnd{});
  }
  for (size_t i = 0; i < num_states; ++i) {
    if (i < old_states.size()) {
      new (&states[i]) WindowState(std::move(old_states[i]));
    } else {
      new (&states[i]) WindowState();
    }
  }
  std::destroy(old_states.begin(), old_states.end());
  ::operator delete(mem_);
  mem_ = mem;
  num_ends_ = static_cast<uint16_t>(num_ends);
  num_states_ = static_cast<uint16_t>(num_states);
}

namespace {

// Whether two ends give their states the same answers from now on: the same position at
// the same maxt and the same newest samples read.
bool SameEnd(const WindowEnd& a, const WindowEnd& b) {
  return a.maxt == b.maxt && a.pos.seq == b.pos.seq &&
         a.pos.cursor.num_read == b.pos.cursor.num_read && a.newest_is_stale == b.newest_is_stale &&
         std::memcmp(&a.last, &b.last, sizeof(Point)) == 0 &&
         std::memcmp(&a.before_last, &b.before_last, sizeof(Point)) == 0;
}

// Counts `p`, the newest sample yet, into end `e` and the states at it.
void AddNewest(WindowEnd& end, std::span<WindowState> states, size_t e, const Point& p) {
  end.newest_is_stale = codec::IsStaleNaN(p.v);
  if (end.newest_is_stale) return;
  for (WindowState& w : states) {
    if (w.end != e) continue;
    // A state with samples has read the same ones as its end since its oldest, so the
    // end's newest is the state's.
    if (w.tracks_resets && w.count > 0 && p.v < end.last.v) {
      if (w.resets == nullptr) w.resets = std::make_unique<WindowState::Resets>();
      w.resets->times.push_back(end.last.t);
      w.resets->values.push_back(end.last.v);
    }
    if (w.count++ == 0) w.first = p;
  }
  end.before_last = end.last;
  end.last = p;
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

// Removes the samples before mint (all of them were counted at the end already). The
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

void MemSeries::AdvanceEnd(size_t e, TimestampMs maxt) const {
  WindowEnd& end = windows_.ends()[e];
  std::span<WindowState> states = windows_.states();
  Point p;
  SeriesReader reader(*this, end.pos);
  for (ChunkPos before = reader.pos();; before = reader.pos()) {
    if (!reader.Next(&p) || p.t > maxt) {
      end.pos = before;
      return;
    }
    AddNewest(end, states, e, p);
  }
}

WindowSummary MemSeries::Window(int64_t range, TimestampMs maxt, bool with_resets) const {
  size_t i = 0;
  while (i < windows_.states().size() && windows_.states()[i].range != range) ++i;
  const bool fresh = i == windows_.states().size();
  if (fresh) windows_.Resize(windows_.ends().size(), i + 1);
  WindowState* w = &windows_.states()[i];
  const TimestampMs mint = maxt - range;
  // The state can move forward unless it is new, its end is past maxt (the window went
  // back in time, or another range's window moved the shared end on), it lacks the
  // counter drops now asked for, or truncation took samples from under its start.
  const bool valid = !fresh && windows_.ends()[w->end].maxt <= maxt &&
                     (w->tracks_resets || !with_resets) && w->start.seq >= first_seq() &&
                     (w->start.seq > first_seq() || w->start.cursor.num_read >= hidden_);
  if (!valid) {
    // Rebuilt on an end of its own; merged below into an identical one if there is one.
    const bool tracks_resets = with_resets || (!fresh && w->tracks_resets);
    const size_t e = windows_.ends().size();
    windows_.Resize(e + 1, windows_.states().size());
    w = &windows_.states()[i];
    *w = WindowState{};
    w->range = range;
    w->tracks_resets = tracks_resets;
    w->end = static_cast<uint16_t>(e);
    w->start = PositionBefore(mint);
    windows_.ends()[e].pos = w->start;
  }
  const size_t e = w->end;
  // Samples may have been appended at or before maxt since the end's last move even when
  // maxt did not move.
  const ChunkPos& at = windows_.ends()[e].pos;
  if (at.seq != last_seq() || at.cursor.num_read != head_.num_samples()) AdvanceEnd(e, maxt);
  const bool moved = windows_.ends()[e].maxt != maxt;
  windows_.ends()[e].maxt = maxt;
  // Nothing to remove when the oldest sample is inside the window (only stale markers
  // can be before it): the state's chunk bytes there are not touched again for every
  // rule that reads the same range at the same time.
  if (w->count == 0 || w->first.t < mint) AdvanceStart(*this, *w, mint);
  // States of other ranges at this maxt share one end.
  bool merged = false;
  for (size_t o = 0; (!valid || moved) && o < windows_.ends().size() && !merged; ++o) {
    if (o == e || !SameEnd(windows_.ends()[o], windows_.ends()[e])) continue;
    for (WindowState& other : windows_.states()) {
      if (other.end == e) other.end = static_cast<uint16_t>(o);
    }
    merged = true;
  }
  if (!valid || merged) KeepWindows([](WindowState&) { return true; });  // unused ends
  const WindowState& state = windows_.states()[i];
  const WindowEnd& end = windows_.ends()[state.end];
  WindowSummary out;
  out.count = state.count;
  out.newest_is_stale = end.newest_is_stale;
  if (state.count == 0) return out;
  out.first = state.first;
  out.last = end.last;
  out.before_last = end.before_last;
  if (state.resets != nullptr) {
    out.reset_prev_values =
        std::span<const double>(state.resets->values).subspan(state.resets->head);
  }
  return out;
}

}  // namespace vigil::tsdb
