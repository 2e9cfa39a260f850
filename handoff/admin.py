from handoff.callbacks.admin import *  # noqa: F403
from handoff.directory.admin import *  # noqa: F403
from handoff.platforms_admin import *  # noqa: F403
