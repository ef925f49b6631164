-- "refresh" asks the operator for a new token now. It is disabled while spec.suspend is true:
-- a suspended credential calls Cyclr for nothing, and a request made meanwhile would be acted on
-- only once the credential is resumed.
local actions = {}
local suspended = obj.spec ~= nil and obj.spec.suspend == true
actions["refresh"] = {["disabled"] = suspended}
return actions
