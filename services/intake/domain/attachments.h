// Attachments of a ticket (photos before/after, documents): what may be uploaded, how its type is
// recognised from its first bytes, its content hash, and when a ticket still accepts one.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "aftercare/v1/common.pb.h"
#include "aftercare/v1/intake.pb.h"

namespace aftercare::intake::domain {

// Limits of an upload. Defaults of the platform, passed as a parameter like IntakePolicy so no
// rule hides a number (the gRPC message limit, 16 MiB, must stay above max_bytes).
struct AttachmentRules {
  int64_t max_bytes = 10 * 1024 * 1024;  // 10 MiB
  size_t max_filename_chars = 200;
  size_t max_note_chars = 1000;
  int max_per_ticket = 50;  // distinct contents per ticket

  static AttachmentRules defaults() { return AttachmentRules{}; }
};

// "image/jpeg", "image/png" or "application/pdf" (case-insensitive, returned in lower case);
// "" for anything else.
std::string normalize_content_type(std::string_view content_type);

// True when the content starts with the magic bytes of the (normalised) type: JPEG FF D8 FF,
// PNG 89 50 4E 47 0D 0A 1A 0A, PDF "%PDF-". A file renamed to look like another type is refused.
bool content_matches_type(std::string_view content, std::string_view content_type);

// Every input check of AddAttachment, in field order: kind, filename, content_type, content
// (size, then magic bytes), note. "" when acceptable, else a message starting with the field.
std::string check_attachment(aftercare::v1::AttachmentKind kind, std::string_view filename,
                             std::string_view content_type, std::string_view content,
                             std::string_view note, const AttachmentRules& rules);

// Whether a ticket in `status` accepts a new attachment of `kind`; "" or the reason
// (FAILED_PRECONDITION). Cancelled tickets (withdrawn, duplicates, merged) accept nothing. A
// closed ticket's archive still takes documents from staff (sign-off sheets and receipts arrive
// after closing), but no photos and nothing from owners: a new problem is a new report.
std::string check_attachment_allowed(aftercare::v1::TicketStatus status,
                                     aftercare::v1::AttachmentKind kind, bool by_owner);

// Lower-case hex SHA-256 of the content (64 characters).
std::string sha256_hex(std::string_view content);

}  // namespace aftercare::intake::domain
