#include "dispatch/store/dispatch_store.h"

#include "absl/strings/str_split.h"
#include "common/pg.h"
#include "dispatch/domain/names.h"
#include "dispatch/store/batch_store.h"
#include "dispatch/store/report_store.h"

namespace aftercare::dispatch::store {

using kit::text_array;
namespace {

using aftercare::v1::WorkOrder;

// ---- policies ----
constexpr const char* kLoadPolicy = "SELECT policy FROM dispatch_policies WHERE project_id = $1";
constexpr const char* kSavePolicy = R"(
  INSERT INTO dispatch_policies (project_id, version, policy) VALUES ($1, $2, $3)
  ON CONFLICT (project_id) DO UPDATE
    SET version = EXCLUDED.version, policy = EXCLUDED.policy, updated_at = now()
    WHERE dispatch_policies.version < EXCLUDED.version)";

// ---- projects ----
constexpr const char* kDefaultTimezone = kDefaultProjectTimezone;
constexpr const char* kSaveProject = R"(
  INSERT INTO projects (project_id, timezone) VALUES ($1, $2)
  ON CONFLICT (project_id) DO UPDATE SET timezone = EXCLUDED.timezone, updated_at = now())";
constexpr const char* kProjectTimezone = "SELECT timezone FROM projects WHERE project_id = $1";

// ---- parties ----
constexpr const char* kUpsertParty = R"(
  INSERT INTO parties (project_id, party_id, kind, name, trades, active, on_duty, updated_at)
  VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8::timestamptz)
  ON CONFLICT (project_id, party_id) DO UPDATE
    SET kind = EXCLUDED.kind, name = EXCLUDED.name, trades = EXCLUDED.trades,
        active = EXCLUDED.active, on_duty = EXCLUDED.on_duty, updated_at = EXCLUDED.updated_at)";
constexpr const char* kFindParty = R"(
  SELECT project_id, party_id, kind, name, array_to_string(trades, ','), active, on_duty,
         (extract(epoch FROM updated_at) * 1000000)::bigint
  FROM parties WHERE project_id = $1 AND party_id = $2)";
constexpr const char* kListParties = R"(
  SELECT project_id, party_id, kind, name, array_to_string(trades, ','), active, on_duty,
         (extract(epoch FROM updated_at) * 1000000)::bigint
  FROM parties
  WHERE project_id = $1 AND ($2 = '' OR kind = $2) AND ($3 = '' OR $3 = ANY (trades))
  ORDER BY party_id)";

// ---- tickets ----
constexpr const char* kInsertTicket = R"(
  INSERT INTO tickets (ticket_id, project_id, unit_id, owner_id, in_warranty, reported_at,
                       resolve_due, duplicate_of, opened)
  VALUES ($1, $2, $3, $4, $5, $6::timestamptz, $7::timestamptz, $8, $9)
  ON CONFLICT (ticket_id) DO NOTHING
  RETURNING ticket_id)";
constexpr const char* kLoadTicket = R"(
  SELECT project_id, owner_id, (extract(epoch FROM resolve_due) * 1000000)::bigint, cancelled,
         opened
  FROM tickets WHERE ticket_id = $1)";
constexpr const char* kSetResolveDue = R"(
  UPDATE tickets SET resolve_due = $2::timestamptz, updated_at = now() WHERE ticket_id = $1)";
constexpr const char* kCancelTicket =
    "UPDATE tickets SET cancelled = true, updated_at = now() WHERE ticket_id = $1";

// ---- work orders ----
constexpr const char* kUpdateWorkOrder = R"(
  UPDATE work_orders
  SET assignee_kind = $2, party_id = $3, builder_party_id = $4, status = $5, paid = $6,
      deadline = $7::timestamptz, resolve_due = $8::timestamptz, estimate_fen = $9::bigint,
      cost_fen = $10::bigint, signed_off_at = $11::timestamptz, updated_at = $12::timestamptz,
      version = $13, doc = $14, technician_id = $15, technician_day = $16::date,
      appointment = CASE WHEN $17::timestamptz IS NULL THEN NULL
                         ELSE tstzrange($17::timestamptz, $18::timestamptz, '[)') END,
      started_at = $19::timestamptz, rerouted = $20::boolean, rating_at = $21::timestamptz,
      rating_score = $22::integer, rating_technician = $23, quote_confirmed_at = $24::timestamptz,
      quote_fen = $25::bigint, verifier_signed_at = $26::timestamptz[],
      owner_signs_on_behalf = $27::integer, warranty_advanced = $28::boolean, report_columns = 1
  WHERE work_order_id = $1)";
