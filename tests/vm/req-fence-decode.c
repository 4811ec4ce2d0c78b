// SPDX-License-Identifier: GPL-2.0
/*
 * req-fence-decode: decode a raw FWHT stream (what vicodec's stateful
 * encoder writes with v4l2-ctl --stream-to) on vicodec's stateless decoder,
 * one media request per frame, and check the release fence timeline of
 * every capture buffer:
 *
 *  - before its job is committed, the capture buffer's dma-buf has no
 *    pending fence (poll() on it is ready at once);
 *  - right after the committing ioctl returns (MEDIA_REQUEST_IOC_QUEUE, or
 *    VIDIOC_QBUF of the capture buffer for every other frame, -Q), the
 *    dma-buf is not ready and DMA_BUF_IOCTL_EXPORT_SYNC_FILE gives a
 *    pending fence of driver "videobuf2" (with -e fences; with -e none
 *    there must be no fence at all);
 *  - the fence signals without error when the job is done: a consumer
 *    blocked in poll() on the dma-buf wakes, and a non-blocking DQBUF
 *    then returns the buffer at once, with the decoded frame;
 *  - nothing is left pending at the end.
 *
 * The decoded frames are written to a file, to be compared with the
 * stateful decoder's output. -c 2 decodes the stream on two contexts at
 * once (one thread each, output files OUT.0 and OUT.1).
 *
 * Build: gcc -O2 -Wall -static -I<uapi headers> -o req-fence-decode \
 *	  req-fence-decode.c -lpthread
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <linux/dma-buf.h>
#include <linux/media.h>
#include <linux/sync_file.h>
#include <linux/videodev2.h>

#include "../../tools/v4l2-m2m-util.h"

#define MAX_FRAMES	1024
#define MAX_BUFS	16

struct fwht_hdr {		/* struct fwht_cframe_hdr, big endian */
	uint32_t magic1, magic2;
	uint32_t version, width, height, flags;
	uint32_t colorspace, xfer_func, ycbcr_enc, quantization, size;
};

struct frame {
	struct fwht_hdr hdr;	/* host endian */
	const uint8_t *data;	/* payload after the header */
	uint32_t size;
};

static struct frame frames[MAX_FRAMES];
static unsigned int nframes;
static const char *video_path, *media_path, *out_path;
static unsigned int depth = 3, nctx = 1, limit;
static bool qbuf_commit, expect_fences = true, verbose;
static unsigned int pixfmt = V4L2_PIX_FMT_YUV420;

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;

#define msg(fmt, ...) do {						\
	pthread_mutex_lock(&print_lock);				\
	printf(fmt "\n", ##__VA_ARGS__);				\
	fflush(stdout);							\
	pthread_mutex_unlock(&print_lock);				\
} while (0)

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

static void load_stream(const char *path)
{
	static const uint8_t magic[8] = {
		0x4f, 0x4f, 0x4f, 0x4f, 0xff, 0xff, 0xff, 0xff
	};
	struct stat st;
	uint8_t *p, *end;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		exit(2);
	}
	p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap stream");
		exit(2);
	}
	end = p + st.st_size;
	while (p + sizeof(struct fwht_hdr) <= end && nframes < MAX_FRAMES) {
		struct frame *f = &frames[nframes];
		uint32_t *w = (uint32_t *)&f->hdr;
		unsigned int i;

		if (memcmp(p, magic, sizeof(magic))) {
			fprintf(stderr, "%s: no FWHT header at offset %ld\n",
				path, (long)(p - (end - st.st_size)));
			exit(2);
		}
		memcpy(&f->hdr, p, sizeof(f->hdr));
		for (i = 2; i < sizeof(f->hdr) / 4; i++)
			w[i] = ntohl(w[i]);
		f->data = p + sizeof(struct fwht_hdr);
		f->size = f->hdr.size;
		if (f->data + f->size > end) {
			fprintf(stderr, "%s: truncated frame %u\n", path, nframes);
			exit(2);
		}
		p = (uint8_t *)f->data + f->size;
		nframes++;
	}
	if (!nframes) {
		fprintf(stderr, "%s: no frames\n", path);
		exit(2);
	}
}

