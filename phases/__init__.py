"""The method: the nine phases, their answer shapes, the rules that judge them.

Kept as plain Python so that the web site, the command-line grader and the tests all
call the same functions; only ``tutor/`` knows about Django.
"""
