// Helpers shared by the gRPC handlers of dispatch (dispatch_service.cc, technician_service.cc,
// webhook_service.cc): refusals thrown inside transactions and turned into statuses, who may do
// what, input checks in the kit's INVALID_ARGUMENT convention.
#pragma once

#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include <string>
#include <vector>

#include "common/call.h"
#include "common/refusal.h"
#include "dispatch/access.h"
#include "dispatch/domain/validation.h"
#include "dispatch/domain/work_order.h"
#include "dispatch/store/dispatch_store.h"
#include "dispatch/store/technician_store.h"

namespace aftercare::dispatch::handlers {

using aftercare::v1::WorkOrder;
using grpc::Status;
using grpc::StatusCode;
using store::from_timestamp;
using store::to_timestamp;

inline constexpr size_t kMaxNameChars = 100;
inline constexpr size_t kMaxReasonChars = 500;
inline constexpr size_t kMaxNotesChars = 2000;

using kit::guarded;
using kit::Refusal;

[[noreturn]] inline void refuse(StatusCode code, const std::string& message) {
  throw Refusal(code, message);
}

// Domain checks return "field why"; the kit's convention is INVALID_ARGUMENT "field: why".
inline void check_input(const std::string& error, const std::string& field) {
  if (error.empty()) return;
  std::string why = error;
  if (why.starts_with(field + " ")) why = why.substr(field.size() + 1);
  throw Refusal{kit::invalid_field(field, why)};
}

inline void check_precondition(const std::string& error) {
  if (!error.empty()) refuse(StatusCode::FAILED_PRECONDITION, error);
}

// ---- who may do what: access.h ----

inline void require_role(bool allowed, const kit::Caller& c, const char* what) {
  if (!allowed) {
    refuse(StatusCode::PERMISSION_DENIED,
           "role " + (c.role_name().empty() ? std::string("(none)") : c.role_name()) + " may not " +
               what);
  }
}

inline void check_order_id(const std::string& id) {
  check_input(domain::check_id(id, "work_order_id"), "work_order_id");
}

// Loads and locks the order; NOT_FOUND when missing or outside the caller's scope, so ids do
// not leak. `may_act` false -> PERMISSION_DENIED.
inline WorkOrder lock_visible(pqxx::work& tx, const kit::Caller& caller, const std::string& id) {
  std::optional<WorkOrder> o = store::load_work_order(tx, id, /*for_update=*/true);
  if (!o || !sees_order(caller, *o))
    refuse(StatusCode::NOT_FOUND, "work order " + id + " not found");
  return *o;
}

inline void require_assignee(const kit::Caller& caller, const WorkOrder& o, const char* what) {
  require_role(acts_for_assignee(caller, o), caller, what);
}

inline void require_assigned(const WorkOrder& o) {
  if (o.party_id().empty()) {
    refuse(StatusCode::FAILED_PRECONDITION,
           "the work order is unassigned; a dispatcher must reassign it first");
  }
}

inline void check_action(domain::Action action, const WorkOrder& o) {
  check_precondition(domain::action_error(action, o.status()));
}

inline std::string owner_of(pqxx::work& tx, const WorkOrder& o) {
  std::optional<store::Ticket> t = store::load_ticket(tx, o.ticket_id());
  return t ? t->owner_id : "";
}

inline std::vector<std::string> feed_of(const WorkOrder& o) {
  if (o.party_id().empty()) return {};
  return {o.party_id()};
}

inline uint64_t fnv1a(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

// ---- time ----

inline absl::Time required_time(const google::protobuf::Timestamp& ts, bool has,
                                const std::string& field) {
  if (!has) throw Refusal{kit::invalid_field(field, "is required")};
  if (ts.nanos() < 0 || ts.nanos() > 999'999'999) {
    throw Refusal{kit::invalid_field(field, "is not a valid timestamp")};
  }
  return store::truncate_to_micros(from_timestamp(ts));
}

// ---- owners without the app (issue 23) ----

// The shape of an on_behalf object (who may use it is decided with the order, in the app):
// a known method, paper_slip with its attachment, an id-shaped attachment_id, a short note.
inline void check_on_behalf(const aftercare::v1::OnBehalf& ob, const std::string& field) {
  check_input(domain::check_enum(ob.method(), field + ".method"), field + ".method");
  if (ob.method() == aftercare::v1::ON_BEHALF_METHOD_PAPER_SLIP && ob.attachment_id().empty()) {
    throw Refusal{kit::invalid_field(field + ".attachment_id",
                                     "is required for paper_slip (the signed slip, an attachment "
                                     "of the ticket)")};
  }
  if (!ob.attachment_id().empty()) {
    check_input(domain::check_id(ob.attachment_id(), field + ".attachment_id"),
                field + ".attachment_id");
  }
  check_input(domain::check_text(ob.note(), field + ".note", 0, kMaxReasonChars), field + ".note");
}

}  // namespace aftercare::dispatch::handlers
