// SPDX-License-Identifier: GPL-2.0
/*
 * The cost of videobuf2 release fences at native speed. Not part of the
 * series: scripts/bench-native.sh copies it into a worktree of the series'
 * tree and runs it on User Mode Linux with kunit.py, where kernel code runs
 * as host instructions, unlike the workbench's QEMU (TCG) guest.
 *
 * Each measurement runs the same work with the release fence opt-in off
 * and on, in alternating blocks of operations (off-on, on-off, off-on, ...:
 * drift of the host hits both settings alike), and prints
 *
 *   R native.<metric> <release_fences 0|1|-> <blocks> <median> <q1> <q3> ns
 *
 * the median and quartiles of the blocks' ns per operation. A phase
 * metric (<metric>.<phase>) comes from separate blocks that read the clock
 * between the phases of every operation; the "clock" phase is one such
 * read with nothing in between, and every phase includes one.
 *
 * Built in the base kernel (no series; the Makefile defines
 * VB2_FENCE_BENCH_BASE), or with only_off=1, it times the opt-out setting
 * alone, for comparisons between kernels.
 *
 * Only that the work was done is asserted, never how fast.
 */

#include <kunit/test.h>
#include <linux/dma-buf.h>
#include <linux/dma-fence.h>
#include <linux/dma-resv.h>
#include <linux/fcntl.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/workqueue.h>
#include <media/v4l2-mem2mem.h>
#include <media/videobuf2-v4l2.h>
#include <media/videobuf2-vmalloc.h>

/*
 * The opt-in: a queue declares release fences (&vb2_queue.release_fences)
 * and videobuf2 attaches one to each buffer it queues; the count of fences
 * a buffer was given tells that it did. In the base kernel, nothing.
 */
#ifdef VB2_FENCE_BENCH_BASE
#define BENCH_FENCES	false

static inline void bench_declare(struct vb2_queue *q, bool on)
{
}

static inline u64 bench_fences_given(struct vb2_buffer *vb)
{
	return 0;
}

static inline void bench_publish(struct vb2_buffer *vb)
{
}

static inline bool bench_begin_signalling(struct v4l2_m2m_ctx *ctx)
{
	return true;
}

static inline void bench_end_signalling(bool cookie)
{
}
#else
#define BENCH_FENCES	true

static inline void bench_declare(struct vb2_queue *q, bool on)
{
	q->release_fences = on;
}

static inline u64 bench_fences_given(struct vb2_buffer *vb)
{
	return vb->release_fence_seqno;
}

static inline void bench_publish(struct vb2_buffer *vb)
{
	vb2_buffer_publish_release_fence(vb);
}

static inline bool bench_begin_signalling(struct v4l2_m2m_ctx *ctx)
{
	return v4l2_m2m_begin_signalling(ctx);
}

static inline void bench_end_signalling(bool cookie)
{
	v4l2_m2m_end_signalling(cookie);
}
#endif

static unsigned int blocks = 1000;
module_param(blocks, uint, 0444);
MODULE_PARM_DESC(blocks, "blocks per setting and measurement");

/*
 * Long enough for UML's clock (256 ns steps) to be exact to 1 %, short
 * enough for most blocks to run without an interruption by the host.
 */
static unsigned int block_us = 50;
module_param(block_us, uint, 0444);
MODULE_PARM_DESC(block_us, "microseconds a block of the opt-out setting takes");

static bool only_off = !BENCH_FENCES;
module_param(only_off, bool, 0444);
MODULE_PARM_DESC(only_off, "time the opt-out setting only, whole cycles only");

#define BENCH_MAX_PHASES	6

/*
 * One block: @n operations with the opt-in @on. With @phase non-NULL, adds
 * each phase's ns to it. Returns 0 if every operation did its work.
 */
typedef int (*bench_fn)(void *priv, bool on, unsigned int n, u64 *phase);

/* Ends the current phase of an operation; nothing if phases are not timed. */
static inline void bench_stamp(u64 *phase, unsigned int i, u64 *last)
{
	u64 now;

	if (!phase)
		return;
	now = ktime_get_ns();
	phase[i] += now - *last;
	*last = now;
}

static inline u64 bench_start(u64 *phase)
{
	return phase ? ktime_get_ns() : 0;
}

/*
 * Lets a worker that the operation woke run now, inside the operation,
 * rather than at whichever might_sleep() of a later one it preempts: UML
 * has one CPU, and a work item queued by an interrupt handler on
 * hardware runs between the jobs anyway. The woken worker is runnable and
 * this thread has used its share, so yield() switches to it.
 */
static void bench_let_workers_run(void)
{
	yield();
}

