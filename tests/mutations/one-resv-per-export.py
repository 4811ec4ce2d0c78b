# SPDX-License-Identifier: GPL-2.0
"""Each export of a vmalloc MMAP plane gets a reservation object of its own
again, so the fence is in none of them."""
from _mutate import mutate

mutate('drivers/media/common/videobuf2/videobuf2-vmalloc.c',
       'exp_info.resv = &buf->resv;',
       'exp_info.resv = NULL;')
