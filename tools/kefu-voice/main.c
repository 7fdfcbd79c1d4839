/* tools/kefu-voice/main.c — kefu-voice, the microphone client of kefud: parses the command
 * line and runs (voice.h).  Main thread.
 */
#include "voice.h"

int main(int argc, char **argv)
{
	struct kv_opts o;

	if (kv_opts_parse(&o, argc, argv) < 0)
		return KV_EXIT_USAGE;
	if (o.help) {
		kv_opts_help(stdout);
		return KV_EXIT_OK;
	}
	return kv_run(&o);
}
