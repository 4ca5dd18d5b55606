#include "callback/domain/outreach.h"

#include <openssl/sha.h>

#include <algorithm>
#include <cstdio>

#include "absl/strings/str_format.h"

namespace aftercare::callback::domain {
namespace {

const std::map<std::string, std::string>& templates_zh() {
  static const std::map<std::string, std::string> t = {
      {"appointment_scheduled",
       "【物业服务】您好，{unit}的报修已预约上门时间：{window}。如需改约请联系客服。"},
      {"appointment_reminder",
       "【物业服务】提醒：维修人员将于{window}上门（{unit}），请安排人员在家。"},
      {"technician_late", "【物业服务】很抱歉，维修人员将晚到，预计{eta}到达{unit}。"},
      {"quote_issued",
       "【物业服务】{unit}的有偿维修报价为{amount}元，有效期至{valid_until}，请在App中确认。"},
      {"signoff_requested", "【物业服务】{unit}的维修已完工，请验收并签字确认。"},
      {"deadline_extended",
       "【物业服务】您报修的问题（{unit}）处理期限延长至{deadline}，原因：{reason}。"},
      {"payment_reminder", "【物业服务】{unit}的{item}{amount}元将于{due_date}到期，请按时缴纳。"},
      {"invoice_overdue",
       "【物业服务】{unit}的{item}{amount}元已于{due_date}到期未缴，请尽快缴纳。"},
      {"warranty_expiry",
       "【物业服务】{unit}的{component}保修将于{warranty_ends}到期，请及时自查，如有问题请报修。"},
      {"incident_notice", "【物业服务】{text}"},
      {"announcement", "【物业服务】{text}"},
      {"key_collection_reminder",
       "【物业服务】{unit}已于{notice_on}"
       "通知收房，您尚未办理，请携带购房资料到客服中心办理收房手续。"},
  };
  return t;
}

int minute_of_day(absl::Time t, absl::TimeZone zone) {
  absl::CivilSecond cs = absl::ToCivilSecond(t, zone);
  return cs.hour() * 60 + cs.minute();
}

}  // namespace

const std::vector<std::string>& message_kinds() {
  static const std::vector<std::string> kinds = {
      "appointment_scheduled", "appointment_reminder", "technician_late",
      "quote_issued",          "signoff_requested",    "deadline_extended",
      "payment_reminder",      "invoice_overdue",      "warranty_expiry",
      "incident_notice",       "announcement",         "key_collection_reminder"};
  return kinds;
}

bool is_message_kind(const std::string& kind) {
  const auto& k = message_kinds();
  return std::find(k.begin(), k.end(), kind) != k.end();
}

bool is_urgent_kind(const std::string& kind) {
  return kind == "incident_notice";
}

bool is_channel(const std::string& channel) {
  for (const char* c : kChannels)
    if (channel == c) return true;
  return false;
}

bool in_quiet_hours(absl::Time t, absl::TimeZone zone, const OutreachPolicy& policy) {
  int m = minute_of_day(t, zone);
  int s = policy.quiet_start_minute, e = policy.quiet_end_minute;
  if (s == e) return false;           // no quiet window
  if (s < e) return m >= s && m < e;  // e.g. 13:00-14:00
  return m >= s || m < e;             // spans midnight: 21:00-08:00
}

absl::Time quiet_end_after(absl::Time t, absl::TimeZone zone, const OutreachPolicy& policy) {
  absl::CivilDay day = absl::ToCivilDay(t, zone);
  int eh = policy.quiet_end_minute / 60, em = policy.quiet_end_minute % 60;
  for (int i = 0; i < 3; ++i) {
    absl::Time end =
        absl::FromCivil(absl::CivilMinute(day.year(), day.month(), day.day(), eh, em), zone);
    if (end > t) return end;
    day += 1;
  }
  return t;
}

Plan plan_message(const PlanInput& in, const OutreachPolicy& policy) {
  bool urgent = in.urgent || is_urgent_kind(in.kind);
  if (urgent) return {"queued", in.now, true};
  if (in.opted_out) return {"suppressed", in.now, false};
  absl::Time at = in.now;
  std::string status = "queued";
  if (in_quiet_hours(at, in.zone, policy)) {
    at = quiet_end_after(at, in.zone, policy);
    status = "held";
  }
  // Past the cap: the next day's first quiet end, as often as days are full (bounded).
  for (int i = 0; i < 366 && policy.daily_cap > 0 && in.planned_on &&
                  in.planned_on(absl::ToCivilDay(at, in.zone)) >= policy.daily_cap;
       ++i) {
    absl::CivilDay next = absl::ToCivilDay(at, in.zone) + 1;
    at = quiet_end_after(absl::FromCivil(next, in.zone), in.zone, policy);
    if (!in_quiet_hours(absl::FromCivil(next, in.zone), in.zone, policy))
      at = absl::FromCivil(next, in.zone);
    status = "held";
  }
  return {status, at, false};
}

const std::string& default_template(const std::string& kind) {
  static const std::string empty;
  auto it = templates_zh().find(kind);
  return it == templates_zh().end() ? empty : it->second;
}

std::string render(const std::string& tmpl, const std::map<std::string, std::string>& facts) {
  std::string out;
  out.reserve(tmpl.size() + 64);
  size_t i = 0;
  while (i < tmpl.size()) {
    if (tmpl[i] == '{') {
      size_t close = tmpl.find('}', i + 1);
      if (close != std::string::npos) {
        std::string name = tmpl.substr(i + 1, close - i - 1);
        bool ident = !name.empty() && std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'a' && c <= 'z') || c == '_';
        });
        if (ident) {
          auto it = facts.find(name);
          if (it != facts.end()) out += it->second;
          i = close + 1;
          continue;
        }
      }
    }
    out += tmpl[i++];
  }
  return out;
}

