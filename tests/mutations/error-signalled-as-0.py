# SPDX-License-Identifier: GPL-2.0
"""A buffer returned in state ERROR signals its fence without an error."""
from _mutate import mutate

mutate('drivers/media/common/videobuf2/videobuf2-core.c',
       'state == VB2_BUF_STATE_ERROR ? -EIO :',
       'state == VB2_BUF_STATE_ERROR ? 0 :')
