# SPDX-License-Identifier: GPL-2.0
"""Draining is ignored: output buffers queued after a STOP commit jobs."""
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       '''	outs = draining ? m2m_ctx->fence_drain_seq :
			  m2m_ctx->out_q_ctx.pair_seq;''',
       '''	outs = m2m_ctx->out_q_ctx.pair_seq;''')
