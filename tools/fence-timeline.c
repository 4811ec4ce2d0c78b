// SPDX-License-Identifier: GPL-2.0
/*
 * fence-timeline: does a V4L2 mem2mem device put real release fences on the
 * buffers it writes?
 *
 * Plays producer and consumer on one mem2mem device (vim2m by default): for
 * each frame it queues a CAPTURE and an OUTPUT buffer, then does what a
 * consumer handed the CAPTURE buffer's dma-buf at that moment would do:
 * DMA_BUF_IOCTL_EXPORT_SYNC_FILE, and poll(POLLIN) on the dma-buf. It prints
 * when each step happened, relative to the QBUF that committed the job:
 *
 *   real fence:  the sync_file is pending at commit, the consumer wakes when
 *                the device is done, just before DQBUF;
 *   stub fence:  the sync_file is signalled at once and the consumer wakes
 *                immediately, while the device is still writing.
 *
 * With -o it also writes a CSV with one line per frame for
 * tools/plot-timeline.sh. Besides the userspace steps it holds the kernel's
 * view, read from tracefs with the trace clock set to CLOCK_MONOTONIC: when
 * the fence was created (dma_fence_init) and published
 * (vb2_buffer_publish_release_fence), when the job started (vim2m's
 * device_run), completed (vb2_buf_done) and the fence signalled
 * (dma_fence_signaled). Fields the kernel cannot give are left empty.
 *
 * Usage: fence-timeline [-d /dev/videoN] [-n frames] [-t job_ms] [-q]
 *                       [-o file.csv]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "v4l2-m2m-util.h"
#include "fence-tools.h"

#define NBUF 2

static int video_fd;
static unsigned int cap_type, out_type;
static int quiet;

static void die(const char *what)
{
	fprintf(stderr, "fence-timeline: %s: %s\n", what, strerror(errno));
	exit(2);
}

static void fail(const char *msg)
{
	fprintf(stderr, "fence-timeline: %s\n", msg);
	exit(2);
}

static void setup_queue(unsigned int type)
{
	int ret = v4l2_reqbufs(video_fd, type, NBUF);

	if (ret < 0)
		die("VIDIOC_REQBUFS");
	if (ret < NBUF)
		fail("the driver gave fewer buffers than asked");
}

static int export_plane(unsigned int type, unsigned int index)
{
	int fd = v4l2_expbuf(video_fd, type, index, 0, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		die("VIDIOC_EXPBUF (does the driver support dma-buf export?)");
	return fd;
}

/* OUTPUT buffers go in full: bytesused is their length */
static void queue(unsigned int type, unsigned int index)
{
	__u32 len = 0;

	if (V4L2_TYPE_IS_OUTPUT(type) &&
	    v4l2_querybuf(video_fd, type, index, &len, NULL))
		die("VIDIOC_QUERYBUF");
	if (v4l2_qbuf(video_fd, type, index, len))
		die("VIDIOC_QBUF");
}

static void dequeue(unsigned int type)
{
	if (v4l2_dqbuf(video_fd, type, NULL) < 0)
		die("VIDIOC_DQBUF");
}

