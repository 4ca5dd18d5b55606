// Input checks of the billing handlers. Each returns "" when the value is acceptable, else a
// message that starts with the field name, ready for INVALID_ARGUMENT.
#pragma once

#include "common/input.h"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "aftercare/v1/common.pb.h"

namespace aftercare::billing::domain {

// Ids end up in URLs, logs, ledger account names and Kafka keys: [A-Za-z0-9_-]{1,64}.
using kit::check_id;

// True for a canonical lower- or upper-case UUID (invoice, payment and settlement ids).
using kit::is_uuid;

// Billing's free text (descriptions, reasons) is one line: kit::check_line.
using kit::check_line;

// External payment references (bank, wallet): 1-128 characters, no control characters.
std::string check_reference(std::string_view value, std::string_view field = "reference");

// An amount of money: > 0 and at most Limits::kMaxAmountFen.
std::string check_amount(int64_t amount_fen, std::string_view field = "amount_fen");

// A rate in fen per m2 per month: > 0 and at most Limits::kMaxFenPerM2Month.
std::string check_rate(int64_t fen_per_m2_month, std::string_view field = "fen_per_m2_month");

// The day of the month an invoice falls due: 1-31 (clamped to the month's last day).
std::string check_due_day(int due_day, std::string_view field = "due_day");

// A billing period: month 1-12, 4-digit year ("2026-13" is refused).
std::string check_period(const aftercare::v1::YearMonth& period, std::string_view field = "period");

// A real calendar day.
std::string check_date(const aftercare::v1::Date& date, std::string_view field);

using kit::utf8_length;  // Unicode characters, nullopt for invalid UTF-8

}  // namespace aftercare::billing::domain
