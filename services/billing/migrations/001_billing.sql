-- Billing (DOMAIN §5): fee rates, the unit projection, invoices with lines, payments and refunds,
-- warranty costs, settlements with the developer, builder retention deposits and chargebacks,
-- fines, and a double-entry ledger. Money is integer fen (bigint) everywhere; months are
-- 'YYYY-MM' text (sorts like the calendar); instants are timestamptz.

-- Instants cross the C++/SQL boundary as integer microseconds since the Unix epoch.
CREATE FUNCTION billing_ts(bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT timestamptz 'epoch' + $1 * interval '1 microsecond' $$;
CREATE FUNCTION billing_us(timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$;

-- Rows that record money movements are never edited or deleted: corrections are new rows
-- (a refund reverses a payment, a voiding transaction reverses an invoice's posting).
CREATE FUNCTION billing_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only (% refused)', TG_TABLE_NAME, TG_OP;
END $$;

-- Per-project settings: time zone (intake.ProjectUpserted), reminder lead (intake.PolicyUpdated
-- billing.reminder_days_before_due) and the other overridable numbers of billing. A project
-- missing here uses the defaults of the column definitions (= BillingPolicy defaults).
CREATE TABLE billing_projects (
  project_id               text        PRIMARY KEY,
  timezone                 text        NOT NULL DEFAULT 'Asia/Shanghai',
  reminder_days_before_due integer     NOT NULL DEFAULT 3 CHECK (reminder_days_before_due BETWEEN 0 AND 60),
  service_due_days         integer     NOT NULL DEFAULT 15 CHECK (service_due_days BETWEEN 0 AND 365),
  aging_bound_1            integer     NOT NULL DEFAULT 30,
  aging_bound_2            integer     NOT NULL DEFAULT 90,
  aging_bound_3            integer     NOT NULL DEFAULT 365,
  updated_at               timestamptz NOT NULL DEFAULT now(),
  CHECK (0 < aging_bound_1 AND aging_bound_1 < aging_bound_2 AND aging_bound_2 < aging_bound_3)
);

-- Property-fee rates: fen per m2 per month, due day, monthly cycle. effective_from '0000-01'
-- = every period until a later dated rate; a run bills with the latest rate effective_from <= period.
CREATE TABLE fee_rates (
  project_id             text        NOT NULL,
  effective_from         text        NOT NULL CHECK (effective_from ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  fen_per_m2_month       bigint      NOT NULL CHECK (fen_per_m2_month > 0),
  due_day                integer     NOT NULL CHECK (due_day BETWEEN 1 AND 31),
  billing_cycle          text        NOT NULL DEFAULT 'monthly' CHECK (billing_cycle = 'monthly'),
  prorate_handover_month boolean     NOT NULL DEFAULT false,
  set_by                 text        NOT NULL,
  updated_at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, effective_from)
);

-- Projection of intake's unit registry (intake.UnitUpserted). No owner name or clear phone
-- ever arrives: collectors see the masked phone from the event.
CREATE TABLE units (
  unit_id            text        PRIMARY KEY,
  project_id         text        NOT NULL,
  building           text        NOT NULL DEFAULT '',
  room               text        NOT NULL DEFAULT '',
  area_centi_m2      bigint      NOT NULL CHECK (area_centi_m2 >= 0),
  owner_id           text        NOT NULL DEFAULT '',
  owner_phone_masked text        NOT NULL DEFAULT '',
  handover_date      date,
  source_event_at    timestamptz NOT NULL,
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX units_by_project ON units (project_id, unit_id);

-- Invoices. One property-fee invoice per unit and period (a billing run twice, or two at once,
-- creates nothing new); paid repairs and services are keyed by their source (quote_id...).
-- paid_fen is the running total of payments minus refunds, kept on the row so that the row lock
-- serialises concurrent payments of one invoice.
CREATE TABLE invoices (
  invoice_id       uuid        PRIMARY KEY,
  project_id       text        NOT NULL,
  unit_id          text        NOT NULL,
  owner_id         text        NOT NULL DEFAULT '',
  payer            text        NOT NULL CHECK (payer IN ('owner', 'developer')),
  kind             text        NOT NULL CHECK (kind IN ('property_fee', 'paid_repair', 'paid_service')),
  period           text        NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  source_id        text        NOT NULL DEFAULT '',
  description      text        NOT NULL DEFAULT '',
  amount_fen       bigint      NOT NULL CHECK (amount_fen > 0),
  paid_fen         bigint      NOT NULL DEFAULT 0 CHECK (paid_fen >= 0 AND paid_fen <= amount_fen),
  due_date         date        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('open', 'partially_paid', 'paid', 'overdue', 'void')),
  area_centi_m2    bigint,
  fen_per_m2_month bigint,
  settlement_id    uuid,
  reminder_sent_at timestamptz,
  overdue_at       timestamptz,
  void_reason      text,
  issued_by        text        NOT NULL,
  issued_at        timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'property_fee' OR source_id = '')
);
CREATE UNIQUE INDEX invoices_one_fee_per_unit_period ON invoices (unit_id, period, kind)
  WHERE kind = 'property_fee';
CREATE UNIQUE INDEX invoices_one_per_source ON invoices (unit_id, kind, source_id)
  WHERE source_id <> '';
CREATE INDEX invoices_by_project_period ON invoices (project_id, period, kind);
CREATE INDEX invoices_by_unit ON invoices (unit_id, issued_at, invoice_id);
CREATE INDEX invoices_listing ON invoices (project_id, issued_at, invoice_id);
CREATE INDEX invoices_to_sweep ON invoices (due_date) WHERE status IN ('open', 'partially_paid');

-- What an invoice bills; the invoice amount is the sum of its lines. Lines are written with the
-- invoice and never change.
CREATE TABLE invoice_lines (
  invoice_id       uuid    NOT NULL REFERENCES invoices,
  line_no          integer NOT NULL CHECK (line_no > 0),
  kind             text    NOT NULL CHECK (kind IN ('property_fee', 'paid_repair', 'paid_service', 'fine')),
  description      text    NOT NULL DEFAULT '',
  source_id        text    NOT NULL DEFAULT '',
  amount_fen       bigint  NOT NULL CHECK (amount_fen > 0),
  area_centi_m2    bigint,
  fen_per_m2_month bigint,
  billed_days      integer,
  days_in_month    integer,
  PRIMARY KEY (invoice_id, line_no)
);
CREATE TRIGGER invoice_lines_append_only BEFORE UPDATE OR DELETE ON invoice_lines
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

-- Payments: one per external reference (a payment reported twice is recorded once).
CREATE SEQUENCE receipt_numbers;
CREATE TABLE payments (
  payment_id  uuid        PRIMARY KEY,
  receipt_no  text        NOT NULL UNIQUE,
  invoice_id  uuid        NOT NULL REFERENCES invoices,
  project_id  text        NOT NULL,
  unit_id     text        NOT NULL,
  amount_fen  bigint      NOT NULL CHECK (amount_fen > 0),
  reference   text        NOT NULL UNIQUE,
  paid_at     timestamptz NOT NULL,
  recorded_by text        NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_by_invoice ON payments (invoice_id);
CREATE TRIGGER payments_append_only BEFORE UPDATE OR DELETE ON payments
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

-- Refunds reverse (part of) a payment; the payment row itself never changes.
CREATE TABLE refunds (
  refund_id        uuid        PRIMARY KEY,
  payment_id       uuid        NOT NULL REFERENCES payments,
  invoice_id       uuid        NOT NULL REFERENCES invoices,
  amount_fen       bigint      NOT NULL CHECK (amount_fen > 0),
  reason           text        NOT NULL,
  refund_reference text        NOT NULL UNIQUE,
  recorded_by      text        NOT NULL,
  refunded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_by_payment ON refunds (payment_id);
CREATE TRIGGER refunds_append_only BEFORE UPDATE OR DELETE ON refunds
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

-- Warranty repairs done at the property company's expense in the builder's place
-- (dispatch.WarrantyCostAdvanced), kept apart from property fees; settled with the developer at
-- month end and charged back to the builder.
CREATE TABLE warranty_costs (
  work_order_id         text        PRIMARY KEY,
  project_id            text        NOT NULL,
  ticket_id             text        NOT NULL DEFAULT '',
  unit_id               text        NOT NULL DEFAULT '',
  builder_party_id      text        NOT NULL,
  performed_by_kind     text        NOT NULL DEFAULT '',
  performed_by_party_id text        NOT NULL DEFAULT '',
  cost_fen              bigint      NOT NULL CHECK (cost_fen > 0),
  period                text        NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  signed_off_at         timestamptz,
  settlement_id         uuid,
  source_event_id       text        NOT NULL,
  recorded_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX warranty_costs_unsettled ON warranty_costs (project_id, period) WHERE settlement_id IS NULL;

-- A warranty cost to deduct from the builder's retention deposit; deducted when the month-end
-- settlement that includes it is issued.
CREATE TABLE chargebacks (
  chargeback_id    uuid        PRIMARY KEY,
  project_id       text        NOT NULL,
  builder_party_id text        NOT NULL,
  work_order_id    text        NOT NULL UNIQUE REFERENCES warranty_costs,
  ticket_id        text        NOT NULL DEFAULT '',
  amount_fen       bigint      NOT NULL CHECK (amount_fen > 0),
  period           text        NOT NULL,
  settlement_id    uuid,
  deducted_at      timestamptz,
  recorded_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX chargebacks_by_builder ON chargebacks (project_id, builder_party_id, recorded_at);

-- Builder retention deposits (质保金): + deposits, - chargebacks; the running balance is the sum
-- in entry order.
CREATE TABLE retention_entries (
  entry_id         bigserial   PRIMARY KEY,
  project_id       text        NOT NULL,
  builder_party_id text        NOT NULL,
  kind             text        NOT NULL CHECK (kind IN ('deposit', 'chargeback')),
  amount_fen       bigint      NOT NULL CHECK ((kind = 'deposit' AND amount_fen > 0) OR (kind = 'chargeback' AND amount_fen < 0)),
  source_id        text        NOT NULL,
  settlement_id    uuid,
  recorded_by      text        NOT NULL,
  recorded_at      timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, kind, source_id)
);
CREATE INDEX retention_by_builder ON retention_entries (project_id, builder_party_id, entry_id);
CREATE TRIGGER retention_append_only BEFORE UPDATE OR DELETE ON retention_entries
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

-- Month-end statements to the developer: warranty costs advanced + property fees of units it
-- holds. Each source entry is on at most one statement (settlement_items primary key).
CREATE TABLE settlements (
  settlement_id       uuid        PRIMARY KEY,
  project_id          text        NOT NULL,
  period              text        NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  warranty_repair_fen bigint      NOT NULL CHECK (warranty_repair_fen >= 0),
  property_fee_fen    bigint      NOT NULL CHECK (property_fee_fen >= 0),
  total_fen           bigint      NOT NULL,
  paid_fen            bigint      NOT NULL DEFAULT 0,
  status              text        NOT NULL CHECK (status IN ('issued', 'partially_paid', 'paid')),
  work_order_count    integer     NOT NULL,
  fee_invoice_count   integer     NOT NULL,
  issued_by           text        NOT NULL,
  issued_at           timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (project_id, period),
  CHECK (total_fen = warranty_repair_fen + property_fee_fen),
  CHECK (paid_fen >= 0 AND paid_fen <= total_fen)
);
CREATE TABLE settlement_items (
  settlement_id    uuid   NOT NULL REFERENCES settlements,
  kind             text   NOT NULL CHECK (kind IN ('warranty_repair', 'property_fee')),
  source_id        text   NOT NULL,
  amount_fen       bigint NOT NULL CHECK (amount_fen > 0),
  unit_id          text   NOT NULL DEFAULT '',
  builder_party_id text   NOT NULL DEFAULT '',
  period           text   NOT NULL,
  PRIMARY KEY (kind, source_id)
);
CREATE INDEX settlement_items_by_settlement ON settlement_items (settlement_id);
CREATE TRIGGER settlement_items_append_only BEFORE UPDATE OR DELETE ON settlement_items
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

-- The developer's payments of statements; one per reference.
CREATE TABLE settlement_payments (
  payment_id    uuid        PRIMARY KEY,
  settlement_id uuid        NOT NULL REFERENCES settlements,
  amount_fen    bigint      NOT NULL CHECK (amount_fen > 0),
  reference     text        NOT NULL UNIQUE,
  paid_at       timestamptz NOT NULL,
  recorded_by   text        NOT NULL,
  recorded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER settlement_payments_append_only BEFORE UPDATE OR DELETE ON settlement_payments
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

-- Escalation fines against the party at fault (intake.TicketEscalated with fine_fen > 0): one
-- per ticket and escalation level, so a redelivered or repeated event books nothing new.
CREATE TABLE fines (
  fine_id         uuid        PRIMARY KEY,
  project_id      text        NOT NULL,
  ticket_id       text        NOT NULL,
  level           integer     NOT NULL,
  fault_party     text        NOT NULL CHECK (fault_party IN ('agent', 'crew', 'builder')),
  party_id        text        NOT NULL,
  amount_fen      bigint      NOT NULL CHECK (amount_fen > 0),
  reason          text        NOT NULL DEFAULT '',
  source_event_id text        NOT NULL,
  recorded_at     timestamptz NOT NULL DEFAULT now(),
  UNIQUE (ticket_id, level)
);
CREATE INDEX fines_by_project ON fines (project_id, recorded_at);
CREATE TRIGGER fines_append_only BEFORE UPDATE OR DELETE ON fines
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

-- Double-entry ledger. A transaction is a balanced set of entries: amount_fen > 0 is a debit,
-- < 0 a credit, and the entries of one transaction sum to 0 (checked at commit by the deferred
-- constraint trigger below, so an unbalanced posting cannot be committed). Hence the sum over
-- all entries is always 0. (kind, source_id) is the business key: a posting is made once.
CREATE TABLE ledger_transactions (
  txn_id     bigserial   PRIMARY KEY,
  project_id text        NOT NULL,
  kind       text        NOT NULL,
  source_id  text        NOT NULL,
  memo       text        NOT NULL DEFAULT '',
  posted_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, source_id)
);
CREATE TABLE ledger_entries (
  entry_id   bigserial PRIMARY KEY,
  txn_id     bigint    NOT NULL REFERENCES ledger_transactions,
  account    text      NOT NULL,
  amount_fen bigint    NOT NULL CHECK (amount_fen <> 0)
);
CREATE INDEX ledger_entries_by_txn ON ledger_entries (txn_id);
CREATE INDEX ledger_entries_by_account ON ledger_entries (account);
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE OR DELETE ON ledger_transactions
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();
CREATE TRIGGER ledger_entries_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION billing_append_only();

CREATE FUNCTION ledger_check_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  total numeric;
  n integer;
BEGIN
  SELECT coalesce(sum(amount_fen), 0), count(*) INTO total, n
    FROM ledger_entries WHERE txn_id = NEW.txn_id;
  IF total <> 0 OR n < 2 THEN
    RAISE EXCEPTION 'ledger transaction % is unbalanced (sum %, % entries)', NEW.txn_id, total, n;
  END IF;
  RETURN NULL;
END $$;
CREATE CONSTRAINT TRIGGER ledger_entries_balanced AFTER INSERT ON ledger_entries
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_check_balanced();
