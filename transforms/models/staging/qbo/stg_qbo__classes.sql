-- One row per QBO Class (a dimension journal lines are tagged with; docs/marts.md "Dimensions").
{{ qbo_dimension_list('Class', 'class', 'SubClass') }}
