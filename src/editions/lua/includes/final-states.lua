-- Send states after which nothing changes any more (editions/store.ts: FINAL_SEND_STATES).
local FINAL = {sent = true, failed = true, skipped = true}
