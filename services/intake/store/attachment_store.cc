// Intake's SQL for a ticket's attachments (content kept in the row, deduplicated by sha256).
#include "intake/store/intake_store.h"
#include "intake/store/rows.h"

namespace aftercare::intake::store {
namespace {

using namespace detail;

constexpr const char* kAttachmentColumns = R"(attachment_id::text, ticket_id::text, kind, filename,
  content_type, size_bytes, sha256, note, uploaded_by, kit_us(created_at))";
constexpr const char* kInsertAttachment = R"(
  INSERT INTO ticket_attachments (attachment_id, ticket_id, kind, filename, content_type,
    size_bytes, sha256, note, uploaded_by, created_at, content)
  VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, kit_ts($10), $11)
  ON CONFLICT (ticket_id, sha256) DO NOTHING)";
constexpr const char* kCountAttachments =
    "SELECT count(*) FROM ticket_attachments WHERE ticket_id = $1::uuid";

constexpr int kAttachmentColumnCount = 10;

v1::Attachment attachment_from_row(const pqxx::row& r) {
  v1::Attachment a;
  a.set_attachment_id(r[0].as<std::string>());
  a.set_ticket_id(r[1].as<std::string>());
  a.set_kind(static_cast<v1::AttachmentKind>(r[2].as<int>()));
  a.set_filename(r[3].as<std::string>());
  a.set_content_type(r[4].as<std::string>());
  a.set_size_bytes(r[5].as<int64_t>());
  a.set_sha256(r[6].as<std::string>());
  a.set_note(r[7].as<std::string>());
  a.set_uploaded_by(r[8].as<std::string>());
  set_time([&] { return a.mutable_created_at(); }, r[9]);
  return a;
}

}  // namespace

bool add_attachment(pqxx::transaction_base& tx, const v1::Attachment& a, v1::Attachment* stored) {
  bool inserted = tx.exec_params(kInsertAttachment, a.attachment_id(), a.ticket_id(),
                                 static_cast<int>(a.kind()), a.filename(), a.content_type(),
                                 static_cast<int64_t>(a.content().size()), a.sha256(), a.note(),
                                 a.uploaded_by(), micros(a.created_at()),
                                 pqxx::binarystring(a.content().data(), a.content().size()))
                      .affected_rows() == 1;
  auto rows =
      tx.exec_params(std::string("SELECT ") + kAttachmentColumns +
                         " FROM ticket_attachments WHERE ticket_id = $1::uuid AND sha256 = $2",
                     a.ticket_id(), a.sha256());
  *stored = attachment_from_row(rows.at(0));
  return inserted;
}

int count_attachments(pqxx::transaction_base& tx, const std::string& ticket_id) {
  return tx.exec_params(kCountAttachments, ticket_id)[0][0].as<int>();
}

std::vector<v1::Attachment> list_attachments(pqxx::transaction_base& tx,
                                             const std::string& ticket_id) {
  std::vector<v1::Attachment> out;
  for (const auto& r : tx.exec_params(std::string("SELECT ") + kAttachmentColumns +
                                          " FROM ticket_attachments WHERE ticket_id = $1::uuid "
                                          "ORDER BY created_at, attachment_id",
                                      ticket_id))
    out.push_back(attachment_from_row(r));
  return out;
}

std::optional<v1::Attachment> find_attachment(pqxx::transaction_base& tx,
                                              const std::string& attachment_id, bool with_content) {
  auto rows = tx.exec_params(std::string("SELECT ") + kAttachmentColumns +
                                 (with_content ? ", content" : "") +
                                 " FROM ticket_attachments WHERE attachment_id = $1::uuid",
                             attachment_id);
  if (rows.empty()) return std::nullopt;
  v1::Attachment a = attachment_from_row(rows[0]);
  if (with_content) {
    pqxx::binarystring bytes(rows[0][kAttachmentColumnCount]);
    a.set_content(bytes.data(), bytes.size());
  }
  return a;
}

}  // namespace aftercare::intake::store
