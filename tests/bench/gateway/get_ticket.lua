-- wrk script: GET /v1/tickets/{id} with the bearer token (env AFTERCARE_TOKEN); the path is
-- given on the command line.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("AFTERCARE_TOKEN")

done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors_status=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f\n",
    summary.requests, summary.errors.status, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
