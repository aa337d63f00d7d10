-- Sharded counters for wrk: each request goes to /counters/c<N> with N random in 1..IDS, so on a 2-node cluster
-- (deploy/local/cluster.sh start 2) about half of the entities live on the other node than the one wrk talks to.
-- Usage: wrk -t2 -c64 -d30s -s tests/Benchmarks/counters.lua http://127.0.0.1:18080 -- [IDS] [METHOD]
-- IDS defaults to 10000; METHOD to POST (increment), or GET (read).

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
