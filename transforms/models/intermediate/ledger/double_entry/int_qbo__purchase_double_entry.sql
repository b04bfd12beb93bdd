-- QBO purchases (expenses paid directly): Dr each line's expense account, Cr the bank (the total).
{{ qbo_header_lines_double_entry(
    'Purchase', 'stg_qbo__purchases', 'stg_qbo__purchase_lines', 'purchase_id',
    header_account='d.bank_account_id', header_sign=-1, contact='d.party_id',
    description="coalesce(d.private_note, 'Purchase')") }}
