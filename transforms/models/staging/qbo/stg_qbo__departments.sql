-- One row per QBO Department (QBO's Location: a dimension journal lines are tagged with).
{{ qbo_dimension_list('Department', 'department', 'SubDepartment') }}
