/* auth/auth_int.h — internals shared by auth/'s .c files (not for other modules). */
#ifndef KEFU_AUTH_INT_H
#define KEFU_AUTH_INT_H

#include <semaphore.h>

#include "auth.h"

#define AUTH_PHC_MAX 160         /* argon2id PHC strings here are ~100 chars */

struct auth {
	struct auth_config cfg;
	sem_t slots;                 /* counting semaphore: hashes running at once */
	char dummy_phc[AUTH_PHC_MAX];   /* verified for unknown logins (same cost) */
};

#endif
