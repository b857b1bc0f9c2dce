"""The cascade: who trained whom over every generation, reach, activation and dormancy."""
