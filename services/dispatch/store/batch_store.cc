#include "dispatch/store/batch_store.h"

#include <optional>

#include "common/pg.h"
#include "dispatch/domain/names.h"
#include "dispatch/store/dispatch_store.h"
#include "dispatch/store/report_store.h"

namespace aftercare::dispatch::store {
namespace {

using aftercare::v1::WorkOrder;
using Value = std::optional<std::string>;  // nullopt = NULL

// A text[] literal whose elements may be NULL (kit::text_array quotes every element).
std::string array_of(const std::vector<Value>& items) {
  std::string out = "{";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    if (!items[i]) {
      out += "NULL";
      continue;
    }
    out += '"';
    for (char c : *items[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string hex(const std::string& bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

Value time_of(bool has, const google::protobuf::Timestamp& ts) {
  return has ? Value(sql_time(from_timestamp(ts))) : std::nullopt;
}
Value text_or_null(const std::string& s) {
  return s.empty() ? std::nullopt : Value(s);
}

constexpr const char* kInsertTickets = R"(
  INSERT INTO tickets (ticket_id, project_id, unit_id, owner_id, in_warranty, reported_at,
                       resolve_due, duplicate_of, opened)
  SELECT t.id, t.project, t.unit, t.owner, t.in_warranty::boolean, t.reported::timestamptz,
         t.resolve_due::timestamptz, t.duplicate_of, decode(t.opened, 'hex')
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
              $8::text[], $9::text[])
       WITH ORDINALITY AS t(id, project, unit, owner, in_warranty, reported, resolve_due,
                            duplicate_of, opened, n)
  ORDER BY t.n
  ON CONFLICT (ticket_id) DO NOTHING
  RETURNING ticket_id)";

constexpr const char* kReferenceVersions =
    "SELECT project_id, version FROM reference_versions WHERE project_id = ANY ($1::text[])";
constexpr const char* kPartiesWithTechnicians =
    "SELECT DISTINCT party_id FROM technicians WHERE project_id = $1";

// The work-order columns bound as arrays, in the order of kOrderColumns' unnest.
constexpr int kOrderColumns = 37;
constexpr const char* kInsertOrders = R"(
  INSERT INTO work_orders (work_order_id, source_key, ticket_id, project_id, unit_id, origin,
    assignee_kind, party_id, builder_party_id, status, in_warranty, paid, deadline, resolve_due,
    estimate_fen, cost_fen, rework_of, rerouted_from, created_at, signed_off_at, updated_at,
    version, doc, technician_id, technician_day, appointment, started_at, rerouted, rating_at,
    rating_score, rating_technician, quote_confirmed_at, quote_fen, verifier_signed_at,
    owner_signs_on_behalf, warranty_advanced, report_columns, rework_of_party, rework_of_kind)
  SELECT u.id, u.source_key, u.ticket_id, u.project_id, u.unit_id, u.origin, u.assignee_kind,
    u.party_id, u.builder_party_id, u.status, u.in_warranty::boolean, u.paid::boolean,
    u.deadline::timestamptz, u.resolve_due::timestamptz, u.estimate_fen::bigint,
    u.cost_fen::bigint, u.rework_of, u.rerouted_from, u.created_at::timestamptz,
    u.signed_off_at::timestamptz, u.updated_at::timestamptz, u.version::bigint,
    decode(u.doc, 'hex'), u.technician_id, u.technician_day::date,
    CASE WHEN u.appointment_start IS NULL THEN NULL
         ELSE tstzrange(u.appointment_start::timestamptz, u.appointment_end::timestamptz, '[)')
    END,
    u.started_at::timestamptz, u.rerouted::boolean, u.rating_at::timestamptz,
    u.rating_score::integer, u.rating_technician, u.quote_confirmed_at::timestamptz,
    u.quote_fen::bigint, u.verifier_signed_at::timestamptz[], u.owner_signs_on_behalf::integer,
    u.warranty_advanced::boolean, 1,
    (SELECT o.party_id FROM work_orders o WHERE o.work_order_id = u.rework_of),
    (SELECT o.assignee_kind FROM work_orders o WHERE o.work_order_id = u.rework_of)
  FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
    $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
    $14::text[], $15::text[], $16::text[], $17::text[], $18::text[], $19::text[], $20::text[],
    $21::text[], $22::text[], $23::text[], $24::text[], $25::text[], $26::text[], $27::text[],
    $28::text[], $29::text[], $30::text[], $31::text[], $32::text[], $33::text[], $34::text[],
    $35::text[], $36::text[], $37::text[])
    WITH ORDINALITY AS u(id, source_key, ticket_id, project_id, unit_id, origin, assignee_kind,
      party_id, builder_party_id, status, in_warranty, paid, deadline, resolve_due, estimate_fen,
      cost_fen, rework_of, rerouted_from, created_at, signed_off_at, updated_at, version, doc,
      technician_id, technician_day, appointment_start, appointment_end, started_at, rerouted,
      rating_at, rating_score, rating_technician, quote_confirmed_at, quote_fen,
      verifier_signed_at, owner_signs_on_behalf, warranty_advanced, n)
  ORDER BY u.n
  ON CONFLICT DO NOTHING
  RETURNING work_order_id)";

// WITH terms appending events to partner feeds ($first..$first+4: party, work order, event id,
// type, hex payload per append) where `condition` holds: each party's head moves by its count
// (locked in party order, so concurrent writers lock heads alike), the appends take the numbers
// in their order, and a party's active webhook gets a delivery of each.
std::string feed_terms(int first, const std::string& condition) {
  auto p = [&](int i) { return "$" + std::to_string(first + i) + "::text[]"; };
  return R"(
  fe AS (SELECT f.party, f.wo, f.id, f.type, f.payload, f.n
         FROM unnest()" +
         p(0) + ", " + p(1) + ", " + p(2) + ", " + p(3) + ", " + p(4) + R"()
              WITH ORDINALITY AS f(party, wo, id, type, payload, n)
         WHERE )" +
         condition + R"(),
  fc AS (SELECT party, count(*) AS c FROM fe GROUP BY party),
  fh AS (INSERT INTO partner_feed_heads AS h (party_id, last_seq)
         SELECT party, c FROM fc ORDER BY party
         ON CONFLICT (party_id) DO UPDATE SET last_seq = h.last_seq + EXCLUDED.last_seq
         RETURNING h.party_id, h.last_seq),
  fa AS (INSERT INTO partner_events (party_id, seq, event_id, work_order_id, event_type, event)
         SELECT fe.party,
                fh.last_seq - fc.c + row_number() OVER (PARTITION BY fe.party ORDER BY fe.n),
                fe.id::uuid, fe.wo, fe.type, decode(fe.payload, 'hex')
         FROM fe JOIN fc USING (party) JOIN fh ON fh.party_id = fe.party
         RETURNING party_id, seq),
  fw AS (INSERT INTO webhook_deliveries (party_id, seq, schedule_start, next_attempt_at,
                                         created_at, updated_at)
         SELECT fa.party_id, fa.seq, now(), now(), now(), now()
         FROM fa JOIN webhooks w ON w.party_id = fa.party_id AND w.active))";
}

const std::string& write_events_sql() {
  static const std::string sql =
      "WITH o AS (" + kit::outbox_insert_sql(1) + ")," + feed_terms(7, "true") + " SELECT 1";
  return sql;
}

const std::string& insert_orders_sql() {
  static const std::string sql =
      std::string("WITH w AS (") + kInsertOrders + "), o AS (" +
      kit::outbox_insert_sql(kOrderColumns + 1, "o.k IN (SELECT work_order_id FROM w)") + ")," +
      feed_terms(kOrderColumns + 7, "f.wo IN (SELECT work_order_id FROM w)") +
      " SELECT work_order_id FROM w";
  return sql;
}

// The arrays of events' outbox rows (6) and feed appends (5), as bound after other parameters.
std::vector<std::string> event_arrays(const std::vector<EventRow>& events) {
  std::vector<kit::OutboxRow> rows;
  std::vector<std::string> party, wo, id, type, payload;
  for (const EventRow& e : events) {
    rows.push_back(e.outbox);
    std::string encoded = e.feed_parties.empty() ? std::string() : hex(e.outbox.payload);
    for (const std::string& p : e.feed_parties) {
      party.push_back(p);
      wo.push_back(e.work_order_id);
      id.push_back(e.outbox.event_id);
      type.push_back(e.outbox.event_type);
      payload.push_back(encoded);
    }
  }
  auto outbox = kit::outbox_row_arrays(rows);
  std::vector<std::string> out(outbox.begin(), outbox.end());
  for (auto* v : {&party, &wo, &id, &type, &payload}) out.push_back(kit::text_array(*v));
  return out;
}

// One order's 37 column values, in kInsertOrders' unnest order.
std::vector<Value> order_values(const WorkOrder& o, const std::string& source_key) {
  bool appointment =
      o.has_appointment() && o.appointment().has_start() && o.appointment().has_end();
  ReportColumnParams c = report_column_params(o);
  return {o.work_order_id(),
          source_key,
          o.ticket_id(),
          o.project_id(),
          o.unit_id(),
          domain::public_name(o.origin()),
          domain::public_name(o.assignee_kind()),
          o.party_id(),
          o.builder_party_id(),
          domain::public_name(o.status()),
          o.in_warranty() ? "true" : "false",
          o.paid() ? "true" : "false",
          sql_time(from_timestamp(o.deadline())),
          sql_time(from_timestamp(o.resolve_due())),
          o.has_estimate_fen() ? Value(std::to_string(o.estimate_fen())) : std::nullopt,
          o.has_cost_fen() ? Value(std::to_string(o.cost_fen())) : std::nullopt,
          text_or_null(o.rework_of()),
          text_or_null(o.rerouted_from()),
          sql_time(from_timestamp(o.created_at())),
          time_of(o.has_signed_off_at(), o.signed_off_at()),
          sql_time(from_timestamp(o.updated_at())),
          std::to_string(o.version()),
          hex(o.SerializeAsString()),
          text_or_null(o.technician_id()),
          text_or_null(o.technician_day()),
          time_of(appointment, o.appointment().start()),
          time_of(appointment, o.appointment().end()),
          c.started_at,
          c.rerouted,
          c.rating_at,
          c.rating_score,
          c.rating_technician,
          c.quote_confirmed_at,
          c.quote_fen,
          c.verifier_signed_at,
          c.owner_signs_on_behalf,
          c.warranty_advanced};
}

}  // namespace

