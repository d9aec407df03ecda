-- wrk script of benchmarks/run/http.sh. With WRK_PIPELINE=N (N > 1) every write carries N
-- GET requests (wrk then counts each answer and times each batch); at the end it prints one
-- line for the caller to parse:
--   wrk-result requests=R seconds=S p50_us=A p99_us=B errors=E non2xx=N
-- where errors counts socket errors (connect, read, write, timeout) and non2xx the answers
-- with a status of 400 or more (what wrk calls status errors).

local depth = tonumber(os.getenv("WRK_PIPELINE") or "1")

if depth > 1 then
  local batch
  init = function(args)
    local r = {}
    for i = 1, depth do
      r[i] = wrk.format(nil, wrk.path)
    end
    batch = table.concat(r)
  end
  request = function()
    return batch
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "wrk-result requests=%d seconds=%.6f p50_us=%d p99_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
