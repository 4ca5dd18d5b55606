#include "intake/store/incident_store.h"

#include "common/pg.h"
#include "common/sql_array.h"
#include "common/time.h"

namespace aftercare::intake::store {
namespace {

using kit::from_micros;
using kit::to_timestamp;

// Order matters: incident_from_row reads by position.
constexpr const char* kIncidentColumns = R"(i.incident_id::text, i.project_id, i.kind, i.category,
  i.component, i.buildings, i.status, i.title, i.description, kit_us(i.starts_at),
  kit_us(i.expected_end), i.opened_by, i.proposed, coalesce(i.lead_ticket_id::text, ''),
  i.resolution_note, i.resolved_by, kit_us(i.created_at), kit_us(i.resolved_at),
  coalesce((SELECT t.work_order_id FROM tickets t WHERE t.ticket_id = i.lead_ticket_id), ''),
  i.proposal_status, i.decided_by, kit_us(i.decided_at), i.dismissal_reason, i.reopen_count)";
constexpr const char* kInsertIncident = R"(
  INSERT INTO incidents (incident_id, project_id, kind, category, component, buildings, status,
    title, description, starts_at, expected_end, opened_by, proposed, created_at, proposal_status)
  VALUES ($1::uuid, $2, $3, $4, $5, $6::text[], $7, $8, $9, kit_ts($10), kit_ts($11), $12, $13,
    kit_ts($14), $15))";
constexpr const char* kIncidentTickets = R"(
  SELECT ticket_id::text FROM tickets
  WHERE incident_id = $1::uuid OR dismissed_incident_id = $1::uuid ORDER BY created_at, ticket_id)";
constexpr const char* kOpenIncidents = R"(
  SELECT incident_id::text, kind, component, buildings, lead_ticket_id IS NOT NULL,
         kit_us(created_at), title
  FROM incidents WHERE project_id = $1 AND component = $2 AND status = 1
  ORDER BY created_at, incident_id FOR UPDATE)";
constexpr const char* kLinkTicket = R"(
  UPDATE tickets SET incident_id = $2::uuid, incident_follower = $3 WHERE ticket_id = $1::uuid)";
constexpr const char* kSetLead =
    "UPDATE incidents SET lead_ticket_id = $2::uuid WHERE incident_id = $1::uuid";
constexpr const char* kSetResolved = R"(
  UPDATE incidents SET status = 2, resolution_note = $2, resolved_by = $3, resolved_at = kit_ts($4)
  WHERE incident_id = $1::uuid)";
constexpr const char* kLockComponent =
    "SELECT pg_advisory_xact_lock(hashtextextended('incident:' || $1 || ':' || $2 || ':' || $3, "
    "0))";
constexpr const char* kRecentPublic = R"(
  SELECT t.ticket_id::text, t.unit_id, kit_us(t.reported_at)
  FROM tickets t JOIN units u USING (unit_id)
  WHERE t.project_id = $1 AND u.building = $2 AND t.component = $3 AND t.repair_area = 2
    AND t.status IN (1, 2, 3, 6) AND t.incident_id IS NULL AND t.duplicate_of IS NULL
    AND t.dismissed_incident_id IS NULL
    AND t.reported_at >= kit_ts($4) AND t.ticket_id <> $5::uuid AND t.kind IN (1, 2)
  ORDER BY t.reported_at, t.ticket_id LIMIT 200)";
constexpr const char* kSetWorkOrder =
    "UPDATE tickets SET work_order_id = $2 WHERE ticket_id = $1::uuid";
constexpr const char* kWorkOrderOf = "SELECT work_order_id FROM tickets WHERE ticket_id = $1::uuid";
constexpr const char* kBuildingsOfUnits = R"(
  SELECT DISTINCT building FROM units WHERE project_id = $1 AND unit_id = ANY($2::text[])
  ORDER BY building)";

constexpr const char* kDecideProposal = R"(
  UPDATE incidents SET proposal_status = $2, status = $3, decided_by = $4, decided_at = kit_ts($5),
    dismissal_reason = $6
  WHERE incident_id = $1::uuid)";
