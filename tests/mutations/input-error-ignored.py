# SPDX-License-Identifier: GPL-2.0
"""A job whose input fence failed returns its buffers as if it had read
what was meant."""
# guest: waits
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       '''	v4l2_m2m_job_dep_errors(m2m_dev->curr_ctx);
''',
       '')
