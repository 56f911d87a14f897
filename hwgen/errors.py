"""Errors a user can cause. The CLI catches `HwgenError` once and prints one line;
anything else is a bug and stays a traceback."""


class HwgenError(Exception):
    """Base of every user-facing error. `exit_code` is what the CLI returns."""

    exit_code = 2


class ConfigError(HwgenError):
    """An invalid design, space or workload description."""


class InputError(HwgenError):
    """Bad user data: a missing file, a wrong shape, a value outside its format."""


class ToolError(HwgenError):
    """An external tool (simulator, Yosys, OpenSTA) is missing or failed."""


class MismatchError(HwgenError):
    """The RTL disagreed with the reference model: a real failure, not a usage error."""

    exit_code = 1
