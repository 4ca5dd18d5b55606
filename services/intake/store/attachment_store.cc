// Intake's SQL for attachments: a ticket's (ticket_attachments) and an inspection's
// (inspection_attachments, issue 19). The two tables have the same columns but the parent's, so
// one set of statements serves both; content is kept in the row, deduplicated by sha256.
#include "intake/store/handover_store.h"
#include "intake/store/intake_store.h"
#include "intake/store/rows.h"

namespace aftercare::intake::store {
namespace {

using namespace detail;

// A table of attachments: its name, its parent's column and the parent's field in v1::Attachment.
struct AttachmentTable {
  const char* table;
  const char* parent_column;
  std::string* (v1::Attachment::*parent)();
  const std::string& (v1::Attachment::*parent_of)() const;
};
const AttachmentTable kTicketAttachments{"ticket_attachments", "ticket_id",
                                         &v1::Attachment::mutable_ticket_id,
                                         &v1::Attachment::ticket_id};
const AttachmentTable kInspectionAttachments{"inspection_attachments", "inspection_id",
                                             &v1::Attachment::mutable_inspection_id,
                                             &v1::Attachment::inspection_id};

// Order matters: attachment_from_row reads by position; content, when selected, comes after.
std::string select_attachments(const AttachmentTable& t, bool with_content) {
  return std::string("SELECT attachment_id::text, ") + t.parent_column +
         "::text, kind, filename, content_type, size_bytes, sha256, note, uploaded_by, "
         "kit_us(created_at)" +
         (with_content ? ", content" : "") + " FROM " + t.table;
}
constexpr int kAttachmentColumnCount = 10;

std::string insert_attachment(const AttachmentTable& t) {
  return std::string("INSERT INTO ") + t.table + " (attachment_id, " + t.parent_column +
         ", kind, filename, content_type, size_bytes, sha256, note, uploaded_by, created_at, "
         "content) VALUES ($1::uuid, $2::uuid, $3, $4, $5, $6, $7, $8, $9, kit_ts($10), $11) "
         "ON CONFLICT (" +
         t.parent_column + ", sha256) DO NOTHING";
}

v1::Attachment attachment_from_row(const pqxx::row& r, const AttachmentTable& t) {
  v1::Attachment a;
  a.set_attachment_id(r[0].as<std::string>());
  *(a.*t.parent)() = r[1].as<std::string>();
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

bool add_to(pqxx::transaction_base& tx, const AttachmentTable& t, const v1::Attachment& a,
            v1::Attachment* stored) {
  const std::string& parent = (a.*t.parent_of)();
  bool inserted =
      tx.exec_params(insert_attachment(t), a.attachment_id(), parent, static_cast<int>(a.kind()),
                     a.filename(), a.content_type(), static_cast<int64_t>(a.content().size()),
                     a.sha256(), a.note(), a.uploaded_by(), micros(a.created_at()),
                     pqxx::binarystring(a.content().data(), a.content().size()))
          .affected_rows() == 1;
  auto rows = tx.exec_params(
      select_attachments(t, false) + " WHERE " + t.parent_column + " = $1::uuid AND sha256 = $2",
      parent, a.sha256());
  *stored = attachment_from_row(rows.at(0), t);
  return inserted;
}

int count_in(pqxx::transaction_base& tx, const AttachmentTable& t, const std::string& parent) {
  return tx
      .exec_params(std::string("SELECT count(*) FROM ") + t.table + " WHERE " + t.parent_column +
                       " = $1::uuid",
                   parent)[0][0]
      .as<int>();
}

std::optional<v1::Attachment> find_in(pqxx::transaction_base& tx, const AttachmentTable& t,
                                      const std::string& attachment_id, bool with_content) {
  auto rows = tx.exec_params(
      select_attachments(t, with_content) + " WHERE attachment_id = $1::uuid", attachment_id);
  if (rows.empty()) return std::nullopt;
  v1::Attachment a = attachment_from_row(rows[0], t);
  if (with_content) {
    pqxx::binarystring bytes(rows[0][kAttachmentColumnCount]);
    a.set_content(bytes.data(), bytes.size());
  }
  return a;
}

}  // namespace

bool add_attachment(pqxx::transaction_base& tx, const v1::Attachment& a, v1::Attachment* stored) {
  return add_to(tx, kTicketAttachments, a, stored);
}

int count_attachments(pqxx::transaction_base& tx, const std::string& ticket_id) {
  return count_in(tx, kTicketAttachments, ticket_id);
}

std::vector<v1::Attachment> list_attachments(pqxx::transaction_base& tx,
                                             const std::string& ticket_id) {
  std::vector<v1::Attachment> out;
  for (const auto& r : tx.exec_params(select_attachments(kTicketAttachments, false) +
                                          " WHERE ticket_id = $1::uuid "
                                          "ORDER BY created_at, attachment_id",
                                      ticket_id))
    out.push_back(attachment_from_row(r, kTicketAttachments));
  return out;
}

std::optional<v1::Attachment> find_attachment(pqxx::transaction_base& tx,
                                              const std::string& attachment_id, bool with_content) {
  return find_in(tx, kTicketAttachments, attachment_id, with_content);
}

bool add_inspection_attachment(pqxx::transaction_base& tx, const v1::Attachment& a,
                               v1::Attachment* stored) {
  return add_to(tx, kInspectionAttachments, a, stored);
}

int count_inspection_attachments(pqxx::transaction_base& tx, const std::string& inspection_id) {
  return count_in(tx, kInspectionAttachments, inspection_id);
}

std::optional<v1::Attachment> find_inspection_attachment(pqxx::transaction_base& tx,
                                                         const std::string& attachment_id,
                                                         bool with_content) {
  return find_in(tx, kInspectionAttachments, attachment_id, with_content);
}

}  // namespace aftercare::intake::store
