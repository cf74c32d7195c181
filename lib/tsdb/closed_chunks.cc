#include "lib/tsdb/closed_chunks.h"

#include <cstring>
#include <new>
#include <type_traits>

namespace vigil::tsdb {

static_assert(sizeof(ClosedChunks) == sizeof(void*));

size_t ClosedChunks::allocated_bytes() const {
  const size_t n = size();
  return n == 0 ? 0 : header(n - 1).end;
}

void ClosedChunks::Rebuild(size_t keep_from, const Chunk* front, const Chunk* back) {
  static_assert(sizeof(Header) == 16 && alignof(Header) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  static_assert(std::is_trivially_destructible_v<Header>);
  const size_t old_n = size();
  const size_t n = (front != nullptr) + (old_n - keep_from) + (back != nullptr);
  if (n == 0) {
    ::operator delete(mem_);
    mem_ = nullptr;
    return;
  }
  size_t bytes = DataBegin(n);
  if (front != nullptr) bytes += front->bytes().size();
  for (size_t i = keep_from; i < old_n; ++i) bytes += this->bytes(i).size();
  if (back != nullptr) bytes += back->bytes().size();

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
}

}  // namespace vigil::tsdb
