// SPDX-License-Identifier: GPL-2.0
/*
 * fence-stress - videobuf2 release fences on vim2m under random operations
 * and over long runs.
 *
 *   fence-stress [-s SEED] [-n OPS]   random mode (default seed 1, 10000 ops)
 *   fence-stress -S CYCLES [-b NBUF]  soak mode
 *
 * Random mode: a seeded generator drives three vim2m contexts with QBUF,
 * DQBUF, STREAMON/OFF, EXPBUF, close and reopen, poll, EXPORT_SYNC_FILE and
 * REQBUFS, 1 ms jobs. Operations mostly pick valid arguments but not always;
 * each lists the errnos it may get, anything else is a failure. Exports and
 * sync_files are held across the contexts' lives, as a consumer would.
 * After every STREAMOFF and close, no held CAPTURE export of that context
 * may make a reader wait (poll with no timeout). At the end every context
 * is closed: no fence of driver "videobuf2" may then be pending in any
 * dma_resv (debugfs bufinfo) nor in any held sync_file, and no OUTPUT
 * plane may ever have shown one.
 *
 * Soak mode: one context, NBUF buffer pairs kept in flight, CYCLES frames,
 * all CAPTURE planes exported. Ten times in the run and at the end, every
 * CAPTURE dma_resv must hold exactly one fence of ours, on the context of
 * its buffer's first frame, with the seqno of the number of times the
 * buffer was queued: every frame was fenced, on one timeline per buffer.
 * Slab usage must not grow with the number of frames.
 *
 * Static build (scripts/programs.sh), the helpers from
 * ../../tools/v4l2-m2m-util.h need no -I:
 *   gcc -O2 -Wall -Wextra -static -I$CACHE/selftest/usr/include
 *       -o fence-stress fence-stress.c
 * Needs root, vim2m loaded, debugfs. Exit status 0 on success, 1 on failure.
 */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/types.h>
#include <linux/videodev2.h>

#include "../../tools/v4l2-m2m-util.h"

#define BUFINFO_PATH	"/sys/kernel/debug/dma_buf/bufinfo"
#define VB2_DRIVER	"videobuf2"

#define WIDTH		64
#define HEIGHT		48
#define NCTX		3
#define NBUF		4
#define MAX_EXPORTS	24
#define MAX_SYNCS	16
#define MAX_FENCES	8
/* a single operation taking this long means the kernel hangs */
#define WATCHDOG_S	60

static int failures;

static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("FAIL: ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
	failures++;
}

static double now_s(void)
{
	return now_ns() / 1e9;
}

/* xorshift64*: the same sequence for a seed whatever the libc */
static __u64 rng_state;

static __u32 rnd(__u32 n)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (__u32)((rng_state * 0x2545F4914F6CDD1DULL) >> 32) % n;
}

static char vim2m_path[PATH_MAX];
static bool mplane;

/* One vim2m context and what we believe its queues hold */
struct ctx {
	int fd;
	__u32 sizeimage;
	/* per queue, 0 OUTPUT and 1 CAPTURE */
	unsigned int nbuf[2];
	unsigned int queued[2];	/* bitmask of buffers we queued */
	bool streaming[2];
};

static __u32 qtype(int q)
{
	return m2m_buf_type(mplane, q);
}

static int set_fmt(struct ctx *c, int q)
{
	struct v4l2_format f;
	int ret;

	ret = v4l2_set_fmt(c->fd, qtype(q), V4L2_PIX_FMT_RGB565, WIDTH,
			   HEIGHT, &f);
	c->sizeimage = v4l2_sizeimage(&f);
	return ret;
}

static int ctx_open(struct ctx *c, int job_ms)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = open(vim2m_path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (c->fd < 0)
		return -errno;
	ret = set_fmt(c, 0);
	if (!ret)
		ret = set_fmt(c, 1);
	if (!ret)
		ret = vim2m_set_job_ms(c->fd, job_ms);
	return ret;
}

static int do_reqbufs(struct ctx *c, int q, unsigned int count)
{
	int ret;

	ret = v4l2_reqbufs(c->fd, qtype(q), count);
	if (ret < 0)
		return ret;
	c->nbuf[q] = ret < NBUF ? ret : NBUF;
	c->queued[q] = 0;
	return 0;
}

