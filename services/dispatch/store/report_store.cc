#include "dispatch/store/report_store.h"

#include "common/pg.h"
#include "dispatch/domain/names.h"

namespace aftercare::dispatch::store {
namespace {

using aftercare::v1::WorkOrder;

constexpr const char* kUnfilled = R"(
  SELECT doc FROM work_orders
  WHERE report_columns IS NULL AND (cardinality($1::text[]) = 0 OR project_id = ANY ($1::text[]))
  LIMIT $2
  FOR UPDATE)";
constexpr const char* kUnfilledSkipLocked = R"(
  SELECT doc FROM work_orders
  WHERE report_columns IS NULL AND (cardinality($1::text[]) = 0 OR project_id = ANY ($1::text[]))
  LIMIT $2
  FOR UPDATE SKIP LOCKED)";
constexpr const char* kFill = R"(
  UPDATE work_orders
  SET started_at = $2::timestamptz, rerouted = $3::boolean, rating_at = $4::timestamptz,
      rating_score = $5::integer, rating_technician = $6, quote_confirmed_at = $7::timestamptz,
      quote_fen = $8::bigint, verifier_signed_at = $9::timestamptz[],
      owner_signs_on_behalf = $10::integer, warranty_advanced = $11::boolean, report_columns = 1,
      rework_of_party = (SELECT o.party_id FROM work_orders o
                         WHERE o.work_order_id = work_orders.rework_of),
      rework_of_kind = (SELECT o.assignee_kind FROM work_orders o
                        WHERE o.work_order_id = work_orders.rework_of)
  WHERE work_order_id = $1)";

// One pass over the orders of the projects sharing a window [$2, $3) (report_orders'
// selection: changed in the window and created before its end; every instant the report counts
// lies between an order's creation and its last change): the window's flags of each order, then
// FILTER sums per group of what the order counts for (domain::ReportSums), $4 = as of.
// Counters, in order: created, reroutes, reworks, rerouted_away, decided, on_time, signed_off,
// cost, on_behalf, warranty, paid, verifier, rated, score_sum, score 1..5; then the first
// creation (Unix microseconds) of the group's orders signed off and rated in the window.
constexpr const char* kGroupSums = R"(
  SELECT project_id, party_id, assignee_kind,
    CASE WHEN so AND adv THEN builder_party_id ELSE '' END AS charged,
    CASE WHEN c AND origin = 'rework' THEN coalesce(rework_of_party, '') ELSE '' END AS rw_party,
    CASE WHEN c AND origin = 'rework' THEN coalesce(rework_of_kind, '') ELSE '' END AS rw_kind,
    CASE WHEN so THEN coalesce(technician_id, '') ELSE '' END AS tech,
    CASE WHEN r THEN coalesce(rating_technician, '') ELSE '' END AS rtech,
    count(*) FILTER (WHERE c), count(*) FILTER (WHERE c AND origin = 'reroute'),
    count(*) FILTER (WHERE c AND origin = 'rework'), count(*) FILTER (WHERE c AND rerouted),
    count(*) FILTER (WHERE c AND decided), count(*) FILTER (WHERE c AND on_time),
    count(*) FILTER (WHERE so), coalesce(sum(cost) FILTER (WHERE so), 0)::bigint,
    coalesce(sum(behalf) FILTER (WHERE so), 0)::bigint,
    coalesce(sum(cost) FILTER (WHERE so AND adv), 0)::bigint, coalesce(sum(paid), 0)::bigint,
    coalesce(sum(verifier), 0)::bigint, count(*) FILTER (WHERE r),
    coalesce(sum(score) FILTER (WHERE r), 0)::bigint,
    count(*) FILTER (WHERE r AND score = 1), count(*) FILTER (WHERE r AND score = 2),
    count(*) FILTER (WHERE r AND score = 3), count(*) FILTER (WHERE r AND score = 4),
    count(*) FILTER (WHERE r AND score = 5),
    coalesce((extract(epoch FROM min(created_at) FILTER (WHERE so)) * 1000000)::bigint, 0),
    coalesce((extract(epoch FROM min(created_at) FILTER (WHERE r)) * 1000000)::bigint, 0)
  FROM (
    SELECT project_id, party_id, assignee_kind, builder_party_id, origin, rework_of_party,
      rework_of_kind, technician_id, rating_technician,
      created_at,
      created_at >= $2::timestamptz AS c,
      coalesce(status = 'signed_off' AND signed_off_at >= $2::timestamptz
               AND signed_off_at < $3::timestamptz, false) AS so,
      coalesce(rating_at >= $2::timestamptz AND rating_at < $3::timestamptz, false) AS r,
      coalesce(rating_score, 0)::bigint AS score,
      coalesce(status <> 'cancelled'
               AND (started_at IS NOT NULL OR deadline < $4::timestamptz), false) AS decided,
      coalesce(status <> 'cancelled' AND started_at <= deadline, false) AS on_time,
      coalesce(rerouted, false) AS rerouted, coalesce(cost_fen, 0) AS cost,
      coalesce(warranty_advanced, false) AS adv,
      coalesce(owner_signs_on_behalf, 0)::bigint AS behalf,
      CASE WHEN quote_confirmed_at >= $2::timestamptz AND quote_confirmed_at < $3::timestamptz
           THEN quote_fen ELSE 0 END AS paid,
      CASE WHEN verifier_signed_at IS NULL THEN 0
           ELSE (SELECT count(*) FROM unnest(verifier_signed_at) v
                 WHERE v >= $2::timestamptz AND v < $3::timestamptz) END AS verifier
    FROM work_orders
    WHERE project_id = ANY ($1::text[]) AND updated_at >= $2::timestamptz
      AND created_at < $3::timestamptz) o
  GROUP BY 1, 2, 3, 4, 5, 6, 7, 8)";

}  // namespace

