// Numbered schema migrations, embedded in each binary (see cmake/AftercareService.cmake) and
// applied at start-up, each in its own transaction, under an advisory lock so that replicas
// starting together apply each migration exactly once.
#pragma once

#include <string>
#include <vector>

namespace aftercare::kit {

class PgPool;

struct Migration {
  int version;       // NNN of NNN_name.sql
  std::string name;  // the file name
  std::string sql;
};

// The kit's own tables (outbox, inbox, dead letters), applied before every service's.
const std::vector<Migration>& kit_migrations();

// Applies the not-yet-applied migrations of `component` in version order and returns how many
// it applied. Refuses (std::runtime_error) when an applied migration's text has changed or
// versions repeat: editing history is a bug, add a new migration instead.
int apply_migrations(PgPool& pool, const std::string& component,
                     const std::vector<Migration>& migrations);

}  // namespace aftercare::kit
