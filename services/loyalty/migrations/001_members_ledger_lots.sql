-- Loyalty (DOMAIN §4): members, the append-only points ledger, lots for expiry, two-phase
-- redemptions, partner merchants and per-project rules.

-- Exact instants across the C++/SQL boundary as integer microseconds since the Unix epoch.
CREATE FUNCTION loyalty_ts(bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT timestamptz 'epoch' + $1 * interval '1 microsecond' $$;
CREATE FUNCTION loyalty_us(timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$;

-- Projects as intake publishes them (time zone for local dates and month arithmetic).
CREATE TABLE projects (
  project_id text        PRIMARY KEY,
  timezone   text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- Per-project overrides; NULL = the platform default in domain/policy.h. intake's
-- PolicyUpdated sets expiry, survey points and thresholds; SetProjectRules sets any of them.
CREATE TABLE project_rules (
  project_id         text        PRIMARY KEY,
  expiry_months      integer,
  hold_minutes       integer,
  tier_window_months integer,
  silver_at_points   bigint,
  gold_at_points     bigint,
  platinum_at_points bigint,
  policy_version     bigint      NOT NULL DEFAULT 0,  -- last intake Policy.version applied
  updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE earning_rules (
  project_id text        NOT NULL,
  reason     smallint    NOT NULL,  -- aftercare.v1.EarnReason
  points     bigint      NOT NULL CHECK (points >= 0),
  max_points bigint      NOT NULL CHECK (max_points >= 0),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (project_id, reason)
);

-- One member per owner. balance = spendable points (the sum of its lots' remaining points),
-- held = points reserved by pending holds. Every change locks this row first (SELECT ... FOR
-- UPDATE), so one member's changes are serialized and the CHECKs can never be violated.
CREATE SEQUENCE member_card_serial;
CREATE TABLE members (
  owner_id        text        PRIMARY KEY,
  card_no         text        NOT NULL UNIQUE,
  home_project_id text        NOT NULL,
  balance         bigint      NOT NULL DEFAULT 0 CHECK (balance >= 0),
  held            bigint      NOT NULL DEFAULT 0 CHECK (held >= 0),
  lifetime_earned bigint      NOT NULL DEFAULT 0 CHECK (lifetime_earned >= 0),
  window_earned   bigint      NOT NULL DEFAULT 0 CHECK (window_earned >= 0),
  tier            smallint    NOT NULL DEFAULT 1,  -- aftercare.v1.MemberTier
  last_seq        bigint      NOT NULL DEFAULT 0,  -- ledger entries so far = aggregate version
  enrolled_at     timestamptz NOT NULL,
  updated_at      timestamptz NOT NULL
);
CREATE INDEX members_above_standard ON members (owner_id) WHERE tier > 1;

-- Projects where the owner has (had) units: staff of those projects see the member.
CREATE TABLE member_projects (
  owner_id   text        NOT NULL REFERENCES members,
  project_id text        NOT NULL,
  since      timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (owner_id, project_id)
);
CREATE INDEX member_projects_by_project ON member_projects (project_id);

-- Current owner of each unit (from intake.UnitUpserted).
CREATE TABLE units (
  unit_id    text        PRIMARY KEY,
  project_id text        NOT NULL,
  owner_id   text        NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

-- The append-only ledger. points = signed effect on the balance (+earn, -hold, +release,
-- -expire, redeem 0); amount = points moved (> 0). earn_key = source_id for earnings (NULL
-- otherwise): UNIQUE (owner_id, earn_key) makes one award per source.
CREATE TABLE ledger_entries (
  entry_id      uuid        PRIMARY KEY,
  owner_id      text        NOT NULL REFERENCES members,
  seq           bigint      NOT NULL,
  at            timestamptz NOT NULL,
  kind          smallint    NOT NULL CHECK (kind BETWEEN 1 AND 5),  -- aftercare.v1.LedgerEntryKind
  points        bigint      NOT NULL,
  amount        bigint      NOT NULL CHECK (amount > 0),
  reason        text        NOT NULL DEFAULT '',
  earn_reason   smallint,
  earn_key      text,
  source_id     text        NOT NULL DEFAULT '',
  redemption_id uuid,
  merchant_id   text,
  project_id    text        NOT NULL,
  balance_after bigint      NOT NULL CHECK (balance_after >= 0),
  held_after    bigint      NOT NULL CHECK (held_after >= 0),
  expires_at    timestamptz,
  note          text        NOT NULL DEFAULT '',
  UNIQUE (owner_id, seq),
  UNIQUE (owner_id, earn_key),
  CHECK ((kind = 1) = (earn_key IS NOT NULL))
);
CREATE INDEX ledger_entries_by_project ON ledger_entries (project_id, at);

CREATE FUNCTION loyalty_ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'ledger_entries is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION loyalty_ledger_append_only();
CREATE TRIGGER ledger_entries_no_truncate BEFORE TRUNCATE ON ledger_entries
  FOR EACH STATEMENT EXECUTE FUNCTION loyalty_ledger_append_only();

-- One lot per earning: what is left of it and when it expires. Holds take from the oldest lots;
-- released holds give back to the same lots; expiry empties due lots.
CREATE TABLE lots (
  lot_id     uuid        PRIMARY KEY REFERENCES ledger_entries (entry_id),
  owner_id   text        NOT NULL REFERENCES members,
  seq        bigint      NOT NULL,
  earned_at  timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  points     bigint      NOT NULL CHECK (points > 0),
  remaining  bigint      NOT NULL CHECK (remaining >= 0 AND remaining <= points)
);
CREATE INDEX lots_live ON lots (owner_id, earned_at, seq) WHERE remaining > 0;
CREATE INDEX lots_due ON lots (expires_at) WHERE remaining > 0;
CREATE INDEX lots_by_owner_earned ON lots (owner_id, earned_at);

-- Partner merchants (联盟商家). project_ids empty = open to every project.
CREATE TABLE merchants (
  merchant_id text        PRIMARY KEY,
  name        text        NOT NULL,
  description text        NOT NULL DEFAULT '',
  project_ids text[]      NOT NULL DEFAULT '{}',
  active      boolean     NOT NULL DEFAULT true,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Two-phase redemptions: status 1 held, 2 confirmed, 3 released (aftercare.v1.RedemptionStatus).
-- merchant_id '' = the club's own catalog.
CREATE TABLE redemptions (
  redemption_id   uuid        PRIMARY KEY,
  owner_id        text        NOT NULL REFERENCES members,
  merchant_id     text        NOT NULL DEFAULT '',
  item            text        NOT NULL,
  points          bigint      NOT NULL CHECK (points > 0),
  status          smallint    NOT NULL CHECK (status BETWEEN 1 AND 3),
  idempotency_key text,
  project_id      text        NOT NULL,
  created_at      timestamptz NOT NULL,
  expires_at      timestamptz NOT NULL,
  settled_at      timestamptz,
  settle_reason   text        NOT NULL DEFAULT '',
  UNIQUE (owner_id, idempotency_key),
  CHECK ((status = 1) = (settled_at IS NULL))
);
CREATE INDEX redemptions_held_due ON redemptions (expires_at) WHERE status = 1;
CREATE INDEX redemptions_by_owner ON redemptions (owner_id, created_at);

-- Which lots a hold took its points from (given back to the same lots on release).
CREATE TABLE hold_allocations (
  redemption_id uuid   NOT NULL REFERENCES redemptions,
  lot_id        uuid   NOT NULL REFERENCES lots,
  points        bigint NOT NULL CHECK (points > 0),
  PRIMARY KEY (redemption_id, lot_id)
);
