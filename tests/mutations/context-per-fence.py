# SPDX-License-Identifier: GPL-2.0
"""Every fence gets a fence context of its own instead of its buffer's."""
from _mutate import mutate

mutate('drivers/media/common/videobuf2/videobuf2-core.c',
       '''	rf->timeline = vb->release_fence_timeline->name;''',
       '''	rf->timeline = vb->release_fence_timeline->name;
	vb->release_fence_context = dma_fence_context_alloc(1);''')
