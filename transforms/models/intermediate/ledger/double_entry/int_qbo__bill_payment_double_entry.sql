-- QBO bill payments: Dr payable, Cr the bank.
{{ qbo_payment_double_entry(
    'BillPayment', 'stg_qbo__bill_payments', 'bill_payment_id', debit_account='c.ap_account_id',
    credit_account='p.bank_account_id', contact='p.vendor_id', description="'Bill payment'") }}
