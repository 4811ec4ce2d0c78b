# SPDX-License-Identifier: GPL-2.0
"""An output buffer waits for its readers' fences too, as if the device
wrote it: a reader of the input holds the job."""
# guest: waits
from _mutate import mutate

mutate('drivers/media/common/videobuf2/videobuf2-core.c',
       '''		dma_resv_usage_rw(!q->is_output || q->bidirectional);''',
       '''		dma_resv_usage_rw(true);''')