/* the fences a reader of the dma-buf must wait for, as a sync_file */
static int fence_state(int dmabuf, char *desc, size_t len, int *sync_fd)
{
	struct dma_buf_export_sync_file exp = { .flags = DMA_BUF_SYNC_READ };
	struct sync_fence_info info[4];
	struct sync_file_info fi;
	int ret;

	*sync_fd = -1;
	ret = xioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &exp);
	if (ret)
		return ret;
	memset(&fi, 0, sizeof(fi));
	memset(info, 0, sizeof(info));
	fi.num_fences = 4;
	fi.sync_fence_info = (uintptr_t)info;
	ret = xioctl(exp.fd, SYNC_IOC_FILE_INFO, &fi);
	if (ret) {
		close(exp.fd);
		return ret;
	}
	/* a stub fence (nothing to wait for) is "dma_fence_stub" */
	snprintf(desc, len, "%s:%s status %d", info[0].driver_name,
		 info[0].obj_name, info[0].status);
	*sync_fd = exp.fd;
	return fi.status;	/* 1 signalled, 0 pending, <0 error */
}

static int sync_status(int sync_fd)
{
	struct sync_file_info fi;
	struct sync_fence_info info;

	memset(&fi, 0, sizeof(fi));
	memset(&info, 0, sizeof(info));
	fi.num_fences = 1;
	fi.sync_fence_info = (uintptr_t)&info;
	if (xioctl(sync_fd, SYNC_IOC_FILE_INFO, &fi))
		return -1000;
	return info.status;
}

struct ctx {
	unsigned int id;
	int vfd, mfd;
	unsigned int nout, ncap;
	void *out_map[MAX_BUFS], *cap_map[MAX_BUFS];
	unsigned int out_len[MAX_BUFS], cap_len[MAX_BUFS];
	int cap_dmabuf[MAX_BUFS];
	int req[MAX_BUFS];
	int sync_fd[MAX_FRAMES];
	FILE *out;
	/* results */
	unsigned int pending_at_commit, fence_seen, unfenced_at_commit;
	unsigned int woke_ok, errors;
	long long commit_us[MAX_FRAMES], wake_us[MAX_FRAMES];
};

#define fail(c, fmt, ...) do {						\
	msg("ctx%u: FAIL: " fmt, (c)->id, ##__VA_ARGS__);		\
	(c)->errors++;							\
} while (0)

/* before its job is committed, frame i's capture buffer is idle */
static void expect_no_fence_yet(struct ctx *c, unsigned int i, int dmabuf)
{
	char desc[96] = "";
	int st, sfd;

	st = fence_state(dmabuf, desc, sizeof(desc), &sfd);
	if (sfd >= 0)
		close(sfd);
	if (st != 1 || poll_fd(dmabuf, POLLIN, 0) <= 0)
		fail(c, "frame %u: fence before the commit (%s)", i, desc);
}

static int set_fmt(int fd, unsigned int type, unsigned int fourcc,
		   unsigned int w, unsigned int h, unsigned int *size)
{
	struct v4l2_format f = { .type = type };
	int ret;

	f.fmt.pix.pixelformat = fourcc;
	f.fmt.pix.width = w;
	f.fmt.pix.height = h;
	ret = xioctl(fd, VIDIOC_S_FMT, &f);
	if (!ret && size)
		*size = f.fmt.pix.sizeimage;
	return ret;
}

static int setup(struct ctx *c)
{
	const struct fwht_hdr *h = &frames[0].hdr;
	struct v4l2_requestbuffers rb;
	unsigned int i, t, sz;
	int ret;

	c->vfd = open(video_path, O_RDWR | O_NONBLOCK);
	c->mfd = open(media_path, O_RDWR);
	if (c->vfd < 0 || c->mfd < 0)
		return -errno;
	ret = set_fmt(c->vfd, V4L2_BUF_TYPE_VIDEO_OUTPUT,
		      V4L2_PIX_FMT_FWHT_STATELESS, h->width, h->height, &sz);
	if (ret)
		return ret;
	ret = set_fmt(c->vfd, V4L2_BUF_TYPE_VIDEO_CAPTURE, pixfmt,
		      h->width, h->height, &sz);
	if (ret)
		return ret;

	c->nout = depth;
	c->ncap = depth + 2;	/* the reference frame stays untouched */
	for (t = 0; t < 2; t++) {
		memset(&rb, 0, sizeof(rb));
		rb.type = t ? V4L2_BUF_TYPE_VIDEO_CAPTURE :
			      V4L2_BUF_TYPE_VIDEO_OUTPUT;
		rb.memory = V4L2_MEMORY_MMAP;
		rb.count = t ? c->ncap : c->nout;
		ret = xioctl(c->vfd, VIDIOC_REQBUFS, &rb);
		if (ret)
			return ret;
		if (!(rb.capabilities & V4L2_BUF_CAP_SUPPORTS_REQUESTS) && !t)
			return -EOPNOTSUPP;
		if (rb.count != (t ? c->ncap : c->nout))
			return -ENOMEM;
		for (i = 0; i < rb.count; i++) {
			struct v4l2_buffer b = { .type = rb.type, .index = i,
						 .memory = V4L2_MEMORY_MMAP };
			void *m;

			ret = xioctl(c->vfd, VIDIOC_QUERYBUF, &b);
			if (ret)
				return ret;
			m = mmap(NULL, b.length, PROT_READ | PROT_WRITE,
				 MAP_SHARED, c->vfd, b.m.offset);
			if (m == MAP_FAILED)
				return -errno;
			if (t) {
				struct v4l2_exportbuffer e = {
					.type = rb.type, .index = i,
					.flags = O_RDONLY | O_CLOEXEC,
				};

				c->cap_map[i] = m;
				c->cap_len[i] = b.length;
				ret = xioctl(c->vfd, VIDIOC_EXPBUF, &e);
				if (ret)
					return ret;
				c->cap_dmabuf[i] = e.fd;
			} else {
				c->out_map[i] = m;
				c->out_len[i] = b.length;
			}
		}
	}
	for (i = 0; i < c->nout; i++) {
		ret = xioctl(c->mfd, MEDIA_IOC_REQUEST_ALLOC, &c->req[i]);
		if (ret)
			return ret;
	}
	t = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	ret = xioctl(c->vfd, VIDIOC_STREAMON, &t);
	if (ret)
		return ret;
	t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	return xioctl(c->vfd, VIDIOC_STREAMON, &t);
}

