"""Model prices: the shipped list, OpenRouter's list (fetched and cached), and the price
in force for a model (`lookup`)."""