constexpr const char* kUnlinkTicket = R"(
  UPDATE tickets SET incident_id = NULL, incident_follower = false, dismissed_incident_id = $2::uuid
  WHERE ticket_id = $1::uuid)";
constexpr const char* kReopenIncident = R"(
  UPDATE incidents SET status = 1, resolved_at = NULL, reopen_count = reopen_count + 1
  WHERE incident_id = $1::uuid RETURNING reopen_count)";
constexpr const char* kRecipients = R"(
  SELECT DISTINCT ON (owner_id) unit_id, owner_id FROM units
  WHERE project_id = $1 AND owner_id <> ''
    AND (cardinality($2::text[]) = 0 OR building = ANY($2::text[]))
  ORDER BY owner_id, unit_id LIMIT $3)";
constexpr const char* kCountRecipients = R"(
  SELECT count(DISTINCT owner_id) FROM units
  WHERE project_id = $1 AND owner_id <> ''
    AND (cardinality($2::text[]) = 0 OR building = ANY($2::text[])))";
constexpr const char* kAnnouncementColumns = R"(a.announcement_id::text, a.status, a.recipients,
  (SELECT count(*) FROM announcement_reads r WHERE r.announcement_id = a.announcement_id),
  a.project_id, a.title, a.body, a.buildings, a.urgent, kit_us(a.send_at), kit_us(a.sent_at),
  kit_us(a.created_at), a.posted_by)";
constexpr const char* kInsertAnnouncement = R"(
  INSERT INTO announcements (announcement_id, project_id, title, body, buildings, urgent, send_at,
    status, recipients, posted_by, created_at, sent_at)
  VALUES ($1::uuid, $2, $3, $4, $5::text[], $6, kit_ts($7), $8, $9, $10, kit_ts($11),
    kit_ts($12)))";
constexpr const char* kMarkSent = R"(
  UPDATE announcements SET status = 2, recipients = $2, sent_at = kit_ts($3)
  WHERE announcement_id = $1::uuid)";
constexpr const char* kMarkRead = R"(
  INSERT INTO announcement_reads (announcement_id, owner_id, read_at)
  VALUES ($1::uuid, $2, kit_ts($3)) ON CONFLICT DO NOTHING)";

constexpr const char* kNilUuid = "00000000-0000-0000-0000-000000000000";

// libpqxx 6 binds std::optional poorly: bind NULL through a pointer.
const char* opt_text(const std::optional<int64_t>& v, std::string& storage) {
  if (!v) return nullptr;
  storage = std::to_string(*v);
  return storage.c_str();
}

template <typename Mutable>
void set_time(Mutable&& field, const pqxx::field& f) {
  if (!f.is_null()) *field() = to_timestamp(from_micros(f.as<int64_t>()));
}

std::optional<int64_t> micros_or_null(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return std::nullopt;
  return kit::to_micros(kit::from_timestamp(ts));
}

v1::Incident incident_from_row(pqxx::transaction_base& tx, const pqxx::row& r) {
  v1::Incident i;
  i.set_incident_id(r[0].as<std::string>());
  i.set_project_id(r[1].as<std::string>());
  i.set_kind(static_cast<v1::IncidentKind>(r[2].as<int>()));
  i.set_category(static_cast<v1::TicketCategory>(r[3].as<int>()));
  i.set_component(static_cast<v1::Component>(r[4].as<int>()));
  for (auto& b : kit::text_array_items(r[5])) i.add_buildings(std::move(b));
  i.set_status(static_cast<v1::IncidentStatus>(r[6].as<int>()));
  i.set_title(r[7].as<std::string>());
  i.set_description(r[8].as<std::string>());
  set_time([&] { return i.mutable_starts_at(); }, r[9]);
  set_time([&] { return i.mutable_expected_end(); }, r[10]);
  i.set_opened_by(r[11].as<std::string>());
  i.set_proposed(r[12].as<bool>());
  i.set_lead_ticket_id(r[13].as<std::string>());
  i.set_resolution_note(r[14].as<std::string>());
  i.set_resolved_by(r[15].as<std::string>());
  set_time([&] { return i.mutable_created_at(); }, r[16]);
  set_time([&] { return i.mutable_resolved_at(); }, r[17]);
  i.set_work_order_id(r[18].as<std::string>());
  i.set_proposal_status(static_cast<v1::ProposalStatus>(r[19].as<int>()));
  i.set_decided_by(r[20].as<std::string>());
  set_time([&] { return i.mutable_decided_at(); }, r[21]);
  i.set_dismissal_reason(r[22].as<std::string>());
  i.set_reopen_count(r[23].as<int>());
  for (const auto& t : tx.exec_params(kIncidentTickets, i.incident_id()))
    i.add_ticket_ids(t[0].as<std::string>());
  i.set_reporters(i.ticket_ids_size());
  return i;
}

