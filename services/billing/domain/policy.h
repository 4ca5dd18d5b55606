// The numbers of DOMAIN §5 as one value. Every one is a platform default that a project may
// override (billing_projects columns; reminder_days_before_due also arrives with intake's
// PolicyUpdated), so domain functions take the policy as a parameter and hide no number.
#pragma once

#include <cstdint>

namespace aftercare::billing::domain {

struct BillingPolicy {
  // PaymentReminderDue goes out this many days before the due date (001: 3 days).
  int reminder_days_before_due = 3;
  // A paid repair or other paid service is due this many days after it was invoiced.
  int service_due_days = 15;
  // Upper bounds (inclusive, in days past the due date) of the first three arrears buckets; the
  // fourth is open-ended: 1-30, 31-90, 91-365, 366+.
  int aging_bound_1 = 30;
  int aging_bound_2 = 90;
  int aging_bound_3 = 365;

  static BillingPolicy defaults() { return BillingPolicy{}; }
};

// Limits of accepted input. Not business numbers: they keep every product of amounts inside
// int64 and refuse typing mistakes (an extra row of zeros) before anything is written.
struct Limits {
  // 10^10 yuan: beyond any invoice, payment, settlement or deposit of a residential project.
  static constexpr int64_t kMaxAmountFen = 1'000'000'000'000;
  // 10^5 yuan per m2 per month.
  static constexpr int64_t kMaxFenPerM2Month = 10'000'000;
  // 10^6 m2 in hundredths.
  static constexpr int64_t kMaxAreaCentiM2 = 100'000'000;
};

}  // namespace aftercare::billing::domain
