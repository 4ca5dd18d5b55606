#include "common/json_codec.h"

#include <absl/strings/escaping.h>
#include <absl/time/time.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/timestamp.pb.h>

#include <cmath>

#include <cstdio>
#include "common/input.h"

namespace aftercare::kit {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

constexpr std::string_view kCentiSuffix = "_centi_m2";

// The public JSON name of a field: area_centi_m2 -> area_m2.
std::string public_field_name(const FieldDescriptor& f) {
  const std::string& n = f.name();
  if (n.size() > kCentiSuffix.size() && n.ends_with(kCentiSuffix))
    return n.substr(0, n.size() - kCentiSuffix.size()) + "_m2";
  return n;
}

bool is_centi(const FieldDescriptor& f) {
  return public_field_name(f) != f.name();
}

const std::string& full_name(const Descriptor* d) {
  return d->full_name();
}

nlohmann::json special_to_json(const Message& m, bool* handled) {
  *handled = true;
  const std::string& type = full_name(m.GetDescriptor());
  const Reflection* r = m.GetReflection();
  const Descriptor* d = m.GetDescriptor();
  char buf[32];
  if (type == "google.protobuf.Timestamp") {
    const auto& ts = static_cast<const google::protobuf::Timestamp&>(m);
    absl::Time t = absl::FromUnixSeconds(ts.seconds()) + absl::Nanoseconds(ts.nanos());
    return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", t, absl::UTCTimeZone());
  }
  if (type == "aftercare.v1.Date") {
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", r->GetInt32(m, d->FindFieldByName("year")),
                  r->GetInt32(m, d->FindFieldByName("month")),
                  r->GetInt32(m, d->FindFieldByName("day")));
    return buf;
  }
  if (type == "aftercare.v1.YearMonth") {
    std::snprintf(buf, sizeof buf, "%04d-%02d", r->GetInt32(m, d->FindFieldByName("year")),
                  r->GetInt32(m, d->FindFieldByName("month")));
    return buf;
  }
  *handled = false;
  return nullptr;
}

nlohmann::json value_to_json(const Message& m, const FieldDescriptor* f, int index) {
  const Reflection* r = m.GetReflection();
  bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(m, f, index) : r->GetInt32(m, f);
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(m, f, index) : r->GetUInt32(m, f);
    case FieldDescriptor::CPPTYPE_INT64: {
      int64_t v = rep ? r->GetRepeatedInt64(m, f, index) : r->GetInt64(m, f);
      if (is_centi(*f)) return static_cast<double>(v) / 100.0;  // exact to 2 decimals for display
      return v;
    }
    case FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r->GetRepeatedUInt64(m, f, index) : r->GetUInt64(m, f);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(m, f, index) : r->GetDouble(m, f);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return rep ? r->GetRepeatedFloat(m, f, index) : r->GetFloat(m, f);
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(m, f, index) : r->GetBool(m, f);
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string s = rep ? r->GetRepeatedString(m, f, index) : r->GetString(m, f);
      // bytes (attachment content) travel as standard base64, as in protobuf's JSON mapping.
      if (f->type() == FieldDescriptor::TYPE_BYTES) return absl::Base64Escape(s);
      return s;
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const auto* v = rep ? r->GetRepeatedEnum(m, f, index) : r->GetEnum(m, f);
      return enum_public_name(*v);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return to_json(rep ? r->GetRepeatedMessage(m, f, index) : r->GetMessage(m, f));
  }
  return nullptr;
}

std::string field_error(const std::string& path, const std::string& why) {
  return path + ": " + why;
}

// Parses an integer from JSON: a number without fraction, or (from URLs) its decimal text.
bool json_integer(const nlohmann::json& j, bool from_url, int64_t* out) {
  if (j.is_number_integer()) {
    *out = j.get<int64_t>();
    return true;
  }
  if (j.is_number_unsigned()) {
    if (j.get<uint64_t>() > static_cast<uint64_t>(INT64_MAX)) return false;
    *out = static_cast<int64_t>(j.get<uint64_t>());
    return true;
  }
  if (from_url && j.is_string()) {
    const std::string& s = j.get_ref<const std::string&>();
    if (s.empty() || s.size() > 19) return false;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return false;
    for (size_t k = i; k < s.size(); ++k)
      if (s[k] < '0' || s[k] > '9') return false;
    *out = std::stoll(s);
    return true;
  }
  return false;
}