static int bench_cmp(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* @v: tenths of a ns per operation, one per block; sorted here. */
static void bench_report(struct kunit *test, const char *metric,
			 const char *phase, const char *setting, u64 *v,
			 unsigned int n)
{
	u64 q1, med, q3;

	sort(v, n, sizeof(*v), bench_cmp, NULL);
	q1 = v[n / 4];
	med = v[n / 2];
	q3 = v[3 * n / 4];
	kunit_info(test, "R native.%s%s%s %s %u %llu.%llu %llu.%llu %llu.%llu ns\n",
		   metric, phase ? "." : "", phase ?: "", setting, n,
		   med / 10, med % 10, q1 / 10, q1 % 10, q3 / 10, q3 % 10);
}

/* Operations per block: as many as the opt-out setting runs in block_us. */
static unsigned int bench_per_block(struct kunit *test, const char *metric,
				    bench_fn fn, void *priv)
{
	u64 t, best = U64_MAX;
	unsigned int i, n;

	KUNIT_ASSERT_GT(test, blocks, 0);
	for (i = 0; i < 8; i++) {
		t = ktime_get_ns();
		KUNIT_ASSERT_EQ(test, fn(priv, false, 64, NULL), 0);
		best = min(best, ktime_get_ns() - t);
	}
	n = clamp_t(u64, div64_u64(block_us * 64000ULL, best ?: 1), 16,
		    1000000);
	kunit_info(test, "B native.%s blocks=%u per_block=%u\n", metric,
		   blocks, n);
	return n;
}

/*
 * Times @fn with the opt-in off and on, interleaved: whole blocks, or with
 * @phases (@nph names) each phase. Between blocks, untimed, the thread
 * yields if the scheduler asks, so that workers and RCU callbacks that the
 * previous block left run there and not inside the next one.
 */
static void bench_run(struct kunit *test, const char *metric, bench_fn fn,
		      void *priv, const char *const *phases, unsigned int nph)
{
	unsigned int cols = phases ? nph : 1;
	unsigned int settings = only_off || !BENCH_FENCES ? 1 : 2;
	u64 acc[BENCH_MAX_PHASES], t0, *v[2];
	unsigned int b, s, p, n;
	int on;

	KUNIT_ASSERT_LE(test, cols, BENCH_MAX_PHASES);
	n = bench_per_block(test, metric, fn, priv);
	for (s = 0; s < settings; s++) {
		v[s] = kunit_kcalloc(test, cols * blocks, sizeof(u64),
				     GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, v[s]);
	}

	/* warm caches, slabs and the reservation objects' fence lists */
	for (s = 0; s < 4; s++)
		KUNIT_ASSERT_EQ(test, fn(priv, s % settings, n, NULL), 0);

	for (b = 0; b < blocks; b++) {
		for (s = 0; s < settings; s++) {
			/* off-on, then on-off */
			on = settings == 2 ? s ^ (b & 1) : 0;
			memset(acc, 0, sizeof(acc));
			cond_resched();
			t0 = ktime_get_ns();
			KUNIT_ASSERT_EQ(test, fn(priv, on, n,
						 phases ? acc : NULL), 0);
			if (!phases)
				acc[0] = ktime_get_ns() - t0;
			for (p = 0; p < cols; p++)
				v[on][p * blocks + b] = div_u64(acc[p] * 10, n);
		}
	}
	for (p = 0; p < cols; p++)
		for (on = 0; on < settings; on++)
			bench_report(test, metric, phases ? phases[p] : NULL,
				     on ? "1" : "0", v[on] + p * blocks,
				     blocks);
}

/* Times @fn alone, for the primitives: no setting. */
static void bench_single(struct kunit *test, const char *metric, bench_fn fn,
			 void *priv)
{
	unsigned int b, n;
	u64 t0, *v;

	v = kunit_kcalloc(test, blocks, sizeof(u64), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, v);
	n = bench_per_block(test, metric, fn, priv);
	for (b = 0; b < blocks; b++) {
		cond_resched();
		t0 = ktime_get_ns();
		KUNIT_ASSERT_EQ(test, fn(priv, false, n, NULL), 0);
		v[b] = div_u64((ktime_get_ns() - t0) * 10, n);
	}
	bench_report(test, metric, NULL, "-", v, blocks);
}

/*
 * The vb2 core cycle: a vmalloc capture queue without a device that
 * declares release fences when "on", as an opting-in driver does (vb2
 * attaches the fence before buf_queue); the cycle publishes it as
 * v4l2-mem2mem does when the job is committed, and completes the buffer as
 * the hardware would.
 */
struct core_bench {
	struct vb2_queue q;
	struct mutex lock;	/* q->lock, required; one thread uses q */
	struct vb2_buffer *vb;
	struct dma_buf *dbuf[VB2_MAX_PLANES];
	unsigned int num_planes;
	bool initialised;
};

struct m2m_bench;
struct prim_bench;

/* test->priv: what bench_exit() releases if a case stops half-way */
struct bench_state {
	struct core_bench core;
	struct m2m_bench *m2m;		/* [0] opted out, [1] opted in */
	struct prim_bench *prim;
};

static int core_queue_setup(struct vb2_queue *q, unsigned int *num_buffers,
			    unsigned int *num_planes, unsigned int sizes[],
			    struct device *alloc_devs[])
{
	struct core_bench *c = vb2_get_drv_priv(q);
	unsigned int p;

	*num_planes = c->num_planes;
	for (p = 0; p < c->num_planes; p++)
		sizes[p] = PAGE_SIZE;
	return 0;
}

static void core_buf_queue(struct vb2_buffer *vb)
{
}

static void core_stop_streaming(struct vb2_queue *q)
{
	struct core_bench *c = vb2_get_drv_priv(q);

	if (c->vb->state == VB2_BUF_STATE_ACTIVE)
		vb2_buffer_done(c->vb, VB2_BUF_STATE_ERROR);
}

static const struct vb2_ops core_ops = {
	.queue_setup = core_queue_setup,
	.buf_queue = core_buf_queue,
	.stop_streaming = core_stop_streaming,
};

static void core_release(struct core_bench *c)
{
	unsigned int p;

	for (p = 0; p < VB2_MAX_PLANES; p++) {
		if (c->dbuf[p])
			dma_buf_put(c->dbuf[p]);
		c->dbuf[p] = NULL;
	}
	if (c->initialised)
		vb2_core_queue_release(&c->q);
	c->initialised = false;
}

/*
 * A streaming queue with buffer 0 dequeued, and with @exported, a dma-buf
 * exported from each plane as VIDIOC_EXPBUF does, without the file
 * descriptor.
 */
static void core_setup(struct kunit *test, struct core_bench *c,
		       unsigned int num_planes, bool exported)
{
	unsigned int count = 2, p;
	struct vb2_buffer *vb;

	memset(&c->q, 0, sizeof(c->q));
	c->num_planes = num_planes;
	c->q.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	c->q.io_modes = VB2_MMAP;
	c->q.ops = &core_ops;
	c->q.mem_ops = &vb2_vmalloc_memops;
	c->q.lock = &c->lock;
	c->q.drv_priv = c;
	strscpy(c->q.name, "bench-cap", sizeof(c->q.name));
	KUNIT_ASSERT_EQ(test, vb2_core_queue_init(&c->q), 0);
	c->initialised = true;
	KUNIT_ASSERT_EQ(test, vb2_core_reqbufs(&c->q, VB2_MEMORY_MMAP, 0,
					       &count), 0);
	vb = vb2_get_buffer(&c->q, 0);
	KUNIT_ASSERT_NOT_NULL(test, vb);
	c->vb = vb;
	KUNIT_ASSERT_EQ(test, vb2_core_streamon(&c->q, c->q.type), 0);
	for (p = 0; exported && p < num_planes; p++) {
		c->dbuf[p] = vb2_vmalloc_memops.get_dmabuf(vb,
							   vb->planes[p].mem_priv,
							   O_RDWR);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, c->dbuf[p]);
	}
}

