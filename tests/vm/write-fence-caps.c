// SPDX-License-Identifier: GPL-2.0
/*
 * write-fence-caps - the uAPI that tells an application whether a capture
 * buffer's DMABUF carries a write fence (patches 64-67 of the series):
 *
 *  - V4L2_BUF_CAP_SUPPORTS_WRITE_FENCES, reported by VIDIOC_REQBUFS and
 *    VIDIOC_CREATE_BUFS only on capture queues whose MMAP and DMABUF
 *    buffers get write fences, whatever memory type the ioctl is given (as
 *    the other capabilities; USERPTR buffers never get one);
 *  - V4L2_BUF_FLAG_NO_WRITE_FENCE, on a buffer of such a queue that the
 *    device writes without its fence: reported by VIDIOC_QUERYBUF at the
 *    latest when the committing ioctl returns, and by VIDIOC_DQBUF.
 *
 *   write-fence-caps caps [-f NODE]... [-n NODE]... [-F NODE]... [-w NODE]...
 *	-f: the capture queue of NODE reports the capability from
 *	REQBUFS(count=0), REQBUFS(count=2) and CREATE_BUFS(count=0) for every
 *	memory type, its output queue never; -n: NODE reports it nowhere.
 *	Every queue of NODE, every memory type. And the capability of fence
 *	waits, V4L2_BUF_CAP_SUPPORTS_FENCE_WAITS: on both queues of the nodes
 *	given with -F (which also have write fences as with -f) and -w
 *	(which have none), on no queue of the others.
 *   write-fence-caps fenced series|base VIM2M
 *	a vim2m job committed by QBUF(OUTPUT), one committed by
 *	QBUF(CAPTURE): fenced, never flagged.
 *   write-fence-caps perdev series|base VIM2M MEDIA
 *	vim2m's one-device rule: context B, opened with release_fences=0,
 *	queues a buffer to a request (not frozen); the job context A commits
 *	meanwhile runs unfenced and is flagged, and so are A's jobs after B
 *	stopped, until neither of A's queues streams; then A is fenced again
 *	and a new such context gets EBUSY.
 *   write-fence-caps hold series|base VISL
 *	visl: from an output buffer queued with
 *	V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF on, the jobs of the stream are
 *	flagged; a new stream is fenced again.
 *
 * "series" expects what the series promises; "base" what a kernel without
 * it does: no capability, no flag, no fence, the same flows running to
 * the end. Each check prints "ok:" or "FAIL:"; the exit status is 1 if
 * any failed.
 *
 * Whether a fence was there is seen the way a consumer sees it, poll() on
 * an exported DMABUF, from a thread that watches it while the committing
 * ioctl runs and for a while after: visl runs a job within that ioctl, so
 * its fence can be gone by the time the ioctl returns. The jobs must last
 * long enough to be seen: vim2m's are set per context here (JOB_MS), visl's
 * come from its visl_transtime_ms parameter, which the caller sets
 * (tests/vm/write-fence-caps.sh: 100 ms).
 *
 * Static build for the guest (scripts/programs.sh), run by
 * tests/vm/write-fence-caps.sh. The headers of the base kernel lack the
 * two macros; their values are the series' (include/uapi/linux/videodev2.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/media.h>
#include <linux/videodev2.h>

#include "../../tools/v4l2-m2m-util.h"

#ifndef V4L2_BUF_CAP_SUPPORTS_WRITE_FENCES
#define V4L2_BUF_CAP_SUPPORTS_WRITE_FENCES	(1 << 9)
#endif
#ifndef V4L2_BUF_CAP_SUPPORTS_FENCE_WAITS
#define V4L2_BUF_CAP_SUPPORTS_FENCE_WAITS	(1 << 10)
#endif
#ifndef V4L2_BUF_FLAG_NO_WRITE_FENCE
#define V4L2_BUF_FLAG_NO_WRITE_FENCE		0x01000000
#endif

/* vim2m's jobs: long enough for the watcher, short for TCG */
#define JOB_MS		150
/* small frames: vim2m converts on the CPU, slow under TCG */
#define WIDTH		128
#define HEIGHT		96
/* how long the watcher goes on after the committing ioctl returned */
#define WATCH_AFTER_MS	60
/* bound on waits that only end early when the kernel is broken */
#define SLACK_MS	5000

static int fails;
/* what the series promises, or (false) what the base kernel does */
static bool series;

