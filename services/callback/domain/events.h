// The events callback publishes on aftercare.callback.v1, built from a callback as it is after
// the change. Aggregate (partition key) = callback_id, except WarrantyExpiryReminderDue (unit_id),
// as events.proto says. No owner names or phone numbers: owners appear as owner_id, and the
// comment has its digit runs masked.
#pragma once

#include <string>

#include "absl/time/time.h"
#include "aftercare/v1/callback.pb.h"
#include "aftercare/v1/events.pb.h"

namespace aftercare::callback::domain {

aftercare::v1::Event callback_scheduled(const aftercare::v1::Callback& cb, absl::Time at);
aftercare::v1::Event callback_attempted(const aftercare::v1::Callback& cb, int attempt_no,
                                        const std::string& agent_id, bool gave_up, absl::Time at);
aftercare::v1::Event callback_recorded(const aftercare::v1::Callback& cb, bool on_time,
                                       absl::Time at);
aftercare::v1::Event rework_requested(const aftercare::v1::Callback& cb, const std::string& reason,
                                      absl::Time return_due, absl::Time at);
aftercare::v1::Event survey_completed(const aftercare::v1::Callback& cb, absl::Time at);
aftercare::v1::Event callback_reviewed(const aftercare::v1::Callback& cb, absl::Time at);
aftercare::v1::Event warranty_expiry_reminder_due(const aftercare::v1::Callback& cb,
                                                  aftercare::v1::Component component,
                                                  absl::Time at);

// google.protobuf.Timestamp <-> absl::Time (microsecond precision, as PostgreSQL keeps).
void set_timestamp(google::protobuf::Timestamp* out, absl::Time t);
absl::Time from_timestamp(const google::protobuf::Timestamp& t);

}  // namespace aftercare::callback::domain
