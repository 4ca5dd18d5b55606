// The outreach generator: periodic callbacks after handover (1, 3, 6 months) and warranty-expiry
// reminders, created from the unit projection. Runs as a worker every few seconds (and may run
// in several replicas at once): every task has a UNIQUE source key (unit + milestone, unit +
// warranty end), inserted with ON CONFLICT DO NOTHING, and events are written only for rows this
// run inserted, so a second run (or a concurrent one) creates nothing and publishes nothing.
#pragma once

#include "absl/time/time.h"
#include "common/outbox.h"
#include "common/pg.h"

namespace aftercare::callback::app {

struct GeneratorResult {
  int periodic = 0;  // periodic callbacks created
  int warranty = 0;  // warranty-expiry reminder callbacks created
};

// One pass over every project with handed-over units, as of `now`; one transaction per project.
GeneratorResult generate_outreach(kit::PgPool& pool, const kit::Outbox& outbox, absl::Time now);

// The pass for one project inside `tx`.
GeneratorResult generate_outreach_for_project(pqxx::transaction_base& tx, const kit::Outbox& outbox,
                                              const std::string& project_id, absl::Time now);

}  // namespace aftercare::callback::app