static int do_qbuf(struct ctx *c, int q, unsigned int index)
{
	int ret;

	ret = v4l2_qbuf(c->fd, qtype(q), index, q ? 0 : c->sizeimage);
	if (!ret)
		c->queued[q] |= 1U << index;
	return ret;
}

static int do_dqbuf(struct ctx *c, int q, unsigned int *index)
{
	int ret;

	ret = v4l2_dqbuf(c->fd, qtype(q), NULL);
	if (ret < 0)
		return ret;
	c->queued[q] &= ~(1U << ret);
	if (index)
		*index = ret;
	return 0;
}

static int do_stream(struct ctx *c, int q, bool on)
{
	int ret;

	ret = on ? v4l2_streamon(c->fd, qtype(q)) :
		   v4l2_streamoff(c->fd, qtype(q));
	if (!ret)
		c->streaming[q] = on;
	/* STREAMOFF returns every buffer, done or not */
	if (!ret && !on)
		c->queued[q] = 0;
	return ret;
}

static int do_expbuf(struct ctx *c, int q, unsigned int index)
{
	return v4l2_expbuf(c->fd, qtype(q), index, 0, O_RDWR | O_CLOEXEC);
}

/* Fences of a sync_file; returns their number or -errno */
static int sync_info(int fd, struct sync_fence_info *f)
{
	return sync_file_info(fd, NULL, f, MAX_FENCES);
}

/*
 * debugfs bufinfo (dma_buf_debug_show()): a header line per dma-buf
 * "size flags mode count exp_name ino name", then one line per fence
 * "\t<usage> fence:<ctx>:<seqno> <timeline> <driver> <un>signalled".
 * Counts the unsignalled videobuf2 fences in all of them and, for the
 * dma-bufs with inode numbers in ino[], the fences each holds and the
 * context:seqno of the last one. A signalled fence shows neither timeline
 * nor driver (its ops may be gone), only its context:seqno.
 */
struct bufinfo {
	unsigned int bufs;
	unsigned int vb2_pending;
	unsigned int found;		/* of ino[] */
	/* per ino[] entry */
	unsigned int fences[NBUF];
	unsigned long long ctx[NBUF], seqno[NBUF];
	/* a pending fence of another driver: none may be there */
	unsigned int foreign_pending[NBUF];
};

static int read_bufinfo(const unsigned long long *ino, unsigned int nino,
			struct bufinfo *bi)
{
	unsigned long long ctx, seqno;
	size_t cap = 0;
	char *line = NULL, *p;
	int in = -1;
	FILE *f;

	memset(bi, 0, sizeof(*bi));
	if (nino > NBUF)
		return -EINVAL;
	f = fopen(BUFINFO_PATH, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		unsigned long long i_ino;
		unsigned int flags, mode, i;
		char exp_name[64];
		size_t size;
		long count;

		if (line[0] != '\t') {
			if (sscanf(line, "%zu %x %x %ld %63s %llu", &size,
				   &flags, &mode, &count, exp_name,
				   &i_ino) != 6)
				continue;
			bi->bufs++;
			in = -1;
			for (i = 0; i < nino; i++)
				if (ino[i] == i_ino)
					in = i;
			bi->found += in >= 0;
			continue;
		}
		p = strstr(line, " fence:");
		if (!p)
			continue;
		if (strstr(line, " " VB2_DRIVER " unsignalled"))
			bi->vb2_pending++;
		if (in < 0 || sscanf(p, " fence:%llu:%llu", &ctx, &seqno) != 2)
			continue;
		bi->fences[in]++;
		if (strstr(line, " unsignalled") &&
		    !strstr(line, " " VB2_DRIVER " unsignalled"))
			bi->foreign_pending[in]++;
		bi->ctx[in] = ctx;
		bi->seqno[in] = seqno;
	}
	free(line);
	fclose(f);
	return 0;
}

static unsigned long long fd_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

/*
 * Random mode
 */
enum op_id {
	OP_QBUF, OP_DQBUF, OP_STREAMON, OP_STREAMOFF, OP_EXPBUF,
	OP_REOPEN, OP_POLL, OP_SYNC_FILE, OP_REQBUFS0, OP_REQBUFS,
	OP_DROP, NR_OPS
};

#define MAX_OK	4

struct op {
	const char *name;
	unsigned int weight;
	/* errnos that this operation may get on a correct kernel */
	int ok[MAX_OK];
	unsigned long calls, succeeded;
	unsigned long errs[MAX_OK];
};

