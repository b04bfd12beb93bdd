-- QBO customer payments: Dr the deposit-to account, Cr receivable.
{{ qbo_payment_double_entry(
    'Payment', 'stg_qbo__payments', 'payment_id', debit_account='p.bank_account_id',
    credit_account='c.ar_account_id', contact='p.customer_id', description="'Payment'") }}
