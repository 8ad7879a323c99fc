"""Captured traffic: read and write HAR, record through a proxy, learn a contract, observe answers against one."""
