# SPDX-License-Identifier: GPL-2.0
"""A job is queued while its capture buffer's fence is not published yet."""
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       '''	if (dst && v4l2_m2m_fenced(m2m_ctx) &&
	    v4l2_m2m_job_unpublished(m2m_ctx)) {''',
       '''	if (0 && dst && v4l2_m2m_fenced(m2m_ctx) &&
	    v4l2_m2m_job_unpublished(m2m_ctx)) {''')