constexpr const char* kLoadWorkOrder = "SELECT doc FROM work_orders WHERE work_order_id = $1";
constexpr const char* kLockWorkOrder =
    "SELECT doc FROM work_orders WHERE work_order_id = $1 FOR UPDATE";
constexpr const char* kFindBySource = "SELECT doc FROM work_orders WHERE source_key = $1";
constexpr const char* kLockOpenOfTicket = R"(
  SELECT doc FROM work_orders
  WHERE ticket_id = $1 AND status IN ('created', 'accepted', 'scheduled', 'in_progress')
  ORDER BY created_at, work_order_id
  FOR UPDATE)";
constexpr const char* kLatestSignedOff = R"(
  SELECT doc FROM work_orders
  WHERE ticket_id = $1 AND status = 'signed_off'
  ORDER BY signed_off_at DESC, work_order_id DESC
  LIMIT 1)";
constexpr const char* kDeclinersOfTicket = R"(
  SELECT DISTINCT party_id FROM work_orders
  WHERE ticket_id = $1 AND status = 'declined' AND party_id <> '')";
// Not started after the on-site deadline, or on site and past the resolve deadline. The same
// condition is re-checked by the domain (builder_lateness) on the locked row.
constexpr const char* kClaimLateBuilders = R"(
  SELECT doc FROM work_orders
  WHERE assignee_kind = 'builder'
    AND status IN ('created', 'accepted', 'scheduled', 'in_progress')
    AND ($2 = '' OR project_id = $2)
    AND ((status <> 'in_progress' AND deadline < $1::timestamptz)
         OR (status = 'in_progress' AND resolve_due < $1::timestamptz))
  ORDER BY deadline, work_order_id
  LIMIT $3
  FOR UPDATE SKIP LOCKED)";
constexpr const char* kReportOrders = R"(
  SELECT doc FROM work_orders
  WHERE work_order_id IN (
    SELECT work_order_id FROM work_orders
    WHERE project_id = $1 AND updated_at >= $2::timestamptz AND created_at < $3::timestamptz
    UNION
    SELECT rework_of FROM work_orders
    WHERE project_id = $1 AND rework_of IS NOT NULL
      AND created_at >= $2::timestamptz AND created_at < $3::timestamptz)
  ORDER BY created_at, work_order_id)";
constexpr const char* kProjectTimezones = R"(
  SELECT k.project_id, coalesce(p.timezone, '') FROM (
    SELECT project_id FROM projects UNION SELECT DISTINCT project_id FROM parties) k
  LEFT JOIN projects p USING (project_id)
  WHERE $1 OR k.project_id = ANY($2::text[])
  ORDER BY k.project_id)";
constexpr const char* kListWorkOrders = R"(
  SELECT doc FROM work_orders
  WHERE ($1 = '' OR ticket_id = $1)
    AND ($2 = '' OR project_id = $2)
    AND ($3 = '' OR party_id = $3)
    AND ($4 = '' OR status = $4)
    AND ($5 = '' OR assignee_kind = $5)
    AND ($6::boolean OR project_id = ANY ($7::text[]))
    AND ($8 = '' OR party_id = $8)
    AND (NOT $9::boolean OR unit_id = ANY ($10::text[]))
    AND (created_at, work_order_id) > ($11::timestamptz, $12)
  ORDER BY created_at, work_order_id
  LIMIT $13)";

