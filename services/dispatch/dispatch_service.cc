#include "dispatch/dispatch_service.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <thread>

#include "absl/strings/escaping.h"
#include "common/call.h"
#include "common/field_error.h"
#include "common/periodic.h"
#include "dispatch/app/work_orders.h"
#include "dispatch/domain/names.h"
#include "dispatch/domain/report.h"
#include "dispatch/domain/validation.h"
#include "dispatch/domain/work_order.h"
#include "dispatch/handler_support.h"

namespace aftercare::dispatch {
namespace {

using aftercare::v1::WorkOrder;
using grpc::Status;
using grpc::StatusCode;
using store::from_timestamp;
using store::to_timestamp;

constexpr int kDefaultPageSize = 50;
constexpr int kMaxPageSize = 200;
constexpr int kDefaultFeedLimit = 100;
constexpr int kMaxFeedLimit = 1000;
constexpr int kMaxWaitSeconds = 30;
constexpr int kMaxGroupProjects = 5000;  // projects per group report (issue 20)
// How often a waiting feed read looks whether its caller went away.
constexpr auto kCancelCheck = std::chrono::seconds(1);

using namespace handlers;  // NOLINT: the shared handler helpers

// ---- page tokens ----

std::string filter_hash(const aftercare::v1::ListWorkOrdersRequest& r) {
  std::string key = r.ticket_id() + "\x1f" + r.project_id() + "\x1f" + r.party_id() + "\x1f" +
                    std::to_string(r.status()) + "\x1f" + std::to_string(r.assignee_kind());
  return std::to_string(fnv1a(key));
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Consumer and workers
// ---------------------------------------------------------------------------------------------

void DispatchServiceImpl::apply_event(pqxx::work& tx, const aftercare::v1::Event& event) {
  workflows_.apply(tx, event, now_micros());
}

void DispatchServiceImpl::apply_events(pqxx::work& tx,
                                       const std::vector<kit::FetchedEvent>& events) {
  workflows_.apply_all(tx, events, now_micros());
}

app::SweepRound DispatchServiceImpl::sweep_once(absl::Time now, std::chrono::seconds longest) {
  app::SweepRound round = app::sweep_late_builders(db_, workflows_, now, longest);
  workflows_.send_due_reminders(db_, now);
  app::fill_report_columns(db_, 500);  // issue 20: orders from before migration 006, once
  return round;
}

kit::PeriodicWorker::Options DispatchServiceImpl::sweeper_options(std::chrono::seconds longest) {
  kit::PeriodicWorker::Options options{"reroute-sweeper", longest};
  options.next_interval = [this] { return next_sweep_.load(); };
  return options;
}

kit::PeriodicWorker::Task DispatchServiceImpl::sweeper_task(std::chrono::seconds longest) {
  return [this, longest](std::stop_token) {
    next_sweep_ = sweep_once(now_micros(), longest).next_round;
  };
}

void DispatchServiceImpl::run_sweeper(std::stop_token stop, std::chrono::seconds longest) {
  kit::PeriodicWorker(sweeper_options(longest), sweeper_task(longest)).run(stop);
}

// ---------------------------------------------------------------------------------------------
// Parties
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::UpsertParty(Ctx* context, const aftercare::v1::UpsertPartyRequest* req,
                                        aftercare::v1::Party* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("UpsertParty", [&] {
    const kit::Caller& caller = call.caller;
    require_role(caller.is_any(kPartyRegistrars), caller, "register parties");
    check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    check_input(domain::check_enum(req->kind(), "kind"), "kind");
    check_input(domain::check_text(req->name(), "name", 1, kMaxNameChars), "name");
    if (req->trades().empty())
      throw Refusal{kit::invalid_field("trades", "at least one category is required")};
    std::set<int> seen;
    for (int t : req->trades()) {
      check_input(domain::check_enum(static_cast<aftercare::v1::TicketCategory>(t), "trades"),
                  "trades");
      if (!seen.insert(t).second) {
        throw Refusal{kit::invalid_field(
            "trades", domain::public_name(static_cast<aftercare::v1::TicketCategory>(t)) +
                          " is listed twice")};
      }
    }
    if (!in_scope(caller, req->project_id())) {
      refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
    }
    aftercare::v1::Party party;
    party.set_project_id(req->project_id());
    party.set_party_id(req->party_id());
    party.set_kind(req->kind());
    party.set_name(req->name());
    *party.mutable_trades() = req->trades();
    party.set_active(req->has_active() ? req->active() : true);
    party.set_on_duty(req->has_on_duty() ? req->on_duty()
                                         : req->kind() == aftercare::v1::PARTY_KIND_CREW);
    absl::Time now = now_micros();
    *party.mutable_updated_at() = to_timestamp(now);
    app::upsert_party(app::Context{db_, workflows_, call.caller, now}, party);
    *resp = party;
  });
}

Status DispatchServiceImpl::ListParties(Ctx* context, const aftercare::v1::ListPartiesRequest* req,
                                        aftercare::v1::ListPartiesResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ListParties", [&] {
    const kit::Caller& caller = call.caller;
    require_role(is_staff(caller) || caller.is(kit::Role::service), caller, "list parties");
    check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    if (req->kind() != aftercare::v1::PARTY_KIND_UNSPECIFIED) {
      check_input(domain::check_enum(req->kind(), "kind"), "kind");
    }
    if (req->trade() != aftercare::v1::TICKET_CATEGORY_UNSPECIFIED) {
      check_input(domain::check_enum(req->trade(), "trade"), "trade");
    }
    if (!in_scope(caller, req->project_id())) {
      refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
    }
    auto parties = db_.in_transaction([&](pqxx::work& tx) {
      return store::list_parties(tx, req->project_id(), req->kind(), req->trade());
    });
    for (auto& p : parties) *resp->add_parties() = std::move(p);
  });
}

// ---------------------------------------------------------------------------------------------
// Work-order queries
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::GetWorkOrder(Ctx* context,
                                         const aftercare::v1::GetWorkOrderRequest* req,
                                         WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("GetWorkOrder", [&] {
    check_order_id(req->work_order_id());
    auto order = db_.in_transaction([&](pqxx::work& tx) {
      return store::load_work_order(tx, req->work_order_id(), /*for_update=*/false);
    });
    if (!order || !sees_order(call.caller, *order)) {
      refuse(StatusCode::NOT_FOUND, "work order " + req->work_order_id() + " not found");
    }
    *resp = *order;
  });
}

Status DispatchServiceImpl::ListWorkOrders(Ctx* context,
                                           const aftercare::v1::ListWorkOrdersRequest* req,
                                           aftercare::v1::ListWorkOrdersResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ListWorkOrders", [&] {
    const kit::Caller& caller = call.caller;
    store::ListQuery q;
    if (caller.is(kit::Role::service)) {
      q.all_projects = true;
    } else if (is_staff(caller)) {
      q.all_projects = caller.sees_project("*");
      q.projects = caller.projects;
    } else if (is_partner(caller)) {
      q.all_projects = true;
      q.only_party = caller.party_id.empty() ? std::string("\x1f") : caller.party_id;
    } else if (caller.is(kit::Role::owner)) {
      q.all_projects = true;
      q.units_only = true;
      q.units = caller.units;
    } else {
      require_role(false, caller, "list work orders");
    }
    if (req->ticket_id().empty() && req->project_id().empty() && req->party_id().empty()) {
      throw Refusal{
          kit::invalid_field("ticket_id", "one of ticket_id, project_id, party_id is required")};
    }
    if (!req->ticket_id().empty())
      check_input(domain::check_id(req->ticket_id(), "ticket_id"), "ticket_id");
    if (!req->project_id().empty())
      check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    if (!req->party_id().empty())
      check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    if (req->status() != aftercare::v1::WORK_ORDER_STATUS_UNSPECIFIED) {
      check_input(domain::check_enum(req->status(), "status"), "status");
    }
    if (req->assignee_kind() != aftercare::v1::PARTY_KIND_UNSPECIFIED) {
      check_input(domain::check_enum(req->assignee_kind(), "assignee_kind"), "assignee_kind");
    }
    if (req->page_size() < 0 || req->page_size() > kMaxPageSize) {
      throw Refusal{
          kit::invalid_field("page_size", "must be between 0 and " + std::to_string(kMaxPageSize))};
    }
    q.ticket_id = req->ticket_id();
    q.project_id = req->project_id();
    q.party_id = req->party_id();
    q.status = req->status();
    q.assignee_kind = req->assignee_kind();
    int page = req->page_size() == 0 ? kDefaultPageSize : req->page_size();
    q.limit = page + 1;  // one more tells whether another page exists
    std::string hash = filter_hash(*req);
    if (!req->page_token().empty()) {
      std::string raw;
      aftercare::v1::PageCursor cursor;
      if (!absl::WebSafeBase64Unescape(req->page_token(), &raw) || !cursor.ParseFromString(raw) ||
          cursor.filter_hash() != hash) {
        throw Refusal{kit::invalid_field("page_token", "is not a token of this listing")};
      }
      q.after_time = from_timestamp(cursor.after_time());
      q.after_id = cursor.after_id();
    }
    auto orders = db_.in_transaction([&](pqxx::work& tx) {
      // Both queries below must see one snapshot: under read committed, a work order committed
      // between them made a ticket of the caller's own project answer 404 (seen by faults_suite).
      tx.exec("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY");
      auto rows = store::list_work_orders(tx, q);
      // A ticket whose work orders are all outside the caller's scope is not the caller's to
      // ask about: 404, as each of its work orders would answer.
      if (rows.empty() && !q.ticket_id.empty() && !q.after_time && !caller.is(kit::Role::service)) {
        store::ListQuery any;
        any.all_projects = true;
        any.ticket_id = q.ticket_id;
        any.limit = 1;
        if (!store::list_work_orders(tx, any).empty())
          refuse(StatusCode::NOT_FOUND, "ticket " + q.ticket_id + " not found");
      }
      return rows;
    });
    bool more = static_cast<int>(orders.size()) > page;
    if (more) orders.resize(page);
    for (auto& o : orders) *resp->add_work_orders() = o;
    if (more) {
      aftercare::v1::PageCursor cursor;
      *cursor.mutable_after_time() = orders.back().created_at();
      cursor.set_after_id(orders.back().work_order_id());
      cursor.set_filter_hash(hash);
      resp->set_next_page_token(absl::WebSafeBase64Escape(cursor.SerializeAsString()));
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Work-order commands
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::CreateWorkOrder(Ctx* context,
                                            const aftercare::v1::CreateWorkOrderRequest* req,
                                            WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("CreateWorkOrder", [&] {
    const kit::Caller& caller = call.caller;
    require_role(dispatches(caller), caller, "create work orders");
    check_input(domain::check_id(req->ticket_id(), "ticket_id"), "ticket_id");
    check_input(domain::check_enum(req->assignee_kind(), "assignee_kind"), "assignee_kind");
    if (!req->party_id().empty())
      check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    if (req->has_estimate_fen())
      check_input(domain::check_fen(req->estimate_fen(), "estimate_fen", 0), "estimate_fen");
    check_input(domain::check_text(req->reason(), "reason", 0, kMaxReasonChars), "reason");
    std::string key = req->idempotency_key();
    if (key.empty()) {
      auto it = context->client_metadata().find("idempotency-key");
      if (it != context->client_metadata().end()) key.assign(it->second.data(), it->second.size());
    }
    check_input(domain::check_text(key, "idempotency_key", 0, 128), "idempotency_key");
    std::string source = "manual:" + (key.empty() ? kit::new_uuid() : req->ticket_id() + ":" + key);
    absl::Time now = now_micros();

    *resp = app::create_work_order(app::Context{db_, workflows_, call.caller, now}, *req, source);
  });
}

Status DispatchServiceImpl::AcceptWorkOrder(Ctx* context,
                                            const aftercare::v1::AcceptWorkOrderRequest* req,
                                            WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("AcceptWorkOrder", [&] {
    check_order_id(req->work_order_id());
    if (!req->technician_id().empty())
      check_input(domain::check_id(req->technician_id(), "technician_id"), "technician_id");
    absl::Time now = now_micros();
    *resp = app::accept_work_order(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::DeclineWorkOrder(Ctx* context,
                                             const aftercare::v1::DeclineWorkOrderRequest* req,
                                             WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("DeclineWorkOrder", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_text(req->reason(), "reason", 1, kMaxReasonChars), "reason");
    absl::Time now = now_micros();
    *resp = app::decline_work_order(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::ScheduleWorkOrder(Ctx* context,
                                              const aftercare::v1::ScheduleWorkOrderRequest* req,
                                              WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ScheduleWorkOrder", [&] {
    check_order_id(req->work_order_id());
    domain::Window window{required_time(req->start(), req->has_start(), "start"),
                          required_time(req->end(), req->has_end(), "end")};
    if (!req->technician_id().empty())
      check_input(domain::check_id(req->technician_id(), "technician_id"), "technician_id");
    check_input(domain::check_text(req->reason(), "reason", 0, kMaxReasonChars), "reason");
    if (req->has_owner_consent()) check_on_behalf(req->owner_consent(), "owner_consent");
    absl::Time now = now_micros();
    *resp = app::schedule_work_order(app::Context{db_, workflows_, call.caller, now}, *req, window);
  });
}

Status DispatchServiceImpl::StartWorkOrder(Ctx* context,
                                           const aftercare::v1::StartWorkOrderRequest* req,
                                           WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("StartWorkOrder", [&] {
    check_order_id(req->work_order_id());
    absl::Time now = now_micros();
    *resp = app::start_work_order(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::CompleteWorkOrder(Ctx* context,
                                              const aftercare::v1::CompleteWorkOrderRequest* req,
                                              WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("CompleteWorkOrder", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_fen(req->cost_fen(), "cost_fen", 0), "cost_fen");
    check_input(domain::check_text(req->notes(), "notes", 0, kMaxNotesChars), "notes");
    absl::Time now = now_micros();
    *resp = app::complete_work_order(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::SignOffWorkOrder(Ctx* context,
                                             const aftercare::v1::SignOffWorkOrderRequest* req,
                                             WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("SignOffWorkOrder", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_enum(req->signer(), "signer"), "signer");
    check_input(domain::check_text(req->comment(), "comment", 0, kMaxReasonChars), "comment");
    if (req->has_on_behalf()) {
      if (req->signer() != aftercare::v1::SIGNER_OWNER) {
        throw Refusal{kit::invalid_field("on_behalf", "is only for signer owner")};
      }
      check_on_behalf(req->on_behalf(), "on_behalf");
    }
    absl::Time now = now_micros();
    *resp = app::sign_off_work_order(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::ReassignWorkOrder(Ctx* context,
                                              const aftercare::v1::ReassignWorkOrderRequest* req,
                                              WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ReassignWorkOrder", [&] {
    const kit::Caller& caller = call.caller;
    require_role(dispatches(caller), caller, "reassign work orders");
    check_order_id(req->work_order_id());
    check_input(domain::check_enum(req->assignee_kind(), "assignee_kind"), "assignee_kind");
    check_input(domain::check_id(req->party_id(), "party_id"), "party_id");
    check_input(domain::check_text(req->reason(), "reason", 0, kMaxReasonChars), "reason");
    absl::Time now = now_micros();
    *resp = app::reassign_work_order(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::CancelWorkOrder(Ctx* context,
                                            const aftercare::v1::CancelWorkOrderRequest* req,
                                            WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("CancelWorkOrder", [&] {
    const kit::Caller& caller = call.caller;
    require_role(dispatches(caller), caller, "cancel work orders");
    check_order_id(req->work_order_id());
    check_input(domain::check_text(req->reason(), "reason", 1, kMaxReasonChars), "reason");
    absl::Time now = now_micros();
    *resp = app::cancel_work_order(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::ReportLate(Ctx* context, const aftercare::v1::ReportLateRequest* req,
                                       WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ReportLate", [&] {
    check_order_id(req->work_order_id());
    absl::Time eta = required_time(req->new_eta(), req->has_new_eta(), "new_eta");
    check_input(domain::check_text(req->message(), "message", 1, kMaxReasonChars), "message");
    absl::Time now = now_micros();
    if (eta < now) throw Refusal{kit::invalid_field("new_eta", "must not be in the past")};
    *resp = app::report_late(app::Context{db_, workflows_, call.caller, now}, *req, eta);
  });
}

Status DispatchServiceImpl::RecordVerification(Ctx* context,
                                               const aftercare::v1::RecordVerificationRequest* req,
                                               WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RecordVerification", [&] {
    const kit::Caller& caller = call.caller;
    require_role(caller.is_any(kVerifiers), caller, "record verifications");
    check_order_id(req->work_order_id());
    check_input(domain::check_enum(req->liability(), "liability"), "liability");
    check_input(domain::check_fen(req->estimate_fen(), "estimate_fen", 0), "estimate_fen");
    check_input(domain::check_text(req->notes(), "notes", 0, kMaxNotesChars), "notes");
    check_input(domain::check_text(req->plan(), "plan", 0, kMaxNotesChars), "plan");
    absl::Time now = now_micros();
    *resp = app::record_verification(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

Status DispatchServiceImpl::IssueQuote(Ctx* context, const aftercare::v1::IssueQuoteRequest* req,
                                       WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("IssueQuote", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_fen(req->amount_fen(), "amount_fen", 1), "amount_fen");
    check_input(domain::check_text(req->items(), "items", 1, kMaxNotesChars), "items");
    absl::Time now = now_micros();
    std::optional<absl::Time> valid_until;
    if (req->has_valid_until()) {
      valid_until = required_time(req->valid_until(), true, "valid_until");
      if (*valid_until <= now)
        throw Refusal{kit::invalid_field("valid_until", "must be in the future")};
    }
    *resp = app::issue_quote(app::Context{db_, workflows_, call.caller, now}, *req, valid_until);
  });
}

Status DispatchServiceImpl::ConfirmQuote(Ctx* context,
                                         const aftercare::v1::ConfirmQuoteRequest* req,
                                         WorkOrder* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ConfirmQuote", [&] {
    check_order_id(req->work_order_id());
    check_input(domain::check_id(req->quote_id(), "quote_id"), "quote_id");
    if (req->has_on_behalf()) check_on_behalf(req->on_behalf(), "on_behalf");
    absl::Time now = now_micros();
    *resp = app::confirm_quote(app::Context{db_, workflows_, call.caller, now}, *req);
  });
}

// ---------------------------------------------------------------------------------------------
// Partner feed
// ---------------------------------------------------------------------------------------------

namespace {

struct FeedRequest {
  std::string party_id;
  int64_t after = 0;
  int limit = kDefaultFeedLimit;
  int wait_seconds = 0;
};

FeedRequest check_feed_request(kit::PgPool& db, const kit::Caller& caller,
                               const aftercare::v1::ListPartnerEventsRequest& req) {
  require_role(caller.is_any(kFeedReaders), caller, "read partner events");
  check_input(domain::check_id(req.party_id(), "party_id"), "party_id");
  FeedRequest f;
  f.party_id = req.party_id();
  if (!req.after().empty()) {
    try {
      size_t used = 0;
      f.after = std::stoll(req.after(), &used);
      if (used != req.after().size() || f.after < 0) throw std::invalid_argument("cursor");
    } catch (const std::exception&) {
      throw Refusal{kit::invalid_field("after", "is not a cursor of this feed")};
    }
  }
  if (req.limit() < 0 || req.limit() > kMaxFeedLimit) {
    throw Refusal{
        kit::invalid_field("limit", "must be between 0 and " + std::to_string(kMaxFeedLimit))};
  }
  if (req.limit() > 0) f.limit = req.limit();
  if (req.wait_seconds() < 0 || req.wait_seconds() > kMaxWaitSeconds) {
    throw Refusal{kit::invalid_field("wait_seconds",
                                     "must be between 0 and " + std::to_string(kMaxWaitSeconds))};
  }
  f.wait_seconds = req.wait_seconds();
  // A partner reads its own feed only; another party's feed does not exist for it.
  if (is_partner(caller) && caller.party_id != f.party_id) {
    refuse(StatusCode::NOT_FOUND, "party " + f.party_id + " not found");
  }
  // An admin reads the feeds of the parties of its projects (support); not others'.
  if (caller.is(kit::Role::admin) && !caller.sees_project("*")) {
    auto projects =
        db.in_transaction([&](pqxx::work& tx) { return store::party_projects(tx, f.party_id); });
    if (std::none_of(projects.begin(), projects.end(),
                     [&](const std::string& p) { return caller.sees_project(p); }))
      refuse(StatusCode::NOT_FOUND, "party " + f.party_id + " not found");
  }
  return f;
}

}  // namespace

bool DispatchServiceImpl::wait_for_feed(grpc::ServerContext& context, const std::string& party,
                                        FeedHeads::Seen& seen,
                                        std::chrono::steady_clock::time_point until) {
  for (;;) {
    if (context.IsCancelled()) return false;
    auto now = std::chrono::steady_clock::now();
    if (now >= until) return false;
    // Slices of a second at most, so that a cancelled call is noticed without a notification.
    if (feed_heads_.wait_for_change(party, seen, std::min(until, now + kCancelCheck))) return true;
  }
}

Status DispatchServiceImpl::ListPartnerEvents(Ctx* context,
                                              const aftercare::v1::ListPartnerEventsRequest* req,
                                              aftercare::v1::ListPartnerEventsResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("ListPartnerEvents", [&] {
    FeedRequest f = check_feed_request(db_, call.caller, *req);
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(f.wait_seconds);
    FeedHeads::Seen seen = feed_heads_.seen(f.party_id);
    std::vector<aftercare::v1::PartnerEvent> events;
    for (;;) {
      events = db_.in_transaction([&](pqxx::work& tx) {
        return store::read_partner_events(tx, f.party_id, f.after, f.limit);
      });
      if (!events.empty() || !wait_for_feed(*context, f.party_id, seen, until)) break;
    }
    for (auto& e : events) *resp->add_events() = std::move(e);
    resp->set_next_cursor(resp->events().empty() ? req->after()
                                                 : resp->events().rbegin()->cursor());
  });
}

Status DispatchServiceImpl::WatchPartnerEvents(
    Ctx* context, const aftercare::v1::ListPartnerEventsRequest* req,
    grpc::ServerWriter<aftercare::v1::PartnerEvent>* writer) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("WatchPartnerEvents", [&] {
    FeedRequest f = check_feed_request(db_, call.caller, *req);
    int64_t after = f.after;
    FeedHeads::Seen seen = feed_heads_.seen(f.party_id);
    for (;;) {
      auto events = db_.in_transaction([&](pqxx::work& tx) {
        return store::read_partner_events(tx, f.party_id, after, f.limit);
      });
      for (const auto& e : events) {
        if (!writer->Write(e)) return;  // the client went away
        after = std::stoll(e.cursor());
      }
      if (events.empty() &&
          !wait_for_feed(*context, f.party_id, seen, std::chrono::steady_clock::time_point::max()))
        return;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Rerouting
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::RerouteLateBuilders(
    Ctx* context, const aftercare::v1::RerouteLateBuildersRequest* req,
    aftercare::v1::RerouteLateBuildersResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RerouteLateBuilders", [&] {
    const kit::Caller& caller = call.caller;
    require_role(dispatches(caller), caller, "run the reroute sweeper");
    bool everywhere = caller.is(kit::Role::service) || caller.sees_project("*");
    if (req->project_id().empty()) {
      if (!everywhere) throw Refusal{kit::invalid_field("project_id", "is required")};
    } else {
      check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
      if (!everywhere && !caller.sees_project(req->project_id())) {
        refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
      }
    }
    absl::Time as_of = req->has_as_of() ? required_time(req->as_of(), true, "as_of") : now_micros();
    for (auto& r : workflows_.reroute_late_builders(db_, as_of, req->project_id())) {
      *resp->add_reroutes() = std::move(r);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Reports
// ---------------------------------------------------------------------------------------------

Status DispatchServiceImpl::RepairReport(Ctx* context,
                                         const aftercare::v1::RepairReportRequest* req,
                                         aftercare::v1::RepairReportResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("RepairReport", [&] {
    const kit::Caller& caller = call.caller;
    require_role(caller.is_any(kReportReaders), caller, "read repair reports");
    check_input(domain::check_id(req->project_id(), "project_id"), "project_id");
    std::string period_error = domain::check_period(req->period());
    if (!period_error.empty()) throw Refusal{kit::invalid_from_check(period_error)};
    if (!in_scope(caller, req->project_id())) {
      refuse(StatusCode::NOT_FOUND, "project " + req->project_id() + " not found");
    }
    absl::Time now = now_micros();
    *resp = app::repair_report(app::Context{db_, workflows_, call.caller, now}, *req);
    resp->set_project_id(req->project_id());
    *resp->mutable_period() = req->period();
  });
}

// Issue 20: the same report for many projects (callback's group view), the same roles; every
// requested project must be one the caller sees (else NOT_FOUND, as RepairReport).
Status DispatchServiceImpl::GroupRepairReport(Ctx* context,
                                              const aftercare::v1::GroupRepairReportRequest* req,
                                              aftercare::v1::GroupRepairReportResponse* resp) {
  kit::ServerCall call = kit::begin_call(*context);
  return guarded("GroupRepairReport", [&] {
    const kit::Caller& caller = call.caller;
    require_role(caller.is_any(kReportReaders), caller, "read repair reports");
    std::string period_error = domain::check_period(req->period());
    if (!period_error.empty()) throw Refusal{kit::invalid_from_check(period_error)};
    if (req->project_ids_size() > kMaxGroupProjects) {
      throw Refusal{kit::invalid_field(
          "project_ids", "at most " + std::to_string(kMaxGroupProjects) + " projects")};
    }
    for (const std::string& id : req->project_ids()) {
      check_input(domain::check_id(id, "project_ids"), "project_ids");
      if (!in_scope(caller, id)) {
        refuse(StatusCode::NOT_FOUND, "project " + id + " not found");
      }
    }
    *resp =
        app::group_repair_report(app::Context{db_, workflows_, call.caller, now_micros()}, *req);
  });
}

}  // namespace aftercare::dispatch
