# SPDX-License-Identifier: GPL-2.0
"""A job waits for the fences of every ready buffer, not only its own: a
context that feeds itself waits for its own fence until STREAMOFF."""
# guest: waits
from _mutate import mutate

mutate('drivers/media/v4l2-core/v4l2-mem2mem.c',
       '''		if (dep && !dma_fence_is_signaled(dep)) {
			found = dma_fence_get(dep);
			break;
		}
		if (!--n)
			break;''',
       '''		if (dep && !dma_fence_is_signaled(dep)) {
			found = dma_fence_get(dep);
			break;
		}''')