v1::Announcement announcement_from_row(const pqxx::row& r) {
  v1::Announcement a;
  a.set_announcement_id(r[0].as<std::string>());
  a.set_status(static_cast<v1::AnnouncementStatus>(r[1].as<int>()));
  a.set_recipients(r[2].as<int>());
  a.set_read_count(r[3].as<int>());
  a.set_project_id(r[4].as<std::string>());
  a.set_title(r[5].as<std::string>());
  a.set_body(r[6].as<std::string>());
  for (auto& b : kit::text_array_items(r[7])) a.add_buildings(std::move(b));
  a.set_urgent(r[8].as<bool>());
  set_time([&] { return a.mutable_send_at(); }, r[9]);
  set_time([&] { return a.mutable_sent_at(); }, r[10]);
  set_time([&] { return a.mutable_created_at(); }, r[11]);
  a.set_posted_by(r[12].as<std::string>());
  return a;
}

std::vector<std::string> to_vector(const google::protobuf::RepeatedPtrField<std::string>& items) {
  return {items.begin(), items.end()};
}

}  // namespace

void insert_incident(pqxx::transaction_base& tx, const v1::Incident& i) {
  std::string s1, s2;
  tx.exec_params(kInsertIncident, i.incident_id(), i.project_id(), static_cast<int>(i.kind()),
                 static_cast<int>(i.category()), static_cast<int>(i.component()),
                 kit::text_array(to_vector(i.buildings())), static_cast<int>(i.status()), i.title(),
                 i.description(), opt_text(micros_or_null(i.starts_at()), s1),
                 opt_text(micros_or_null(i.expected_end()), s2), i.opened_by(), i.proposed(),
                 kit::to_micros(kit::from_timestamp(i.created_at())),
                 static_cast<int>(i.proposal_status() == v1::PROPOSAL_STATUS_UNSPECIFIED
                                      ? v1::PROPOSAL_STATUS_NOT_PROPOSED
                                      : i.proposal_status()));
}

std::optional<v1::Incident> find_incident(pqxx::transaction_base& tx,
                                          const std::string& incident_id, bool for_update) {
  auto rows = tx.exec_params(std::string("SELECT ") + kIncidentColumns +
                                 " FROM incidents i WHERE i.incident_id = $1::uuid" +
                                 (for_update ? " FOR UPDATE" : ""),
                             incident_id);
  if (rows.empty()) return std::nullopt;
  return incident_from_row(tx, rows[0]);
}

std::vector<v1::Incident> list_incidents(pqxx::transaction_base& tx, const std::string& project_id,
                                         int status, const std::optional<IncidentCursor>& before,
                                         int limit) {
  auto rows = tx.exec_params(std::string("SELECT ") + kIncidentColumns + R"( FROM incidents i
      WHERE i.project_id = $1 AND ($2 = 0 OR i.status = $2)
        AND ($3::bigint = 0 OR (i.created_at, i.incident_id) < (kit_ts($3), $4::uuid))
      ORDER BY i.created_at DESC, i.incident_id DESC LIMIT $5)",
                             project_id, status, before ? before->created_us : 0,
                             before ? before->incident_id : kNilUuid, limit);
  std::vector<v1::Incident> out;
  for (const auto& r : rows) out.push_back(incident_from_row(tx, r));
  return out;
}

