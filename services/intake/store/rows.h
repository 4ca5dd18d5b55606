// Row helpers shared by intake's store files (not for the layers above): the ticket's column
// list and its reader, times and dates as the store binds and reads them.
#pragma once

#include <pqxx/pqxx>

#include <optional>
#include <string>

#include "aftercare/v1/intake.pb.h"
#include "common/time.h"

namespace aftercare::intake::store::detail {

// Order matters: ticket_from_row reads by position.
inline constexpr const char* kTicketColumns =
    "ticket_id::text, ticket_no, project_id, unit_id, kind, category, component, urgency, "
    "channel, description, status, in_warranty, warranty_ends::text, kit_us(reported_at), "
    "kit_us(response_due), kit_us(resolve_due), escalation_level, recurrence, owner_agent, "
    "kit_us(created_at), owner_id, reported_by, repair_area, coalesce(duplicate_of::text, ''), "
    "kit_us(responded_at), kit_us(resolved_at), kit_us(closed_at), extension_count, fault_party, "
    "fault_party_id, fine_fen, kit_us(updated_at), version, coalesce(merged_into::text, ''), "
    "coalesce(split_from::text, ''), coalesce(incident_id::text, '')";
// Columns of kTicketColumns: extra columns selected after them start at this index.
inline constexpr int kTicketColumnCount = 36;

// Takes a setter so an absent (NULL) time leaves the field unset instead of the epoch.
template <typename Mutable>
void set_time(Mutable&& field, const pqxx::field& f) {
  if (!f.is_null()) *field() = kit::to_timestamp(kit::from_micros(f.as<int64_t>()));
}

v1::Date parse_date(const std::string& text);
// NULL for an unset timestamp, else its microseconds.
std::optional<int64_t> micros_or_null(const google::protobuf::Timestamp& ts);
int64_t micros(const google::protobuf::Timestamp& ts);
// libpqxx 6 binds std::optional poorly: bind NULL through a pointer.
const char* opt_text(const std::optional<int64_t>& v, std::string& storage);
v1::Ticket ticket_from_row(const pqxx::row& r);
std::string select_tickets(const std::string& where);

}  // namespace aftercare::intake::store::detail