static unsigned long long ts_ns(unsigned int i)
{
	/* timestamps of frame i: (i + 1) ms, in the microsecond timeval */
	return (i + 1ULL) * 1000000ULL;
}

static int queue_capture(struct ctx *c, unsigned int i)
{
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				 .memory = V4L2_MEMORY_MMAP,
				 .index = i % c->ncap };

	return xioctl(c->vfd, VIDIOC_QBUF, &b);
}

/* Fill and queue frame i's request (without queueing the request) */
static int prepare_request(struct ctx *c, unsigned int i)
{
	const struct frame *f = &frames[i % nframes];
	unsigned int ob = i % c->nout;
	struct v4l2_ctrl_fwht_params p = {
		.version = f->hdr.version,
		.width = f->hdr.width,
		.height = f->hdr.height,
		.flags = f->hdr.flags,
		.colorspace = f->hdr.colorspace,
		.xfer_func = f->hdr.xfer_func,
		.ycbcr_enc = f->hdr.ycbcr_enc,
		.quantization = f->hdr.quantization,
	};
	struct v4l2_ext_control ctrl = {
		.id = V4L2_CID_STATELESS_FWHT_PARAMS,
		.size = sizeof(p),
		.ptr = &p,
	};
	struct v4l2_ext_controls cs = {
		.which = V4L2_CTRL_WHICH_REQUEST_VAL,
		.count = 1,
		.request_fd = c->req[ob],
		.controls = &ctrl,
	};
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
				 .memory = V4L2_MEMORY_MMAP, .index = ob };
	unsigned long long ts = ts_ns(i);
	int ret;

	if (!(f->hdr.flags & V4L2_FWHT_FL_I_FRAME) && i)
		p.backward_ref_ts = ts_ns(i - 1);
	if (f->size > c->out_len[ob])
		return -E2BIG;
	memcpy(c->out_map[ob], f->data, f->size);

	ret = xioctl(c->vfd, VIDIOC_S_EXT_CTRLS, &cs);
	if (ret)
		return ret;
	b.bytesused = f->size;
	b.timestamp.tv_sec = ts / 1000000000ULL;
	b.timestamp.tv_usec = (ts % 1000000000ULL) / 1000;
	b.flags = V4L2_BUF_FLAG_REQUEST_FD;
	b.request_fd = c->req[ob];
	return xioctl(c->vfd, VIDIOC_QBUF, &b);
}

/* right after the ioctl that committed frame i's job */
static void check_committed(struct ctx *c, unsigned int i)
{
	int db = c->cap_dmabuf[i % c->ncap];
	char desc[96];
	int r, st;

	c->commit_us[i] = now_us();
	r = poll_fd(db, POLLIN, 0);
	st = fence_state(db, desc, sizeof(desc), &c->sync_fd[i]);
	if (st < 0 && st > -1000) {
		fail(c, "frame %u: EXPORT_SYNC_FILE/FILE_INFO: %s", i,
		     strerror(-st));
		return;
	}
	if (verbose)
		msg("ctx%u: frame %u committed: dma-buf %s, sync_file %s (%s)",
		    c->id, i, r ? "ready" : "not ready",
		    st ? "signalled" : "pending", desc);
	if (!strncmp(desc, "videobuf2", 9))
		c->fence_seen++;
	if (expect_fences) {
		if (!r && !st && !strncmp(desc, "videobuf2", 9))
			c->pending_at_commit++;
	} else {
		if (r && st == 1 && strncmp(desc, "videobuf2", 9))
			c->unfenced_at_commit++;
		else
			fail(c, "frame %u: a fence without the opt-in (%s)",
			     i, desc);
	}
}