int64_t incident_created_micros(pqxx::transaction_base& tx, const std::string& incident_id) {
  return tx
      .exec_params("SELECT kit_us(created_at) FROM incidents WHERE incident_id = $1::uuid",
                   incident_id)[0][0]
      .as<int64_t>();
}

std::vector<domain::OpenIncident> open_incidents(pqxx::transaction_base& tx,
                                                 const std::string& project_id, int component) {
  std::vector<domain::OpenIncident> out;
  for (const auto& r : tx.exec_params(kOpenIncidents, project_id, component)) {
    domain::OpenIncident i;
    i.incident_id = r[0].as<std::string>();
    i.kind = static_cast<v1::IncidentKind>(r[1].as<int>());
    i.component = static_cast<v1::Component>(r[2].as<int>());
    i.buildings = kit::text_array_items(r[3]);
    i.has_lead = r[4].as<bool>();
    i.created_at = from_micros(r[5].as<int64_t>());
    i.title = r[6].as<std::string>();
    out.push_back(std::move(i));
  }
  return out;
}

void link_ticket(pqxx::transaction_base& tx, const std::string& ticket_id,
                 const std::string& incident_id, bool follower) {
  tx.exec_params(kLinkTicket, ticket_id, incident_id, follower);
}

void set_incident_lead(pqxx::transaction_base& tx, const std::string& incident_id,
                       const std::string& ticket_id) {
  tx.exec_params(kSetLead, incident_id, ticket_id);
}

void set_resolved(pqxx::transaction_base& tx, const std::string& incident_id,
                  const std::string& note, const std::string& by, int64_t at_us) {
  tx.exec_params(kSetResolved, incident_id, note, by, at_us);
}

void lock_public_component(pqxx::transaction_base& tx, const std::string& project_id,
                           const std::string& building, int component) {
  tx.exec_params(kLockComponent, project_id, building, std::to_string(component));
}

std::vector<domain::RecentReport> recent_public_reports(pqxx::transaction_base& tx,
                                                        const std::string& project_id,
                                                        const std::string& building, int component,
                                                        int64_t since_us,
                                                        const std::string& except) {
  std::vector<domain::RecentReport> out;
  for (const auto& r :
       tx.exec_params(kRecentPublic, project_id, building, component, since_us, except))
    out.push_back(
        {r[0].as<std::string>(), r[1].as<std::string>(), from_micros(r[2].as<int64_t>())});
  return out;
}

void set_work_order(pqxx::transaction_base& tx, const std::string& ticket_id,
                    const std::string& work_order_id) {
  tx.exec_params(kSetWorkOrder, ticket_id, work_order_id);
}

std::string work_order_of(pqxx::transaction_base& tx, const std::string& ticket_id) {
  auto rows = tx.exec_params(kWorkOrderOf, ticket_id);
  return rows.empty() ? "" : rows[0][0].as<std::string>();
}

std::vector<std::string> buildings_of_units(pqxx::transaction_base& tx,
                                            const std::string& project_id,
                                            const std::vector<std::string>& unit_ids) {
  std::vector<std::string> out;
  for (const auto& r : tx.exec_params(kBuildingsOfUnits, project_id, kit::text_array(unit_ids)))
    out.push_back(r[0].as<std::string>());
  return out;
}

void decide_proposal(pqxx::transaction_base& tx, const std::string& incident_id,
                     v1::ProposalStatus proposal, v1::IncidentStatus status, const std::string& by,
                     int64_t at_us, const std::string& reason) {
  tx.exec_params(kDecideProposal, incident_id, static_cast<int>(proposal), static_cast<int>(status),
                 by, at_us, reason);
}

void unlink_ticket(pqxx::transaction_base& tx, const std::string& ticket_id,
                   const std::string& incident_id) {
  tx.exec_params(kUnlinkTicket, ticket_id, incident_id);
}

int reopen_incident(pqxx::transaction_base& tx, const std::string& incident_id) {
  return tx.exec_params(kReopenIncident, incident_id)[0][0].as<int>();
}

