// SPDX-License-Identifier: GPL-2.0
/*
 * req-vim2m: vim2m's request path with release fences and frozen requests.
 *
 * Jobs of 300 ms; HFLIP decides the frame (pixel 0 of a 64-pixel line of
 * the ramp 0..63 is 0, or 63 when flipped).
 *  Ra sets HFLIP=1 and runs at once; Rb sets nothing, queued behind it;
 *  then a plain S_CTRL HFLIP=0 while Ra runs; then Rc, which sets nothing.
 *  After each MEDIA_REQUEST_IOC_QUEUE the capture buffer of the job has a
 *  pending videobuf2 fence; it signals when the job is done, and DQBUF
 *  returns the buffer at once then.
 *  Frozen semantics (vim2m's release_fences is Y when the file is opened):
 *  Ra flipped, Rb flipped (it inherits Ra's value, the S_CTRL came after it
 *  was queued), Rc not flipped (the S_CTRL came after Ra was applied);
 *  afterwards G_CTRL HFLIP is 0 (the S_CTRL came after Ra was applied), and
 *  G_EXT_CTRLS of the requests give 1, 1, 0: the values their jobs used.
 *  Without release fences vim2m does not freeze its requests (the negative
 *  control): Rb is then applied after the S_CTRL, not flipped, and
 *  G_EXT_CTRLS gives 1, 0, 0.
 *  The request of a job is complete as soon as VIDIOC_DQBUF returned its
 *  output buffer (no poll).
 * Exit paths: Rd (HFLIP=1) running and Re (HFLIP=1) queued behind it,
 *  STREAMOFF of the output queue: Rd's fence signals (done or error), Re's
 *  is withdrawn (-ECANCELED), nothing stays pending, and both requests are
 *  complete when STREAMOFF returns: POLLPRI at once, G_EXT_CTRLS of the
 *  requests works at once and MEDIA_REQUEST_IOC_REINIT succeeds at once.
 *  G_CTRL HFLIP stays 0 except for Rd if it ran (Re never applied). Then
 *  close with a request in flight: its fence signals and the request
 *  completes.
 *
 * req-vim2m -m VIDEO MEDIA: one device, two contexts: A opened with
 *  release_fences=Y (frozen requests, fenced), B opened with
 *  release_fences=N (requests not frozen, applied with s_ctrl in the job).
 *  While B feeds requests, A's capture buffers get no published fence; once
 *  B streamed its output queue off, A's do again; while A has fences, B's
 *  VIDIOC_QBUF into a request fails with EBUSY, and succeeds once A stopped
 *  streaming. The jobs of both run meanwhile (frames checked). The caller
 *  checks the kernel log (lockdep) afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>

#include <linux/dma-buf.h>
#include <linux/media.h>
#include <linux/sync_file.h>
#include <linux/videodev2.h>

#include "../../tools/v4l2-m2m-util.h"

#define CID_TRANS_TIME	(V4L2_CID_USER_BASE + 0x1000)
#define W 64
#define H 32
#define NB 4

static int vfd, mfd, fails;
/* vim2m freezes the requests of a file opened with release_fences=Y */
static bool frozen = true;
static void *omap[NB], *cmap[NB];
static int cdb[NB];

