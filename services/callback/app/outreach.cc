#include "callback/app/outreach.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "callback/domain/dates.h"
#include "callback/domain/names.h"
#include "callback/store/callback_store.h"
#include "common/privacy.h"
#include "common/refusal.h"
#include "common/time.h"

namespace aftercare::callback::app {
namespace {

namespace v1 = aftercare::v1;

void require(bool ok, const v1::Event& e, const char* what) {
  if (!ok) throw std::invalid_argument(e.type() + " " + e.event_id() + ": " + what);
}

bool is_set(const google::protobuf::Timestamp& t) {
  return t.seconds() != 0 || t.nanos() != 0;
}

std::string micros_key(const google::protobuf::Timestamp& t) {
  return std::to_string(kit::to_micros(kit::from_timestamp(t)));
}

absl::TimeZone zone_of(pqxx::transaction_base& tx, const std::string& project) {
  return store::load_context(tx, project).zone;
}

std::string unit_label(const std::optional<store::UnitAddress>& unit, const std::string& unit_id) {
  if (unit && !unit->building.empty() && !unit->room.empty())
    return unit->building + "-" + unit->room;
  return unit_id;
}

// The unit's current owner unless the event named one.
std::string owner_of(const std::optional<store::UnitAddress>& unit, const std::string& named) {
  if (!named.empty()) return named;
  return unit ? unit->owner_id : std::string();
}

// A work order's message: unit and urgency from the projection of WorkOrderCreated.
bool enqueue_for_work_order(pqxx::transaction_base& tx, const v1::Event& e,
                            const std::string& work_order_id, const std::string& owner_named,
                            const std::string& kind, const std::string& key,
                            std::map<std::string, std::string> facts, absl::Time now) {
  auto found = store::load_work_order_with_unit(tx, work_order_id);
  require(found.has_value(), e, "work order not known (WorkOrderCreated not seen yet)");
  const store::WorkOrderRow* wo = &found->first;
  if (is_rectification(*wo)) return false;  // the builder's job before the keys, not the owner's
  const std::optional<store::UnitAddress>& unit = found->second;
  std::string owner = owner_of(unit, owner_named);
  if (owner.empty()) {
    spdlog::info("{} {}: unit {} has no owner, nobody to tell", e.type(), e.event_id(),
                 wo->unit_id);
    return false;
  }
  facts["unit"] = unit_label(unit, wo->unit_id);
  return enqueue(tx, {key, wo->project_id, wo->unit_id, owner, kind, wo->emergency, facts}, now);
}

std::string hex(const unsigned char* d, unsigned n) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out += digits[d[i] >> 4];
    out += digits[d[i] & 15];
  }
  return out;
}

kit::Refusal bad(const std::string& field, const std::string& why) {
  return kit::Refusal(grpc::StatusCode::INVALID_ARGUMENT, field + ": " + why);
}

}  // namespace

std::string request_body(const Outgoing& m) {
  nlohmann::json j = {{"message_id", m.message_id},
                      {"channel", m.channel},
                      {"to", m.to},
                      {"owner_id", m.owner_id},
                      {"project_id", m.project_id},
                      {"kind", m.kind},
                      {"text", m.text},
                      {"urgent", m.urgent}};
  return j.dump();
}

std::string signature(const std::string& secret, const std::string& body) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, &len);
  return "sha256=" + hex(mac, len);
}

bool signature_matches(const std::string& secret, const std::string& body,
                       const std::string& header) {
  std::string expected = signature(secret, body);
  return header.size() == expected.size() &&
         CRYPTO_memcmp(header.data(), expected.data(), expected.size()) == 0;
}

