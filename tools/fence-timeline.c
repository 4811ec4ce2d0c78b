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
 * Usage: fence-timeline [-d /dev/videoN] [-n frames] [-t job_ms] [-q]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/videodev2.h>

/* vim2m's private control: how long a job takes */
#define VIM2M_CID_TRANS_TIME_MSEC	(V4L2_CID_USER_BASE + 0x1000)
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

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int xioctl(unsigned long req, void *arg)
{
	int ret;

	do
		ret = ioctl(video_fd, req, arg);
	while (ret < 0 && errno == EINTR);
	return ret;
}

/* Finds the first m2m node whose driver is vim2m. */
static const char *find_vim2m(void)
{
	static char path[32];
	struct v4l2_capability cap;
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(path, sizeof(path), "/dev/video%d", i);
		fd = open(path, O_RDWR);
		if (fd < 0)
			continue;
		if (!ioctl(fd, VIDIOC_QUERYCAP, &cap) &&
		    !strcmp((char *)cap.driver, "vim2m")) {
			close(fd);
			return path;
		}
		close(fd);
	}
	return NULL;
}

static void setup_queue(unsigned int type)
{
	struct v4l2_requestbuffers rb = {
		.count = NBUF, .type = type, .memory = V4L2_MEMORY_MMAP,
	};

	if (xioctl(VIDIOC_REQBUFS, &rb))
		die("VIDIOC_REQBUFS");
	if (rb.count < NBUF)
		fail("the driver gave fewer buffers than asked");
}

static int export_plane(unsigned int type, unsigned int index)
{
	struct v4l2_exportbuffer eb = {
		.type = type, .index = index, .flags = O_RDONLY | O_CLOEXEC,
	};

	if (xioctl(VIDIOC_EXPBUF, &eb))
		die("VIDIOC_EXPBUF (does the driver support dma-buf export?)");
	return eb.fd;
}

static void queue(unsigned int type, unsigned int index)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b = {
		.type = type, .index = index, .memory = V4L2_MEMORY_MMAP,
	};

	if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
		b.m.planes = planes;
		b.length = VIDEO_MAX_PLANES;
	}
	if (xioctl(VIDIOC_QUERYBUF, &b))
		die("VIDIOC_QUERYBUF");
	if (V4L2_TYPE_IS_OUTPUT(type)) {
		if (V4L2_TYPE_IS_MULTIPLANAR(type))
			planes[0].bytesused = planes[0].length;
		else
			b.bytesused = b.length;
	}
	if (xioctl(VIDIOC_QBUF, &b))
		die("VIDIOC_QBUF");
}

static void dequeue(unsigned int type)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES] = {};
	struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_MMAP };

	if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
		b.m.planes = planes;
		b.length = VIDEO_MAX_PLANES;
	}
	if (xioctl(VIDIOC_DQBUF, &b))
		die("VIDIOC_DQBUF");
}

/* Status of the WRITE fences in a dma-buf: 1 signalled, 0 pending, <0 error */
static int export_fence(int dmabuf, int *sync_fd)
{
	struct dma_buf_export_sync_file ex = { .flags = DMA_BUF_SYNC_READ };
	struct sync_file_info info = {};

	if (ioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &ex))
		die("DMA_BUF_IOCTL_EXPORT_SYNC_FILE");
	if (ioctl(ex.fd, SYNC_IOC_FILE_INFO, &info))
		die("SYNC_IOC_FILE_INFO");
	*sync_fd = ex.fd;
	return info.status;
}

static void usage(void)
{
	printf("Usage: fence-timeline [-d /dev/videoN] [-n frames] [-t job_ms] [-q]\n"
	       "  -d  a V4L2 mem2mem device with MMAP and VIDIOC_EXPBUF\n"
	       "      (default: the first vim2m node)\n"
	       "  -n  frames to run (default 5)\n"
	       "  -t  vim2m job time in ms (default 100; other drivers: ignored)\n"
	       "  -q  only the summary line\n"
	       "Exit status: 0 if every frame's fence was real, 1 if not,\n"
	       "2 on errors.\n");
}

