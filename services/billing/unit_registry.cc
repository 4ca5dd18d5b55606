#include "billing/unit_registry.h"

#include "aftercare/v1/intake.grpc.pb.h"
#include "common/call.h"
#include "common/time.h"
#include "common/unit_payload.h"

namespace aftercare::billing {

std::vector<std::pair<v1::UnitUpserted, absl::Time>> IntakeUnitRegistry::project_units(
    const std::string& project_id) {
  auto stub = v1::IntakeService::NewStub(intake_);
  const kit::Caller billing{"billing", kit::Role::service, {"*"}, {}, ""};
  std::vector<std::pair<v1::UnitUpserted, absl::Time>> out;
  std::string token;
  do {
    v1::ListUnitsRequest request;
    request.set_project_id(project_id);
    request.set_page_size(200);
    request.set_page_token(token);
    v1::ListUnitsResponse page;
    auto context = kit::client_context(billing, std::chrono::seconds(10));
    grpc::Status status = stub->ListUnits(context.get(), request, &page);
    if (!status.ok()) throw std::runtime_error("intake ListUnits: " + status.error_message());
    for (const auto& u : page.units()) {
      out.emplace_back(kit::unit_upserted(u, u.owner_phone_masked()),
                       kit::from_timestamp(u.updated_at()));
    }
    token = page.next_page_token();
  } while (!token.empty());
  return out;
}

}  // namespace aftercare::billing