bool enqueue(pqxx::transaction_base& tx, const NewMessage& in, absl::Time now) {
  // Issue 21: the same cause coming again is found by the insert (the message id and source key
  // are unique): nothing is read for it first. The project's settings, the template, the
  // owner's opt-out and the unit are read by one statement.
  std::string id = domain::message_id_for(in.source_key);
  store::MessageSettings settings =
      store::load_message_settings(tx, in.project_id, in.kind, in.owner_id, in.unit_id);
  const absl::TimeZone zone = settings.project.zone;
  const domain::OutreachPolicy policy = domain::OutreachPolicy::of(settings.project.policy);
  domain::PlanInput plan_in;
  plan_in.kind = in.kind;
  plan_in.urgent = in.urgent;
  plan_in.opted_out = settings.opted_out;
  plan_in.now = now;
  plan_in.zone = zone;
  plan_in.planned_on = [&](absl::CivilDay day) {
    return store::planned_between(tx, in.owner_id, domain::start_of_local_day(day, zone),
                                  domain::start_of_local_day(day + 1, zone));
  };
  domain::Plan plan = domain::plan_message(plan_in, policy);
  std::string tmpl = settings.template_text.value_or(domain::default_template(in.kind));
  const std::optional<store::UnitAddress>& unit = settings.unit;

  store::MessageRow m;
  m.message_id = id;
  m.source_key = in.source_key;
  m.project_id = in.project_id;
  m.unit_id = in.unit_id;
  m.owner_id = in.owner_id;
  m.channel = policy.default_channel;
  m.kind = in.kind;
  m.urgent = plan.urgent;
  m.to_masked = unit && unit->owner_id == in.owner_id ? unit->phone_masked : "";
  m.text = domain::render(tmpl, in.facts);
  m.status = plan.status;
  m.send_at = plan.send_at;
  m.created_at = now;
  return store::insert_message(tx, m);
}

void on_unit_upserted(pqxx::transaction_base& tx, const v1::Event& e) {
  const v1::UnitUpserted& p = e.unit_upserted();
  store::set_unit_details(tx, p.unit_id(), p.building(), p.room(), p.owner_phone_masked());
}

void on_ticket_opened(pqxx::transaction_base& tx, const v1::Event& e) {
  const v1::TicketOpened& p = e.ticket_opened();
  // Not callback's to judge: a ticket without a unit simply cannot be messaged about.
  if (p.ticket_id().empty() || p.unit_id().empty()) return;
  store::upsert_ticket(tx, {p.ticket_id(), e.project_id(), p.unit_id(), p.owner_id(),
                            p.urgency() == v1::URGENCY_EMERGENCY});
}

void on_work_order_created(pqxx::transaction_base& tx, const v1::Event& e) {
  const v1::WorkOrderCreated& p = e.work_order_created();
  if (p.work_order_id().empty() || p.unit_id().empty()) return;
  store::upsert_work_order(
      tx, {p.work_order_id(), e.project_id(), p.ticket_id(), p.unit_id(),
           p.urgency() == v1::URGENCY_EMERGENCY,
           p.origin() == v1::WORK_ORDER_ORIGIN_UNSPECIFIED ? std::string()
                                                           : domain::public_name(p.origin())});
}

bool is_rectification(const store::WorkOrderRow& wo) {
  return wo.origin == domain::public_name(v1::WORK_ORDER_ORIGIN_RECTIFICATION);
}

void on_key_collection_reminder_due(pqxx::transaction_base& tx, const v1::Event& e,
                                    absl::Time now) {
  const v1::KeyCollectionReminderDue& p = e.key_collection_reminder_due();
  require(!e.project_id().empty() && !p.unit_id().empty(), e, "project_id or unit_id is empty");
  require(p.reminder_no() > 0, e, "reminder_no must be positive");
  auto unit = store::load_unit_address(tx, p.unit_id());
  std::string owner = owner_of(unit, p.owner_id());
  if (owner.empty()) return;  // nobody bought it yet: nobody to remind
  std::string notice_on =
      p.notice_on().year() != 0 ? domain::format_date(domain::to_civil_day(p.notice_on())) : "";
  enqueue(tx,
          {"key_collection_reminder:" + p.unit_id() + ":" + std::to_string(p.reminder_no()),
           e.project_id(),
           p.unit_id(),
           owner,
           "key_collection_reminder",
           false,
           {{"unit", unit_label(unit, p.unit_id())},
            {"notice_on", notice_on},
            {"days_overdue", std::to_string(p.days_overdue())}}},
          now);
}

