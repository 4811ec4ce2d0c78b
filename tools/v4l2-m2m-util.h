/* SPDX-License-Identifier: GPL-2.0 */
/*
 * v4l2-m2m-util.h - what the workbench's guest programs all do to vim2m:
 * tests/vm/fence-exit-paths.c, tests/vm/fence-stress.c, tests/vm/kms-flip.c,
 * tools/fence-bench.c, tools/fence-timeline.c and tools/wait-demo.c.
 *
 * One header of small static inline helpers instead of a copy in each:
 * each program is a single file built on its own (scripts/programs.sh), so
 * there is no library to link, and helpers a program does not call cost it
 * nothing, not even an unused-function warning. The tests in tests/vm
 * include it by a path relative to themselves, which needs no -I.
 *
 * A header of its own rather than more of tools/fence-tools.h: that one is
 * the tracefs side of the two tools, with static (not inline) functions and
 * state that would be "defined but not used" errors under -Werror in the
 * three tests, which have no use for them.
 *
 * Every helper returns a negative errno on failure (after a failed ioctl,
 * errno is still what it set) and 0, or what it was asked for, on success.
 * What a failure means is the caller's business: a kselftest assertion,
 * die(), a counter of expected errnos.
 *
 * MMAP buffers only. For the multiplanar API the buffer helpers pass an
 * array of VIDEO_MAX_PLANES planes; OUTPUT data is in plane 0 (vim2m has no
 * format with more than one plane).
 */
#ifndef V4L2_M2M_UTIL_H
#define V4L2_M2M_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include <linux/dma-buf.h>
#include <linux/sync_file.h>
#include <linux/types.h>
#include <linux/videodev2.h>

/* vim2m's private control: how long a job takes, see vim2m.c */
#define VIM2M_CID_TRANS_TIME_MSEC	(V4L2_CID_USER_BASE + 0x1000)

