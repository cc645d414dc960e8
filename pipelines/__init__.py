"""Gongkai: the open data warehouse for government information-disclosure annual reports."""
