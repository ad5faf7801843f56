-- wrk script: the catalogue search server function, as the browser calls it.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Sec-Fetch-Site"] = "same-origin"
wrk.body = '{"query":{"q":"dang ky","sector":null,"level":null}}'

done = function(summary, latency, requests)
  io.write(string.format("BENCH requests/s=%.0f p50_ms=%.2f p99_ms=%.2f errors=%d non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
