/* daemon/main.c — kefud, the kefu daemon.  See kefud.c and docs/daemon.md. */
#include "kefud.h"
#include "vision.h"

int main(int argc, char **argv)
{
	vis_ocr_prepare(argv);   /* tesseract's OpenMP setting, read before main (ocr.c) */
	return kefud_main(argc, argv);
}
