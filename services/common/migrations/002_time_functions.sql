-- Exact instants across the C++/SQL boundary as integer microseconds since the Unix epoch
-- (no text formats, no time-zone surprises): kit_ts(us) -> timestamptz, kit_us(ts) -> bigint.
CREATE FUNCTION kit_ts(bigint) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT timestamptz 'epoch' + $1 * interval '1 microsecond' $$;
CREATE FUNCTION kit_us(timestamptz) RETURNS bigint
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT (extract(epoch FROM $1) * 1000000)::bigint $$;
