// SPDX-License-Identifier: GPL-2.0
/*
 * wait-demo: does a V4L2 mem2mem device wait for the producer of its input?
 *
 * Plays a GPU-like producer of vim2m's OUTPUT buffer: for each frame it puts
 * a sw_sync fence into the buffer's dma-buf as a writer
 * (DMA_BUF_IOCTL_IMPORT_SYNC_FILE, DMA_BUF_SYNC_WRITE), queues the CAPTURE
 * and the OUTPUT buffer at once, and from another thread "renders" the
 * frame (fills the buffer with the frame's byte) N ms later and only then
 * signals the fence, as a GPU driver signals its job's fence when the job
 * is done. Then it looks at when the vim2m job started (the signal time of
 * the job's write fence on the CAPTURE buffer minus the job time) and at
 * what it copied: the frame the producer rendered, or the stale one before.
 *
 * vim2m's wait_fences parameter is read when a file handle is opened, so
 * two file handles show both behaviours in one run: one opened with it
 * off (what every V4L2 driver did until now), one with it on. The
 * parameter is put back as it was.
 *
 * Usage: wait-demo [-d /dev/videoN] [-r rounds] [-t job_ms] [DELAY_MS...]
 * Default delays: 0 20 50 100 200; 3 rounds each, the median shown.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/dma-buf.h>
#include <linux/videodev2.h>

#include "v4l2-m2m-util.h"

#define SIZE		64
#define MAX_DELAYS	16
#define MAX_ROUNDS	15

struct ctx {
	int fd;
	__u32 out_type, cap_type, size;
	int out_buf, cap_buf;
	unsigned char *out_map, *cap_map;
};

struct producer {
	struct ctx *c;
	int timeline;
	unsigned int delay_ms;
	unsigned char byte;
};

/* vim2m's wait_fences as it was before the demo, put back at exit */
static char waits_before;

static void restore_waits(void)
{
	if (waits_before && vim2m_set_waits_param(waits_before))
		fprintf(stderr, "wait-demo: could not put %s back to %c\n",
			VIM2M_WAITS_PARAM, waits_before);
}

static void die(const char *what, int err)
{
	fprintf(stderr, "wait-demo: %s: %s\n", what, strerror(err < 0 ? -err : err));
	exit(1);
}

/* CPU access to a dma-buf, bracketed as the dma-buf rules want */
static void cpu_access(int dmabuf, bool end, __u64 rw)
{
	struct dma_buf_sync s = {
		.flags = rw | (end ? DMA_BUF_SYNC_END : DMA_BUF_SYNC_START),
	};

	xioctl(dmabuf, DMA_BUF_IOCTL_SYNC, &s);
}

static unsigned char *map(int dmabuf, size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf, 0);

	if (p == MAP_FAILED)
		die("mmap of a dma-buf", errno);
	return p;
}

/* A vim2m file handle with one MMAP buffer on each queue, streaming */
static void ctx_open(struct ctx *c, const char *node, bool mplane,
		     unsigned int job_ms, char waits)
{
	struct v4l2_format f;
	int ret;

	if (vim2m_set_waits_param(waits))
		die("setting vim2m's wait_fences", EIO);
	c->fd = open(node, O_RDWR | O_CLOEXEC);
	if (c->fd < 0)
		die(node, errno);
	c->out_type = m2m_buf_type(mplane, false);
	c->cap_type = m2m_buf_type(mplane, true);
	/* RGB565 in and out, no flip: vim2m copies the bytes as they are */
	ret = v4l2_set_fmt(c->fd, c->out_type, V4L2_PIX_FMT_RGB565, SIZE,
			   SIZE, &f);
	if (!ret)
		ret = v4l2_set_fmt(c->fd, c->cap_type, V4L2_PIX_FMT_RGB565,
				   SIZE, SIZE, &f);
	if (ret)
		die("VIDIOC_S_FMT", ret);
	c->size = v4l2_sizeimage(&f);
	if (v4l2_reqbufs(c->fd, c->out_type, 1) != 1 ||
	    v4l2_reqbufs(c->fd, c->cap_type, 1) != 1)
		die("VIDIOC_REQBUFS", errno);
	ret = vim2m_set_job_ms(c->fd, job_ms);
	if (ret)
		die("setting vim2m's job time", ret);
	c->out_buf = v4l2_expbuf(c->fd, c->out_type, 0, 0, O_RDWR | O_CLOEXEC);
	c->cap_buf = v4l2_expbuf(c->fd, c->cap_type, 0, 0, O_RDWR | O_CLOEXEC);
	if (c->out_buf < 0 || c->cap_buf < 0)
		die("VIDIOC_EXPBUF", c->out_buf < 0 ? c->out_buf : c->cap_buf);
	c->out_map = map(c->out_buf, c->size);
	c->cap_map = map(c->cap_buf, c->size);
	if (v4l2_streamon(c->fd, c->out_type) || v4l2_streamon(c->fd, c->cap_type))
		die("VIDIOC_STREAMON", errno);
}