/* Status of the WRITE fences in a dma-buf: 1 signalled, 0 pending, <0 error */
static int export_fence(int dmabuf, int *sync_fd)
{
	__s32 status;

	*sync_fd = dmabuf_export_sync_file(dmabuf, DMA_BUF_SYNC_READ);
	if (*sync_fd < 0)
		die("DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
	if (sync_file_info(*sync_fd, &status, NULL, 0) < 0)
		die("SYNC_IOC_FILE_INFO");
	return status;
}

/* One frame as seen from userspace and, with -o, from the kernel. */
struct frame {
	int buf, status;
	/* CLOCK_MONOTONIC ms; the frame's events happen inside [start, end] */
	double start, end;
	double qbuf_cap, qbuf_out, qbuf_ret, sync_woke, dmabuf_woke, dqbuf;
	/* from tracefs, NAN if not seen */
	double created, published, job_start, job_done, signalled;
};

/*
 * Kernel side of the timeline. Tracefs events and the function tracer,
 * filtered to the few functions of interest: tracing every function would
 * slow the guest down by orders of magnitude.
 */

static void read_line(const char *file, char *buf, size_t size)
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

/*
 * Stops recording and the events, but leaves the function tracer selected:
 * on 7.3.4 x86 (seen in QEMU) selecting it again after "nop" reuses a freed
 * ftrace trampoline and the next traced call jumps to address 0. Its filter
 * stays as set, so only the two functions below pay for it.
 */
static void trace_stop(void)
{
	tr_write("tracing_on", "0", 0);
	tr_write("events/dma_fence/dma_fence_init/enable", "0", 0);
	tr_write("events/dma_fence/dma_fence_signaled/enable", "0", 0);
	tr_write("events/vb2/vb2_buf_done/enable", "0", 0);
	tr_write("events/dma_fence/dma_fence_init/filter", "0", 0);
	tr_write("events/dma_fence/dma_fence_signaled/filter", "0", 0);
	tr_write("events/vb2/vb2_buf_done/filter", "0", 0);
	tr_write("trace_clock", "local", 0);
}

/* Returns 0 if tracing runs, with the trace clock matching now_ms(). */
static int trace_start(int is_vim2m)
{
	static const char fence_filter[] = "driver == \"videobuf2\"";
	char done_filter[32], tracer[32];
	int funcs = 0;

	if (find_tracefs())
		return -1;
	trace_stop();
	if (tr_write("trace_clock", "mono", 0))
		return -1;
	tr_write("trace", "", 0);	/* empties the buffer */
	read_line("current_tracer", tracer, sizeof(tracer));
	/*
	 * Only append to the filter: emptied while the function tracer runs,
	 * it would trace every function. A name that matches nothing fails
	 * and leaves the filter as it was.
	 */
	if (!strcmp(tracer, "nop") || !strcmp(tracer, "function")) {
		/*
		 * A built-in function never called here: unloading the
		 * modules must not leave the filter empty either.
		 */
		tr_write("set_ftrace_filter", "dma_resv_describe\n", 1);
		if (is_vim2m && !tr_write("set_ftrace_filter",
					  "device_run:mod:vim2m\n", 1))
			funcs++;
		if (!tr_write("set_ftrace_filter",
			      "vb2_buffer_publish_release_fence\n", 1))
			funcs++;
	}
	if (funcs && strcmp(tracer, "function"))
		tr_write("current_tracer", "function", 0);
	tr_write("events/dma_fence/dma_fence_init/filter", fence_filter, 0);
	tr_write("events/dma_fence/dma_fence_signaled/filter", fence_filter, 0);
	snprintf(done_filter, sizeof(done_filter), "type == %u", cap_type);
	tr_write("events/vb2/vb2_buf_done/filter", done_filter, 0);
	tr_write("events/dma_fence/dma_fence_init/enable", "1", 0);
	tr_write("events/dma_fence/dma_fence_signaled/enable", "1", 0);
	tr_write("events/vb2/vb2_buf_done/enable", "1", 0);
	return tr_write("tracing_on", "1", 0);
}

static int starts_with_word(const char *s, const char *word)
{
	size_t n = strlen(word);

	return !strncmp(s, word, n) &&
	       (s[n] == ' ' || s[n] == ':' || s[n] == '\0' || s[n] == '\n');
}

static void set_once(double *field, double t)
{
	if (isnan(*field))
		*field = t;
}

/* Puts each traced event into the frame whose time window holds it. */
static int trace_collect(struct frame *fr, int frames)
{
	char path[64], line[512], *what;
	int i = 0, events = 0;
	FILE *f;
	double t;

	tr_write("tracing_on", "0", 0);
	snprintf(path, sizeof(path), "%s/trace", tracefs);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		t = trace_line_time(line, &what);
		if (isnan(t))
			continue;
		while (i < frames && t > fr[i].end)
			i++;
		if (i == frames)
			break;
		if (t < fr[i].start)
			continue;
		events++;
		if (starts_with_word(what, "device_run"))
			set_once(&fr[i].job_start, t);
		else if (starts_with_word(what,
					  "vb2_buffer_publish_release_fence"))
			set_once(&fr[i].published, t);
		else if (starts_with_word(what, "dma_fence_init"))
			set_once(&fr[i].created, t);
		else if (starts_with_word(what, "dma_fence_signaled"))
			set_once(&fr[i].signalled, t);
		else if (starts_with_word(what, "vb2_buf_done"))
			set_once(&fr[i].job_done, t);
		else
			events--;
	}
	fclose(f);
	return events;
}

