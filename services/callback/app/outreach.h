// Owner outreach use cases (issue 18): turn events into messages, deliver them through the
// project's provider, take receipts, keep channels and preferences. Decisions are
// domain/outreach.h's; SQL is store/outreach_store.h's; the owner's phone is asked from intake
// (ContactDirectory) at send time and never stored in clear.
#pragma once

#include <pqxx/pqxx>

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "aftercare/v1/events.pb.h"
#include "callback/domain/outreach.h"
#include "callback/store/outreach_store.h"
#include "common/pg.h"

namespace aftercare::callback::app {

// ---- ports ------------------------------------------------------------------------------------

struct Contact {
  std::string owner_id;
  std::string phone;  // clear number, kept in memory for the post only
};
// Who the unit's owner is now and how to reach them; nullopt when the unit is unknown. Throws
// when the registry cannot be asked (the round fails and the message waits).
class ContactDirectory {
 public:
  virtual ~ContactDirectory() = default;
  virtual std::optional<Contact> contact(const std::string& unit_id) = 0;
};

// What goes to a provider.
struct Outgoing {
  std::string message_id, channel, to, owner_id, project_id, kind, text;
  bool urgent = false;
};
struct ProviderResult {
  bool ok = false;
  std::string error;  // "HTTP 502", "connect: refused", ...
};
// One provider adapter (the generic webhook now; a vendor's SMS API or WeChat's behind the same
// interface later).
class Provider {
 public:
  virtual ~Provider() = default;
  virtual ProviderResult post(const store::ChannelRow& channel, const Outgoing& message) = 0;
};

// The JSON body the platform posts: {message_id, channel, to, owner_id, project_id, kind, text,
// urgent}, and its signature header value "sha256=<hex HMAC-SHA256(body, secret)>".
std::string request_body(const Outgoing& message);
std::string signature(const std::string& secret, const std::string& body);
bool signature_matches(const std::string& secret, const std::string& body,
                       const std::string& header);

// ---- messages from events -----------------------------------------------------------------------

struct NewMessage {
  std::string source_key;  // the cause: one message per key
  std::string project_id, unit_id, owner_id, kind;
  bool urgent = false;                       // an emergency repair's messages
  std::map<std::string, std::string> facts;  // rendered into the template
};
// Plans, renders and stores the message; false when it existed (the event came again).
// The quiet window and the daily cap are the project's (Policy.callback).
bool enqueue(pqxx::transaction_base& tx, const NewMessage& message, absl::Time now);

// The outreach part of callback's event table; each handles one payload case (see
// app/events.cc for the table) and may throw std::invalid_argument for an unusable event.
void on_unit_upserted(pqxx::transaction_base& tx, const aftercare::v1::Event& e);
void on_ticket_opened(pqxx::transaction_base& tx, const aftercare::v1::Event& e);
void on_work_order_created(pqxx::transaction_base& tx, const aftercare::v1::Event& e);
// Issue 19: a rectification order (an inspection defect the builder puts right before the keys)
// is not the owner's repair: no owner message about it, no sign-off request, no callback.
bool is_rectification(const store::WorkOrderRow& work_order);
// Issue 19: an owner past the handover notice without keys is reminded (key_collection_reminder),
// one message per reminder intake counted.
void on_key_collection_reminder_due(pqxx::transaction_base& tx, const aftercare::v1::Event& e,
                                    absl::Time now);
void on_work_order_scheduled(pqxx::transaction_base& tx, const aftercare::v1::Event& e,
                             absl::Time now);
void on_appointment_reminder_due(pqxx::transaction_base& tx, const aftercare::v1::Event& e,
                                 absl::Time now);
void on_technician_late(pqxx::transaction_base& tx, const aftercare::v1::Event& e, absl::Time now);
void on_quote_issued(pqxx::transaction_base& tx, const aftercare::v1::Event& e, absl::Time now);
void on_work_order_completed(pqxx::transaction_base& tx, const aftercare::v1::Event& e,
                             absl::Time now);
void on_deadline_extended(pqxx::transaction_base& tx, const aftercare::v1::Event& e,
                          absl::Time now);
void on_payment_reminder_due(pqxx::transaction_base& tx, const aftercare::v1::Event& e,
                             absl::Time now);
void on_invoice_overdue(pqxx::transaction_base& tx, const aftercare::v1::Event& e, absl::Time now);
// Issue 23: a planned outage (incident_notice, urgent) and an announcement (urgent when posted
// so) go to every owner in scope, one message per owner.
// A failure incident staff opened or confirmed (IncidentConfirmed) tells every owner in scope
// once that the failure is known and being repaired (incident_notice).
// The owners come from the event's recipients when it carries them, else from the projection.
void on_incident_opened(pqxx::transaction_base& tx, const aftercare::v1::Event& e, absl::Time now);
void on_incident_confirmed(pqxx::transaction_base& tx, const aftercare::v1::Event& e,
                           absl::Time now);
void on_announcement_published(pqxx::transaction_base& tx, const aftercare::v1::Event& e,
                               absl::Time now);
// From the outreach generator, in the transaction that created the warranty-expiry callback.
void warranty_expiry(pqxx::transaction_base& tx, const std::string& project_id,
                     const std::string& unit_id, const std::string& owner_id,
                     const std::vector<aftercare::v1::Component>& components, absl::CivilDay ends,
                     absl::Time now);

// ---- delivery -----------------------------------------------------------------------------------

struct DeliveryRound {
  int sent = 0, retried = 0, failed = 0, waiting = 0;
};
// Posts every message due by `now` (up to `limit`), one transaction per message so that the
// row lock keeps other replicas off it while it is posted.
DeliveryRound deliver_due(
    kit::PgPool& pool, ContactDirectory& contacts, Provider& provider, absl::Time now,
    int limit = 100, const domain::OutreachPolicy& policy = domain::OutreachPolicy::defaults());

// ---- the public routes' use cases
// -----------------------------------------------------------------

// A provider's receipt: raw body {message_id, status, at} signed with the channel's secret.
// Throws kit::Refusal: INVALID_ARGUMENT (bad body, naming the field), UNAUTHENTICATED (wrong or
// missing signature), NOT_FOUND (unknown message id). A receipt that would move the message
// backwards is accepted and changes nothing. Returns the message after it.
store::MessageRow receive_receipt(pqxx::transaction_base& tx, const std::string& channel,
                                  const std::string& raw_body, const std::string& signature_header,
                                  absl::Time now);

// Projects the owner has units in (callback's projection of intake's registry); empty when the
// owner is unknown.
std::vector<std::string> owner_projects(pqxx::transaction_base& tx, const std::string& owner_id);
bool project_known(pqxx::transaction_base& tx, const std::string& project_id);

}  // namespace aftercare::callback::app
