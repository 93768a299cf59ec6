"""Data readers and datasets for sentemb."""