static int core_cycle(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct core_bench *c = priv;
	u64 last = bench_start(phase);
	struct vb2_buffer *vb = c->vb;
	u64 given = bench_fences_given(vb);
	unsigned int i, index;

	/* the queue is idle between blocks: its setting may change */
	bench_declare(&c->q, on);
	for (i = 0; i < n; i++) {
		if (vb2_core_qbuf(&c->q, vb, NULL, NULL))
			return -EIO;
		bench_stamp(phase, 0, &last);
		/* v4l2-mem2mem publishes only for queues that opted in */
		if (on)
			bench_publish(vb);
		bench_stamp(phase, 1, &last);
		vb2_buffer_done(vb, VB2_BUF_STATE_DONE);
		bench_stamp(phase, 2, &last);
		if (vb2_core_dqbuf(&c->q, &index, NULL, true))
			return -EIO;
		bench_stamp(phase, 3, &last);
		bench_stamp(phase, 4, &last);
	}
	/* each fenced cycle gave the buffer a fence, no other did */
	return bench_fences_given(vb) - given == (on ? n : 0) ? 0 : -EIO;
}

#ifndef VB2_FENCE_BENCH_BASE
/*
 * What a consumer of plane @p waits on: the export's reservation object,
 * which the series makes the plane's one for every export (checked).
 */
static struct dma_resv *core_resv(struct kunit *test, struct core_bench *c,
				  unsigned int p)
{
	struct dma_resv *resv;

	resv = vb2_vmalloc_memops.resv(c->vb, c->vb->planes[p].mem_priv);
	if (c->dbuf[p])
		KUNIT_EXPECT_PTR_EQ(test, c->dbuf[p]->resv, resv);
	return c->dbuf[p] ? c->dbuf[p]->resv : resv;
}

