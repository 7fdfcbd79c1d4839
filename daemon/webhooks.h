/* daemon/webhooks.h — kefud's webhook sender: delivers the outbox of signed webhooks
 * (store/webhooks.c; docs/console.md "Webhooks") to the endpoints admins configured,
 * with retries and exponential back-off.
 */
#ifndef KEFU_DAEMON_WEBHOOKS_H
#define KEFU_DAEMON_WEBHOOKS_H

#include <stddef.h>
#include <stdint.h>

struct kefu_conf;
struct kd_webhooks;

/* The delay before attempt n + 1 after n failed attempts (n >= 1), in ms, or 0 when
 * n attempts are the last (the delivery is then failed).  Pure. */
int64_t kd_webhooks_backoff_ms(int n);

/* Starts the sender thread on its own store connection to conf->db.  NULL with a
 * message in err when it cannot start. */
struct kd_webhooks *kd_webhooks_start(const struct kefu_conf *conf, char *err, size_t errlen);
/* Wakes the thread, joins it (an attempt in flight ends within its timeout) and closes
 * its connection.  NULL is fine.  Main thread. */
void kd_webhooks_stop(struct kd_webhooks *h);

#endif
