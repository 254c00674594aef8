"""Pulumi program: read and validate the stack configuration, build the components, export outputs."""

import pulumi

from components import stack
from components.config import ConfigError, load_from_pulumi

try:
    CONFIG = load_from_pulumi()
except ConfigError as error:
    # RunError: the CLI shows the message (every key path) without a Python traceback.
    raise pulumi.RunError(str(error)) from None

for name, value in stack.build(CONFIG).items():
    pulumi.export(name, value)