/* vim2m's opt-in as its module parameter says: "0", "1" or "?" */
static const char *release_fences_param(void)
{
	char v = '?';
	FILE *f = fopen("/sys/module/vim2m/parameters/release_fences", "r");

	if (f) {
		if (fscanf(f, " %c", &v) != 1)
			v = '?';
		fclose(f);
	}
	return v == 'Y' || v == '1' ? "1" : v == 'N' || v == '0' ? "0" : "?";
}

static void csv_time(FILE *f, double t, double origin)
{
	if (isnan(t))
		fputs(",", f);
	else
		fprintf(f, ",%.3f", t - origin);
}

/* Times in ms after the start of the QBUF that committed the frame's job. */
static void write_csv(const char *path, const struct frame *fr, int frames,
		      const char *dev, const char *driver, int job_ms,
		      int kernel_events)
{
	FILE *f = fopen(path, "w");
	int i;

	if (!f)
		die(path);
	fprintf(f, "# fence-timeline dev=%s driver=%s job_ms=%d release_fences=%s kernel_trace=%s\n",
		dev, driver, job_ms,
		strcmp(driver, "vim2m") ? "?" : release_fences_param(),
		kernel_events > 0 ? "yes" : "no");
	fprintf(f, "frame,buf,fence_at_commit,qbuf_cap,qbuf_out,qbuf_out_ret,fence_created,fence_published,job_start,job_done,fence_signalled,sync_file_woke,dmabuf_woke,dqbuf_ret\n");
	for (i = 0; i < frames; i++) {
		const struct frame *r = &fr[i];
		double o = r->qbuf_out;

		fprintf(f, "%d,%d,%s", i, r->buf,
			r->status == 0 ? "pending" :
			r->status == 1 ? "signalled" : "error");
		csv_time(f, r->qbuf_cap, o);
		csv_time(f, r->qbuf_out, o);
		csv_time(f, r->qbuf_ret, o);
		csv_time(f, r->created, o);
		csv_time(f, r->published, o);
		csv_time(f, r->job_start, o);
		csv_time(f, r->job_done, o);
		csv_time(f, r->signalled, o);
		csv_time(f, r->sync_woke, o);
		csv_time(f, r->dmabuf_woke, o);
		csv_time(f, r->dqbuf, o);
		fputc('\n', f);
	}
	if (fclose(f))
		die(path);
}

static void usage(void)
{
	printf("Usage: fence-timeline [-d /dev/videoN] [-n frames] [-t job_ms] [-q]\n"
	       "                      [-o file.csv]\n"
	       "  -d  a V4L2 mem2mem device with MMAP and VIDIOC_EXPBUF\n"
	       "      (default: the first vim2m node)\n"
	       "  -n  frames to run (default 5)\n"
	       "  -t  vim2m job time in ms (default 100; other drivers: ignored)\n"
	       "  -q  only the summary line\n"
	       "  -o  also write the events of each frame to a CSV file, with\n"
	       "      the kernel's (tracefs, needs root) when available; leaves\n"
	       "      the function tracer selected, with tracing off\n"
	       "Exit status: 0 if every frame's fence was real, 1 if not,\n"
	       "2 on errors.\n");
}

