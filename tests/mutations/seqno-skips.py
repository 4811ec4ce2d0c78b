# SPDX-License-Identifier: GPL-2.0
"""A buffer's fences skip a sequence number at each queueing (as if every
other fence were lost)."""
from _mutate import mutate

mutate('drivers/media/common/videobuf2/videobuf2-core.c',
       'vb->release_fence_context, ++vb->release_fence_seqno);',
       'vb->release_fence_context, vb->release_fence_seqno += 2);')
