// SPDX-License-Identifier: GPL-2.0
/*
 * fence-bench: what videobuf2 release fences cost a mem2mem device, and what
 * they give its consumers. Runs on vim2m and compares its opt-in off and on
 * (module parameter release_fences, same kernel).
 *
 *   cycle   kernel CPU time of a buffer cycle: QBUF of a CAPTURE and an
 *           OUTPUT buffer, then DQBUF of both (CLOCK_THREAD_CPUTIME_ID
 *           around the ioctls; the wait for the job is not counted)
 *   fgraph  time per cycle inside the fence functions of videobuf2, then
 *           inside v4l2_m2m_qbuf/dqbuf, with the function_graph tracer
 *           (which adds its own overhead to each traced call)
 *   wake    device done -> consumer awake: poll(POLLIN) on the dma-buf,
 *           poll on the video fd (and DQBUF), EXPORT_SYNC_FILE + poll
 *   pipe    two processes: the producer hands the dma-buf over at QBUF and
 *           the consumer waits on its fence, or the producer waits, DQBUFs
 *           and then hands it over; device done -> consumer ready. The
 *           hand-over is SCM_RIGHTS, or pidfd_getfd() in kernels without
 *           AF_UNIX.
 *   scale   frames/s with C contexts of B buffers each, and the fences held
 *           by each dma_resv at the end (debugfs dma_buf/bufinfo)
 *
 * The host is noisy (QEMU TCG on shared cores), so the opt-in is not
 * compared run against run: while all buffers are dequeued, fence-bench
 * flips vim2m's release_fences parameter (writable in sysfs, read at each
 * QBUF) every few samples, and every statistic is kept per setting. -1
 * measures the module's current setting only.
 *
 * "Device done" is the vb2_buf_done trace event of the CAPTURE buffer, read
 * from tracefs with the trace clock set to CLOCK_MONOTONIC (microsecond
 * resolution).
 *
 * Each result is also printed as one line for scripts:
 *   R <metric> <release_fences> <n> <median> <lo> <hi> <unit>
 * with lo/hi the 25th/75th percentiles of the n samples (scale: see there).
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "v4l2-m2m-util.h"
#include "fence-tools.h"

#define MAX_BUF		64
#define MAX_CTX		64
#define BUFINFO		"/sys/kernel/debug/dma_buf/bufinfo"
#define PARAM		"/sys/module/vim2m/parameters/release_fences"
/* samples in a row with one setting; a multiple of every method count */
#define BLOCK		12

/* options shared by the subcommands */
static const char *dev_path;
static int samples = 300, warmup = 24, job_ms = 1, gap_us = 1000;
static int width = 32, height = 32, reps = 3, single;

