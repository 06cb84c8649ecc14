"""`batched(items, size)`: lists of at most `size` items, in order.

Bulk work (import, projections, publish, the backends' inserts) hands the
database a few thousand rows at a time, so memory stays bounded whatever the
log's size.  This is Python 3.12's itertools.batched (as lists), for 3.11.
"""
import itertools


def batched(items, size):
    items = iter(items)
    while True:
        batch = list(itertools.islice(items, size))
        if not batch:
            return
        yield batch