#define check(cond, fmt, ...) do {					\
	if (cond) {							\
		printf("ok: " fmt "\n", ##__VA_ARGS__);			\
	} else {							\
		printf("FAIL: " fmt "\n", ##__VA_ARGS__);		\
		fails++;						\
	}								\
} while (0)

static const char *mem_name(__u32 memory)
{
	switch (memory) {
	case V4L2_MEMORY_MMAP: return "MMAP";
	case V4L2_MEMORY_DMABUF: return "DMABUF";
	case V4L2_MEMORY_USERPTR: return "USERPTR";
	}
	return "?";
}

static const char *type_name(__u32 type)
{
	switch (type) {
	case V4L2_BUF_TYPE_VIDEO_CAPTURE: return "CAPTURE";
	case V4L2_BUF_TYPE_VIDEO_OUTPUT: return "OUTPUT";
	case V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE: return "CAPTURE_MPLANE";
	case V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE: return "OUTPUT_MPLANE";
	}
	return "?";
}

/* REQBUFS: how many buffers the driver gave, or -errno; *caps its answer */
static int reqbufs(int fd, __u32 type, __u32 memory, unsigned int count,
		   __u32 *caps)
{
	struct v4l2_requestbuffers rb = {
		.count = count, .type = type, .memory = memory,
	};
	int ret;

	ret = xioctl(fd, VIDIOC_REQBUFS, &rb);
	*caps = rb.capabilities;
	return ret ? ret : (int)rb.count;
}

/* CREATE_BUFS of no buffers in the current format: 0 or -errno */
static int create_bufs0(int fd, __u32 type, __u32 memory, __u32 *caps)
{
	struct v4l2_create_buffers cb = { .memory = memory };
	int ret;

	cb.format.type = type;
	ret = xioctl(fd, VIDIOC_G_FMT, &cb.format);
	if (!ret)
		ret = xioctl(fd, VIDIOC_CREATE_BUFS, &cb);
	*caps = cb.capabilities;
	return ret;
}

/* ---- caps ---- */

/* the name of a /dev/videoN in sysfs (what the guest script looks it up by) */
static void node_name(const char *node, char *name, size_t len)
{
	char path[128], copy[64];
	FILE *f;

	snprintf(copy, sizeof(copy), "%s", node);
	snprintf(path, sizeof(path), "/sys/class/video4linux/%s/name",
		 basename(copy));
	snprintf(name, len, "?");
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(name, len, f))
		name[strcspn(name, "\n")] = 0;
	fclose(f);
}

/*
 * One answer of REQBUFS or CREATE_BUFS about the bit. A queue without
 * USERPTR support refuses that memory type with EINVAL, and then returns
 * no capabilities; any other error is a failure.
 */
static const char *answer(int ret, __u32 caps, __u32 memory, bool want,
			  bool want_waits, bool *ok)
{
	static const char * const names[] = {
		"-", "FENCES", "WAITS", "FENCES+WAITS",
	};
	bool set = caps & V4L2_BUF_CAP_SUPPORTS_WRITE_FENCES;
	bool waits = caps & V4L2_BUF_CAP_SUPPORTS_FENCE_WAITS;

	if (ret == -EINVAL && memory == V4L2_MEMORY_USERPTR)
		return "unsupported";
	if (ret < 0) {
		*ok = false;
		return "error";
	}
	if (set != want || waits != want_waits)
		*ok = false;
	return names[set + 2 * waits];
}

static void caps_of_queue(int fd, const char *label, __u32 type,
			  __u32 memory, bool fenced, bool waits)
{
	/* capture queues only, the same answer for every memory type */
	bool want = fenced && !V4L2_TYPE_IS_OUTPUT(type);
	/* fence waits: both queues */
	const char *wanted = want && waits ? "FENCES+WAITS" :
			     want ? "FENCES" : waits ? "WAITS" : "-";
	const char *r0, *r2, *c0;
	__u32 caps, dummy;
	bool ok = true;
	int ret;

	ret = reqbufs(fd, type, memory, 0, &caps);
	r0 = answer(ret, caps, memory, want, waits, &ok);
	ret = reqbufs(fd, type, memory, 2, &caps);
	r2 = answer(ret < 0 ? ret : 0, caps, memory, want, waits, &ok);
	/* free them: CREATE_BUFS then asks a queue without buffers again */
	reqbufs(fd, type, memory, 0, &dummy);
	ret = create_bufs0(fd, type, memory, &caps);
	c0 = answer(ret, caps, memory, want, waits, &ok);
	check(ok, "%s %s %s: REQBUFS(0) %s, REQBUFS(2) %s, CREATE_BUFS(0) %s (want %s)",
	      label, type_name(type), mem_name(memory), r0, r2, c0, wanted);
}

