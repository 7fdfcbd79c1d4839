/* conf/test_conf.c — defaults, INI file errors with line numbers, flag overrides. */
#include "conf.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

int main(void)
{
	struct kefu_conf c;
	char err[512];
	int port;
	char host[64];

	conf_defaults(&c);
	CHECK(!strcmp(c.listen, "127.0.0.1:8080"));
	CHECK(c.workers == 0 && c.demo == 1 && c.threshold > 0.3);
	CHECK(conf_listen_split(&c, host, sizeof host, &port) == 0);
	CHECK(port == 8080 && !strcmp(host, "127.0.0.1"));
	/* Run from the build tree, the data folders are the source tree's (found through
	 * the build folder's kefu-build-root marker, common/paths.c), nothing compiled in. */
	char want[PATH_MAX];
	CHECK(realpath(KEFU_SRCDIR "/web", want) && !strcmp(c.web_root, want));
	if (realpath(KEFU_SRCDIR "/models", want))  /* made by set-up; may be a symlink */
		CHECK(!strcmp(c.models, want));
	CHECK(c.asr_spell_pass == 1 && c.asr_letters == 1 && c.asr_spell_model == 1);
	char *argv0[] = { "kefud", "--web-root", "/srv/www", "--asr-letters", "false", NULL };
	CHECK(conf_parse_args(&c, 5, argv0, "kefud", NULL, 0, NULL, err, sizeof err) == 0);
	CHECK(!strcmp(c.web_root, "/srv/www") && c.asr_letters == 0 && c.asr_spell_pass == 1);

	write_file("t_ok.ini", "[kefud]\nworkers = 3\nthreshold=0.5\nlog_level = debug\n");
	char *argv1[] = { "kefud", "--config", "t_ok.ini", "--workers=5", "--db", "x.db", NULL };
	conf_defaults(&c);
	CHECK(conf_parse_args(&c, 6, argv1, "kefud", NULL, 0, NULL, err, sizeof err) == 0);
	CHECK(c.workers == 5 && c.threshold == 0.5 && c.log_level == 3);
	CHECK(!strcmp(c.db, "x.db"));

	write_file("t_bad.ini", "workers = 2\n\nwokers = 3\n");
	conf_defaults(&c);
	CHECK(conf_load_file(&c, "t_bad.ini", err, sizeof err) == -1);
	CHECK(strstr(err, "t_bad.ini:3") && strstr(err, "wokers"));

	/* the same reader over bytes in memory (the fuzz harness's way in) */
	static const char mem_bad[] = "workers = 2\n\nwokers = 3\n";
	conf_defaults(&c);
	CHECK(conf_load_mem(&c, mem_bad, sizeof mem_bad - 1, "mem.ini", err, sizeof err) == -1);
	CHECK(strstr(err, "mem.ini:3") && strstr(err, "wokers") && c.workers == 2);
	static const char mem_ok[] = "[kefud]\nworkers = 4\nrequests_per_ip_minute = 9";
	conf_defaults(&c);
	CHECK(c.requests_per_ip_minute == 600);
	CHECK(conf_load_mem(&c, mem_ok, sizeof mem_ok - 1, "mem.ini", err, sizeof err) == 0);
	CHECK(c.workers == 4 && c.requests_per_ip_minute == 9 && c.config[0] == '\0');
	CHECK(conf_load_mem(&c, "", 0, "mem.ini", err, sizeof err) == 0);

	write_file("t_range.ini", "workers = 9999\n");
	CHECK(conf_load_file(&c, "t_range.ini", err, sizeof err) == -1);
	CHECK(strstr(err, ":1:") && strstr(err, "workers"));

	char *argv2[] = { "kefud", "--no-such", "1", NULL };
	CHECK(conf_parse_args(&c, 3, argv2, "kefud", NULL, 0, NULL, err, sizeof err) == -1);
	CHECK(strstr(err, "no-such") != NULL);

	char *argv3[] = { "kefu", "ask", "--demo", "--threshold", "0.2", "hello", NULL };
	char *pos[4];
	int npos;
	conf_defaults(&c);
	CHECK(conf_parse_args(&c, 6, argv3, "kefu", pos, 4, &npos, err, sizeof err) == 0);
	CHECK(npos == 2 && !strcmp(pos[1], "hello") && c.threshold == 0.2);

	CHECK(conf_set(&c, "threshold", "2", err, sizeof err) == -1);

	/* the edge options; the removed trust_proxy names its replacement */
	CHECK(conf_set(&c, "trusted_proxies", "127.0.0.1, 10.0.0.0/8", err, sizeof err) == 0);
	CHECK(!strcmp(c.trusted_proxies, "127.0.0.1, 10.0.0.0/8"));
	CHECK(conf_set(&c, "max_conns_per_ip", "-1", err, sizeof err) == -1);
	CHECK(conf_set(&c, "trust_proxy", "true", err, sizeof err) == -1);
	CHECK(strstr(err, "trusted_proxies") != NULL);
	printf("%s\n", failures ? "FAILED" : "ok");
	return failures != 0;
}
