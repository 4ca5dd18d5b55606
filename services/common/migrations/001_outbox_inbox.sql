-- Transactional outbox: a state change and its event are written in one transaction; the
-- relay publishes unsent rows and marks them sent. Rows are never skipped: the relay claims
-- unsent rows, it does not follow a cursor on id (ids are assigned before commit).
CREATE TABLE kit_outbox (
  id            bigserial   PRIMARY KEY,
  event_id      uuid        NOT NULL UNIQUE,
  topic         text        NOT NULL,
  partition_key text        NOT NULL,
  event_type    text        NOT NULL,
  traceparent   text,
  payload       bytea       NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  sent_at       timestamptz,
  attempts      integer     NOT NULL DEFAULT 0
);
CREATE INDEX kit_outbox_unsent ON kit_outbox (id) WHERE sent_at IS NULL;

-- Inbox: the event ids a consumer has applied. Inserting the id in the same transaction as the
-- effect makes a redelivered event a no-op.
CREATE TABLE kit_inbox (
  consumer     text        NOT NULL,
  event_id     uuid        NOT NULL,
  event_type   text        NOT NULL,
  processed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, event_id)
);

-- Messages a consumer gave up on after N failures (also published to <topic>.dlq), kept so an
-- operator can see and replay them: nothing is dropped silently.
CREATE TABLE kit_dead_letters (
  id             bigserial   PRIMARY KEY,
  consumer       text        NOT NULL,
  source_topic   text        NOT NULL,
  source_partition integer   NOT NULL,
  source_offset  bigint      NOT NULL,
  event_id       text,
  error          text        NOT NULL,
  attempts       integer     NOT NULL,
  payload        bytea,
  dead_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (consumer, source_topic, source_partition, source_offset)
);
