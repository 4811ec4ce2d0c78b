# SPDX-License-Identifier: GPL-2.0
"""The error of a job's input is read from the merged fence only: a
dma_fence_array whose fences all signalled before anyone enabled
signalling on it signals without their errors, and the job whose input
failed returns DONE. Caught by the kselftest
vb2_fence_wait.output_dependency_error_among_two only: the KUnit case
signals the fences while the job waits on them."""
# guest: waits
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       '''		if (dep && v4l2_m2m_dep_failed(dep))''',
       '''		if (dep && dma_fence_get_status(dep) < 0 &&
		    v4l2_m2m_dep_failed(dep))''')
