-- One row per document a QBO Payment is applied to (Line[].LinkedTxn[]): the allocation.
{{ qbo_allocations('Payment', 'payment') }}