void on_work_order_scheduled(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::WorkOrderScheduled& p = e.work_order_scheduled();
  require(is_set(p.appointment().start()) && is_set(p.appointment().end()), e,
          "appointment window is not set");
  absl::TimeZone zone = zone_of(tx, e.project_id());
  enqueue_for_work_order(
      tx, e, p.work_order_id(), "", "appointment_scheduled",
      "appointment_scheduled:" + p.work_order_id() + ":" + micros_key(p.appointment().start()),
      {{"window", domain::format_window(kit::from_timestamp(p.appointment().start()),
                                        kit::from_timestamp(p.appointment().end()), zone)}},
      now);
}

void on_appointment_reminder_due(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::AppointmentReminderDue& p = e.appointment_reminder_due();
  require(is_set(p.appointment().start()), e, "appointment window is not set");
  absl::TimeZone zone = zone_of(tx, e.project_id());
  std::string window = domain::format_window(kit::from_timestamp(p.appointment().start()),
                                             kit::from_timestamp(p.appointment().end()), zone);
  std::string key =
      "appointment_reminder:" + p.work_order_id() + ":" + micros_key(p.appointment().start());
  if (store::load_work_order(tx, p.work_order_id())) {
    enqueue_for_work_order(tx, e, p.work_order_id(), p.owner_id(), "appointment_reminder", key,
                           {{"window", window}}, now);
    return;
  }
  require(!p.unit_id().empty(), e, "unit_id is empty");
  auto unit = store::load_unit_address(tx, p.unit_id());
  std::string owner = owner_of(unit, p.owner_id());
  if (owner.empty()) return;
  enqueue(tx,
          {key,
           e.project_id(),
           p.unit_id(),
           owner,
           "appointment_reminder",
           false,
           {{"window", window}, {"unit", unit_label(unit, p.unit_id())}}},
          now);
}

void on_technician_late(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::TechnicianLate& p = e.technician_late();
  absl::TimeZone zone = zone_of(tx, e.project_id());
  std::string eta = is_set(p.new_eta())
                        ? domain::format_local_time(kit::from_timestamp(p.new_eta()), zone)
                        : "稍后";
  enqueue_for_work_order(tx, e, p.work_order_id(), p.owner_id(), "technician_late",
                         "technician_late:" + p.work_order_id() + ":" + micros_key(p.new_eta()),
                         {{"eta", eta}}, now);
}

void on_quote_issued(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::QuoteIssued& p = e.quote_issued();
  require(!p.quote_id().empty(), e, "quote_id is empty");
  require(p.amount_fen() >= 0, e, "amount_fen is negative");
  absl::TimeZone zone = zone_of(tx, e.project_id());
  std::map<std::string, std::string> facts = {{"amount", domain::format_yuan(p.amount_fen())}};
  facts["valid_until"] = is_set(p.valid_until())
                             ? domain::format_local_time(kit::from_timestamp(p.valid_until()), zone)
                             : "";
  enqueue_for_work_order(tx, e, p.work_order_id(), p.owner_id(), "quote_issued",
                         "quote_issued:" + p.quote_id(), facts, now);
}

void on_work_order_completed(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::WorkOrderCompleted& p = e.work_order_completed();
  enqueue_for_work_order(tx, e, p.work_order_id(), "", "signoff_requested",
                         "signoff_requested:" + p.work_order_id(), {}, now);
}

