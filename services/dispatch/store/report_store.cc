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
      owner_signs_on_behalf = $10::integer, warranty_advanced = $11::boolean, report_columns = 1
  WHERE work_order_id = $1)";

// For every (project, start, end): the project's orders changed in the window and created
// before its end (report_orders' selection; each instant the report counts lies between an
// order's creation and its last change), each order's flags for the window computed once, then
// four groupings of them in one statement (same row shape, a tag first):
//   p: per (party, kind) every counter; b: warranty cost advanced per builder; r: the period's
//   reworks per party of their originals; t: per technician, sign-offs and ratings.
// Counters, in order: created, reroutes, reworks, rerouted_away, decided, on_time, signed_off,
// cost, on_behalf, warranty, paid, verifier, rated, score_sum, score 1..5.
constexpr const char* kGroupSums = R"(
  WITH b AS (
    SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) AS b(p, s, e)),
  o AS MATERIALIZED (
    SELECT b.p, w.work_order_id AS id, w.party_id AS party, w.assignee_kind AS kind,
      w.builder_party_id AS builder, w.origin, w.rework_of, coalesce(w.technician_id, '') AS tech,
      w.created_at, w.created_at >= b.s AS c,
      coalesce(w.status = 'signed_off' AND w.signed_off_at >= b.s AND w.signed_off_at < b.e,
               false) AS so,
      coalesce(w.rating_at >= b.s AND w.rating_at < b.e, false) AS r,
      coalesce(w.rating_score, 0)::bigint AS score, coalesce(w.rating_technician, '') AS rtech,
      coalesce(w.status <> 'cancelled'
               AND (w.started_at IS NOT NULL OR w.deadline < $4::timestamptz), false) AS decided,
      coalesce(w.status <> 'cancelled' AND w.started_at <= w.deadline, false) AS on_time,
      coalesce(w.rerouted, false) AS rerouted, coalesce(w.cost_fen, 0) AS cost,
      coalesce(w.warranty_advanced, false) AS adv,
      coalesce(w.owner_signs_on_behalf, 0)::bigint AS behalf,
      CASE WHEN w.quote_confirmed_at >= b.s AND w.quote_confirmed_at < b.e THEN w.quote_fen
           ELSE 0 END AS paid,
      CASE WHEN w.verifier_signed_at IS NULL THEN 0
           ELSE (SELECT count(*) FROM unnest(w.verifier_signed_at) v
                 WHERE v >= b.s AND v < b.e) END AS verifier
    FROM b JOIN work_orders w ON w.project_id = b.p
    WHERE w.updated_at >= b.s AND w.created_at < b.e)
  SELECT 'p' AS tag, p, party AS id, kind, '' AS party,
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
    count(*) FILTER (WHERE r AND score = 5)
  FROM o GROUP BY p, party, kind
  UNION ALL
  SELECT 'b', p, builder, 'builder', '', 0, 0, 0, 0, 0, 0, count(*), 0, 0, sum(cost)::bigint,
    0, 0, 0, 0, 0, 0, 0, 0, 0
  FROM o WHERE so AND adv GROUP BY p, builder
  UNION ALL
  SELECT 'r', o.p, g.party_id, g.assignee_kind, '', 0, 0, count(*), 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0
  FROM o JOIN work_orders g ON g.work_order_id = o.rework_of
  WHERE o.c AND o.origin = 'rework' AND g.party_id <> ''
  GROUP BY o.p, g.party_id, g.assignee_kind
  UNION ALL
  SELECT 't', p, tech, '',
    coalesce((array_agg(party ORDER BY created_at, id, n DESC) FILTER (WHERE party <> ''))[1], ''),
    0, 0, 0, 0, 0, 0, sum(n)::bigint, 0, 0, 0, 0, 0, sum(rated)::bigint, sum(score)::bigint,
    sum(s1)::bigint, sum(s2)::bigint, sum(s3)::bigint, sum(s4)::bigint, sum(s5)::bigint
  FROM (
    SELECT p, tech, party, created_at, id, 1 AS n, 0 AS rated, 0::bigint AS score, 0 AS s1,
      0 AS s2, 0 AS s3, 0 AS s4, 0 AS s5
    FROM o WHERE so AND tech <> ''
    UNION ALL
    SELECT p, rtech, party, created_at, id, 0, 1, score, (score = 1)::int, (score = 2)::int,
      (score = 3)::int, (score = 4)::int, (score = 5)::int
    FROM o WHERE r AND rtech <> '') t
  GROUP BY p, tech)";

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
  p.verifier_signed_at = kit::text_array(verifier);
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
                   c.quote_fen, c.verifier_signed_at, c.owner_signs_on_behalf, c.warranty_advanced);
    ++filled;
  }
  return filled;
}

std::map<std::string, std::vector<domain::ReportSums>> group_report_sums(
    pqxx::work& tx, const std::vector<ReportWindow>& windows, absl::Time as_of) {
  std::vector<std::string> ids, starts, ends;
  for (const ReportWindow& w : windows) {
    ids.push_back(w.project_id);
    starts.push_back(sql_time(w.start));
    ends.push_back(sql_time(w.end));
  }
  std::map<std::string, std::vector<domain::ReportSums>> out;
  for (const auto& row : tx.exec_params(kGroupSums, kit::text_array(ids), kit::text_array(starts),
                                        kit::text_array(ends), sql_time(as_of))) {
    domain::ReportSums s;
    std::string tag = row[0].as<std::string>();
    s.tag = tag == "p"   ? domain::ReportSums::kParty
            : tag == "b" ? domain::ReportSums::kChargeable
            : tag == "r" ? domain::ReportSums::kReworkOf
                         : domain::ReportSums::kTechnician;
    s.id = row[2].as<std::string>();
    s.kind = domain::parse_public_name<aftercare::v1::PartyKind>(row[3].as<std::string>())
                 .value_or(aftercare::v1::PARTY_KIND_UNSPECIFIED);
    s.party_id = row[4].as<std::string>();
    int64_t* counters[] = {&s.created,   &s.reroutes,     &s.reworks,    &s.rerouted_away,
                           &s.decided,   &s.on_time,      &s.signed_off, &s.cost_fen,
                           &s.on_behalf, &s.warranty_fen, &s.paid_fen,   &s.verifier_accepted,
                           &s.rated,     &s.score_sum};
    int i = 5;
    for (int64_t* c : counters) *c = row[i++].as<int64_t>();
    for (int64_t& n : s.by_score) n = row[i++].as<int64_t>();
    out[row[1].as<std::string>()].push_back(std::move(s));
  }
  return out;
}

}  // namespace aftercare::dispatch::store
