// Helpers the billing use cases share (app/*.cc only).
#pragma once

#include <string>

#include "aftercare/v1/events.pb.h"
#include "billing/domain/names.h"
#include "billing/store/billing_store.h"

namespace aftercare::billing {

inline std::string status_name(aftercare::v1::InvoiceStatus s) {
  return domain::public_name(s);
}

inline aftercare::v1::Event invoice_event(const store::InvoiceRow& invoice) {
  return store::envelope(invoice.project_id, invoice.unit_id);
}

}  // namespace aftercare::billing
