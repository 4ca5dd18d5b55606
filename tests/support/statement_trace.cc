#include "support/statement_trace.h"

#include <algorithm>
#include <regex>

namespace aftercare::testing {

StatementTrace::StatementTrace(const std::string& url)
    : pool(std::make_unique<kit::PgPool>(url, 1)) {
  auto lease = pool->acquire();
  lease->trace(file);
}

StatementTrace::~StatementTrace() {
  pool.reset();
  std::fclose(file);
}

std::vector<std::string> StatementTrace::statements() {
  std::fflush(file);
  long end = std::ftell(file);
  std::string text(static_cast<size_t>(end - read_), '\0');
  std::fseek(file, read_, SEEK_SET);
  size_t got = std::fread(text.data(), 1, text.size(), file);
  text.resize(got);
  read_ = end;
  std::fseek(file, end, SEEK_SET);
  std::vector<std::string> out;
  std::string parsed;  // the last Parse's statement text, to name an Execute
  static const std::regex message(R"(\tF\t\d+\t(\w+)\t?(.*))");
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    // Only a line's start is read (the message, a statement's name and text's beginning):
    // std::regex recurses per character and overflows the stack on a line of bound arrays.
    std::string line = text.substr(start, std::min<size_t>(nl - start, 1000));
    start = nl + 1;
    std::smatch m;
    if (!std::regex_search(line, m, message)) continue;
    const std::string name = m[1], rest = m[2];
    if (name == "Parse") parsed = rest;
    if (name == "Bind") {
      auto q1 = rest.find('"'), q2 = rest.find('"', q1 + 1), q3 = rest.find('"', q2 + 1),
           q4 = rest.find('"', q3 + 1);
      if (q4 != std::string::npos && q4 > q3 + 1) parsed = rest.substr(q3 + 1, q4 - q3 - 1);
    }
    if (name == "Execute") out.push_back(parsed.substr(0, 120));
    if (name == "Query" && rest.find("\"BEGIN") == std::string::npos &&
        rest.find("\"COMMIT") == std::string::npos)
      out.push_back(rest.substr(0, 120));
  }
  return out;
}

std::string StatementTrace::joined(const std::vector<std::string>& statements) {
  std::string out;
  for (const auto& s : statements) out += "\n  " + s;
  return out;
}

}  // namespace aftercare::testing
