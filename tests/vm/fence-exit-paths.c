// SPDX-License-Identifier: GPL-2.0
/*
 * fence-exit-paths - every way a vim2m job can end without userspace
 * dequeueing its buffers must leave no videobuf2 release fence pending.
 *
 * The "consumer" keeps the CAPTURE planes' dma-buf fds (VIDIOC_EXPBUF) and
 * sync_files exported from them while the fences were pending
 * (DMA_BUF_IOCTL_EXPORT_SYNC_FILE): after the producer stops, the fences
 * must be signalled, with -EIO where the device did not write the buffer
 * (close returns it in the ERROR state), and no dma_resv may still hold an
 * unsignalled fence of driver "videobuf2" (checked in
 * /sys/kernel/debug/dma_buf/bufinfo).
 *
 * Complements the series' kselftest (vb2_release_fence_test), which covers
 * STREAMOFF(CAPTURE) and close() with two jobs, udmabuf imports with a
 * foreign READ fence, ordering, one fence per queueing and fail-nth. The
 * cases that fit the kselftest moved to
 * tools/testing/selftests/media_tests/vb2_release_fence_test.c:
 * STREAMOFF(OUTPUT), STREAMOFF(CAPTURE) followed by a restart, close() with
 * starved and doubly exported buffers, SIGKILL of the producer process,
 * REQBUFS(0)/VIDIOC_REMOVE_BUFS and a context queued behind another one.
 * Here remain module unload with exports held, and a foreign WRITE fence
 * that never signals on an MMAP export.
 *
 * Static build for the guest (scripts/programs.sh; run by tests/vm/faults.sh),
 * the helpers from ../../tools/v4l2-m2m-util.h need no -I:
 *   gcc -O2 -Wall -Wextra -static -I$CACHE/selftest/usr/include \
 *       -I$TREE/tools/testing/selftests -o fence-exit-paths fence-exit-paths.c
 * Needs root, vim2m loaded, debugfs, CONFIG_SW_SYNC.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/types.h>
#include <linux/videodev2.h>

#include "kselftest_harness.h"
#include "../../tools/v4l2-m2m-util.h"

#define BUFINFO_PATH	"/sys/kernel/debug/dma_buf/bufinfo"
#define VB2_DRIVER	"videobuf2"

#define NBUF		4
#define MAX_FENCES	8
/* small frames: vim2m converts pixels on the CPU, which is slow in TCG */
#define WIDTH		128
#define HEIGHT		96
/* long enough to act while a job runs, even on a debug kernel in TCG */
#define JOB_MS		1000
/* job time of the foreign fence test: 3 frames of it */
#define FOREIGN_JOB_MS	500
/* bound on waits that only end early when the kernel is broken */
#define SLACK_MS	5000

#define NSEC_PER_MSEC	1000000ULL

struct m2m {
	int fd;
	bool mplane;
	__u32 out_type;
	__u32 cap_type;
	__u32 sizeimage;
	/* the consumer's CAPTURE plane exports */
	int cap_buf[NBUF];
};

struct fence_snap {
	__u32 num;
	__s32 status;
	struct sync_fence_info f[MAX_FENCES];
};

/* What debugfs shows of one dma-buf's dma_resv, or of all of them */
struct resv_desc {
	unsigned int bufs;
	unsigned int fences;
	unsigned int vb2_pending;
	unsigned int other_pending;
	/* context:seqno of the last pending videobuf2 fence seen */
	unsigned long long ctx, seqno;
};

static long long ms_since(long long t0)
{
	return (now_ns() - t0) / NSEC_PER_MSEC;
}

/* 1: ready, 0: timed out, <0: -errno */
static int wait_fd(int fd, short events, int timeout_ms)
{
	int revents = poll_fd(fd, events, timeout_ms);

	if (revents < 0)
		return revents;
	if (revents & (POLLERR | POLLNVAL))
		return -EIO;
	return (revents & events) == events;
}

