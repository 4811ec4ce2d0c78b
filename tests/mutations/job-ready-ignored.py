# SPDX-License-Identifier: GPL-2.0
"""A driver with job_ready() is fenced without saying what a job takes."""
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       'n = m2m_ctx->m2m_dev->m2m_ops->job_ready ? 0 : 1;',
       'n = 1;')