static void ctx_close(struct ctx *c)
{
	munmap(c->out_map, c->size);
	munmap(c->cap_map, c->size);
	close(c->out_buf);
	close(c->cap_buf);
	close(c->fd);
}

static void *produce(void *arg)
{
	struct producer *p = arg;
	__u32 one = 1;

	usleep(p->delay_ms * 1000);
	/*
	 * Not bracketed with DMA_BUF_IOCTL_SYNC: its start waits for the
	 * fences in the dma-buf, this producer's own among them. A GPU
	 * writes through its own mapping, without that ioctl, too.
	 */
	memset(p->c->out_map, p->byte, p->c->size);
	if (xioctl(p->timeline, SW_SYNC_IOC_INC, &one))
		die("SW_SYNC_IOC_INC", errno);
	return NULL;
}

/* Waits for a buffer of @type, polling: the fd blocks, but bounded */
static void dqbuf(struct ctx *c, __u32 type)
{
	short events = type == c->cap_type ? POLLIN : POLLOUT;
	int ret;

	ret = poll_fd(c->fd, events, 10000);
	if (ret <= 0 || !(ret & events))
		die("no buffer came back within 10 s", ret < 0 ? ret : ETIMEDOUT);
	ret = v4l2_dqbuf(c->fd, type, NULL);
	if (ret < 0)
		die("VIDIOC_DQBUF", ret);
}

/*
 * One frame: the producer's fence in the OUTPUT buffer, both buffers
 * queued, the frame rendered @delay_ms later. Returns when the job started,
 * in ms after the QBUF that committed it (NAN if the job's fence had
 * signalled before it could be looked at: then only the kernel's stub
 * fence is there to see), and in *fresh whether it copied the rendered
 * frame; *qbuf_ms is how long the QBUFs took.
 */
static double frame(struct ctx *c, unsigned int delay_ms, unsigned int job_ms,
		    unsigned char byte, bool *fresh, double *qbuf_ms)
{
	struct sw_sync_create_fence_data data = { .value = 1 };
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_WRITE };
	struct producer p = { .c = c, .delay_ms = delay_ms, .byte = byte };
	struct sync_fence_info info;
	pthread_t thread;
	bool pending;
	long long t_q;
	__s32 status;
	int sync_fd, ret;
	__u32 i;

	p.timeline = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	if (p.timeline < 0)
		die(SW_SYNC_PATH " (CONFIG_SW_SYNC, debugfs)", errno);
	snprintf(data.name, sizeof(data.name), "gpu-like");
	ret = xioctl(p.timeline, SW_SYNC_IOC_CREATE_FENCE, &data);
	if (ret)
		die("SW_SYNC_IOC_CREATE_FENCE", ret);
	imp.fd = data.fence;
	ret = xioctl(c->out_buf, DMA_BUF_IOCTL_IMPORT_SYNC_FILE, &imp);
	if (ret)
		die("DMA_BUF_IOCTL_IMPORT_SYNC_FILE", ret);
	close(data.fence);

	if (pthread_create(&thread, NULL, produce, &p))
		die("pthread_create", EAGAIN);
	ret = v4l2_qbuf(c->fd, c->cap_type, 0, 0);
	t_q = now_ns();
	if (!ret)
		ret = v4l2_qbuf(c->fd, c->out_type, 0, c->size);
	if (ret)
		die("VIDIOC_QBUF", ret);
	*qbuf_ms = (now_ns() - t_q) / 1e6;
	/* the job's write fence, published by the QBUF that committed it */
	sync_fd = dmabuf_export_sync_file(c->cap_buf, DMA_BUF_SYNC_READ);
	if (sync_fd < 0)
		die("DMA_BUF_IOCTL_EXPORT_SYNC_FILE", sync_fd);
	pending = sync_file_info(sync_fd, &status, &info, 1) == 1 &&
		  status == 0 && !strcmp(info.driver_name, "videobuf2");
	dqbuf(c, c->cap_type);
	dqbuf(c, c->out_type);
	pthread_join(thread, NULL);
	close(p.timeline);

	if (sync_file_info(sync_fd, &status, &info, 1) != 1 || status != 1)
		die("the write fence of the job did not signal once", EPROTO);
	close(sync_fd);
	cpu_access(c->cap_buf, false, DMA_BUF_SYNC_READ);
	*fresh = true;
	for (i = 0; i < c->size; i++)
		if (c->cap_map[i] != byte)
			*fresh = false;
	cpu_access(c->cap_buf, true, DMA_BUF_SYNC_READ);
	if (!pending)
		return NAN;
	return ((long long)info.timestamp_ns - t_q) / 1e6 - job_ms;
}