static bool ready(int fd, short events)
{
	return wait_fd(fd, events, 0) == 1;
}

static int set_fmt(struct m2m *m, __u32 type)
{
	struct v4l2_format f;
	int ret;

	ret = v4l2_set_fmt(m->fd, type, V4L2_PIX_FMT_RGB565, WIDTH, HEIGHT,
			   &f);
	if (ret)
		return ret;
	m->sizeimage = v4l2_sizeimage(&f);
	return 0;
}

static int reqbufs(struct m2m *m, __u32 type, unsigned int count)
{
	int ret = v4l2_reqbufs(m->fd, type, count);

	if (ret < 0)
		return ret;
	return (unsigned int)ret >= count ? 0 : -ENOMEM;
}

static int export_cap(struct m2m *m)
{
	int i;

	for (i = 0; i < NBUF; i++) {
		m->cap_buf[i] = v4l2_expbuf(m->fd, m->cap_type, i, 0,
					    O_RDWR | O_CLOEXEC);
		if (m->cap_buf[i] < 0)
			return m->cap_buf[i];
	}
	return 0;
}

static int qbuf(struct m2m *m, __u32 type, unsigned int index)
{
	return v4l2_qbuf(m->fd, type, index,
			 type == m->out_type ? m->sizeimage : 0);
}

/* DQBUF, waiting at most timeout_ms (the fd is non-blocking) */
static int dqbuf_wait(struct m2m *m, __u32 type, int timeout_ms,
		      unsigned int *index)
{
	long long t0 = now_ns();
	int ret;

	for (;;) {
		ret = v4l2_dqbuf(m->fd, type, NULL);
		if (ret != -EAGAIN)
			break;
		if (ms_since(t0) > timeout_ms)
			return -ETIMEDOUT;
		/* m2m poll says POLLERR while a queue is empty: back off */
		if (wait_fd(m->fd, type == m->out_type ? POLLOUT : POLLIN,
			    20) < 0)
			usleep(2000);
	}
	if (ret < 0)
		return ret;
	if (index)
		*index = ret;
	return 0;
}

static int snap(int sync_fd, struct fence_snap *s)
{
	int ret;

	memset(s, 0, sizeof(*s));
	ret = sync_file_info(sync_fd, &s->status, s->f, MAX_FENCES);
	if (ret < 0)
		return ret;
	s->num = ret;
	return 0;
}

/*
 * The sync_file of a plane whose only fence is a pending one of ours; it is
 * what a consumer holds to learn the fate of the frame. -errno if the plane
 * is not in that state.
 */
static int pending_sync_file(int dmabuf)
{
	struct fence_snap s;
	int fd, ret;

	fd = dmabuf_export_sync_file(dmabuf, DMA_BUF_SYNC_READ);
	if (fd < 0)
		return fd;
	ret = snap(fd, &s);
	if (!ret && (s.num != 1 || s.f[0].status != 0 ||
		     strcmp(s.f[0].driver_name, VB2_DRIVER)))
		ret = -EPROTO;
	if (ret) {
		close(fd);
		return ret;
	}
	return fd;
}

/* Status of the single fence of a held sync_file: 1, 0 or -errno */
static int fence_status(int sync_fd)
{
	struct fence_snap s;
	int ret;

	ret = snap(sync_fd, &s);
	if (ret)
		return ret;
	return s.num == 1 ? s.f[0].status : -E2BIG;
}

static const char *status_str(int status)
{
	static char buf[4][32];
	static int n;
	char *s = buf[n++ % 4];

	if (status == 1)
		return "signalled";
	if (status == 0)
		return "PENDING";
	snprintf(s, 32, "%s", strerror(-status));
	return s;
}

/*
 * Parse debugfs bufinfo (dma_buf_debug_show()): a header line per dma-buf,
 * "size flags mode count exp_name ino name", then a line per fence from
 * dma_resv_describe()/dma_fence_describe(),
 * "\t<usage> fence:<ctx>:<seqno> <timeline> <driver> <un>signalled", where
 * timeline and driver are blank once signalled. ino 0 sums up all dma-bufs.
 */