void on_deadline_extended(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::DeadlineExtended& p = e.deadline_extended();
  auto ticket = store::load_ticket(tx, p.ticket_id());
  require(ticket.has_value(), e, "ticket not known (TicketOpened not seen yet)");
  auto unit = store::load_unit_address(tx, ticket->unit_id);
  std::string owner = owner_of(unit, ticket->owner_id);
  if (owner.empty()) return;
  absl::TimeZone zone = zone_of(tx, ticket->project_id);
  enqueue(tx,
          {"deadline_extended:" + p.ticket_id() + ":" + micros_key(p.new_resolve_due()),
           ticket->project_id,
           ticket->unit_id,
           owner,
           "deadline_extended",
           false,
           {{"unit", unit_label(unit, ticket->unit_id)},
            {"deadline", domain::format_local_time(kit::from_timestamp(p.new_resolve_due()), zone)},
            {"reason", kit::mask_digit_runs(p.reason())}}},
          now);
}

namespace {
void enqueue_billing(pqxx::transaction_base& tx, const v1::Event& e, const std::string& kind,
                     const std::string& invoice_id, const std::string& unit_id,
                     const std::string& owner_id, const v1::Date& due, int64_t outstanding_fen,
                     v1::InvoiceKind invoice_kind, absl::Time now) {
  require(!invoice_id.empty() && !unit_id.empty(), e, "invoice_id or unit_id is empty");
  require(outstanding_fen >= 0, e, "outstanding_fen is negative");
  auto unit = store::load_unit_address(tx, unit_id);
  std::string owner = owner_of(unit, owner_id);
  if (owner.empty()) return;
  std::string due_text = due.year() != 0 ? domain::format_date(domain::to_civil_day(due)) : "";
  enqueue(tx,
          {kind + ":" + invoice_id + ":" +
               (due.year() != 0 ? domain::format_day(domain::to_civil_day(due)) : ""),
           e.project_id(),
           unit_id,
           owner,
           kind,
           false,
           {{"unit", unit_label(unit, unit_id)},
            {"item", domain::invoice_item_zh(invoice_kind)},
            {"amount", domain::format_yuan(outstanding_fen)},
            {"due_date", due_text}}},
          now);
}
}  // namespace

void on_payment_reminder_due(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::PaymentReminderDue& p = e.payment_reminder_due();
  enqueue_billing(tx, e, "payment_reminder", p.invoice_id(), p.unit_id(), p.owner_id(),
                  p.due_date(), p.outstanding_fen(), p.kind(), now);
}

void on_invoice_overdue(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::InvoiceOverdue& p = e.invoice_overdue();
  enqueue_billing(tx, e, "invoice_overdue", p.invoice_id(), p.unit_id(), p.owner_id(), p.due_date(),
                  p.outstanding_fen(), p.kind(), now);
}

// ---- issue 23: incidents and announcements ------------------------------------------------------

namespace {

// The owners to tell: the event's recipients (intake's registry when it was written), else
// callback's projection of the units (issue 23).
std::vector<std::pair<std::string, std::string>> recipients(
    pqxx::transaction_base& tx, const std::string& project_id,
    const google::protobuf::RepeatedPtrField<std::string>& scope,
    const google::protobuf::RepeatedPtrField<v1::Recipient>& carried) {
  std::vector<std::pair<std::string, std::string>> out;  // unit_id, owner_id
  if (!carried.empty()) {
    for (const auto& r : carried)
      if (!r.owner_id().empty() && !r.unit_id().empty())
        out.emplace_back(r.unit_id(), r.owner_id());
    return out;
  }
  std::vector<std::string> buildings(scope.begin(), scope.end());
  for (const auto& unit : store::owners_in_scope(tx, project_id, buildings))
    out.emplace_back(unit.unit_id, unit.owner_id);
  return out;
}

// One message to every owner in scope: `<kind>:<cause_id>:<owner>` keys it, so each owner is
// told once however often the event comes (outage and failure notices, announcements).
void notify_owners(pqxx::transaction_base& tx, const v1::Event& e, const std::string& kind,
                   const std::string& cause_id, bool urgent, const std::string& text,
                   const google::protobuf::RepeatedPtrField<std::string>& buildings,
                   const google::protobuf::RepeatedPtrField<v1::Recipient>& carried,
                   absl::Time now) {
  for (const auto& [unit_id, owner_id] : recipients(tx, e.project_id(), buildings, carried))
    enqueue(tx,
            {kind + ":" + cause_id + ":" + owner_id,
             e.project_id(),
             unit_id,
             owner_id,
             kind,
             urgent,
             {{"text", text}}},
            now);
}

}  // namespace

