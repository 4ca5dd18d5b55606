-- Every append to a partner feed notifies at commit with "<seq>:<party_id>", so that the
-- service's waiting long-polls wake when their party's feed moves instead of re-reading it
-- every 100 ms. The trigger sits on the head row, which every append updates (or inserts), so
-- no writer can forget it.
CREATE FUNCTION partner_feed_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('aftercare_partner_feed', NEW.last_seq::text || ':' || NEW.party_id);
  RETURN NULL;
END $$;
CREATE TRIGGER partner_feed_heads_notify AFTER INSERT OR UPDATE ON partner_feed_heads
  FOR EACH ROW EXECUTE FUNCTION partner_feed_notify();