int main(int argc, char **argv)
{
	const char *dev = NULL, *csv = NULL;
	int frames = 5, job_ms = 100, real = 0, early = 0, opt, i, ret;
	int tracing = 0, kernel_events = 0;
	static char vim2m_path[PATH_MAX];
	struct v4l2_capability caps;
	bool mplane;
	int cap_dmabuf[NBUF];
	struct frame *fr;

	if (argc > 1 && !strcmp(argv[1], "--help")) {
		usage();
		return 0;
	}
	while ((opt = getopt(argc, argv, "d:n:t:o:qh")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'n': frames = atoi(optarg); break;
		case 't': job_ms = atoi(optarg); break;
		case 'o': csv = optarg; break;
		case 'q': quiet = 1; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (frames < 1 || job_ms < 1)
		fail("-n and -t need positive numbers");
	if (!dev) {
		if (find_vim2m(vim2m_path, sizeof(vim2m_path), NULL))
			fail("no vim2m device found: modprobe vim2m, or give -d /dev/videoN");
		dev = vim2m_path;
	}
	fr = calloc(frames, sizeof(*fr));
	if (!fr)
		die("calloc");
	video_fd = open(dev, O_RDWR);
	if (video_fd < 0)
		die(dev);
	ret = m2m_querycap(video_fd, &caps, &mplane);
	if (ret == -ENOTTY)
		fail("not a V4L2 device (VIDIOC_QUERYCAP: not supported)");
	if (ret == -ENODEV)
		fail("not a mem2mem device (no V4L2_CAP_VIDEO_M2M)");
	if (ret)
		die("VIDIOC_QUERYCAP");
	cap_type = m2m_buf_type(mplane, true);
	out_type = m2m_buf_type(mplane, false);
	if (!strcmp((char *)caps.driver, "vim2m") &&
	    vim2m_set_job_ms(video_fd, job_ms))
		die("setting vim2m's transaction time");

	setup_queue(out_type);
	setup_queue(cap_type);
	for (i = 0; i < NBUF; i++)
		cap_dmabuf[i] = export_plane(cap_type, i);
	if (v4l2_streamon(video_fd, out_type) ||
	    v4l2_streamon(video_fd, cap_type))
		die("VIDIOC_STREAMON");

	if (csv) {
		tracing = !trace_start(!strcmp((char *)caps.driver, "vim2m"));
		if (!tracing)
			fprintf(stderr, "fence-timeline: no tracefs, the CSV has userspace times only\n");
	}

	if (!quiet)
		printf("%s (%s), job ~%d ms; times in ms after the committing QBUF\n"
		       "frame  fence at commit  sync_file wakes  dma-buf poll wakes  DQBUF returns\n",
		       dev, caps.driver, job_ms);
	for (i = 0; i < frames; i++) {
		struct frame *r = &fr[i];
		int b = i % NBUF, sync_fd;
		struct pollfd p[2];
		double t0, t_sync, t_poll, t_dq;

		r->buf = b;
		r->created = r->published = r->job_start = NAN;
		r->job_done = r->signalled = NAN;
		r->start = now_ms();
		r->qbuf_cap = r->start;
		queue(cap_type, b);
		r->qbuf_out = now_ms();
		queue(out_type, b);	/* commits the job */
		t0 = now_ms();
		r->qbuf_ret = t0;
		r->status = export_fence(cap_dmabuf[b], &sync_fd);

		/*
		 * Wait on both at once, so that neither wake time depends on
		 * the other having come first.
		 */
		p[0] = (struct pollfd){ .fd = sync_fd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = cap_dmabuf[b], .events = POLLIN };
		t_sync = t_poll = -1;
		while (t_sync < 0 || t_poll < 0) {
			double t;

			if (poll(p, 2, 10000) < 1)
				fail(t_sync < 0 ?
				     "the sync_file did not signal within 10 s" :
				     "the dma-buf did not become readable within 10 s");
			t = now_ms();
			if (p[0].revents) {
				t_sync = t - t0;
				p[0].fd = -1;
			}
			if (p[1].revents) {
				t_poll = t - t0;
				p[1].fd = -1;
			}
		}
		close(sync_fd);

		dequeue(cap_type);
		r->dqbuf = now_ms();
		t_dq = r->dqbuf - t0;
		dequeue(out_type);
		r->end = now_ms();
		r->sync_woke = t0 + t_sync;
		r->dmabuf_woke = t0 + t_poll;

		if (r->status == 0)
			real++;
		/*
		 * A consumer woken long before DQBUF could return the buffer
		 * would have read a frame the device was still writing.
		 */
		if (t_dq - t_poll > job_ms / 2.0)
			early++;
		if (!quiet)
			printf("%5d  %-15s  %15.2f  %18.2f  %13.2f\n", i,
			       r->status == 0 ? "pending (real)" :
			       r->status == 1 ? "signalled (stub)" : "error",
			       t_sync, t_poll, t_dq);
	}
	if (csv) {
		if (tracing) {
			kernel_events = trace_collect(fr, frames);
			trace_stop();
		}
		write_csv(csv, fr, frames, dev, (char *)caps.driver, job_ms,
			  kernel_events);
	}
	printf("%s: %d/%d frames had a real release fence; the consumer woke before the frame was done in %d/%d\n",
	       caps.driver, real, frames, early, frames);
	return real == frames && !early ? 0 : 1;
}