/* NAN sorts last */
static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	if (isnan(x) || isnan(y))
		return isnan(x) - isnan(y);
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	unsigned int delays[MAX_DELAYS] = { 0, 20, 50, 100, 200 };
	unsigned int ndelays = 5, rounds = 3, job_ms = 10, d, w, r;
	char node[PATH_MAX] = "", old;
	unsigned char byte = 0;
	struct ctx ctx[2];
	bool mplane;
	int opt;

	while ((opt = getopt(argc, argv, "d:r:t:")) != -1) {
		switch (opt) {
		case 'd':
			snprintf(node, sizeof(node), "%s", optarg);
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 't':
			job_ms = atoi(optarg);
			break;
		default:
			fprintf(stderr, "usage: wait-demo [-d /dev/videoN] [-r rounds] [-t job_ms] [DELAY_MS...]\n");
			return 2;
		}
	}
	if (!rounds || rounds > MAX_ROUNDS) {
		fprintf(stderr, "wait-demo: rounds must be 1 to %d\n", MAX_ROUNDS);
		return 2;
	}
	if (optind < argc) {
		for (ndelays = 0; optind < argc && ndelays < MAX_DELAYS; optind++)
			delays[ndelays++] = atoi(argv[optind]);
	}
	if (!*node && find_vim2m(node, sizeof(node), &mplane))
		die("no vim2m video node (modprobe vim2m)", ENODEV);
	if (*node) {
		struct v4l2_capability cap;
		int fd = open(node, O_RDWR | O_CLOEXEC);

		if (fd < 0 || m2m_querycap(fd, &cap, &mplane))
			die(node, errno);
		close(fd);
	}
	old = vim2m_waits_param();
	if (!old) {
		printf("vim2m has no wait_fences parameter (a kernel without fence waits)\n");
		return 0;
	}
	waits_before = old;
	atexit(restore_waits);
	ctx_open(&ctx[0], node, mplane, job_ms, 'N');
	ctx_open(&ctx[1], node, mplane, job_ms, 'Y');
	restore_waits();
	waits_before = 0;

	printf("producer's fence   waits off (as before)        waits on (this series)\n");
	printf("released after     job start  frames     QBUF   job start  frames     QBUF\n");
	printf("QBUF + N ms        (median)   fresh      (max)  (median)   fresh      (max)\n");
	for (d = 0; d < ndelays; d++) {
		printf("  N = %4u     ", delays[d]);
		for (w = 0; w < 2; w++) {
			double start[MAX_ROUNDS], qbuf_ms[MAX_ROUNDS];
			unsigned int fresh = 0, seen = 0;

			for (r = 0; r < rounds; r++) {
				bool ok;

				start[r] = frame(&ctx[w], delays[d], job_ms,
						 ++byte, &ok, &qbuf_ms[r]);
				fresh += ok;
				seen += !isnan(start[r]);
			}
			/* the median of the rounds whose fence could be seen */
			qsort(start, rounds, sizeof(start[0]), cmp_double);
			qsort(qbuf_ms, rounds, sizeof(qbuf_ms[0]), cmp_double);
			printf("   %6.1f ms  %2u/%-2u %-5s %5.1f ms",
			       seen ? start[(seen - 1) / 2] : NAN,
			       fresh, rounds, fresh == rounds ? "" : "STALE",
			       qbuf_ms[rounds - 1]);
		}
		printf("\n");
	}
	printf("(job start: when the job's write fence signalled, minus the %u ms job,\n"
	       " whose timer runs in jiffies: a few ms late; fresh: the job copied the\n"
	       " frame the producer rendered before its fence signalled)\n",
	       job_ms);
	ctx_close(&ctx[0]);
	ctx_close(&ctx[1]);
	return 0;
}
