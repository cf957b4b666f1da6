# palette.gp - the one colour table of tollgate charts.
#
# Every chart colours an outcome the same way: look it up with
#   lc rgb reason_color("rate_limit")
# Related reasons share a hue family so a stack reads at a glance:
# quota and billing amber/brown, keys purple, account state pink,
# request limits red/orange, content olive/lime, access teal,
# availability blue, client-side grey; ok is the only green.
# Event kinds (events.csv) reuse the colour of the reason they cause.

c_ok                   = "#2e7d32"
c_denied               = "#c62828"
c_all                  = "#616161"
c_offered              = "#000000"

c_free_tier_exhausted  = "#f5b041"
c_credits_exhausted    = "#e67e22"
c_usage_cap            = "#f7dc6f"
c_billing              = "#a0522d"
c_invalid_key          = "#b39ddb"
c_revoked_key          = "#7e57c2"
c_account_inactive     = "#f8bbd0"
c_account_suspended    = "#ad1457"
c_account_banned       = "#4a0072"
c_rate_limit           = "#e53935"
c_token_limit          = "#ff8a65"
c_concurrency_limit    = "#8e0000"
c_abuse_throttle       = "#f06292"
c_unauthorized_lockout = "#5d4037"
c_policy_violation     = "#827717"
c_bad_request          = "#c0ca33"
c_permission_revoked   = "#00897b"
c_feature_suspended    = "#80cbc4"
c_region_blocked       = "#006064"
c_maintenance          = "#90caf9"
c_upgrade              = "#42a5f5"
c_outage               = "#1a237e"
c_overloaded           = "#00b0ff"
c_server_error         = "#7986cb"
c_network              = "#9e9e9e"
c_timeout              = "#424242"

# Event kinds -> the reason they produce.
e_outage            = c_outage
e_maintenance       = c_maintenance
e_upgrade           = c_upgrade
e_ban               = c_account_banned
e_suspend           = c_account_suspended
e_revoke_keys       = c_revoked_key
e_block_region      = c_region_blocked
e_unblock_region    = c_region_blocked
e_suspend_feature   = c_feature_suspended
e_revoke_permission = c_permission_revoked
e_billing_failure   = c_billing
e_set_limit         = c_rate_limit

# Every denial reason id, in enum reason order (timeseries.csv order).
ALL_REASONS = "free_tier_exhausted credits_exhausted usage_cap billing " . \
    "invalid_key revoked_key account_inactive account_suspended " . \
    "account_banned rate_limit token_limit concurrency_limit " . \
    "abuse_throttle unauthorized_lockout policy_violation bad_request " . \
    "permission_revoked feature_suspended region_blocked maintenance " . \
    "upgrade outage overloaded server_error network timeout"

reason_color(r) = exists("c_".r) ? value("c_".r) : "#888888"
event_color(k) = exists("e_".k) ? value("e_".k) : "#555555"
