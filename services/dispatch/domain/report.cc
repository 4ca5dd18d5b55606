#include "dispatch/domain/report.h"

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

#include "absl/time/civil_time.h"
#include "dispatch/domain/work_order.h"

namespace aftercare::dispatch::domain {
namespace {

using aftercare::v1::WorkOrder;

constexpr int kFirstYear = 2000;
constexpr int kLastYear = 9999;

absl::Time at(const google::protobuf::Timestamp& ts) {
  return absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
}

bool within(const google::protobuf::Timestamp& ts, bool has, const PeriodBounds& b) {
  if (!has) return false;
  absl::Time t = at(ts);
  return t >= b.start && t < b.end;
}

// Monday of ISO week 1: the week that holds 4 January.
absl::CivilDay iso_week_one(int year) {
  absl::CivilDay jan4(year, 1, 4);
  int from_monday =
      (static_cast<int>(absl::GetWeekday(jan4)) - static_cast<int>(absl::Weekday::monday) + 7) % 7;
  return jan4 - from_monday;
}

int iso_weeks_in(int year) {
  return static_cast<int>((iso_week_one(year + 1) - iso_week_one(year)) / 7);
}

// Issue 23: one owner's rating added to a summary.
void add_rating(aftercare::v1::RatingSummary& r, int score) {
  if (r.count_by_score_size() == 0) {
    for (int i = 0; i < 5; ++i) r.add_count_by_score(0);
  }
  r.set_rated(r.rated() + 1);
  r.set_score_sum(r.score_sum() + score);
  if (score >= 1 && score <= 5) r.set_count_by_score(score - 1, r.count_by_score(score - 1) + 1);
  r.set_average_hundredths(
      static_cast<int32_t>((r.score_sum() * 200 + r.rated()) / (2 * r.rated())));
}

}  // namespace

std::string check_period(const aftercare::v1::ReportPeriod& p) {
  if (p.year() < kFirstYear || p.year() > kLastYear) {
    return "period.year must be between " + std::to_string(kFirstYear) + " and " +
           std::to_string(kLastYear);
  }
  switch (p.granularity()) {
    case aftercare::v1::REPORT_GRANULARITY_MONTH:
      if (p.index() < 1 || p.index() > 12) return "period.index must be a month 1-12";
      return "";
    case aftercare::v1::REPORT_GRANULARITY_QUARTER:
      if (p.index() < 1 || p.index() > 4) return "period.index must be a quarter 1-4";
      return "";
    case aftercare::v1::REPORT_GRANULARITY_WEEK: {
      int weeks = iso_weeks_in(p.year());
      if (p.index() < 1 || p.index() > weeks) {
        return "period.index must be an ISO week 1-" + std::to_string(weeks) + " of " +
               std::to_string(p.year());
      }
      return "";
    }
    case aftercare::v1::REPORT_GRANULARITY_YEAR:  // issue 20
      if (p.index() != 0) return "period.index must be 0 for a year";
      return "";
    default:
      return "period.granularity must be one of week, month, quarter, year";
  }
}

PeriodBounds period_bounds(const aftercare::v1::ReportPeriod& p, absl::TimeZone zone) {
  absl::CivilDay first, next;
  switch (p.granularity()) {
    case aftercare::v1::REPORT_GRANULARITY_WEEK:
      first = iso_week_one(p.year()) + 7 * (p.index() - 1);
      next = first + 7;
      break;
    case aftercare::v1::REPORT_GRANULARITY_QUARTER:
      first = absl::CivilDay(p.year(), 3 * (p.index() - 1) + 1, 1);
      next = absl::CivilDay(absl::CivilMonth(first) + 3);
      break;
    case aftercare::v1::REPORT_GRANULARITY_YEAR:  // issue 20
      first = absl::CivilDay(p.year(), 1, 1);
      next = absl::CivilDay(p.year() + 1, 1, 1);
      break;
    default:
      first = absl::CivilDay(p.year(), p.index(), 1);
      next = absl::CivilDay(absl::CivilMonth(first) + 1);
  }
  return {absl::FromCivil(first, zone), absl::FromCivil(next, zone)};
}

aftercare::v1::Ratio ratio(int64_t numerator, int64_t denominator) {
  aftercare::v1::Ratio r;
  r.set_numerator(numerator);
  r.set_denominator(denominator);
  if (denominator > 0) {
    r.set_basis_points(static_cast<int32_t>((numerator * 20000 + denominator) / (2 * denominator)));
  }
  return r;
}

aftercare::v1::RepairReportResponse repair_report(const std::vector<WorkOrder>& orders,
                                                  const PeriodBounds& b, absl::Time as_of) {
  aftercare::v1::RepairReportResponse out;
  std::map<std::string, const WorkOrder*> by_id;
  for (const WorkOrder& o : orders) by_id[o.work_order_id()] = &o;
  // Per party, keyed (party_id, kind) so one id used for two kinds stays apart.
  std::map<std::tuple<std::string, int>, aftercare::v1::PartyRepairSummary> parties;
  auto party = [&](const std::string& id, aftercare::v1::PartyKind kind) -> auto& {
    auto& s = parties[{id, static_cast<int>(kind)}];
    s.set_party_id(id);
    s.set_kind(kind);
    return s;
  };
  int64_t created = 0, signed_off = 0, reworks = 0, reroutes = 0, paid = 0, warranty = 0;
  int64_t onsite_total = 0, onsite_on_time = 0;
  std::map<std::tuple<std::string, int>, std::pair<int64_t, int64_t>> party_onsite;  // on time, of
  // Issue 23: ratings, per technician, the verifier's acceptances, sign-offs recorded for owners.
  aftercare::v1::RatingSummary ratings;
  std::map<std::string, aftercare::v1::TechnicianRepairSummary> technicians;
  auto technician = [&](const std::string& id, const std::string& party_id) -> auto& {
    auto& t = technicians[id];
    t.set_technician_id(id);
    if (t.party_id().empty()) t.set_party_id(party_id);
    return t;
  };
  int64_t verifier_accepted = 0, on_behalf = 0;
  for (const WorkOrder& o : orders) {
    bool builder = o.assignee_kind() == aftercare::v1::PARTY_KIND_BUILDER;
    if (within(o.created_at(), o.has_created_at(), b)) {
      ++created;
      if (!o.party_id().empty()) {
        auto& s = party(o.party_id(), o.assignee_kind());
        s.set_assigned(s.assigned() + 1);
        if (builder && !o.rerouted_to().empty()) s.set_rerouted_away(s.rerouted_away() + 1);
      }
      if (o.origin() == aftercare::v1::WORK_ORDER_ORIGIN_REROUTE) ++reroutes;
      if (o.origin() == aftercare::v1::WORK_ORDER_ORIGIN_REWORK) {
        ++reworks;
        auto original = by_id.find(o.rework_of());
        if (original != by_id.end() && !original->second->party_id().empty()) {
          auto& s = party(original->second->party_id(), original->second->assignee_kind());
          s.set_reworks(s.reworks() + 1);
        }
      }
      if (o.status() != aftercare::v1::WORK_ORDER_STATUS_CANCELLED) {
        bool started = o.has_started_at();
        bool decided = started || at(o.deadline()) < as_of;
        bool on_time = started && at(o.started_at()) <= at(o.deadline());
        if (decided && builder) {
          ++onsite_total;
          if (on_time) ++onsite_on_time;
        }
        if (decided && !o.party_id().empty()) {  // issue 20: per party, every kind
          auto& n = party_onsite[{o.party_id(), static_cast<int>(o.assignee_kind())}];
          ++n.second;
          if (on_time) ++n.first;
        }
      }
    }
    if (o.status() == aftercare::v1::WORK_ORDER_STATUS_SIGNED_OFF &&
        within(o.signed_off_at(), o.has_signed_off_at(), b)) {
      ++signed_off;
      if (!o.party_id().empty()) {
        auto& s = party(o.party_id(), o.assignee_kind());
        s.set_signed_off(s.signed_off() + 1);
        s.set_cost_fen(s.cost_fen() + o.cost_fen());
      }
      if (!o.technician_id().empty()) {
        auto& t = technician(o.technician_id(), o.party_id());
        t.set_signed_off(t.signed_off() + 1);
      }
      for (const auto& sig : o.sign_offs()) {
        if (sig.signer() == aftercare::v1::SIGNER_OWNER && sig.has_on_behalf()) ++on_behalf;
      }
      if (advances_warranty_cost(o)) {
        warranty += o.cost_fen();
        auto& s = party(o.builder_party_id(), aftercare::v1::PARTY_KIND_BUILDER);
        s.set_chargeable_fen(s.chargeable_fen() + o.cost_fen());
      }
    }
    for (const auto& sig : o.sign_offs()) {
      if (sig.signer() == aftercare::v1::SIGNER_VERIFIER &&
          within(sig.signed_at(), sig.has_signed_at(), b))
        ++verifier_accepted;
    }
    if (o.has_rating() && within(o.rating().rated_at(), o.rating().has_rated_at(), b)) {
      int score = o.rating().score();
      add_rating(ratings, score);
      if (!o.party_id().empty())
        add_rating(*party(o.party_id(), o.assignee_kind()).mutable_ratings(), score);
      if (!o.rating().technician_id().empty()) {
        add_rating(*technician(o.rating().technician_id(), o.party_id()).mutable_ratings(), score);
      }
    }
    if (o.quote().status() == aftercare::v1::QUOTE_STATUS_CONFIRMED &&
        within(o.quote().decided_at(), o.quote().has_decided_at(), b)) {
      paid += o.quote().amount_fen();
    }
  }
  out.set_work_orders_created(created);
  out.set_work_orders_signed_off(signed_off);
  out.set_reworks(reworks);
  *out.mutable_rework_rate() = ratio(reworks, signed_off);
  out.set_reroutes(reroutes);
  *out.mutable_builder_onsite_on_time() = ratio(onsite_on_time, onsite_total);
  out.set_paid_repair_fen(paid);
  out.set_warranty_cost_fen(warranty);
  for (auto& [key, summary] : parties) {
    auto [on_time, decided] = party_onsite[key];
    *summary.mutable_onsite_on_time() = ratio(on_time, decided);
    *out.add_by_party() = summary;
  }
  *out.mutable_ratings() = ratings;
  for (auto& [id, summary] : technicians) *out.add_by_technician() = summary;
  out.set_verifier_accepted(verifier_accepted);
  out.set_signed_off_on_behalf(on_behalf);
  return out;
}

ReportColumns report_columns(const WorkOrder& o) {
  ReportColumns c;
  if (o.has_started_at()) c.started_at = at(o.started_at());
  c.rerouted = !o.rerouted_to().empty();
  if (o.has_rating() && o.rating().has_rated_at()) {
    c.rating_at = at(o.rating().rated_at());
    c.rating_score = o.rating().score();
    c.rating_technician = o.rating().technician_id();
  }
  if (o.quote().status() == aftercare::v1::QUOTE_STATUS_CONFIRMED && o.quote().has_decided_at()) {
    c.quote_confirmed_at = at(o.quote().decided_at());
    c.quote_fen = o.quote().amount_fen();
  }
  for (const auto& sig : o.sign_offs()) {
    if (sig.signer() == aftercare::v1::SIGNER_VERIFIER && sig.has_signed_at())
      c.verifier_signed_at.push_back(at(sig.signed_at()));
    if (sig.signer() == aftercare::v1::SIGNER_OWNER && sig.has_on_behalf())
      ++c.owner_signs_on_behalf;
  }
  c.warranty_advanced = advances_warranty_cost(o);
  return c;
}

namespace {

// (first order's creation, sign-off 0 before rating 1, party) of a technician's first order.
using First = std::tuple<int64_t, int, std::string>;

// What a party or technician adds up to over the groups.
struct Tally {
  int64_t created = 0, rerouted_away = 0, signed_off = 0, cost_fen = 0, decided = 0, on_time = 0;
  int64_t chargeable_fen = 0, reworks = 0, rated = 0, score_sum = 0;
  int64_t by_score[5] = {0, 0, 0, 0, 0};
  bool listed = false;  // counts for something in the period
  // technicians: (first order's creation, sign-off before rating, party) of the first order
  First first{std::numeric_limits<int64_t>::max(), 0, ""};
  void add_ratings(const ReportSums& r) {
    rated += r.rated;
    score_sum += r.score_sum;
    for (int i = 0; i < 5; ++i) by_score[i] += r.by_score[i];
  }
  aftercare::v1::RatingSummary ratings() const {
    aftercare::v1::RatingSummary out;
    out.set_rated(rated);
    out.set_score_sum(score_sum);
    for (int64_t n : by_score) out.add_count_by_score(n);
    out.set_average_hundredths(static_cast<int32_t>((score_sum * 200 + rated) / (2 * rated)));
    return out;
  }
};

}  // namespace

aftercare::v1::RepairReportResponse repair_report_from_sums(const std::vector<ReportSums>& rows) {
  using aftercare::v1::PARTY_KIND_BUILDER;
  aftercare::v1::RepairReportResponse out;
  std::map<std::tuple<std::string, int>, Tally> parties;
  std::map<std::string, Tally> technicians;
  ReportSums all;  // the project's totals
  int64_t onsite_total = 0, onsite_on_time = 0;
  for (const ReportSums& r : rows) {
    all.created += r.created;
    all.reroutes += r.reroutes;
    all.reworks += r.reworks;
    all.signed_off += r.signed_off;
    all.on_behalf += r.on_behalf;
    all.warranty_fen += r.warranty_fen;
    all.paid_fen += r.paid_fen;
    all.verifier_accepted += r.verifier_accepted;
    bool builder = r.kind == PARTY_KIND_BUILDER;
    if (builder) {
      onsite_total += r.decided;
      onsite_on_time += r.on_time;
    }
    if (!r.party_id.empty()) {
      Tally& t = parties[{r.party_id, static_cast<int>(r.kind)}];
      t.created += r.created;
      if (builder) t.rerouted_away += r.rerouted_away;
      t.signed_off += r.signed_off;
      t.cost_fen += r.cost_fen;
      t.decided += r.decided;
      t.on_time += r.on_time;
      t.add_ratings(r);
      t.listed |= r.created > 0 || r.signed_off > 0 || r.rated > 0;
    }
    if (!r.charged_builder.empty()) {
      Tally& t = parties[{r.charged_builder, static_cast<int>(PARTY_KIND_BUILDER)}];
      t.chargeable_fen += r.warranty_fen;
      t.listed = true;
    }
    if (!r.rework_of_party.empty()) {
      Tally& t = parties[{r.rework_of_party, static_cast<int>(r.rework_of_kind)}];
      t.reworks += r.reworks;
      t.listed = true;
    }
    if (!r.technician.empty()) {
      Tally& t = technicians[r.technician];
      t.signed_off += r.signed_off;
      t.listed = true;
      if (!r.party_id.empty())
        t.first = std::min(t.first, First{r.first_signed_off_us, 0, r.party_id});
    }
    if (!r.rating_technician.empty()) {
      Tally& t = technicians[r.rating_technician];
      t.add_ratings(r);
      t.listed = true;
      if (!r.party_id.empty()) t.first = std::min(t.first, First{r.first_rated_us, 1, r.party_id});
    }
    all.rated += r.rated;
    all.score_sum += r.score_sum;
    for (int i = 0; i < 5; ++i) all.by_score[i] += r.by_score[i];
  }
  out.set_work_orders_created(all.created);
  out.set_work_orders_signed_off(all.signed_off);
  out.set_reworks(all.reworks);
  *out.mutable_rework_rate() = ratio(all.reworks, all.signed_off);
  out.set_reroutes(all.reroutes);
  *out.mutable_builder_onsite_on_time() = ratio(onsite_on_time, onsite_total);
  out.set_paid_repair_fen(all.paid_fen);
  out.set_warranty_cost_fen(all.warranty_fen);
  for (const auto& [key, t] : parties) {
    if (!t.listed) continue;
    auto* s = out.add_by_party();
    s->set_party_id(std::get<0>(key));
    s->set_kind(static_cast<aftercare::v1::PartyKind>(std::get<1>(key)));
    s->set_assigned(t.created);
    s->set_rerouted_away(t.rerouted_away);
    s->set_signed_off(t.signed_off);
    s->set_cost_fen(t.cost_fen);
    s->set_chargeable_fen(t.chargeable_fen);
    s->set_reworks(t.reworks);
    if (t.rated > 0) *s->mutable_ratings() = t.ratings();
    *s->mutable_onsite_on_time() = ratio(t.on_time, t.decided);
  }
  Tally totals;
  totals.add_ratings(all);
  if (all.rated > 0)
    *out.mutable_ratings() = totals.ratings();
  else
    out.mutable_ratings();
  for (const auto& [id, t] : technicians) {
    auto* s = out.add_by_technician();
    s->set_technician_id(id);
    s->set_party_id(std::get<2>(t.first));
    s->set_signed_off(t.signed_off);
    if (t.rated > 0) *s->mutable_ratings() = t.ratings();
  }
  out.set_verifier_accepted(all.verifier_accepted);
  out.set_signed_off_on_behalf(all.on_behalf);
  return out;
}

}  // namespace aftercare::dispatch::domain