/* ioctl(), again when a signal interrupted it: 0 or -errno */
static inline int xioctl(int fd, unsigned long req, void *arg)
{
	int ret;

	do {
		ret = ioctl(fd, req, arg);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/* CLOCK_MONOTONIC: the clock of vblank events and of tracefs "mono" */
static inline long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline double now_ms(void)
{
	return now_ns() / 1e6;
}

/*
 * poll() of one fd, again when a signal interrupted it: its revents, 0 on
 * timeout, or -errno.
 */
static inline int poll_fd(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int ret;

	do {
		ret = poll(&pfd, 1, timeout_ms);
	} while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : pfd.revents;
}

/*
 * VIDIOC_QUERYCAP of a mem2mem device: -ENODEV if it is not one, and in
 * *mplane (if not NULL) whether it has the multiplanar API.
 */
static inline int m2m_querycap(int fd, struct v4l2_capability *cap,
			       bool *mplane)
{
	__u32 caps;
	int ret;

	memset(cap, 0, sizeof(*cap));
	ret = xioctl(fd, VIDIOC_QUERYCAP, cap);
	if (ret)
		return ret;
	caps = cap->capabilities & V4L2_CAP_DEVICE_CAPS ?
	       cap->device_caps : cap->capabilities;
	if (!(caps & (V4L2_CAP_VIDEO_M2M | V4L2_CAP_VIDEO_M2M_MPLANE)))
		return -ENODEV;
	if (mplane)
		*mplane = caps & V4L2_CAP_VIDEO_M2M_MPLANE;
	return 0;
}

/*
 * The path of the first /dev/videoN whose driver is vim2m, and whether it
 * has the multiplanar API (vim2m multiplanar=2); -ENODEV if there is none.
 */
static inline int find_vim2m(char *path, size_t len, bool *mplane)
{
	struct v4l2_capability cap;
	int i, fd, ret;

	for (i = 0; i < 64; i++) {
		snprintf(path, len, "/dev/video%d", i);
		fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		ret = m2m_querycap(fd, &cap, mplane);
		close(fd);
		if (!ret && !strcmp((char *)cap.driver, "vim2m"))
			return 0;
	}
	return -ENODEV;
}

/*
 * sw_sync, the debugfs timeline that the programs use as a foreign fence
 * producer: it has no uapi header (as in tools/testing/selftests/sync)
 */
struct sw_sync_create_fence_data {
	__u32	value;
	char	name[32];
	__s32	fence;
};

#define SW_SYNC_IOC_CREATE_FENCE	_IOWR('W', 0, \
					      struct sw_sync_create_fence_data)
#define SW_SYNC_IOC_INC			_IOW('W', 1, __u32)
#define SW_SYNC_PATH			"/sys/kernel/debug/sync/sw_sync"

/* vim2m's opt-ins to release fences and fence waits, module parameters */
#define VIM2M_FENCES_PARAM "/sys/module/vim2m/parameters/release_fences"
#define VIM2M_WAITS_PARAM "/sys/module/vim2m/parameters/wait_fences"

/* A bool module parameter: 'Y', 'N', or 0 if there is none (base kernel) */
static inline char bool_param(const char *path)
{
	char c = 0;
	int fd = open(path, O_RDONLY);

	if (fd >= 0) {
		if (read(fd, &c, 1) != 1)
			c = 0;
		close(fd);
	}
	return c;
}

static inline char vim2m_fences_param(void)
{
	return bool_param(VIM2M_FENCES_PARAM);
}

static inline char vim2m_waits_param(void)
{
	return bool_param(VIM2M_WAITS_PARAM);
}

/* Sets one to @c ('Y' or 'N') and reads it back: 0, or -1 on failure */
static inline int set_bool_param(const char *path, char c)
{
	int fd = open(path, O_WRONLY);
	int ret = -1;

	if (fd >= 0) {
		ret = write(fd, &c, 1) == 1 ? 0 : -1;
		close(fd);
	}
	return ret || bool_param(path) != c ? -1 : 0;
}

static inline int vim2m_set_fences_param(char c)
{
	return set_bool_param(VIM2M_FENCES_PARAM, c);
}

static inline int vim2m_set_waits_param(char c)
{
	return set_bool_param(VIM2M_WAITS_PARAM, c);
}

/* The buffer type of a mem2mem queue: OUTPUT or CAPTURE */
static inline __u32 m2m_buf_type(bool mplane, bool capture)
{
	if (mplane)
		return capture ? V4L2_BUF_TYPE_VIDEO_CAPTURE_MPLANE :
				 V4L2_BUF_TYPE_VIDEO_OUTPUT_MPLANE;
	return capture ? V4L2_BUF_TYPE_VIDEO_CAPTURE :
			 V4L2_BUF_TYPE_VIDEO_OUTPUT;
}

static inline int vim2m_set_job_ms(int fd, int ms)
{
	struct v4l2_control c = {
		.id = VIM2M_CID_TRANS_TIME_MSEC, .value = ms,
	};

	return xioctl(fd, VIDIOC_S_CTRL, &c);
}

/*
 * S_FMT of a progressive single-plane format, the rest as G_FMT has it;
 * *f is what the driver made of it.
 */
static inline int v4l2_set_fmt(int fd, __u32 type, __u32 pixelformat,
			       __u32 width, __u32 height,
			       struct v4l2_format *f)
{
	int ret;

	memset(f, 0, sizeof(*f));
	f->type = type;
	ret = xioctl(fd, VIDIOC_G_FMT, f);
	if (ret)
		return ret;
	if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
		f->fmt.pix_mp.pixelformat = pixelformat;
		f->fmt.pix_mp.width = width;
		f->fmt.pix_mp.height = height;
		f->fmt.pix_mp.num_planes = 1;
	} else {
		f->fmt.pix.pixelformat = pixelformat;
		f->fmt.pix.width = width;
		f->fmt.pix.height = height;
	}
	return xioctl(fd, VIDIOC_S_FMT, f);
}

/* The size of (plane 0 of) an image in format @f */
static inline __u32 v4l2_sizeimage(const struct v4l2_format *f)
{
	return V4L2_TYPE_IS_MULTIPLANAR(f->type) ?
	       f->fmt.pix_mp.plane_fmt[0].sizeimage : f->fmt.pix.sizeimage;
}

/* REQBUFS of MMAP buffers: how many the driver gave, or -errno */
static inline int v4l2_reqbufs(int fd, __u32 type, unsigned int count)
{
	struct v4l2_requestbuffers rb = {
		.count = count, .type = type, .memory = V4L2_MEMORY_MMAP,
	};
	int ret;

	ret = xioctl(fd, VIDIOC_REQBUFS, &rb);
	return ret ? ret : (int)rb.count;
}

static inline void v4l2_buf_init(struct v4l2_buffer *b,
				 struct v4l2_plane *planes, __u32 type,
				 unsigned int index)
{
	memset(b, 0, sizeof(*b));
	memset(planes, 0, VIDEO_MAX_PLANES * sizeof(*planes));
	b->type = type;
	b->memory = V4L2_MEMORY_MMAP;
	b->index = index;
	if (V4L2_TYPE_IS_MULTIPLANAR(type)) {
		b->m.planes = planes;
		b->length = VIDEO_MAX_PLANES;
	}
}

