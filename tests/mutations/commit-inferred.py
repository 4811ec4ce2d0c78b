# SPDX-License-Identifier: GPL-2.0
"""The commit decision of v1: the first min(ready outputs, ready captures)
capture buffers count as committed, whatever job completion is doing."""
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       '''	return base + rounddown(min(outs, caps), per_job);
}''',
       '''	(void)per_job;
	{
		struct v4l2_m2m_buffer *first;
		u32 head;

		first = list_first_entry_or_null(&m2m_ctx->cap_q_ctx.rdy_queue,
						 struct v4l2_m2m_buffer, list);
		head = first ? first->pair_seq : m2m_ctx->cap_q_ctx.pair_seq + 1;
		return head - 1 + min(v4l2_m2m_num_src_bufs_ready(m2m_ctx),
				      v4l2_m2m_num_dst_bufs_ready(m2m_ctx));
	}
}''')
