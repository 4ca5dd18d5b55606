// Who may do what in billing: each capability's roles, listed once. "service" is another
// AfterCare service acting on its own behalf; hq reads reports and writes nothing (issue 20).
#pragma once

#include "common/call.h"

namespace aftercare::billing {

using kit::Role;

// Money is written by finance and admins: fee rates, billing runs, invoices, payments,
// refunds, settlements, deposits.
inline constexpr kit::Roles kMoneyWriters{Role::finance, Role::admin};
// Billing staff read every invoice, payment and settlement of their projects.
inline constexpr kit::Roles kBillingStaff{Role::finance, Role::admin, Role::supervisor,
                                          Role::service};
// A project's fee rate is also read by its owners (what they pay per m2).
inline constexpr kit::Roles kFeeRateReaders = kBillingStaff | kit::Roles{Role::owner};
// Who records a payment: owners pay their own invoices; staff record cash and transfers.
inline constexpr kit::Roles kPayers{Role::owner, Role::finance, Role::admin, Role::service};
// KPI reports: billing staff and headquarters.
inline constexpr kit::Roles kReportReaders = kBillingStaff | kit::Roles{Role::hq};
// The trial balance: the money writers and another service (reconciliation).
inline constexpr kit::Roles kLedgerReaders = kMoneyWriters | kit::Roles{Role::service};

inline bool is_billing_staff(const kit::Caller& c) {
  return c.is_any(kBillingStaff);
}

}  // namespace aftercare::billing