#define check(cond, fmt, ...) do {					\
	if (cond) {							\
		printf("ok: " fmt "\n", ##__VA_ARGS__);			\
	} else {							\
		printf("FAIL: " fmt "\n", ##__VA_ARGS__);		\
		fails++;						\
	}								\
} while (0)

static void msleep(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* status of the fences a reader waits for: 1 none/signalled, 0 pending, <0 error */
static int fence(int db, char *drv, size_t n)
{
	struct dma_buf_export_sync_file e = { .flags = DMA_BUF_SYNC_READ };
	struct sync_fence_info info = {0};
	struct sync_file_info fi = {0};
	int st;

	if (xioctl(db, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &e))
		return -1000;
	fi.num_fences = 1;
	fi.sync_fence_info = (uintptr_t)&info;
	if (xioctl(e.fd, SYNC_IOC_FILE_INFO, &fi)) {
		close(e.fd);
		return -1000;
	}
	snprintf(drv, n, "%s", info.driver_name);
	st = fi.status;
	close(e.fd);
	return st;
}

static int set_ctrl(int fd, int req, unsigned int id, int val)
{
	struct v4l2_ext_control c = { .id = id, .value = val };
	struct v4l2_ext_controls cs = { .count = 1, .controls = &c };

	if (req >= 0) {
		cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
		cs.request_fd = req;
	} else {
		cs.which = V4L2_CTRL_WHICH_CUR_VAL;
	}
	return xioctl(fd, VIDIOC_S_EXT_CTRLS, &cs);
}

static int get_ctrl(int fd, int req, unsigned int id, int *val)
{
	struct v4l2_ext_control c = { .id = id };
	struct v4l2_ext_controls cs = { .count = 1, .controls = &c };
	int ret;

	if (req >= 0) {
		cs.which = V4L2_CTRL_WHICH_REQUEST_VAL;
		cs.request_fd = req;
	} else {
		cs.which = V4L2_CTRL_WHICH_CUR_VAL;
	}
	ret = xioctl(fd, VIDIOC_G_EXT_CTRLS, &cs);
	*val = c.value;
	return ret;
}

static int qbuf(unsigned int type, unsigned int i, int req)
{
	struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_MMAP,
				 .index = i };

	if (type == V4L2_BUF_TYPE_VIDEO_OUTPUT) {
		b.bytesused = W * H * 3;
		b.timestamp.tv_usec = i + 1;
	}
	if (req >= 0) {
		b.flags = V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = req;
	}
	return xioctl(vfd, VIDIOC_QBUF, &b);
}

static int dqbuf(unsigned int type, unsigned int *idx, unsigned int *flags)
{
	struct v4l2_buffer b = { .type = type, .memory = V4L2_MEMORY_MMAP };
	int ret = xioctl(vfd, VIDIOC_DQBUF, &b);

	*idx = b.index;
	*flags = b.flags;
	return ret;
}

static void setup(void)
{
	unsigned int t, i, x, y;
	struct v4l2_format f;
	struct v4l2_requestbuffers rb;

	for (t = 0; t < 2; t++) {
		memset(&f, 0, sizeof(f));
		f.type = t ? V4L2_BUF_TYPE_VIDEO_CAPTURE :
			     V4L2_BUF_TYPE_VIDEO_OUTPUT;
		f.fmt.pix.pixelformat = V4L2_PIX_FMT_RGB24;
		f.fmt.pix.width = W;
		f.fmt.pix.height = H;
		if (xioctl(vfd, VIDIOC_S_FMT, &f) ||
		    f.fmt.pix.width != W || f.fmt.pix.height != H) {
			printf("FAIL: S_FMT\n");
			exit(1);
		}
		memset(&rb, 0, sizeof(rb));
		rb.type = f.type;
		rb.memory = V4L2_MEMORY_MMAP;
		rb.count = NB;
		if (xioctl(vfd, VIDIOC_REQBUFS, &rb) || rb.count != NB) {
			printf("FAIL: REQBUFS\n");
			exit(1);
		}
		for (i = 0; i < NB; i++) {
			struct v4l2_buffer b = { .type = f.type, .index = i,
						 .memory = V4L2_MEMORY_MMAP };
			void *m;

			xioctl(vfd, VIDIOC_QUERYBUF, &b);
			m = mmap(NULL, b.length, PROT_READ | PROT_WRITE,
				 MAP_SHARED, vfd, b.m.offset);
			if (m == MAP_FAILED) {
				printf("FAIL: mmap\n");
				exit(1);
			}
			if (t) {
				struct v4l2_exportbuffer e = {
					.type = f.type, .index = i,
					.flags = O_RDONLY | O_CLOEXEC };

				cmap[i] = m;
				xioctl(vfd, VIDIOC_EXPBUF, &e);
				cdb[i] = e.fd;
			} else {
				omap[i] = m;
				for (y = 0; y < H; y++)
					for (x = 0; x < W; x++)
						memset((uint8_t *)m +
						       (y * W + x) * 3, x, 3);
			}
		}
	}
}

static void streamon(void)
{
	unsigned int t = V4L2_BUF_TYPE_VIDEO_OUTPUT;

	xioctl(vfd, VIDIOC_STREAMON, &t);
	t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	xioctl(vfd, VIDIOC_STREAMON, &t);
}

/* queue a request with output buffer i, HFLIP if hflip >= 0 */
static int queue_req_cap(int req, unsigned int i, unsigned int cap, int hflip,
			 const char *name)
{
	char drv[32] = "";
	int ret, st, r;

	if (hflip >= 0 && set_ctrl(vfd, req, V4L2_CID_HFLIP, hflip))
		printf("FAIL: %s: S_EXT_CTRLS in the request\n", name);
	if (qbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT, i, req))
		printf("FAIL: %s: QBUF output\n", name);
	ret = xioctl(req, MEDIA_REQUEST_IOC_QUEUE, NULL);
	check(!ret, "%s: MEDIA_REQUEST_IOC_QUEUE", name);
	r = poll_fd(cdb[cap], POLLIN, 0);
	st = fence(cdb[cap], drv, sizeof(drv));
	check(!r && st == 0 && !strcmp(drv, "videobuf2"),
	      "%s: capture %u after the QUEUE: dma-buf %s, fence %s (%s)",
	      name, cap, r ? "ready" : "busy",
	      st == 0 ? "pending" : st == 1 ? "none/signalled" : "error",
	      drv);
	return ret;
}