static void caps_of_node(const char *node, bool fenced, bool waits)
{
	static const __u32 mems[] = {
		V4L2_MEMORY_MMAP, V4L2_MEMORY_DMABUF, V4L2_MEMORY_USERPTR,
	};
	struct v4l2_capability cap = {};
	char name[64], label[128];
	__u32 dc, types[2];
	unsigned int n = 0, t, m;
	int fd;

	node_name(node, name, sizeof(name));
	snprintf(label, sizeof(label), "%s (%s)", name, node);
	fd = open(node, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0 || xioctl(fd, VIDIOC_QUERYCAP, &cap)) {
		check(0, "%s: open and QUERYCAP: %s", label, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	dc = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps :
						      cap.capabilities;
	if (dc & V4L2_CAP_VIDEO_M2M_MPLANE) {
		types[n++] = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
		types[n++] = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	} else if (dc & V4L2_CAP_VIDEO_M2M) {
		types[n++] = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		types[n++] = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	} else {
		if (dc & V4L2_CAP_VIDEO_CAPTURE_MPLANE)
			types[n++] = V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE;
		else if (dc & V4L2_CAP_VIDEO_CAPTURE)
			types[n++] = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		if (dc & V4L2_CAP_VIDEO_OUTPUT_MPLANE)
			types[n++] = V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
		else if (dc & V4L2_CAP_VIDEO_OUTPUT)
			types[n++] = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	}
	check(n > 0, "%s: driver %s, %u video queues; write fences wanted %s, fence waits %s",
	      label, (char *)cap.driver, n,
	      fenced ? "on the capture queue" : "on no queue",
	      waits ? "on both queues" : "on no queue");
	for (t = 0; t < n; t++)
		for (m = 0; m < sizeof(mems) / sizeof(mems[0]); m++)
			caps_of_queue(fd, label, types[t], mems[m], fenced,
				      waits);
	close(fd);
}

static int cmd_caps(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "f:n:F:w:")) != -1) {
		if (!strchr("fnFw", opt))
			return 2;
		caps_of_node(optarg, opt == 'f' || opt == 'F',
			     opt == 'F' || opt == 'w');
	}
	return 0;
}

/* ---- jobs ---- */

/* one file handle of a mem2mem device, MMAP buffers */
struct ctx {
	const char *name;
	int fd;
	__u32 out_type, cap_type;
	/* what REQBUFS(CAPTURE) answered */
	__u32 caps;
};

