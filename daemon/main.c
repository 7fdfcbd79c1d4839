/* daemon/main.c — kefud, the kefu daemon.  See kefud.c and docs/daemon.md. */
#include "kefud.h"

int main(int argc, char **argv)
{
	return kefud_main(argc, argv);
}
