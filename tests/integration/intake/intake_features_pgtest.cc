// Issue 3's remaining pieces through real gRPC and the real database: ticket attachments
// (limits, magic bytes, content hash, idempotency, scope), merging and splitting tickets
// (history on both, recurrence, events in the outbox, idempotent split) and the
// warranty-expiry listing for outreach.
#include <gtest/gtest.h>

#include <set>

#include "intake/domain/attachments.h"
#include "intake_fixture.h"

namespace aftercare::intake {
namespace {

using kit::Caller;

constexpr int64_t kTenMiB = 10 * 1024 * 1024;

std::string jpeg(const std::string& body) {
  return std::string("\xFF\xD8\xFF\xE0", 4) + body;
}
std::string png(const std::string& body) {
  return std::string("\x89PNG\r\n\x1A\n", 8) + body;
}
std::string pdf_of_size(int64_t size, char fill) {
  std::string content = "%PDF-1.7\n";
  content.resize(static_cast<size_t>(size), fill);
  return content;
}

class IntakeFeaturesTest : public IntakeTest {
 protected:
  std::string database_name() const override { return "t_intake_features"; }

  v1::Ticket open_repair(const std::string& unit, v1::Component component,
                         v1::TicketCategory category) {
    v1::Ticket t;
    auto s = open(repair(unit, component, category), &t, agent_);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return t;
  }

  grpc::Status add(const Caller& who, const std::string& ticket_id, v1::AttachmentKind kind,
                   const std::string& filename, const std::string& type, const std::string& content,
                   v1::Attachment* out) {
    v1::AddAttachmentRequest r;
    r.set_ticket_id(ticket_id);
    r.set_kind(kind);
    r.set_filename(filename);
    r.set_content_type(type);
    r.set_content(content);
    // 10 MiB over loopback into PostgreSQL: more time than the default 5 s on a busy machine.
    return stub_->AddAttachment(kit::client_context(who, std::chrono::seconds(60)).get(), r, out);
  }

  int64_t count(const std::string& sql, const std::string& param) {
    return db_->in_transaction(
        [&](pqxx::work& tx) { return tx.exec_params(sql, param)[0][0].as<int64_t>(); });
  }
  int64_t attachment_rows(const std::string& ticket_id) {
    return count("SELECT count(*) FROM ticket_attachments WHERE ticket_id = $1::uuid", ticket_id);
  }
  int64_t outbox_rows(const std::string& type, const std::string& aggregate) {
    return db_->in_transaction([&](pqxx::work& tx) {
      return tx
          .exec_params(
              "SELECT count(*) FROM kit_outbox WHERE event_type = $1 AND partition_key = $2", type,
              aggregate)[0][0]
          .as<int64_t>();
    });
  }

  std::vector<v1::HistoryEntry> history_of(const std::string& ticket_id) {
    v1::GetTicketHistoryRequest r;
    r.set_ticket_id(ticket_id);
    v1::GetTicketHistoryResponse out;
    EXPECT_TRUE(stub_->GetTicketHistory(ctx(agent_).get(), r, &out).ok());
    return {out.entries().begin(), out.entries().end()};
  }
  static int actions(const std::vector<v1::HistoryEntry>& h, const std::string& action) {
    int n = 0;
    for (const auto& e : h) n += e.action() == action;
    return n;
  }

  grpc::Status merge(const std::string& survivor, const std::string& source, v1::Ticket* out,
                     const Caller& who) {
    v1::MergeTicketsRequest r;
    r.set_ticket_id(survivor);
    r.set_source_ticket_id(source);
    r.set_reason("同一漏水，业主重复来电");
    return stub_->MergeTickets(ctx(who).get(), r, out);
  }

  v1::SplitTicketRequest door_split(const std::string& ticket_id, const std::string& key) {
    v1::SplitTicketRequest r;
    r.set_ticket_id(ticket_id);
    r.set_category(v1::TICKET_CATEGORY_DECORATION);
    r.set_component(v1::COMPONENT_DOOR_WINDOW);
    r.set_kind(v1::TICKET_KIND_REPAIR);
    r.set_description("入户门关不上");
    r.set_idempotency_key(key);
    return r;
  }