std::string parse_special(const nlohmann::json& j, Message* m, const std::string& path,
                          bool* handled) {
  *handled = true;
  const std::string& type = full_name(m->GetDescriptor());
  const Reflection* r = m->GetReflection();
  const Descriptor* d = m->GetDescriptor();
  if (type == "google.protobuf.Timestamp") {
    if (!j.is_string()) return field_error(path, "must be an RFC 3339 time string");
    absl::Time t;
    std::string err;
    if (!absl::ParseTime(absl::RFC3339_full, j.get<std::string>(), &t, &err))
      return field_error(path, "must be an RFC 3339 time like 2026-11-23T10:00:00+08:00");
    if (t < absl::FromCivil(absl::CivilSecond(1970, 1, 1, 0, 0, 0), absl::UTCTimeZone()) ||
        t > absl::FromCivil(absl::CivilSecond(9999, 12, 31, 23, 59, 59), absl::UTCTimeZone()))
      return field_error(path, "is out of range");
    auto* ts = static_cast<google::protobuf::Timestamp*>(m);
    int64_t us = absl::ToUnixMicros(t);
    ts->set_seconds(us / 1000000);
    ts->set_nanos(static_cast<int32_t>((us % 1000000) * 1000));
    return "";
  }
  if (type == "aftercare.v1.Date" || type == "aftercare.v1.YearMonth") {
    bool with_day = type == "aftercare.v1.Date";
    if (!j.is_string())
      return field_error(path, with_day ? "must be a date YYYY-MM-DD" : "must be a month YYYY-MM");
    const std::string s = j.get<std::string>();
    int y = 0, mo = 0, da = 1;
    char tail = 0;
    int n = with_day ? std::sscanf(s.c_str(), "%4d-%2d-%2d%c", &y, &mo, &da, &tail)
                     : std::sscanf(s.c_str(), "%4d-%2d%c", &y, &mo, &tail);
    bool shape = s.size() == (with_day ? 10u : 7u) && n == (with_day ? 3 : 2);
    absl::CivilDay day(y, mo, da);
    if (!shape || y < 1900 || y > 9999 || day.year() != y || day.month() != mo || day.day() != da)
      return field_error(
          path, with_day ? "must be a valid date YYYY-MM-DD" : "must be a valid month YYYY-MM");
    r->SetInt32(m, d->FindFieldByName("year"), y);
    r->SetInt32(m, d->FindFieldByName("month"), mo);
    if (with_day) r->SetInt32(m, d->FindFieldByName("day"), da);
    return "";
  }
  *handled = false;
  return "";
}

std::string parse_value(const nlohmann::json& j, Message* m, const FieldDescriptor* f,
                        bool from_url, const std::string& path) {
  const Reflection* r = m->GetReflection();
  bool rep = f->is_repeated();
  switch (f->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
    case FieldDescriptor::CPPTYPE_INT64:
    case FieldDescriptor::CPPTYPE_UINT32:
    case FieldDescriptor::CPPTYPE_UINT64: {
      int64_t v = 0;
      if (is_centi(*f)) {
        // area_m2: a number with at most 2 decimals, stored exactly as hundredths.
        if (!j.is_number() && !(from_url && j.is_string()))
          return field_error(path, "must be a number");
        double x =
            j.is_number() ? j.get<double>() : std::strtod(j.get<std::string>().c_str(), nullptr);
        double scaled = x * 100.0;
        if (!std::isfinite(x) || std::fabs(scaled - std::round(scaled)) > 1e-6 ||
            std::fabs(scaled) > 1e15)
          return field_error(path, "must be a number with at most 2 decimals");
        v = static_cast<int64_t>(std::llround(scaled));
      } else if (!json_integer(j, from_url, &v)) {
        return field_error(path, "must be an integer");
      }
      bool is32 = f->cpp_type() == FieldDescriptor::CPPTYPE_INT32 ||
                  f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32;
      bool is_unsigned = f->cpp_type() == FieldDescriptor::CPPTYPE_UINT32 ||
                         f->cpp_type() == FieldDescriptor::CPPTYPE_UINT64;
      if ((is32 && (v > INT32_MAX || v < INT32_MIN)) || (is_unsigned && v < 0))
        return field_error(path, "is out of range");
      switch (f->cpp_type()) {
        case FieldDescriptor::CPPTYPE_INT32:
          rep ? r->AddInt32(m, f, static_cast<int32_t>(v))
              : r->SetInt32(m, f, static_cast<int32_t>(v));
          break;
        case FieldDescriptor::CPPTYPE_UINT32:
          rep ? r->AddUInt32(m, f, static_cast<uint32_t>(v))
              : r->SetUInt32(m, f, static_cast<uint32_t>(v));
          break;
        case FieldDescriptor::CPPTYPE_INT64:
          rep ? r->AddInt64(m, f, v) : r->SetInt64(m, f, v);
          break;
        default:
          rep ? r->AddUInt64(m, f, static_cast<uint64_t>(v))
              : r->SetUInt64(m, f, static_cast<uint64_t>(v));
          break;
      }
      return "";
    }
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT: {
      if (!j.is_number()) return field_error(path, "must be a number");
      double x = j.get<double>();
      if (f->cpp_type() == FieldDescriptor::CPPTYPE_DOUBLE)
        rep ? r->AddDouble(m, f, x) : r->SetDouble(m, f, x);
      else
        rep ? r->AddFloat(m, f, static_cast<float>(x)) : r->SetFloat(m, f, static_cast<float>(x));
      return "";
    }
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool b;
      if (j.is_boolean())
        b = j.get<bool>();
      else if (from_url && j.is_string() && (j == "true" || j == "false"))
        b = j == "true";
      else
        return field_error(path, "must be true or false");
      rep ? r->AddBool(m, f, b) : r->SetBool(m, f, b);
      return "";
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      if (!j.is_string()) return field_error(path, "must be a string");
      std::string value = j.get<std::string>();
      if (f->type() == FieldDescriptor::TYPE_BYTES) {
        std::string raw;
        if (!absl::Base64Unescape(value, &raw) && !absl::WebSafeBase64Unescape(value, &raw))
          return field_error(path, "must be base64");
        value = std::move(raw);
      }
      rep ? r->AddString(m, f, value) : r->SetString(m, f, value);
      return "";
    }
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumDescriptor* e = f->enum_type();
      std::string allowed;
      if (j.is_string()) {
        std::string wanted = j.get<std::string>();
        for (int i = 0; i < e->value_count(); ++i) {
          const auto* v = e->value(i);
          if (v->number() == 0) continue;  // UNSPECIFIED is not a value anyone can send
          if (enum_public_name(*v) == wanted) {
            rep ? r->AddEnumValue(m, f, v->number()) : r->SetEnumValue(m, f, v->number());
            return "";
          }
        }
      }
      for (int i = 0; i < e->value_count(); ++i)
        if (e->value(i)->number() != 0)
          allowed += (allowed.empty() ? "" : ", ") + enum_public_name(*e->value(i));
      return field_error(path, "must be one of " + allowed);
    }
    case FieldDescriptor::CPPTYPE_MESSAGE: {
      Message* child = rep ? r->AddMessage(m, f) : r->MutableMessage(m, f);
      bool handled = false;
      std::string err = parse_special(j, child, path, &handled);
      if (handled) return err;
      if (!j.is_object()) return field_error(path, "must be an object");
      std::string nested = from_json(j, child, from_url);
      return nested.empty() ? "" : path + "." + nested;
    }
  }
  return field_error(path, "unsupported type");
}

}  // namespace

