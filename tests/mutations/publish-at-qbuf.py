# SPDX-License-Identifier: GPL-2.0
"""The fence is published when the buffer is queued, committed or not (the
defect of the RFC this series replaces)."""
from _mutate import mutate

mutate('drivers/media/common/videobuf2/videobuf2-core.c',
       '''	WRITE_ONCE(q->has_release_fences, true);
	return 0;''',
       '''	WRITE_ONCE(q->has_release_fences, true);
	vb2_buffers_publish_release_fences(&vb, 1);
	return 0;''')