/* wait for frame i like a consumer, then dequeue and check it */
static int finish(struct ctx *c, unsigned int i)
{
	unsigned int cb = i % c->ncap, ob = i % c->nout;
	struct v4l2_buffer b = { .type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
				 .memory = V4L2_MEMORY_MMAP };
	int r, ret, st;

	r = poll_fd(c->cap_dmabuf[cb], POLLIN, 10000);
	c->wake_us[i] = now_us();
	if (r <= 0) {
		fail(c, "frame %u: dma-buf never became ready", i);
		return -ETIMEDOUT;
	}
	if (c->sync_fd[i] >= 0) {
		st = sync_status(c->sync_fd[i]);
		if (st != 1 && (expect_fences || st != 1))
			fail(c, "frame %u: fence status %d after the wake", i,
			     st);
		close(c->sync_fd[i]);
		c->sync_fd[i] = -1;
	}
	/* the buffer is on the done list once its fence signalled */
	ret = xioctl(c->vfd, VIDIOC_DQBUF, &b);
	if (expect_fences && ret == -EAGAIN) {
		fail(c, "frame %u: woke before DQBUF could return it", i);
		return ret;
	}
	if (ret) {
		/* opt-in off: the dma-buf is ready before the job is done */
		struct pollfd p = { .fd = c->vfd, .events = POLLIN };

		poll(&p, 1, 10000);
		ret = xioctl(c->vfd, VIDIOC_DQBUF, &b);
	}
	if (ret) {
		fail(c, "frame %u: DQBUF capture: %s", i, strerror(-ret));
		return ret;
	}
	if (b.index != cb || (b.flags & V4L2_BUF_FLAG_ERROR)) {
		fail(c, "frame %u: capture %u flags 0x%x, wanted buffer %u",
		     i, b.index, b.flags, cb);
		return -EIO;
	}
	if (expect_fences)
		c->woke_ok++;
	if (c->out && fwrite(c->cap_map[cb], 1, b.bytesused, c->out) !=
		      b.bytesused)
		fail(c, "frame %u: writing the output", i);

	memset(&b, 0, sizeof(b));
	b.type = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	b.memory = V4L2_MEMORY_MMAP;
	ret = xioctl(c->vfd, VIDIOC_DQBUF, &b);
	if (ret == -EAGAIN) {
		struct pollfd p = { .fd = c->vfd, .events = POLLOUT };

		poll(&p, 1, 10000);
		ret = xioctl(c->vfd, VIDIOC_DQBUF, &b);
	}
	if (ret || b.index != ob) {
		fail(c, "frame %u: DQBUF output: %d index %u", i, ret, b.index);
		return -EIO;
	}
	/* the request completes once its controls are current again */
	r = poll_fd(c->req[ob], POLLPRI, 10000);
	if (r <= 0 || !(r & POLLPRI)) {
		fail(c, "frame %u: request did not complete (%d)", i, r);
		return -EIO;
	}
	ret = xioctl(c->req[ob], MEDIA_REQUEST_IOC_REINIT, NULL);
	if (ret)
		fail(c, "frame %u: REINIT: %s", i, strerror(-ret));
	return ret;
}

