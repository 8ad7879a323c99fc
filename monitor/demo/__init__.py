"""`monitor demo`: a simulated marketplace and the whole service on 127.0.0.1, with no internet."""