/* One fenced cycle, checked: what a consumer of each plane sees. */
static void core_check(struct kunit *test, struct core_bench *c)
{
	struct vb2_buffer *vb = c->vb;
	struct dma_fence *fence;
	unsigned int p, index;

	bench_declare(&c->q, true);
	KUNIT_ASSERT_EQ(test, vb2_core_qbuf(&c->q, vb, NULL, NULL), 0);
	KUNIT_ASSERT_NOT_NULL(test, vb->release_fence);
	fence = dma_fence_get(vb->release_fence);
	vb2_buffer_publish_release_fence(vb);
	for (p = 0; p < c->num_planes; p++)
		KUNIT_EXPECT_FALSE(test,
				   dma_resv_test_signaled(core_resv(test, c, p),
							  DMA_RESV_USAGE_WRITE));
	vb2_buffer_done(vb, VB2_BUF_STATE_DONE);
	KUNIT_EXPECT_EQ(test, dma_fence_get_status(fence), 1);
	for (p = 0; p < c->num_planes; p++)
		KUNIT_EXPECT_TRUE(test,
				  dma_resv_test_signaled(core_resv(test, c, p),
							 DMA_RESV_USAGE_WRITE));
	dma_fence_put(fence);
	KUNIT_ASSERT_EQ(test, vb2_core_dqbuf(&c->q, &index, NULL, true), 0);
}
#else
static void core_check(struct kunit *test, struct core_bench *c)
{
}
#endif

static const char *const core_phases[] = {
	"qbuf", "publish", "done", "dqbuf", "clock",
};

static void bench_core_cycle(struct kunit *test)
{
	/* exports share the plane's object: their phases are no news */
	static const struct {
		const char *metric;
		unsigned int planes;
		bool exported;
	} cfg[] = {
		{ "core.1p", 1, false },
		{ "core.3p", 3, false },
		{ "core.1p_exp", 1, true },
		{ "core.3p_exp", 3, true },
	};
	struct bench_state *st = test->priv;
	struct core_bench *c = &st->core;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cfg); i++) {
		core_setup(test, c, cfg[i].planes, cfg[i].exported);
		core_check(test, c);
		bench_run(test, cfg[i].metric, core_cycle, c, NULL, 0);
		if (!only_off && !cfg[i].exported)
			bench_run(test, cfg[i].metric, core_cycle, c,
				  core_phases, ARRAY_SIZE(core_phases));
		core_release(c);
	}
}

/*
 * The v4l2-mem2mem cycle: two devices with one context each, on vmalloc
 * queues, one whose driver opts in (attaches in buf_queue) and one whose
 * driver does not. The bench plays the ioctls (with the queue lock, as
 * the V4L2 core takes it) and the hardware: device_run() only counts the
 * job, and the cycle completes it as an interrupt handler would.
 */
struct m2m_bench {
	struct v4l2_m2m_dev *dev;
	struct v4l2_m2m_ctx *ctx;
	struct mutex lock;	/* both queues' lock */
	bool fenced;
	unsigned int runs;
};

static void m2m_device_run(void *priv)
{
	struct m2m_bench *m = priv;

	WRITE_ONCE(m->runs, m->runs + 1);
}

/* Ends a running job in error: only on release, never while timed. */
static void m2m_job_abort(void *priv)
{
	struct m2m_bench *m = priv;
	struct vb2_v4l2_buffer *src, *dst;

	src = v4l2_m2m_src_buf_remove(m->ctx);
	dst = v4l2_m2m_dst_buf_remove(m->ctx);
	if (src)
		v4l2_m2m_buf_done(src, VB2_BUF_STATE_ERROR);
	if (dst)
		v4l2_m2m_buf_done(dst, VB2_BUF_STATE_ERROR);
	v4l2_m2m_job_finish(m->dev, m->ctx);
}

static const struct v4l2_m2m_ops m2m_ops = {
	.device_run = m2m_device_run,
	.job_abort = m2m_job_abort,
};

static int m2m_queue_setup(struct vb2_queue *q, unsigned int *num_buffers,
			   unsigned int *num_planes, unsigned int sizes[],
			   struct device *alloc_devs[])
{
	*num_planes = 1;
	sizes[0] = PAGE_SIZE;
	return 0;
}

static void m2m_buf_queue(struct vb2_buffer *vb)
{
	struct m2m_bench *m = vb2_get_drv_priv(vb->vb2_queue);

	v4l2_m2m_buf_queue(m->ctx, to_vb2_v4l2_buffer(vb));
}

static void m2m_stop_streaming(struct vb2_queue *q)
{
	struct m2m_bench *m = vb2_get_drv_priv(q);
	struct vb2_v4l2_buffer *vbuf;

	while ((vbuf = q->is_output ? v4l2_m2m_src_buf_remove(m->ctx) :
				      v4l2_m2m_dst_buf_remove(m->ctx)))
		v4l2_m2m_buf_done(vbuf, VB2_BUF_STATE_ERROR);
}

static const struct vb2_ops m2m_vb2_ops = {
	.queue_setup = m2m_queue_setup,
	.buf_queue = m2m_buf_queue,
	.stop_streaming = m2m_stop_streaming,
};

