/* daemon/kefud.h — kefud's entry point, so main.c stays one line.  Main thread. */
#ifndef KEFU_DAEMON_KEFUD_H
#define KEFU_DAEMON_KEFUD_H

/* Parses the configuration, loads the store and the bot, serves until SIGINT/SIGTERM
 * and shuts down cleanly.  Returns the process exit status (0 ok, 1 start-up failure,
 * 2 bad configuration). */
int kefud_main(int argc, char **argv);

#endif