static int open_ctx(struct ctx *c, const char *name, const char *node,
		    unsigned int nout, unsigned int ncap)
{
	struct v4l2_capability cap;
	struct v4l2_format f;
	bool mplane;
	int ret;

	c->name = name;
	c->fd = open(node, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	ret = m2m_querycap(c->fd, &cap, &mplane);
	if (ret)
		return ret;
	c->out_type = m2m_buf_type(mplane, false);
	c->cap_type = m2m_buf_type(mplane, true);
	if (!strcmp((char *)cap.driver, "vim2m")) {
		ret = v4l2_set_fmt(c->fd, c->out_type, V4L2_PIX_FMT_RGB565,
				   WIDTH, HEIGHT, &f);
		if (!ret)
			ret = v4l2_set_fmt(c->fd, c->cap_type,
					   V4L2_PIX_FMT_RGB565, WIDTH, HEIGHT,
					   &f);
		if (!ret)
			ret = vim2m_set_job_ms(c->fd, JOB_MS);
		if (ret)
			return ret;
	}
	ret = reqbufs(c->fd, c->out_type, V4L2_MEMORY_MMAP, nout, &c->caps);
	if (ret >= 0)
		ret = reqbufs(c->fd, c->cap_type, V4L2_MEMORY_MMAP, ncap,
			      &c->caps);
	return ret < 0 ? ret : 0;
}

static void close_ctx(struct ctx *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void check_caps(struct ctx *c, bool fenced)
{
	bool set = c->caps & V4L2_BUF_CAP_SUPPORTS_WRITE_FENCES;

	check(set == (series && fenced), "%s: REQBUFS(CAPTURE) %s write fences",
	      c->name, set ? "reports" : "does not report");
}

static void stream(struct ctx *c, bool on)
{
	int ret = on ? v4l2_streamon(c->fd, c->cap_type) :
		       v4l2_streamoff(c->fd, c->cap_type);

	if (!ret)
		ret = on ? v4l2_streamon(c->fd, c->out_type) :
			   v4l2_streamoff(c->fd, c->out_type);
	check(!ret, "%s: STREAM%s of both queues", c->name, on ? "ON" : "OFF");
}

/*
 * QBUF; an output buffer full, with timestamp @ts (the frame: slices of one
 * frame share it), @flags, and into @request if >= 0
 */
static int qbuf(struct ctx *c, __u32 type, unsigned int index, __u32 flags,
		long ts, int request)
{
	__u32 len = 0;
	int ret;

	if (type == c->out_type) {
		ret = v4l2_querybuf(c->fd, type, index, &len, NULL);
		if (ret)
			return ret;
	}
	return v4l2_qbuf_flags(c->fd, type, index, len, flags, ts, request);
}

/* the flags of a capture buffer in *flags: 0 or -errno */
static int querybuf_flags(struct ctx *c, unsigned int index, __u32 *flags)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	int ret;

	v4l2_buf_init(&b, planes, c->cap_type, index);
	ret = xioctl(c->fd, VIDIOC_QUERYBUF, &b);
	*flags = b.flags;
	return ret;
}

/* DQBUF, waiting up to SLACK_MS: the index or -errno, flags in *flags */
static int wait_dqbuf(struct ctx *c, __u32 type, __u32 *flags)
{
	short ev = type == c->cap_type ? POLLIN : POLLOUT;
	double end = now_ms() + SLACK_MS;
	int ret;

	while ((ret = v4l2_dqbuf(c->fd, type, flags)) == -EAGAIN &&
	       now_ms() < end)
		poll_fd(c->fd, ev, 100);
	return ret;
}

/*
 * Watches a capture buffer's DMABUF from a thread, like a consumer that
 * polls it: was a write fence ever pending?
 */
struct watch {
	int dmabuf;
	atomic_bool stop, seen;
	pthread_t thread;
};

static void *watch_fn(void *arg)
{
	struct watch *w = arg;

	while (!atomic_load(&w->stop))
		if (poll_fd(w->dmabuf, POLLIN, 0) == 0)
			atomic_store(&w->seen, true);
	return NULL;
}

static int watch_start(struct watch *w, struct ctx *c, unsigned int index)
{
	w->dmabuf = v4l2_expbuf(c->fd, c->cap_type, index, 0,
				O_RDONLY | O_CLOEXEC);
	if (w->dmabuf < 0)
		return w->dmabuf;
	atomic_store(&w->stop, false);
	atomic_store(&w->seen, false);
	if (pthread_create(&w->thread, NULL, watch_fn, w)) {
		close(w->dmabuf);
		return -EAGAIN;
	}
	return 0;
}

static bool watch_stop(struct watch *w)
{
	usleep(WATCH_AFTER_MS * 1000);
	atomic_store(&w->stop, true);
	pthread_join(w->thread, NULL);
	close(w->dmabuf);
	return atomic_load(&w->seen);
}

/*
 * What the series promises for a buffer of a queue that reports the
 * capability: flagged if and only if it ran @unfenced. The base kernel
 * flags nothing.
 */
static void check_flag(struct ctx *c, const char *what, __u32 flags,
		       bool unfenced)
{
	bool set = flags & V4L2_BUF_FLAG_NO_WRITE_FENCE;

	check(set == (series && unfenced), "%s: %s: NO_WRITE_FENCE %s (flags %#x)",
	      c->name, what, set ? "set" : "clear", flags);
}

/*
 * Commit a job: QBUF of capture buffer @cap and of output buffer @out
 * (with @oflags, timestamp @ts), the capture buffer last if @cap_last; the
 * second QBUF commits it. Then QUERYBUF of the capture buffer: the flag
 * must be there if the job runs @unfenced, and the DMABUF must have been
 * seen with a fence exactly if not (never on the base kernel).
 */
static void commit(struct ctx *c, const char *what, unsigned int cap,
		   unsigned int out, __u32 oflags, long ts, bool cap_last,
		   bool unfenced)
{
	struct watch w;
	char msg[128];
	__u32 flags;
	bool seen;
	int ret;

	ret = cap_last ? qbuf(c, c->out_type, out, oflags, ts, -1) :
			 qbuf(c, c->cap_type, cap, 0, 0, -1);
	if (!ret)
		ret = watch_start(&w, c, cap);
	if (ret) {
		check(0, "%s: %s: first QBUF, EXPBUF: %s", c->name, what,
		      strerror(-ret));
		return;
	}
	ret = cap_last ? qbuf(c, c->cap_type, cap, 0, 0, -1) :
			 qbuf(c, c->out_type, out, oflags, ts, -1);
	seen = watch_stop(&w);
	check(!ret, "%s: %s: QBUF CAPTURE %u, QBUF OUTPUT %u%s, %s last: %d",
	      c->name, what, cap, out,
	      oflags & V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF ? " (HOLD_CAPTURE_BUF)" : "",
	      cap_last ? "CAPTURE" : "OUTPUT", ret);
	snprintf(msg, sizeof(msg),
		 "%s: QUERYBUF(CAPTURE %u) after the committing QBUF", what, cap);
	ret = querybuf_flags(c, cap, &flags);
	if (ret)
		check(0, "%s: %s: %s", c->name, msg, strerror(-ret));
	else
		check_flag(c, msg, flags, unfenced);
	check(seen == (series && !unfenced), "%s: %s: DMABUF %s", c->name,
	      what, seen ? "seen with a pending fence" : "never with a pending fence");
}

/* the job's capture buffer @cap done, then @nout output buffers */
static void finish(struct ctx *c, unsigned int cap, unsigned int nout,
		   bool unfenced)
{
	__u32 flags = 0;
	int ret;

	ret = wait_dqbuf(c, c->cap_type, &flags);
	check(ret == (int)cap, "%s: DQBUF(CAPTURE) returned %d, want %u",
	      c->name, ret, cap);
	if (ret >= 0)
		check_flag(c, "DQBUF(CAPTURE)", flags, unfenced);
	while (nout--) {
		ret = wait_dqbuf(c, c->out_type, &flags);
		check(ret >= 0, "%s: DQBUF(OUTPUT) returned %d", c->name, ret);
	}
}

static int cmd_fenced(const char *video)
{
	struct ctx a = { .fd = -1 };
	int ret;

	ret = open_ctx(&a, "vim2m", video, 2, 2);
	if (ret) {
		check(0, "vim2m: %s: open, formats, REQBUFS: %s", video,
		      strerror(-ret));
		return 1;
	}
	check_caps(&a, true);
	stream(&a, true);
	commit(&a, "job 0", 0, 0, 0, 1, false, false);
	finish(&a, 0, 1, false);
	commit(&a, "job 1", 1, 1, 0, 2, true, false);
	finish(&a, 1, 1, false);
	close_ctx(&a);
	return 0;
}

/*
 * A vim2m context whose requests are not frozen: opened with
 * release_fences=N, which the context keeps. The base kernel has no such
 * parameter and never freezes requests: any context will do there.
 */
static int open_unfrozen(struct ctx *c, const char *name, const char *video)
{
	char old = vim2m_fences_param();
	int ret;

	if (!old) {
		check(!series, "%s: no %s to open it with (%s)", name,
		      VIM2M_FENCES_PARAM,
		      series ? "wanted" : "base kernel: not written");
		return open_ctx(c, name, video, 2, 2);
	}
	if (vim2m_set_fences_param('N')) {
		check(0, "%s: cannot set %s to N", name, VIM2M_FENCES_PARAM);
		return -EIO;
	}
	ret = open_ctx(c, name, video, 2, 2);
	vim2m_set_fences_param(old);
	return ret;
}

static int cmd_perdev(const char *video, const char *media)
{
	struct ctx a = { .fd = -1 }, b = { .fd = -1 }, b2 = { .fd = -1 };
	int mfd, req = -1, req2 = -1, ret;

	mfd = open(media, O_RDWR | O_CLOEXEC);
	if (mfd < 0) {
		check(0, "open %s: %s", media, strerror(errno));
		return 1;
	}
	ret = open_ctx(&a, "A", video, 4, 4);
	if (!ret)
		ret = open_unfrozen(&b, "B (requests not frozen)", video);
	if (ret) {
		check(0, "vim2m %s: contexts A and B: %s", video, strerror(-ret));
		goto out;
	}
	check_caps(&a, true);
	check_caps(&b, false);
	stream(&a, true);
	stream(&b, true);

	/* B feeds its jobs a request; A has published no fence yet */
	ret = xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &req);
	if (!ret)
		ret = qbuf(&b, b.out_type, 0, 0, 1, req);
	check(!ret, "%s: QBUF(OUTPUT 0) into a request before A published a fence: %d",
	      b.name, ret);
	commit(&a, "job while B feeds requests", 0, 0, 0, 1, false, true);
	finish(&a, 0, 1, true);

	/* sticky: A stays unfenced until neither of its queues streams */
	check(!v4l2_streamoff(b.fd, b.out_type), "%s: STREAMOFF(OUTPUT)",
	      b.name);
	commit(&a, "job after B stopped, A still streaming", 1, 1, 0, 2, false,
	       true);
	finish(&a, 1, 1, true);

	stream(&a, false);
	stream(&a, true);
	commit(&a, "job in a new stream", 2, 2, 0, 3, false, false);

	/* while A's job runs fenced, a new unfrozen context cannot start */
	ret = open_unfrozen(&b2, "B2 (requests not frozen)", video);
	if (!ret)
		ret = xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &req2);
	if (!ret)
		ret = qbuf(&b2, b2.out_type, 0, 0, 1, req2);
	check(ret == (series ? -EBUSY : 0),
	      "%s: QBUF(OUTPUT 0) into a request while A's job runs%s: %d (want %s)",
	      b2.name, series ? " with fences" : "", ret,
	      series ? "EBUSY" : "0");
	finish(&a, 2, 1, false);
