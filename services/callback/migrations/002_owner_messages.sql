-- Owner outreach (issue 18): messages to owners on SMS / WeChat / the app, the channels a
-- project configured, owners' opt-outs, per-project template overrides, and the projections
-- the messages need to find their owner. No phone numbers and no names are kept: the clear
-- number is asked from intake at send time; only the masked form (to_masked) is stored.

-- What callback needs to address a work order's or a ticket's owner (dispatch.WorkOrderCreated,
-- intake.TicketOpened).
CREATE TABLE callback_work_orders (
  work_order_id  text        PRIMARY KEY,
  project_id     text        NOT NULL,
  ticket_id      text        NOT NULL DEFAULT '',
  unit_id        text        NOT NULL,
  emergency      boolean     NOT NULL DEFAULT false,
  updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE callback_tickets (
  ticket_id   text        PRIMARY KEY,
  project_id  text        NOT NULL,
  unit_id     text        NOT NULL,
  owner_id    text        NOT NULL DEFAULT '',
  emergency   boolean     NOT NULL DEFAULT false,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The unit's label for messages ("3-1203") and the owner's masked phone, from UnitUpserted.
ALTER TABLE callback_units ADD COLUMN building text NOT NULL DEFAULT '';
ALTER TABLE callback_units ADD COLUMN room text NOT NULL DEFAULT '';
ALTER TABLE callback_units ADD COLUMN owner_phone_masked text NOT NULL DEFAULT '';

-- A provider per project and channel (PUT /v1/projects/{id}/notification-channels/{channel}).
CREATE TABLE notification_channels (
  project_id  text        NOT NULL,
  channel     text        NOT NULL CHECK (channel IN ('sms', 'wechat', 'app')),
  url         text        NOT NULL,
  secret      text        NOT NULL,
  enabled     boolean     NOT NULL DEFAULT true,
  updated_at  timestamptz NOT NULL,
  PRIMARY KEY (project_id, channel)
);

-- Kinds an owner opted out of (urgent kinds are refused by the service).
CREATE TABLE owner_opt_outs (
  owner_id  text NOT NULL,
  kind      text NOT NULL,
  PRIMARY KEY (owner_id, kind)
);

-- A project's own wording of a kind (default templates ship in domain/outreach.cc).
CREATE TABLE message_templates (
  project_id  text NOT NULL,
  kind        text NOT NULL,
  locale      text NOT NULL DEFAULT 'zh-CN',
  template    text NOT NULL,
  PRIMARY KEY (project_id, kind, locale)
);

-- One row per message. message_id is derived from the cause (source_key), so a redelivered or
-- re-published event finds its message and makes no second one.
CREATE TABLE owner_messages (
  message_id       uuid        PRIMARY KEY,
  source_key       text        NOT NULL UNIQUE,
  project_id       text        NOT NULL,
  unit_id          text        NOT NULL DEFAULT '',
  owner_id         text        NOT NULL,
  channel          text        NOT NULL,
  kind             text        NOT NULL,
  urgent           boolean     NOT NULL DEFAULT false,
  to_masked        text        NOT NULL DEFAULT '',
  text             text        NOT NULL,
  status           text        NOT NULL CHECK (status IN ('queued', 'held', 'sent', 'delivered', 'failed', 'suppressed')),
  attempts         integer     NOT NULL DEFAULT 0,
  send_at          timestamptz NOT NULL,    -- when it is (next) due to go
  last_error       text        NOT NULL DEFAULT '',
  created_at       timestamptz NOT NULL,
  sent_at          timestamptz,
  delivered_at     timestamptz,
  failed_at        timestamptz,
  updated_at       timestamptz NOT NULL
);
CREATE INDEX owner_messages_owner ON owner_messages (owner_id, created_at DESC);
CREATE INDEX owner_messages_due ON owner_messages (send_at) WHERE status IN ('queued', 'held');
CREATE INDEX owner_messages_project ON owner_messages (project_id, created_at);
