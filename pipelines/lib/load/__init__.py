"""Load: the warehouse, its single writer, the inbox manifest, set-wise report loads."""