static int queue_req(int req, unsigned int i, int hflip, const char *name)
{
	return queue_req_cap(req, i, i, hflip, name);
}

/* is the request complete, without waiting for it? */
static bool req_done_now(int req)
{
	int r = poll_fd(req, POLLPRI, 0);

	return r > 0 && (r & POLLPRI);
}

/*
 * wait like a consumer, then check DQBUF and pixel 0, and that the request
 * is complete when DQBUF returned its output buffer
 */
static void finish(unsigned int i, int flipped, int req, const char *name)
{
	unsigned int idx, flags;
	int r = poll_fd(cdb[i], POLLIN, 5000);
	int ret = dqbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE, &idx, &flags);
	uint8_t p0 = ((uint8_t *)cmap[i])[0];

	check(r > 0 && !ret && idx == i && !(flags & V4L2_BUF_FLAG_ERROR),
	      "%s: consumer woke, DQBUF returned capture %u at once", name,
	      idx);
	check(p0 == (flipped ? W - 1 : 0),
	      "%s: frame %s (pixel 0 is %u)", name,
	      flipped ? "flipped" : "not flipped", p0);
	while (dqbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT, &idx, &flags) == -EAGAIN)
		poll_fd(vfd, POLLOUT, 1000);
	check(req_done_now(req),
	      "%s: request complete when DQBUF returned its output buffer",
	      name);
	xioctl(vfd, VIDIOC_QBUF, &(struct v4l2_buffer){
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP, .index = i });
}

/*
 * SIGKILL: a child queues two requests (300 ms jobs) and is killed; the
 * parent holds the capture dma-bufs (taken with pidfd_getfd()) and must
 * see their fences signal, and none pending afterwards.
 */