static int m2m_init_vq(struct m2m_bench *m, struct vb2_queue *q,
		       enum v4l2_buf_type type)
{
	q->type = type;
	q->io_modes = VB2_MMAP;
	q->drv_priv = m;
	q->buf_struct_size = sizeof(struct v4l2_m2m_buffer);
	q->ops = &m2m_vb2_ops;
	q->mem_ops = &vb2_vmalloc_memops;
	q->timestamp_flags = V4L2_BUF_FLAG_TIMESTAMP_COPY;
	q->lock = &m->lock;
	bench_declare(q, m->fenced && !V4L2_TYPE_IS_OUTPUT(type));
	return vb2_queue_init(q);
}

static int m2m_queue_init(void *priv, struct vb2_queue *src_vq,
			  struct vb2_queue *dst_vq)
{
	int ret = m2m_init_vq(priv, src_vq, V4L2_BUF_TYPE_VIDEO_OUTPUT);

	return ret ?: m2m_init_vq(priv, dst_vq, V4L2_BUF_TYPE_VIDEO_CAPTURE);
}

static void m2m_setup(struct kunit *test, struct m2m_bench *m, bool fenced)
{
	enum v4l2_buf_type type;
	unsigned int count;
	int i, ret;

	m->fenced = fenced;
	m->dev = v4l2_m2m_init(&m2m_ops);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m->dev);
	m->ctx = v4l2_m2m_ctx_init(m->dev, m, m2m_queue_init);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, m->ctx);
	for (i = 0; i < 2; i++) {
		type = i ? V4L2_BUF_TYPE_VIDEO_OUTPUT :
			   V4L2_BUF_TYPE_VIDEO_CAPTURE;
		count = 2;
		mutex_lock(&m->lock);
		ret = vb2_core_reqbufs(v4l2_m2m_get_vq(m->ctx, type),
				       VB2_MEMORY_MMAP, 0, &count);
		if (!ret)
			ret = v4l2_m2m_streamon(NULL, m->ctx, type);
		mutex_unlock(&m->lock);
		KUNIT_ASSERT_EQ(test, ret, 0);
	}
}

static void m2m_release(struct m2m_bench *m)
{
	if (!IS_ERR_OR_NULL(m->ctx)) {
		mutex_lock(&m->lock);
		v4l2_m2m_ctx_release(m->ctx);
		mutex_unlock(&m->lock);
	}
	if (!IS_ERR_OR_NULL(m->dev))
		v4l2_m2m_release(m->dev);
	m->ctx = NULL;
	m->dev = NULL;
}

/* VIDIOC_QBUF as v4l2_m2m_qbuf() does it, less the file it needs. */
static int m2m_qbuf(struct m2m_bench *m, enum v4l2_buf_type type)
{
	struct v4l2_buffer b = {
		.type = type,
		.memory = V4L2_MEMORY_MMAP,
		.field = V4L2_FIELD_NONE,
		.bytesused = V4L2_TYPE_IS_OUTPUT(type) ? PAGE_SIZE : 0,
	};
	int ret;

	mutex_lock(&m->lock);
	ret = vb2_qbuf(v4l2_m2m_get_vq(m->ctx, type), NULL, &b);
	if (!ret)
		v4l2_m2m_try_schedule(m->ctx);
	mutex_unlock(&m->lock);
	return ret;
}

static int m2m_dqbuf(struct m2m_bench *m, enum v4l2_buf_type type)
{
	struct v4l2_buffer b = {
		.type = type,
		.memory = V4L2_MEMORY_MMAP,
	};
	int ret;

	mutex_lock(&m->lock);
	ret = vb2_dqbuf(v4l2_m2m_get_vq(m->ctx, type), &b, true);
	mutex_unlock(&m->lock);
	return ret;
}

/* The hardware ends the job, as an interrupt handler does. */
static int m2m_finish(struct m2m_bench *m)
{
	bool cookie = bench_begin_signalling(m->ctx);
	struct vb2_v4l2_buffer *src, *dst;

	src = v4l2_m2m_src_buf_remove(m->ctx);
	dst = v4l2_m2m_dst_buf_remove(m->ctx);
	if (src)
		v4l2_m2m_buf_done(src, VB2_BUF_STATE_DONE);
	if (dst)
		v4l2_m2m_buf_done(dst, VB2_BUF_STATE_DONE);
	v4l2_m2m_job_finish(m->dev, m->ctx);
	bench_end_signalling(cookie);
	return src && dst ? 0 : -EIO;
}

/*
 * CAPTURE is queued first, so that its QBUF attaches the fence and the
 * OUTPUT QBUF commits the job: publication, job queueing and device_run().
 */
