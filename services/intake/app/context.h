// What every intake use case works with: the call's context (database, outbox, caller, the time
// the call began), the project's rules, the envelope of a ticket's event and the status helpers.
#pragma once

#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include <pqxx/pqxx>
#include <string>
#include <string_view>

#include "aftercare/v1/events.pb.h"
#include "aftercare/v1/intake.pb.h"
#include "common/call.h"
#include "common/outbox.h"
#include "common/pg.h"
#include "common/time.h"
#include "intake/domain/attachments.h"
#include "intake/domain/calendar.h"
#include "intake/domain/policy.h"

namespace aftercare::intake::app {

using grpc::Status;
using grpc::StatusCode;

inline constexpr const char* kDefaultTimeZone = "Asia/Shanghai";
inline constexpr int kMaxPageSize = 200;
inline constexpr int kDefaultPageSize = 50;

// One call of a use case: where it reads and writes, who asks, and "now".
struct Context {
  kit::PgPool& db;
  const kit::Outbox& outbox;
  const kit::Caller& caller;
  absl::Time now;
};

// Domain checks name the field first ("reported_at must ..."): their text is kept as is.
Status bad(std::string_view error);
Status not_found(const std::string& what);
Status denied(const std::string& why);

std::string actor_of(const kit::Caller& c);
int page_size(int requested);
std::string fnv1a_hex(const std::string& bytes);
bool is_set(const google::protobuf::Timestamp& ts);

// What a project's rules need: its zone, its policy, its calendar around a date.
struct ProjectRules {
  v1::Project project;
  absl::TimeZone zone;
  domain::IntakePolicy policy;
  domain::WorkingDayCalendar calendar;
};
ProjectRules load_rules(pqxx::transaction_base& tx, const v1::Project& project, absl::Time around);

// The envelope of a ticket's event; the outbox names its type after the payload.
v1::Event event(const v1::Ticket& t);

// A new attachment of `r` (AddAttachmentRequest, AddInspectionAttachmentRequest) uploaded by the
// caller now: a fresh id, the content's normalised type, size and sha256. The caller sets its
// parent (the ticket or the inspection).
template <typename Request>
v1::Attachment new_attachment(const Context& ctx, const Request& r) {
  v1::Attachment a;
  a.set_attachment_id(kit::new_uuid());
  a.set_kind(r.kind());
  a.set_filename(r.filename());
  a.set_content_type(domain::normalize_content_type(r.content_type()));
  a.set_size_bytes(static_cast<int64_t>(r.content().size()));
  a.set_sha256(domain::sha256_hex(r.content()));
  a.set_note(r.note());
  a.set_uploaded_by(actor_of(ctx.caller));
  *a.mutable_created_at() = kit::to_timestamp(ctx.now);
  a.set_content(r.content());
  return a;
}

}  // namespace aftercare::intake::app
