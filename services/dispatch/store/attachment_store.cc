#include "dispatch/store/attachment_store.h"

#include "dispatch/domain/names.h"

namespace aftercare::dispatch::store {
namespace {

constexpr const char* kRecordAttachment = R"(
  INSERT INTO ticket_attachments (attachment_id, ticket_id, kind, content_type)
  VALUES ($1, $2, $3, $4)
  ON CONFLICT (attachment_id) DO NOTHING)";

constexpr const char* kAttachmentTicket = R"(
  SELECT ticket_id FROM ticket_attachments WHERE attachment_id = $1)";

}  // namespace

void record_attachment(pqxx::work& tx, const aftercare::v1::AttachmentAdded& added) {
  tx.exec_params(kRecordAttachment, added.attachment_id(), added.ticket_id(),
                 domain::public_name(added.kind()), added.content_type());
}

std::optional<std::string> attachment_ticket(pqxx::transaction_base& tx,
                                             const std::string& attachment_id) {
  pqxx::result r = tx.exec_params(kAttachmentTicket, attachment_id);
  if (r.empty()) return std::nullopt;
  return r[0][0].as<std::string>();
}

}  // namespace aftercare::dispatch::store