static int m2m_cycle(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct m2m_bench *m = (struct m2m_bench *)priv + on;
	struct vb2_buffer *cap = vb2_get_buffer(v4l2_m2m_get_dst_vq(m->ctx), 0);
	u64 last = bench_start(phase), given = bench_fences_given(cap);
	unsigned int i, runs = m->runs;

	for (i = 0; i < n; i++) {
		if (m2m_qbuf(m, V4L2_BUF_TYPE_VIDEO_CAPTURE))
			return -EIO;
		bench_stamp(phase, 0, &last);
		if (m2m_qbuf(m, V4L2_BUF_TYPE_VIDEO_OUTPUT) ||
		    READ_ONCE(m->runs) != ++runs)
			return -EIO;
		bench_stamp(phase, 1, &last);
		if (m2m_finish(m))
			return -EIO;
		bench_stamp(phase, 2, &last);
		/* job_finish() queued the device's job_work */
		bench_let_workers_run();
		bench_stamp(phase, 3, &last);
		if (m2m_dqbuf(m, V4L2_BUF_TYPE_VIDEO_OUTPUT) ||
		    m2m_dqbuf(m, V4L2_BUF_TYPE_VIDEO_CAPTURE))
			return -EIO;
		bench_stamp(phase, 4, &last);
		bench_stamp(phase, 5, &last);
	}
	/* QBUF takes buffer 0; only the opted-in device fences it */
	return bench_fences_given(cap) - given == (on ? n : 0) ? 0 : -EIO;
}

#ifndef VB2_FENCE_BENCH_BASE
/* One cycle of each device: only the opted-in one publishes a fence. */
static void m2m_check(struct kunit *test, struct m2m_bench *m)
{
	struct vb2_queue *cap;
	struct vb2_buffer *vb;
	struct dma_resv *resv;
	int on;

	for (on = 0; on < 2; on++) {
		cap = v4l2_m2m_get_vq(m[on].ctx, V4L2_BUF_TYPE_VIDEO_CAPTURE);
		vb = vb2_get_buffer(cap, 0);
		resv = vb2_vmalloc_memops.resv(vb, vb->planes[0].mem_priv);
		KUNIT_ASSERT_EQ(test, m2m_qbuf(&m[on],
					       V4L2_BUF_TYPE_VIDEO_CAPTURE), 0);
		KUNIT_ASSERT_EQ(test, m2m_qbuf(&m[on],
					       V4L2_BUF_TYPE_VIDEO_OUTPUT), 0);
		KUNIT_ASSERT_EQ(test, m[on].runs, 1);
		KUNIT_EXPECT_EQ(test, vb2_buffer_release_fence_published(vb),
				on);
		/* a consumer of the capture plane waits only with the opt-in */
		KUNIT_EXPECT_EQ(test, dma_resv_test_signaled(resv,
							     DMA_RESV_USAGE_WRITE),
				!on);
		KUNIT_ASSERT_EQ(test, m2m_finish(&m[on]), 0);
		KUNIT_EXPECT_TRUE(test, dma_resv_test_signaled(resv,
							       DMA_RESV_USAGE_WRITE));
		KUNIT_ASSERT_EQ(test, m2m_dqbuf(&m[on],
						V4L2_BUF_TYPE_VIDEO_OUTPUT), 0);
		KUNIT_ASSERT_EQ(test, m2m_dqbuf(&m[on],
						V4L2_BUF_TYPE_VIDEO_CAPTURE), 0);
	}
}
#else
static void m2m_check(struct kunit *test, struct m2m_bench *m)
{
}
#endif

static const char *const m2m_phases[] = {
	"qbuf_cap", "qbuf_out_run", "done_finish", "job_work", "dqbuf",
	"clock",
};

static void bench_m2m_cycle(struct kunit *test)
{
	struct bench_state *st = test->priv;
	struct m2m_bench *m;

	m = kunit_kcalloc(test, 2, sizeof(*m), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, m);
	mutex_init(&m[0].lock);
	mutex_init(&m[1].lock);
	st->m2m = m;
	m2m_setup(test, &m[0], false);
	m2m_setup(test, &m[1], true);
	m2m_check(test, m);
	bench_run(test, "m2m", m2m_cycle, m, NULL, 0);
	if (!only_off)
		bench_run(test, "m2m", m2m_cycle, m, m2m_phases,
			  ARRAY_SIZE(m2m_phases));
}

/*
 * The primitives the fence path is made of, each alone, so that the phase
 * figures above can be split: the clock read of dma_fence_signal(), what
 * UML makes of irq flags, spinlocks and atomics, the allocation of attach
 * and the free of a fence, the locking of publication with one
 * reservation object, and with three with and without a ww acquire
 * context, and the workqueues that run job_work.
 */
struct prim_bench {
	struct dma_resv resv[3];
	bool resv_initialised;
	/* stays in resv[0], replaced by itself */
	struct dma_fence fence;
	/* initialised and signalled again and again */
	struct dma_fence scratch;
	u64 context;
	u64 seqno;
	spinlock_t lock;	/* only locked and unlocked */
	atomic_t count;
	struct work_struct work;
	unsigned int work_runs;
	struct workqueue_struct *wq;
};

