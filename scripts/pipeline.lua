-- wrk script: send DEPTH requests back to back in one write (HTTP pipelining), as TechEmpower's
-- plaintext benchmark does. wrk counts every response, so req/s counts pipelined requests.
--   wrk -s scripts/pipeline.lua http://127.0.0.1:8080/plaintext -- 16
init = function(args)
  local depth = tonumber(args[1]) or 16
  local requests = {}
  for i = 1, depth do
    requests[i] = wrk.format()
  end
  batch = table.concat(requests)
end

request = function()
  return batch
end
