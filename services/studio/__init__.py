"""The model studio: instructors' data sets, training and import jobs, published models."""