/* Length and mmap() offset of (plane 0 of) a buffer */
static inline int v4l2_querybuf(int fd, __u32 type, unsigned int index,
				__u32 *length, __u32 *offset)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	int ret;

	v4l2_buf_init(&b, planes, type, index);
	ret = xioctl(fd, VIDIOC_QUERYBUF, &b);
	if (ret)
		return ret;
	if (length)
		*length = V4L2_TYPE_IS_MULTIPLANAR(type) ? planes[0].length :
							   b.length;
	if (offset)
		*offset = V4L2_TYPE_IS_MULTIPLANAR(type) ?
			  planes[0].m.mem_offset : b.m.offset;
	return 0;
}

/*
 * QBUF with buffer @flags, a timestamp of @ts_sec seconds, and into the
 * request @request_fd if it is >= 0; @bytesused is that of plane 0, for
 * OUTPUT buffers (0 for CAPTURE).
 */
static inline int v4l2_qbuf_flags(int fd, __u32 type, unsigned int index,
				  __u32 bytesused, __u32 flags, long ts_sec,
				  int request_fd)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;

	v4l2_buf_init(&b, planes, type, index);
	b.field = V4L2_FIELD_NONE;
	if (V4L2_TYPE_IS_MULTIPLANAR(type))
		planes[0].bytesused = bytesused;
	else
		b.bytesused = bytesused;
	b.flags = flags;
	b.timestamp.tv_sec = ts_sec;
	if (request_fd >= 0) {
		b.flags |= V4L2_BUF_FLAG_REQUEST_FD;
		b.request_fd = request_fd;
	}
	return xioctl(fd, VIDIOC_QBUF, &b);
}

/* QBUF; @bytesused is that of plane 0, for OUTPUT buffers (0 for CAPTURE) */
static inline int v4l2_qbuf(int fd, __u32 type, unsigned int index,
			    __u32 bytesused)
{
	return v4l2_qbuf_flags(fd, type, index, bytesused, 0, 0, -1);
}

/*
 * DQBUF: the buffer's index, or -errno (-EAGAIN on a non-blocking fd with
 * nothing done); its flags in *flags if not NULL (0 if DQBUF failed).
 */
static inline int v4l2_dqbuf(int fd, __u32 type, __u32 *flags)
{
	struct v4l2_plane planes[VIDEO_MAX_PLANES];
	struct v4l2_buffer b;
	int ret;

	v4l2_buf_init(&b, planes, type, 0);
	ret = xioctl(fd, VIDIOC_DQBUF, &b);
	if (flags)
		*flags = b.flags;
	return ret ? ret : (int)b.index;
}

static inline int v4l2_streamon(int fd, __u32 type)
{
	return xioctl(fd, VIDIOC_STREAMON, &type);
}

static inline int v4l2_streamoff(int fd, __u32 type)
{
	return xioctl(fd, VIDIOC_STREAMOFF, &type);
}

/* EXPBUF: a dma-buf fd of one plane of a buffer, or -errno */
static inline int v4l2_expbuf(int fd, __u32 type, unsigned int index,
			      unsigned int plane, __u32 flags)
{
	struct v4l2_exportbuffer eb = {
		.type = type, .index = index, .plane = plane, .flags = flags,
	};
	int ret;

	ret = xioctl(fd, VIDIOC_EXPBUF, &eb);
	return ret ? ret : eb.fd;
}

/*
 * A sync_file of the fences in a dma-buf's dma_resv that an access of
 * @flags must wait for (DMA_BUF_SYNC_READ: the writers'), or -errno.
 */
static inline int dmabuf_export_sync_file(int dmabuf, __u32 flags)
{
	struct dma_buf_export_sync_file arg = { .flags = flags, .fd = -1 };
	int ret;

	ret = xioctl(dmabuf, DMA_BUF_IOCTL_EXPORT_SYNC_FILE, &arg);
	return ret ? ret : arg.fd;
}

/*
 * SYNC_IOC_FILE_INFO: the number of fences in a sync_file, or -errno. Its
 * status in *status if not NULL: 1 signalled, 0 pending, <0 the error of a
 * fence (or the -errno returned). With max > 0 the fences in f[], -E2BIG if
 * there are more.
 */
static inline int sync_file_info(int sync_fd, __s32 *status,
				 struct sync_fence_info *f, unsigned int max)
{
	struct sync_file_info info;
	int ret;

	memset(&info, 0, sizeof(info));
	ret = xioctl(sync_fd, SYNC_IOC_FILE_INFO, &info);
	if (!ret && max && info.num_fences > max) {
		ret = -E2BIG;
	} else if (!ret && max) {
		/* num_fences 0 only counts them; now fetch them */
		memset(f, 0, max * sizeof(*f));
		info.sync_fence_info = (__u64)(unsigned long)f;
		ret = xioctl(sync_fd, SYNC_IOC_FILE_INFO, &info);
	}
	if (status)
		*status = ret ? ret : info.status;
	return ret ? ret : (int)info.num_fences;
}

#endif
