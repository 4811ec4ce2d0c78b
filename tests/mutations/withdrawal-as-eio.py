# SPDX-License-Identifier: GPL-2.0
"""A withdrawn fence (STREAMOFF of the output queue) signals -EIO, as if its
buffer had been returned in state ERROR, instead of -ECANCELED."""
from _mutate import mutate

mutate('drivers/media/common/videobuf2/videobuf2-core.c',
       'vb2_release_fence_signal(vb2_release_fence_take(vb), -ECANCELED);',
       'vb2_release_fence_signal(vb2_release_fence_take(vb), -EIO);')