/*
 * QBUF: EINVAL if already queued or no such buffer. DQBUF: EAGAIN if none
 * is done, EINVAL if not streaming or no buffers. STREAMON: EINVAL without
 * buffers. EXPBUF: EINVAL for a buffer that does not exist. REQBUFS: EBUSY
 * while streaming.
 */
static struct op ops[NR_OPS] = {
	[OP_QBUF]	= { "QBUF",	  30, { EINVAL } },
	[OP_DQBUF]	= { "DQBUF",	  30, { EAGAIN, EINVAL } },
	[OP_STREAMON]	= { "STREAMON",	   8, { EINVAL } },
	[OP_STREAMOFF]	= { "STREAMOFF",   3, { 0 } },
	[OP_EXPBUF]	= { "EXPBUF",	   6, { EINVAL } },
	[OP_REOPEN]	= { "close+open",  1, { 0 } },
	[OP_POLL]	= { "poll",	   8, { 0 } },
	[OP_SYNC_FILE]	= { "EXPORT_SYNC", 8, { 0 } },
	[OP_REQBUFS0]	= { "REQBUFS(0)",  1, { EBUSY } },
	[OP_REQBUFS]	= { "REQBUFS(n)",  3, { EBUSY } },
	[OP_DROP]	= { "close-fd",	   4, { 0 } },
};

struct export {
	int fd;
	bool output;	/* of an OUTPUT plane: must never be fenced */
	struct ctx *owner;
	unsigned int gen;	/* owner's generation when exported */
};

static struct ctx ctxs[NCTX];
/* bumped when a context is closed and reopened */
static unsigned int ctx_gen[NCTX];
static unsigned long stranded_seen;
/* by why_stranded(): closed, no OUTPUT, no CAPTURE */
static unsigned long stranded_by[3];
static struct export exports[MAX_EXPORTS];
static int syncs[MAX_SYNCS];
static unsigned long seen_pending, seen_on_output;
static unsigned long op_no;

/* a buffer index, mostly one in the wanted queued state */
static unsigned int pick_buf(struct ctx *c, int q, bool queued)
{
	unsigned int i, n = c->nbuf[q] ? c->nbuf[q] : NBUF;
	unsigned int start = rnd(n);

	if (rnd(10) == 0)
		return rnd(NBUF + 1);
	for (i = 0; i < n; i++) {
		unsigned int b = (start + i) % n;

		if (!!(c->queued[q] & (1U << b)) == queued)
			return b;
	}
	return start;
}

static void hold_fd(int *slots, unsigned int nslots, int fd)
{
	unsigned int i = rnd(nslots);

	if (slots[i] >= 0)
		close(slots[i]);
	slots[i] = fd;
}

/*
 * No job can run or be committed for a plane whose context was closed or
 * does not stream both queues: a fence pending on it is stranded, and a
 * consumer waiting for it would wait until userspace changes its mind.
 */
static int stranded_reason(const struct export *e)
{
	struct ctx *c = e->owner;

	if (ctx_gen[c - ctxs] != e->gen)
		return 0;
	if (!c->streaming[0])
		return 1;
	if (!c->streaming[1])
		return 2;
	return -1;
}

static const char *why_stranded(const struct export *e)
{
	static const char * const why[] = {
		"was closed", "does not stream OUTPUT",
		"does not stream CAPTURE",
	};
	int w = stranded_reason(e);

	return w < 0 ? NULL : why[w];
}

static void note_stranded(const struct export *e, const char *how)
{
	stranded_by[stranded_reason(e)]++;
	/* the first few are enough to read */
	if (++stranded_seen <= 3)
		fail("op %lu: %s on a CAPTURE plane of context %d, which %s",
		     op_no, how, (int)(e->owner - ctxs), why_stranded(e));
}

/*
 * STREAMOFF of either queue and close end every job of the context: the
 * running one completes and the others' fences are withdrawn. So when the
 * call returns, none of its CAPTURE planes may still make a reader wait.
 */
static unsigned long idle_checks;

static void check_ctx_idle(const struct ctx *c, unsigned int gen,
			   const char *after)
{
	unsigned int i;
	int ret;

	for (i = 0; i < MAX_EXPORTS; i++) {
		const struct export *e = &exports[i];

		if (e->fd < 0 || e->output || e->owner != c || e->gen != gen)
			continue;
		idle_checks++;
		ret = poll_fd(e->fd, POLLIN, 0);
		if (ret >= 0 && !(ret & POLLIN))
			fail("op %lu: a CAPTURE plane of context %d still fenced after %s",
			     op_no, (int)(c - ctxs), after);
	}
}