std::set<std::string> insert_tickets(pqxx::work& tx, const std::vector<NewTicket>& tickets) {
  std::set<std::string> fresh;
  if (tickets.empty()) return fresh;
  std::vector<std::vector<Value>> cols(9);
  for (const NewTicket& t : tickets) {
    const aftercare::v1::TicketOpened& o = *t.opened;
    std::vector<Value> row = {o.ticket_id(),
                              t.project_id,
                              o.unit_id(),
                              o.owner_id(),
                              o.in_warranty() ? "true" : "false",
                              sql_time(from_timestamp(o.reported_at())),
                              sql_time(from_timestamp(o.resolve_due())),
                              text_or_null(o.duplicate_of()),
                              hex(o.SerializeAsString())};
    for (size_t i = 0; i < row.size(); ++i) cols[i].push_back(std::move(row[i]));
  }
  std::vector<std::string> params;
  for (const auto& c : cols) params.push_back(array_of(c));
  for (const auto& row : kit::exec_prepared(tx, "dispatch_insert_tickets", kInsertTickets,
                                            pqxx::prepare::make_dynamic_params(params)))
    fresh.insert(row[0].as<std::string>());
  return fresh;
}

void write_events(pqxx::work& tx, const std::vector<EventRow>& events) {
  if (events.empty()) return;
  kit::exec_prepared(tx, "dispatch_write_events", write_events_sql(),
                     pqxx::prepare::make_dynamic_params(event_arrays(events)));
}

