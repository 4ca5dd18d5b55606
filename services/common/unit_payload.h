// A unit as the UnitUpserted event carries it: intake publishes it from its registry, billing
// rebuilds it from intake's ListUnits answer when it seeds a project (one mapping, issue 24).
#pragma once

#include <string>

#include "aftercare/v1/events.pb.h"
#include "aftercare/v1/intake.pb.h"

namespace aftercare::kit {

// Everything but the phone, which events carry only masked: `owner_phone_masked`.
inline aftercare::v1::UnitUpserted unit_upserted(const aftercare::v1::Unit& u,
                                                 const std::string& owner_phone_masked) {
  aftercare::v1::UnitUpserted p;
  p.set_unit_id(u.unit_id());
  p.set_building(u.building());
  p.set_room(u.room());
  p.set_area_centi_m2(u.area_centi_m2());
  p.set_owner_id(u.owner_id());
  p.set_owner_phone_masked(owner_phone_masked);
  *p.mutable_handover_date() = u.handover_date();
  return p;
}

}  // namespace aftercare::kit
