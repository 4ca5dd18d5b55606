// Technicians of crews and contractors, their calendars and the assignment of work orders to
// them (see domain/technicians.h for the rules).
#include <algorithm>
#include <set>

#include "dispatch/dispatch_service.h"
#include "dispatch/domain/names.h"
#include "dispatch/domain/technicians.h"
#include "dispatch/handler_support.h"
#include "dispatch/store/technician_store.h"

namespace aftercare::dispatch {
namespace {

using namespace handlers;  // NOLINT: the shared handler helpers

constexpr int kMaxDailyCap = 100;
constexpr size_t kMaxDaysOff = 400;
constexpr absl::Duration kMaxScheduleSpan = absl::Hours(24 * 62);

void check_trades(const google::protobuf::RepeatedField<int>& trades) {
  if (trades.empty())
    throw Refusal{kit::invalid_field("trades", "at least one category is required")};
  std::set<int> seen;
  for (int t : trades) {
    check_input(domain::check_enum(static_cast<aftercare::v1::TicketCategory>(t), "trades"),
                "trades");
    if (!seen.insert(t).second) {
      throw Refusal{kit::invalid_field(
          "trades",
          domain::public_name(static_cast<aftercare::v1::TicketCategory>(t)) + " is listed twice")};
    }
  }
}

bool is_technician_party(aftercare::v1::PartyKind kind) {
  return kind == aftercare::v1::PARTY_KIND_CREW || kind == aftercare::v1::PARTY_KIND_CONTRACTOR;
}

// Staff of the technician's project, another service, or the technician's own party.
bool sees_technician(const kit::Caller& c, const aftercare::v1::Technician& t) {
  if (c.is(kit::Role::service)) return true;
  if (is_staff(c)) return c.sees_project(t.project_id());
  if (is_partner(c)) return !c.party_id.empty() && c.party_id == t.party_id();
  return false;
}

}  // namespace

Status DispatchServiceImpl::UpsertTechnician(Ctx* context,
                                             const aftercare::v1::UpsertTechnicianRequest* req,
                                             aftercare::v1::Technician* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("UpsertTechnician", [&] {
    const kit::Caller& caller = call.caller;
    require_role(dispatches(caller), caller, "register technicians");
    check_input(domain::check_id(req->technician_id(), "technician_id"), "technician_id");
    check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    check_input(domain::check_text(req->name(), "name", 1, kMaxNameChars), "name");
    check_trades(req->trades());
    if (req->has_daily_cap())
      check_input(domain::check_daily_cap(req->daily_cap(), kMaxDailyCap), "daily_cap");
    std::vector<std::string> days(req->days_off().begin(), req->days_off().end());
    check_input(domain::check_days_off(days, kMaxDaysOff), "days_off");
    if (!req->work_start().empty())
      check_input(domain::check_clock(req->work_start(), "work_start"), "work_start");
    if (!req->work_end().empty())
      check_input(domain::check_clock(req->work_end(), "work_end"), "work_end");
    if (!in_scope(caller, req->project_id())) {
      refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
    }
    // Stored sorted and in canonical form, so a read gives back what the calendar shows.
    std::vector<absl::CivilDay> parsed;
    for (const std::string& d : days) parsed.push_back(*domain::parse_day(d));
    std::sort(parsed.begin(), parsed.end());
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      std::optional<aftercare::v1::Party> party =
          store::find_party(tx, req->project_id(), req->party_id());
      if (!party || !is_technician_party(party->kind())) {
        refuse(StatusCode::FAILED_PRECONDITION, "party " + req->party_id() +
                                                    " is not a crew or contractor of project " +
                                                    req->project_id());
      }
      domain::DispatchPolicy policy = store::load_policy(tx, req->project_id());
      aftercare::v1::Technician t;
      t.set_technician_id(req->technician_id());
      t.set_project_id(req->project_id());
      t.set_party_id(req->party_id());
      t.set_name(req->name());
      *t.mutable_trades() = req->trades();
      t.set_daily_cap(req->has_daily_cap() ? req->daily_cap() : 0);
      t.set_daily_cap_is_default(!req->has_daily_cap());
      t.set_active(req->has_active() ? req->active() : true);
      for (absl::CivilDay d : parsed) t.add_days_off(domain::format_day(d));
      t.set_work_start(req->work_start().empty() ? policy.technician_work_start
                                                 : req->work_start());
      t.set_work_end(req->work_end().empty() ? policy.technician_work_end : req->work_end());
      std::string hours = domain::check_hours(t.work_start(), t.work_end());
      if (!hours.empty()) {
        std::string field = hours.substr(0, hours.find(' '));
        check_input(hours, field);
      }
      *t.mutable_updated_at() = to_timestamp(now);
      if (!store::upsert_technician(tx, t))
        throw kit::already_exists("technician id " + t.technician_id() + " is taken");
      return store::with_effective_cap(t, policy);
    });
  });
}

