// Instants in callback's SQL: parameters and columns travel as integer microseconds since the
// epoch (bound as text), so nothing is rounded between absl::Time and timestamptz.
#pragma once

// A bound parameter ("$3") of microseconds as a timestamptz.
#define AC_TS(p) "('epoch'::timestamptz + " p "::bigint * interval '1 microsecond')"
// A timestamptz column as microseconds.
#define AC_US(c) "(extract(epoch from " c ") * 1000000)::bigint"
