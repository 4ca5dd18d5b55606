#include "intake/app/app.h"

#include "common/privacy.h"
#include "common/time.h"
#include "intake/app/ticket.h"
#include "intake/domain/merge_split.h"
#include "intake/domain/names.h"

namespace aftercare::intake::app {

using kit::from_timestamp;

Status merge_tickets(const Context& ctx, const v1::MergeTicketsRequest& r, v1::Ticket* out) {
  const std::string actor = actor_of(ctx.caller);
  return change_ticket(
      ctx, r.ticket_id(), kMergers, out, [&](Tickets& tickets, v1::Ticket& survivor) {
        auto source = store::find_ticket(tickets.tx(), r.source_ticket_id(), /*for_update=*/true);
        if (!source || !sees_ticket(ctx.caller, *source))
          return not_found("ticket " + r.source_ticket_id());
        if (auto e = domain::check_merge(survivor, *source); !e.empty())
          return Status(StatusCode::FAILED_PRECONDITION, e);
        const std::string why = "merged into " + survivor.ticket_no() + ": " + r.reason();
        // The source ends cancelled like any withdrawn ticket: TicketStatusChanged and
        // TicketCancelled, on which dispatch cancels the source's work orders.
        if (Status s = tickets.move(*source, v1::TICKET_STATUS_CANCELLED, actor, why); !s.ok())
          return s;
        source->set_merged_into_ticket_id(survivor.ticket_id());
        tickets.history(*source, actor, "merged_into", survivor.ticket_no() + ": " + r.reason());
        tickets.history(survivor, actor, "merged",
                        source->ticket_no() + " merged into this ticket: " + r.reason());
        // The source's report was the survivor's request again: take it back from its issue's
        // recurrence so the next report is not counted (and escalated) one too high.
        if (domain::merge_uncounts_source(*source)) {
          int reports = store::lock_issue(tickets.tx(), source->unit_id(), source->category(),
                                          source->component());
          store::set_issue_reports(tickets.tx(), source->unit_id(), source->category(),
                                   source->component(), domain::reports_after_merge(reports));
        }
        v1::Event e = event(*source);
        e.mutable_ticket_cancelled()->set_ticket_id(source->ticket_id());
        e.mutable_ticket_cancelled()->set_reason(kit::mask_digit_runs(why));
        tickets.outbox().add(tickets.tx(), e);
        store::update_ticket(tickets.tx(), *source);
        return Status::OK;
      });
}

Status split_ticket(const Context& ctx, const v1::SplitTicketRequest& r,
                    const std::string& request_hash, v1::Ticket* out) {
  const std::string actor = actor_of(ctx.caller);
  // A concurrent twin with the same idempotency key loses the unique index: retry once and
  // find the twin's ticket.
  for (int attempt = 0;; ++attempt) {
    try {
      return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
        if (!r.idempotency_key().empty()) {
          std::string stored_hash;
          if (auto first =
                  store::find_by_idempotency_key(tx, actor, r.idempotency_key(), &stored_hash)) {
            if (stored_hash != request_hash)
              return {StatusCode::ALREADY_EXISTS,
                      "idempotency_key was used for a different request"};
            *out = *first;
            return Status::OK;
          }
        }
        auto original = store::find_ticket(tx, r.ticket_id(), /*for_update=*/true);
        if (!original || !sees_ticket(ctx.caller, *original))
          return not_found("ticket " + r.ticket_id());
        if (auto e = domain::check_split_issue(*original, r.category(), r.component()); !e.empty())
          return bad(e);
        if (auto e = domain::check_splittable(*original); !e.empty())
          return {StatusCode::FAILED_PRECONDITION, e};
        auto project = store::find_project(tx, original->project_id());
        auto unit = store::find_unit(tx, original->unit_id());
        if (!project || !unit) return not_found("ticket " + r.ticket_id());
        // The owner asked for both at once: the second problem's deadlines and warranty count
        // from the original report, in the project's rules.
        absl::Time reported_at = from_timestamp(original->reported_at());
        ProjectRules rules = load_rules(tx, *project, reported_at);
        NewReport report{*unit, r.kind(), r.category(), r.component(),
                         r.urgency() != v1::URGENCY_UNSPECIFIED ? r.urgency() : original->urgency(),
                         original->channel(), default_repair_area(r.repair_area(), r.category()),
                         r.description(), reported_at,
                         // First-contact ownership stays with whoever took the original request.
                         !original->owner_agent().empty()  ? original->owner_agent()
                         : ctx.caller.is(kit::Role::agent) ? ctx.caller.sub
                                                           : "",
                         actor, original->ticket_id(), ", split from " + original->ticket_no(),
                         r.idempotency_key(), r.idempotency_key().empty() ? "" : request_hash};
        Tickets tickets(tx, ctx.outbox, ctx.now);
        *out = open_report(tickets, rules, report);
        tickets.history(*out, actor, "split_from", "second problem of " + original->ticket_no());
        tickets.history(*original, actor, "split",
                        domain::public_name(r.category()) + "/" +
                            domain::public_name(r.component()) + " moved to " + out->ticket_no());
        return Status::OK;
      });
    } catch (const pqxx::unique_violation&) {
      if (attempt > 0 || r.idempotency_key().empty()) throw;
    }
  }
}

}  // namespace aftercare::intake::app