// ---- appointments ----
constexpr const char* kPutAppointment = R"(
  INSERT INTO appointments (work_order_id, resource, during, reminder_due)
  VALUES ($1, $2, tstzrange($3::timestamptz, $4::timestamptz, '[)'), $5::timestamptz)
  ON CONFLICT (work_order_id) DO UPDATE
    SET resource = EXCLUDED.resource, during = EXCLUDED.during,
        reminder_due = EXCLUDED.reminder_due, reminded_at = NULL)";
// Bookings of one resource wait for each other: two concurrent speculative inserts that
// violate the exclusion constraint would otherwise wait on each other and end in a deadlock
// error instead of a clean exclusion violation for the second.
constexpr const char* kLockResource = "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))";
constexpr const char* kDropAppointment = "DELETE FROM appointments WHERE work_order_id = $1";
constexpr const char* kClaimReminders = R"(
  SELECT work_order_id FROM appointments
  WHERE reminded_at IS NULL AND reminder_due <= $1::timestamptz
  ORDER BY reminder_due
  LIMIT $2
  FOR UPDATE SKIP LOCKED)";
constexpr const char* kMarkReminded =
    "UPDATE appointments SET reminded_at = $2::timestamptz WHERE work_order_id = $1";

// ---- partner feed ----
constexpr const char* kReadFeed = R"(
  SELECT seq, event FROM partner_events
  WHERE party_id = $1 AND seq > $2
  ORDER BY seq
  LIMIT $3)";

// The SQLSTATE of an exclusion-constraint violation.
constexpr const char* kExclusionViolation = "23P01";

// Optional values bound as text or NULL (libpqxx 6 has no std::optional parameters).
struct MaybeText {
  std::optional<std::string> value;
  const char* get() const { return value ? value->c_str() : nullptr; }
};
MaybeText maybe_fen(bool has, int64_t fen) {
  return has ? MaybeText{std::to_string(fen)} : MaybeText{};
}
MaybeText maybe_time(const google::protobuf::Timestamp* ts) {
  return ts ? MaybeText{sql_time(from_timestamp(*ts))} : MaybeText{};
}
// The appointment columns: both NULL without an appointment.
struct AppointmentColumns {
  MaybeText start, end;
};
AppointmentColumns appointment_columns(const WorkOrder& o) {
  if (!o.has_appointment() || !o.appointment().has_start() || !o.appointment().has_end()) return {};
  return {maybe_time(&o.appointment().start()), maybe_time(&o.appointment().end())};
}

template <typename Enum>
std::string name_or_empty(Enum value) {
  return static_cast<int>(value) == 0 ? std::string() : domain::public_name(value);
}

aftercare::v1::Party party_from_row(const pqxx::row& r) {
  aftercare::v1::Party p;
  p.set_project_id(r[0].as<std::string>());
  p.set_party_id(r[1].as<std::string>());
  p.set_kind(domain::parse_public_name<aftercare::v1::PartyKind>(r[2].as<std::string>())
                 .value_or(aftercare::v1::PARTY_KIND_UNSPECIFIED));
  p.set_name(r[3].as<std::string>());
  for (const auto& word : absl::StrSplit(r[4].as<std::string>(), ',', absl::SkipEmpty())) {
    if (auto c = domain::parse_public_name<aftercare::v1::TicketCategory>(std::string(word)))
      p.add_trades(*c);
  }
  p.set_active(r[5].as<bool>());
  p.set_on_duty(r[6].as<bool>());
  *p.mutable_updated_at() = to_timestamp(absl::FromUnixMicros(r[7].as<int64_t>()));
  return p;
}

}  // namespace

std::string sql_time(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6S+00:00", t, absl::UTCTimeZone());
}

// ---- policies ----

domain::DispatchPolicy load_policy(pqxx::work& tx, const std::string& project_id) {
  domain::DispatchPolicy policy = domain::DispatchPolicy::defaults();
  pqxx::result r = tx.exec_params(kLoadPolicy, project_id);
  if (r.empty()) return policy;
  aftercare::v1::Policy wrapper;
  *wrapper.mutable_dispatch() = parse<aftercare::v1::DispatchPolicy>(r[0][0]);
  // Stored values were checked when received; a bad one keeps the defaults.
  policy.apply_overrides(wrapper);
  return policy;
}