  Caller owner2_{"owner-2", kit::Role::owner, {"P01"}, {"U-102"}, ""};
  Caller crew_{"crew-1", kit::Role::crew, {"P01"}, {}, "CREW-1"};
  Caller finance_{"fin-1", kit::Role::finance, {"P01"}, {}, ""};
  Caller dispatcher_{"disp-1", kit::Role::dispatcher, {"P01"}, {}, ""};
};

// ------------------------------------------------------------------------------- attachments

TEST_F(IntakeFeaturesTest, AnAttachmentWithAChineseFilenameRoundTrips) {
  v1::Ticket t =
      open_repair("U-101", v1::COMPONENT_BATHROOM_WATERPROOFING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  const std::string name = "卫生间天花板渗水（维修前）.jpg";
  const std::string bytes = jpeg(std::string("\0\x01\x02 photo", 9));
  v1::AddAttachmentRequest r;
  r.set_ticket_id(t.ticket_id());
  r.set_kind(v1::ATTACHMENT_KIND_PHOTO_BEFORE);
  r.set_filename(name);
  r.set_content_type("IMAGE/JPEG");
  r.set_content(bytes);
  r.set_note("业主自拍");
  v1::Attachment added;
  auto s = stub_->AddAttachment(ctx(owner1_).get(), r, &added);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(added.ticket_id(), t.ticket_id());
  EXPECT_EQ(added.kind(), v1::ATTACHMENT_KIND_PHOTO_BEFORE);
  EXPECT_EQ(added.filename(), name);
  EXPECT_EQ(added.content_type(), "image/jpeg");
  EXPECT_EQ(added.size_bytes(), static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(added.sha256(), domain::sha256_hex(bytes));
  EXPECT_EQ(added.note(), "业主自拍");
  EXPECT_EQ(added.uploaded_by(), "owner-1");
  EXPECT_EQ(kit::from_timestamp(added.created_at()), now_);
  EXPECT_TRUE(added.content().empty());

  v1::ListAttachmentsRequest lr;
  lr.set_ticket_id(t.ticket_id());
  v1::ListAttachmentsResponse list;
  ASSERT_TRUE(stub_->ListAttachments(ctx(agent_).get(), lr, &list).ok());
  ASSERT_EQ(list.attachments_size(), 1);
  EXPECT_EQ(list.attachments(0).attachment_id(), added.attachment_id());
  EXPECT_EQ(list.attachments(0).filename(), name);
  EXPECT_TRUE(list.attachments(0).content().empty());

  v1::GetAttachmentRequest gr;
  gr.set_attachment_id(added.attachment_id());
  v1::Attachment got;
  ASSERT_TRUE(stub_->GetAttachment(ctx(owner1_).get(), gr, &got).ok());
  EXPECT_EQ(got.content(), bytes);
  EXPECT_EQ(got.filename(), name);
  EXPECT_EQ(got.sha256(), added.sha256());

  auto h = history_of(t.ticket_id());
  ASSERT_EQ(actions(h, "attachment_added"), 1);
  EXPECT_EQ(h.back().actor(), "owner-1");
  EXPECT_NE(h.back().detail().find(name), std::string::npos);
}

TEST_F(IntakeFeaturesTest, AttachmentsAreScopedLikeTheirTicket) {
  v1::Ticket t = open_repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::Attachment a;
  ASSERT_TRUE(add(dispatcher_, t.ticket_id(), v1::ATTACHMENT_KIND_DOCUMENT, "报价单.pdf",
                  "application/pdf", pdf_of_size(100, 'x'), &a)
                  .ok());
  v1::ListAttachmentsRequest lr;
  lr.set_ticket_id(t.ticket_id());
  v1::GetAttachmentRequest gr;
  gr.set_attachment_id(a.attachment_id());
  for (const Caller& outsider : {stranger_, owner2_, crew_}) {
    v1::ListAttachmentsResponse list;
    EXPECT_EQ(stub_->ListAttachments(ctx(outsider).get(), lr, &list).error_code(),
              grpc::StatusCode::NOT_FOUND)
        << outsider.sub;
    v1::Attachment got;
    EXPECT_EQ(stub_->GetAttachment(ctx(outsider).get(), gr, &got).error_code(),
              grpc::StatusCode::NOT_FOUND)
        << outsider.sub;
    EXPECT_TRUE(got.content().empty());
    v1::Attachment none;
    auto s = add(outsider, t.ticket_id(), v1::ATTACHMENT_KIND_PHOTO_BEFORE, "x.png", "image/png",
                 png("other"), &none);
    EXPECT_TRUE(s.error_code() == grpc::StatusCode::NOT_FOUND ||
                s.error_code() == grpc::StatusCode::PERMISSION_DENIED)
        << outsider.sub << ": " << s.error_message();
  }
  v1::Attachment none;
  EXPECT_EQ(add(finance_, t.ticket_id(), v1::ATTACHMENT_KIND_DOCUMENT, "发票.pdf",
                "application/pdf", pdf_of_size(50, 'y'), &none)
                .error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(attachment_rows(t.ticket_id()), 1);
}

TEST_F(IntakeFeaturesTest, TenMebibytesAreAcceptedAndOneByteMoreIsRefusedWithNothingWritten) {
  v1::Ticket t = open_repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  const std::string largest = pdf_of_size(kTenMiB, 'a');
  v1::Attachment a;
  auto s = add(agent_, t.ticket_id(), v1::ATTACHMENT_KIND_DOCUMENT, "验收报告.pdf",
               "application/pdf", largest, &a);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(a.size_bytes(), kTenMiB);

  v1::GetAttachmentRequest gr;
  gr.set_attachment_id(a.attachment_id());
  v1::Attachment got;
  ASSERT_TRUE(
      stub_->GetAttachment(kit::client_context(agent_, std::chrono::seconds(60)).get(), gr, &got)
          .ok());
  EXPECT_EQ(got.content().size(), largest.size());
  EXPECT_TRUE(got.content() == largest);
  EXPECT_EQ(got.sha256(), domain::sha256_hex(largest));

  size_t history_before = history_of(t.ticket_id()).size();
  v1::Attachment refused;
  s = add(agent_, t.ticket_id(), v1::ATTACHMENT_KIND_DOCUMENT, "太大.pdf", "application/pdf",
          pdf_of_size(kTenMiB + 1, 'b'), &refused);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("content", 0), 0u) << s.error_message();
  EXPECT_EQ(attachment_rows(t.ticket_id()), 1);
  EXPECT_EQ(history_of(t.ticket_id()).size(), history_before);
}

TEST_F(IntakeFeaturesTest, ContentThatIsNotItsDeclaredTypeIsRefused) {
  v1::Ticket t = open_repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  struct Case {
    std::string type, content, field;
  };
  for (const auto& c : std::vector<Case>{
           {"image/png", jpeg("jpeg bytes"), "content"},      // JPEG declared as PNG
           {"image/jpeg", "GIF89a....", "content"},           // a GIF declared as JPEG
           {"application/pdf", png("png bytes"), "content"},  // PNG declared as PDF
           {"image/gif", "GIF89a....", "content_type"},       // type not allowed
           {"image/jpeg", "", "content"},                     // empty
       }) {
    v1::Attachment a;
    auto s = add(agent_, t.ticket_id(), v1::ATTACHMENT_KIND_PHOTO_BEFORE, "照片.jpg", c.type,
                 c.content, &a);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << c.type;
    EXPECT_EQ(s.error_message().rfind(c.field + " ", 0), 0u) << s.error_message();
  }
  v1::Attachment a;
  EXPECT_EQ(add(agent_, t.ticket_id(), v1::ATTACHMENT_KIND_UNSPECIFIED, "照片.jpg", "image/jpeg",
                jpeg("x"), &a)
                .error_message()
                .rfind("kind", 0),
            0u);
  EXPECT_EQ(add(agent_, t.ticket_id(), v1::ATTACHMENT_KIND_PHOTO_BEFORE, "../etc/passwd",
                "image/jpeg", jpeg("x"), &a)
                .error_message()
                .rfind("filename", 0),
            0u);
  EXPECT_EQ(add(agent_, t.ticket_id(), v1::ATTACHMENT_KIND_PHOTO_BEFORE, std::string(201, 'n'),
                "image/jpeg", jpeg("x"), &a)
                .error_message()
                .rfind("filename", 0),
            0u);
  EXPECT_EQ(attachment_rows(t.ticket_id()), 0);
  EXPECT_EQ(actions(history_of(t.ticket_id()), "attachment_added"), 0);
}

TEST_F(IntakeFeaturesTest, TheSameContentAddedTwiceIsOneAttachment) {
  v1::Ticket t = open_repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  const std::string bytes = png("the same photo");
  v1::Attachment first, second;
  ASSERT_TRUE(add(owner1_, t.ticket_id(), v1::ATTACHMENT_KIND_PHOTO_BEFORE, "漏水.png", "image/png",
                  bytes, &first)
                  .ok());
  auto s = add(agent_, t.ticket_id(), v1::ATTACHMENT_KIND_PHOTO_AFTER, "another name.png",
               "image/png", bytes, &second);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(second.attachment_id(), first.attachment_id());
  EXPECT_EQ(second.filename(), "漏水.png");
  EXPECT_EQ(second.uploaded_by(), "owner-1");
  EXPECT_EQ(attachment_rows(t.ticket_id()), 1);
  EXPECT_EQ(actions(history_of(t.ticket_id()), "attachment_added"), 1);

  // Another ticket may hold the same bytes: the hash is unique per ticket only.
  v1::Ticket other =
      open_repair("U-101", v1::COMPONENT_ELECTRICAL, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::Attachment third;
  ASSERT_TRUE(add(agent_, other.ticket_id(), v1::ATTACHMENT_KIND_PHOTO_BEFORE, "漏水.png",
                  "image/png", bytes, &third)
                  .ok());
  EXPECT_NE(third.attachment_id(), first.attachment_id());
}

TEST_F(IntakeFeaturesTest, ClosedTicketsTakeOnlyStaffDocumentsAndCancelledOnesNothing) {
  v1::Ticket t = open_repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::ResolveTicketRequest resolve;
  resolve.set_ticket_id(t.ticket_id());
  resolve.set_resolution("更换水管");
  v1::Ticket out;
  ASSERT_TRUE(stub_->ResolveTicket(ctx(agent_).get(), resolve, &out).ok());
  v1::CloseTicketRequest close;
  close.set_ticket_id(t.ticket_id());
  ASSERT_TRUE(stub_->CloseTicket(ctx(agent_).get(), close, &out).ok());
  v1::Attachment a;
  EXPECT_EQ(add(agent_, t.ticket_id(), v1::ATTACHMENT_KIND_PHOTO_AFTER, "after.jpg", "image/jpeg",
                jpeg("after"), &a)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(add(owner1_, t.ticket_id(), v1::ATTACHMENT_KIND_DOCUMENT, "own.pdf", "application/pdf",
                pdf_of_size(20, 'o'), &a)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_TRUE(add(agent_, t.ticket_id(), v1::ATTACHMENT_KIND_DOCUMENT, "签收单.pdf",
                  "application/pdf", pdf_of_size(20, 's'), &a)
                  .ok());
  EXPECT_EQ(attachment_rows(t.ticket_id()), 1);

  v1::Ticket c = open_repair("U-101", v1::COMPONENT_GAS, v1::TICKET_CATEGORY_PUBLIC_FACILITY);
  v1::CancelTicketRequest cancel;
  cancel.set_ticket_id(c.ticket_id());
  cancel.set_reason("业主撤回");
  ASSERT_TRUE(stub_->CancelTicket(ctx(agent_).get(), cancel, &out).ok());
  EXPECT_EQ(add(agent_, c.ticket_id(), v1::ATTACHMENT_KIND_DOCUMENT, "x.pdf", "application/pdf",
                pdf_of_size(20, 'c'), &a)
                .error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(attachment_rows(c.ticket_id()), 0);
}

// ---------------------------------------------------------------------------- merge and split

TEST_F(IntakeFeaturesTest, MergeCancelsTheSourceKeepsHistoryOnBothAndCountsTheReportOnce) {
  v1::Ticket survivor =
      open_repair("U-101", v1::COMPONENT_BATHROOM_WATERPROOFING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  // The same leak, typed in as a ceiling (decoration) problem: not linked automatically.
  v1::Ticket source =
      open_repair("U-101", v1::COMPONENT_DECORATION, v1::TICKET_CATEGORY_DECORATION);
  ASSERT_EQ(source.status(), v1::TICKET_STATUS_OPEN);
  v1::Ticket merged;
  auto s = merge(survivor.ticket_id(), source.ticket_id(), &merged, agent_);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(merged.ticket_id(), survivor.ticket_id());
  EXPECT_EQ(merged.status(), v1::TICKET_STATUS_OPEN);
  EXPECT_GT(merged.version(), survivor.version());

  v1::Ticket gone = get(source.ticket_id());
  EXPECT_EQ(gone.status(), v1::TICKET_STATUS_CANCELLED);
  EXPECT_EQ(gone.merged_into_ticket_id(), survivor.ticket_id());
  EXPECT_TRUE(get(survivor.ticket_id()).merged_into_ticket_id().empty());

  auto survivor_history = history_of(survivor.ticket_id());
  ASSERT_EQ(actions(survivor_history, "merged"), 1);
  EXPECT_NE(survivor_history.back().detail().find(source.ticket_no()), std::string::npos);
  EXPECT_EQ(survivor_history.front().action(), "opened");  // its own history is kept
  auto source_history = history_of(source.ticket_id());
  EXPECT_EQ(source_history.front().action(), "opened");
  EXPECT_EQ(actions(source_history, "status_changed"), 1);
  EXPECT_EQ(actions(source_history, "merged_into"), 1);

  // Dispatch learns it as a cancellation (it cancels the source's work orders); once.
  EXPECT_EQ(outbox_rows("intake.TicketCancelled", source.ticket_id()), 1);
  EXPECT_EQ(outbox_rows("intake.TicketCancelled", survivor.ticket_id()), 0);

  // The merged report no longer counts for its issue: the next decoration report is the first.
  v1::Ticket next = open_repair("U-101", v1::COMPONENT_DECORATION, v1::TICKET_CATEGORY_DECORATION);
  EXPECT_EQ(next.recurrence(), 1);
  EXPECT_TRUE(next.duplicate_of().empty());

  // A merged ticket cannot be merged again.
  v1::Ticket again;
  EXPECT_EQ(merge(next.ticket_id(), source.ticket_id(), &again, agent_).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
}

TEST_F(IntakeFeaturesTest, MergeRefusesAnotherUnitOtherRolesAndItselfWritingNothing) {
  v1::Ticket a = open_repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::Ticket b = open_repair("U-102", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  size_t history_a = history_of(a.ticket_id()).size();
  size_t history_b = history_of(b.ticket_id()).size();
  v1::Ticket out;
  auto s = merge(a.ticket_id(), b.ticket_id(), &out, agent_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(s.error_message().rfind("source_ticket_id", 0), 0u) << s.error_message();
  EXPECT_EQ(merge(a.ticket_id(), a.ticket_id(), &out, agent_).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(merge(a.ticket_id(), b.ticket_id(), &out, owner1_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(merge(a.ticket_id(), b.ticket_id(), &out, dispatcher_).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(merge(a.ticket_id(), b.ticket_id(), &out, stranger_).error_code(),
            grpc::StatusCode::NOT_FOUND);
  v1::MergeTicketsRequest no_reason;
  no_reason.set_ticket_id(a.ticket_id());
  no_reason.set_source_ticket_id(b.ticket_id());
  EXPECT_EQ(
      stub_->MergeTickets(ctx(agent_).get(), no_reason, &out).error_message().rfind("reason", 0),
      0u);

  EXPECT_EQ(get(a.ticket_id()).status(), v1::TICKET_STATUS_OPEN);
  EXPECT_EQ(get(b.ticket_id()).status(), v1::TICKET_STATUS_OPEN);
  EXPECT_EQ(get(b.ticket_id()).version(), b.version());
  EXPECT_EQ(history_of(a.ticket_id()).size(), history_a);
  EXPECT_EQ(history_of(b.ticket_id()).size(), history_b);
  EXPECT_EQ(outbox_events("intake.TicketCancelled").size(), 0u);
  EXPECT_EQ(outbox_events("intake.TicketStatusChanged").size(), 0u);
}

TEST_F(IntakeFeaturesTest, ARefusedChangeAnswersItsOwnStatusAndRollsBack) {
  // change_ticket used to abort and then commit, which turned every refusal into INTERNAL.
  v1::Ticket t = open_repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::CloseTicketRequest close;
  close.set_ticket_id(t.ticket_id());
  v1::Ticket out;
  auto s = stub_->CloseTicket(ctx(agent_).get(), close, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << s.error_message();
  EXPECT_EQ(get(t.ticket_id()).version(), t.version());
}

TEST_F(IntakeFeaturesTest, SplitOpensOneTicketPerKeyWithItsOwnRulesAndOneTicketOpened) {
  v1::Ticket original =
      open_repair("U-101", v1::COMPONENT_BATHROOM_WATERPROOFING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  now_ += absl::Hours(3);  // the agent notices the second problem later the same day
  v1::Ticket split;
  auto s =
      stub_->SplitTicket(ctx(agent_).get(), door_split(original.ticket_id(), "split-1"), &split);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_NE(split.ticket_id(), original.ticket_id());
  EXPECT_EQ(split.split_from_ticket_id(), original.ticket_id());
  EXPECT_EQ(split.unit_id(), "U-101");
  EXPECT_EQ(split.status(), v1::TICKET_STATUS_OPEN);
  EXPECT_EQ(split.category(), v1::TICKET_CATEGORY_DECORATION);
  EXPECT_EQ(split.component(), v1::COMPONENT_DOOR_WINDOW);
  EXPECT_EQ(split.description(), "入户门关不上");
  EXPECT_EQ(split.recurrence(), 1);
  EXPECT_EQ(split.owner_agent(), "agent-7");
  EXPECT_EQ(split.urgency(), original.urgency());
  EXPECT_EQ(split.ticket_no(), "P01-20261123-0002");
  // Warranty and deadlines of its own, counted from the original report: door/window = 2 years
  // from 2025-11-23; decoration = 15 working days from Monday 23 November 2026.
  EXPECT_TRUE(split.in_warranty());
  EXPECT_EQ(split.warranty_ends().year(), 2027);
  EXPECT_EQ(kit::from_timestamp(split.reported_at()), kit::from_timestamp(original.reported_at()));
  absl::TimeZone sh;
  absl::LoadTimeZone("Asia/Shanghai", &sh);
  EXPECT_EQ(kit::from_timestamp(split.resolve_due()),
            absl::FromCivil(absl::CivilSecond(2026, 12, 14, 23, 59, 59), sh));
  EXPECT_NE(split.resolve_due().seconds(), original.resolve_due().seconds());

  v1::Ticket repeated;
  s = stub_->SplitTicket(ctx(agent_).get(), door_split(original.ticket_id(), "split-1"), &repeated);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(repeated.ticket_id(), split.ticket_id());
  EXPECT_EQ(count("SELECT count(*) FROM tickets WHERE split_from = $1::uuid", original.ticket_id()),
            1);
  EXPECT_EQ(outbox_rows("intake.TicketOpened", split.ticket_id()), 1);
  auto opened = outbox_events("intake.TicketOpened");
  ASSERT_EQ(opened.size(), 2u);  // the original's and the split-off ticket's
  EXPECT_EQ(opened[1].ticket_opened().component(), v1::COMPONENT_DOOR_WINDOW);
  EXPECT_TRUE(opened[1].ticket_opened().duplicate_of().empty());  // dispatch routes it

  auto original_history = history_of(original.ticket_id());
  ASSERT_EQ(actions(original_history, "split"), 1);
  EXPECT_NE(original_history.back().detail().find(split.ticket_no()), std::string::npos);
  auto split_history = history_of(split.ticket_id());
  EXPECT_EQ(actions(split_history, "opened"), 1);
  EXPECT_EQ(actions(split_history, "split_from"), 1);

  // Same key, other body: a conflict. A later report of the split-off issue is linked to it.
  auto other = door_split(original.ticket_id(), "split-1");
  other.set_description("另一个问题");
  v1::Ticket conflict;
  EXPECT_EQ(stub_->SplitTicket(ctx(agent_).get(), other, &conflict).error_code(),
            grpc::StatusCode::ALREADY_EXISTS);
  v1::Ticket reminder =
      open_repair("U-101", v1::COMPONENT_DOOR_WINDOW, v1::TICKET_CATEGORY_DECORATION);
  EXPECT_EQ(reminder.duplicate_of(), split.ticket_id());
}

TEST_F(IntakeFeaturesTest, SplitRefusesTheSameIssueFinalTicketsAndOtherRoles) {
  v1::Ticket t = open_repair("U-101", v1::COMPONENT_PLUMBING, v1::TICKET_CATEGORY_HOUSE_QUALITY);
  v1::Ticket out;
  auto same = door_split(t.ticket_id(), "");
  same.set_category(v1::TICKET_CATEGORY_HOUSE_QUALITY);
  same.set_component(v1::COMPONENT_PLUMBING);
  auto s = stub_->SplitTicket(ctx(agent_).get(), same, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("component", 0), 0u) << s.error_message();
  auto no_description = door_split(t.ticket_id(), "");
  no_description.clear_description();
  EXPECT_EQ(stub_->SplitTicket(ctx(agent_).get(), no_description, &out)
                .error_message()
                .rfind("description", 0),
            0u);
  EXPECT_EQ(
      stub_->SplitTicket(ctx(owner1_).get(), door_split(t.ticket_id(), ""), &out).error_code(),
      grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(
      stub_->SplitTicket(ctx(stranger_).get(), door_split(t.ticket_id(), ""), &out).error_code(),
      grpc::StatusCode::NOT_FOUND);
  v1::CancelTicketRequest cancel;
  cancel.set_ticket_id(t.ticket_id());
  cancel.set_reason("误报");
  ASSERT_TRUE(stub_->CancelTicket(ctx(agent_).get(), cancel, &out).ok());
  EXPECT_EQ(stub_->SplitTicket(ctx(agent_).get(), door_split(t.ticket_id(), ""), &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(count("SELECT count(*) FROM tickets WHERE split_from = $1::uuid", t.ticket_id()), 0);
  EXPECT_EQ(outbox_events("intake.TicketOpened").size(), 1u);
}

// ------------------------------------------------------------------ warranty-expiry outreach

class WarrantyExpiryTest : public IntakeFeaturesTest {
 protected:
  std::vector<v1::WarrantyExpiry> list(int within_days, int page_size = 0) {
    std::vector<v1::WarrantyExpiry> all;
    std::string token;
    do {
      v1::ListWarrantyExpiriesRequest r;
      r.set_project_id("P01");
      r.set_within_days(within_days);
      r.set_page_size(page_size);
      r.set_page_token(token);
      v1::ListWarrantyExpiriesResponse out;
      auto s = stub_->ListWarrantyExpiries(ctx(agent_).get(), r, &out);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      all.insert(all.end(), out.expiries().begin(), out.expiries().end());
      token = out.next_page_token();
    } while (!token.empty());
    return all;
  }
  static std::set<std::string> units_of(const std::vector<v1::WarrantyExpiry>& list) {
    std::set<std::string> units;
    for (const auto& e : list) units.insert(e.unit_id());
    return units;
  }
};

TEST_F(WarrantyExpiryTest, AComponentEndingInNDaysIsListedAndOneEndingInNPlusOneIsNot) {
  // Today is 2026-11-23 in Shanghai. Two-year components of a unit handed over on 2024-12-23
  // end on 2026-12-23, in 30 days; a day later for a unit handed over on 2024-12-24.
  add_unit("U-201", "owner-3", date(2024, 12, 23));
  add_unit("U-202", "owner-4", date(2024, 12, 24));
  auto within30 = list(30);
  EXPECT_EQ(units_of(within30), std::set<std::string>{"U-201"});
  ASSERT_EQ(within30.size(), 8u);  // the eight two-year components
  for (const auto& e : within30) {
    EXPECT_EQ(e.days_left(), 30);
    EXPECT_EQ(e.warranty_ends().year(), 2026);
    EXPECT_EQ(e.warranty_ends().month(), 12);
    EXPECT_EQ(e.warranty_ends().day(), 23);
    EXPECT_EQ(e.building(), "3栋");
    EXPECT_EQ(e.owner_id(), "owner-3");
  }
  EXPECT_EQ(list(0).size(), within30.size());  // 0 = the 30-day default
  auto within31 = list(31);
  EXPECT_EQ(units_of(within31), (std::set<std::string>{"U-201", "U-202"}));
  // U-101's one-year component ended today (2025-11-23 + 1 year): no longer in warranty, while
  // its two-year components have 365 days left.
  int u101 = 0;
  for (const auto& e : list(366)) {
    if (e.unit_id() != "U-101") continue;
    ++u101;
    EXPECT_NE(e.component(), v1::COMPONENT_OTHER);
    EXPECT_EQ(e.days_left(), 365);
  }
  EXPECT_EQ(u101, 8);

  // Paging returns every row once, in order.
  auto paged = list(31, 3);
  ASSERT_EQ(paged.size(), within31.size());
  for (size_t i = 0; i < paged.size(); ++i) {
    EXPECT_EQ(paged[i].unit_id(), within31[i].unit_id());
    EXPECT_EQ(paged[i].component(), within31[i].component());
  }
  EXPECT_EQ(paged.front().unit_id(), "U-201");  // sorted by warranty_ends first
}

TEST_F(WarrantyExpiryTest, TheDayOfTheListingIsAsOfInTheProjectsZone) {
  add_unit("U-201", "owner-3", date(2024, 12, 23));
  v1::ListWarrantyExpiriesRequest r;
  r.set_project_id("P01");
  r.set_within_days(1);
  absl::TimeZone sh;
  absl::LoadTimeZone("Asia/Shanghai", &sh);
  // 2026-12-22 00:30 in Shanghai is still 21 December in UTC: today is the 22nd, one day left.
  *r.mutable_as_of() =
      kit::to_timestamp(absl::FromCivil(absl::CivilSecond(2026, 12, 22, 0, 30, 0), sh));
  v1::ListWarrantyExpiriesResponse out;
  ASSERT_TRUE(stub_->ListWarrantyExpiries(ctx(agent_).get(), r, &out).ok());
  ASSERT_EQ(out.expiries_size(), 8);
  EXPECT_EQ(out.expiries(0).days_left(), 1);
}

TEST_F(WarrantyExpiryTest, OnlyStaffOfTheProjectListAndBadInputIsNamed) {
  v1::ListWarrantyExpiriesRequest r;
  r.set_project_id("P01");
  v1::ListWarrantyExpiriesResponse out;
  EXPECT_EQ(stub_->ListWarrantyExpiries(ctx(owner1_).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ListWarrantyExpiries(ctx(crew_).get(), r, &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(stub_->ListWarrantyExpiries(ctx(stranger_).get(), r, &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  Caller service{"", kit::Role::service, {}, {}, ""};
  EXPECT_TRUE(stub_->ListWarrantyExpiries(ctx(service).get(), r, &out).ok());
  r.set_within_days(367);
  auto s = stub_->ListWarrantyExpiries(ctx(agent_).get(), r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("within_days", 0), 0u) << s.error_message();
  r.set_within_days(30);
  r.set_page_token("not-a-token");
  s = stub_->ListWarrantyExpiries(ctx(agent_).get(), r, &out);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message().rfind("page_token", 0), 0u) << s.error_message();
}

}  // namespace
}  // namespace aftercare::intake