Status DispatchServiceImpl::ListTechnicians(Ctx* context,
                                            const aftercare::v1::ListTechniciansRequest* req,
                                            aftercare::v1::ListTechniciansResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ListTechnicians", [&] {
    const kit::Caller& caller = call.caller;
    require_role(is_staff(caller) || is_partner(caller) || caller.is(kit::Role::service), caller,
                 "list technicians");
    check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    if (!req->party_id().empty())
      check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    std::string party = req->party_id();
    if (is_partner(caller)) {
      // A party sees its own technicians only; another party's list is empty, not an error.
      if (caller.party_id.empty() || (!party.empty() && party != caller.party_id)) return;
      party = caller.party_id;
    } else if (!in_scope(caller, req->project_id())) {
      refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
    }
    auto technicians = db_.in_transaction([&](pqxx::work& tx) {
      domain::DispatchPolicy policy = store::load_policy(tx, req->project_id());
      std::vector<aftercare::v1::Technician> out;
      for (auto& t : store::list_technicians(tx, req->project_id(), party))
        out.push_back(store::with_effective_cap(std::move(t), policy));
      return out;
    });
    for (auto& t : technicians) *resp->add_technicians() = std::move(t);
  });
}

Status DispatchServiceImpl::TechnicianSchedule(Ctx* context,
                                               const aftercare::v1::TechnicianScheduleRequest* req,
                                               aftercare::v1::TechnicianScheduleResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("TechnicianSchedule", [&] {
    const kit::Caller& caller = call.caller;
    require_role(is_staff(caller) || is_partner(caller) || caller.is(kit::Role::service), caller,
                 "read technician schedules");
    check_input(domain::check_id(req->technician_id(), "technician_id"), "technician_id");
    absl::Time from = required_time(req->from(), req->has_from(), "from");
    absl::Time to = required_time(req->to(), req->has_to(), "to");
    if (to <= from) throw Refusal{kit::invalid_field("to", "must be after from")};
    if (to - from > kMaxScheduleSpan)
      throw Refusal{kit::invalid_field("to", "must be at most 62 days after from")};
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      std::optional<aftercare::v1::Technician> t =
          store::find_technician(tx, req->technician_id(), /*for_update=*/false);
      if (!t || !sees_technician(caller, *t))
        refuse(StatusCode::NOT_FOUND, "technician " + req->technician_id() + " not found");
      domain::DispatchPolicy policy = store::load_policy(tx, t->project_id());
      aftercare::v1::TechnicianScheduleResponse out;
      *out.mutable_technician() = store::with_effective_cap(*t, policy);
      for (auto& a : store::technician_appointments(tx, t->technician_id(), from, to))
        *out.add_appointments() = std::move(a);
      absl::CivilDay today = absl::ToCivilDay(now, project_zone(tx, t->project_id()));
      auto loads = store::technician_loads(tx, {t->technician_id()}, today, "");
      const domain::TechnicianLoad& load = loads[t->technician_id()];
      out.set_assigned_today(load.assigned_on_day);
      out.set_open_today(load.open_on_day);
      out.set_today(domain::format_day(today));
      return out;
    });
  });
}

Status DispatchServiceImpl::AssignTechnician(Ctx* context,
                                             const aftercare::v1::AssignTechnicianRequest* req,
                                             WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("AssignTechnician", [&] {
    const kit::Caller& caller = call.caller;
    check_order_id(req->work_order_id());
    if (!req->technician_id().empty())
      check_input(domain::check_id(req->technician_id(), "technician_id"), "technician_id");
    check_input(domain::check_text(req->reason(), "reason", 0, kMaxReasonChars), "reason");
    absl::Time now = now_micros();
    *resp = db_.in_transaction([&](pqxx::work& tx) {
      WorkOrder o = lock_visible(tx, caller, req->work_order_id());
      require_assignee(caller, o, "assign technicians to this work order");
      check_action(domain::Action::kAssignTechnician, o);
      require_assigned(o);
      if (o.assignee_kind() == aftercare::v1::PARTY_KIND_BUILDER) {
        refuse(StatusCode::FAILED_PRECONDITION,
               "the work order is the builder's; technicians are assigned to crew and "
               "contractor orders");
      }
      TechnicianRequest request;
      request.technician_id = req->technician_id();
      request.reason = req->reason();
      request.assigned_by = caller.sub;
      request.may_exceed_cap = dispatches(caller);
      TechnicianOutcome outcome = workflows_.assign_technician(tx, o, request, now);
      check_precondition(outcome.error);
      return o;
    });
  });
}

}  // namespace aftercare::dispatch