static void sigkill_test(const char *video, const char *media)
{
	int pfd[2], fds[2], pidfd, i, st;
	char drv[32];
	pid_t pid;

	if (pipe(pfd))
		return;
	pid = fork();
	if (!pid) {
		int ra, rb;

		vfd = open(video, O_RDWR | O_NONBLOCK);
		mfd = open(media, O_RDWR);
		setup();
		set_ctrl(vfd, -1, CID_TRANS_TIME, 300);
		xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &ra);
		xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &rb);
		streamon();
		qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE, 0, -1);
		qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE, 1, -1);
		queue_req(ra, 0, 1, "child Ra");
		queue_req(rb, 1, 0, "child Rb");
		if (write(pfd[1], cdb, sizeof(int) * 2) != sizeof(int) * 2)
			_exit(1);
		pause();
		_exit(0);
	}
	close(pfd[1]);
	if (read(pfd[0], fds, sizeof(fds)) != sizeof(fds)) {
		check(0, "SIGKILL: child set up");
		return;
	}
	pidfd = syscall(SYS_pidfd_open, pid, 0);
	for (i = 0; i < 2; i++)
		fds[i] = syscall(SYS_pidfd_getfd, pidfd, fds[i], 0);
	check(fds[0] >= 0 && fds[1] >= 0, "SIGKILL: took the child's dma-bufs");
	st = fence(fds[1], drv, sizeof(drv));
	check(st == 0, "SIGKILL: Rb's capture fence pending before the kill (%s)",
	      drv);
	kill(pid, SIGKILL);
	/* a consumer blocked on the dma-buf wakes */
	check(poll_fd(fds[1], POLLIN, 5000) > 0,
	      "SIGKILL: consumer of Rb's capture woke");
	waitpid(pid, NULL, 0);
	for (i = 0; i < 2; i++) {
		st = fence(fds[i], drv, sizeof(drv));
		check(st != 0, "SIGKILL: capture %d: no fence pending (%d %s)", i,
		      st, drv);
		close(fds[i]);
	}
	close(pidfd);
}

/* a context of the mixed test: its own file, buffers and requests */
struct mctx {
	const char *name;
	int vfd, req[NB];
	void *cmap[NB];
	int cdb[NB];
};

static void use(struct mctx *c)
{
	vfd = c->vfd;
}

static void stream(struct mctx *c, unsigned int type, bool on)
{
	use(c);
	xioctl(vfd, on ? VIDIOC_STREAMON : VIDIOC_STREAMOFF, &type);
}

/* open the video device with release_fences=param, set it up, stream */
static int mopen(struct mctx *c, const char *video, char param)
{
	unsigned int i;

	if (vim2m_set_fences_param(param)) {
		printf("FAIL: mixed: cannot set %s to %c\n",
		       VIM2M_FENCES_PARAM, param);
		fails++;
		return -1;
	}
	c->vfd = open(video, O_RDWR | O_NONBLOCK);
	if (c->vfd < 0) {
		printf("FAIL: mixed: open %s\n", video);
		fails++;
		return -1;
	}
	use(c);
	setup();
	for (i = 0; i < NB; i++) {
		c->cmap[i] = cmap[i];
		c->cdb[i] = cdb[i];
		if (xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &c->req[i])) {
			printf("FAIL: mixed: MEDIA_IOC_REQUEST_ALLOC\n");
			fails++;
			return -1;
		}
	}
	set_ctrl(vfd, -1, CID_TRANS_TIME, 200);
	set_ctrl(vfd, -1, V4L2_CID_HFLIP, 0);
	streamon();
	return 0;
}

/* queue capture i, then output i in c's request i with HFLIP=hflip */
static int mqueue(struct mctx *c, unsigned int i, int hflip)
{
	int ret;

	use(c);
	xioctl(c->req[i], MEDIA_REQUEST_IOC_REINIT, NULL);
	qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE, i, -1);
	set_ctrl(vfd, c->req[i], V4L2_CID_HFLIP, hflip);
	ret = qbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT, i, c->req[i]);
	if (ret)
		return ret;
	ret = xioctl(c->req[i], MEDIA_REQUEST_IOC_QUEUE, NULL);
	check(!ret, "mixed: %s: MEDIA_REQUEST_IOC_QUEUE %u (%d)", c->name, i,
	      ret);
	return ret;
}