static int bufinfo(unsigned long long want_ino, struct resv_desc *d)
{
	bool in = false;
	size_t cap = 0;
	char *line = NULL;
	FILE *f;

	memset(d, 0, sizeof(*d));
	f = fopen(BUFINFO_PATH, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long ino, ctx, seqno;
		unsigned int flags, mode;
		char exp_name[64];
		size_t size;
		long count;
		char *p;

		if (line[0] != '\t') {
			in = sscanf(line, "%zu %x %x %ld %63s %llu", &size,
				    &flags, &mode, &count, exp_name,
				    &ino) == 6 && (!want_ino || ino == want_ino);
			d->bufs += in;
			continue;
		}
		p = strstr(line, " fence:");
		if (!in || !p)
			continue;
		d->fences++;
		if (!strstr(p, " unsignalled"))
			continue;
		if (strstr(p, " " VB2_DRIVER " unsignalled")) {
			d->vb2_pending++;
			if (sscanf(p, " fence:%llu:%llu", &ctx, &seqno) == 2) {
				d->ctx = ctx;
				d->seqno = seqno;
			}
		} else {
			d->other_pending++;
		}
	}
	free(line);
	fclose(f);
	return want_ino && !d->bufs ? -ENOENT : 0;
}

static int bufinfo_fd(int dmabuf, struct resv_desc *d)
{
	struct stat st;

	if (fstat(dmabuf, &st))
		return -errno;
	return bufinfo(st.st_ino, d);
}

/* Unsignalled videobuf2 fences in all dma_resv objects, or -errno */
static int vb2_pending_anywhere(void)
{
	struct resv_desc d;
	int ret = bufinfo(0, &d);

	return ret ? ret : (int)d.vb2_pending;
}

static void m2m_init(struct m2m *m)
{
	int i;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	for (i = 0; i < NBUF; i++)
		m->cap_buf[i] = -1;
}