static void die(const char *what)
{
	fprintf(stderr, "fence-bench: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void fail(const char *msg)
{
	fprintf(stderr, "fence-bench: %s\n", msg);
	exit(2);
}

static long long thread_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ---- the opt-in: off (0) and on (1) ---- */

static int first_mode, nmodes = 2, cur_mode = -1;

/* vim2m's release_fences parameter: 0, 1, or -1 if unknown */
static int read_param(void)
{
	char v = '?';
	FILE *f = fopen(PARAM, "r");

	if (f) {
		if (fscanf(f, " %c", &v) != 1)
			v = '?';
		fclose(f);
	}
	return v == 'Y' || v == '1' ? 1 : v == 'N' || v == '0' ? 0 : -1;
}

static void set_mode(int mode)
{
	int fd;

	if (nmodes == 1 || mode == cur_mode)
		return;
	fd = open(PARAM, O_WRONLY);
	if (fd < 0 || write(fd, mode ? "1" : "0", 1) != 1)
		die("writing " PARAM);
	close(fd);
	cur_mode = mode;
}

/* Alternate the setting if the parameter can be written, unless -1. */
static void modes_init(void)
{
	int fd;

	first_mode = read_param();
	cur_mode = first_mode;
	fd = open(PARAM, O_WRONLY);
	if (single || first_mode < 0 || fd < 0) {
		nmodes = 1;
		if (!single)
			printf("note: cannot write %s, measuring the current setting only\n",
			       PARAM);
	} else {
		first_mode = 0;
	}
	if (fd >= 0)
		close(fd);
}

/* the setting for sample @k: blocks of BLOCK samples, off first */
static int mode_of(int k)
{
	return nmodes == 1 ? first_mode : (k / BLOCK) % 2;
}

/* the index of a setting in per-setting arrays */
static int slot(int mode)
{
	return nmodes == 1 ? 0 : mode;
}

static const char *mode_name(int mode)
{
	return mode == 0 ? "0" : mode == 1 ? "1" : "?";
}

/* ---- statistics ---- */

struct series {
	double *v;
	int n, size;
};

static void add(struct series *s, double v)
{
	if (s->n == s->size) {
		s->size = s->size ? 2 * s->size : 256;
		s->v = realloc(s->v, s->size * sizeof(*s->v));
		if (!s->v)
			die("realloc");
	}
	s->v[s->n++] = v;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* nearest rank on sorted values */
static double quantile(const struct series *s, double q)
{
	int i = (int)(q * (s->n - 1) + 0.5);

	return s->n ? s->v[i] : NAN;
}

static void report_line(const char *metric, int mode, int n, double med,
			double lo, double hi, const char *unit)
{
	printf("R %s %s %d %.3f %.3f %.3f %s\n", metric, mode_name(mode), n,
	       med, lo, hi, unit);
}

/*
 * Prints the median and quartiles of @s, in @unit after scaling by @k, for
 * the setting @mode.
 */
static void report(const char *metric, int mode, struct series *s, double k,
		   const char *unit)
{
	if (!s->n) {
		printf("  %-34s release_fences=%s: no samples\n", metric,
		       mode_name(mode));
		return;
	}
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	printf("  %-34s %s%s median %10.3f %-3s (25%%: %.3f, 75%%: %.3f; n=%d)\n",
	       metric, mode < 0 ? "" : "release_fences=",
	       mode < 0 ? "" : mode_name(mode), quantile(s, 0.5) * k, unit,
	       quantile(s, 0.25) * k, quantile(s, 0.75) * k, s->n);
	report_line(metric, mode, s->n, quantile(s, 0.5) * k,
		    quantile(s, 0.25) * k, quantile(s, 0.75) * k, unit);
}

/* report() for each setting measured; @s is indexed by slot() */
static void report_modes(const char *metric, struct series *s, double k,
			 const char *unit)
{
	int m;

	for (m = 0; m < nmodes; m++)
		report(metric, nmodes == 1 ? first_mode : m, &s[m], k, unit);
}

/* ---- V4L2 ---- */

struct m2m {
	int fd;
	unsigned int cap, out, nbuf, planes, out_size;
	int dmabuf[MAX_BUF][VIDEO_MAX_PLANES];
};

static void set_format(struct m2m *m, unsigned int type)
{
	struct v4l2_format f;

	if (v4l2_set_fmt(m->fd, type, V4L2_PIX_FMT_RGB565, width, height,
			 &f))
		die("VIDIOC_S_FMT");
	if (V4L2_TYPE_IS_OUTPUT(type))
		m->out_size = v4l2_sizeimage(&f);
	else
		m->planes = V4L2_TYPE_IS_MULTIPLANAR(type) ?
			    f.fmt.pix_mp.num_planes : 1;
}

/*
 * Opens a context of @nbuf buffers a queue, small frames (the job's copy is
 * not what is measured) and the job time set, and exports every CAPTURE
 * plane: fences are only visible through dma-bufs.
 */
static void m2m_open(struct m2m *m, unsigned int nbuf, int flags)
{
	struct v4l2_capability caps;
	unsigned int i, p, t;
	bool mplane;
	int ret;

	memset(m, 0, sizeof(*m));
	m->fd = open(dev_path, O_RDWR | flags);
	if (m->fd < 0)
		die(dev_path);
	ret = m2m_querycap(m->fd, &caps, &mplane);
	if (ret && ret != -ENODEV)
		die("VIDIOC_QUERYCAP");
	if (ret || strcmp((char *)caps.driver, "vim2m"))
		fail("the device is not vim2m");
	m->cap = m2m_buf_type(mplane, true);
	m->out = m2m_buf_type(mplane, false);
	if (vim2m_set_job_ms(m->fd, job_ms))
		die("setting vim2m's transaction time");
	set_format(m, m->out);
	set_format(m, m->cap);
	for (t = 0; t < 2; t++) {
		ret = v4l2_reqbufs(m->fd, t ? m->cap : m->out, nbuf);
		if (ret < 0)
			die("VIDIOC_REQBUFS");
		if ((unsigned int)ret < nbuf)
			fail("the driver gave fewer buffers than asked");
	}
	m->nbuf = nbuf;
	for (i = 0; i < nbuf; i++) {
		for (p = 0; p < m->planes; p++) {
			ret = v4l2_expbuf(m->fd, m->cap, i, p,
					  O_RDONLY | O_CLOEXEC);
			if (ret < 0)
				die("VIDIOC_EXPBUF");
			m->dmabuf[i][p] = ret;
		}
	}
	if (v4l2_streamon(m->fd, m->out) || v4l2_streamon(m->fd, m->cap))
		die("VIDIOC_STREAMON");
}

static void m2m_close(struct m2m *m)
{
	unsigned int i, p;

	for (i = 0; i < m->nbuf; i++)
		for (p = 0; p < m->planes; p++)
			close(m->dmabuf[i][p]);
	close(m->fd);
}

static void qbuf(struct m2m *m, unsigned int type, unsigned int index)
{
	if (v4l2_qbuf(m->fd, type, index,
		      V4L2_TYPE_IS_OUTPUT(type) ? m->out_size : 0))
		die("VIDIOC_QBUF");
}

/* Returns the index, or -1 if nothing is ready on a non-blocking fd. */
static int dqbuf(struct m2m *m, unsigned int type)
{
	int ret = v4l2_dqbuf(m->fd, type, NULL);

	if (ret == -EAGAIN)
		return -1;
	if (ret < 0)
		die("VIDIOC_DQBUF");
	return ret;
}

static void wait_fd(int fd, const char *what)
{
	int ret = poll_fd(fd, POLLIN, 5000);

	if (ret < 0)
		die("poll");
	if (!ret) {
		fprintf(stderr, "fence-bench: %s: not ready within 5 s\n",
			what);
		exit(2);
	}
}

/* Waits for the job and returns both buffers. */
static void finish_job(struct m2m *m)
{
	wait_fd(m->fd, "the video fd");
	dqbuf(m, m->cap);
	dqbuf(m, m->out);
}

/* Lets the previous job's completion work finish before the next QBUF. */
static void idle_gap(void)
{
	if (gap_us)
		usleep(gap_us);
}

/* ---- tracefs (tr_write() and friends: fence-tools.h) ---- */

static void tr_read_line(const char *file, char *buf, size_t size)
{
	char path[128];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "%s/%s", tracefs, file);
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(buf, size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

static FILE *tr_open_trace(void)
{
	char path[64];

	snprintf(path, sizeof(path), "%s/trace", tracefs);
	return fopen(path, "r");
}

/* Records vb2_buf_done of CAPTURE buffers, in CLOCK_MONOTONIC time. */
static void events_start(unsigned int cap_type)
{
	char filter[32];

	if (find_tracefs())
		fail("no tracefs (needs root and CONFIG_TRACING)");
	tr_write("tracing_on", "0", 0);
	if (tr_write("trace_clock", "mono", 0))
		fail("cannot set the trace clock to mono");
	tr_write("buffer_size_kb", "4096", 0);
	tr_write("trace", "", 0);
	snprintf(filter, sizeof(filter), "type == %u", cap_type);
	tr_write("events/vb2/vb2_buf_done/filter", filter, 0);
	if (tr_write("events/vb2/vb2_buf_done/enable", "1", 0))
		fail("cannot enable the vb2:vb2_buf_done trace event");
	tr_write("tracing_on", "1", 0);
}

static void events_stop(void)
{
	tr_write("tracing_on", "0", 0);
	tr_write("events/vb2/vb2_buf_done/enable", "0", 0);
	tr_write("events/vb2/vb2_buf_done/filter", "0", 0);
}

/* ---- cycle: kernel CPU time per buffer cycle ---- */

static double usec_ns(const struct timeval *a, const struct timeval *b)
{
	return (b->tv_sec - a->tv_sec) * 1e9 + (b->tv_usec - a->tv_usec) * 1e3;
}

static void bench_cycle(void)
{
	struct series all[2] = {}, q[2] = {}, dq[2] = {}, ru[2] = {};
	int k, m, total = warmup + samples * nmodes;
	long long c0, c1, c2, c3;
	struct rusage r0, r1;
	struct m2m dev;

	m2m_open(&dev, 4, 0);
	printf("cycle: %d cycles a setting of QBUF(CAPTURE)+QBUF(OUTPUT) ... DQBUF both, %dx%d RGB565, job %d ms\n",
	       samples, width, height, job_ms);
	for (k = 0; k < total; k++) {
		int s = slot(mode_of(k));

		set_mode(mode_of(k));
		idle_gap();
		getrusage(RUSAGE_THREAD, &r0);
		c0 = thread_cpu_ns();
		qbuf(&dev, dev.cap, k % dev.nbuf);
		qbuf(&dev, dev.out, k % dev.nbuf);
		c1 = thread_cpu_ns();
		wait_fd(dev.fd, "the video fd");
		c2 = thread_cpu_ns();
		dqbuf(&dev, dev.cap);
		dqbuf(&dev, dev.out);
		c3 = thread_cpu_ns();
		getrusage(RUSAGE_THREAD, &r1);
		if (k < warmup)
			continue;
		add(&all[s], (c1 - c0) + (c3 - c2));
		add(&q[s], c1 - c0);
		add(&dq[s], c3 - c2);
		add(&ru[s], usec_ns(&r0.ru_stime, &r1.ru_stime));
	}
	m2m_close(&dev);
	report_modes("cycle.cpu", all, 1, "ns");
	report_modes("cycle.qbuf_cpu", q, 1, "ns");
	report_modes("cycle.dqbuf_cpu", dq, 1, "ns");
	/*
	 * System time is sampled at ticks: only its mean over many cycles
	 * means something. It also holds the poll() that waits for the job.
	 */
	for (m = 0; m < nmodes; m++) {
		int mode = nmodes == 1 ? first_mode : m;
		double sum = 0;
		int i;

		for (i = 0; i < ru[m].n; i++)
			sum += ru[m].v[i];
		if (!ru[m].n)
			continue;
		printf("  %-34s release_fences=%s: mean   %10.0f ns  (getrusage, tick-sampled, whole cycle)\n",
		       "cycle.rusage_stime", mode_name(mode), sum / ru[m].n);
		report_line("cycle.rusage_stime", mode, ru[m].n, sum / ru[m].n,
			    NAN, NAN, "ns");
	}
}

/* ---- fgraph: time inside functions, function_graph tracer ---- */

static const struct {
	const char *name;
	int set;
} fg_funcs[] = {
	/* set 0: the fence functions; vb2_buffer_done holds the signal */
	{ "vb2_buffer_attach_release_fence", 0 },
	{ "vb2_buffers_publish_release_fences", 0 },
	{ "vb2_release_fence_signal", 0 },
	{ "vb2_buffer_done", 0 },
	/* set 1: the whole QBUF and DQBUF, without nested traced calls */
	{ "v4l2_m2m_qbuf", 1 },
	{ "v4l2_m2m_dqbuf", 1 },
};
#define FG_N (sizeof(fg_funcs) / sizeof(fg_funcs[0]))

/*
 * A function_graph line with funcgraph-abstime and funcgraph-tail:
 *  "  5.718971 |   0) + 59.833 us   |  func [mod]();" or "} / * func * /".
 * Returns the function's index and sets time (ms) and duration (ns).
 */
static int fg_parse(const char *line, double *t, double *dur)
{
	unsigned long long s, us;
	const char *bar, *name, *p;
	unsigned int i;
	double d;
	int n = 0;

	if (sscanf(line, " %llu.%6llu |%n", &s, &us, &n) != 2 || !n)
		return -1;
	*t = s * 1e3 + us / 1e3;
	bar = strchr(line + n, '|');
	if (!bar)
		return -1;
	/* the duration is the number just before "us" */
	p = strstr(line + n, " us ");
	if (!p || p > bar)
		return -1;
	while (p > line + n && p[-1] != ' ')
		p--;
	if (sscanf(p, "%lf", &d) != 1)
		return -1;
	*dur = d * 1e3;
	name = bar + 1;
	while (*name == ' ')
		name++;
	if (!strncmp(name, "} /* ", 5))
		name += 5;
	for (i = 0; i < FG_N; i++) {
		size_t len = strlen(fg_funcs[i].name);

		if (!strncmp(name, fg_funcs[i].name, len) &&
		    (name[len] == ' ' || name[len] == '('))
			return i;
	}
	return -1;
}

/*
 * Traces the functions of @set only. Adds them before removing the others:
 * an empty filter under a running tracer would trace every function.
 * Returns how many could be added.
 */
static int fg_filter(int set)
{
	char line[80];
	unsigned int i;
	int added = 0;

	for (i = 0; i < FG_N; i++) {
		if (fg_funcs[i].set != set)
			continue;
		snprintf(line, sizeof(line), "%s\n", fg_funcs[i].name);
		if (!tr_write("set_ftrace_filter", line, 1))
			added++;
	}
	if (!added)
		return 0;
	/*
	 * A built-in function never called here: unloading the modules must
	 * not leave the filter empty either.
	 */
	tr_write("set_ftrace_filter", "dma_resv_describe\n", 1);
	for (i = 0; i < FG_N; i++) {
		if (fg_funcs[i].set == set)
			continue;
		snprintf(line, sizeof(line), "!%s\n", fg_funcs[i].name);
		tr_write("set_ftrace_filter", line, 1);
	}
	return added;
}

/* Cycles under the tracer; adds the ns per cycle in each function to @sum. */
static void fg_pass(struct m2m *dev, struct series sum[][FG_N])
{
	int i, k, f, total = warmup + samples * nmodes;
	double cycle_sum[FG_N], t = 0, dur = 0;
	struct window { double start, end; int slot; } *w;
	char line[512];
	unsigned int j;
	FILE *tf;

	w = calloc(total, sizeof(*w));
	if (!w)
		die("calloc");
	tr_write("trace", "", 0);
	for (k = 0; k < total; k++) {
		set_mode(mode_of(k));
		idle_gap();
		if (k == warmup)
			tr_write("tracing_on", "1", 0);
		w[k].slot = slot(mode_of(k));
		w[k].start = now_ms();
		qbuf(dev, dev->cap, k % dev->nbuf);
		qbuf(dev, dev->out, k % dev->nbuf);
		finish_job(dev);
		w[k].end = now_ms();
	}
	tr_write("tracing_on", "0", 0);

	tf = tr_open_trace();
	if (!tf)
		die("reading the trace");
	i = warmup;
	memset(cycle_sum, 0, sizeof(cycle_sum));
	while (i < total) {
		int more = fgets(line, sizeof(line), tf) != NULL;

		f = more ? fg_parse(line, &t, &dur) : -1;
		if (more && f < 0)
			continue;
		/* a cycle is complete once a line is past it, or at the end */
		while (i < total && (!more || t > w[i].end)) {
			for (j = 0; j < FG_N; j++)
				if (cycle_sum[j] > 0)
					add(&sum[w[i].slot][j], cycle_sum[j]);
			memset(cycle_sum, 0, sizeof(cycle_sum));
			i++;
		}
		if (!more)
			break;
		if (i < total && t >= w[i].start)
			cycle_sum[f] += dur;
	}
	fclose(tf);
	free(w);
}

/*
 * The function_graph tracer is selected once and left selected: on 7.3.4
 * x86 (seen in QEMU) selecting a function tracer again after "nop" reuses a
 * freed ftrace trampoline, and the next traced call jumps to address 0. Its
 * filter keeps it to the functions above, with tracing off.
 */
static void bench_fgraph(void)
{
	struct series sum[2][FG_N] = {};
	char tracer[32], metric[64];
	struct m2m dev;
	unsigned int j;
	int set, m;

	m2m_open(&dev, 4, 0);
	if (find_tracefs())
		fail("no tracefs (needs root and CONFIG_TRACING)");
	tr_read_line("current_tracer", tracer, sizeof(tracer));
	if (strcmp(tracer, "nop") && strcmp(tracer, "function_graph")) {
		printf("fgraph: skipped, the %s tracer is in use\n", tracer);
		m2m_close(&dev);
		return;
	}
	tr_write("tracing_on", "0", 0);
	tr_write("trace_clock", "mono", 0);
	tr_write("buffer_size_kb", "4096", 0);
	tr_write("options/funcgraph-abstime", "1", 0);
	tr_write("options/funcgraph-tail", "1", 0);
	for (set = 0; set < 2; set++) {
		if (!fg_filter(set))
			fail("fgraph: cannot trace the functions (not loaded?)");
		if (strcmp(tracer, "function_graph")) {
			if (tr_write("current_tracer", "function_graph", 0))
				fail("cannot select the function_graph tracer");
			strcpy(tracer, "function_graph");
		}
		printf("fgraph: %d cycles a setting under the function_graph tracer, %s\n",
		       samples, set ? "QBUF and DQBUF" : "fence functions");
		fg_pass(&dev, sum);
	}
	m2m_close(&dev);
	printf("  ns per cycle inside each function, over the cycles that called it:\n");
	for (j = 0; j < FG_N; j++) {
		snprintf(metric, sizeof(metric), "fgraph.%s", fg_funcs[j].name);
		for (m = 0; m < nmodes; m++) {
			int mode = nmodes == 1 ? first_mode : m;

			if (sum[m][j].n)
				report(metric, mode, &sum[m][j], 1, "ns");
			else
				printf("  %-34s release_fences=%s: not called\n",
				       metric, mode_name(mode));
		}
	}
}

/* ---- wake: device done -> consumer awake ---- */

/* One measured sample: its events happen inside [start, end]. */
struct sample {
	double start, end, done;	/* done: vb2_buf_done, from the trace */
	double woke, ready;
	int slot, method;
};

/* Sets each sample's done time from the trace; NAN if none. */
static void collect_done(struct sample *w, int count)
{
	char line[512], *what;
	int i;
	double t;
	FILE *f;

	for (i = 0; i < count; i++)
		w[i].done = NAN;
	tr_write("tracing_on", "0", 0);
	f = tr_open_trace();
	if (!f)
		die("reading the trace");
	i = 0;
	while (fgets(line, sizeof(line), f)) {
		t = trace_line_time(line, &what);
		if (isnan(t) || strncmp(what, "vb2_buf_done:", 13))
			continue;
		while (i < count && t > w[i].end)
			i++;
		if (i == count)
			break;
		if (t >= w[i].start && isnan(w[i].done))
			w[i].done = t;
	}
	fclose(f);
}

enum { W_DMABUF, W_VIDEO, W_SYNC, W_N };

static void bench_wake(void)
{
	static const char *const names[] = {
		"wake.dmabuf_poll", "wake.video_poll", "wake.sync_file",
	};
	struct series lat[2][W_N] = {}, ready[2] = {};
	int i, k, total = warmup + samples * W_N * nmodes;
	struct sample *w;
	struct m2m dev;

	w = calloc(total, sizeof(*w));
	if (!w)
		die("calloc");
	m2m_open(&dev, 4, 0);
	events_start(dev.cap);
	printf("wake: %d samples a method and setting, interleaved, job %d ms\n",
	       samples, job_ms);
	for (k = 0; k < total; k++) {
		unsigned int b = k % dev.nbuf;
		struct sample *s = &w[k];
		int sync_fd;

		set_mode(mode_of(k));
		s->slot = slot(mode_of(k));
		s->method = k % W_N;
		s->ready = NAN;
		idle_gap();
		s->start = now_ms();
		qbuf(&dev, dev.cap, b);
		qbuf(&dev, dev.out, b);
		switch (s->method) {
		case W_DMABUF:
			wait_fd(dev.dmabuf[b][0], "the dma-buf");
			s->woke = now_ms();
			finish_job(&dev);
			break;
		case W_VIDEO:
			wait_fd(dev.fd, "the video fd");
			s->woke = now_ms();
			dqbuf(&dev, dev.cap);
			s->ready = now_ms();
			dqbuf(&dev, dev.out);
			break;
		default:
			sync_fd = dmabuf_export_sync_file(dev.dmabuf[b][0],
							  DMA_BUF_SYNC_READ);
			if (sync_fd < 0)
				die("DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
			wait_fd(sync_fd, "the sync_file");
			s->woke = now_ms();
			close(sync_fd);
			finish_job(&dev);
			break;
		}
		s->end = now_ms();
	}
	collect_done(w, total);
	events_stop();
	m2m_close(&dev);
	for (i = warmup; i < total; i++) {
		if (isnan(w[i].done))
			continue;
		add(&lat[w[i].slot][w[i].method], w[i].woke - w[i].done);
		if (!isnan(w[i].ready))
			add(&ready[w[i].slot], w[i].ready - w[i].done);
	}
	printf("  us from vb2_buf_done (CAPTURE) to the consumer awake; negative: woken before the frame was done\n");
	for (i = 0; i < W_N; i++) {
		struct series per_mode[2] = { lat[0][i], lat[1][i] };

		report_modes(names[i], per_mode, 1e3, "us");
	}
	report_modes("wake.video_dqbuf", ready, 1e3, "us");
	free(w);
}

/* ---- pipe: hand-over to a consumer process ---- */

enum { P_FENCED, P_CLASSIC, P_HOP, P_N };

struct msg {
	int k;		/* sample, -1: the end */
	int mode;
	int fd;		/* the producer's fd number, for pidfd_getfd() */
	double t_send;
};

/*
 * Producer to consumer: a message and a dma-buf. With AF_UNIX the fd
 * travels as SCM_RIGHTS; without it (a kernel without CONFIG_NET) the
 * consumer takes it from the producer with pidfd_getfd(), its number read
 * from a pipe. Either way the fd is installed in the consumer on receipt.
 */
static int use_sock, to_cons[2], to_prod[2], prod_pidfd = -1;

static const char *chan_open(void)
{
	int sv[2];

	if (!socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv)) {
		use_sock = 1;
		to_cons[1] = to_prod[0] = sv[0];	/* producer's end */
		to_cons[0] = to_prod[1] = sv[1];	/* consumer's end */
		return "SCM_RIGHTS on an AF_UNIX socket";
	}
	if (pipe(to_cons) || pipe(to_prod))
		die("pipe");
	return "pidfd_getfd() (no AF_UNIX in this kernel), fd number on a pipe";
}

static void send_frame(struct msg *msg, int fd)
{
	char ctl[CMSG_SPACE(sizeof(int))] = {};
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;

	msg->fd = fd;
	if (!use_sock) {
		if (write(to_cons[1], msg, sizeof(*msg)) != sizeof(*msg))
			die("write to the consumer");
		return;
	}
	if (fd >= 0) {
		mh.msg_control = ctl;
		mh.msg_controllen = sizeof(ctl);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	if (sendmsg(to_cons[1], &mh, 0) != sizeof(*msg))
		die("sendmsg");
}

/* Returns the fd received with @msg, -1 at the end. */
static int recv_frame(struct msg *msg)
{
	char ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = msg, .iov_len = sizeof(*msg) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl, .msg_controllen = sizeof(ctl),
	};
	struct cmsghdr *c;
	int fd = -1;

	if (!use_sock) {
		if (read(to_cons[0], msg, sizeof(*msg)) != sizeof(*msg) ||
		    msg->k < 0)
			return -1;
		fd = syscall(SYS_pidfd_getfd, prod_pidfd, msg->fd, 0);
		if (fd < 0)
			die("pidfd_getfd");
		return fd;
	}
	if (recvmsg(to_cons[0], &mh, MSG_CMSG_CLOEXEC) != sizeof(*msg) ||
	    msg->k < 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/*
 * The consumer: once it holds the dma-buf and, for a fenced hand-over, the
 * fence has signalled, it could read the frame. It notes when, and gives
 * the buffer back.
 */
static void consumer(double *ready)
{
	struct msg msg;
	char ack = 1;
	int fd;

	if (!use_sock) {
		prod_pidfd = syscall(SYS_pidfd_open, getppid(), 0);
		if (prod_pidfd < 0)
			die("pidfd_open");
	}
	while ((fd = recv_frame(&msg)) >= 0) {
		double t = now_ms();

		if (msg.mode == P_FENCED) {
			wait_fd(fd, "the dma-buf (consumer)");
			t = now_ms();
		} else if (msg.mode == P_HOP) {
			t -= msg.t_send;
		}
		ready[msg.k] = t;
		close(fd);
		if (write(to_prod[1], &ack, 1) != 1)
			die("consumer: write");
	}
	_exit(0);
}

static void wait_ack(void)
{
	char ack;

	if (read(to_prod[0], &ack, 1) != 1)
		fail("the consumer process went away");
}

static void bench_pipe(void)
{
	static const char *const names[] = {
		"pipe.fenced", "pipe.classic", "pipe.hop",
	};
	int i, k, total = warmup + samples * P_N * nmodes;
	struct series lat[2][P_N] = {};
	struct msg end = { .k = -1 };
	const char *how;
	struct sample *w;
	double *ready;
	struct m2m dev;
	pid_t pid;

	w = calloc(total, sizeof(*w));
	ready = mmap(NULL, total * sizeof(*ready), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (!w || ready == MAP_FAILED)
		die("memory");
	/* the consumer gets nothing of the device but the dma-bufs */
	how = chan_open();
	pid = fork();
	if (pid < 0)
		die("fork");
	if (!pid)
		consumer(ready);
	m2m_open(&dev, 4, 0);
	events_start(dev.cap);
	printf("pipe: %d samples a hand-over and setting, interleaved, job %d ms, by %s\n",
	       samples, job_ms, how);
	for (k = 0; k < total; k++) {
		unsigned int b = k % dev.nbuf;
		struct msg msg = { .k = k, .mode = k % P_N };

		set_mode(mode_of(k));
		w[k].slot = slot(mode_of(k));
		w[k].method = msg.mode;
		idle_gap();
		w[k].start = now_ms();
		switch (msg.mode) {
		case P_FENCED:
			/* handed over at QBUF: the fence says when to read */
			qbuf(&dev, dev.cap, b);
			qbuf(&dev, dev.out, b);
			send_frame(&msg, dev.dmabuf[b][0]);
			wait_ack();
			finish_job(&dev);
			break;
		case P_CLASSIC:
			/* the producer waits, DQBUFs, then hands over */
			qbuf(&dev, dev.cap, b);
			qbuf(&dev, dev.out, b);
			wait_fd(dev.fd, "the video fd");
			dqbuf(&dev, dev.cap);
			send_frame(&msg, dev.dmabuf[b][0]);
			dqbuf(&dev, dev.out);
			wait_ack();
			break;
		default:
			/*
			 * One process hop alone, as the classic hand-over
			 * makes it: right after the producer woke.
			 */
			qbuf(&dev, dev.cap, b);
			qbuf(&dev, dev.out, b);
			wait_fd(dev.fd, "the video fd");
			msg.t_send = now_ms();
			send_frame(&msg, dev.dmabuf[b][0]);
			wait_ack();
			dqbuf(&dev, dev.cap);
			dqbuf(&dev, dev.out);
			break;
		}
		w[k].end = now_ms();
	}
	collect_done(w, total);
	events_stop();
	send_frame(&end, -1);
	waitpid(pid, NULL, 0);
	m2m_close(&dev);
	for (i = warmup; i < total; i++) {
		if (w[i].method == P_HOP)
			add(&lat[w[i].slot][P_HOP], ready[i]);
		else if (!isnan(w[i].done))
			add(&lat[w[i].slot][w[i].method], ready[i] - w[i].done);
	}
	printf("  us from vb2_buf_done (CAPTURE) to the consumer process ready (hop: from the send after the producer woke, to receipt)\n");
	for (i = 0; i < P_N; i++) {
		struct series per_mode[2] = { lat[0][i], lat[1][i] };

		report_modes(names[i], per_mode, 1e3, "us");
	}
	free(w);
	munmap(ready, total * sizeof(*ready));
}

/* ---- scale: many contexts and buffers ---- */

/* Counts the fences listed for each dma-buf in debugfs. */
static int count_fences(int *objects, int *min, int *max, int *pending)
{
	char line[512];
	int n = -1, total = 0, cur = 0;
	FILE *f = fopen(BUFINFO, "r");

	*objects = *max = *pending = 0;
	*min = 1 << 30;
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (isdigit((unsigned char)line[0])) {
			if (n >= 0) {
				*min = cur < *min ? cur : *min;
				*max = cur > *max ? cur : *max;
			}
			n++;
			cur = 0;
		} else if (line[0] == '\t' && strstr(line, " fence:")) {
			cur++;
			total++;
			if (strstr(line, "unsignalled"))
				(*pending)++;
		}
	}
	fclose(f);
	if (n >= 0) {
		*min = cur < *min ? cur : *min;
		*max = cur > *max ? cur : *max;
	}
	*objects = n + 1;
	if (!*objects)
		*min = 0;
	return total;
}

/* what the dma_resv of the exported CAPTURE planes hold at the end */
struct fence_count {
	int objects, min, max, pending, total;
};

/* One run: frames/s with everything in flight from the start. */
static double scale_run(int nctx, int nbuf, double seconds,
			struct fence_count *fc, unsigned int *planes,
			const char **api)
{
	struct pollfd p[MAX_CTX];
	long long frames = 0;
	double t0, t1;
	struct m2m *m;
	int c, i;

	m = calloc(nctx, sizeof(*m));
	if (!m)
		die("calloc");
	for (c = 0; c < nctx; c++) {
		m2m_open(&m[c], nbuf, O_NONBLOCK);
		p[c] = (struct pollfd){ .fd = m[c].fd, .events = POLLIN };
	}
	/* the device never starves: every buffer is queued */
	for (c = 0; c < nctx; c++)
		for (i = 0; i < nbuf; i++) {
			qbuf(&m[c], m[c].cap, i);
			qbuf(&m[c], m[c].out, i);
		}
	t0 = now_ms();
	t1 = t0;
	while (t1 - t0 < seconds * 1e3) {
		if (poll(p, nctx, 5000) < 1)
			fail("scale: no frame within 5 s");
		for (c = 0; c < nctx; c++) {
			if (!p[c].revents)
				continue;
			while ((i = dqbuf(&m[c], m[c].cap)) >= 0) {
				qbuf(&m[c], m[c].cap, i);
				frames++;
			}
			while ((i = dqbuf(&m[c], m[c].out)) >= 0)
				qbuf(&m[c], m[c].out, i);
		}
		t1 = now_ms();
	}
	fc->total = count_fences(&fc->objects, &fc->min, &fc->max,
				 &fc->pending);
	*planes = m[0].planes;
	*api = V4L2_TYPE_IS_MULTIPLANAR(m[0].cap) ? "-mplane" : "";
	for (c = 0; c < nctx; c++)
		m2m_close(&m[c]);
	free(m);
	return frames * 1e3 / (t1 - t0);
}

/*
 * Runs @reps times a setting, in the order off on on off off on ..., so
 * that a drift of the host's speed hits both alike.
 */
static void bench_scale(int nctx, int nbuf, double seconds)
{
	struct fence_count fc[2], all[2];
	struct series fps[2] = {};
	unsigned int planes = 1;
	const char *api = "";
	char metric[64];
	int r, i, m;

	if (nctx < 1 || nctx > MAX_CTX || nbuf < 1 || nbuf > MAX_BUF)
		fail("scale: 1..64 contexts and 1..64 buffers");
	memset(all, 0, sizeof(all));
	all[0].min = all[1].min = 1 << 30;
	for (r = 0; r < reps; r++) {
		for (i = 0; i < nmodes; i++) {
			int mode = nmodes == 1 ? first_mode :
				   r % 2 ? 1 - i : i;
			struct fence_count *a = &all[slot(mode)];

			set_mode(mode);
			add(&fps[slot(mode)], scale_run(nctx, nbuf, seconds,
							&fc[0], &planes, &api));
			if (fc[0].total < 0)
				continue;
			a->objects += fc[0].objects;
			a->total += fc[0].total;
			a->pending += fc[0].pending;
			a->min = fc[0].min < a->min ? fc[0].min : a->min;
			a->max = fc[0].max > a->max ? fc[0].max : a->max;
		}
	}
	printf("scale: %d contexts x %d buffers, %u plane(s)%s, job %d ms, %d runs of %.1f s a setting\n",
	       nctx, nbuf, planes, api, job_ms, reps, seconds);
	for (m = 0; m < nmodes; m++) {
		int mode = nmodes == 1 ? first_mode : m;
		struct fence_count *a = &all[m];

		qsort(fps[m].v, fps[m].n, sizeof(double), cmp_double);
		snprintf(metric, sizeof(metric), "scale.c%d.b%d.p%u%s.fps",
			 nctx, nbuf, planes, api);
		printf("  release_fences=%s: median %.1f frames/s (min %.1f, max %.1f)\n",
		       mode_name(mode), quantile(&fps[m], 0.5), fps[m].v[0],
		       fps[m].v[fps[m].n - 1]);
		/* lo and hi are min and max here */
		report_line(metric, mode, fps[m].n, quantile(&fps[m], 0.5),
			    fps[m].v[0], fps[m].v[fps[m].n - 1], "fps");
		if (!a->objects) {
			printf("  no %s: fences per dma_resv unknown\n",
			       BUFINFO);
			continue;
		}
		printf("  release_fences=%s: fences in each dma_resv at the end: min %d, max %d, mean %.2f (%d dma-bufs, %d fences unsignalled)\n",
		       mode_name(mode), a->min, a->max,
		       (double)a->total / a->objects, a->objects, a->pending);
		snprintf(metric, sizeof(metric),
			 "scale.c%d.b%d.p%u%s.fences_per_resv", nctx, nbuf,
			 planes, api);
		report_line(metric, mode, a->objects,
			    (double)a->total / a->objects, a->min, a->max,
			    "fences");
	}
}

/* ---- calib: how much slower is this machine than another? ---- */

/*
 * Under QEMU TCG kernel code runs many times slower than on hardware. The
 * same static binary run here and on the host gives two scale factors: a
 * null system call, and a loop of dependent integer operations.
 */
static void bench_calib(void)
{
	struct series sys = {}, loop = {};
	/* the loop's result must be kept, or the compiler drops the loop */
	volatile unsigned long long sink;
	int i, j;

	printf("calib: 50 batches of 2000 getppid() and of 200000 loop steps\n");
	for (i = 0; i < 50; i++) {
		unsigned long long x = i;
		double t0 = now_ms();

		for (j = 0; j < 2000; j++)
			syscall(SYS_getppid);
		add(&sys, (now_ms() - t0) * 1e6 / 2000);
		t0 = now_ms();
		for (j = 0; j < 200000; j++)
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		sink = x;
		add(&loop, (now_ms() - t0) * 1e6 / 200000);
	}
	(void)sink;
	report("calib.syscall", -1, &sys, 1, "ns");
	report("calib.loop_step", -1, &loop, 1, "ns");
}

static void usage(void)
{
	printf("Usage: fence-bench [options] cycle|fgraph|wake|pipe|calib\n"
	       "       fence-bench [options] scale CONTEXTS BUFFERS SECONDS\n"
	       "  -d dev   vim2m node (default: the first one)\n"
	       "  -n N     samples a setting (default 300; wake and pipe: N a\n"
	       "           method and setting)\n"
	       "  -w N     warm-up samples, not counted (default 24)\n"
	       "  -r N     scale: runs a setting (default 3)\n"
	       "  -t ms    vim2m job time (default 1; HZ rounds it up)\n"
	       "  -g us    idle gap before each cycle, so that the previous\n"
	       "           job's completion is over (default 1000)\n"
	       "  -s WxH   frame size (default 32x32, RGB565)\n"
	       "  -1       only the current release_fences setting; by default\n"
	       "           fence-bench alternates vim2m's release_fences 0/1\n"
	       "Needs root; wake, pipe and fgraph need tracefs, scale reads\n"
	       "debugfs dma_buf/bufinfo. fgraph leaves the function_graph\n"
	       "tracer selected (tracing off).\n");
}

int main(int argc, char **argv)
{
	static char vim2m_path[PATH_MAX];
	int opt, orig;
	const char *cmd;

	while ((opt = getopt(argc, argv, "d:n:w:r:t:g:s:1h")) != -1) {
		switch (opt) {
		case 'd':
			dev_path = optarg;
			break;
		case 'n':
			samples = atoi(optarg);
			break;
		case 'w':
			warmup = atoi(optarg);
			break;
		case 'r':
			reps = atoi(optarg);
			break;
		case 't':
			job_ms = atoi(optarg);
			break;
		case 'g':
			gap_us = atoi(optarg);
			break;
		case 's':
			if (sscanf(optarg, "%dx%d", &width, &height) != 2)
				fail("-s wants WxH");
			break;
		case '1':
			single = 1;
			break;
		case 'h':
			usage();
			return 0;
		default:
			usage();
			return 2;
		}
	}
	if (optind >= argc) {
		usage();
		return 2;
	}
	if (samples < 1 || reps < 1 || job_ms < 1 || warmup < 0 || gap_us < 0)
		fail("-n, -r and -t need positive numbers, -w and -g non-negative");
	setvbuf(stdout, NULL, _IOLBF, 0);
	cmd = argv[optind];
	/* needs no device: for comparing this machine with another */
	if (!strcmp(cmd, "calib")) {
		bench_calib();
		return 0;
	}
	if (!dev_path) {
		if (find_vim2m(vim2m_path, sizeof(vim2m_path), NULL))
			fail("no vim2m device found: modprobe vim2m");
		dev_path = vim2m_path;
	}
	orig = read_param();
	modes_init();
	/* a consumer process that died must not kill the producer */
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(cmd, "cycle"))
		bench_cycle();
	else if (!strcmp(cmd, "fgraph"))
		bench_fgraph();
	else if (!strcmp(cmd, "wake"))
		bench_wake();
	else if (!strcmp(cmd, "pipe"))
		bench_pipe();
	else if (!strcmp(cmd, "scale") && argc - optind == 4)
		bench_scale(atoi(argv[optind + 1]), atoi(argv[optind + 2]),
			    atof(argv[optind + 3]));
	else {
		usage();
		return 2;
	}
	if (orig >= 0)
		set_mode(orig);
	return 0;
}