out:
	if (req2 >= 0)
		close(req2);
	if (req >= 0)
		close(req);
	close_ctx(&b2);
	close_ctx(&b);
	close_ctx(&a);
	close(mfd);
	return 0;
}

static int cmd_hold(const char *video)
{
	struct ctx c = { .fd = -1 };
	int ret;

	ret = open_ctx(&c, "visl", video, 4, 3);
	if (ret) {
		check(0, "visl: %s: open, REQBUFS: %s", video, strerror(-ret));
		return 1;
	}
	check_caps(&c, true);
	stream(&c, true);
	commit(&c, "frame 1, no hold", 0, 0, 0, 1, false, false);
	finish(&c, 0, 1, false);

	/* frame 2 in two slices: the first holds the capture buffer */
	commit(&c, "frame 2, slice 1", 1, 1, V4L2_BUF_FLAG_M2M_HOLD_CAPTURE_BUF,
	       2, false, true);
	ret = qbuf(&c, c.out_type, 2, 0, 2, -1);
	check(!ret, "visl: frame 2, slice 2 (no hold): QBUF OUTPUT 2: %d", ret);
	finish(&c, 1, 2, true);

	/* no hold any more, but the stream stays unfenced */
	commit(&c, "frame 3, no hold, same stream", 2, 3, 0, 3, false, true);
	finish(&c, 2, 1, true);

	stream(&c, false);
	stream(&c, true);
	commit(&c, "frame 4, no hold, new stream", 0, 0, 0, 4, false, false);
	finish(&c, 0, 1, false);
	close_ctx(&c);
	return 0;
}

static int usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s caps [-f NODE]... [-n NODE]...\n"
		"       %s fenced series|base VIM2M\n"
		"       %s perdev series|base VIM2M MEDIA\n"
		"       %s hold series|base VISL\n", prog, prog, prog, prog);
	return 2;
}

int main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : "";
	int ret;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(cmd, "caps")) {
		ret = cmd_caps(argc - 1, argv + 1);
	} else {
		if (argc < 4 || (strcmp(argv[2], "series") &&
				 strcmp(argv[2], "base")))
			return usage(argv[0]);
		series = !strcmp(argv[2], "series");
		if (!strcmp(cmd, "fenced"))
			ret = cmd_fenced(argv[3]);
		else if (!strcmp(cmd, "perdev") && argc == 5)
			ret = cmd_perdev(argv[3], argv[4]);
		else if (!strcmp(cmd, "hold"))
			ret = cmd_hold(argv[3]);
		else
			return usage(argv[0]);
	}
	if (ret == 2)
		return usage(argv[0]);
	printf("write-fence-caps %s: %d failed checks\n", cmd, fails);
	return ret || fails;
}
