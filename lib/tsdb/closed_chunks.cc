#include "lib/tsdb/closed_chunks.h"

#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>

namespace vigil::tsdb {

static_assert(sizeof(ClosedChunks) == sizeof(void*));

size_t ClosedChunks::allocated_bytes() const {
  const size_t n = size();
  if (n == 0) return 0;
  return n <= kExactChunks ? header(n - 1).end : spare().capacity;
}

void ClosedChunks::PushBack(const Chunk& c) {
  const size_t n = size();
  // In place when a header slot is reserved for it and its bytes fit.
  if (n > kExactChunks && Slots(n + 1) == Slots(n) &&
      header(n - 1).end + c.bytes().size() <= spare().capacity) {
    const uint32_t end = header(n - 1).end;
    std::memcpy(mem_ + end, c.bytes().data(), c.bytes().size());
    auto* headers = reinterpret_cast<Header*>(mem_ + sizeof(Prefix));
    new (&headers[n]) Header{c.last_t(), static_cast<uint32_t>(end + c.bytes().size()),
                             c.num_samples(), c.coding()};
    auto& p = *reinterpret_cast<Prefix*>(mem_);
    p.count = static_cast<uint32_t>(n + 1);
    p.num_samples += c.num_samples();
    return;
  }
  Rebuild(0, nullptr, &c);
}

void ClosedChunks::Rebuild(size_t keep_from, const Chunk* front, const Chunk* back) {
  static_assert(sizeof(Header) == 16 && alignof(Header) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  static_assert(std::is_trivially_destructible_v<Header>);
  const size_t old_n = size();
  if (keep_from > old_n) std::abort();  // a caller's bug: it would read past the headers
  const size_t n = (front != nullptr) + (old_n - keep_from) + (back != nullptr);
  if (n == 0) {
    ::operator delete(mem_);
    mem_ = nullptr;
    return;
  }
  size_t data = 0;
  if (front != nullptr) data += front->bytes().size();
  for (size_t i = keep_from; i < old_n; ++i) data += this->bytes(i).size();
  if (back != nullptr) data += back->bytes().size();
  // Past kExactChunks an added chunk leaves room for a quarter more bytes, so that chunks
  // added one after another (backfill) are copied about four times in all, not n/2 times
  // each. Dropping and replacing leave none: a series that keeps its length adds and drops
  // one chunk per chunk of samples, copying the others twice, as before.
  const size_t bytes = DataBegin(n) + data + (back != nullptr && n > kExactChunks ? data / 4 : 0);

  auto* mem = static_cast<std::byte*>(::operator new(bytes));
  auto* headers = reinterpret_cast<Header*>(mem + sizeof(Prefix));
  uint32_t end = DataBegin(n);
  uint32_t samples = 0;
  size_t k = 0;
  auto add = [&](std::span<const uint8_t> b, uint16_t num, ValueCoding coding, TimestampMs max_t) {
    std::memcpy(mem + end, b.data(), b.size());
    end += static_cast<uint32_t>(b.size());
    new (&headers[k++]) Header{max_t, end, num, coding};
    samples += num;
  };
  if (front != nullptr) add(front->bytes(), front->num_samples(), front->coding(), front->last_t());
  for (size_t i = keep_from; i < old_n; ++i) add(this->bytes(i), num_samples(i), coding(i), max_t(i));
  if (back != nullptr) add(back->bytes(), back->num_samples(), back->coding(), back->last_t());
  new (mem) Prefix{static_cast<uint32_t>(n), samples};
  ::operator delete(mem_);
  mem_ = mem;
  if (n > kExactChunks) spare() = Spare{bytes, 0};
}

}  // namespace vigil::tsdb
