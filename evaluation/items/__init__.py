"""The quiz item bank: the built-in parallel forms and their JSON/CSV import and export."""
