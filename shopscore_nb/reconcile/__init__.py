"""Reconcile recomputed scores with the backend's readings, and calibrate unpublished numbers (SPEC §6.1).

>>> from shopscore_nb.reconcile import read_readings, reconcile, calibrate      # doctest: +SKIP
"""
from .readings import READINGS_FILE, ReadingsError, check_dates, read_readings, shop_readings

__all__ = ["READINGS_FILE", "ReadingsError", "check_dates", "read_readings", "shop_readings"]
