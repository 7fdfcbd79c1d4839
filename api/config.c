/* api/config.c — the operator-account options of conf/ as auth/'s configuration, so
 * kefud (and anything else serving the API) builds its struct auth from the same table.
 * Main thread, at start-up. */
#include "api.h"
#include "auth.h"
#include "conf.h"

void api_auth_config(const struct kefu_conf *c, struct auth_config *out)
{
	auth_config_defaults(out);
	out->idle_s = c->session_idle_minutes * 60;
	out->absolute_s = c->session_max_hours * 3600;
	out->delay_after = c->login_delay_after;
	out->lock_after = c->login_lock_after;
	out->lock_s = c->login_lock_minutes * 60;
	out->hash_slots = c->hash_concurrency;
}
