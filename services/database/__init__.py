"""The SQL layer the study and the model studio share: engines, column types, migrations."""