/*
 * Wait for c's job on capture i with poll() and DQBUF only, no ioctl that
 * could schedule a job; check its frame and its request.
 */
static void mwait(struct mctx *c, unsigned int i, int flipped)
{
	unsigned int idx = ~0U, flags = 0;
	int n, ret = -EAGAIN;
	uint8_t p0;

	use(c);
	for (n = 0; n < 100 && ret == -EAGAIN; n++) {
		poll_fd(vfd, POLLIN, 100);
		ret = dqbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE, &idx, &flags);
	}
	p0 = ((uint8_t *)c->cmap[i])[0];
	check(!ret && idx == i && !(flags & V4L2_BUF_FLAG_ERROR) &&
	      p0 == (flipped ? W - 1 : 0),
	      "mixed: %s: capture %u done (%d, index %u), frame %s (pixel 0 is %u)",
	      c->name, i, ret, idx, flipped ? "flipped" : "not flipped", p0);
	for (n = 0; n < 100; n++) {
		if (!dqbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT, &idx, &flags))
			break;
		poll_fd(vfd, POLLOUT, 100);
	}
	check(req_done_now(c->req[i]), "mixed: %s: request %u complete",
	      c->name, i);
}

/* is capture i of c fenced right now? */
static bool mfenced(struct mctx *c, unsigned int i)
{
	char drv[32] = "";

	return fence(c->cdb[i], drv, sizeof(drv)) == 0 &&
	       !strcmp(drv, "videobuf2");
}

/*
 * One frozen, fenced context (A) and one whose requests are not frozen (B)
 * on the same device: v4l2-mem2mem must never publish a fence while B's
 * jobs, which apply their requests under the control handler lock, may run
 * before its job; and A's jobs committed while B fed requests must not wait
 * for a publication once B stops (they run unfenced, and A stays unfenced
 * until neither of its queues streams).
 */
static void mixed(const char *video, const char *media)
{
	struct mctx a = { .name = "A (fenced, frozen)" };
	struct mctx b = { .name = "B (requests not frozen)" };
	char old = vim2m_fences_param();
	unsigned int i;
	int ret;

	mfd = open(media, O_RDWR);
	if (mfd < 0 || !old) {
		printf("FAIL: mixed: open %s, read %s\n", media,
		       VIM2M_FENCES_PARAM);
		fails++;
		return;
	}
	if (mopen(&b, video, 'N') || mopen(&a, video, 'Y'))
		goto out;

	/* B feeds a request first: the device publishes no fence */
	ret = mqueue(&b, 0, 1);
	check(!ret, "mixed: B queues a request while no context has fences (%d)",
	      ret);
	for (i = 0; i < 3; i++) {
		ret = mqueue(&a, i, 1);
		check(!ret && !mfenced(&a, i),
		      "mixed: A's capture %u after its QUEUE, while B feeds requests: no fence",
		      i);
	}
	mwait(&b, 0, 1);
	/* B stops while A's committed jobs wait: they must all run */
	stream(&b, V4L2_BUF_TYPE_VIDEO_OUTPUT, false);
	for (i = 0; i < 3; i++)
		mwait(&a, i, 1);

	/* A's fences stay off while its queues stream */
	ret = mqueue(&a, 0, 0);
	check(!ret && !mfenced(&a, 0),
	      "mixed: A's capture 0 after B stopped, A still streaming: no fence");
	mwait(&a, 0, 0);
	/* and are back once A restarted both queues */
	stream(&a, V4L2_BUF_TYPE_VIDEO_OUTPUT, false);
	stream(&a, V4L2_BUF_TYPE_VIDEO_CAPTURE, false);
	streamon();
	ret = mqueue(&a, 1, 0);
	check(!ret && mfenced(&a, 1),
	      "mixed: A's capture 1 after A restarted: fence pending (videobuf2)");

	/* while A has fences, B cannot start feeding requests */
	stream(&b, V4L2_BUF_TYPE_VIDEO_OUTPUT, true);
	ret = mqueue(&b, 1, 1);
	check(ret == -EBUSY,
	      "mixed: B's VIDIOC_QBUF into a request while A has fences: %d (EBUSY)",
	      ret);
	mwait(&a, 1, 0);
	stream(&a, V4L2_BUF_TYPE_VIDEO_OUTPUT, false);
	stream(&a, V4L2_BUF_TYPE_VIDEO_CAPTURE, false);
	use(&b);
	ret = qbuf(V4L2_BUF_TYPE_VIDEO_OUTPUT, 1, b.req[1]);
	check(!ret, "mixed: B's VIDIOC_QBUF into a request once A stopped: %d",
	      ret);
	ret = xioctl(b.req[1], MEDIA_REQUEST_IOC_QUEUE, NULL);
	check(!ret, "mixed: B: MEDIA_REQUEST_IOC_QUEUE 1 (%d)", ret);
	mwait(&b, 1, 1);
out:
	vim2m_set_fences_param(old);
	if (a.vfd > 0)
		close(a.vfd);
	if (b.vfd > 0)
		close(b.vfd);
	close(mfd);
}