void save_policy(pqxx::work& tx, const std::string& project_id, int64_t version,
                 const aftercare::v1::DispatchPolicy& policy) {
  tx.exec_params(kSavePolicy, project_id, version, bytes(policy.SerializeAsString()));
}

// ---- projects ----

void save_project_timezone(pqxx::work& tx, const std::string& project_id, const std::string& zone) {
  tx.exec_params(kSaveProject, project_id, zone);
}

std::string project_timezone(pqxx::work& tx, const std::string& project_id) {
  pqxx::result r = tx.exec_params(kProjectTimezone, project_id);
  return r.empty() ? kDefaultTimezone : r[0][0].as<std::string>();
}

// ---- parties ----

void upsert_party(pqxx::work& tx, const aftercare::v1::Party& p) {
  std::vector<std::string> trades;
  for (int t : p.trades())
    trades.push_back(domain::public_name(static_cast<aftercare::v1::TicketCategory>(t)));
  tx.exec_params(kUpsertParty, p.project_id(), p.party_id(), domain::public_name(p.kind()),
                 p.name(), text_array(trades), p.active(), p.on_duty(),
                 sql_time(from_timestamp(p.updated_at())));
}

std::optional<aftercare::v1::Party> find_party(pqxx::work& tx, const std::string& project_id,
                                               const std::string& party_id) {
  pqxx::result r = tx.exec_params(kFindParty, project_id, party_id);
  if (r.empty()) return std::nullopt;
  return party_from_row(r[0]);
}

std::vector<aftercare::v1::Party> list_parties(pqxx::work& tx, const std::string& project_id,
                                               aftercare::v1::PartyKind kind,
                                               aftercare::v1::TicketCategory trade) {
  std::vector<aftercare::v1::Party> out;
  for (const auto& row :
       tx.exec_params(kListParties, project_id, name_or_empty(kind), name_or_empty(trade))) {
    out.push_back(party_from_row(row));
  }
  return out;
}

std::vector<domain::PartyInfo> routing_parties(pqxx::work& tx, const std::string& project_id) {
  std::vector<domain::PartyInfo> out;
  for (const auto& p : list_parties(tx, project_id, aftercare::v1::PARTY_KIND_UNSPECIFIED,
                                    aftercare::v1::TICKET_CATEGORY_UNSPECIFIED)) {
    domain::PartyInfo info;
    info.party_id = p.party_id();
    info.kind = p.kind();
    for (int t : p.trades()) info.trades.insert(static_cast<aftercare::v1::TicketCategory>(t));
    info.active = p.active();
    info.on_duty = p.on_duty();
    out.push_back(std::move(info));
  }
  return out;
}

// ---- tickets ----

domain::TicketFacts facts_of(const std::string& project_id, const aftercare::v1::TicketOpened& t) {
  domain::TicketFacts f;
  f.ticket_id = t.ticket_id();
  f.project_id = project_id;
  f.unit_id = t.unit_id();
  f.kind = t.kind();
  f.category = t.category();
  f.component = t.component();
  f.urgency = t.urgency();
  f.in_warranty = t.in_warranty();
  f.reported_at = from_timestamp(t.reported_at());
  f.response_due = from_timestamp(t.response_due());
  f.resolve_due = from_timestamp(t.resolve_due());
  f.recurrence = t.recurrence();
  f.duplicate_of = t.duplicate_of();
  if (!t.incident_lead()) f.incident_follower_of = t.incident_id();
  return f;
}

bool insert_ticket(pqxx::work& tx, const std::string& project_id,
                   const aftercare::v1::TicketOpened& t) {
  pqxx::result r = tx.exec_params(
      kInsertTicket, t.ticket_id(), project_id, t.unit_id(), t.owner_id(), t.in_warranty(),
      sql_time(from_timestamp(t.reported_at())), sql_time(from_timestamp(t.resolve_due())),
      kit::nullable(t.duplicate_of()), bytes(t.SerializeAsString()));
  return !r.empty();
}