// "5栋 电梯故障（多户报修）：物业已知悉，正在抢修，无需重复报修".
void on_incident_confirmed(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::IncidentConfirmed& p = e.incident_confirmed();
  if (p.kind() != v1::INCIDENT_KIND_FAILURE) return;  // outages were announced when opened
  require(!e.project_id().empty() && !p.incident_id().empty(), e,
          "project_id or incident_id empty");
  notify_owners(tx, e, "incident_notice", p.incident_id(), true,
                p.title() + "：" + domain::failure_notice_text(), p.buildings(), p.recipients(),
                now);
}

void on_incident_opened(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::IncidentOpened& p = e.incident_opened();
  // Planned outages are announced (停水停电提前通知). A failure is told once staff know of it:
  // IncidentConfirmed (at once when staff open it, after a platform proposal is confirmed).
  if (p.kind() != v1::INCIDENT_KIND_OUTAGE) return;
  require(!e.project_id().empty() && !p.incident_id().empty(), e,
          "project_id or incident_id empty");
  absl::TimeZone zone = zone_of(tx, e.project_id());
  std::string text = p.title();
  if (is_set(p.starts_at()) && is_set(p.expected_end()))
    text += "（" +
            domain::format_window(kit::from_timestamp(p.starts_at()),
                                  kit::from_timestamp(p.expected_end()), zone) +
            "）";
  else if (is_set(p.starts_at()))
    text += "（" + domain::format_local_time(kit::from_timestamp(p.starts_at()), zone) + "起）";
  if (!p.description().empty()) text += "：" + p.description();
  notify_owners(tx, e, "incident_notice", p.incident_id(), true, text, p.buildings(),
                p.recipients(), now);
}

void on_announcement_published(pqxx::transaction_base& tx, const v1::Event& e, absl::Time now) {
  const v1::AnnouncementPublished& p = e.announcement_published();
  require(!e.project_id().empty() && !p.announcement_id().empty(), e,
          "project_id or announcement_id empty");
  notify_owners(tx, e, "announcement", p.announcement_id(), p.urgent(), p.title() + "：" + p.body(),
                p.buildings(), p.recipients(), now);
}

void warranty_expiry(pqxx::transaction_base& tx, const std::string& project_id,
                     const std::string& unit_id, const std::string& owner_id,
                     const std::vector<v1::Component>& components, absl::CivilDay ends,
                     absl::Time now) {
  auto unit = store::load_unit_address(tx, unit_id);
  std::string names;
  for (v1::Component c : components) {
    if (!names.empty()) names += "、";
    names += domain::component_name_zh(c);
  }
  enqueue(tx,
          {"warranty_expiry:" + unit_id + ":" + domain::format_day(ends),
           project_id,
           unit_id,
           owner_id,
           "warranty_expiry",
           false,
           {{"unit", unit_label(unit, unit_id)},
            {"component", names},
            {"warranty_ends", domain::format_date(ends)}}},
          now);
}

