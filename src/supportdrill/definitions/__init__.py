"""Drill definitions: YAML into frozen, validated objects. Pure apart from reading the file."""
