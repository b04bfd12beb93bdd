-- QBO bills: Dr each line's expense account, Cr payable (the bill's own AP account, else the tenant's).
{{ qbo_header_lines_double_entry(
    'Bill', 'stg_qbo__bills', 'stg_qbo__bill_lines', 'bill_id',
    header_account='coalesce(d.ap_account_id, c.ap_account_id)', header_sign=-1, contact='d.vendor_id',
    description="'Bill ' || coalesce(d.doc_number, d.bill_id)") }}