/* Opens vim2m, NBUF MMAP buffers per queue, exports the CAPTURE planes. */
static int m2m_open(struct m2m *m, int job_ms)
{
	char path[PATH_MAX];
	int ret;

	ret = find_vim2m(path, sizeof(path), &m->mplane);
	if (ret)
		return ret;
	m->out_type = m2m_buf_type(m->mplane, false);
	m->cap_type = m2m_buf_type(m->mplane, true);
	m->fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (m->fd < 0)
		return -errno;
	ret = set_fmt(m, m->out_type);
	if (!ret)
		ret = set_fmt(m, m->cap_type);
	if (!ret)
		ret = vim2m_set_job_ms(m->fd, job_ms);
	if (!ret)
		ret = reqbufs(m, m->out_type, NBUF);
	if (!ret)
		ret = reqbufs(m, m->cap_type, NBUF);
	if (!ret)
		ret = export_cap(m);
	return ret;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void m2m_close(struct m2m *m)
{
	int i;

	close_fd(&m->fd);
	for (i = 0; i < NBUF; i++)
		close_fd(&m->cap_buf[i]);
}

/*
 * Streams both queues, queues ncap CAPTURE and nout OUTPUT buffers (CAPTURE
 * first, so that the first QBUF(OUTPUT) starts a job) and returns in
 * sync_fd[] the sync_files of the min(ncap, nout) committed jobs, which
 * must all be pending: the first job runs for JOB_MS, the others wait.
 */
static void queue_jobs(struct __test_metadata *_metadata, struct m2m *m,
		       unsigned int ncap, unsigned int nout, int *sync_fd)
{
	unsigned int i, njobs = ncap < nout ? ncap : nout;

	ASSERT_EQ(0, v4l2_streamon(m->fd, m->out_type));
	ASSERT_EQ(0, v4l2_streamon(m->fd, m->cap_type));
	for (i = 0; i < ncap; i++)
		ASSERT_EQ(0, qbuf(m, m->cap_type, i));
	for (i = 0; i < nout; i++)
		ASSERT_EQ(0, qbuf(m, m->out_type, i));
	for (i = 0; i < njobs; i++) {
		sync_fd[i] = pending_sync_file(m->cap_buf[i]);
		ASSERT_LE(0, sync_fd[i]) {
			TH_LOG("CAPTURE %u not fenced with its job committed",
			       i);
		}
	}
	/* starved CAPTURE buffers have no job, so no fence */
	for (; i < ncap; i++)
		ASSERT_TRUE(ready(m->cap_buf[i], POLLIN | POLLOUT));
}

/*
 * After an exit path: job 0 was running and vim2m completes it (v4l2-mem2mem
 * waits for it), the other njobs - 1 never ran and must carry -EIO;
 * readers are not blocked and no resv anywhere holds a pending fence.
 */
static void check_ended(struct __test_metadata *_metadata, struct m2m *m,
			int *sync_fd, unsigned int njobs, const char *what)
{
	unsigned int i;
	int st;

	for (i = 0; i < njobs; i++) {
		/* exit paths are synchronous, the wait only bounds a bug */
		wait_fd(sync_fd[i], POLLIN, SLACK_MS);
		st = fence_status(sync_fd[i]);
		TH_LOG("%s: job %u fence %s", what, i, status_str(st));
		/* close returns the waiting jobs' buffers in the ERROR state */
		EXPECT_EQ(i ? -EIO : 1, st);
		EXPECT_TRUE(ready(m->cap_buf[i], POLLIN | POLLOUT));
	}
	EXPECT_EQ(0, vb2_pending_anywhere());
}

FIXTURE(exit) {
	struct m2m m;
	int sync_fd[NBUF];
};

FIXTURE_SETUP(exit)
{
	char path[PATH_MAX];
	bool mplane;
	int i;

	m2m_init(&self->m);
	for (i = 0; i < NBUF; i++)
		self->sync_fd[i] = -1;
	if (find_vim2m(path, sizeof(path), &mplane))
		SKIP(return, "no vim2m video node (modprobe vim2m)");
	if (access(BUFINFO_PATH, R_OK))
		SKIP(return, "no %s (debugfs)", BUFINFO_PATH);
	ASSERT_EQ(0, m2m_open(&self->m, JOB_MS));
}

FIXTURE_TEARDOWN(exit)
{
	int i;

	m2m_close(&self->m);
	for (i = 0; i < NBUF; i++)
		close_fd(&self->sync_fd[i]);
}

static int delete_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK) ? -errno : 0;
}

static int module_refcnt(const char *name)
{
	char path[128];
	int n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/module/%s/refcnt", name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	if (fscanf(f, "%d", &n) != 1)
		n = -EINVAL;
	fclose(f);
	return n;
}

/*
 * vim2m can be unloaded while a consumer still holds exports of its
 * buffers: the video fd pins vim2m, a dma-buf pins only its exporter,
 * videobuf2-vmalloc, and a signalled fence no longer points into any
 * module. The dma-bufs stay usable; once closed, nothing pins the
 * allocator any more. vim2m is loaded again at the end.
 */