/* the size of the series' fence */
struct prim_fence {
	struct dma_fence base;
	const char *timeline;
};

static const char *prim_fence_name(struct dma_fence *fence)
{
	return "bench";
}

/* The fences are not allocated: nothing to free. */
static void prim_fence_release(struct dma_fence *fence)
{
}

static const struct dma_fence_ops prim_fence_ops = {
	.get_driver_name = prim_fence_name,
	.get_timeline_name = prim_fence_name,
	.release = prim_fence_release,
};

static int prim_clock(void *priv, bool on, unsigned int n, u64 *phase)
{
	u64 sum = 0;

	while (n--)
		sum += ktime_get_ns();
	return sum ? 0 : -EIO;
}

/* UML's irq flags are a host thread's variable, not the CPU's flag */
static int prim_irq(void *priv, bool on, unsigned int n, u64 *phase)
{
	unsigned long flags;

	while (n--) {
		local_irq_save(flags);
		local_irq_restore(flags);
	}
	return 0;
}

static int prim_spin(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_bench *pb = priv;

	while (n--) {
		spin_lock(&pb->lock);
		spin_unlock(&pb->lock);
	}
	return 0;
}

static int prim_atomic(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_bench *pb = priv;

	while (n--)
		atomic_inc(&pb->count);
	return 0;
}

static int prim_alloc(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_fence *f;

	while (n--) {
		f = kzalloc_obj(*f);
		if (!f)
			return -ENOMEM;
		kfree(f);
	}
	return 0;
}

/* the fence's free, as dma_fence_free() does it: after a grace period */
static int prim_alloc_rcu(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_fence *f;

	while (n--) {
		f = kzalloc_obj(*f);
		if (!f)
			return -ENOMEM;
		kfree_rcu(f, base.rcu);
	}
	return 0;
}

static int prim_lock1(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_bench *pb = priv;

	while (n--) {
		if (dma_resv_lock_interruptible(&pb->resv[0], NULL))
			return -EINTR;
		dma_resv_unlock(&pb->resv[0]);
	}
	return 0;
}

static int prim_lock3(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_bench *pb = priv;
	unsigned int i;

	while (n--) {
		for (i = 0; i < 3; i++)
			if (dma_resv_lock_interruptible(&pb->resv[i], NULL))
				return -EINTR;
		for (i = 0; i < 3; i++)
			dma_resv_unlock(&pb->resv[i]);
	}
	return 0;
}

static int prim_lock3_ww(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_bench *pb = priv;
	struct ww_acquire_ctx ctx;
	unsigned int i;

	while (n--) {
		ww_acquire_init(&ctx, &reservation_ww_class);
		for (i = 0; i < 3; i++)
			if (dma_resv_lock_interruptible(&pb->resv[i], &ctx))
				return -EINTR;
		ww_acquire_done(&ctx);
		for (i = 0; i < 3; i++)
			dma_resv_unlock(&pb->resv[i]);
		ww_acquire_fini(&ctx);
	}
	return 0;
}

/* Publication of one fence in one object, as the series does it. */
static int prim_add(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_bench *pb = priv;

	while (n--) {
		if (dma_resv_lock_interruptible(&pb->resv[0], NULL))
			return -EINTR;
		if (dma_resv_reserve_fences(&pb->resv[0], 1)) {
			dma_resv_unlock(&pb->resv[0]);
			return -ENOMEM;
		}
		dma_resv_add_fence(&pb->resv[0], &pb->fence,
				   DMA_RESV_USAGE_WRITE);
		dma_resv_unlock(&pb->resv[0]);
	}
	return 0;
}

static int prim_signal(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_bench *pb = priv;

	while (n--) {
		dma_fence_init(&pb->scratch, &prim_fence_ops, NULL,
			       pb->context, ++pb->seqno);
		dma_fence_signal(&pb->scratch);
		dma_fence_put(&pb->scratch);
	}
	return 0;
}

static void prim_work_fn(struct work_struct *work)
{
	struct prim_bench *pb = container_of(work, struct prim_bench, work);

	WRITE_ONCE(pb->work_runs, pb->work_runs + 1);
}

/*
 * What job_finish() and the m2m cycle do: queue the work and let it run.
 * One yield() runs it nearly always; yield until it did.
 */
static int prim_work(void *priv, bool on, unsigned int n, u64 *phase)
{
	struct prim_bench *pb = priv;
	unsigned int runs = pb->work_runs, tries;

	while (n--) {
		queue_work(pb->wq, &pb->work);
		runs++;
		for (tries = 0; READ_ONCE(pb->work_runs) != runs; tries++) {
			if (tries == 1000)
				return -EIO;
			bench_let_workers_run();
		}
	}
	return 0;
}

static int prim_yield(void *priv, bool on, unsigned int n, u64 *phase)
{
	while (n--)
		bench_let_workers_run();
	return 0;
}