int main(int argc, char **argv)
{
	int ra, rb, rc, rd, re, rf, v, st, i, r;
	unsigned int t, idx, flags;
	char drv[32];

	if (argc == 4 && !strcmp(argv[1], "-m")) {
		mixed(argv[2], argv[3]);
		printf("req-vim2m -m: %s (%d failures)\n",
		       fails ? "FAIL" : "PASS", fails);
		return !!fails;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: %s [-m] VIDEO MEDIA\n", argv[0]);
		return 2;
	}
	/* the file opened below freezes its requests if this is Y */
	frozen = vim2m_fences_param() != 'N';
	printf("info: vim2m release_fences=%c: %s requests\n", vim2m_fences_param(),
	       frozen ? "frozen" : "classic");
	vfd = open(argv[1], O_RDWR | O_NONBLOCK);
	mfd = open(argv[2], O_RDWR);
	if (vfd < 0 || mfd < 0) {
		perror("open");
		return 2;
	}
	setup();
	set_ctrl(vfd, -1, CID_TRANS_TIME, 300);
	set_ctrl(vfd, -1, V4L2_CID_HFLIP, 0);
	xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &ra);
	xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &rb);
	xioctl(mfd, MEDIA_IOC_REQUEST_ALLOC, &rc);
	streamon();
	for (i = 0; i < 3; i++)
		qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE, i, -1);

	queue_req(ra, 0, 1, "Ra (HFLIP=1)");
	queue_req(rb, 1, -1, "Rb (no controls)");
	msleep(50);
	check(!set_ctrl(vfd, -1, V4L2_CID_HFLIP, 0),
	      "S_CTRL HFLIP=0 while Ra runs and Rb waits");
	queue_req(rc, 2, -1, "Rc (no controls, after the S_CTRL)");
	finish(0, 1, ra, "Ra");
	finish(1, frozen, rb, "Rb");
	finish(2, 0, rc, "Rc");
	for (i = 0; i < 3; i++) {
		int req = i == 0 ? ra : i == 1 ? rb : rc;

		r = poll_fd(req, POLLPRI, 5000);
		check(r > 0 && (r & POLLPRI), "R%c completed", 'a' + i);
	}
	get_ctrl(vfd, -1, V4L2_CID_HFLIP, &v);
	check(v == 0, "G_CTRL HFLIP after the requests: %d (the S_CTRL wins)",
	      v);
	get_ctrl(vfd, ra, V4L2_CID_HFLIP, &v);
	check(v == 1, "G_EXT_CTRLS Ra HFLIP = %d", v);
	get_ctrl(vfd, rb, V4L2_CID_HFLIP, &v);
	check(v == frozen, "G_EXT_CTRLS Rb HFLIP = %d (the value its job used)",
	      v);
	get_ctrl(vfd, rc, V4L2_CID_HFLIP, &v);
	check(v == 0, "G_EXT_CTRLS Rc HFLIP = %d", v);

	/* exit path: STREAMOFF of the output queue with Rd running, Re queued */
	xioctl(ra, MEDIA_REQUEST_IOC_REINIT, NULL);
	xioctl(rb, MEDIA_REQUEST_IOC_REINIT, NULL);
	rd = ra;
	re = rb;
	queue_req(rd, 0, 1, "Rd (HFLIP=1)");
	queue_req(re, 1, 1, "Re (HFLIP=1)");
	msleep(50);
	t = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	check(!xioctl(vfd, VIDIOC_STREAMOFF, &t), "STREAMOFF output");
	/* right after STREAMOFF, without waiting: every request is complete */
	for (i = 0; i < 2; i++)
		check(req_done_now(i ? re : rd),
		      "R%c complete when STREAMOFF returned", 'd' + i);
	r = get_ctrl(vfd, rd, V4L2_CID_HFLIP, &v);
	check(!r && v == 1,
	      "G_EXT_CTRLS Rd right after STREAMOFF: %d, HFLIP = %d", r, v);
	r = get_ctrl(vfd, re, V4L2_CID_HFLIP, &v);
	check(!r && v == 1,
	      "G_EXT_CTRLS Re right after STREAMOFF: %d, HFLIP = %d (set, never applied)",
	      r, v);
	get_ctrl(vfd, -1, V4L2_CID_HFLIP, &v);
	printf("info: G_CTRL HFLIP after the STREAMOFF: %d (1 only if Rd was applied)\n",
	       v);
	for (i = 0; i < 2; i++) {
		r = xioctl(i ? re : rd, MEDIA_REQUEST_IOC_REINIT, NULL);
		check(!r, "R%c: MEDIA_REQUEST_IOC_REINIT right after STREAMOFF: %d",
		      'd' + i, r);
	}
	for (i = 0; i < 2; i++) {
		st = fence(cdb[i], drv, sizeof(drv));
		check(st != 0, "capture %d after STREAMOFF: no fence pending (%d %s)",
		      i, st, drv);
	}
	/* Rd ran: its capture buffer is done; Re's stays queued */
	while (!dqbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE, &idx, &flags))
		printf("info: dequeued capture %u flags 0x%x\n", idx, flags);
	check(!xioctl(vfd, VIDIOC_STREAMON, &t), "STREAMON output again");
	set_ctrl(vfd, -1, V4L2_CID_HFLIP, 0);

	/* close with a request in flight */
	xioctl(rc, MEDIA_REQUEST_IOC_REINIT, NULL);
	rf = rc;
	for (i = 0; i < NB; i++)
		qbuf(V4L2_BUF_TYPE_VIDEO_CAPTURE, i, -1);
	/* capture 1 stayed queued since Re: the job pairs with it first */
	queue_req_cap(rf, 2, 1, 1, "Rf (HFLIP=1)");
	/* the media fd goes first: the queued request does not need it */
	close(mfd);
	/* the mappings hold the file: drop them so that close releases it */
	for (i = 0; i < NB; i++) {
		munmap(omap[i], W * H * 3);
		munmap(cmap[i], W * H * 3);
	}
	close(vfd);
	for (i = 0; i < NB; i++) {
		st = fence(cdb[i], drv, sizeof(drv));
		check(st != 0, "capture %d after close: no fence pending (%d %s)",
		      i, st, drv);
	}
	r = poll_fd(rf, POLLPRI, 5000);
	check(r > 0 && (r & POLLPRI), "Rf completed after close of the media and video fds");
	sigkill_test(argv[1], argv[2]);
	printf("req-vim2m: %s (%d failures)\n", fails ? "FAIL" : "PASS", fails);
	return !!fails;
}
