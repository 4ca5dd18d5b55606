-- Owners without the app (issue 23): the attachments of the projected tickets, from
-- intake.AttachmentAdded (ids only, the content stays in intake), so that an owner's sign-off
-- recorded on a paper slip can check that the slip is an attachment of the order's ticket.
CREATE TABLE ticket_attachments (
  attachment_id text        PRIMARY KEY,
  ticket_id     text        NOT NULL,
  kind          text        NOT NULL,
  content_type  text        NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now()
);