std::string enum_public_name(const google::protobuf::EnumValueDescriptor& value) {
  return enum_public_name(*value.type(), value.number());
}

nlohmann::json to_json(const Message& m) {
  bool handled = false;
  nlohmann::json special = special_to_json(m, &handled);
  if (handled) return special;
  nlohmann::json out = nlohmann::json::object();
  const Descriptor* d = m.GetDescriptor();
  const Reflection* r = m.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const FieldDescriptor* f = d->field(i);
    std::string name = public_field_name(*f);
    if (f->is_repeated()) {
      nlohmann::json arr = nlohmann::json::array();
      for (int k = 0; k < r->FieldSize(m, f); ++k) arr.push_back(value_to_json(m, f, k));
      out[name] = std::move(arr);
    } else if (f->containing_oneof() && !r->HasField(m, f)) {
      continue;  // only the chosen member of a oneof is shown
    } else if (f->has_presence() && !r->HasField(m, f)) {
      out[name] = nullptr;  // unset message or optional scalar: known to be absent
    } else {
      out[name] = value_to_json(m, f, 0);
    }
  }
  return out;
}

std::string from_json(const nlohmann::json& json, Message* m, bool from_url) {
  if (!json.is_object()) return "body must be a JSON object";
  const Descriptor* d = m->GetDescriptor();
  for (const auto& [key, value] : json.items()) {
    const FieldDescriptor* f = d->FindFieldByName(key);
    if (!f && key.ends_with("_m2"))
      f = d->FindFieldByName(key.substr(0, key.size() - 3) + std::string(kCentiSuffix));
    if (!f || public_field_name(*f) != key) return field_error(key, "unknown field");
    if (value.is_null()) continue;  // null = not given
    if (f->is_repeated()) {
      if (!value.is_array()) return field_error(key, "must be an array");
      if (value.size() > 10000) return field_error(key, "has too many items");
      for (size_t i = 0; i < value.size(); ++i)
        if (auto e = parse_value(value[i], m, f, from_url, key + "[" + std::to_string(i) + "]");
            !e.empty())
          return e;
    } else if (auto e = parse_value(value, m, f, from_url, key); !e.empty()) {
      return e;
    }
  }
  return "";
}

}  // namespace aftercare::kit
