-- Files attached to tickets (photos before/after, documents), kept apart from the ticket row.
-- One row per distinct content per ticket: the same bytes added twice are one attachment.
CREATE TABLE ticket_attachments (
  attachment_id uuid        PRIMARY KEY,
  ticket_id     uuid        NOT NULL REFERENCES tickets,
  kind          smallint    NOT NULL,
  filename      text        NOT NULL,
  content_type  text        NOT NULL,
  size_bytes    bigint      NOT NULL CHECK (size_bytes > 0),
  sha256        text        NOT NULL CHECK (length(sha256) = 64),
  note          text        NOT NULL DEFAULT '',
  uploaded_by   text        NOT NULL,
  created_at    timestamptz NOT NULL,
  content       bytea       NOT NULL,
  UNIQUE (ticket_id, sha256)
);
-- JPEG, PNG and PDF are compressed already: store out of line without another compression pass.
ALTER TABLE ticket_attachments ALTER COLUMN content SET STORAGE EXTERNAL;
