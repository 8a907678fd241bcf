"""Benchmarks: run each solution notebook at its defaults and record time, memory, quality."""
