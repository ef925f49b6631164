-- Health of a CyclrCredential (auth.cyclr-operator.io), the cyclr-token-operator's resource.
--
-- The status follows kstatus: status.observedGeneration, a Ready condition, and Reconciling and
-- Stalled conditions that are present only while True. The Ready reasons and what they mean:
-- https://github.com/cyclr-operator/cyclr-token-operator#status-and-conditions
--
-- Only Lua's base functions are used (no string library, no os), so the script runs in Argo CD's
-- sandbox as it is, without resource.customizations.useOpenLibs.

local function find_condition(conditions, condition_type)
  for _, condition in ipairs(conditions) do
    if condition.type == condition_type then
      return condition
    end
  end
  return nil
end

local function is_true(condition)
  return condition ~= nil and condition.status == "True"
end

-- "Reason: message": for states that need attention, the reason says which kind of trouble it is.
local function describe(condition)
  local reason = condition.reason or ""
  local message = condition.message or ""
  if reason == "" then
    return message
  end
  if message == "" then
    return reason
  end
  return reason .. ": " .. message
end

local hs = {}
local status = obj.status or {}
local conditions = status.conditions or {}
local generation = obj.metadata.generation or 0

-- Conditions written for an older spec say nothing about the current one. A credential the
-- operator has not seen yet has no status, or the CRD's default status with observedGeneration 0.
if (status.observedGeneration or 0) < generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile generation " .. generation
  return hs
end

local ready = find_condition(conditions, "Ready")
if ready == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to reconcile"
  return hs
end

-- Stalled: the operator cannot go on until the spec, the login or the target name is fixed.
local stalled = find_condition(conditions, "Stalled")
if is_true(stalled) then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end

-- Suspended, with or without a token still valid; Ready's message says which.
if obj.spec ~= nil and obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = ready.message
  return hs
end

-- Reconciling: the first token is pending, Cyclr is unavailable with no valid token, or the
-- login Secret is not there yet.
local reconciling = find_condition(conditions, "Reconciling")
if is_true(reconciling) then
  hs.status = "Progressing"
  hs.message = describe(reconciling)
  return hs
end

if ready.status == "True" then
  -- RefreshFailing keeps Ready True (kstatus reads it as Current too): pods still get a token
  -- that works, but it will expire unless the cause is fixed.
  hs.status = "Healthy"
  if ready.reason == "RefreshFailing" then
    hs.message = "The current token is still valid but renewals are failing: " .. (ready.message or "")
  else
    hs.message = ready.message
  end
  return hs
end

if ready.status == "False" then
  hs.status = "Degraded"
else
  -- Unknown (RetryPending): the next attempt waits for its backoff.
  hs.status = "Progressing"
end
hs.message = describe(ready)
return hs
