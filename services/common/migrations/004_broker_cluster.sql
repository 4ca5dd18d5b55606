-- The cluster the outbox relay last published to (kit::cluster_identity). Finding another one
-- means the broker lost its data (devbroker restarted): the relay publishes the replay window's
-- sent rows again, and counts it in kit_outbox.replays.
CREATE TABLE kit_broker_cluster (
  singleton boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
  identity  text        NOT NULL,
  seen_at   timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE kit_outbox ADD COLUMN replays integer NOT NULL DEFAULT 0;
-- Replay and pruning select sent rows by age.
CREATE INDEX kit_outbox_sent_at ON kit_outbox (sent_at) WHERE sent_at IS NOT NULL;