int64_t append_partner_event(pqxx::work& tx, const std::string& party_id,
                             const std::string& work_order_id, const aftercare::v1::Event& event) {
  static const std::string sql = "WITH" + feed_terms(1, "true") + " SELECT max(seq) FROM fa";
  return tx
      .exec_params(sql, kit::text_array({party_id}), kit::text_array({work_order_id}),
                   kit::text_array({event.event_id()}), kit::text_array({event.type()}),
                   kit::text_array({hex(event.SerializeAsString())}))[0][0]
      .as<int64_t>();
}

std::set<std::string> insert_orders_with_events(pqxx::work& tx, const std::vector<NewOrder>& orders,
                                                const std::vector<EventRow>& events_of_orders) {
  std::set<std::string> written;
  if (orders.empty()) return written;
  std::vector<std::vector<Value>> cols(kOrderColumns);
  for (const NewOrder& o : orders) {
    std::vector<Value> row = order_values(*o.order, o.source_key);
    for (size_t i = 0; i < row.size(); ++i) cols[i].push_back(std::move(row[i]));
  }
  std::vector<std::string> params;
  for (const auto& c : cols) params.push_back(array_of(c));
  for (std::string& a : event_arrays(events_of_orders)) params.push_back(std::move(a));
  for (const auto& row : kit::exec_prepared(tx, "dispatch_insert_orders", insert_orders_sql(),
                                            pqxx::prepare::make_dynamic_params(params)))
    written.insert(row[0].as<std::string>());
  return written;
}

std::map<std::string, int64_t> reference_versions(pqxx::work& tx,
                                                  const std::set<std::string>& projects) {
  std::map<std::string, int64_t> out;
  for (const std::string& p : projects) out[p] = 0;
  for (const auto& row : kit::exec_prepared(tx, "dispatch_reference_versions", kReferenceVersions,
                                            kit::text_array({projects.begin(), projects.end()})))
    out[row[0].as<std::string>()] = row[1].as<int64_t>();
  return out;
}

std::set<std::string> parties_with_technicians(pqxx::work& tx, const std::string& project_id) {
  std::set<std::string> out;
  for (const auto& row : tx.exec_params(kPartiesWithTechnicians, project_id))
    out.insert(row[0].as<std::string>());
  return out;
}

}  // namespace aftercare::dispatch::store