TEST_F_TIMEOUT(exit, rmmod_with_exports_held, 120)
{
	struct m2m *m = &self->m;
	char path[PATH_MAX];
	int held, i, ret;
	bool mplane;

	ret = delete_module("vim2m");
	EXPECT_EQ(-EWOULDBLOCK, ret) {
		TH_LOG("rmmod vim2m with its video fd open: %d", ret);
	}
	queue_jobs(_metadata, m, 2, 2, self->sync_fd);
	close_fd(&m->fd);
	check_ended(_metadata, m, self->sync_fd, 2, "close()");

	held = module_refcnt("videobuf2_vmalloc");
	ASSERT_EQ(0, delete_module("vim2m"));
	EXPECT_EQ(-ENOENT, module_refcnt("vim2m"));
	/* every dma-buf holds a reference on its exporter, nothing else */
	EXPECT_EQ(NBUF, module_refcnt("videobuf2_vmalloc"));
	EXPECT_EQ(-EWOULDBLOCK, delete_module("videobuf2_vmalloc"));
	TH_LOG("vim2m unloaded; videobuf2_vmalloc refcnt %d before, %d after",
	       held, module_refcnt("videobuf2_vmalloc"));

	for (i = 0; i < NBUF; i++) {
		struct resv_desc d;
		int fd;

		EXPECT_EQ(0, bufinfo_fd(m->cap_buf[i], &d));
		EXPECT_EQ(0U, d.vb2_pending);
		EXPECT_TRUE(ready(m->cap_buf[i], POLLIN | POLLOUT));
		fd = dmabuf_export_sync_file(m->cap_buf[i], DMA_BUF_SYNC_RW);
		EXPECT_LE(0, fd);
		close(fd);
	}
	EXPECT_EQ(1, fence_status(self->sync_fd[0]));
	EXPECT_EQ(-EIO, fence_status(self->sync_fd[1]));
	for (i = 0; i < NBUF; i++)
		close_fd(&m->cap_buf[i]);
	EXPECT_EQ(0, module_refcnt("videobuf2_vmalloc"));

	ASSERT_EQ(0, system("modprobe vim2m"));
	for (i = 0; i < 100 && find_vim2m(path, sizeof(path), &mplane); i++)
		usleep(20 * 1000);
	ASSERT_EQ(0, find_vim2m(path, sizeof(path), &mplane));
}

/*
 * A foreign WRITE fence that never signals, imported into an MMAP export
 * of a CAPTURE plane. Where the context does not wait for the fences of
 * its buffers (no V4L2_BUF_CAP_SUPPORTS_FENCE_WAITS: vim2m's wait_fences
 * was N when it was opened, as faults.sh runs it once), the job runs and the buffer is dequeued, our
 * fence signals, and theirs stays in the resv over several frames (our
 * fences replace only each other) until its sw_sync timeline is closed,
 * which signals it with -ENOENT. Where vim2m waits, the job waits for it,
 * next to its own published fence, until the timeline is closed: the
 * writer failed, which does not fail a job that overwrites the buffer.
 */
/* Does the context wait for fences? CREATE_BUFS(0) allocates nothing */
static bool context_waits(struct m2m *m)
{
	struct v4l2_create_buffers cb = {
		.memory = V4L2_MEMORY_MMAP,
		.format.type = m->out_type,
	};

	return !xioctl(m->fd, VIDIOC_G_FMT, &cb.format) &&
	       !xioctl(m->fd, VIDIOC_CREATE_BUFS, &cb) &&
	       (cb.capabilities & V4L2_BUF_CAP_SUPPORTS_FENCE_WAITS);
}

