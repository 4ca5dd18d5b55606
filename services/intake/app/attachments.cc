#include "intake/app/app.h"

#include "common/privacy.h"
#include "common/time.h"
#include "intake/app/ticket.h"
#include "intake/domain/names.h"

namespace aftercare::intake::app {

namespace {

// Other services (dispatch's partner view, callback) learn of attachments from this event; the
// content stays here. Filenames can carry phone numbers, so digit runs are masked.
void publish_attachment_added(Tickets& tickets, const v1::Ticket& t, const v1::Attachment& a) {
  v1::Event e = event(t);
  auto* p = e.mutable_attachment_added();
  p->set_attachment_id(a.attachment_id());
  p->set_ticket_id(a.ticket_id());
  p->set_kind(a.kind());
  p->set_filename(kit::mask_digit_runs(a.filename()));
  p->set_content_type(a.content_type());
  p->set_size_bytes(a.size_bytes());
  p->set_sha256(a.sha256());
  p->set_uploaded_by(a.uploaded_by());
  *p->mutable_created_at() = a.created_at();
  tickets.outbox().add(tickets.tx(), e);
}

}  // namespace

Status add_attachment(const Context& ctx, const v1::AddAttachmentRequest& r,
                      const domain::AttachmentRules& limits, v1::Attachment* out) {
  v1::Attachment a = new_attachment(ctx, r);
  a.set_ticket_id(r.ticket_id());
  return ctx.db.in_transaction([&](pqxx::work& tx) -> Status {
    // The ticket's row lock serialises adds to one ticket (history numbering, the limit).
    auto t = store::find_ticket(tx, r.ticket_id(), /*for_update=*/true);
    if (!t || !sees_ticket(ctx.caller, *t)) return not_found("ticket " + r.ticket_id());
    // The same content again is the attachment already there, whatever the ticket's state.
    for (auto& existing : store::list_attachments(tx, t->ticket_id()))
      if (existing.sha256() == a.sha256()) {
        *out = std::move(existing);
        return Status::OK;
      }
    if (auto e = domain::check_attachment_allowed(t->status(), r.kind(),
                                                  ctx.caller.is(kit::Role::owner));
        !e.empty())
      return {StatusCode::FAILED_PRECONDITION, e};
    if (store::count_attachments(tx, t->ticket_id()) >= limits.max_per_ticket)
      return {StatusCode::FAILED_PRECONDITION,
              "ticket already has " + std::to_string(limits.max_per_ticket) + " attachments"};
    if (store::add_attachment(tx, a, out)) {
      Tickets tickets(tx, ctx.outbox, ctx.now);
      tickets.history(*t, actor_of(ctx.caller), "attachment_added",
                      domain::public_name(out->kind()) + " " + out->filename() + " (" +
                          out->content_type() + ", " + std::to_string(out->size_bytes()) +
                          " bytes, sha256 " + out->sha256().substr(0, 12) + ")");
      publish_attachment_added(tickets, *t, *out);
    }
    return Status::OK;
  });
}

Status list_attachments(const Context& ctx, const v1::ListAttachmentsRequest& r,
                        v1::ListAttachmentsResponse* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    auto t = store::find_ticket(tx, r.ticket_id());
    if (!t || !sees_ticket(ctx.caller, *t)) return not_found("ticket " + r.ticket_id());
    for (auto& a : store::list_attachments(tx, r.ticket_id()))
      *out->add_attachments() = std::move(a);
    return Status::OK;
  });
}

Status get_attachment(const Context& ctx, const v1::GetAttachmentRequest& r, v1::Attachment* out) {
  return ctx.db.in_transaction([&](pqxx::work& tx) {
    // Scope first, content after: nothing is read for a ctx.caller who may not see it.
    auto meta = store::find_attachment(tx, r.attachment_id(), /*with_content=*/false);
    if (!meta) return not_found("attachment " + r.attachment_id());
    auto t = store::find_ticket(tx, meta->ticket_id());
    if (!t || !sees_ticket(ctx.caller, *t)) return not_found("attachment " + r.attachment_id());
    *out = *store::find_attachment(tx, r.attachment_id(), /*with_content=*/true);
    return Status::OK;
  });
}

}  // namespace aftercare::intake::app
