"""Errors a user can fix, reported as one clear line instead of a traceback."""
from __future__ import annotations


class UserError(Exception):
    """Something the user can fix: the CLI prints it and exits with code 2."""

    exit_code = 2


class ScenarioError(UserError):
    """A scenario file that cannot be used: names the file, the key path and the fix."""

    def __init__(self, file: str, where: str, problem: str, fix: str = ""):
        self.file, self.where, self.problem, self.fix = str(file), where, problem, fix
        place = f"{self.file}: {where}: " if where else f"{self.file}: "
        text = place + problem
        if fix:
            text += f" (fix: {fix})"
        super().__init__(text)