static void check_sync_file(int fd, const struct export *e)
{
	struct sync_fence_info f[MAX_FENCES];
	int n, i;

	n = sync_info(fd, f);
	if (n < 0) {
		fail("op %lu: SYNC_IOC_FILE_INFO: %s", op_no, strerror(-n));
		return;
	}
	for (i = 0; i < n; i++) {
		if (f[i].status || strcmp(f[i].driver_name, VB2_DRIVER))
			continue;
		seen_pending++;
		if (!e->output && why_stranded(e))
			note_stranded(e, "pending fence");
		if (e->output) {
			seen_on_output++;
			fail("op %lu: OUTPUT plane carries fence %s",
			     op_no, f[i].obj_name);
		}
	}
}

/*
 * Three times out of four, an operation that cannot work in the state the
 * queue is in becomes the one that makes it work, so that jobs run often;
 * the rest of the time the invalid call goes through and must fail cleanly.
 */
static enum op_id steer(enum op_id id, struct ctx *c, int *q)
{
	unsigned int all;

	if (rnd(4) == 0)
		return id;
	switch (id) {
	case OP_QBUF:
	case OP_DQBUF:
	case OP_STREAMON:
	case OP_EXPBUF:
		if (!c->nbuf[*q])
			return OP_REQBUFS;
		break;
	default:
		return id;
	}
	if (id == OP_DQBUF && !c->queued[*q] && c->queued[!*q])
		*q = !*q;
	all = (1U << c->nbuf[*q]) - 1;
	if (id == OP_QBUF && c->queued[*q] == all)
		return OP_DQBUF;
	if ((id == OP_QBUF || id == OP_DQBUF) && !c->streaming[*q] &&
	    rnd(2))
		return OP_STREAMON;
	return id;
}

static int run_op(enum op_id id, struct ctx *c, int q)
{
	unsigned int idx, i;
	int ret = 0, fd;
	short ev;

	switch (id) {
	case OP_QBUF:
		ret = do_qbuf(c, q, pick_buf(c, q, false));
		break;
	case OP_DQBUF:
		ret = do_dqbuf(c, q, &idx);
		if (ret == -EAGAIN && c->queued[q] && c->streaming[0] &&
		    c->streaming[1]) {
			/* give a running 1 ms job a chance */
			poll_fd(c->fd, q ? POLLIN : POLLOUT, 2);
			ret = do_dqbuf(c, q, &idx);
		}
		break;
	case OP_STREAMON:
		ret = do_stream(c, q, true);
		break;
	case OP_STREAMOFF:
		ret = do_stream(c, q, false);
		if (!ret)
			check_ctx_idle(c, ctx_gen[c - ctxs], q ?
				       "STREAMOFF(CAPTURE)" :
				       "STREAMOFF(OUTPUT)");
		break;
	case OP_EXPBUF:
		/* mostly CAPTURE planes, the ones that get fences */
		q = rnd(4) != 0;
		fd = do_expbuf(c, q, pick_buf(c, q, rnd(2)));
		if (fd < 0)
			return fd;
		i = rnd(MAX_EXPORTS);
		if (exports[i].fd >= 0)
			close(exports[i].fd);
		exports[i].fd = fd;
		exports[i].output = !q;
		exports[i].owner = c;
		exports[i].gen = ctx_gen[c - ctxs];
		break;
	case OP_REOPEN:
		/* exports and sync_files of the old context stay held */
		close(c->fd);
		check_ctx_idle(c, ctx_gen[c - ctxs], "close");
		ctx_gen[c - ctxs]++;
		ret = ctx_open(c, 1);
		break;
	case OP_POLL:
		i = rnd(MAX_EXPORTS);
		if (rnd(2) || exports[i].fd < 0) {
			ret = poll_fd(c->fd, POLLIN | POLLOUT, rnd(2));
		} else {
			ev = rnd(2) ? POLLIN : POLLOUT;
			ret = poll_fd(exports[i].fd, ev, rnd(2));
			if (ret >= 0 && exports[i].output && !(ret & ev))
				fail("op %lu: OUTPUT plane not ready",
				     op_no);
			if (ret >= 0 && !exports[i].output && !(ret & ev) &&
			    why_stranded(&exports[i]))
				note_stranded(&exports[i], "poll() blocks");
		}
		ret = ret < 0 ? ret : 0;
		break;
	case OP_SYNC_FILE:
		i = rnd(MAX_EXPORTS);
		if (exports[i].fd < 0)
			return 0;
		fd = dmabuf_export_sync_file(exports[i].fd, rnd(2) ?
				      DMA_BUF_SYNC_READ : DMA_BUF_SYNC_RW);
		if (fd < 0)
			return fd;
		check_sync_file(fd, &exports[i]);
		hold_fd(syncs, MAX_SYNCS, fd);
		break;
	case OP_REQBUFS0:
		ret = do_reqbufs(c, q, 0);
		break;
	case OP_REQBUFS:
		ret = do_reqbufs(c, q, 1 + rnd(NBUF));
		break;
	case OP_DROP:
		/* the consumer lets go of an export or a sync_file */
		i = rnd(MAX_EXPORTS);
		if (rnd(2) && exports[i].fd >= 0) {
			close(exports[i].fd);
			exports[i].fd = -1;
		} else {
			i = rnd(MAX_SYNCS);
			if (syncs[i] >= 0)
				close(syncs[i]);
			syncs[i] = -1;
		}
		break;
	case NR_OPS:
		break;
	}
	return ret;
}

