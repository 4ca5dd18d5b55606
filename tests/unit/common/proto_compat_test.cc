// proto/ stays wire- and JSON-compatible with the last release: the descriptor set built from
// proto/ (build output aftercare-v1.desc) is compared with the one committed for the release
// (proto/baseline/aftercare-v1.txtpb, protobuf text format). Consumers of old events and
// analytics jobs decoding the topics rely on it. Breaking, per message, enum and service:
//   - a field number removed without being reserved (it could be reused later);
//   - a field number whose name, type, message/enum type or cardinality changed (renumbered,
//     retyped, reused; a rename also breaks the JSON mapping);
//   - a field name moved to another number;
//   - a field moved into or out of a oneof;
//   - a message, enum or service removed; an enum value number removed without being reserved
//     or renamed; an RPC removed or its request/response type changed.
// Adding messages, fields, enum values, oneof cases and RPCs is fine.
//
// At a release, refresh the baseline (docs/operations.md "Releases"):
//   protoc --decode=google.protobuf.FileDescriptorSet -I/usr/include \
//     google/protobuf/descriptor.proto < build/aftercare-v1.desc >
//     proto/baseline/aftercare-v1.txtpb
#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/text_format.h>
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using google::protobuf::DescriptorProto;
using google::protobuf::EnumDescriptorProto;
using google::protobuf::FieldDescriptorProto;
using google::protobuf::FileDescriptorSet;

struct Index {
  std::map<std::string, const DescriptorProto*> messages;
  std::map<std::string, const EnumDescriptorProto*> enums;
  std::map<std::string, const google::protobuf::ServiceDescriptorProto*> services;
};

void add_message(Index& idx, const std::string& scope, const DescriptorProto& m) {
  const std::string name = scope + "." + m.name();
  idx.messages[name] = &m;
  for (const auto& nested : m.nested_type()) add_message(idx, name, nested);
  for (const auto& e : m.enum_type()) idx.enums[name + "." + e.name()] = &e;
}

Index index_of(const FileDescriptorSet& set) {
  Index idx;
  for (const auto& file : set.file()) {
    const std::string scope = file.package().empty() ? "" : "." + file.package();
    for (const auto& m : file.message_type()) add_message(idx, scope, m);
    for (const auto& e : file.enum_type()) idx.enums[scope + "." + e.name()] = &e;
    for (const auto& s : file.service()) idx.services[scope + "." + s.name()] = &s;
  }
  return idx;
}

bool reserved(const DescriptorProto& m, int number) {
  for (const auto& r : m.reserved_range())
    if (number >= r.start() && number < r.end()) return true;  // end is exclusive
  return false;
}

bool reserved(const EnumDescriptorProto& e, int number) {
  for (const auto& r : e.reserved_range())
    if (number >= r.start() && number <= r.end()) return true;  // end is inclusive
  return false;
}

// The oneof a field belongs to, "" when none (proto3 optional's synthetic oneof counts as none).
std::string oneof_of(const DescriptorProto& m, const FieldDescriptorProto& f) {
  if (!f.has_oneof_index() || f.proto3_optional()) return "";
  return m.oneof_decl(f.oneof_index()).name();
}

std::string shape(const FieldDescriptorProto& f) {
  return FieldDescriptorProto::Type_Name(f.type()) +
         (f.type_name().empty() ? "" : " " + f.type_name()) +
         (f.label() == FieldDescriptorProto::LABEL_REPEATED ? " repeated" : "");
}

// Every incompatibility of `now` with `then`, one line each; empty = compatible.
std::vector<std::string> incompatibilities(const FileDescriptorSet& then_set,
                                           const FileDescriptorSet& now_set) {
  std::vector<std::string> out;
  const Index then = index_of(then_set), now = index_of(now_set);
  for (const auto& [name, old_m] : then.messages) {
    auto it = now.messages.find(name);
    if (it == now.messages.end()) {
      out.push_back("message " + name + " was removed");
      continue;
    }
    const DescriptorProto& new_m = *it->second;
    std::map<int, const FieldDescriptorProto*> by_number;
    std::map<std::string, const FieldDescriptorProto*> by_name;
    for (const auto& f : new_m.field()) {
      by_number[f.number()] = &f;
      by_name[f.name()] = &f;
    }
    for (const auto& f : old_m->field()) {
      const std::string where = name + "." + f.name() + " = " + std::to_string(f.number());
      auto same_number = by_number.find(f.number());
      auto same_name = by_name.find(f.name());
      if (same_name != by_name.end() && same_name->second->number() != f.number())
        out.push_back(where + " was renumbered to " + std::to_string(same_name->second->number()));
      if (same_number == by_number.end()) {
        if (!reserved(new_m, f.number()))
          out.push_back(where + " was removed without `reserved " + std::to_string(f.number()) +
                        ";` (the number could be reused)");
        continue;
      }
      const FieldDescriptorProto& g = *same_number->second;
      if (g.name() != f.name())
        out.push_back(where + " now has the name " + g.name() +
                      " (number reused, or a rename that breaks the JSON mapping)");
      if (shape(g) != shape(f))
        out.push_back(where + " was retyped from " + shape(f) + " to " + shape(g));
      if (oneof_of(new_m, g) != oneof_of(*old_m, f))
        out.push_back(where + " moved from oneof '" + oneof_of(*old_m, f) + "' to '" +
                      oneof_of(new_m, g) + "'");
    }
  }
  for (const auto& [name, old_e] : then.enums) {
    auto it = now.enums.find(name);
    if (it == now.enums.end()) {
      out.push_back("enum " + name + " was removed");
      continue;
    }
    std::map<int, std::string> values;
    for (const auto& v : it->second->value()) values.emplace(v.number(), v.name());
    for (const auto& v : old_e->value()) {
      auto same = values.find(v.number());
      if (same == values.end()) {
        if (!reserved(*it->second, v.number()))
          out.push_back("enum value " + name + "." + v.name() + " = " + std::to_string(v.number()) +
                        " was removed without being reserved");
      } else if (same->second != v.name()) {
        out.push_back("enum value " + name + "." + v.name() + " = " + std::to_string(v.number()) +
                      " was renamed to " + same->second + " (the JSON mapping uses the name)");
      }
    }
  }
  for (const auto& [name, old_s] : then.services) {
    auto it = now.services.find(name);
    if (it == now.services.end()) {
      out.push_back("service " + name + " was removed");
      continue;
    }
    std::map<std::string, const google::protobuf::MethodDescriptorProto*> methods;
    for (const auto& m : it->second->method()) methods[m.name()] = &m;
    for (const auto& m : old_s->method()) {
      auto same = methods.find(m.name());
      if (same == methods.end())
        out.push_back("rpc " + name + "." + m.name() + " was removed");
      else if (same->second->input_type() != m.input_type() ||
               same->second->output_type() != m.output_type() ||
               same->second->client_streaming() != m.client_streaming() ||
               same->second->server_streaming() != m.server_streaming())
        out.push_back("rpc " + name + "." + m.name() +
                      " changed its request, response or streaming");
    }
  }
  return out;
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

FileDescriptorSet baseline() {
  FileDescriptorSet set;
  const std::string text = slurp(AFTERCARE_PROTO_BASELINE);
  EXPECT_FALSE(text.empty()) << "missing " << AFTERCARE_PROTO_BASELINE;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &set));
  return set;
}

