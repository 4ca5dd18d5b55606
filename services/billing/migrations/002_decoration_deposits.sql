-- Decoration permits (二次装修, issue 19): intake.DecorationPermitUpdated issues a deposit and a
-- fee invoice at approval; the deposit is held for the owner (ledger account
-- deposit:decoration:<unit_id>, a liability) and settled exactly once when the permit is
-- finished: the paid part goes back minus the permit's deductions (revenue:decoration_deduction),
-- an unpaid remainder is voided, deductions beyond what was paid are billed on a
-- decoration_deduction invoice.

ALTER TABLE invoices DROP CONSTRAINT invoices_kind_check;
ALTER TABLE invoices ADD CONSTRAINT invoices_kind_check CHECK (kind IN (
  'property_fee', 'paid_repair', 'paid_service',
  'decoration_deposit', 'decoration_fee', 'decoration_deduction'));
ALTER TABLE invoice_lines DROP CONSTRAINT invoice_lines_kind_check;
ALTER TABLE invoice_lines ADD CONSTRAINT invoice_lines_kind_check CHECK (kind IN (
  'property_fee', 'paid_repair', 'paid_service', 'fine',
  'decoration_deposit', 'decoration_fee', 'decoration_deduction'));

-- One settlement per permit (the primary key): a finish delivered twice, or sent twice, settles
-- once. Written in the transaction of the refund's ledger posting and never changed.
CREATE TABLE decoration_deposits (
  permit_id            text        PRIMARY KEY,
  project_id           text        NOT NULL,
  unit_id              text        NOT NULL,
  owner_id             text        NOT NULL DEFAULT '',
  invoice_id           uuid        NOT NULL UNIQUE REFERENCES invoices,
  deposit_fen          bigint      NOT NULL CHECK (deposit_fen > 0),
  paid_fen             bigint      NOT NULL CHECK (paid_fen >= 0 AND paid_fen <= deposit_fen),
  deductions_fen       bigint      NOT NULL CHECK (deductions_fen >= 0),
  refunded_fen         bigint      NOT NULL CHECK (refunded_fen >= 0),
  deducted_fen         bigint      NOT NULL CHECK (deducted_fen >= 0),
  waived_fen           bigint      NOT NULL CHECK (waived_fen >= 0),
  billed_fen           bigint      NOT NULL CHECK (billed_fen >= 0),
  deduction_invoice_id uuid        REFERENCES invoices,
  reason               text        NOT NULL CHECK (reason IN ('finished', 'refused')),
  source_event_id      text        NOT NULL,
  settled_at           timestamptz NOT NULL DEFAULT now(),
  CHECK (refunded_fen + deducted_fen = paid_fen),
  CHECK (deducted_fen + billed_fen = deductions_fen),
  CHECK (paid_fen + waived_fen <= deposit_fen),
  CHECK ((billed_fen = 0) = (deduction_invoice_id IS NULL))
);
CREATE INDEX decoration_deposits_by_project ON decoration_deposits (project_id, settled_at);
CREATE TRIGGER decoration_deposits_append_only BEFORE UPDATE OR DELETE ON decoration_deposits
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();