std::string format_local_time(absl::Time t, absl::TimeZone zone) {
  absl::CivilMinute m = absl::ToCivilMinute(t, zone);
  return absl::StrFormat("%d月%d日 %02d:%02d", m.month(), m.day(), m.hour(), m.minute());
}

std::string format_window(absl::Time start, absl::Time end, absl::TimeZone zone) {
  absl::CivilMinute a = absl::ToCivilMinute(start, zone), b = absl::ToCivilMinute(end, zone);
  if (absl::CivilDay(a) == absl::CivilDay(b))
    return absl::StrFormat("%d月%d日 %02d:%02d-%02d:%02d", a.month(), a.day(), a.hour(), a.minute(),
                           b.hour(), b.minute());
  return format_local_time(start, zone) + " 至 " + format_local_time(end, zone);
}

std::string format_date(absl::CivilDay day) {
  return absl::StrFormat("%d年%d月%d日", day.year(), day.month(), day.day());
}

std::string format_yuan(int64_t fen) {
  std::string sign = fen < 0 ? "-" : "";
  uint64_t a = fen < 0 ? static_cast<uint64_t>(-(fen + 1)) + 1 : static_cast<uint64_t>(fen);
  return absl::StrFormat("%s%d.%02d", sign, a / 100, a % 100);
}

std::string invoice_item_zh(int invoice_kind) {
  switch (invoice_kind) {  // aftercare.v1.InvoiceKind
    case 2:
      return "有偿维修费";
    case 3:
      return "有偿服务费";
    case 4:
      return "装修押金";
    case 5:
      return "装修管理费";
    case 6:
      return "装修违章扣款";
    default:
      return "物业费";
  }
}

std::string component_name_zh(int component) {
  switch (component) {
    case 1:
      return "主体结构";
    case 2:
      return "屋面防水";
    case 3:
      return "卫生间防水";
    case 4:
      return "外墙";
    case 5:
      return "电气管线";
    case 6:
      return "给排水管道";
    case 7:
      return "供热系统";
    case 8:
      return "装修工程";
    case 9:
      return "门窗";
    case 10:
      return "电梯";
    case 11:
      return "消防设施";
    case 12:
      return "燃气设施";
    default:
      return "相关部位";
  }
}

AttemptEffects after_attempt(int attempt_no, bool ok, absl::Time now,
                             const OutreachPolicy& policy) {
  if (ok) return {"sent", std::nullopt};
  size_t retries_used = attempt_no > 0 ? static_cast<size_t>(attempt_no - 1) : 0;
  if (retries_used < policy.retry_after.size())
    return {"queued", now + policy.retry_after[retries_used]};
  return {"failed", std::nullopt};
}

std::optional<std::string> after_receipt(const std::string& current, const std::string& receipt) {
  if (receipt != "delivered" && receipt != "failed") return std::nullopt;
  if (current == "queued" || current == "held" || current == "sent") return receipt;
  return std::nullopt;  // delivered, failed (final) and suppressed (never posted)
}

std::string message_id_for(const std::string& source_key) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(source_key.data()), source_key.size(), d);
  d[6] = (d[6] & 0x0f) | 0x50;  // version 5-like (name-based)
  d[8] = (d[8] & 0x3f) | 0x80;  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", d[0], d[1],
                d[2], d[3], d[4], d[5], d[6], d[7], d[8], d[9], d[10], d[11], d[12], d[13], d[14],
                d[15]);
  return out;
}

std::string failure_notice_text() {
  return "物业已知悉，正在安排维修，修复后恢复使用，无需重复报修。";
}

}  // namespace aftercare::callback::domain
