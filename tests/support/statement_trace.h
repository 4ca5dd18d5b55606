// Counts the statements a use case sends to PostgreSQL (issue 21): a pool of one connection that
// libpq traces to a file, so every statement run on it is recorded as it went on the wire.
#pragma once

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "common/pg.h"

namespace aftercare::testing {

class StatementTrace {
 public:
  explicit StatementTrace(const std::string& url);
  ~StatementTrace();
  StatementTrace(const StatementTrace&) = delete;
  StatementTrace& operator=(const StatementTrace&) = delete;

  // The statements sent since the last call: "Execute" for each extended-protocol statement
  // (bound parameters, prepared or not, named by its text), the text of each simple query but
  // BEGIN/COMMIT. Each at most 120 characters.
  std::vector<std::string> statements();

  // One statement a line, for a failure message.
  static std::string joined(const std::vector<std::string>& statements);

  std::FILE* file = std::tmpfile();
  std::unique_ptr<kit::PgPool> pool;  // one connection, traced

 private:
  long read_ = 0;
};

}  // namespace aftercare::testing