std::vector<v1::Recipient> recipients_in_scope(pqxx::transaction_base& tx,
                                               const std::string& project_id,
                                               const std::vector<std::string>& buildings,
                                               int limit) {
  std::vector<v1::Recipient> out;
  for (const auto& r : tx.exec_params(kRecipients, project_id, kit::text_array(buildings), limit)) {
    v1::Recipient rc;
    rc.set_unit_id(r[0].as<std::string>());
    rc.set_owner_id(r[1].as<std::string>());
    out.push_back(std::move(rc));
  }
  return out;
}

int count_recipients(pqxx::transaction_base& tx, const std::string& project_id,
                     const std::vector<std::string>& buildings) {
  return tx.exec_params(kCountRecipients, project_id, kit::text_array(buildings))[0][0].as<int>();
}

void insert_announcement(pqxx::transaction_base& tx, const v1::Announcement& a) {
  std::string s1;
  tx.exec_params(kInsertAnnouncement, a.announcement_id(), a.project_id(), a.title(), a.body(),
                 kit::text_array(to_vector(a.buildings())), a.urgent(),
                 kit::to_micros(kit::from_timestamp(a.send_at())), static_cast<int>(a.status()),
                 a.recipients(), a.posted_by(), kit::to_micros(kit::from_timestamp(a.created_at())),
                 opt_text(micros_or_null(a.sent_at()), s1));
}

std::optional<v1::Announcement> find_announcement(pqxx::transaction_base& tx,
                                                  const std::string& announcement_id) {
  auto rows = tx.exec_params(std::string("SELECT ") + kAnnouncementColumns +
                                 " FROM announcements a WHERE a.announcement_id = $1::uuid",
                             announcement_id);
  if (rows.empty()) return std::nullopt;
  return announcement_from_row(rows[0]);
}

std::vector<v1::Announcement> list_announcements(
    pqxx::transaction_base& tx, const std::string& project_id,
    const std::optional<std::vector<std::string>>& owner_buildings,
    const std::optional<IncidentCursor>& before, int limit) {
  auto rows = tx.exec_params(
      std::string("SELECT ") + kAnnouncementColumns + R"( FROM announcements a
      WHERE a.project_id = $1
        AND (NOT $2::boolean OR (a.status = 2 AND (cardinality(a.buildings) = 0
                                                   OR a.buildings && $3::text[])))
        AND ($4::bigint = 0 OR (a.created_at, a.announcement_id) < (kit_ts($4), $5::uuid))
      ORDER BY a.created_at DESC, a.announcement_id DESC LIMIT $6)",
      project_id, owner_buildings.has_value(),
      kit::text_array(owner_buildings.value_or(std::vector<std::string>{})),
      before ? before->created_us : 0, before ? before->incident_id : kNilUuid, limit);
  std::vector<v1::Announcement> out;
  for (const auto& r : rows) out.push_back(announcement_from_row(r));
  return out;
}

int64_t announcement_created_micros(pqxx::transaction_base& tx,
                                    const std::string& announcement_id) {
  return tx
      .exec_params("SELECT kit_us(created_at) FROM announcements WHERE announcement_id = $1::uuid",
                   announcement_id)[0][0]
      .as<int64_t>();
}

std::vector<v1::Announcement> due_announcements(pqxx::transaction_base& tx, int64_t now_us,
                                                int limit) {
  auto rows =
      tx.exec_params(std::string("SELECT ") + kAnnouncementColumns + R"( FROM announcements a
      WHERE a.status = 1 AND a.send_at <= kit_ts($1)
      ORDER BY a.send_at, a.announcement_id LIMIT $2 FOR UPDATE SKIP LOCKED)",
                     now_us, limit);
  std::vector<v1::Announcement> out;
  for (const auto& r : rows) out.push_back(announcement_from_row(r));
  return out;
}

void mark_sent(pqxx::transaction_base& tx, const std::string& announcement_id, int recipients,
               int64_t at_us) {
  tx.exec_params(kMarkSent, announcement_id, recipients, at_us);
}

void mark_read(pqxx::transaction_base& tx, const std::string& announcement_id,
               const std::string& owner_id, int64_t at_us) {
  tx.exec_params(kMarkRead, announcement_id, owner_id, at_us);
}

}  // namespace aftercare::intake::store