FileDescriptorSet current() {
  FileDescriptorSet set;
  const std::string bytes = slurp(AFTERCARE_DESCRIPTOR_SET);
  EXPECT_FALSE(bytes.empty()) << "missing " << AFTERCARE_DESCRIPTOR_SET << " (build it)";
  EXPECT_TRUE(set.ParseFromString(bytes));
  return set;
}

std::string join(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& l : lines) out += "  " + l + "\n";
  return out;
}

TEST(ProtoCompat, ProtoIsBackwardCompatibleWithTheLastRelease) {
  const FileDescriptorSet then = baseline(), now = current();
  ASSERT_GT(then.file_size(), 5);
  ASSERT_GT(now.file_size(), 5);
  auto problems = incompatibilities(then, now);
  EXPECT_TRUE(problems.empty()) << "proto/ breaks compatibility with " << AFTERCARE_PROTO_BASELINE
                                << ":\n"
                                << join(problems);
}

TEST(ProtoCompat, TheShippedSetHoldsEveryEventAndItsImports) {
  const Index idx = index_of(current());
  EXPECT_TRUE(idx.messages.count(".aftercare.v1.Event"));
  EXPECT_TRUE(idx.messages.count(".google.protobuf.Timestamp"))
      << "built without --include_imports";
  EXPECT_TRUE(idx.services.count(".aftercare.v1.IntakeService"));
}

// The checker itself finds each kind of break in a changed copy of the real set.
class Breaks : public ::testing::Test {
 protected:
  FileDescriptorSet then_ = current();
  FileDescriptorSet now_ = then_;
  DescriptorProto* event() {
    for (auto& file : *now_.mutable_file())
      for (auto& m : *file.mutable_message_type())
        if (file.package() == "aftercare.v1" && m.name() == "Event") return &m;
    return nullptr;
  }
  FieldDescriptorProto* field(const std::string& name) {
    for (auto& f : *event()->mutable_field())
      if (f.name() == name) return &f;
    return nullptr;
  }
  std::string found() { return join(incompatibilities(then_, now_)); }
};

TEST_F(Breaks, NoChangeIsCompatible) {
  EXPECT_EQ(found(), "");
}

TEST_F(Breaks, AddingAFieldIsCompatible) {
  auto* f = event()->add_field();
  f->set_name("new_field");
  f->set_number(10);
  f->set_type(FieldDescriptorProto::TYPE_STRING);
  f->set_label(FieldDescriptorProto::LABEL_OPTIONAL);
  EXPECT_EQ(found(), "");
}

TEST_F(Breaks, Renumbering) {
  field("trace_id")->set_number(60);
  EXPECT_NE(found().find("Event.trace_id = 6 was renumbered to 60"), std::string::npos) << found();
  EXPECT_NE(found().find("removed without `reserved 6;`"), std::string::npos) << found();
}

TEST_F(Breaks, Retyping) {
  field("aggregate_version")->set_type(FieldDescriptorProto::TYPE_INT32);
  EXPECT_NE(found().find("aggregate_version = 9 was retyped from TYPE_INT64 to TYPE_INT32"),
            std::string::npos)
      << found();
}

TEST_F(Breaks, ReusingANumber) {
  field("causation_id")->set_name("caused_by");
  EXPECT_NE(found().find("causation_id = 8 now has the name caused_by"), std::string::npos)
      << found();
}

TEST_F(Breaks, RemovingWithoutReserving) {
  auto* fields = event()->mutable_field();
  for (int i = 0; i < fields->size(); ++i)
    if (fields->Get(i).name() == "producer") fields->DeleteSubrange(i, 1);
  EXPECT_NE(found().find("producer = 7 was removed"), std::string::npos) << found();
  auto* r = event()->add_reserved_range();
  r->set_start(7);
  r->set_end(8);
  EXPECT_EQ(found(), "") << "a reserved number is a clean removal";
}

}  // namespace