Ticket ticket_as_inserted(const std::string& project_id,
                          const aftercare::v1::TicketOpened& opened) {
  Ticket t;
  t.opened = opened;
  t.facts = facts_of(project_id, opened);
  // As stored: microseconds (sql_time).
  t.facts.resolve_due =
      absl::FromUnixMicros(absl::ToUnixMicros(from_timestamp(opened.resolve_due())));
  t.owner_id = opened.owner_id();
  return t;
}

std::optional<Ticket> load_ticket(pqxx::work& tx, const std::string& ticket_id) {
  pqxx::result r = tx.exec_params(kLoadTicket, ticket_id);
  if (r.empty()) return std::nullopt;
  Ticket t;
  t.opened = parse<aftercare::v1::TicketOpened>(r[0][4]);
  t.facts = facts_of(r[0][0].as<std::string>(), t.opened);
  t.facts.resolve_due = absl::FromUnixMicros(r[0][2].as<int64_t>());  // extensions, reopenings
  t.owner_id = r[0][1].as<std::string>();
  t.cancelled = r[0][3].as<bool>();
  return t;
}

void update_ticket_opened(pqxx::work& tx, const std::string& ticket_id,
                          const aftercare::v1::TicketOpened& opened) {
  tx.exec_params("UPDATE tickets SET opened = $2, updated_at = now() WHERE ticket_id = $1",
                 ticket_id, bytes(opened.SerializeAsString()));
}

void set_ticket_resolve_due(pqxx::work& tx, const std::string& ticket_id, absl::Time resolve_due) {
  tx.exec_params(kSetResolveDue, ticket_id, sql_time(resolve_due));
}

void mark_ticket_cancelled(pqxx::work& tx, const std::string& ticket_id) {
  tx.exec_params(kCancelTicket, ticket_id);
}

// ---- work orders ----

bool insert_work_order(pqxx::work& tx, const WorkOrder& o, const std::string& source_key) {
  return !insert_orders_with_events(tx, {{&o, source_key}}, {}).empty();
}

std::optional<WorkOrder> load_work_order(pqxx::work& tx, const std::string& id, bool for_update) {
  pqxx::result r = tx.exec_params(for_update ? kLockWorkOrder : kLoadWorkOrder, id);
  if (r.empty()) return std::nullopt;
  return parse<WorkOrder>(r[0][0]);
}

std::optional<WorkOrder> find_by_source(pqxx::work& tx, const std::string& source_key) {
  pqxx::result r = tx.exec_params(kFindBySource, source_key);
  if (r.empty()) return std::nullopt;
  return parse<WorkOrder>(r[0][0]);
}

void update_work_order(pqxx::work& tx, const WorkOrder& o) {
  MaybeText estimate = maybe_fen(o.has_estimate_fen(), o.estimate_fen());
  MaybeText cost = maybe_fen(o.has_cost_fen(), o.cost_fen());
  MaybeText signed_off = maybe_time(o.has_signed_off_at() ? &o.signed_off_at() : nullptr);
  AppointmentColumns appt = appointment_columns(o);
  ReportColumnParams c = report_column_params(o);
  tx.exec_params(kUpdateWorkOrder, o.work_order_id(), domain::public_name(o.assignee_kind()),
                 o.party_id(), o.builder_party_id(), domain::public_name(o.status()), o.paid(),
                 sql_time(from_timestamp(o.deadline())), sql_time(from_timestamp(o.resolve_due())),
                 estimate.get(), cost.get(), signed_off.get(),
                 sql_time(from_timestamp(o.updated_at())), o.version(),
                 bytes(o.SerializeAsString()), kit::nullable(o.technician_id()),
                 kit::nullable(o.technician_day()), appt.start.get(), appt.end.get(),
                 c.get(c.started_at), c.rerouted, c.get(c.rating_at), c.rating_score,
                 c.get(c.rating_technician), c.get(c.quote_confirmed_at), c.quote_fen,
                 c.get(c.verifier_signed_at), c.owner_signs_on_behalf, c.warranty_advanced);
}

std::vector<WorkOrder> lock_open_orders_of_ticket(pqxx::work& tx, const std::string& ticket_id) {
  std::vector<WorkOrder> out;
  for (const auto& row : tx.exec_params(kLockOpenOfTicket, ticket_id)) {
    out.push_back(parse<WorkOrder>(row[0]));
  }
  return out;
}