DeliveryRound deliver_due(kit::PgPool& pool, ContactDirectory& contacts, Provider& provider,
                          absl::Time now, int limit, const domain::OutreachPolicy& policy) {
  DeliveryRound round;
  for (int i = 0; i < limit; ++i) {
    bool any = pool.in_transaction([&](pqxx::work& tx) {
      std::vector<store::MessageRow> due = store::claim_due(tx, now, 1);
      if (due.empty()) return false;
      const store::MessageRow& m = due.front();
      auto channel = store::load_channel(tx, m.project_id, m.channel);
      if (!channel || !channel->enabled) {
        // Waits for the project to configure the channel; no attempt is counted.
        store::postpone(tx, m.message_id, now + absl::Minutes(1),
                        "no enabled " + m.channel + " channel", now);
        ++round.waiting;
        return true;
      }
      std::optional<Contact> contact;
      try {
        contact = contacts.contact(m.unit_id);
      } catch (const std::exception& ex) {
        store::postpone(tx, m.message_id, now + absl::Minutes(1),
                        std::string("registry: ") + ex.what(), now);
        ++round.waiting;
        return true;
      }
      if (!contact || contact->owner_id != m.owner_id || contact->phone.empty()) {
        // The owner sold the unit or has no number: nobody to post to.
        store::record_attempt(tx, m.message_id, "failed", m.attempts, std::nullopt,
                              "owner not reachable at the unit", "", now);
        ++round.failed;
        return true;
      }
      Outgoing out{m.message_id, m.channel, contact->phone, m.owner_id,
                   m.project_id, m.kind,    m.text,         m.urgent};
      ProviderResult result = provider.post(*channel, out);
      domain::AttemptEffects fx = domain::after_attempt(m.attempts + 1, result.ok, now, policy);
      store::record_attempt(tx, m.message_id, fx.status, m.attempts + 1, fx.next_at, result.error,
                            kit::mask_phone(contact->phone), now);
      if (fx.status == "sent")
        ++round.sent;
      else if (fx.status == "failed")
        ++round.failed;
      else
        ++round.retried;
      return true;
    });
    if (!any) break;
  }
  if (round.sent + round.retried + round.failed > 0)
    spdlog::info("message sender: {} sent, {} to retry, {} failed", round.sent, round.retried,
                 round.failed);
  return round;
}

store::MessageRow receive_receipt(pqxx::transaction_base& tx, const std::string& channel,
                                  const std::string& raw_body, const std::string& signature_header,
                                  absl::Time now) {
  if (!domain::is_channel(channel)) throw bad("channel", "must be sms, wechat or app");
  nlohmann::json j = nlohmann::json::parse(raw_body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw bad("body", "must be a JSON object");
  if (!j.contains("message_id") || !j["message_id"].is_string())
    throw bad("message_id", "is required (string)");
  if (!j.contains("status") || !j["status"].is_string())
    throw bad("status", "is required (delivered or failed)");
  std::string id = j["message_id"].get<std::string>();
  std::string status = j["status"].get<std::string>();
  if (status != "delivered" && status != "failed")
    throw bad("status", "must be delivered or failed");
  absl::Time at = now;
  if (j.contains("at") && !j["at"].is_null()) {
    std::string err;
    absl::CivilDay day;
    if (!j["at"].is_string() || j["at"].get<std::string>().size() < 10 ||
        !domain::parse_day(j["at"].get<std::string>().substr(0, 10), &day) ||
        !absl::ParseTime(absl::RFC3339_full, j["at"].get<std::string>(), &at, &err))
      throw bad("at", "must be an RFC 3339 time");
  }
  static const std::string kUuidChars = "0123456789abcdefABCDEF-";
  bool uuid_shaped = id.size() == 36 && id.find_first_not_of(kUuidChars) == std::string::npos;
  auto m = uuid_shaped ? store::load_message(tx, id) : std::nullopt;
  if (!m || m->channel != channel) throw kit::Refusal(grpc::StatusCode::NOT_FOUND, "message " + id);
  auto ch = store::load_channel(tx, m->project_id, channel);
  if (!ch || !signature_matches(ch->secret, raw_body, signature_header))
    throw kit::Refusal(grpc::StatusCode::UNAUTHENTICATED, "X-AfterCare-Signature does not match");
  if (auto next = domain::after_receipt(m->status, status)) {
    store::set_receipt_status(tx, id, *next, at, now);
    m = store::load_message(tx, id);
  }
  return *m;
}

std::vector<std::string> owner_projects(pqxx::transaction_base& tx, const std::string& owner_id) {
  return store::owner_projects(tx, owner_id);
}

bool project_known(pqxx::transaction_base& tx, const std::string& project_id) {
  return store::project_known(tx, project_id);
}

}  // namespace aftercare::callback::app
