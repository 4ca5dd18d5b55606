// gRPC edge of handover and decoration (issue 19), hosted by the intake process beside
// IntakeService: validate, check the role, call app/handover.cc or app/decoration.cc.
#pragma once

#include "aftercare/v1/handover.grpc.pb.h"
#include "intake/intake_service.h"

namespace aftercare::intake {

class HandoverServiceImpl final : public v1::HandoverService::Service {
 public:
  HandoverServiceImpl(
      kit::PgPool& db, const kit::Outbox& outbox, Clock clock = [] { return absl::Now(); });

  grpc::Status CreateInspection(grpc::ServerContext*, const v1::CreateInspectionRequest*,
                                v1::Inspection*) override;
  grpc::Status AddDefect(grpc::ServerContext*, const v1::AddDefectRequest*, v1::Defect*) override;
  grpc::Status AddInspectionAttachment(grpc::ServerContext*,
                                       const v1::AddInspectionAttachmentRequest*,
                                       v1::Attachment*) override;
  grpc::Status GetInspection(grpc::ServerContext*, const v1::GetInspectionRequest*,
                             v1::Inspection*) override;
  grpc::Status ListInspections(grpc::ServerContext*, const v1::ListInspectionsRequest*,
                               v1::ListInspectionsResponse*) override;
  grpc::Status SignInspection(grpc::ServerContext*, const v1::SignInspectionRequest*,
                              v1::Inspection*) override;
  grpc::Status ReinspectDefect(grpc::ServerContext*, const v1::ReinspectDefectRequest*,
                               v1::Defect*) override;
  grpc::Status HandOverUnit(grpc::ServerContext*, const v1::HandOverUnitRequest*,
                            v1::HandedOverUnit*) override;
  grpc::Status SetHandoverNotice(grpc::ServerContext*, const v1::SetHandoverNoticeRequest*,
                                 v1::KeyCollection*) override;
  grpc::Status ListUncollectedKeys(grpc::ServerContext*, const v1::ListUncollectedKeysRequest*,
                                   v1::ListUncollectedKeysResponse*) override;
  grpc::Status SendKeyReminders(grpc::ServerContext*, const v1::SendKeyRemindersRequest*,
                                v1::ListUncollectedKeysResponse*) override;
  grpc::Status ApplyDecorationPermit(grpc::ServerContext*, const v1::ApplyDecorationPermitRequest*,
                                     v1::DecorationPermit*) override;
  grpc::Status GetDecorationPermit(grpc::ServerContext*, const v1::GetDecorationPermitRequest*,
                                   v1::DecorationPermit*) override;
  grpc::Status ListDecorationPermits(grpc::ServerContext*, const v1::ListDecorationPermitsRequest*,
                                     v1::ListDecorationPermitsResponse*) override;
  grpc::Status ApproveDecorationPermit(grpc::ServerContext*,
                                       const v1::ApproveDecorationPermitRequest*,
                                       v1::DecorationPermit*) override;
  grpc::Status RefuseDecorationPermit(grpc::ServerContext*,
                                      const v1::RefuseDecorationPermitRequest*,
                                      v1::DecorationPermit*) override;
  grpc::Status InspectDecoration(grpc::ServerContext*, const v1::InspectDecorationRequest*,
                                 v1::DecorationPermit*) override;
  grpc::Status RecordDecorationViolation(grpc::ServerContext*,
                                         const v1::RecordDecorationViolationRequest*,
                                         v1::DecorationPermit*) override;
  grpc::Status FinishDecorationPermit(grpc::ServerContext*,
                                      const v1::FinishDecorationPermitRequest*,
                                      v1::DecorationPermit*) override;
  grpc::Status HandoverStats(grpc::ServerContext*, const v1::HandoverStatsRequest*,
                             v1::HandoverStatsResponse*) override;

 private:
  kit::PgPool& db_;
  const kit::Outbox& outbox_;
  Clock clock_;
};

}  // namespace aftercare::intake
