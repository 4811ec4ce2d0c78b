# SPDX-License-Identifier: GPL-2.0
# guest: requests
"""MEDIA_REQUEST_IOC_QUEUE queues a request-fed job's OUTPUT buffer but does
not commit the job: its fence is neither published nor the job run until
some later ioctl schedules the context."""
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       '''		mutex_lock(m2m_ctx->q_lock);
		v4l2_m2m_try_schedule(m2m_ctx);
		mutex_unlock(m2m_ctx->q_lock);''',
       '''		mutex_lock(m2m_ctx->q_lock);
		mutex_unlock(m2m_ctx->q_lock);''')