ReportColumnParams report_column_params(const WorkOrder& order) {
  domain::ReportColumns c = domain::report_columns(order);
  ReportColumnParams p;
  if (c.started_at) p.started_at = sql_time(*c.started_at);
  p.rerouted = c.rerouted ? "true" : "false";
  if (c.rating_at) {
    p.rating_at = sql_time(*c.rating_at);
    p.rating_score = std::to_string(c.rating_score);
    p.rating_technician = c.rating_technician;
  } else {
    p.rating_score = "0";
  }
  if (c.quote_confirmed_at) p.quote_confirmed_at = sql_time(*c.quote_confirmed_at);
  p.quote_fen = std::to_string(c.quote_fen);
  std::vector<std::string> verifier;
  for (absl::Time t : c.verifier_signed_at) verifier.push_back(sql_time(t));
  if (!verifier.empty()) p.verifier_signed_at = kit::text_array(verifier);
  p.owner_signs_on_behalf = std::to_string(c.owner_signs_on_behalf);
  p.warranty_advanced = c.warranty_advanced ? "true" : "false";
  return p;
}

int fill_report_columns(pqxx::work& tx, const std::vector<std::string>& project_ids, int limit,
                        bool skip_locked) {
  int filled = 0;
  for (const auto& row : tx.exec_params(skip_locked ? kUnfilledSkipLocked : kUnfilled,
                                        kit::text_array(project_ids), limit)) {
    WorkOrder o = parse<WorkOrder>(row[0]);
    ReportColumnParams c = report_column_params(o);
    tx.exec_params(kFill, o.work_order_id(), c.get(c.started_at), c.rerouted, c.get(c.rating_at),
                   c.rating_score, c.get(c.rating_technician), c.get(c.quote_confirmed_at),
                   c.quote_fen, c.get(c.verifier_signed_at), c.owner_signs_on_behalf,
                   c.warranty_advanced);
    ++filled;
  }
  return filled;
}

std::map<std::string, std::vector<domain::ReportSums>> group_report_sums(
    pqxx::work& tx, const std::vector<ReportWindow>& windows, absl::Time as_of) {
  // One statement per distinct window (the projects of one time zone share theirs).
  std::map<std::pair<absl::Time, absl::Time>, std::vector<std::string>> by_window;
  for (const ReportWindow& w : windows) by_window[{w.start, w.end}].push_back(w.project_id);
  auto kind = [](const pqxx::field& f) {
    return domain::parse_public_name<aftercare::v1::PartyKind>(f.as<std::string>())
        .value_or(aftercare::v1::PARTY_KIND_UNSPECIFIED);
  };
  std::map<std::string, std::vector<domain::ReportSums>> out;
  for (const auto& [window, ids] : by_window) {
    for (const auto& row : tx.exec_params(kGroupSums, kit::text_array(ids), sql_time(window.first),
                                          sql_time(window.second), sql_time(as_of))) {
      domain::ReportSums s;
      s.party_id = row[1].as<std::string>();
      s.kind = kind(row[2]);
      s.charged_builder = row[3].as<std::string>();
      s.rework_of_party = row[4].as<std::string>();
      s.rework_of_kind = kind(row[5]);
      s.technician = row[6].as<std::string>();
      s.rating_technician = row[7].as<std::string>();
      int64_t* counters[] = {&s.created,   &s.reroutes,     &s.reworks,    &s.rerouted_away,
                             &s.decided,   &s.on_time,      &s.signed_off, &s.cost_fen,
                             &s.on_behalf, &s.warranty_fen, &s.paid_fen,   &s.verifier_accepted,
                             &s.rated,     &s.score_sum};
      int i = 8;
      for (int64_t* c : counters) *c = row[i++].as<int64_t>();
      for (int64_t& n : s.by_score) n = row[i++].as<int64_t>();
      s.first_signed_off_us = row[i++].as<int64_t>();
      s.first_rated_us = row[i].as<int64_t>();
      out[row[0].as<std::string>()].push_back(std::move(s));
    }
  }
  return out;
}

}  // namespace aftercare::dispatch::store
