"""Consumption: the Athena workgroup and QuickSight, through which people read the lake."""
