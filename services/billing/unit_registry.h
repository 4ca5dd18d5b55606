// The property registry as intake knows it now. A billing run refreshes its unit projection from
// here first, so every unit registered before the run is billed even while its UnitUpserted event
// is still on the way (events keep the projection current the rest of the time).
#pragma once

#include <absl/time/time.h>
#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "aftercare/v1/events.pb.h"

namespace aftercare::billing {

class UnitRegistry {
 public:
  virtual ~UnitRegistry() = default;
  // Every unit of the project, as the payload intake publishes, with the time it last changed.
  // Throws when the registry cannot be asked.
  virtual std::vector<std::pair<v1::UnitUpserted, absl::Time>> project_units(
      const std::string& project_id) = 0;
};

// Asks intake's ListUnits over gRPC as the billing service.
class IntakeUnitRegistry final : public UnitRegistry {
 public:
  explicit IntakeUnitRegistry(std::shared_ptr<grpc::Channel> intake) : intake_(std::move(intake)) {}
  std::vector<std::pair<v1::UnitUpserted, absl::Time>> project_units(
      const std::string& project_id) override;

 private:
  std::shared_ptr<grpc::Channel> intake_;
};

}  // namespace aftercare::billing