static void account(enum op_id id, int ret)
{
	struct op *o = &ops[id];
	int i;

	o->calls++;
	if (!ret) {
		o->succeeded++;
		return;
	}
	for (i = 0; i < MAX_OK && o->ok[i]; i++) {
		if (-ret == o->ok[i]) {
			o->errs[i]++;
			return;
		}
	}
	fail("op %lu: %s: unexpected %s", op_no, o->name, strerror(-ret));
}

static enum op_id pick_op(void)
{
	unsigned int total = 0, r, i;

	for (i = 0; i < NR_OPS; i++)
		total += ops[i].weight;
	r = rnd(total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	return i;
}

static void on_watchdog(int sig)
{
	(void)sig;
	/* only async-signal-safe calls here */
	static const char msg[] = "FAIL: an operation hung (watchdog)\n";

	if (write(1, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

/* What is held is checked once the producers are gone */
static void check_quiescent(const char *when)
{
	struct sync_fence_info f[MAX_FENCES];
	unsigned int pending_syncs = 0, held = 0, i;
	struct bufinfo bi;
	int n, j, ret;

	ret = read_bufinfo(NULL, 0, &bi);
	if (ret) {
		fail("%s: %s: %s", when, BUFINFO_PATH, strerror(-ret));
		return;
	}
	for (i = 0; i < MAX_SYNCS; i++) {
		if (syncs[i] < 0)
			continue;
		held++;
		n = sync_info(syncs[i], f);
		for (j = 0; j < n; j++)
			pending_syncs += f[j].status == 0;
	}
	printf("%s: %u dma-bufs held, %u pending videobuf2 fences in them; "
	       "%u sync_files held, %u pending fences in them\n",
	       when, bi.bufs, bi.vb2_pending, held, pending_syncs);
	if (bi.vb2_pending)
		fail("%s: %u videobuf2 fences still pending", when,
		     bi.vb2_pending);
	if (pending_syncs)
		fail("%s: %u held fences still pending", when, pending_syncs);
}

static int random_mode(__u64 seed, unsigned long nops)
{
	static const char * const names[] = { "EAGAIN", "EINVAL", "EBUSY" };
	unsigned int i, j;
	double t0, t;
	int ret;

	rng_state = seed * 0x9E3779B97F4A7C15ULL + 1;
	printf("random: seed %llu, %lu operations, %d contexts, 1 ms jobs\n",
	       (unsigned long long)seed, nops, NCTX);
	for (i = 0; i < MAX_EXPORTS; i++)
		exports[i].fd = -1;
	for (i = 0; i < MAX_SYNCS; i++)
		syncs[i] = -1;
	for (i = 0; i < NCTX; i++) {
		ret = ctx_open(&ctxs[i], 1);
		if (ret) {
			fail("opening vim2m: %s", strerror(-ret));
			return 1;
		}
	}

	signal(SIGALRM, on_watchdog);
	t0 = now_s();
	for (op_no = 0; op_no < nops; op_no++) {
		struct ctx *c = &ctxs[rnd(NCTX)];
		enum op_id id = pick_op();
		int q = rnd(2);

		id = steer(id, c, &q);
		alarm(WATCHDOG_S);
		account(id, run_op(id, c, q));
		if (failures > 20) {
			printf("too many failures, stopping\n");
			break;
		}
	}
	t = now_s() - t0;

	/* the producers go away, the consumer keeps what it holds */
	for (i = 0; i < NCTX; i++)
		close(ctxs[i].fd);
	alarm(0);
	check_quiescent("random: after closing all contexts");
	for (i = 0; i < MAX_EXPORTS; i++)
		if (exports[i].fd >= 0)
			close(exports[i].fd);
	for (i = 0; i < MAX_SYNCS; i++)
		if (syncs[i] >= 0)
			close(syncs[i]);

	printf("random: %lu operations in %.1f s (%.0f/s); pending videobuf2 fences seen %lu times, on OUTPUT planes %lu, stranded %lu; planes checked idle after STREAMOFF or close %lu times\n",
	       op_no, t, op_no / t, seen_pending, seen_on_output,
	       stranded_seen, idle_checks);
	if (stranded_seen)
		printf("random: stranded fences: %lu on closed contexts, %lu without OUTPUT streaming, %lu without CAPTURE streaming\n",
		       stranded_by[0], stranded_by[1], stranded_by[2]);
	printf("  %-12s %7s %7s", "op", "calls", "ok");
	for (j = 0; j < 3; j++)
		printf(" %7s", names[j]);
	printf("\n");
	for (i = 0; i < NR_OPS; i++) {
		unsigned long by_name[3] = { 0 };

		for (j = 0; j < MAX_OK && ops[i].ok[j]; j++)
			by_name[ops[i].ok[j] == EAGAIN ? 0 :
				ops[i].ok[j] == EINVAL ? 1 : 2] +=
				ops[i].errs[j];
		printf("  %-12s %7lu %7lu %7lu %7lu %7lu\n", ops[i].name,
		       ops[i].calls, ops[i].succeeded, by_name[0],
		       by_name[1], by_name[2]);
	}
	/* a run that never fenced anything tested nothing */
	if (!seen_pending)
		fail("random: no pending fence was ever observed");
	if (!idle_checks)
		fail("random: no plane was ever checked after STREAMOFF or close");
	return failures ? 1 : 0;
}

/*
 * Soak mode
 */
struct slab_snap {
	long sunreclaim_kb;
	long slab_kb;
	/* active objects of the kmalloc caches a leaked fence would sit in */
	long kmalloc[16];
};

static const char * const kmalloc_caches[] = {
	"kmalloc-64", "kmalloc-96", "kmalloc-128", "kmalloc-192",
	"kmalloc-256", "kmalloc-512", "kmalloc-1k",
};
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define NR_KMALLOC	ARRAY_SIZE(kmalloc_caches)

/* Empty the per-cpu partial slabs so that counts compare; best effort */
static void shrink_slabs(void)
{
	struct dirent *de;
	char path[512];
	DIR *dir;
	int fd;

	dir = opendir("/sys/kernel/slab");
	if (!dir)
		return;
	while ((de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
			 de->d_name);
		fd = open(path, O_WRONLY);
		if (fd < 0)
			continue;
		/* failures do not matter: the counts only get noisier */
		if (write(fd, "1", 1) < 0)
			errno = 0;
		close(fd);
	}
	closedir(dir);
}

static void slab_snapshot(struct slab_snap *s)
{
	char line[512], name[64];
	unsigned int i;
	long active;
	FILE *f;

	memset(s, 0, sizeof(*s));
	/* fences are freed with kfree_rcu(): let grace periods pass */
	sleep(1);
	shrink_slabs();
	f = fopen("/proc/meminfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		sscanf(line, "SUnreclaim: %ld", &s->sunreclaim_kb);
		sscanf(line, "Slab: %ld", &s->slab_kb);
	}
	if (f)
		fclose(f);
	f = fopen("/proc/slabinfo", "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", name, &active) != 2)
			continue;
		for (i = 0; i < NR_KMALLOC; i++)
			if (!strcmp(name, kmalloc_caches[i]))
				s->kmalloc[i] = active;
	}
	if (f)
		fclose(f);
}

static int dq_wait(struct ctx *c, int q, unsigned int *idx)
{
	int ret, tries;

	for (tries = 0; tries < 1000; tries++) {
		ret = do_dqbuf(c, q, idx);
		if (ret != -EAGAIN)
			return ret;
		poll_fd(c->fd, q ? POLLIN : POLLOUT, 100);
	}
	return -ETIMEDOUT;
}

/*
 * Every buffer's fences come from one timeline, and each queueing takes the
 * next seqno: the last fence in a buffer's dma_resv has the seqno of the
 * number of times the buffer was queued (so every frame was fenced), on
 * the context it had from the first frame. Each resv holds that one fence:
 * a new one replaces the signalled one before it, and nothing else adds
 * any; while it is pending, it shows videobuf2 as its driver. A signalled
 * fence may already be there at the first check (1 ms jobs), so the
 * context is not required to be seen pending.
 */
static void soak_check_resv(const unsigned long long *ino,
			    const unsigned long *queued,
			    unsigned long long *first_ctx, unsigned int n,
			    unsigned long frame)
{
	struct bufinfo bi;
	unsigned int i;
	int ret;

	ret = read_bufinfo(ino, n, &bi);
	if (ret) {
		fail("soak: %s: %s", BUFINFO_PATH, strerror(-ret));
		return;
	}
	if (bi.found != n)
		fail("soak: frame %lu: %u of %u exports in bufinfo", frame,
		     bi.found, n);
	for (i = 0; i < n; i++) {
		if (bi.fences[i] != 1) {
			fail("soak: frame %lu: CAPTURE %u's resv holds %u fences, not 1",
			     frame, i, bi.fences[i]);
			continue;
		}
		if (bi.foreign_pending[i])
			fail("soak: frame %lu: CAPTURE %u's resv holds a pending fence not of %s",
			     frame, i, VB2_DRIVER);
		if (!first_ctx[i])
			first_ctx[i] = bi.ctx[i];
		if (bi.ctx[i] != first_ctx[i])
			fail("soak: frame %lu: CAPTURE %u's fence context changed from %llu to %llu",
			     frame, i, first_ctx[i], bi.ctx[i]);
		if (bi.seqno[i] != queued[i])
			fail("soak: frame %lu: CAPTURE %u queued %lu times, fence seqno %llu",
			     frame, i, queued[i], bi.seqno[i]);
	}
}

static int soak_mode(unsigned long cycles, unsigned int nbuf)
{
	unsigned long long ino[NBUF], first_ctx[NBUF] = { 0 };
	unsigned long frame, warmup, queued[NBUF] = { 0 };
	unsigned int i, idx, oidx;
	struct slab_snap before, after;
	struct bufinfo bi;
	int exp[NBUF], ret;
	long grow_limit;
	struct ctx c;
	double t0, t;

	printf("soak: %lu frames, %u buffer pairs in flight, 1 ms jobs\n",
	       cycles, nbuf);
	ret = ctx_open(&c, 1);
	if (!ret)
		ret = do_reqbufs(&c, 0, nbuf);
	if (!ret)
		ret = do_reqbufs(&c, 1, nbuf);
	if (!ret && (c.nbuf[0] < nbuf || c.nbuf[1] < nbuf))
		ret = -ENOMEM;
	for (i = 0; !ret && i < nbuf; i++) {
		exp[i] = do_expbuf(&c, 1, i);
		ret = exp[i] < 0 ? exp[i] : 0;
		ino[i] = fd_ino(exp[i]);
	}
	if (!ret)
		ret = do_stream(&c, 0, true);
	if (!ret)
		ret = do_stream(&c, 1, true);
	for (i = 0; !ret && i < nbuf; i++) {
		ret = do_qbuf(&c, 1, i);
		if (!ret)
			ret = do_qbuf(&c, 0, i);
		queued[i] += !ret;
	}
	if (ret) {
		fail("soak: setting up vim2m: %s", strerror(-ret));
		return 1;
	}

	/* lazily allocated state (fence contexts, resv lists) first */
	warmup = 200;
	signal(SIGALRM, on_watchdog);
	t0 = now_s();
	for (frame = 0; frame < warmup + cycles; frame++) {
		if (frame == warmup) {
			slab_snapshot(&before);
			t0 = now_s();
		}
		alarm(WATCHDOG_S);
		idx = oidx = NBUF;
		ret = dq_wait(&c, 1, &idx);
		if (!ret)
			ret = dq_wait(&c, 0, &oidx);
		/* jobs complete in order: the pairs come back together */
		if (ret || oidx != idx) {
			fail("soak: frame %lu: DQBUF: %s (CAPTURE %u, OUTPUT %u)",
			     frame, strerror(-ret), idx, oidx);
			break;
		}
		ret = do_qbuf(&c, 1, idx);
		if (!ret)
			ret = do_qbuf(&c, 0, idx);
		if (ret) {
			fail("soak: frame %lu: QBUF: %s", frame,
			     strerror(-ret));
			break;
		}
		queued[idx]++;
		if (frame % (cycles / 10 + 1) == 0)
			soak_check_resv(ino, queued, first_ctx, nbuf, frame);
	}
	t = now_s() - t0;
	alarm(0);

	do_stream(&c, 1, false);
	do_stream(&c, 0, false);
	soak_check_resv(ino, queued, first_ctx, nbuf, frame);
	ret = read_bufinfo(NULL, 0, &bi);
	if (!ret && bi.vb2_pending)
		fail("soak: %u videobuf2 fences pending after STREAMOFF",
		     bi.vb2_pending);
	slab_snapshot(&after);

	printf("soak: %lu frames in %.1f s: %.0f frames/s; CAPTURE 0 queued %lu times\n",
	       frame - warmup, t, (frame - warmup) / t, queued[0]);

	/*
	 * A leak of one small object per frame grows some kmalloc cache by
	 * 'cycles' objects. With the per-cpu slabs flushed, an idle guest
	 * stays within a few dozen objects and a few hundred kB.
	 */
	grow_limit = 256 + (long)cycles / 64;
	printf("soak: SUnreclaim %ld -> %ld kB (%+ld), Slab %ld -> %ld kB (%+ld)\n",
	       before.sunreclaim_kb, after.sunreclaim_kb,
	       after.sunreclaim_kb - before.sunreclaim_kb,
	       before.slab_kb, after.slab_kb,
	       after.slab_kb - before.slab_kb);
	for (i = 0; i < NR_KMALLOC; i++) {
		long d = after.kmalloc[i] - before.kmalloc[i];

		printf("soak: %-12s %7ld -> %7ld active objects (%+ld)\n",
		       kmalloc_caches[i], before.kmalloc[i],
		       after.kmalloc[i], d);
		if (d > grow_limit)
			fail("soak: %s grew by %ld objects over %lu frames",
			     kmalloc_caches[i], d, cycles);
	}
	if (after.sunreclaim_kb - before.sunreclaim_kb > 1024 + (long)cycles / 64)
		fail("soak: unreclaimable slab grew by %ld kB over %lu frames",
		     after.sunreclaim_kb - before.sunreclaim_kb, cycles);

	close(c.fd);
	for (i = 0; i < nbuf; i++)
		close(exp[i]);
	return failures ? 1 : 0;
}

static void usage(const char *prog)
{
	fprintf(stderr,
		"usage: %s [-s SEED] [-n OPS]     random operations\n"
		"       %s -S CYCLES [-b NBUF]    soak\n", prog, prog);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long nops = 10000, cycles = 0;
	unsigned int nbuf = NBUF;
	__u64 seed = 1;
	int opt, ret;

	while ((opt = getopt(argc, argv, "s:n:S:b:h")) != -1) {
		switch (opt) {
		case 's':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'n':
			nops = strtoul(optarg, NULL, 0);
			break;
		case 'S':
			cycles = strtoul(optarg, NULL, 0);
			if (!cycles)
				usage(argv[0]);
			break;
		case 'b':
			nbuf = strtoul(optarg, NULL, 0);
			if (!nbuf || nbuf > NBUF)
				usage(argv[0]);
			break;
		default:
			usage(argv[0]);
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = find_vim2m(vim2m_path, sizeof(vim2m_path), &mplane);
	if (ret) {
		printf("FAIL: no vim2m video node (modprobe vim2m)\n");
		return 1;
	}
	if (access(BUFINFO_PATH, R_OK)) {
		printf("FAIL: no %s (debugfs)\n", BUFINFO_PATH);
		return 1;
	}
	ret = cycles ? soak_mode(cycles, nbuf) : random_mode(seed, nops);
	printf("%s: %s (%d failures)\n", cycles ? "soak" : "random",
	       ret ? "FAIL" : "PASS", failures);
	return ret;
}
