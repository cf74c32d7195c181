#pragma once

#include <memory>
#include <string>
#include <vector>

#include "lib/clock/clock.h"
#include "services/collector/scrape_manager.h"

namespace vigil::collector {

// Performs scrapes over HTTP with one libcurl multi handle: many transfers, one thread, no
// thread per target (keep-alive, gzip). Owned by the collector's loop thread.
class HttpScraper {
 public:
  struct Completed {
    std::string target_key;
    TimestampMs started;
    ScrapeResult result;
  };

  HttpScraper();
  ~HttpScraper();
  HttpScraper(const HttpScraper&) = delete;
  HttpScraper& operator=(const HttpScraper&) = delete;

  void Start(const ScrapeRequest& request, TimestampMs started);
  // Waits up to `timeout_ms` for network activity or for `wake_fd` to become readable.
  void Wait(int timeout_ms, int wake_fd);
  // Advances transfers and returns those that finished.
  std::vector<Completed> Collect();
  size_t in_flight() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The Accept header of every scrape: Prometheus 2.42's, preferring OpenMetrics 1.0.
extern const char kScrapeAcceptHeader[];

// Prometheus's wording for a non-200 answer: "server returned HTTP status 503 Service Unavailable".
std::string HttpStatusError(long code);

}  // namespace vigil::collector
