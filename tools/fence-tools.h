/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What fence-timeline and fence-bench share besides v4l2-m2m-util.h (which
 * all the guest programs share): reading the kernel's events from tracefs.
 * Included by both, static.
 */
#ifndef FENCE_TOOLS_H
#define FENCE_TOOLS_H

#include <ctype.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>

/* where tracefs is mounted, set by find_tracefs() */
static char tracefs[32];

static int tr_write(const char *file, const char *val, int append)
{
	char path[128];
	ssize_t len = strlen(val);
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s", tracefs, file);
	fd = open(path, O_WRONLY | (append ? O_APPEND : O_TRUNC));
	if (fd < 0)
		return -1;
	ret = write(fd, val, len) == len ? 0 : -1;
	close(fd);
	return ret;
}

static int find_tracefs(void)
{
	static const char *const dirs[] = {
		"/sys/kernel/tracing", "/sys/kernel/debug/tracing",
	};
	char path[64];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/trace", dirs[i]);
		/* not mounted yet: try, failure only means no kernel view */
		if (i == 0 && access(path, W_OK))
			mount("nodev", dirs[0], "tracefs", 0, NULL);
		if (!access(path, W_OK)) {
			snprintf(tracefs, sizeof(tracefs), "%s", dirs[i]);
			return 0;
		}
	}
	return -1;
}

/*
 * Finds the timestamp of a trace line ("<task>-<pid> [cpu] flags
 * SSSS.UUUUUU: what"): returns it in ms and points *what after it.
 */
static double trace_line_time(char *line, char **what)
{
	unsigned long long s, us;
	char *p;
	int n;

	if (line[0] == '#')
		return NAN;
	for (p = line + 1; *p; p++) {
		if (p[-1] != ' ' || !isdigit((unsigned char)*p))
			continue;
		n = 0;
		if (sscanf(p, "%llu.%6llu:%n", &s, &us, &n) == 2 && n > 0 &&
		    p[n] == ' ') {
			*what = p + n + 1;
			return s * 1e3 + us / 1e3;
		}
	}
	return NAN;
}

#endif