int main(int argc, char **argv)
{
	const char *dev = NULL;
	int frames = 5, job_ms = 100, real = 0, early = 0, opt, i;
	struct v4l2_capability caps;
	int cap_dmabuf[NBUF];

	while ((opt = getopt(argc, argv, "d:n:t:qh")) != -1) {
		switch (opt) {
		case 'd': dev = optarg; break;
		case 'n': frames = atoi(optarg); break;
		case 't': job_ms = atoi(optarg); break;
		case 'q': quiet = 1; break;
		case 'h': usage(); return 0;
		default: usage(); return 2;
		}
	}
	if (frames < 1 || job_ms < 1)
		fail("-n and -t need positive numbers");
	if (!dev) {
		dev = find_vim2m();
		if (!dev)
			fail("no vim2m device found: modprobe vim2m, or give -d /dev/videoN");
	}
	video_fd = open(dev, O_RDWR);
	if (video_fd < 0)
		die(dev);
	if (xioctl(VIDIOC_QUERYCAP, &caps))
		die("VIDIOC_QUERYCAP");
	if (caps.device_caps & V4L2_CAP_VIDEO_M2M_MPLANE) {
		cap_type = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
		out_type = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	} else if (caps.device_caps & V4L2_CAP_VIDEO_M2M) {
		cap_type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		out_type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	} else {
		fail("not a mem2mem device (no V4L2_CAP_VIDEO_M2M)");
	}
	if (!strcmp((char *)caps.driver, "vim2m")) {
		struct v4l2_control ctrl = {
			.id = VIM2M_CID_TRANS_TIME_MSEC, .value = job_ms,
		};

		if (xioctl(VIDIOC_S_CTRL, &ctrl))
			die("setting vim2m's transaction time");
	}

	setup_queue(out_type);
	setup_queue(cap_type);
	for (i = 0; i < NBUF; i++)
		cap_dmabuf[i] = export_plane(cap_type, i);
	if (xioctl(VIDIOC_STREAMON, &out_type) ||
	    xioctl(VIDIOC_STREAMON, &cap_type))
		die("VIDIOC_STREAMON");

	if (!quiet)
		printf("%s (%s), job ~%d ms; times in ms after the committing QBUF\n"
		       "frame  fence at commit  sync_file wakes  dma-buf poll wakes  DQBUF returns\n",
		       dev, caps.driver, job_ms);
	for (i = 0; i < frames; i++) {
		int b = i % NBUF, sync_fd, status;
		struct pollfd p;
		double t0, t_sync, t_poll, t_dq;

		queue(cap_type, b);
		queue(out_type, b);	/* commits the job */
		t0 = now_ms();
		status = export_fence(cap_dmabuf[b], &sync_fd);

		p = (struct pollfd){ .fd = sync_fd, .events = POLLIN };
		if (poll(&p, 1, 10000) != 1)
			fail("the sync_file did not signal within 10 s");
		t_sync = now_ms() - t0;
		close(sync_fd);

		p = (struct pollfd){ .fd = cap_dmabuf[b], .events = POLLIN };
		if (poll(&p, 1, 10000) != 1)
			fail("the dma-buf did not become readable within 10 s");
		t_poll = now_ms() - t0;

		dequeue(cap_type);
		t_dq = now_ms() - t0;
		dequeue(out_type);

		if (status == 0)
			real++;
		/*
		 * A consumer woken long before DQBUF could return the buffer
		 * would have read a frame the device was still writing.
		 */
		if (t_dq - t_poll > job_ms / 2.0)
			early++;
		if (!quiet)
			printf("%5d  %-15s  %15.2f  %18.2f  %13.2f\n", i,
			       status == 0 ? "pending (real)" :
			       status == 1 ? "signalled (stub)" : "error",
			       t_sync, t_poll, t_dq);
	}
	printf("%s: %d/%d frames had a real release fence; the consumer woke before the frame was done in %d/%d\n",
	       caps.driver, real, frames, early, frames);
	return real == frames && !early ? 0 : 1;
}
