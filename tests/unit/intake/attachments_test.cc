// Attachment rules: allowed types recognised by their first bytes, size and name limits from
// the rules, which ticket states take which attachments, and the content hash.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "intake/domain/attachments.h"
#include "intake/domain/names.h"

namespace aftercare::intake::domain {
namespace {

namespace v1 = aftercare::v1;

const AttachmentRules kRules = AttachmentRules::defaults();
const std::string kJpeg("\xFF\xD8\xFF\xE0\x00\x10JFIF", 10);
const std::string kPng("\x89PNG\r\n\x1A\n\x00\x00", 10);
const std::string kPdf("%PDF-1.7\n%\xE2\xE3", 12);

std::string check(std::string_view type, std::string_view content,
                  std::string_view filename = "照片.jpg", std::string_view note = "",
                  v1::AttachmentKind kind = v1::ATTACHMENT_KIND_PHOTO_BEFORE,
                  const AttachmentRules& rules = kRules) {
  return check_attachment(kind, filename, type, content, note, rules);
}

TEST(Attachments, OnlyJpegPngAndPdfAreKnownTypes) {
  EXPECT_EQ(normalize_content_type("image/jpeg"), "image/jpeg");
  EXPECT_EQ(normalize_content_type("Image/PNG"), "image/png");
  EXPECT_EQ(normalize_content_type("application/pdf"), "application/pdf");
  for (auto t :
       {"image/jpg", "image/gif", "text/plain", "", "image/jpeg; charset=utf-8", " image/png"})
    EXPECT_EQ(normalize_content_type(t), "") << t;
}

TEST(Attachments, TheFirstBytesMustMatchTheDeclaredType) {
  EXPECT_TRUE(content_matches_type(kJpeg, "image/jpeg"));
  EXPECT_TRUE(content_matches_type(kPng, "image/png"));
  EXPECT_TRUE(content_matches_type(kPdf, "application/pdf"));
  EXPECT_TRUE(content_matches_type(kPdf, "APPLICATION/PDF"));
  EXPECT_FALSE(content_matches_type(kJpeg, "image/png"));
  EXPECT_FALSE(content_matches_type(kPng, "application/pdf"));
  EXPECT_FALSE(content_matches_type(kPdf, "image/jpeg"));
  EXPECT_FALSE(content_matches_type(std::string("\xFF\xD8", 2), "image/jpeg"));  // truncated
  EXPECT_FALSE(content_matches_type("%PDF", "application/pdf"));
  EXPECT_FALSE(content_matches_type(kJpeg, "image/gif"));
}

TEST(Attachments, AGoodUploadPasses) {
  EXPECT_EQ(check("image/jpeg", kJpeg), "");
  EXPECT_EQ(check("application/pdf", kPdf, "维修报告 2026-11.pdf", "业主签字",
                  v1::ATTACHMENT_KIND_DOCUMENT),
            "");
  std::string chinese;
  for (int i = 0; i < 200; ++i) chinese += "图";  // 200 characters, 600 bytes
  EXPECT_EQ(check("image/png", kPng, chinese), "");
}

TEST(Attachments, EachBadFieldIsNamed) {
  auto starts = [](const std::string& error, const std::string& field) {
    return error.rfind(field + " ", 0) == 0;
  };
  EXPECT_TRUE(
      starts(check("image/jpeg", kJpeg, "a.jpg", "", v1::ATTACHMENT_KIND_UNSPECIFIED), "kind"));
  EXPECT_TRUE(
      starts(check("image/jpeg", kJpeg, "a.jpg", "", static_cast<v1::AttachmentKind>(9)), "kind"));
  EXPECT_TRUE(starts(check("image/jpeg", kJpeg, ""), "filename"));
  std::string long_name;
  for (int i = 0; i < 201; ++i) long_name += "图";
  EXPECT_TRUE(starts(check("image/jpeg", kJpeg, long_name), "filename"));
  for (const std::string& name :
       std::vector<std::string>{"a/b.jpg", "a\\b.jpg", "a\nb.jpg", std::string("a\0b", 3), "\x7F"})
    EXPECT_TRUE(starts(check("image/jpeg", kJpeg, name), "filename")) << name;
  EXPECT_TRUE(starts(check("image/jpeg", kJpeg, "\xC3\x28.jpg"), "filename"));  // bad UTF-8
  EXPECT_TRUE(starts(check("image/gif", "GIF89a"), "content_type"));
  EXPECT_TRUE(starts(check("image/jpeg", ""), "content"));
  EXPECT_TRUE(starts(check("image/png", kJpeg), "content"));
  std::string long_note;
  for (int i = 0; i < 1001; ++i) long_note += "注";
  EXPECT_TRUE(starts(check("image/jpeg", kJpeg, "a.jpg", long_note), "note"));
}

TEST(Attachments, TheSizeLimitComesFromTheRulesAndIsInclusive) {
  std::string largest = kPdf;
  largest.resize(static_cast<size_t>(kRules.max_bytes), 'x');
  EXPECT_EQ(kRules.max_bytes, 10485760);
  EXPECT_EQ(check("application/pdf", largest), "");
  largest.push_back('x');
  EXPECT_EQ(check("application/pdf", largest), "content must be at most 10485760 bytes");

  AttachmentRules small = kRules;
  small.max_bytes = 12;
  small.max_filename_chars = 3;
  EXPECT_EQ(check("application/pdf", kPdf, "a.p", "", v1::ATTACHMENT_KIND_DOCUMENT, small), "");
  EXPECT_NE(check("application/pdf", kPdf + "x", "a.p", "", v1::ATTACHMENT_KIND_DOCUMENT, small),
            "");
  EXPECT_NE(check("application/pdf", kPdf, "a.pd", "", v1::ATTACHMENT_KIND_DOCUMENT, small), "");
}

TEST(Attachments, CancelledTicketsTakeNothingAndClosedOnesOnlyStaffDocuments) {
  using enum v1::AttachmentKind;
  for (auto kind :
       {ATTACHMENT_KIND_PHOTO_BEFORE, ATTACHMENT_KIND_PHOTO_AFTER, ATTACHMENT_KIND_DOCUMENT}) {
    for (bool owner : {false, true}) {
      EXPECT_NE(check_attachment_allowed(v1::TICKET_STATUS_CANCELLED, kind, owner), "");
      for (auto status :
           {v1::TICKET_STATUS_OPEN, v1::TICKET_STATUS_DISPATCHED, v1::TICKET_STATUS_IN_PROGRESS,
            v1::TICKET_STATUS_RESOLVED, v1::TICKET_STATUS_REOPENED})
        EXPECT_EQ(check_attachment_allowed(status, kind, owner), "") << status;
    }
  }
  EXPECT_EQ(check_attachment_allowed(v1::TICKET_STATUS_CLOSED, ATTACHMENT_KIND_DOCUMENT, false),
            "");
  EXPECT_NE(check_attachment_allowed(v1::TICKET_STATUS_CLOSED, ATTACHMENT_KIND_DOCUMENT, true), "");
  EXPECT_NE(check_attachment_allowed(v1::TICKET_STATUS_CLOSED, ATTACHMENT_KIND_PHOTO_AFTER, false),
            "");
}

TEST(Attachments, Sha256IsLowerCaseHexOfTheContent) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex(std::string("\0", 1)),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d");
  EXPECT_NE(sha256_hex(kJpeg), sha256_hex(kPng));
}

TEST(Attachments, KindsHaveLowerCasePublicNames) {
  EXPECT_EQ(public_name(v1::ATTACHMENT_KIND_PHOTO_BEFORE), "photo_before");
  EXPECT_EQ(public_name(v1::ATTACHMENT_KIND_PHOTO_AFTER), "photo_after");
  EXPECT_EQ(public_name(v1::ATTACHMENT_KIND_DOCUMENT), "document");
}

}  // namespace
}  // namespace aftercare::intake::domain
