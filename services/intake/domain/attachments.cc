#include "intake/domain/attachments.h"

#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <stdexcept>

#include "intake/domain/names.h"
#include "intake/domain/validation.h"

namespace aftercare::intake::domain {
namespace {

struct KnownType {
  std::string_view name;
  std::string_view magic;
};

constexpr std::array<KnownType, 3> kTypes = {{
    {"image/jpeg", std::string_view("\xFF\xD8\xFF", 3)},
    {"image/png", std::string_view("\x89PNG\r\n\x1A\n", 8)},
    {"application/pdf", std::string_view("%PDF-", 5)},
}};

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

std::string normalize_content_type(std::string_view content_type) {
  std::string wanted = lower(content_type);
  for (const auto& t : kTypes)
    if (t.name == wanted) return wanted;
  return "";
}

bool content_matches_type(std::string_view content, std::string_view content_type) {
  std::string type = normalize_content_type(content_type);
  for (const auto& t : kTypes)
    if (t.name == type) return content.starts_with(t.magic);
  return false;
}

std::string check_attachment(aftercare::v1::AttachmentKind kind, std::string_view filename,
                             std::string_view content_type, std::string_view content,
                             std::string_view note, const AttachmentRules& rules) {
  if (auto e = check_enum(kind, "kind"); !e.empty()) return e;
  if (auto e = check_text(filename, "filename", rules.max_filename_chars); !e.empty()) return e;
  for (unsigned char c : filename) {
    // Control characters and path separators would turn a name into a path or a header.
    if (c < 0x20 || c == 0x7F || c == '/' || c == '\\')
      return "filename must not contain control characters, '/' or '\\'";
  }
  if (normalize_content_type(content_type).empty())
    return "content_type must be one of image/jpeg, image/png, application/pdf";
  if (content.empty()) return "content is required";
  if (static_cast<int64_t>(content.size()) > rules.max_bytes)
    return "content must be at most " + std::to_string(rules.max_bytes) + " bytes";
  if (!content_matches_type(content, content_type))
    return "content is not a " + normalize_content_type(content_type) +
           " file (its first bytes do not match content_type)";
  if (!note.empty())
    if (auto e = check_text(note, "note", rules.max_note_chars); !e.empty()) return e;
  return "";
}

std::string check_attachment_allowed(aftercare::v1::TicketStatus status,
                                     aftercare::v1::AttachmentKind kind, bool by_owner) {
  if (status == aftercare::v1::TICKET_STATUS_CANCELLED) return "ticket is cancelled";
  if (status == aftercare::v1::TICKET_STATUS_CLOSED) {
    if (by_owner) return "ticket is closed: report a new problem instead";
    if (kind != aftercare::v1::ATTACHMENT_KIND_DOCUMENT)
      return "ticket is closed: only documents may still be added to its archive";
  }
  return "";
}

std::string sha256_hex(std::string_view content) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(content.data(), content.size(), digest, &length, EVP_sha256(), nullptr) != 1)
    throw std::runtime_error("SHA-256 failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * length);
  for (unsigned int i = 0; i < length; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xF];
  }
  return out;
}

}  // namespace aftercare::intake::domain
