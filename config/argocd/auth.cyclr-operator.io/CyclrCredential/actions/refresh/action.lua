-- Setting or changing this annotation (any value) makes the operator obtain a new token now,
-- bypassing backoff, once per value. The time, RFC 3339 in UTC, makes each request a new value
-- and says when it was made.
-- Argo CD's sandbox has no global os; require gives its safe subset (date and time).
local os = require("os")
if obj.metadata.annotations == nil then
  obj.metadata.annotations = {}
end
obj.metadata.annotations["auth.cyclr-operator.io/refresh-requested-at"] = os.date("!%Y-%m-%dT%H:%M:%SZ")
return obj
