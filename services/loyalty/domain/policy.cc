#include "loyalty/domain/policy.h"

#include <algorithm>
#include <cctype>

namespace aftercare::loyalty::domain {
namespace {

namespace v1 = aftercare::v1;

std::string check_tiers(int64_t silver, int64_t gold, int64_t platinum) {
  if (silver <= 0) return "silver_at_points must be > 0";
  if (gold <= silver) return "gold_at_points must be > silver_at_points";
  if (platinum <= gold) return "platinum_at_points must be > gold_at_points";
  if (platinum > kMaxPointsPerOperation) return "platinum_at_points is too large";
  return "";
}

}  // namespace

std::string reason_name(v1::EarnReason reason) {
  if (reason == v1::EARN_REASON_UNSPECIFIED || !v1::EarnReason_IsValid(reason)) return "";
  std::string name = v1::EarnReason_Name(reason).substr(std::string("EARN_REASON_").size());
  for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

std::string LoyaltyPolicy::validate() const {
  if (expiry_months < 1 || expiry_months > 240) return "expiry_months must be between 1 and 240";
  if (hold_minutes < 1 || hold_minutes > 60 * 24 * 90)
    return "hold_minutes must be between 1 and 129600 (90 days)";
  if (tier_window_months < 0 || tier_window_months > 240)
    return "tier_window_months must be between 0 and 240";
  if (auto e = check_tiers(silver_at_points, gold_at_points, platinum_at_points); !e.empty())
    return e;
  for (const auto& [reason, rule] : earning_rules) {
    std::string name = reason_name(reason);
    if (name.empty()) return "earning_rules.reason must be a known reason";
    if (rule.points < 0 || rule.points > kMaxPointsPerOperation)
      return "earning_rules." + name + ".points must be between 0 and " +
             std::to_string(kMaxPointsPerOperation);
    if (rule.max_points < 0 || rule.max_points > kMaxPointsPerOperation)
      return "earning_rules." + name + ".max_points must be between 0 and " +
             std::to_string(kMaxPointsPerOperation);
  }
  return "";
}

std::string LoyaltyPolicy::apply(const v1::LoyaltyPolicy& policy) {
  LoyaltyPolicy next = *this;
  if (policy.has_expiry_months()) next.expiry_months = policy.expiry_months();
  if (policy.has_survey_points()) {
    EarningRule& survey = next.earning_rules[v1::EARN_REASON_SURVEY];
    survey.points = policy.survey_points();
    survey.max_points = std::max(survey.max_points, survey.points);
  }
  if (policy.has_silver_at_points()) next.silver_at_points = policy.silver_at_points();
  if (policy.has_gold_at_points()) next.gold_at_points = policy.gold_at_points();
  if (policy.has_platinum_at_points()) next.platinum_at_points = policy.platinum_at_points();
  if (auto e = next.validate(); !e.empty()) return "loyalty." + e;
  *this = next;
  return "";
}

std::string LoyaltyPolicy::apply(const v1::SetProjectRulesRequest& request) {
  LoyaltyPolicy next = *this;
  for (const auto& rule : request.earning_rules()) {
    if (reason_name(rule.reason()).empty()) return "earning_rules.reason must be a known reason";
    next.earning_rules[rule.reason()] = {rule.points(), rule.max_points()};
  }
  if (request.has_expiry_months()) next.expiry_months = request.expiry_months();
  if (request.has_hold_minutes()) next.hold_minutes = request.hold_minutes();
  if (request.has_tier_window_months()) next.tier_window_months = request.tier_window_months();
  if (request.has_silver_at_points()) next.silver_at_points = request.silver_at_points();
  if (request.has_gold_at_points()) next.gold_at_points = request.gold_at_points();
  if (request.has_platinum_at_points()) next.platinum_at_points = request.platinum_at_points();
  if (auto e = next.validate(); !e.empty()) return e;
  *this = next;
  return "";
}

EarningRule LoyaltyPolicy::rule_of(v1::EarnReason reason) const {
  auto it = earning_rules.find(reason);
  return it == earning_rules.end() ? EarningRule{} : it->second;
}

void LoyaltyPolicy::to_proto(v1::ProjectRules* out) const {
  out->clear_earning_rules();
  for (const auto& [reason, rule] : earning_rules) {
    auto* r = out->add_earning_rules();
    r->set_reason(reason);
    r->set_points(rule.points);
    r->set_max_points(rule.max_points);
  }
  out->set_expiry_months(expiry_months);
  out->set_hold_minutes(hold_minutes);
  out->set_tier_window_months(tier_window_months);
  out->set_silver_at_points(silver_at_points);
  out->set_gold_at_points(gold_at_points);
  out->set_platinum_at_points(platinum_at_points);
  out->set_timezone(timezone);
}

}  // namespace aftercare::loyalty::domain
