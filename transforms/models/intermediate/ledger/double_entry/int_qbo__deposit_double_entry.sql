-- QBO deposits: Dr the bank (the total), Cr each line's account.
{{ qbo_header_lines_double_entry(
    'Deposit', 'stg_qbo__deposits', 'stg_qbo__deposit_lines', 'deposit_id',
    header_account='d.bank_account_id', header_sign=1, contact='d.party_id',
    description="coalesce(d.private_note, 'Deposit')", line_contact='coalesce(l.party_id, d.party_id)') }}