TEST_F_TIMEOUT(exit, foreign_write_fence_never_signals, 120)
{
	struct dma_buf_import_sync_file imp = { .flags = DMA_BUF_SYNC_WRITE };
	struct sw_sync_create_fence_data data = { .value = 1 };
	struct m2m *m = &self->m;
	bool waits = context_waits(m);
	struct fence_snap s;
	struct resv_desc d;
	int timeline, wsync, ours = -1, theirs = -1;
	unsigned int frame, i, idx;

	timeline = open(SW_SYNC_PATH, O_RDWR | O_CLOEXEC);
	if (timeline < 0)
		SKIP(return, "%s: %s (CONFIG_SW_SYNC)", SW_SYNC_PATH,
		     strerror(errno));
	snprintf(data.name, sizeof(data.name), "never");
	ASSERT_EQ(0, xioctl(timeline, SW_SYNC_IOC_CREATE_FENCE, &data));
	imp.fd = data.fence;
	ASSERT_EQ(0, xioctl(m->cap_buf[0], DMA_BUF_IOCTL_IMPORT_SYNC_FILE,
			    &imp));
	close(imp.fd);
	ASSERT_FALSE(ready(m->cap_buf[0], POLLIN));
	/* long enough that our fence is still pending when looked at */
	ASSERT_EQ(0, vim2m_set_job_ms(m->fd, FOREIGN_JOB_MS));
	ASSERT_EQ(0, v4l2_streamon(m->fd, m->out_type));
	ASSERT_EQ(0, v4l2_streamon(m->fd, m->cap_type));

	for (frame = 0; frame < (waits ? 1 : 3); frame++) {
		ASSERT_EQ(0, qbuf(m, m->cap_type, 0));
		ASSERT_EQ(0, qbuf(m, m->out_type, 0));
		wsync = dmabuf_export_sync_file(m->cap_buf[0],
						DMA_BUF_SYNC_WRITE);
		ASSERT_LE(0, wsync);
		ASSERT_EQ(0, snap(wsync, &s));
		ASSERT_EQ(2U, s.num);
		for (i = 0; i < 2; i++) {
			if (!strcmp(s.f[i].driver_name, VB2_DRIVER))
				ours = i;
			else if (!strcmp(s.f[i].driver_name, "sw_sync"))
				theirs = i;
		}
		ASSERT_TRUE(ours >= 0 && theirs >= 0 && ours != theirs);
		EXPECT_EQ(0, s.f[ours].status);
		if (waits)
			break;

		/* the producer does not wait for the foreign writer */
		ASSERT_EQ(0, dqbuf_wait(m, m->cap_type, FOREIGN_JOB_MS + SLACK_MS,
					&idx));
		ASSERT_EQ(0, dqbuf_wait(m, m->out_type, SLACK_MS, &idx));
		ASSERT_EQ(0, snap(wsync, &s));
		EXPECT_EQ(1, s.f[ours].status);
		EXPECT_EQ(0, s.f[theirs].status);
		ASSERT_EQ(0, bufinfo_fd(m->cap_buf[0], &d));
		EXPECT_EQ(2U, d.fences);
		EXPECT_EQ(0U, d.vb2_pending);
		EXPECT_EQ(1U, d.other_pending);
		EXPECT_FALSE(ready(m->cap_buf[0], POLLIN));
		if (frame < 2)
			close(wsync);
	}
	if (waits) {
		/* the job waits for the writer, its own fence published */
		EXPECT_EQ(-ETIMEDOUT, dqbuf_wait(m, m->cap_type,
						 3 * FOREIGN_JOB_MS, &idx));
		ASSERT_EQ(0, bufinfo_fd(m->cap_buf[0], &d));
		EXPECT_EQ(1U, d.vb2_pending);
		EXPECT_EQ(1U, d.other_pending);
	}

	/* closing the timeline signals its fences with -ENOENT */
	close(timeline);
	if (waits) {
		/* and lets the job run: a failed writer is overwritten */
		ASSERT_EQ(0, dqbuf_wait(m, m->cap_type, FOREIGN_JOB_MS + SLACK_MS,
					&idx));
		ASSERT_EQ(0, dqbuf_wait(m, m->out_type, SLACK_MS, &idx));
		ASSERT_EQ(0, snap(wsync, &s));
		EXPECT_EQ(1, s.f[ours].status);
	}
	EXPECT_EQ(1, wait_fd(m->cap_buf[0], POLLIN | POLLOUT, SLACK_MS));
	ASSERT_EQ(0, snap(wsync, &s));
	EXPECT_EQ(-ENOENT, s.f[theirs].status);
	EXPECT_EQ(-ENOENT, s.status);
	close(wsync);
	ASSERT_EQ(0, bufinfo_fd(m->cap_buf[0], &d));
	EXPECT_EQ(0U, d.vb2_pending + d.other_pending);
	TH_LOG("foreign fence %s, %u fences in the resv at the end",
	       waits ? "waited for until it failed" : "kept over 3 frames",
	       d.fences);
}

TEST_HARNESS_MAIN
