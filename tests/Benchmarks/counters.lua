-- Sharded counters for wrk: each request goes to /counters/c<N> with N random in 1..IDS, so on a 2-node cluster
-- (deploy/local/cluster.sh start 2) about half of the entities live on the other node than the one wrk talks to.
-- Usage: wrk -t1 -c64 -d30s -s tests/Benchmarks/counters.lua http://127.0.0.1:18080 -- [IDS] [METHOD]
-- IDS defaults to 10000; METHOD to POST (increment), or GET (read).
-- Paced load: with COUNTERS_RATE (requests/s in all) and COUNTERS_CONNECTIONS (wrk's -c) in the environment, every
-- connection waits between its requests so that together they send about COUNTERS_RATE per second (a ceiling: the
-- response time adds to the wait). That gives the latency at a given load rather than at saturation.

local threads = 0

setup = function(thread)
   threads = threads + 1
   thread:set("seed", threads)
end

init = function(args)
   ids = tonumber(args[1]) or 10000
   method = args[2] or "POST"
   math.randomseed(os.time() * 1000 + (seed or 0) * 7919)
end

request = function()
   return wrk.format(method, "/counters/c" .. math.random(ids))
end

local rate = tonumber(os.getenv("COUNTERS_RATE") or "") or 0
local connections = tonumber(os.getenv("COUNTERS_CONNECTIONS") or "") or 0
if rate > 0 and connections > 0 then
   -- Defined only when pacing: wrk then waits delay() ms before each request of a connection. Random spacing
   -- around the mean, so that the connections do not fire in step.
   local pause_ms = connections * 1000 / rate
   delay = function()
      return math.floor(pause_ms * (0.5 + math.random()))
   end
end