std::optional<WorkOrder> latest_signed_off_order(pqxx::work& tx, const std::string& ticket_id) {
  pqxx::result r = tx.exec_params(kLatestSignedOff, ticket_id);
  if (r.empty()) return std::nullopt;
  return parse<WorkOrder>(r[0][0]);
}

std::vector<std::string> decliners_of_ticket(pqxx::work& tx, const std::string& ticket_id) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(kDeclinersOfTicket, ticket_id)) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

std::vector<WorkOrder> claim_late_builder_orders(pqxx::work& tx, absl::Time as_of,
                                                 const std::string& project_id, int limit) {
  std::vector<WorkOrder> out;
  for (const auto& row : tx.exec_params(kClaimLateBuilders, sql_time(as_of), project_id, limit)) {
    out.push_back(parse<WorkOrder>(row[0]));
  }
  return out;
}

std::vector<WorkOrder> report_orders(pqxx::work& tx, const std::string& project_id,
                                     absl::Time start, absl::Time end) {
  std::vector<WorkOrder> out;
  for (const auto& row :
       tx.exec_params(kReportOrders, project_id, sql_time(start), sql_time(end))) {
    out.push_back(parse<WorkOrder>(row[0]));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> project_timezones(
    pqxx::work& tx, const std::vector<std::string>& only, bool all) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& row : tx.exec_params(kProjectTimezones, all, text_array(only)))
    out.emplace_back(row[0].as<std::string>(), row[1].as<std::string>());
  return out;
}

std::vector<WorkOrder> list_work_orders(pqxx::work& tx, const ListQuery& q) {
  std::vector<WorkOrder> out;
  std::string after = q.after_time ? sql_time(*q.after_time) : "-infinity";
  for (const auto& row : tx.exec_params(
           kListWorkOrders, q.ticket_id, q.project_id, q.party_id, name_or_empty(q.status),
           name_or_empty(q.assignee_kind), q.all_projects, text_array(q.projects), q.only_party,
           q.units_only, text_array(q.units), after, q.after_id, q.limit)) {
    out.push_back(parse<WorkOrder>(row[0]));
  }
  return out;
}

// ---- appointments ----

bool put_appointment(pqxx::work& tx, const std::string& work_order_id, const std::string& resource,
                     const domain::Window& window, absl::Time reminder_due) {
  tx.exec_params(kLockResource, "appointment:" + resource);
  try {
    tx.exec_params(kPutAppointment, work_order_id, resource, sql_time(window.start),
                   sql_time(window.end), sql_time(reminder_due));
    return true;
  } catch (const pqxx::sql_error& e) {
    if (e.sqlstate() == kExclusionViolation) return false;
    throw;
  }
}

void drop_appointment(pqxx::work& tx, const std::string& work_order_id) {
  tx.exec_params(kDropAppointment, work_order_id);
}

std::vector<std::string> claim_due_reminders(pqxx::work& tx, absl::Time now, int limit) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(kClaimReminders, sql_time(now), limit)) {
    out.push_back(row[0].as<std::string>());
  }
  return out;
}

void mark_reminded(pqxx::work& tx, const std::string& work_order_id, absl::Time now) {
  tx.exec_params(kMarkReminded, work_order_id, sql_time(now));
}

// ---- partner feed ----

std::vector<aftercare::v1::PartnerEvent> read_partner_events(pqxx::work& tx,
                                                             const std::string& party_id,
                                                             int64_t after_seq, int limit) {
  std::vector<aftercare::v1::PartnerEvent> out;
  for (const auto& row : tx.exec_params(kReadFeed, party_id, after_seq, limit)) {
    aftercare::v1::PartnerEvent pe;
    pe.set_cursor(std::to_string(row[0].as<int64_t>()));
    *pe.mutable_event() = parse<aftercare::v1::Event>(row[1]);
    out.push_back(std::move(pe));
  }
  return out;
}

}  // namespace aftercare::dispatch::store
