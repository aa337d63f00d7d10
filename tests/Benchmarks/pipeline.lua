-- TechEmpower-style HTTP/1.1 pipelining for wrk: every write carries DEPTH requests back to back.
-- Usage: wrk -t1 -c64 -d10s -s tests/Benchmarks/pipeline.lua http://127.0.0.1:PORT/plaintext -- 16
-- DEPTH is the first script argument (after "--"); it defaults to 16.

init = function(args)
   local r = {}
   local depth = tonumber(args[1]) or 16
   for i = 1, depth do
      r[i] = wrk.format()
   end
   req = table.concat(r)
end

request = function()
   return req
end
