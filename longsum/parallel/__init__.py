"""Spreading a run over processes: which process owns which document, and stopping every process when one fails.

Imports only ``longsum.errors``; never a model runtime, so a rank's failure reaches the others whatever it was doing.
"""
