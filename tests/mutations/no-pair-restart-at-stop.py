# SPDX-License-Identifier: GPL-2.0
"""A STOP that returns a capture buffer LAST without a job keeps the
pairing: the next output buffer is taken for that buffer's job."""
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       '''	v4l2_m2m_last_buffer_done(m2m_ctx, next_dst_buf);
	/* it left without a job: the next output buffer pairs with the next */
	if (v4l2_m2m_fenced(m2m_ctx)) {''',
       '''	v4l2_m2m_last_buffer_done(m2m_ctx, next_dst_buf);
	/* it left without a job: the next output buffer pairs with the next */
	if (0 && v4l2_m2m_fenced(m2m_ctx)) {''')
