-- One row per document a QBO BillPayment is applied to (Line[].LinkedTxn[]): the allocation.
{{ qbo_allocations('BillPayment', 'bill_payment') }}