static void *run_ctx(void *arg)
{
	struct ctx *c = arg;
	unsigned int n = limit ? limit : nframes, i, done = 0;
	unsigned int t;
	char path[256];
	int ret;

	for (i = 0; i < MAX_FRAMES; i++)
		c->sync_fd[i] = -1;
	ret = setup(c);
	if (ret) {
		fail(c, "setup: %s", strerror(-ret));
		return NULL;
	}
	if (out_path) {
		if (nctx > 1)
			snprintf(path, sizeof(path), "%s.%u", out_path, c->id);
		else
			snprintf(path, sizeof(path), "%s", out_path);
		c->out = fopen(path, "w");
	}
	for (i = 0; i < n && !c->errors; i++) {
		bool by_qbuf = qbuf_commit && (i & 1);
		int db = c->cap_dmabuf[i % c->ncap];

		while (i - done >= depth && !c->errors)
			finish(c, done++);
		if (c->errors)
			break;
		if (!by_qbuf) {
			ret = queue_capture(c, i);
			if (ret) {
				fail(c, "frame %u: QBUF capture: %s", i,
				     strerror(-ret));
				break;
			}
			/* no job yet: no output buffer, no fence */
			expect_no_fence_yet(c, i, db);
		}
		ret = prepare_request(c, i);
		if (ret) {
			fail(c, "frame %u: request: %s", i, strerror(-ret));
			break;
		}
		ret = xioctl(c->req[i % c->nout], MEDIA_REQUEST_IOC_QUEUE,
			     NULL);
		if (ret) {
			fail(c, "frame %u: MEDIA_REQUEST_IOC_QUEUE: %s", i,
			     strerror(-ret));
			break;
		}
		if (by_qbuf) {
			/* the request alone is no job: no fence yet */
			expect_no_fence_yet(c, i, db);
			ret = queue_capture(c, i);
			if (ret) {
				fail(c, "frame %u: QBUF capture: %s", i,
				     strerror(-ret));
				break;
			}
		}
		check_committed(c, i);
	}
	while (done < i && !c->errors)
		finish(c, done++);

	t = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	xioctl(c->vfd, VIDIOC_STREAMOFF, &t);
	t = V4L2_BUF_TYPE_VIDEO_OUTPUT;
	xioctl(c->vfd, VIDIOC_STREAMOFF, &t);
	/* nothing of ours pending after STREAMOFF */
	for (i = 0; i < c->ncap; i++) {
		if (poll_fd(c->cap_dmabuf[i], POLLIN, 0) <= 0)
			fail(c, "capture %u: still busy after STREAMOFF", i);
	}
	for (i = 0; i < MAX_FRAMES; i++) {
		if (c->sync_fd[i] >= 0) {
			if (sync_status(c->sync_fd[i]) == 0)
				fail(c, "frame %u: fence pending at the end", i);
			close(c->sync_fd[i]);
		}
	}
	if (c->out)
		fclose(c->out);
	{
		long long sum = 0;
		unsigned int k, m = 0;

		for (k = 0; k < done; k++) {
			if (c->wake_us[k] && c->commit_us[k]) {
				sum += c->wake_us[k] - c->commit_us[k];
				m++;
			}
		}
		msg("ctx%u: %u frames, videobuf2 fence seen at commit %u, pending at commit %u, "
		    "consumer woke with the frame done %u, unfenced %u, "
		    "commit->wake mean %.1f ms, errors %u",
		    c->id, done, c->fence_seen, c->pending_at_commit,
		    c->woke_ok, c->unfenced_at_commit,
		    m ? sum / 1000.0 / m : 0.0, c->errors);
	}
	close(c->vfd);
	close(c->mfd);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th[4];
	struct ctx *ctxs;
	unsigned int i, bad = 0;
	int opt;

	while ((opt = getopt(argc, argv, "d:m:i:o:n:c:q:e:Qv")) != -1) {
		switch (opt) {
		case 'd': video_path = optarg; break;
		case 'm': media_path = optarg; break;
		case 'i': load_stream(optarg); break;
		case 'o': out_path = optarg; break;
		case 'n': limit = atoi(optarg); break;
		case 'c': nctx = atoi(optarg); break;
		case 'q': depth = atoi(optarg); break;
		case 'e': expect_fences = !strcmp(optarg, "fences"); break;
		case 'Q': qbuf_commit = true; break;
		case 'v': verbose = true; break;
		default:
			fprintf(stderr,
				"usage: %s -d VIDEO -m MEDIA -i STREAM [-o OUT] [-n FRAMES] [-c CTXS] [-q DEPTH] [-e fences|none] [-Q] [-v]\n",
				argv[0]);
			return 2;
		}
	}
	if (!video_path || !media_path || !nframes || nctx < 1 || nctx > 4 ||
	    depth < 1 || depth + 2 > MAX_BUFS ||
	    (limit ? limit : nframes) > MAX_FRAMES) {
		fprintf(stderr, "bad arguments\n");
		return 2;
	}
	ctxs = calloc(nctx, sizeof(*ctxs));
	for (i = 0; i < nctx; i++) {
		ctxs[i].id = i;
		pthread_create(&th[i], NULL, run_ctx, &ctxs[i]);
	}
	for (i = 0; i < nctx; i++) {
		unsigned int n = limit ? limit : nframes;

		pthread_join(th[i], NULL);
		if (ctxs[i].errors)
			bad = 1;
		if (expect_fences && ctxs[i].woke_ok != n)
			bad = 1;
		if (!expect_fences && ctxs[i].unfenced_at_commit != n)
			bad = 1;
	}
	printf("req-fence-decode: %s\n", bad ? "FAIL" : "PASS");
	return bad;
}
