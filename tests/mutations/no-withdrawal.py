# SPDX-License-Identifier: GPL-2.0
"""STREAMOFF of the output queue leaves the waiting jobs' fences pending."""
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       '''	if (!v4l2_m2m_fence_capable(m2m_ctx))
		return;
	lockdep_assert_held(m2m_ctx->q_lock);''',
       '''	if (1 || !v4l2_m2m_fence_capable(m2m_ctx))
		return;
	lockdep_assert_held(m2m_ctx->q_lock);''')