static void prim_release(struct prim_bench *pb)
{
	unsigned int i;

	if (pb->wq && pb->wq != system_percpu_wq)
		destroy_workqueue(pb->wq);
	pb->wq = NULL;
	if (!pb->resv_initialised)
		return;
	for (i = 0; i < 3; i++)
		dma_resv_fini(&pb->resv[i]);
	dma_fence_signal(&pb->fence);
	dma_fence_put(&pb->fence);
	pb->resv_initialised = false;
}

static void bench_primitives(struct kunit *test)
{
	static const struct {
		const char *metric;
		unsigned int flags;	/* of a workqueue; 0: system_percpu_wq */
		int max_active;
	} wqs[] = {
		/* schedule_work(): devices without fenced contexts */
		{ "prim.work_system_percpu", 0, 0 },
		/*
		 * the series' queue for devices with fenced contexts:
		 * alloc_ordered_workqueue(name, WQ_MEM_RECLAIM), expanded
		 */
		{ "prim.work_ordered_reclaim", WQ_UNBOUND | __WQ_ORDERED |
					       WQ_MEM_RECLAIM, 1 },
		{ "prim.work_percpu_reclaim", WQ_PERCPU | WQ_MEM_RECLAIM, 0 },
	};
	struct bench_state *st = test->priv;
	struct prim_bench *pb;
	unsigned int i;

	pb = kunit_kzalloc(test, sizeof(*pb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pb);
	for (i = 0; i < 3; i++)
		dma_resv_init(&pb->resv[i]);
	pb->context = dma_fence_context_alloc(2);
	dma_fence_init(&pb->fence, &prim_fence_ops, NULL, pb->context + 1, 1);
	pb->resv_initialised = true;
	INIT_WORK(&pb->work, prim_work_fn);
	spin_lock_init(&pb->lock);
	st->prim = pb;

	/* code the series does not change: controls between kernels */
	bench_single(test, "prim.alloc_free", prim_alloc, pb);
	bench_single(test, "prim.resv_lock", prim_lock1, pb);
	if (only_off)
		return;
	bench_single(test, "prim.clock", prim_clock, pb);
	bench_single(test, "prim.irq_save_restore", prim_irq, pb);
	bench_single(test, "prim.spin_lock_unlock", prim_spin, pb);
	bench_single(test, "prim.atomic_inc", prim_atomic, pb);
	bench_single(test, "prim.alloc_kfree_rcu", prim_alloc_rcu, pb);
	bench_single(test, "prim.resv_lock_3", prim_lock3, pb);
	bench_single(test, "prim.resv_lock_3_ww", prim_lock3_ww, pb);
	bench_single(test, "prim.resv_lock_reserve_add", prim_add, pb);
	bench_single(test, "prim.fence_init_signal_put", prim_signal, pb);
	bench_single(test, "prim.yield", prim_yield, pb);
	for (i = 0; i < ARRAY_SIZE(wqs); i++) {
		pb->wq = wqs[i].flags ?
			 alloc_workqueue("vb2-fence-bench", wqs[i].flags,
					 wqs[i].max_active) :
			 system_percpu_wq;
		KUNIT_ASSERT_NOT_NULL(test, pb->wq);
		/* a new queue's pool may have no worker yet: make one */
		queue_work(pb->wq, &pb->work);
		flush_work(&pb->work);
		bench_single(test, wqs[i].metric, prim_work, pb);
		flush_work(&pb->work);
		if (pb->wq != system_percpu_wq)
			destroy_workqueue(pb->wq);
		pb->wq = NULL;
	}
}

static int bench_init(struct kunit *test)
{
	struct bench_state *st;

	st = kunit_kzalloc(test, sizeof(*st), GFP_KERNEL);
	if (!st)
		return -ENOMEM;
	mutex_init(&st->core.lock);
	test->priv = st;
	return 0;
}

static void bench_exit(struct kunit *test)
{
	struct bench_state *st = test->priv;

	core_release(&st->core);
	if (st->m2m) {
		m2m_release(&st->m2m[0]);
		m2m_release(&st->m2m[1]);
		mutex_destroy(&st->m2m[0].lock);
		mutex_destroy(&st->m2m[1].lock);
	}
	if (st->prim)
		prim_release(st->prim);
	mutex_destroy(&st->core.lock);
}

static struct kunit_case bench_cases[] = {
	KUNIT_CASE_SLOW(bench_primitives),
	KUNIT_CASE_SLOW(bench_core_cycle),
	KUNIT_CASE_SLOW(bench_m2m_cycle),
	{}
};

static struct kunit_suite bench_suite = {
	.name = "vb2_fence_bench",
	.init = bench_init,
	.exit = bench_exit,
	.test_cases = bench_cases,
};

kunit_test_suite(bench_suite);

MODULE_DESCRIPTION("Native cost of videobuf2 release fences");
MODULE_IMPORT_NS("DMA_BUF");
MODULE_LICENSE("GPL");
