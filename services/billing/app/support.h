// Helpers the billing use cases share (app/*.cc only).
#pragma once

#include <stdexcept>
#include <string>

#include "aftercare/v1/events.pb.h"
#include "billing/domain/names.h"
#include "billing/store/billing_store.h"
#include "common/time.h"

namespace aftercare::billing {

inline std::string status_name(aftercare::v1::InvoiceStatus s) {
  return domain::public_name(s);
}

inline aftercare::v1::Event invoice_event(const store::InvoiceRow& invoice) {
  return store::envelope(invoice.project_id, invoice.unit_id);
}

// ---- the consumers' helpers -------------------------------------------------------------------

// Producer data that cannot be applied: thrown so the consumer retries and then dead-letters it
// (visible in kit_dead_letters and <topic>.dlq, never dropped silently).
[[noreturn]] inline void bad_event(const aftercare::v1::Event& e, const std::string& why) {
  throw std::invalid_argument(e.type() + " " + e.event_id() + ": " + why);
}

inline void require(const aftercare::v1::Event& e, const std::string& problem) {
  if (!problem.empty()) bad_event(e, problem);
}

inline absl::Time occurred_at(const aftercare::v1::Event& e) {
  if (!e.has_occurred_at()) return absl::Now();
  return kit::from_timestamp(e.occurred_at());
}

}  // namespace aftercare::billing
