"""Checking the rules against labelled answers: instructors' sample answers (samples.py)
and the accuracy benchmark's counting (accuracy.py).
"""
